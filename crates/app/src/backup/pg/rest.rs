//! pgBackRest as a backup root holds it: its commands, what it lists, what
//! its verify says.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

use super::programs::{pgbackrest_bin, run, RunAs};
use super::{CONFIG, REPOSITORY, STANZA};

/// A backup root's pgBackRest: its configuration, repository and user.
pub(super) struct Rest {
    pub(super) root: PathBuf,
    pub(super) bin: PathBuf,
    pub(super) who: RunAs,
}

/// One backup as `pgbackrest info` lists it.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct InfoBackup {
    pub(super) label: String,
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) archive: InfoWal,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct InfoWal {
    pub(super) start: Option<String>,
    pub(super) stop: Option<String>,
}

impl Rest {
    /// The pgBackRest set up in the backup root `root` by [`setup`].
    pub(super) fn at(root: &Path) -> anyhow::Result<Rest> {
        let root = root
            .canonicalize()
            .with_context(|| format!("{}: no backup root", root.display()))?;
        if !root.join(CONFIG).is_file() || !root.join(REPOSITORY).is_dir() {
            bail!(
                "{}: pgBackRest is not set up there (no {CONFIG} and {REPOSITORY}/): run `sunshine backup setup` first",
                root.display()
            );
        }
        Ok(Rest {
            who: RunAs::owner_of(&root.join(REPOSITORY))?,
            bin: pgbackrest_bin()?,
            root,
        })
    }

    pub(super) fn repository(&self) -> PathBuf {
        self.root.join(REPOSITORY)
    }

    /// `pgbackrest` with the root's configuration and stanza, the
    /// repository's path given again so that a root moved elsewhere is
    /// still read where it is (the lock path is not valid for every command).
    fn command(&self, args: &[&str]) -> std::process::Command {
        let repo = self.repository();
        let mut c = self.who.command(&self.bin);
        c.arg(format!("--config={}", self.root.join(CONFIG).display()))
            .arg(format!("--repo1-path={}", repo.display()))
            .arg(format!("--log-path={}", repo.join("log").display()))
            .arg(format!("--stanza={STANZA}"))
            .args(args);
        c
    }

    pub(super) async fn run(&self, args: &[&str]) -> anyhow::Result<String> {
        let what = format!("pgbackrest {}", args.last().copied().unwrap_or_default());
        run(self.command(args), &what).await
    }

    /// The stanza's backups, oldest first.
    pub(super) async fn backups(&self) -> anyhow::Result<Vec<InfoBackup>> {
        #[derive(Deserialize)]
        struct Stanza {
            #[serde(default)]
            backup: Vec<InfoBackup>,
        }
        let out = self.run(&["--output=json", "info"]).await?;
        let stanzas: Vec<Stanza> = serde_json::from_str(&out)
            .with_context(|| format!("pgbackrest info: not the JSON expected: {out}"))?;
        Ok(stanzas.into_iter().flat_map(|s| s.backup).collect())
    }

    /// `pgbackrest verify` over the whole repository: the WAL segments it
    /// checked, or its first complaint. (It exits 0 even when it finds
    /// damage: what it prints decides.)
    pub(super) async fn verify(&self) -> anyhow::Result<usize> {
        let out = self
            .run(&[
                "--output=text",
                "--verbose",
                "--log-level-console=info",
                "--no-log-timestamp",
                "verify",
            ])
            .await?;
        if out.contains("status: error") {
            let complaint = out
                .lines()
                .map(str::trim)
                .find(|l| {
                    l.contains(" INFO: ") && !l.contains("verify command") && !l.contains("stanza:")
                })
                .map(|l| l.split_once(" INFO: ").map_or(l, |(_, m)| m).to_string())
                .or_else(|| {
                    out.lines()
                        .map(str::trim)
                        .find(|l| l.contains("status: invalid"))
                        .map(str::to_string)
                })
                .unwrap_or_else(|| out.trim().to_string());
            bail!("pgbackrest verify: {complaint}");
        }
        let wal = out
            .lines()
            .filter_map(|l| l.split_once("total WAL checked: "))
            .filter_map(|(_, rest)| rest.split(',').next()?.trim().parse::<usize>().ok())
            .sum();
        Ok(wal)
    }
}
