//! The hall's pages for applicants: applying online with files, their
//! cases, one case with what they may do now, and following a case with
//! its query code. The clerk's pages are in `hall/clerk.rs`.

pub mod clerk;
mod detail;
pub mod entitlement;
pub mod files;
mod form;
mod track;
pub mod words;

pub use detail::*;
pub use form::*;
pub use track::*;

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sunshine_app::hall::inbox::{CaseFile, CaseLine};
use sunshine_app::identity::Session;
use sunshine_app::materials::Kept;
use sunshine_app::AppError;
use sunshine_domain::catalog::{FieldKind, FormField, Material};
use sunshine_domain::hall::{CaseCommand, CaseState, Channel};
use sunshine_domain::refusal::{Refusal, RefusalKind};

use super::catalog::form::FormErrors;
use super::{bad_token, error_page, flash, fmt, render, Chrome, Opt};
use crate::auth::{csrf_ok, url_escape, MaybeSession, SignedIn};
use crate::i18n::{t, Lang};
use crate::uploads::Parts;
use crate::AppState;

pub use words::state_label;

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
    /// Some answers come from the enterprise's own basic information.
    prefilled: bool,
}

async fn apply_page(
    s: &AppState,
    c: Chrome,
    item_id: &str,
    form: Refill,
    status: StatusCode,
) -> Response {
    let prefilled = status == StatusCode::OK && !form.values.is_empty();
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
        prefilled,
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
    // An enterprise's own basic information fills what the form asks of it.
    let values = match item_id.parse::<i64>() {
        Ok(id) => match s.app.enterprise_prefill(&session.actor, id).await {
            Ok(p) => p
                .values
                .into_iter()
                .map(|(k, v)| (format!("answer.{k}"), v))
                .collect(),
            Err(e) => {
                tracing::warn!(error = ?e, "no prefill for the application form");
                BTreeMap::new()
            }
        },
        Err(_) => BTreeMap::new(),
    };
    let form = Refill {
        values,
        ..Refill::default()
    };
    apply_page(&s, c, &item_id, form, StatusCode::OK).await
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
                outcome: crate::pages::bundle::outcome_label(lang, a.outcome),
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
    // The app's own rules: the policy (only the applicant) and the lifecycle.
    let may = s.app.offers(&session.actor, &file);
    let can_withdraw = may.has(|c| matches!(c, CaseCommand::Withdraw));
    let can_supply = may.has(|c| matches!(c, CaseCommand::SupplyCorrection));
    let d = case_detail(s, lang, file, history);
    let page = CasePage {
        can_withdraw,
        can_add: is_applicant && sunshine_app::materials::may_add(&facts.state),
        can_supply,
        can_rate: may.rate,
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
        .case_command(&session.actor, &number, CaseCommand::Withdraw)
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
            .case_command(&session.actor, &number, CaseCommand::SupplyCorrection)
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
