//! The hotline's dispatch across the two levels (派单上下贯通): a 96345
//! request the city's hotline dispatches to a unit of a district that runs
//! its own platform goes down to that platform, where the unit signs,
//! returns, asks for time and answers it among its own requests; each of
//! the unit's steps goes back up as a reply, and the hotline's steps (its
//! reviews, the return visit, urging, re-dispatch) come down again.
//!
//! The request has one state, the city's. A district's copy shows the
//! city's word as it last came, with the unit's own replies that the city
//! has not yet taken replayed on it: each word from the city says how many
//! of the district's replies it has taken, so the copy never steps back
//! behind what the unit did, and a reply the city could not take is
//! dropped there as the city's word arrives.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Platform;
use crate::calendar::Calendar;
use crate::hotline::{decide, Command, Party, Ticket};
use crate::refusal::Refusal;

/// The events on a request that go down to the district whose unit leads
/// on it (or led on it, for the step that takes it away): the dispatch
/// and every step after it at the city, the hotline's and, as the city
/// takes them, the unit's replies.
pub const TICKET_EVENTS: [&str; 13] = [
    "hotline.dispatched",
    "hotline.merged",
    "hotline.signed",
    "hotline.returned",
    "hotline.return_reviewed",
    "hotline.extension_requested",
    "hotline.extension_reviewed",
    "hotline.answered",
    "hotline.answer_reviewed",
    "hotline.visited",
    "hotline.urged",
    "hotline.merged_answered",
    REPLY_NOT_TAKEN,
];

/// The city could not take a unit's reply (the request had moved on): the
/// city's word goes down instead.
pub const REPLY_NOT_TAKEN: &str = "hotline.reply_not_taken";
/// The events of a unit's steps, the ones that go up as replies.
pub const UNIT_EVENTS: [&str; 4] = [
    "hotline.signed",
    "hotline.returned",
    "hotline.extension_requested",
    "hotline.answered",
];

/// A request as the city's hotline sends it down after one of its steps:
/// what the unit needs to handle it, and where it stands now. Never the
/// requester's account, query code, device or e-mail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dispatched {
    /// The request's id at the city.
    pub ticket: i64,
    pub number: String,
    /// The unit of the receiving district the step concerns: the lead now,
    /// or the one it was taken from.
    pub department: String,
    pub category: String,
    pub category_name: String,
    pub channel: crate::hotline::Channel,
    pub description: String,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub region: String,
    /// Whom the unit calls back, as the hotline took it.
    pub caller_name: Option<String>,
    pub caller_phone: Option<String>,
    pub media_url: Option<String>,
    pub answers: BTreeMap<String, Vec<String>>,
    pub answer: Option<String>,
    pub lifecycle: Ticket,
    /// When it was asked (microseconds, UTC).
    pub requested_at: i64,
    /// The last of the receiving district's replies on it the city has
    /// taken (taken or not), by the district's numbering; 0 if none.
    pub taken: i64,
    /// What the hotline said with the step, for the unit.
    pub text: String,
}

/// A unit's step on the city's request, as it goes up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// The request's id at the city.
    pub ticket: i64,
    /// The district's numbering of its replies on this request, from 1.
    pub seq: i64,
    pub department: String,
    pub command: Command,
    /// When the unit gave it (microseconds, UTC): the limits count from it.
    pub at: i64,
}

/// Whether a request message from the city is one the city may send `to`:
/// one of the hotline's steps on `ticket/<its id>` concerning a unit of
/// that district, whole.
pub(super) fn citys_request(
    to: &Platform,
    subject: &str,
    event_type: &str,
    facts: &serde_json::Value,
) -> Result<Dispatched, String> {
    if !TICKET_EVENTS.contains(&event_type) {
        return Err(format!("{event_type} is not a step of the hotline's"));
    }
    let d: Dispatched = serde_json::from_value(facts.clone())
        .map_err(|e| format!("the request is not whole: {e}"))?;
    if subject != format!("ticket/{}", d.ticket) {
        return Err(format!("{subject} is not the request {}", d.ticket));
    }
    let district = to.district().unwrap_or_default();
    if district.is_empty() || !d.department.starts_with(district) {
        return Err(format!(
            "the request {} concerns {}, not a unit of {to}",
            d.ticket, d.department
        ));
    }
    Ok(d)
}

