//! The online government hall (网上政务大厅): applications, cases and their
//! lifecycle, the law's clocks, form answers, fees and penalty discretion.
//! Pure rules; the app layer stores cases and journals every command.

mod answers;
mod available;
mod clocks;
pub mod grants;
mod lifecycle;
pub mod wording;

pub use answers::check_answers;
pub use available::{
    available, check, may_charge_fee, may_claim_and_pass, may_decide_penalty, permit, CaseAt,
};
pub use clocks::{due_date, stopped_days, CaseClock, ClockChange};
pub use lifecycle::{
    decide, CaseCommand, CaseFacts, CaseState, Decision, Milestone, Opinion, SpecialProcedure,
    MAX_EXTENSION,
};

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::{Discretion, Fee};
use crate::ids::{mask_person_name, CreditCode, RegionCode, ResidentId};
use crate::refusal::Refusal;

/// Where the city's portal numbers the applications it takes for a district
/// that runs a platform of its own: above this, in the district's series
/// (`2026-330106-900001`), so that the two never give one number twice. A
/// district's own platform numbers up to it.
pub const PORTAL_SERIES: u32 = 900_000;

/// 办件编号: year, region and a sequence within them (`2026-330106-000123`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseNumber {
    pub year: i16,
    pub region: RegionCode,
    pub seq: u32,
}

impl CaseNumber {
    pub fn parse(s: &str) -> Result<CaseNumber, Refusal> {
        let bad = || {
            Refusal::field(
                "case_number",
                "办件编号应为“年份-区划代码-六位序号”",
                "A case number is YEAR-REGION-SEQUENCE, e.g. 2026-330106-000123",
            )
        };
        let mut parts = s.trim().split('-');
        let (Some(y), Some(r), Some(n), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if y.len() != 4 || n.len() != 6 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i16 = y.parse().map_err(|_| bad())?;
        let seq: u32 = n.parse().map_err(|_| bad())?;
        let region = RegionCode::parse(r).map_err(|_| bad())?;
        if !(2000..=2999).contains(&year) || seq == 0 {
            return Err(bad());
        }
        Ok(CaseNumber { year, region, seq })
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:06}", self.year, self.region, self.seq)
    }
}

impl From<CaseNumber> for String {
    fn from(c: CaseNumber) -> String {
        c.to_string()
    }
}

impl TryFrom<String> for CaseNumber {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        CaseNumber::parse(&s).map_err(|r| r.message.en)
    }
}

/// 查询码: lets an applicant follow a case without signing in. Eight
/// characters from an alphabet without look-alikes (no 0/O, 1/I/L).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QueryCode(String);

const QUERY_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

