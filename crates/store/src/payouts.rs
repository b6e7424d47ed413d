//! Money paid onto holders' cards (aid, age allowances), until it is done.

use sqlx::{AnyConnection, Row};

use crate::Result;

/// A payout as written with the payment it carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayoutRow {
    pub id: i64,
    /// `aid` or `allowance`.
    pub what: String,
    /// The aid record's id, or the person's registry id.
    pub reference: String,
    /// `YYYY-MM`
    pub month: String,
    /// The identity number of the holder paid.
    pub holder: String,
    pub amount_fen: i64,
    /// The journal subject its completion is recorded under.
    pub subject: String,
    pub org: String,
    pub by_actor: String,
    /// `pending` or `done`.
    pub state: String,
    pub card: Option<String>,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

const COLUMNS: &str = "id, what, reference, month, holder, amount_fen, subject, org, by_actor, \
     state, card, created_at, done_at";

fn row(r: &sqlx::any::AnyRow) -> Result<PayoutRow> {
    Ok(PayoutRow {
        id: r.try_get("id")?,
        what: r.try_get("what")?,
        reference: r.try_get("reference")?,
        month: r.try_get("month")?,
        holder: r.try_get("holder")?,
        amount_fen: r.try_get("amount_fen")?,
        subject: r.try_get("subject")?,
        org: r.try_get("org")?,
        by_actor: r.try_get("by_actor")?,
        state: r.try_get("state")?,
        card: r.try_get("card")?,
        created_at: r.try_get("created_at")?,
        done_at: r.try_get("done_at")?,
    })
}

/// Write a payout, pending; none (and nothing written) when one for the
/// same thing and month is held already.
pub async fn insert(conn: &mut AnyConnection, p: &PayoutRow) -> Result<Option<i64>> {
    let held = sqlx::query(
        "SELECT id FROM care_payouts WHERE what = $1 AND reference = $2 AND month = $3",
    )
    .bind(p.what.clone())
    .bind(p.reference.clone())
    .bind(p.month.clone())
    .fetch_optional(&mut *conn)
    .await?;
    if held.is_some() {
        return Ok(None);
    }
    let r = sqlx::query(
        "INSERT INTO care_payouts (what, reference, month, holder, amount_fen, subject, org, by_actor, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9) RETURNING id",
    )
    .bind(p.what.clone())
    .bind(p.reference.clone())
    .bind(p.month.clone())
    .bind(p.holder.clone())
    .bind(p.amount_fen)
    .bind(p.subject.clone())
    .bind(p.org.clone())
    .bind(p.by_actor.clone())
    .bind(p.created_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(r.try_get("id")?))
}

/// Payouts not yet done, after the one numbered `after`, oldest first.
pub async fn pending(conn: &mut AnyConnection, after: i64, limit: i64) -> Result<Vec<PayoutRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM care_payouts WHERE state = 'pending' AND id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(row).collect()
}

/// One payout.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<PayoutRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM care_payouts WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

/// The payouts of one thing (an aid record, a person's allowance), the latest month first.
pub async fn of(conn: &mut AnyConnection, what: &str, reference: &str) -> Result<Vec<PayoutRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM care_payouts WHERE what = $1 AND reference = $2 ORDER BY month DESC"
    ))
    .bind(what.to_string())
    .bind(reference.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(row).collect()
}

/// A kind's payouts for a month, by reference.
pub async fn of_month(conn: &mut AnyConnection, what: &str, month: &str) -> Result<Vec<PayoutRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM care_payouts WHERE what = $1 AND month = $2 ORDER BY id"
    ))
    .bind(what.to_string())
    .bind(month.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(row).collect()
}

/// Mark a payout done on `card`; false if it was done already.
pub async fn finish(conn: &mut AnyConnection, id: i64, card: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE care_payouts SET state = 'done', card = $1, done_at = $2 WHERE id = $3 AND state = 'pending'",
    )
    .bind(card.to_string())
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Payouts of one kind, organisation and state: how many, and their sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutTotal {
    pub what: String,
    pub org: String,
    pub state: String,
    pub count: i64,
    pub fen: i64,
}

/// A month's payouts by kind, organisation and state.
pub async fn totals(conn: &mut AnyConnection, month: &str) -> Result<Vec<PayoutTotal>> {
    sqlx::query(
        "SELECT what, org, state, COUNT(*) AS n, CAST(SUM(amount_fen) AS BIGINT) AS fen \
         FROM care_payouts WHERE month = $1 GROUP BY what, org, state ORDER BY what, org, state",
    )
    .bind(month.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(PayoutTotal {
            what: r.try_get("what")?,
            org: r.try_get("org")?,
            state: r.try_get("state")?,
            count: r.try_get("n")?,
            fen: r.try_get("fen")?,
        })
    })
    .collect()
}

/// In one read: the sum of the payouts done, and every pending payout's
/// id and amount, oldest first (one statement, so one moment of the store).
pub async fn done_and_pending(conn: &mut AnyConnection) -> Result<(i64, Vec<(i64, i64)>)> {
    let rows = sqlx::query(
        "SELECT 0 AS id, CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS fen, 'done' AS kind \
         FROM care_payouts WHERE state = 'done' \
         UNION ALL SELECT id, amount_fen AS fen, 'pending' AS kind FROM care_payouts WHERE state = 'pending' \
         ORDER BY kind, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let (mut done, mut pending) = (0, vec![]);
    for r in &rows {
        let (id, fen, kind): (i64, i64, String) =
            (r.try_get("id")?, r.try_get("fen")?, r.try_get("kind")?);
        if kind == "done" {
            done = fen;
        } else {
            pending.push((id, fen));
        }
    }
    Ok((done, pending))
}
