//! Who looked at my data: every staff read of a personal record is
//! journaled with its purpose and, in the same transaction, recorded
//! against each person it concerns, so that they can see it.

use serde_json::json;
use sunshine_domain::access::{person_ref, ReadKind, ReadPurpose};
use sunshine_domain::hall::Applicant;
use sunshine_domain::identity::Actor;
use sunshine_store::access::{self as store, PersonalRead};
use sunshine_store::WriteTx;

use crate::journal_entry::entry;
use crate::{App, Result};

/// The person a read concerns, and what of theirs was read.
#[derive(Debug, Clone)]
pub struct ReadOf {
    /// Their account, when the record is theirs online.
    pub user: Option<i64>,
    /// Their identity number or credit code; stored only as a hash.
    pub number: Option<String>,
    /// What was read, as the person may be shown it: "2026-…" or a masked card.
    pub what: String,
}

impl ReadOf {
    /// A case's applicant.
    pub fn case(number: &str, applicant_user: Option<i64>, applicant: &Applicant) -> ReadOf {
        let id = match applicant {
            Applicant::Person { id_number, .. } => id_number.as_str().to_string(),
            Applicant::Enterprise { credit_code, .. } => credit_code.as_str().to_string(),
        };
        ReadOf {
            user: applicant_user,
            number: Some(id),
            what: number.to_string(),
        }
    }
}

/// One staff read: what the journal says and whom it concerns.
#[derive(Debug, Clone)]
pub struct StaffRead {
    /// The journal subject (`access/...`), apart from the state changes.
    pub subject: String,
    pub kind: ReadKind,
    pub purpose: ReadPurpose,
    /// The journal entry's payload; the purpose is added to it.
    pub payload: serde_json::Value,
    pub persons: Vec<ReadOf>,
}

/// A read of the signed-in person's records, as they are shown it.
#[derive(Debug, Clone)]
pub struct ReadView {
    pub reader: String,
    /// The reader's organisation's code.
    pub reader_org: String,
    pub kind: ReadKind,
    pub what: String,
    pub purpose: ReadPurpose,
    pub at: i64,
}

/// Record, inside a write, what `actor` did with each person's records,
/// so the person is shown it (the write journals it its own way).
pub(crate) async fn record_against(
    tx: &mut WriteTx,
    actor: &Actor,
    kind: ReadKind,
    purpose: ReadPurpose,
    persons: Vec<ReadOf>,
    now: i64,
) -> Result<()> {
    let reader_org = actor
        .org
        .as_ref()
        .map(|o| o.as_str().to_string())
        .unwrap_or_default();
    for person in persons {
        if person.user.is_none() && person.number.is_none() {
            continue;
        }
        let row = PersonalRead {
            person_user: person.user,
            person_ref: person.number.as_deref().map(person_ref),
            reader: actor.display_name.clone(),
            reader_org: reader_org.clone(),
            what_kind: kind.as_str().to_string(),
            what_ref: person.what,
            purpose: purpose.as_str().to_string(),
            read_at: now,
        };
        store::insert_read(tx.conn(), &row).await?;
    }
    Ok(())
}

/// Journal a staff read (`access.personal_record_read`) and record it
/// against every person it concerns, inside a write.
pub(crate) async fn journal_staff_read(
    tx: &mut WriteTx,
    actor: &Actor,
    read: StaffRead,
    now: i64,
) -> Result<()> {
    let mut payload = read.payload;
    if let Some(map) = payload.as_object_mut() {
        map.insert("purpose".into(), json!(read.purpose.as_str()));
    }
    tx.journal(
        now,
        entry(actor, read.subject, "access.personal_record_read", payload),
    )
    .await?;
    record_against(tx, actor, read.kind, read.purpose, read.persons, now).await
}

/// The most reads a person is shown at once.
const READS_SHOWN: i64 = 200;

impl App {
    /// Journal a staff read (`access.personal_record_read`) and record it
    /// against every person it concerns, in one transaction.
    pub(crate) async fn record_staff_read(&self, actor: &Actor, read: StaffRead) -> Result<()> {
        let now = self.now_micros();
        let actor = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                journal_staff_read(tx, &actor, read, now).await
            })
            .await
    }

    /// Who read the signed-in person's records, newest first: by their
    /// account, their identity number and their credit code.
    pub async fn reads_of_me(&self, actor: &Actor) -> Result<Vec<ReadView>> {
        let mut conn = self.db.read().await?;
        let user = sunshine_store::identity::find_user(&mut conn, actor.user_id).await?;
        let refs: Vec<String> = user
            .iter()
            .flat_map(|u| [u.id_number.as_deref(), u.credit_code.as_deref()])
            .flatten()
            .map(person_ref)
            .collect();
        let rows = store::reads_of(&mut conn, actor.user_id, &refs, READS_SHOWN).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(ReadView {
                    kind: ReadKind::parse(&r.what_kind)?,
                    purpose: ReadPurpose::parse_or(Some(&r.purpose), ReadPurpose::Supervision)
                        .ok()?,
                    reader: r.reader,
                    reader_org: r.reader_org,
                    what: r.what_ref,
                    at: r.read_at,
                })
            })
            .collect())
    }
}
