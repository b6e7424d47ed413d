//! How every connection to the store is set up, for the pool, the writer and
//! the replica alike.

use sqlx::{AnyConnection, Executor};

use crate::Backend;

/// Set up a new connection.
pub(crate) async fn prepare(
    conn: &mut AnyConnection,
    backend: Backend,
    replicated: bool,
) -> std::result::Result<(), sqlx::Error> {
    if backend == Backend::Sqlite {
        // WAL lets readers go on while one writer commits; FULL makes every
        // commit durable; writers wait for each other instead of failing.
        // Each command's savepoint keeps the pages it changes in a
        // sub-journal: in memory, not a temporary file. A larger page cache
        // keeps a busy batch's pages (the default is 2 MiB).
        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32768;").await?;
        if replicated {
            conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
        }
    }
    Ok(())
}
