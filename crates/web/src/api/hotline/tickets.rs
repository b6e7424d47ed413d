//! Taking requests, the lifecycle commands, merging and the worklists.

use crate::views::hotline::*;

use crate::api::account::PurposeQuery;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use sunshine_app::hotline::{iso, NewRequest, Source};
use sunshine_app::hotline::{TicketRow, UpdateRow};
use sunshine_domain::access::ReadPurpose;
use sunshine_domain::identity::UserKind;
use utoipa::ToSchema;

/// A request (工单) as the staff who handle it, and its requester, see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketView {
    pub id: i64,
    /// The number told to the caller, e.g. `96345-2026-0000042`.
    pub number: String,
    /// The query code told to the caller with the number: with both, a
    /// citizen adds a request taken by phone, kiosk or TV to their account.
    pub query_code: Option<String>,
    pub category: String,
    /// `phone`, `web`, `kiosk`, `tv` or `open311`.
    pub channel: String,
    pub state: String,
    pub state_name: String,
    pub description: String,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address: Option<String>,
    pub region: String,
    pub caller_name: Option<String>,
    pub caller_phone: Option<String>,
    pub lead_unit: Option<String>,
    pub assisting_units: Vec<String>,
    pub answer: Option<String>,
    /// At a district's platform, a copy of the city's request: its id at
    /// the city, whose hotline reviews, visits and urges it.
    pub from_city: Option<i64>,
    pub merged_into: Option<i64>,
    /// The moment the running limit ends (dispatch, signature or answer).
    pub next_deadline: Option<String>,
    pub overdue: bool,
    pub answer_due: Option<String>,
    pub urges: u32,
    /// Urged twice or more: gone to the unit's head (督办).
    pub escalated: bool,
    pub redos: u32,
    pub redispatches: u32,
    pub satisfied: Option<bool>,
    pub attributes: BTreeMap<String, Vec<String>>,
    pub requested_at: String,
    pub updated_at: String,
}

pub fn ticket_view(t: TicketRow, now: jiff::Timestamp) -> TicketView {
    let l = &t.lifecycle;
    TicketView {
        number: t.number(),
        id: t.id,
        query_code: Some(t.query_code).filter(|c| !c.is_empty()),
        channel: t.channel.as_str().into(),
        state: l.state.as_str().into(),
        state_name: l.state.label_zh().into(),
        lead_unit: l.lead.as_ref().map(|o| o.to_string()),
        assisting_units: l.assisting.iter().map(|o| o.to_string()).collect(),
        next_deadline: l.next_deadline().map(iso),
        overdue: l.is_overdue(now),
        answer_due: l.answer_due.map(|d| d.to_string()),
        urges: l.urges,
        escalated: sunshine_domain::hotline::escalated(l.urges),
        redos: l.redos,
        redispatches: l.redispatches,
        satisfied: l.satisfied,
        requested_at: iso(t.requested_at),
        updated_at: iso(t.updated_at),
        category: t.category,
        description: t.description,
        lat: t.lat,
        long: t.lon,
        address: t.address,
        region: t.region,
        caller_name: t.caller_name,
        caller_phone: t.caller_phone,
        answer: t.answer,
        from_city: t.city_ticket,
        merged_into: t.merged_into,
        attributes: t.answers,
    }
}

/// One step of a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpdateView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub event: String,
    pub state: String,
    pub text: String,
    /// Whether the public sees it (Open311 status notes).
    pub public: bool,
}

