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
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use ed25519_dalek::SigningKey;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sunshine_domain::backup_centre::{
    self as rules, Kept, NewSystem, NewUpload, Retention, RpoStatus,
};
use sunshine_domain::identity::{Actor, CityService};
use sunshine_domain::ids::OrgCode;
use sunshine_domain::refusal::{Refusal, RefusalKind, Text};
use sunshine_domain::supervision::RuleCode;
use sunshine_store::backup_centre::{self as store, ArchiveRow, KeyRow, SystemRow, UploadRow};
use sunshine_store::supervision::WatchedCase;
use sunshine_store::WriteTx;

use crate::identity::{entry, system_actor};
use crate::{App, CentreWork, Result};

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

    /// Check a system's request against its keys in force and the clock;
    /// the system and the key that signed it.
    async fn authenticate(
        &self,
        system_id: i64,
        req: &SignedRequest<'_>,
    ) -> Result<(SystemRow, KeyRow)> {
        let mut conn = self.db.read().await?;
        let system = store::system(&mut conn, system_id)
            .await?
            .ok_or_else(system_not_found)?;
        let keys: Vec<KeyRow> = store::keys(&mut conn, system_id)
            .await?
            .into_iter()
            .filter(|k| k.revoked_at.is_none())
            .collect();
        drop(conn);
        let message = rules::request_message(req.method, req.path_and_query, req.millis, req.body);
        let publics: Vec<&str> = keys.iter().map(|k| k.public_key.as_str()).collect();
        let now_millis = self.now_micros() / 1000;
        let at = rules::verify_request(&publics, &message, req.signature, req.millis, now_millis)?;
        Ok((system, keys[at].clone()))
    }

    /// A system announces an archive (signed): its name, time, size, SHA-256
    /// and the department's signature of it. Refused when it would pass the
    /// system's quota.
    pub async fn start_backup_upload(
        &self,
        system_id: i64,
        req: &SignedRequest<'_>,
    ) -> Result<UploadView> {
        let (system, key) = self.authenticate(system_id, req).await?;
        let u: NewUpload = serde_json::from_slice(req.body).map_err(|e| {
            Refusal::invalid(
                "bad_body",
                &format!("请求体格式不正确：{e}"),
                &format!("The body is not what this request takes: {e}"),
            )
        })?;
        let now = self.now_micros();
        let taken_at = rules::check_upload(&u, now)?;
        let sha256 = u.sha256.to_ascii_lowercase();
        if !rules::archive_signed(&[key.public_key.as_str()], &sha256, &u.signature) {
            return Err(bad_archive_signature().into());
        }
        let row = UploadRow {
            id: 0,
            system_id,
            name: u.name.trim().to_string(),
            taken_at,
            size: u.size,
            sha256,
            signature: u.signature.trim().to_ascii_lowercase(),
            received: 0,
            created_at: now,
            expires_at: now + rules::UPLOAD_EXPIRES_MICROS,
        };
        let signature = req.signature.to_string();
        let department = system.department.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<UploadView> {
                    remember(tx, &signature, now).await?;
                    let (kept, reserved) = store::usage(tx.conn(), system_id).await?;
                    rules::check_quota(kept, reserved, row.size, system.quota)?;
                    let mut row = row;
                    row.id = store::insert_upload(tx.conn(), &row).await?;
                    let mut e = entry(
                        &system_actor(),
                        format!("backup-centre/upload/{}", row.id),
                        "backup_centre.upload_started",
                        json!({"system": system_id, "name": row.name, "size": row.size, "sha256": row.sha256, "taken_at": row.taken_at}),
                    );
                    e.org = department;
                    tx.journal(now, e).await?;
                    Ok(UploadView::from(&row))
                })
            .await
    }

    async fn signed_upload(&self, upload_id: i64, req: &SignedRequest<'_>) -> Result<UploadRow> {
        let row = {
            let mut conn = self.db.read().await?;
            store::upload(&mut conn, upload_id)
                .await?
                .ok_or_else(upload_not_found)?
        };
        self.authenticate(row.system_id, req).await?;
        Ok(row)
    }

    /// Where an upload stands (signed): after a dropped connection, the
    /// offset to send the next chunk at. A read: sending it again changes nothing.
    pub async fn backup_upload(
        &self,
        upload_id: i64,
        req: &SignedRequest<'_>,
    ) -> Result<UploadView> {
        Ok(UploadView::from(&self.signed_upload(upload_id, req).await?))
    }

    /// Take a chunk of an upload at `offset` (signed): it goes only where
    /// the upload stands.
    pub async fn put_backup_chunk(
        &self,
        upload_id: i64,
        offset: i64,
        req: &SignedRequest<'_>,
    ) -> Result<UploadView> {
        let row = self.signed_upload(upload_id, req).await?;
        rules::check_chunk(row.received, row.size, offset, req.body.len())?;
        let _writing = self.claim_upload(upload_id)?;
        let dir = self.centre_dir()?;
        let path = part_path(&dir, upload_id);
        let bytes = req.body.to_vec();
        let len = bytes.len() as i64;
        blocking(move || -> std::io::Result<()> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            // Whatever a refused write left past the recorded offset goes.
            f.set_len(offset as u64)?;
            f.seek(SeekFrom::Start(offset as u64))?;
            f.write_all(&bytes)?;
            f.sync_data()
        })
        .await?
        .map_err(|e| anyhow::anyhow!("upload {upload_id}: {e}"))?;
        let (now, signature, system) =
            (self.now_micros(), req.signature.to_string(), row.system_id);
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<UploadView> {
                remember(tx, &signature, now).await?;
                let to = offset + len;
                let expires = now + rules::UPLOAD_EXPIRES_MICROS;
                if !store::advance_upload(tx.conn(), upload_id, offset, to, expires).await? {
                    return Err(upload_moved().into());
                }
                let e = entry(
                    &system_actor(),
                    format!("backup-centre/upload/{upload_id}"),
                    "backup_centre.chunk_received",
                    json!({"system": system, "offset": offset, "length": len}),
                );
                tx.journal(now, e).await?;
                let row = store::upload(tx.conn(), upload_id)
                    .await?
                    .ok_or_else(upload_not_found)?;
                Ok(UploadView::from(&row))
            })
            .await
    }

    fn claim_upload(&self, id: i64) -> Result<UploadClaim> {
        let mut busy = self.centre.busy.lock().unwrap_or_else(|p| p.into_inner());
        if !busy.insert(id) {
            return Err(Refusal::conflict(
                "upload_busy",
                "该上传任务正在写入另一分片，请稍后查询位置再试",
                "Another chunk of this upload is being written; ask for the offset and try again",
            )
            .into());
        }
        Ok(UploadClaim {
            busy: self.centre.busy.clone(),
            id,
        })
    }

    /// Finish an upload (signed): the assembled bytes must have the declared
    /// SHA-256 and the department's signature of it must hold for a key in
    /// force. The archive is kept (its bytes once, however many archives
    /// share them) and retention lets the oldest go. A mismatch discards the
    /// upload: nothing is kept.
    pub async fn finish_backup_upload(
        &self,
        upload_id: i64,
        req: &SignedRequest<'_>,
    ) -> Result<ArchiveView> {
        let row = self.signed_upload(upload_id, req).await?;
        if row.received != row.size {
            return Err(Refusal::conflict(
                "upload_incomplete",
                &format!("尚未接收完整：已接收 {} / {} 字节", row.received, row.size),
                &format!("Not all bytes have come: {} of {}", row.received, row.size),
            )
            .into());
        }
        let _writing = self.claim_upload(upload_id)?;
        let dir = self.centre_dir()?;
        let part = part_path(&dir, upload_id);
        let hashed = {
            let part = part.clone();
            blocking(move || hash_file(&part)).await?
        };
        let keys = {
            let mut conn = self.db.read().await?;
            store::keys(&mut conn, row.system_id).await?
        };
        let publics: Vec<&str> = keys
            .iter()
            .filter(|k| k.revoked_at.is_none())
            .map(|k| k.public_key.as_str())
            .collect();
        let fault = match &hashed {
            Some((sha, n)) if *sha == row.sha256 && *n == row.size => {
                if rules::archive_signed(&publics, &row.sha256, &row.signature) {
                    None
                } else {
                    Some(bad_archive_signature())
                }
            }
            _ => Some(checksum_mismatch(
                &row.sha256,
                hashed.as_ref().map(|h| h.0.as_str()),
            )),
        };
        let key_id = keys
            .iter()
            .filter(|k| k.revoked_at.is_none())
            .find(|k| rules::archive_signed(&[k.public_key.as_str()], &row.sha256, &row.signature))
            .map_or(0, |k| k.id);
        let now = self.now_micros();
        let signature = req.signature.to_string();
        if let Some(refusal) = fault {
            // Discarded whole: the part and the upload go, and the refusal says why.
            let id = row.id;
            let reason = refusal.code;
            self.db
                .write(async move |tx: &mut WriteTx| -> Result<()> {
                    remember(tx, &signature, now).await?;
                    if store::delete_upload(tx.conn(), id).await? {
                        tx.journal(
                            now,
                            entry(
                                &system_actor(),
                                format!("backup-centre/upload/{id}"),
                                "backup_centre.upload_refused",
                                json!({"reason": reason}),
                            ),
                        )
                        .await?;
                    }
                    Ok(())
                })
                .await?;
            let _ = blocking(move || std::fs::remove_file(part)).await;
            return Err(refusal.into());
        }
        let _objects = self.centre.objects.lock().await;
        let blob = blob_path(&dir, &row.sha256);
        let created = {
            let (part, blob) = (part.clone(), blob.clone());
            blocking(move || -> std::io::Result<bool> {
                if blob.exists() {
                    std::fs::remove_file(&part)?;
                    return Ok(false);
                }
                if let Some(parent) = blob.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::rename(&part, &blob)?;
                Ok(true)
            })
            .await?
            .map_err(|e| anyhow::anyhow!("storing upload {upload_id}: {e}"))?
        };
        let system = self.system_view_of(row.system_id).await?;
        let retention = system.retention;
        let stored = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<(ArchiveRow, Vec<String>)> {
                    remember(tx, &signature, now).await?;
                    if !store::delete_upload(tx.conn(), row.id).await? {
                        return Err(upload_not_found());
                    }
                    store::insert_blob(tx.conn(), &row.sha256, row.size, now).await?;
                    let mut archive = ArchiveRow {
                        id: 0,
                        system_id: row.system_id,
                        name: row.name.clone(),
                        taken_at: row.taken_at,
                        size: row.size,
                        sha256: row.sha256.clone(),
                        signature: row.signature.clone(),
                        key_id,
                        received_at: now,
                        verified_at: Some(now),
                        damaged: false,
                    };
                    archive.id = store::insert_archive(tx.conn(), &archive).await?;
                    let mut e = entry(
                        &system_actor(),
                        format!("backup-centre/archive/{}", archive.id),
                        "backup_centre.archive_stored",
                        json!({"system": row.system_id, "upload": row.id, "name": archive.name, "taken_at": archive.taken_at,
                               "size": archive.size, "sha256": archive.sha256, "key": key_id}),
                    );
                    e.org = system.department.clone();
                    tx.journal(now, e).await?;
                    let kept: Vec<Kept> = store::archives(tx.conn(), row.system_id)
                        .await?
                        .iter()
                        .map(|a| Kept {
                            id: a.id,
                            taken_at: a.taken_at,
                        })
                        .collect();
                    let mut gone = vec![];
                    for id in rules::to_prune(&kept, retention, now) {
                        if let Some(sha) = store::delete_archive(tx.conn(), id).await? {
                            gone.push(sha);
                        }
                        let mut e = entry(
                            &system_actor(),
                            format!("backup-centre/archive/{id}"),
                            "backup_centre.archive_pruned",
                            json!({"system": row.system_id, "retention": retention}),
                        );
                        e.org = system.department.clone();
                        tx.journal(now, e).await?;
                    }
                    Ok((archive, gone))
                })
            .await;
        let (archive, gone) = match stored {
            Ok(s) => s,
            Err(e) => {
                if created {
                    let _ = blocking(move || std::fs::remove_file(blob)).await;
                }
                return Err(e);
            }
        };
        let paths: Vec<PathBuf> = gone.iter().map(|sha| blob_path(&dir, sha)).collect();
        blocking(move || {
            for p in paths {
                let _ = std::fs::remove_file(p);
            }
        })
        .await?;
        Ok(archive.into())
    }

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

