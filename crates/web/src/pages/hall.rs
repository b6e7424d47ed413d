//! The hall's pages for applicants: applying online with files, their
//! cases, one case with what they may do now, and following a case with
//! its query code. The clerk's pages are in `hall/clerk.rs`.

pub mod bundle;
pub mod clerk;

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sunshine_app::hall::inbox::{CaseFile, CaseLine};
use sunshine_app::hall::CaseAction;
use sunshine_app::identity::Session;
use sunshine_app::AppError;
use sunshine_domain::catalog::{FieldKind, FormField, Material};
use sunshine_domain::clock::{from_micros, local_display};
use sunshine_domain::hall::{decide, CaseCommand, CaseFacts, CaseState, Channel};
use sunshine_domain::refusal::Refusal;

use super::item_form::FormErrors;
use super::{bad_token, error_page, render, Chrome, Opt};
use crate::api::catalog::{history_entry, HistoryEntry};
use crate::auth::{csrf_ok, url_escape, MaybeSession, SignedIn};
use crate::i18n::{t, Lang};
use crate::uploads::Parts;
use crate::AppState;

/// A case state for people.
pub fn state_label(lang: Lang, state: &CaseState) -> &'static str {
    t(lang, &format!("cs_{}", state.name()))
}

fn time(us: i64) -> String {
    local_display(from_micros(us))
}

/// Whether the lifecycle allows a command now, asked of its one rule.
pub fn allowed(facts: &CaseFacts, cmd: &CaseCommand) -> bool {
    decide(facts, cmd).is_ok()
}

/// A case as a row of a list.
pub struct CaseLineView {
    pub number: String,
    pub item_name: String,
    pub department: String,
    pub applicant: String,
    pub state_code: &'static str,
    pub state: &'static str,
    pub promised_due: String,
    pub legal_due: String,
    pub submitted_at: String,
}

pub fn line_views(s: &AppState, lang: Lang, lines: Vec<CaseLine>) -> Vec<CaseLineView> {
    let orgs = s.app.orgs();
    lines
        .into_iter()
        .map(|l| CaseLineView {
            state_code: l.case.facts.state.name(),
            state: state_label(lang, &l.case.facts.state),
            department: orgs.name(&l.case.department, lang.code()),
            applicant: l.case.applicant_public,
            promised_due: l.case.promised_due.unwrap_or_default(),
            legal_due: l.case.legal_due.unwrap_or_default(),
            submitted_at: time(l.case.submitted_at),
            number: l.case.number,
            item_name: l.item_name,
        })
        .collect()
}

/// One input of an item's form, typed by its field's kind.
pub struct FieldInput {
    pub name: String,
    pub id: String,
    pub label: String,
    /// The `type` of an `<input>`; empty for a textarea or a select.
    pub input_type: &'static str,
    pub textarea: bool,
    pub options: Vec<Opt>,
    pub required: bool,
    pub value: String,
    pub error: String,
}

/// The inputs of an item's form, with what was typed and the errors.
pub fn field_inputs(
    lang: Lang,
    form: &[FormField],
    values: &BTreeMap<String, String>,
    errors: &FormErrors,
) -> Vec<FieldInput> {
    form.iter()
        .map(|f| {
            let name = format!("answer.{}", f.key);
            let value = values.get(&name).cloned().unwrap_or_default();
            let choices: Vec<(String, String)> = match f.kind {
                FieldKind::Choice => f.choices.iter().map(|c| (c.clone(), c.clone())).collect(),
                FieldKind::Bool => vec![
                    ("true".into(), t(lang, "yes").into()),
                    ("false".into(), t(lang, "no").into()),
                ],
                _ => vec![],
            };
            FieldInput {
                id: format!("answer-{}", f.key),
                label: if lang.is_en() && !f.label_en.is_empty() {
                    f.label_en.clone()
                } else {
                    f.label.clone()
                },
                input_type: match f.kind {
                    FieldKind::Number => "number",
                    FieldKind::Date => "date",
                    FieldKind::Phone => "tel",
                    FieldKind::Email => "email",
                    FieldKind::Text | FieldKind::IdNumber | FieldKind::CreditCode => "text",
                    FieldKind::Textarea | FieldKind::Choice | FieldKind::Bool => "",
                },
                textarea: f.kind == FieldKind::Textarea,
                options: super::opts(choices, &value),
                required: f.required,
                error: errors.get(&name).cloned().unwrap_or_default(),
                value,
                name,
            }
        })
        .collect()
}

