//! The lifecycle commands on a ticket, merging alike requests, and what the
//! journal and the public are told of each step.

use super::{across, ticket_not_found, Reader, CITY};
use super::{KeyRow, TicketRow, UpdateRow};
use crate::journal_entry::entry;
use crate::{App, OrgDirectory, Result};
use serde_json::json;
use sunshine_domain::clock::from_micros;
use sunshine_domain::exchange::{self as exchange_rules, TicketSide};
use sunshine_domain::hotline::{self as rules, Command, Party, RequestText, Ticket, TicketState};
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::journal::NewEntry;
use sunshine_domain::refusal::Refusal;
use sunshine_store::hotline as store;
use sunshine_store::WriteTx;

/// What supervision watches of a ticket (in its journal entries, which
/// supervision reads): the unit answerable for the limit running now (the
/// city's hotline until it is dispatched), and that limit's moment, keyed by
/// stage and round so that a limit that comes again (after a re-dispatch or
/// a redo) is a new one.
pub(super) fn watch(t: &store::TicketRow) -> serde_json::Value {
    let l = &t.lifecycle;
    let stage: i64 = match l.state {
        TicketState::Accepted => 0,
        TicketState::Dispatched => 1,
        TicketState::Signed | TicketState::ExtensionRequested => 2,
        _ => 9,
    };
    let department = l
        .lead
        .as_ref()
        .map_or_else(|| CITY.to_string(), |u| u.to_string());
    let region = l
        .lead
        .as_ref()
        .map_or_else(|| CITY.to_string(), |u| u.region().to_string());
    json!({
        "number": t.number(),
        "department": department,
        "region": region,
        "due": l.next_deadline(),
        "key": stage * 10_000 + i64::from(l.redispatches.min(99)) * 100 + i64::from(l.redos.min(99)),
    })
}

/// The journal's name for each command.
fn event(c: &Command) -> &'static str {
    match c {
        Command::AnswerDirectly { .. } => "hotline.answered_directly",
        Command::Dispatch { .. } => "hotline.dispatched",
        Command::Sign => "hotline.signed",
        Command::Return { .. } => "hotline.returned",
        Command::ReviewReturn { .. } => "hotline.return_reviewed",
        Command::RequestExtension { .. } => "hotline.extension_requested",
        Command::ReviewExtension { .. } => "hotline.extension_reviewed",
        Command::Answer { .. } => "hotline.answered",
        Command::ReviewAnswer { .. } => "hotline.answer_reviewed",
        Command::Visit { .. } => "hotline.visited",
        Command::Urge { .. } => "hotline.urged",
    }
}

/// What the public is told of a step (Open311's status notes, mySociety's
/// updates, the requester's page), or `None` for staff-only steps.
fn public_note(c: &Command, next: &Ticket, orgs: &OrgDirectory) -> Option<String> {
    let unit = |o: &Option<OrgCode>| {
        o.as_ref()
            .map(|code| {
                orgs.get(code.as_str())
                    .map_or(code.to_string(), |org| org.name.clone())
            })
            .unwrap_or_default()
    };
    match c {
        Command::AnswerDirectly { answer } => Some(answer.trim().to_string()),
        Command::Dispatch { .. } => Some(format!("已转交{}办理", unit(&next.lead))),
        Command::Sign => Some(format!("{}已签收，正在办理", unit(&next.lead))),
        Command::ReviewAnswer { approve: true, .. } => Some("办理结果已审核，等待回访".into()),
        Command::Visit {
            satisfied: true, ..
        } => Some("回访满意，已归档".into()),
        Command::Visit {
            satisfied: false, ..
        } => Some("回访不满意，已要求重新办理".into()),
        Command::ReviewExtension { approve: true, .. } => {
            next.answer_due.map(|d| format!("办理期限延长至{d}"))
        }
        _ => None,
    }
}

