//! Enterprise basic information as kept: which department submits each
//! feed, what each feed last said of each enterprise, the owners'
//! resolutions, and each enterprise's assembled record (JSON).

use sqlx::{AnyConnection, Row};

use crate::Result;

pub async fn set_feed_org(conn: &mut AnyConnection, feed: &str, org: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO enterprise_feed_orgs (feed, org) VALUES ($1, $2) \
         ON CONFLICT (feed) DO UPDATE SET org = excluded.org",
    )
    .bind(feed.to_string())
    .bind(org.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// (feed, organisation) for each feed set up.
pub async fn feed_orgs(conn: &mut AnyConnection) -> Result<Vec<(String, String)>> {
    sqlx::query("SELECT feed, org FROM enterprise_feed_orgs ORDER BY feed")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("feed")?, r.try_get("org")?)))
        .collect()
}

/// What a feed says of an enterprise now.
pub async fn put_source(
    conn: &mut AnyConnection,
    credit_code: &str,
    feed: &str,
    data: &str,
    by: i64,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO enterprise_sources (credit_code, feed, data, submitted_by, submitted_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (credit_code, feed) DO UPDATE SET \
         data = excluded.data, submitted_by = excluded.submitted_by, submitted_at = excluded.submitted_at",
    )
    .bind(credit_code.to_string())
    .bind(feed.to_string())
    .bind(data.to_string())
    .bind(by)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// (feed, data) for each feed that spoke of an enterprise.
pub async fn sources_of(
    conn: &mut AnyConnection,
    credit_code: &str,
) -> Result<Vec<(String, String)>> {
    sqlx::query("SELECT feed, data FROM enterprise_sources WHERE credit_code = $1 ORDER BY feed")
        .bind(credit_code.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("feed")?, r.try_get("data")?)))
        .collect()
}

/// A resolution as kept; `seen` is JSON.
#[derive(Debug, Clone)]
pub struct ResolutionRow {
    pub field: String,
    pub value: String,
    pub seen: String,
    pub reason: String,
    pub actor: i64,
    pub at: i64,
}

pub async fn resolutions_of(
    conn: &mut AnyConnection,
    credit_code: &str,
) -> Result<Vec<ResolutionRow>> {
    sqlx::query(
        "SELECT field, value, seen, reason, actor, at FROM enterprise_resolutions \
         WHERE credit_code = $1 ORDER BY field",
    )
    .bind(credit_code.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(ResolutionRow {
            field: r.try_get("field")?,
            value: r.try_get("value")?,
            seen: r.try_get("seen")?,
            reason: r.try_get("reason")?,
            actor: r.try_get("actor")?,
            at: r.try_get("at")?,
        })
    })
    .collect()
}

/// The field's resolution, replacing an earlier one.
pub async fn put_resolution(
    conn: &mut AnyConnection,
    credit_code: &str,
    r: &ResolutionRow,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO enterprise_resolutions (credit_code, field, value, seen, reason, actor, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (credit_code, field) DO UPDATE SET \
         value = excluded.value, seen = excluded.seen, reason = excluded.reason, \
         actor = excluded.actor, at = excluded.at",
    )
    .bind(credit_code.to_string())
    .bind(r.field.clone())
    .bind(r.value.clone())
    .bind(r.seen.clone())
    .bind(r.reason.clone())
    .bind(r.actor)
    .bind(r.at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An enterprise's assembled record.
pub async fn put_record(
    conn: &mut AnyConnection,
    credit_code: &str,
    data: &str,
    conflicts: i64,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO enterprise_records (credit_code, data, conflicts, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (credit_code) DO UPDATE SET data = excluded.data, conflicts = excluded.conflicts, \
         updated_at = excluded.updated_at",
    )
    .bind(credit_code.to_string())
    .bind(data.to_string())
    .bind(conflicts)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn record(conn: &mut AnyConnection, credit_code: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query("SELECT data FROM enterprise_records WHERE credit_code = $1")
            .bind(credit_code.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get("data"))
            .transpose()?,
    )
}

/// A page of records by credit code.
pub async fn records(conn: &mut AnyConnection, offset: i64, limit: i64) -> Result<Vec<String>> {
    sqlx::query("SELECT data FROM enterprise_records ORDER BY credit_code LIMIT $1 OFFSET $2")
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok(r.try_get("data")?))
        .collect()
}

pub async fn record_count(conn: &mut AnyConnection) -> Result<i64> {
    let r = sqlx::query("SELECT COUNT(*) AS n FROM enterprise_records")
        .fetch_one(&mut *conn)
        .await?;
    Ok(r.try_get("n")?)
}

/// The records that hold a disagreement no resolution settles.
pub async fn conflicted(conn: &mut AnyConnection, limit: i64) -> Result<Vec<String>> {
    sqlx::query(
        "SELECT data FROM enterprise_records WHERE conflicts > 0 ORDER BY credit_code LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok(r.try_get("data")?))
    .collect()
}
