//! The registry's records for its staff: a community's households, a
//! household at a glance (read for the reader's purpose, journaled), a
//! worker's correction, and the residents' requests for corrections.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use sunshine_app::registry::{CorrectionForm, CorrectionView, Decision, HouseholdView};
use sunshine_domain::access::ReadPurpose;
use sunshine_domain::identity::OrgKind;
use sunshine_domain::registry::import::CORRECTABLE;
use sunshine_domain::registry::view::Field;

use super::super::{bad_token, error_page, flash, render, Chrome};
use crate::auth::{csrf_ok, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

const HOUSEHOLDS: &str = "/staff/registry/households";
const CORRECTIONS: &str = "/staff/registry/corrections";

/// A community the reader may open.
pub struct CommunityLine {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "registry/households.html")]
struct HouseholdsPage {
    c: Chrome,
    communities: Vec<CommunityLine>,
    community: String,
    households: Vec<sunshine_app::registry::HouseholdSummary>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CommunityQuery {
    #[serde(default)]
    pub community: String,
    #[serde(default)]
    pub after: String,
}

/// The communities whose records `session`'s holder reads or collects.
fn communities(
    s: &AppState,
    session: &sunshine_app::identity::Session,
    lang: Lang,
    selected: &str,
) -> Vec<CommunityLine> {
    let orgs = s.app.orgs();
    orgs.list
        .iter()
        .filter(|o| o.kind == OrgKind::Community)
        .filter_map(|o| {
            let division = o.code.as_str().replace('-', "");
            let may = !s
                .app
                .registry_purposes(&session.actor, &division)
                .is_empty();
            may.then(|| CommunityLine {
                selected: division == selected,
                name: if lang.is_en() {
                    o.name_en.clone()
                } else {
                    o.name.clone()
                },
                code: division,
            })
        })
        .collect()
}

pub async fn households(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(q): Query<CommunityQuery>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), HOUSEHOLDS);
    let list = communities(&s, &session, lang, &q.community);
    if list.is_empty() {
        return super::not_here(c);
    }
    let community = if q.community.is_empty() {
        list[0].code.clone()
    } else {
        q.community.clone()
    };
    let households = match s
        .app
        .registry_households(&session.actor, &community, &q.after)
        .await
    {
        Ok(h) => h,
        Err(e) => return error_page(c, e),
    };
    let communities = communities(&s, &session, lang, &community);
    render(&HouseholdsPage {
        c,
        communities,
        community,
        households,
    })
}

/// A member's line on the household page: each field the purpose shows,
/// in words.
pub struct MemberLine {
    pub id: i64,
    pub cells: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "registry/household.html")]
struct HouseholdPage {
    c: Chrome,
    view: HouseholdView,
    purpose: String,
    members: Vec<MemberLine>,
    /// Fields a worker may correct: (column, label).
    correctable: Vec<(String, String)>,
    may_correct: bool,
}

/// A field's value as a page shows it: codes named by the standard.
pub fn shown_value(s: &AppState, lang: Lang, field: Field, value: &str) -> String {
    let standard = s.app.registry_standard();
    match field {
        Field::Sex => sunshine_domain::registry::Sex::parse(value)
            .map(|x| x.label().get(lang.code()).to_string())
            .unwrap_or_else(|| value.to_string()),
        Field::Ethnicity => standard
            .ethnicities
            .name(value)
            .unwrap_or(value)
            .to_string(),
        Field::Relationship => standard
            .relationships
            .name(value)
            .unwrap_or(value)
            .to_string(),
        _ => value.to_string(),
    }
}

fn household_page(s: &AppState, lang: Lang, c: Chrome, view: HouseholdView) -> Response {
    let members = view
        .members
        .iter()
        .map(|m| MemberLine {
            id: m.id,
            cells: m
                .fields
                .iter()
                .map(|(f, v)| {
                    (
                        f.label().get(lang.code()).to_string(),
                        shown_value(s, lang, *f, v),
                    )
                })
                .collect(),
        })
        .collect();
    let may_correct = view.purpose == ReadPurpose::KeepRecords;
    let purpose = c
        .pick(view.purpose.name_zh(), view.purpose.name_en())
        .to_string();
    render(&HouseholdPage {
        correctable: correctable(lang),
        c,
        view,
        purpose,
        members,
        may_correct,
    })
}

