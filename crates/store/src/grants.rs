//! What approved cases grant on the citizen card, until it is done.

use sqlx::{AnyConnection, Row};

use crate::Result;

/// A grant as written at approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    pub case_number: String,
    pub grant_kind: String,
    pub holder: String,
    pub holder_name: String,
    pub department: String,
    pub by_actor: String,
    /// `pending` or `done`.
    pub state: String,
    /// The card it was done on.
    pub card: Option<String>,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

const COLUMNS: &str = "case_number, grant_kind, holder, holder_name, department, by_actor, \
     state, card, created_at, done_at";

fn row(r: &sqlx::any::AnyRow) -> Result<GrantRow> {
    Ok(GrantRow {
        case_number: r.try_get("case_number")?,
        grant_kind: r.try_get("grant_kind")?,
        holder: r.try_get("holder")?,
        holder_name: r.try_get("holder_name")?,
        department: r.try_get("department")?,
        by_actor: r.try_get("by_actor")?,
        state: r.try_get("state")?,
        card: r.try_get("card")?,
        created_at: r.try_get("created_at")?,
        done_at: r.try_get("done_at")?,
    })
}

/// Write a case's grant, pending.
pub async fn insert_grant(conn: &mut AnyConnection, g: &GrantRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO hall_grants ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, 'pending', NULL, $7, NULL)"
    ))
    .bind(g.case_number.clone())
    .bind(g.grant_kind.clone())
    .bind(g.holder.clone())
    .bind(g.holder_name.clone())
    .bind(g.department.clone())
    .bind(g.by_actor.clone())
    .bind(g.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The oldest grants not yet done.
pub async fn pending_grants(conn: &mut AnyConnection, limit: i64) -> Result<Vec<GrantRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM hall_grants WHERE state = 'pending' ORDER BY created_at, case_number LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(row).collect()
}

/// A case's grant.
pub async fn grant(conn: &mut AnyConnection, case_number: &str) -> Result<Option<GrantRow>> {
    let r = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM hall_grants WHERE case_number = $1"
    ))
    .bind(case_number.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(row).transpose()
}

/// Mark a pending grant done on `card`; false if it was done already.
pub async fn finish_grant(
    conn: &mut AnyConnection,
    case_number: &str,
    card: &str,
    at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE hall_grants SET state = 'done', card = $1, done_at = $2 \
         WHERE case_number = $3 AND state = 'pending'",
    )
    .bind(card.to_string())
    .bind(at)
    .bind(case_number.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
