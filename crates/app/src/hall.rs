//! The hall's commands: applying online or at a counter, and every step of a
//! case's lifecycle, each journaled under `case/<number>`.

mod counter;
pub mod inbox;

/// A case as the domain defines it and the app hands it out.
pub use sunshine_domain::hall::Case;

use crate::access::{ReadOf, StaffRead};
use std::collections::BTreeMap;
use sunshine_domain::access::{ReadKind, ReadPurpose};

use ed25519_dalek::SigningKey;
use rand::RngCore;
use serde_json::json;
use sunshine_domain::catalog::{ItemSpec, TimeLimit};
use sunshine_domain::clock::local_date;
use sunshine_domain::hall::{
    self as rules, Applicant, CaseAt, CaseClock, CaseCommand, CaseFacts, CaseNumber, Channel,
    Decision, Milestone, QueryCode,
};
use sunshine_domain::identity::{Actor, UserKind};
use sunshine_domain::ids::{CreditCode, OrgCode, ResidentId};
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_domain::registry::identity::{check_identity, IdentityCheck};
use sunshine_store::hall as store;
use sunshine_store::WriteTx;

use crate::journal_entry::entry;
use crate::materials::Upload;
use crate::{App, AppError, Result};

pub use sunshine_domain::hall::MAX_EXTENSION;

/// What the actor may do on a case now, as the domain's rules say: the page
/// offers these and nothing else.
#[derive(Debug, Clone, Default)]
pub struct CaseOffers {
    /// The commands that would be done, with sample wording.
    pub commands: Vec<CaseCommand>,
    /// 签收并办结本环节: sign for the step and complete it at once.
    pub claim_and_pass: bool,
    pub charge_fee: bool,
    pub decide_penalty: bool,
    pub rate: bool,
}

impl CaseOffers {
    /// Whether a command of this kind is offered (`CaseCommand::Accept` for accepting).
    pub fn has(&self, pick: impl Fn(&CaseCommand) -> bool) -> bool {
        self.commands.iter().any(pick)
    }
}

/// The case's applicant: the account that applied, or, for a case a counter
/// registered, the account bound to its number (实名) — never one that
/// only says it is that number.
pub(crate) fn is_applicant(actor: &Actor, case: &Case) -> bool {
    if actor.kind == UserKind::Staff {
        return false;
    }
    match case.applicant_user {
        Some(user) => user == actor.user_id,
        None => actor.verified_id.as_deref() == Some(applicant_number(&case.applicant)),
    }
}

/// The identity number or credit code a case is registered to.
fn applicant_number(a: &Applicant) -> &str {
    match a {
        Applicant::Person { id_number, .. } => id_number.as_str(),
        Applicant::Enterprise { credit_code, .. } => credit_code.as_str(),
    }
}

/// An item that keeps a personal record is applied for only by an account
/// bound to its identity: a number typed at sign-up applies for nobody.
pub(crate) fn require_real_name(actor: &Actor, spec: &ItemSpec) -> Result<()> {
    if spec.needs_real_name && !actor.is_verified() {
        return Err(crate::identity::binding::not_bound().into());
    }
    Ok(())
}

fn not_found() -> AppError {
    Refusal::not_found("办件", "Case").into()
}

impl App {
    /// The item version a new application is for: the one in force, with its spec.
    async fn applicable(&self, item_id: i64) -> Result<(i64, ItemSpec)> {
        let mut conn = self.db.read().await?;
        match sunshine_store::catalog::current_version(&mut conn, item_id).await? {
            Some(v) if v.state == sunshine_domain::catalog::VersionState::InLibrary => {
                Ok((v.id, v.spec))
            }
            _ => Err(Refusal::not_found("可申请的事项", "Item open for applications").into()),
        }
    }

