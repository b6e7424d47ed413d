//! The Open311 clients' keys.

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_app::hotline::iso;
use sunshine_app::hotline::KeyRow;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    pub id: i64,
    pub client: String,
    /// POSTs a minute it may make.
    pub per_minute: i64,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// Whether it may comment on requests other clients filed.
    pub may_comment_on_all: bool,
}

pub fn key_view(k: KeyRow) -> KeyView {
    KeyView {
        may_comment_on_all: k.may_comment_on_all,
        id: k.id,
        client: k.client,
        per_minute: k.per_minute,
        created_at: iso(k.created_at),
        revoked_at: k.revoked_at.map(iso),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewKeyBody {
    pub client: String,
    /// POSTs a minute; 600 when left out.
    pub per_minute: Option<i64>,
    /// May it comment on requests other clients filed? No when left out.
    #[serde(default)]
    pub may_comment_on_all: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedKey {
    #[serde(flatten)]
    pub key: KeyView,
    /// The key itself: shown only now, kept only as its hash.
    pub api_key: String,
}

/// Issue an Open311 client's key (administrators of the city).
#[utoipa::path(post, path = "/api/v1/hotline/keys", tag = "hotline", request_body = NewKeyBody, security(("bearer" = [])),
    responses((status = 201, body = IssuedKey), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue_key(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<NewKeyBody>,
) -> Result<(StatusCode, Json<IssuedKey>), ApiError> {
    let (row, api_key) = s
        .app
        .issue_open311_key(
            Some(&actor),
            &b.client,
            b.per_minute
                .unwrap_or(sunshine_app::hotline::DEFAULT_PER_MINUTE),
            b.may_comment_on_all,
        )
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedKey {
            key: key_view(row),
            api_key,
        }),
    ))
}

/// The keys issued, live and revoked (administrators of the city).
#[utoipa::path(get, path = "/api/v1/hotline/keys", tag = "hotline", security(("bearer" = [])),
    responses((status = 200, body = [KeyView]), (status = 403, body = ErrorBody)))]
pub async fn keys(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<KeyView>>, ApiError> {
    let list = s
        .app
        .open311_keys(Some(&actor))
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(list.into_iter().map(key_view).collect()))
}

/// Revoke a key (administrators of the city).
#[utoipa::path(delete, path = "/api/v1/hotline/keys/{id}", tag = "hotline", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_key(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.app
        .revoke_open311_key(Some(&actor), id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}
