//! `sunshine backup …` and `serve --backup-to`: the commands that make,
//! list, verify and restore the platform's archives.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail};
use clap::Subcommand;
use sunshine_app::backup::{self, Opener};
use sunshine_app::App;

use crate::Cli;

#[derive(Subcommand, Clone)]
pub enum BackupCommand {
    /// Make an age key pair for encrypting archives: the identity (keep it
    /// apart from the archives) and the recipient to pass to --encrypt-to.
    Keygen,
    /// Print the platform's public signing key, to pin with --public-key.
    Key,
    /// PostgreSQL: configure pgBackRest for the cluster behind
    /// --database-url, with its repository in DIR, and check WAL archiving.
    Setup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Archive the store now, while it serves: one consistent moment.
    Create {
        /// The directory archives are kept in.
        #[arg(long)]
        to: PathBuf,
        /// Encrypt to this age recipient (age1…); may be given more than once.
        #[arg(
            long = "encrypt-to",
            env = "SUNSHINE_BACKUP_ENCRYPT_TO",
            value_delimiter = ','
        )]
        encrypt_to: Vec<String>,
    },
    /// List the archives in a directory.
    List {
        #[arg(long)]
        from: PathBuf,
    },
    /// Restore an archive somewhere of its own and check it: signature,
    /// checksums, integrity, row counts, the journal's chain and the ledger.
    Verify {
        /// An archive's directory.
        archive: PathBuf,
        /// The age identity file, for encrypted archives.
        #[arg(long)]
        identity: Option<PathBuf>,
        /// The platform's public key (hex) the archive must be signed with.
        #[arg(long)]
        public_key: Option<String>,
        /// Read everything again, not only what earlier verifications have not.
        #[arg(long)]
        full: bool,
        /// Where to restore for checking (default: .verify beside the archive).
        #[arg(long)]
        scratch: Option<PathBuf>,
    },
    /// Restore an archive (or the newest one in a directory that reaches
    /// --at) into the new, empty directory given with --data.
    Restore {
        archive: PathBuf,
        /// Stop at this moment (RFC 3339, e.g. 2026-12-02T10:15:00+08:00).
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        identity: Option<PathBuf>,
        #[arg(long)]
        public_key: Option<String>,
    },
}

/// `serve --backup-to`: continuous backup while serving.
#[derive(clap::Args, Clone)]
pub struct BackupFlags {
    /// Keep a continuous backup here: the log shipped within a second of
    /// each commit, new bases, retention and a daily restore drill.
    #[arg(long, env = "SUNSHINE_BACKUP_TO")]
    pub backup_to: Option<PathBuf>,
    /// Encrypt the backup to these age recipients (comma-separated).
    #[arg(long, env = "SUNSHINE_BACKUP_ENCRYPT_TO", value_delimiter = ',')]
    pub backup_encrypt_to: Vec<String>,
    /// The age identity file the restore drill opens encrypted archives with.
    #[arg(long, env = "SUNSHINE_BACKUP_IDENTITY")]
    pub backup_identity: Option<PathBuf>,
    /// Hours between new bases (full copies).
    #[arg(long, env = "SUNSHINE_BACKUP_BASE_HOURS", default_value_t = 24.0)]
    pub backup_base_hours: f64,
    /// Hours between restore drills.
    #[arg(long, env = "SUNSHINE_BACKUP_DRILL_HOURS", default_value_t = 24.0)]
    pub backup_drill_hours: f64,
    /// Hours during which any moment stays restorable.
    #[arg(long, env = "SUNSHINE_BACKUP_KEEP_HOURS", default_value_t = 48)]
    pub backup_keep_hours: i64,
    /// Days for which one base a day is kept.
    #[arg(long, env = "SUNSHINE_BACKUP_KEEP_DAYS", default_value_t = 30)]
    pub backup_keep_days: i64,
    /// Months for which one base a month is kept.
    #[arg(long, env = "SUNSHINE_BACKUP_KEEP_MONTHS", default_value_t = 12)]
    pub backup_keep_months: i64,
}

fn hours(h: f64, what: &str) -> anyhow::Result<Duration> {
    if !(h.is_finite() && h > 0.0 && h <= 24.0 * 366.0) {
        bail!("{what} must be a number of hours above 0 and at most a year, not {h}");
    }
    Ok(Duration::from_secs_f64(h * 3600.0))
}