    /// 网上申报: a signed-in citizen or enterprise applies for an item.
    pub async fn apply(
        &self,
        actor: &Actor,
        item_id: i64,
        answers: BTreeMap<String, String>,
        materials: Vec<Upload>,
    ) -> Result<Case> {
        self.authorize(actor, &Action::ApplyOnline)?;
        let (version_id, spec) = self.applicable(item_id).await?;
        if spec.sensitive {
            // Sensitive items are not offered publicly; they are applied for in person.
            return Err(Refusal::not_found("可申请的事项", "Item open for applications").into());
        }
        require_real_name(actor, &spec)?;
        let applicant = self.applicant_of(actor).await?;
        self.submit(
            actor,
            item_id,
            version_id,
            spec,
            applicant,
            Some(actor.user_id),
            Channel::Online,
            answers,
            materials,
        )
        .await
    }

    /// The signed-in citizen or enterprise as an applicant.
    pub(crate) async fn applicant_of(&self, actor: &Actor) -> Result<Applicant> {
        let user = {
            let mut conn = self.db.read().await?;
            sunshine_store::identity::find_user(&mut conn, actor.user_id)
                .await?
                .ok_or_else(not_found)?
        };
        // The bound number, or until then the one the account says it is
        // (allowed only for items that keep no personal record).
        let number = user
            .verified_id()
            .or(user.claimed_id.as_deref())
            .unwrap_or("")
            .to_string();
        Ok(match actor.kind {
            UserKind::Citizen => Applicant::Person {
                name: user.display_name.clone(),
                id_number: ResidentId::parse(&number)
                    .map_err(|_| anyhow::anyhow!("citizen without a valid identity number"))?,
            },
            _ => Applicant::Enterprise {
                name: user.display_name.clone(),
                credit_code: CreditCode::parse(&number)
                    .map_err(|_| anyhow::anyhow!("enterprise without a valid credit code"))?,
            },
        })
    }

