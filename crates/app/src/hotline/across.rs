//! The hotline's dispatch across the two levels
//! (`domain::exchange::tickets`): a request led by a unit of a district
//! that runs its own platform goes down there at every step the city takes
//! on it; the unit's steps on its copy come back up as replies, which the
//! city takes in order, or answers with its own word when it cannot.

use serde_json::json;
use sunshine_domain::clock::from_micros;
use sunshine_domain::exchange::{
    self as exchange_rules, Dispatched, Flow, Message, Platform, Reply, TicketSide,
};
use sunshine_domain::hotline::{self as rules, Command};
use sunshine_domain::ids::OrgCode;
use sunshine_domain::journal::{Entry, NewEntry};
use sunshine_store::hotline as store;
use sunshine_store::WriteTx;

use crate::Result;

/// The district whose own platform a unit's steps on a request are taken
/// on: the lead unit's, when the city trusts that district as a peer.
/// None at a district's platform, and for the city's own units (the city
/// is no peer of its own).
async fn below(tx: &mut WriteTx, unit: Option<&OrgCode>) -> Result<Option<Platform>> {
    match unit {
        Some(u) => crate::exchange::hand_to(tx, u.region().as_str()).await,
        None => Ok(None),
    }
}

/// Which side of the exchange a request is on, for the steps taken on it.
pub(super) async fn side(tx: &mut WriteTx, t: &store::TicketRow) -> Result<TicketSide> {
    Ok(if t.city_ticket.is_some() {
        TicketSide::CopyOfCitys
    } else if below(tx, t.lifecycle.lead.as_ref()).await?.is_some() {
        TicketSide::HandledBelow
    } else {
        TicketSide::Own
    })
}

/// Send the request as it stands after `e` down to the district of the
/// unit that leads on it, and to the district of the unit it was taken
/// from (`before`) if another, in the same commit. `text` is what the
/// step said, for the unit.
pub(super) async fn send_down(
    tx: &mut WriteTx,
    e: &Entry,
    t: &store::TicketRow,
    before: Option<&OrgCode>,
    text: &str,
) -> Result<()> {
    let mut units: Vec<&OrgCode> = t.lifecycle.lead.iter().collect();
    if let Some(b) = before.filter(|b| units.first().is_none_or(|l| l.region() != b.region())) {
        units.push(b);
    }
    for unit in units {
        let Some(district) = below(tx, Some(unit)).await? else {
            continue;
        };
        let taken = store::replies_taken(tx.conn(), t.id, unit.region().as_str()).await?;
        let category_name = store::category(tx.conn(), &t.category)
            .await?
            .map_or_else(|| t.category.clone(), |c| c.name);
        let d = Dispatched {
            ticket: t.id,
            number: t.number(),
            department: unit.to_string(),
            category: t.category.clone(),
            category_name,
            channel: t.channel,
            description: t.description.clone(),
            address: t.address.clone(),
            lat: t.lat,
            lon: t.lon,
            region: t.region.clone(),
            caller_name: t.caller_name.clone(),
            caller_phone: t.caller_phone.clone(),
            media_url: t.media_url.clone(),
            answers: t.answers.clone(),
            answer: t.answer.clone(),
            lifecycle: t.lifecycle.clone(),
            requested_at: t.requested_at,
            taken,
            text: text.to_string(),
        };
        let facts = serde_json::to_value(d).map_err(anyhow::Error::from)?;
        tx.send(e, Flow::Tickets, district, facts);
    }
    Ok(())
}

