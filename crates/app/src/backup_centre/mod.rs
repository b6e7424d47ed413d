//! The backup centre (数据容灾集中备份中心): its keepers register the
//! departments' systems and their keys; each system sends its archives over
//! HTTP in signed, resumable uploads; the centre checks each on receipt,
//! keeps its bytes once per SHA-256 under `DIR/objects/ab/cdef…` within the
//! system's quota and retention, re-reads them on a schedule, and raises an
//! electronic-supervision warning on a department whose system's last good
//! backup is older than the RPO it promised (and the grace).
//!
//! Bytes go to files before the write that records them is queued, so the
//! writer never waits for a disk; a file that the write then refuses is
//! removed, or, for an upload's part, cut back to the recorded offset by the
//! next chunk.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use ed25519_dalek::SigningKey;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sunshine_domain::backup_centre::{self as rules, NewSystem, Retention, RpoStatus};
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::refusal::{Refusal, RefusalKind, Text};
use sunshine_store::backup_centre::{self as store, ArchiveRow, KeyRow, SystemRow, UploadRow};
use sunshine_store::WriteTx;

use crate::journal_entry::entry;
use crate::{App, CentreWork, Result};

mod schedule;
mod upload;

/// Where the centre keeps its files, and who is writing which.
#[derive(Clone, Default)]
pub struct CentreFiles {
    dir: Arc<RwLock<Option<PathBuf>>>,
    /// Uploads a chunk is being written to: one writer at a time each.
    busy: Arc<Mutex<HashSet<i64>>>,
    /// Held while blobs are added or removed, so that a blob being stored
    /// again is never removed beneath it.
    objects: Arc<tokio::sync::Mutex<()>>,
}

/// Blobs re-read per round of the schedule.
const VERIFY_PAGE: i64 = 200;
/// A blob is re-read once a day.
const VERIFY_EVERY: i64 = 24 * 3_600_000_000;

/// A system as the centre's pages and API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SystemView {
    pub id: i64,
    pub name: String,
    /// The owning department's code.
    pub department: String,
    pub data_size: i64,
    pub rpo_minutes: i64,
    pub rto_minutes: i64,
    pub link: String,
    pub quota: i64,
    pub retention: Retention,
    /// Microseconds since the epoch.
    pub registered_at: i64,
    /// What its archives take at the centre, each blob once.
    pub used: i64,
    pub archives: usize,
    /// When its newest undamaged archive was taken.
    pub last_good_at: Option<i64>,
    pub last_good_size: Option<i64>,
    /// Growth of its archives' size over the last seven days.
    pub growth_7d: Option<i64>,
    pub status: RpoStatus,
    /// The moment it is (or was) overdue from.
    pub overdue_at: i64,
    /// The last re-verification of its archives, and how many it found damaged.
    pub last_verified_at: Option<i64>,
    pub damaged: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    pub id: i64,
    /// ed25519, 64 hex digits.
    pub public_key: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_why: Option<String>,
}

impl From<KeyRow> for KeyView {
    fn from(k: KeyRow) -> Self {
        KeyView {
            id: k.id,
            public_key: k.public_key,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
            revoked_why: k.revoked_why,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArchiveView {
    pub id: i64,
    pub system_id: i64,
    pub name: String,
    pub taken_at: i64,
    pub size: i64,
    pub sha256: String,
    pub received_at: i64,
    pub verified_at: Option<i64>,
    pub damaged: bool,
}

impl From<ArchiveRow> for ArchiveView {
    fn from(a: ArchiveRow) -> Self {
        ArchiveView {
            id: a.id,
            system_id: a.system_id,
            name: a.name,
            taken_at: a.taken_at,
            size: a.size,
            sha256: a.sha256,
            received_at: a.received_at,
            verified_at: a.verified_at,
            damaged: a.damaged,
        }
    }
}

/// An upload under way: where it stands.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UploadView {
    pub id: i64,
    pub system_id: i64,
    pub name: String,
    pub size: i64,
    /// The bytes received so far: the next chunk goes here.
    pub offset: i64,
    pub expires_at: i64,
}

impl From<&UploadRow> for UploadView {
    fn from(u: &UploadRow) -> Self {
        UploadView {
            id: u.id,
            system_id: u.system_id,
            name: u.name.clone(),
            size: u.size,
            offset: u.received,
            expires_at: u.expires_at,
        }
    }
}

/// A system's page: the system, its archives, keys and uploads under way.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SystemDetail {
    pub system: SystemView,
    pub archives: Vec<ArchiveView>,
    pub keys: Vec<KeyView>,
    pub uploads: Vec<UploadView>,
}

/// A key put in force: with the private key when the centre made it,
/// shown this once and never kept.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedKey {
    pub key: KeyView,
    /// ed25519 private key (seed), 64 hex digits; only when the centre made the pair.
    pub private_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Registered {
    pub system: SystemView,
    pub key: IssuedKey,
}

/// What a round of re-verification found.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Verification {
    pub checked: usize,
    /// The SHA-256 of each blob found damaged or gone.
    pub damaged: Vec<String>,
}

