//! The card engine: one task keeps the card centre's books in memory and is
//! the only writer of their rows (as LMAX's business-logic processor and
//! TigerBeetle's state machine are). Requests queue to it; it takes as many
//! as are waiting (up to [`MAX_JOBS`]), applies them in order to the books,
//! and stores what they changed as one command of the database's writer —
//! one batch, one commit. A request is answered only once its batch is
//! durable. While one batch commits the next is being applied (at most
//! [`IN_FLIGHT`] batches are on their way to the disk); batches commit in
//! the order they were applied, and each moves the stored batch number on by
//! one, so a batch built on one that failed fails too. After a failure the
//! engine waits for what is in flight and reopens the books from what is
//! stored; requests are safe to retry (their ids make retries idempotent).
//!
//! The books keep in memory what deciding needs, not the history: every
//! minute or 250,000 transfers (a [`SnapshotPolicy`]), and when
//! asked (at shutdown), a batch carries a checksummed image of the books,
//! stored in its transaction; once that batch is durable the transfers
//! before the image leave memory. A request that names a transfer by id (a
//! top-up's retry, a refund of a purchase) has it recalled from the store
//! before it is applied, so a forgotten transfer still answers. A start
//! loads the newest sound image and replays only the transfers after it.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sunshine_domain::card::book::{Book, BookImage, Rules};
use sunshine_domain::card::ledger::{Id, Ledger, Replayer};
use sunshine_domain::clock::{to_micros, Clock};
use sunshine_domain::refusal::Refusal;
use sunshine_store::card::{Fence, SnapshotRow};
use sunshine_store::{Db, StoreError};
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::{AppError, Result};

/// The most requests one batch takes.
pub const MAX_JOBS: usize = 16_384;
/// The most batches on their way to the disk at once.
pub const IN_FLIGHT: usize = 2;
/// How often the engine snapshots its books.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPolicy {
    /// The longest between two snapshots (while anything changes).
    pub every: Duration,
    /// The most transfers between two: what a start replays at most.
    pub every_transfers: usize,
}

impl Default for SnapshotPolicy {
    fn default() -> Self {
        SnapshotPolicy {
            every: Duration::from_secs(60),
            every_transfers: 250_000,
        }
    }
}

type Finish = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;
type Apply = Box<dyn FnOnce(&mut Book, i64) -> Finish + Send>;

/// A request: the transfers it names by id, to recall if they left memory,
/// what it does to the books, and whether its batch must end in a snapshot.
struct Job {
    recall: Vec<Id>,
    snapshot: bool,
    apply: Apply,
}

/// A handle on the running engine.
#[derive(Clone)]
pub struct Engine {
    inbox: mpsc::Sender<Job>,
}

fn internal(why: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{why}"))
}

/// Open the books from what is stored: from the newest sound snapshot and
/// the ledger's events after it, or, with none, by replaying the whole
/// history; either way under every rule, with the invariant checked. The
/// batch number stored comes with them.
pub async fn open_book(db: &Db, rules: Rules) -> Result<(Book, i64)> {
    open(db, rules).await.map(|o| (o.book, o.batch))
}

/// The books opened, the batch stored last, and the latest moment a stored
/// snapshot was taken at or a stored tap applied at: the engine's batches
/// come after it, even if the clock stands earlier now (a restart on a
/// clock set back, after a crash that left batches after the last
/// snapshot), so a snapshot's moment always parts the taps before it from
/// those after, and a card's chain of taps stays in the order applied.
struct Opened {
    book: Book,
    batch: i64,
    floor: i64,
}

async fn open(db: &Db, rules: Rules) -> Result<Opened> {
    let started = Instant::now();
    let mut conn = db.read_bulk().await?;
    let snapshots = sunshine_store::card::snapshots(&mut conn).await?;
    let floor = snapshots
        .iter()
        .map(|s| s.taken_at)
        .max()
        .unwrap_or(i64::MIN)
        .max(
            sunshine_store::card::last_applied(&mut conn)
                .await?
                .unwrap_or(i64::MIN),
        );
    for meta in snapshots.iter().rev() {
        let Some(row) = sunshine_store::card::snapshot(&mut conn, meta.batch).await? else {
            continue;
        };
        let image = match BookImage::decode(&row.image, &row.digest) {
            Ok(i)
                if (i.batch, i.taken_at, i.ledger.clock)
                    == (row.batch, row.taken_at, row.clock) =>
            {
                i
            }
            Ok(_) => {
                tracing::error!(
                    batch = row.batch,
                    "a card snapshot's image is not the one its row names; trying the one before"
                );
                continue;
            }
            Err(why) => {
                tracing::error!(batch = row.batch, %why, "a card snapshot is damaged; trying the one before");
                continue;
            }
        };
        let after = sunshine_store::card::load_after(&mut conn, meta).await?;
        let read_in = started.elapsed();
        let bad = |e: sunshine_domain::card::ledger::BadHistory| {
            internal(format!(
                "the card ledger's history after snapshot {} does not replay: {e}",
                meta.batch
            ))
        };
        let mut replayer =
            Replayer::from_image(image.ledger.clone(), after.accounts).map_err(bad)?;
        for e in after.events {
            replayer.push(e).map_err(bad)?;
        }
        let replayed = replayer.ledger().remembered();
        let book = Book::open_image(image, replayer, rules, after.stored).map_err(bad)?;
        checked(&book)?;
        tracing::info!(
            snapshot = meta.batch,
            batch = after.batch,
            replayed,
            read_in = ?read_in,
            took = ?started.elapsed(),
            "the card books opened from a snapshot"
        );
        return Ok(Opened {
            book,
            batch: after.batch,
            floor,
        });
    }
    let loaded = sunshine_store::card::load(&mut conn).await?;
    let ledger = Ledger::replay(loaded.accounts, loaded.events)
        .map_err(|e| internal(format!("the card ledger's history does not replay: {e}")))?;
    let book = Book::open(ledger, rules, loaded.stored);
    checked(&book)?;
    Ok(Opened {
        book,
        batch: loaded.batch,
        floor,
    })
}

