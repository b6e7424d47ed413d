//! One-stop bundles (一件事一次办) for applicants: the bundles on offer, one
//! application with the shared form and every item's materials, and the
//! application's one combined result with its cases.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::bundle::{BundleApplication, BundleOffer};
use sunshine_app::AppError;
use sunshine_domain::bundle::BundleOutcome;
use sunshine_domain::refusal::RefusalKind;

use super::hall::files::FormFiles;
use super::hall::{answers_of, field_inputs, line_views, material_inputs};
use super::hall::{CaseLineView, FieldInput, MaterialInput, Refill};
use crate::auth::{csrf_ok, MaybeSession, SignedIn};
use crate::i18n::{t, Lang};
use crate::pages::{bad_token, error_page, flash, render, Chrome};
use crate::uploads::Parts;
use crate::AppState;

/// A bundle's item as a list shows it.
pub struct BundleItemLine {
    pub name: String,
    pub department: String,
    pub in_library: bool,
}

/// A bundle on offer.
pub struct BundleLine {
    pub code: String,
    pub name: String,
    pub description: String,
    pub available: bool,
    pub items: Vec<BundleItemLine>,
}

fn bundle_line(s: &AppState, lang: Lang, o: &BundleOffer) -> BundleLine {
    let spec = &o.bundle.spec;
    BundleLine {
        code: spec.code.clone(),
        name: if lang.is_en() && !spec.name_en.is_empty() {
            spec.name_en.clone()
        } else {
            spec.name.clone()
        },
        description: spec.description.clone(),
        available: o.available(),
        items: o
            .items
            .iter()
            .map(|i| match &i.current {
                Some((_, _, spec)) => BundleItemLine {
                    name: spec.name.clone(),
                    department: s
                        .app
                        .orgs()
                        .name(spec.implementing_body.as_str(), lang.code()),
                    in_library: true,
                },
                None => BundleItemLine {
                    name: i.item.code.clone(),
                    department: s.app.orgs().name(i.item.region.as_str(), lang.code()),
                    in_library: false,
                },
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "bundle/list.html")]
struct BundlesPage {
    c: Chrome,
    bundles: Vec<BundleLine>,
}

/// 一件事一次办: the bundles the hall offers.
pub async fn list(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/hall/bundles");
    match s.app.bundles().await {
        Ok(all) => render(&BundlesPage {
            bundles: all
                .iter()
                .filter(|o| o.bundle.active)
                .map(|o| bundle_line(&s, lang, o))
                .collect(),
            c,
        }),
        Err(e) => error_page(c, e),
    }
}

#[derive(Template)]
#[template(path = "bundle/apply.html")]
struct ApplyPage {
    c: Chrome,
    b: BundleLine,
    fields: Vec<FieldInput>,
    materials: Vec<MaterialInput>,
    general: String,
    materials_error: String,
}

async fn apply_page(
    s: &AppState,
    c: Chrome,
    code: &str,
    form: Refill,
    status: StatusCode,
) -> Response {
    let Refill {
        values,
        errors,
        general,
        kept,
    } = form;
    let offer = match s.app.bundle(code).await {
        Ok(o) => o,
        Err(e) => return error_page(c, e),
    };
    let lang = c.lang;
    let page = ApplyPage {
        b: bundle_line(s, lang, &offer),
        fields: field_inputs(lang, &offer.form(), &values, &errors),
        materials: material_inputs(lang, &offer.materials(), &errors, &kept),
        materials_error: errors.get("materials").cloned().unwrap_or_default(),
        general,
        c,
    };
    (status, render(&page)).into_response()
}

/// A bundle: its items and, for a signed-in applicant, its one form.
pub async fn apply_form(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Path(code): Path<String>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), &format!("/hall/bundles/{code}"));
    apply_page(&s, c, &code, Refill::default(), StatusCode::OK).await
}

/// Apply for every item of the bundle at once, with the files.
pub async fn apply(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(code): Path<String>,
    multipart: Multipart,
) -> Response {
    let c = Chrome::new(lang, Some(&session), &format!("/hall/bundles/{code}"));
    let parts = match crate::uploads::read(multipart).await {
        Ok(p) => p,
        Err(r) => {
            let form = Refill::refused(&r, lang, &[], &[], BTreeMap::new(), vec![]);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return apply_page(&s, c, &code, form, status).await;
        }
    };
    if !csrf_ok(&session, &parts.text("csrf")) {
        return bad_token(c);
    }
    let Parts { fields, uploads } = parts;
    let actor = &session.actor;
    let files = match FormFiles::gather(&s, actor, &fields, uploads).await {
        Ok(f) => f,
        Err(e) => return error_page(c, e),
    };
    match s
        .app
        .apply_bundle(actor, &code, answers_of(&fields), files.all())
        .await
    {
        Ok(a) => {
            super::hall::forget_kept(&s, actor).await;
            let n = &a.application.number;
            flash::redirect(
                &format!("/hall/bundle-applications/{n}?submitted=1"),
                format!("已提交一件事申请 {n}，共 {} 个办件", a.cases.len()),
                format!(
                    "One-stop application {n} submitted: {} cases",
                    a.cases.len()
                ),
            )
        }
        Err(AppError::Refused(r)) => {
            let offer = match s.app.bundle(&code).await {
                Ok(o) => o,
                Err(e) => return error_page(c, e),
            };
            let kept = if r.kind == RefusalKind::Invalid {
                files.keep(&s, actor, &offer.materials()).await
            } else {
                files.kept_only()
            };
            let form = Refill::refused(&r, lang, &offer.form(), &[], fields, kept);
            let status = crate::error::status_of(r.kind);
            apply_page(&s, c, &code, form, status).await
        }
        Err(e) => error_page(c, e),
    }
}

/// The combined result in words.
pub fn outcome_label(lang: Lang, o: BundleOutcome) -> &'static str {
    t(lang, &format!("outcome_{}", o.name()))
}

#[derive(Template)]
#[template(path = "bundle/application.html")]
struct ApplicationPage {
    c: Chrome,
    number: String,
    query_code: String,
    bundle: String,
    outcome_code: &'static str,
    outcome: &'static str,
    submitted: bool,
    rows: Vec<CaseLineView>,
}

#[derive(Deserialize)]
pub struct ApplicationQuery {
    submitted: Option<String>,
}

async fn application_page(
    s: &AppState,
    c: Chrome,
    a: BundleApplication,
    submitted: bool,
) -> Response {
    let lang = c.lang;
    let bundle = match s.app.bundle(&a.application.bundle_code).await {
        Ok(o) => bundle_line(s, lang, &o).name,
        Err(_) => a.application.bundle_code.clone(),
    };
    let lines = match s.app.with_item_names(a.cases).await {
        Ok(l) => l,
        Err(e) => return error_page(c, e),
    };
    render(&ApplicationPage {
        number: a.application.number,
        query_code: a.application.query_code,
        bundle,
        outcome_code: a.outcome.name(),
        outcome: outcome_label(lang, a.outcome),
        submitted,
        rows: line_views(s, lang, lines),
        c,
    })
}

/// A one-stop application for its applicant: the combined result and each case.
pub async fn application(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(number): Path<String>,
    Query(q): Query<ApplicationQuery>,
) -> Response {
    let c = Chrome::new(
        lang,
        Some(&session),
        &format!("/hall/bundle-applications/{number}"),
    );
    match s.app.bundle_application_for(&session.actor, &number).await {
        Ok(a) => application_page(&s, c, a, q.submitted.is_some()).await,
        Err(e) => error_page(c, e),
    }
}
