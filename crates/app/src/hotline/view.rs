//! The hotline as app shows it: tickets, their updates, the categories,
//! the Open311 clients' keys and the knowledge base's articles converted
//! from the store's rows, and the ticket filter the pages and Open311 pass in.

use std::collections::BTreeMap;

use sunshine_domain::hotline::open311::Attribute;
use sunshine_domain::hotline::{
    Channel, Limits, RequestKind, ServiceClass, Ticket, TicketState, Urgency,
};

use sunshine_store::hotline as store;
use sunshine_store::hotline::knowledge as kb;

/// A category of request: an Open311 service, with its limits, its
/// questions and the unit that leads on it by default.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CategoryRow {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub class: ServiceClass,
    pub kind: RequestKind,
    pub urgency: Urgency,
    pub limits: Limits,
    pub description: String,
    /// Words an operator or a citizen might use, for suggesting it.
    pub keywords: Vec<String>,
    pub attributes: Vec<Attribute>,
    pub lead_unit: String,
    pub assisting: Vec<String>,
    pub active: bool,
    /// About a person (care, aid, the elderly): its requests are published
    /// with no address and a coarse location only. A flag of the category's
    /// data rather than a rule by service class, since every class holds
    /// some categories about a person and many that are not.
    #[serde(default)]
    pub personal: bool,
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub updated_at: i64,
}

impl From<store::CategoryRow> for CategoryRow {
    fn from(r: store::CategoryRow) -> Self {
        Self {
            code: r.code,
            name: r.name,
            name_en: r.name_en,
            class: r.class,
            kind: r.kind,
            urgency: r.urgency,
            limits: r.limits,
            description: r.description,
            keywords: r.keywords,
            attributes: r.attributes,
            lead_unit: r.lead_unit,
            assisting: r.assisting,
            active: r.active,
            personal: r.personal,
            version: r.version,
            updated_at: r.updated_at,
        }
    }
}

impl From<CategoryRow> for store::CategoryRow {
    fn from(c: CategoryRow) -> Self {
        Self {
            code: c.code,
            name: c.name,
            name_en: c.name_en,
            class: c.class,
            kind: c.kind,
            urgency: c.urgency,
            limits: c.limits,
            description: c.description,
            keywords: c.keywords,
            attributes: c.attributes,
            lead_unit: c.lead_unit,
            assisting: c.assisting,
            active: c.active,
            personal: c.personal,
            version: c.version,
            updated_at: c.updated_at,
        }
    }
}

/// A service request (工单) as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRow {
    pub id: i64,
    /// What an Open311 client may look the request up by before it has an id.
    pub token: String,
    /// Told to the caller with the number: to track the request and add it
    /// to their account (empty on requests taken before there were codes).
    pub query_code: String,
    pub category: String,
    pub channel: Channel,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    /// The district it belongs to (for dispatch and the indicators).
    pub region: String,
    pub caller_name: Option<String>,
    pub caller_phone: Option<String>,
    pub email: Option<String>,
    pub requester_user: Option<i64>,
    /// The Open311 client that posted it.
    pub client: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub media_url: Option<String>,
    pub answers: BTreeMap<String, Vec<String>>,
    /// The answer given (directly or by the unit).
    pub answer: Option<String>,
    pub merged_into: Option<i64>,
    pub lifecycle: Ticket,
    pub requested_at: i64,
    pub updated_at: i64,
    /// At a district's platform, a copy of the city's request: its id there.
    pub city_ticket: Option<i64>,
}

impl TicketRow {
    pub fn state(&self) -> TicketState {
        self.lifecycle.state
    }

    /// Its number, the one the requester was told (a copy keeps the city's).
    pub fn number(&self) -> String {
        sunshine_domain::hotline::ticket_number(
            sunshine_domain::clock::from_micros(self.requested_at),
            self.city_ticket.unwrap_or(self.id),
        )
    }
}

