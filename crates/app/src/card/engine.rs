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

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sunshine_domain::card::book::{Book, Rules};
use sunshine_domain::card::ledger::Ledger;
use sunshine_domain::clock::{to_micros, Clock};
use sunshine_domain::refusal::Refusal;
use sunshine_store::{Db, StoreError};
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::{AppError, Result};

/// The most requests one batch takes.
pub const MAX_JOBS: usize = 16_384;
/// The most batches on their way to the disk at once.
pub const IN_FLIGHT: usize = 2;

type Finish = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&mut Book, i64) -> Finish + Send>;

/// A handle on the running engine.
#[derive(Clone)]
pub struct Engine {
    inbox: mpsc::Sender<Job>,
}

fn internal(why: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{why}"))
}

/// Open the books from what is stored: replay the ledger's history under
/// every rule, check its invariant, and load the books' rows. The batch
/// number stored comes with them.
pub async fn open_book(db: &Db, rules: Rules) -> Result<(Book, i64)> {
    let mut conn = db.read_bulk().await?;
    let loaded = sunshine_store::card::load(&mut conn).await?;
    let ledger = Ledger::replay(loaded.accounts, loaded.events)
        .map_err(|e| internal(format!("the card ledger's history does not replay: {e}")))?;
    ledger
        .check()
        .map_err(|e| internal(format!("the card ledger's invariant is broken: {e:?}")))?;
    Ok((Book::open(ledger, rules, loaded.stored), loaded.batch))
}

impl Engine {
    /// Open the books and start the engine's task.
    pub async fn start(db: Db, clock: Arc<dyn Clock>, rules: Rules) -> Result<Engine> {
        let (book, batch) = open_book(&db, rules.clone()).await?;
        let (inbox, jobs) = mpsc::channel(4 * MAX_JOBS);
        tokio::spawn(run(db, clock, rules, book, batch, jobs));
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
        let (send, recv) = oneshot::channel();
        let job: Job = Box::new(move |book, now| {
            let result = f(book, now);
            Box::new(move |stored| {
                let _ = send.send(match stored {
                    Ok(()) => result.map_err(AppError::from),
                    Err(why) => Err(internal(format!("the card books were not stored: {why}"))),
                });
            })
        });
        self.inbox
            .send(job)
            .await
            .map_err(|_| internal("the card engine has stopped"))?;
        recv.await
            .map_err(|_| internal("the card engine dropped the request"))?
    }
}

async fn run(
    db: Db,
    clock: Arc<dyn Clock>,
    rules: Rules,
    mut book: Book,
    mut batch: i64,
    mut inbox: mpsc::Receiver<Job>,
) {
    let failed = Arc::new(AtomicBool::new(false));
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_JOBS);
    while inbox.recv_many(&mut jobs, MAX_JOBS).await > 0 {
        if failed.load(Ordering::SeqCst) {
            // Let what is in flight finish, then start again from the disk.
            let all = slots
                .acquire_many(IN_FLIGHT as u32)
                .await
                .expect("the engine's semaphore is never closed");
            match open_book(&db, rules.clone()).await {
                Ok((b, n)) => {
                    (book, batch) = (b, n);
                    failed.store(false, Ordering::SeqCst);
                }
                Err(e) => {
                    tracing::error!(error = %e, "the card books could not be reopened");
                    // Dropped unanswered: each caller hears the request was not applied.
                    jobs.clear();
                    drop(all);
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    continue;
                }
            }
            drop(all);
        }
        let now = to_micros(clock.now());
        let applied = std::panic::catch_unwind(AssertUnwindSafe(|| {
            book.ledger.expire(now);
            jobs.drain(..)
                .map(|j| j(&mut book, now))
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
        let fresh = book.ledger.take_fresh();
        let effects = book.take_effects();
        batch += 1;
        let n = batch;
        let permit = slots
            .clone()
            .acquire_owned()
            .await
            .expect("the engine's semaphore is never closed");
        let stored = db
            .queue_write(async move |tx| {
                sunshine_store::card::store_batch(tx, n, &fresh, &effects).await
            })
            .await;
        let failed = failed.clone();
        tokio::spawn(async move {
            let result: std::result::Result<(), StoreError> = stored.await;
            drop(permit);
            let outcome = result.map_err(|e| {
                failed.store(true, Ordering::SeqCst);
                tracing::error!(error = %e, batch = n, "a card batch was not stored");
                e.to_string()
            });
            for f in finishes {
                f(outcome.clone());
            }
        });
    }
}
