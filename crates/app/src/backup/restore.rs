//! Restoring the embedded store from an archive, and verifying an archive
//! by restoring it somewhere of its own and checking what comes back.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sunshine_store::replica;

use super::archive::{read_index, IndexLine};
use super::{list, read_manifest, sha256_hex, ArchiveKind, Manifest, Opener, MANIFEST};

/// Which archive a restore reads: `path` itself when it is one, else the
/// newest archive under it that covers `at` (or the newest of all).
pub fn choose(path: &Path, at: Option<jiff::Timestamp>) -> anyhow::Result<PathBuf> {
    if path.join(MANIFEST).exists() {
        return Ok(path.to_path_buf());
    }
    let archives = list(path)?;
    let mut usable = archives.iter().filter(|a| a.problem.is_none());
    let chosen = match at {
        Some(at) => usable.rfind(|a| a.taken_at <= at),
        None => usable.max_by(|a, b| a.until.cmp(&b.until)),
    };
    match chosen {
        Some(a) => Ok(a.path.clone()),
        None => match at {
            Some(at) => bail!("{}: no archive reaches back to {at}", path.display()),
            None => bail!("{}: holds no archive", path.display()),
        },
    }
}

/// What a restore brought back.
#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    pub archive: String,
    pub kind: ArchiveKind,
    /// The moment the restored store is as of.
    pub as_of: jiff::Timestamp,
    pub segments: usize,
    pub commits: u64,
    pub trust: String,
}

