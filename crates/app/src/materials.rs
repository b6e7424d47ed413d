//! Application materials (申请材料): files checked by the domain before they
//! are queued, stored content-addressed in the same transaction as the case
//! or the command that brings them, and shown only to the applicant and the
//! staff who may view the department's cases.

use serde_json::json;
use sunshine_domain::catalog::Material;
use sunshine_domain::hall::{CaseState, Channel};
use sunshine_domain::identity::{Actor, UserKind};
/// A stored file of a case, as the app hands it out.
pub use sunshine_domain::materials::MaterialFile;
use sunshine_domain::materials::{self as rules, CheckedFile, IncomingFile};
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{Refusal, RefusalKind};
use sunshine_store::materials as store;
use sunshine_store::WriteTx;

use crate::journal_entry::entry;
use crate::{allow, App, AppError, Result};

/// A file as the sender gives it: which of the item's materials it is for
/// (its place in the version's list), the name it had, and its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub slot: usize,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A file that passed the domain's checks, with its bytes, ready to store.
#[derive(Clone)]
pub(crate) struct Prepared {
    file: CheckedFile,
    bytes: Vec<u8>,
}

impl Prepared {
    /// The name of the material the file is for.
    pub(crate) fn material(&self) -> &str {
        &self.file.material
    }

    /// The file as an application handed down names it.
    pub(crate) fn sent(&self) -> sunshine_domain::exchange::SentMaterial {
        sunshine_domain::exchange::SentMaterial {
            material: self.file.material.clone(),
            file_name: self.file.file_name.clone(),
            sha256: self.file.sha256.clone(),
            size: i64::try_from(self.file.size).unwrap_or(i64::MAX),
            content_type: self.file.file_type.mime().to_string(),
        }
    }
}

fn check(materials: &[Material], uploads: Vec<Upload>) -> Result<Vec<Prepared>> {
    let incoming: Vec<IncomingFile<'_>> = uploads
        .iter()
        .map(|u| IncomingFile {
            slot: u.slot,
            file_name: &u.file_name,
            bytes: &u.bytes,
        })
        .collect();
    let checked = rules::check_files(materials, &incoming)?;
    Ok(checked
        .into_iter()
        .zip(uploads)
        .map(|(file, u)| Prepared {
            file,
            bytes: u.bytes,
        })
        .collect())
}

/// The files of a new application, checked (hashing is work the writer must
/// not do); an online application must bring every required material.
pub(crate) fn prepare(
    materials: &[Material],
    uploads: Vec<Upload>,
    channel: Channel,
) -> Result<Vec<Prepared>> {
    let prepared = check(materials, uploads)?;
    if channel == Channel::Online {
        let files: Vec<CheckedFile> = prepared.iter().map(|p| p.file.clone()).collect();
        rules::check_required(materials, &files)?;
    }
    Ok(prepared)
}

/// Both results, or every field fault of both at once (a form shows its
/// answers' and its files' faults together).
pub(crate) fn together<A, B>(a: Result<A>, b: Result<B>) -> Result<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(AppError::Refused(mut x)), Err(AppError::Refused(y)))
            if x.kind == RefusalKind::Invalid && y.kind == RefusalKind::Invalid =>
        {
            for (field, why) in y.fields {
                x.fields.entry(field).or_insert(why);
            }
            Err(x.into())
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// What the journal says of files: never their bytes.
pub(crate) fn journal_list(files: &[Prepared]) -> serde_json::Value {
    files
        .iter()
        .map(|p| {
            json!({"name": p.file.material, "file_name": p.file.file_name, "sha256": p.file.sha256,
                   "size": p.file.size, "type": p.file.file_type.mime()})
        })
        .collect()
}

/// Store the files of a case inside the command's transaction.
pub(crate) async fn attach(
    tx: &mut WriteTx,
    number: &str,
    files: &[Prepared],
    actor: &Actor,
    now: i64,
) -> Result<()> {
    for p in files {
        store::put_blob(tx.conn(), &p.file.sha256, &p.bytes, now).await?;
        store::insert_material(
            tx.conn(),
            &MaterialFile {
                case_number: number.to_string(),
                material: p.file.material.clone(),
                file_name: p.file.file_name.clone(),
                sha256: p.file.sha256.clone(),
                size: i64::try_from(p.file.size).unwrap_or(i64::MAX),
                content_type: p.file.file_type.mime().to_string(),
                added_by: actor.journal_name(),
                added_at: now,
            },
        )
        .await?;
    }
    Ok(())
}

impl App {
    /// The applicant adds files while the case waits to be accepted or for a
    /// correction; a clerk of the department may add what was handed in at
    /// the counter. Returns every file the case then holds.
    pub async fn add_materials(
        &self,
        actor: &Actor,
        number: &str,
        uploads: Vec<Upload>,
    ) -> Result<Vec<MaterialFile>> {
        let case = self.case_for(actor, number).await?;
        if uploads.is_empty() {
            return Err(Refusal::field(
                "materials",
                "请选择要上传的文件",
                "Choose a file to upload",
            )
            .into());
        }
        let spec = {
            let mut conn = self.db.read().await?;
            sunshine_store::catalog::get_version(&mut conn, case.version_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("case {number} without its version"))?
                .spec
        };
        let files = check(&spec.materials, uploads)?;
        let now = self.now_micros();
        let (actor, orgs, number) = (actor.clone(), self.orgs(), case.number.clone());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<Vec<MaterialFile>> {
                let case = sunshine_store::hall::case_by_number(tx.conn(), &number)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("case {number} vanished"))?;
                let is_applicant =
                    actor.kind != UserKind::Staff && case.applicant_user == Some(actor.user_id);
                if !is_applicant {
                    let department = sunshine_domain::ids::OrgCode::parse(&case.department)
                        .map_err(|_| anyhow::anyhow!("stored department {}", case.department))?;
                    allow(
                        &orgs,
                        &actor,
                        &Action::HandleCase {
                            department: &department,
                        },
                    )?;
                }
                rules::check_may_add(&case.facts.state)?;
                let held = store::bytes_of_case(tx.conn(), &number).await?;
                let adding: Vec<CheckedFile> = files.iter().map(|p| p.file.clone()).collect();
                rules::check_case_bytes(u64::try_from(held).unwrap_or(0), &adding)?;
                attach(tx, &number, &files, &actor, now).await?;
                let payload = json!({"state": case.facts.state, "materials": journal_list(&files)});
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("case/{number}"),
                        "hall.material_added",
                        payload,
                    ),
                )
                .await?;
                Ok(store::of_case(tx.conn(), &number).await?)
            })
            .await
    }

    /// The files of a case, for those who may see the case.
    pub async fn case_materials(&self, actor: &Actor, number: &str) -> Result<Vec<MaterialFile>> {
        let case = self.case_for(actor, number).await?;
        let mut conn = self.db.read().await?;
        Ok(store::of_case(&mut conn, &case.number).await?)
    }

    /// One file of a case and its bytes, for those who may see the case; to
    /// anyone else it is not there.
    pub async fn material_file(
        &self,
        actor: &Actor,
        number: &str,
        sha256: &str,
    ) -> Result<(MaterialFile, Vec<u8>)> {
        let case = self.case_for(actor, number).await?;
        let mut conn = self.db.read().await?;
        store::file_of_case(&mut conn, &case.number, &sha256.to_ascii_lowercase())
            .await?
            .ok_or_else(|| Refusal::not_found("材料", "Material").into())
    }
}

