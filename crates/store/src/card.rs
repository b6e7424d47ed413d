//! The citizen card's rows: the ledger's accounts, transfers and expiries,
//! written a batch at a time by the card engine, and the books' cards,
//! operators and merchants, terminals, taps and deny list.

use std::sync::OnceLock;

use sqlx::{AnyConnection, Row};
use sunshine_domain::card::book::{
    Card, DenyChange, Effect, Party, Pass, Purse, Settlement, Stored, TapOutcome, TapRecord,
    Terminal, TerminalKind,
};
use sunshine_domain::card::entitlement::{Entitlement, Kind, MedicalRecord};
use sunshine_domain::card::ledger::{
    Account, AccountFlags, Event, Fresh, Transfer, TransferFlags, TransferRequest,
};
use sunshine_domain::card::lifecycle::CardState;

use crate::{Result, StoreError, WriteTx};

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

static ACCOUNTS: Bulk = Bulk::new("INSERT INTO card_accounts (id, ledger, code, flags)", 4, "");
static TRANSFERS: Bulk = Bulk::new(
    "INSERT INTO card_transfers (ts, id, debit, credit, amount, pending_id, timeout, ledger, code, flags, moved)",
    11,
    "",
);
static EXPIRIES: Bulk = Bulk::new("INSERT INTO card_expiries (ts, pending_id)", 2, "");
static TAPS: Bulk = Bulk::new(
    "INSERT INTO card_taps (terminal, seq, card, at, outcome, product, leg_group, full_fare, charged, transfer, party, applied_at)",
    12,
    "",
);
static DENY: Bulk = Bulk::new("INSERT INTO card_deny (version, card, reason)", 3, "");
static CARDS: Bulk = Bulk::new(
    "INSERT INTO cards (id, number, holder, holder_name, rider_category, state, replaces, replaced_by, issued_at, changed_at)",
    10,
    " ON CONFLICT (id) DO UPDATE SET state = excluded.state, replaced_by = excluded.replaced_by, changed_at = excluded.changed_at",
);

/// Ids are u64; the database keeps their bits in a BIGINT.
fn bits(id: u64) -> i64 {
    id as i64
}
fn unbits(v: i64) -> u64 {
    v as u64
}

fn account_flags(f: AccountFlags) -> i64 {
    i64::from(f.debits_must_not_exceed_credits) | i64::from(f.credits_must_not_exceed_debits) << 1
}
fn transfer_flags(f: TransferFlags) -> i64 {
    i64::from(f.linked)
        | i64::from(f.pending) << 1
        | i64::from(f.post_pending) << 2
        | i64::from(f.void_pending) << 3
}

fn purses(p: &[Purse]) -> String {
    serde_json::to_string(p).unwrap_or_else(|_| "[]".into())
}

