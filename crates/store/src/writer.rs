//! Group commit. One writer task per database owns the write connection;
//! commands queue to it, run one after another inside one transaction, each
//! in a savepoint of its own (a refused command rolls back only itself), and
//! the transaction commits once for the whole batch. A command's caller hears
//! its result only after the batch is durable. Writers stay strictly ordered,
//! so the journal's chain needs no other lock in this process: the chain is
//! computed in memory as commands append, and the batch's entries are stored
//! together just before the commit.
//!
//! On SQLite the writer does not wait for the disk: a committed batch goes
//! to [`LogSync`], whose thread syncs the log and only then answers the
//! batch's callers, while the writer runs the next batch (see `logsync`).

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};

use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;
use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, ConnectOptions, Connection, Executor};
use sunshine_domain::exchange::{Flow, Platform};
use sunshine_domain::journal::{Entry, NewEntry};
use tokio::sync::{mpsc, oneshot, watch};

use crate::logsync::{Finish, LogSync};
use crate::{journal, Backend, Result, StoreError};

/// The most commands one transaction carries. A batch only grows this
/// large when that many commands wait; the pages a batch shares among its
/// commands (index pages, the journal's last pages) are written to the log
/// once a batch, so larger batches write less per command.
const MAX_BATCH: usize = 2048;

/// The connection a command writes through, inside the batch's transaction.
pub struct WriteTx {
    conn: AnyConnection,
    /// The journal's last sequence and hash within this batch.
    head: (i64, String),
    /// The batch's journal entries so far, stored just before it commits.
    staged: Vec<Entry>,
    /// Messages a command sends beside its entries (an application handed
    /// down), staged in the outbox with the entries' own.
    sends: Vec<Sending>,
    /// The platform whose outbox the entries that leave it go to, if any.
    platform: Arc<OnceLock<Platform>>,
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.conn
    }

    /// Append one journal entry at time `at` (microseconds, UTC). It is
    /// stored with the rest of the batch's entries, in the same transaction.
    pub async fn journal(&mut self, at: i64, entry: NewEntry) -> Result<Entry> {
        let entry = journal::chain(&mut self.head, at, entry)?;
        self.staged.push(entry.clone());
        Ok(entry)
    }

    /// Send `facts` in `flow` to `to` as the message of `entry` (an entry of
    /// this transaction), if this process is one of several platforms: it
    /// reaches the outbox in the same commit as the entry, or not at all.
    pub fn send(&mut self, entry: &Entry, flow: Flow, to: Platform, facts: serde_json::Value) {
        if self.platform.get().is_some() {
            self.sends.push(Sending {
                entry: entry.clone(),
                flow,
                to,
                facts,
            });
        }
    }

    /// The platform this process is, if it is one of several.
    pub fn platform(&self) -> Option<&Platform> {
        self.platform.get()
    }
}

/// A message a command sends beside its entry.
#[derive(Debug, Clone)]
pub(crate) struct Sending {
    pub entry: Entry,
    pub flow: Flow,
    pub to: Platform,
    pub facts: serde_json::Value,
}

/// What a command reports back to the writer: whether to keep its changes,
/// and how to tell its caller once the batch's fate is known.
pub(crate) struct Outcome {
    keep: bool,
    finish: Finish,
}

/// The writer runs on a thread of its own with a runtime of its own, so the
/// commands' futures never move between threads and need not be `Send`.
type Run = Box<dyn for<'a> FnOnce(&'a mut WriteTx) -> LocalBoxFuture<'a, Outcome> + Send>;

/// A command queued to the writer.
pub(crate) struct Job {
    run: Run,
    /// The command refuses only before its first write (see
    /// [`crate::Db::write_decided`]): on SQLite it runs without a savepoint.
    decides_first: bool,
}

pub(crate) enum Msg {
    Job(Job),
    Stop(oneshot::Sender<()>),
    /// Hold still between two batches: say so on `paused`, then wait for
    /// `resume` (the replica's barrier, see `replica`).
    Pause {
        paused: oneshot::Sender<()>,
        resume: oneshot::Receiver<()>,
    },
}

