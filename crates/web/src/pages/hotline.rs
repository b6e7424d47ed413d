//! Hotline pages: the public dashboard of the three rates and overdue
//! requests per unit, district and category (no caller on it).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::{error_page, render, Chrome};
use crate::api::hotline::{indicators_of, IndicatorQuery, IndicatorsView};
use crate::auth::MaybeSession;
use crate::i18n::Lang;
use crate::AppState;

/// One row as shown: rates as percentages, "—" where there is nothing to rate.
struct Row {
    code: String,
    name: String,
    taken: u64,
    closed: u64,
    overdue: u64,
    response: String,
    resolution: String,
    satisfaction: String,
}

fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_string(), |r| format!("{:.1}%", r * 100.0))
}

fn row(v: &IndicatorsView) -> Row {
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
#[template(path = "hotline_dashboard.html")]
struct DashboardPage {
    c: Chrome,
    from: String,
    until: String,
    all: Row,
    units: Vec<Row>,
    districts: Vec<Row>,
    categories: Vec<Row>,
}

/// `/hotline`: the hotline's indicators over a span of days (the last 30 by default).
pub async fn dashboard(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<IndicatorQuery>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/hotline");
    match indicators_of(&s, &q, lang).await {
        Ok(t) => render(&DashboardPage {
            c,
            from: t.from,
            until: t.until,
            all: row(&t.all),
            units: t.by_unit.iter().map(row).collect(),
            districts: t.by_district.iter().map(row).collect(),
            categories: t.by_category.iter().map(row).collect(),
        }),
        Err(e) => error_page(c, e),
    }
}