    /// 窗口受理: a clerk registers an application taken at the counter.
    pub async fn register_at_counter(
        &self,
        actor: &Actor,
        item_id: i64,
        applicant: Applicant,
        answers: BTreeMap<String, String>,
        materials: Vec<Upload>,
    ) -> Result<Case> {
        let (version_id, spec) = self.applicable(item_id).await?;
        self.authorize(
            actor,
            &Action::RegisterAtCounter {
                department: &spec.implementing_body,
            },
        )?;
        let name = match &applicant {
            Applicant::Person { name, .. } | Applicant::Enterprise { name, .. } => name,
        };
        if name.trim().is_empty()
            || name.chars().count() > 100
            || !sunshine_domain::refusal::is_clean_text(name)
        {
            return Err(Refusal::field(
                "applicant.name",
                "申请人名称应为1至100个字符",
                "The applicant's name has 1 to 100 characters",
            )
            .into());
        }
        self.submit(
            actor,
            item_id,
            version_id,
            spec,
            applicant,
            None,
            Channel::Counter,
            answers,
            materials,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn submit(
        &self,
        actor: &Actor,
        item_id: i64,
        version_id: i64,
        spec: ItemSpec,
        applicant: Applicant,
        applicant_user: Option<i64>,
        channel: Channel,
        answers: BTreeMap<String, String>,
        materials: Vec<Upload>,
    ) -> Result<Case> {
        let (typed, files) = crate::materials::together(
            rules::check_answers(&spec.form, &answers).map_err(AppError::from),
            crate::materials::prepare(&spec.materials, materials, channel),
        )?;
        let now = self.now_micros();
        let year = self.clock.today().year();
        let new = NewCase {
            item_id,
            version_id,
            spec,
            applicant,
            applicant_user,
            channel,
            answers: typed,
            query_code: new_query_code(),
            bundle_number: None,
            files,
        };
        // A counter's applicant whose name the registry holds otherwise is
        // refused, and the check that found it is still journaled.
        let checked = match (&new.channel, &new.applicant) {
            (Channel::Counter, Applicant::Person { name, id_number }) => {
                Some((id_number.as_str().to_string(), name.clone()))
            }
            _ => None,
        };
        let who = actor.clone();
        let opened = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<Case> {
                open_case(tx, &who, new, now, year).await
            })
            .await;
        if let (Err(AppError::Refused(r)), Some((number, name))) = (&opened, checked) {
            if r.fields.contains_key(APPLICANT_NAME) {
                self.keep_refused_check(actor, &number, &name, "hall")
                    .await?;
            }
        }
        opened
    }

    /// One step of a case's lifecycle, by whoever the policy allows.
    pub async fn case_command(
        &self,
        actor: &Actor,
        number: &str,
        command: CaseCommand,
    ) -> Result<Case> {
        self.case_commands(actor, number, vec![command]).await
    }

    /// 签收并办结本环节: sign for the current step and complete it, in one
    /// transaction, journaled as both; only for one who may sign for it.
    pub async fn claim_and_pass(&self, actor: &Actor, number: &str) -> Result<Case> {
        let (claim, pass) = (
            CaseCommand::Claim { clerk: 0 },
            CaseCommand::Pass { clerk: 0 },
        );
        self.case_commands(actor, number, vec![claim, pass]).await
    }

    /// What the actor may do on the case now: the same rules `case_command`,
    /// `charge_fee`, `decide_penalty` and `rate_case` check, asked by pages
    /// that offer only what would be done.
    pub fn offers(&self, actor: &Actor, file: &inbox::CaseFile) -> CaseOffers {
        let Ok(department) = OrgCode::parse(&file.case.department) else {
            return CaseOffers::default();
        };
        if file.case.handled_by.is_some() {
            // Handed down: it is acted on where it is handled.
            return CaseOffers::default();
        }
        let orgs = self.orgs();
        let by_applicant = is_applicant(actor, &file.case);
        let at = case_at(&file.case, &department, &file.spec, by_applicant);
        CaseOffers {
            commands: rules::available(at, actor, &orgs.tree),
            claim_and_pass: rules::may_claim_and_pass(at, actor, &orgs.tree),
            charge_fee: rules::may_charge_fee(at, actor, &orgs.tree).is_ok(),
            decide_penalty: rules::may_decide_penalty(at, actor, &orgs.tree).is_ok(),
            rate: by_applicant
                && rules::rating_open(&file.case.facts.state, file.rating.is_some()).is_ok(),
        }
    }

    /// Commands on a case, one after another in one transaction, each
    /// checked and journaled on its own.
    async fn case_commands(
        &self,
        actor: &Actor,
        number: &str,
        commands: Vec<CaseCommand>,
    ) -> Result<Case> {
        let now = self.now_micros();
        let today = local_date(self.clock.now());
        let (approver, case_number) = (actor.clone(), number.to_string());
        let (actor, orgs, calendar, number) = (
            actor.clone(),
            self.orgs(),
            self.calendar.clone(),
            number.to_string(),
        );
        let presigned = match commands.as_slice() {
            [CaseCommand::Approve { .. }] => {
                crate::licence::presign(self, &orgs, &number, today.to_string())
            }
            _ => None,
        };
        // One command checks everything before it writes anything; of two,
        // the second is checked after the first has written.
        let decides_first = commands.len() == 1;
        let (kek, specs, keys) = (self.kek.clone(), self.specs.clone(), self.keys.clone());
        let write = async move |tx: &mut WriteTx| -> Result<(Case, Option<SigningKey>, bool)> {
            let mut presigned = presigned;
            let mut granted = false;
            let mut done = None;
            let mut signed_with = None;
            for command in commands {
                let command = command.by(actor.user_id);
                let (mut case, spec) = case_and_spec(tx, &specs, &number).await?;
                let department = stored_department(&case)?;
                let at = case_at(&case, &department, &spec, is_applicant(&actor, &case));
                let decision = rules::check(at, &actor, &orgs.tree, &command)?;
                // What an approval grants is decided before anything is written.
                let grant = match command {
                    CaseCommand::Approve { .. } => crate::grants::decide(tx, &case, &spec).await?,
                    _ => None,
                };
                apply(&mut case, decision, today, now);
                set_due_dates(&mut case, &calendar, &spec, today)?;
                store::update_case(tx.conn(), &case).await?;
                if let CaseCommand::Approve { .. } = command {
                    if let Some(grant) = grant {
                        crate::grants::write(tx, &actor, &case, grant, now).await?;
                        granted = true;
                    }
                    // An approval produces its signed e-licence in the same transaction.
                    signed_with = Some(
                        crate::licence::issue(
                            tx,
                            &kek,
                            &keys,
                            &orgs,
                            &actor,
                            &case,
                            &spec,
                            today.to_string(),
                            presigned.take(),
                            now,
                        )
                        .await?,
                    );
                }
                journal_command(tx, &actor, &case, &command, now).await?;
                done = Some(case);
            }
            let case = done.ok_or_else(|| anyhow::anyhow!("no command given"))?;
            Ok((case, signed_with, granted))
        };
        let written = if decides_first {
            self.db.write_decided(write).await
        } else {
            self.db.write(write).await
        };
        if let Err(AppError::Refused(r)) = &written {
            if r.code == crate::grants::IDENTITY_REFUSED {
                self.keep_refused_grant_check(&approver, &case_number)
                    .await?;
            }
        }
        let (case, signed_with, granted) = written?;
        if let Some(key) = signed_with {
            // The batch is durable: the key it signed with is there for good.
            self.keys.learn(&case.department, key);
        }
        self.recent_cases.keep(&case);
        if granted {
            // The books take it now if they can; the workers try again if not.
            let delivered = self.deliver_grants().await;
            self.report(
                "an approved case's grant could not be carried out yet",
                delivered,
            );
        }
        Ok(case)
    }

    /// Charge one of the item's catalogued fees at its standard amount, while
    /// the case is being handled.
    pub async fn charge_fee(
        &self,
        actor: &Actor,
        number: &str,
        name: &str,
        amount_fen: i64,
    ) -> Result<Vec<(String, i64)>> {
        let now = self.now_micros();
        let (actor, orgs, number, name) = (
            actor.clone(),
            self.orgs(),
            number.to_string(),
            name.trim().to_string(),
        );
        let specs = self.specs.clone();
        self.db
            .write(
                async move |tx: &mut WriteTx| -> Result<Vec<(String, i64)>> {
                    let (case, spec) = case_and_spec(tx, &specs, &number).await?;
                    let department = stored_department(&case)?;
                    let at = case_at(&case, &department, &spec, false);
                    rules::may_charge_fee(at, &actor, &orgs.tree)?;
                    rules::check_fee(&spec.fees, &name, amount_fen)?;
                    store::insert_charge(tx.conn(), &number, &name, amount_fen, now).await?;
                    tx.journal(
                        now,
                        entry(
                            &actor,
                            format!("case/{number}"),
                            "hall.fee_charged",
                            json!({"fee": name, "amount_fen": amount_fen}),
                        ),
                    )
                    .await?;
                    Ok(store::charges(tx.conn(), &number).await?)
                },
            )
            .await
    }

    /// For a penalty item: the circumstance from its discretion standard and
    /// the amount, which must lie within that circumstance's range.
    pub async fn decide_penalty(
        &self,
        actor: &Actor,
        number: &str,
        circumstance: usize,
        amount_fen: i64,
    ) -> Result<serde_json::Value> {
        let now = self.now_micros();
        let (actor, orgs, number) = (actor.clone(), self.orgs(), number.to_string());
        let specs = self.specs.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<serde_json::Value> {
                    let (case, spec) = case_and_spec(tx, &specs, &number).await?;
                    let department = stored_department(&case)?;
                    let at = case_at(&case, &department, &spec, false);
                    rules::may_decide_penalty(at, &actor, &orgs.tree)?;
                    let d = rules::check_penalty(&spec.discretion, circumstance, amount_fen)?;
                    let penalty = json!({"circumstance": d.circumstance, "measure": d.measure, "amount_fen": amount_fen});
                    store::set_penalty(tx.conn(), &number, &penalty).await?;
                    tx.journal(now, entry(&actor, format!("case/{number}"), "hall.penalty_decided", penalty.clone())).await?;
                    Ok(penalty)
                })
            .await
    }