/// Wrap a typed command as a job; the receiver yields its result after commit.
pub(crate) fn job<T, E, F>(
    f: F,
    decides_first: bool,
) -> (Job, oneshot::Receiver<std::result::Result<T, E>>)
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: AsyncFnOnce(&mut WriteTx) -> std::result::Result<T, E> + Send + 'static,
{
    let (send, recv) = oneshot::channel();
    let run: Run = Box::new(move |tx: &mut WriteTx| {
        Box::pin(async move {
            let result = f(tx).await;
            Outcome {
                keep: result.is_ok(),
                finish: Box::new(move |commit| {
                    let result = match commit {
                        Ok(()) => result,
                        Err(why) => Err(E::from(StoreError::Commit(why))),
                    };
                    let _ = send.send(result);
                }),
            }
        })
    });
    (Job { run, decides_first }, recv)
}

/// The writer task: batches until told to stop or every sender is gone.
/// With `log`, a committed batch's callers are answered once `log` has
/// made it durable; without, at once (SQLite's commit syncs, or
/// PostgreSQL's does).
pub(crate) async fn run(
    options: AnyConnectOptions,
    backend: Backend,
    mut inbox: mpsc::Receiver<Msg>,
    committed: watch::Sender<u64>,
    mut log: Option<LogSync>,
    replicated: bool,
    platform: Arc<OnceLock<Platform>>,
) {
    let mut tx: Option<WriteTx> = None;
    while let Some(msg) = inbox.recv().await {
        let mut batch = match msg {
            Msg::Job(j) => vec![j],
            Msg::Stop(done) => {
                shut_down(tx.take(), log.as_mut()).await;
                let _ = done.send(());
                return;
            }
            Msg::Pause { paused, resume } => {
                hold(paused, resume).await;
                continue;
            }
        };
        let mut stop = None;
        let mut pause = None;
        while batch.len() < MAX_BATCH {
            match inbox.try_recv() {
                Ok(Msg::Job(j)) => batch.push(j),
                Ok(Msg::Stop(done)) => {
                    stop = Some(done);
                    break;
                }
                Ok(Msg::Pause { paused, resume }) => {
                    pause = Some((paused, resume));
                    break;
                }
                Err(_) => break,
            }
        }
        'batch: {
            if let Some(why) = log.as_ref().and_then(LogSync::broken) {
                fail_all(batch, &why).await;
                break 'batch;
            }
            if tx.is_none() {
                match connect(&options, backend, log.is_some(), replicated).await {
                    Ok(conn) => {
                        tx = Some(WriteTx {
                            conn,
                            head: (0, String::new()),
                            staged: Vec::new(),
                            sends: Vec::new(),
                            platform: platform.clone(),
                        })
                    }
                    Err(e) => {
                        fail_all(batch, &format!("no database connection: {e}")).await;
                        break 'batch;
                    }
                }
            }
            let Some(wtx) = tx.as_mut() else { break 'batch };
            match run_batch(wtx, backend, batch).await {
                Ok((finishes, wrote)) => {
                    committed.send_modify(|n| *n += 1);
                    match &log {
                        // A batch whose every command was refused wrote nothing to wait for.
                        Some(log) if wrote => log.after_sync(finishes),
                        _ => finishes.into_iter().for_each(|f| f(Ok(()))),
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "write batch failed; reconnecting");
                    // A connection in an unknown state is not reused.
                    tx = None;
                }
            }
        }
        if let Some((paused, resume)) = pause {
            hold(paused, resume).await;
        }
        if let Some(done) = stop {
            shut_down(tx.take(), log.as_mut()).await;
            let _ = done.send(());
            return;
        }
    }
    shut_down(tx.take(), log.as_mut()).await;
}

/// Wait, with no transaction open, until the one who paused the writer is done.
async fn hold(paused: oneshot::Sender<()>, resume: oneshot::Receiver<()>) {
    if paused.send(()).is_ok() {
        let _ = resume.await;
    }
}

