//! The card engine's snapshots, and what a start from one reads: the
//! accounts opened after it, the ledger's events after its clock, the taps
//! applied after it, and the books' current rows.

use super::load::{ledger_events_after, load_cards_and_terminals, load_the_rest};
use super::*;

/// A snapshot as stored.
#[derive(Debug, Clone)]
pub struct SnapshotRow {
    /// The batch it ends.
    pub batch: i64,
    /// That batch's moment, µs.
    pub taken_at: i64,
    /// The ledger's clock at it: the transfers after it are not in it.
    pub clock: i64,
    /// The image's SHA-256, hex.
    pub digest: String,
    pub image: Vec<u8>,
}

/// A snapshot without its image, to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotMeta {
    pub batch: i64,
    pub taken_at: i64,
    pub clock: i64,
    pub size: i64,
}

/// Store a snapshot within the batch it ends, and keep the newest `keep`.
pub async fn store_snapshot(tx: &mut WriteTx, s: &SnapshotRow, keep: i64) -> Result<()> {
    let conn = tx.conn();
    sqlx::query(
        "INSERT INTO card_snapshots (batch, taken_at, clock, digest, image) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(s.batch)
    .bind(s.taken_at)
    .bind(s.clock)
    .bind(&s.digest)
    .bind(&s.image)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM card_snapshots WHERE batch NOT IN \
         (SELECT batch FROM card_snapshots ORDER BY batch DESC LIMIT $1)",
    )
    .bind(keep)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The latest moment a stored tap was applied at, if any tap is stored.
pub async fn last_applied(conn: &mut AnyConnection) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT MAX(applied_at) AS last FROM card_taps")
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("last")?)
}

/// The snapshots stored, oldest first.
pub async fn snapshots(conn: &mut AnyConnection) -> Result<Vec<SnapshotMeta>> {
    sqlx::query(
        "SELECT batch, taken_at, clock, CAST(LENGTH(image) AS BIGINT) AS size \
         FROM card_snapshots ORDER BY batch",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(SnapshotMeta {
            batch: r.try_get("batch")?,
            taken_at: r.try_get("taken_at")?,
            clock: r.try_get("clock")?,
            size: r.try_get("size")?,
        })
    })
    .collect()
}

/// One stored snapshot, image and all.
pub async fn snapshot(conn: &mut AnyConnection, batch: i64) -> Result<Option<SnapshotRow>> {
    let Some(r) = sqlx::query("SELECT * FROM card_snapshots WHERE batch = $1")
        .bind(batch)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(SnapshotRow {
        batch: r.try_get("batch")?,
        taken_at: r.try_get("taken_at")?,
        clock: r.try_get("clock")?,
        digest: r.try_get("digest")?,
        image: r.try_get("image")?,
    }))
}

/// The transfers stored with these ids (those that are).
pub async fn transfers_by_id(conn: &mut AnyConnection, ids: &[u64]) -> Result<Vec<Transfer>> {
    let mut found = vec![];
    for chunk in ids.chunks(256) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT * FROM card_transfers WHERE id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(bits(*id));
        }
        for row in q.fetch_all(&mut *conn).await? {
            found.push(transfer(&row)?);
        }
    }
    Ok(found)
}

/// What a start from a snapshot reads besides the snapshot.
pub struct After {
    /// The batch stored last.
    pub batch: i64,
    /// The accounts opened after the snapshot.
    pub accounts: Vec<Account>,
    /// The ledger's events after its clock, in order.
    pub events: Vec<Event>,
    /// The books' rows, with the taps applied after it.
    pub stored: Stored,
}

/// Everything stored after snapshot `s`, to open the books from it.
pub async fn load_after(conn: &mut AnyConnection, s: &SnapshotMeta) -> Result<After> {
    let batch = head(conn).await?;
    let accounts = accounts_where(conn, "WHERE batch > $1", Some(s.batch)).await?;
    let events = ledger_events_after(conn, s.clock).await?;
    let mut stored = Stored::default();
    load_cards_and_terminals(conn, &mut stored, Some(s.taken_at)).await?;
    load_the_rest(conn, &mut stored).await?;
    Ok(After {
        batch,
        accounts,
        events,
        stored,
    })
}

/// The batch number stored last.
pub(super) async fn head(conn: &mut AnyConnection) -> Result<i64> {
    Ok(
        sqlx::query("SELECT batch FROM card_ledger_head WHERE one = 1")
            .fetch_one(&mut *conn)
            .await?
            .try_get("batch")?,
    )
}

/// The accounts as opened (zero balances), by id, those `filter` keeps.
pub(super) async fn accounts_where(
    conn: &mut AnyConnection,
    filter: &str,
    after: Option<i64>,
) -> Result<Vec<Account>> {
    let sql = format!("SELECT id, ledger, code, flags FROM card_accounts {filter} ORDER BY id");
    let mut q = sqlx::query(&sql);
    if let Some(b) = after {
        q = q.bind(b);
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            let flags: i64 = row.try_get("flags")?;
            Ok(Account::new(
                unbits(row.try_get("id")?),
                u32::try_from(row.try_get::<i64, _>("ledger")?).map_err(|_| corrupt("ledger"))?,
                u16::try_from(row.try_get::<i64, _>("code")?)
                    .map_err(|_| corrupt("account code"))?,
                AccountFlags {
                    debits_must_not_exceed_credits: flags & 1 != 0,
                    credits_must_not_exceed_debits: flags & 2 != 0,
                },
            ))
        })
        .collect()
}

/// Every account as opened, by id.
pub async fn all_accounts(conn: &mut AnyConnection) -> Result<Vec<Account>> {
    accounts_where(conn, "", None).await
}