/// A system's signed request, as it came: ed25519 over the method, the path
/// with its query, the timestamp (milliseconds) and the body's SHA-256.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub millis: i64,
    pub signature: &'a str,
    pub body: &'a [u8],
}

/// Sign a request as a department's system does (its own software, the
/// demo and the tests): the signature, hex.
pub fn sign_request(
    key: &SigningKey,
    method: &str,
    path_and_query: &str,
    millis: i64,
    body: &[u8],
) -> String {
    let m = rules::request_message(method, path_and_query, millis, body);
    sunshine_domain::card::signing::sign(key, &m)
}

/// Sign an archive's SHA-256 as its department does: the signature, hex.
pub fn sign_archive(key: &SigningKey, sha256_hex: &str) -> String {
    sunshine_domain::card::signing::sign(key, &rules::archive_message(sha256_hex))
}

fn system_not_found() -> crate::AppError {
    Refusal::not_found("备份系统", "Backup system").into()
}

fn upload_not_found() -> crate::AppError {
    Refusal::not_found("上传任务", "Upload").into()
}

fn replayed() -> crate::AppError {
    Refusal::new(
        RefusalKind::Unauthenticated,
        "replayed",
        Text::new(
            "该请求已被接收过，不能重放",
            "This request was received before and cannot be sent again",
        ),
    )
    .into()
}

fn new_key_pair() -> SigningKey {
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    SigningKey::from_bytes(&seed)
}

fn blob_path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join("objects").join(&sha256[..2]).join(&sha256[2..])
}

fn part_path(dir: &Path, upload: i64) -> PathBuf {
    dir.join("uploads").join(format!("{upload}.part"))
}

/// The SHA-256 of a file, read in pieces; `None` when it cannot be read.
fn hash_file(path: &Path) -> Option<(String, i64)> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0i64;
    loop {
        let got = f.read(&mut buf).ok()?;
        if got == 0 {
            break;
        }
        h.update(&buf[..got]);
        n += got as i64;
    }
    Some((hex::encode(h.finalize()), n))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| anyhow::anyhow!("file work: {e}").into())
}

impl App {
    /// Where the centre keeps its files (`DATA/centre`). Set at start.
    pub fn set_backup_centre_dir(&self, dir: PathBuf) {
        *self.centre.dir.write().unwrap_or_else(|p| p.into_inner()) = Some(dir);
    }

