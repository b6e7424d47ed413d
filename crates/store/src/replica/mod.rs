//! Continuous backup of the embedded store: the write-ahead log shipped as
//! it is written, after Litestream's design, inside the binary.
//!
//! A *generation* is a copy of the database file (its *base*) and every log
//! frame committed after it, in order. Frames are page images, so the base
//! with the frames up to any commit is the database as of that commit: a
//! restore can stop at any moment the generation covers.
//!
//! What makes this safe is who may checkpoint. SQLite rewrites its log from
//! the start (a *restart*) only after a checkpoint has copied every frame
//! back into the database; frames not shipped by then would be lost to the
//! backup. So while a replica runs, nothing checkpoints but the shipper: the
//! pool's and the writer's automatic checkpoints are off (see [`crate::Db`]),
//! and the shipper checkpoints only inside a *barrier*: the writer, between
//! two batches, waits while the shipper ships the log to its end and then
//! checkpoints. A restart can then only follow a log shipped to its end.
//!
//! A new generation starts at a barrier too: the log is shipped, then
//! checkpointed with `TRUNCATE` (the database file now holds everything), and
//! a read transaction is opened on that state before the writer goes on.
//! Being a reader of a fully checkpointed database, it holds SQLite's read
//! lock 0, which keeps every checkpointer from writing the database file; the
//! file is copied under it while new frames keep being shipped, and its row
//! counts are taken from the same snapshot.
//!
//! What it does not protect against: another process checkpointing the
//! same file while it is served (SQLite's last connection to close does);
//! the shipper notices a log that restarted without its checkpoint and
//! starts a new generation, since frames may have been lost.

mod files;
pub mod wal;

pub use files::{
    apply_frames, file_facts, integrity_check, page_size_of, snapshot_copy, snapshot_facts, Facts,
};

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::writer::Msg;

/// Frames of whole transactions from one log cycle.
#[derive(Debug)]
pub struct Segment<'a> {
    /// The log cycle within the generation, from 0 (each restart is one more).
    pub cycle: u64,
    /// Where the first frame lies in the log file.
    pub offset: u64,
    pub page_size: u32,
    pub frames: &'a [u8],
    pub commits: u32,
    /// The database's size in pages after the last commit.
    pub db_pages: u32,
}

/// The state a generation starts from.
pub struct BaseFacts {
    pub page_size: u32,
    pub bytes: u64,
    /// Rows per table, counted in the same snapshot as the file.
    pub row_counts: std::collections::BTreeMap<String, i64>,
    /// The journal's last entry: sequence and hash.
    pub journal_head: Option<(i64, String)>,
}

/// Where a replica's generations go (the app's archive writer).
pub trait Sink: Send + 'static {
    /// A new generation begins: its base file's bytes follow (in
    /// [`Sink::base_bytes`]), and frames shipped from now on belong to it.
    fn begin(&mut self, page_size: u32) -> Result<(), String>;
    /// The next bytes of the base file.
    fn base_bytes(&mut self, chunk: &[u8]) -> Result<(), String>;
    /// The base has been given whole; `facts` describe it.
    fn sealed(&mut self, facts: BaseFacts) -> Result<(), String>;
    /// A generation whose base could not be finished is given up.
    fn abandon(&mut self, why: &str);
    /// Frames committed in the current generation, durable when this returns.
    fn frames(&mut self, segment: Segment<'_>) -> Result<(), String>;
}

/// How often the replica works.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// How often the log is read for new commits.
    pub ship_every: Duration,
    /// How often, at most, the log is checkpointed back into the database.
    pub checkpoint_every: Duration,
    /// How often a new generation (a new base copy) starts.
    pub base_every: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            ship_every: Duration::from_millis(100),
            checkpoint_every: Duration::from_secs(1),
            base_every: Duration::from_secs(24 * 3600),
        }
    }
}

/// What the replica has done, for the status page and `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct ReplicaStatus {
    /// When the last frames became durable in the backup (unix µs).
    pub last_shipped_us: Option<i64>,
    /// When the current generation's base was sealed (unix µs).
    pub base_sealed_us: Option<i64>,
    pub generations_started: u64,
    /// The longest any commit waited to reach the backup, over the last
    /// minute: from the read before it was seen to the moment it was durable.
    pub rpo_recent: Duration,
    /// The same, over the replica's whole life.
    pub rpo_worst: Duration,
    pub segments: u64,
    pub bytes_shipped: u64,
    pub last_error: Option<String>,
}

