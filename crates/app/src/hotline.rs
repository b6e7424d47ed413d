//! The 96345 hotline's use cases: requests taken from every channel, the
//! lifecycle commands of operators, units and requesters, merging alike
//! requests, the categories and their dispatch catalogue, and the keys of
//! the Open311 clients.

use crate::access::{ReadOf, StaffRead};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use sunshine_domain::access::{ReadKind, ReadPurpose};

use jiff::Timestamp;
use serde_json::json;
use sha2::{Digest, Sha256};
use sunshine_domain::clock::from_micros;
use sunshine_domain::hotline::open311::{check_answers, check_definition};
use sunshine_domain::hotline::{
    self as rules, alike, Channel, Command, Likeness, Party, RequestText, Ticket, TicketState,
    DUPLICATE_WINDOW,
};
use sunshine_domain::hotline::{community, knowledge};
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::journal::NewEntry;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{FieldErrors, Refusal};
use sunshine_store::hotline::community as communitydb;
use sunshine_store::hotline::knowledge as kb;
use sunshine_store::hotline::{
    self as store, CategoryRow, KeyRow, TicketFilter, TicketRow, UpdateRow,
};
use sunshine_store::WriteTx;

use crate::identity::{entry, random_token};
use crate::{allow, App, OrgDirectory, Result};

/// The categories as last read, by code. An edit clears it and moves its
/// generation on, so that a read begun before the edit is not kept.
#[derive(Debug, Clone, Default)]
pub struct CategoryCache(Arc<RwLock<(u64, Option<Categories>)>>);

/// Every category by code.
type Categories = Arc<BTreeMap<String, CategoryRow>>;

impl CategoryCache {
    fn get(&self) -> (u64, Option<Categories>) {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
    fn keep(&self, generation: u64, all: Categories) {
        let mut cache = self.0.write().unwrap_or_else(|p| p.into_inner());
        if cache.0 == generation {
            cache.1 = Some(all);
        }
    }
    fn clear(&self) {
        let mut cache = self.0.write().unwrap_or_else(|p| p.into_inner());
        *cache = (cache.0 + 1, None);
    }
}

/// Who brings a request in, which also says by which channel.
#[derive(Debug, Clone)]
pub enum Source {
    /// An operator taking a call.
    Operator(Actor),
    /// A citizen or an enterprise on the portal.
    Citizen(Actor),
    /// Another system through Open311, by its client name.
    Client(String),
    /// A community kiosk or the digital-TV zone, without signing in.
    Kiosk,
    Tv,
}

impl Source {
    fn channel(&self) -> Channel {
        match self {
            Source::Operator(_) => Channel::Phone,
            Source::Citizen(_) => Channel::Web,
            Source::Client(_) => Channel::Open311,
            Source::Kiosk => Channel::Kiosk,
            Source::Tv => Channel::Tv,
        }
    }
    fn journal_name(&self) -> String {
        match self {
            Source::Operator(a) | Source::Citizen(a) => a.journal_name(),
            Source::Client(c) => format!("open311:{c}"),
            Source::Kiosk => "kiosk".into(),
            Source::Tv => "tv".into(),
        }
    }
}

/// A request as it comes in.
#[derive(Debug, Clone, Default)]
pub struct NewRequest {
    pub category: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    /// The district (its region code) when the caller says it.
    pub district: Option<String>,
    pub caller_name: Option<String>,
    pub caller_phone: Option<String>,
    pub email: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub media_url: Option<String>,
    /// Answers to the category's questions (`attribute[CODE]`).
    pub answers: BTreeMap<String, Vec<String>>,
}

/// A request taken, and the open ones it looks like (offered for merging).
#[derive(Debug, Clone)]
pub struct Taken {
    pub ticket: TicketRow,
    pub alike: Vec<i64>,
}

fn ticket_not_found() -> crate::AppError {
    Refusal::not_found("工单", "Service request").into()
}

fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn is_government(orgs: &OrgDirectory, code: &OrgCode) -> bool {
    orgs.get(code.as_str())
        .is_some_and(|o| o.kind.is_government())
}

/// POSTs a minute an Open311 key allows unless it is issued with another limit.
pub const DEFAULT_PER_MINUTE: i64 = 600;

/// What supervision watches of a ticket (in its journal entries, which
/// supervision reads): the unit answerable for the limit running now (the
/// city's hotline until it is dispatched), and that limit's moment, keyed by
/// stage and round so that a limit that comes again (after a re-dispatch or
/// a redo) is a new one.
fn watch(t: &TicketRow) -> serde_json::Value {
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
        "number": rules::ticket_number(from_micros(t.requested_at), t.id),
        "department": department,
        "region": region,
        "due": l.next_deadline(),
        "key": stage * 10_000 + i64::from(l.redispatches.min(99)) * 100 + i64::from(l.redos.min(99)),
    })
}

