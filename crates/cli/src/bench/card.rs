//! The citizen card's benchmarks: durable transfers through the card engine
//! (and, on PostgreSQL, a plain SQL ledger that locks and updates account
//! rows per transfer, side by side), single taps' latency, and a replay of a
//! synthetic peak day of transit.

use std::time::{Duration, Instant};

use sunshine_app::card::engine::Engine;
use sunshine_domain::card::book::{
    self, account_code, transfer_code, NewParty, NewTerminal, Purse, TapInput, TerminalKind, CNY,
};
use sunshine_domain::card::ledger::{Account, AccountFlags, TransferFlags, TransferRequest};
use sunshine_domain::refusal::Refusal;

use super::{app_err, cpu_time, drive, report, resident_memory, Cli, Platform};

/// A small, fast, deterministic generator (xorshift64*), so that runs are alike.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const MERCHANT: u64 = 1;
/// The benchmark's wallets are opened straight on the ledger, above the cards' own.
const FIRST_WALLET: u64 = 10_000_000;

/// A distinct resident for each `n`: born on a day counted from 1950 by
/// `n / 1000`, with `n % 1000` as the sequence.
fn resident(n: u64) -> Result<sunshine_domain::ids::ResidentId, Refusal> {
    let born = jiff::civil::date(1950, 1, 1)
        .checked_add(jiff::Span::new().days((n / 1000) as i64))
        .map_err(|e| Refusal::field("holder", e.to_string(), "no such day"))?;
    let first = format!("330106{}{:03}", born.strftime("%Y%m%d"), n % 1000);
    let check = sunshine_domain::ids::ResidentId::check_char(&first).unwrap_or('0');
    sunshine_domain::ids::ResidentId::parse(&format!("{first}{check}"))
        .map_err(|e| Refusal::field("holder", e.to_string(), "bad id"))
}
/// What each wallet is funded with before the run, fen.
const FUNDS: i64 = 1_000_000_000;

fn request(id: u64, debit: u64, credit: u64, amount: i64, code: u16) -> TransferRequest {
    TransferRequest {
        id,
        debit_account_id: debit,
        credit_account_id: credit,
        amount,
        pending_id: 0,
        timeout: 0,
        ledger: CNY,
        code,
        flags: TransferFlags::default(),
    }
}

/// Open `accounts` wallets and a merchant's takings on the ledger, and fund the wallets.
async fn open_accounts(engine: &Engine, accounts: u64) -> anyhow::Result<()> {
    const CHUNK: u64 = 10_000;
    for start in (1..=accounts).step_by(CHUNK as usize) {
        let end = (start + CHUNK).min(accounts + 1);
        engine
            .run(move |b, now| {
                let guarded = AccountFlags {
                    debits_must_not_exceed_credits: true,
                    ..AccountFlags::default()
                };
                if start == 1 {
                    let _ = b.ledger.create_account(Account::new(
                        book::takings_of(MERCHANT),
                        CNY,
                        account_code::TAKINGS,
                        AccountFlags::default(),
                    ));
                }
                let mut funding = Vec::with_capacity((end - start) as usize);
                for i in start..end {
                    let _ = b.ledger.create_account(Account::new(
                        book::wallet_of(FIRST_WALLET + i),
                        CNY,
                        account_code::WALLET,
                        guarded,
                    ));
                    funding.push(request(
                        (1 << 61) | i,
                        book::CASH_ACCOUNT,
                        book::wallet_of(FIRST_WALLET + i),
                        FUNDS,
                        transfer_code::TOP_UP,
                    ));
                }
                let refused = b
                    .ledger
                    .apply(&funding, now)
                    .iter()
                    .filter(|r| r.is_err())
                    .count();
                if refused > 0 {
                    return Err(Refusal::conflict(
                        "bench",
                        "资金注入失败",
                        "funding refused",
                    ));
                }
                Ok(())
            })
            .await
            .map_err(app_err)?;
    }
    Ok(())
}