impl QueryCode {
    /// Made from random bytes that the caller draws (the domain draws none).
    pub fn from_random(bytes: [u8; 8]) -> QueryCode {
        QueryCode(
            bytes
                .iter()
                .map(|b| QUERY_ALPHABET[usize::from(*b) % QUERY_ALPHABET.len()] as char)
                .collect(),
        )
    }
    pub fn parse(s: &str) -> Option<QueryCode> {
        let s = s.trim().to_ascii_uppercase();
        (s.len() == 8 && s.bytes().all(|b| QUERY_ALPHABET.contains(&b))).then_some(QueryCode(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who applies: a person with an identity number or an enterprise with a credit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Applicant {
    Person {
        name: String,
        id_number: ResidentId,
    },
    Enterprise {
        name: String,
        credit_code: CreditCode,
    },
}

impl Applicant {
    /// As the public board shows it: a person as surname + 某, an enterprise by name.
    pub fn public_name(&self) -> String {
        match self {
            Applicant::Person { name, .. } => mask_person_name(name),
            Applicant::Enterprise { name, .. } => name.clone(),
        }
    }
}

/// How the application reached the hall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 网上申报
    Online,
    /// 窗口受理, registered by staff at a counter.
    Counter,
}

/// A case: who applied for which item version, through which channel, its
/// facts and clock, and the moments it passed. The store keeps it; the app
/// applies decisions to it.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: i64,
    pub number: String,
    pub query_code: String,
    pub item_id: i64,
    pub version_id: i64,
    pub department: String,
    pub region: String,
    pub applicant_user: Option<i64>,
    pub applicant: Applicant,
    pub applicant_public: String,
    pub channel: Channel,
    pub answers: serde_json::Value,
    pub facts: CaseFacts,
    pub clock: Option<CaseClock>,
    pub promised_due: Option<String>,
    pub legal_due: Option<String>,
    /// When the current step is due, while the case is handled.
    pub step_due: Option<String>,
    /// The one-stop application (一件事) this case is part of.
    pub bundle_number: Option<String>,
    /// The platform that handles the case when this one took it and
    /// handed it down (`district:330106`): here it is only followed.
    pub handled_by: Option<String>,
    pub submitted_at: i64,
    pub accepted_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub updated_at: i64,
}

/// 按时办结: whether a case was completed within its promised due date or,
/// while open, is not yet past it. `state` is a `CaseState::name()`; dates are
/// ISO `YYYY-MM-DD` (Shanghai), which compare as text. A case not yet
/// accepted, or closed without a decision (withdrawn, not accepted), has no
/// such question.
pub fn on_time(
    state: &str,
    promised_due: Option<&str>,
    completed_on: Option<&str>,
    today: &str,
) -> Option<bool> {
    let closed_undecided =
        state == CaseState::Withdrawn.name() || state == CaseState::NotAccepted.name();
    match (promised_due, completed_on) {
        _ if closed_undecided => None,
        (Some(due), Some(done)) => Some(done <= due),
        (Some(due), None) => Some(today <= due),
        (None, _) => None,
    }
}

/// What is wrong with a charge, measured against the item's catalogued fees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeFault {
    /// No fee of that name is in the catalogue.
    NotCatalogued,
    /// The fee is catalogued with another standard amount (in fen).
    NotStandard { standard_fen: i64 },
}

/// The fault of a charge, if it has one: the hall refuses such a charge, and
/// supervision flags one that reaches it from elsewhere.
pub fn fee_fault(fees: &[Fee], name: &str, amount_fen: i64) -> Option<FeeFault> {
    match fees.iter().find(|f| f.name == name) {
        None => Some(FeeFault::NotCatalogued),
        Some(f) if f.standard_fen != amount_fen => Some(FeeFault::NotStandard {
            standard_fen: f.standard_fen,
        }),
        Some(_) => None,
    }
}

/// Only the item's catalogued fees, at their standard amounts, can be charged.
pub fn check_fee(fees: &[Fee], name: &str, amount_fen: i64) -> Result<(), Refusal> {
    match fee_fault(fees, name, amount_fen) {
        None => Ok(()),
        Some(FeeFault::NotCatalogued) => Err(Refusal::field(
            "fee",
            format!("“{name}”不是该事项目录中的收费项目"),
            format!("'{name}' is not a catalogued fee of this item"),
        )),
        Some(FeeFault::NotStandard { standard_fen }) => Err(Refusal::field(
            "amount",
            format!(
                "收费金额应为标准金额{}.{:02}元",
                standard_fen / 100,
                standard_fen % 100
            ),
            format!(
                "The amount must be the standard {}.{:02} yuan",
                standard_fen / 100,
                standard_fen % 100
            ),
        )),
    }
}

/// A penalty's measure must come from the item's discretion standard, and
/// its amount lie within that circumstance's range.
pub fn check_penalty(
    discretion: &[Discretion],
    circumstance: usize,
    amount_fen: i64,
) -> Result<&Discretion, Refusal> {
    let Some(d) = discretion.get(circumstance) else {
        return Err(Refusal::field(
            "circumstance",
            "请从裁量基准中选择违法情形",
            "Choose the circumstance from the discretion standard",
        ));
    };
    if amount_fen < d.min_fen || amount_fen > d.max_fen {
        return Err(Refusal::field(
            "amount",
            format!("罚款金额应在{}至{}元之间", d.min_fen / 100, d.max_fen / 100),
            format!(
                "The fine must be between {} and {} yuan",
                d.min_fen / 100,
                d.max_fen / 100
            ),
        ));
    }
    Ok(d)
}

/// An applicant rates the service once, after the decision: 1 (bad) to 5
/// (good), with a comment of at most 500 characters.
pub fn check_rating(
    state: &CaseState,
    already_rated: bool,
    rating: i64,
    comment: &str,
) -> Result<(), Refusal> {
    rating_open(state, already_rated)?;
    if !(1..=5).contains(&rating) {
        return Err(Refusal::field(
            "rating",
            "评价应为1至5分",
            "A rating is 1 to 5",
        ));
    }
    if comment.chars().count() > 500 || !crate::refusal::is_clean_text(comment) {
        return Err(Refusal::field(
            "comment",
            "评价内容不超过500个字符，且不能包含控制字符",
            "A comment has at most 500 characters and no control characters",
        ));
    }
    Ok(())
}

/// Whether the applicant may rate the case now: once, after the decision.
pub fn rating_open(state: &CaseState, already_rated: bool) -> Result<(), Refusal> {
    if !state.is_decided() {
        return Err(Refusal::conflict(
            "not_decided",
            "办件作出决定后才能评价",
            "A case can be rated once it is decided",
        ));
    }
    if already_rated {
        return Err(Refusal::conflict(
            "already_rated",
            "每个办件只能评价一次",
            "A case is rated once",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
