//! The staff workbench: the catalogue in every state, the item editor, the
//! workflow buttons, the panoramic view, import and export.

use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sunshine_app::catalog::io::Format;
use sunshine_app::AppError;
use sunshine_domain::catalog::{TimeUnit, VersionState, WorkflowStep};
use sunshine_domain::refusal::Refusal;

use super::form::{form_field, FormErrors, ItemForm};
use super::public::{paging, region_options, rows, type_options, Row, SpecView};
use crate::api::catalog::{parse_date, ListQuery};
use crate::auth::{csrf_ok, StaffSession};
use crate::i18n::Lang;
use crate::pages::{bad_token, error_page, opts, render, Chrome, Opt};
use crate::AppState;

#[derive(Template)]
#[template(path = "catalog/workbench.html")]
struct Workbench {
    c: Chrome,
    roles: Vec<(String, String)>,
    may_draft: bool,
    q: String,
    states: Vec<Opt>,
    rows: Vec<Row>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
}

pub async fn workbench(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(q): Query<ListQuery>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/");
    let mut filter = match q.filter() {
        Ok(f) => f,
        Err(r) => return error_page(c, r.into()),
    };
    filter.latest_only = q.state.as_deref().unwrap_or("").is_empty();
    let (offset, limit) = (filter.offset, filter.limit);
    match s.app.staff_versions(&session.actor, filter).await {
        Ok(p) => {
            let qv = q.q.clone().unwrap_or_default();
            let sv = q.state.clone().unwrap_or_default();
            let (prev, next) = paging(
                "/staff/",
                &[("q", &qv), ("state", &sv)],
                offset,
                limit,
                p.total,
            );
            let orgs = s.app.orgs();
            let roles = session
                .actor
                .grants
                .iter()
                .map(|g| {
                    (
                        lang.pick(g.role.name_zh(), g.role.name_en()).to_string(),
                        orgs.name(g.org.as_str(), lang.code()),
                    )
                })
                .collect();
            let may_draft = orgs.list.iter().any(|o| {
                s.app
                    .authorize(
                        &session.actor,
                        &sunshine_domain::policy::Action::DraftItem {
                            implementing_body: &o.code,
                        },
                    )
                    .is_ok()
            });
            let states = opts(
                VersionState::ALL
                    .iter()
                    .map(|v| (v.as_str(), lang.pick(v.name_zh(), v.name_en())))
                    .collect(),
                &sv,
            );
            render(&Workbench {
                roles,
                may_draft,
                q: qv,
                states,
                rows: rows(&s, lang, p.items),
                total: p.total,
                prev,
                next,
                c,
            })
        }
        Err(e) => error_page(c, e),
    }
}

/// A workflow button the signed-in user may press on this version.
pub struct StepButton {
    pub action: &'static str,
    pub label: &'static str,
    pub needs_reason: bool,
    pub needs_date: bool,
}

#[derive(Template)]
#[template(path = "catalog/version.html")]
struct VersionPage {
    c: Chrome,
    id: i64,
    item_id: i64,
    version_no: i64,
    state: String,
    state_code: &'static str,
    is_current: bool,
    effective_date: String,
    returned_reason: String,
    v: SpecView,
    buttons: Vec<StepButton>,
    can_edit: bool,
    can_open_version: bool,
    today: String,
    versions: Vec<(i64, i64, String)>,
    history: Vec<HistoryLine>,
}

/// One line of an item's history, in people's words; the journal entry's
/// details stay available for the auditor.
pub struct HistoryLine {
    pub seq: i64,
    pub at: String,
    pub who: String,
    pub what: String,
    pub details: String,
}

