//! The centre's schedule: re-reading kept blobs, warning on overdue
//! systems, letting abandoned uploads go.

use std::path::PathBuf;

use serde_json::json;
use sunshine_domain::backup_centre::RpoStatus;
use sunshine_domain::identity::{Actor, CityService};
use sunshine_domain::ids::OrgCode;
use sunshine_domain::supervision::RuleCode;
use sunshine_store::backup_centre::{self as store};
use sunshine_store::supervision::WatchedCase;
use sunshine_store::WriteTx;

use crate::journal_entry::{entry, system_actor};
use crate::{App, Result};

use super::*;

impl App {
    /// Re-read the kept blobs and check their SHA-256 (bit rot): those not
    /// read in the last day, or every one when `all`. Damage found is
    /// recorded and raises a `backup.damaged` warning on the centre, once
    /// per archive. A keeper asks it; the schedule runs it without one.
    pub async fn verify_backup_archives(
        &self,
        actor: Option<&Actor>,
        all: bool,
    ) -> Result<Verification> {
        if let Some(actor) = actor {
            self.keep_backups(actor)?;
        }
        let dir = self.centre_dir()?;
        let mut found = Verification::default();
        let now = self.now_micros();
        let before = if all { now + 1 } else { now - VERIFY_EVERY };
        let centre = self.orgs().centre(CityService::BackupCentre);
        let mut after = String::new();
        loop {
            let page = {
                let mut conn = self.db.read().await?;
                store::blobs_to_verify(&mut conn, before, &after, VERIFY_PAGE).await?
            };
            let Some((last, _, _)) = page.last() else {
                return Ok(found);
            };
            after = last.clone();
            let checked = {
                let dir = dir.clone();
                blocking(move || {
                    page.into_iter()
                        .map(|(sha, size, _)| {
                            let good = hash_file(&blob_path(&dir, &sha))
                                .is_some_and(|(h, n)| h == sha && n == size);
                            (sha, !good)
                        })
                        .collect::<Vec<_>>()
                })
                .await?
            };
            found.checked += checked.len();
            let damaged: Vec<String> = checked
                .iter()
                .filter(|(_, d)| *d)
                .map(|(s, _)| s.clone())
                .collect();
            found.damaged.extend(damaged.iter().cloned());
            let (calendar, centre) = (self.calendar.clone(), centre.clone());
            let now = self.now_micros();
            self.db
                .write(async move |tx: &mut WriteTx| -> Result<()> {
                    for (sha, damaged) in &checked {
                        store::set_verified(tx.conn(), sha, *damaged, now).await?;
                    }
                    tx.journal(
                        now,
                        entry(
                            &system_actor(),
                            "backup-centre/verification".into(),
                            "backup_centre.verified",
                            json!({"checked": checked.len(), "damaged": damaged}),
                        ),
                    )
                    .await?;
                    let Some(centre) = centre else { return Ok(()) };
                    for sha in &damaged {
                        for (archive, system) in store::archives_of_blob(tx.conn(), sha).await? {
                            raise(
                                tx,
                                &calendar,
                                RuleCode::BackupDamaged,
                                system,
                                &centre,
                                archive,
                                now,
                            )
                            .await?;
                        }
                    }
                    Ok(())
                })
                .await?;
        }
    }

    /// Raise a `backup.overdue` warning on the department of every system
    /// past its RPO and grace: one per system and last good backup, so a
    /// second round raises nothing new and a system that recovers and falls
    /// behind again is warned again. The number raised.
    pub async fn raise_overdue_backups(&self) -> Result<usize> {
        let now = self.now_micros();
        let overdue: Vec<(i64, String, i64, i64)> = self
            .all_system_views()
            .await?
            .into_iter()
            .filter(|s| s.status == RpoStatus::Overdue)
            .map(|s| {
                let last_good = s.last_good_at.unwrap_or(0);
                (s.id, s.department, s.overdue_at, last_good)
            })
            .collect();
        if overdue.is_empty() {
            return Ok(0);
        }
        let calendar = self.calendar.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<usize> {
                let mut raised = 0;
                for (id, department, due, last_good) in overdue {
                    let Ok(department) = OrgCode::parse(&department) else {
                        continue;
                    };
                    // The episode: the backup it has fallen behind since.
                    let cause = last_good / 1_000_000;
                    if raise_at(
                        tx,
                        &calendar,
                        RuleCode::BackupOverdue,
                        id,
                        &department,
                        cause,
                        (due, now),
                    )
                    .await?
                    {
                        raised += 1;
                    }
                }
                Ok(raised)
            })
            .await
    }

    /// Remove uploads abandoned for a day, and their parts. The number removed.
    pub async fn expire_backup_uploads(&self) -> Result<usize> {
        let now = self.now_micros();
        let expired = {
            let mut conn = self.db.read().await?;
            store::expired_uploads(&mut conn, now).await?
        };
        if expired.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = expired.iter().map(|u| u.id).collect();
        let gone = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<Vec<i64>> {
                let mut gone = vec![];
                for id in ids {
                    if store::delete_upload(tx.conn(), id).await? {
                        tx.journal(
                            now,
                            entry(
                                &system_actor(),
                                format!("backup-centre/upload/{id}"),
                                "backup_centre.upload_expired",
                                json!({}),
                            ),
                        )
                        .await?;
                        gone.push(id);
                    }
                }
                Ok(gone)
            })
            .await?;
        if let Ok(dir) = self.centre_dir() {
            let paths: Vec<PathBuf> = gone.iter().map(|id| part_path(&dir, *id)).collect();
            blocking(move || {
                for p in paths {
                    let _ = std::fs::remove_file(p);
                }
            })
            .await?;
        }
        Ok(gone.len())
    }

    /// The centre's schedule, once a minute in a serving process: abandoned
    /// uploads go, the blobs not re-read for a day are, overdue systems are warned.
    pub async fn run_backup_centre(&self) -> Result<()> {
        self.expire_backup_uploads().await?;
        if self.centre_dir().is_ok() {
            self.verify_backup_archives(None, false).await?;
        }
        self.raise_overdue_backups().await?;
        Ok(())
    }
}

/// Raise a warning of `rule` about a system on `org`, for `cause` (an
/// archive, or the backup a system fell behind since), as of now.
async fn raise(
    tx: &mut WriteTx,
    calendar: &sunshine_domain::calendar::Calendar,
    rule: RuleCode,
    system: i64,
    org: &OrgCode,
    cause: i64,
    now: i64,
) -> Result<bool> {
    raise_at(tx, calendar, rule, system, org, cause, (now, now)).await
}

/// Through supervision's own signals: the subject is `backup/<system>`, so
/// the same rule, system and cause never raise twice.
async fn raise_at(
    tx: &mut WriteTx,
    calendar: &sunshine_domain::calendar::Calendar,
    rule: RuleCode,
    system: i64,
    org: &OrgCode,
    cause: i64,
    at: (i64, i64),
) -> Result<bool> {
    let (version, set) = sunshine_store::supervision::rules(tx.conn()).await?;
    let Some(level) = set.level(rule) else {
        return Ok(false);
    };
    let watched = WatchedCase {
        number: signal_subject(system),
        department: org.to_string(),
        region: org.region().to_string(),
        version_id: 0,
        responsible: None,
        last_seq: 0,
        trace: Default::default(),
    };
    let issued = crate::supervision::issue(
        tx,
        calendar,
        &watched,
        (version, &set),
        (rule, level),
        (-1, cause),
        vec![],
        at,
    )
    .await?;
    Ok(issued.is_some())
}
