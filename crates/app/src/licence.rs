//! E-licences: issued and signed when a case is approved, verified by anyone,
//! revoked with a reason.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ed25519_dalek::SigningKey;
use serde_json::json;
use sunshine_domain::catalog::ItemSpec;
use sunshine_domain::exchange::{
    self as exchange_rules, Flow, Licence, Message, Platform, LICENCE_EVENTS,
};
use sunshine_domain::hall::Applicant;
use sunshine_domain::hall::Case;
use sunshine_domain::identity::{Actor, UserKind};
use sunshine_domain::ids::OrgCode;
use sunshine_domain::journal::{Entry, NewEntry};
use sunshine_domain::licence::{self as rules, IssuedLicence, LicencePayload, Verdict};
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{is_clean_text, Refusal};
use sunshine_store::hall as store;
use sunshine_store::WriteTx;

use crate::exchange::Effect;
use crate::journal_entry::{entry, system_actor};
use crate::keys::{new_signing_key, Kek};
use crate::{App, OrgDirectory, Result};

/// Organisations' signing keys, opened, once their creation is durable. A
/// key is never replaced, so an approval need not load and open it again;
/// it is learnt only after the batch that used it has committed, so a key
/// made in a batch that failed is never used.
#[derive(Clone, Default)]
pub(crate) struct KeyCache(Arc<Mutex<HashMap<String, SigningKey>>>);

impl KeyCache {
    pub(crate) fn get(&self, org: &str) -> Option<SigningKey> {
        self.lock().get(org).cloned()
    }