/// Whether a reply from `from` is one its unit may send: a unit's step
/// (sign, return, ask for time, answer), by a unit of that district.
pub(super) fn districts_reply(
    from: &Platform,
    event_type: &str,
    facts: &serde_json::Value,
) -> Result<Reply, String> {
    if !UNIT_EVENTS.contains(&event_type) {
        return Err(format!("{event_type} is not a unit's step"));
    }
    let reply: Reply = serde_json::from_value(facts.clone())
        .map_err(|e| format!("the reply is not whole: {e}"))?;
    let district = from.district().unwrap_or_default();
    if district.is_empty() || !reply.department.starts_with(district) {
        return Err(format!("{} is not a unit of {from}", reply.department));
    }
    if reply.command.party() != Party::Unit {
        return Err(format!("{} is not a unit's step", reply.command.name()));
    }
    if reply.seq < 1 {
        return Err(format!("a reply is numbered from 1, not {}", reply.seq));
    }
    Ok(reply)
}

/// Where a request stands on either side of the exchange, for the steps
/// people take on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketSide {
    /// A request of this platform's own, every step taken here.
    Own,
    /// At a district: a copy of the city's request. Its unit's steps are
    /// taken here; the hotline's and the requester's at the city.
    CopyOfCitys,
    /// At the city: a request whose lead unit is of a district that runs a
    /// platform of its own. The unit's steps are taken there.
    HandledBelow,
}

/// Whether a step of `party` may be taken on a request on this side: the
/// refusal that says where it is taken instead.
pub fn ticket_step_here(side: TicketSide, party: Party) -> Result<(), Refusal> {
    match (side, party) {
        (TicketSide::Own, _) | (TicketSide::CopyOfCitys, Party::Unit) => Ok(()),
        (TicketSide::HandledBelow, Party::Unit) => Err(Refusal::conflict(
            "handled_on_district_platform",
            "该单位在本区县平台办理此工单",
            "The unit handles this request on its district's platform",
        )),
        (TicketSide::HandledBelow, _) => Ok(()),
        (TicketSide::CopyOfCitys, _) => Err(Refusal::conflict(
            "decided_at_city",
            "96345 热线的审核、回访和督办在市级平台办理",
            "The hotline's reviews, return visits and urging are done on the city's platform",
        )),
    }
}

