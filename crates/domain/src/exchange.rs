//! The two-level platform (两级平台): the city's platform and each district's
//! (or county's) platform run apart, each with its own store, and exchange
//! what the other needs as signed messages over a messaging engine.
//!
//! Here is what the exchange is, free of the engine: which platform a
//! process is, which journal entries leave it and in which flow, what a
//! message carries and how it is signed, whether a message that arrives may
//! be applied now, and what the city learns of a district's case from it.
//!
//! A message is born in the same transaction as the journal entry it tells
//! of (the sender's outbox) and applied in the same transaction as the
//! record of its id (the receiver's inbox), so an entry's effect happens
//! once on the other side however often its message is delivered. Each
//! message names the sequence of the sender's previous message in its flow,
//! so a receiver applies a flow strictly in order and knows when one is
//! missing.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

use crate::hall::{Applicant, Case, CaseNumber, CaseState, Channel, PORTAL_SERIES};

mod cards;
mod items;
mod licences;
mod tickets;
use crate::journal::Entry;
use crate::licence;
pub use cards::{
    command_here, goes_down, numbered_below, Answer, Card, CardSide, ANSWERED, CARD_EVENTS,
    ISSUED_BY_CITY,
};
pub use items::{handled_in, in_library, CatalogItem, ItemVersion};
pub use licences::{goes_up, revoked_where_issued, Licence, LICENCE_EVENTS};
pub use tickets::{
    replay, ticket_step_here, Dispatched, Reply, TicketSide, REPLY_NOT_TAKEN, TICKET_EVENTS,
    UNIT_EVENTS,
};

/// Which platform a process is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    /// The city's platform: the hall that aggregates, the board, supervision.
    City,
    /// A district's or county's platform, by its six-digit region code.
    District(String),
}

impl Platform {
    /// The organisation whose signing key signs this platform's messages:
    /// the city's government (`city_org`) or the district's.
    pub fn signing_org<'a>(&'a self, city_org: &'a str) -> &'a str {
        match self {
            Platform::City => city_org,
            Platform::District(code) => code,
        }
    }

    /// The district's code, for a district's platform.
    pub fn district(&self) -> Option<&str> {
        match self {
            Platform::City => None,
            Platform::District(code) => Some(code),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Platform::City => f.write_str("city"),
            Platform::District(code) => write!(f, "district:{code}"),
        }
    }
}

/// Why a platform's name was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a platform is `city` or `district:` and a six-digit region code, e.g. district:330106; not {0:?}")]
pub struct BadPlatform(pub String);

impl FromStr for Platform {
    type Err = BadPlatform;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "city" {
            return Ok(Platform::City);
        }
        match s.strip_prefix("district:") {
            Some(code) if is_region(code) && !code.ends_with("00") => {
                Ok(Platform::District(code.to_string()))
            }
            _ => Err(BadPlatform(s.to_string())),
        }
    }
}

fn is_region(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

impl Serialize for Platform {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Platform {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A flow between platforms: one stream in the messaging engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// District → city: what happens to the district's cases (submitted,
    /// accepted, at a step, decided, delivered), for the city's board and
    /// supervision, and the results of the applications the city handed
    /// down. Never the applicant: no name, number or answers.
    Cases,
    /// City → district: an application made at the city's portal for an
    /// item a district's department handles, with what the district needs
    /// to handle it (the applicant, the answers, the materials' list).
    Applications,
    /// District → city: the district's population registry as anonymous
    /// aggregates (counts by division, sex, age band, ethnic group, small
    /// counts hidden), never a person.
    Aggregates,
    /// City → district: the city's supervision cards on the district's
    /// units, as they are issued and as the city's supervisors decide them
    /// (`cards`).
    Cards,
    /// District → city: a unit's answer (回告) to the city's card.
    Answers,
    /// City → district: a 96345 request the city's hotline dispatched to a
    /// unit of the district, with what the unit needs to handle it, and
    /// each of the hotline's steps on it after.
    Tickets,
    /// District → city: a unit's step on such a request (sign, return,
    /// ask for time, answer).
    Replies,
    /// City → district: an item the district handles, as it stands in the
    /// city's catalogue each time a version of it enters the library,
    /// comes into force or is superseded.
    Items,
    /// District → city: the e-licence a district's department issued on an
    /// application the city's portal handed down, signed, and its
    /// revocation (`licences`).
    Licences,
}

impl Flow {
    pub const ALL: [Flow; 9] = [
        Flow::Cases,
        Flow::Applications,
        Flow::Aggregates,
        Flow::Cards,
        Flow::Answers,
        Flow::Tickets,
        Flow::Replies,
        Flow::Items,
        Flow::Licences,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flow::Cases => "cases",
            Flow::Applications => "applications",
            Flow::Aggregates => "aggregates",
            Flow::Cards => "cards",
            Flow::Answers => "answers",
            Flow::Tickets => "tickets",
            Flow::Replies => "replies",
            Flow::Items => "items",
            Flow::Licences => "licences",
        }
    }

    /// The stream that carries the flow.
    pub fn stream(self) -> &'static str {
        match self {
            Flow::Cases => "SUNSHINE_CASES",
            Flow::Applications => "SUNSHINE_APPLICATIONS",
            Flow::Aggregates => "SUNSHINE_AGGREGATES",
            Flow::Cards => "SUNSHINE_CARDS",
            Flow::Answers => "SUNSHINE_ANSWERS",
            Flow::Tickets => "SUNSHINE_TICKETS",
            Flow::Replies => "SUNSHINE_REPLIES",
            Flow::Items => "SUNSHINE_ITEMS",
            Flow::Licences => "SUNSHINE_LICENCES",
        }
    }

    /// The subjects the stream holds.
    pub fn subjects(self) -> String {
        format!("sunshine.{}.*", self.as_str())
    }

    /// The subject the flow's messages between the city and `district` are
    /// published on, whichever way they go: one per district, so that the
    /// engine keeps each pair's order and a district's leaf node is allowed
    /// its own subjects only.
    pub fn subject(self, district: &str) -> String {
        format!("sunshine.{}.{district}", self.as_str())
    }

    /// The subject of the flow's messages from `from` to `to`: the one for
    /// the district either is.
    pub fn between(self, from: &Platform, to: &Platform) -> String {
        self.subject(from.district().or(to.district()).unwrap_or("city"))
    }

    /// Whether the flow goes from `from` to `to`.
    pub fn goes(self, from: &Platform, to: &Platform) -> bool {
        match self {
            Flow::Cases | Flow::Aggregates | Flow::Answers | Flow::Replies | Flow::Licences => {
                from.district().is_some() && to == &Platform::City
            }
            Flow::Applications | Flow::Cards | Flow::Tickets | Flow::Items => {
                from == &Platform::City && to.district().is_some()
            }
        }
    }

    /// Whether `platform` receives in this flow.
    pub fn received_by(self, platform: &Platform) -> bool {
        match self {
            Flow::Cases | Flow::Aggregates | Flow::Answers | Flow::Replies | Flow::Licences => {
                platform == &Platform::City
            }
            Flow::Applications | Flow::Cards | Flow::Tickets | Flow::Items => {
                platform.district().is_some()
            }
        }
    }
}

