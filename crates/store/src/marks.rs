//! Marks a store carries for good (`demo`: the demo was loaded into it).

use sqlx::{AnyConnection, Row};

use crate::Result;

/// Set a mark; setting it again changes nothing.
pub async fn set(conn: &mut AnyConnection, mark: &str, at: i64) -> Result<()> {
    sqlx::query("INSERT INTO store_marks (mark, at) VALUES ($1, $2) ON CONFLICT (mark) DO NOTHING")
        .bind(mark)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Whether the store carries a mark.
pub async fn has(conn: &mut AnyConnection, mark: &str) -> Result<bool> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM store_marks WHERE mark = $1")
        .bind(mark)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// Every terminal's code and public key, retired ones too.
pub async fn terminal_keys(conn: &mut AnyConnection) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query("SELECT code, public_key FROM card_terminals ORDER BY code")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("code")?, r.try_get("public_key")?)))
        .collect()
}
