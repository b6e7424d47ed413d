//! The hall's pages for applicants: applying online with files, their
//! cases, one case with what they may do now, and following a case with
//! its query code. The clerk's pages are in `hall/clerk.rs`.

pub mod bundle;
pub mod clerk;
pub mod files;
pub mod words;

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sunshine_app::hall::inbox::{CaseFile, CaseLine};
use sunshine_app::hall::CaseAction;
use sunshine_app::identity::Session;
use sunshine_app::materials::Kept;
use sunshine_app::AppError;
use sunshine_domain::catalog::{FieldKind, FormField, Material};
use sunshine_domain::hall::{CaseState, Channel};
use sunshine_domain::refusal::{Refusal, RefusalKind};

use super::catalog::form::FormErrors;
use super::{bad_token, error_page, flash, fmt, render, Chrome, Opt};
use crate::auth::{csrf_ok, url_escape, MaybeSession, SignedIn};
use crate::i18n::{t, Lang};
use crate::uploads::Parts;
use crate::AppState;

pub use words::state_label;

/// A case as a row of a list.
pub struct CaseLineView {
    pub number: String,
    pub item_name: String,
    pub department: String,
    pub applicant: String,
    pub state_code: &'static str,
    pub state: String,
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
            state: state_label(lang, &l.case.facts.state, l.item_type),
            department: orgs.name(&l.case.department, lang.code()),
            applicant: l.case.applicant_public,
            promised_due: day_of(lang, l.case.promised_due.as_deref()),
            legal_due: day_of(lang, l.case.legal_due.as_deref()),
            submitted_at: fmt::when(lang, l.case.submitted_at),
            number: l.case.number,
            item_name: l.item_name,
        })
        .collect()
}

/// A stored `YYYY-MM-DD` due date for people; empty when there is none.
fn day_of(lang: Lang, iso: Option<&str>) -> String {
    iso.map(|d| fmt::day_str(lang, d)).unwrap_or_default()
}

/// One input of an item's form, typed by its field's kind.
pub struct FieldInput {
    pub name: String,
    pub id: String,
    pub label: String,
    /// The label is the item's Chinese one (no English was written).
    pub label_zh: bool,
    /// The `type` of an `<input>`; empty for a textarea or a select.
    pub input_type: &'static str,
    pub textarea: bool,
    pub options: Vec<Opt>,
    /// The options are the item's own words (a choice), not the platform's (yes/no).
    pub options_are_data: bool,
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
                label_zh: lang.is_en() && f.label_en.is_empty(),
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
                options_are_data: f.kind == FieldKind::Choice,
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
    /// Files already uploaded for it on a form shown again.
    pub kept: Vec<files::KeptView>,
}

pub fn material_inputs(
    lang: Lang,
    materials: &[Material],
    errors: &FormErrors,
    kept: &[Kept],
) -> Vec<MaterialInput> {
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
                kept: files::kept_views(lang, i, kept),
            }
        })
        .collect()
}

/// A form shown again: what was typed, the errors by field, the general
/// reason, and the files already uploaded.
#[derive(Default)]
pub struct Refill {
    pub values: BTreeMap<String, String>,
    pub errors: FormErrors,
    pub general: String,
    pub kept: Vec<Kept>,
}

impl Refill {
    /// A form refused: its reasons by field (an answer's key becomes
    /// `answer.<key>`, `rename` maps the app's other names to the form's).
    pub fn refused(
        r: &Refusal,
        lang: Lang,
        form: &[FormField],
        rename: &[(&str, &str)],
        values: BTreeMap<String, String>,
        kept: Vec<Kept>,
    ) -> Refill {
        let (errors, general) = form_errors(r, lang, form, rename);
        Refill {
            values,
            errors,
            general,
            kept,
        }
    }
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
    pub state: String,
    pub channel: &'static str,
    pub item_type: sunshine_domain::catalog::ItemType,
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
    /// (circumstance · measure, amount): the first is data, as written.
    pub penalty: Option<(String, String)>,
    pub rating: Option<i64>,
    pub licence: Option<String>,
    pub history: Vec<words::HistoryLine>,
}

