//! The city's named read (市级具名查阅): the city's registrar asks the
//! district that holds a person to read their record, with a reason and
//! the fields needed; the district's registrar approves or refuses; while
//! the approval lasts the city reads those fields, each read journaled and
//! shown to the person. The rules are `domain::registry::named_read`.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sunshine_domain::access::{ReadKind, ReadPurpose};
use sunshine_domain::identity::{Actor, OrgKind};
use sunshine_domain::ids::{OrgCode, ResidentId};
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_domain::registry::named_read::{self as rule, NamedReadState};
use sunshine_domain::registry::view::{Field, PersonView};
use sunshine_store::registry::{self as registry_store, named_reads as store};
use sunshine_store::WriteTx;

use crate::access::{journal_staff_read, ReadOf, StaffRead};
use crate::journal_entry::entry;
use crate::{allow, App, OrgDirectory, Result};

/// The city's request: whom, in which district, what and why.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NamedReadForm {
    /// The district that holds the person (`330106`).
    pub district: String,
    /// The person's identity number (GB 11643).
    pub id_number: String,
    /// The fields the inquiry needs: some of `id_number`, `name`, `sex`,
    /// `birth`, `ethnicity`, `registered_address`, `residence_address`,
    /// `community`, `household`, `relationship` (never `phone`).
    pub fields: Vec<Field>,
    /// Why the city needs the record: the matter and its basis. The
    /// person is shown it with each read.
    #[serde(default)]
    pub reason: String,
}

/// A request as its asker and its district see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NamedReadView {
    pub id: i64,
    pub district: String,
    pub district_name: String,
    pub id_number: String,
    pub fields: Vec<Field>,
    pub reason: String,
    /// `asked`, `approved`, `expired`, `refused` or `withdrawn`.
    pub state: String,
    /// Who asked, by name.
    pub requester: String,
    pub asked_at: i64,
    pub decided_at: Option<i64>,
    pub answer: Option<String>,
    /// When an approval stops letting the city read (µs).
    pub expires_at: Option<i64>,
    /// The signed-in member of staff may approve or refuse it now.
    pub yours_to_decide: bool,
    /// The signed-in member of staff asked it.
    pub yours: bool,
}

/// The district's answer.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NamedReadDecision {
    pub approve: bool,
    /// Why, when refused; a note, when approved.
    #[serde(default)]
    pub answer: String,
}

/// A read under an approved request: the fields asked, no more.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NamedReadResult {
    pub request: NamedReadView,
    pub person: PersonView,
}

fn no_request() -> Refusal {
    Refusal::not_found("该查阅申请", "The request")
}

fn parse_fields(text: &str) -> Vec<Field> {
    text.split(',')
        .filter_map(|f| serde_json::from_value(json!(f)).ok())
        .collect()
}

fn field_names(fields: &[Field]) -> String {
    fields
        .iter()
        .filter_map(|f| serde_json::to_value(f).ok())
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect::<Vec<_>>()
        .join(",")
}

/// The district a request may be addressed to: a district, county or zone
/// of the directory.
fn district_of(orgs: &OrgDirectory, code: &str) -> std::result::Result<OrgCode, Refusal> {
    let wrong = || {
        Refusal::field(
            "district",
            "请选择人员所在的区、县（市）",
            "Choose the district that holds the person",
        )
    };
    let code = OrgCode::parse(code.trim()).map_err(|_| wrong())?;
    orgs.list
        .iter()
        .any(|o| {
            o.code == code && matches!(o.kind, OrgKind::District | OrgKind::County | OrgKind::Zone)
        })
        .then_some(code)
        .ok_or_else(wrong)
}

/// A request's state as kept; a state the code does not know reads as
/// withdrawn, which lets no one read.
fn state_of(row: &store::NamedReadRow) -> NamedReadState {
    NamedReadState::parse(&row.state).unwrap_or(NamedReadState::Withdrawn)
}

