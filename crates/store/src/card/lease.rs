//! The card engine's lease: which process runs it (see migration 0026).

use super::*;

/// The lease as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub node: String,
    /// Where the holder serves, for the others to point clients to.
    pub address: String,
    pub term: i64,
    /// µs; after it, another node may take the lease.
    pub expires_at: i64,
}

/// Take the lease for `node` until `until` if it is free — expired, or
/// `node`'s own (a restart) — moving the term on: the new term, or `None`
/// if another node holds it.
pub async fn take_lease(
    tx: &mut WriteTx,
    node: &str,
    address: &str,
    now: i64,
    until: i64,
) -> Result<Option<i64>> {
    let taken = sqlx::query(
        "UPDATE card_lease SET node = $1, address = $2, term = term + 1, expires_at = $3 \
         WHERE one = 1 AND (node = $1 OR expires_at < $4)",
    )
    .bind(node)
    .bind(address)
    .bind(until)
    .bind(now)
    .execute(&mut *tx.conn())
    .await?
    .rows_affected();
    if taken == 0 {
        return Ok(None);
    }
    Ok(Some(lease(tx.conn()).await?.term))
}

/// Hold the lease of `term` until `until`: whether it is still ours.
pub async fn renew_lease(tx: &mut WriteTx, node: &str, term: i64, until: i64) -> Result<bool> {
    let renewed = sqlx::query(
        "UPDATE card_lease SET expires_at = $1 WHERE one = 1 AND node = $2 AND term = $3",
    )
    .bind(until)
    .bind(node)
    .bind(term)
    .execute(&mut *tx.conn())
    .await?
    .rows_affected();
    Ok(renewed == 1)
}

/// Give the lease of `term` up (at shutdown), so another node takes it at once.
pub async fn release_lease(tx: &mut WriteTx, node: &str, term: i64) -> Result<()> {
    sqlx::query("UPDATE card_lease SET expires_at = 0 WHERE one = 1 AND node = $1 AND term = $2")
        .bind(node)
        .bind(term)
        .execute(&mut *tx.conn())
        .await?;
    Ok(())
}

/// The lease now.
pub async fn lease(conn: &mut AnyConnection) -> Result<Lease> {
    let r = sqlx::query("SELECT node, address, term, expires_at FROM card_lease WHERE one = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok(Lease {
        node: r.try_get("node")?,
        address: r.try_get("address")?,
        term: r.try_get("term")?,
        expires_at: r.try_get("expires_at")?,
    })
}

/// Fail the batch unless the lease is still `node`'s of `term`.
pub(super) async fn fence(conn: &mut AnyConnection, node: &str, term: i64) -> Result<()> {
    let now = lease(conn).await?;
    if now.node != node || now.term != term {
        return Err(StoreError::Commit(format!(
            "the card lease is no longer this process's ({node}, term {term}): {} holds term {}",
            now.node, now.term
        )));
    }
    Ok(())
}
