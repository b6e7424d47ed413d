//! The city's requests to read a named person (市级具名查阅), as kept.

use sqlx::{AnyConnection, Row};

use crate::Result;

/// A request as kept. `fields` are the layout's field names, comma-separated.
#[derive(Debug, Clone)]
pub struct NamedReadRow {
    pub id: i64,
    pub requester: i64,
    pub district: String,
    pub id_number: String,
    pub fields: String,
    pub reason: String,
    pub state: String,
    pub asked_at: i64,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
    pub answer: Option<String>,
    pub expires_at: Option<i64>,
    pub withdrawn_at: Option<i64>,
}

const SELECT: &str = "SELECT id, requester, district, id_number, fields, reason, state, asked_at, \
     decided_by, decided_at, answer, expires_at, withdrawn_at FROM registry_named_reads";

fn row(r: &sqlx::any::AnyRow) -> Result<NamedReadRow> {
    Ok(NamedReadRow {
        id: r.try_get("id")?,
        requester: r.try_get("requester")?,
        district: r.try_get("district")?,
        id_number: r.try_get("id_number")?,
        fields: r.try_get("fields")?,
        reason: r.try_get("reason")?,
        state: r.try_get("state")?,
        asked_at: r.try_get("asked_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        answer: r.try_get("answer")?,
        expires_at: r.try_get("expires_at")?,
        withdrawn_at: r.try_get("withdrawn_at")?,
    })
}

/// A new request, waiting for the district.
pub async fn insert(
    conn: &mut AnyConnection,
    requester: i64,
    district: &str,
    id_number: &str,
    fields: &str,
    reason: &str,
    now: i64,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO registry_named_reads (requester, district, id_number, fields, reason, state, asked_at) \
         VALUES ($1, $2, $3, $4, $5, 'asked', $6) RETURNING id",
    )
    .bind(requester)
    .bind(district.to_string())
    .bind(id_number.to_string())
    .bind(fields.to_string())
    .bind(reason.to_string())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<NamedReadRow>> {
    let sql = format!("{SELECT} WHERE id = $1");
    match sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    {
        Some(r) => Ok(Some(row(&r)?)),
        None => Ok(None),
    }
}

/// The requests one member of staff made, newest first, at most `limit`.
pub async fn by_requester(
    conn: &mut AnyConnection,
    requester: i64,
    limit: i64,
) -> Result<Vec<NamedReadRow>> {
    let sql = format!("{SELECT} WHERE requester = $1 ORDER BY id DESC LIMIT $2");
    sqlx::query(&sql)
        .bind(requester)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(row)
        .collect()
}

/// The requests addressed to a district, newest first, at most `limit`.
pub async fn for_district(
    conn: &mut AnyConnection,
    district: &str,
    limit: i64,
) -> Result<Vec<NamedReadRow>> {
    let sql = format!("{SELECT} WHERE district = $1 ORDER BY id DESC LIMIT $2");
    sqlx::query(&sql)
        .bind(district.to_string())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(row)
        .collect()
}

/// Answer a waiting request (`approved` with the approval's end, or
/// `refused`); false if it no longer waits.
pub async fn decide(
    conn: &mut AnyConnection,
    id: i64,
    state: &str,
    by: i64,
    answer: &str,
    expires_at: Option<i64>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE registry_named_reads SET state = $1, decided_by = $2, decided_at = $3, answer = $4, \
         expires_at = $5 WHERE id = $6 AND state = 'asked'",
    )
    .bind(state.to_string())
    .bind(by)
    .bind(now)
    .bind(answer.to_string())
    .bind(expires_at)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Withdraw a request that waits or is approved; false if it is neither.
pub async fn withdraw(conn: &mut AnyConnection, id: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE registry_named_reads SET state = 'withdrawn', withdrawn_at = $1 \
         WHERE id = $2 AND state IN ('asked', 'approved')",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
