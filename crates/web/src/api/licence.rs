//! `/api/v1/licences` and `/api/v1/keys`: e-licences anyone can verify.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_app::licence::LicenceAnswer;
use sunshine_domain::clock::from_micros;
use sunshine_domain::licence::Verdict;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{ApiActor, MaybeApiActor};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

/// A licence as its reader may see it. With the number alone: what the
/// public board shows (the masked holder, the item, the issuer, the dates,
/// the verdict). For its holder, the issuer's staff, or with its QR code's
/// token: also every signed field, the signed text and the signature.
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenceView {
    pub number: String,
    pub case_number: String,
    pub item_code: String,
    pub item_name: String,
    /// The holder: surname + 某 or the enterprise's name, unless in full.
    pub holder: String,
    pub issuer: String,
    pub issuer_name: String,
    /// The day of the decision.
    pub decided_on: String,
    pub issued_at: String,
    pub revoked_at: Option<String>,
    /// `valid`, `revoked` or `forged`.
    pub verdict: String,
    /// Why it was revoked (in full only).
    pub reason: Option<String>,
    /// Whether the rest is shown.
    pub full: bool,
    /// The signed fields.
    #[schema(value_type = Option<Object>)]
    pub payload: Option<serde_json::Value>,
    /// The exact text that was signed.
    pub canonical: Option<String>,
    /// ed25519 signature of `canonical`, hex.
    pub signature: Option<String>,
    /// The issuer's ed25519 public key, hex.
    pub public_key: Option<String>,
    /// The licence in one string, as its QR code carries it.
    pub token: Option<String>,
}

pub fn verdict_parts(v: &Verdict) -> (String, Option<String>) {
    match v {
        Verdict::Valid => ("valid".into(), None),
        Verdict::Revoked { reason } => ("revoked".into(), Some(reason.clone())),
        Verdict::Forged => ("forged".into(), None),
    }
}

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

/// A licence as the API shows it and as its file is downloaded.
pub fn licence_view(answer: LicenceAnswer) -> LicenceView {
    let time = |t: i64| from_micros(t).to_string();
    match answer {
        LicenceAnswer::Full(r) => {
            let (verdict, reason) = verdict_parts(&r.verdict);
            LicenceView {
                verdict,
                reason,
                full: true,
                payload: Some(serde_json::to_value(&r.payload).unwrap_or_default()),
                item_code: r.payload.item_code,
                item_name: r.payload.item_name,
                holder: r.payload.holder,
                issuer_name: r.payload.issuer_name,
                decided_on: r.payload.decided_on,
                number: r.row.number,
                case_number: r.row.case_number,
                canonical: Some(r.row.payload),
                signature: Some(r.row.signature),
                issuer: r.row.issuer,
                public_key: Some(r.public_key),
                token: Some(r.token),
                issued_at: time(r.row.issued_at),
                revoked_at: r.row.revoked_at.map(time),
            }
        }
        LicenceAnswer::Public(p) => LicenceView {
            verdict: verdict_parts(&p.verdict).0,
            reason: None,
            full: false,
            payload: None,
            canonical: None,
            signature: None,
            public_key: None,
            token: None,
            number: p.number,
            case_number: p.case_number,
            item_code: p.item_code,
            item_name: p.item_name,
            holder: p.holder,
            issuer: p.issuer,
            issuer_name: p.issuer_name,
            decided_on: p.decided_on,
            issued_at: time(p.issued_at),
            revoked_at: p.revoked_at.map(time),
        },
    }
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
