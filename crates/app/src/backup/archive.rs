//! Writing archives of the embedded store: one-off snapshots, and the
//! continuous generations a replica feeds.
//!
//! A continuous generation's directory holds its base (`base.db`, or
//! `base.db.age`), the manifest of that base, and the log shipped after it:
//! `wal/<cycle>-<offset>.frames` files and `wal.index`, one signed JSON line
//! per segment. A segment counts once its index line is written and synced;
//! a segment file without one (a crash between the two) is ignored.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sunshine_store::replica::{self, BaseFacts, Segment, Sink};

use super::{
    archive_id, sha256_hex, sync_dir, write_manifest, ArchiveKind, FileEntry, JournalHead,
    Manifest, SealedWriter, Sealer, PARTIAL,
};

pub const INDEX: &str = "wal.index";

fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

fn journal_head(head: Option<(i64, String)>) -> Option<JournalHead> {
    head.map(|(seq, hash)| JournalHead { seq, hash })
}

/// Copy the live embedded store at `db_file` into a new snapshot archive
/// under `root`, while it serves: SQLite's online backup takes one moment's
/// state. The plain copy is made in `scratch` (beside the data, not the
/// backup target) and removed.
pub fn create_snapshot(
    db_file: &Path,
    root: &Path,
    scratch: &Path,
    sealer: &Sealer,
) -> anyhow::Result<Manifest> {
    std::fs::create_dir_all(root).with_context(|| format!("{}", root.display()))?;
    std::fs::create_dir_all(scratch)?;
    remove_stale_partials(root);
    let taken_at = jiff::Timestamp::now();
    let id = archive_id(taken_at);
    let copy = scratch.join(format!("snapshot-{id}.db"));
    let result = (|| {
        replica::snapshot_copy(db_file, &copy).context("copying the database")?;
        let (row_counts, head) = replica::file_facts(&copy).context("counting rows")?;
        let page_size = replica::page_size_of(&mut File::open(&copy)?)?;
        let partial = root.join(format!("{PARTIAL}{id}"));
        std::fs::create_dir_all(&partial)?;
        let name = if sealer.encrypts() {
            "sunshine.db.age"
        } else {
            "sunshine.db"
        };
        let out = File::create(partial.join(name))?;
        let mut w = sealer.writer(out)?;
        std::io::copy(&mut File::open(&copy)?, &mut w)?;
        let (file, bytes, sha256) = w.finish()?;
        file.sync_all()?;
        let manifest = Manifest {
            format: 1,
            id: id.clone(),
            kind: ArchiveKind::Snapshot,
            backend: "sqlite".into(),
            taken_at,
            platform_version: version(),
            files: vec![FileEntry {
                path: name.into(),
                bytes,
                sha256,
            }],
            page_size: Some(page_size),
            row_counts,
            journal_head: journal_head(head),
            encrypted_to: sealer.recipient_names(),
            signed_by: sealer.signed_by(),
            extra: None,
        };
        write_manifest(&partial, &manifest, sealer)?;
        sync_dir(&partial)?;
        std::fs::rename(&partial, root.join(&id))?;
        sync_dir(root)?;
        Ok(manifest)
    })();
    let _ = std::fs::remove_file(&copy);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(root.join(format!("{PARTIAL}{id}")));
    }
    result
}

/// Archives left half-written by a process that died more than a day ago.
fn remove_stale_partials(root: &Path) {
    let day = std::time::Duration::from_secs(24 * 3600);
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > day));
        if stale && entry.file_name().to_string_lossy().starts_with(PARTIAL) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// One line of a generation's `wal.index`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexLine {
    pub cycle: u64,
    pub offset: u64,
    pub page_size: u32,
    pub commits: u32,
    pub db_pages: u32,
    /// Stored bytes of the segment file.
    pub bytes: u64,
    pub sha256: String,
    /// When it became durable here (unix µs): the moment it restores to.
    pub at: i64,
    /// The platform's signature of the line without this field.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sig: String,
}

impl IndexLine {
    pub fn file_name(&self, encrypted: bool) -> String {
        format!(
            "wal/{:08}-{:016x}.frames{}",
            self.cycle,
            self.offset,
            if encrypted { ".age" } else { "" }
        )
    }

    fn signed_bytes(&self) -> Vec<u8> {
        let mut unsigned = self.clone();
        unsigned.sig = String::new();
        serde_json::to_vec(&unsigned).unwrap_or_default()
    }
}

/// The segments a generation's index lists, in order. With `key` (hex), a
/// line whose signature fails is an error naming it; a torn last line (a
/// crash while appending) ends the index.
pub fn read_index(dir: &Path, key: Option<&str>) -> anyhow::Result<Vec<IndexLine>> {
    let text = match std::fs::read_to_string(dir.join(INDEX)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if line.is_empty() {
            continue;
        }
        let parsed: Result<IndexLine, _> = serde_json::from_str(line);
        let last = i + 1 == lines.len();
        match parsed {
            Ok(l) => {
                if let Some(key) = key {
                    if !super::verify_signature(key, &l.signed_bytes(), &l.sig) {
                        bail!("{INDEX} line {}: the signature does not verify", i + 1);
                    }
                }
                out.push(l);
            }
            // The line being appended when the process died.
            Err(_) if last => break,
            Err(e) => bail!("{INDEX} line {}: not an index line: {e}", i + 1),
        }
    }
    Ok(out)
}