pub async fn version(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<String>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), &format!("/staff/versions/{id}"));
    let Ok(id) = id.parse::<i64>() else {
        return error_page(c, Refusal::not_found("事项版本", "Item version").into());
    };
    let row = match s.app.version(&session.actor, id).await {
        Ok(r) => r,
        Err(e) => return error_page(c, e),
    };
    let (versions, history) = match (
        s.app.item_versions(&session.actor, row.item_id).await,
        s.app
            .history(&sunshine_app::catalog::subject(row.item_id))
            .await,
    ) {
        (Ok(v), Ok(h)) => (v, h),
        (Err(e), _) | (_, Err(e)) => return error_page(c, e),
    };
    let who = match s.app.journal_actors(&history).await {
        Ok(w) => w,
        Err(e) => return error_page(c, e),
    };
    let history = history
        .into_iter()
        .map(|e| HistoryLine {
            seq: e.seq,
            at: crate::pages::fmt::when(lang, e.at),
            who: who
                .get(&e.actor)
                .map(|t| t.get(lang.code()).to_string())
                .unwrap_or_default(),
            what: sunshine_domain::catalog::event_name(&e.event_type)
                .map(|t| t.get(lang.code()).to_string())
                .unwrap_or_else(|| lang.pick("其他变更", "Other change").to_string()),
            details: e.payload,
        })
        .collect();
    // Only the steps the app would take from this person now.
    let buttons: Vec<StepButton> = s
        .app
        .steps_open_to(&session.actor, &row)
        .iter()
        .map(|step| {
            let (action, zh, en) = match step {
                WorkflowStep::Declare => ("declare", "申报", "Declare"),
                WorkflowStep::Review => ("review", "审核通过", "Pass review"),
                WorkflowStep::Approve => ("approve", "批准", "Approve"),
                WorkflowStep::Publish { .. } => ("publish", "入库", "Enter into the library"),
                WorkflowStep::Return { .. } => ("return", "退回编制", "Return to draft"),
            };
            StepButton {
                action,
                label: lang.pick(zh, en),
                needs_reason: matches!(step, WorkflowStep::Return { .. }),
                needs_date: matches!(step, WorkflowStep::Publish { .. }),
            }
        })
        .collect();
    let any_open = versions.iter().any(|v| v.state.is_open());
    let may_draft = s
        .app
        .authorize(
            &session.actor,
            &sunshine_domain::policy::Action::DraftItem {
                implementing_body: &row.spec.implementing_body,
            },
        )
        .is_ok();
    render(&VersionPage {
        id,
        item_id: row.item_id,
        version_no: row.version_no,
        state: lang
            .pick(row.state.name_zh(), row.state.name_en())
            .to_string(),
        state_code: row.state.as_str(),
        is_current: row.current_version == Some(row.id),
        effective_date: row
            .effective_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        returned_reason: row.returned_reason.clone().unwrap_or_default(),
        can_edit: row.state == VersionState::Draft && may_draft,
        can_open_version: !any_open && may_draft,
        buttons,
        today: s.app.clock.today().to_string(),
        versions: versions
            .iter()
            .map(|v| {
                (
                    v.id,
                    v.version_no,
                    lang.pick(v.state.name_zh(), v.state.name_en()).to_string(),
                )
            })
            .collect(),
        history,
        v: SpecView::new(&s, lang, row.spec),
        c,
    })
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    effective_date: String,
}

pub async fn step(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(c, Refusal::not_found("事项版本", "Item version").into());
    };
    let step = match f.action.as_str() {
        "declare" => WorkflowStep::Declare,
        "review" => WorkflowStep::Review,
        "approve" => WorkflowStep::Approve,
        "publish" => match parse_date("effective_date", &f.effective_date) {
            Ok(effective) => WorkflowStep::Publish { effective },
            Err(r) => return error_page(c, r.into()),
        },
        "return" => WorkflowStep::Return { reason: f.reason },
        _ => {
            return error_page(
                c,
                Refusal::field("action", "未知操作", "Unknown action").into(),
            )
        }
    };
    match s.app.workflow_step(&session.actor, id, step).await {
        Ok(_) => Redirect::to(&format!("/staff/versions/{id}")).into_response(),
        Err(e) => error_page(c, e),
    }
}

pub async fn new_version(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(item_id): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let Ok(item_id) = item_id.parse::<i64>() else {
        return error_page(c, Refusal::not_found("事项", "Item").into());
    };
    match s.app.open_new_version(&session.actor, item_id).await {
        Ok(v) => Redirect::to(&format!("/staff/versions/{}/edit", v.id)).into_response(),
        Err(e) => error_page(c, e),
    }
}

#[derive(Template)]
#[template(path = "catalog/form.html")]
struct ItemFormPage {
    c: Chrome,
    title: &'static str,
    action: String,
    f: ItemForm,
    errors: FormErrors,
    general_error: String,
    types: Vec<Opt>,
    regions: Vec<Opt>,
    legal_units: Vec<Opt>,
    promised_units: Vec<Opt>,
    departments: Vec<(String, String)>,
    code_locked: bool,
}

