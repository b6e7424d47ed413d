//! The backup centre's SQL: systems, keys, archives and the blobs they
//! name, uploads under way and the signatures of recent requests. The
//! blobs' bytes are files (the app's); only what is known of them is here.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::Result;

/// A department's system registered at the centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemRow {
    pub id: i64,
    pub name: String,
    pub department: String,
    pub data_size: i64,
    pub rpo_minutes: i64,
    pub rto_minutes: i64,
    pub link: String,
    pub quota: i64,
    pub keep_last: Option<i64>,
    pub keep_days: Option<i64>,
    pub registered_at: i64,
    pub registered_by: String,
}

const SYSTEM_COLUMNS: &str = "id, name, department, data_size, rpo_minutes, rto_minutes, link, quota, keep_last, keep_days, registered_at, registered_by";

fn system_row(r: &AnyRow) -> Result<SystemRow> {
    Ok(SystemRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        department: r.try_get("department")?,
        data_size: r.try_get("data_size")?,
        rpo_minutes: r.try_get("rpo_minutes")?,
        rto_minutes: r.try_get("rto_minutes")?,
        link: r.try_get("link")?,
        quota: r.try_get("quota")?,
        keep_last: r.try_get("keep_last")?,
        keep_days: r.try_get("keep_days")?,
        registered_at: r.try_get("registered_at")?,
        registered_by: r.try_get("registered_by")?,
    })
}