/// The operator the benchmarks' validators belong to.
fn bench_operator() -> NewParty {
    NewParty {
        code: "bench-bus".into(),
        name: "基准公交".into(),
        kind: "operator".into(),
        accepts: vec![Purse::Wallet],
        percent_of_price: 100,
    }
}

/// Who the benchmarks' set-up is done by.
fn bench_doer() -> book::Doer {
    book::Doer {
        actor: "bench".into(),
        org: "330100".into(),
    }
}

/// The public key (hex) every benchmark validator signs with.
fn bench_key() -> String {
    hex::encode(
        sunshine_app::demo::card::demo_terminal_key("bench")
            .verifying_key()
            .to_bytes(),
    )
}

/// Print `count` things (`many`, `one`) a second over `elapsed`, and the
/// CPU time each took, where known.
fn throughput((many, one): (&str, &str), count: usize, elapsed: Duration, cpu: Option<Duration>) {
    println!(
        "{:<20}{:.0}",
        format!("{many}/second:"),
        count as f64 / elapsed.as_secs_f64()
    );
    if let Some(cpu) = cpu {
        println!(
            "{:<20}{:.2} µs",
            format!("CPU/{one}:"),
            cpu.as_secs_f64() * 1e6 / count as f64
        );
    }
}

/// A plain tap: card `card` at `at` (µs), charged the fare, on no purse
/// in particular.
fn plain_tap(seq: u64, card: String, at: i64) -> TapInput {
    TapInput {
        seq,
        card,
        at,
        from_area: String::new(),
        to_area: String::new(),
        amount: 0,
        purse: None,
        refund_of: None,
    }
}

/// Durable transfers through the card engine: `clients` concurrent clients
/// each send requests of `batch` transfers (wallet → merchant) and wait for
/// each to be durable; then single taps' latency; then the ledger's check.
pub(super) async fn ledger(
    cli: &Cli,
    transfers: usize,
    batch: usize,
    clients: usize,
    accounts: u64,
) -> anyhow::Result<()> {
    let p = Platform::new(cli, &[]).await?;
    let engine = p.app.card_engine().await.map_err(app_err)?.clone();
    open_accounts(&engine, accounts).await?;
    let requests = purchases(transfers, batch, accounts);
    let sent = requests.iter().map(Vec::len).sum::<usize>();
    let cpu_before = cpu_time();
    let (latencies, elapsed) = apply_transfers(&engine, requests, clients).await?;
    let cpu = cpu_time().zip(cpu_before).map(|(a, b)| a - b);
    println!("backend:            {}", p.backend);
    println!(
        "engine:             card engine, group commit (batches of up to {} requests)",
        sunshine_app::card::engine::MAX_JOBS
    );
    println!("accounts:           {accounts} wallets, one merchant");
    println!("clients:            {clients}, each waiting for its request to be durable");
    println!("transfers/request:  {batch}");
    report("requests", &latencies, elapsed);
    println!("{:<20}{sent}", "transfers:");
    throughput(("transfers", "transfer"), sent, elapsed, cpu);
    single_taps(&engine, clients).await?;
    let checked = sunshine_app::card::check_ledger(&p.app.db)
        .await
        .map_err(|e| anyhow::anyhow!("ledger check: {e}"))?;
    println!(
        "ledger check:       sound ({} transfers; posted debits = credits = {} fen)",
        checked.transfers, checked.posted
    );
    if p.backend == "PostgreSQL" {
        peer(&p, transfers, accounts).await?;
    }
    p.finish().await
}

/// `transfers` purchases (wallet → merchant) drawn at random over
/// `accounts` wallets, `batch` to a request.
fn purchases(transfers: usize, batch: usize, accounts: u64) -> Vec<Vec<TransferRequest>> {
    let mut rng = Rng(0x5eed);
    (0..transfers.div_ceil(batch))
        .map(|r| {
            (0..batch)
                .map(|k| {
                    let id = (r * batch + k + 1) as u64;
                    let from = 1 + rng.below(accounts);
                    request(
                        id,
                        book::wallet_of(FIRST_WALLET + from),
                        book::takings_of(MERCHANT),
                        1 + rng.below(500) as i64,
                        transfer_code::PURCHASE,
                    )
                })
                .collect()
        })
        .collect()
}