impl FromStr for Flow {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Flow::ALL.into_iter().find(|f| f.as_str() == s).ok_or(())
    }
}

/// The facts of a case entry that may leave the district: the item, the
/// department, the channel, a step, a fee. Never the applicant's name,
/// identity, answers or materials, and never a clerk's free text (a
/// reason may name the applicant).
/// With them go where the case stands (its lifecycle state and due dates),
/// so that the city shows the result of an application it handed down.
/// And, on the submission, the applicant's name as the public board shows
/// it (`applicant_public`: a person's masked, an enterprise's whole), so
/// that the city's board shows the district's cases as the district's does.
const CASE_FACTS: [&str; 14] = [
    "applicant_public",
    "state",
    "promised_due",
    "legal_due",
    "step_due",
    "item_id",
    "version_id",
    "department",
    "channel",
    "step",
    "fee",
    "amount_fen",
    "working_days",
    "outcome",
];

/// What leaves a platform by itself when `entry` is journaled there: the
/// flow and the message's facts, or nothing. (An application handed down
/// is sent by the hall that takes it, with more than its entry holds.)
pub fn outbound(platform: &Platform, entry: &Entry) -> Option<(Flow, serde_json::Value)> {
    let district = platform.district()?;
    if entry.event_type == AGGREGATES_REPORTED && entry.subject == aggregates_subject(district) {
        let payload: serde_json::Value = serde_json::from_str(&entry.payload).ok()?;
        return Some((Flow::Aggregates, payload));
    }
    if !districts_case(platform, &entry.subject, &entry.event_type) {
        return None;
    }
    let payload: serde_json::Value = serde_json::from_str(&entry.payload).ok()?;
    let mut facts: serde_json::Map<String, serde_json::Value> = CASE_FACTS
        .iter()
        .filter_map(|k| payload.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    if entry.event_type == "hall.case_submitted" {
        // The submission's `applicant` is the board's public form already.
        if let Some(a) = payload.get("applicant").filter(|a| a.is_string()) {
            facts.insert("applicant_public".into(), a.clone());
        }
    }
    Some((Flow::Cases, serde_json::Value::Object(facts)))
}

/// The event a district journals when it reports its registry's aggregates.
pub const AGGREGATES_REPORTED: &str = "registry.aggregates_reported";

/// The subject of a district's reports of its registry's aggregates.
pub fn aggregates_subject(district: &str) -> String {
    format!("registry/aggregates/{district}")
}

/// Whether a report of a district's aggregates is only aggregates: a
/// region (the district's) and breakdowns whose every count shown, and
/// every total, is none, nought, or at least
/// [`crate::registry::stats::SMALLEST_SHOWN`] — nothing that could single
/// someone out, and no field that could carry a person.
pub fn only_aggregates(district: &str, facts: &serde_json::Value) -> Result<(), String> {
    use crate::registry::stats::SMALLEST_SHOWN;
    let fine = |n: &serde_json::Value| {
        n.is_null() || n.as_u64().is_some_and(|n| n == 0 || n >= SMALLEST_SHOWN)
    };
    let Some(report) = facts.as_object() else {
        return Err("the report is not an object".into());
    };
    if let Some(k) = report
        .keys()
        .find(|k| !["region", "region_zh", "region_en", "breakdowns"].contains(&k.as_str()))
    {
        return Err(format!("a report carries no {k}"));
    }
    if report.get("region").and_then(|r| r.as_str()) != Some(district) {
        return Err(format!("the report is not of {district}"));
    }
    let breakdowns = report
        .get("breakdowns")
        .and_then(|b| b.as_array())
        .ok_or("the report has no breakdowns")?;
    for b in breakdowns {
        let stray = b.as_object().and_then(|o| {
            o.keys()
                .find(|k| !["dimension", "rows", "total"].contains(&k.as_str()))
        });
        if let Some(k) = stray {
            return Err(format!("a breakdown carries no {k}"));
        }
        let rows = b
            .get("rows")
            .and_then(|r| r.as_array())
            .ok_or("a breakdown has no rows")?;
        if !b.get("total").is_none_or(fine) {
            return Err("a total could single someone out".into());
        }
        for r in rows {
            let Some(row) = r.as_object() else {
                return Err("a row is not an object".into());
            };
            if let Some(k) = row
                .keys()
                .find(|k| !["key", "label_zh", "label_en", "persons"].contains(&k.as_str()))
            {
                return Err(format!("a row carries no {k}"));
            }
            if !row.get("persons").is_none_or(fine) {
                return Err("a count could single someone out".into());
            }
        }
    }
    Ok(())
}

/// Whether an entry of `event_type` on `subject` is a move of one of
/// `platform`'s own cases: its number is in the district's region
/// (`case/2026-330106-000123`; the city's departments' cases in a
/// district's store are not the district's to report) and the event moves
/// a case.
fn districts_case(platform: &Platform, subject: &str, event_type: &str) -> bool {
    let region = subject
        .strip_prefix("case/")
        .and_then(|n| n.split('-').nth(1));
    region.is_some()
        && region == platform.district()
        && RemoteCaseState::after(event_type).is_some()
}

/// A message between platforms, as signed: the journal entry it tells of,
/// with only the facts its flow carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `<platform>/<seq>`: the entry's id across platforms, and the
    /// engine's de-duplication id.
    pub id: String,
    pub from: Platform,
    pub to: Platform,
    pub flow: Flow,
    /// The entry's sequence in the sender's journal.
    pub seq: i64,
    /// The sequence of the sender's previous message in this flow (0 for its first).
    pub prev: i64,
    /// The SHA-256 of that message's body (empty for the first): the
    /// messages between two platforms form a chain that a sender restored
    /// from an old backup cannot continue unnoticed.
    #[serde(default)]
    pub prev_hash: String,
    /// When the entry was journaled (microseconds, UTC).
    pub at: i64,
    pub subject: String,
    pub event_type: String,
    pub org: String,
    pub facts: serde_json::Value,
}

