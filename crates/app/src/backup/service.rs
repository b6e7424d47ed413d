//! `serve --backup-to`: the replica that ships the log, the retention plan
//! that prunes old generations, and the daily restore drill; and what the
//! staff page and `/metrics` show of them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use sunshine_domain::backup::{rpo_millis, Keep, RetentionPlan};
use sunshine_domain::policy::Action;
use sunshine_store::replica::Schedule;

use super::archive::{GenerationSink, INDEX};
use super::{list, ArchiveKind, Opener, Sealer};
use crate::{App, Result};
use sunshine_domain::identity::Actor;

/// How `serve` keeps its backup.
#[derive(Debug, Clone)]
pub struct BackupConfig {
    /// Where generations are written.
    pub root: PathBuf,
    /// age recipients to encrypt to (none: plain).
    pub recipients: Vec<String>,
    /// Identities that open the archives, for the drill when they are encrypted.
    pub opener: Opener,
    pub plan: RetentionPlan,
    pub schedule: Schedule,
    /// How often the restore drill runs.
    pub drill_every: Duration,
    /// Where drills restore to (kept between drills, so each applies only what is new).
    pub scratch: PathBuf,
}

/// The last restore drill.
#[derive(Debug, Clone, Serialize)]
pub struct Drill {
    pub at: jiff::Timestamp,
    pub archive: String,
    pub ok: bool,
    /// What was checked, or the first thing found wrong.
    pub message: String,
    /// The moment the drill restored to, when it passed.
    pub as_of: Option<jiff::Timestamp>,
    /// Journal entries whose chain held, when it passed.
    pub journal_entries: u64,
    pub seconds: f64,
    /// Segments the drill applied this time, and those it remembered.
    pub segments_checked: usize,
    pub segments_remembered: usize,
}

/// What the backup stands at, for the page and `/metrics`.
#[derive(Debug, Clone, Serialize)]
pub struct BackupStatus {
    pub target: String,
    pub encrypted: bool,
    /// The newest moment a restore can reach.
    pub last_good: Option<jiff::Timestamp>,
    /// How far behind the store the backup is now (ms), if it has a moment.
    pub behind_ms: Option<i64>,
    /// The longest a commit waited to reach the backup, over the last minute (ms).
    pub rpo_recent_ms: i64,
    /// The same over the process's life (ms).
    pub rpo_worst_ms: i64,
    pub generations: Vec<GenerationRow>,
    pub last_error: Option<String>,
    pub last_drill: Option<Drill>,
    pub plan: RetentionPlan,
}

#[derive(Debug, Clone, Serialize)]
pub struct GenerationRow {
    pub id: String,
    pub kind: ArchiveKind,
    pub taken_at: jiff::Timestamp,
    pub until: jiff::Timestamp,
    pub bytes: u64,
    /// Whether its log is kept (any moment restorable) or only its base.
    pub continuous: bool,
}

pub(crate) struct BackupService {
    config: BackupConfig,
    drill: Mutex<Option<Drill>>,
}

impl App {
    /// The platform's signing key (the root organisation's, made on first
    /// use), with the recipients archives are encrypted to.
    pub async fn backup_sealer(&self, recipients: &[String]) -> Result<Sealer> {
        let recipients = recipients
            .iter()
            .map(|r| super::parse_recipient(r))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let org = self
            .orgs()
            .tree
            .root()
            .ok_or_else(|| anyhow::anyhow!("the platform has no root organisation yet"))?
            .to_string();
        let (kek, keys, now) = (self.kek.clone(), self.keys.clone(), self.now_micros());
        let issuer = org.clone();
        let key = self
            .db
            .write(async move |tx| {
                crate::licence::org_signing_key(tx, &kek, &keys, &issuer, now).await
            })
            .await?;
        Ok(Sealer::new(key, org, recipients))
    }