/// Send the requests from `clients` concurrent clients, each waiting for
/// its request to be durable: the requests' latencies and the wall time.
async fn apply_transfers(
    engine: &Engine,
    requests: Vec<Vec<TransferRequest>>,
    clients: usize,
) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let e = engine.clone();
    drive(requests, clients, move |share| {
        let e = e.clone();
        async move {
            let mut latencies = Vec::with_capacity(share.len());
            for reqs in share {
                let t = Instant::now();
                let refused = e
                    .run(move |b, now| {
                        Ok(b.ledger
                            .apply(&reqs, now)
                            .iter()
                            .filter(|r| r.is_err())
                            .count())
                    })
                    .await
                    .map_err(app_err)?;
                anyhow::ensure!(refused == 0, "{refused} transfers refused");
                latencies.push(t.elapsed());
            }
            Ok(latencies)
        }
    })
    .await
}

/// Single taps, each its own request, as validators online send them:
/// `clients` validators, each with a card of its own, tapping 200 times.
async fn single_taps(engine: &Engine, clients: usize) -> anyhow::Result<()> {
    validators_with_cards(engine, clients).await?;
    let taps_each = 200usize;
    let terminals: Vec<usize> = (0..clients).collect();
    let e = engine.clone();
    let (tap_latencies, tap_elapsed) = drive(terminals, clients, move |share| {
        let e = e.clone();
        async move {
            let mut latencies = vec![];
            for t in share {
                let card = book::card_number(t as u64 + 1);
                for seq in 1..=taps_each as u64 {
                    // A day's taps, hours apart: each one charged, none a double tap or a transfer.
                    let tap = plain_tap(seq, card.clone(), (seq as i64) * 3 * 3_600_000_000);
                    let code = format!("BENCH-{t}");
                    let started = Instant::now();
                    e.run(move |b, now| b.upload(&code, vec![tap], now))
                        .await
                        .map_err(app_err)?;
                    latencies.push(started.elapsed());
                }
            }
            Ok(latencies)
        }
    })
    .await?;
    println!("single taps ({clients} validators online, one tap a request):");
    report("taps", &tap_latencies, tap_elapsed);
    Ok(())
}

/// The bench operator, and for each of `clients` validators (`BENCH-n`) an
/// active card with money on it, so that no wallet runs dry.
async fn validators_with_cards(engine: &Engine, clients: usize) -> anyhow::Result<()> {
    let op = bench_operator();
    engine
        .run(move |b, now| {
            let by = bench_doer();
            b.add_party(&op, now, &by)?;
            for t in 0..clients {
                // A card for each validator, so that no wallet runs dry.
                let card = b.issue(&resident(t as u64)?, "基准", "adult", now, &by)?;
                let activate = sunshine_domain::card::lifecycle::CardCommand::Activate;
                b.command(&card.number, &activate, now, &by)?;
                b.top_up(
                    &card.number,
                    Purse::Wallet,
                    100_000,
                    book::MAX_CLIENT_ID - t as u64,
                    now,
                )?;
                b.add_terminal(
                    &NewTerminal {
                        code: format!("BENCH-{t}"),
                        kind: TerminalKind::Validator,
                        party: "bench-bus".into(),
                        network_id: "bus".into(),
                        public_key: bench_key(),
                    },
                    now,
                    &by,
                )?;
            }
            Ok(())
        })
        .await
        .map_err(app_err)
}