impl App {
    /// A command on a ticket, by the party it belongs to: operators for the
    /// hotline's steps, the lead unit's staff for theirs, the requester (or
    /// an operator on the phone with them) for the return visit.
    pub async fn ticket_command(
        &self,
        actor: &Actor,
        id: i64,
        command: Command,
    ) -> Result<TicketRow> {
        let now = self.clock.now();
        let reader = actor.clone();
        let (actor, orgs, calendar) = (actor.clone(), self.orgs(), self.calendar.clone());
        if let Command::Dispatch { lead, assisting } = &command {
            for (field, unit) in
                std::iter::once(("lead", lead)).chain(assisting.iter().map(|a| ("assisting", a)))
            {
                if !orgs.tree.contains(unit) {
                    return Err(Refusal::field(
                        field,
                        "没有这个单位",
                        format!("No such unit: {unit}"),
                    )
                    .into());
                }
            }
        }
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<store::TicketRow> {
                let mut t = store::ticket(tx.conn(), id)
                    .await?
                    .ok_or_else(ticket_not_found)?;
                may_command(&orgs, &actor, &t, &command)?;
                let side = across::side(tx, &t).await?;
                exchange_rules::ticket_step_here(side, command.party())?;
                let before = t.lifecycle.lead.clone();
                let next = rules::decide(&t.lifecycle, &command, now, &calendar)?;
                let at = sunshine_domain::clock::to_micros(now);
                match &command {
                    Command::AnswerDirectly { answer } => {
                        t.answer = Some(answer.trim().to_string())
                    }
                    Command::Answer { text } => t.answer = Some(text.trim().to_string()),
                    _ => {}
                }
                t.lifecycle = next;
                t.updated_at = at;
                store::update_ticket(tx.conn(), &t).await?;
                let name = actor.journal_name();
                if side == TicketSide::CopyOfCitys {
                    // The city's request: the city's supervision times it,
                    // and the district publishes nothing of it.
                    let payload = json!({
                        "command": command,
                        "state": t.state().as_str(),
                        "lead": t.lifecycle.lead,
                        "next_deadline": t.lifecycle.next_deadline(),
                        "city_ticket": t.city_ticket,
                    });
                    let journaled = tx
                        .journal(
                            at,
                            entry(&actor, format!("ticket/{id}"), event(&command), payload),
                        )
                        .await?;
                    let text = staff_note(&command);
                    note(tx, &t, &name, event(&command), text, false, journaled.seq).await?;
                    across::send_up(tx, &journaled, &t, &command, at).await?;
                } else {
                    let org = actor
                        .org
                        .as_ref()
                        .map(|o| o.as_str().to_string())
                        .unwrap_or_default();
                    let by = (name, org, None);
                    record_step(tx, &orgs, &t, &command, before.as_ref(), by, at).await?;
                }
                Ok(t)
            })
            .await
            .map(|t| self.as_seen_by(&reader, t).into())
    }

    /// Merge a request into an earlier open one like it; its requester is
    /// told, and hears the primary's answer when it comes.
    pub async fn merge_ticket(&self, actor: &Actor, id: i64, into: i64) -> Result<TicketRow> {
        self.authorize_centre(actor, crate::CentreWork::OperateHotline)?;
        if id == into {
            return Err(Refusal::field(
                "into",
                "不能合并到自身",
                "A request is not merged into itself",
            )
            .into());
        }
        let (actor, now) = (actor.clone(), self.now_micros());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<store::TicketRow> {
                let mut t = store::ticket(tx.conn(), id)
                    .await?
                    .ok_or_else(ticket_not_found)?;
                let primary = store::ticket(tx.conn(), into).await?.ok_or_else(|| {
                    crate::AppError::from(Refusal::field("into", "没有这个工单", "No such request"))
                })?;
                let side = across::side(tx, &t).await?;
                exchange_rules::ticket_step_here(side, sunshine_domain::hotline::Party::Hotline)?;
                if primary.state().is_final() {
                    return Err(Refusal::field(
                        "into",
                        "只能合并到未办结的工单",
                        "Merge only into an open request",
                    )
                    .into());
                }
                let before = t.lifecycle.lead.clone();
                t.lifecycle = rules::merge(&t.lifecycle)?;
                t.merged_into = Some(into);
                t.updated_at = now;
                store::update_ticket(tx.conn(), &t).await?;
                let journaled = tx
                    .journal(
                        now,
                        entry(
                            &actor,
                            format!("ticket/{id}"),
                            "hotline.merged",
                            json!({"into": into, "watch": watch(&t)}),
                        ),
                    )
                    .await?;
                let text = format!(
                    "与相同诉求合并办理（{}）",
                    rules::ticket_number(from_micros(primary.requested_at), into)
                );
                note(
                    tx,
                    &t,
                    &actor.journal_name(),
                    "hotline.merged",
                    text.clone(),
                    true,
                    journaled.seq,
                )
                .await?;
                across::send_down(tx, &journaled, &t, before.as_ref(), &text).await?;
                Ok(t)
            })
            .await
            .map(Into::into)
    }

    /// A comment from another system on a request (mySociety's
    /// `servicerequestupdates` POST): kept as a public update and journaled;
    /// it changes no state, which is the hotline's and the unit's to change.
    /// A client comments only on the requests it filed, unless its key was
    /// issued to comment on all; to it, another's request is not there.
    pub async fn comment_on_ticket(
        &self,
        key: &KeyRow,
        id: i64,
        text: &str,
        media_url: Option<&str>,
    ) -> Result<UpdateRow> {
        let text = text.trim().to_string();
        rules::check_request(&RequestText {
            description: &text,
            media_url,
            ..Default::default()
        })?;
        if text.is_empty() {
            return Err(Refusal::field("description", "请填写内容", "Say something").into());
        }
        let text = match media_url {
            Some(url) => format!("{text}\n{url}"),
            None => text,
        };
        let (actor, now) = (format!("open311:{}", key.client), self.now_micros());
        let (client, on_all) = (key.client.clone(), key.may_comment_on_all);
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<store::UpdateRow> {
                let mut t = store::ticket(tx.conn(), id)
                    .await?
                    .filter(|t| on_all || t.client.as_deref() == Some(client.as_str()))
                    .ok_or_else(ticket_not_found)?;
                t.updated_at = now;
                store::update_ticket(tx.conn(), &t).await?;
                let journaled = tx
                    .journal(
                        now,
                        system_entry(
                            &actor,
                            id,
                            "hotline.commented",
                            json!({"chars": text.chars().count()}),
                        ),
                    )
                    .await?;
                let mut u = store::UpdateRow {
                    id: 0,
                    ticket_id: id,
                    at: now,
                    actor,
                    event: "hotline.commented".into(),
                    state: t.state(),
                    text,
                    public: true,
                    journal_seq: journaled.seq,
                };
                u.id = store::insert_update(tx.conn(), &u).await?;
                Ok(u)
            })
            .await
            .map(Into::into)
    }
}

