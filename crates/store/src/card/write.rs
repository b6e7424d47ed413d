//! A batch of the card engine written at once: the ledger's new rows in
//! bulk inserts, then the books' changes, then the journal.

use super::*;

/// A multi-row INSERT of one table, in statements of power-of-two sizes up
/// to `MAX_ROWS` rows, so that few distinct statements are prepared.
struct Bulk {
    head: &'static str,
    columns: usize,
    tail: &'static str,
    sql: OnceLock<Vec<String>>,
}

const MAX_ROWS: usize = 256;

impl Bulk {
    const fn new(head: &'static str, columns: usize, tail: &'static str) -> Bulk {
        Bulk {
            head,
            columns,
            tail,
            sql: OnceLock::new(),
        }
    }

    fn sql(&self, rows: usize) -> &str {
        let all = self.sql.get_or_init(|| {
            (0..=MAX_ROWS.trailing_zeros())
                .map(|k| {
                    let values: Vec<String> = (0..1usize << k)
                        .map(|r| {
                            let p: Vec<String> = (1..=self.columns)
                                .map(|c| format!("${}", r * self.columns + c))
                                .collect();
                            format!("({})", p.join(", "))
                        })
                        .collect();
                    format!("{} VALUES {}{}", self.head, values.join(", "), self.tail)
                })
                .collect()
        });
        &all[rows.trailing_zeros() as usize]
    }