/// Store one batch of the engine: the ledger's new rows and the books'
/// effects, and move the batch number on from `batch - 1` to `batch`. If the
/// stored number is not `batch - 1` — a batch before this one was lost, or
/// another engine wrote — nothing is stored and the batch fails.
pub async fn store_batch(
    tx: &mut WriteTx,
    batch: i64,
    fresh: &Fresh,
    effects: &[Effect],
) -> Result<()> {
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
            Effect::Tap(t) => taps.push(t),
            Effect::Deny(d) => deny.push(d),
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
                sqlx::query("INSERT INTO card_medical (id, card, holder, party, terminal, total, insured, self_pay, at, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
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
            Effect::Journal { .. } => {}
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
    TAPS.insert(conn, &taps, |q, t: &&TapRecord| {
        q.bind(&t.terminal)
            .bind(bits(t.seq))
            .bind(&t.card)
            .bind(t.at)
            .bind(t.outcome.as_str())
            .bind(&t.product)
            .bind(&t.leg_group)
            .bind(t.full)
            .bind(t.charged)
            .bind(bits(t.transfer))
            .bind(bits(t.party))
            .bind(t.applied_at)
    })
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
    Ok(())
}

/// Transfers read at a time at start.
const PAGE: i64 = 100_000;

/// How far back the taps loaded at start reach: a day.
const RECENT_MICROS: i64 = 86_400_000_000;

/// What the engine stored, to replay: the batch number, the accounts as
/// opened, the ledger's events in order, and the books' rows.
pub struct Loaded {
    pub batch: i64,
    pub accounts: Vec<Account>,
    pub events: Vec<Event>,
    pub stored: Stored,
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

/// Everything the engine stored.
pub async fn load(conn: &mut AnyConnection) -> Result<Loaded> {
    let batch: i64 = sqlx::query("SELECT batch FROM card_ledger_head WHERE one = 1")
        .fetch_one(&mut *conn)
        .await?
        .try_get("batch")?;
    let mut accounts = vec![];
    for row in sqlx::query("SELECT id, ledger, code, flags FROM card_accounts ORDER BY id")
        .fetch_all(&mut *conn)
        .await?
    {
        let flags: i64 = row.try_get("flags")?;
        accounts.push(Account::new(
            unbits(row.try_get("id")?),
            u32::try_from(row.try_get::<i64, _>("ledger")?).map_err(|_| corrupt("ledger"))?,
            u16::try_from(row.try_get::<i64, _>("code")?).map_err(|_| corrupt("account code"))?,
            AccountFlags {
                debits_must_not_exceed_credits: flags & 1 != 0,
                credits_must_not_exceed_debits: flags & 2 != 0,
            },
        ));
    }
    // Page by page, so that the rows of a long history are never all held at once.
    let mut transfers = vec![];
    let mut after = i64::MIN;
    loop {
        let page: Vec<Transfer> =
            sqlx::query("SELECT * FROM card_transfers WHERE ts > $1 ORDER BY ts LIMIT $2")
                .bind(after)
                .bind(PAGE)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(transfer)
                .collect::<Result<_>>()?;
        let Some(last) = page.last() else { break };
        after = last.timestamp;
        transfers.extend(page);
    }
    let expiries: Vec<(i64, u64)> =
        sqlx::query("SELECT ts, pending_id FROM card_expiries ORDER BY ts")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("ts")?, unbits(r.try_get("pending_id")?))))
            .collect::<Result<_>>()?;
    let mut events = Vec::with_capacity(transfers.len() + expiries.len());
    let mut expiries = expiries.into_iter().peekable();
    for t in transfers {
        while let Some((ts, id)) = expiries.next_if(|(ts, _)| *ts < t.timestamp) {
            events.push(Event::Expired(id, ts));
        }
        events.push(Event::Transfer(t));
    }
    events.extend(expiries.map(|(ts, id)| Event::Expired(id, ts)));
    let mut stored = Stored::default();
    for row in sqlx::query("SELECT * FROM cards ORDER BY id")
        .fetch_all(&mut *conn)
        .await?
    {
        stored.cards.push(card(&row)?);
    }
    for row in sqlx::query("SELECT * FROM card_parties ORDER BY id")
        .fetch_all(&mut *conn)
        .await?
    {
        let accepts: String = row.try_get("accepts")?;
        stored.parties.push(Party {
            id: unbits(row.try_get("id")?),
            code: row.try_get("code")?,
            name: row.try_get("name")?,
            kind: row.try_get("kind")?,
            accepts: serde_json::from_str(&accepts).map_err(|_| corrupt("a party's purses"))?,
            percent_of_price: u32::try_from(row.try_get::<i64, _>("percent_of_price")?)
                .map_err(|_| corrupt("percent_of_price"))?,
        });
    }
    for row in sqlx::query("SELECT * FROM card_terminals ORDER BY code")
        .fetch_all(&mut *conn)
        .await?
    {
        let kind: String = row.try_get("kind")?;
        stored.terminals.push(Terminal {
            code: row.try_get("code")?,
            kind: TerminalKind::parse(&kind)
                .ok_or_else(|| corrupt(&format!("terminal kind {kind:?}")))?,
            party: unbits(row.try_get("party")?),
            network_id: row.try_get("network_id")?,
            public_key: row.try_get("public_key")?,
            registered_at: row.try_get("registered_at")?,
            retired_at: row.try_get("retired_at")?,
        });
    }
    // Each terminal's numbers seen: when as many taps are stored as the
    // highest number, there is no gap and the highest is all it takes.
    for row in sqlx::query("SELECT terminal, CAST(MAX(seq) AS BIGINT) AS top, COUNT(*) AS n FROM card_taps GROUP BY terminal")
        .fetch_all(&mut *conn)
        .await?
    {
        let terminal: String = row.try_get("terminal")?;
        let (top, n): (i64, i64) = (row.try_get("top")?, row.try_get("n")?);
        if top == n {
            stored.seen.push((terminal, unbits(top), vec![]));
            continue;
        }
        let seqs: Vec<u64> = sqlx::query("SELECT seq FROM card_taps WHERE terminal = $1 ORDER BY seq")
            .bind(&terminal)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Ok(unbits(r.try_get("seq")?)))
            .collect::<Result<_>>()?;
        let upto = seqs
            .iter()
            .enumerate()
            .take_while(|(i, s)| **s == *i as u64 + 1)
            .count() as u64;
        let above = seqs.into_iter().filter(|s| *s > upto).collect();
        stored.seen.push((terminal, upto, above));
    }
    // The last day of taps (before the newest applied) is what transfers
    // and double taps look back on.
    for row in sqlx::query("SELECT * FROM card_taps WHERE applied_at >= (SELECT COALESCE(MAX(applied_at), 0) FROM card_taps) - $1 ORDER BY at, terminal, seq")
        .bind(RECENT_MICROS)
        .fetch_all(&mut *conn)
        .await?
    {
        stored.taps.push(tap(&row)?);
    }
    for row in sqlx::query("SELECT * FROM card_passes ORDER BY valid_from")
        .fetch_all(&mut *conn)
        .await?
    {
        stored.passes.push(Pass {
            holder: row.try_get("holder")?,
            product: row.try_get("product")?,
            valid_from: row.try_get("valid_from")?,
            valid_until: row.try_get("valid_until")?,
            transfer: unbits(row.try_get("transfer")?),
            bought_at: row.try_get("bought_at")?,
        });
    }
    for row in sqlx::query("SELECT card, dock, at FROM card_rentals ORDER BY card")
        .fetch_all(&mut *conn)
        .await?
    {
        stored.rentals.push((
            unbits(row.try_get("card")?),
            row.try_get("dock")?,
            row.try_get("at")?,
        ));
    }
    for row in sqlx::query("SELECT version, card, reason FROM card_deny ORDER BY version")
        .fetch_all(&mut *conn)
        .await?
    {
        stored.deny_log.push(DenyChange {
            version: unbits(row.try_get("version")?),
            card: row.try_get("card")?,
            reason: row.try_get("reason")?,
        });
    }
    for row in sqlx::query("SELECT * FROM card_settlements ORDER BY day, party")
        .fetch_all(&mut *conn)
        .await?
    {
        stored.settlements.push(Settlement {
            day: row.try_get("day")?,
            party: unbits(row.try_get("party")?),
            takings: row.try_get("takings")?,
            count: unbits(row.try_get("count")?),
            refunds: row.try_get("refunds")?,
            passes: row.try_get("passes")?,
            net: row.try_get("net")?,
            transfer: unbits(row.try_get("transfer")?),
            settled_at: row.try_get("settled_at")?,
        });
    }
    for row in sqlx::query("SELECT * FROM card_entitlements ORDER BY holder, kind")
        .fetch_all(&mut *conn)
        .await?
    {
        let kind: String = row.try_get("kind")?;
        stored.entitlements.push(Entitlement {
            holder: row.try_get("holder")?,
            kind: Kind::parse(&kind).ok_or_else(|| corrupt(&format!("entitlement {kind:?}")))?,
            granted_at: row.try_get("granted_at")?,
            valid_until: row.try_get("valid_until")?,
            revoked: row.try_get("revoked")?,
            changed_at: row.try_get("changed_at")?,
        });
    }
    for row in sqlx::query("SELECT * FROM card_medical WHERE request_id <> '' ORDER BY id")
        .fetch_all(&mut *conn)
        .await?
    {
        stored.medical.push(medical_row(&row)?);
    }
    stored.medical_seq = unbits(
        sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS n FROM card_medical")
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?,
    );
    Ok(Loaded {
        batch,
        accounts,
        events,
        stored,
    })
}

