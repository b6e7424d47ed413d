//! Application materials' SQL: content stored once per SHA-256, and the
//! files each case holds.

use sqlx::{AnyConnection, Row};

use sunshine_domain::materials::MaterialFile;

use crate::Result;

/// Store content under its hash; content already there is kept as it is.
pub async fn put_blob(
    conn: &mut AnyConnection,
    sha256: &str,
    content: &[u8],
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO material_blobs (sha256, size, content, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(i64::try_from(content.len()).unwrap_or(i64::MAX))
    .bind(content.to_vec())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn insert_material(conn: &mut AnyConnection, m: &MaterialFile) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_materials (case_number, material, file_name, sha256, size, content_type, added_by, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&m.case_number)
    .bind(&m.material)
    .bind(&m.file_name)
    .bind(&m.sha256)
    .bind(m.size)
    .bind(&m.content_type)
    .bind(&m.added_by)
    .bind(m.added_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

const COLUMNS: &str =
    "case_number, material, file_name, sha256, size, content_type, added_by, added_at";

fn material_row(r: &sqlx::any::AnyRow) -> Result<MaterialFile> {
    Ok(MaterialFile {
        case_number: r.try_get("case_number")?,
        material: r.try_get("material")?,
        file_name: r.try_get("file_name")?,
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
        content_type: r.try_get("content_type")?,
        added_by: r.try_get("added_by")?,
        added_at: r.try_get("added_at")?,
    })
}

/// The files of a case, in the order they were added.
pub async fn of_case(conn: &mut AnyConnection, number: &str) -> Result<Vec<MaterialFile>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM case_materials WHERE case_number = $1 ORDER BY id"
    ))
    .bind(number)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(material_row).collect()
}

/// The bytes a case's files add up to.
pub async fn bytes_of_case(conn: &mut AnyConnection, number: &str) -> Result<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS total FROM case_materials WHERE case_number = $1",
    )
    .bind(number)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("total")?)
}

/// A case's file with this content, and the content: only through the case
/// that holds it.
pub async fn file_of_case(
    conn: &mut AnyConnection,
    number: &str,
    sha256: &str,
) -> Result<Option<(MaterialFile, Vec<u8>)>> {
    let row = sqlx::query(
        "SELECT m.case_number, m.material, m.file_name, m.sha256, m.size, m.content_type, m.added_by, m.added_at, b.content \
         FROM case_materials m JOIN material_blobs b ON b.sha256 = m.sha256 \
         WHERE m.case_number = $1 AND m.sha256 = $2 ORDER BY m.id LIMIT 1",
    )
    .bind(number)
    .bind(sha256)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| Ok((material_row(&r)?, r.try_get::<Vec<u8>, _>("content")?)))
        .transpose()
}

/// A file kept for an account from a refused form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptRow {
    pub sha256: String,
    pub file_name: String,
    pub size: i64,
}

/// Keep a file (its content already stored) for an account.
pub async fn keep(conn: &mut AnyConnection, user_id: i64, file: &KeptRow, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO kept_uploads (user_id, sha256, file_name, size, kept_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(&file.sha256)
    .bind(&file.file_name)
    .bind(file.size)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A file kept for this account since `since`, with its content; `None`
/// for a hash kept for someone else or never.
pub async fn kept(
    conn: &mut AnyConnection,
    user_id: i64,
    sha256: &str,
    since: i64,
) -> Result<Option<(KeptRow, Vec<u8>)>> {
    let row = sqlx::query(
        "SELECT k.sha256, k.file_name, k.size, b.content FROM kept_uploads k \
         JOIN material_blobs b ON b.sha256 = k.sha256 \
         WHERE k.user_id = $1 AND k.sha256 = $2 AND k.kept_at >= $3 ORDER BY k.id DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(sha256)
    .bind(since)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok((
            KeptRow {
                sha256: r.try_get("sha256")?,
                file_name: r.try_get("file_name")?,
                size: r.try_get("size")?,
            },
            r.try_get::<Vec<u8>, _>("content")?,
        ))
    })
    .transpose()
}

/// Forget what was kept for an account (its form went through).
pub async fn forget_kept(conn: &mut AnyConnection, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM kept_uploads WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The content stored under `sha256`, if any.
pub async fn blob(conn: &mut AnyConnection, sha256: &str) -> Result<Option<Vec<u8>>> {
    let row = sqlx::query("SELECT content FROM material_blobs WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok(r.try_get::<Vec<u8>, _>("content")?))
        .transpose()
}

/// Which of `hashes` have no content stored here.
pub async fn missing_blobs(conn: &mut AnyConnection, hashes: &[String]) -> Result<Vec<String>> {
    let mut missing = Vec::new();
    for h in hashes {
        let row = sqlx::query("SELECT 1 AS one FROM material_blobs WHERE sha256 = $1")
            .bind(h)
            .fetch_optional(&mut *conn)
            .await?;
        if row.is_none() && !missing.contains(h) {
            missing.push(h.clone());
        }
    }
    Ok(missing)
}
