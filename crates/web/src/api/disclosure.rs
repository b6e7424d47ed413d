//! `/api/v1/disclosure`: the public, masked, real-time board of cases, its
//! live stream of changes, and its figures.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use sunshine_app::disclosure::LiveChange;
use sunshine_app::disclosure::{BoardCase, BoardFilter, BoardStats};
use sunshine_app::OrgDirectory;
use sunshine_domain::clock::{from_micros, local_display};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiQuery, ErrorBody};
use crate::i18n::{case_state, Lang};
use crate::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
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

impl BoardQuery {
    /// The store's filter; blank values do not filter.
    pub fn filter(&self) -> BoardFilter {
        let non_empty = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        BoardFilter {
            department: non_empty(&self.department),
            region: non_empty(&self.region),
            item_id: self.item_id,
            state: non_empty(&self.state),
            after_seq: self.after,
            limit: self.limit.unwrap_or(100),
            offset: 0,
        }
    }
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
    pub region_name: String,
    /// A person as surname + 某, an enterprise by its name.
    pub applicant: String,
    pub state: String,
    /// The state in the language asked for.
    pub state_label: String,
    pub accepted_at: Option<String>,
    /// Shanghai time, `YYYY-MM-DD HH:MM`.
    pub accepted_local: Option<String>,
    pub promised_due: Option<String>,
    pub completed_at: Option<String>,
    pub completed_local: Option<String>,
    /// Whether it was (or, while open, still is) within the promised time.
    pub on_time: Option<bool>,
    /// The journal sequence of its last change.
    pub seq: i64,
    /// The applicant's rating of the service, 1 to 5.
    pub rating: Option<i64>,
}

/// A projected case as the board shows it, in the reader's language.
pub fn board_row(c: BoardCase, orgs: &OrgDirectory, today: &str, lang: Lang) -> BoardRow {
    let on_time = sunshine_domain::hall::on_time(
        &c.state,
        c.promised_due.as_deref(),
        c.completed_on.as_deref(),
        today,
    );
    BoardRow {
        department_name: orgs.name(&c.department, lang.code()),
        region_name: orgs.name(&c.region, lang.code()),
        state_label: case_state(lang, &c.state).to_string(),
        number: c.number,
        item_id: c.item_id,
        item_name: c.item_name,
        department: c.department,
        region: c.region,
        applicant: c.applicant_public,
        state: c.state,
        accepted_at: c.accepted_at.map(|t| from_micros(t).to_string()),
        accepted_local: c.accepted_at.map(|t| local_display(from_micros(t))),
        promised_due: c.promised_due,
        completed_at: c.completed_at.map(|t| from_micros(t).to_string()),
        completed_local: c.completed_at.map(|t| local_display(from_micros(t))),
        on_time,
        seq: c.seq,
        rating: c.rating,
    }
}

/// The live board of cases, newest change first.
#[utoipa::path(get, path = "/api/v1/disclosure/cases", tag = "disclosure", params(BoardQuery), responses((status = 200, body = [BoardRow])))]
pub async fn cases(
    State(s): State<AppState>,
    lang: Lang,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Json<Vec<BoardRow>>, ApiError> {
    let rows = s
        .app
        .board(q.filter())
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let today = s.app.clock.today().to_string();
    let orgs = s.app.orgs();
    Ok(Json(
        rows.into_iter()
            .map(|c| board_row(c, &orgs, &today, lang))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    pub department: Option<String>,
    pub region: Option<String>,
    pub item_id: Option<i64>,
    pub state: Option<String>,
    /// Start after this journal sequence; without it (and without
    /// `Last-Event-ID`), the stream starts from now.
    pub after: Option<i64>,
}

/// Server-sent events of the board's rows as they change. The first event,
/// `ready`, carries the sequence the stream starts after as its id; each
/// `case` event is a [`BoardRow`] whose id is its journal sequence; with a
/// `state` filter, a `left` event (`{"number"}`) tells of a case that moved to
/// another state. A client
/// that reconnects with `Last-Event-ID` (browsers do it by themselves) gets
/// exactly the rows it missed, in order. A comment every 15 s keeps the
/// connection open.
#[utoipa::path(get, path = "/api/v1/disclosure/stream", tag = "disclosure",
    params(StreamQuery, ("Last-Event-ID" = Option<i64>, Header, description = "The id of the last event received; takes precedence over `after`.")),
    responses((status = 200, content_type = "text/event-stream", body = BoardRow, description = "`event: ready` once, then `event: case` per changed row (and `event: left` for a row leaving a state filter), `id` = journal sequence"),
        (status = 400, body = ErrorBody)))]
pub async fn stream(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let last_event = match headers.get("last-event-id").map(|v| v.to_str()) {
        None => None,
        Some(Ok(v)) if v.trim().is_empty() => None,
        Some(v) => Some(
            v.ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "bad_last_event_id",
                        lang.pick("Last-Event-ID 应为整数", "Last-Event-ID must be an integer")
                            .into(),
                    )
                })?,
        ),
    };
    let filter = BoardQuery {
        department: q.department,
        region: q.region,
        item_id: q.item_id,
        state: q.state,
        after: last_event.or(q.after),
        limit: None,
    }
    .filter();
    let (start, rows) = s
        .app
        .board_live(filter)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let app = s.app.clone();
    let ready = Event::default()
        .event("ready")
        .id(start.to_string())
        .data(format!("{{\"after\":{start}}}"));
    let events = rows
        .take_while(|r| {
            if let Err(e) = r {
                // The client reconnects with its last id and resumes from the table.
                tracing::error!(error = %e, "the board's live stream stopped");
            }
            std::future::ready(r.is_ok())
        })
        .filter_map(move |r| {
            let event = r.ok().map(|change| match change {
                LiveChange::Row(c) => {
                    let today = app.clock.today().to_string();
                    let seq = c.seq;
                    let row = board_row(*c, &app.orgs(), &today, lang);
                    Event::default()
                        .event("case")
                        .id(seq.to_string())
                        .json_data(row)
                        .unwrap_or_else(|_| Event::default().comment("unserialisable row"))
                }
                LiveChange::MovedOut { number, seq } => Event::default()
                    .event("left")
                    .id(seq.to_string())
                    .data(serde_json::json!({ "number": number }).to_string()),
            });
            std::future::ready(event.map(Ok))
        });
    let all = futures_util::stream::once(std::future::ready(Ok(ready))).chain(events);
    Ok(Sse::new(all).keep_alive(KeepAlive::default()))
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

/// The store's sums as figures people read, with names in the reader's language.
pub fn figures(rows: Vec<BoardStats>, orgs: &OrgDirectory, lang: Lang) -> Vec<Figures> {
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
    Ok(Json(BoardFigures {
        by_department: figures(by_department, &orgs, lang),
        by_region: figures(by_region, &orgs, lang),
    }))
}
