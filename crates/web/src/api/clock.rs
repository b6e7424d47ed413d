//! `/api/v1/clock`: the platform's time, and moving a simulated clock
//! forward (demonstrations and tests; refused on the system clock).

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockView {
    /// RFC 3339, UTC.
    pub now: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MoveClock {
    /// The moment to move to (RFC 3339); never earlier than now.
    pub to: String,
}

/// The platform's time.
#[utoipa::path(get, path = "/api/v1/clock", tag = "platform", responses((status = 200, body = ClockView)))]
pub async fn now(State(s): State<AppState>) -> Json<ClockView> {
    Json(ClockView {
        now: s.app.clock.now().to_string(),
    })
}

/// Move a simulated clock forward (a root administrator; a platform started
/// with `--clock simulated --allow-simulated-clock`). Deadlines that fall in
/// between fire as they would have.
#[utoipa::path(post, path = "/api/v1/clock", tag = "platform", request_body = MoveClock, security(("bearer" = [])),
    responses((status = 200, body = ClockView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn move_to(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(r): ApiJson<MoveClock>,
) -> Result<Json<ClockView>, ApiError> {
    let to: jiff::Timestamp = r.to.parse().map_err(|_| {
        let refusal = sunshine_domain::Refusal::field(
            "to",
            "时间应为 RFC 3339 格式，如 2027-01-20T04:00:00Z",
            "A moment in RFC 3339, e.g. 2027-01-20T04:00:00Z",
        );
        ApiError::from_refusal(&refusal, lang)
    })?;
    let now = s
        .app
        .move_clock(&actor, to)
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(ClockView {
        now: now.to_string(),
    }))
}