    /// Keep a key that a committed batch stored or used.
    pub(crate) fn learn(&self, org: &str, key: SigningKey) {
        self.lock().entry(org.to_string()).or_insert(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SigningKey>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// How many cases [`RecentCases`] keeps before it starts again from empty.
const RECENT_CASES: usize = 65_536;

/// What a licence says of its case, for the cases commands went through
/// lately, by number: [`presign`] reads it here instead of in the store.
/// None of it changes in a case's life; an entry that were stale or missing
/// would only mean the approval signs in its transaction.
#[derive(Clone, Default)]
pub(crate) struct RecentCases(Arc<Mutex<HashMap<String, Arc<LicensedCase>>>>);

/// The parts of a case its licence names.
pub(crate) struct LicensedCase {
    applicant: Applicant,
    department: String,
    version_id: i64,
}

impl RecentCases {
    /// Keep what a command just read or wrote of a case.
    pub(crate) fn keep(&self, case: &Case) {
        let mut cases = self.lock();
        if cases.contains_key(&case.number) {
            return;
        }
        if cases.len() >= RECENT_CASES {
            cases.clear();
        }
        let entry = LicensedCase {
            applicant: case.applicant.clone(),
            department: case.department.clone(),
            version_id: case.version_id,
        };
        cases.insert(case.number.clone(), Arc::new(entry));
    }

    fn get(&self, number: &str) -> Option<Arc<LicensedCase>> {
        self.lock().get(number).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<LicensedCase>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An organisation's signing key: the one it has, opened, or a new one made
/// and sealed (its creation journaled) in the same transaction.
pub(crate) async fn org_signing_key(
    tx: &mut WriteTx,
    kek: &Kek,
    keys: &KeyCache,
    issuer: &str,
    now: i64,
) -> Result<SigningKey> {
    let issuer = issuer.to_string();
    let cached = keys.get(&issuer);
    let stored = match cached {
        Some(_) => None,
        None => store::org_key(tx.conn(), &issuer).await?,
    };
    let key = match (cached, stored) {
        (Some(key), _) => key,
        (None, Some((_, sealed))) => kek.open(&issuer, &sealed)?,
        (None, None) => {
            let key = new_signing_key();
            let public = rules::public_key_hex(&key);
            store::insert_org_key(tx.conn(), &issuer, &public, &kek.seal(&issuer, &key)?, now)
                .await?;
            tx.journal(
                now,
                entry(
                    &system_actor(),
                    format!("org/{issuer}"),
                    "keys.signing_key_created",
                    json!({"public_key": public}),
                ),
            )
            .await?;
            key
        }
    };
    Ok(key)
}

/// A licence's text and signature made before its approval's write
/// command, off the writer's thread: signing is the largest part of an
/// approval's work, and the writer is the one thread every write waits for.
/// The approval uses it only if the text it makes in its transaction is
/// the same and the issuer's key is the one signed with.
pub(crate) struct Presigned {
    canonical: String,
    public_key: [u8; 32],
    signature: String,
}

/// The licence an approval of case `number` would issue today, signed, if
/// the case, its item's spec and the issuer's key are all in memory;
/// `None` otherwise (the approval then signs in its transaction).
pub(crate) fn presign(
    app: &App,
    orgs: &OrgDirectory,
    number: &str,
    decided_on: String,
) -> Option<Presigned> {
    let case = app.recent_cases.get(number)?;
    let spec = app.specs.cached(case.version_id)?;
    let key = app.keys.get(&case.department)?;
    let (applicant, department) = (&case.applicant, &case.department);
    let payload = payload_of(orgs, number, applicant, department, &spec, decided_on);
    let canonical = rules::canonical(&payload);
    Some(Presigned {
        signature: rules::sign(&key, &canonical),
        public_key: key.verifying_key().to_bytes(),
        canonical,
    })
}

/// What the licence of approved case `number` says.
fn payload_of(
    orgs: &OrgDirectory,
    number: &str,
    applicant: &Applicant,
    department: &str,
    spec: &ItemSpec,
    decided_on: String,
) -> LicencePayload {
    let (holder, holder_id) = rules::holder_of(applicant);
    LicencePayload {
        number: rules::licence_number(number),
        case_number: number.to_string(),
        item_code: spec.code.clone(),
        item_name: spec.name.clone(),
        holder,
        holder_id,
        issuer: department.to_string(),
        issuer_name: orgs.name(department, "zh"),
        decided_on,
    }
}

/// Sign and store the licence of an approved case, making the issuer's key
/// on its first use. Runs inside the approval's write command; returns the
/// key it signed with, for [`KeyCache::learn`] once the batch has committed.
/// A signature made beforehand ([`presign`]) is used if it is of the same
/// text by the same key.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn issue(
    tx: &mut WriteTx,
    kek: &Kek,
    keys: &KeyCache,
    orgs: &OrgDirectory,
    actor: &Actor,
    case: &Case,
    spec: &ItemSpec,
    decided_on: String,
    presigned: Option<Presigned>,
    now: i64,
) -> Result<SigningKey> {
    let issuer = case.department.clone();
    let key = org_signing_key(tx, kek, keys, &issuer, now).await?;
    let payload = payload_of(
        orgs,
        &case.number,
        &case.applicant,
        &case.department,
        spec,
        decided_on,
    );
    let canonical = rules::canonical(&payload);
    let signature = match presigned {
        Some(p) if p.canonical == canonical && p.public_key == key.verifying_key().to_bytes() => {
            p.signature
        }
        _ => rules::sign(&key, &canonical),
    };
    let licence = IssuedLicence {
        number: payload.number.clone(),
        case_number: case.number.clone(),
        issuer,
        signature,
        payload: canonical,
        issued_at: now,
        revoked_at: None,
        revoked_reason: None,
        issuer_key: None,
    };
    store::insert_licence(tx.conn(), &licence).await?;
    let issued = tx
        .journal(
            now,
            entry(
                actor,
                format!("case/{}", case.number),
                "hall.licence_issued",
                json!({"licence": licence.number}),
            ),
        )
        .await?;
    send_up(tx, &issued, &licence, rules::public_key_hex(&key))?;
    Ok(key)
}

/// Send a licence as it stands after `e` (its issue or revocation) up to
/// the city, in the same commit, when it is on an application the city's
/// portal handed down to this district (`exchange::goes_up`).
fn send_up(tx: &mut WriteTx, e: &Entry, l: &IssuedLicence, public_key: String) -> Result<()> {
    let Some(platform) = tx.platform().cloned() else {
        return Ok(());
    };
    if !exchange_rules::goes_up(&platform, &l.case_number) {
        return Ok(());
    }
    let up = Licence {
        number: l.number.clone(),
        case: l.case_number.clone(),
        issuer: l.issuer.clone(),
        payload: l.payload.clone(),
        signature: l.signature.clone(),
        public_key,
        issued_at: l.issued_at,
        revoked_at: l.revoked_at,
        revoked_reason: l.revoked_reason.clone(),
    };
    let facts = serde_json::to_value(up).map_err(anyhow::Error::from)?;
    tx.send(e, Flow::Licences, Platform::City, facts);
    Ok(())
}

/// The city takes a licence that a district's department issued on an
/// application the city handed down, or its revocation: kept beside the
/// city's copy of the case under the key it was signed with, and
/// journaled on the case as the district's platform's doing. Refused when
/// it does not fit the city's case (another department, item or holder) or
/// another licence is kept under its number.
pub(crate) async fn take_licence(tx: &mut WriteTx, m: &Message, now: i64) -> Result<Effect> {
    // `open` has checked it whole, signed by its key, of a case handed down.
    let l: Licence = serde_json::from_value(m.facts.clone())
        .map_err(|e| anyhow::anyhow!("a licence checked whole is not: {e}"))?;
    let text: LicencePayload = serde_json::from_str(&l.payload)
        .map_err(|e| anyhow::anyhow!("a licence checked whole has no text: {e}"))?;
    let Some(case) = store::case_by_number(tx.conn(), &l.case).await? else {
        return Ok(Effect::Refused(format!(
            "no case {} was handed down from here",
            l.case
        )));
    };
    if case.department != l.issuer {
        return Ok(Effect::Refused(format!(
            "the case {} is {}'s, not {}'s",
            l.case, case.department, l.issuer
        )));
    }
    let item_code = sunshine_store::catalog::get_version(tx.conn(), case.version_id)
        .await?
        .map(|v| v.spec.code);
    if item_code.as_deref() != Some(text.item_code.as_str()) {
        return Ok(Effect::Refused(format!(
            "the licence {} names the item {}, not the case's",
            l.number, text.item_code
        )));
    }
    let (holder, holder_id) = rules::holder_of(&case.applicant);
    if holder != text.holder || holder_id != text.holder_id {
        return Ok(Effect::Refused(format!(
            "the licence {} names another holder than the case's applicant",
            l.number
        )));
    }
    match store::licence(tx.conn(), &l.number).await? {
        Some(kept)
            if kept.issuer_key.as_deref() != Some(l.public_key.as_str())
                || kept.payload != l.payload
                || kept.signature != l.signature =>
        {
            return Ok(Effect::Refused(format!(
                "another licence is kept here under {}",
                l.number
            )));
        }
        Some(kept) => {
            if let (None, Some(at), Some(reason)) =
                (kept.revoked_at, l.revoked_at, l.revoked_reason.as_deref())
            {
                store::revoke_licence(tx.conn(), &l.number, reason, at).await?;
            }
        }
        None => {
            let copy = IssuedLicence {
                number: l.number.clone(),
                case_number: l.case.clone(),
                issuer: l.issuer.clone(),
                payload: l.payload.clone(),
                signature: l.signature.clone(),
                issued_at: l.issued_at,
                revoked_at: l.revoked_at,
                revoked_reason: l.revoked_reason.clone(),
                issuer_key: Some(l.public_key.clone()),
            };
            store::insert_licence(tx.conn(), &copy).await?;
        }
    }
    let Some(event) = LICENCE_EVENTS.into_iter().find(|e| *e == m.event_type) else {
        return Err(
            anyhow::anyhow!("a licence checked whole has the event {}", m.event_type).into(),
        );
    };
    let mut payload = json!({"licence": l.number, "msg_id": m.id});
    if let Some(reason) = &l.revoked_reason {
        payload["reason"] = json!(reason);
    }
    tx.journal(
        now,
        NewEntry {
            actor: format!("platform:{}", m.from),
            org: l.issuer.clone(),
            subject: format!("case/{}", l.case),
            event_type: event,
            payload,
        },
    )
    .await?;
    Ok(Effect::Done)
}

/// The public key (hex) of `org`'s signing key here; empty if it has none,
/// which no signature verifies against.
async fn org_public_key(conn: &mut sunshine_store::Conn, org: &str) -> Result<String> {
    Ok(store::org_key(conn, org)
        .await?
        .map(|(p, _)| p)
        .unwrap_or_default())
}

/// A licence with what is needed to check it.
#[derive(Debug, Clone)]
pub struct LicenceRecord {
    pub row: IssuedLicence,
    pub payload: LicencePayload,
    pub public_key: String,
    pub token: String,
    pub verdict: Verdict,
}

fn not_found() -> crate::AppError {
    Refusal::not_found("证照", "Licence").into()
}

/// What anyone with a licence's number alone may see: what the public
/// board shows of its case — the masked holder, the item, the issuer, the
/// dates and whether it is in force. The holder's full name and identity,
/// the signed text and the token are for the holder, the department's
/// staff and whoever holds the QR code's token.
#[derive(Debug, Clone)]
pub struct PublicLicence {
    pub number: String,
    pub case_number: String,
    pub item_code: String,
    pub item_name: String,
    /// Surname + 某, or the enterprise's name, as on the board.
    pub holder: String,
    pub issuer: String,
    pub issuer_name: String,
    pub decided_on: String,
    pub issued_at: i64,
    pub revoked_at: Option<i64>,
    /// Valid, revoked or forged; a revocation's reason is not public.
    pub verdict: Verdict,
    /// Whether it may be revoked here: not one kept from the district's
    /// platform that issued it (`exchange::revoked_where_issued`).
    pub revocable_here: bool,
}

/// A licence as one reader may see it.
#[derive(Debug, Clone)]
// One answer per request, never kept in bulk: the sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub enum LicenceAnswer {
    /// The holder, the department's staff, or the QR code's token.
    Full(LicenceRecord),
    /// Anyone else, with the number alone.
    Public(PublicLicence),
}

impl LicenceAnswer {
    pub fn number(&self) -> &str {
        match self {
            LicenceAnswer::Full(r) => &r.row.number,
            LicenceAnswer::Public(p) => &p.number,
        }
    }

    pub fn verdict(&self) -> &Verdict {
        match self {
            LicenceAnswer::Full(r) => &r.verdict,
            LicenceAnswer::Public(p) => &p.verdict,
        }
    }

    /// Whether it may be revoked on this platform: not one kept from the
    /// district's platform that issued it.
    pub fn revocable_here(&self) -> bool {
        match self {
            LicenceAnswer::Full(r) => exchange_rules::revoked_where_issued(&r.row).is_ok(),
            LicenceAnswer::Public(p) => p.revocable_here,
        }
    }
}

impl PublicLicence {
    fn of(record: &LicenceRecord, holder: String) -> PublicLicence {
        let p = &record.payload;
        PublicLicence {
            number: record.row.number.clone(),
            case_number: record.row.case_number.clone(),
            item_code: p.item_code.clone(),
            item_name: p.item_name.clone(),
            holder,
            issuer: record.row.issuer.clone(),
            issuer_name: p.issuer_name.clone(),
            decided_on: p.decided_on.clone(),
            issued_at: record.row.issued_at,
            revoked_at: record.row.revoked_at,
            verdict: match &record.verdict {
                Verdict::Revoked { .. } => Verdict::Revoked {
                    reason: String::new(),
                },
                v => v.clone(),
            },
            revocable_here: exchange_rules::revoked_where_issued(&record.row).is_ok(),
        }
    }
}

impl App {
    /// A licence by number with its verdict, in full, whatever the reader:
    /// only for the token's check and for writes.
    async fn licence_record(&self, number: &str) -> Result<LicenceRecord> {
        let mut conn = self.db.read().await?;
        let row = store::licence(&mut conn, number.trim())
            .await?
            .ok_or_else(not_found)?;
        let public_key = match &row.issuer_key {
            Some(key) => key.clone(),
            None => org_public_key(&mut conn, &row.issuer).await?,
        };
        let payload: LicencePayload = serde_json::from_str(&row.payload)
            .map_err(|e| anyhow::anyhow!("stored licence {}: {e}", row.number))?;
        let verdict = if !rules::verify(&public_key, &row.payload, &row.signature) {
            Verdict::Forged
        } else if let Some(reason) = &row.revoked_reason {
            Verdict::Revoked {
                reason: reason.clone(),
            }
        } else {
            Verdict::Valid
        };
        Ok(LicenceRecord {
            token: rules::token(&row.payload, &row.signature),
            row,
            payload,
            public_key,
            verdict,
        })
    }

    /// A licence by number, as this reader may see it: in full for whoever
    /// shows its QR code's token, for its holder and for staff who may view
    /// the issuer's cases (a staff read is journaled); to anyone else only
    /// what the public board shows, and nothing at all for a sensitive
    /// item's licence.
    pub async fn licence(
        &self,
        reader: Option<&Actor>,
        number: &str,
        token: Option<&str>,
    ) -> Result<LicenceAnswer> {
        if let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) {
            if let (_, Some(record)) = self.verify_licence_token(token).await? {
                if record.row.number == number.trim() {
                    return Ok(LicenceAnswer::Full(record));
                }
            }
        }
        let record = self.licence_record(number).await?;
        let (case, sensitive) = {
            let mut conn = self.db.read().await?;
            let case = store::case_by_number(&mut conn, &record.row.case_number)
                .await?
                .ok_or_else(not_found)?;
            let sensitive = self
                .specs
                .spec(&mut conn, case.version_id)
                .await?
                .map(|s| s.sensitive)
                // A licence whose item cannot be read is treated as sensitive.
                .unwrap_or(true);
            (case, sensitive)
        };
        if let Some(actor) = reader {
            if crate::hall::is_applicant(actor, &case) {
                return Ok(LicenceAnswer::Full(record));
            }
            let may_view = actor.kind == UserKind::Staff
                && OrgCode::parse(&case.department).is_ok_and(|department| {
                    self.authorize(
                        actor,
                        &Action::ViewCases {
                            department: &department,
                        },
                    )
                    .is_ok()
                });
            if may_view {
                let read = crate::access::StaffRead {
                    subject: format!("access/case/{}", case.number),
                    kind: sunshine_domain::access::ReadKind::Case,
                    purpose: sunshine_domain::access::ReadPurpose::HandleCase,
                    payload: json!({"view": "licence", "licence": record.row.number}),
                    persons: vec![crate::access::ReadOf::case(
                        &case.number,
                        case.applicant_user,
                        &case.applicant,
                    )],
                };
                self.record_staff_read(actor, read).await?;
                return Ok(LicenceAnswer::Full(record));
            }
        }
        if sensitive {
            return Err(not_found());
        }
        let holder = case.applicant_public.clone();
        Ok(LicenceAnswer::Public(PublicLicence::of(&record, holder)))
    }

    /// Check a licence as shown in its QR code: valid, revoked or forged,
    /// with the platform's record of it when it is genuine.
    pub async fn verify_licence_token(
        &self,
        token: &str,
    ) -> Result<(Verdict, Option<LicenceRecord>)> {
        let Some((canonical, payload, signature)) = rules::parse_token(token) else {
            return Ok((Verdict::Forged, None));
        };
        let record = match self.licence_record(&payload.number).await {
            Ok(r) => r,
            Err(crate::AppError::Refused(_)) => return Ok((Verdict::Forged, None)),
            Err(e) => return Err(e),
        };
        // What was shown must be exactly what the issuer signed and the platform holds.
        let genuine = rules::verify(&record.public_key, &canonical, &signature)
            && canonical == record.row.payload;
        if !genuine {
            return Ok((Verdict::Forged, None));
        }
        Ok((record.verdict.clone(), Some(record)))
    }

    /// Revoke a licence, with the reason (the approver over its issuer).
    pub async fn revoke_licence(&self, actor: &Actor, number: &str, reason: &str) -> Result<()> {
        let reason = reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > 2000 || !is_clean_text(&reason) {
            return Err(Refusal::field(
                "reason",
                "撤销应说明理由（不超过2000个字符）",
                "A revocation needs a reason (at most 2000 characters)",
            )
            .into());
        }
        let now = self.now_micros();
        let (actor, orgs, number) = (actor.clone(), self.orgs(), number.trim().to_string());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                let row = store::licence(tx.conn(), &number)
                    .await?
                    .ok_or_else(not_found)?;
                let issuer = OrgCode::parse(&row.issuer)
                    .map_err(|_| anyhow::anyhow!("stored issuer {}", row.issuer))?;
                crate::allow(
                    &orgs,
                    &actor,
                    &Action::RevokeLicence {
                        department: &issuer,
                    },
                )?;
                exchange_rules::revoked_where_issued(&row)?;
                if row.revoked_at.is_some() {
                    return Err(Refusal::conflict(
                        "already_revoked",
                        "该证照已撤销",
                        "The licence is already revoked",
                    )
                    .into());
                }
                store::revoke_licence(tx.conn(), &number, &reason, now).await?;
                let revoked = tx
                    .journal(
                        now,
                        entry(
                            &actor,
                            format!("case/{}", row.case_number),
                            "hall.licence_revoked",
                            json!({"licence": number, "reason": reason}),
                        ),
                    )
                    .await?;
                let public_key = org_public_key(tx.conn(), &row.issuer).await?;
                let row = IssuedLicence {
                    revoked_at: Some(now),
                    revoked_reason: Some(reason.clone()),
                    ..row
                };
                send_up(tx, &revoked, &row, public_key)?;
                Ok(())
            })
            .await
    }

    /// Every organisation's public key.
    pub async fn public_keys(&self) -> Result<Vec<(String, String)>> {
        let mut conn = self.db.read().await?;
        Ok(store::public_keys(&mut conn).await?)
    }
}