/// Journal a step taken on a request (here, or by a unit on its district's
/// platform: `by` names who, in which organisation, and the message it
/// came in), tell the public what it is told, close the requests merged
/// into it once its answer stands, and send it down to the district whose
/// unit leads or led on it.
pub(super) async fn record_step(
    tx: &mut WriteTx,
    orgs: &OrgDirectory,
    t: &store::TicketRow,
    command: &Command,
    before: Option<&OrgCode>,
    (actor, org, msg_id): (String, String, Option<String>),
    at: i64,
) -> Result<()> {
    let mut payload = json!({
        "command": command,
        "state": t.state().as_str(),
        "lead": t.lifecycle.lead,
        "next_deadline": t.lifecycle.next_deadline(),
        "escalated": rules::escalated(t.lifecycle.urges),
        "watch": watch(t),
    });
    if let Some(id) = msg_id {
        payload["msg_id"] = json!(id);
    }
    let journaled = tx
        .journal(
            at,
            NewEntry {
                actor: actor.clone(),
                org,
                subject: format!("ticket/{}", t.id),
                event_type: event(command),
                payload,
            },
        )
        .await?;
    let (public, text) = match public_note(command, &t.lifecycle, orgs) {
        Some(text) => (true, text),
        None => (false, staff_note(command)),
    };
    note(
        tx,
        t,
        &actor,
        event(command),
        text.clone(),
        public,
        journaled.seq,
    )
    .await?;
    // Merged requests share the answer once it stands, and close with it.
    if t.state() == TicketState::AwaitingVisit || t.state() == TicketState::Archived {
        close_merged(tx, t, &actor, at).await?;
    }
    across::send_down(tx, &journaled, t, before, &text).await
}