impl Message {
    /// The message for an entry, given the sequence of the previous one
    /// between the same two platforms in the flow.
    pub fn of(
        from: &Platform,
        to: &Platform,
        flow: Flow,
        entry: &Entry,
        (prev, prev_hash): (i64, String),
        facts: serde_json::Value,
    ) -> Message {
        Message {
            id: message_id(from, entry.seq),
            from: from.clone(),
            to: to.clone(),
            flow,
            seq: entry.seq,
            prev,
            prev_hash,
            at: entry.at,
            subject: entry.subject.clone(),
            event_type: entry.event_type.clone(),
            org: entry.org.clone(),
            facts,
        }
    }

    /// The bytes that travel: compact JSON in field order.
    pub fn body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The subject it travels on.
    pub fn wire_subject(&self) -> String {
        self.flow.between(&self.from, &self.to)
    }
}

/// An application made at the city's portal for an item a district's
/// department handles, as the district receives it: all it needs to
/// handle the case as if it had been made at its own portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub number: String,
    /// The applicant's query code, so that they may track it at either portal.
    pub query_code: String,
    pub item_id: i64,
    pub version_id: i64,
    pub applicant: Applicant,
    pub channel: Channel,
    pub answers: serde_json::Value,
    /// The files handed in, by hash: their bytes travel beside the message.
    pub materials: Vec<SentMaterial>,
    pub bundle_number: Option<String>,
}

/// A file of an application handed down, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMaterial {
    pub material: String,
    pub file_name: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
}

/// The district that handles an application the city takes for an item of
/// `region`, when that district runs a platform of its own (the city
/// trusts it as a peer); `None` when the city handles it itself.
pub fn handed_to(
    me: Option<&Platform>,
    region: &str,
    peers: impl IntoIterator<Item = Platform>,
) -> Option<Platform> {
    if me != Some(&Platform::City) {
        return None;
    }
    let district = Platform::District(region.to_string());
    peers.into_iter().any(|p| p == district).then_some(district)
}

/// Whether the entry that opened an application handed down, and the
/// application it carries, are what the city may send `to`: a submission
/// of a case in the district's region, numbered in the portal's series.
fn citys_application(
    to: &Platform,
    subject: &str,
    event_type: &str,
    facts: &serde_json::Value,
) -> Result<Application, String> {
    if event_type != "hall.case_submitted" {
        return Err(format!("{event_type} is not an application"));
    }
    let number = subject
        .strip_prefix("case/")
        .and_then(|n| CaseNumber::parse(n).ok())
        .ok_or_else(|| format!("{subject} is not a case"))?;
    if Some(number.region.as_str()) != to.district() || number.seq <= PORTAL_SERIES {
        return Err(format!("{subject} is not a case the city numbers for {to}"));
    }
    let application: Application = serde_json::from_value(facts.clone())
        .map_err(|e| format!("the application is not whole: {e}"))?;
    if application.number != number.to_string() {
        return Err(format!(
            "the application is {} but the entry is {subject}",
            application.number
        ));
    }
    Ok(application)
}

/// The SHA-256 (hex) of a message's body, as the next message names it.
pub fn body_hash(body: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(body.as_bytes()))
}

/// A message's id: the sender and its entry's sequence.
pub fn message_id(from: &Platform, seq: i64) -> String {
    format!("{from}/{seq}")
}

/// What is signed: the subject it is published on and the body, so that a
/// message cannot be replayed onto another sender's subject.
fn signed_text(subject: &str, body: &str) -> String {
    format!("{subject}\n{body}")
}

/// The sender's signature (hex) of a message's body on `subject`.
pub fn sign(key: &SigningKey, subject: &str, body: &str) -> String {
    licence::sign(key, &signed_text(subject, body))
}

/// Why a message that arrived is not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the sender {0} is not among the trusted platforms")]
    UnknownSender(String),
    #[error("the signature does not verify with {0}'s published key")]
    BadSignature(String),
    #[error("the body is not a message: {0}")]
    Malformed(String),
    #[error("the message says it is from {claimed} but came on {subject}")]
    WrongSubject { claimed: String, subject: String },
    #[error("the message id {header} is not the body's {body}")]
    WrongId { header: String, body: String },
    #[error("the message in {flow} is for {to}, not {platform}")]
    NotForUs {
        flow: String,
        to: String,
        platform: String,
    },
    #[error("{sender} may not send this: {what}")]
    NotTheSenders { sender: String, what: String },
}