/// A file input for one of the item's materials.
pub struct MaterialInput {
    pub name: String,
    pub label: String,
    pub note: String,
    pub required: bool,
    pub error: String,
}

pub fn material_inputs(materials: &[Material], errors: &FormErrors) -> Vec<MaterialInput> {
    materials
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let name = sunshine_domain::hall::materials::field_of(i);
            MaterialInput {
                error: errors.get(&name).cloned().unwrap_or_default(),
                name,
                label: m.name.clone(),
                note: m.note.clone(),
                required: m.required,
            }
        })
        .collect()
}

/// The answers of a form, as posted: `answer.<key>` fields.
pub fn answers_of(fields: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("answer.")
                .map(|k| (k.to_string(), v.clone()))
        })
        .collect()
}

/// A refusal's reasons keyed by the page's field names (an answer's key
/// becomes `answer.<key>`), and its message.
pub fn form_errors(
    r: &Refusal,
    lang: Lang,
    form: &[FormField],
    rename: &[(&str, &str)],
) -> (FormErrors, String) {
    let errors = r
        .fields
        .iter()
        .map(|(k, v)| {
            let key = if form.iter().any(|f| &f.key == k) {
                format!("answer.{k}")
            } else {
                rename
                    .iter()
                    .find(|(from, _)| from == k)
                    .map(|(_, to)| to.to_string())
                    .unwrap_or_else(|| k.clone())
            };
            (key, v.get(lang.code()).to_string())
        })
        .collect();
    (errors, r.message.get(lang.code()).to_string())
}

/// A step of the item's process, with the case's place in it.
pub struct StepView {
    pub no: usize,
    pub name: String,
    pub post: String,
    pub limit: String,
    pub current: bool,
}

/// A stored file, ready to list.
pub struct FileView {
    pub material: String,
    pub file_name: String,
    pub size: String,
    pub content_type: String,
    pub added_by: String,
    pub added_at: String,
    pub url: String,
}

/// Everything a case's page shows, for its applicant and for staff.
pub struct CaseDetail {
    pub number: String,
    pub query_code: String,
    pub item_id: i64,
    pub item_name: String,
    pub department: String,
    pub state_code: &'static str,
    pub state: &'static str,
    pub channel: &'static str,
    pub applicant_public: String,
    pub applicant_full: String,
    pub steps: Vec<StepView>,
    pub current_step: String,
    pub claimed: bool,
    pub pending: Vec<String>,
    pub promised_due: String,
    pub legal_due: String,
    pub submitted_at: String,
    pub accepted_at: String,
    pub decided_at: String,
    pub completed_at: String,
    pub answers: Vec<(String, String)>,
    pub files: Vec<FileView>,
    pub charges: Vec<(String, String)>,
    pub penalty: String,
    pub rating: Option<i64>,
    pub licence: Option<String>,
    pub history: Vec<HistoryEntry>,
}

