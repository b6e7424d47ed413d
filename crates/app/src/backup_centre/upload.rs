//! Uploads: a system's signed, resumable sending of an archive, checked
//! whole before it is kept.

use std::collections::HashSet;
use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::json;
use sunshine_domain::backup_centre::{self as rules, Kept, NewUpload};
use sunshine_domain::refusal::{Refusal, RefusalKind, Text};
use sunshine_store::backup_centre::{self as store, ArchiveRow, KeyRow, SystemRow, UploadRow};
use sunshine_store::WriteTx;

use crate::journal_entry::{entry, system_actor};
use crate::{App, Result};

use super::*;

impl App {
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

    /// Whether a whole upload is the archive it said it was: its bytes hash
    /// as declared and a key in force signed them; the refusal if not, and
    /// the key that signed it.
    async fn check_archive(
        &self,
        row: &UploadRow,
        hashed: Option<&(String, i64)>,
    ) -> Result<(Option<Refusal>, i64)> {
        let keys = {
            let mut conn = self.db.read().await?;
            store::keys(&mut conn, row.system_id).await?
        };
        let publics: Vec<&str> = keys
            .iter()
            .filter(|k| k.revoked_at.is_none())
            .map(|k| k.public_key.as_str())
            .collect();
        let fault = match hashed {
            Some((sha, n)) if *sha == row.sha256 && *n == row.size => {
                if rules::archive_signed(&publics, &row.sha256, &row.signature) {
                    None
                } else {
                    Some(bad_archive_signature())
                }
            }
            _ => Some(checksum_mismatch(&row.sha256, hashed.map(|h| h.0.as_str()))),
        };
        let key_id = keys
            .iter()
            .filter(|k| k.revoked_at.is_none())
            .find(|k| rules::archive_signed(&[k.public_key.as_str()], &row.sha256, &row.signature))
            .map_or(0, |k| k.id);
        Ok((fault, key_id))
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
        let (fault, key_id) = self.check_archive(&row, hashed.as_ref()).await?;
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
            .write(async move |tx: &mut WriteTx| {
                keep_archive(
                    tx,
                    &signature,
                    now,
                    &row,
                    key_id,
                    retention,
                    system.department,
                )
                .await
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

/// Keep a checked upload as an archive in its write: the upload goes, the
/// blob and the archive are recorded and journaled, and what the system's
/// retention no longer keeps is pruned; the archive and the blobs let go.
async fn keep_archive(
    tx: &mut WriteTx,
    signature: &str,
    now: i64,
    row: &UploadRow,
    key_id: i64,
    retention: Retention,
    department: String,
) -> Result<(ArchiveRow, Vec<String>)> {
    remember(tx, signature, now).await?;
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
    e.org = department.clone();
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
        e.org = department.clone();
        tx.journal(now, e).await?;
    }
    Ok((archive, gone))
}
