//! Taking a request in from any channel, and what helps an operator take a call.

use super::lifecycle::{note, system_entry, watch};
use super::{is_government, CITY};
use super::{ArticleRow, TicketRow};
use crate::access::{ReadOf, StaffRead};
use crate::identity::random_token;
use crate::{App, Result};
use serde_json::json;
use std::collections::BTreeMap;
use sunshine_domain::access::{ReadKind, ReadPurpose};
use sunshine_domain::clock::from_micros;
use sunshine_domain::hotline::knowledge;
use sunshine_domain::hotline::open311::check_answers;
use sunshine_domain::hotline::{
    self as rules, alike, Channel, Likeness, RequestText, Ticket, DUPLICATE_WINDOW,
};
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{FieldErrors, Refusal};
use sunshine_store::hotline as store;
use sunshine_store::WriteTx;

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
        let region = self.region_of(trim(r.district), &mut faults);
        faults.check()?;
        let Some(category) = category else {
            return Err(
                Refusal::field("service_code", "没有这个服务类别", "No such service").into(),
            );
        };
        let now = self.clock.now();
        let at = sunshine_domain::clock::to_micros(now);
        let alike_ids = self
            .alike_open(
                &category.code,
                now,
                point,
                address.as_deref(),
                caller_phone.as_deref(),
            )
            .await?;
        let requester_user = match &source {
            Source::Citizen(a) => Some(a.user_id),
            _ => None,
        };
        let client = match &source {
            Source::Client(c) => Some(c.clone()),
            _ => None,
        };
        let row = store::TicketRow {
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
            city_ticket: None,
        };
        let actor_name = source.journal_name();
        let ticket = self.insert_accepted(row, actor_name, at).await?;
        Ok(Taken {
            ticket: ticket.into(),
            alike: alike_ids,
        })
    }
}

impl App {
    /// The district a request names, or the city when it names none.
    fn region_of(&self, district: Option<String>, faults: &mut FieldErrors) -> String {
        match district {
            None => CITY.to_string(),
            Some(d) => match OrgCode::parse(&d) {
                Ok(code) if is_government(&self.orgs(), &code) => code.to_string(),
                _ => {
                    faults.add("district", "没有这个区县", "No such district");
                    String::new()
                }
            },
        }
    }

    /// The open requests of this category that look like a new one, offered for merging.
    async fn alike_open(
        &self,
        category: &str,
        now: jiff::Timestamp,
        point: Option<(f64, f64)>,
        address: Option<&str>,
        caller_phone: Option<&str>,
    ) -> Result<Vec<i64>> {
        let mut conn = self.db.read().await?;
        let since =
            sunshine_domain::clock::to_micros(now.saturating_sub(DUPLICATE_WINDOW).unwrap_or(now));
        let candidates =
            store::alike_candidates(&mut conn, category, since, point, address, caller_phone)
                .await?;
        drop(conn);
        let likeness = Likeness {
            category,
            point,
            address,
            caller: caller_phone,
            at: now,
        };
        Ok(candidates
            .iter()
            .filter(|t| {
                alike(
                    &likeness,
                    &Likeness {
                        category,
                        point: t.lat.zip(t.lon),
                        address: t.address.as_deref(),
                        caller: t.caller_phone.as_deref(),
                        at: from_micros(t.requested_at),
                    },
                )
            })
            .map(|t| t.id)
            .collect())
    }

    /// Stores a request taken, journals it and tells the public it is accepted.
    async fn insert_accepted(
        &self,
        mut row: store::TicketRow,
        actor_name: String,
        at: i64,
    ) -> Result<store::TicketRow> {
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<store::TicketRow> {
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
            .await
    }
}

/// What helps an operator take a call: the caller's earlier requests, the
/// categories their words suggest, and answers from the knowledge base.
#[derive(Debug, Clone, Default)]
pub struct Assist {
    pub history: Vec<TicketRow>,
    pub categories: Vec<String>,
    pub answers: Vec<(ArticleRow, f64)>,
}

/// An operator's look-up of a caller's earlier requests: a read of each
/// requester's records among them.
fn caller_history_read(phone: &str, history: &[store::TicketRow]) -> StaffRead {
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
            let filter = store::TicketFilter {
                caller_phone: Some(phone.to_string()),
                limit: 20,
                ..Default::default()
            };
            let history = store::tickets(&mut conn, &filter).await?;
            drop(conn);
            if !history.is_empty() {
                let read = caller_history_read(phone, &history);
                self.record_staff_read(actor, read).await?;
            }
            assist.history = history.into_iter().map(Into::into).collect();
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
