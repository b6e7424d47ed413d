//! Who looked at a person's data: one row per staff read and person it concerns.

use sqlx::{AnyConnection, Row};

use crate::Result;

/// A staff read of a person's record, as stored.
#[derive(Debug, Clone)]
pub struct PersonalRead {
    /// The person's account, when the record is theirs online.
    pub person_user: Option<i64>,
    /// A hash of the person's identity number or credit code.
    pub person_ref: Option<String>,
    pub reader: String,
    pub reader_org: String,
    pub what_kind: String,
    pub what_ref: String,
    pub purpose: String,
    pub read_at: i64,
}

pub async fn insert_read(conn: &mut AnyConnection, r: &PersonalRead) -> Result<()> {
    sqlx::query(
        "INSERT INTO personal_reads (person_user, person_ref, reader, reader_org, what_kind, what_ref, purpose, read_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(r.person_user)
    .bind(r.person_ref.clone())
    .bind(&r.reader)
    .bind(&r.reader_org)
    .bind(&r.what_kind)
    .bind(&r.what_ref)
    .bind(&r.purpose)
    .bind(r.read_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The reads of one person's records, by their account and by the hashes
/// of their numbers, newest first.
pub async fn reads_of(
    conn: &mut AnyConnection,
    user: i64,
    refs: &[String],
    limit: i64,
) -> Result<Vec<PersonalRead>> {
    // At most two references (an identity number, a credit code): fixed placeholders.
    let first = refs.first().cloned().unwrap_or_default();
    let second = refs.get(1).cloned().unwrap_or_else(|| first.clone());
    let rows = sqlx::query(
        "SELECT person_user, person_ref, reader, reader_org, what_kind, what_ref, purpose, read_at \
         FROM personal_reads \
         WHERE person_user = $1 OR (person_ref IS NOT NULL AND person_ref IN ($2, $3)) \
         ORDER BY read_at DESC, id DESC LIMIT $4",
    )
    .bind(user)
    .bind(first)
    .bind(second)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PersonalRead {
                person_user: r.try_get("person_user")?,
                person_ref: r.try_get("person_ref")?,
                reader: r.try_get("reader")?,
                reader_org: r.try_get("reader_org")?,
                what_kind: r.try_get("what_kind")?,
                what_ref: r.try_get("what_ref")?,
                purpose: r.try_get("purpose")?,
                read_at: r.try_get("read_at")?,
            })
        })
        .collect()
}
