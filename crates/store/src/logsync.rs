//! Pipelined group commit for SQLite: a batch's commit writes its log frames,
//! and a thread of its own then makes the log durable (one `fdatasync` of
//! the write-ahead log for every batch committed since the last) before the
//! batch's callers hear that it committed. Meanwhile the writer goes on with
//! the next batch instead of waiting for the disk.
//!
//! The writer's connection runs with `synchronous = NORMAL`, so SQLite's
//! commit itself does not sync; this module does, and no caller is answered
//! before it has. What a caller is told has committed is on disk, as with
//! `synchronous = FULL`. Two things differ, and are accepted:
//!
//! - Another connection may read a batch up to one sync before it is durable.
//!   A power loss in that moment loses that batch, which nobody was told had
//!   committed, and everything after it: SQLite's log is checksummed frame
//!   by frame in order, so what survives is always a whole prefix of the
//!   batches, never one without those before it.
//! - A sync that fails leaves the log in an unknown state. Its batches and
//!   every later one are answered with the failure, and the writer takes no
//!   more commands: the process must be restarted, and SQLite's recovery
//!   then finds what reached the disk (PostgreSQL does the same, for the
//!   same reason). Those batches had committed before the sync: such an
//!   answer means "not known to be durable", not "not written", and says so.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Tells one caller how its batch ended.
pub(crate) type Finish = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;

/// Makes the log durable; the real one is [`WalFile::sync`].
pub(crate) type Sync = Box<dyn FnMut() -> std::io::Result<()> + Send>;

/// The thread that syncs the log and then answers the callers.
pub(crate) struct LogSync {
    send: Option<mpsc::Sender<Vec<Finish>>>,
    thread: Option<JoinHandle<()>>,
    broken: Arc<Mutex<Option<String>>>,
}

impl LogSync {
    /// Answer batches' callers after `sync` (for SQLite's write-ahead
    /// log, [`WalFile::sync`]) has made their batches durable.
    pub(crate) fn start(sync: Sync) -> std::io::Result<LogSync> {
        let (send, recv) = mpsc::channel::<Vec<Finish>>();
        let broken = Arc::new(Mutex::new(None::<String>));
        let told = broken.clone();
        let thread = std::thread::Builder::new()
            .name("sunshine-logsync".into())
            .spawn(move || serve(&recv, sync, &told))?;
        Ok(LogSync {
            send: Some(send),
            thread: Some(thread),
            broken,
        })
    }

    /// Answer these callers once the log holding their batch is durable.
    pub(crate) fn after_sync(&self, finishes: Vec<Finish>) {
        match &self.send {
            Some(send) => {
                if let Err(mpsc::SendError(finishes)) = send.send(finishes) {
                    for finish in finishes {
                        finish(Err("the log's sync thread has stopped".into()));
                    }
                }
            }
            None => {
                for finish in finishes {
                    finish(Err("the writer has stopped".into()));
                }
            }
        }
    }

    /// Why the writer may write no more, once a sync has failed.
    pub(crate) fn broken(&self) -> Option<String> {
        lock(&self.broken).clone()
    }

    /// Sync and answer what is waiting, then stop the thread.
    pub(crate) fn finish(&mut self) {
        self.send = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The sync thread: sync once for everything handed over since the last
/// sync, then answer it all; after a failure, only answer, with the failure.
fn serve(recv: &mpsc::Receiver<Vec<Finish>>, mut sync: Sync, broken: &Mutex<Option<String>>) {
    while let Ok(mut waiting) = recv.recv() {
        // Every batch committed before this sync starts is covered by it.
        waiting.extend(recv.try_iter().flatten());
        let failed = lock(broken).clone();
        let result = match failed {
            Some(why) => Err(why),
            None => sync_once(&mut sync).map_err(|e| {
                let why = format!("the database's log could not be made durable ({e}): whether this write lasts is unknown; restart the service");
                tracing::error!("{why}");
                *lock(broken) = Some(why.clone());
                why
            }),
        };
        for finish in waiting {
            finish(result.clone());
        }
    }
}

/// One sync; a panic in it counts as a failed sync.
fn sync_once(sync: &mut Sync) -> std::io::Result<()> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(sync))
        .unwrap_or_else(|_| Err(std::io::Error::other("the sync panicked")))
}

fn lock(broken: &Mutex<Option<String>>) -> std::sync::MutexGuard<'_, Option<String>> {
    broken.lock().unwrap_or_else(|p| p.into_inner())
}

impl Drop for LogSync {
    fn drop(&mut self) {
        self.finish();
    }
}

/// SQLite's write-ahead log of one database, kept open to be synced.
#[derive(Debug)]
pub(crate) struct WalFile {
    database: PathBuf,
    open: Option<(File, (u64, u64))>,
}

impl WalFile {
    pub(crate) fn new(database: &Path) -> WalFile {
        WalFile {
            database: database.to_path_buf(),
            open: None,
        }
    }