    pub(crate) fn centre_dir(&self) -> Result<PathBuf> {
        self.centre
            .dir
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| anyhow::anyhow!("the backup centre has no data directory").into())
    }

    /// Where a kept blob's bytes are (`DIR/objects/ab/cdef…`), for operators and tests.
    pub fn backup_blob_path(&self, sha256: &str) -> Result<PathBuf> {
        if !rules::is_sha256(sha256) {
            return Err(Refusal::field(
                "sha256",
                "SHA-256应为64位十六进制",
                "The SHA-256 is 64 hex digits",
            )
            .into());
        }
        Ok(blob_path(&self.centre_dir()?, &sha256.to_ascii_lowercase()))
    }

    fn keep_backups(&self, actor: &Actor) -> Result<()> {
        self.authorize_centre(actor, CentreWork::KeepBackups)
    }

    /// Register a department's system (a keeper): with the department's
    /// public key, or a key pair the centre makes, whose private key is
    /// shown this once.
    pub async fn register_backup_system(&self, actor: &Actor, s: NewSystem) -> Result<Registered> {
        self.keep_backups(actor)?;
        rules::check_new_system(&s)?;
        let department = OrgCode::parse(s.department.trim())
            .ok()
            .filter(|o| self.orgs().tree.contains(o))
            .ok_or_else(|| Refusal::field("department", "所属部门不存在", "No such department"))?;
        let (public_key, private_key) = match &s.public_key {
            Some(k) => (k.trim().to_ascii_lowercase(), None),
            None => {
                let pair = new_key_pair();
                (
                    hex::encode(pair.verifying_key().to_bytes()),
                    Some(hex::encode(pair.to_bytes())),
                )
            }
        };
        let now = self.now_micros();
        let row = SystemRow {
            id: 0,
            name: s.name.trim().to_string(),
            department: department.to_string(),
            data_size: s.data_size,
            rpo_minutes: s.rpo_minutes,
            rto_minutes: s.rto_minutes,
            link: s.link.trim().to_string(),
            quota: s.quota,
            keep_last: s.keep_last,
            keep_days: s.keep_days,
            registered_at: now,
            registered_by: actor.login.clone(),
        };
        let actor = actor.clone();
        let (id, key_id) = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<(i64, i64)> {
                    let id = match store::insert_system(tx.conn(), &row).await {
                        Err(sunshine_store::StoreError::Duplicate(_)) => {
                            return Err(Refusal::field(
                                "name",
                                "该部门已登记同名系统",
                                "The department already has a system of this name",
                            )
                            .into())
                        }
                        other => other?,
                    };
                    let key_id = store::insert_key(tx.conn(), id, &public_key, now).await?;
                    tx.journal(
                        now,
                        entry(
                            &actor,
                            format!("backup-centre/system/{id}"),
                            "backup_centre.system_registered",
                            json!({
                                "name": row.name, "department": row.department, "data_size": row.data_size,
                                "rpo_minutes": row.rpo_minutes, "rto_minutes": row.rto_minutes, "link": row.link,
                                "quota": row.quota, "keep_last": row.keep_last, "keep_days": row.keep_days,
                                "key": {"id": key_id, "public_key": public_key},
                            }),
                        ),
                    )
                    .await?;
                    Ok((id, key_id))
                })
            .await?;
        let mut conn = self.db.read().await?;
        let key = store::key(&mut conn, key_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("key {key_id} just stored"))?;
        drop(conn);
        let system = self.system_view_of(id).await?;
        Ok(Registered {
            system,
            key: IssuedKey {
                key: key.into(),
                private_key,
            },
        })
    }

    async fn system_view_of(&self, id: i64) -> Result<SystemView> {
        let mut conn = self.db.read().await?;
        let system = store::system(&mut conn, id)
            .await?
            .ok_or_else(system_not_found)?;
        let archives = store::archives(&mut conn, id).await?;
        let (used, _) = store::usage(&mut conn, id).await?;
        Ok(view(system, &archives, used, self.now_micros()))
    }

    /// Every system with its last good backup, growth and whether it meets
    /// its RPO (a keeper).
    pub async fn backup_systems(&self, actor: &Actor) -> Result<Vec<SystemView>> {
        self.keep_backups(actor)?;
        self.all_system_views().await
    }

    async fn all_system_views(&self) -> Result<Vec<SystemView>> {
        let mut conn = self.db.read().await?;
        let systems = store::systems(&mut conn).await?;
        let mut by_system: BTreeMap<i64, Vec<ArchiveRow>> = BTreeMap::new();
        for a in store::all_archives(&mut conn).await? {
            by_system.entry(a.system_id).or_default().push(a);
        }
        let now = self.now_micros();
        let mut out = vec![];
        for s in systems {
            let archives = by_system.remove(&s.id).unwrap_or_default();
            let mut seen = HashSet::new();
            let used = archives
                .iter()
                .filter(|a| seen.insert(a.sha256.clone()))
                .map(|a| a.size)
                .sum();
            out.push(view(s, &archives, used, now));
        }
        Ok(out)
    }

    /// One system with its archives, keys and uploads under way (a keeper).
    pub async fn backup_system(&self, actor: &Actor, id: i64) -> Result<SystemDetail> {
        self.keep_backups(actor)?;
        let system = self.system_view_of(id).await?;
        let mut conn = self.db.read().await?;
        Ok(SystemDetail {
            system,
            archives: store::archives(&mut conn, id)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
            keys: store::keys(&mut conn, id)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
            uploads: store::uploads_of(&mut conn, id)
                .await?
                .iter()
                .map(Into::into)
                .collect(),
        })
    }

    /// Put a new key in force for a system (a keeper), revoking those it
    /// had: the department's public key, or a pair the centre makes.
    pub async fn rotate_backup_key(
        &self,
        actor: &Actor,
        system_id: i64,
        public_key: Option<String>,
    ) -> Result<IssuedKey> {
        self.keep_backups(actor)?;
        let public_key = public_key.filter(|k| !k.trim().is_empty());
        let (public_key, private_key) = match public_key {
            Some(k) => {
                if rules::parse_public_key(&k).is_none() {
                    return Err(Refusal::field(
                        "public_key",
                        "公钥应为64位十六进制的ed25519公钥",
                        "The public key is an ed25519 key in 64 hex digits",
                    )
                    .into());
                }
                (k.trim().to_ascii_lowercase(), None)
            }
            None => {
                let pair = new_key_pair();
                (
                    hex::encode(pair.verifying_key().to_bytes()),
                    Some(hex::encode(pair.to_bytes())),
                )
            }
        };
        let (now, actor) = (self.now_micros(), actor.clone());
        let key = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<KeyRow> {
                if store::system(tx.conn(), system_id).await?.is_none() {
                    return Err(system_not_found());
                }
                let mut revoked = vec![];
                for k in store::keys(tx.conn(), system_id).await? {
                    if k.revoked_at.is_none()
                        && store::revoke_key(tx.conn(), k.id, "轮换 / rotated", now).await?
                    {
                        revoked.push(k.id);
                    }
                }
                let id = store::insert_key(tx.conn(), system_id, &public_key, now).await?;
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("backup-centre/system/{system_id}"),
                        "backup_centre.key_rotated",
                        json!({"key": {"id": id, "public_key": public_key}, "revoked": revoked}),
                    ),
                )
                .await?;
                store::key(tx.conn(), id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("key {id} just stored").into())
            })
            .await?;
        Ok(IssuedKey {
            key: key.into(),
            private_key,
        })
    }

    /// Revoke a system's key (a keeper): requests and archives signed with
    /// it are refused from now on.
    pub async fn revoke_backup_key(
        &self,
        actor: &Actor,
        key_id: i64,
        why: &str,
    ) -> Result<KeyView> {
        self.keep_backups(actor)?;
        let why = why.trim().to_string();
        if why.is_empty() || why.chars().count() > 200 {
            return Err(Refusal::field(
                "reason",
                "请填写吊销原因（至多200字）",
                "Say why the key is revoked (at most 200 characters)",
            )
            .into());
        }
        let (now, actor) = (self.now_micros(), actor.clone());
        let key = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<KeyRow> {
                let Some(key) = store::key(tx.conn(), key_id).await? else {
                    return Err(Refusal::not_found("密钥", "Key").into());
                };
                if !store::revoke_key(tx.conn(), key_id, &why, now).await? {
                    return Err(Refusal::conflict(
                        "key_revoked",
                        "该密钥已吊销",
                        "The key is already revoked",
                    )
                    .into());
                }
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("backup-centre/system/{}", key.system_id),
                        "backup_centre.key_revoked",
                        json!({"key": key_id, "reason": why}),
                    ),
                )
                .await?;
                store::key(tx.conn(), key_id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("key {key_id} gone").into())
            })
            .await?;
        Ok(key.into())
    }
}

