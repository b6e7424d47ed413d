//! The journal's SQL: append inside a write transaction, read by cursor, verify.

use sqlx::{AnyConnection, Row};
use sunshine_domain::journal::{entry_hash, BrokenLink, ChainVerifier, Entry, NewEntry};

use crate::{Result, StoreError};

/// Chain a new entry after `head` (the last entry's sequence and hash, which
/// the writer holds for its batch) and move `head` on. The writer stores the
/// batch's entries with [`insert`] and the head row once, before it commits.
pub(crate) fn chain(head: &mut (i64, String), at: i64, e: NewEntry) -> Result<Entry> {
    let (prev_seq, prev_hash) = head.clone();
    let seq = prev_seq + 1;
    let payload =
        serde_json::to_string(&e.payload).map_err(|err| StoreError::Corrupt(err.to_string()))?;
    let hash = entry_hash(
        seq,
        at,
        &e.actor,
        &e.org,
        &e.subject,
        e.event_type,
        &payload,
        &prev_hash,
    );
    *head = (seq, hash.clone());
    Ok(Entry {
        seq,
        at,
        actor: e.actor,
        org: e.org,
        subject: e.subject,
        event_type: e.event_type.to_string(),
        payload,
        prev_hash,
        hash,
    })
}

/// The most rows one INSERT carries; a batch's entries go in statements of
/// power-of-two sizes up to it, so that few distinct statements are prepared.
/// Kept small because SQLite finds each `$n` parameter by name in a list, so
/// binding a statement costs the square of its parameters.
const MAX_ROWS: usize = 16;

/// `INSERT INTO journal … VALUES (…), (…)` for `rows` rows.
fn insert_sql(rows: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        (0..=MAX_ROWS.trailing_zeros())
            .map(|k| {
                let values: Vec<String> = (0..1usize << k)
                    .map(|r| {
                        let p: Vec<String> = (1..=9).map(|c| format!("${}", r * 9 + c)).collect();
                        format!("({})", p.join(", "))
                    })
                    .collect();
                format!(
                    "INSERT INTO journal ({COLUMNS}) VALUES {}",
                    values.join(", ")
                )
            })
            .collect()
    });
    &all[rows.trailing_zeros() as usize]
}

/// Store chained entries, in order, in as few statements as their number allows.
pub(crate) async fn insert(conn: &mut AnyConnection, entries: &[Entry]) -> Result<()> {
    let mut rest = entries;
    while !rest.is_empty() {
        let rows = 1usize << rest.len().min(MAX_ROWS).ilog2();
        let (chunk, tail) = rest.split_at(rows);
        let mut q = sqlx::query(insert_sql(rows));
        for e in chunk {
            q = q
                .bind(e.seq)
                .bind(e.at)
                .bind(&e.actor)
                .bind(&e.org)
                .bind(&e.subject)
                .bind(&e.event_type)
                .bind(&e.payload)
                .bind(&e.prev_hash)
                .bind(&e.hash);
        }
        q.execute(&mut *conn).await?;
        rest = tail;
    }
    Ok(())
}

const COLUMNS: &str = "seq, at, actor, org, subject, event_type, payload, prev_hash, hash";

fn entry(row: &sqlx::any::AnyRow) -> Result<Entry> {
    Ok(Entry {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        org: row.try_get("org")?,
        subject: row.try_get("subject")?,
        event_type: row.try_get("event_type")?,
        payload: row.try_get("payload")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Entries after `cursor`, in order, at most `limit`: how consumers read.
pub async fn read_after(conn: &mut AnyConnection, cursor: i64, limit: i64) -> Result<Vec<Entry>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2"
    ))
    .bind(cursor)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(entry).collect()
}

/// The moment of the first entry after `cursor` whose subject begins with
/// one of `prefixes` (`case/`), if there is one: how far a consumer that
/// reads only those subjects may trust what it has read.
pub async fn first_unread_at(
    conn: &mut AnyConnection,
    cursor: i64,
    prefixes: &[&str],
) -> Result<Option<i64>> {
    if prefixes.is_empty() {
        return Ok(None);
    }
    let mut sql = String::from("SELECT at FROM journal WHERE seq > $1 AND (");
    for n in 0..prefixes.len() {
        if n > 0 {
            sql.push_str(" OR ");
        }
        sql.push_str(&format!("subject LIKE ${}", n + 2));
    }
    sql.push_str(") ORDER BY seq LIMIT 1");
    let mut query = sqlx::query(&sql).bind(cursor);
    for p in prefixes {
        query = query.bind(format!("{p}%"));
    }
    let row = query.fetch_optional(&mut *conn).await?;
    Ok(row.map(|r| r.try_get("at")).transpose()?)
}