/// A running replica; stop it with [`Replica::stop`] after the writer has
/// stopped, so that the last commits are shipped.
pub struct Replica {
    stop: Arc<AtomicBool>,
    base_now: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    status: Arc<Mutex<ReplicaStatus>>,
}

impl Replica {
    pub fn status(&self) -> ReplicaStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Start a new generation at the next turn.
    pub fn start_generation(&self) {
        self.base_now.store(true, Ordering::SeqCst);
    }

    /// Ship what is left and end the thread.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("status", &self.status())
            .finish()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.stop();
    }
}

pub(crate) fn start(
    db_path: PathBuf,
    writer: mpsc::Sender<Msg>,
    sink: Box<dyn Sink>,
    schedule: Schedule,
) -> std::io::Result<Replica> {
    let stop = Arc::new(AtomicBool::new(false));
    let base_now = Arc::new(AtomicBool::new(true));
    let status = Arc::new(Mutex::new(ReplicaStatus::default()));
    let mut shipper = Shipper {
        wal_path: wal_path(&db_path),
        db_path,
        writer,
        sink,
        schedule,
        cycle: None,
        cycle_index: 0,
        restart_allowed: false,
        in_generation: false,
        status: status.clone(),
        recent: Vec::new(),
    };
    let (stopping, basing) = (stop.clone(), base_now.clone());
    let thread = std::thread::Builder::new()
        .name("sunshine-replica".into())
        .spawn(move || shipper.run(&stopping, &basing))?;
    Ok(Replica {
        stop,
        base_now,
        thread: Some(thread),
        status,
    })
}

fn wal_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}

/// Where the shipper stands in the current log cycle.
#[derive(Debug, Clone, Copy)]
struct Cycle {
    header: wal::Header,
    /// The next byte of the log to ship.
    pos: u64,
    /// The running checksum at `pos`.
    seed: [u32; 2],
}

struct Shipper {
    db_path: PathBuf,
    wal_path: PathBuf,
    writer: mpsc::Sender<Msg>,
    sink: Box<dyn Sink>,
    schedule: Schedule,
    cycle: Option<Cycle>,
    cycle_index: u64,
    /// Set by our own checkpoint: the next restart of the log is expected.
    restart_allowed: bool,
    in_generation: bool,
    status: Arc<Mutex<ReplicaStatus>>,
    /// (when, wait) of recent shipments, for the recent RPO.
    recent: Vec<(Instant, Duration)>,
}

/// The log a broken backup target may hold back before the store's own
/// disk comes first.
const GIVE_UP_AT: u64 = 1 << 30;

/// The most log bytes one segment carries.
const SEGMENT_MAX: u64 = 16 << 20;

fn now_us() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

impl Shipper {
    fn run(&mut self, stop: &AtomicBool, base_now: &AtomicBool) {
        let conn = match self.open() {
            Ok(c) => c,
            Err(e) => {
                self.fail(format!("cannot open the database for the replica: {e}"));
                return;
            }
        };
        let mut last_checkpoint = Instant::now();
        let mut last_base = Instant::now();
        let mut last_read = Instant::now();
        let mut retry_base_at: Option<Instant> = None;
        while !stop.load(Ordering::SeqCst) {
            let due_base = base_now.load(Ordering::SeqCst)
                || last_base.elapsed() >= self.schedule.base_every
                || !self.in_generation;
            if due_base && retry_base_at.is_none_or(|t| Instant::now() >= t) {
                base_now.store(false, Ordering::SeqCst);
                match self.new_generation(&conn, stop) {
                    Ok(()) => {
                        last_base = Instant::now();
                        retry_base_at = None;
                    }
                    Err(e) => {
                        self.fail(format!("a new backup generation could not start: {e}"));
                        retry_base_at = Some(Instant::now() + Duration::from_secs(5));
                    }
                }
            }
            self.ship_timed(&mut last_read);
            if last_checkpoint.elapsed() >= self.schedule.checkpoint_every && self.in_generation {
                last_checkpoint = Instant::now();
                if let Err(e) = self.checkpoint(&conn) {
                    self.fail(e);
                }
            }
            std::thread::sleep(self.schedule.ship_every);
        }
        // The writer has stopped: whatever it committed goes out now.
        if let Err(e) = self.ship() {
            self.fail(e);
        }
    }

