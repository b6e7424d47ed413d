//! The public board's projection of cases: only what the public may see.

use sqlx::{AnyConnection, Row};

use crate::{Result, StoreError};

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

pub async fn upsert(conn: &mut AnyConnection, c: &BoardCase) -> Result<()> {
    sqlx::query(
        "INSERT INTO disclosure_cases (number, item_id, item_name, department, region, applicant_public, channel, state, submitted_at, accepted_at, promised_due, completed_at, completed_on, seq, rating) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (number) DO UPDATE SET state = excluded.state, accepted_at = excluded.accepted_at, promised_due = excluded.promised_due, \
         completed_at = excluded.completed_at, completed_on = excluded.completed_on, seq = excluded.seq, rating = excluded.rating",
    )
    .bind(&c.number)
    .bind(c.item_id)
    .bind(&c.item_name)
    .bind(&c.department)
    .bind(&c.region)
    .bind(&c.applicant_public)
    .bind(&c.channel)
    .bind(&c.state)
    .bind(c.submitted_at)
    .bind(c.accepted_at)
    .bind(c.promised_due.clone())
    .bind(c.completed_at)
    .bind(c.completed_on.clone())
    .bind(c.seq)
    .bind(c.rating)
    .execute(&mut *conn)
    .await?;
    Ok(())
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

impl BoardFilter {
    /// Whether a row passes the filter: the same test as [`WHERE`], for rows
    /// that arrive live rather than from the table.
    pub fn matches(&self, c: &BoardCase) -> bool {
        self.looks_at(c) && self.state.as_deref().is_none_or(|s| s == c.state)
    }

    /// Whether a changed row is where the filter looks but has moved to a
    /// state it does not show: a live client drops it if it had it.
    pub fn moved_out(&self, c: &BoardCase) -> bool {
        self.looks_at(c) && self.state.as_deref().is_some_and(|s| s != c.state)
    }

    /// Everything but the state: a case never changes these.
    fn looks_at(&self, c: &BoardCase) -> bool {
        let is = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        is(&self.department, &c.department)
            && is(&self.region, &c.region)
            && self.item_id.is_none_or(|i| i == c.item_id)
            && c.seq > self.after_seq.unwrap_or(0)
    }
}

/// The filter as SQL, bound by [`bind_filter`]; [`BoardFilter::matches`] is the same test in Rust.
const WHERE: &str = "WHERE ($1 = '' OR department = $1) AND ($2 = '' OR region = $2) AND ($3 = 0 OR item_id = $3) AND ($4 = '' OR state = $4) AND seq > $5";

const BOARD_COLUMNS: &str = "number, item_id, item_name, department, region, applicant_public, channel, state, submitted_at, accepted_at, promised_due, completed_at, completed_on, seq, rating";

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_filter<'q>(q: AnyQuery<'q>, f: &BoardFilter) -> AnyQuery<'q> {
    q.bind(f.department.clone().unwrap_or_default())
        .bind(f.region.clone().unwrap_or_default())
        .bind(f.item_id.unwrap_or(0))
        .bind(f.state.clone().unwrap_or_default())
        .bind(f.after_seq.unwrap_or(0))
}

fn board_case(r: &sqlx::any::AnyRow) -> Result<BoardCase> {
    Ok(BoardCase {
        number: r.try_get("number")?,
        item_id: r.try_get("item_id")?,
        item_name: r.try_get("item_name")?,
        department: r.try_get("department")?,
        region: r.try_get("region")?,
        applicant_public: r.try_get("applicant_public")?,
        channel: r.try_get("channel")?,
        state: r.try_get("state")?,
        submitted_at: r.try_get("submitted_at")?,
        accepted_at: r.try_get("accepted_at")?,
        promised_due: r.try_get("promised_due")?,
        completed_at: r.try_get("completed_at")?,
        completed_on: r.try_get("completed_on")?,
        seq: r.try_get("seq")?,
        rating: r.try_get("rating")?,
    })
}