impl BackupFlags {
    /// Whether the store must be opened for a replica.
    pub fn replicates(&self, cli: &Cli) -> anyhow::Result<bool> {
        match (&self.backup_to, &cli.database_url) {
            (None, _) => Ok(false),
            (Some(_), None) => Ok(true),
            (Some(_), Some(_)) => bail!(
                "--backup-to is the embedded store's continuous backup; PostgreSQL's WAL is \
                 archived by pgBackRest: run `sunshine backup setup` once, then \
                 `sunshine backup create` on a schedule"
            ),
        }
    }

    /// Start the continuous backup, if asked for.
    pub async fn start(&self, app: &Arc<App>, cli: &Cli) -> anyhow::Result<()> {
        let Some(root) = &self.backup_to else {
            return Ok(());
        };
        let opener = match &self.backup_identity {
            Some(f) => Opener::from_file(f)?,
            None if !self.backup_encrypt_to.is_empty() => bail!(
                "an encrypted backup needs --backup-identity too, so the daily drill can open it"
            ),
            None => Opener::default(),
        };
        let config = backup::service::BackupConfig {
            root: root.clone(),
            recipients: self.backup_encrypt_to.clone(),
            opener,
            plan: sunshine_domain::backup::RetentionPlan {
                continuous_hours: self.backup_keep_hours.max(1),
                daily: self.backup_keep_days.max(0),
                monthly: self.backup_keep_months.max(0),
            },
            schedule: sunshine_store::replica::Schedule {
                base_every: hours(self.backup_base_hours, "--backup-base-hours")?,
                ..Default::default()
            },
            drill_every: hours(self.backup_drill_hours, "--backup-drill-hours")?,
            scratch: cli.data.join("backup-drill"),
        };
        app.start_backup(config)
            .await
            .map_err(|e| anyhow!("starting the backup: {e}"))?;
        println!("Continuous backup to {}", root.display());
        Ok(())
    }
}

fn opener(identity: &Option<PathBuf>) -> anyhow::Result<Opener> {
    identity
        .as_deref()
        .map(Opener::from_file)
        .transpose()
        .map(Option::unwrap_or_default)
}

fn parse_at(at: &Option<String>) -> anyhow::Result<Option<jiff::Timestamp>> {
    at.as_deref()
        .map(|s| {
            s.parse::<jiff::Timestamp>().map_err(|e| {
                anyhow!(
                    "--at {s:?} is not an RFC 3339 moment (e.g. 2026-12-02T10:15:00+08:00): {e}"
                )
            })
        })
        .transpose()
}

fn default_scratch(archive: &Path) -> PathBuf {
    archive
        .parent()
        .map(|p| p.join(".verify"))
        .unwrap_or_else(|| PathBuf::from(".verify"))
}