/// The peer on the same PostgreSQL: one transaction per transfer that locks
/// both accounts' rows, checks the balance, updates both and inserts the
/// transfer, from 64 concurrent connections.
async fn peer(p: &Platform, transfers: usize, accounts: u64) -> anyhow::Result<()> {
    use sunshine_store::card::peer;
    const CLIENTS: usize = 64;
    let pool = p.app.db.pool().clone();
    peer::create(&pool, accounts as i64, FUNDS).await?;
    let mut rng = Rng(0x5eed);
    let inputs: Vec<(i64, i64, i64)> = (0..transfers)
        .map(|i| {
            (
                i as i64 + 1,
                1 + rng.below(accounts) as i64,
                1 + rng.below(500) as i64,
            )
        })
        .collect();
    let pool2 = pool.clone();
    let (latencies, elapsed) = drive(inputs, CLIENTS, move |share| {
        let pool = pool2.clone();
        async move {
            let mut latencies = Vec::with_capacity(share.len());
            for (id, from, amount) in share {
                let t = Instant::now();
                peer::transfer(&pool, id, from, 0, amount).await?;
                latencies.push(t.elapsed());
            }
            Ok(latencies)
        }
    })
    .await?;
    let (moved, debits, credits) = peer::totals(&pool).await?;
    anyhow::ensure!(
        moved == debits && debits == credits,
        "the peer's books do not balance: moved {moved}, debits {debits}, credits {credits}"
    );
    println!("peer (same PostgreSQL): a plain SQL ledger, one transaction per transfer locking both account rows, {CLIENTS} connections");
    report("transfers", &latencies, elapsed);
    Ok(())
}

/// What `bench transit` replays: `cards` cards, `terminals` validators,
/// `taps` taps a day spread over the service day for `days` days, each
/// terminal uploading its day in batches of `upload` taps, `clients`
/// terminals at a time.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    pub taps: usize,
    pub days: usize,
    pub terminals: usize,
    pub cards: u64,
    pub upload: usize,
    pub clients: usize,
}

/// A synthetic peak day of transit (or several, one after the other)
/// replayed through the engine, then the ledger's check and a restart.
pub(super) async fn transit(
    cli: &Cli,
    shape: Shape,
    keep: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let Shape {
        taps,
        days,
        terminals,
        cards,
        upload,
        clients,
    } = shape;
    if let Some(keep) = keep {
        // Said before the day is run, not after it, when the store would be lost.
        if keep.exists() {
            anyhow::bail!("{} exists: --keep wants a new directory", keep.display());
        }
        if cli.database_url.is_some() {
            anyhow::bail!("--keep keeps an embedded store; it cannot keep a PostgreSQL database");
        }
    }
    let p = Platform::new(cli, &[]).await?;
    let engine = p.app.card_engine().await.map_err(app_err)?.clone();
    let setup = Instant::now();
    let issued = set_up_transit(&engine, terminals, cards).await?;
    println!(
        "set-up:             {:.1} s ({issued} cards with 500 yuan each, {terminals} validators)",
        setup.elapsed().as_secs_f64()
    );
    let per_terminal = taps.div_ceil(terminals);
    let total = per_terminal * terminals;
    // Each day's taps in time order, 06:00 to 22:00; the last day is yesterday.
    let yesterday = jiff::Timestamp::now().as_microsecond() - 24 * 3_600_000_000;
    let (mut all, mut slowest, mut cpu) = (vec![], Duration::ZERO, Some(Duration::ZERO));
    let started = Instant::now();
    for d in 0..days {
        let day = Day {
            number: d,
            start: yesterday - (days - 1 - d) as i64 * 24 * 3_600_000_000,
            per_terminal,
            cards: issued,
            upload,
        };
        let jobs: Vec<usize> = (0..terminals).collect();
        let cpu_before = cpu_time();
        let (latencies, elapsed) = replay(engine.clone(), jobs, clients, day).await?;
        cpu = cpu
            .zip(cpu_time().zip(cpu_before).map(|(a, b)| a - b))
            .map(|(a, b)| a + b);
        slowest = slowest.max(elapsed);
        all.extend(latencies);
        if days > 1 && (d + 1) % 30 == 0 {
            println!(
                "day {:>4}:           {total} taps in {:.1} s",
                d + 1,
                elapsed.as_secs_f64()
            );
        }
    }
    let elapsed = started.elapsed();
    all.sort();
    println!("backend:            {}", p.backend);
    println!("day:                {total} taps over {terminals} validators, uploaded {upload} at a time, {clients} validators at once");
    if days > 1 {
        println!(
            "days:               {days} one after the other, the slowest in {:.1} s",
            slowest.as_secs_f64()
        );
    }
    report("uploads", &all, elapsed);
    println!("{:<20}{:.1} s", "replay wall time:", elapsed.as_secs_f64());
    throughput(("taps", "tap"), total * days, elapsed, cpu);
    check_and_reopen(&p).await?;
    p.finish_keeping(keep).await
}

