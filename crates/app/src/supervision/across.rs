//! Supervision across the two levels (`domain::exchange::cards`): the
//! city's cards on a district's units go down to the district's platform
//! as they are issued and decided; a unit's answer (回告) on the copy comes
//! back up to the city's card.

use sunshine_domain::exchange::{
    self as exchange_rules, Answer, Card, CardSide, Flow, Message, Platform,
};

use super::*;
use crate::exchange::Effect;

/// The district whose own platform a city's card goes down to: a card on
/// one of the district's cases or on a hotline request (whose unit handles
/// it there), when the city trusts the district as a peer (read in the
/// card's own write). None at a district's platform.
pub(crate) async fn below(tx: &mut WriteTx, s: &store::SignalRow) -> Result<Option<Platform>> {
    if s.city_signal.is_some() || !exchange_rules::goes_down(&s.case_number, &s.region) {
        return Ok(None);
    }
    crate::exchange::hand_to(tx, &s.region).await
}

/// Which side of the exchange a card is on, for the commands given on it.
pub(crate) async fn side(tx: &mut WriteTx, s: &store::SignalRow) -> Result<CardSide> {
    Ok(if s.city_signal.is_some() {
        CardSide::CopyOfCitys
    } else if below(tx, s).await?.is_some() {
        CardSide::AnsweredBelow
    } else {
        CardSide::Own
    })
}

/// Send the city's card as it stands after `e` (its issue, or a decision
/// on it) down to the district whose unit it is on, in the same commit.
pub(crate) async fn send_down(tx: &mut WriteTx, e: &Entry, s: &store::SignalRow) -> Result<()> {
    let Some(district) = below(tx, s).await? else {
        return Ok(());
    };
    let card = Card {
        signal: s.id,
        case: s.case_number.clone(),
        rule: s.rule.as_str().to_string(),
        level: s.level.as_str().to_string(),
        step: s.step,
        cause: s.cause,
        department: s.department.clone(),
        region: s.region.clone(),
        due_at: s.due_at,
        state: s.state.as_str().to_string(),
        text: s.last_text.clone(),
    };
    let facts = serde_json::to_value(card).map_err(anyhow::Error::from)?;
    tx.send(e, Flow::Cards, district, facts);
    Ok(())
}

/// Send the unit's answer on a copy of the city's card up to the city.
pub(crate) fn send_up(tx: &mut WriteTx, e: &Entry, s: &store::SignalRow, text: &str) -> Result<()> {
    let Some(signal) = s.city_signal else {
        return Ok(());
    };
    let answer = Answer {
        signal,
        department: s.department.clone(),
        text: text.to_string(),
    };
    let facts = serde_json::to_value(answer).map_err(anyhow::Error::from)?;
    tx.send(e, Flow::Answers, Platform::City, facts);
    Ok(())
}

/// A district's platform takes the city's card, or the city's decision on
/// one: its copy among the unit's signals, journaled here as the city's
/// doing. Refused when the card cannot be kept here. A card on a hotline
/// request is kept even before the request's copy has come down (the two
/// flows keep no order between them, and a card waiting for it would hold
/// back every card after it): its link leads to the copy once it is here.
pub(crate) async fn take_card(tx: &mut WriteTx, m: &Message, now: i64) -> Result<Effect> {
    // `open` has checked it whole, on a case and a unit of this district.
    let card: Card = serde_json::from_value(m.facts.clone())
        .map_err(|e| anyhow::anyhow!("a card checked whole is not: {e}"))?;
    let (Some(rule), Some(level), Some(state)) = (
        RuleCode::parse(&card.rule),
        Level::parse(&card.level),
        SignalState::parse(&card.state),
    ) else {
        return Err(anyhow::anyhow!("a card checked whole names no rule, level or state").into());
    };
    let Some(event) = exchange_rules::CARD_EVENTS
        .into_iter()
        .find(|e| *e == m.event_type)
    else {
        return Err(anyhow::anyhow!("a card checked whole has the event {}", m.event_type).into());
    };
    let actor = format!("platform:{}", m.from);
    let (id, payload) = match store::signal_of_city(tx.conn(), card.signal).await? {
        Some(copy) => {
            store::set_signal_state(tx.conn(), copy.id, state, card.text.as_deref(), now).await?;
            let payload = json!({"case": card.case, "rule": card.rule, "state": card.state,
                "text": card.text, "city_signal": card.signal, "msg_id": m.id});
            (copy.id, payload)
        }
        None => {
            // A red card that follows up a yellow one names the yellow
            // card's copy here.
            let cause = if rule == RuleCode::YellowUnrectified {
                store::signal_of_city(tx.conn(), card.cause)
                    .await?
                    .map_or(0, |y| y.id)
            } else {
                card.cause
            };
            let row = store::SignalRow {
                id: 0,
                case_number: card.case.clone(),
                rule,
                step: card.step,
                cause,
                level,
                rules_version: 0,
                department: card.department.clone(),
                region: card.region.clone(),
                responsible: None,
                evidence: vec![],
                state,
                due_at: card.due_at,
                issued_at: now,
                updated_at: now,
                last_text: card.text.clone(),
                city_signal: Some(card.signal),
            };
            let Some(id) = store::insert_signal(tx.conn(), &row).await? else {
                return Ok(Effect::Refused(format!(
                    "a copy of another of the city's cards is kept here for {} {} (step {}, cause {})",
                    card.case, card.rule, card.step, cause
                )));
            };
            let payload = json!({"case": card.case, "rule": card.rule, "level": card.level,
                "step": (card.step >= 0).then_some(card.step), "department": card.department,
                "due_at": card.due_at, "state": card.state, "city_signal": card.signal, "msg_id": m.id});
            (id, payload)
        }
    };
    tx.journal(
        now,
        sunshine_domain::journal::NewEntry {
            actor,
            org: card.department.clone(),
            subject: format!("signal/{id}"),
            event_type: event,
            payload,
        },
    )
    .await?;
    Ok(Effect::Done)
}

/// The city takes a unit's answer on one of its cards, sent from the unit's
/// district: the card is responded to, as if the unit had answered here.
/// `Some(why)` when it cannot be (not that district's card, or the card
/// was decided meanwhile); the answer stays in the message log.
pub(crate) async fn take_answer(
    tx: &mut WriteTx,
    calendar: &sunshine_domain::calendar::Calendar,
    m: &Message,
    now: i64,
) -> Result<Option<String>> {
    let answer: Answer = serde_json::from_value(m.facts.clone())
        .map_err(|e| anyhow::anyhow!("an answer checked whole is not: {e}"))?;
    let Some(s) = store::signal(tx.conn(), answer.signal).await? else {
        return Ok(Some(format!("there is no card {} here", answer.signal)));
    };
    if s.department != answer.department || below(tx, &s).await?.as_ref() != Some(&m.from) {
        return Ok(Some(format!(
            "the card {} is not on a unit of {}",
            answer.signal, m.from
        )));
    }
    let command = SignalCommand::Respond {
        text: answer.text.clone(),
    };
    let Ok(next) = rules::next_signal_state(s.state, &command) else {
        return Ok(Some(format!(
            "the card {} is {} here: the answer is kept in this log, not applied",
            answer.signal,
            s.state.as_str()
        )));
    };
    let by = (format!("platform:{}", m.from), answer.department.clone());
    super::move_signal(tx, calendar, &s, &command, next, by, Some(&m.id), now).await?;
    Ok(None)
}