/// A claim on an upload for one chunk's write, let go when dropped.
struct UploadClaim {
    busy: Arc<Mutex<HashSet<i64>>>,
    id: i64,
}

impl Drop for UploadClaim {
    fn drop(&mut self) {
        self.busy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

fn upload_moved() -> Refusal {
    Refusal::conflict(
        "offset_mismatch",
        "上传位置已变化，请先查询当前位置",
        "The upload has moved on; ask for the current offset",
    )
}

fn bad_archive_signature() -> Refusal {
    let mut r = Refusal::new(
        RefusalKind::Invalid,
        "bad_archive_signature",
        Text::new(
            "备份文件的签名与该系统在用的密钥不符",
            "The archive's signature does not match a key the system holds",
        ),
    );
    r.fields.insert(
        "signature".into(),
        Text::new("签名无效", "Not a valid signature"),
    );
    r
}

fn checksum_mismatch(declared: &str, actual: Option<&str>) -> Refusal {
    let mut r = Refusal::new(
        RefusalKind::Invalid,
        "checksum_mismatch",
        Text::new(
            format!(
                "收到的数据与声明的SHA-256不符（声明 {declared}，实际 {}），本次上传已作废",
                actual.unwrap_or("-")
            ),
            format!(
                "The bytes received do not have the declared SHA-256 (declared {declared}, got {}); the upload is discarded",
                actual.unwrap_or("-")
            ),
        ),
    );
    r.fields.insert(
        "sha256".into(),
        Text::new("校验和不符", "Checksum mismatch"),
    );
    r
}

/// Remember a signed request inside its write; a second sending is refused.
async fn remember(tx: &mut WriteTx, signature: &str, now: i64) -> Result<()> {
    let forget = now - 2 * rules::SKEW_MILLIS * 1000;
    if !store::remember_request(tx.conn(), signature, now, forget).await? {
        return Err(replayed());
    }
    Ok(())
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

/// What a backup signal names in place of a case: `backup/<system id>`.
pub fn signal_subject(system: i64) -> String {
    format!("backup/{system}")
}

/// The system a signal's subject names, if it is a backup signal's.
pub fn system_of_signal(subject: &str) -> Option<i64> {
    subject.strip_prefix("backup/")?.parse().ok()
}
