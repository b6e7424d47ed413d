//! `/staff/registry/standard`: the city's code lists for the registry
//! (标准统一在全市), as any member of staff reads them, and the form with
//! which the city's registrar adds, renames, retires and restores codes.

use askama::Template;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::registry::{CodeChangeForm, StandardView};
use sunshine_app::AppError;
use sunshine_domain::registry::{CodeChange, ListName};

use super::super::{bad_token, error_page, flash, render, Chrome};
use crate::auth::{csrf_ok, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

const PLACE: &str = "/staff/registry/standard";

pub struct ListLines {
    pub list: String,
    pub label: String,
    pub standard: String,
    /// (code, name, retired).
    pub codes: Vec<(String, String, bool)>,
}

pub struct ChangeLine {
    pub list: String,
    pub code: String,
    pub change: String,
    pub name: String,
    pub reason: String,
    pub by: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "registry/standard.html")]
struct StandardPage {
    c: Chrome,
    may_change: bool,
    lists: Vec<ListLines>,
    changes: Vec<ChangeLine>,
    form: ChangePosted,
    message: String,
    errors: Vec<(String, String)>,
}

/// The form as posted, kept to show again with what was wrong.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChangePosted {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub list: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub change: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub reason: String,
}

fn change_words(c: &Chrome, change: &str) -> String {
    match change {
        "add" => c.pick("新增", "Added"),
        "rename" => c.pick("改名", "Renamed"),
        "retire" => c.pick("停用", "Retired"),
        _ => c.pick("恢复", "Restored"),
    }
    .to_string()
}

fn page_of(c: Chrome, view: StandardView, form: ChangePosted) -> StandardPage {
    let lang = c.lang;
    let lists = view
        .lists
        .iter()
        .map(|l| ListLines {
            list: l.list.as_str().to_string(),
            label: l.list.label().get(lang.code()).to_string(),
            standard: l.standard.clone(),
            codes: l
                .codes
                .iter()
                .map(|x| (x.code.clone(), x.name.clone(), x.retired))
                .collect(),
        })
        .collect();
    let changes = view
        .changes
        .iter()
        .map(|x| ChangeLine {
            list: x.list.label().get(lang.code()).to_string(),
            code: x.code.clone(),
            change: change_words(&c, &x.change),
            name: x.name.clone().unwrap_or_default(),
            reason: x.reason.clone(),
            by: x.by.clone(),
            at: c.when(&x.at),
        })
        .collect();
    StandardPage {
        may_change: view.may_change,
        lists,
        changes,
        form,
        message: String::new(),
        errors: vec![],
        c,
    }
}

pub async fn page(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
) -> Response {
    let c = Chrome::new(lang, Some(&session), PLACE);
    match s.app.registry_standard_view(&session.actor).await {
        Ok(view) => render(&page_of(c, view, ChangePosted::default())),
        Err(e) => error_page(c, e),
    }
}

/// The form read as a change, or what is missing from it.
fn change_of(f: &ChangePosted) -> Result<CodeChangeForm, (String, String, String)> {
    let list = ListName::parse(&f.list).ok_or_else(|| {
        (
            "list".to_string(),
            "请选择代码表".to_string(),
            "Choose a code list".to_string(),
        )
    })?;
    let change = CodeChange::from_parts(&f.change, Some(f.name.clone())).ok_or_else(|| {
        (
            "change".to_string(),
            "请选择变更".to_string(),
            "Choose a change".to_string(),
        )
    })?;
    Ok(CodeChangeForm {
        list,
        code: f.code.trim().to_string(),
        change,
        reason: f.reason.clone(),
    })
}

pub async fn change(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<ChangePosted>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), PLACE);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let refused = match change_of(&f) {
        Ok(form) => match s.app.change_registry_code(&session.actor, form).await {
            Ok(done) => {
                let what = change_words(&c, &done.change);
                return flash::redirect(
                    PLACE,
                    format!("{what}代码{}", done.code),
                    format!("{what} code {}", done.code),
                );
            }
            Err(AppError::Refused(r)) => (
                crate::error::status_of(r.kind),
                r.message.get(lang.code()).to_string(),
                r.field_messages::<Vec<(String, String)>>(lang.code()),
            ),
            Err(e) => return error_page(c, e),
        },
        Err((field, zh, en)) => (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            lang.pick("变更未被接受", "The change was not made")
                .to_string(),
            vec![(field, lang.pick(&zh, &en).to_string())],
        ),
    };
    let view = match s.app.registry_standard_view(&session.actor).await {
        Ok(view) => view,
        Err(e) => return error_page(c, e),
    };
    let mut page = page_of(c, view, f);
    page.message = refused.1;
    page.errors = refused.2;
    (refused.0, render(&page)).into_response()
}