pub fn case_detail(
    s: &AppState,
    lang: Lang,
    file: CaseFile,
    history: Vec<sunshine_domain::journal::Entry>,
) -> CaseDetail {
    let orgs = s.app.orgs();
    let CaseFile {
        case,
        spec,
        materials,
        charges,
        penalty,
        rating,
        licence,
    } = file;
    let current = match case.facts.state {
        CaseState::InProcess { step } | CaseState::Suspended { step, .. } => Some(step),
        _ => None,
    };
    let limit = |l: sunshine_domain::catalog::TimeLimit| {
        if lang.is_en() {
            format!("{} {}", l.value, l.unit.name_en())
        } else {
            format!("{}{}", l.value, l.unit.name_zh())
        }
    };
    let steps: Vec<StepView> = spec
        .steps
        .iter()
        .enumerate()
        .map(|(i, st)| StepView {
            no: i + 1,
            name: st.name.clone(),
            post: st.post.clone(),
            limit: limit(st.limit),
            current: current == Some(i),
        })
        .collect();
    let label = |key: &str| {
        spec.form
            .iter()
            .find(|f| f.key == key)
            .map(|f| {
                if lang.is_en() && !f.label_en.is_empty() {
                    f.label_en.clone()
                } else {
                    f.label.clone()
                }
            })
            .unwrap_or_else(|| key.to_string())
    };
    let answers = case
        .answers
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let shown = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Bool(true) => t(lang, "yes").to_string(),
                        serde_json::Value::Bool(false) => t(lang, "no").to_string(),
                        other => other.to_string(),
                    };
                    (label(k), shown)
                })
                .collect()
        })
        .unwrap_or_default();
    let applicant_full = match &case.applicant {
        sunshine_domain::hall::Applicant::Person { name, id_number } => {
            format!("{name}（{}）", id_number.as_str())
        }
        sunshine_domain::hall::Applicant::Enterprise { name, credit_code } => {
            format!("{name}（{}）", credit_code.as_str())
        }
    };
    CaseDetail {
        query_code: case.query_code.clone(),
        item_id: case.item_id,
        item_name: spec.name.clone(),
        department: orgs.name(&case.department, lang.code()),
        state_code: case.facts.state.name(),
        state: state_label(lang, &case.facts.state),
        channel: t(
            lang,
            match case.channel {
                Channel::Online => "channel_online",
                Channel::Counter => "channel_counter",
            },
        ),
        applicant_public: case.applicant_public.clone(),
        applicant_full,
        current_step: current
            .and_then(|i| spec.steps.get(i))
            .map(|st| st.name.clone())
            .unwrap_or_default(),
        claimed: case.facts.claimed_by.is_some(),
        pending: case
            .facts
            .pending_opinions
            .iter()
            .map(|o| orgs.name(o, lang.code()))
            .collect(),
        steps,
        promised_due: case.promised_due.clone().unwrap_or_default(),
        legal_due: case.legal_due.clone().unwrap_or_default(),
        submitted_at: time(case.submitted_at),
        accepted_at: case.accepted_at.map(time).unwrap_or_default(),
        decided_at: case.decided_at.map(time).unwrap_or_default(),
        completed_at: case.completed_at.map(time).unwrap_or_default(),
        answers,
        files: materials
            .into_iter()
            .map(|m| FileView {
                url: format!("/hall/cases/{}/materials/{}", case.number, m.sha256),
                size: format!("{:.1} KB", m.size as f64 / 1024.0),
                material: m.material,
                file_name: m.file_name,
                content_type: m.content_type,
                added_by: m.added_by,
                added_at: time(m.added_at),
            })
            .collect(),
        charges: charges
            .into_iter()
            .map(|(n, fen)| (n, super::yuan(&fen)))
            .collect(),
        penalty: penalty
            .map(|p| {
                format!(
                    "{} · {} · ¥{}",
                    p["circumstance"].as_str().unwrap_or(""),
                    p["measure"].as_str().unwrap_or(""),
                    super::yuan(&p["amount_fen"].as_i64().unwrap_or(0))
                )
            })
            .unwrap_or_default(),
        rating,
        licence,
        history: history.into_iter().map(history_entry).collect(),
        number: case.number,
    }
}

/// A form's outcome to show again: which form, its errors, what was typed.
#[derive(Default)]
pub struct Flash {
    pub form: String,
    pub errors: FormErrors,
    pub general: String,
    pub values: BTreeMap<String, String>,
}

