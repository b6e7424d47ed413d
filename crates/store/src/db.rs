//! Opening the database, migrations, and the write transaction.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor};
use sunshine_domain::exchange::Platform;
use tokio::sync::mpsc;

use crate::logsync::{self, LogSync, WalFile};
use crate::writer::{self, Msg, WriteTx};
use crate::{Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database: a pool and which backend it is.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// The writer task's inbox (group commit, see [`crate::writer`]).
    writer: mpsc::Sender<Msg>,
    /// How to open a connection for bulk reads (the writer's kind).
    bulk: AnyConnectOptions,
    /// The SQLite file, when the store is one (not in memory).
    file: Option<std::path::PathBuf>,
    /// Whether only a replica checkpoints (see [`crate::replica`]).
    replicated: bool,
    replica: std::sync::Arc<std::sync::Mutex<Option<crate::replica::Replica>>>,
    /// Which platform this store is, when it is one of several (see
    /// [`Db::join_platform`]); the writer fills the outbox for it.
    platform: std::sync::Arc<std::sync::OnceLock<Platform>>,
    /// The embedded store's log, for [`Db::make_log_durable`], and whether
    /// a sync of it has failed.
    wal: Option<std::sync::Arc<std::sync::Mutex<(WalFile, bool)>>>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// The embedded store in `dir` (created if missing).
    pub async fn open_sqlite(dir: &Path) -> Result<Db> {
        std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        let path = dir.join("sunshine.db");
        Db::connect(&format!("sqlite://{}?mode=rwc", path.display())).await
    }

    /// Connect by URL: `sqlite://…` or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        Db::open(url, false, |database| {
            let mut wal = WalFile::new(database);
            Box::new(move || wal.sync())
        })
        .await
    }

    /// The embedded store in `dir`, opened for a replica: no connection
    /// checkpoints by itself; [`Db::start_replica`] must follow, or the
    /// log grows without end.
    pub async fn open_sqlite_replicated(dir: &Path) -> Result<Db> {
        std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        let path = dir.join("sunshine.db");
        Db::open(
            &format!("sqlite://{}?mode=rwc", path.display()),
            true,
            |database| {
                let mut wal = WalFile::new(database);
                Box::new(move || wal.sync())
            },
        )
        .await
    }

    /// Ship this store's log to `sink` as it is written (continuous backup).
    pub fn start_replica(
        &self,
        sink: Box<dyn crate::replica::Sink>,
        schedule: crate::replica::Schedule,
    ) -> Result<()> {
        let (Some(file), true) = (self.file.clone(), self.replicated) else {
            return Err(StoreError::Corrupt(
                "a replica needs an embedded store file opened for one".into(),
            ));
        };
        let replica = crate::replica::start(file, self.writer.clone(), sink, schedule)
            .map_err(sqlx::Error::Io)?;
        if let Ok(mut r) = self.replica.lock() {
            *r = Some(replica);
        }
        Ok(())
    }

    /// What the replica has done, if one runs.
    pub fn replica_status(&self) -> Option<crate::replica::ReplicaStatus> {
        self.replica.lock().ok()?.as_ref().map(|r| r.status())
    }

    /// Have the replica start a new generation now.
    pub fn replica_new_generation(&self) {
        if let Ok(r) = self.replica.lock() {
            if let Some(r) = r.as_ref() {
                r.start_generation();
            }
        }
    }

    /// Make this store one platform of several: from now on, each journal
    /// entry that leaves it is written to its outbox in the entry's own
    /// transaction. Set once, before the first write; a store already
    /// joined as another platform refuses.
    pub fn join_platform(&self, platform: Platform) -> Result<()> {
        let held = self.platform.get_or_init(|| platform.clone());
        if *held != platform {
            return Err(StoreError::Corrupt(format!(
                "this store is already the platform {held}, not {platform}"
            )));
        }
        Ok(())
    }

    /// The platform this store is, if it is one of several.
    pub fn platform(&self) -> Option<&Platform> {
        self.platform.get()
    }

    /// Make durable whatever any connection has committed to the embedded
    /// store's log (one `fdatasync`), before handing what was read to
    /// another system: the writer answers its callers only once their
    /// batch is durable, but another connection may read a batch up to one
    /// sync before it is (`logsync`), and what left this store must not be
    /// lost by it in a power cut. Nothing to do on PostgreSQL, whose
    /// commit syncs, or in memory.
    pub async fn make_log_durable(&self) -> Result<()> {
        let Some(wal) = self.wal.clone() else {
            return Ok(());
        };
        let synced = tokio::task::spawn_blocking(move || {
            let mut held = wal.lock().unwrap_or_else(|p| p.into_inner());
            let (wal, broken) = &mut *held;
            // After a failed sync the log is in an unknown state, and a
            // later sync may succeed without the frames it lost: as for the
            // writer (`logsync`), only a restart and SQLite's recovery say
            // what reached the disk.
            if *broken {
                return Err(std::io::Error::other(
                    "a sync of the log failed earlier: restart to recover",
                ));
            }
            match wal.sync() {
                // No log: the last connection closed, after copying it all
                // into the database and syncing that.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => {
                    *broken = true;
                    Err(e)
                }
                Ok(()) => Ok(()),
            }
        })
        .await
        .map_err(|e| StoreError::Commit(format!("the log's sync did not finish: {e}")))?;
        synced.map_err(|e| StoreError::Db(sqlx::Error::Io(e)))
    }

    /// The embedded store's file, if it is one.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Connect by URL; on a SQLite file, `log_sync` makes the write-ahead
    /// log of the database at the path it is given durable.
    async fn open(
        url: &str,
        replicated: bool,
        log_sync: impl FnOnce(&Path) -> logsync::Sync,
    ) -> Result<Db> {
        install_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(crate::connection::prepare(conn, backend, replicated))
            })
            .connect_with(options.clone())
            .await?;
        // SQLite's writer calls SQLite on its own thread (see `native`);
        // a database it cannot open that way (in memory) keeps sqlx's driver.
        // Its commits are made durable by a thread of its own (`logsync`).
        let mut file = None;
        let (writer_options, log) = match backend {
            Backend::Sqlite => {
                let native = format!(
                    "{}{}",
                    crate::native::SCHEME,
                    url.strip_prefix("sqlite").unwrap_or(url)
                );
                match crate::native::NativeOptions::from_str(&native) {
                    Ok(o) => {
                        file = Some(o.path().to_path_buf());
                        (
                            AnyConnectOptions::from_str(&native)?,
                            Some(LogSync::start(log_sync(o.path())).map_err(sqlx::Error::Io)?),
                        )
                    }
                    Err(_) => (options.clone(), None),
                }
            }
            Backend::Postgres => (options.clone(), None),
        };
        let bulk = writer_options.clone();
        let (writer, inbox) = mpsc::channel(4096);
        let platform = std::sync::Arc::new(std::sync::OnceLock::new());
        let writer_platform = platform.clone();
        // SQLite's WAL is copied back into the database by a connection of
        // its own, so that the writer's commits never wait for a checkpoint.
        let (committed, commits) = tokio::sync::watch::channel(0u64);
        // With a replica, the replica alone checkpoints.
        if backend == Backend::Sqlite && !replicated {
            tokio::spawn(writer::checkpoint(pool.clone(), commits));
        }
        // The writer has a thread and a connection of its own: between one
        // statement and the next it never waits behind the tasks it serves.
        std::thread::Builder::new()
            .name("sunshine-writer".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(writer::run(
                        writer_options,
                        backend,
                        inbox,
                        committed,
                        log,
                        replicated,
                        writer_platform,
                    )),
                    Err(e) => tracing::error!(error = %e, "cannot start the writer"),
                }
            })
            .map_err(sqlx::Error::Io)?;
        if replicated && file.is_none() {
            return Err(StoreError::Corrupt(
                "only an embedded store file can be replicated".into(),
            ));
        }
        let wal = file
            .as_deref()
            .map(|f| std::sync::Arc::new(std::sync::Mutex::new((WalFile::new(f), false))));
        Ok(Db {
            pool,
            backend,
            writer,
            bulk,
            file,
            replicated,
            replica: Default::default(),
            platform,
            wal,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Bring the schema up to date. Safe to run at every start.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// A connection of its own for reading a great deal at once (the card
    /// engine's history at start): on SQLite a native one, which decodes
    /// rows on the calling thread without sqlx's hand-offs.
    pub async fn read_bulk(&self) -> Result<sqlx::AnyConnection> {
        Ok(sqlx::ConnectOptions::connect(&self.bulk).await?)
    }

    /// A connection for reads.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// Run a command that writes: `f` gets the batch's connection inside a
    /// savepoint of its own; an `Err` rolls back only its changes. The result
    /// comes back once the batch it ran in is durable.
    pub async fn write<T, E, F>(&self, f: F) -> std::result::Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: AsyncFnOnce(&mut WriteTx) -> std::result::Result<T, E> + Send + 'static,
    {
        self.queue_write(f).await.await
    }

    /// [`Db::write`] for a command that decides before it writes: it reads,
    /// refuses or not, and only then writes, and what can fail after its
    /// first write is the database alone. On SQLite it runs without a
    /// savepoint of its own, which would copy every page it changes. Should
    /// it refuse after writing all the same, its whole batch is rolled back
    /// and every command of it answered with an error: nothing is kept half.
    pub async fn write_decided<T, E, F>(&self, f: F) -> std::result::Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: AsyncFnOnce(&mut WriteTx) -> std::result::Result<T, E> + Send + 'static,
    {
        self.enqueue(f, true).await.await
    }

    /// Queue a write command, and give back what waits for its result: the
    /// command's place in the writer's order is fixed when this returns, so
    /// commands queued one after another run and commit in that order.
    pub async fn queue_write<T, E, F>(
        &self,
        f: F,
    ) -> impl std::future::Future<Output = std::result::Result<T, E>> + Send + 'static
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: AsyncFnOnce(&mut WriteTx) -> std::result::Result<T, E> + Send + 'static,
    {
        self.enqueue(f, false).await
    }

    async fn enqueue<T, E, F>(
        &self,
        f: F,
        decides_first: bool,
    ) -> impl std::future::Future<Output = std::result::Result<T, E>> + Send + 'static
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: AsyncFnOnce(&mut WriteTx) -> std::result::Result<T, E> + Send + 'static,
    {
        let (job, result) = writer::job(f, decides_first);
        let sent = self.writer.send(Msg::Job(job)).await.is_ok();
        async move {
            if !sent {
                return Err(E::from(StoreError::Commit("the database is closed".into())));
            }
            match result.await {
                Ok(r) => r,
                Err(_) => Err(E::from(StoreError::Commit(
                    "the write was dropped (the command failed inside the writer)".into(),
                ))),
            }
        }
    }

    /// Whether [`Db::close`] has begun: background work then ends.
    pub fn is_closed(&self) -> bool {
        self.pool.is_closed()
    }

    /// Stop the writer (after the writes already queued) and close the pool.
    pub async fn close(&self) {
        let (done, stopped) = tokio::sync::oneshot::channel();
        if self.writer.send(Msg::Stop(done)).await.is_ok() {
            let _ = stopped.await;
        }
        // The writer is done: the replica ships its last commits.
        let replica = self.replica.lock().ok().and_then(|mut r| r.take());
        if let Some(mut replica) = replica {
            let _ = tokio::task::spawn_blocking(move || replica.stop()).await;
        }
        self.pool.close().await;
    }
}

/// The drivers of sqlx's `Any` connections: PostgreSQL, SQLite, and the
/// writer's native SQLite. Safe to call again.
pub fn install_drivers() {
    static DRIVERS: [sqlx_core::any::driver::AnyDriver; 3] = [
        sqlx::postgres::any::DRIVER,
        sqlx::sqlite::any::DRIVER,
        crate::native::DRIVER,
    ];
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Err(e) = sqlx::any::install_drivers(&DRIVERS) {
            tracing::error!(error = %e, "the database drivers were installed elsewhere");
        }
    });
}