fn decides(orgs: &OrgDirectory, actor: &Actor, district: &str) -> bool {
    OrgCode::parse(district)
        .is_ok_and(|d| allow(orgs, actor, &Action::DecideNamedRead { district: &d }).is_ok())
}

fn view(
    orgs: &OrgDirectory,
    actor: &Actor,
    r: store::NamedReadRow,
    requester: String,
    now: i64,
) -> NamedReadView {
    let state = state_of(&r);
    let district_name = orgs
        .list
        .iter()
        .find(|o| o.code.as_str() == r.district)
        .map(|o| o.name.clone())
        .unwrap_or_default();
    NamedReadView {
        yours_to_decide: state == NamedReadState::Asked
            && r.requester != actor.user_id
            && decides(orgs, actor, &r.district),
        yours: r.requester == actor.user_id,
        state: rule::shown(state, r.expires_at, now).to_string(),
        fields: parse_fields(&r.fields),
        id: r.id,
        district: r.district,
        district_name,
        id_number: r.id_number,
        reason: r.reason,
        requester,
        asked_at: r.asked_at,
        decided_at: r.decided_at,
        answer: r.answer,
        expires_at: r.expires_at,
    }
}

async fn requester_name(conn: &mut sunshine_store::Conn, id: i64) -> Result<String> {
    Ok(sunshine_store::identity::find_user(conn, id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default())
}

/// The request `id`, if `actor` asked it or answers for its district;
/// otherwise not found, as if there were none.
async fn theirs(
    conn: &mut sunshine_store::Conn,
    orgs: &OrgDirectory,
    actor: &Actor,
    id: i64,
) -> Result<store::NamedReadRow> {
    let row = store::get(conn, id).await?.ok_or_else(no_request)?;
    if row.requester != actor.user_id && !decides(orgs, actor, &row.district) {
        return Err(no_request().into());
    }
    Ok(row)
}

impl App {
    /// Whether `actor` may ask for named reads or answers for a district's.
    pub fn named_read_desk(&self, actor: &Actor) -> (bool, bool) {
        let orgs = self.orgs();
        let asks = allow(&orgs, actor, &Action::AskNamedRead).is_ok();
        let decides = orgs.list.iter().any(|o| {
            matches!(o.kind, OrgKind::District | OrgKind::County | OrgKind::Zone)
                && allow(&orgs, actor, &Action::DecideNamedRead { district: &o.code }).is_ok()
        });
        (asks, decides)
    }

    /// The city's registrar asks a district to read a person: checked
    /// whole, nothing of the person read, journaled without the number.
    pub async fn ask_named_read(
        &self,
        actor: &Actor,
        form: NamedReadForm,
    ) -> Result<NamedReadView> {
        let orgs = self.orgs();
        allow(&orgs, actor, &Action::AskNamedRead)?;
        let mut wrong = Refusal::invalid(
            "named_read_rejected",
            "查阅申请未被接受：以下各项有误",
            "The request was not accepted: the items below are wrong",
        );
        let mut collect = |r: std::result::Result<(), Refusal>| {
            if let Err(r) = r {
                wrong.fields.extend(r.fields);
            }
        };
        let district = district_of(&orgs, &form.district);
        let number = ResidentId::parse(&form.id_number);
        let fields = rule::asked_fields(&form.fields);
        let reason = rule::text(&form.reason, "reason");
        collect(district.as_ref().map(|_| ()).map_err(Clone::clone));
        if let Err(e) = &number {
            collect(Err(Refusal::field("id_number", e.zh.clone(), e.en.clone())));
        }
        collect(fields.as_ref().map(|_| ()).map_err(Clone::clone));
        collect(reason.as_ref().map(|_| ()).map_err(Clone::clone));
        let (Ok(district), Ok(number), Ok(fields), Ok(reason)) = (district, number, fields, reason)
        else {
            return Err(wrong.into());
        };
        let now = self.now_micros();
        let who = actor.clone();
        let id = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<i64> {
                let id = store::insert(
                    tx.conn(),
                    who.user_id,
                    district.as_str(),
                    number.as_str(),
                    &field_names(&fields),
                    &reason,
                    now,
                )
                .await?;
                tx.journal(
                    now,
                    entry(
                        &who,
                        format!("registry/named-read/{id}"),
                        "registry.named_read_asked",
                        json!({"district": district.as_str(), "fields": fields, "reason": reason}),
                    ),
                )
                .await?;
                Ok(id)
            })
            .await?;
        self.named_read(actor, id).await
    }

    /// The requests `actor` asked and those of the districts they answer
    /// for, newest first.
    pub async fn named_reads(&self, actor: &Actor) -> Result<Vec<NamedReadView>> {
        let orgs = self.orgs();
        let (asks, answers) = self.named_read_desk(actor);
        if !asks && !answers {
            return Err(Refusal::forbidden(
                "forbidden",
                "您不能申请或审批市级具名查阅",
                "You neither ask for nor answer the city's named reads",
            )
            .into());
        }
        let mut conn = self.db.read().await?;
        let mut rows = if asks {
            store::by_requester(&mut conn, actor.user_id, 200).await?
        } else {
            vec![]
        };
        for o in &orgs.list {
            if matches!(o.kind, OrgKind::District | OrgKind::County | OrgKind::Zone)
                && decides(&orgs, actor, o.code.as_str())
            {
                rows.extend(store::for_district(&mut conn, o.code.as_str(), 200).await?);
            }
        }
        rows.sort_by_key(|r| std::cmp::Reverse(r.id));
        rows.dedup_by_key(|r| r.id);
        let now = self.now_micros();
        // Each asker's name looked up once, however many requests they made.
        let mut names: std::collections::BTreeMap<i64, String> = Default::default();
        let mut out = vec![];
        for r in rows {
            let name = match names.get(&r.requester) {
                Some(n) => n.clone(),
                None => {
                    let n = requester_name(&mut conn, r.requester).await?;
                    names.insert(r.requester, n.clone());
                    n
                }
            };
            out.push(view(&orgs, actor, r, name, now));
        }
        Ok(out)
    }

    /// One request, for its asker or its district.
    pub async fn named_read(&self, actor: &Actor, id: i64) -> Result<NamedReadView> {
        let orgs = self.orgs();
        let mut conn = self.db.read().await?;
        let row = theirs(&mut conn, &orgs, actor, id).await?;
        let name = requester_name(&mut conn, row.requester).await?;
        Ok(view(&orgs, actor, row, name, self.now_micros()))
    }

    /// The district's registrar answers: an approval first checks that the
    /// district holds the person (if not, the request is to be refused
    /// saying so) and lets the city read for [`rule::VALID_DAYS`] days.
    pub async fn decide_named_read(
        &self,
        actor: &Actor,
        id: i64,
        decision: NamedReadDecision,
    ) -> Result<NamedReadView> {
        let answer = if decision.approve {
            decision.answer.trim().to_string()
        } else {
            rule::text(&decision.answer, "answer")?
        };
        let (orgs, now) = (self.orgs(), self.now_micros());
        let who = actor.clone();
        self.db
            .write_decided(async move |tx: &mut WriteTx| -> Result<()> {
                let row = store::get(tx.conn(), id).await?.ok_or_else(no_request)?;
                if !decides(&orgs, &who, &row.district) {
                    return Err(no_request().into());
                }
                let state = state_of(&row);
                rule::may_decide(state, row.requester, who.user_id)?;
                let (state, expires, kind) = if decision.approve {
                    let held = registry_store::persons_by_id_number(
                        tx.conn(),
                        std::slice::from_ref(&row.id_number),
                    )
                    .await?;
                    if !held.iter().any(|(_, p)| p.community.starts_with(&row.district)) {
                        return Err(Refusal::conflict(
                            "named_read_not_held",
                            "本区人口库中没有该身份证号的人员：请拒绝该申请并说明",
                            "The district holds no person with this identity number: refuse the request, saying so",
                        )
                        .into());
                    }
                    (
                        NamedReadState::Approved,
                        Some(rule::expires_at(now)),
                        "registry.named_read_approved",
                    )
                } else {
                    (NamedReadState::Refused, None, "registry.named_read_refused")
                };
                if !store::decide(tx.conn(), id, state.as_str(), who.user_id, &answer, expires, now)
                    .await?
                {
                    return Err(rule::may_decide(NamedReadState::Approved, 0, 1)
                        .err()
                        .unwrap_or_else(no_request)
                        .into());
                }
                tx.journal(
                    now,
                    entry(
                        &who,
                        format!("registry/named-read/{id}"),
                        kind,
                        json!({"district": row.district, "expires_at": expires}),
                    ),
                )
                .await?;
                Ok(())
            })
            .await?;
        self.named_read(actor, id).await
    }

    /// The city withdraws its request, waiting or approved: no read after.
    pub async fn withdraw_named_read(&self, actor: &Actor, id: i64) -> Result<NamedReadView> {
        let now = self.now_micros();
        let who = actor.clone();
        self.db
            .write_decided(async move |tx: &mut WriteTx| -> Result<()> {
                let row = store::get(tx.conn(), id).await?.ok_or_else(no_request)?;
                if row.requester != who.user_id {
                    return Err(no_request().into());
                }
                let state = state_of(&row);
                rule::may_withdraw(state)?;
                if !store::withdraw(tx.conn(), id, now).await? {
                    return Err(rule::may_withdraw(NamedReadState::Withdrawn)
                        .err()
                        .unwrap_or_else(no_request)
                        .into());
                }
                tx.journal(
                    now,
                    entry(
                        &who,
                        format!("registry/named-read/{id}"),
                        "registry.named_read_withdrawn",
                        json!({"district": row.district}),
                    ),
                )
                .await?;
                Ok(())
            })
            .await?;
        self.named_read(actor, id).await
    }

    /// The city reads under its approved request: the fields asked, of the
    /// person the district still holds; the read is journaled with the
    /// purpose 市级具名查阅 and shown to the person with the reason, in the
    /// same transaction as it is made.
    pub async fn read_named(&self, actor: &Actor, id: i64) -> Result<NamedReadResult> {
        let (orgs, now) = (self.orgs(), self.now_micros());
        let who = actor.clone();
        let person = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<PersonView> {
                let row = store::get(tx.conn(), id).await?.ok_or_else(no_request)?;
                if row.requester != who.user_id
                    || allow(&orgs, &who, &Action::AskNamedRead).is_err()
                {
                    return Err(no_request().into());
                }
                let state = state_of(&row);
                rule::may_read(state, row.expires_at, now)?;
                let held = registry_store::persons_by_id_number(
                    tx.conn(),
                    std::slice::from_ref(&row.id_number),
                )
                .await?;
                let Some((pid, person)) = held
                    .into_iter()
                    .find(|(_, p)| p.community.starts_with(&row.district))
                else {
                    return Err(Refusal::not_found("该人员", "The person").into());
                };
                let fields = parse_fields(&row.fields);
                let reason: String = row.reason.chars().take(120).collect();
                let read = StaffRead {
                    subject: format!("registry/named-read/{id}"),
                    kind: ReadKind::RegistryRecord,
                    purpose: ReadPurpose::CityInquiry,
                    payload: json!({"request": id, "district": row.district, "fields": fields}),
                    persons: vec![ReadOf {
                        user: None,
                        number: Some(row.id_number.clone()),
                        what: format!("#{id} {reason}"),
                    }],
                };
                journal_staff_read(tx, &who, read, now).await?;
                Ok(PersonView::asked(pid, &person, &fields))
            })
            .await?;
        let request = self.named_read(actor, id).await?;
        Ok(NamedReadResult { request, person })
    }
}