/// A system's view at `now`.
fn view(s: SystemRow, archives: &[ArchiveRow], used: i64, now: i64) -> SystemView {
    let good: Vec<&ArchiveRow> = archives.iter().filter(|a| !a.damaged).collect();
    let last_good = good.iter().max_by_key(|a| (a.taken_at, a.id));
    let last_good_at = last_good.map(|a| a.taken_at);
    let sizes: Vec<(i64, i64)> = good.iter().map(|a| (a.taken_at, a.size)).collect();
    SystemView {
        status: rules::rpo_status(last_good_at, s.registered_at, s.rpo_minutes, now),
        overdue_at: rules::overdue_at(last_good_at, s.registered_at, s.rpo_minutes),
        growth_7d: rules::growth(&sizes, now - 7 * 24 * 3_600_000_000),
        last_good_size: last_good.map(|a| a.size),
        last_good_at,
        archives: archives.len(),
        last_verified_at: archives.iter().filter_map(|a| a.verified_at).max(),
        damaged: archives.iter().filter(|a| a.damaged).count(),
        used,
        retention: Retention {
            keep_last: s.keep_last,
            keep_days: s.keep_days,
        },
        id: s.id,
        name: s.name,
        department: s.department,
        data_size: s.data_size,
        rpo_minutes: s.rpo_minutes,
        rto_minutes: s.rto_minutes,
        link: s.link,
        quota: s.quota,
        registered_at: s.registered_at,
    }
}

/// What a backup signal names in place of a case: `backup/<system id>`.
pub fn signal_subject(system: i64) -> String {
    format!("backup/{system}")
}

/// The system a signal's subject names, if it is a backup signal's.
pub fn system_of_signal(subject: &str) -> Option<i64> {
    subject.strip_prefix("backup/")?.parse().ok()
}
