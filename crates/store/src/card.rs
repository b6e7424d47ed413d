//! The citizen card's rows: the ledger's accounts, transfers and expiries,
//! written a batch at a time by the card engine, and the books' cards,
//! operators and merchants, terminals, taps and deny list.

use std::sync::OnceLock;

use sqlx::{AnyConnection, Row};
use sunshine_domain::card::book::{
    Card, DenyChange, Effect, NewestTaps, Party, Pass, Purse, Settlement, Stored, TapKey,
    TapOutcome, TapRecord, Terminal, TerminalKind,
};
use sunshine_domain::card::entitlement::{Entitlement, Kind, MedicalRecord};
use sunshine_domain::card::ledger::{
    Account, AccountFlags, Event, Fresh, Transfer, TransferFlags, TransferRequest,
};
use sunshine_domain::card::lifecycle::CardState;

use crate::{Result, StoreError, WriteTx};

mod lease;
mod load;
mod read;
mod snapshot;
mod write;

pub use lease::{lease, release_lease, renew_lease, take_lease, Lease};
pub use load::{events_page, load, seen_of_taps, taps_page, Loaded};
pub use read::{medical_of, medical_paid_between, tapped_between, taps_against_ledger, taps_of};
pub use snapshot::{
    all_accounts, last_applied, load_after, snapshot, snapshots, transfers_by_id, After,
    SnapshotMeta, SnapshotRow,
};
pub use write::{store_batch, Fence, SNAPSHOTS_KEPT};

