//! The board as app shows it: read models and the filter the pages and the
//! API pass in, converted from and to the store's rows.

use sunshine_store::disclosure as store;

/// A case as the public board shows it. No identity number, phone, address
/// or material ever enters this table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BoardCase {
    pub number: String,
    pub item_id: i64,
    pub item_name: String,
    pub department: String,
    pub region: String,
    pub applicant_public: String,
    pub channel: String,
    pub state: String,
    pub submitted_at: i64,
    pub accepted_at: Option<i64>,
    pub promised_due: Option<String>,
    pub completed_at: Option<i64>,
    pub completed_on: Option<String>,
    /// The journal entry that last changed it.
    pub seq: i64,
    /// The applicant's rating, 1 to 5, once given.
    pub rating: Option<i64>,
}

impl From<store::BoardCase> for BoardCase {
    fn from(r: store::BoardCase) -> Self {
        Self {
            number: r.number,
            item_id: r.item_id,
            item_name: r.item_name,
            department: r.department,
            region: r.region,
            applicant_public: r.applicant_public,
            channel: r.channel,
            state: r.state,
            submitted_at: r.submitted_at,
            accepted_at: r.accepted_at,
            promised_due: r.promised_due,
            completed_at: r.completed_at,
            completed_on: r.completed_on,
            seq: r.seq,
            rating: r.rating,
        }
    }
}

/// What to show; empty filters do not filter.
#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    pub department: Option<String>,
    pub region: Option<String>,
    pub item_id: Option<i64>,
    pub state: Option<String>,
    pub after_seq: Option<i64>,
    pub limit: i64,
    /// Rows to skip, for paging through the newest-first list.
    pub offset: i64,
}

impl From<BoardFilter> for store::BoardFilter {
    fn from(f: BoardFilter) -> Self {
        Self {
            department: f.department,
            region: f.region,
            item_id: f.item_id,
            state: f.state,
            after_seq: f.after_seq,
            limit: f.limit,
            offset: f.offset,
        }
    }
}

/// The board's figures for one department or region.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BoardStats {
    pub key: String,
    pub total: i64,
    pub accepted: i64,
    pub done: i64,
    pub on_time: i64,
    pub online: i64,
    /// Sum over done cases of (completion − acceptance), microseconds.
    pub done_micros: i64,
    pub ratings: i64,
    pub rating_sum: i64,
}

impl From<store::BoardStats> for BoardStats {
    fn from(r: store::BoardStats) -> Self {
        Self {
            key: r.key,
            total: r.total,
            accepted: r.accepted,
            done: r.done,
            on_time: r.on_time,
            online: r.online,
            done_micros: r.done_micros,
            ratings: r.ratings,
            rating_sum: r.rating_sum,
        }
    }
}

/// What the board's filters can choose from: the departments, regions and
/// items (id, name) that have cases on it.
#[derive(Debug, Clone, Default)]
pub struct Facets {
    pub departments: Vec<String>,
    pub regions: Vec<String>,
    pub items: Vec<(i64, String)>,
}

impl From<store::Facets> for Facets {
    fn from(r: store::Facets) -> Self {
        Self {
            departments: r.departments,
            regions: r.regions,
            items: r.items,
        }
    }
}

/// A case as the extranet view shows it to staff: read from the hall's own
/// tables, with what the public board leaves out.
#[derive(Debug, Clone)]
pub struct ExtranetCase {
    pub number: String,
    pub item_id: i64,
    pub department: String,
    pub region: String,
    pub applicant: sunshine_domain::hall::Applicant,
    pub applicant_public: String,
    pub channel: String,
    pub facts: sunshine_domain::hall::CaseFacts,
    pub promised_due: Option<String>,
    pub legal_due: Option<String>,
    pub accepted_at: Option<i64>,
    pub completed_at: Option<i64>,
    /// A penalty case's decided circumstance, measure and amount.
    pub penalty: Option<serde_json::Value>,
    /// The spec of the item version the case began on.
    pub spec: sunshine_domain::catalog::ItemSpec,
    /// Fees charged: (name, amount in fen).
    pub charges: Vec<(String, i64)>,
    /// Who signed for the current step, by name.
    pub claimed_by: Option<String>,
}

impl From<store::ExtranetCase> for ExtranetCase {
    fn from(r: store::ExtranetCase) -> Self {
        Self {
            number: r.number,
            item_id: r.item_id,
            department: r.department,
            region: r.region,
            applicant: r.applicant,
            applicant_public: r.applicant_public,
            channel: r.channel,
            facts: r.facts,
            promised_due: r.promised_due,
            legal_due: r.legal_due,
            accepted_at: r.accepted_at,
            completed_at: r.completed_at,
            penalty: r.penalty,
            spec: r.spec,
            charges: r.charges,
            claimed_by: r.claimed_by,
        }
    }
}
