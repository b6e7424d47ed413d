//! The catalogue as app shows it: versions and list rows converted from the
//! store's, and the filter the pages and the API pass in.

use jiff::civil::Date;

use sunshine_domain::catalog::{ItemSpec, ItemType, VersionState};

use sunshine_store::catalog as store;

/// One version of an item, whole.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub id: i64,
    pub item_id: i64,
    pub version_no: i64,
    pub state: VersionState,
    pub spec: ItemSpec,
    pub effective_date: Option<Date>,
    pub entered_at: Option<i64>,
    pub returned_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The version the public sees, if the item has one in the library.
    pub current_version: Option<i64>,
}

impl From<store::VersionRow> for VersionRow {
    fn from(r: store::VersionRow) -> Self {
        Self {
            id: r.id,
            item_id: r.item_id,
            version_no: r.version_no,
            state: r.state,
            spec: r.spec,
            effective_date: r.effective_date,
            entered_at: r.entered_at,
            returned_reason: r.returned_reason,
            created_at: r.created_at,
            updated_at: r.updated_at,
            current_version: r.current_version,
        }
    }
}

/// A version in a list: enough to show a row and filter.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VersionSummary {
    pub id: i64,
    pub item_id: i64,
    pub version_no: i64,
    pub state: VersionState,
    pub code: String,
    pub name: String,
    pub item_type: ItemType,
    pub region: String,
    pub implementing_body: String,
    pub sensitive: bool,
    pub effective_date: Option<String>,
    pub updated_at: i64,
}

impl From<store::VersionSummary> for VersionSummary {
    fn from(r: store::VersionSummary) -> Self {
        Self {
            id: r.id,
            item_id: r.item_id,
            version_no: r.version_no,
            state: r.state,
            code: r.code,
            name: r.name,
            item_type: r.item_type,
            region: r.region,
            implementing_body: r.implementing_body,
            sensitive: r.sensitive,
            effective_date: r.effective_date,
            updated_at: r.updated_at,
        }
    }
}

/// What to list. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct VersionFilter {
    pub state: Option<VersionState>,
    pub region: Option<String>,
    pub implementing_body: Option<String>,
    pub item_type: Option<ItemType>,
    /// Words to find in the code or name.
    pub q: Option<String>,
    /// Only the versions the public may see: in the library, not sensitive.
    pub public_only: bool,
    /// Only versions that are the latest of their item.
    pub latest_only: bool,
    pub limit: i64,
    pub offset: i64,
}

impl From<VersionFilter> for store::VersionFilter {
    fn from(f: VersionFilter) -> Self {
        Self {
            state: f.state,
            region: f.region,
            implementing_body: f.implementing_body,
            item_type: f.item_type,
            q: f.q,
            public_only: f.public_only,
            latest_only: f.latest_only,
            limit: f.limit,
            offset: f.offset,
        }
    }
}

/// One cell of the panoramic view: how many versions of a kind stand where.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PanoramaCount {
    pub region: String,
    pub implementing_body: String,
    pub item_type: String,
    pub state: String,
    pub count: i64,
}

impl From<store::PanoramaCount> for PanoramaCount {
    fn from(c: store::PanoramaCount) -> Self {
        Self {
            region: c.region,
            implementing_body: c.implementing_body,
            item_type: c.item_type,
            state: c.state,
            count: c.count,
        }
    }
}