impl ItemFormPage {
    fn err(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

fn units(lang: Lang) -> Vec<(&'static str, &'static str)> {
    [
        TimeUnit::WorkingDays,
        TimeUnit::Days,
        TimeUnit::Months,
        TimeUnit::Years,
    ]
    .iter()
    .map(|u| (u.as_str(), lang.pick(u.name_zh(), u.name_en())))
    .collect()
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    s: &AppState,
    c: Chrome,
    title: &'static str,
    action: String,
    f: ItemForm,
    errors: FormErrors,
    general_error: String,
    code_locked: bool,
) -> ItemFormPage {
    let lang = c.lang;
    let orgs = s.app.orgs();
    ItemFormPage {
        types: opts(type_options(lang), &f.item_type),
        regions: opts(region_options(s, lang), &f.region),
        legal_units: opts(units(lang), &f.legal_limit_unit),
        promised_units: opts(units(lang), &f.promised_limit_unit),
        departments: orgs
            .list
            .iter()
            .map(|o| {
                (
                    o.code.to_string(),
                    lang.pick(&o.name, &o.name_en).to_string(),
                )
            })
            .collect(),
        title,
        action,
        f,
        errors,
        general_error,
        code_locked,
        c,
    }
}

pub async fn new_item_form(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/items/new");
    let org = session
        .actor
        .org
        .clone()
        .map(|o| o.to_string())
        .unwrap_or_default();
    let f = ItemForm {
        region: org.get(..6).unwrap_or("").to_string(),
        implementing_body: org.clone(),
        accepting_body: org.clone(),
        deciding_body: org,
        legal_limit_unit: "working_days".into(),
        promised_limit_unit: "working_days".into(),
        min_visits: "0".into(),
        ..ItemForm::default()
    };
    let title = c.pick("编制新事项", "Draft a new item");
    render(&form_page(
        &s,
        c,
        title,
        "/staff/items/new".into(),
        f,
        FormErrors::new(),
        String::new(),
        false,
    ))
}

/// Show the form again with the reasons next to the fields.
fn refused_form(
    s: &AppState,
    c: Chrome,
    title: &'static str,
    action: String,
    f: ItemForm,
    e: AppError,
    code_locked: bool,
) -> Response {
    match e {
        AppError::Refused(r) => {
            let lang = c.lang;
            let mut errors = FormErrors::new();
            for (k, v) in &r.fields {
                errors
                    .entry(form_field(k))
                    .or_insert_with(|| v.get(lang.code()).to_string());
            }
            let general = r.message.get(lang.code()).to_string();
            let status = crate::error::status_of(r.kind);
            (
                status,
                render(&form_page(
                    s,
                    c,
                    title,
                    action,
                    f,
                    errors,
                    general,
                    code_locked,
                )),
            )
                .into_response()
        }
        other => error_page(c, other),
    }
}

pub async fn create_item(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<ItemForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/items/new");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let title = c.pick("编制新事项", "Draft a new item");
    let action = "/staff/items/new".to_string();
    let spec = match f.to_spec(lang) {
        Ok(spec) => spec,
        Err(errors) => {
            let general = c
                .pick(
                    "输入有误，请检查标出的项目",
                    "The input has errors; see the marked fields",
                )
                .to_string();
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&form_page(&s, c, title, action, f, errors, general, false)),
            )
                .into_response();
        }
    };
    match s.app.create_item(&session.actor, spec).await {
        Ok(v) => Redirect::to(&format!("/staff/versions/{}", v.id)).into_response(),
        Err(e) => refused_form(&s, c, title, action, f, e, false),
    }
}

pub async fn edit_form(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<String>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/");
    let Ok(id) = id.parse::<i64>() else {
        return error_page(c, Refusal::not_found("事项版本", "Item version").into());
    };
    match s.app.version(&session.actor, id).await {
        Ok(v) => {
            let title = c.pick("修改草稿", "Edit the draft");
            render(&form_page(
                &s,
                c,
                title,
                format!("/staff/versions/{id}/edit"),
                ItemForm::from_spec(&v.spec),
                FormErrors::new(),
                String::new(),
                true,
            ))
        }
        Err(e) => error_page(c, e),
    }
}

pub async fn update_item(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<String>,
    Form(f): Form<ItemForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(c, Refusal::not_found("事项版本", "Item version").into());
    };
    let title = c.pick("修改草稿", "Edit the draft");
    let action = format!("/staff/versions/{id}/edit");
    let spec = match f.to_spec(lang) {
        Ok(spec) => spec,
        Err(errors) => {
            let general = c
                .pick(
                    "输入有误，请检查标出的项目",
                    "The input has errors; see the marked fields",
                )
                .to_string();
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&form_page(&s, c, title, action, f, errors, general, true)),
            )
                .into_response();
        }
    };
    match s.app.update_draft(&session.actor, id, spec).await {
        Ok(_) => Redirect::to(&format!("/staff/versions/{id}")).into_response(),
        Err(e) => refused_form(&s, c, title, action, f, e, true),
    }
}

