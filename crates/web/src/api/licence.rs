//! `/api/v1/licences` and `/api/v1/keys`: e-licences anyone can verify.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{ApiActor, MaybeApiActor};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::views::licence::{licence_view, verdict_parts, LicenceView};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LicenceQuery {
    /// The QR code's token: shows the licence in full.
    pub token: Option<String>,
}

/// A licence by number, with whether it is valid: in full for its holder,
/// the issuer's staff or the QR code's token; else what the board shows.
#[utoipa::path(get, path = "/api/v1/licences/{number}", tag = "hall", params(("number" = String, Path), LicenceQuery),
    responses((status = 200, body = LicenceView), (status = 404, body = ErrorBody)))]
pub async fn get_licence(
    State(s): State<AppState>,
    lang: Lang,
    MaybeApiActor(actor): MaybeApiActor,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<LicenceQuery>,
) -> Result<Json<LicenceView>, ApiError> {
    let r = s
        .app
        .licence(actor.as_ref(), &number, q.token.as_deref())
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(licence_view(r)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// The licence's token, as in its QR code.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResult {
    /// `valid`, `revoked` or `forged`.
    pub verdict: String,
    pub reason: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub payload: Option<serde_json::Value>,
}

/// Verify a licence by its signed payload: valid, revoked, or forged.
#[utoipa::path(post, path = "/api/v1/licences/verify", tag = "hall", request_body = VerifyRequest, responses((status = 200, body = VerifyResult)))]
pub async fn verify(
    State(s): State<AppState>,
    lang: Lang,
    ApiJson(r): ApiJson<VerifyRequest>,
) -> Result<Json<VerifyResult>, ApiError> {
    let (verdict, record) = s
        .app
        .verify_licence_token(&r.token)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let (verdict, reason) = verdict_parts(&verdict);
    Ok(Json(VerifyResult {
        verdict,
        reason,
        payload: record.map(|r| serde_json::to_value(r.payload).unwrap_or_default()),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeRequest {
    pub reason: String,
}

/// Revoke a licence, with the reason (the approver over its issuer).
#[utoipa::path(post, path = "/api/v1/licences/{number}/revoke", tag = "hall", params(("number" = String, Path)), request_body = RevokeRequest, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revoke(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
    ApiJson(r): ApiJson<RevokeRequest>,
) -> Result<StatusCode, ApiError> {
    s.app
        .revoke_licence(&actor, &number, &r.reason)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicKey {
    pub org: String,
    /// ed25519, hex.
    pub public_key: String,
}

/// The public key of every organisation that signs.
#[utoipa::path(get, path = "/api/v1/keys", tag = "hall", responses((status = 200, body = [PublicKey])))]
pub async fn keys(State(s): State<AppState>, lang: Lang) -> Result<Json<Vec<PublicKey>>, ApiError> {
    let keys = s
        .app
        .public_keys()
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(
        keys.into_iter()
            .map(|(org, public_key)| PublicKey { org, public_key })
            .collect(),
    ))
}