pub fn case_detail(s: &AppState, lang: Lang, file: CaseFile, history: History) -> CaseDetail {
    let orgs = s.app.orgs();
    let time = |us: i64| fmt::when(lang, us);
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
    let limit = |l: sunshine_domain::catalog::TimeLimit| super::fmt::limit(lang, &l);
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
        state: state_label(lang, &case.facts.state, spec.item_type),
        item_type: spec.item_type,
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
        promised_due: day_of(lang, case.promised_due.as_deref()),
        legal_due: day_of(lang, case.legal_due.as_deref()),
        submitted_at: time(case.submitted_at),
        accepted_at: case.accepted_at.map(time).unwrap_or_default(),
        decided_at: case.decided_at.map(time).unwrap_or_default(),
        completed_at: case.completed_at.map(time).unwrap_or_default(),
        answers,
        files: materials
            .into_iter()
            .map(|m| FileView {
                url: format!("/hall/cases/{}/materials/{}", case.number, m.sha256),
                size: fmt::size(lang, m.size),
                content_type: file_kind(&m.content_type).to_string(),
                added_by: if m.added_by.starts_with("staff:") {
                    lang.pick("工作人员", "Staff").to_string()
                } else {
                    lang.pick("申请人", "Applicant").to_string()
                },
                material: m.material,
                file_name: m.file_name,
                added_at: time(m.added_at),
            })
            .collect(),
        charges: charges
            .into_iter()
            .map(|(n, fen)| (n, fmt::money(lang, fen)))
            .collect(),
        penalty: penalty.map(|p| {
            (
                format!(
                    "{} · {}",
                    p["circumstance"].as_str().unwrap_or(""),
                    p["measure"].as_str().unwrap_or("")
                ),
                fmt::money(lang, p["amount_fen"].as_i64().unwrap_or(0)),
            )
        }),
        rating,
        licence,
        history: words::history_lines(lang, history.entries, spec.item_type, &history.staff),
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
    form: Refill,
    status: StatusCode,
) -> Response {
    let Refill {
        values,
        errors,
        general,
        kept,
    } = form;
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
        materials: material_inputs(lang, &v.spec.materials, &errors, &kept),
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
    apply_page(&s, c, &item_id, Refill::default(), StatusCode::OK).await
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
            let form = Refill::refused(&r, lang, &[], &[], BTreeMap::new(), vec![]);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return apply_page(&s, c, &item_id, form, status).await;
        }
    };
    if !csrf_ok(&session, &parts.text("csrf")) {
        return bad_token(c);
    }
    let Ok(id) = item_id.parse::<i64>() else {
        return error_page(c, Refusal::not_found("事项", "Item").into());
    };
    let Parts { fields, uploads } = parts;
    let actor = &session.actor;
    let files = match files::FormFiles::gather(&s, actor, &fields, uploads).await {
        Ok(f) => f,
        Err(e) => return error_page(c, e),
    };
    match s
        .app
        .apply(actor, id, answers_of(&fields), files.all())
        .await
    {
        Ok(case) => {
            forget_kept(&s, actor).await;
            flash::redirect(
                &format!("/hall/cases/{}?submitted=1", case.number),
                format!("已提交申请 {}", case.number),
                format!("Application {} submitted", case.number),
            )
        }
        Err(AppError::Refused(r)) => {
            let spec = match s.app.public_item(id).await {
                Ok(v) => v.spec,
                Err(e) => return error_page(c, e),
            };
            let kept = if r.kind == RefusalKind::Invalid {
                files.keep(&s, actor, &spec.materials).await
            } else {
                files.kept_only()
            };
            let form = Refill::refused(&r, lang, &spec.form, &[], fields, kept);
            let status = crate::error::status_of(r.kind);
            apply_page(&s, c, &item_id, form, status).await
        }
        Err(e) => error_page(c, e),
    }
}