/// At a district, the unit's step on a copy of the city's request: kept
/// pending beside the copy until the city says it has taken it, and sent
/// up in the same commit.
pub(super) async fn send_up(
    tx: &mut WriteTx,
    e: &Entry,
    t: &store::TicketRow,
    command: &Command,
    at: i64,
) -> Result<()> {
    let (Some(city_ticket), Some(unit)) = (t.city_ticket, t.lifecycle.lead.as_ref()) else {
        return Ok(());
    };
    let mut kept = store::copy_state(tx.conn(), t.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the copy {} of the city's request has no state", t.id))?;
    kept.sent += 1;
    let reply = Reply {
        ticket: city_ticket,
        seq: kept.sent,
        department: unit.to_string(),
        command: command.clone(),
        at,
    };
    kept.pending.push(reply.clone());
    store::put_copy_state(tx.conn(), t.id, &kept).await?;
    let facts = serde_json::to_value(reply).map_err(anyhow::Error::from)?;
    tx.send(e, Flow::Replies, Platform::City, facts);
    Ok(())
}

/// A district's platform takes the city's request, or the city's next
/// step on it: its copy, with the unit's replies the city has not yet
/// taken replayed on the city's word; journaled here as the city
/// platform's doing, and never watched by the district's supervision (the
/// city's times it). `Some(why)` when it cannot be kept here.
pub(crate) async fn take_request(
    tx: &mut WriteTx,
    calendar: &sunshine_domain::calendar::Calendar,
    m: &Message,
    now: i64,
) -> Result<Option<String>> {
    // `open` has checked it whole and about a unit of this district.
    let d: Dispatched = serde_json::from_value(m.facts.clone())
        .map_err(|e| anyhow::anyhow!("a request checked whole is not: {e}"))?;
    let Some(event) = exchange_rules::TICKET_EVENTS
        .into_iter()
        .find(|e| *e == m.event_type)
    else {
        return Err(
            anyhow::anyhow!("a request checked whole has the event {}", m.event_type).into(),
        );
    };
    let copy = store::ticket_of_city(tx.conn(), d.ticket).await?;
    let mut kept = match &copy {
        Some(c) => store::copy_state(tx.conn(), c.id).await?,
        None => None,
    }
    .unwrap_or_default();
    let (lifecycle, pending) =
        exchange_rules::replay(&d.lifecycle, d.taken, &kept.pending, calendar);
    let answer = pending
        .iter()
        .rev()
        .find_map(|r| match &r.command {
            Command::Answer { text } => Some(text.clone()),
            _ => None,
        })
        .or(d.answer.clone());
    kept.pending = pending;
    let mut t = match copy {
        Some(mut c) => {
            c.lifecycle = lifecycle;
            c.answer = answer;
            c.updated_at = now;
            store::update_ticket(tx.conn(), &c).await?;
            c
        }
        None => {
            let mut c = store::TicketRow {
                id: 0,
                token: format!("city-{}", d.ticket),
                query_code: String::new(),
                category: d.category.clone(),
                channel: d.channel,
                description: d.description.clone(),
                lat: d.lat,
                lon: d.lon,
                address: d.address.clone(),
                region: d.region.clone(),
                caller_name: d.caller_name.clone(),
                caller_phone: d.caller_phone.clone(),
                email: None,
                requester_user: None,
                client: None,
                device_id: None,
                account_id: None,
                media_url: d.media_url.clone(),
                answers: d.answers.clone(),
                answer,
                merged_into: None,
                lifecycle,
                requested_at: d.requested_at,
                updated_at: now,
                city_ticket: Some(d.ticket),
            };
            c.id = store::insert_ticket(tx.conn(), &c).await?;
            c
        }
    };
    store::put_copy_state(tx.conn(), t.id, &kept).await?;
    t.updated_at = now;
    let journaled = tx
        .journal(
            now,
            NewEntry {
                actor: format!("platform:{}", m.from),
                org: d.department.clone(),
                subject: format!("ticket/{}", t.id),
                event_type: event,
                payload: json!({"number": d.number, "state": t.state().as_str(),
                    "lead": t.lifecycle.lead, "city_ticket": d.ticket, "category": d.category_name,
                    "msg_id": m.id}),
            },
        )
        .await?;
    let text = if d.text.is_empty() {
        event.to_string()
    } else {
        d.text.clone()
    };
    // The city's taking of the unit's own step is in the copy's history
    // already, as the unit took it.
    if !exchange_rules::UNIT_EVENTS.contains(&event) {
        let name = format!("platform:{}", m.from);
        super::lifecycle::note(tx, &t, &name, event, text, false, journaled.seq).await?;
    }
    Ok(None)
}

/// The city takes a unit's reply from its district's platform: the step
/// as if the unit had taken it here, at the moment it took it there. A
/// reply the request no longer allows is not taken, and the city's word
/// goes down instead, so that the copy drops it. `Some(why)` when it is
/// not taken; the reply stays in the message log.
pub(crate) async fn take_reply(
    tx: &mut WriteTx,
    orgs: &crate::OrgDirectory,
    calendar: &sunshine_domain::calendar::Calendar,
    m: &Message,
    now: i64,
) -> Result<Option<String>> {
    let reply: Reply = serde_json::from_value(m.facts.clone())
        .map_err(|e| anyhow::anyhow!("a reply checked whole is not: {e}"))?;
    let Some(mut t) = store::ticket(tx.conn(), reply.ticket).await? else {
        return Ok(Some(format!("there is no request {} here", reply.ticket)));
    };
    let district = m.from.district().unwrap_or_default().to_string();
    let unit: Option<OrgCode> = OrgCode::parse(&reply.department).ok();
    let before = t.lifecycle.lead.clone();
    let leads_there = before.as_ref().map(|l| l.to_string()) == Some(reply.department.clone())
        && below(tx, before.as_ref()).await?.as_ref() == Some(&m.from);
    // Why not, in Chinese for the unit's page and in English for the log.
    let decided = if leads_there {
        let at = from_micros(reply.at);
        rules::decide(&t.lifecycle, &reply.command, at, calendar)
            .map_err(|r| (r.message.zh.clone(), r.message.en.clone()))
    } else {
        Err((
            "该工单已不由本单位承办".to_string(),
            format!(
                "the request {} is not led by {} of {}",
                reply.ticket, reply.department, m.from
            ),
        ))
    };
    store::set_replies_taken(tx.conn(), t.id, &district, reply.seq).await?;
    let actor = format!("platform:{}", m.from);
    match decided {
        Ok(next) => {
            if let Command::Answer { text } = &reply.command {
                t.answer = Some(text.trim().to_string());
            }
            t.lifecycle = next;
            t.updated_at = now;
            store::update_ticket(tx.conn(), &t).await?;
            let by = (actor, reply.department.clone(), Some(m.id.clone()));
            super::lifecycle::record_step(tx, orgs, &t, &reply.command, before.as_ref(), by, now)
                .await?;
            Ok(None)
        }
        Err((why_zh, why)) => {
            let journaled = tx
                .journal(
                    now,
                    NewEntry {
                        actor,
                        org: reply.department.clone(),
                        subject: format!("ticket/{}", t.id),
                        event_type: exchange_rules::REPLY_NOT_TAKEN,
                        payload: json!({"seq": reply.seq, "command": reply.command.name(),
                            "why": why, "msg_id": m.id}),
                    },
                )
                .await?;
            let text = format!(
                "{}未获采纳：{why_zh}",
                rules::command_label_zh(&reply.command)
            );
            // The district's copy hears the city's word, whoever leads now.
            send_down(tx, &journaled, &t, unit.as_ref(), &text).await?;
            Ok(Some(format!(
                "the reply {} ({}) is not taken: {why}",
                reply.seq,
                reply.command.name()
            )))
        }
    }
}