fn checked(book: &Book) -> Result<()> {
    book.ledger
        .check()
        .map_err(|e| internal(format!("the card ledger's invariant is broken: {e:?}")))
}

impl Engine {
    /// Open the books and start the engine's task.
    pub async fn start(
        db: Db,
        clock: Arc<dyn Clock>,
        rules: Rules,
        policy: SnapshotPolicy,
        fence: Option<Fence>,
    ) -> Result<Engine> {
        let Opened { book, batch, floor } = open(&db, rules.clone()).await?;
        let (inbox, jobs) = mpsc::channel(4 * MAX_JOBS);
        let from = Start {
            book,
            batch,
            floor,
            policy,
            fence: fence.map(Arc::new),
        };
        tokio::spawn(run(db, clock, rules, from, jobs));
        Ok(Engine { inbox })
    }

    /// Run `f` on the books, in order with every other request, at the
    /// batch's moment (microseconds); its answer comes once what it changed
    /// is durable. `f` must decide before it changes anything: a refusal
    /// must leave the books as they were. A read is a request like any
    /// other, so it sees every change answered before it was asked.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Book, i64) -> std::result::Result<T, Refusal> + Send + 'static,
    {
        self.submit(vec![], false, f).await
    }

    /// [`Engine::run`] for a request that names transfers by id: those that
    /// left memory are recalled from the store first.
    pub async fn run_recalling<T, F>(&self, recall: Vec<Id>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Book, i64) -> std::result::Result<T, Refusal> + Send + 'static,
    {
        self.submit(recall, false, f).await
    }

    /// Take a snapshot of the books now (at shutdown, say), answered once
    /// it is durable.
    pub async fn snapshot(&self) -> Result<()> {
        self.submit(vec![], true, |_, _| Ok(())).await
    }

    async fn submit<T, F>(&self, recall: Vec<Id>, snapshot: bool, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Book, i64) -> std::result::Result<T, Refusal> + Send + 'static,
    {
        let (send, recv) = oneshot::channel();
        let apply: Apply = Box::new(move |book: &mut Book, now| -> Finish {
            let result = f(book, now);
            Box::new(move |stored| {
                let _ = send.send(match stored {
                    Ok(()) => result.map_err(AppError::from),
                    Err(why) => Err(internal(format!("the card books were not stored: {why}"))),
                });
            })
        });
        let job = Job {
            recall,
            snapshot,
            apply,
        };
        self.inbox
            .send(job)
            .await
            .map_err(|_| internal("the card engine has stopped"))?;
        recv.await
            .map_err(|_| internal("the card engine dropped the request"))?
    }
}

/// When the next snapshot is due, and which taken ones may let memory go.
struct Snapshots {
    policy: SnapshotPolicy,
    last: Instant,
    transfers: usize,
    /// Snapshots stored or on their way, oldest first: batch and clock.
    taken: VecDeque<(i64, i64)>,
}

impl Snapshots {
    fn due(&self, asked: bool) -> bool {
        asked
            || self.transfers >= self.policy.every_transfers
            || (self.transfers > 0 && self.last.elapsed() >= self.policy.every)
    }

    /// The clock of the newest snapshot whose batch is durable: what is
    /// before it is stored, and may leave memory.
    fn forgettable(&mut self, durable: i64) -> Option<i64> {
        let mut clock = None;
        while let Some(&(batch, c)) = self.taken.front() {
            if batch > durable {
                break;
            }
            clock = Some(c);
            self.taken.pop_front();
        }
        clock
    }
}

/// The image of `book` at the end of batch `n`, ready to store.
fn snapshot_of(book: &Book, n: i64, now: i64) -> SnapshotRow {
    let image = book.image(n, now);
    let (bytes, digest) = image.encode();
    SnapshotRow {
        batch: n,
        taken_at: now,
        clock: image.ledger.clock,
        digest,
        image: bytes,
    }
}

/// The transfers the jobs name that left memory.
fn to_recall(book: &Book, jobs: &[Job]) -> Vec<Id> {
    jobs.iter()
        .flat_map(|j| j.recall.iter().copied())
        .filter(|id| *id != 0 && !book.ledger.remembers(*id))
        .collect()
}

