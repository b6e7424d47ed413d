//! 实名核验: binding codes, citizen-card PINs, binding an account to its
//! identity, and the organisations that run the city-wide services.

use sqlx::{AnyConnection, Row};
use sunshine_domain::identity::UserKind;
use sunshine_domain::ids::OrgCode;

use super::{corrupt, org_code};
use crate::Result;

/// A binding code as the counter issued it (only its hash is kept).
#[derive(Debug, Clone)]
pub struct BindingCodeRow {
    pub kind: UserKind,
    /// The identity number or credit code whose papers were checked.
    pub subject: String,
    /// The name as on the papers.
    pub name: String,
    pub legal_rep_name: Option<String>,
    pub legal_rep_id: Option<String>,
    pub counter: OrgCode,
    pub issued_by: i64,
    pub issued_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert_binding_code(
    conn: &mut AnyConnection,
    code_hash: &str,
    c: &BindingCodeRow,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO binding_codes (code_hash, kind, subject, name, legal_rep_name, legal_rep_id, counter, issued_by, issued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(code_hash)
    .bind(c.kind.as_str())
    .bind(&c.subject)
    .bind(&c.name)
    .bind(c.legal_rep_name.clone())
    .bind(c.legal_rep_id.clone())
    .bind(c.counter.as_str())
    .bind(c.issued_by)
    .bind(c.issued_at)
    .bind(c.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn find_binding_code(
    conn: &mut AnyConnection,
    code_hash: &str,
) -> Result<Option<BindingCodeRow>> {
    let row = sqlx::query(
        "SELECT kind, subject, name, legal_rep_name, legal_rep_id, counter, issued_by, issued_at, expires_at, used_at \
         FROM binding_codes WHERE code_hash = $1",
    )
    .bind(code_hash)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        let kind: String = r.try_get("kind")?;
        Ok(BindingCodeRow {
            kind: UserKind::parse(&kind).ok_or_else(|| corrupt("binding kind", &kind))?,
            subject: r.try_get("subject")?,
            name: r.try_get("name")?,
            legal_rep_name: r.try_get("legal_rep_name")?,
            legal_rep_id: r.try_get("legal_rep_id")?,
            counter: org_code(&r.try_get::<String, _>("counter")?)?,
            issued_by: r.try_get("issued_by")?,
            issued_at: r.try_get("issued_at")?,
            expires_at: r.try_get("expires_at")?,
            used_at: r.try_get("used_at")?,
        })
    })
    .transpose()
}

/// Use a code once: false when it was used already (by a write before this one).
pub async fn use_binding_code(
    conn: &mut AnyConnection,
    code_hash: &str,
    user_id: i64,
    at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE binding_codes SET used_at = $1, used_by = $2 WHERE code_hash = $3 AND used_at IS NULL",
    )
    .bind(at)
    .bind(user_id)
    .bind(code_hash)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What binding writes on the account.
pub struct Bound<'a> {
    pub user_id: i64,
    pub kind: UserKind,
    pub number: &'a str,
    /// The name as on the papers (or the card), which becomes the account's.
    pub name: &'a str,
    pub method: &'a str,
    pub legal_rep_name: Option<&'a str>,
    pub legal_rep_id: Option<&'a str>,
    pub at: i64,
}

/// Bind an account to its number. The number's unique index refuses a
/// second bound account (`StoreError::Duplicate`).
pub async fn bind_account(conn: &mut AnyConnection, b: &Bound<'_>) -> Result<()> {
    let column = match b.kind {
        UserKind::Enterprise => "credit_code",
        _ => "id_number",
    };
    sqlx::query(&format!(
        "UPDATE users SET {column} = $1, display_name = $2, verified_at = $3, verified_by = $4, \
         legal_rep_name = $5, legal_rep_id = $6 WHERE id = $7"
    ))
    .bind(b.number)
    .bind(b.name)
    .bind(b.at)
    .bind(b.method)
    .bind(b.legal_rep_name.map(str::to_string))
    .bind(b.legal_rep_id.map(str::to_string))
    .bind(b.user_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Close every other unbound account that claimed `number`, end their
/// sessions and revoke their tokens; the ids closed.
pub async fn close_unbound_claims(
    conn: &mut AnyConnection,
    kind: UserKind,
    number: &str,
    except: i64,
    at: i64,
) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT id FROM users WHERE claimed_id = $1 AND kind = $2 AND id <> $3 \
         AND id_number IS NULL AND credit_code IS NULL AND closed_at IS NULL ORDER BY id",
    )
    .bind(number)
    .bind(kind.as_str())
    .bind(except)
    .fetch_all(&mut *conn)
    .await?;
    let mut closed = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get("id")?;
        sqlx::query("UPDATE users SET closed_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .execute(&mut *conn)
        .await?;
        closed.push(id);
    }
    Ok(closed)
}

/// A card's PIN as kept.
#[derive(Debug, Clone)]
pub struct PinRow {
    pub holder: String,
    pub pin_hash: String,
    pub failures: i64,
}

/// Set (or set anew, which unlocks) a card's PIN.
pub async fn set_card_pin(
    conn: &mut AnyConnection,
    card: &str,
    holder: &str,
    pin_hash: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO card_pins (card, holder, pin_hash, set_at, failures) VALUES ($1, $2, $3, $4, 0) \
         ON CONFLICT (card) DO UPDATE SET holder = excluded.holder, pin_hash = excluded.pin_hash, \
         set_at = excluded.set_at, failures = 0",
    )
    .bind(card)
    .bind(holder)
    .bind(pin_hash)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn card_pin(conn: &mut AnyConnection, card: &str) -> Result<Option<PinRow>> {
    let row = sqlx::query("SELECT holder, pin_hash, failures FROM card_pins WHERE card = $1")
        .bind(card)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok(PinRow {
            holder: r.try_get("holder")?,
            pin_hash: r.try_get("pin_hash")?,
            failures: r.try_get("failures")?,
        })
    })
    .transpose()
}

/// Count a wrong PIN (or, with `reset`, clear the count after a right one).
pub async fn count_pin_attempt(conn: &mut AnyConnection, card: &str, reset: bool) -> Result<()> {
    let sql = if reset {
        "UPDATE card_pins SET failures = 0 WHERE card = $1"
    } else {
        "UPDATE card_pins SET failures = failures + 1 WHERE card = $1"
    };
    sqlx::query(sql).bind(card).execute(&mut *conn).await?;
    Ok(())
}

/// Name the organisation that runs a city-wide service.
pub async fn set_service_centre(
    conn: &mut AnyConnection,
    service: &str,
    org: &OrgCode,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO platform_services (service, org) VALUES ($1, $2) \
         ON CONFLICT (service) DO UPDATE SET org = excluded.org",
    )
    .bind(service)
    .bind(org.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every service and the organisation that runs it.
pub async fn service_centres(conn: &mut AnyConnection) -> Result<Vec<(String, OrgCode)>> {
    let rows = sqlx::query("SELECT service, org FROM platform_services ORDER BY service")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("service")?,
                org_code(&r.try_get::<String, _>("org")?)?,
            ))
        })
        .collect()
}