    /// The applicant rates the service after the decision (1 to 5, with a comment).
    pub async fn rate_case(
        &self,
        actor: &Actor,
        number: &str,
        rating: i64,
        comment: &str,
    ) -> Result<()> {
        let now = self.now_micros();
        let (actor, number, comment) = (
            actor.clone(),
            number.to_string(),
            comment.trim().to_string(),
        );
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                let case = store::case_by_number(tx.conn(), &number)
                    .await?
                    .ok_or_else(not_found)?;
                if !is_applicant(&actor, &case) {
                    return Err(not_found());
                }
                let rated = store::rating(tx.conn(), &number).await?.is_some();
                rules::check_rating(&case.facts.state, rated, rating, &comment)?;
                store::set_rating(tx.conn(), &number, rating, &comment).await?;
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("case/{number}"),
                        "hall.case_rated",
                        json!({"rating": rating, "comment": comment}),
                    ),
                )
                .await?;
                Ok(())
            })
            .await
    }

    /// A case, for the staff of its department or its applicant.
    pub async fn case_for(&self, actor: &Actor, number: &str) -> Result<Case> {
        self.read_case(actor, number, ReadPurpose::HandleCase).await
    }

    /// A case, for the staff of its department (their read journaled with
    /// its purpose and shown to the applicant) or its applicant.
    pub async fn read_case(
        &self,
        actor: &Actor,
        number: &str,
        purpose: ReadPurpose,
    ) -> Result<Case> {
        let mut conn = self.db.read().await?;
        let case = store::case_by_number(&mut conn, number)
            .await?
            .ok_or_else(not_found)?;
        if is_applicant(actor, &case) {
            return Ok(case);
        }
        let department =
            sunshine_domain::ids::OrgCode::parse(&case.department).map_err(|_| not_found())?;
        // A case someone may not see is, for them, not there.
        self.authorize(
            actor,
            &Action::ViewCases {
                department: &department,
            },
        )
        .map_err(|_| not_found())?;
        let read = StaffRead {
            subject: format!("access/case/{}", case.number),
            kind: ReadKind::Case,
            purpose,
            payload: json!({"view": "case", "case": case.number}),
            persons: vec![ReadOf::case(
                &case.number,
                case.applicant_user,
                &case.applicant,
            )],
        };
        self.record_staff_read(actor, read).await?;
        Ok(case)
    }

    /// Follow a case without signing in: its number and query code.
    pub async fn track(&self, number: &str, query_code: &str) -> Result<Case> {
        let code = QueryCode::parse(query_code).ok_or_else(not_found)?;
        let mut conn = self.db.read().await?;
        match store::case_by_number(&mut conn, number.trim()).await? {
            Some(c) if c.query_code == code.as_str() => Ok(c),
            _ => Err(not_found()),
        }
    }

    /// A citizen's or enterprise's own cases, newest first.
    pub async fn my_cases(&self, actor: &Actor) -> Result<Vec<Case>> {
        let mut conn = self.db.read().await?;
        let verified = actor.verified_id.as_deref().filter(|_| actor.is_verified());
        Ok(store::cases_of_applicant(&mut conn, actor.user_id, verified, 200).await?)
    }
}