impl From<store::TicketRow> for TicketRow {
    fn from(r: store::TicketRow) -> Self {
        Self {
            id: r.id,
            token: r.token,
            query_code: r.query_code,
            category: r.category,
            channel: r.channel,
            description: r.description,
            lat: r.lat,
            lon: r.lon,
            address: r.address,
            region: r.region,
            caller_name: r.caller_name,
            caller_phone: r.caller_phone,
            email: r.email,
            requester_user: r.requester_user,
            client: r.client,
            device_id: r.device_id,
            account_id: r.account_id,
            media_url: r.media_url,
            answers: r.answers,
            answer: r.answer,
            merged_into: r.merged_into,
            lifecycle: r.lifecycle,
            requested_at: r.requested_at,
            updated_at: r.updated_at,
            city_ticket: r.city_ticket,
        }
    }
}

/// Which tickets a list asks for. Empty lists mean "any".
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub ids: Vec<i64>,
    pub categories: Vec<String>,
    pub states: Vec<TicketState>,
    /// Requested at or after (µs).
    pub from: Option<i64>,
    /// Requested at or before (µs).
    pub until: Option<i64>,
    pub lead_units: Vec<String>,
    pub requester_user: Option<i64>,
    pub caller_phone: Option<String>,
    /// Those merged into this one.
    pub merged_into: Option<i64>,
    /// Leave out the copies of the city's requests a district keeps: the
    /// public's and the indicators' lists are of this platform's own.
    pub own_only: bool,
    pub limit: i64,
    pub offset: i64,
}

impl From<TicketFilter> for store::TicketFilter {
    fn from(f: TicketFilter) -> Self {
        Self {
            ids: f.ids,
            categories: f.categories,
            states: f.states,
            from: f.from,
            until: f.until,
            lead_units: f.lead_units,
            requester_user: f.requester_user,
            caller_phone: f.caller_phone,
            merged_into: f.merged_into,
            own_only: f.own_only,
            limit: f.limit,
            offset: f.offset,
        }
    }
}

/// One step of a ticket.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UpdateRow {
    pub id: i64,
    pub ticket_id: i64,
    pub at: i64,
    pub actor: String,
    pub event: String,
    pub state: TicketState,
    pub text: String,
    /// Whether the public (Open311, the requester) may read it.
    pub public: bool,
    pub journal_seq: i64,
}

impl From<store::UpdateRow> for UpdateRow {
    fn from(r: store::UpdateRow) -> Self {
        Self {
            id: r.id,
            ticket_id: r.ticket_id,
            at: r.at,
            actor: r.actor,
            event: r.event,
            state: r.state,
            text: r.text,
            public: r.public,
            journal_seq: r.journal_seq,
        }
    }
}

/// An Open311 client's key.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KeyRow {
    pub id: i64,
    pub client: String,
    /// POSTs a minute this client may make.
    pub per_minute: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// Whether it may comment on requests other clients filed.
    pub may_comment_on_all: bool,
}

impl From<store::KeyRow> for KeyRow {
    fn from(r: store::KeyRow) -> Self {
        Self {
            id: r.id,
            client: r.client,
            per_minute: r.per_minute,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
            may_comment_on_all: r.may_comment_on_all,
        }
    }
}

/// An article of the knowledge base.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArticleRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    /// The hotline category it answers, if one.
    pub category: Option<String>,
    /// All its word occurrences, for ranking.
    pub length: i64,
    pub version: i64,
    pub updated_at: i64,
}

impl From<kb::ArticleRow> for ArticleRow {
    fn from(r: kb::ArticleRow) -> Self {
        Self {
            id: r.id,
            title: r.title,
            body: r.body,
            category: r.category,
            length: r.length,
            version: r.version,
            updated_at: r.updated_at,
        }
    }
}

/// A district's own dispatch entry for a category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchOverride {
    pub category: String,
    pub region: String,
    pub lead_unit: String,
    pub assisting: Vec<String>,
}

impl From<store::DispatchOverride> for DispatchOverride {
    fn from(d: store::DispatchOverride) -> Self {
        Self {
            category: d.category,
            region: d.region,
            lead_unit: d.lead_unit,
            assisting: d.assisting,
        }
    }
}
