//! The city's changes to the registry's code lists, as kept.

use sqlx::{AnyConnection, Row};

use crate::Result;

/// A change as kept: `change` is `add`, `rename`, `retire` or `restore`.
#[derive(Debug, Clone)]
pub struct CodeChangeRow {
    pub id: i64,
    pub list: String,
    pub code: String,
    pub change: String,
    pub name: Option<String>,
    pub reason: String,
    pub actor: i64,
    pub at: i64,
}

/// Every change, in the order made.
pub async fn changes(conn: &mut AnyConnection) -> Result<Vec<CodeChangeRow>> {
    sqlx::query(
        "SELECT id, list, code, change, name, reason, actor, at FROM registry_code_changes ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(CodeChangeRow {
            id: r.try_get("id")?,
            list: r.try_get("list")?,
            code: r.try_get("code")?,
            change: r.try_get("change")?,
            name: r.try_get("name")?,
            reason: r.try_get("reason")?,
            actor: r.try_get("actor")?,
            at: r.try_get("at")?,
        })
    })
    .collect()
}

/// A change, after those before it.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut AnyConnection,
    list: &str,
    code: &str,
    change: &str,
    name: Option<&str>,
    reason: &str,
    actor: i64,
    at: i64,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO registry_code_changes (list, code, change, name, reason, actor, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(list.to_string())
    .bind(code.to_string())
    .bind(change.to_string())
    .bind(name.map(str::to_string))
    .bind(reason.to_string())
    .bind(actor)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}