/// A reader that hashes what it reads.
struct HashingReader<R> {
    inner: R,
    hash: Sha256,
    bytes: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Write an archive's base file, decrypted, to `dest`, checking the stored
/// bytes against the manifest.
fn restore_base(
    dir: &Path,
    manifest: &Manifest,
    opener: &Opener,
    dest: &Path,
) -> anyhow::Result<()> {
    let entry = manifest
        .files
        .first()
        .ok_or_else(|| anyhow!("{MANIFEST} lists no file"))?;
    let path = dir.join(&entry.path);
    let stored = File::open(&path).with_context(|| format!("{}: missing", entry.path))?;
    let mut hashing = HashingReader {
        inner: std::io::BufReader::new(stored),
        hash: Sha256::new(),
        bytes: 0,
    };
    let mut out = File::create(dest)?;
    {
        let mut plain =
            opener.reader(!manifest.encrypted_to.is_empty(), &mut hashing, &entry.path)?;
        std::io::copy(&mut plain, &mut out)
            .map_err(|e| anyhow!("{}: cannot be read whole: {e}", entry.path))?;
    }
    // Read to the end, so the hash covers every stored byte.
    std::io::copy(&mut hashing, &mut std::io::sink())?;
    let sha = hex::encode(hashing.hash.finalize());
    if hashing.bytes != entry.bytes || sha != entry.sha256 {
        bail!(
            "{}: its contents differ from the manifest ({} bytes, sha256 {sha}; the manifest says {} bytes, {})",
            entry.path,
            hashing.bytes,
            entry.bytes,
            entry.sha256
        );
    }
    out.sync_all()?;
    Ok(())
}

/// Apply one listed segment onto the database file being restored.
fn apply_segment(
    dir: &Path,
    line: &IndexLine,
    encrypted: bool,
    opener: &Opener,
    db: &mut File,
) -> anyhow::Result<u32> {
    let name = line.file_name(encrypted);
    let stored = std::fs::read(dir.join(&name)).with_context(|| format!("{name}: missing"))?;
    if stored.len() as u64 != line.bytes || sha256_hex(&stored) != line.sha256 {
        bail!("{name}: its contents differ from {}", super::archive::INDEX);
    }
    let frames = opener.open_bytes(encrypted, &stored, &name)?;
    replica::apply_frames(db, line.page_size, &frames).map_err(|e| anyhow!("{name}: {e}"))
}

/// The segments of a continuous archive up to `at`.
fn segments_until(
    dir: &Path,
    manifest: &Manifest,
    key: &str,
    at: Option<jiff::Timestamp>,
) -> anyhow::Result<Vec<IndexLine>> {
    if manifest.kind != ArchiveKind::Continuous {
        return Ok(Vec::new());
    }
    let mut lines = read_index(dir, Some(key))?;
    if let Some(at) = at {
        let limit = at.as_microsecond();
        lines.retain(|l| l.at <= limit);
    }
    Ok(lines)
}

/// Restore an embedded-store archive into `data` (which must not already
/// hold a store), as of `at` when given.
pub fn restore_sqlite(
    archive: &Path,
    data: &Path,
    at: Option<jiff::Timestamp>,
    opener: &Opener,
    pinned: Option<&str>,
) -> anyhow::Result<Restored> {
    let dir = choose(archive, at)?;
    let (manifest, trust) = read_manifest(&dir, pinned)?;
    if manifest.backend != "sqlite" {
        bail!(
            "{}: an archive of {}; restore it with --database-url",
            dir.display(),
            manifest.backend
        );
    }
    if let Some(at) = at {
        if at < manifest.taken_at {
            bail!(
                "{} begins at {}: it cannot go back to {at}",
                manifest.id,
                manifest.taken_at
            );
        }
        if manifest.kind != ArchiveKind::Continuous && at != manifest.taken_at {
            // A snapshot is one moment; it restores as of that moment.
        }
    }
    let target = data.join("sunshine.db");
    if target.exists() {
        bail!(
            "{} already holds a store: restore into a new, empty directory",
            data.display()
        );
    }
    std::fs::create_dir_all(data)?;
    let work = data.join("sunshine.db.restoring");
    let result = (|| {
        restore_base(&dir, &manifest, opener, &work)?;
        let key = pinned.unwrap_or(&manifest.signed_by.public_key);
        let lines = segments_until(&dir, &manifest, key, at)?;
        let mut db = File::options().write(true).open(&work)?;
        let mut commits = 0u64;
        for line in &lines {
            commits += u64::from(apply_segment(
                &dir,
                line,
                !manifest.encrypted_to.is_empty(),
                opener,
                &mut db,
            )?);
        }
        db.sync_all()?;
        let as_of = lines
            .last()
            .and_then(|l| jiff::Timestamp::from_microsecond(l.at).ok())
            .unwrap_or(manifest.taken_at);
        Ok(Restored {
            archive: manifest.id.clone(),
            kind: manifest.kind,
            as_of,
            segments: lines.len(),
            commits,
            trust: trust.describe(),
        })
    })();
    match result {
        Ok(r) => {
            if let Some(problem) = replica::integrity_check(&work)? {
                let _ = std::fs::remove_file(&work);
                bail!("the restored database fails SQLite's integrity check: {problem}");
            }
            std::fs::rename(&work, &target)?;
            super::sync_dir(data)?;
            Ok(r)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&work);
            Err(e)
        }
    }
}

/// What a verification remembers of an archive between runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Remembered {
    id: String,
    /// Segments already applied to the kept scratch copy, and the last one's hash.
    segments: usize,
    last_sha256: String,
}

/// What `backup verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    pub archive: String,
    pub kind: ArchiveKind,
    pub trust: String,
    /// Whether the base was read again (a first or full verification).
    pub base_checked: bool,
    pub segments_checked: usize,
    pub segments_remembered: usize,
    pub as_of: jiff::Timestamp,
    pub tables: usize,
    pub journal_entries: u64,
    pub ledger: String,
}