/// The bench operator, `terminals` validators (`V00000`…, every third on
/// the air-conditioned buses' network) and `cards` active cards with 500
/// yuan each, 5,000 to a request: the number of wallets opened.
async fn set_up_transit(engine: &Engine, terminals: usize, cards: u64) -> anyhow::Result<u64> {
    let by = bench_doer();
    let b2 = by.clone();
    engine
        .run(move |b, now| {
            b.add_party(&bench_operator(), now, &b2)?;
            Ok(())
        })
        .await
        .map_err(app_err)?;
    let key = bench_key();
    for start in (0..terminals).step_by(5_000) {
        let (by, key) = (by.clone(), key.clone());
        engine
            .run(move |b, now| {
                for t in start..(start + 5_000).min(terminals) {
                    b.add_terminal(
                        &NewTerminal {
                            code: format!("V{t:05}"),
                            kind: TerminalKind::Validator,
                            party: "bench-bus".into(),
                            network_id: if t % 3 == 0 { "bus_aircon" } else { "bus" }.into(),
                            public_key: key.clone(),
                        },
                        now,
                        &by,
                    )?;
                }
                Ok(())
            })
            .await
            .map_err(app_err)?;
    }
    for start in (0..cards).step_by(5_000) {
        let by = by.clone();
        engine
            .run(move |b, now| {
                for n in start..(start + 5_000).min(cards) {
                    let holder = resident(n)?;
                    let card = b.issue(&holder, "乘客", "adult", now, &by)?;
                    b.command(
                        &card.number,
                        &sunshine_domain::card::lifecycle::CardCommand::Activate,
                        now,
                        &by,
                    )?;
                    b.top_up(
                        &card.number,
                        Purse::Wallet,
                        50_000,
                        (1 << 60) | card.id,
                        now,
                    )?;
                }
                Ok(())
            })
            .await
            .map_err(app_err)?;
    }
    let issued = engine
        .run(|b, _| {
            Ok(b.ledger
                .accounts()
                .filter(|a| a.code == account_code::WALLET)
                .count())
        })
        .await
        .map_err(app_err)? as u64;
    Ok(issued)
}

/// The synthetic day the validators replay.
#[derive(Clone, Copy)]
struct Day {
    /// Days replayed before it: its terminals' numbers go on from theirs.
    number: usize,
    /// Midnight at its start, µs.
    start: i64,
    /// Taps each validator uploads.
    per_terminal: usize,
    /// Cards the taps are drawn from.
    cards: u64,
    /// Taps an upload carries.
    upload: usize,
}

/// Each of `jobs`' validators uploads its day, `clients` validators at a
/// time: the uploads' latencies and the wall time.
async fn replay(
    e: Engine,
    jobs: Vec<usize>,
    clients: usize,
    day: Day,
) -> anyhow::Result<(Vec<Duration>, Duration)> {
    drive(jobs, clients, move |share| {
        let e = e.clone();
        async move {
            let mut latencies = vec![];
            for t in share {
                for chunk in taps_of(t, day).chunks(day.upload) {
                    let (chunk, code) = (chunk.to_vec(), format!("V{t:05}"));
                    let started = Instant::now();
                    e.run(move |b, now| b.upload(&code, chunk, now).map(|_| ()))
                        .await
                        .map_err(app_err)?;
                    latencies.push(started.elapsed());
                }
            }
            Ok(latencies)
        }
    })
    .await
}