pub fn update_view(u: UpdateRow) -> UpdateView {
    UpdateView {
        id: u.id,
        at: iso(u.at),
        actor: u.actor,
        event: u.event,
        state: u.state.as_str().into(),
        text: u.text,
        public: u.public,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetail {
    pub ticket: TicketView,
    pub updates: Vec<UpdateView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TakenView {
    pub ticket: TicketView,
    /// Open requests that look like this one, offered for merging.
    pub alike: Vec<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewRequestBody {
    /// The category's code (an Open311 service code).
    pub category: String,
    #[serde(default)]
    pub description: String,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address: Option<String>,
    /// The district's region code, e.g. `330106`.
    pub district: Option<String>,
    pub caller_name: Option<String>,
    pub caller_phone: Option<String>,
    pub email: Option<String>,
    /// Answers to the category's questions, by attribute code.
    #[serde(default)]
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// Take a request: an operator on a call (channel `phone`) or a citizen or
/// an enterprise signed in (channel `web`).
#[utoipa::path(post, path = "/api/v1/hotline/requests", tag = "hotline", request_body = NewRequestBody, security(("bearer" = [])),
    responses((status = 201, body = TakenView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn take(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<NewRequestBody>,
) -> Result<(StatusCode, Json<TakenView>), ApiError> {
    let source = match actor.kind {
        UserKind::Staff => Source::Operator(actor),
        UserKind::Citizen | UserKind::Enterprise => Source::Citizen(actor),
    };
    let request = NewRequest {
        category: b.category,
        description: b.description,
        lat: b.lat,
        lon: b.long,
        address: b.address,
        district: b.district,
        caller_name: b.caller_name,
        caller_phone: b.caller_phone,
        email: b.email,
        answers: b.attributes,
        ..NewRequest::default()
    };
    let taken = s
        .app
        .take_request(source, request)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let now = s.app.clock.now();
    Ok((
        StatusCode::CREATED,
        Json(TakenView {
            ticket: ticket_view(taken.ticket, now),
            alike: taken.alike,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ClaimBody {
    /// The request's number, e.g. `96345-2026-0000042`.
    pub number: String,
    /// The query code the caller was told.
    pub query_code: String,
}

/// Add a request taken by phone, at a kiosk or on TV to the signed-in
/// citizen's or enterprise's account (it then shows among their requests),
/// proved by its number and query code. A wrong pair, or a request already
/// on another account, is 404 alike.
#[utoipa::path(post, path = "/api/v1/hotline/requests/claim", tag = "hotline", request_body = ClaimBody, security(("bearer" = [])),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn claim(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<ClaimBody>,
) -> Result<Json<TicketView>, ApiError> {
    let t = s
        .app
        .claim_ticket(&actor, &b.number, &b.query_code)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(ticket_view(t, s.app.clock.now())))
}

/// A request with its steps: for operators, the unit it is sent to, and
/// its requester (who sees only the public steps).
#[utoipa::path(get, path = "/api/v1/hotline/requests/{id}", tag = "hotline", params(("id" = i64, Path), PurposeQuery), security(("bearer" = [])),
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PurposeQuery>,
) -> Result<Json<TicketDetail>, ApiError> {
    let purpose = q
        .purpose
        .is_some()
        .then(|| q.or(ReadPurpose::HandleTicket, lang))
        .transpose()?;
    let (t, updates) = s
        .app
        .read_ticket(&actor, id, purpose)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(TicketDetail {
        ticket: ticket_view(t, s.app.clock.now()),
        updates: updates.into_iter().map(update_view).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/hotline/requests/{id}/commands", tag = "hotline", params(("id" = i64, Path)), request_body = TicketCommandBody, security(("bearer" = [])),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn command(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TicketCommandBody>,
) -> Result<Json<TicketView>, ApiError> {
    let command = parse_command(b).map_err(|e| ApiError::from_refusal(&e, lang))?;
    let t = s
        .app
        .ticket_command(&actor, id, command)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(ticket_view(t, s.app.clock.now())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeBody {
    /// The earlier open request this one joins.
    pub into: i64,
}

/// Merge a request into an earlier open one like it (operators).
#[utoipa::path(post, path = "/api/v1/hotline/requests/{id}/merge", tag = "hotline", params(("id" = i64, Path)), request_body = MergeBody, security(("bearer" = [])),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MergeBody>,
) -> Result<Json<TicketView>, ApiError> {
    let t = s
        .app
        .merge_ticket(&actor, id, b.into)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(ticket_view(t, s.app.clock.now())))
}

fn list_view(
    s: &AppState,
    list: sunshine_app::Result<Vec<TicketRow>>,
    lang: Lang,
) -> Result<Json<Vec<TicketView>>, ApiError> {
    let list = list.map_err(|e| ApiError::from_app(e, lang))?;
    let now = s.app.clock.now();
    Ok(Json(
        list.into_iter().map(|t| ticket_view(t, now)).collect(),
    ))
}

/// A unit's inbox: what is sent to the units the caller handles for, earliest deadline first.
#[utoipa::path(get, path = "/api/v1/hotline/inbox", tag = "hotline", security(("bearer" = [])),
    responses((status = 200, body = [TicketView]), (status = 403, body = ErrorBody)))]
pub async fn inbox(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<TicketView>>, ApiError> {
    list_view(&s, s.app.unit_inbox(&actor).await, lang)
}

/// The caller's own requests, newest first.
#[utoipa::path(get, path = "/api/v1/hotline/mine", tag = "hotline", security(("bearer" = [])),
    responses((status = 200, body = [TicketView])))]
pub async fn mine(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<TicketView>>, ApiError> {
    list_view(&s, s.app.my_tickets(&actor).await, lang)
}

/// The operator's queue: what waits on the hotline (to dispatch, returns,
/// extensions and answers to review, visits to make), earliest deadline first.
#[utoipa::path(get, path = "/api/v1/hotline/queue", tag = "hotline", security(("bearer" = [])),
    responses((status = 200, body = [TicketView]), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<TicketView>>, ApiError> {
    list_view(&s, s.app.hotline_queue(&actor).await, lang)
}