/// A file kept from a refused form: the material's place it was chosen for,
/// and what it is. The form shown again names it by hash (`kept.<slot>.<n>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub slot: usize,
    pub file_name: String,
    pub sha256: String,
    pub size: i64,
}

/// How long a kept file waits for its form to be sent again.
const KEPT_FOR_MICROS: i64 = 24 * 3600 * 1_000_000;

impl App {
    /// Keep the files of a refused form that pass their own checks, for this
    /// account, so that the form shown again carries them and the person need
    /// not choose them again; a file at fault is not kept (its field says why).
    pub async fn keep_uploads(
        &self,
        actor: &Actor,
        materials: &[Material],
        uploads: &[Upload],
    ) -> Result<Vec<Kept>> {
        let kept: Vec<(Kept, Vec<u8>)> = uploads
            .iter()
            .filter_map(|u| {
                let one = IncomingFile {
                    slot: u.slot,
                    file_name: &u.file_name,
                    bytes: &u.bytes,
                };
                let file = rules::check_files(materials, &[one]).ok()?.pop()?;
                let kept = Kept {
                    slot: u.slot,
                    file_name: file.file_name,
                    sha256: file.sha256,
                    size: i64::try_from(file.size).unwrap_or(i64::MAX),
                };
                Some((kept, u.bytes.clone()))
            })
            .collect();
        if kept.is_empty() {
            return Ok(vec![]);
        }
        let (user, now) = (actor.user_id, self.now_micros());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<Vec<Kept>> {
                for (k, bytes) in &kept {
                    store::put_blob(tx.conn(), &k.sha256, bytes, now).await?;
                    let row = store::KeptRow {
                        sha256: k.sha256.clone(),
                        file_name: k.file_name.clone(),
                        size: k.size,
                    };
                    store::keep(tx.conn(), user, &row, now).await?;
                }
                Ok(kept.into_iter().map(|(k, _)| k).collect())
            })
            .await
    }

    /// The kept files a form names, as (slot, hash), each again as an upload
    /// for its slot: only those kept for this account, lately. A hash kept
    /// for someone else, or never, is not there (the form then misses it).
    pub async fn kept_uploads(
        &self,
        actor: &Actor,
        named: &[(usize, String)],
    ) -> Result<Vec<(Kept, Upload)>> {
        let since = self.now_micros() - KEPT_FOR_MICROS;
        let mut conn = self.db.read().await?;
        let mut found = Vec::new();
        for (slot, sha256) in named {
            let sha256 = sha256.trim().to_ascii_lowercase();
            if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            if let Some((row, bytes)) =
                store::kept(&mut conn, actor.user_id, &sha256, since).await?
            {
                found.push((
                    Kept {
                        slot: *slot,
                        file_name: row.file_name.clone(),
                        sha256: row.sha256,
                        size: row.size,
                    },
                    Upload {
                        slot: *slot,
                        file_name: row.file_name,
                        bytes,
                    },
                ));
            }
        }
        Ok(found)
    }

    /// The form went through: what was kept for the account is let go.
    pub async fn forget_kept(&self, actor: &Actor) -> Result<()> {
        let user = actor.user_id;
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                Ok(store::forget_kept(tx.conn(), user).await?)
            })
            .await
    }
}

/// Whether the applicant may still add files to a case in this state.
pub fn may_add(state: &CaseState) -> bool {
    rules::check_may_add(state).is_ok()
}
