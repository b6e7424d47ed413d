//! `/api/v1/disclosure`: the public, masked, real-time board of cases and its figures.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_domain::clock::from_micros;
use sunshine_store::disclosure::{BoardFilter, BoardStats};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiQuery};
use crate::i18n::Lang;
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    pub department: Option<String>,
    pub region: Option<String>,
    pub item_id: Option<i64>,
    pub state: Option<String>,
    /// Only cases changed after this journal sequence (for polling the live board).
    pub after: Option<i64>,
    /// 1 to 500 (default 100).
    pub limit: Option<i64>,
}

/// A case on the public board: nothing more than the law allows to be shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardRow {
    pub number: String,
    pub item_id: i64,
    pub item_name: String,
    pub department: String,
    pub department_name: String,
    pub region: String,
    /// A person as surname + 某, an enterprise by its name.
    pub applicant: String,
    pub state: String,
    pub accepted_at: Option<String>,
    pub promised_due: Option<String>,
    pub completed_at: Option<String>,
    /// Whether it was (or, while open, still is) within the promised time.
    pub on_time: Option<bool>,
    /// The journal sequence of its last change.
    pub seq: i64,
    /// The applicant's rating of the service, 1 to 5.
    pub rating: Option<i64>,
}

/// The live board of cases, newest change first.
#[utoipa::path(get, path = "/api/v1/disclosure/cases", tag = "disclosure", params(BoardQuery), responses((status = 200, body = [BoardRow])))]
pub async fn cases(
    State(s): State<AppState>,
    lang: Lang,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Json<Vec<BoardRow>>, ApiError> {
    let non_empty = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let filter = BoardFilter {
        department: non_empty(q.department),
        region: non_empty(q.region),
        item_id: q.item_id,
        state: non_empty(q.state),
        after_seq: q.after,
        limit: q.limit.unwrap_or(100),
    };
    let rows = s
        .app
        .board(filter)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let today = s.app.clock.today().to_string();
    let orgs = s.app.orgs();
    Ok(Json(
        rows.into_iter()
            .map(|c| {
                let on_time = match (&c.promised_due, &c.completed_on) {
                    (Some(due), Some(done)) => Some(done <= due),
                    (Some(due), None)
                        if !matches!(c.state.as_str(), "withdrawn" | "not_accepted") =>
                    {
                        Some(today <= *due)
                    }
                    _ => None,
                };
                BoardRow {
                    department_name: orgs.name(&c.department, lang.code()),
                    number: c.number,
                    item_id: c.item_id,
                    item_name: c.item_name,
                    department: c.department,
                    region: c.region,
                    applicant: c.applicant_public,
                    state: c.state,
                    accepted_at: c.accepted_at.map(|t| from_micros(t).to_string()),
                    promised_due: c.promised_due,
                    completed_at: c.completed_at.map(|t| from_micros(t).to_string()),
                    on_time,
                    seq: c.seq,
                    rating: c.rating,
                }
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Figures {
    /// A department's or a region's code.
    pub key: String,
    pub name: String,
    pub cases: i64,
    pub accepted: i64,
    pub done: i64,
    pub on_time: i64,
    /// Share of cases applied for online, 0 to 1.
    pub online_rate: f64,
    /// Average days from acceptance to delivery.
    pub average_days: Option<f64>,
    /// Applicants' average rating, 1 to 5.
    pub average_rating: Option<f64>,
    pub ratings: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardFigures {
    pub by_department: Vec<Figures>,
    pub by_region: Vec<Figures>,
}

/// Cases accepted, done, on time, the online share and the average days, per department and region.
#[utoipa::path(get, path = "/api/v1/disclosure/stats", tag = "disclosure", responses((status = 200, body = BoardFigures)))]
pub async fn stats(State(s): State<AppState>, lang: Lang) -> Result<Json<BoardFigures>, ApiError> {
    let (by_department, by_region) = s
        .app
        .board_stats()
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let orgs = s.app.orgs();
    let figures = |rows: Vec<BoardStats>| {
        rows.into_iter()
            .map(|r| Figures {
                name: orgs.name(&r.key, lang.code()),
                online_rate: if r.total > 0 {
                    r.online as f64 / r.total as f64
                } else {
                    0.0
                },
                average_days: (r.done > 0)
                    .then(|| r.done_micros as f64 / r.done as f64 / 86_400_000_000.0),
                average_rating: (r.ratings > 0).then(|| r.rating_sum as f64 / r.ratings as f64),
                ratings: r.ratings,
                key: r.key,
                cases: r.total,
                accepted: r.accepted,
                done: r.done,
                on_time: r.on_time,
            })
            .collect()
    };
    Ok(Json(BoardFigures {
        by_department: figures(by_department),
        by_region: figures(by_region),
    }))
}
