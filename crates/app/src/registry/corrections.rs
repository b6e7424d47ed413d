//! Correcting the registry: by a community worker directly, or asked for
//! by the resident the record belongs to and answered by a worker. Either
//! way the corrected record is checked whole against the standard, a
//! household keeps exactly one head, and the change is journaled.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sunshine_domain::access::{ReadKind, ReadPurpose};
use sunshine_domain::identity::Actor;
use sunshine_domain::refusal::{Refusal, Text};
use sunshine_domain::registry::import::{self, CellError};
use sunshine_domain::registry::view::PersonView;
use sunshine_domain::registry::{DivisionCode, Person, Standard, HEAD_OF_HOUSEHOLD};
use sunshine_store::registry as store;
use sunshine_store::WriteTx;

use crate::journal_entry::entry;
use crate::{App, OrgDirectory, Result};

/// A correction: the columns of the city's layout and their new cells.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CorrectionForm {
    /// Column (`姓名`, `联系电话`, …) → the value it should hold. A
    /// community's code and a household's number are moves, not corrections.
    pub changes: BTreeMap<String, String>,
    /// Why: what the record gets wrong, or what the papers say.
    #[serde(default)]
    pub reason: String,
}

/// A resident's request for a correction and what became of it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CorrectionView {
    pub id: i64,
    pub person_id: i64,
    pub community: String,
    pub changes: BTreeMap<String, String>,
    pub reason: String,
    /// `open`, `accepted` or `refused`.
    pub state: String,
    pub asked_at: i64,
    pub decided_at: Option<i64>,
    pub answer: Option<String>,
}

impl CorrectionView {
    fn of(r: store::CorrectionRow) -> CorrectionView {
        CorrectionView {
            changes: serde_json::from_str(&r.changes).unwrap_or_default(),
            id: r.id,
            person_id: r.person_id,
            community: r.community,
            reason: r.reason,
            state: r.state,
            asked_at: r.asked_at,
            decided_at: r.decided_at,
            answer: r.answer,
        }
    }
}

/// A resident's own record, their requests, and nothing of anyone else's.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyRegistry {
    pub person: PersonView,
    pub corrections: Vec<CorrectionView>,
}

/// The answer to a request: accept it (the record is corrected) or refuse
/// it with the reason.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Decision {
    pub accept: bool,
    #[serde(default)]
    pub answer: String,
}

/// The faults of a correction, by column.
fn refused(errors: Vec<CellError>) -> Refusal {
    let mut r = Refusal::invalid(
        "registry_correction_rejected",
        "更正未被接受：以下各项有误",
        "The correction was not accepted: the items below are wrong",
    );
    for e in errors {
        let key = if e.column.is_empty() {
            "changes".to_string()
        } else {
            e.column
        };
        r.fields.entry(key).or_insert(e.message);
    }
    r
}

/// A correction refused for one reason, under `field`.
fn refused_for(field: &str, why: Text) -> Refusal {
    let mut r = refused(vec![]);
    r.fields.insert(field.to_string(), why);
    r
}

fn reason_needed(field: &str) -> Refusal {
    Refusal::field(
        field,
        "请写明理由（不超过500字）",
        "Give the reason (at most 500 characters)",
    )
}

fn reason(text: &str, field: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > 500 {
        return Err(reason_needed(field).into());
    }
    Ok(t.to_string())
}

fn same() -> Text {
    Text::new(
        "更正后的记录与原记录相同",
        "The corrected record is the same as held",
    )
}

fn no_correction() -> Refusal {
    Refusal::not_found("该更正申请", "The correction request")
}