/// Validator `t`'s taps of the day, in time order, 06:00 to 22:00, each on
/// a card drawn at random.
fn taps_of(t: usize, day: Day) -> Vec<TapInput> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t as u64 + 1) ^ ((day.number as u64) << 32));
    let span = 16 * 3_600_000_000i64;
    let mut times: Vec<i64> = (0..day.per_terminal)
        .map(|_| day.start + 6 * 3_600_000_000 + rng.below(span as u64) as i64)
        .collect();
    times.sort_unstable();
    times
        .into_iter()
        .enumerate()
        .map(|(i, at)| {
            let card = book::card_number(1 + rng.below(day.cards.max(1)));
            let seq = (day.number * day.per_terminal + i) as u64 + 1;
            plain_tap(seq, card, at)
        })
        .collect()
}

/// The ledger's check after the day, and the time to reopen the books
/// (what a restart of the engine takes).
async fn check_and_reopen(p: &Platform) -> anyhow::Result<()> {
    let restart = Instant::now();
    let checked = sunshine_app::card::check_ledger(&p.app.db)
        .await
        .map_err(|e| anyhow::anyhow!("ledger check: {e}"))?;
    println!(
        "ledger check:       sound in {:.1} s ({} transfers, {} taps tied out; posted = {} fen; {} snapshots proven)",
        restart.elapsed().as_secs_f64(),
        checked.transfers,
        checked.taps,
        checked.posted,
        checked.snapshots
    );
    let reopen = Instant::now();
    let (book, _) =
        sunshine_app::card::engine::open_book(&p.app.db, sunshine_app::card::city_rules())
            .await
            .map_err(app_err)?;
    println!(
        "{:<20}{:.1} s ({} accounts, {} transfers replayed or pending; in this process, beside the running engine)",
        "books reopened in:",
        reopen.elapsed().as_secs_f64(),
        book.ledger.accounts().count(),
        book.transfers_in_memory()
    );
    drop(book);
    if let Some((now, peak)) = resident_memory() {
        println!(
            "{:<20}{:.2} GiB now, {:.2} GiB at the peak (the whole run, its load generator included)",
            "resident memory:",
            gib(now),
            gib(peak)
        );
    }
    Ok(())
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1u32 << 30)
}

/// `bench reopen`: the card books opened from a store as a restarted
/// process opens them, in this fresh process.
pub(super) async fn reopen(cli: &Cli) -> anyhow::Result<()> {
    let db = crate::open_db(cli).await?;
    let snapshots = {
        let mut conn = db.read().await?;
        sunshine_store::card::snapshots(&mut conn).await?
    };
    let started = Instant::now();
    let (book, batch) =
        sunshine_app::card::engine::open_book(&db, sunshine_app::card::city_rules())
            .await
            .map_err(app_err)?;
    let took = started.elapsed();
    let from = match snapshots.last() {
        Some(s) => format!(
            "from the snapshot of batch {} ({:.1} MiB) and the batches after it, to {batch}",
            s.batch,
            s.size as f64 / f64::from(1u32 << 20)
        ),
        None => format!("from the whole history, to batch {batch} (no snapshot)"),
    };
    println!("books opened in:    {:.2} s, {from}", took.as_secs_f64());
    println!(
        "                    {} accounts; {} transfers in memory (those after the snapshot and those pending)",
        book.ledger.accounts().count(),
        book.transfers_in_memory()
    );
    if let Some((now, peak)) = resident_memory() {
        println!(
            "resident memory:    {:.2} GiB with the books open, {:.2} GiB at the peak",
            gib(now),
            gib(peak)
        );
    }
    drop(book);
    db.close().await;
    Ok(())
}