    /// Start the continuous backup: the replica on this store (opened for
    /// one), and the task that prunes and drills.
    pub async fn start_backup(self: &Arc<Self>, config: BackupConfig) -> Result<()> {
        let sealer = self.backup_sealer(&config.recipients).await?;
        let sink = GenerationSink::new(config.root.clone(), sealer)?;
        self.db.start_replica(Box::new(sink), config.schedule)?;
        let service = Arc::new(BackupService {
            config,
            drill: Mutex::new(None),
        });
        if self.backup.set(service.clone()).is_err() {
            return Err(anyhow::anyhow!("the backup is already running").into());
        }
        let app = Arc::downgrade(self);
        tokio::spawn(async move {
            let started = Instant::now();
            let mut last_drill: Option<Instant> = None;
            let mut last_prune: Option<Instant> = None;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let Some(app) = app.upgrade() else { return };
                if app.db.is_closed() {
                    return;
                }
                app.publish_backup_metrics();
                // Listing reads every generation's index: once a minute, not a second.
                if last_prune.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                    last_prune = Some(Instant::now());
                    if let Err(e) = service.prune() {
                        tracing::warn!(error = %e, "backup retention");
                    }
                }
                // The first drill once the first base is sealed; then on schedule.
                let sealed = app
                    .db
                    .replica_status()
                    .is_some_and(|s| s.base_sealed_us.is_some());
                let due = match last_drill {
                    None => sealed && started.elapsed() >= Duration::from_secs(5),
                    Some(t) => t.elapsed() >= service.config.drill_every,
                };
                if due {
                    last_drill = Some(Instant::now());
                    let _ = app.backup_drill().await;
                }
            }
        });
        Ok(())
    }

    /// Restore the newest generation into the drill's scratch place and
    /// verify it (applying only what earlier drills have not).
    pub async fn backup_drill(&self) -> Result<Drill> {
        let service = self
            .backup
            .get()
            .ok_or_else(|| anyhow::anyhow!("no backup is configured (serve --backup-to)"))?
            .clone();
        let started = Instant::now();
        let newest = list(&service.config.root)?
            .into_iter()
            .filter(|a| a.problem.is_none())
            .max_by_key(|a| a.taken_at);
        let Some(newest) = newest else {
            return Err(anyhow::anyhow!("no generation is sealed yet").into());
        };
        let outcome = super::restore::verify_sqlite(
            &newest.path,
            &service.config.opener,
            None,
            &service.config.scratch,
            false,
        )
        .await;
        let drill = match outcome {
            Ok(v) => Drill {
                at: jiff::Timestamp::now(),
                archive: v.archive,
                ok: true,
                message: format!(
                    "restored to {}; integrity, row counts, journal ({} entries) and ledger ({}) hold",
                    v.as_of, v.journal_entries, v.ledger
                ),
                seconds: started.elapsed().as_secs_f64(),
                segments_checked: v.segments_checked,
                segments_remembered: v.segments_remembered,
                as_of: Some(v.as_of),
                journal_entries: v.journal_entries,
            },
            Err(e) => Drill {
                at: jiff::Timestamp::now(),
                archive: newest.id,
                ok: false,
                message: format!("{e:#}"),
                seconds: started.elapsed().as_secs_f64(),
                segments_checked: 0,
                segments_remembered: 0,
                as_of: None,
                journal_entries: 0,
            },
        };
        if !drill.ok {
            tracing::error!(archive = %drill.archive, why = %drill.message, "backup restore drill FAILED");
        }
        if let Ok(mut d) = service.drill.lock() {
            *d = Some(drill.clone());
        }
        self.publish_backup_metrics();
        Ok(drill)
    }

    /// Whether `actor` may see the platform's backup (its administrators).
    pub fn may_see_backup(&self, actor: &Actor) -> bool {
        self.authorize(actor, &Action::ConfigurePlatform).is_ok()
    }

    /// The backup's state, for its administrators; `None` when `serve` keeps none.
    pub fn backup_status(&self, actor: &Actor) -> Result<Option<BackupStatus>> {
        self.authorize(actor, &Action::ConfigurePlatform)?;
        Ok(self.backup_state())
    }

    fn backup_state(&self) -> Option<BackupStatus> {
        let service = self.backup.get()?;
        let replica = self.db.replica_status().unwrap_or_default();
        let archives = list(&service.config.root).unwrap_or_default();
        let generations: Vec<GenerationRow> = archives
            .iter()
            .filter(|a| a.problem.is_none())
            .map(|a| GenerationRow {
                id: a.id.clone(),
                kind: a.kind,
                taken_at: a.taken_at,
                until: a.until,
                bytes: a.bytes,
                continuous: a.path.join(INDEX).exists(),
            })
            .collect();
        let last_good = replica
            .last_shipped_us
            .and_then(|us| jiff::Timestamp::from_microsecond(us).ok())
            .into_iter()
            .chain(generations.iter().map(|g| g.until))
            .max();
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Some(BackupStatus {
            target: service.config.root.display().to_string(),
            encrypted: !service.config.recipients.is_empty(),
            last_good,
            behind_ms: last_good.map(|t| rpo_millis(jiff::Timestamp::now(), t)),
            rpo_recent_ms: ms(replica.rpo_recent),
            rpo_worst_ms: ms(replica.rpo_worst),
            generations,
            last_error: replica.last_error,
            last_drill: service.drill.lock().ok().and_then(|d| d.clone()),
            plan: service.config.plan,
        })
    }

    /// Set the backup's gauges for `/metrics`.
    pub fn publish_backup_metrics(&self) {
        // From what the replica and the drill hold in memory: the archives
        // are not listed for this (the generations' gauge is set by `prune`).
        let Some(service) = self.backup.get() else {
            return;
        };
        let replica = self.db.replica_status().unwrap_or_default();
        if let Some(us) = replica.last_shipped_us.or(replica.base_sealed_us) {
            metrics::gauge!("sunshine_backup_last_good_timestamp_seconds").set(us as f64 / 1e6);
        }
        let secs = |d: Duration| d.as_secs_f64();
        metrics::gauge!("sunshine_backup_rpo_recent_seconds").set(secs(replica.rpo_recent));
        metrics::gauge!("sunshine_backup_rpo_worst_seconds").set(secs(replica.rpo_worst));
        metrics::gauge!("sunshine_backup_error").set(if replica.last_error.is_some() {
            1.0
        } else {
            0.0
        });
        if let Some(d) = service.drill.lock().ok().and_then(|d| d.clone()) {
            metrics::gauge!("sunshine_backup_drill_ok").set(if d.ok { 1.0 } else { 0.0 });
            metrics::gauge!("sunshine_backup_drill_timestamp_seconds")
                .set(d.at.as_millisecond() as f64 / 1000.0);
            metrics::gauge!("sunshine_backup_drill_duration_seconds").set(d.seconds);
        }
    }
}