/// Check a correction of person `id` and write it, inside a write: the
/// record corrected, with the columns that changed.
#[allow(clippy::too_many_arguments)]
async fn apply_correction(
    standard: &Standard,
    tx: &mut WriteTx,
    orgs: &OrgDirectory,
    actor: &Actor,
    id: i64,
    changes: &BTreeMap<String, String>,
    today: jiff::civil::Date,
    now: i64,
) -> Result<(Person, Vec<&'static str>)> {
    let missing = || Refusal::not_found("该人员", "The person");
    let (_, held) = store::person(tx.conn(), id).await?.ok_or_else(missing)?;
    let community = DivisionCode::parse(&held.community).map_err(|_| missing())?;
    if !super::collects(orgs, actor, &community) {
        return Err(missing().into());
    }
    let corrected = import::correct(&held, changes, standard, today).map_err(refused)?;
    let columns = held.changed_columns(&corrected);
    if columns.is_empty() {
        return Err(refused_for("changes", same()).into());
    }
    if let Some(n) = corrected
        .id_number
        .as_ref()
        .filter(|n| held.id_number.as_ref() != Some(n))
    {
        let holders = store::persons_by_id_number(tx.conn(), std::slice::from_ref(n)).await?;
        if holders.iter().any(|(other, _)| *other != id) {
            return Err(Refusal::conflict(
                    "registry_id_number_held",
                    "另一条记录已登记此身份证号，请由登记员审核是否为同一人",
                    "Another record holds this identity number: a registrar reviews whether they are one person",
                )
                .into());
        }
    }
    if held.relationship != corrected.relationship
        && (held.relationship == HEAD_OF_HOUSEHOLD || corrected.relationship == HEAD_OF_HOUSEHOLD)
    {
        let members =
            store::household_members(tx.conn(), community.district(), &held.household).await?;
        let heads = members
            .iter()
            .filter(|(other, p)| {
                let relationship = if *other == id {
                    &corrected.relationship
                } else {
                    &p.relationship
                };
                relationship == HEAD_OF_HOUSEHOLD
            })
            .count();
        if heads != 1 {
            return Err(refused_for(
                    import::COLUMNS[9],
                    Text::new(
                        "一户须有且只有一名户主：更换户主请导入该户的全部成员",
                        "A household has exactly one head: to change the head, import the whole household",
                    ),
                )
                .into());
        }
    }
    let year = corrected.birth[..4].parse::<i64>().unwrap_or_default();
    store::correct_person(
        tx.conn(),
        id,
        &held,
        &corrected,
        year,
        &today.to_string(),
        now,
    )
    .await?;
    super::linkage::link_arrivals(tx, &[(id, corrected.clone())], now).await?;
    Ok((corrected, columns))
}

