//! PostgreSQL's backup, through pgBackRest (Debian's `pgbackrest`).
//!
//! A backup root `repo` holds:
//! - `repo/pgbackrest.conf`, written by [`setup`];
//! - `repo/pgbackrest/`, pgBackRest's own repository (`archive/`, `backup/`,
//!   `log/`, `lock/`): it has no `manifest.json`, so [`super::list`] passes it by;
//! - `repo/<archive id>/`, one per [`create`]: `manifest.json` and
//!   `manifest.sig` only. The manifest's `files` name pgBackRest's backup
//!   manifest by a path relative to the archive's directory
//!   (`../pgbackrest/backup/sunshine/<label>/backup.manifest`).
//!
//! What vouches for what: the signature covers the sha256 of pgBackRest's
//! backup manifest, which holds the checksum of every file of the backup
//! (`pgbackrest verify` checks them), and every archived WAL segment
//! carries its own checksum in its name.
//!
//! Who runs what: pgBackRest must run on the database's machine, as the
//! user who owns the data directory, and PostgreSQL refuses to run as
//! root. When `sunshine` runs as that user (production: `sudo -u postgres
//! sunshine backup …`) every program runs as itself. When it runs as root,
//! pgBackRest, postgres and pg_ctl are run through `setpriv` as the
//! owner of the data directory (at setup) or of the pgBackRest repository
//! (afterwards), and what is created for them is given to that user: root
//! can always drop to the right user, whereas running them as root would
//! leave files the server cannot read.

mod programs;
mod rest;
mod server;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use serde::{Deserialize, Serialize};
use sunshine_store::pg_backup;

pub use programs::{pgbackrest_bin, postgres_bin_dir};
use programs::{private_dir, RunAs};
use rest::Rest;
use server::TempServer;

use super::restore::{Restored, Verified};
use super::{
    archive_id, hash_file, list, read_manifest, sync_dir, write_manifest, ArchiveKind, FileEntry,
    JournalHead, Manifest, Sealer, MANIFEST, PARTIAL,
};

/// pgBackRest's name for the platform's cluster.
pub const STANZA: &str = "sunshine";
/// pgBackRest's repository, inside the backup root.
const REPOSITORY: &str = "pgbackrest";
/// pgBackRest's configuration, inside the backup root.
const CONFIG: &str = "pgbackrest.conf";
/// pgBackRest's backup manifest, in each backup's directory.
const BACKUP_MANIFEST: &str = "backup.manifest";
/// Its copy, which pgBackRest reads when the first is damaged.
const BACKUP_MANIFEST_COPY: &str = "backup.manifest.copy";

/// What a PostgreSQL archive's manifest records in `extra`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PgExtra {
    pub stanza: String,
    /// pgBackRest's backup label (`20261202-101500F`).
    pub label: String,
    /// `full` or `incr`.
    pub backup_type: String,
    /// The named restore point the row counts are exact at.
    pub restore_point: String,
    pub restore_lsn: String,
    /// The WAL the backup itself needs, first and last segment.
    pub wal_start: String,
    pub wal_stop: String,
    /// PostgreSQL's major version, schema, role and database of the backup.
    pub major: String,
    pub schema: String,
    pub user: String,
    pub database: String,
}