/// Verify an embedded-store archive: signature, every file's checksum, a
/// restore into `scratch` (kept there, so the next run applies only what
/// is new unless `full`), SQLite's integrity check, the row counts at the
/// base, the journal's chain and the ledger. The error names the first
/// thing that is wrong.
pub async fn verify_sqlite(
    archive: &Path,
    opener: &Opener,
    pinned: Option<&str>,
    scratch: &Path,
    full: bool,
) -> anyhow::Result<Verified> {
    let dir = archive.to_path_buf();
    let (manifest, trust) = read_manifest(&dir, pinned)?;
    if manifest.backend != "sqlite" {
        bail!("{}: an archive of {}", dir.display(), manifest.backend);
    }
    let work = scratch.join(&manifest.id);
    let db_path = work.join("sunshine.db");
    let state_path = work.join("verified.json");
    let remembered: Option<Remembered> = if full {
        None
    } else {
        std::fs::read(&state_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .filter(|r: &Remembered| r.id == manifest.id && db_path.exists())
    };
    let key = pinned.unwrap_or(&manifest.signed_by.public_key).to_string();
    let lines = segments_until(&dir, &manifest, &key, None)?;
    let encrypted = !manifest.encrypted_to.is_empty();
    let outcome = async {
        let (start, fresh) = match &remembered {
            Some(r)
                if r.segments <= lines.len()
                    && (r.segments == 0 || lines[r.segments - 1].sha256 == r.last_sha256) =>
            {
                (r.segments, false)
            }
            // What was remembered no longer matches the index (its log was
            // pruned, or the index changed): verify it all again.
            _ => {
                let _ = std::fs::remove_dir_all(&work);
                std::fs::create_dir_all(&work)?;
                restore_base(&dir, &manifest, opener, &db_path)?;
                let (counts, head) = replica::file_facts(&db_path)
                    .map_err(|e| anyhow!("the restored base cannot be read: {e}"))?;
                super::compare_facts(&manifest, &counts, head)?;
                (0, true)
            }
        };
        let mut db = File::options().write(true).open(&db_path)?;
        for line in &lines[start..] {
            apply_segment(&dir, line, encrypted, opener, &mut db)?;
        }
        db.sync_all()?;
        drop(db);
        if let Some(problem) = replica::integrity_check(&db_path)? {
            bail!("SQLite's integrity check fails: {problem}");
        }
        let (counts, _) = replica::file_facts(&db_path)?;
        let store = sunshine_store::Db::connect(&format!("sqlite://{}?mode=rw", db_path.display()))
            .await
            .map_err(|e| anyhow!("the restored store cannot be opened: {e}"))?;
        let journal = {
            let mut conn = store.read().await.map_err(|e| anyhow!("{e}"))?;
            sunshine_store::journal::verify(&mut conn)
                .await
                .map_err(|e| anyhow!("the journal cannot be read: {e}"))?
        };
        let ledger = crate::card::check_ledger(&store).await;
        store.close().await;
        let entries = match journal {
            sunshine_store::journal::Verification::Intact { entries } => entries,
            sunshine_store::journal::Verification::Broken(b) => {
                bail!("journal verify: broken at entry {}: {}", b.seq, b.reason)
            }
        };
        let ledger = ledger.map_err(|why| anyhow!("ledger check: {why}"))?;
        Ok((start, fresh, counts.len(), entries, ledger))
    }
    .await;
    match outcome {
        Ok((start, fresh, tables, journal_entries, ledger)) => {
            let state = Remembered {
                id: manifest.id.clone(),
                segments: lines.len(),
                last_sha256: lines.last().map(|l| l.sha256.clone()).unwrap_or_default(),
            };
            let mut f = File::create(&state_path)?;
            f.write_all(&serde_json::to_vec(&state)?)?;
            f.sync_all()?;
            Ok(Verified {
                archive: manifest.id.clone(),
                kind: manifest.kind,
                trust: trust.describe(),
                base_checked: fresh,
                segments_checked: lines.len() - start,
                segments_remembered: start,
                as_of: lines
                    .last()
                    .and_then(|l| jiff::Timestamp::from_microsecond(l.at).ok())
                    .unwrap_or(manifest.taken_at),
                tables,
                journal_entries,
                ledger: ledger.summary(),
            })
        }
        Err(e) => {
            // What failed is not remembered as checked: the next run starts over.
            let _ = std::fs::remove_dir_all(&work);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sunshine_domain::identity::{OrgKind, Organisation};
    use sunshine_domain::ids::OrgCode;

    use super::*;
    use crate::backup::{archive, keygen, list, parse_recipient, Opener};

    async fn platform(dir: &Path) -> Arc<crate::App> {
        let db = sunshine_store::Db::open_sqlite(dir).await.unwrap();
        db.migrate().await.unwrap();
        let app = crate::App::new(
            db,
            Arc::new(sunshine_domain::clock::SystemClock),
            sunshine_domain::calendar::Calendar::shipped(),
            crate::keys::Kek::from_bytes([3; 32]),
        )
        .await
        .unwrap();
        app.bootstrap_orgs(&[Organisation {
            code: OrgCode::parse("330100").unwrap(),
            name: "杭州市人民政府".into(),
            name_en: "Hangzhou".into(),
            kind: OrgKind::City,
            parent: None,
        }])
        .await
        .unwrap();
        app
    }

    fn identity_file(dir: &Path, identity: &str) -> PathBuf {
        let path = dir.join(format!("id-{}", rand::random::<u32>()));
        std::fs::write(&path, format!("# a comment\n{identity}\n")).unwrap();
        path
    }

    /// An encrypted snapshot opens only with its identity, verifies and
    /// restores with it, and a manifest altered or signed by another key is
    /// refused.
    #[tokio::test]
    async fn an_encrypted_archive_opens_only_with_its_identity_and_its_signature_holds() {
        let root = std::env::temp_dir().join(format!("backup-app-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let app = platform(&root.join("data")).await;
        let (identity, recipient) = keygen();
        let (other, _) = keygen();
        let sealer = app
            .backup_sealer(std::slice::from_ref(&recipient))
            .await
            .unwrap();
        assert!(parse_recipient("age1nonsense").is_err());
        let file = app.db.file().unwrap().to_path_buf();
        let archives = root.join("archives");
        let m = archive::create_snapshot(&file, &archives, &root.join("scratch"), &sealer).unwrap();
        assert_eq!(m.encrypted_to, vec![recipient]);
        assert!(m.row_counts.get("organisations").is_some_and(|n| *n == 1));
        let dir = archives.join(&m.id);
        assert!(dir.join("sunshine.db.age").exists() && !dir.join("sunshine.db").exists());
        assert_eq!(list(&archives).unwrap().len(), 1);

        let scratch = root.join("verify");
        let none = verify_sqlite(&dir, &Opener::default(), None, &scratch, true).await;
        assert!(format!("{:#}", none.unwrap_err()).contains("--identity"));
        let wrong = Opener::from_file(&identity_file(&root, &other)).unwrap();
        let e = verify_sqlite(&dir, &wrong, None, &scratch, true)
            .await
            .unwrap_err();
        assert!(format!("{e:#}").contains("cannot be decrypted"), "{e:#}");
        let right = Opener::from_file(&identity_file(&root, &identity)).unwrap();
        let v = verify_sqlite(&dir, &right, Some(&sealer.public_key()), &scratch, true)
            .await
            .unwrap();
        assert_eq!(v.trust, "signed by the pinned key");
        let r = restore_sqlite(&dir, &root.join("restored"), None, &right, None).unwrap();
        assert_eq!(r.as_of, m.taken_at);
        assert!(root.join("restored/sunshine.db").exists());
        // Not over an existing store.
        let again = restore_sqlite(&dir, &root.join("restored"), None, &right, None).unwrap_err();
        assert!(again.to_string().contains("already holds a store"));

        // Another key pinned: refused.
        let stranger = hex::encode(crate::keys::new_signing_key().verifying_key().to_bytes());
        let e = verify_sqlite(&dir, &right, Some(&stranger), &scratch, true)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("does not verify"), "{e}");
        // One changed row count in the manifest: its signature no longer holds.
        let text = std::fs::read_to_string(dir.join(MANIFEST)).unwrap();
        std::fs::write(
            dir.join(MANIFEST),
            text.replacen("\"organisations\": 1", "\"organisations\": 2", 1),
        )
        .unwrap();
        let e = verify_sqlite(&dir, &right, None, &scratch, true)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("signature does not verify"), "{e}");
        assert!(list(&archives).unwrap()[0].problem.is_some());
        app.db.close().await;
        let _ = std::fs::remove_dir_all(&root);
    }
}