    /// Where SQLite keeps the log: beside the database file, symbolic links
    /// resolved, as SQLite resolves them.
    fn path(&self) -> PathBuf {
        let database = std::fs::canonicalize(&self.database).unwrap_or(self.database.clone());
        let mut path = database.into_os_string();
        path.push("-wal");
        PathBuf::from(path)
    }

    /// `fdatasync` the log. The file is opened the first time, and again
    /// should SQLite have made a new one (a different inode at the path),
    /// and then its directory is synced too, so that the name lasts.
    pub(crate) fn sync(&mut self) -> std::io::Result<()> {
        let path = self.path();
        let at = match std::fs::metadata(&path) {
            Ok(at) => at,
            // SQLite removes the log only when its last connection closes,
            // after copying every frame into the database and syncing it:
            // what the open file held is durable either way.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return match &self.open {
                    Some((file, _)) => file.sync_data(),
                    None => Err(e),
                };
            }
            Err(e) => return Err(e),
        };
        let id = (at.dev(), at.ino());
        if self.open.as_ref().is_none_or(|(_, open)| *open != id) {
            let file = File::open(&path)?;
            let meta = file.metadata()?;
            let dir = match path.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir,
                _ => Path::new("."),
            };
            // As SQLite does, a directory that cannot be synced (some
            // file systems refuse) is not a failure of the log.
            if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
                tracing::warn!(error = %e, dir = %dir.display(), "the log's directory could not be synced");
            }
            self.open = Some((file, (meta.dev(), meta.ino())));
        }
        match &self.open {
            Some((file, _)) => file.sync_data(),
            None => Err(std::io::Error::other("the log is not open")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn answer() -> (Finish, mpsc::Receiver<std::result::Result<(), String>>) {
        let (send, recv) = mpsc::channel();
        (
            Box::new(move |r| {
                let _ = send.send(r);
            }),
            recv,
        )
    }

    #[test]
    fn callers_hear_only_after_the_sync() {
        let (release, hold) = mpsc::channel::<()>();
        let (entered, in_sync) = mpsc::channel::<()>();
        let syncs = Arc::new(AtomicUsize::new(0));
        let counted = syncs.clone();
        let log = LogSync::start(Box::new(move || {
            entered.send(()).map_err(std::io::Error::other)?;
            hold.recv().map_err(std::io::Error::other)?;
            counted.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }))
        .unwrap();
        let (a, heard_a) = answer();
        log.after_sync(vec![a]);
        // The sync has begun and not returned: nobody may have heard yet.
        in_sync.recv().unwrap();
        assert!(heard_a.try_recv().is_err(), "answered before the sync");
        // A batch handed over during a sync waits for a sync of its own.
        let (b, heard_b) = answer();
        log.after_sync(vec![b]);
        release.send(()).unwrap();
        assert_eq!(heard_a.recv().unwrap(), Ok(()));
        in_sync.recv().unwrap();
        assert!(heard_b.try_recv().is_err(), "answered before its own sync");
        release.send(()).unwrap();
        assert_eq!(heard_b.recv().unwrap(), Ok(()));
        assert_eq!(syncs.load(Ordering::SeqCst), 2);
        assert_eq!(log.broken(), None);
    }

    #[test]
    fn a_failed_sync_fails_its_batch_and_every_later_one() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let mut log = LogSync::start(Box::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            Err(std::io::Error::other("disk gone"))
        }))
        .unwrap();
        let (a, heard_a) = answer();
        log.after_sync(vec![a]);
        let why = heard_a.recv().unwrap().unwrap_err();
        assert!(why.contains("disk gone"), "{why}");
        assert!(log.broken().is_some_and(|b| b.contains("restart")));
        let (b, heard_b) = answer();
        log.after_sync(vec![b]);
        assert!(heard_b.recv().unwrap().is_err());
        log.finish();
        // A broken log is never synced again: success must not follow a failure.
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn finishing_answers_what_waits() {
        let mut log = LogSync::start(Box::new(|| Ok(()))).unwrap();
        let (a, heard) = answer();
        log.after_sync(vec![a]);
        log.finish();
        assert_eq!(heard.try_recv(), Ok(Ok(())));
        let (b, heard) = answer();
        log.after_sync(vec![b]);
        assert!(heard.try_recv().unwrap().is_err());
    }

    #[test]
    fn the_wal_file_is_reopened_when_sqlite_makes_a_new_one() {
        let dir = std::env::temp_dir().join(format!(
            "sunshine-logsync-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("s.db");
        let mut wal = WalFile::new(&db);
        assert!(wal.sync().is_err(), "no log yet");
        std::fs::write(dir.join("s.db-wal"), b"one").unwrap();
        wal.sync().unwrap();
        let first = wal.open.as_ref().map(|(_, id)| *id);
        std::fs::remove_file(dir.join("s.db-wal")).unwrap();
        std::fs::write(dir.join("s.db-wal"), b"two").unwrap();
        wal.sync().unwrap();
        let second = wal.open.as_ref().map(|(_, id)| *id);
        assert_ne!(first, second);
        // SQLite removes the log only after copying it all back: the file
        // still open is synced and all is well.
        std::fs::remove_file(dir.join("s.db-wal")).unwrap();
        wal.sync().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
