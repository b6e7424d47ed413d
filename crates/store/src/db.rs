//! Opening the database, migrations, and the write transaction.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor};
use sunshine_domain::journal::{Entry, NewEntry};

use crate::{journal, Result};

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
    /// Writers of this process queue here, in order, rather than in SQLite's
    /// busy handler (which sleeps and retries) or on PostgreSQL's lock of the
    /// journal head (which still serialises writers across processes).
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
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
        sqlx::any::install_default_drivers();
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
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers go on while one writer commits; FULL makes
                        // every commit durable; writers wait for each other instead of failing.
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Db {
            pool,
            backend,
            writer: Default::default(),
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

    /// A connection for reads.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// Begin a write: the transaction holds the write lock from its first
    /// statement, so that reads inside it see what the write will change.
    pub async fn write(&self) -> Result<WriteTx> {
        let turn = self.writer.clone().lock_owned().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE journal_head SET seq = seq WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        Ok(WriteTx { tx, _turn: turn })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A write transaction. Every state change made through it appends its
/// journal entry here; dropping it without `commit` rolls everything back.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    /// This process's turn to write, held until the transaction ends.
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Append one journal entry at time `at` (microseconds, UTC).
    pub async fn journal(&mut self, at: i64, entry: NewEntry) -> Result<Entry> {
        journal::append(&mut self.tx, at, entry).await
    }

    pub async fn commit(self) -> Result<()> {
        Ok(self.tx.commit().await?)
    }
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
    sqlx::any::install_default_drivers();
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
