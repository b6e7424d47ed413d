//! The power-item catalogue's SQL: items, their versions, searches, counts.

use jiff::civil::Date;
use sqlx::{AnyConnection, Row};
use sunshine_domain::catalog::{ItemSpec, ItemType, VersionState};

use crate::{flag, Result, StoreError};

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

pub async fn insert_item(
    conn: &mut AnyConnection,
    code: &str,
    region: &str,
    at: i64,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO power_items (code, region, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(code)
    .bind(region)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

pub async fn find_item(conn: &mut AnyConnection, code: &str, region: &str) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT id FROM power_items WHERE code = $1 AND region = $2")
        .bind(code)
        .bind(region)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok(r.try_get("id")?)).transpose()
}

fn spec_text(spec: &ItemSpec) -> Result<String> {
    serde_json::to_string(spec).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub async fn insert_version(
    conn: &mut AnyConnection,
    item_id: i64,
    version_no: i64,
    state: VersionState,
    spec: &ItemSpec,
    at: i64,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO item_versions (item_id, version_no, state, code, name, item_type, level, region, implementing_body, sensitive, spec, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(item_id)
    .bind(version_no)
    .bind(state.as_str())
    .bind(&spec.code)
    .bind(&spec.name)
    .bind(spec.item_type.as_str())
    .bind(spec.level.as_str())
    .bind(spec.region.as_str())
    .bind(spec.implementing_body.as_str())
    .bind(flag(spec.sensitive))
    .bind(spec_text(spec)?)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// Replace a draft's contents. The code and region are the item's and do not change.
pub async fn update_spec(
    conn: &mut AnyConnection,
    version_id: i64,
    spec: &ItemSpec,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE item_versions SET name = $1, item_type = $2, level = $3, implementing_body = $4, sensitive = $5, spec = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(&spec.name)
    .bind(spec.item_type.as_str())
    .bind(spec.level.as_str())
    .bind(spec.implementing_body.as_str())
    .bind(flag(spec.sensitive))
    .bind(spec_text(spec)?)
    .bind(at)
    .bind(version_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Move a version to a new state, recording the effective date on entry to
/// the library and the reason of a return.
pub async fn set_state(
    conn: &mut AnyConnection,
    version_id: i64,
    state: VersionState,
    effective: Option<Date>,
    returned_reason: Option<&str>,
    at: i64,
) -> Result<()> {
    let entered = (state == VersionState::InLibrary).then_some(at);
    sqlx::query(
        "UPDATE item_versions SET state = $1, effective_date = COALESCE($2, effective_date), entered_at = COALESCE($3, entered_at), \
         returned_reason = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(state.as_str())
    .bind(effective.map(|d| d.to_string()))
    .bind(entered)
    .bind(returned_reason.map(str::to_string))
    .bind(at)
    .bind(version_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_current_version(
    conn: &mut AnyConnection,
    item_id: i64,
    version_id: i64,
) -> Result<()> {
    sqlx::query("UPDATE power_items SET current_version = $1 WHERE id = $2")
        .bind(version_id)
        .bind(item_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

const VERSION_COLUMNS: &str = "v.id, v.item_id, v.version_no, v.state, v.spec, v.effective_date, v.entered_at, v.returned_reason, v.created_at, v.updated_at, i.current_version";

fn version_row(row: &sqlx::any::AnyRow) -> Result<VersionRow> {
    let state: String = row.try_get("state")?;
    let spec: String = row.try_get("spec")?;
    let effective: Option<String> = row.try_get("effective_date")?;
    Ok(VersionRow {
        id: row.try_get("id")?,
        item_id: row.try_get("item_id")?,
        version_no: row.try_get("version_no")?,
        state: VersionState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("version state {state:?}")))?,
        spec: serde_json::from_str(&spec)
            .map_err(|e| StoreError::Corrupt(format!("item spec: {e}")))?,
        effective_date: effective
            .map(|d| {
                d.parse()
                    .map_err(|_| StoreError::Corrupt(format!("effective date {d:?}")))
            })
            .transpose()?,
        entered_at: row.try_get("entered_at")?,
        returned_reason: row.try_get("returned_reason")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        current_version: row.try_get("current_version")?,
    })
}

pub async fn get_version(conn: &mut AnyConnection, version_id: i64) -> Result<Option<VersionRow>> {
    let row = sqlx::query(&format!("SELECT {VERSION_COLUMNS} FROM item_versions v JOIN power_items i ON i.id = v.item_id WHERE v.id = $1"))
        .bind(version_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(version_row).transpose()
}

/// The version of an item the public sees (the one in the library).
pub async fn current_version(conn: &mut AnyConnection, item_id: i64) -> Result<Option<VersionRow>> {
    let row = sqlx::query(&format!(
        "SELECT {VERSION_COLUMNS} FROM item_versions v JOIN power_items i ON i.id = v.item_id WHERE i.id = $1 AND v.id = i.current_version"
    ))
    .bind(item_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(version_row).transpose()
}

/// Every version of an item, oldest first.
pub async fn versions_of(conn: &mut AnyConnection, item_id: i64) -> Result<Vec<VersionRow>> {
    let rows = sqlx::query(&format!("SELECT {VERSION_COLUMNS} FROM item_versions v JOIN power_items i ON i.id = v.item_id WHERE v.item_id = $1 ORDER BY v.version_no"))
        .bind(item_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(version_row).collect()
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

/// A page of versions and the total that match.
pub async fn list_versions(
    conn: &mut AnyConnection,
    f: &VersionFilter,
) -> Result<(Vec<VersionSummary>, i64)> {
    let mut clauses: Vec<String> = vec![];
    let mut binds: Vec<String> = vec![];
    let mut bind = |clause: &str, value: String, clauses: &mut Vec<String>| {
        binds.push(value);
        clauses.push(clause.replace('?', &format!("${}", binds.len())));
    };
    if f.public_only {
        clauses
            .push("v.state = 'in_library' AND v.sensitive = 0 AND v.id = i.current_version".into());
    }
    if f.latest_only {
        clauses.push("v.version_no = (SELECT MAX(w.version_no) FROM item_versions w WHERE w.item_id = v.item_id)".into());
    }
    if let Some(s) = f.state {
        bind("v.state = ?", s.as_str().into(), &mut clauses);
    }
    if let Some(r) = &f.region {
        bind("v.region = ?", r.clone(), &mut clauses);
    }
    if let Some(b) = &f.implementing_body {
        bind("v.implementing_body = ?", b.clone(), &mut clauses);
    }
    if let Some(t) = f.item_type {
        bind("v.item_type = ?", t.as_str().into(), &mut clauses);
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        for word in q.split_whitespace().take(8) {
            let pattern = format!(
                "%{}%",
                word.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            bind(
                "(LOWER(v.name) LIKE LOWER(?) ESCAPE '\\' OR LOWER(v.code) LIKE LOWER(?) ESCAPE '\\')",
                pattern,
                &mut clauses,
            );
        }
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let from = format!("FROM item_versions v JOIN power_items i ON i.id = v.item_id {where_sql}");

    let count_sql = format!("SELECT COUNT(*) AS n {from}");
    let mut count = sqlx::query(&count_sql);
    for b in &binds {
        count = count.bind(b.clone());
    }
    let total: i64 = count.fetch_one(&mut *conn).await?.try_get("n")?;

    let n = binds.len();
    let list_sql = format!(
        "SELECT v.id, v.item_id, v.version_no, v.state, v.code, v.name, v.item_type, v.region, v.implementing_body, v.sensitive, v.effective_date, v.updated_at \
         {from} ORDER BY v.region, v.code, v.version_no, v.id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut query = sqlx::query(&list_sql);
    for b in &binds {
        query = query.bind(b.clone());
    }
    let rows = query
        .bind(f.limit.clamp(1, 10_000))
        .bind(f.offset.max(0))
        .fetch_all(&mut *conn)
        .await?;
    let list = rows
        .iter()
        .map(|r| {
            let state: String = r.try_get("state")?;
            let t: String = r.try_get("item_type")?;
            Ok(VersionSummary {
                id: r.try_get("id")?,
                item_id: r.try_get("item_id")?,
                version_no: r.try_get("version_no")?,
                state: VersionState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(state.clone()))?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                item_type: ItemType::parse(&t).ok_or_else(|| StoreError::Corrupt(t.clone()))?,
                region: r.try_get("region")?,
                implementing_body: r.try_get("implementing_body")?,
                sensitive: r.try_get::<i64, _>("sensitive")? != 0,
                effective_date: r.try_get("effective_date")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((list, total))
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

/// Every version that is not history: what an export carries. Superseded
/// versions stay in the store with their journal; they are not re-imported.
pub async fn live_versions(conn: &mut AnyConnection) -> Result<Vec<VersionRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {VERSION_COLUMNS} FROM item_versions v JOIN power_items i ON i.id = v.item_id \
         WHERE v.state <> 'superseded' ORDER BY v.region, v.code, v.version_no, v.id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(version_row).collect()
}

/// Versions in the library whose effective date has come but which are not
/// yet the item's version in force, newest per item last: (item, version).
pub async fn due_versions(conn: &mut AnyConnection, today: Date) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT v.item_id, v.id FROM item_versions v JOIN power_items i ON i.id = v.item_id \
         WHERE v.state = 'in_library' AND v.effective_date <= $1 \
           AND (i.current_version IS NULL OR v.version_no > (SELECT c.version_no FROM item_versions c WHERE c.id = i.current_version)) \
         ORDER BY v.item_id, v.version_no",
    )
    .bind(today.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("item_id")?, r.try_get("id")?)))
        .collect()
}

/// Counts of the latest version of every item, by region, department, type and state.
pub async fn panorama(conn: &mut AnyConnection) -> Result<Vec<PanoramaCount>> {
    let rows = sqlx::query(
        "SELECT v.region, v.implementing_body, v.item_type, v.state, COUNT(*) AS n FROM item_versions v \
         WHERE v.version_no = (SELECT MAX(w.version_no) FROM item_versions w WHERE w.item_id = v.item_id) \
         GROUP BY v.region, v.implementing_body, v.item_type, v.state ORDER BY v.region, v.implementing_body, v.item_type, v.state",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PanoramaCount {
                region: r.try_get("region")?,
                implementing_body: r.try_get("implementing_body")?,
                item_type: r.try_get("item_type")?,
                state: r.try_get("state")?,
                count: r.try_get("n")?,
            })
        })
        .collect()
}

pub async fn count_items(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM power_items")
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?)
}

/// An item's own row: its code, region, when it was made and the version
/// in force.
pub async fn item_row(
    conn: &mut AnyConnection,
    item_id: i64,
) -> Result<Option<(String, String, i64, Option<i64>)>> {
    let row = sqlx::query(
        "SELECT code, region, created_at, current_version FROM power_items WHERE id = $1",
    )
    .bind(item_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("code")?,
            r.try_get("region")?,
            r.try_get("created_at")?,
            r.try_get("current_version")?,
        ))
    })
    .transpose()
}

/// At a district's platform, an item as the city's catalogue has it, under
/// the city's ids (the applications handed down name them): made or
/// brought up to date, with every version that has been in the library.
/// `Some(why)` when this store holds another item or version under one of
/// those ids, or this item under another id; nothing is written then.
pub async fn put_item_from_city(
    conn: &mut AnyConnection,
    item: &sunshine_domain::exchange::CatalogItem,
) -> Result<Option<String>> {
    if let Some((code, region, _, _)) = item_row(conn, item.item_id).await? {
        if code != item.code || region != item.region {
            return Ok(Some(format!(
                "the item {} here is {code} in {region}, not {} in {}",
                item.item_id, item.code, item.region
            )));
        }
    } else if let Some(other) = find_item(conn, &item.code, &item.region).await? {
        return Ok(Some(format!(
            "{} in {} is the item {other} here, not {}",
            item.code, item.region, item.item_id
        )));
    }
    for v in &item.versions {
        if let Some(here) = get_version(conn, v.id).await? {
            if here.item_id != item.item_id || here.version_no != v.version_no {
                return Ok(Some(format!(
                    "the version {} here is version {} of the item {}, not version {} of {}",
                    v.id, here.version_no, here.item_id, v.version_no, item.item_id
                )));
            }
        }
    }
    sqlx::query(
        "INSERT INTO power_items (id, code, region, created_at, current_version) VALUES ($1, $2, $3, $4, NULL) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(item.item_id)
    .bind(&item.code)
    .bind(&item.region)
    .bind(item.created_at)
    .execute(&mut *conn)
    .await?;
    for v in &item.versions {
        let s = &v.spec;
        sqlx::query(
            "INSERT INTO item_versions (id, item_id, version_no, state, code, name, item_type, level, region, implementing_body, sensitive, spec, effective_date, entered_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, name = excluded.name, item_type = excluded.item_type, \
             level = excluded.level, implementing_body = excluded.implementing_body, sensitive = excluded.sensitive, \
             spec = excluded.spec, effective_date = excluded.effective_date, entered_at = excluded.entered_at, \
             updated_at = excluded.updated_at",
        )
        .bind(v.id)
        .bind(item.item_id)
        .bind(v.version_no)
        .bind(v.state.as_str())
        .bind(&s.code)
        .bind(&s.name)
        .bind(s.item_type.as_str())
        .bind(s.level.as_str())
        .bind(s.region.as_str())
        .bind(s.implementing_body.as_str())
        .bind(flag(s.sensitive))
        .bind(spec_text(s)?)
        .bind(v.effective_date.clone())
        .bind(v.entered_at)
        .bind(v.created_at)
        .bind(v.updated_at)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("UPDATE power_items SET current_version = $1 WHERE id = $2")
        .bind(item.current_version)
        .bind(item.item_id)
        .execute(&mut *conn)
        .await?;
    Ok(None)
}
