//! Supervision across the two levels (监察信息上下贯通): the city's cards on
//! a district's units go down to the district's platform, where the unit
//! finds them among its own signals; the unit's answer (回告) goes back up,
//! where the city's supervisors close or escalate it as any card.
//!
//! Who decides what is fixed here: the city's supervisors issue, close,
//! escalate and revoke the city's cards, and the unit answers them on its
//! own platform only, so that a card has one state on both sides.

use serde::{Deserialize, Serialize};

use super::Platform;
use crate::hall::{CaseNumber, PORTAL_SERIES};
use crate::refusal::Refusal;
use crate::supervision::{Level, RuleCode, SignalState};

/// What marks a signal the city's supervision issued, where a district
/// keeps its copy.
pub const ISSUED_BY_CITY: &str = "city";

/// The events of the city's cards that go down: the card itself and the
/// supervisors' decisions on it. (The unit's answer comes up; the city's
/// notice gateway is the city's own.)
pub const CARD_EVENTS: [&str; 4] = [
    "supervision.signal_issued",
    "supervision.signal_closed",
    "supervision.signal_escalated",
    "supervision.signal_revoked",
];

/// The event of a unit's answer, the one that goes up.
pub const ANSWERED: &str = "supervision.signal_responded";

/// The city's card on one of a district's units, as it goes down after
/// each of the events that go down: where it stands now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// The card's id at the city.
    pub signal: i64,
    pub case: String,
    pub rule: String,
    pub level: String,
    /// The step it is about (-1: the whole case).
    pub step: i64,
    /// For a red card that follows up a yellow one, the yellow card's id
    /// at the city; for a complaint's card, the complaint's; else 0.
    pub cause: i64,
    pub department: String,
    pub region: String,
    /// The moment the rule fired for (microseconds, UTC).
    pub due_at: i64,
    pub state: String,
    /// What the city's supervisor said with the decision (none for a new card).
    pub text: Option<String>,
}

/// A unit's answer (回告) to the city's card, as it goes up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The card's id at the city.
    pub signal: i64,
    pub department: String,
    pub text: String,
}

/// Whether the city's card on `case` for a unit of `region` is one that
/// goes down to the district's own platform: a card on one of that
/// district's cases, or on a hotline request, which a unit of a district
/// that runs a platform of its own handles there
/// ([`super::tickets`]). (A care order's or a household's aid card stays
/// with the city, where they are handled.)
pub fn goes_down(case: &str, region: &str) -> bool {
    CaseNumber::parse(case).is_ok_and(|n| n.region.as_str() == region)
        || crate::hotline::ticket_id(case).is_some()
}

/// Whether a district's case was numbered by the district's own platform
/// (not by the city's portal, which hands its applications down above
/// [`PORTAL_SERIES`] and keeps a copy): the city holds only what the
/// district reported of it.
pub fn numbered_below(case: &str) -> bool {
    CaseNumber::parse(case).is_ok_and(|n| n.seq <= PORTAL_SERIES)
}

/// Whether a card message from the city is one the city may send `to`: a
/// card's event on `signal/<its id>` about a case and a unit of that
/// district, whole, with a rule, level and state that exist.
pub(super) fn citys_card(
    to: &Platform,
    subject: &str,
    event_type: &str,
    facts: &serde_json::Value,
) -> Result<Card, String> {
    if !CARD_EVENTS.contains(&event_type) {
        return Err(format!("{event_type} is not a card's event"));
    }
    let card: Card =
        serde_json::from_value(facts.clone()).map_err(|e| format!("the card is not whole: {e}"))?;
    if subject != format!("signal/{}", card.signal) {
        return Err(format!("{subject} is not the card {}", card.signal));
    }
    let district = to.district().unwrap_or_default();
    if card.region != district
        || !card.department.starts_with(district)
        || !goes_down(&card.case, district)
    {
        return Err(format!(
            "the card {} is on {} of {}, not a case of {to}",
            card.signal, card.case, card.department
        ));
    }
    if RuleCode::parse(&card.rule).is_none()
        || Level::parse(&card.level).is_none()
        || SignalState::parse(&card.state).is_none()
    {
        return Err(format!(
            "the card names a rule, level or state there is not ({}, {}, {})",
            card.rule, card.level, card.state
        ));
    }
    Ok(card)
}

/// Whether an answer from `from` is one its unit may send: a unit of that
/// district answering, with something said.
pub(super) fn districts_answer(
    from: &Platform,
    event_type: &str,
    facts: &serde_json::Value,
) -> Result<Answer, String> {
    if event_type != ANSWERED {
        return Err(format!("{event_type} is not an answer to a card"));
    }
    let answer: Answer = serde_json::from_value(facts.clone())
        .map_err(|e| format!("the answer is not whole: {e}"))?;
    let district = from.district().unwrap_or_default();
    if district.is_empty() || !answer.department.starts_with(district) {
        return Err(format!("{} is not a unit of {from}", answer.department));
    }
    if answer.text.trim().is_empty() {
        return Err("the answer says nothing".into());
    }
    Ok(answer)
}

/// Where a card stands on either side of the exchange, for the commands
/// people give on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardSide {
    /// A card of this platform's own supervision, answered here.
    Own,
    /// At a district: a copy of the city's card. The unit answers it here;
    /// the city's supervisors decide the rest at the city.
    CopyOfCitys,
    /// At the city: a card on a unit of a district that runs a platform of
    /// its own. The unit answers it there; the city decides the rest here.
    AnsweredBelow,
}