/// The history of one subject (`item/12`), oldest first.
pub async fn by_subject(conn: &mut AnyConnection, subject: &str) -> Result<Vec<Entry>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM journal WHERE subject = $1 ORDER BY seq"
    ))
    .bind(subject)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(entry).collect()
}

/// Lock the head row for the batch and read it.
pub(crate) async fn head_for_update(conn: &mut AnyConnection) -> Result<(i64, String)> {
    let row = sqlx::query("UPDATE journal_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get("seq")?, row.try_get("hash")?))
}

/// Store the head at the end of a batch.
pub(crate) async fn set_head(conn: &mut AnyConnection, head: &(i64, String)) -> Result<()> {
    sqlx::query("UPDATE journal_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(head.0)
        .bind(&head.1)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn head(conn: &mut AnyConnection) -> Result<(i64, String)> {
    let row = sqlx::query("SELECT seq, hash FROM journal_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get("seq")?, row.try_get("hash")?))
}

/// The outcome of walking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact { entries: u64 },
    Broken(BrokenLink),
}

/// Walk the chain from the first entry, a page at a time.
pub async fn verify(conn: &mut AnyConnection) -> Result<Verification> {
    // The head first: entries up to it were committed with it, and writes that
    // land during the walk lie beyond it and are not this walk's business.
    let (head_seq, head_hash) = head(conn).await?;
    let mut v = ChainVerifier::default();
    let mut cursor = 0;
    while cursor < head_seq {
        let page = read_after(conn, cursor, 5000.min(head_seq - cursor)).await?;
        let Some(last) = page.last() else { break };
        cursor = last.seq;
        for e in page.iter().filter(|e| e.seq <= head_seq) {
            if let Err(broken) = v.feed(e) {
                return Ok(Verification::Broken(broken));
            }
        }
    }
    Ok(match v.finish(head_seq, &head_hash) {
        Ok(()) => Verification::Intact { entries: v.checked },
        Err(b) => Verification::Broken(b),
    })
}

/// A consumer's stored position.
pub async fn cursor(conn: &mut AnyConnection, consumer: &str) -> Result<i64> {
    let row = sqlx::query("SELECT seq FROM consumer_cursors WHERE name = $1")
        .bind(consumer)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => r.try_get("seq")?,
        None => 0,
    })
}

/// Move a consumer's cursor, in the same transaction as the consumer's effects.
pub async fn set_cursor(conn: &mut AnyConnection, consumer: &str, seq: i64) -> Result<()> {
    sqlx::query("INSERT INTO consumer_cursors (name, seq) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq")
        .bind(consumer)
        .bind(seq)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A turn at work that only one process may do at a time, such as posting
/// to a gateway what a consumer found: on PostgreSQL an advisory lock held
/// by a transaction of its own until the turn ends (or is dropped); the
/// embedded store has one process, whose turn it always is.
pub struct Turn(Option<sqlx::Transaction<'static, sqlx::Any>>);

/// Take the turn named `name`, or `None` while another process has it.
pub async fn take_turn(db: &crate::Db, name: &str) -> Result<Option<Turn>> {
    if db.backend() != crate::Backend::Postgres {
        return Ok(Some(Turn(None)));
    }
    let mut tx = db.pool().begin().await?;
    let row = sqlx::query("SELECT pg_try_advisory_xact_lock($1) AS taken")
        .bind(turn_key(name))
        .fetch_one(&mut *tx)
        .await?;
    let taken: bool = row.try_get("taken")?;
    // A turn not taken rolls back as it is dropped.
    Ok(taken.then_some(Turn(Some(tx))))
}

impl Turn {
    /// Give the turn up.
    pub async fn end(self) -> Result<()> {
        if let Some(tx) = self.0 {
            tx.rollback().await?;
        }
        Ok(())
    }
}

/// The advisory lock's key for a turn's name: FNV-1a, the same in every process.
fn turn_key(name: &str) -> i64 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    hash as i64
}