/// A case about to be opened, its answers already checked.
pub(crate) struct NewCase {
    pub item_id: i64,
    pub version_id: i64,
    pub spec: ItemSpec,
    pub applicant: Applicant,
    pub applicant_user: Option<i64>,
    pub channel: Channel,
    pub answers: BTreeMap<String, serde_json::Value>,
    pub query_code: QueryCode,
    pub bundle_number: Option<String>,
    /// The materials handed in with it, checked.
    pub files: Vec<crate::materials::Prepared>,
}

/// A fresh query code from the operating system's randomness.
pub(crate) fn new_query_code() -> QueryCode {
    let mut random = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut random);
    QueryCode::from_random(random)
}

/// Number a new case in its region and year, store it and journal its submission.
pub(crate) async fn open_case(
    tx: &mut WriteTx,
    actor: &Actor,
    new: NewCase,
    now: i64,
    year: i16,
) -> Result<Case> {
    let NewCase {
        item_id,
        version_id,
        spec,
        applicant,
        applicant_user,
        channel,
        answers,
        query_code,
        bundle_number,
        files,
    } = new;
    let (applicant, identity) = checked_applicant(tx, actor, applicant, channel, now).await?;
    let hand_to = crate::exchange::hand_to(tx, spec.region.as_str()).await?;
    let seq = numbered(tx, spec.region.as_str(), year, hand_to.is_some()).await?;
    let number = CaseNumber {
        year,
        region: spec.region.clone(),
        seq,
    }
    .to_string();
    let mut case = Case {
        id: 0,
        number: number.clone(),
        query_code: query_code.as_str().to_string(),
        item_id,
        version_id,
        department: spec.implementing_body.to_string(),
        region: spec.region.to_string(),
        applicant_user,
        applicant_public: applicant.public_name(),
        applicant,
        channel,
        answers: serde_json::Value::Object(answers.into_iter().collect()),
        facts: CaseFacts::new(spec.steps.len()),
        clock: None,
        promised_due: None,
        legal_due: None,
        step_due: None,
        bundle_number,
        handled_by: hand_to.as_ref().map(|p| p.to_string()),
        submitted_at: now,
        accepted_at: None,
        decided_at: None,
        completed_at: None,
        updated_at: now,
    };
    case.id = store::insert_case(tx.conn(), &case).await?;
    crate::materials::attach(tx, &number, &files, actor, now).await?;
    let payload = json!({"item_id": item_id, "version_id": version_id, "department": case.department,
        "channel": channel, "applicant": case.applicant_public, "bundle": case.bundle_number,
        "materials": crate::materials::journal_list(&files),
        "identity": identity.map(|i| i.as_str())});
    let submitted = tx
        .journal(
            now,
            entry(
                actor,
                format!("case/{number}"),
                "hall.case_submitted",
                payload,
            ),
        )
        .await?;
    if let Some(district) = hand_to {
        // The district handles it: what it needs goes down in this commit.
        crate::exchange::hand_down(tx, &submitted, district, &case, &files)?;
    }
    Ok(case)
}

