//! Storage: the SQL of every subsystem, for SQLite (embedded default) and
//! PostgreSQL, through sqlx's `Any` driver so that one set of portable
//! statements serves both. Each backend has its own migrations.
//!
//! Functions take `&mut AnyConnection`, so the app layer decides what runs in
//! one transaction. Writes go through [`WriteTx`], which appends the journal
//! entry of the change in the same transaction.

pub mod access;
pub mod backup_centre;
pub mod bundle;
pub mod card;
pub mod care;
pub mod catalog;
mod connection;
pub mod db;
pub mod disclosure;
pub mod exchange;
pub mod grants;
pub mod hall;
pub mod hotline;
pub mod identity;
pub mod journal;
mod logsync;
pub mod marks;
pub mod materials;
pub mod native;
pub mod payouts;
pub mod pg_backup;
pub mod registry;
pub mod replica;
pub mod sharing;
pub mod supervision;
pub mod tv;
pub mod writer;

pub use db::{Backend, Db};
pub use sqlx::AnyConnection as Conn;
pub use writer::WriteTx;

/// A storage failure. Constraint violations are told apart so that the app
/// can answer them as conflicts rather than internal errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a row with this key already exists ({0})")]
    Duplicate(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the write was not committed: {0}")]
    Commit(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error() {
            if db.is_unique_violation() {
                return StoreError::Duplicate(db.message().to_string());
            }
        }
        StoreError::Db(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Booleans are stored as 0/1 integers on both backends.
pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}