/// Store a new system; its id. A second of the same name in a department is a duplicate.
pub async fn insert_system(conn: &mut AnyConnection, s: &SystemRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO centre_systems (name, department, data_size, rpo_minutes, rto_minutes, link, quota, keep_last, keep_days, registered_at, registered_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&s.name)
    .bind(&s.department)
    .bind(s.data_size)
    .bind(s.rpo_minutes)
    .bind(s.rto_minutes)
    .bind(&s.link)
    .bind(s.quota)
    .bind(s.keep_last)
    .bind(s.keep_days)
    .bind(s.registered_at)
    .bind(&s.registered_by)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

pub async fn system(conn: &mut AnyConnection, id: i64) -> Result<Option<SystemRow>> {
    let row = sqlx::query(&format!(
        "SELECT {SYSTEM_COLUMNS} FROM centre_systems WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| system_row(&r)).transpose()
}

/// Every system, by department and name.
pub async fn systems(conn: &mut AnyConnection) -> Result<Vec<SystemRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {SYSTEM_COLUMNS} FROM centre_systems ORDER BY department, name, id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(system_row).collect()
}

/// A system's key: only the public half is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub id: i64,
    pub system_id: i64,
    pub public_key: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_why: Option<String>,
}

fn key_row(r: &AnyRow) -> Result<KeyRow> {
    Ok(KeyRow {
        id: r.try_get("id")?,
        system_id: r.try_get("system_id")?,
        public_key: r.try_get("public_key")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
        revoked_why: r.try_get("revoked_why")?,
    })
}

const KEY_COLUMNS: &str = "id, system_id, public_key, created_at, revoked_at, revoked_why";

pub async fn insert_key(
    conn: &mut AnyConnection,
    system_id: i64,
    public_key: &str,
    now: i64,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO centre_keys (system_id, public_key, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(system_id)
    .bind(public_key)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// A system's keys, newest first, revoked ones too.
pub async fn keys(conn: &mut AnyConnection, system_id: i64) -> Result<Vec<KeyRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {KEY_COLUMNS} FROM centre_keys WHERE system_id = $1 ORDER BY id DESC"
    ))
    .bind(system_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(key_row).collect()
}

pub async fn key(conn: &mut AnyConnection, id: i64) -> Result<Option<KeyRow>> {
    let row = sqlx::query(&format!(
        "SELECT {KEY_COLUMNS} FROM centre_keys WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| key_row(&r)).transpose()
}

/// Revoke a key still in force; whether it was.
pub async fn revoke_key(conn: &mut AnyConnection, id: i64, why: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE centre_keys SET revoked_at = $1, revoked_why = $2 WHERE id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(why)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// An archive kept at the centre, with what re-verification last found of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveRow {
    pub id: i64,
    pub system_id: i64,
    pub name: String,
    pub taken_at: i64,
    pub size: i64,
    pub sha256: String,
    pub signature: String,
    pub key_id: i64,
    pub received_at: i64,
    pub verified_at: Option<i64>,
    pub damaged: bool,
}

const ARCHIVE_SELECT: &str = "SELECT a.id, a.system_id, a.name, a.taken_at, a.size, a.sha256, a.signature, a.key_id, a.received_at, b.verified_at, b.damaged \
     FROM centre_archives a JOIN centre_blobs b ON b.sha256 = a.sha256";

fn archive_row(r: &AnyRow) -> Result<ArchiveRow> {
    Ok(ArchiveRow {
        id: r.try_get("id")?,
        system_id: r.try_get("system_id")?,
        name: r.try_get("name")?,
        taken_at: r.try_get("taken_at")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        signature: r.try_get("signature")?,
        key_id: r.try_get("key_id")?,
        received_at: r.try_get("received_at")?,
        verified_at: r.try_get("verified_at")?,
        damaged: r.try_get::<i64, _>("damaged")? != 0,
    })
}

/// A system's archives, newest first.
pub async fn archives(conn: &mut AnyConnection, system_id: i64) -> Result<Vec<ArchiveRow>> {
    let rows = sqlx::query(&format!(
        "{ARCHIVE_SELECT} WHERE a.system_id = $1 ORDER BY a.taken_at DESC, a.id DESC"
    ))
    .bind(system_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(archive_row).collect()
}

/// Every archive, for the overview (each system's are few: retention holds them).
pub async fn all_archives(conn: &mut AnyConnection) -> Result<Vec<ArchiveRow>> {
    let rows = sqlx::query(&format!(
        "{ARCHIVE_SELECT} ORDER BY a.system_id, a.taken_at DESC, a.id DESC"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(archive_row).collect()
}

/// Record a blob's bytes once; whether it was new.
pub async fn insert_blob(
    conn: &mut AnyConnection,
    sha256: &str,
    size: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO centre_blobs (sha256, size, stored_at, verified_at, damaged) VALUES ($1, $2, $3, $3, 0) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(size)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_archive(conn: &mut AnyConnection, a: &ArchiveRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO centre_archives (system_id, name, taken_at, size, sha256, signature, key_id, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(a.system_id)
    .bind(&a.name)
    .bind(a.taken_at)
    .bind(a.size)
    .bind(&a.sha256)
    .bind(&a.signature)
    .bind(a.key_id)
    .bind(a.received_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// Remove an archive; its blob's SHA-256 when no archive names it any more
/// (its row is removed too: the caller removes the file after the commit).
pub async fn delete_archive(conn: &mut AnyConnection, id: i64) -> Result<Option<String>> {
    let row = sqlx::query("DELETE FROM centre_archives WHERE id = $1 RETURNING sha256")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let sha: String = row.try_get("sha256")?;
    let left = sqlx::query("SELECT COUNT(*) AS n FROM centre_archives WHERE sha256 = $1")
        .bind(&sha)
        .fetch_one(&mut *conn)
        .await?
        .try_get::<i64, _>("n")?;
    if left > 0 {
        return Ok(None);
    }
    sqlx::query("DELETE FROM centre_blobs WHERE sha256 = $1")
        .bind(&sha)
        .execute(&mut *conn)
        .await?;
    Ok(Some(sha))
}

/// Whether any archive names this blob.
pub async fn blob_known(conn: &mut AnyConnection, sha256: &str) -> Result<bool> {
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM centre_blobs WHERE sha256 = $1")
        .bind(sha256)
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    Ok(n > 0)
}

/// Blobs to re-read: never verified or last verified before `before`, in
/// order of their SHA-256 after `after` (a round pages through them once,
/// however its clock stands).
pub async fn blobs_to_verify(
    conn: &mut AnyConnection,
    before: i64,
    after: &str,
    limit: i64,
) -> Result<Vec<(String, i64, bool)>> {
    let rows = sqlx::query(
        "SELECT sha256, size, damaged FROM centre_blobs WHERE (verified_at IS NULL OR verified_at < $1) \
         AND sha256 > $2 ORDER BY sha256 LIMIT $3",
    )
    .bind(before)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("sha256")?,
                r.try_get("size")?,
                r.try_get::<i64, _>("damaged")? != 0,
            ))
        })
        .collect()
}

pub async fn set_verified(
    conn: &mut AnyConnection,
    sha256: &str,
    damaged: bool,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE centre_blobs SET verified_at = $1, damaged = $2 WHERE sha256 = $3")
        .bind(now)
        .bind(crate::flag(damaged))
        .bind(sha256)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The archives that name a blob: (archive id, system id).
pub async fn archives_of_blob(conn: &mut AnyConnection, sha256: &str) -> Result<Vec<(i64, i64)>> {
    let rows =
        sqlx::query("SELECT id, system_id FROM centre_archives WHERE sha256 = $1 ORDER BY id")
            .bind(sha256)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("system_id")?)))
        .collect()
}

/// An upload under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    pub id: i64,
    pub system_id: i64,
    pub name: String,
    pub taken_at: i64,
    pub size: i64,
    pub sha256: String,
    pub signature: String,
    pub received: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

const UPLOAD_COLUMNS: &str =
    "id, system_id, name, taken_at, size, sha256, signature, received, created_at, expires_at";

fn upload_row(r: &AnyRow) -> Result<UploadRow> {
    Ok(UploadRow {
        id: r.try_get("id")?,
        system_id: r.try_get("system_id")?,
        name: r.try_get("name")?,
        taken_at: r.try_get("taken_at")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        signature: r.try_get("signature")?,
        received: r.try_get("received")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}

pub async fn insert_upload(conn: &mut AnyConnection, u: &UploadRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO centre_uploads (system_id, name, taken_at, size, sha256, signature, received, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(u.system_id)
    .bind(&u.name)
    .bind(u.taken_at)
    .bind(u.size)
    .bind(&u.sha256)
    .bind(&u.signature)
    .bind(u.received)
    .bind(u.created_at)
    .bind(u.expires_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

pub async fn upload(conn: &mut AnyConnection, id: i64) -> Result<Option<UploadRow>> {
    let row = sqlx::query(&format!(
        "SELECT {UPLOAD_COLUMNS} FROM centre_uploads WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| upload_row(&r)).transpose()
}

/// A system's uploads under way, oldest first.
pub async fn uploads_of(conn: &mut AnyConnection, system_id: i64) -> Result<Vec<UploadRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {UPLOAD_COLUMNS} FROM centre_uploads WHERE system_id = $1 ORDER BY id"
    ))
    .bind(system_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(upload_row).collect()
}

/// Move an upload on from `from` to `to` bytes; false when it was not at `from`.
pub async fn advance_upload(
    conn: &mut AnyConnection,
    id: i64,
    from: i64,
    to: i64,
    expires_at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE centre_uploads SET received = $1, expires_at = $2 WHERE id = $3 AND received = $4",
    )
    .bind(to)
    .bind(expires_at)
    .bind(id)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn delete_upload(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM centre_uploads WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Uploads abandoned before `now`.
pub async fn expired_uploads(conn: &mut AnyConnection, now: i64) -> Result<Vec<UploadRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {UPLOAD_COLUMNS} FROM centre_uploads WHERE expires_at < $1 ORDER BY id"
    ))
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(upload_row).collect()
}

/// The bytes a system's archives take (each blob once) and the bytes its
/// uploads under way have declared.
pub async fn usage(conn: &mut AnyConnection, system_id: i64) -> Result<(i64, i64)> {
    let kept: i64 = sqlx::query(
        "SELECT CAST(COALESCE(SUM(b.size), 0) AS BIGINT) AS n FROM centre_blobs b WHERE b.sha256 IN \
         (SELECT a.sha256 FROM centre_archives a WHERE a.system_id = $1)",
    )
    .bind(system_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?;
    let reserved: i64 =
        sqlx::query("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS n FROM centre_uploads WHERE system_id = $1")
            .bind(system_id)
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
    Ok((kept, reserved))
}

/// Remember a request's signature; false when it was seen before (a replay).
/// Signatures older than `forget_before` are let go: their timestamps are
/// refused anyway.
pub async fn remember_request(
    conn: &mut AnyConnection,
    signature: &str,
    now: i64,
    forget_before: i64,
) -> Result<bool> {
    sqlx::query("DELETE FROM centre_seen_requests WHERE at < $1")
        .bind(forget_before)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query(
        "INSERT INTO centre_seen_requests (signature, at) VALUES ($1, $2) ON CONFLICT (signature) DO NOTHING",
    )
    .bind(signature.trim().to_ascii_lowercase())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