/// The board, newest change first, a page at a time.
pub async fn list(conn: &mut AnyConnection, f: &BoardFilter) -> Result<Vec<BoardCase>> {
    let sql = format!(
        "SELECT {BOARD_COLUMNS} FROM disclosure_cases {WHERE} ORDER BY seq DESC LIMIT $6 OFFSET $7"
    );
    let rows = bind_filter(sqlx::query(&sql), f)
        .bind(f.limit.clamp(1, 500))
        .bind(f.offset.max(0))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(board_case).collect()
}

/// How many rows pass the filter.
pub async fn count(conn: &mut AnyConnection, f: &BoardFilter) -> Result<i64> {
    let sql = format!("SELECT COUNT(*) AS n FROM disclosure_cases {WHERE}");
    let row = bind_filter(sqlx::query(&sql), f)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

/// Rows changed after `f.after_seq`, oldest change first: what a live
/// client missed, in the order it happened.
pub async fn changes(conn: &mut AnyConnection, f: &BoardFilter) -> Result<Vec<BoardCase>> {
    let sql = format!("SELECT {BOARD_COLUMNS} FROM disclosure_cases {WHERE} ORDER BY seq LIMIT $6");
    let rows = bind_filter(sqlx::query(&sql), f)
        .bind(f.limit.clamp(1, 500))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(board_case).collect()
}

/// The journal sequence of the board's latest change (0 when empty).
pub async fn last_seq(conn: &mut AnyConnection) -> Result<i64> {
    let row =
        sqlx::query("SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) AS s FROM disclosure_cases")
            .fetch_one(&mut *conn)
            .await?;
    Ok(row.try_get("s")?)
}

/// What the board's filters can choose from: the departments, regions and
/// items (id, name) that have cases on it.
#[derive(Debug, Clone, Default)]
pub struct Facets {
    pub departments: Vec<String>,
    pub regions: Vec<String>,
    pub items: Vec<(i64, String)>,
}

pub async fn facets(conn: &mut AnyConnection) -> Result<Facets> {
    let mut f = Facets::default();
    for (column, out) in [
        ("department", &mut f.departments),
        ("region", &mut f.regions),
    ] {
        let rows = sqlx::query(&format!(
            "SELECT DISTINCT {column} AS v FROM disclosure_cases ORDER BY v"
        ))
        .fetch_all(&mut *conn)
        .await?;
        *out = rows
            .iter()
            .map(|r| r.try_get("v"))
            .collect::<Result<_, _>>()?;
    }
    let rows = sqlx::query(
        "SELECT DISTINCT item_id, item_name FROM disclosure_cases ORDER BY item_name, item_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    f.items = rows
        .iter()
        .map(|r| Ok((r.try_get("item_id")?, r.try_get("item_name")?)))
        .collect::<Result<_>>()?;
    Ok(f)
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

/// Figures grouped by `department` or `region`.
pub async fn stats(conn: &mut AnyConnection, by_region: bool) -> Result<Vec<BoardStats>> {
    let key = if by_region { "region" } else { "department" };
    let rows = sqlx::query(&format!(
        "SELECT {key} AS k, COUNT(*) AS total, \
         CAST(SUM(CASE WHEN accepted_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS accepted, \
         CAST(SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END) AS BIGINT) AS done, \
         CAST(SUM(CASE WHEN state = 'delivered' AND completed_on <= promised_due THEN 1 ELSE 0 END) AS BIGINT) AS on_time, \
         CAST(SUM(CASE WHEN channel = 'online' THEN 1 ELSE 0 END) AS BIGINT) AS online, \
         CAST(SUM(CASE WHEN state = 'delivered' AND accepted_at IS NOT NULL THEN completed_at - accepted_at ELSE 0 END) AS BIGINT) AS done_micros, \
         CAST(SUM(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS ratings, \
         CAST(SUM(CASE WHEN rating IS NOT NULL THEN rating ELSE 0 END) AS BIGINT) AS rating_sum \
         FROM disclosure_cases GROUP BY {key} ORDER BY {key}"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(BoardStats {
                key: r.try_get("k")?,
                total: r.try_get("total")?,
                accepted: r.try_get("accepted")?,
                done: r.try_get("done")?,
                on_time: r.try_get("on_time")?,
                online: r.try_get("online")?,
                done_micros: r.try_get("done_micros")?,
                ratings: r.try_get("ratings")?,
                rating_sum: r.try_get("rating_sum")?,
            })
        })
        .collect()
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

fn corrupt(what: &str, e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// The extranet's filter over the hall's cases, limited to `departments`
/// (those the reader may view); the other fields as on the public board.
fn extranet_where(departments: usize) -> String {
    let list: Vec<String> = (0..departments).map(|i| format!("${}", i + 5)).collect();
    format!(
        "WHERE c.department IN ({}) AND ($1 = '' OR c.department = $1) AND ($2 = '' OR c.region = $2) \
         AND ($3 = 0 OR c.item_id = $3) AND ($4 = '' OR c.state = $4)",
        list.join(", ")
    )
}

fn bind_extranet<'q>(
    mut q: AnyQuery<'q>,
    f: &BoardFilter,
    departments: &'q [String],
) -> AnyQuery<'q> {
    q = q
        .bind(f.department.clone().unwrap_or_default())
        .bind(f.region.clone().unwrap_or_default())
        .bind(f.item_id.unwrap_or(0))
        .bind(f.state.clone().unwrap_or_default());
    for d in departments {
        q = q.bind(d.as_str());
    }
    q
}

/// A page of the cases of `departments`, latest change first, and how many pass the filter.
pub async fn extranet(
    conn: &mut AnyConnection,
    f: &BoardFilter,
    departments: &[String],
) -> Result<(Vec<ExtranetCase>, i64)> {
    if departments.is_empty() {
        return Ok((vec![], 0));
    }
    let filter = extranet_where(departments.len());
    let n = departments.len() + 5;
    let sql = format!(
        "SELECT c.number, c.item_id, c.department, c.region, c.applicant, c.applicant_public, c.channel, c.facts, \
         c.promised_due, c.legal_due, c.accepted_at, c.completed_at, c.penalty, v.spec \
         FROM cases c JOIN item_versions v ON v.id = c.version_id {filter} \
         ORDER BY c.updated_at DESC, c.id DESC LIMIT ${n} OFFSET ${}",
        n + 1
    );
    let rows = bind_extranet(sqlx::query(&sql), f, departments)
        .bind(f.limit.clamp(1, 500))
        .bind(f.offset.max(0))
        .fetch_all(&mut *conn)
        .await?;
    let count_sql = format!("SELECT COUNT(*) AS n FROM cases c {filter}");
    let total: i64 = bind_extranet(sqlx::query(&count_sql), f, departments)
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    let mut cases = Vec::with_capacity(rows.len());
    for r in &rows {
        let facts: sunshine_domain::hall::CaseFacts =
            serde_json::from_str(&r.try_get::<String, _>("facts")?)
                .map_err(|e| corrupt("facts", e))?;
        let penalty: Option<String> = r.try_get("penalty")?;
        cases.push(ExtranetCase {
            number: r.try_get("number")?,
            item_id: r.try_get("item_id")?,
            department: r.try_get("department")?,
            region: r.try_get("region")?,
            applicant: serde_json::from_str(&r.try_get::<String, _>("applicant")?)
                .map_err(|e| corrupt("applicant", e))?,
            applicant_public: r.try_get("applicant_public")?,
            channel: r.try_get("channel")?,
            promised_due: r.try_get("promised_due")?,
            legal_due: r.try_get("legal_due")?,
            accepted_at: r.try_get("accepted_at")?,
            completed_at: r.try_get("completed_at")?,
            penalty: penalty
                .map(|p| serde_json::from_str(&p).map_err(|e| corrupt("penalty", e)))
                .transpose()?,
            spec: serde_json::from_str(&r.try_get::<String, _>("spec")?)
                .map_err(|e| corrupt("spec", e))?,
            charges: vec![],
            claimed_by: None,
            facts,
        });
    }
    for c in &mut cases {
        c.charges = crate::hall::charges(conn, &c.number).await?;
        if let Some(id) = c.facts.claimed_by {
            c.claimed_by = crate::identity::find_user(conn, id)
                .await?
                .map(|u| u.display_name);
        }
    }
    Ok((cases, total))
}