pub async fn run(cli: &Cli, command: &BackupCommand, data_given: bool) -> anyhow::Result<ExitCode> {
    match command {
        BackupCommand::Keygen => {
            let (identity, recipient) = backup::keygen();
            println!("# recipient (pass to --encrypt-to): {recipient}");
            println!("{identity}");
        }
        BackupCommand::Key => {
            let app = crate::open_app(cli).await?;
            let sealer = app.backup_sealer(&[]).await.map_err(|e| anyhow!("{e}"))?;
            println!("{}", sealer.public_key());
        }
        BackupCommand::Setup { to } => {
            let Some(url) = &cli.database_url else {
                bail!(
                    "setup is for PostgreSQL (give --database-url); the embedded store needs none: \
                     `serve --backup-to DIR` or `backup create --to DIR`"
                );
            };
            println!("{}", backup::pg::setup(url, to).await?);
        }
        BackupCommand::Create { to, encrypt_to } => create(cli, to, encrypt_to).await?,
        BackupCommand::List { from } => list(from)?,
        BackupCommand::Verify {
            archive,
            identity,
            public_key,
            full,
            scratch,
        } => {
            return verify(
                archive,
                identity,
                public_key.as_deref(),
                *full,
                scratch.clone(),
            )
            .await
        }
        BackupCommand::Restore {
            archive,
            at,
            identity,
            public_key,
        } => {
            if !data_given {
                bail!("say where to restore: --data NEWDIR (a new, empty directory)");
            }
            restore(cli, archive, at, identity, public_key).await?
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `backup create`: archive the store now, into `to`.
async fn create(cli: &Cli, to: &Path, encrypt_to: &[String]) -> anyhow::Result<()> {
    let app = crate::open_app(cli).await?;
    let sealer = app
        .backup_sealer(encrypt_to)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let manifest = match &cli.database_url {
        None => {
            let file = app
                .db
                .file()
                .ok_or_else(|| anyhow!("the embedded store has no file"))?
                .to_path_buf();
            let scratch = cli.data.join("backup-scratch");
            tokio::task::spawn_blocking({
                let to = to.to_path_buf();
                move || backup::archive::create_snapshot(&file, &to, &scratch, &sealer)
            })
            .await??
        }
        Some(url) => backup::pg::create(url, to, &sealer).await?,
    };
    println!(
        "archive {} made in {}: {} tables, {} rows, {} bytes{}",
        manifest.id,
        to.display(),
        manifest.row_counts.len(),
        manifest.row_counts.values().sum::<i64>(),
        manifest.files.iter().map(|f| f.bytes).sum::<u64>(),
        if manifest.encrypted_to.is_empty() {
            ""
        } else {
            ", encrypted"
        }
    );
    Ok(())
}

/// `backup list`: the archives in `from`, one a line.
fn list(from: &Path) -> anyhow::Result<()> {
    let archives = backup::list(from)?;
    if archives.is_empty() {
        println!("no archive in {}", from.display());
    }
    for a in archives {
        match &a.problem {
            Some(p) => println!("{:<24} UNREADABLE: {p}", a.id),
            None => println!(
                "{:<24} {:<11} {:<8} {} … {}  {:>12} bytes{}",
                a.id,
                a.kind.as_str(),
                a.backend,
                a.taken_at,
                a.until,
                a.bytes,
                if a.encrypted { "  encrypted" } else { "" }
            ),
        }
    }
    Ok(())
}

/// `backup verify`: restore an archive in `scratch` and check it; exit
/// code 2 when it fails.
async fn verify(
    archive: &Path,
    identity: &Option<PathBuf>,
    public_key: Option<&str>,
    full: bool,
    scratch: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let scratch = scratch.unwrap_or_else(|| default_scratch(archive));
    let manifest = backup::read_manifest(archive, public_key)
        .map_err(|e| anyhow!("{}: {e:#}", archive.display()));
    let verified = match manifest.map(|(m, _)| m.backend) {
        Err(e) => Err(e),
        Ok(b) if b == "postgres" => backup::pg::verify(archive, public_key, &scratch, full).await,
        Ok(_) => {
            backup::restore::verify_sqlite(archive, &opener(identity)?, public_key, &scratch, full)
                .await
        }
    };
    match verified {
        Ok(v) => println!(
            "archive {} verified ({}): {}; {} log segments checked now, {} remembered; as of {}; {} tables match the manifest; journal intact ({} entries); ledger sound ({})",
            v.archive,
            v.trust,
            if v.base_checked { "base read and checked" } else { "base remembered" },
            v.segments_checked,
            v.segments_remembered,
            v.as_of,
            v.tables,
            v.journal_entries,
            v.ledger
        ),
        Err(e) => {
            println!("archive {} FAILED verification: {e:#}", archive.display());
            return Ok(ExitCode::from(2));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `backup restore`: an archive, or the newest one reaching `at`, into the
/// data directory.
async fn restore(
    cli: &Cli,
    archive: &Path,
    at: &Option<String>,
    identity: &Option<PathBuf>,
    public_key: &Option<String>,
) -> anyhow::Result<()> {
    let at = parse_at(at)?;
    let restored = match &cli.database_url {
        Some(_) => bail!(
            "a PostgreSQL archive restores into a new data directory given with --data; \
             leave out --database-url"
        ),
        None => {
            let chosen = backup::restore::choose(archive, at)?;
            let (m, _) = backup::read_manifest(&chosen, public_key.as_deref())?;
            if m.backend == "postgres" {
                backup::pg::restore(&chosen, &cli.data, at, public_key.as_deref()).await?
            } else {
                let (archive, data, opener, key) = (
                    archive.to_path_buf(),
                    cli.data.clone(),
                    opener(identity)?,
                    public_key.clone(),
                );
                tokio::task::spawn_blocking(move || {
                    backup::restore::restore_sqlite(&archive, &data, at, &opener, key.as_deref())
                })
                .await??
            }
        }
    };
    println!(
        "restored {} ({}) into {} as of {}: {} log segments, {} commits applied; {}",
        restored.archive,
        restored.kind.as_str(),
        cli.data.display(),
        restored.as_of,
        restored.segments,
        restored.commits,
        restored.trust
    );
    println!(
        "the organisations' signing keys in it are sealed: serve it with the same \
         key-encryption key (--key-encryption-key, or the key file of the old data directory)"
    );
    Ok(())
}