/// Whether the command named `command` may be given on a card on this
/// side: the refusal that says where it is given instead.
pub fn command_here(side: CardSide, command: &str) -> Result<(), Refusal> {
    match (side, command) {
        (CardSide::Own, _) | (CardSide::CopyOfCitys, "respond") => Ok(()),
        (CardSide::AnsweredBelow, "respond") => Err(Refusal::conflict(
            "answered_on_district_platform",
            "该单位在本区县平台回告此监察信号",
            "The unit answers this card on its district's platform",
        )),
        (CardSide::AnsweredBelow, _) => Ok(()),
        (CardSide::CopyOfCitys, _) => Err(Refusal::conflict(
            "decided_at_city",
            "市级监察信号由市级监察人员办结、督办或撤销",
            "The city's supervisors close, escalate or revoke the city's cards",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn xihu() -> Platform {
        Platform::District("330106".into())
    }

    fn card(signal: i64) -> Card {
        Card {
            signal,
            case: "2026-330106-000012".into(),
            rule: "time.legal_overdue".into(),
            level: "red".into(),
            step: -1,
            cause: 0,
            department: "330106-012".into(),
            region: "330106".into(),
            due_at: 1,
            state: "issued".into(),
            text: None,
        }
    }

    #[test]
    fn a_card_goes_down_only_to_the_district_of_its_case_and_unit() {
        let facts = serde_json::to_value(card(7)).unwrap();
        let ok = citys_card(&xihu(), "signal/7", "supervision.signal_issued", &facts);
        assert_eq!(ok, Ok(card(7)));
        let other = Platform::District("330108".into());
        assert!(citys_card(&other, "signal/7", "supervision.signal_issued", &facts).is_err());
        assert!(citys_card(&xihu(), "signal/8", "supervision.signal_issued", &facts).is_err());
        assert!(citys_card(&xihu(), "signal/7", "supervision.signal_notified", &facts).is_err());
        let mut elsewhere = card(7);
        elsewhere.department = "330108-001".into();
        let elsewhere = serde_json::to_value(elsewhere).unwrap();
        assert!(citys_card(&xihu(), "signal/7", "supervision.signal_issued", &elsewhere).is_err());
        let mut other_case = card(7);
        other_case.case = "2026-330108-000012".into();
        let other_case = serde_json::to_value(other_case).unwrap();
        assert!(citys_card(
            &xihu(),
            "signal/7",
            "supervision.signal_issued",
            &other_case
        )
        .is_err());
        // A card on a hotline request goes to the district of its unit.
        let mut request = card(7);
        request.case = "96345-2026-0000012".into();
        let request_facts = serde_json::to_value(&request).unwrap();
        let taken = citys_card(
            &xihu(),
            "signal/7",
            "supervision.signal_issued",
            &request_facts,
        );
        assert_eq!(taken, Ok(request));
        assert!(citys_card(
            &other,
            "signal/7",
            "supervision.signal_issued",
            &request_facts
        )
        .is_err());
        let mut odd = card(7);
        odd.state = "forgotten".into();
        let odd = serde_json::to_value(odd).unwrap();
        assert!(citys_card(&xihu(), "signal/7", "supervision.signal_issued", &odd).is_err());
        assert!(citys_card(&xihu(), "signal/7", "supervision.signal_issued", &json!({})).is_err());
    }

    #[test]
    fn a_card_goes_down_on_the_districts_own_case_or_a_hotline_request() {
        assert!(goes_down("2026-330106-000012", "330106"));
        assert!(!goes_down("2026-330108-000012", "330106"));
        assert!(
            goes_down("96345-2026-0000012", "330106"),
            "a hotline request's"
        );
        assert!(
            !goes_down("96345-26-12", "330106"),
            "not a request's number"
        );
        assert!(!goes_down("JY20261202000012", "330106"), "a care order's");
    }

    #[test]
    fn a_case_numbered_by_the_portal_is_held_at_the_city_too() {
        assert!(numbered_below("2026-330106-000012"));
        assert!(!numbered_below("2026-330106-900001"));
        assert!(!numbered_below("96345-2026-12"));
    }

    #[test]
    fn an_answer_comes_up_only_from_a_unit_of_the_sender_with_words() {
        let answer = json!({"signal": 7, "department": "330106-012", "text": "已整改"});
        assert!(districts_answer(&xihu(), ANSWERED, &answer).is_ok());
        assert!(districts_answer(&Platform::City, ANSWERED, &answer).is_err());
        let other = Platform::District("330108".into());
        assert!(districts_answer(&other, ANSWERED, &answer).is_err());
        assert!(districts_answer(&xihu(), "supervision.signal_closed", &answer).is_err());
        let silent = json!({"signal": 7, "department": "330106-012", "text": "  "});
        assert!(districts_answer(&xihu(), ANSWERED, &silent).is_err());
    }

    #[test]
    fn the_unit_answers_below_and_the_city_decides_above() {
        for c in ["respond", "close", "escalate", "revoke"] {
            assert!(command_here(CardSide::Own, c).is_ok());
        }
        assert!(command_here(CardSide::CopyOfCitys, "respond").is_ok());
        assert!(command_here(CardSide::AnsweredBelow, "respond").is_err());
        for c in ["close", "escalate", "revoke"] {
            assert!(command_here(CardSide::CopyOfCitys, c).is_err());
            assert!(command_here(CardSide::AnsweredBelow, c).is_ok());
        }
    }
}