/// How many taps are stored, and up to ten that do not tie out to the
/// ledger: a charged tap whose transfer is missing, or moved another
/// amount, or paid another party's takings.
pub async fn taps_against_ledger(conn: &mut AnyConnection) -> Result<(i64, Vec<String>)> {
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM card_taps")
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    let wrong = sqlx::query(
        "SELECT t.terminal, t.seq, t.charged, t.party, x.moved, x.credit FROM card_taps t LEFT JOIN card_transfers x ON x.id = t.transfer \
         WHERE t.charged > 0 AND (x.id IS NULL OR x.moved <> t.charged OR x.credit <> $1 + t.party) ORDER BY t.terminal, t.seq LIMIT 10",
    )
    .bind(1i64 << 62)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| -> Result<String> {
        let terminal: String = r.try_get("terminal")?;
        let seq: i64 = r.try_get("seq")?;
        let charged: i64 = r.try_get("charged")?;
        let moved: Option<i64> = r.try_get("moved")?;
        Ok(match moved {
            None => format!("tap {terminal} #{seq} charged {charged} fen but its transfer is not in the ledger"),
            Some(m) => format!("tap {terminal} #{seq} charged {charged} fen, its transfer moved {m} fen or paid another party"),
        })
    })
    .collect::<Result<_>>()?;
    Ok((n, wrong))
}

/// A card's taps, newest first, at most `limit`.
pub async fn taps_of(conn: &mut AnyConnection, card: &str, limit: i64) -> Result<Vec<TapRecord>> {
    sqlx::query("SELECT * FROM card_taps WHERE card = $1 ORDER BY at DESC LIMIT $2")
        .bind(card)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(tap)
        .collect()
}

/// A holder's medical settlements, newest first.
pub async fn medical_of(
    conn: &mut AnyConnection,
    holder: &str,
    limit: i64,
) -> Result<Vec<MedicalRecord>> {
    sqlx::query("SELECT * FROM card_medical WHERE holder = $1 ORDER BY at DESC, id DESC LIMIT $2")
        .bind(holder)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(medical_row)
        .collect()
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
        at: r.try_get("at")?,
        request_id: r.try_get("request_id")?,
    })
}

/// Charged taps applied in `[from, to)`, per operator or merchant: how
/// many, and what they charged in fen.
pub async fn tapped_between(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> Result<Vec<(u64, u64, i64)>> {
    sqlx::query("SELECT party, COUNT(*) AS n, CAST(SUM(charged) AS BIGINT) AS charged FROM card_taps WHERE applied_at >= $1 AND applied_at < $2 AND charged > 0 GROUP BY party ORDER BY party")
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok((
                unbits(r.try_get("party")?),
                unbits(r.try_get("n")?),
                r.try_get("charged")?,
            ))
        })
        .collect()
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