impl App {
    /// A community worker's (or their registrar's) correction of a record
    /// they collect, with the reason; journaled as `registry.corrected`.
    pub async fn correct_registry_person(
        &self,
        actor: &Actor,
        id: i64,
        form: CorrectionForm,
    ) -> Result<PersonView> {
        let why = reason(&form.reason, "reason")?;
        let (orgs, today, now) = (self.orgs(), self.clock.today(), self.now_micros());
        let actor = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<PersonView> {
                let standard = super::standard::in_force(tx).await?;
                let (person, columns) =
                    apply_correction(&standard, tx, &orgs, &actor, id, &form.changes, today, now)
                        .await?;
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("registry/person/{id}"),
                        "registry.corrected",
                        json!({"columns": columns, "reason": why}),
                    ),
                )
                .await?;
                Ok(PersonView::own(id, &person))
            })
            .await
    }

    /// The signed-in resident's own record, found by the identity number
    /// their account is bound to, with their requests for corrections.
    pub async fn my_registry(&self, actor: &Actor) -> Result<Option<MyRegistry>> {
        let Some(number) = actor.verified_id.as_ref().filter(|_| actor.is_verified()) else {
            return Err(Refusal::forbidden(
                "not_verified",
                "请先完成实名认证，再查看您的人口信息",
                "Bind your account to your identity first, to see your population record",
            )
            .into());
        };
        let mut conn = self.db.read().await?;
        let found = store::persons_by_id_number(&mut conn, std::slice::from_ref(number)).await?;
        let Some((id, person)) = found.into_iter().next() else {
            return Ok(None);
        };
        let corrections = store::corrections_of(&mut conn, id)
            .await?
            .into_iter()
            .map(CorrectionView::of)
            .collect();
        Ok(Some(MyRegistry {
            person: PersonView::own(id, &person),
            corrections,
        }))
    }

    /// A resident asks their community to correct their record: the
    /// request is checked against the standard now, so that a worker is
    /// not asked for what could never be written.
    pub async fn ask_registry_correction(
        &self,
        actor: &Actor,
        form: CorrectionForm,
    ) -> Result<CorrectionView> {
        let why = reason(&form.reason, "reason")?;
        let Some(mine) = self.my_registry(actor).await? else {
            return Err(Refusal::not_found("您的人口信息", "Your population record").into());
        };
        let (id, today, now) = (mine.person.id, self.clock.today(), self.now_micros());
        let actor = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<CorrectionView> {
                let standard = super::standard::in_force(tx).await?;
                let (_, held) = store::person(tx.conn(), id)
                    .await?
                    .ok_or_else(|| Refusal::not_found("您的人口信息", "Your population record"))?;
                let corrected =
                    import::correct(&held, &form.changes, &standard, today).map_err(refused)?;
                let changes: BTreeMap<String, String> = held
                    .changed_columns(&corrected)
                    .into_iter()
                    .map(|c| {
                        (
                            c.to_string(),
                            form.changes.get(c).cloned().unwrap_or_default(),
                        )
                    })
                    .collect();
                if changes.is_empty() {
                    return Err(refused_for("changes", same()).into());
                }
                let text = serde_json::to_string(&changes).unwrap_or_default();
                let cid = store::insert_correction(
                    tx.conn(),
                    id,
                    &held.community,
                    actor.user_id,
                    &text,
                    &why,
                    now,
                )
                .await?;
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("registry/correction/{cid}"),
                        "registry.correction_requested",
                        json!({"person": id, "columns": changes.keys().collect::<Vec<_>>()}),
                    ),
                )
                .await?;
                let row = store::correction(tx.conn(), cid)
                    .await?
                    .ok_or_else(no_correction)?;
                Ok(CorrectionView::of(row))
            })
            .await
    }

    /// The open requests in the communities `actor` collects for, oldest
    /// first. Each names a person's asked values: the list is a read of
    /// their records, journaled like any other.
    pub async fn registry_corrections(&self, actor: &Actor) -> Result<Vec<CorrectionView>> {
        let orgs = self.orgs();
        let mut conn = self.db.read().await?;
        let rows: Vec<store::CorrectionRow> = store::open_corrections(&mut conn, 2000)
            .await?
            .into_iter()
            .filter(|r| {
                DivisionCode::parse(&r.community).is_ok_and(|c| super::collects(&orgs, actor, &c))
            })
            .take(200)
            .collect();
        let mut persons = vec![];
        for r in &rows {
            let number = store::person(&mut conn, r.person_id)
                .await?
                .and_then(|(_, p)| p.id_number);
            persons.push(crate::access::ReadOf {
                user: Some(r.requester),
                number,
                what: format!("#{}", r.id),
            });
        }
        let mine: Vec<CorrectionView> = rows.into_iter().map(CorrectionView::of).collect();
        drop(conn);
        if !persons.is_empty() {
            let read = crate::access::StaffRead {
                subject: "registry/corrections".into(),
                kind: ReadKind::RegistryRecord,
                purpose: ReadPurpose::KeepRecords,
                payload: json!({"requests": mine.iter().map(|c| c.id).collect::<Vec<_>>()}),
                persons,
            };
            self.record_staff_read(actor, read).await?;
        }
        Ok(mine)
    }

    /// Answer a resident's request: accepted, the record is corrected as
    /// asked (checked again against the record as it is now); refused, the
    /// resident is told why.
    pub async fn decide_registry_correction(
        &self,
        actor: &Actor,
        id: i64,
        decision: Decision,
    ) -> Result<CorrectionView> {
        let answer = if decision.accept {
            decision.answer.trim().to_string()
        } else {
            reason(&decision.answer, "answer")?
        };
        let (orgs, today, now) = (self.orgs(), self.clock.today(), self.now_micros());
        let actor = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<CorrectionView> {
                let standard = super::standard::in_force(tx).await?;
                let row = store::correction(tx.conn(), id)
                    .await?
                    .ok_or_else(no_correction)?;
                let theirs = DivisionCode::parse(&row.community)
                    .is_ok_and(|c| super::collects(&orgs, &actor, &c));
                if !theirs {
                    return Err(no_correction().into());
                }
                if row.state != "open" {
                    return Err(Refusal::conflict(
                        "correction_answered",
                        "该申请已答复",
                        "The request has been answered already",
                    )
                    .into());
                }
                let changes: BTreeMap<String, String> =
                    serde_json::from_str(&row.changes).unwrap_or_default();
                let (state, kind) = if decision.accept {
                    let (_, columns) = apply_correction(
                        &standard,
                        tx,
                        &orgs,
                        &actor,
                        row.person_id,
                        &changes,
                        today,
                        now,
                    )
                    .await?;
                    tx.journal(
                        now,
                        entry(
                            &actor,
                            format!("registry/person/{}", row.person_id),
                            "registry.corrected",
                            json!({"columns": columns, "correction": id}),
                        ),
                    )
                    .await?;
                    ("accepted", "registry.correction_accepted")
                } else {
                    ("refused", "registry.correction_refused")
                };
                store::decide_correction(tx.conn(), id, state, actor.user_id, &answer, now).await?;
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("registry/correction/{id}"),
                        kind,
                        json!({"person": row.person_id}),
                    ),
                )
                .await?;
                let row = store::correction(tx.conn(), id)
                    .await?
                    .ok_or_else(no_correction)?;
                Ok(CorrectionView::of(row))
            })
            .await
    }
}