/// The next number in a region's series this year. The city's portal
/// numbers the applications it hands down above [`rules::PORTAL_SERIES`],
/// a district's platform below it, so the two never give one number twice.
async fn numbered(tx: &mut WriteTx, region: &str, year: i16, handed_down: bool) -> Result<u32> {
    let seq = store::next_sequence(tx.conn(), region, year).await?;
    let district_platform = tx.platform().is_some_and(|p| p.district().is_some());
    let (seq, limit) = if handed_down {
        (seq.saturating_add(rules::PORTAL_SERIES), 999_999)
    } else if district_platform {
        (seq, rules::PORTAL_SERIES)
    } else {
        (seq, 999_999)
    };
    if seq > limit {
        return Err(Refusal::conflict(
            "case_numbers_used_up",
            &format!("{region}今年的办件编号已用完"),
            &format!("The case numbers of {region} for this year are used up"),
        )
        .into());
    }
    Ok(seq)
}

/// The field a counter's applicant's name is refused on.
const APPLICANT_NAME: &str = "applicant.name";

/// A person applying, checked against the registry. At the counter the
/// name given must be the registry's for the number (the check is a read
/// of their record, journaled); a number the registry does not hold is
/// taken (the hall serves those who live elsewhere). Online, a bound
/// account applies under the name the registry holds for its number; an
/// unbound one is not checked, so that nothing of the registry reaches
/// someone who has only typed a number.
async fn checked_applicant(
    tx: &mut WriteTx,
    actor: &Actor,
    applicant: Applicant,
    channel: Channel,
    now: i64,
) -> Result<(Applicant, Option<IdentityCheck>)> {
    let Applicant::Person { name, id_number } = applicant else {
        return Ok((applicant, None));
    };
    let number = id_number.as_str().to_string();
    if channel == Channel::Counter {
        let found = crate::registry::identity::verdict_of(tx.conn(), &number, &name).await?;
        let verdict = found.0;
        if verdict == IdentityCheck::NameDiffers {
            return Err(Refusal::field(
                APPLICANT_NAME,
                "姓名与人口基础库中该身份号码的登记不符，请核对身份证件",
                "The name is not the one the population registry holds for this number: check the identity card",
            )
            .into());
        }
        crate::registry::identity::journal_check(tx, actor, &number, "hall", found, now).await?;
        return Ok((Applicant::Person { name, id_number }, Some(verdict)));
    }
    if !actor.is_verified() {
        // A typed number learns nothing of the registry, not even a verdict
        // kept where the case's history might show it.
        return Ok((Applicant::Person { name, id_number }, None));
    }
    let held = sunshine_store::registry::persons_by_id_number(tx.conn(), &[number]).await?;
    let names: Vec<&str> = held.iter().map(|(_, p)| p.name.as_str()).collect();
    let verdict = check_identity(&name, &names);
    let name = match (verdict, names.first()) {
        (IdentityCheck::NameDiffers, Some(held)) => held.to_string(),
        _ => name,
    };
    Ok((Applicant::Person { name, id_number }, Some(verdict)))
}

