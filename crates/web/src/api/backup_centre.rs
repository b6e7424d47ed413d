//! `/api/v1/backup-centre`: the backup centre (数据容灾集中备份中心). Its
//! keepers register systems and keys and see every system's backups; each
//! department's system sends its archives in signed, resumable uploads:
//! announce the archive (`POST …/systems/{id}/uploads`), send chunks
//! (`PUT …/uploads/{id}?offset=N`), ask where it stands after a dropped
//! connection (`GET …/uploads/{id}`), then finish (`POST …/uploads/{id}/finish`).
//! Every system request carries `X-Timestamp` (milliseconds since the epoch)
//! and `X-Signature` (ed25519, hex, over the method, the path with its query,
//! the timestamp and the body's SHA-256, one per line) made with the
//! system's key.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use sunshine_app::backup_centre::{
    ArchiveView, IssuedKey, KeyView, Registered, SignedRequest, SystemDetail, SystemView,
    UploadView, Verification,
};
use sunshine_domain::backup_centre::{NewSystem, NewUpload};
use sunshine_domain::refusal::{Refusal, RefusalKind, Text};
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

/// Every system with its last good backup, size, growth and whether it
/// meets its promised RPO (a keeper). Times are microseconds since the epoch.
#[utoipa::path(get, path = "/api/v1/backup-centre/systems", tag = "backup_centre", security(("bearer" = [])),
    responses((status = 200, body = [SystemView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn systems(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<SystemView>>, ApiError> {
    s.app
        .backup_systems(&actor)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

/// Register a department's system (a keeper). Without `public_key` the
/// centre makes a key pair and answers the private key this once.
#[utoipa::path(post, path = "/api/v1/backup-centre/systems", tag = "backup_centre", request_body = NewSystem, security(("bearer" = [])),
    responses((status = 201, body = Registered), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<NewSystem>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let r = s
        .app
        .register_backup_system(&actor, input)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// One system with its archives, keys and uploads under way (a keeper).
#[utoipa::path(get, path = "/api/v1/backup-centre/systems/{id}", tag = "backup_centre", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = SystemDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn system(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SystemDetail>, ApiError> {
    s.app
        .backup_system(&actor, id)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NewKey {
    /// The department's own ed25519 public key, 64 hex digits; without it
    /// the centre makes a pair and answers the private key this once.
    #[serde(default)]
    pub public_key: Option<String>,
}

/// Put a new key in force for a system, revoking those it had (a keeper).
#[utoipa::path(post, path = "/api/v1/backup-centre/systems/{id}/keys", tag = "backup_centre", params(("id" = i64, Path)), request_body = NewKey, security(("bearer" = [])),
    responses((status = 201, body = IssuedKey), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rotate_key(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NewKey>,
) -> Result<(StatusCode, Json<IssuedKey>), ApiError> {
    let k = s
        .app
        .rotate_backup_key(&actor, id, input.public_key)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(k)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Revocation {
    /// Why the key is revoked (lost, leaked, the system retired).
    pub reason: String,
}

/// Revoke a system's key (a keeper): what is signed with it is refused from now on.
#[utoipa::path(post, path = "/api/v1/backup-centre/keys/{id}/revocation", tag = "backup_centre", params(("id" = i64, Path)), request_body = Revocation, security(("bearer" = [])),
    responses((status = 200, body = KeyView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revoke_key(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<Revocation>,
) -> Result<Json<KeyView>, ApiError> {
    s.app
        .revoke_backup_key(&actor, id, &input.reason)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

/// Re-read every kept archive now and check its SHA-256 (a keeper); the
/// schedule does the same once a day for each.
#[utoipa::path(post, path = "/api/v1/backup-centre/verification", tag = "backup_centre", security(("bearer" = [])),
    responses((status = 200, body = Verification), (status = 403, body = ErrorBody)))]
pub async fn verify(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Verification>, ApiError> {
    s.app
        .verify_backup_archives(Some(&actor), true)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

/// The signature headers every system request carries.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct SystemSignature {
    /// Milliseconds since the epoch, the system's clock (within five minutes of the centre's).
    #[param(rename = "X-Timestamp")]
    timestamp: i64,
    /// ed25519, hex, over the method, the path with its query, the
    /// timestamp and the body's SHA-256, one per line.
    #[param(rename = "X-Signature")]
    signature: String,
}

/// A system's request as it came, with the signature over it.
pub struct SystemRequest {
    method: String,
    path_and_query: String,
    signature: SystemSignature,
    body: Bytes,
    lang: Lang,
}

impl SystemRequest {
    fn signed(&self) -> SignedRequest<'_> {
        SignedRequest {
            method: &self.method,
            path_and_query: &self.path_and_query,
            millis: self.signature.timestamp,
            signature: &self.signature.signature,
            body: &self.body,
        }
    }

    fn refused(&self, e: sunshine_app::AppError) -> ApiError {
        ApiError::from_app(e, self.lang)
    }
}

impl<S: Send + Sync> FromRequest<S> for SystemRequest {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let lang = Lang::of(&parts);
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let (Some(timestamp), Some(signature)) = (header("x-timestamp"), header("x-signature"))
        else {
            let unsigned = Refusal::new(
                RefusalKind::Unauthenticated,
                "unsigned",
                Text::new(
                    "备份系统的请求须带 X-Timestamp 与 X-Signature",
                    "A system's request carries X-Timestamp and X-Signature",
                ),
            );
            return Err(ApiError::from_refusal(&unsigned, lang));
        };
        let timestamp = timestamp.parse::<i64>().map_err(|_| {
            let bad = Refusal::invalid(
                "bad_timestamp",
                "X-Timestamp 须为毫秒数",
                "X-Timestamp is milliseconds since the epoch",
            );
            ApiError::from_refusal(&bad, lang)
        })?;
        let method = parts.method.as_str().to_string();
        let path_and_query = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let body = Bytes::from_request(Request::from_parts(parts, body), state).await?;
        Ok(SystemRequest {
            method,
            path_and_query,
            signature: SystemSignature {
                timestamp,
                signature,
            },
            body,
            lang,
        })
    }
}

/// Announce an archive (signed by the system): its name, time, size,
/// SHA-256 and the department's signature of it. Refused when it would
/// pass the system's quota; the answer is the upload, at offset 0.
#[utoipa::path(post, path = "/api/v1/backup-centre/systems/{id}/uploads", tag = "backup_centre", params(("id" = i64, Path), SystemSignature), request_body = NewUpload,
    responses((status = 201, body = UploadView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_upload(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    r: SystemRequest,
) -> Result<(StatusCode, Json<UploadView>), ApiError> {
    let u = s
        .app
        .start_backup_upload(id, &r.signed())
        .await
        .map_err(|e| r.refused(e))?;
    Ok((StatusCode::CREATED, Json(u)))
}

/// Where an upload stands (signed): the offset the next chunk goes at, in
/// the body and in `Upload-Offset` (so that `HEAD`, signed as `HEAD`, tells it too).
#[utoipa::path(get, path = "/api/v1/backup-centre/uploads/{id}", tag = "backup_centre", params(("id" = i64, Path), SystemSignature),
    responses((status = 200, body = UploadView, headers(("Upload-Offset" = i64, description = "The bytes received so far"))), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn upload(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    r: SystemRequest,
) -> Result<([(&'static str, String); 1], Json<UploadView>), ApiError> {
    let u = s
        .app
        .backup_upload(id, &r.signed())
        .await
        .map_err(|e| r.refused(e))?;
    Ok(([("upload-offset", u.offset.to_string())], Json(u)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OffsetQuery {
    /// Where the chunk goes: the bytes received so far.
    pub offset: i64,
}

/// Send a chunk of an upload (signed): the body's bytes, at `offset`, which
/// must be where the upload stands (409 `offset_mismatch` otherwise).
#[utoipa::path(put, path = "/api/v1/backup-centre/uploads/{id}", tag = "backup_centre", params(("id" = i64, Path), OffsetQuery, SystemSignature),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The chunk's bytes, at most 8 MiB"),
    responses((status = 200, body = UploadView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_chunk(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<OffsetQuery>,
    r: SystemRequest,
) -> Result<Json<UploadView>, ApiError> {
    s.app
        .put_backup_chunk(id, q.offset, &r.signed())
        .await
        .map(Json)
        .map_err(|e| r.refused(e))
}

/// Finish an upload (signed): the centre checks the assembled bytes'
/// SHA-256 and the department's signature of it, keeps the archive and
/// applies the system's retention. A mismatch discards the upload.
#[utoipa::path(post, path = "/api/v1/backup-centre/uploads/{id}/finish", tag = "backup_centre", params(("id" = i64, Path), SystemSignature),
    responses((status = 201, body = ArchiveView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn finish(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    r: SystemRequest,
) -> Result<(StatusCode, Json<ArchiveView>), ApiError> {
    let a = s
        .app
        .finish_backup_upload(id, &r.signed())
        .await
        .map_err(|e| r.refused(e))?;
    Ok((StatusCode::CREATED, Json(a)))
}
