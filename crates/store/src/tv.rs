//! Digital-TV set-top boxes paired to residents' accounts.

use sqlx::{AnyConnection, Row};

use crate::Result;

/// A pairing: waiting for the resident's confirmation, or a paired TV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairingRow {
    pub id: i64,
    pub user_code: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub user_id: Option<i64>,
    pub label: Option<String>,
    pub paired_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// The device that asked, as its browser describes itself.
    pub device: Option<String>,
    /// The network it asked from, its address's last part hidden.
    pub shown_from: Option<String>,
}

const SELECT: &str = "SELECT id, user_code, created_at, expires_at, user_id, label, paired_at, \
     revoked_at, last_used_at, device, shown_from FROM tv_pairings";

fn row(r: &sqlx::any::AnyRow) -> Result<PairingRow> {
    Ok(PairingRow {
        id: r.try_get("id")?,
        user_code: r.try_get("user_code")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        user_id: r.try_get("user_id")?,
        label: r.try_get("label")?,
        paired_at: r.try_get("paired_at")?,
        revoked_at: r.try_get("revoked_at")?,
        last_used_at: r.try_get("last_used_at")?,
        device: r.try_get("device")?,
        shown_from: r.try_get("shown_from")?,
    })
}

/// A new pairing, waiting; false if the code is taken (draw another).
pub async fn insert(
    conn: &mut AnyConnection,
    user_code: &str,
    device_hash: &str,
    now: i64,
    expires_at: i64,
    device: &str,
    shown_from: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO tv_pairings (user_code, device_hash, created_at, expires_at, device, shown_from) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(user_code.to_string())
    .bind(device_hash.to_string())
    .bind(now)
    .bind(expires_at)
    .bind(device.to_string())
    .bind(shown_from.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The pairing a TV's secret (hashed) names.
pub async fn by_device(conn: &mut AnyConnection, device_hash: &str) -> Result<Option<PairingRow>> {
    let sql = format!("{SELECT} WHERE device_hash = $1");
    sqlx::query(&sql)
        .bind(device_hash.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

/// The pairing shown as `user_code`, while it waits unexpired.
pub async fn waiting(
    conn: &mut AnyConnection,
    user_code: &str,
    now: i64,
) -> Result<Option<PairingRow>> {
    let sql = format!(
        "{SELECT} WHERE user_code = $1 AND user_id IS NULL AND revoked_at IS NULL AND expires_at > $2"
    );
    sqlx::query(&sql)
        .bind(user_code.to_string())
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

/// Confirm the waiting pairing shown as `user_code`, for `user_id`: the
/// pairing, or none when no such code waits unexpired.
pub async fn confirm(
    conn: &mut AnyConnection,
    user_code: &str,
    user_id: i64,
    label: &str,
    now: i64,
) -> Result<Option<i64>> {
    let found = sqlx::query(
        "SELECT id FROM tv_pairings WHERE user_code = $1 AND user_id IS NULL \
         AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(user_code.to_string())
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(found) = found else { return Ok(None) };
    let id: i64 = found.try_get("id")?;
    let done = sqlx::query(
        "UPDATE tv_pairings SET user_id = $1, label = $2, paired_at = $3 \
         WHERE id = $4 AND user_id IS NULL",
    )
    .bind(user_id)
    .bind(label.to_string())
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok((done.rows_affected() == 1).then_some(id))
}

/// A user's paired TVs, the latest first (unpaired ones too).
pub async fn of_user(conn: &mut AnyConnection, user_id: i64) -> Result<Vec<PairingRow>> {
    let sql = format!("{SELECT} WHERE user_id = $1 ORDER BY id DESC LIMIT 50");
    sqlx::query(&sql)
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(row)
        .collect()
}

/// Unpair a user's TV; false if it is not theirs or was unpaired before.
pub async fn revoke(conn: &mut AnyConnection, id: i64, user_id: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE tv_pairings SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Note a paired TV's use (at most once a minute matters).
pub async fn touch(conn: &mut AnyConnection, id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE tv_pairings SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Forget codes no resident confirmed that expired before `before`.
pub async fn purge_unconfirmed(conn: &mut AnyConnection, before: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM tv_pairings WHERE user_id IS NULL AND expires_at < $1")
        .bind(before)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}
