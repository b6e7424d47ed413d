//! The population registry's pages: a community worker's or a registrar's
//! import, with a dry run first; their records (`records`), the residents'
//! own (`resident`) and the aggregates (`statistics`).

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sunshine_app::registry::ImportReport;
use sunshine_app::AppError;
use sunshine_domain::refusal::Refusal;
use sunshine_domain::registry::import::COLUMNS;

use super::{bad_token, error_page, render, Chrome, Posted};
use crate::auth::{csrf_ok, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

pub mod named_reads;
pub mod pairs;
pub mod records;
pub mod resident;
pub mod standard;
pub mod statistics;

const PLACE: &str = "/staff/registry";

#[derive(Template)]
#[template(path = "registry/import.html")]
struct ImportPage {
    c: Chrome,
    columns: String,
    message: String,
    errors: Vec<(String, String)>,
    changed: Vec<(u64, String)>,
}

impl ImportPage {
    fn new(c: Chrome) -> ImportPage {
        ImportPage {
            c,
            columns: COLUMNS.join(", "),
            message: String::new(),
            errors: vec![],
            changed: vec![],
        }
    }
}

pub(super) fn not_here(c: Chrome) -> Response {
    error_page(
        c,
        Refusal::forbidden(
            "forbidden",
            "您不采集任何社区的人口信息",
            "You collect no community's population records",
        )
        .into(),
    )
}

pub async fn page(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
) -> Response {
    let c = Chrome::new(lang, Some(&session), PLACE);
    if !s.app.desks(&session.actor).registry {
        return not_here(c);
    }
    render(&ImportPage::new(c))
}

pub async fn import(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    multipart: Multipart,
) -> Response {
    let c = Chrome::new(lang, Some(&session), PLACE);
    if !s.app.desks(&session.actor).registry {
        return not_here(c);
    }
    let posted = match Posted::read(multipart).await {
        Ok(p) => p,
        Err(e) => return error_page(c, e),
    };
    if !csrf_ok(&session, &posted.text("csrf")) {
        return bad_token(c);
    }
    let dry_run = !posted.text("dry_run").is_empty();
    let mut page = ImportPage::new(c);
    let Some((_, bytes)) = posted.file("file") else {
        page.message = page
            .c
            .pick("请选择要导入的文件", "Choose a file to import")
            .to_string();
        return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
    };
    match s.app.import_registry(&session.actor, bytes, dry_run).await {
        Ok(report) => {
            page.message = summary(&report, lang);
            page.changed = report
                .changed
                .iter()
                .map(|c| (c.line, c.columns.join(", ")))
                .collect();
            render(&page)
        }
        Err(AppError::Refused(r)) => {
            page.errors = r
                .field_messages::<Vec<(String, String)>>(lang.code())
                .into_iter()
                .map(|(cell, why)| (cell_name(&cell, lang), why))
                .collect();
            page.message = r.message.get(lang.code()).to_string();
            (crate::error::status_of(r.kind), render(&page)).into_response()
        }
        Err(e) => error_page(page.c, e),
    }
}

/// A refused cell as people say it: `line 3 出生日期` is 第3行 出生日期 on a
/// Chinese page (the API keeps the key as it is).
fn cell_name(key: &str, lang: Lang) -> String {
    match key.strip_prefix("line ") {
        Some(rest) if !lang.is_en() => {
            let (line, column) = rest.split_once(' ').unwrap_or((rest, ""));
            format!("第{line}行 {column}").trim_end().to_string()
        }
        _ => key.to_string(),
    }
}

/// What the import did or would do, in a sentence.
fn summary(r: &ImportReport, lang: Lang) -> String {
    let (added, changed, same) = (r.added.len(), r.changed.len(), r.unchanged);
    match (r.dry_run, lang.is_en()) {
        (true, true) => format!(
            "Dry run of {} rows: {added} would be added, {changed} changed, {same} unchanged. Nothing was written.",
            r.rows
        ),
        (true, false) => format!(
            "预检{}行：将新增{added}人，修改{changed}人，{same}人不变。未写入任何记录。",
            r.rows
        ),
        (false, true) => format!(
            "Imported {} rows: {added} added, {changed} changed, {same} unchanged.",
            r.rows
        ),
        (false, false) => format!(
            "已导入{}行：新增{added}人，修改{changed}人，{same}人不变。",
            r.rows
        ),
    }
}