/// The copy's state: the city's word, with the unit's replies the city has
/// not yet taken (`pending`, in order) replayed on it, each at the moment
/// it was given. A reply that no longer fits is dropped, as the city will
/// not take it either. Returns the state and the replies still pending.
pub fn replay(
    citys: &Ticket,
    taken: i64,
    pending: &[Reply],
    calendar: &Calendar,
) -> (Ticket, Vec<Reply>) {
    let mut state = citys.clone();
    let mut kept = Vec::new();
    for r in pending.iter().filter(|r| r.seq > taken) {
        let at = crate::clock::from_micros(r.at);
        if let Ok(next) = decide(&state, &r.command, at, calendar) {
            state = next;
            kept.push(r.clone());
        }
    }
    (state, kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hotline::{Limits, RequestKind, TicketState, Urgency};
    use crate::ids::OrgCode;
    use jiff::Timestamp;
    use serde_json::json;

    fn xihu() -> Platform {
        Platform::District("330106".into())
    }

    fn t0() -> Timestamp {
        "2026-03-02T02:00:00Z".parse().unwrap()
    }

    fn dispatched_at(now: Timestamp) -> Ticket {
        let limits = Limits::default_for(Urgency::Normal, RequestKind::Complaint);
        let t = Ticket::accepted(limits, now);
        let lead = OrgCode::parse("330106-012").unwrap();
        decide(
            &t,
            &Command::Dispatch {
                lead,
                assisting: vec![],
            },
            now,
            &Calendar::shipped(),
        )
        .unwrap()
    }

    fn request(ticket: i64) -> Dispatched {
        Dispatched {
            ticket,
            number: "96345-2026-0000007".into(),
            department: "330106-012".into(),
            category: "noise".into(),
            category_name: "噪声扰民".into(),
            channel: crate::hotline::Channel::Phone,
            description: "夜间施工".into(),
            address: Some("文三路 1 号".into()),
            lat: None,
            lon: None,
            region: "330106".into(),
            caller_name: Some("王先生".into()),
            caller_phone: Some("13800000000".into()),
            media_url: None,
            answers: BTreeMap::new(),
            answer: None,
            lifecycle: dispatched_at(t0()),
            requested_at: 0,
            taken: 0,
            text: String::new(),
        }
    }

    fn reply(seq: i64, command: Command, at: i64) -> Reply {
        Reply {
            ticket: 7,
            seq,
            department: "330106-012".into(),
            command,
            at,
        }
    }

    #[test]
    fn a_request_goes_down_only_about_a_unit_of_the_district() {
        let facts = serde_json::to_value(request(7)).unwrap();
        let ok = citys_request(&xihu(), "ticket/7", "hotline.dispatched", &facts);
        assert_eq!(ok, Ok(request(7)));
        let other = Platform::District("330108".into());
        assert!(citys_request(&other, "ticket/7", "hotline.dispatched", &facts).is_err());
        assert!(citys_request(&Platform::City, "ticket/7", "hotline.dispatched", &facts).is_err());
        assert!(citys_request(&xihu(), "ticket/8", "hotline.dispatched", &facts).is_err());
        assert!(citys_request(&xihu(), "ticket/7", "hotline.claimed", &facts).is_err());
        assert!(citys_request(&xihu(), "ticket/7", "hotline.dispatched", &json!({})).is_err());
    }

    #[test]
    fn a_reply_comes_up_only_as_a_units_step_by_a_unit_of_the_sender() {
        let sign = serde_json::to_value(reply(1, Command::Sign, 5)).unwrap();
        assert!(districts_reply(&xihu(), "hotline.signed", &sign).is_ok());
        let other = Platform::District("330108".into());
        assert!(districts_reply(&other, "hotline.signed", &sign).is_err());
        assert!(districts_reply(&xihu(), "hotline.urged", &sign).is_err());
        let review = reply(
            1,
            Command::ReviewAnswer {
                approve: true,
                note: String::new(),
            },
            5,
        );
        let review = serde_json::to_value(review).unwrap();
        assert!(districts_reply(&xihu(), "hotline.answered", &review).is_err());
        let unnumbered = serde_json::to_value(reply(0, Command::Sign, 5)).unwrap();
        assert!(districts_reply(&xihu(), "hotline.signed", &unnumbered).is_err());
    }

    #[test]
    fn each_side_takes_only_its_own_steps() {
        use TicketSide::*;
        for party in [Party::Hotline, Party::Unit, Party::Requester] {
            assert!(ticket_step_here(Own, party).is_ok());
        }
        assert!(ticket_step_here(CopyOfCitys, Party::Unit).is_ok());
        assert!(ticket_step_here(CopyOfCitys, Party::Hotline).is_err());
        assert!(ticket_step_here(CopyOfCitys, Party::Requester).is_err());
        assert!(ticket_step_here(HandledBelow, Party::Unit).is_err());
        assert!(ticket_step_here(HandledBelow, Party::Hotline).is_ok());
        assert!(ticket_step_here(HandledBelow, Party::Requester).is_ok());
    }

    #[test]
    fn the_copy_never_steps_back_behind_the_units_own_replies() {
        let cal = Calendar::shipped();
        let t0 = t0();
        let citys = dispatched_at(t0);
        let at = crate::clock::to_micros(t0) + 60_000_000;
        let sign = reply(1, Command::Sign, at);
        let answer = reply(
            2,
            Command::Answer {
                text: "已处理".into(),
            },
            at + 1,
        );
        // The city's word from before it took either: both replay.
        let (state, kept) = replay(&citys, 0, &[sign.clone(), answer.clone()], &cal);
        assert_eq!(state.state, TicketState::Answered);
        assert_eq!(kept.len(), 2);
        // The city took the signature: only the answer replays on its word.
        let signed = decide(&citys, &Command::Sign, t0, &cal).unwrap();
        let (state, kept) = replay(&signed, 1, &[sign.clone(), answer.clone()], &cal);
        assert_eq!(state.state, TicketState::Answered);
        assert_eq!(kept, vec![answer.clone()]);
        // The city took both: its word stands alone.
        let (state, kept) = replay(&signed, 2, &[sign, answer.clone()], &cal);
        assert_eq!(state, signed);
        assert!(kept.is_empty());
        // A reply that no longer fits the city's word is dropped.
        let (state, kept) = replay(&citys, 1, &[answer], &cal);
        assert_eq!(state, citys);
        assert!(kept.is_empty());
    }
}