    /// Insert `items`, binding each with `bind`.
    async fn insert<T>(
        &self,
        conn: &mut AnyConnection,
        items: &[T],
        bind: impl for<'q> Fn(
            sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
            &'q T,
        ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<()> {
        let mut rest = items;
        while !rest.is_empty() {
            let rows = 1usize << rest.len().min(MAX_ROWS).ilog2();
            let (chunk, tail) = rest.split_at(rows);
            let mut q = sqlx::query(self.sql(rows));
            for item in chunk {
                q = bind(q, item);
            }
            q.execute(&mut *conn).await?;
            rest = tail;
        }
        Ok(())
    }
}

static ACCOUNTS: Bulk = Bulk::new(
    "INSERT INTO card_accounts (id, ledger, code, flags, batch)",
    5,
    "",
);
static TRANSFERS: Bulk = Bulk::new(
    "INSERT INTO card_transfers (ts, id, debit, credit, amount, pending_id, timeout, ledger, code, flags, moved)",
    11,
    "",
);
static EXPIRIES: Bulk = Bulk::new("INSERT INTO card_expiries (ts, pending_id)", 2, "");
static TAPS: Bulk = Bulk::new(
    "INSERT INTO card_taps (terminal, seq, card, at, outcome, product, leg_group, full_fare, charged, transfer, party, applied_at, prev_terminal, prev_seq)",
    14,
    "",
);
static DENY: Bulk = Bulk::new("INSERT INTO card_deny (version, card, reason)", 3, "");
static CARDS: Bulk = Bulk::new(
    "INSERT INTO cards (id, number, holder, holder_name, rider_category, state, replaces, replaced_by, issued_at, changed_at)",
    10,
    " ON CONFLICT (id) DO UPDATE SET state = excluded.state, replaced_by = excluded.replaced_by, changed_at = excluded.changed_at",
);

pub(super) fn account_flags(f: AccountFlags) -> i64 {
    i64::from(f.debits_must_not_exceed_credits) | i64::from(f.credits_must_not_exceed_debits) << 1
}
pub(super) fn transfer_flags(f: TransferFlags) -> i64 {
    i64::from(f.linked)
        | i64::from(f.pending) << 1
        | i64::from(f.post_pending) << 2
        | i64::from(f.void_pending) << 3
}

pub(super) fn purses(p: &[Purse]) -> String {
    serde_json::to_string(p).unwrap_or_else(|_| "[]".into())
}

/// Store one batch of the engine: the ledger's new rows and the books'
/// effects, and move the batch number on from `batch - 1` to `batch`. If the
/// stored number is not `batch - 1` — a batch before this one was lost, or
/// another engine wrote — nothing is stored and the batch fails. A
/// snapshot that ends the batch is stored with it, or not at all.
pub async fn store_batch(
    tx: &mut WriteTx,
    batch: i64,
    fresh: &Fresh,
    effects: &[Effect],
    snapshot: Option<&super::SnapshotRow>,
    fence: Option<&Fence>,
) -> Result<()> {
    if let Some(f) = fence {
        super::lease::fence(tx.conn(), &f.node, f.term).await?;
    }
    let moved = sqlx::query("UPDATE card_ledger_head SET batch = $1 WHERE one = 1 AND batch = $2")
        .bind(batch)
        .bind(batch - 1)
        .execute(&mut *tx.conn())
        .await?
        .rows_affected();
    if moved != 1 {
        return Err(StoreError::Commit(format!(
            "the card ledger is not at batch {} (another writer, or a lost batch)",
            batch - 1
        )));
    }
    let conn = tx.conn();
    ACCOUNTS
        .insert(conn, &fresh.accounts, |q, a: &Account| {
            q.bind(bits(a.id))
                .bind(i64::from(a.ledger))
                .bind(i64::from(a.code))
                .bind(account_flags(a.flags))
                .bind(batch)
        })
        .await?;
    TRANSFERS
        .insert(conn, &fresh.transfers, |q, t: &Transfer| {
            let r = &t.request;
            q.bind(t.timestamp)
                .bind(bits(r.id))
                .bind(bits(r.debit_account_id))
                .bind(bits(r.credit_account_id))
                .bind(r.amount)
                .bind(bits(r.pending_id))
                .bind(r.timeout)
                .bind(i64::from(r.ledger))
                .bind(i64::from(r.code))
                .bind(transfer_flags(r.flags))
                .bind(t.amount)
        })
        .await?;
    EXPIRIES
        .insert(conn, &fresh.expired, |q, (id, ts): &(u64, i64)| {
            q.bind(*ts).bind(bits(*id))
        })
        .await?;
    let (mut cards, mut taps, mut deny) = (vec![], vec![], vec![]);
    for e in effects {
        match e {
            Effect::Card(c) => {
                // Several changes of one card in a batch: the last one counts.
                cards.retain(|x: &&Card| x.id != c.id);
                cards.push(c);
            }
            Effect::Tap(t, prev) => taps.push((t, prev)),
            Effect::Deny(d) => deny.push(d),
            other => store_row(&mut *conn, other).await?,
        }
    }
    CARDS
        .insert(conn, &cards, |q, c: &&Card| {
            q.bind(bits(c.id))
                .bind(&c.number)
                .bind(&c.holder)
                .bind(&c.holder_name)
                .bind(&c.rider_category)
                .bind(c.state.as_str())
                .bind(c.replaces.clone())
                .bind(c.replaced_by.clone())
                .bind(c.issued_at)
                .bind(c.changed_at)
        })
        .await?;
    TAPS.insert(
        conn,
        &taps,
        |q, (t, prev): &(&TapRecord, &Option<TapKey>)| {
            q.bind(t.terminal.as_str())
                .bind(bits(t.seq))
                .bind(t.card.as_str())
                .bind(t.at)
                .bind(t.outcome.as_str())
                .bind(t.product.as_str())
                .bind(t.leg_group.as_str())
                .bind(t.full)
                .bind(t.charged)
                .bind(bits(t.transfer))
                .bind(bits(t.party))
                .bind(t.applied_at)
                .bind(prev.as_ref().map(|p| p.terminal.as_str()))
                .bind(prev.as_ref().map(|p| bits(p.seq)))
        },
    )
    .await?;
    DENY.insert(conn, &deny, |q, d: &&DenyChange| {
        q.bind(bits(d.version)).bind(&d.card).bind(d.reason.clone())
    })
    .await?;
    for e in effects {
        if let Effect::Journal { at, entry } = e {
            tx.journal(*at, entry.clone()).await?;
        }
    }
    if let Some(s) = snapshot {
        super::snapshot::store_snapshot(tx, s, SNAPSHOTS_KEPT).await?;
    }
    Ok(())
}

/// The lease an engine writes under: its node and term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub node: String,
    pub term: i64,
}

/// How many snapshots are kept: the newest, and some before it should it
/// be found damaged.
pub const SNAPSHOTS_KEPT: i64 = 4;