impl BackupService {
    /// Apply the retention plan to the generations under the root.
    fn prune(&self) -> anyhow::Result<()> {
        let archives: Vec<_> = list(&self.config.root)?
            .into_iter()
            .filter(|a| a.problem.is_none() && a.kind == ArchiveKind::Continuous)
            .collect();
        let moments: Vec<_> = archives.iter().map(|a| a.taken_at).collect();
        let decisions = self.config.plan.decide(&moments, jiff::Timestamp::now());
        let kept = decisions.iter().filter(|k| **k != Keep::Drop).count();
        metrics::gauge!("sunshine_backup_generations").set(kept as f64);
        for (a, keep) in archives.iter().zip(decisions) {
            match keep {
                Keep::Whole => {}
                Keep::BaseOnly => {
                    if a.path.join(INDEX).exists() {
                        tracing::info!(generation = %a.id, "backup: its log leaves the continuous window; its base stays");
                        std::fs::remove_file(a.path.join(INDEX))?;
                        let _ = std::fs::remove_dir_all(a.path.join("wal"));
                        let _ = std::fs::remove_dir_all(self.config.scratch.join(&a.id));
                    }
                }
                Keep::Drop => {
                    tracing::info!(generation = %a.id, "backup: past the retention plan, removed");
                    std::fs::remove_dir_all(&a.path)?;
                    let _ = std::fs::remove_dir_all(self.config.scratch.join(&a.id));
                }
            }
        }
        Ok(())
    }
}