/// A case with the spec of the version it began on.
pub(crate) async fn case_and_spec(
    tx: &mut WriteTx,
    specs: &crate::specs::SpecCache,
    number: &str,
) -> Result<(Case, std::sync::Arc<ItemSpec>)> {
    let case = store::case_by_number(tx.conn(), number)
        .await?
        .ok_or_else(not_found)?;
    if let Some(platform) = &case.handled_by {
        return Err(crate::exchange::handled_elsewhere(platform).into());
    }
    let spec = specs
        .spec(tx.conn(), case.version_id)
        .await?
        .ok_or_else(not_found)?;
    Ok((case, spec))
}

/// The department a stored case belongs to.
fn stored_department(case: &Case) -> Result<OrgCode> {
    OrgCode::parse(&case.department)
        .map_err(|_| anyhow::anyhow!("stored department {}", case.department).into())
}

/// The case as the domain's rules about who may act on it see it.
fn case_at<'a>(
    case: &'a Case,
    department: &'a OrgCode,
    spec: &'a ItemSpec,
    by_applicant: bool,
) -> CaseAt<'a> {
    CaseAt {
        facts: &case.facts,
        department,
        spec,
        by_applicant,
    }
}

/// What the lifecycle decided, on the stored case: its facts, its clock and
/// the time of the moment it marks.
fn apply(case: &mut Case, decision: Decision, today: jiff::civil::Date, now: i64) {
    case.facts = decision.facts;
    decision.clock.apply(&mut case.clock, today);
    match decision.milestone {
        Some(Milestone::Accepted) => case.accepted_at = Some(now),
        Some(Milestone::Decided) => case.decided_at = Some(now),
        Some(Milestone::Completed) => case.completed_at = Some(now),
        None => {}
    }
    case.updated_at = now;
}

/// The journal's entry for a command done on a case, under `case/<number>`.
async fn journal_command(
    tx: &mut WriteTx,
    actor: &Actor,
    case: &Case,
    command: &CaseCommand,
    now: i64,
) -> Result<()> {
    let payload = json!({"action": command.event_type(), "state": case.facts.state,
        "details": command.details(), "promised_due": case.promised_due,
        "legal_due": case.legal_due, "step_due": case.step_due});
    let subject = format!("case/{}", case.number);
    tx.journal(now, entry(actor, subject, command.event_type(), payload))
        .await?;
    Ok(())
}

/// The case's promised and legal due dates, and its current step's, from the
/// clock: the same domain rule that supervision uses.
fn set_due_dates(
    case: &mut Case,
    calendar: &sunshine_domain::calendar::Calendar,
    spec: &ItemSpec,
    today: jiff::civil::Date,
) -> Result<()> {
    let Some(clock) = &case.clock else {
        return Ok(());
    };
    let due = |clock: &CaseClock, limit: TimeLimit| {
        rules::due_date(calendar, clock, limit, today)
            .map(|d| d.to_string())
            .map_err(|e| AppError::Internal(e.into()))
    };
    case.promised_due = Some(due(clock, spec.promised_limit)?);
    case.legal_due = Some(due(clock, spec.legal_limit)?);
    let step = case.facts.state.step().and_then(|i| spec.steps.get(i));
    case.step_due = match step {
        Some(step) => Some(due(&clock.step_clock(), step.limit)?),
        None => None,
    };
    Ok(())
}