/// A row of one of the rarer effects (parties, terminals, settlements,
/// entitlements, medical settlements, rentals, passes); cards, taps and
/// the deny list go in bulk, the journal through the write.
pub(super) async fn store_row(conn: &mut AnyConnection, effect: &Effect) -> Result<()> {
    match effect {
        Effect::Party(p) => {
            sqlx::query("INSERT INTO card_parties (id, code, name, kind, accepts, percent_of_price) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(bits(p.id))
                .bind(&p.code)
                .bind(&p.name)
                .bind(&p.kind)
                .bind(purses(&p.accepts))
                .bind(i64::from(p.percent_of_price))
                .execute(&mut *conn)
                .await?;
        }
        // New, or its key changed or retired: only those two change.
        Effect::Terminal(t) => {
            sqlx::query("INSERT INTO card_terminals (code, kind, party, network_id, public_key, registered_at, retired_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (code) DO UPDATE SET public_key = excluded.public_key, retired_at = excluded.retired_at")
                .bind(&t.code)
                .bind(t.kind.as_str())
                .bind(bits(t.party))
                .bind(&t.network_id)
                .bind(&t.public_key)
                .bind(t.registered_at)
                .bind(t.retired_at)
                .execute(&mut *conn)
                .await?;
        }
        Effect::Settlement(x) => {
            sqlx::query("INSERT INTO card_settlements (day, party, takings, count, refunds, passes, net, transfer, settled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(&x.day)
                .bind(bits(x.party))
                .bind(x.takings)
                .bind(bits(x.count))
                .bind(x.refunds)
                .bind(x.passes)
                .bind(x.net)
                .bind(bits(x.transfer))
                .bind(x.settled_at)
                .execute(&mut *conn)
                .await?;
        }
        Effect::Entitlement(e) => {
            sqlx::query("INSERT INTO card_entitlements (holder, kind, granted_at, valid_until, revoked, changed_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (holder, kind) DO UPDATE SET granted_at = excluded.granted_at, valid_until = excluded.valid_until, revoked = excluded.revoked, changed_at = excluded.changed_at")
                .bind(&e.holder)
                .bind(e.kind.as_str())
                .bind(e.granted_at)
                .bind(e.valid_until)
                .bind(e.revoked.clone())
                .bind(e.changed_at)
                .execute(&mut *conn)
                .await?;
        }
        Effect::Medical(m) => {
            sqlx::query("INSERT INTO card_medical (id, card, holder, party, terminal, total, insured, self_pay, at, request_id, from_medical_account, from_account, in_cash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
                .bind(bits(m.id))
                .bind(&m.card)
                .bind(&m.holder)
                .bind(bits(m.party))
                .bind(&m.terminal)
                .bind(m.total)
                .bind(m.insured)
                .bind(m.self_pay)
                .bind(m.at)
                .bind(&m.request_id)
                .bind(m.from_medical_account)
                .bind(m.from_account)
                .bind(m.in_cash)
                .execute(&mut *conn)
                .await?;
        }
        Effect::Rental(card, Some((dock, at))) => {
            sqlx::query("INSERT INTO card_rentals (card, dock, at) VALUES ($1, $2, $3) ON CONFLICT (card) DO UPDATE SET dock = excluded.dock, at = excluded.at")
                .bind(bits(*card))
                .bind(dock)
                .bind(*at)
                .execute(&mut *conn)
                .await?;
        }
        Effect::Rental(card, None) => {
            sqlx::query("DELETE FROM card_rentals WHERE card = $1")
                .bind(bits(*card))
                .execute(&mut *conn)
                .await?;
        }
        Effect::Pass(p) => {
            sqlx::query("INSERT INTO card_passes (transfer, holder, product, valid_from, valid_until, bought_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(bits(p.transfer))
                .bind(&p.holder)
                .bind(&p.product)
                .bind(p.valid_from)
                .bind(p.valid_until)
                .bind(p.bought_at)
                .execute(&mut *conn)
                .await?;
        }
        Effect::Card(_) | Effect::Tap(..) | Effect::Deny(_) | Effect::Journal { .. } => {}
    }
    Ok(())
}