/// Ping the database (for `/healthz`).
pub async fn ping(db: &Db) -> Result<()> {
    let mut c = db.read().await?;
    c.ping().await?;
    Ok(())
}

/// A fresh, empty PostgreSQL database beside the one `admin_url` names, for
/// tests and benchmarks; returns its URL. Drop it with [`drop_database`].
pub async fn create_scratch_database(admin_url: &str, prefix: &str) -> Result<String> {
    install_drivers();
    let mut url =
        url::Url::parse(admin_url).map_err(|e| sqlx::Error::Configuration(Box::new(e)))?;
    let name = format!(
        "{prefix}_{}_{}",
        std::process::id(),
        SCRATCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut admin = sqlx::AnyConnection::connect(admin_url).await?;
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    admin.close().await?;
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
}

static SCRATCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Drop a database made by [`create_scratch_database`].
pub async fn drop_database(admin_url: &str, scratch_url: &str) -> Result<()> {
    let url = url::Url::parse(scratch_url).map_err(|e| sqlx::Error::Configuration(Box::new(e)))?;
    let name = url.path().trim_start_matches('/').to_string();
    let mut admin = sqlx::AnyConnection::connect(admin_url).await?;
    admin
        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await?;
    admin.close().await?;
    Ok(())
}

#[cfg(test)]
mod held_sync {
    use std::sync::mpsc;

    use sqlx::Row;

    use super::Db;
    use crate::StoreError;

    async fn insert(db: &Db, n: i64) -> Result<(), StoreError> {
        db.write(async move |tx| {
            sqlx::query("INSERT INTO t (n) VALUES ($1)")
                .bind(n)
                .execute(tx.conn())
                .await?;
            Ok(())
        })
        .await
    }

    async fn stored(db: &Db) -> Vec<i64> {
        let mut c = db.read().await.expect("a reader");
        sqlx::query("SELECT n FROM t ORDER BY n")
            .fetch_all(&mut *c)
            .await
            .expect("read")
            .iter()
            .map(|r| r.get::<i64, _>("n"))
            .collect()
    }

    /// Through the whole writer: a write is committed before its log is
    /// synced (another connection sees it), yet its caller hears nothing
    /// until the sync is done; a failed sync fails that write and every
    /// later one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_is_answered_only_once_its_log_is_synced() {
        let dir = std::env::temp_dir().join(format!("sunshine-held-sync-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
        // Each sync waits for its outcome to be sent.
        let (release, outcomes) = mpsc::channel::<std::io::Result<()>>();
        let db = Db::open(&url, false, move |_| {
            Box::new(move || outcomes.recv().unwrap_or(Ok(())))
        })
        .await
        .expect("open");
        // The writer keeps the journal's head: the schema must be there.
        db.migrate().await.expect("migrated");
        sqlx::query("CREATE TABLE t (n INTEGER NOT NULL)")
            .execute(db.pool())
            .await
            .expect("table");

        let db = std::sync::Arc::new(db);
        let first = tokio::spawn({
            let db = db.clone();
            async move { insert(&db, 1).await }
        });
        // Committed: another connection sees it. Answered: not yet.
        while stored(&db).await.is_empty() {
            assert!(
                !first.is_finished(),
                "answered (or failed) before its log was synced"
            );
            tokio::task::yield_now().await;
        }
        assert!(!first.is_finished(), "answered before its log was synced");
        release.send(Ok(())).expect("the sync thread waits");
        first.await.expect("joined").expect("durable once synced");

        let second = tokio::spawn({
            let db = db.clone();
            async move { insert(&db, 2).await }
        });
        while stored(&db).await.len() < 2 {
            assert!(
                !second.is_finished(),
                "answered (or failed) before its log was synced"
            );
            tokio::task::yield_now().await;
        }
        release
            .send(Err(std::io::Error::other("the disk is gone")))
            .expect("the sync thread waits");
        let failed = second.await.expect("joined").expect_err("the sync failed");
        assert!(failed.to_string().contains("unknown"), "{failed}");
        let refused = insert(&db, 3).await.expect_err("the writer stops");
        assert!(!refused.to_string().is_empty());
        assert_eq!(
            stored(&db).await,
            [1, 2],
            "nothing is written after a failed sync"
        );
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