/// The replica's sink: writes generations under `root`.
pub struct GenerationSink {
    root: PathBuf,
    sealer: Sealer,
    current: Option<Generation>,
}

struct Generation {
    id: String,
    taken_at: jiff::Timestamp,
    dir: PathBuf,
    sealed: bool,
    page_size: u32,
    base: Option<SealedWriter<File>>,
    index: File,
}

impl GenerationSink {
    pub fn new(root: PathBuf, sealer: Sealer) -> anyhow::Result<GenerationSink> {
        std::fs::create_dir_all(&root).with_context(|| format!("{}", root.display()))?;
        // Generations that were being started when the process stopped are
        // not archives; remove them.
        for entry in std::fs::read_dir(&root)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(PARTIAL) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        Ok(GenerationSink {
            root,
            sealer,
            current: None,
        })
    }

    fn base_name(&self) -> &'static str {
        if self.sealer.encrypts() {
            "base.db.age"
        } else {
            "base.db"
        }
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Sink for GenerationSink {
    fn begin(&mut self, page_size: u32) -> Result<(), String> {
        let taken_at = jiff::Timestamp::now();
        let id = archive_id(taken_at);
        let dir = self.root.join(format!("{PARTIAL}{id}"));
        std::fs::create_dir_all(dir.join("wal")).map_err(err)?;
        let base = self
            .sealer
            .writer(File::create(dir.join(self.base_name())).map_err(err)?)
            .map_err(err)?;
        let index = File::options()
            .create(true)
            .append(true)
            .open(dir.join(INDEX))
            .map_err(err)?;
        self.current = Some(Generation {
            id,
            taken_at,
            dir,
            sealed: false,
            page_size,
            base: Some(base),
            index,
        });
        Ok(())
    }

    fn base_bytes(&mut self, chunk: &[u8]) -> Result<(), String> {
        let g = self.current.as_mut().ok_or("no generation begun")?;
        g.base
            .as_mut()
            .ok_or("the base is already sealed")?
            .write_all(chunk)
            .map_err(err)
    }

    fn sealed(&mut self, facts: BaseFacts) -> Result<(), String> {
        let base_name = self.base_name();
        let g = self.current.as_mut().ok_or("no generation begun")?;
        let (file, bytes, sha256) = g
            .base
            .take()
            .ok_or("the base is already sealed")?
            .finish()
            .map_err(err)?;
        file.sync_all().map_err(err)?;
        let manifest = Manifest {
            format: 1,
            id: g.id.clone(),
            kind: ArchiveKind::Continuous,
            backend: "sqlite".into(),
            taken_at: g.taken_at,
            platform_version: version(),
            files: vec![FileEntry {
                path: base_name.into(),
                bytes,
                sha256,
            }],
            page_size: Some(facts.page_size),
            row_counts: facts.row_counts,
            journal_head: journal_head(facts.journal_head),
            encrypted_to: self.sealer.recipient_names(),
            signed_by: self.sealer.signed_by(),
            extra: None,
        };
        write_manifest(&g.dir, &manifest, &self.sealer).map_err(err)?;
        sync_dir(&g.dir.join("wal")).map_err(err)?;
        sync_dir(&g.dir).map_err(err)?;
        let done = self.root.join(&g.id);
        std::fs::rename(&g.dir, &done).map_err(err)?;
        sync_dir(&self.root).map_err(err)?;
        g.dir = done;
        g.sealed = true;
        Ok(())
    }

    fn abandon(&mut self, why: &str) {
        if let Some(g) = self.current.take() {
            tracing::warn!(generation = %g.id, why, "backup generation abandoned");
            if !g.sealed {
                let _ = std::fs::remove_dir_all(&g.dir);
            }
        }
    }

    fn frames(&mut self, segment: Segment<'_>) -> Result<(), String> {
        let encrypts = self.sealer.encrypts();
        let sealer = self.sealer.clone();
        let g = self.current.as_mut().ok_or("no generation begun")?;
        if segment.page_size != g.page_size {
            return Err(format!(
                "the log's page size {} differs from the base's {}",
                segment.page_size, g.page_size
            ));
        }
        let stored = sealer.seal_bytes(segment.frames).map_err(err)?;
        let mut line = IndexLine {
            cycle: segment.cycle,
            offset: segment.offset,
            page_size: segment.page_size,
            commits: segment.commits,
            db_pages: segment.db_pages,
            bytes: stored.len() as u64,
            sha256: sha256_hex(&stored),
            at: 0,
            sig: String::new(),
        };
        let path = g.dir.join(line.file_name(encrypts));
        let mut f = File::create(&path).map_err(err)?;
        f.write_all(&stored).map_err(err)?;
        f.sync_all().map_err(err)?;
        sync_dir(&g.dir.join("wal")).map_err(err)?;
        line.at = jiff::Timestamp::now().as_microsecond();
        line.sig = sealer.sign(&line.signed_bytes());
        let mut text = serde_json::to_vec(&line).map_err(err)?;
        text.push(b'\n');
        g.index.write_all(&text).map_err(err)?;
        g.index.sync_data().map_err(err)?;
        Ok(())
    }
}