/// Check what arrived on `subject` with id `msg_id` and signature
/// `signature`, against the sender's published key (`key_of` gives it, or
/// `None` for a platform not trusted). The message if it holds.
pub fn open(
    me: &Platform,
    subject: &str,
    msg_id: &str,
    body: &str,
    signature: &str,
    key_of: impl Fn(&Platform) -> Option<String>,
) -> Result<Message, Refused> {
    let message: Message =
        serde_json::from_str(body).map_err(|e| Refused::Malformed(e.to_string()))?;
    if !message.flow.goes(&message.from, &message.to) || message.wire_subject() != subject {
        return Err(Refused::WrongSubject {
            claimed: message.from.to_string(),
            subject: subject.to_string(),
        });
    }
    if message.id != msg_id || message.id != message_id(&message.from, message.seq) {
        return Err(Refused::WrongId {
            header: msg_id.to_string(),
            body: message.id.clone(),
        });
    }
    if &message.to != me {
        return Err(Refused::NotForUs {
            flow: message.flow.as_str().to_string(),
            to: message.to.to_string(),
            platform: me.to_string(),
        });
    }
    let key =
        key_of(&message.from).ok_or_else(|| Refused::UnknownSender(message.from.to_string()))?;
    if !licence::verify(&key, &signed_text(subject, body), signature) {
        return Err(Refused::BadSignature(message.from.to_string()));
    }
    // A trusted sender still speaks only of its own: the same rule that
    // lets an entry leave it is checked where it arrives.
    let not_its = |what: String| Refused::NotTheSenders {
        sender: message.from.to_string(),
        what,
    };
    match message.flow {
        Flow::Cases => {
            if !districts_case(&message.from, &message.subject, &message.event_type) {
                return Err(not_its(format!(
                    "{} on {}",
                    message.event_type, message.subject
                )));
            }
            let own_facts = message
                .facts
                .as_object()
                .is_some_and(|f| f.keys().all(|k| CASE_FACTS.contains(&k.as_str())));
            if !own_facts {
                return Err(not_its("facts a case message does not carry".into()));
            }
            let district = message.from.district().unwrap_or_default();
            // The department a fact names, and the organisation of whoever
            // acted (none for a citizen), are the district's.
            let outside = [
                message.facts.get("department").and_then(|d| d.as_str()),
                Some(message.org.as_str()).filter(|o| !o.is_empty()),
            ]
            .into_iter()
            .flatten()
            .find(|o| !o.starts_with(district));
            if let Some(o) = outside {
                return Err(not_its(format!("an organisation outside it ({o})")));
            }
        }
        Flow::Applications => {
            citys_application(me, &message.subject, &message.event_type, &message.facts)
                .map_err(not_its)?;
        }
        Flow::Aggregates => {
            let district = message.from.district().unwrap_or_default();
            if message.event_type != AGGREGATES_REPORTED
                || message.subject != aggregates_subject(district)
            {
                return Err(not_its(format!(
                    "{} on {}",
                    message.event_type, message.subject
                )));
            }
            only_aggregates(district, &message.facts).map_err(not_its)?;
        }
        Flow::Cards => {
            cards::citys_card(me, &message.subject, &message.event_type, &message.facts)
                .map_err(not_its)?;
        }
        Flow::Answers => {
            cards::districts_answer(&message.from, &message.event_type, &message.facts)
                .map_err(not_its)?;
        }
        Flow::Tickets => {
            tickets::citys_request(me, &message.subject, &message.event_type, &message.facts)
                .map_err(not_its)?;
        }
        Flow::Replies => {
            tickets::districts_reply(&message.from, &message.event_type, &message.facts)
                .map_err(not_its)?;
        }
        Flow::Items => {
            items::citys_item(me, &message.subject, &message.event_type, &message.facts)
                .map_err(not_its)?;
        }
        Flow::Licences => {
            licences::districts_licence(
                &message.from,
                &message.subject,
                &message.event_type,
                &message.facts,
            )
            .map_err(not_its)?;
        }
    }
    Ok(message)
}

/// Whether a message may be applied, given the sequence of the last one
/// applied from its sender in its flow (0 if none) and its body's hash
/// (none where it was applied before hashes were kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// The next in order: apply it.
    Apply,
    /// Applied before: acknowledge it and do nothing.
    Duplicate,
    /// One before it has not arrived: hold it until that one has.
    Wait,
    /// It says its predecessor is older than one already applied: the
    /// sender's outbox has been rewound (a restore from an old backup).
    /// Never applied; the owners must look.
    Rewound,
}

pub fn admit(
    last_applied: i64,
    last_hash: Option<&str>,
    seq: i64,
    prev: i64,
    prev_hash: &str,
) -> Admit {
    if seq <= last_applied {
        Admit::Duplicate
    } else if prev == last_applied {
        // The one it follows must be the one applied, not another body
        // under its number.
        match last_hash {
            Some(h) if last_applied > 0 && h != prev_hash => Admit::Rewound,
            _ => Admit::Apply,
        }
    } else if prev > last_applied {
        Admit::Wait
    } else {
        Admit::Rewound
    }
}