impl Flash {
    pub fn refused(form: &str, r: &Refusal, lang: Lang, values: BTreeMap<String, String>) -> Flash {
        let (errors, general) = form_errors(r, lang, &[], &[]);
        Flash {
            form: form.to_string(),
            errors,
            general,
            values,
        }
    }
    /// The general message, if it is about this form.
    pub fn general(&self, form: &str) -> &str {
        if self.form == form {
            &self.general
        } else {
            ""
        }
    }
    pub fn err(&self, form: &str, field: &str) -> String {
        if self.form == form {
            self.errors.get(field).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
    pub fn val(&self, form: &str, field: &str) -> String {
        if self.form == form {
            self.values.get(field).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
}

#[derive(Template)]
#[template(path = "hall/apply.html")]
struct ApplyPage {
    c: Chrome,
    item_id: i64,
    item_name: String,
    department: String,
    fields: Vec<FieldInput>,
    materials: Vec<MaterialInput>,
    general: String,
    materials_error: String,
}

async fn apply_page(
    s: &AppState,
    c: Chrome,
    item_id: &str,
    values: BTreeMap<String, String>,
    errors: FormErrors,
    general: String,
    status: StatusCode,
) -> Response {
    let item = match item_id.parse::<i64>() {
        Ok(id) => s.app.public_item(id).await,
        Err(_) => Err(Refusal::not_found("事项", "Item").into()),
    };
    let v = match item {
        Ok(v) => v,
        Err(e) => return error_page(c, e),
    };
    let lang = c.lang;
    let page = ApplyPage {
        item_id: v.item_id,
        item_name: v.spec.name.clone(),
        department: s
            .app
            .orgs()
            .name(v.spec.implementing_body.as_str(), lang.code()),
        fields: field_inputs(lang, &v.spec.form, &values, &errors),
        materials: material_inputs(&v.spec.materials, &errors),
        materials_error: errors.get("materials").cloned().unwrap_or_default(),
        general,
        c,
    };
    (status, render(&page)).into_response()
}

/// The application form of an item: its fields and a file input per material.
pub async fn apply_form(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(item_id): Path<String>,
) -> Response {
    let here = format!("/hall/apply/{item_id}");
    let c = Chrome::new(lang, Some(&session), &here);
    if !c.is_applicant {
        return error_page(
            c,
            Refusal::forbidden(
                "forbidden",
                t(Lang::Zh, "staff_no_apply"),
                t(Lang::En, "staff_no_apply"),
            )
            .into(),
        );
    }
    apply_page(
        &s,
        c,
        &item_id,
        BTreeMap::new(),
        FormErrors::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// Submit an application with its files; on success the case's page shows
/// its number and query code.
pub async fn apply(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(item_id): Path<String>,
    multipart: Multipart,
) -> Response {
    let here = format!("/hall/apply/{item_id}");
    let c = Chrome::new(lang, Some(&session), &here);
    let parts = match crate::uploads::read(multipart).await {
        Ok(p) => p,
        Err(r) => {
            let (errors, general) = form_errors(&r, lang, &[], &[]);
            return apply_page(
                &s,
                c,
                &item_id,
                BTreeMap::new(),
                errors,
                general,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    if !csrf_ok(&session, &parts.text("csrf")) {
        return bad_token(c);
    }
    let Ok(id) = item_id.parse::<i64>() else {
        return error_page(c, Refusal::not_found("事项", "Item").into());
    };
    let Parts { fields, uploads } = parts;
    match s
        .app
        .apply(&session.actor, id, answers_of(&fields), uploads)
        .await
    {
        Ok(case) => {
            Redirect::to(&format!("/hall/cases/{}?submitted=1", case.number)).into_response()
        }
        Err(AppError::Refused(r)) if r.kind == sunshine_domain::refusal::RefusalKind::Invalid => {
            let form = match s.app.public_item(id).await {
                Ok(v) => v.spec.form,
                Err(e) => return error_page(c, e),
            };
            let (errors, general) = form_errors(&r, lang, &form, &[]);
            apply_page(
                &s,
                c,
                &item_id,
                fields,
                errors,
                general,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => error_page(c, e),
    }
}

#[derive(Template)]
#[template(path = "hall/my.html")]
struct MyCasesPage {
    c: Chrome,
    rows: Vec<CaseLineView>,
    bundles: Vec<MyBundle>,
}

/// 我的办件: the applicant's cases with their state and due dates.
pub async fn my_cases(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/hall/my");
    let lines = match s.app.my_cases(&session.actor).await {
        Ok(cases) => s.app.with_item_names(cases).await,
        Err(e) => Err(e),
    };
    let bundles = match s.app.my_bundle_applications(&session.actor).await {
        Ok(list) => list
            .into_iter()
            .map(|a| MyBundle {
                number: a.application.number,
                code: a.application.bundle_code,
                outcome_code: a.outcome.name(),
                outcome: bundle::outcome_label(lang, a.outcome),
                parts: a.cases.len(),
            })
            .collect(),
        Err(e) => return error_page(c, e),
    };
    match lines {
        Ok(lines) => render(&MyCasesPage {
            rows: line_views(&s, lang, lines),
            bundles,
            c,
        }),
        Err(e) => error_page(c, e),
    }
}

/// One of the applicant's one-stop applications, as a line.
pub struct MyBundle {
    pub number: String,
    pub code: String,
    pub outcome_code: &'static str,
    pub outcome: &'static str,
    pub parts: usize,
}

#[derive(Template)]
#[template(path = "hall/case.html")]
struct CasePage {
    c: Chrome,
    d: CaseDetail,
    submitted: bool,
    can_withdraw: bool,
    can_add: bool,
    can_supply: bool,
    can_rate: bool,
    materials: Vec<MaterialInput>,
    f: Flash,
}

#[derive(Deserialize)]
pub struct CaseQuery {
    submitted: Option<String>,
}

async fn case_page(
    s: &AppState,
    c: Chrome,
    session: &Session,
    number: &str,
    submitted: bool,
    f: Flash,
    status: StatusCode,
) -> Response {
    let lang = c.lang;
    let (file, history) = match load_case(s, session, number).await {
        Ok(loaded) => loaded,
        Err(e) => return error_page(c, e),
    };
    let facts = file.case.facts.clone();
    let is_applicant = c.is_applicant && file.case.applicant_user == Some(session.actor.user_id);
    let materials = material_inputs(&file.spec.materials, &f.errors);
    let rated = file.rating.is_some();
    let d = case_detail(s, lang, file, history);
    let page = CasePage {
        can_withdraw: is_applicant && allowed(&facts, &CaseCommand::Withdraw),
        can_add: is_applicant && sunshine_app::materials::may_add(&facts.state),
        can_supply: is_applicant && allowed(&facts, &CaseCommand::SupplyCorrection),
        can_rate: is_applicant && !rated && facts.state.is_decided(),
        submitted,
        materials,
        d,
        f,
        c,
    };
    (status, render(&page)).into_response()
}

/// A case for its applicant (staff see it at `/staff/cases/{number}`).
pub async fn case(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(number): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Response {
    let here = format!("/hall/cases/{number}");
    if !Chrome::new(lang, Some(&session), &here).is_applicant {
        return Redirect::to(&format!("/staff/cases/{}", url_escape(&number))).into_response();
    }
    let c = Chrome::new(lang, Some(&session), &here);
    case_page(
        &s,
        c,
        &session,
        &number,
        q.submitted.is_some(),
        Flash::default(),
        StatusCode::OK,
    )
    .await
}

/// A case's file and its journal history, for one who may see it.
async fn load_case(
    s: &AppState,
    session: &Session,
    number: &str,
) -> Result<(CaseFile, Vec<sunshine_domain::journal::Entry>), AppError> {
    let file = s.app.case_file(&session.actor, number).await?;
    let history = s.app.history(&format!("case/{}", file.case.number)).await?;
    Ok((file, history))
}

/// Whose page of a case a form was on.
#[derive(Clone, Copy)]
enum Side {
    Applicant,
    Clerk,
}

/// After a form on a case's page: back to it, or the page again with the
/// reasons next to the form's fields and what was typed.
#[allow(clippy::too_many_arguments)]
async fn after(
    s: &AppState,
    c: Chrome,
    session: &Session,
    side: Side,
    number: &str,
    form: &str,
    values: BTreeMap<String, String>,
    result: Result<(), AppError>,
) -> Response {
    let base = match side {
        Side::Applicant => "/hall/cases/",
        Side::Clerk => "/staff/cases/",
    };
    match result {
        Ok(()) => Redirect::to(&format!("{base}{}", url_escape(number))).into_response(),
        Err(AppError::Refused(r)) => {
            let status = crate::error::status_of(r.kind);
            let flash = Flash::refused(form, &r, c.lang, values);
            match side {
                Side::Applicant => case_page(s, c, session, number, false, flash, status).await,
                Side::Clerk => clerk::case_page(s, c, session, number, flash, status).await,
            }
        }
        Err(e) => error_page(c, e),
    }
}

/// Withdraw the application before a decision.
pub async fn withdraw(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(number): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let here = format!("/hall/cases/{number}");
    let c = Chrome::new(lang, Some(&session), &here);
    if !csrf_ok(&session, f.get("csrf").map(String::as_str).unwrap_or("")) {
        return bad_token(c);
    }
    let result = s
        .app
        .case_action(&session.actor, &number, CaseAction::Withdraw)
        .await
        .map(|_| ());
    after(
        &s,
        c,
        &session,
        Side::Applicant,
        &number,
        "withdraw",
        f,
        result,
    )
    .await
}

/// Add files while the case waits; with `supply`, then supply the correction.
pub async fn add_materials(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(number): Path<String>,
    multipart: Multipart,
) -> Response {
    let here = format!("/hall/cases/{number}");
    let c = Chrome::new(lang, Some(&session), &here);
    let parts = match crate::uploads::read(multipart).await {
        Ok(p) => p,
        Err(r) => {
            return after(
                &s,
                c,
                &session,
                Side::Applicant,
                &number,
                "materials",
                BTreeMap::new(),
                Err(r.into()),
            )
            .await
        }
    };
    if !csrf_ok(&session, &parts.text("csrf")) {
        return bad_token(c);
    }
    let supply = parts.fields.contains_key("supply");
    let form = if supply { "correction" } else { "materials" };
    let mut result = Ok(());
    if !parts.uploads.is_empty() || !supply {
        result = s
            .app
            .add_materials(&session.actor, &number, parts.uploads)
            .await
            .map(|_| ());
    }
    if supply && result.is_ok() {
        result = s
            .app
            .case_action(&session.actor, &number, CaseAction::SupplyCorrection)
            .await
            .map(|_| ());
    }
    after(
        &s,
        c,
        &session,
        Side::Applicant,
        &number,
        form,
        parts.fields,
        result,
    )
    .await
}

/// Rate the service once the case is decided.
pub async fn rate(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(number): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let here = format!("/hall/cases/{number}");
    let c = Chrome::new(lang, Some(&session), &here);
    let text = |k: &str| f.get(k).cloned().unwrap_or_default();
    if !csrf_ok(&session, &text("csrf")) {
        return bad_token(c);
    }
    let result = match text("rating").trim().parse::<i64>() {
        Ok(rating) => {
            s.app
                .rate_case(&session.actor, &number, rating, &text("comment"))
                .await
        }
        Err(_) => Err(Refusal::field("rating", "评价应为1至5分", "A rating is 1 to 5").into()),
    };
    after(
        &s,
        c,
        &session,
        Side::Applicant,
        &number,
        "rating",
        f,
        result,
    )
    .await
}

/// A case's file, for its applicant and the staff who may view the case.
pub async fn download(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path((number, sha256)): Path<(String, String)>,
) -> Response {
    let here = format!("/hall/cases/{number}");
    match s.app.material_file(&session.actor, &number, &sha256).await {
        Ok((row, bytes)) => crate::api::materials::attachment(&row, bytes),
        Err(e) => error_page(Chrome::new(lang, Some(&session), &here), e),
    }
}

#[derive(Template)]
#[template(path = "hall/track.html")]
struct TrackPage {
    c: Chrome,
    number: String,
    code: String,
    error: String,
    found: Option<CaseLineView>,
    bundle: Option<TrackedBundle>,
}

/// A one-stop application followed with its number and query code.
pub struct TrackedBundle {
    pub outcome_code: &'static str,
    pub outcome: &'static str,
    pub rows: Vec<CaseLineView>,
}

#[derive(Deserialize)]
pub struct TrackQuery {
    number: Option<String>,
    code: Option<String>,
}

/// 办件查询: anyone with a case's number and query code sees its state,
/// with the applicant masked.
pub async fn track(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<TrackQuery>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/hall/track");
    let (number, code) = (
        q.number.unwrap_or_default().trim().to_string(),
        q.code.unwrap_or_default().trim().to_string(),
    );
    if number.is_empty() && code.is_empty() {
        return render(&TrackPage {
            c,
            number,
            code,
            error: String::new(),
            found: None,
            bundle: None,
        });
    }
    if number.starts_with("YJS-") {
        // A one-stop application: its combined result and each case.
        let tracked = match s.app.track_bundle(&number, &code).await {
            Ok(a) => {
                let (outcome_code, outcome) =
                    (a.outcome.name(), bundle::outcome_label(lang, a.outcome));
                s.app
                    .with_item_names(a.cases)
                    .await
                    .map(|lines| TrackedBundle {
                        outcome_code,
                        outcome,
                        rows: line_views(&s, lang, lines),
                    })
            }
            Err(e) => Err(e),
        };
        return match tracked {
            Ok(b) => render(&TrackPage {
                c,
                number,
                code,
                error: String::new(),
                found: None,
                bundle: Some(b),
            }),
            Err(AppError::Refused(_)) => {
                let error = t(lang, "not_found_case").to_string();
                let page = TrackPage {
                    c,
                    number,
                    code,
                    error,
                    found: None,
                    bundle: None,
                };
                (StatusCode::NOT_FOUND, render(&page)).into_response()
            }
            Err(e) => error_page(c, e),
        };
    }
    let found = match s.app.track(&number, &code).await {
        Ok(case) => s.app.with_item_names(vec![case]).await,
        Err(e) => Err(e),
    };
    match found {
        Ok(lines) => {
            let found = line_views(&s, lang, lines).into_iter().next();
            render(&TrackPage {
                c,
                number,
                code,
                error: String::new(),
                found,
                bundle: None,
            })
        }
        Err(AppError::Refused(_)) => {
            let error = t(lang, "not_found_case").to_string();
            (
                StatusCode::NOT_FOUND,
                render(&TrackPage {
                    c,
                    number,
                    code,
                    error,
                    found: None,
                    bundle: None,
                }),
            )
                .into_response()
        }
        Err(e) => error_page(c, e),
    }
}