/// Quote a word for the shell PostgreSQL runs `archive_command` with.
fn shell_word(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-=+:,@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A string value in postgresql.conf.
fn conf_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Prepare the cluster behind `url` for pgBackRest with its repository at
/// `repo`: write the pgBackRest config (in `repo`), create the stanza, and
/// check that WAL archiving (archive_mode=on, archive_command pushing to
/// this stanza) is in place; if it is not, fail with the exact settings to
/// add and that a restart is needed. Must run on the database's machine.
/// Safe to run again.
pub async fn setup(url: &str, repo: &Path) -> anyhow::Result<String> {
    let bin = pgbackrest_bin()?;
    std::fs::create_dir_all(repo).with_context(|| format!("creating {}", repo.display()))?;
    let root = repo.canonicalize()?;
    let mut conn = pg_backup::connect(url)
        .await
        .context("connecting to the database")?;
    let facts = pg_backup::server_facts(&mut conn).await.context(
        "reading the server's settings (needs a superuser, or a role granted pg_read_all_settings)",
    )?;
    pg_backup::close(conn).await;
    let data = PathBuf::from(&facts.data_directory);
    if !data.join("PG_VERSION").is_file() {
        bail!(
            "{}: the database's data directory is not on this machine; pgBackRest must run where PostgreSQL runs",
            data.display()
        );
    }
    let Some(socket) = facts
        .socket_directories
        .split(',')
        .map(str::trim)
        .find(|d| d.starts_with('/'))
    else {
        bail!("the server listens on no unix socket directory (unix_socket_directories), which pgBackRest connects through");
    };
    let who = RunAs::owner_of(&data)?;
    let repository = root.join(REPOSITORY);
    for dir in [
        repository.clone(),
        repository.join("log"),
        repository.join("lock"),
    ] {
        private_dir(&dir, who)?;
    }
    // The server's user reaches the repository and the config through the root.
    let mode = std::fs::metadata(&root)?.permissions().mode();
    if who.0.is_some() && mode & 0o001 == 0 {
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(mode | 0o001))?;
    }
    let config = root.join(CONFIG);
    let text = format!(
        "# Written by `sunshine backup setup`; pgBackRest's repository for the platform's cluster.\n\
         [global]\n\
         repo1-path={repo}\n\
         log-path={repo}/log\n\
         lock-path={repo}/lock\n\
         # Take the backup's checkpoint at once rather than at the next scheduled one.\n\
         start-fast=y\n\
         compress-type=zst\n\
         # Backups are kept and pruned by the platform's retention, not by pgBackRest.\n\
         repo1-retention-full=9999999\n\
         \n\
         [{STANZA}]\n\
         pg1-path={data}\n\
         pg1-port={port}\n\
         pg1-socket-path={socket}\n",
        repo = repository.display(),
        data = data.display(),
        port = facts.port,
    );
    std::fs::write(&config, text).with_context(|| format!("writing {}", config.display()))?;
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o640))?;
    who.give(&config)?;
    let rest = Rest {
        root: root.clone(),
        bin: bin.clone(),
        who,
    };
    rest.run(&["stanza-create"]).await?;

    let command = format!(
        "{} --config={} --stanza={STANZA} archive-push %p",
        shell_word(&bin.display().to_string()),
        shell_word(&config.display().to_string())
    );
    let archives_here = facts.archive_command.contains("archive-push")
        && facts
            .archive_command
            .contains(&format!("--stanza={STANZA}"))
        && facts
            .archive_command
            .contains(&config.display().to_string());
    let mut missing = Vec::new();
    if !matches!(facts.wal_level.as_str(), "replica" | "logical") {
        missing.push("wal_level = replica".to_string());
    }
    if !matches!(facts.archive_mode.as_str(), "on" | "always") {
        missing.push("archive_mode = on".to_string());
    }
    if !archives_here {
        missing.push(format!("archive_command = {}", conf_string(&command)));
    }
    if !missing.is_empty() {
        missing.push("archive_timeout = 60    # ship a segment at least once a minute".into());
        bail!(
            "the stanza {STANZA} is created in {}, but WAL archiving does not reach it yet. \
             Add to {} and restart PostgreSQL (these settings take effect only at a restart):\n\n{}\n\n\
             then run setup again.",
            repository.display(),
            facts.config_file,
            missing
                .iter()
                .map(|l| format!("    {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    // Switches the WAL and waits until the segment arrives in the repository.
    rest.run(&["check"]).await?;
    Ok(format!(
        "pgBackRest is set up for stanza {STANZA} of the cluster in {}: configuration {}, repository {}; a WAL segment was archived there and checked.",
        data.display(),
        config.display(),
        repository.display()
    ))
}

/// A full (or, when one exists, incremental) pgBackRest backup of the
/// cluster behind `url`, and a signed archive `repo/<archive id>/` whose
/// row counts and journal head are exact at a named restore point made
/// just after it (see [`pg_backup::restore_point`]): the archive restores
/// to that point. Archives are not age-encrypted (pgBackRest has its own
/// repository encryption); a sealer with recipients is refused rather
/// than ignored.
pub async fn create(url: &str, repo: &Path, sealer: &Sealer) -> anyhow::Result<Manifest> {
    if sealer.encrypts() {
        bail!(
            "PostgreSQL backups are not encrypted to age recipients: encrypt pgBackRest's repository instead (repo1-cipher-type and repo1-cipher-pass in {CONFIG}), and leave out --encrypt-to"
        );
    }
    let rest = Rest::at(repo)?;
    let mut conn = pg_backup::connect(url)
        .await
        .context("connecting to the database")?;
    let facts = pg_backup::server_facts(&mut conn)
        .await
        .context("reading the server's settings")?;
    let before = rest.backups().await?;
    let backup_type = if before.is_empty() { "full" } else { "incr" };
    rest.run(&[&format!("--type={backup_type}"), "backup"])
        .await?;
    let backup = rest
        .backups()
        .await?
        .pop()
        .filter(|b| before.iter().all(|o| o.label != b.label))
        .ok_or_else(|| anyhow!("pgbackrest backup: finished, but lists no new backup"))?;

    let id = archive_id(jiff::Timestamp::now());
    let point = pg_backup::restore_point(&mut conn, &format!("sunshine-{id}"))
        .await
        .context("making the restore point, every table held in SHARE mode (needs the tables' owner, and a superuser or EXECUTE on pg_create_restore_point)")?;
    pg_backup::close(conn).await;
    // Switches the WAL past the restore point and waits until it is archived.
    rest.run(&["check"]).await?;

    let mut files = Vec::new();
    for name in [BACKUP_MANIFEST, BACKUP_MANIFEST_COPY] {
        let inside = format!("backup/{STANZA}/{}/{name}", backup.label);
        let path = format!("../{REPOSITORY}/{inside}");
        let (bytes, sha256) = hash_file(&rest.repository().join(&inside))
            .with_context(|| format!("{path}: cannot be read"))?;
        files.push(FileEntry {
            path,
            bytes,
            sha256,
        });
    }
    let extra = PgExtra {
        stanza: STANZA.into(),
        label: backup.label.clone(),
        backup_type: backup.kind.clone(),
        restore_point: point.name.clone(),
        restore_lsn: point.lsn.clone(),
        wal_start: backup.archive.start.clone().unwrap_or_default(),
        wal_stop: backup.archive.stop.clone().unwrap_or_default(),
        major: facts.major.clone(),
        schema: facts.schema.clone(),
        user: facts.user.clone(),
        database: facts.database.clone(),
    };
    let manifest = Manifest {
        format: 1,
        id: id.clone(),
        kind: ArchiveKind::Pgbackrest,
        backend: "postgres".into(),
        taken_at: jiff::Timestamp::from_microsecond(point.at)?,
        platform_version: env!("CARGO_PKG_VERSION").to_string(),
        files,
        page_size: None,
        row_counts: point.row_counts.clone(),
        journal_head: point
            .journal_head
            .clone()
            .map(|(seq, hash)| JournalHead { seq, hash }),
        encrypted_to: Vec::new(),
        signed_by: sealer.signed_by(),
        extra: Some(serde_json::to_value(&extra)?),
    };
    let partial = rest.root.join(format!("{PARTIAL}{id}"));
    let written = (|| {
        std::fs::create_dir_all(&partial)?;
        write_manifest(&partial, &manifest, sealer)?;
        sync_dir(&partial)?;
        std::fs::rename(&partial, rest.root.join(&id))?;
        sync_dir(&rest.root)?;
        anyhow::Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }
    Ok(manifest)
}

/// Which PostgreSQL archive a restore reads: `path` itself when it is one,
/// else the newest under it taken at or before `at` (or the newest of all).
fn choose(path: &Path, at: Option<jiff::Timestamp>) -> anyhow::Result<PathBuf> {
    if path.join(MANIFEST).exists() {
        return Ok(path.to_path_buf());
    }
    let archives = list(path)?;
    let mut usable = archives
        .iter()
        .filter(|a| a.problem.is_none() && a.kind == ArchiveKind::Pgbackrest);
    let chosen = match at {
        Some(at) => usable.rfind(|a| a.taken_at <= at),
        None => usable.next_back(),
    };
    match (chosen, at) {
        (Some(a), _) => Ok(a.path.clone()),
        (None, Some(at)) => bail!(
            "{}: no PostgreSQL archive reaches back to {at}",
            path.display()
        ),
        (None, None) => bail!("{}: holds no PostgreSQL archive", path.display()),
    }
}

/// The PostgreSQL facts of an archive's manifest.
fn extra_of(dir: &Path, manifest: &Manifest) -> anyhow::Result<PgExtra> {
    if manifest.backend != "postgres" || manifest.kind != ArchiveKind::Pgbackrest {
        bail!(
            "{}: a {} archive of {}, not a pgBackRest one",
            dir.display(),
            manifest.kind.as_str(),
            manifest.backend
        );
    }
    let extra = manifest
        .extra
        .clone()
        .ok_or_else(|| anyhow!("{MANIFEST}: records no pgBackRest backup"))?;
    serde_json::from_value(extra).with_context(|| format!("{MANIFEST}: its pgBackRest facts"))
}

/// Every file the manifest lists, against its size and sha256.
fn check_files(dir: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    for f in &manifest.files {
        let (bytes, sha256) =
            hash_file(&dir.join(&f.path)).with_context(|| format!("{}: missing", f.path))?;
        if bytes != f.bytes || sha256 != f.sha256 {
            bail!(
                "{}: its contents differ from the manifest ({bytes} bytes, sha256 {sha256}; the manifest says {} bytes, {})",
                f.path,
                f.bytes,
                f.sha256
            );
        }
    }
    Ok(())
}

/// The backup root an archive directory lies in.
fn root_of(dir: &Path) -> anyhow::Result<PathBuf> {
    let dir = dir.canonicalize()?;
    dir.parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| anyhow!("{}: has no backup root", dir.display()))
}

/// Where a recovery stops.
enum Target<'a> {
    Point(&'a str),
    Time(jiff::Timestamp),
}

/// Lay down `pgdata` from the backup with pgBackRest, set to recover to
/// `target` and be promoted at the first start. Recovery follows the
/// backup's own timeline, not one a later restore started.
async fn lay_down(
    rest: &Rest,
    extra: &PgExtra,
    pgdata: &Path,
    target: Target<'_>,
) -> anyhow::Result<()> {
    if std::fs::read_dir(pgdata).is_ok_and(|mut d| d.next().is_some()) {
        bail!(
            "{} is not empty: restore into a new, empty directory",
            pgdata.display()
        );
    }
    private_dir(pgdata, rest.who)?;
    let pgdata = pgdata.canonicalize()?;
    let (kind, target) = match target {
        Target::Point(name) => ("name", name.to_string()),
        Target::Time(at) => ("time", at.strftime("%Y-%m-%d %H:%M:%S.%6f+00").to_string()),
    };
    rest.run(&[
        &format!("--pg1-path={}", pgdata.display()),
        &format!("--set={}", extra.label),
        &format!("--type={kind}"),
        &format!("--target={target}"),
        "--target-action=promote",
        "--target-timeline=current",
        "restore",
    ])
    .await?;
    Ok(())
}

/// Restore into a new PostgreSQL data directory `pgdata` (must not exist
/// or be empty): at the archive's restore point, or at `at` (point in
/// time, through the archived WAL) when given. `archive` is an archive's
/// directory, or a backup root to choose the newest fitting archive in.
///
/// pgBackRest lays the directory down set to recover; PostgreSQL recovers
/// at its first start and is promoted there (a WAL that does not reach
/// `at` makes that start fail, saying so). The restored cluster keeps its
/// settings, archiving included: once promoted it archives to the same
/// stanza, on a timeline of its own.
pub async fn restore(
    archive: &Path,
    pgdata: &Path,
    at: Option<jiff::Timestamp>,
    pinned: Option<&str>,
) -> anyhow::Result<Restored> {
    let dir = choose(archive, at)?;
    let (manifest, trust) = read_manifest(&dir, pinned)?;
    let extra = extra_of(&dir, &manifest)?;
    check_files(&dir, &manifest)?;
    if let Some(at) = at {
        if at < manifest.taken_at {
            bail!(
                "{} begins at {}: it cannot go back to {at}",
                manifest.id,
                manifest.taken_at
            );
        }
    }
    let rest = Rest::at(&root_of(&dir)?)?;
    let target = match at {
        Some(at) => Target::Time(at),
        None => Target::Point(&extra.restore_point),
    };
    lay_down(&rest, &extra, pgdata, target).await?;
    Ok(Restored {
        archive: manifest.id.clone(),
        kind: manifest.kind,
        as_of: at.unwrap_or(manifest.taken_at),
        segments: 0,
        commits: 0,
        trust: trust.describe(),
    })
}

/// What a verification remembers of an archive it found sound.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Remembered {
    id: String,
    /// The sha256 of the manifest verified: another manifest is another archive.
    manifest_sha256: String,
    tables: usize,
    journal_entries: u64,
    ledger: String,
}

/// Verify a PostgreSQL archive: the manifest's signature, the files'
/// checksums, `pgbackrest verify` (every file of every backup and every
/// WAL segment of the repository against pgBackRest's own checksums), then
/// a restore into `scratch` to the archive's restore point, a temporary
/// postgres on it (a free port, its unix socket in scratch, no archiving),
/// amcheck's `bt_index_check` on every btree index of the schema, `journal
/// verify`, `ledger check`, and the row counts and journal head against
/// the manifest. The temporary server is stopped and its directory in
/// scratch removed, whatever happens. The error names the first thing
/// wrong.
///
/// pgBackRest's verify reads every file again each time, so the restore
/// and what is checked on it are remembered instead (in
/// `scratch/<id>.pg-verified.json`): an archive is immutable once made,
/// and unless `full` a later run repeats only the signature, checksums and
/// `pgbackrest verify`.
pub async fn verify(
    archive: &Path,
    pinned: Option<&str>,
    scratch: &Path,
    full: bool,
) -> anyhow::Result<Verified> {
    let (manifest, trust) = read_manifest(archive, pinned)?;
    let extra = extra_of(archive, &manifest)?;
    check_files(archive, &manifest)?;
    let rest = Rest::at(&root_of(archive)?)?;
    let segments = rest.verify().await?;

    std::fs::create_dir_all(scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let scratch = scratch.canonicalize()?;
    let state_path = scratch.join(format!("{}.pg-verified.json", manifest.id));
    let manifest_sha256 = hash_file(&archive.join(MANIFEST))?.1;
    let remembered: Option<Remembered> = if full {
        None
    } else {
        std::fs::read(&state_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .filter(|r: &Remembered| r.id == manifest.id && r.manifest_sha256 == manifest_sha256)
    };
    let verified = |r: &Remembered, base_checked: bool| Verified {
        archive: manifest.id.clone(),
        kind: manifest.kind,
        trust: trust.describe(),
        base_checked,
        segments_checked: segments,
        segments_remembered: 0,
        as_of: manifest.taken_at,
        tables: r.tables,
        journal_entries: r.journal_entries,
        ledger: r.ledger.clone(),
    };
    if let Some(r) = remembered {
        return Ok(verified(&r, false));
    }

    let work = scratch.join(format!("{}.pg", manifest.id));
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("removing the old {}", work.display()))?;
    }
    let outcome = async {
        private_dir(&work, rest.who)?;
        let pgdata = work.join("data");
        lay_down(&rest, &extra, &pgdata, Target::Point(&extra.restore_point)).await?;
        let bin = postgres_bin_dir(Some(&extra.major))?;
        let mut server = TempServer::start(
            &bin,
            rest.who,
            &work,
            &pgdata,
            (&extra.user, &extra.database),
        )
        .await?;
        let checked = check_restored(&server, &manifest, &extra).await;
        server.stop();
        checked
    }
    .await;
    let _ = std::fs::remove_dir_all(&work);
    let r = outcome?;
    let r = Remembered {
        id: manifest.id.clone(),
        manifest_sha256,
        ..r
    };
    std::fs::write(&state_path, serde_json::to_vec(&r)?)?;
    Ok(verified(&r, true))
}

/// The checks run on a restored, promoted copy, in order.
async fn check_restored(
    server: &TempServer,
    manifest: &Manifest,
    extra: &PgExtra,
) -> anyhow::Result<Remembered> {
    let url = server.url(&extra.user, &extra.database);
    let mut conn = pg_backup::connect(&url)
        .await
        .context("the restored database cannot be opened")?;
    let superuser = pg_backup::superuser(&mut conn).await?;
    let mut admin = pg_backup::connect(&server.url(&superuser, &extra.database))
        .await
        .with_context(|| format!("the restored database cannot be opened as {superuser}"))?;
    match pg_backup::check_btree_indexes(&mut admin, &extra.schema)
        .await
        .context("amcheck cannot be run")?
    {
        Ok(_) => {}
        Err((index, why)) => bail!("amcheck: index {index} is damaged: {why}"),
    }
    pg_backup::close(admin).await;

    let store = sunshine_store::Db::connect(&url)
        .await
        .map_err(|e| anyhow!("the restored store cannot be opened: {e}"))?;
    let journal = async {
        let mut c = store.read().await?;
        sunshine_store::journal::verify(&mut c).await
    }
    .await;
    let ledger = crate::card::check_ledger(&store).await;
    store.close().await;
    let journal_entries = match journal.map_err(|e| anyhow!("journal verify: {e}"))? {
        sunshine_store::journal::Verification::Intact { entries } => entries,
        sunshine_store::journal::Verification::Broken(b) => {
            bail!("journal verify: broken at entry {}: {}", b.seq, b.reason)
        }
    };
    let ledger = ledger.map_err(|why| anyhow!("ledger check: {why}"))?;

    let (counts, head) = pg_backup::facts(&mut conn, &extra.schema).await?;
    pg_backup::close(conn).await;
    super::compare_facts(manifest, &counts, head)?;
    Ok(Remembered {
        id: String::new(),
        manifest_sha256: String::new(),
        tables: counts.len(),
        journal_entries,
        ledger: ledger.summary(),
    })
}
