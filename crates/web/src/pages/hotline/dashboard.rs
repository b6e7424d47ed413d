//! The public dashboard of the three rates and what is overdue.

use super::*;

use crate::auth::MaybeSession;
use crate::i18n::Lang;
use crate::pages::{error_page, fmt, refusal_message, render, Chrome};
use crate::views::hotline::{indicators_of, IndicatorQuery, IndicatorsView};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// One row as shown: rates as percentages, "—" where there is nothing to rate.
pub(super) struct Row {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) taken: u64,
    pub(super) closed: u64,
    pub(super) overdue: u64,
    pub(super) response: String,
    pub(super) resolution: String,
    pub(super) satisfaction: String,
}

pub(super) fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_string(), |r| format!("{:.1}%", r * 100.0))
}

pub(super) fn row(v: &IndicatorsView) -> Row {
    Row {
        code: v.code.clone(),
        name: v.name.clone(),
        taken: v.taken,
        closed: v.closed,
        overdue: v.overdue,
        response: percent(v.response_rate),
        resolution: percent(v.resolution_rate),
        satisfaction: percent(v.satisfaction_rate),
    }
}

#[derive(Template)]
#[template(path = "hotline/dashboard.html")]
struct DashboardPage {
    pub(super) c: Chrome,
    pub(super) from: String,
    pub(super) until: String,
    /// The span shown, as people read it.
    pub(super) span: String,
    pub(super) problem: Option<String>,
    pub(super) all: Row,
    pub(super) units: Vec<Row>,
    pub(super) districts: Vec<Row>,
    pub(super) categories: Vec<Row>,
}

/// `/hotline`: the hotline's indicators over a span of days (the last 30 by
/// default); a wrong span comes back on the form with the reason.
pub async fn dashboard(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<IndicatorQuery>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/hotline");
    let (found, problem, status) = match indicators_of(&s, &q, lang).await {
        Ok(t) => (t, None, StatusCode::OK),
        Err(e) => {
            let Some(m) = refusal_message(&c, &e) else {
                return error_page(c, e);
            };
            let status = status_of(&e);
            match indicators_of(&s, &IndicatorQuery::default(), lang).await {
                Ok(t) => (t, Some(m), status),
                Err(e) => return error_page(c, e),
            }
        }
    };
    let span = format!(
        "{} – {}",
        fmt::day_str(lang, &found.from),
        fmt::day_str(lang, &found.until)
    );
    let page = DashboardPage {
        from: q.from.clone().unwrap_or(found.from),
        until: q.until.clone().unwrap_or(found.until),
        span,
        problem,
        all: row(&found.all),
        units: found.by_unit.iter().map(row).collect(),
        districts: found.by_district.iter().map(row).collect(),
        categories: found.by_category.iter().map(row).collect(),
        c,
    };
    (status, render(&page)).into_response()
}