/// The columns a correction may change, with their names on the page.
pub fn correctable(lang: Lang) -> Vec<(String, String)> {
    Field::ALL
        .into_iter()
        .filter(|f| CORRECTABLE.contains(&f.column()))
        .map(|f| {
            (
                f.column().to_string(),
                f.label().get(lang.code()).to_string(),
            )
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct PurposeForm {
    #[serde(default)]
    pub purpose: String,
}

fn purpose_of(p: &str) -> Option<ReadPurpose> {
    ReadPurpose::parse_or(Some(p), ReadPurpose::KeepRecords)
        .ok()
        .filter(|_| !p.trim().is_empty())
}

pub async fn household(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path((district, number)): Path<(String, String)>,
    Query(q): Query<PurposeForm>,
) -> Response {
    let here = format!("{HOUSEHOLDS}/{district}/{number}");
    let c = Chrome::new(lang, Some(&session), &here);
    match s
        .app
        .registry_household(&session.actor, &district, &number, purpose_of(&q.purpose))
        .await
    {
        Ok(view) => household_page(&s, lang, c, view),
        Err(e) => error_page(c, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LookupForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub id_number: String,
}

/// A household found by a member's identity number, posted so that the
/// number stays out of the address bar and the logs.
pub async fn lookup(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<LookupForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), HOUSEHOLDS);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    match s
        .app
        .registry_lookup(&session.actor, &f.id_number, None)
        .await
    {
        Ok(view) => household_page(&s, lang, c, view),
        Err(e) => error_page(c, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CorrectForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub column: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub back: String,
}

/// A worker corrects one column of a member's record, then goes back to
/// the household.
pub async fn correct(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<CorrectForm>,
) -> Response {
    let back = if f.back.starts_with(HOUSEHOLDS) {
        f.back.clone()
    } else {
        HOUSEHOLDS.to_string()
    };
    let c = Chrome::new(lang, Some(&session), &back);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let form = CorrectionForm {
        changes: [(f.column.clone(), f.value.clone())].into_iter().collect(),
        reason: f.reason.clone(),
    };
    match s
        .app
        .correct_registry_person(&session.actor, id, form)
        .await
    {
        Ok(_) => flash::redirect(
            &back,
            format!("已更正：{}", f.column),
            format!("Corrected: {}", f.column),
        ),
        Err(e) => error_page(c, e),
    }
}

/// A request on the worker's list, in words.
pub struct RequestLine {
    pub id: i64,
    pub person_id: i64,
    pub changes: Vec<(String, String)>,
    pub reason: String,
    pub asked: String,
}

#[derive(Template)]
#[template(path = "registry/corrections.html")]
struct CorrectionsPage {
    c: Chrome,
    requests: Vec<RequestLine>,
}

pub fn request_line(c: &Chrome, r: &CorrectionView) -> RequestLine {
    RequestLine {
        id: r.id,
        person_id: r.person_id,
        changes: r
            .changes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        reason: r.reason.clone(),
        asked: c.when(&r.asked_at),
    }
}

pub async fn corrections(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
) -> Response {
    let c = Chrome::new(lang, Some(&session), CORRECTIONS);
    if !s.app.desks(&session.actor).registry {
        return super::not_here(c);
    }
    match s.app.registry_corrections(&session.actor).await {
        Ok(list) => {
            let requests = list.iter().map(|r| request_line(&c, r)).collect();
            render(&CorrectionsPage { c, requests })
        }
        Err(e) => error_page(c, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub answer: String,
}

pub async fn decide(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), CORRECTIONS);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let decision = Decision {
        accept: f.decision == "accept",
        answer: f.answer,
    };
    let accepted = decision.accept;
    match s
        .app
        .decide_registry_correction(&session.actor, id, decision)
        .await
    {
        Ok(_) if accepted => flash::redirect(
            CORRECTIONS,
            "已接受更正，记录已更新",
            "Accepted: the record is corrected",
        ),
        Ok(_) => flash::redirect(
            CORRECTIONS,
            "已拒绝该申请，申请人可看到理由",
            "Refused: the resident is shown why",
        ),
        Err(e) => error_page(c, e),
    }
}