#[derive(Template)]
#[template(path = "catalog/panorama.html")]
struct PanoramaPage {
    c: Chrome,
    total: i64,
    by_state: Vec<(String, i64)>,
    by_type: Vec<(String, i64)>,
    by_department: Vec<(String, String, i64)>,
    /// Region name, then per state count, for the matrix.
    states: Vec<(&'static str, &'static str)>,
    matrix: Vec<(String, Vec<i64>, i64)>,
}

pub async fn panorama(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/panorama");
    let p = match s.app.panorama(&session.actor).await {
        Ok(p) => p,
        Err(e) => return error_page(c, e),
    };
    let orgs = s.app.orgs();
    let state_name = |code: &str| {
        VersionState::parse(code)
            .map(|v| lang.pick(v.name_zh(), v.name_en()).to_string())
            .unwrap_or_else(|| code.to_string())
    };
    let type_name = |code: &str| {
        sunshine_domain::catalog::ItemType::parse(code)
            .map(|t| lang.pick(t.name_zh(), t.name_en()).to_string())
            .unwrap_or_else(|| code.to_string())
    };
    let states: Vec<(&'static str, &'static str)> = VersionState::ALL
        .iter()
        .map(|v| (v.as_str(), lang.pick(v.name_zh(), v.name_en())))
        .collect();
    let matrix = p
        .by_region
        .iter()
        .map(|(region, total)| {
            let counts = states
                .iter()
                .map(|(code, _)| {
                    p.cells
                        .iter()
                        .filter(|c| &c.region == region && c.state == *code)
                        .map(|c| c.count)
                        .sum()
                })
                .collect();
            (orgs.name(region, lang.code()), counts, *total)
        })
        .collect();
    render(&PanoramaPage {
        total: p.total,
        by_state: p
            .by_state
            .iter()
            .map(|(k, n)| (state_name(k), *n))
            .collect(),
        by_type: p.by_type.iter().map(|(k, n)| (type_name(k), *n)).collect(),
        by_department: p
            .by_department
            .iter()
            .map(|(k, n)| (k.clone(), orgs.name(k, lang.code()), *n))
            .collect(),
        states,
        matrix,
        c,
    })
}

#[derive(Template)]
#[template(path = "catalog/transfer.html")]
struct TransferPage {
    c: Chrome,
    message: String,
    errors: Vec<(String, String)>,
}

pub async fn transfer_page(lang: Lang, StaffSession(session): StaffSession) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/transfer");
    render(&TransferPage {
        c,
        message: String::new(),
        errors: vec![],
    })
}

pub async fn import(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    multipart: Multipart,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/transfer");
    let posted = match crate::pages::Posted::read(multipart).await {
        Ok(p) => p,
        Err(e) => return error_page(c, e),
    };
    if !csrf_ok(&session, &posted.text("csrf")) {
        return bad_token(c);
    }
    let file = posted.file("file");
    let mut format = posted.text("format");
    if format.is_empty() {
        format = file
            .and_then(|(name, _)| name)
            .filter(|n| n.ends_with(".csv"))
            .map(|_| "csv".to_string())
            .unwrap_or_default();
    }
    let format =
        Format::parse(if format.is_empty() { "json" } else { &format }).unwrap_or(Format::Json);
    let Some((_, bytes)) = file else {
        let message = c
            .pick("请选择要导入的文件", "Choose a file to import")
            .to_string();
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&TransferPage {
                c,
                message,
                errors: vec![],
            }),
        )
            .into_response();
    };
    match s.app.import_catalog(&session.actor, format, bytes).await {
        Ok(report) => {
            let message = if lang.is_en() {
                format!("Imported {} items.", report.imported)
            } else {
                format!("已导入{}个事项。", report.imported)
            };
            render(&TransferPage {
                c,
                message,
                errors: vec![],
            })
        }
        Err(AppError::Refused(r)) => {
            let errors = r.field_messages(lang.code());
            let message = r.message.get(lang.code()).to_string();
            (
                crate::error::status_of(r.kind),
                render(&TransferPage { c, message, errors }),
            )
                .into_response()
        }
        Err(e) => error_page(c, e),
    }
}

#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
}

pub async fn export(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(q): Query<ExportQuery>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/transfer");
    let format = Format::parse(q.format.as_deref().unwrap_or("json")).unwrap_or(Format::Json);
    match s.app.export_catalog(&session.actor, format).await {
        Ok(bytes) => {
            let (ctype, name) = match format {
                Format::Json => ("application/json", "catalog.json"),
                Format::Csv => ("text/csv; charset=utf-8", "catalog.csv"),
            };
            (
                [
                    (header::CONTENT_TYPE, ctype.to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => error_page(c, e),
    }
}