    fn open(&self) -> rusqlite::Result<rusqlite::Connection> {
        let conn = rusqlite::Connection::open_with_flags(
            &self.db_path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0;")?;
        Ok(conn)
    }

    fn fail(&self, why: String) {
        tracing::error!(error = %why, "backup replica");
        if let Ok(mut s) = self.status.lock() {
            s.last_error = Some(why);
        }
    }

    /// Ship, and time what was shipped from the read before this one
    /// (`last_read`, moved on to now).
    fn ship_timed(&mut self, last_read: &mut Instant) {
        let read_at = Instant::now();
        match self.ship() {
            Ok(true) => self.shipped(*last_read),
            Ok(false) => {}
            Err(e) => self.fail(e),
        }
        *last_read = read_at;
    }

    fn shipped(&mut self, since: Instant) {
        let wait = since.elapsed();
        let now = Instant::now();
        self.recent
            .retain(|(t, _)| now.duration_since(*t) < Duration::from_secs(60));
        self.recent.push((now, wait));
        if let Ok(mut s) = self.status.lock() {
            s.last_shipped_us = Some(now_us());
            s.rpo_recent = self
                .recent
                .iter()
                .map(|(_, w)| *w)
                .max()
                .unwrap_or_default();
            s.rpo_worst = s.rpo_worst.max(wait);
            s.last_error = None;
        }
    }

    /// Hold the writer between two batches while `f` runs.
    fn barrier<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> Result<T, String> {
        let (paused_tx, paused) = oneshot::channel();
        let (resume, resume_rx) = oneshot::channel();
        self.writer
            .blocking_send(Msg::Pause {
                paused: paused_tx,
                resume: resume_rx,
            })
            .map_err(|_| "the writer has stopped".to_string())?;
        paused
            .blocking_recv()
            .map_err(|_| "the writer stopped before pausing".to_string())?;
        let out = f(self);
        let _ = resume.send(());
        Ok(out)
    }

    /// Ship the log, then copy it back into the database, with the writer
    /// held so that nothing lands between the two.
    fn checkpoint(&mut self, conn: &rusqlite::Connection) -> Result<(), String> {
        let wal_len = std::fs::metadata(&self.wal_path)
            .map(|m| m.len())
            .unwrap_or(0);
        if wal_len == 0 {
            return Ok(());
        }
        self.barrier(|s| -> Result<(), String> {
            if let Err(e) = s.ship() {
                if wal_len < GIVE_UP_AT || !s.in_generation {
                    return Err(e);
                }
                // The target has refused the log for long enough that the
                // store's own disk is at risk: the generation is given up
                // (a new one starts when the target takes writes again) and
                // the log is checkpointed as if there were no backup.
                s.in_generation = false;
                s.fail(format!(
                    "the backup target refuses the log ({e}); {wal_len} bytes of log waited, \
                     so this generation ends here and a new one starts once it can"
                ));
            }
            let (busy, log, done) = checkpoint(conn, "PASSIVE").map_err(|e| e.to_string())?;
            // Only a log copied back whole can restart.
            if busy == 0 && log == done {
                s.restart_allowed = true;
            }
            Ok(())
        })?
    }

    /// Ship the old generation's last frames, checkpoint everything back,
    /// and copy the database file as the base of a new generation.
    fn new_generation(
        &mut self,
        conn: &rusqlite::Connection,
        stop: &AtomicBool,
    ) -> Result<(), String> {
        let snapshot = self.open().map_err(|e| e.to_string())?;
        let page_size: u32 = snapshot
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(|e| e.to_string())?;
        self.barrier(|s| -> Result<(), String> {
            s.ship()?;
            let (busy, log, done) = checkpoint(conn, "TRUNCATE").map_err(|e| e.to_string())?;
            if busy != 0 {
                return Err(format!(
                    "a reader held the log: {done} of {log} frames checkpointed; trying again shortly"
                ));
            }
            snapshot
                .execute_batch("BEGIN; SELECT count(*) FROM sqlite_master;")
                .map_err(|e| e.to_string())?;
            // The log is empty: its next header starts cycle 0 of the new generation.
            s.cycle = None;
            s.restart_allowed = true;
            Ok(())
        })??;
        if let Err(e) = self.sink.begin(page_size) {
            let _ = snapshot.execute_batch("ROLLBACK");
            return Err(e);
        }
        self.in_generation = true;
        self.cycle_index = 0;
        if let Ok(mut s) = self.status.lock() {
            s.generations_started += 1;
        }
        let copied = self.copy_base(stop);
        let facts = copied.and_then(|bytes| {
            let (row_counts, journal_head) =
                snapshot_facts(&snapshot).map_err(|e| format!("counting the base's rows: {e}"))?;
            Ok(BaseFacts {
                page_size,
                bytes,
                row_counts,
                journal_head,
            })
        });
        let _ = snapshot.execute_batch("ROLLBACK");
        match facts {
            Ok(facts) => {
                self.sink.sealed(facts)?;
                if let Ok(mut s) = self.status.lock() {
                    s.base_sealed_us = Some(now_us());
                }
                Ok(())
            }
            Err(e) => {
                self.sink.abandon(&e);
                self.in_generation = false;
                Err(e)
            }
        }
    }

    /// Copy the database file while the snapshot keeps it still, shipping
    /// new frames between chunks so the log's RPO holds during the copy.
    fn copy_base(&mut self, stop: &AtomicBool) -> Result<u64, String> {
        let mut file = File::open(&self.db_path).map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; 4 << 20];
        let mut total = 0u64;
        let mut last_ship = Instant::now();
        let mut last_read = Instant::now();
        loop {
            let n = file.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            self.sink.base_bytes(&buf[..n])?;
            total += n as u64;
            if last_ship.elapsed() >= self.schedule.ship_every {
                self.ship_timed(&mut last_read);
                last_ship = Instant::now();
            }
            if stop.load(Ordering::SeqCst) {
                return Err("stopped while copying the base".into());
            }
        }
        Ok(total)
    }