/// The writer's own connection, set up like the pool's; when `log_syncs`,
/// its commits leave syncing the log to [`LogSync`].
async fn connect(
    options: &AnyConnectOptions,
    backend: Backend,
    log_syncs: bool,
    replicated: bool,
) -> std::result::Result<AnyConnection, sqlx::Error> {
    let mut conn = options.connect().await?;
    crate::connection::prepare(&mut conn, backend, replicated).await?;
    if backend == Backend::Sqlite && !replicated {
        // Checkpoints are [`checkpoint`]'s work. Should it fall far behind,
        // the writer still checkpoints by itself, at 40 MiB of log instead
        // of SQLite's 4 MiB.
        conn.execute("PRAGMA wal_autocheckpoint = 10000").await?;
    }
    if backend == Backend::Sqlite && log_syncs {
        // A checkpoint still syncs the log before copying it back.
        conn.execute("PRAGMA synchronous = NORMAL").await?;
    }
    Ok(conn)
}

/// How often, at most, the WAL is checkpointed while writes go on.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Copy SQLite's write-ahead log back into the database after commits, from
/// a pooled connection on another thread, while the writer goes on: a
/// passive checkpoint takes no lock that a writer or a reader waits for. It
/// ends when the writer does, after a last checkpoint.
pub(crate) async fn checkpoint(pool: sqlx::AnyPool, mut commits: watch::Receiver<u64>) {
    loop {
        let writing = commits.changed().await.is_ok();
        if pool.is_closed() {
            return;
        }
        match pool.acquire().await {
            Ok(mut conn) => {
                if let Err(e) = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
                    tracing::warn!(error = %e, "WAL checkpoint failed; the writer will checkpoint itself");
                }
            }
            Err(_) => return,
        }
        if !writing {
            return;
        }
        tokio::time::sleep(CHECKPOINT_EVERY).await;
    }
}

/// Answer what waits for the log's sync, then close the connection.
async fn shut_down(tx: Option<WriteTx>, log: Option<&mut LogSync>) {
    if let Some(log) = log {
        log.finish();
    }
    if let Some(tx) = tx {
        let _ = tx.conn.close().await;
    }
}

/// SQLite's count of rows changed on the connection since it opened.
async fn total_changes(conn: &mut AnyConnection) -> std::result::Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT total_changes()")
        .fetch_one(conn)
        .await?;
    sqlx::Row::try_get(&row, 0)
}

/// Why a command that refused without a savepoint left the transaction
/// other than it found it, if it did: it changed rows (`before` is the
/// count it started at), or its failure ended the transaction (SQLite rolls
/// one back by itself on some errors, and each statement after would then
/// commit alone).
async fn broken_promise(conn: &mut AnyConnection, before: i64) -> Option<String> {
    match total_changes(conn).await {
        Ok(n) if n == before => {}
        Ok(n) => return Some(format!("a refused command had changed {} rows", n - before)),
        Err(e) => return Some(format!("the count of changes could not be read: {e}")),
    }
    // `BEGIN` fails inside a transaction, and only there.
    match conn.execute("BEGIN").await {
        Err(_) => None,
        Ok(_) => Some("a refused command's failure ended its transaction".into()),
    }
}

async fn fail_all(batch: Vec<Job>, why: &str) {
    // The jobs never ran; dropping them drops their senders, and callers see an internal error.
    drop(batch);
    tracing::error!("write batch dropped: {why}");
}