/// The city, where a request with no district belongs.
const CITY: &str = "330100";

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
    /// Take a request from any channel: check it against its category,
    /// store it with its clocks running, journal it, and say which open
    /// requests it looks like.
    pub async fn take_request(&self, source: Source, r: NewRequest) -> Result<Taken> {
        if let Source::Operator(a) = &source {
            self.authorize_centre(a, crate::CentreWork::OperateHotline)?;
        }
        if let Source::Citizen(a) = &source {
            self.authorize(a, &Action::ApplyOnline)?;
        }
        let trim = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let (address, caller_phone, email, media_url) = (
            trim(r.address),
            trim(r.caller_phone),
            trim(r.email),
            trim(r.media_url),
        );
        let point = r.lat.zip(r.lon);
        if r.lat.is_some() != r.lon.is_some() {
            return Err(
                Refusal::field("long", "经纬度须同时提供", "Give both lat and long").into(),
            );
        }
        let description = r.description.trim().to_string();
        // Every fault of the request at once, so that a form can mark each field.
        let mut faults = FieldErrors::default();
        if let Err(refused) = rules::check_request(&RequestText {
            description: &description,
            point,
            address: address.as_deref(),
            phone: caller_phone.as_deref(),
            email: email.as_deref(),
            media_url: media_url.as_deref(),
            lines: [
                ("name", r.caller_name.as_deref()),
                ("device_id", r.device_id.as_deref()),
                ("account_id", r.account_id.as_deref()),
            ]
            .into_iter()
            .filter_map(|(field, v)| v.map(|v| (field, v)))
            .collect(),
            channel: Some(source.channel()),
        }) {
            faults.absorb(refused);
        }
        let category = match self.all_categories().await?.get(r.category.trim()) {
            Some(c) if c.active => Some(c.clone()),
            _ => {
                faults.add("service_code", "没有这个服务类别", "No such service");
                None
            }
        };
        let answers = match category
            .as_ref()
            .map(|c| check_answers(&c.attributes, &r.answers))
        {
            Some(Ok(answers)) => answers,
            Some(Err(refused)) => {
                faults.absorb(refused);
                BTreeMap::new()
            }
            None => BTreeMap::new(),
        };
        let region = match trim(r.district) {
            None => CITY.to_string(),
            Some(d) => match OrgCode::parse(&d) {
                Ok(code) if is_government(&self.orgs(), &code) => code.to_string(),
                _ => {
                    faults.add("district", "没有这个区县", "No such district");
                    String::new()
                }
            },
        };
        faults.check()?;
        let Some(category) = category else {
            return Err(
                Refusal::field("service_code", "没有这个服务类别", "No such service").into(),
            );
        };
        let now = self.clock.now();
        let at = sunshine_domain::clock::to_micros(now);
        let mut conn = self.db.read().await?;
        let since =
            sunshine_domain::clock::to_micros(now.saturating_sub(DUPLICATE_WINDOW).unwrap_or(now));
        // Two requests alike are within 100 m; 0.002° is more than that either way here.
        let candidates = store::alike_candidates(
            &mut conn,
            &category.code,
            since,
            point,
            0.002,
            address.as_deref(),
            caller_phone.as_deref(),
        )
        .await?;
        drop(conn);
        let likeness = Likeness {
            category: &category.code,
            point,
            address: address.as_deref(),
            caller: caller_phone.as_deref(),
            at: now,
        };
        let alike_ids: Vec<i64> = candidates
            .iter()
            .filter(|t| {
                alike(
                    &likeness,
                    &Likeness {
                        category: &category.code,
                        point: t.lat.zip(t.lon),
                        address: t.address.as_deref(),
                        caller: t.caller_phone.as_deref(),
                        at: from_micros(t.requested_at),
                    },
                )
            })
            .map(|t| t.id)
            .collect();
        let requester_user = match &source {
            Source::Citizen(a) => Some(a.user_id),
            _ => None,
        };
        let client = match &source {
            Source::Client(c) => Some(c.clone()),
            _ => None,
        };
        let mut row = TicketRow {
            id: 0,
            token: random_token(),
            query_code: crate::hall::new_query_code().as_str().to_string(),
            category: category.code.clone(),
            channel: source.channel(),
            description,
            lat: r.lat,
            lon: r.lon,
            address,
            region,
            caller_name: trim(r.caller_name),
            caller_phone,
            email,
            requester_user,
            client,
            device_id: trim(r.device_id),
            account_id: trim(r.account_id),
            media_url,
            answers,
            answer: None,
            merged_into: None,
            lifecycle: Ticket::accepted(category.limits, now),
            requested_at: at,
            updated_at: at,
        };
        let actor_name = source.journal_name();
        let ticket = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<TicketRow> {
                row.id = store::insert_ticket(tx.conn(), &row).await?;
                // The journal keeps what was asked of whom, not who asked or what they said.
                let payload = json!({
                    "category": row.category,
                    "channel": row.channel.as_str(),
                    "region": row.region,
                    "dispatch_due": row.lifecycle.dispatch_due,
                    "watch": watch(&row),
                });
                let journaled = tx
                    .journal(
                        at,
                        system_entry(&actor_name, row.id, "hotline.accepted", payload),
                    )
                    .await?;
                note(
                    tx,
                    &row,
                    &actor_name,
                    "hotline.accepted",
                    "已受理".into(),
                    true,
                    journaled.seq,
                )
                .await?;
                Ok(row)
            })
            .await?;
        Ok(Taken {
            ticket,
            alike: alike_ids,
        })
    }

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
            .write(async move |tx: &mut WriteTx| -> Result<TicketRow> {
                let mut t = store::ticket(tx.conn(), id)
                    .await?
                    .ok_or_else(ticket_not_found)?;
                may_command(&orgs, &actor, &t, &command)?;
                let next = rules::decide(&t.lifecycle, &command, now, &calendar)?;
                let at = sunshine_domain::clock::to_micros(now);
                match &command {
                    Command::AnswerDirectly { answer } => {
                        t.answer = Some(answer.trim().to_string())
                    }
                    Command::Answer { text } => t.answer = Some(text.trim().to_string()),
                    _ => {}
                }
                let note_text = public_note(&command, &next, &orgs);
                t.lifecycle = next;
                t.updated_at = at;
                store::update_ticket(tx.conn(), &t).await?;
                let payload = json!({
                    "command": command,
                    "state": t.state().as_str(),
                    "lead": t.lifecycle.lead,
                    "next_deadline": t.lifecycle.next_deadline(),
                    "escalated": rules::escalated(t.lifecycle.urges),
                    "watch": watch(&t),
                });
                let name = actor.journal_name();
                let journaled = tx
                    .journal(
                        at,
                        entry(&actor, format!("ticket/{id}"), event(&command), payload),
                    )
                    .await?;
                let (public, text) = match note_text {
                    Some(text) => (true, text),
                    None => (false, staff_note(&command)),
                };
                note(tx, &t, &name, event(&command), text, public, journaled.seq).await?;
                // Merged requests share the answer once it stands, and close with it.
                if t.state() == TicketState::AwaitingVisit || t.state() == TicketState::Archived {
                    close_merged(tx, &t, &name, at).await?;
                }
                Ok(t)
            })
            .await
            .map(|t| self.as_seen_by(&reader, t))
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
            .write(async move |tx: &mut WriteTx| -> Result<TicketRow> {
                let mut t = store::ticket(tx.conn(), id)
                    .await?
                    .ok_or_else(ticket_not_found)?;
                let primary = store::ticket(tx.conn(), into).await?.ok_or_else(|| {
                    crate::AppError::from(Refusal::field("into", "没有这个工单", "No such request"))
                })?;
                if primary.state().is_final() {
                    return Err(Refusal::field(
                        "into",
                        "只能合并到未办结的工单",
                        "Merge only into an open request",
                    )
                    .into());
                }
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
                    text,
                    true,
                    journaled.seq,
                )
                .await?;
                Ok(t)
            })
            .await
    }

    /// One ticket as the public may see it (Open311's view and the tracking
    /// page read what they may of it).
    pub async fn ticket(&self, id: i64) -> Result<TicketRow> {
        let mut conn = self.db.read().await?;
        store::ticket(&mut conn, id)
            .await?
            .ok_or_else(ticket_not_found)
    }

    pub async fn ticket_by_token(&self, token: &str) -> Result<TicketRow> {
        let mut conn = self.db.read().await?;
        store::ticket_by_token(&mut conn, token)
            .await?
            .ok_or_else(ticket_not_found)
    }

    /// A request as `actor` may see it: its query code is the caller's, read
    /// out by the hotline, so only operators and the requester see it.
    fn as_seen_by(&self, actor: &Actor, mut t: TicketRow) -> TicketRow {
        let operator =
            crate::at_centre(&self.orgs(), actor, crate::CentreWork::OperateHotline).is_ok();
        if !operator && t.requester_user != Some(actor.user_id) {
            t.query_code.clear();
        }
        t
    }

    /// Add a request taken by phone, at a kiosk or on TV to the signed-in
    /// citizen's or enterprise's account, proved by its number and the
    /// query code the caller was told; journaled. A request that is someone
    /// else's, or a wrong code, is "not found" alike: neither says whether
    /// the number exists.
    pub async fn claim_ticket(&self, actor: &Actor, number: &str, code: &str) -> Result<TicketRow> {
        self.authorize(actor, &Action::ApplyOnline)?;
        let id = rules::ticket_id(number.trim()).ok_or_else(ticket_not_found)?;
        let code = sunshine_domain::hall::QueryCode::parse(code).ok_or_else(ticket_not_found)?;
        let (actor, now, given) = (actor.clone(), self.now_micros(), number.trim().to_string());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<TicketRow> {
                let mut t = store::ticket(tx.conn(), id)
                    .await?
                    .ok_or_else(ticket_not_found)?;
                let number = rules::ticket_number(from_micros(t.requested_at), t.id);
                // The whole number, its year too, and then the code.
                if t.query_code.is_empty() || number != given || t.query_code != code.as_str() {
                    return Err(ticket_not_found());
                }
                match t.requester_user {
                    Some(user) if user == actor.user_id => return Ok(t),
                    Some(_) => return Err(ticket_not_found()),
                    None => {}
                }
                store::set_requester(tx.conn(), id, actor.user_id, now).await?;
                t.requester_user = Some(actor.user_id);
                t.updated_at = now;
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("ticket/{id}"),
                        "hotline.claimed",
                        json!({"number": number, "user": actor.user_id}),
                    ),
                )
                .await?;
                Ok(t)
            })
            .await
    }

    /// A ticket for staff: operators see every one; a unit's staff those
    /// sent to them; a requester their own. Each staff read is journaled
    /// like any read of a person's record.
    pub async fn ticket_for(&self, actor: &Actor, id: i64) -> Result<(TicketRow, Vec<UpdateRow>)> {
        self.read_ticket(actor, id, None).await
    }

    /// A ticket for staff or its requester; a staff read is journaled with
    /// its purpose (by default the reader's own: a call or handling it) and
    /// shown to the requester.
    pub async fn read_ticket(
        &self,
        actor: &Actor,
        id: i64,
        purpose: Option<ReadPurpose>,
    ) -> Result<(TicketRow, Vec<UpdateRow>)> {
        let mut conn = self.db.read().await?;
        let t = store::ticket(&mut conn, id)
            .await?
            .ok_or_else(ticket_not_found)?;
        let orgs = self.orgs();
        let operator = crate::at_centre(&orgs, actor, crate::CentreWork::OperateHotline).is_ok();
        let unit = t
            .lifecycle
            .lead
            .as_ref()
            .is_some_and(|u| allow(&orgs, actor, &Action::HandleTicket { unit: u }).is_ok());
        let own = t.requester_user == Some(actor.user_id);
        if !(operator || unit || own) {
            return Err(ticket_not_found());
        }
        let mut updates = store::updates(&mut conn, id).await?;
        drop(conn);
        if !(operator || unit) {
            updates.retain(|u| u.public);
        } else if !own {
            let purpose = purpose.unwrap_or(if operator {
                ReadPurpose::HotlineCall
            } else {
                ReadPurpose::HandleTicket
            });
            let read = StaffRead {
                subject: format!("access/ticket/{id}"),
                kind: ReadKind::Ticket,
                purpose,
                payload: json!({"view": "ticket", "ticket": id}),
                persons: vec![ReadOf {
                    user: t.requester_user,
                    number: None,
                    what: rules::ticket_number(from_micros(t.requested_at), t.id),
                }],
            };
            self.record_staff_read(actor, read).await?;
        }
        Ok((self.as_seen_by(actor, t), updates))
    }

    /// Tickets for the public lists (Open311's `GET requests`).
    pub async fn tickets(&self, filter: &TicketFilter) -> Result<Vec<TicketRow>> {
        let mut conn = self.db.read().await?;
        Ok(store::tickets(&mut conn, filter).await?)
    }

    /// A unit's inbox: what is sent to the units the actor handles for,
    /// still with them, earliest deadline first.
    pub async fn unit_inbox(&self, actor: &Actor) -> Result<Vec<TicketRow>> {
        let units = self.departments_where(
            actor,
            &[|unit| Action::HandleTicket { unit }],
            || {
                Refusal::forbidden(
                    "forbidden",
                    "您不是承办单位的工作人员",
                    "You handle no unit's requests",
                )
            },
        )?;
        let list = self
            .worklist(units, |s| s.with_unit() || s == TicketState::Answered)
            .await?;
        Ok(list
            .into_iter()
            .map(|t| self.as_seen_by(actor, t))
            .collect())
    }

    /// Tickets in the states a worklist holds, earliest deadline first.
    async fn worklist(
        &self,
        lead_units: Vec<String>,
        holds: impl Fn(TicketState) -> bool,
    ) -> Result<Vec<TicketRow>> {
        let mut conn = self.db.read().await?;
        let filter = TicketFilter {
            lead_units,
            states: TicketState::ALL.into_iter().filter(|s| holds(*s)).collect(),
            limit: 500,
            ..Default::default()
        };
        let mut list = store::tickets(&mut conn, &filter).await?;
        list.sort_by_key(|t| (t.lifecycle.next_deadline().unwrap_or(i64::MAX), t.id));
        Ok(list)
    }

    /// The operators' queue: what waits on the hotline, earliest deadline first.
    pub async fn hotline_queue(&self, actor: &Actor) -> Result<Vec<TicketRow>> {
        self.authorize_centre(actor, crate::CentreWork::OperateHotline)?;
        self.worklist(vec![], TicketState::with_hotline).await
    }

    /// A requester's own tickets, newest first.
    pub async fn my_tickets(&self, actor: &Actor) -> Result<Vec<TicketRow>> {
        let mut conn = self.db.read().await?;
        let filter = TicketFilter {
            requester_user: Some(actor.user_id),
            limit: 200,
            ..Default::default()
        };
        Ok(store::tickets(&mut conn, &filter).await?)
    }

    /// Public updates between two moments, for mySociety's `servicerequestupdates`.
    pub async fn ticket_updates_between(
        &self,
        from: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<UpdateRow>> {
        let mut conn = self.db.read().await?;
        Ok(store::public_updates(&mut conn, from, until, limit).await?)
    }

    /// A ticket's public updates, oldest first.
    pub async fn ticket_public_updates(&self, id: i64) -> Result<Vec<UpdateRow>> {
        let mut conn = self.db.read().await?;
        let mut list = store::updates(&mut conn, id).await?;
        list.retain(|u| u.public);
        Ok(list)
    }

    /// The categories (Open311's services); the inactive ones for administrators.
    pub async fn hotline_categories(&self, active_only: bool) -> Result<Vec<CategoryRow>> {
        let all = self.all_categories().await?;
        Ok(all
            .values()
            .filter(|c| c.active || !active_only)
            .cloned()
            .collect())
    }

    /// Every category by code, from memory once read.
    async fn all_categories(&self) -> Result<Categories> {
        let (generation, cached) = self.hotline_categories.get();
        if let Some(all) = cached {
            return Ok(all);
        }
        let mut conn = self.db.read().await?;
        let all: Categories = Arc::new(
            store::categories(&mut conn, false)
                .await?
                .into_iter()
                .map(|c| (c.code.clone(), c))
                .collect(),
        );
        self.hotline_categories.keep(generation, all.clone());
        Ok(all)
    }

    /// A category in force.
    pub async fn hotline_category(&self, code: &str) -> Result<CategoryRow> {
        match self.all_categories().await?.get(code) {
            Some(c) if c.active => Ok(c.clone()),
            _ => Err(Refusal::not_found("服务类别", "Service").into()),
        }
    }

    /// The units a category goes to in a district: the district's own entry
    /// in the dispatch catalogue, or the category's.
    pub async fn dispatch_for(
        &self,
        category: &str,
        region: &str,
    ) -> Result<(String, Vec<String>)> {
        let mut conn = self.db.read().await?;
        if let Some(found) = store::dispatch_override(&mut conn, category, region).await? {
            return Ok(found);
        }
        drop(conn);
        let c = self.hotline_category(category).await?;
        Ok((c.lead_unit, c.assisting))
    }

    /// Add or edit a category, as an administrator of the city: a new
    /// version each time, journaled.
    pub async fn put_hotline_category(
        &self,
        actor: &Actor,
        mut c: CategoryRow,
    ) -> Result<CategoryRow> {
        self.authorize(actor, &Action::ManageHotline)?;
        self.check_category(&c)?;
        c.updated_at = self.now_micros();
        let actor = actor.clone();
        let stored = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<CategoryRow> {
                c.version = store::put_category(tx.conn(), &c).await?;
                let payload =
                    serde_json::to_value(&c).map_err(|e| anyhow::anyhow!("category json: {e}"))?;
                tx.journal(
                    c.updated_at,
                    entry(
                        &actor,
                        format!("hotline-category/{}", c.code),
                        "hotline.category_put",
                        payload,
                    ),
                )
                .await?;
                Ok(c)
            })
            .await?;
        self.hotline_categories.clear();
        Ok(stored)
    }

    /// The districts' own dispatch entries, for administrators of the city.
    pub async fn dispatch_overrides(&self, actor: &Actor) -> Result<Vec<store::DispatchOverride>> {
        self.authorize(actor, &Action::ManageHotline)?;
        let mut conn = self.db.read().await?;
        Ok(store::dispatch_overrides(&mut conn).await?)
    }

    /// Send a category elsewhere in one district, as an administrator of the city.
    pub async fn put_dispatch_override(
        &self,
        actor: &Actor,
        category: &str,
        region: &str,
        lead: &str,
        assisting: Vec<String>,
    ) -> Result<()> {
        self.authorize(actor, &Action::ManageHotline)?;
        let orgs = self.orgs();
        let known = |s: &str| OrgCode::parse(s).ok().filter(|c| orgs.tree.contains(c));
        if !known(region).is_some_and(|c| is_government(&orgs, &c)) {
            return Err(Refusal::field("region", "没有这个区县", "No such district").into());
        }
        if known(lead).is_none() || assisting.iter().any(|a| known(a).is_none()) {
            return Err(Refusal::field("lead", "没有这个单位", "No such unit").into());
        }
        self.hotline_category(category).await?;
        let (actor, now) = (actor.clone(), self.now_micros());
        let (category, region, lead) = (category.to_string(), region.to_string(), lead.to_string());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                store::put_dispatch_override(tx.conn(), &category, &region, &lead, &assisting)
                    .await?;
                let payload = json!({"region": region, "lead": lead, "assisting": assisting});
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("hotline-category/{category}"),
                        "hotline.dispatch_put",
                        payload,
                    ),
                )
                .await?;
                Ok(())
            })
            .await
    }

    fn check_category(&self, c: &CategoryRow) -> Result<()> {
        let mut e = sunshine_domain::refusal::FieldErrors::default();
        if c.code.is_empty()
            || c.code.len() > 40
            || !c
                .code
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "._-".contains(ch))
        {
            e.add(
                "code",
                "类别代码只能由字母、数字和 . _ - 组成",
                "A service code is letters, digits, . _ and -",
            );
        }
        if c.name.trim().is_empty() || c.name_en.trim().is_empty() {
            e.add(
                "name",
                "请填写中英文名称",
                "Give the name in both languages",
            );
        }
        if let Err(r) = c.limits.check() {
            e.absorb(r);
        }
        if let Err(r) = check_definition(&c.attributes) {
            e.absorb(r);
        }
        let orgs = self.orgs();
        let known = |s: &str| {
            OrgCode::parse(s)
                .ok()
                .is_some_and(|code| orgs.tree.contains(&code))
        };
        if !known(&c.lead_unit) || c.assisting.iter().any(|a| !known(a)) {
            e.add("lead_unit", "没有这个单位", "No such unit");
        }
        Ok(e.check()?)
    }

    /// Issue an Open311 client's key; the key itself is shown once and kept
    /// only as its hash. `actor` is `None` from the command line.
    pub async fn issue_open311_key(
        &self,
        actor: Option<&Actor>,
        client: &str,
        per_minute: i64,
        may_comment_on_all: bool,
    ) -> Result<(KeyRow, String)> {
        if let Some(a) = actor {
            self.authorize(a, &Action::ManageHotline)?;
        }
        if !(1..=1_000_000).contains(&per_minute) {
            return Err(Refusal::field(
                "per_minute",
                "每分钟请求数应在 1 到 1000000 之间",
                "Requests a minute are between 1 and 1,000,000",
            )
            .into());
        }
        let client = client.trim().to_string();
        if client.is_empty()
            || client.chars().count() > 80
            || !sunshine_domain::refusal::is_clean_text(&client)
        {
            return Err(Refusal::field(
                "client",
                "请填写客户端名称（不超过80字）",
                "Name the client system (at most 80 characters)",
            )
            .into());
        }
        let key = random_token();
        let hash = key_hash(&key);
        let actor = actor.cloned().unwrap_or_else(crate::identity::system_actor);
        let now = self.now_micros();
        let row = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<KeyRow> {
                    let id = store::insert_key(
                        tx.conn(),
                        &client,
                        &hash,
                        per_minute,
                        may_comment_on_all,
                        now,
                    )
                    .await?;
                    tx.journal(
                        now,
                        entry(
                            &actor,
                            format!("open311-key/{id}"),
                            "hotline.key_issued",
                            json!({"client": client, "per_minute": per_minute, "may_comment_on_all": may_comment_on_all}),
                        ),
                    )
                    .await?;
                    Ok(KeyRow {
                        id,
                        client,
                        per_minute,
                        created_at: now,
                        revoked_at: None,
                        may_comment_on_all,
                    })
                })
            .await?;
        Ok((row, key))
    }

    pub async fn revoke_open311_key(&self, actor: Option<&Actor>, id: i64) -> Result<()> {
        if let Some(a) = actor {
            self.authorize(a, &Action::ManageHotline)?;
        }
        let actor = actor.cloned().unwrap_or_else(crate::identity::system_actor);
        let now = self.now_micros();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                if !store::revoke_key(tx.conn(), id, now).await? {
                    return Err(Refusal::not_found("密钥", "Key").into());
                }
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("open311-key/{id}"),
                        "hotline.key_revoked",
                        json!({}),
                    ),
                )
                .await?;
                Ok(())
            })
            .await
    }

    pub async fn open311_keys(&self, actor: Option<&Actor>) -> Result<Vec<KeyRow>> {
        if let Some(a) = actor {
            self.authorize(a, &Action::ManageHotline)?;
        }
        let mut conn = self.db.read().await?;
        Ok(store::keys(&mut conn).await?)
    }

    /// The live key a client presents, if it is one.
    pub async fn open311_client(&self, key: &str) -> Result<Option<KeyRow>> {
        let mut conn = self.db.read().await?;
        Ok(store::key_by_hash(&mut conn, &key_hash(key)).await?)
    }
}