/// The city's copy of a case it handed down, moved on by the district's
/// message about it: its state and due dates as the district has them, and
/// the moments it passed. Whether the message was the handling district's
/// about this case (nothing changes otherwise).
pub fn follow(case: &mut Case, m: &Message) -> bool {
    let from = m.from.to_string();
    if case.handled_by.as_deref() != Some(from.as_str())
        || m.subject.strip_prefix("case/") != Some(case.number.as_str())
    {
        return false;
    }
    let Some(moved) = RemoteCaseState::after(&m.event_type) else {
        return false;
    };
    if let Some(state) = m
        .facts
        .get("state")
        .and_then(|s| serde_json::from_value::<CaseState>(s.clone()).ok())
    {
        case.facts.state = state;
    }
    let date = |k: &str| m.facts.get(k).and_then(|d| d.as_str()).map(str::to_string);
    if let Some(d) = date("promised_due") {
        case.promised_due = Some(d);
    }
    if let Some(d) = date("legal_due") {
        case.legal_due = Some(d);
    }
    use RemoteCaseState::*;
    match moved {
        Accepted => {
            case.accepted_at.get_or_insert(m.at);
        }
        Approved | Refused => case.decided_at = Some(m.at),
        NotAccepted | Withdrawn | Delivered => case.completed_at = Some(m.at),
        Submitted | InProgress | Suspended => {}
    }
    case.updated_at = m.at;
    true
}

/// Where a district's case stands, as the city learns it from the district.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteCaseState {
    Submitted,
    Accepted,
    NotAccepted,
    InProgress,
    Suspended,
    Approved,
    Refused,
    Withdrawn,
    Delivered,
}

impl RemoteCaseState {
    pub const ALL: [RemoteCaseState; 9] = [
        RemoteCaseState::Submitted,
        RemoteCaseState::Accepted,
        RemoteCaseState::NotAccepted,
        RemoteCaseState::InProgress,
        RemoteCaseState::Suspended,
        RemoteCaseState::Approved,
        RemoteCaseState::Refused,
        RemoteCaseState::Withdrawn,
        RemoteCaseState::Delivered,
    ];

    /// The state a case is in after an entry of `event_type`, for the
    /// entries that move it; `None` for the ones that do not.
    pub fn after(event_type: &str) -> Option<RemoteCaseState> {
        use RemoteCaseState::*;
        Some(match event_type {
            "hall.case_submitted" => Submitted,
            "hall.case_accepted" => Accepted,
            "hall.case_not_accepted" => NotAccepted,
            "hall.case_claimed"
            | "hall.case_passed"
            | "hall.case_returned"
            | "hall.case_opinion_given"
            | "hall.case_opinions_requested"
            | "hall.case_resumed"
            | "hall.case_extended" => InProgress,
            "hall.case_suspended" => Suspended,
            "hall.case_approved" => Approved,
            "hall.case_refused" => Refused,
            "hall.case_withdrawn" => Withdrawn,
            "hall.case_delivered" => Delivered,
            _ => return None,
        })
    }