    /// Read the log from where the last shipment ended and hand whole
    /// transactions to the sink. Whether anything was shipped.
    fn ship(&mut self) -> Result<bool, String> {
        if !self.in_generation {
            return Ok(false);
        }
        let file = match File::open(&self.wal_path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(format!("reading the log: {e}")),
        };
        let mut any = false;
        loop {
            let len = file.metadata().map_err(|e| e.to_string())?.len();
            let mut head = [0u8; wal::HEADER_LEN];
            if len < wal::HEADER_LEN as u64 || file.read_exact_at(&mut head, 0).is_err() {
                return Ok(any);
            }
            let Some(header) = wal::Header::parse(&head) else {
                return Ok(any);
            };
            let cycle = match self.cycle {
                Some(c) if c.header.salt == header.salt => c,
                previous => {
                    if previous.is_some() || !self.restart_allowed {
                        if !self.restart_allowed {
                            // The log restarted without our checkpoint: what it
                            // held past our last shipment may be gone.
                            self.in_generation = false;
                            return Err("the log restarted behind the replica's back; a new generation starts".into());
                        }
                        self.cycle_index += 1;
                    }
                    self.restart_allowed = false;
                    let c = Cycle {
                        header,
                        pos: wal::HEADER_LEN as u64,
                        seed: header.checksum,
                    };
                    self.cycle = Some(c);
                    c
                }
            };
            if len <= cycle.pos {
                return Ok(any);
            }
            let want = (len - cycle.pos).min(SEGMENT_MAX.max(header.frame_len() as u64));
            let mut bytes = vec![0u8; want as usize];
            file.read_exact_at(&mut bytes, cycle.pos)
                .map_err(|e| format!("reading the log: {e}"))?;
            let scan = wal::scan(&header, cycle.seed, &bytes);
            if scan.commits == 0 {
                return Ok(any);
            }
            self.sink.frames(Segment {
                cycle: self.cycle_index,
                offset: cycle.pos,
                page_size: header.page_size,
                frames: &bytes[..scan.committed],
                commits: scan.commits,
                db_pages: scan.db_pages,
            })?;
            any = true;
            if let Ok(mut s) = self.status.lock() {
                s.segments += 1;
                s.bytes_shipped += scan.committed as u64;
            }
            self.cycle = Some(Cycle {
                header,
                pos: cycle.pos + scan.committed as u64,
                seed: scan.checksum,
            });
            if (scan.committed as u64) < want {
                return Ok(any);
            }
        }
    }
}

/// Run a checkpoint: (busy, frames in the log, frames checkpointed).
fn checkpoint(conn: &rusqlite::Connection, mode: &str) -> rusqlite::Result<(i64, i64, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
}

#[cfg(test)]
mod tests;
