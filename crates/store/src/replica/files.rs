//! What the replica and the restore read of a database file, and how they
//! write pages into one: facts in one snapshot, integrity, copies, frames.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

use super::wal;

/// Rows per table, and the journal's last entry (sequence, hash).
pub type Facts = (
    std::collections::BTreeMap<String, i64>,
    Option<(i64, String)>,
);

/// Rows per table and the journal's head, read in one snapshot.
pub fn snapshot_facts(conn: &rusqlite::Connection) -> rusqlite::Result<Facts> {
    let mut tables = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        for r in rows {
            tables.push(r?);
        }
    }
    let mut counts = std::collections::BTreeMap::new();
    for t in tables {
        let n: i64 = conn.query_row(
            &format!("SELECT count(*) FROM \"{}\"", t.replace('"', "\"\"")),
            [],
            |r| r.get(0),
        )?;
        counts.insert(t, n);
    }
    let head = conn
        .query_row(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )
        .ok();
    Ok((counts, head))
}

/// Rows per table and the journal's head of a database file at rest (a
/// restored copy), read-only.
pub fn file_facts(path: &Path) -> rusqlite::Result<Facts> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.execute_batch("BEGIN")?;
    snapshot_facts(&conn)
}

/// SQLite's own check of a database file: `None` when sound, else the
/// first problems it names.
pub fn integrity_check(path: &Path) -> rusqlite::Result<Option<String>> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn.prepare("PRAGMA integrity_check(10)")?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    if rows.len() == 1 && rows[0] == "ok" {
        Ok(None)
    } else {
        Ok(Some(rows.join("; ")))
    }
}

/// A consistent copy of a live database into `dest` (a new file), by
/// SQLite's online backup in one step: one read transaction, so the copy is
/// one moment's state while writers go on in the log.
pub fn snapshot_copy(src: &Path, dest: &Path) -> rusqlite::Result<()> {
    let from =
        rusqlite::Connection::open_with_flags(src, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    from.busy_timeout(Duration::from_secs(30))?;
    let mut to = rusqlite::Connection::open(dest)?;
    {
        let backup = rusqlite::backup::Backup::new(&from, &mut to)?;
        backup.step(-1)?;
    }
    // The copy is a plain database file, not a log's companion.
    to.execute_batch("PRAGMA journal_mode = DELETE;")?;
    Ok(())
}

/// Apply a segment's frames onto a database file being restored.
pub fn apply_frames(file: &mut File, page_size: u32, frames: &[u8]) -> std::io::Result<u32> {
    wal::apply(file, page_size, frames)
}

/// The page size a database file's header names.
pub fn page_size_of(file: &mut File) -> std::io::Result<u32> {
    let mut head = [0u8; 18];
    file.seek(SeekFrom::Start(0))?;
    file.read_exact(&mut head)?;
    let raw = u16::from_be_bytes([head[16], head[17]]);
    Ok(if raw == 1 { 65536 } else { u32::from(raw) })
}