    /// The state the public board names (the hall's own state names).
    pub fn board_state(self) -> &'static str {
        use RemoteCaseState::*;
        match self {
            Accepted | InProgress => "in_process",
            other => other.as_str(),
        }
    }

    pub fn as_str(self) -> &'static str {
        use RemoteCaseState::*;
        match self {
            Submitted => "submitted",
            Accepted => "accepted",
            NotAccepted => "not_accepted",
            InProgress => "in_progress",
            Suspended => "suspended",
            Approved => "approved",
            Refused => "refused",
            Withdrawn => "withdrawn",
            Delivered => "delivered",
        }
    }

    pub fn parse(s: &str) -> Option<RemoteCaseState> {
        Self::ALL.into_iter().find(|s2| s2.as_str() == s)
    }

    /// Whether the case is decided (a result the board counts).
    pub fn decided(self) -> bool {
        matches!(
            self,
            RemoteCaseState::Approved
                | RemoteCaseState::Refused
                | RemoteCaseState::NotAccepted
                | RemoteCaseState::Delivered
        )
    }

    pub fn label_zh(self) -> &'static str {
        use RemoteCaseState::*;
        match self {
            Submitted => "已申报",
            Accepted => "已受理",
            NotAccepted => "不予受理",
            InProgress => "办理中",
            Suspended => "已挂起",
            Approved => "准予许可",
            Refused => "不予许可",
            Withdrawn => "已撤回",
            Delivered => "已送达",
        }
    }

    pub fn label_en(self) -> &'static str {
        use RemoteCaseState::*;
        match self {
            Submitted => "submitted",
            Accepted => "accepted",
            NotAccepted => "not accepted",
            InProgress => "in progress",
            Suspended => "suspended",
            Approved => "approved",
            Refused => "refused",
            Withdrawn => "withdrawn",
            Delivered => "delivered",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(seq: i64, subject: &str, event_type: &str, payload: serde_json::Value) -> Entry {
        Entry {
            seq,
            at: 1_700_000_000_000_000 + seq,
            actor: "user:1".into(),
            org: "330106-012".into(),
            subject: subject.into(),
            event_type: event_type.into(),
            payload: payload.to_string(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn xihu() -> Platform {
        Platform::District("330106".into())
    }

    #[test]
    fn platforms_parse_and_print_as_given() {
        assert_eq!("city".parse(), Ok(Platform::City));
        assert_eq!("district:330106".parse(), Ok(xihu()));
        assert_eq!(xihu().to_string(), "district:330106");
        for bad in [
            "",
            "City",
            "district:",
            "district:33010",
            "district:3301066",
            "district:33a106",
            "district:330100",
            "330106",
            "district:330106\n",
        ] {
            assert!(bad.parse::<Platform>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_a_districts_case_entries_leave_it_and_never_the_applicant() {
        let submitted = entry(
            7,
            "case/2026-330106-000001",
            "hall.case_submitted",
            serde_json::json!({"item_id": 3, "department": "330106-012", "channel": "online",
                "applicant": "王*明", "identity": "33010619900101123X",
                "materials": [{"name": "身份证"}]}),
        );
        let (flow, facts) = outbound(&xihu(), &submitted).expect("a district's case leaves");
        assert_eq!(flow, Flow::Cases);
        assert_eq!(
            facts,
            serde_json::json!({"item_id": 3, "department": "330106-012", "channel": "online",
                "applicant_public": "王*明"}),
            "the board's masked name, never the identity or the materials"
        );
        assert_eq!(
            outbound(&Platform::City, &submitted),
            None,
            "the city sends no cases up"
        );
        let other = entry(
            8,
            "case/2026-330106-000001",
            "hall.material_added",
            serde_json::json!({}),
        );
        assert_eq!(outbound(&xihu(), &other), None);
        let person = entry(9, "person/1", "hall.case_submitted", serde_json::json!({}));
        assert_eq!(outbound(&xihu(), &person), None);
        let citys = entry(
            10,
            "case/2026-330100-000004",
            "hall.case_submitted",
            serde_json::json!({}),
        );
        assert_eq!(
            outbound(&xihu(), &citys),
            None,
            "a city case in the district's store stays"
        );
    }

    #[test]
    fn a_signed_message_opens_only_as_sent() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = licence::public_key_hex(&key);
        let e = entry(
            12,
            "case/2026-330106-000002",
            "hall.case_approved",
            serde_json::json!({}),
        );
        let m = Message::of(
            &xihu(),
            &Platform::City,
            Flow::Cases,
            &e,
            (7, "ab".into()),
            serde_json::json!({}),
        );
        let subject = m.wire_subject();
        assert_eq!(subject, "sunshine.cases.330106");
        let body = m.body();
        let sig = sign(&key, &subject, &body);
        let keys = |p: &Platform| (p == &xihu()).then(|| public.clone());
        assert_eq!(
            open(&Platform::City, &subject, &m.id, &body, &sig, keys),
            Ok(m.clone())
        );
        let tampered = body.replace("approved", "refused");
        assert!(matches!(
            open(&Platform::City, &subject, &m.id, &tampered, &sig, keys),
            Err(Refused::BadSignature(_))
        ));
        assert!(matches!(
            open(
                &Platform::City,
                "sunshine.cases.330108",
                &m.id,
                &body,
                &sig,
                keys
            ),
            Err(Refused::WrongSubject { .. })
        ));
        assert!(matches!(
            open(
                &Platform::City,
                &subject,
                "district:330106/13",
                &body,
                &sig,
                keys
            ),
            Err(Refused::WrongId { .. })
        ));
        assert!(matches!(
            open(&xihu(), &subject, &m.id, &body, &sig, keys),
            Err(Refused::NotForUs { .. })
        ));
        assert!(matches!(
            open(&Platform::City, &subject, &m.id, &body, &sig, |_| None),
            Err(Refused::UnknownSender(_))
        ));
        assert!(matches!(
            open(&Platform::City, &subject, &m.id, "{", &sig, keys),
            Err(Refused::Malformed(_))
        ));
        let other = SigningKey::from_bytes(&[8; 32]);
        assert!(matches!(
            open(
                &Platform::City,
                &subject,
                &m.id,
                &body,
                &sign(&other, &subject, &body),
                keys
            ),
            Err(Refused::BadSignature(_))
        ));
    }

    #[test]
    fn a_trusted_district_speaks_only_of_its_own_cases() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let public = licence::public_key_hex(&key);
        let binjiang = Platform::District("330108".into());
        let keys = |p: &Platform| (p == &binjiang).then(|| public.clone());
        let subject = Flow::Cases.subject("330108");
        let send = |m: &Message| {
            let body = m.body();
            let sig = sign(&key, &subject, &body);
            open(&Platform::City, &subject, &m.id, &body, &sig, keys)
        };
        let mut e = entry(
            5,
            "case/2026-330108-000001",
            "hall.case_refused",
            serde_json::json!({}),
        );
        e.org = "330108-002".into();
        let own = Message::of(
            &binjiang,
            &Platform::City,
            Flow::Cases,
            &e,
            (0, String::new()),
            serde_json::json!({"department": "330108-002"}),
        );
        assert!(send(&own).is_ok());
        let theirs = Message {
            subject: "case/2026-330106-000001".into(),
            ..own.clone()
        };
        assert!(matches!(send(&theirs), Err(Refused::NotTheSenders { .. })));
        let odd_event = Message {
            event_type: "registry.person_added".into(),
            ..own.clone()
        };
        assert!(matches!(
            send(&odd_event),
            Err(Refused::NotTheSenders { .. })
        ));
        let extra = Message {
            facts: serde_json::json!({"applicant": "王某"}),
            ..own.clone()
        };
        assert!(matches!(send(&extra), Err(Refused::NotTheSenders { .. })));
        let elsewhere = Message {
            facts: serde_json::json!({"department": "330106-002"}),
            ..own
        };
        assert!(matches!(
            send(&elsewhere),
            Err(Refused::NotTheSenders { .. })
        ));
    }

    fn application(number: &str) -> Application {
        Application {
            number: number.into(),
            query_code: "ABCD2345".into(),
            item_id: 3,
            version_id: 4,
            applicant: Applicant::Person {
                name: "王小明".into(),
                id_number: crate::ids::ResidentId::parse("33010619900101123X").expect("id"),
            },
            channel: Channel::Online,
            answers: serde_json::json!({"purpose": "开业"}),
            materials: vec![],
            bundle_number: None,
        }
    }

    #[test]
    fn the_city_hands_down_only_to_a_district_with_a_platform_and_only_its_applications() {
        let peers = || [xihu(), Platform::District("330108".into())];
        assert_eq!(
            handed_to(Some(&Platform::City), "330106", peers()),
            Some(xihu())
        );
        assert_eq!(
            handed_to(Some(&Platform::City), "330110", peers()),
            None,
            "no platform of its own"
        );
        assert_eq!(
            handed_to(Some(&xihu()), "330106", peers()),
            None,
            "only the city hands down"
        );
        assert_eq!(
            handed_to(None, "330106", peers()),
            None,
            "one process handles all"
        );

        let key = SigningKey::from_bytes(&[5; 32]);
        let public = licence::public_key_hex(&key);
        let keys = |p: &Platform| (p == &Platform::City).then(|| public.clone());
        let send =
            |number: &str, event: &str, facts: serde_json::Value, to: &Platform, me: &Platform| {
                let mut e = entry(40, &format!("case/{number}"), event, serde_json::json!({}));
                e.org = String::new();
                let m = Message::of(
                    &Platform::City,
                    to,
                    Flow::Applications,
                    &e,
                    (0, String::new()),
                    facts,
                );
                let subject = m.wire_subject();
                let body = m.body();
                let sig = sign(&key, &subject, &body);
                open(me, &subject, &m.id, &body, &sig, keys)
            };
        let n = "2026-330106-900001";
        let facts = serde_json::to_value(application(n)).expect("json");
        let opened =
            send(n, "hall.case_submitted", facts.clone(), &xihu(), &xihu()).expect("opens");
        assert_eq!(opened.wire_subject(), "sunshine.applications.330106");
        assert_eq!(
            serde_json::from_value::<Application>(opened.facts).expect("whole"),
            application(n)
        );
        // Sent to another district, or read by one it is not for.
        let binjiang = Platform::District("330108".into());
        assert!(matches!(
            send(
                n,
                "hall.case_submitted",
                facts.clone(),
                &binjiang,
                &binjiang
            ),
            Err(Refused::NotTheSenders { .. })
        ));
        assert!(matches!(
            send(n, "hall.case_submitted", facts.clone(), &xihu(), &binjiang),
            Err(Refused::NotForUs { .. })
        ));
        // A number in the district's own series, another event, a number
        // the application does not say, an application not whole.
        for (number, event, facts) in [
            (
                "2026-330106-000001",
                "hall.case_submitted",
                serde_json::to_value(application("2026-330106-000001")).expect("json"),
            ),
            (n, "hall.case_withdrawn", facts.clone()),
            (
                n,
                "hall.case_submitted",
                serde_json::to_value(application("2026-330106-900002")).expect("json"),
            ),
            (n, "hall.case_submitted", serde_json::json!({"number": n})),
        ] {
            assert!(
                matches!(
                    send(number, event, facts, &xihu(), &xihu()),
                    Err(Refused::NotTheSenders { .. })
                ),
                "{number} {event}"
            );
        }
        // The flow goes one way only.
        let e = entry(
            41,
            &format!("case/{n}"),
            "hall.case_submitted",
            serde_json::json!({}),
        );
        let up = Message::of(
            &xihu(),
            &Platform::City,
            Flow::Applications,
            &e,
            (0, String::new()),
            serde_json::json!({}),
        );
        let body = up.body();
        assert!(matches!(
            open(
                &Platform::City,
                &up.wire_subject(),
                &up.id,
                &body,
                &sign(&key, &up.wire_subject(), &body),
                keys
            ),
            Err(Refused::WrongSubject { .. })
        ));
    }

    #[test]
    fn a_result_carries_where_the_case_stands_and_never_the_clerks_words() {
        let decided = entry(
            9,
            "case/2026-330106-900001",
            "hall.case_refused",
            serde_json::json!({"action": "hall.case_refused", "state": {"state": "refused"},
                "details": {"reason": "王小明的材料不全"}, "promised_due": "2026-12-20",
                "legal_due": "2027-01-10", "step_due": null}),
        );
        let (_, facts) = outbound(&xihu(), &decided).expect("a result leaves");
        assert_eq!(
            facts,
            serde_json::json!({"state": {"state": "refused"}, "promised_due": "2026-12-20",
                "legal_due": "2027-01-10", "step_due": null})
        );
    }

    #[test]
    fn the_citys_copy_follows_only_the_handling_districts_word_on_it() {
        let number = "2026-330106-900001";
        let mut case = Case {
            id: 1,
            number: number.into(),
            query_code: "ABCD2345".into(),
            item_id: 3,
            version_id: 4,
            department: "330106-012".into(),
            region: "330106".into(),
            applicant_user: Some(9),
            applicant: application(number).applicant,
            applicant_public: "王某".into(),
            channel: Channel::Online,
            answers: serde_json::json!({}),
            facts: crate::hall::CaseFacts::new(2),
            clock: None,
            promised_due: None,
            legal_due: None,
            step_due: None,
            bundle_number: None,
            handled_by: Some("district:330106".into()),
            submitted_at: 1,
            accepted_at: None,
            decided_at: None,
            completed_at: None,
            updated_at: 1,
        };
        let word = |event: &str, facts: serde_json::Value, from: &Platform| {
            let e = entry(50, &format!("case/{number}"), event, serde_json::json!({}));
            Message::of(
                from,
                &Platform::City,
                Flow::Cases,
                &e,
                (0, String::new()),
                facts,
            )
        };
        let accepted = word(
            "hall.case_accepted",
            serde_json::json!({"state": {"state": "in_process", "step": 0}, "promised_due": "2026-12-20", "legal_due": "2027-01-10"}),
            &xihu(),
        );
        assert!(follow(&mut case, &accepted));
        assert_eq!(case.facts.state, CaseState::InProcess { step: 0 });
        assert_eq!(case.promised_due.as_deref(), Some("2026-12-20"));
        assert_eq!(case.accepted_at, Some(accepted.at));
        let approved = word(
            "hall.case_approved",
            serde_json::json!({"state": {"state": "approved"}}),
            &xihu(),
        );
        assert!(follow(&mut case, &approved));
        assert_eq!(case.facts.state, CaseState::Approved);
        assert_eq!(case.decided_at, Some(approved.at));
        assert_eq!(
            case.promised_due.as_deref(),
            Some("2026-12-20"),
            "kept when not said"
        );
        // Another district's word, or a case not handed down, changes nothing.
        let theirs = word(
            "hall.case_refused",
            serde_json::json!({"state": {"state": "refused"}}),
            &Platform::District("330108".into()),
        );
        assert!(!follow(&mut case, &theirs));
        case.handled_by = None;
        assert!(!follow(&mut case, &approved));
        assert_eq!(case.facts.state, CaseState::Approved);
    }

    #[test]
    fn a_districts_report_leaves_it_and_holds_only_aggregates() {
        let report = serde_json::json!({"region": "330106", "region_zh": "西湖区", "region_en": "Xihu",
            "breakdowns": [{"dimension": "age", "total": 120, "rows": [
                {"key": "under15", "label_zh": "15岁以下", "label_en": "Under 15", "persons": 20},
                {"key": "from90", "label_zh": "90岁以上", "label_en": "90 and over", "persons": null},
                {"key": "from80_to89", "label_zh": "80-89岁", "label_en": "80-89", "persons": 0}]}]});
        let e = entry(
            60,
            "registry/aggregates/330106",
            AGGREGATES_REPORTED,
            report.clone(),
        );
        assert_eq!(
            outbound(&xihu(), &e),
            Some((Flow::Aggregates, report.clone()))
        );
        assert_eq!(outbound(&Platform::City, &e), None);
        let other = entry(
            61,
            "registry/aggregates/330108",
            AGGREGATES_REPORTED,
            report.clone(),
        );
        assert_eq!(outbound(&xihu(), &other), None, "only its own report");
        assert_eq!(only_aggregates("330106", &report), Ok(()));
        assert!(
            only_aggregates("330108", &report).is_err(),
            "another district's"
        );
        let mut small = report.clone();
        small["breakdowns"][0]["rows"][0]["persons"] = 3.into();
        assert!(only_aggregates("330106", &small).is_err());
        let mut total = report.clone();
        total["breakdowns"][0]["total"] = 2.into();
        assert!(only_aggregates("330106", &total).is_err());
        let mut person = report.clone();
        person["breakdowns"][0]["rows"][0]["id_number"] = "33010619900101123X".into();
        assert!(only_aggregates("330106", &person).is_err());
        let mut extra = report;
        extra["persons"] = serde_json::json!([]);
        assert!(only_aggregates("330106", &extra).is_err());
    }

    #[test]
    fn every_moving_event_has_a_state_and_a_label() {
        for s in RemoteCaseState::ALL {
            assert_eq!(RemoteCaseState::parse(s.as_str()), Some(s));
        }
        for e in [
            "hall.case_submitted",
            "hall.case_accepted",
            "hall.case_not_accepted",
            "hall.case_claimed",
            "hall.case_suspended",
            "hall.case_approved",
            "hall.case_refused",
            "hall.case_withdrawn",
            "hall.case_delivered",
        ] {
            let s = RemoteCaseState::after(e).expect(e);
            assert_eq!(RemoteCaseState::parse(s.as_str()), Some(s));
            assert!(!s.label_zh().is_empty() && !s.label_en().is_empty());
        }
        assert!(RemoteCaseState::Approved.decided());
        assert!(!RemoteCaseState::Accepted.decided());
    }

    proptest! {
        /// A receiver that admits messages as they arrive, in any order and
        /// with any repeats, applies each exactly once and in the sender's
        /// order, provided every message arrives again after it was held.
        #[test]
        fn admitted_messages_apply_once_in_order(
            gaps in proptest::collection::vec(1i64..5, 1..30),
            deliveries in proptest::collection::vec(any::<prop::sample::Index>(), 0..80),
        ) {
            // The sender's messages: (seq, prev), seqs rising with gaps; a
            // message's hash here is its seq's, as each body is its own.
            let mut sent = Vec::new();
            let mut prev = 0;
            for g in gaps {
                let seq = prev + g;
                sent.push((seq, prev));
                prev = seq;
            }
            let hash = |seq: i64| if seq == 0 { String::new() } else { format!("h{seq}") };
            let mut last = 0;
            let mut applied = Vec::new();
            // Random deliveries, then a redelivery of everything held, in
            // order, as the engine does for messages not acknowledged.
            let order = deliveries
                .iter()
                .map(|i| sent[i.index(sent.len())])
                .chain(sent.iter().copied());
            for (seq, prev) in order {
                match admit(last, Some(&hash(last)), seq, prev, &hash(prev)) {
                    Admit::Apply => {
                        applied.push(seq);
                        last = seq;
                    }
                    Admit::Duplicate | Admit::Wait => {}
                    Admit::Rewound => prop_assert!(false, "a consistent sender is never rewound"),
                }
            }
            prop_assert_eq!(applied, sent.iter().map(|(s, _)| *s).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_rewound_sender_is_caught() {
        let h = Some("aa");
        assert_eq!(admit(10, h, 12, 4, "00"), Admit::Rewound);
        assert_eq!(admit(10, h, 12, 10, "aa"), Admit::Apply);
        assert_eq!(
            admit(10, h, 12, 10, "bb"),
            Admit::Rewound,
            "another body numbered 10"
        );
        assert_eq!(
            admit(10, None, 12, 10, "bb"),
            Admit::Apply,
            "applied before hashes"
        );
        assert_eq!(admit(10, h, 12, 11, "cc"), Admit::Wait);
        assert_eq!(admit(10, h, 9, 4, "dd"), Admit::Duplicate);
        assert_eq!(admit(0, None, 3, 0, ""), Admit::Apply);
    }
}