/// Ids are u64; the database keeps their bits in a BIGINT.
fn bits(id: u64) -> i64 {
    id as i64
}
fn unbits(v: i64) -> u64 {
    v as u64
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn state_of(s: &str) -> Result<CardState> {
    CardState::ALL
        .into_iter()
        .find(|c| c.as_str() == s)
        .ok_or_else(|| corrupt(&format!("card state {s:?}")))
}

fn card(row: &sqlx::any::AnyRow) -> Result<Card> {
    Ok(Card {
        id: unbits(row.try_get("id")?),
        number: row.try_get("number")?,
        holder: row.try_get("holder")?,
        holder_name: row.try_get("holder_name")?,
        rider_category: row.try_get("rider_category")?,
        state: state_of(&row.try_get::<String, _>("state")?)?,
        replaces: row.try_get("replaces")?,
        replaced_by: row.try_get("replaced_by")?,
        issued_at: row.try_get("issued_at")?,
        changed_at: row.try_get("changed_at")?,
    })
}

fn tap(row: &sqlx::any::AnyRow) -> Result<TapRecord> {
    let outcome: String = row.try_get("outcome")?;
    Ok(TapRecord {
        terminal: row.try_get("terminal")?,
        seq: unbits(row.try_get("seq")?),
        card: row.try_get("card")?,
        at: row.try_get("at")?,
        outcome: TapOutcome::parse(&outcome)
            .ok_or_else(|| corrupt(&format!("tap outcome {outcome:?}")))?,
        product: row.try_get("product")?,
        leg_group: row.try_get("leg_group")?,
        full: row.try_get("full_fare")?,
        charged: row.try_get("charged")?,
        transfer: unbits(row.try_get("transfer")?),
        party: unbits(row.try_get("party")?),
        applied_at: row.try_get("applied_at")?,
    })
}

fn transfer(row: &sqlx::any::AnyRow) -> Result<Transfer> {
    let flags: i64 = row.try_get("flags")?;
    let small = |name: &str| -> Result<i64> { Ok(row.try_get::<i64, _>(name)?) };
    Ok(Transfer {
        request: TransferRequest {
            id: unbits(row.try_get("id")?),
            debit_account_id: unbits(row.try_get("debit")?),
            credit_account_id: unbits(row.try_get("credit")?),
            amount: row.try_get("amount")?,
            pending_id: unbits(row.try_get("pending_id")?),
            timeout: row.try_get("timeout")?,
            ledger: u32::try_from(small("ledger")?).map_err(|_| corrupt("ledger"))?,
            code: u16::try_from(small("code")?).map_err(|_| corrupt("transfer code"))?,
            flags: TransferFlags {
                linked: flags & 1 != 0,
                pending: flags & 2 != 0,
                post_pending: flags & 4 != 0,
                void_pending: flags & 8 != 0,
            },
        },
        amount: row.try_get("moved")?,
        timestamp: row.try_get("ts")?,
    })
}

fn medical_row(r: &sqlx::any::AnyRow) -> Result<MedicalRecord> {
    Ok(MedicalRecord {
        id: unbits(r.try_get("id")?),
        card: r.try_get("card")?,
        holder: r.try_get("holder")?,
        party: unbits(r.try_get("party")?),
        terminal: r.try_get("terminal")?,
        total: r.try_get("total")?,
        insured: r.try_get("insured")?,
        self_pay: r.try_get("self_pay")?,
        from_medical_account: r.try_get("from_medical_account")?,
        from_account: r.try_get("from_account")?,
        in_cash: r.try_get("in_cash")?,
        at: r.try_get("at")?,
        request_id: r.try_get("request_id")?,
    })
}

/// The benchmark's peer: a plain SQL ledger in the way PostgreSQL ledgers
/// such as pgledger keep one, each transfer one transaction that locks both
/// accounts' rows, checks the balance, updates both and inserts the transfer.
/// Account 0 is the merchant every transfer pays.
pub mod peer {
    use sqlx::{AnyPool, Row};

    use crate::Result;

    /// Fresh tables with `accounts` wallets holding `funds` each.
    pub async fn create(pool: &AnyPool, accounts: i64, funds: i64) -> Result<()> {
        let mut conn = pool.acquire().await?;
        for sql in [
            "DROP TABLE IF EXISTS peer_transfers",
            "DROP TABLE IF EXISTS peer_accounts",
            "CREATE TABLE peer_accounts (id BIGINT PRIMARY KEY, debits BIGINT NOT NULL, credits BIGINT NOT NULL)",
            "CREATE TABLE peer_transfers (id BIGINT PRIMARY KEY, debit BIGINT NOT NULL, credit BIGINT NOT NULL, amount BIGINT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now())",
        ] {
            sqlx::query(sql).execute(&mut *conn).await?;
        }
        sqlx::query(
            "INSERT INTO peer_accounts (id, debits, credits) SELECT g, 0, CASE WHEN g = 0 THEN 0 ELSE $1 END FROM generate_series(0, $2) AS g",
        )
        .bind(funds)
        .bind(accounts)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Move `amount` from wallet `from` to account `to` in one transaction.
    pub async fn transfer(pool: &AnyPool, id: i64, from: i64, to: i64, amount: i64) -> Result<()> {
        let mut tx = pool.begin().await?;
        let rows = sqlx::query(
            "SELECT id, debits, credits FROM peer_accounts WHERE id IN ($1, $2) ORDER BY id FOR UPDATE",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *tx)
        .await?;
        let balance = rows
            .iter()
            .find(|r| r.try_get::<i64, _>("id").ok() == Some(from))
            .map(|r| -> Result<i64> {
                Ok(r.try_get::<i64, _>("credits")? - r.try_get::<i64, _>("debits")?)
            })
            .transpose()?
            .unwrap_or(0);
        if balance < amount {
            tx.rollback().await?;
            return Err(crate::StoreError::Corrupt(format!(
                "peer wallet {from} cannot pay {amount}"
            )));
        }
        sqlx::query("UPDATE peer_accounts SET debits = debits + $1 WHERE id = $2")
            .bind(amount)
            .bind(from)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE peer_accounts SET credits = credits + $1 WHERE id = $2")
            .bind(amount)
            .bind(to)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO peer_transfers (id, debit, credit, amount) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(from)
        .bind(to)
        .bind(amount)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What the transfers moved, the wallets' debits and the merchant's
    /// credits: all three are equal when the books balance.
    pub async fn totals(pool: &AnyPool) -> Result<(i64, i64, i64)> {
        let row = sqlx::query(
            "SELECT (SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM peer_transfers) AS moved, (SELECT CAST(SUM(debits) AS BIGINT) FROM peer_accounts) AS debits, (SELECT CAST(SUM(credits) AS BIGINT) FROM peer_accounts WHERE id = 0) AS credits",
        )
        .fetch_one(pool)
        .await?;
        Ok((
            row.try_get("moved")?,
            row.try_get("debits")?,
            row.try_get("credits")?,
        ))
    }
}
