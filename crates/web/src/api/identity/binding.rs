//! 实名核验 over the API: counters issue binding codes, accounts bind with a
//! code or with the citizen card and its PIN, card clerks set PINs, and the
//! root administrator names the city-wide services' centres.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_app::identity::binding::NewBindingCode;
use utoipa::ToSchema;

use super::Me;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct BindingCodeRequest {
    /// `citizen` or `enterprise`.
    pub kind: String,
    /// The identity number or credit code on the papers the clerk checked.
    pub number: String,
    /// The name on the papers.
    pub name: String,
    /// An enterprise's legal representative, whose papers were checked too.
    pub legal_rep_name: Option<String>,
    pub legal_rep_id: Option<String>,
    /// The counter's organisation; the clerk's own by default.
    pub counter: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BindingCodeView {
    /// Hand it to the person; it is shown once and binds one account.
    pub code: String,
    /// Microseconds, UTC.
    pub expires_at: i64,
    /// Whose papers were checked, masked.
    pub for_number: String,
}

/// A counter clerk (hall or card centre) who has checked a person's papers
/// issues a one-time code that binds their account to their number.
#[utoipa::path(post, path = "/api/v1/binding-codes", tag = "identity", request_body = BindingCodeRequest, security(("bearer" = [])),
    responses((status = 201, body = BindingCodeView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue_code(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(r): ApiJson<BindingCodeRequest>,
) -> Result<(StatusCode, Json<BindingCodeView>), ApiError> {
    let issued = s
        .app
        .issue_binding_code(
            &actor,
            NewBindingCode {
                kind: r.kind,
                number: r.number,
                name: r.name,
                legal_rep_name: r.legal_rep_name,
                legal_rep_id: r.legal_rep_id,
                counter: r.counter,
            },
        )
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((
        StatusCode::CREATED,
        Json(BindingCodeView {
            code: issued.code,
            expires_at: issued.expires_at,
            for_number: issued.for_number,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BindingRequest {
    /// A counter's binding code; or, instead, the citizen card's number and PIN.
    pub code: Option<String>,
    pub card_number: Option<String>,
    pub pin: Option<String>,
}

/// Bind the signed-in account to its identity (实名核验): with a counter's
/// code, or with the citizen card's number and the PIN set at the counter.
/// Any other account that only claimed the same number is closed.
#[utoipa::path(post, path = "/api/v1/me/binding", tag = "identity", request_body = BindingRequest, security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bind(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(r): ApiJson<BindingRequest>,
) -> Result<Json<Me>, ApiError> {
    let bound = match (r.code, r.card_number) {
        (Some(code), _) => s.app.bind_with_code(&actor, &code).await,
        (None, Some(card)) => {
            s.app
                .bind_with_card(&actor, &card, r.pin.as_deref().unwrap_or(""))
                .await
        }
        (None, None) => Err(sunshine_domain::Refusal::field(
            "code",
            "请填写核验码，或市民卡卡号和密码",
            "Give a binding code, or the citizen card's number and PIN",
        )
        .into()),
    }
    .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(super::me(ApiActor(bound)).await)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PinRequest {
    /// Six digits, not all alike and not a run.
    pub pin: String,
}

/// A card clerk sets a card's PIN at the counter (anew after it locked).
#[utoipa::path(put, path = "/api/v1/cards/{number}/pin", tag = "card", params(("number" = String, Path)), request_body = PinRequest, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_pin(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
    ApiJson(r): ApiJson<PinRequest>,
) -> Result<StatusCode, ApiError> {
    s.app
        .set_card_pin(&actor, &number, &r.pin)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CentreRequest {
    /// The organisation that runs the service.
    pub org: String,
}

/// Name the organisation that runs a city-wide service (`hotline` or
/// `card`), as a root administrator: its roles count only where they cover it.
#[utoipa::path(put, path = "/api/v1/platform/centres/{service}", tag = "platform", params(("service" = String, Path)), request_body = CentreRequest, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_centre(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(service): ApiPath<String>,
    ApiJson(r): ApiJson<CentreRequest>,
) -> Result<StatusCode, ApiError> {
    s.app
        .set_service_centre(&actor, &service, &r.org)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}