/// Recall from the store those of `ids` it holds.
async fn recall(db: &Db, book: &mut Book, mut ids: Vec<Id>) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    ids.sort_unstable();
    ids.dedup();
    let mut conn = db.read().await?;
    for t in sunshine_store::card::transfers_by_id(&mut conn, &ids).await? {
        book.ledger.recall(t);
    }
    Ok(())
}

/// What the engine's task starts from.
struct Start {
    book: Book,
    batch: i64,
    /// The moment its batches come after.
    floor: i64,
    policy: SnapshotPolicy,
    /// The lease it writes under, when nodes share the engine.
    fence: Option<Arc<Fence>>,
}

async fn run(
    db: Db,
    clock: Arc<dyn Clock>,
    rules: Rules,
    from: Start,
    mut inbox: mpsc::Receiver<Job>,
) {
    let Start {
        mut book,
        mut batch,
        floor,
        policy,
        fence,
    } = from;
    let failed = Arc::new(AtomicBool::new(false));
    let durable = Arc::new(AtomicI64::new(batch));
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut snapshots = Snapshots {
        policy,
        last: Instant::now(),
        // A start that replayed anything takes a snapshot with its first batch.
        transfers: book.transfers_in_memory(),
        taken: VecDeque::new(),
    };
    let mut last_now = floor;
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_JOBS);
    while inbox.recv_many(&mut jobs, MAX_JOBS).await > 0 {
        if failed.load(Ordering::SeqCst) {
            // Let what is in flight finish, then start again from the disk.
            let all = slots
                .acquire_many(IN_FLIGHT as u32)
                .await
                .expect("the engine's semaphore is never closed");
            match open(&db, rules.clone()).await {
                Ok(Opened {
                    book: b,
                    batch: n,
                    floor,
                }) => {
                    (book, batch) = (b, n);
                    last_now = last_now.max(floor);
                    durable.store(n, Ordering::SeqCst);
                    snapshots.taken.clear();
                    failed.store(false, Ordering::SeqCst);
                }
                Err(e) => {
                    tracing::error!(error = %e, "the card books could not be reopened");
                    // Dropped unanswered: each caller hears the request was not applied.
                    jobs.clear();
                    drop(all);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            }
            drop(all);
        }
        if let Some(clock) = snapshots.forgettable(durable.load(Ordering::SeqCst)) {
            // What is at or before a durable snapshot's clock is stored.
            book.ledger.forget_before(clock.saturating_add(1));
        }
        let ids = to_recall(&book, &jobs);
        if let Err(e) = recall(&db, &mut book, ids).await {
            tracing::error!(error = %e, "transfers named by card requests could not be recalled");
            jobs.clear();
            continue;
        }
        // Each batch's moment comes after the one before, so the taps a
        // batch applied are told apart from a snapshot's by their moment.
        let now = to_micros(clock.now()).max(last_now.saturating_add(1));
        last_now = now;
        let asked = jobs.iter().any(|j| j.snapshot);
        let applied = std::panic::catch_unwind(AssertUnwindSafe(|| {
            book.ledger.expire(now);
            jobs.drain(..)
                .map(|j| (j.apply)(&mut book, now))
                .collect::<Vec<Finish>>()
        }));
        let finishes = match applied {
            Ok(f) => f,
            Err(_) => {
                // A request panicked half-way: the books in memory cannot be
                // trusted. Nothing of the batch is stored; the books reopen.
                tracing::error!("a card request panicked; reopening the books");
                failed.store(true, Ordering::SeqCst);
                jobs.clear();
                continue;
            }
        };
        let fresh = book.take_fresh();
        let effects = book.take_effects();
        batch += 1;
        let n = batch;
        snapshots.transfers += fresh.transfers.len();
        let snapshot = snapshots.due(asked).then(|| {
            snapshots.last = Instant::now();
            snapshots.transfers = 0;
            let s = snapshot_of(&book, n, now);
            snapshots.taken.push_back((n, s.clock));
            s
        });
        let permit = slots
            .clone()
            .acquire_owned()
            .await
            .expect("the engine's semaphore is never closed");
        let fence = fence.clone();
        let stored = db
            .queue_write(async move |tx| {
                let (snapshot, fence) = (snapshot.as_ref(), fence.as_deref());
                sunshine_store::card::store_batch(tx, n, &fresh, &effects, snapshot, fence).await
            })
            .await;
        let (failed, durable) = (failed.clone(), durable.clone());
        tokio::spawn(async move {
            let result: std::result::Result<(), StoreError> = stored.await;
            drop(permit);
            let outcome = match result {
                Ok(()) => {
                    durable.fetch_max(n, Ordering::SeqCst);
                    Ok(())
                }
                Err(e) => {
                    failed.store(true, Ordering::SeqCst);
                    tracing::error!(error = %e, batch = n, "a card batch was not stored");
                    Err(e.to_string())
                }
            };
            for f in finishes {
                f(outcome.clone());
            }
        });
    }
}