/// Whether the actor may give this command on this ticket; anyone who may
/// not see it is told it is not there.
fn may_command(orgs: &OrgDirectory, actor: &Actor, t: &TicketRow, c: &Command) -> Result<()> {
    let operator = crate::at_centre(orgs, actor, crate::CentreWork::OperateHotline).is_ok();
    let unit = t
        .lifecycle
        .lead
        .as_ref()
        .is_some_and(|u| allow(orgs, actor, &Action::HandleTicket { unit: u }).is_ok());
    let own = t.requester_user == Some(actor.user_id);
    let allowed = match c.party() {
        Party::Hotline => operator,
        Party::Unit => unit,
        Party::Requester => operator || own,
    };
    if allowed {
        return Ok(());
    }
    if operator || unit || own {
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

fn system_entry(
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

async fn note(
    tx: &mut WriteTx,
    t: &TicketRow,
    actor: &str,
    event: &str,
    text: String,
    public: bool,
    journal_seq: i64,
) -> Result<()> {
    store::insert_update(
        tx.conn(),
        &UpdateRow {
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
async fn close_merged(tx: &mut WriteTx, primary: &TicketRow, actor: &str, at: i64) -> Result<()> {
    let filter = TicketFilter {
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

/// The time an Open311 client is shown for a stored moment.
pub fn iso(us: i64) -> String {
    let t: Timestamp = from_micros(us);
    t.to_zoned(sunshine_domain::clock::shanghai())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

impl App {
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
            .write(async move |tx: &mut WriteTx| -> Result<UpdateRow> {
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
                let mut u = UpdateRow {
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
    }
}

impl App {
    /// The latest public note of each ticket, for lists.
    pub async fn ticket_status_notes(&self, ids: &[i64]) -> Result<BTreeMap<i64, String>> {
        let mut conn = self.db.read().await?;
        Ok(store::latest_public_notes(&mut conn, ids).await?)
    }
}

impl App {
    /// The three rates and the overdue counts of the requests taken between
    /// two moments (µs), in all and by unit, district and category.
    pub async fn hotline_indicators(
        &self,
        from: i64,
        until: i64,
    ) -> Result<sunshine_domain::hotline::IndicatorTable> {
        let mut conn = self.db.read().await?;
        let filter = TicketFilter {
            from: Some(from),
            until: Some(until),
            limit: i64::MAX,
            ..Default::default()
        };
        let tickets = store::tickets(&mut conn, &filter).await?;
        let units: Vec<Option<String>> = tickets
            .iter()
            .map(|t| t.lifecycle.lead.as_ref().map(|o| o.to_string()))
            .collect();
        let counted = tickets.iter().zip(&units).map(|(t, unit)| rules::Counted {
            ticket: &t.lifecycle,
            unit: unit.as_deref(),
            district: &t.region,
            category: &t.category,
        });
        Ok(rules::indicators(counted, self.clock.now()))
    }
}

/// An article of the knowledge base as written by an operator.
#[derive(Debug, Clone, Default)]
pub struct NewArticle {
    pub title: String,
    pub body: String,
    pub category: Option<String>,
}

impl App {
    /// Write an article (`id` 0 for a new one) as an operator or an
    /// administrator of the hotline: its words are indexed in the same
    /// transaction, and the change is journaled.
    pub async fn put_article(
        &self,
        actor: &Actor,
        id: i64,
        a: NewArticle,
    ) -> Result<kb::ArticleRow> {
        if self
            .authorize_centre(actor, crate::CentreWork::OperateHotline)
            .is_err()
        {
            self.authorize(actor, &Action::ManageHotline)?;
        }
        let (title, body) = (a.title.trim().to_string(), a.body.trim().to_string());
        knowledge::check_article(&knowledge::Article {
            title: &title,
            body: &body,
        })?;
        let category = a
            .category
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        if let Some(c) = &category {
            if !self.all_categories().await?.contains_key(c) {
                return Err(
                    Refusal::field("category", "没有这个服务类别", "No such service").into(),
                );
            }
        }
        let words = knowledge::article_terms(&knowledge::Article {
            title: &title,
            body: &body,
        });
        let mut row = kb::ArticleRow {
            id,
            title,
            body,
            category,
            length: i64::from(words.values().sum::<u32>()),
            version: 0,
            updated_at: self.now_micros(),
        };
        let actor = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<kb::ArticleRow> {
                let Some((id, version)) = kb::put_article(tx.conn(), &row, &words).await? else {
                    return Err(Refusal::not_found("知识库条目", "Article").into());
                };
                (row.id, row.version) = (id, version);
                let payload =
                    json!({"title": row.title, "category": row.category, "version": version});
                tx.journal(
                    row.updated_at,
                    entry(
                        &actor,
                        format!("knowledge/{id}"),
                        "hotline.article_put",
                        payload,
                    ),
                )
                .await?;
                Ok(row)
            })
            .await
    }

    /// Articles answering a question, best first, each with its score:
    /// the question is cut into words and ranked by BM25 over the index.
    pub async fn search_knowledge(
        &self,
        question: &str,
        limit: usize,
    ) -> Result<Vec<(kb::ArticleRow, f64)>> {
        let query = knowledge::terms(question);
        let words: Vec<String> = query.keys().take(32).cloned().collect();
        let mut conn = self.db.read().await?;
        let m = kb::matches(&mut conn, &words).await?;
        let postings = m
            .postings
            .into_iter()
            .map(|(id, (tf, length))| (id, knowledge::Postings { tf, length }))
            .collect();
        let ranked = knowledge::rank(&query, &postings, &m.df, m.articles, m.average_length);
        let top: Vec<(i64, f64)> = ranked.into_iter().take(limit).collect();
        let ids: Vec<i64> = top.iter().map(|(id, _)| *id).collect();
        let mut found: BTreeMap<i64, kb::ArticleRow> = kb::articles(&mut conn, &ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        Ok(top
            .into_iter()
            .filter_map(|(id, score)| found.remove(&id).map(|a| (a, score)))
            .collect())
    }

    pub async fn article(&self, id: i64) -> Result<kb::ArticleRow> {
        let mut conn = self.db.read().await?;
        kb::article(&mut conn, id)
            .await?
            .ok_or_else(|| Refusal::not_found("知识库条目", "Article").into())
    }
}

/// How far around a home its services are looked for.
pub const NEARBY_RADIUS_M: f64 = 5_000.0;

impl App {
    /// The gazetteer's places and the community services, as the demo (or
    /// an import) brings them, in one journaled transaction.
    pub async fn load_community(
        &self,
        actor: &Actor,
        places: Vec<community::Place>,
        services: Vec<communitydb::ServiceRow>,
    ) -> Result<()> {
        self.authorize(actor, &Action::ManageHotline)?;
        let (actor, now) = (actor.clone(), self.now_micros());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                for p in &places {
                    communitydb::put_place(tx.conn(), p).await?;
                }
                for s in &services {
                    communitydb::insert_service(tx.conn(), s).await?;
                }
                let payload = json!({"places": places.len(), "services": services.len()});
                tx.journal(
                    now,
                    entry(
                        &actor,
                        "community".into(),
                        "hotline.community_loaded",
                        payload,
                    ),
                )
                .await?;
                Ok(())
            })
            .await
    }

    /// The services of the kinds asked (all when none) around an address
    /// or a point, nearest first, each with its distance in metres.
    pub async fn nearby(
        &self,
        address: Option<&str>,
        point: Option<(f64, f64)>,
        kinds: &[community::ServiceKind],
        limit: usize,
    ) -> Result<((f64, f64), Vec<(communitydb::ServiceRow, f64)>)> {
        let mut conn = self.db.read().await?;
        let at = match (point, address.map(str::trim).filter(|a| !a.is_empty())) {
            (Some((lat, long)), _) => {
                rules::check_point(lat, long)?;
                (lat, long)
            }
            (None, Some(a)) => community::locate(a, &communitydb::places_in(&mut conn, a).await?)?,
            (None, None) => {
                return Err(Refusal::field(
                    "address",
                    "请填写地址或位置",
                    "Give an address or a point",
                )
                .into())
            }
        };
        // 5 km is under 0.05° of latitude and 0.06° of longitude here.
        let candidates = communitydb::services_near(&mut conn, at, 0.06).await?;
        let points: Vec<_> = candidates
            .iter()
            .map(|s| (s.kind, (s.lat, s.lon)))
            .collect();
        let found = community::nearest(at, &points, kinds, NEARBY_RADIUS_M, limit);
        Ok((
            at,
            found
                .into_iter()
                .map(|(i, d)| (candidates[i].clone(), d))
                .collect(),
        ))
    }
}

/// What helps an operator take a call: the caller's earlier requests, the
/// categories their words suggest, and answers from the knowledge base.
#[derive(Debug, Clone, Default)]
pub struct Assist {
    pub history: Vec<TicketRow>,
    pub categories: Vec<String>,
    pub answers: Vec<(kb::ArticleRow, f64)>,
}

/// An operator's look-up of a caller's earlier requests: a read of each
/// requester's records among them.
fn caller_history_read(phone: &str, history: &[TicketRow]) -> StaffRead {
    let mut persons: Vec<ReadOf> = vec![];
    for t in history {
        if let Some(user) = t.requester_user {
            if !persons.iter().any(|p| p.user == Some(user)) {
                persons.push(ReadOf {
                    user: Some(user),
                    number: None,
                    what: sunshine_domain::ids::mask_phone(phone),
                });
            }
        }
    }
    let tickets: Vec<i64> = history.iter().map(|t| t.id).collect();
    StaffRead {
        subject: "access/caller".into(),
        kind: ReadKind::CallerHistory,
        purpose: ReadPurpose::HotlineCall,
        payload: json!({"view": "caller_history", "phone": sunshine_domain::ids::mask_phone(phone), "tickets": tickets}),
        persons,
    }
}

impl App {
    /// Look up a caller by phone and what they say, for an operator.
    pub async fn assist_call(
        &self,
        actor: &Actor,
        phone: Option<&str>,
        said: &str,
    ) -> Result<Assist> {
        self.authorize_centre(actor, crate::CentreWork::OperateHotline)?;
        let mut assist = Assist::default();
        if let Some(phone) = phone.map(str::trim).filter(|p| !p.is_empty()) {
            let mut conn = self.db.read().await?;
            let filter = TicketFilter {
                caller_phone: Some(phone.to_string()),
                limit: 20,
                ..Default::default()
            };
            assist.history = store::tickets(&mut conn, &filter).await?;
            drop(conn);
            if !assist.history.is_empty() {
                let read = caller_history_read(phone, &assist.history);
                self.record_staff_read(actor, read).await?;
            }
        }
        if !said.trim().is_empty() {
            let all = self.all_categories().await?;
            let choices: Vec<(&str, &str, &[String])> = all
                .values()
                .filter(|c| c.active)
                .map(|c| (c.code.as_str(), c.name.as_str(), c.keywords.as_slice()))
                .collect();
            assist.categories = knowledge::suggest(said, &choices)
                .into_iter()
                .take(5)
                .map(str::to_string)
                .collect();
            assist.answers = self.search_knowledge(said, 3).await?;
        }
        Ok(assist)
    }
}