/// A form went through: the files kept from its refusals are let go.
pub(crate) async fn forget_kept(s: &AppState, actor: &sunshine_domain::identity::Actor) {
    if let Err(e) = s.app.forget_kept(actor).await {
        tracing::warn!(error = ?e, "could not let go of kept files");
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
    let materials = material_inputs(lang, &file.spec.materials, &f.errors, &[]);
    let rated = file.rating.is_some();
    // The app's own check: the policy (only the applicant) and the lifecycle.
    let may = |a: CaseAction| s.app.may_act(&session.actor, &file.case, &file.spec, &a);
    let (can_withdraw, can_supply) = (may(CaseAction::Withdraw), may(CaseAction::SupplyCorrection));
    let d = case_detail(s, lang, file, history);
    let page = CasePage {
        can_withdraw,
        can_add: is_applicant && sunshine_app::materials::may_add(&facts.state),
        can_supply,
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

/// A case's journal entries and the staff they name.
pub struct History {
    pub entries: Vec<sunshine_domain::journal::Entry>,
    pub staff: std::collections::HashMap<String, sunshine_app::hall::inbox::StaffName>,
}

/// A case's file and its journal history, for one who may see it.
async fn load_case(
    s: &AppState,
    session: &Session,
    number: &str,
) -> Result<(CaseFile, History), AppError> {
    let file = s.app.case_file(&session.actor, number).await?;
    let entries = s.app.history(&format!("case/{}", file.case.number)).await?;
    let actors: Vec<String> = entries.iter().map(|e| e.actor.clone()).collect();
    let staff = s.app.staff_names(&actors).await?;
    Ok((file, History { entries, staff }))
}

/// A file's type in words.
fn file_kind(mime: &str) -> &'static str {
    match mime {
        "application/pdf" => "PDF",
        "image/jpeg" => "JPEG",
        "image/png" => "PNG",
        "application/ofd" => "OFD",
        _ => "",
    }
}

/// What an action did, in both languages, for the flash after it.
pub struct Done(pub String, pub String);

impl Done {
    /// A command's event done on a case: `已受理 2026-330100-000123`.
    pub fn event(
        event_type: &str,
        item_type: sunshine_domain::catalog::ItemType,
        number: &str,
    ) -> Done {
        let zh = words::event_words(Lang::Zh, event_type, item_type);
        let en = words::event_words(Lang::En, event_type, item_type);
        let zh = if zh.starts_with('已') || zh.starts_with('不') {
            zh
        } else {
            format!("已{zh}")
        };
        Done(format!("{zh}：{number}"), format!("{en}: {number}"))
    }
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
    result: Result<Done, AppError>,
) -> Response {
    let base = match side {
        Side::Applicant => "/hall/cases/",
        Side::Clerk => "/staff/cases/",
    };
    match result {
        Ok(Done(zh, en)) => flash::redirect(&format!("{base}{}", url_escape(number)), zh, en),
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
        .map(|case| {
            Done(
                format!("已撤回申请 {}", case.number),
                format!("Application {} withdrawn", case.number),
            )
        });
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
    let count = parts.uploads.len();
    let mut result = Ok(Done(
        format!("已上传 {count} 个文件"),
        format!("{count} file(s) uploaded"),
    ));
    if !parts.uploads.is_empty() || !supply {
        if let Err(e) = s
            .app
            .add_materials(&session.actor, &number, parts.uploads)
            .await
        {
            result = Err(e);
        }
    }
    if supply && result.is_ok() {
        result = s
            .app
            .case_action(&session.actor, &number, CaseAction::SupplyCorrection)
            .await
            .map(|case| {
                Done(
                    format!("已提交补正材料，办件 {} 等待受理", case.number),
                    format!(
                        "Correction supplied; case {} awaits acceptance",
                        case.number
                    ),
                )
            });
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
        Ok(rating) => s
            .app
            .rate_case(&session.actor, &number, rating, &text("comment"))
            .await
            .map(|()| {
                Done(
                    "感谢您的评价".to_string(),
                    "Thank you for rating the service".to_string(),
                )
            }),
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
