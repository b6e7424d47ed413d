//! `/api/v1/exchange`: the two-level platform. Its public key is published;
//! the overview, the message log and the districts' cases are for staff who
//! read the journal; trusting a peer is for a root administrator.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_app::exchange::{
    DistrictAggregates, MessageLine, MessageQuery, Overview, PeerView, RemoteCase,
};
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformKey {
    /// `city` or `district:<code>`.
    pub platform: String,
    /// The ed25519 public key its messages are signed with, in hex.
    pub public_key: String,
}

/// This platform's name and public key, as its peers need them to trust
/// its messages. Public: a key is published so that anyone can check.
#[utoipa::path(get, path = "/api/v1/exchange/key", tag = "exchange",
    responses((status = 200, body = PlatformKey), (status = 409, body = ErrorBody)))]
pub async fn key(State(s): State<AppState>, lang: Lang) -> Result<Json<PlatformKey>, ApiError> {
    let (platform, public_key) = s
        .app
        .exchange_key()
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(PlatformKey {
        platform: platform.to_string(),
        public_key,
    }))
}

/// The exchange at a glance: this platform, its key, the messages waiting
/// to be published, the peers trusted, where each sender's flow stands,
/// and (for the city) the districts' cases by state.
#[utoipa::path(get, path = "/api/v1/exchange", tag = "exchange", security(("bearer" = [])),
    responses((status = 200, body = Overview), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn overview(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Overview>, ApiError> {
    s.app
        .exchange_overview(&actor)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePage {
    pub messages: Vec<MessageLine>,
    /// Pass as `before` for the next (older) page; none at the end.
    pub next_before: Option<i64>,
}

/// The message log, newest first: each message sent, applied, acknowledged
/// as a duplicate, held for an earlier one, or refused and why.
#[utoipa::path(get, path = "/api/v1/exchange/messages", tag = "exchange", params(MessageQuery), security(("bearer" = [])),
    responses((status = 200, body = MessagePage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn messages(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<MessageQuery>,
) -> Result<Json<MessagePage>, ApiError> {
    let page = sunshine_app::exchange::LOG_PAGE;
    let limit = q.limit.unwrap_or(page).clamp(1, page);
    let messages = s
        .app
        .exchange_log(&actor, q)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let next_before = (messages.len() as i64 >= limit)
        .then(|| messages.last().map(|m| m.id))
        .flatten();
    Ok(Json(MessagePage {
        messages,
        next_before,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TrustRequest {
    /// `city` or `district:<code>`.
    pub platform: String,
    /// The peer's ed25519 public key in hex, as its `/api/v1/exchange/key` gives it.
    pub public_key: String,
}

/// Trust a peer platform's messages signed with its key, or replace the
/// key it was trusted with (a root administrator). Journaled.
#[utoipa::path(post, path = "/api/v1/exchange/peers", tag = "exchange", request_body = TrustRequest, security(("bearer" = [])),
    responses((status = 200, body = PeerView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn trust(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(r): ApiJson<TrustRequest>,
) -> Result<Json<PeerView>, ApiError> {
    s.app
        .trust_peer(&actor, &r.platform, &r.public_key)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DistrictQuery {
    /// One district's code; every district's without.
    pub district: Option<String>,
    /// At most this many, 1 to 500 (default 100).
    pub limit: Option<i64>,
}

/// The districts' cases as the city learnt them from the districts'
/// platforms, latest first: the item, the department and the state, never
/// the applicant.
#[utoipa::path(get, path = "/api/v1/exchange/district-cases", tag = "exchange", params(DistrictQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<RemoteCase>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn district_cases(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<DistrictQuery>,
) -> Result<Json<Vec<RemoteCase>>, ApiError> {
    s.app
        .district_cases(&actor, q.district.as_deref(), q.limit.unwrap_or(100))
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

/// Each district's population registry as its platform last reported it:
/// anonymous aggregates by division, sex, age band and ethnic group, small
/// counts hidden; never a person.
#[utoipa::path(get, path = "/api/v1/exchange/district-aggregates", tag = "exchange", security(("bearer" = [])),
    responses((status = 200, body = Vec<DistrictAggregates>), (status = 403, body = ErrorBody)))]
pub async fn district_aggregates(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<DistrictAggregates>>, ApiError> {
    s.app
        .district_aggregates(&actor)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}