/// Whether the actor may give this command on this ticket; anyone who may
/// not see it is told it is not there.
fn may_command(
    orgs: &OrgDirectory,
    actor: &Actor,
    t: &store::TicketRow,
    c: &Command,
) -> Result<()> {
    let reader = Reader::of(orgs, actor, t);
    let allowed = match c.party() {
        Party::Hotline => reader.operator,
        Party::Unit => reader.unit,
        Party::Requester => reader.operator || reader.own,
    };
    if allowed {
        return Ok(());
    }
    if reader.sees() {
        return Err(Refusal::forbidden(
            "forbidden",
            "这一步不由您办理",
            "This step is not yours to take",
        )
        .into());
    }
    Err(ticket_not_found())
}

/// What staff see of a step that the public does not.
fn staff_note(c: &Command) -> String {
    match c {
        Command::Return { reason } => format!("退单：{}", reason.trim()),
        Command::ReviewReturn { approve, note } => format!(
            "退单审核{}：{}",
            if *approve { "同意" } else { "不同意" },
            note.trim()
        ),
        Command::RequestExtension { days, reason } => {
            format!("申请延期{days}个工作日：{}", reason.trim())
        }
        Command::ReviewExtension { note, .. } => format!("不同意延期：{}", note.trim()),
        Command::Answer { text } => format!("办结反馈：{}", text.trim()),
        Command::ReviewAnswer { note, .. } => format!("办理结果退回：{}", note.trim()),
        Command::Urge { note } => format!("催办：{}", note.trim()),
        other => other.name().to_string(),
    }
}

pub(super) fn system_entry(
    actor: &str,
    id: i64,
    event_type: &'static str,
    payload: serde_json::Value,
) -> NewEntry {
    NewEntry {
        actor: actor.to_string(),
        org: String::new(),
        subject: format!("ticket/{id}"),
        event_type,
        payload,
    }
}

pub(super) async fn note(
    tx: &mut WriteTx,
    t: &store::TicketRow,
    actor: &str,
    event: &str,
    text: String,
    public: bool,
    journal_seq: i64,
) -> Result<()> {
    store::insert_update(
        tx.conn(),
        &store::UpdateRow {
            id: 0,
            ticket_id: t.id,
            at: t.updated_at,
            actor: actor.to_string(),
            event: event.to_string(),
            state: t.state(),
            text,
            public,
            journal_seq,
        },
    )
    .await?;
    Ok(())
}

/// Tell every request merged into `primary` its answer, and archive them
/// with it once it is archived.
async fn close_merged(
    tx: &mut WriteTx,
    primary: &store::TicketRow,
    actor: &str,
    at: i64,
) -> Result<()> {
    let filter = store::TicketFilter {
        states: vec![TicketState::Merged],
        merged_into: Some(primary.id),
        limit: 10_000,
        ..Default::default()
    };
    let merged = store::tickets(tx.conn(), &filter).await?;
    for mut m in merged {
        m.answer = primary.answer.clone();
        if primary.state() == TicketState::Archived {
            m.lifecycle = rules::close_merged(&m.lifecycle);
        }
        m.updated_at = at;
        store::update_ticket(tx.conn(), &m).await?;
        let journaled = tx
            .journal(
                at,
                system_entry(
                    actor,
                    m.id,
                    "hotline.merged_answered",
                    json!({"primary": primary.id, "state": m.state().as_str(), "watch": watch(&m)}),
                ),
            )
            .await?;
        let text = primary.answer.clone().unwrap_or_default();
        note(
            tx,
            &m,
            actor,
            "hotline.merged_answered",
            text,
            true,
            journaled.seq,
        )
        .await?;
    }
    Ok(())
}