/// Run a batch in one transaction; once it has committed, how to answer
/// each of its callers, and whether any command's changes were kept.
async fn run_batch(
    tx: &mut WriteTx,
    backend: Backend,
    batch: Vec<Job>,
) -> std::result::Result<(Vec<Finish>, bool), sqlx::Error> {
    let begin = match backend {
        // Take SQLite's write lock at once rather than on the first write.
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    };
    if let Err(e) = tx.conn.execute(begin).await {
        drop(batch);
        return Err(e);
    }
    // Locking the head row serialises writers of other processes on PostgreSQL;
    // the head is then kept here for the batch and stored once at its end.
    tx.staged.clear();
    tx.sends.clear();
    match journal::head_for_update(&mut tx.conn).await {
        Ok(head) => tx.head = head,
        Err(e) => {
            let _ = tx.conn.execute("ROLLBACK").await;
            drop(batch);
            return Err(match e {
                StoreError::Db(e) => e,
                other => sqlx::Error::Protocol(other.to_string()),
            });
        }
    }
    // A batch of one needs no savepoint: its failure rolls back the
    // transaction. Nor, on SQLite, does a command that refuses only before
    // it writes; that it wrote nothing when it refused is checked, and a
    // batch in which one broke that promise is rolled back whole. (On
    // PostgreSQL a failed statement spoils the transaction, so every command
    // of a batch takes a savepoint.)
    let alone = batch.len() == 1;
    let sqlite = backend == Backend::Sqlite;
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut kept_any = false;
    // Whether the savepoint `command` is open: it is released as the next
    // is taken, in one round trip, or before a command that needs none; the
    // commit releases the last.
    let mut open = false;
    let mut jobs = batch.into_iter();
    while let Some(Job { run, decides_first }) = jobs.next() {
        let (head_before, staged_before, sends_before) =
            (tx.head.clone(), tx.staged.len(), tx.sends.len());
        let changes_before = if alone {
            None
        } else if sqlite && decides_first {
            if open {
                tx.conn.execute("RELEASE SAVEPOINT command").await?;
                open = false;
            }
            Some(total_changes(&mut tx.conn).await?)
        } else {
            let savepoint = if open {
                "RELEASE SAVEPOINT command; SAVEPOINT command"
            } else {
                "SAVEPOINT command"
            };
            tx.conn.execute(savepoint).await?;
            open = true;
            None
        };
        let outcome = AssertUnwindSafe(run(tx)).catch_unwind().await;
        let keep = matches!(&outcome, Ok(o) if o.keep);
        if !keep {
            if let Some(before) = changes_before {
                if let Some(why) = broken_promise(&mut tx.conn, before).await {
                    // Its changes cannot be undone alone: nothing of the batch is kept.
                    tracing::error!(%why, "a write command refused after writing; its batch is rolled back");
                    let _ = tx.conn.execute("ROLLBACK").await;
                    outcomes.extend(outcome.ok());
                    for o in outcomes {
                        (o.finish)(Err(why.clone()));
                    }
                    // The commands not yet run are dropped: their callers hear so.
                    drop(jobs);
                    return Err(sqlx::Error::Protocol(why));
                }
            } else if !alone {
                tx.conn.execute("ROLLBACK TO SAVEPOINT command").await?;
            }
        }
        if keep {
            kept_any = true;
        } else {
            tx.head = head_before;
            tx.staged.truncate(staged_before);
            tx.sends.truncate(sends_before);
        }
        match outcome {
            Ok(o) => outcomes.push(o),
            Err(_) => tracing::error!("a write command panicked; its changes are rolled back"),
        }
    }
    let end = if kept_any {
        let stored = match journal::insert(&mut tx.conn, &tx.staged).await {
            Ok(()) => match tx.platform.get() {
                Some(p) => crate::exchange::stage(&mut tx.conn, p, &tx.staged, &tx.sends).await,
                None => Ok(()),
            },
            Err(e) => Err(e),
        };
        let stored = match stored {
            Ok(()) => journal::set_head(&mut tx.conn, &tx.head).await,
            Err(e) => Err(e),
        };
        match stored {
            Ok(()) => tx.conn.execute("COMMIT").await.map(|_| ()),
            Err(StoreError::Db(e)) => Err(e),
            Err(other) => Err(sqlx::Error::Protocol(other.to_string())),
        }
    } else {
        tx.conn.execute("ROLLBACK").await.map(|_| ())
    };
    match end {
        Ok(()) => Ok((outcomes.into_iter().map(|o| o.finish).collect(), kept_any)),
        Err(e) => {
            let _ = tx.conn.execute("ROLLBACK").await;
            for o in outcomes {
                (o.finish)(Err(e.to_string()));
            }
            Err(e)
        }
    }
}
