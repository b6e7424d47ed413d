//! One's own credentials and who read one's data: `/api/v1/auth/tokens`,
//! `/api/v1/auth/sessions`, `/api/v1/me/reads`; disabling staff accounts;
//! the `purpose` a staff read states.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_app::hotline::iso;
use sunshine_domain::access::ReadPurpose;
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

/// Why a staff member reads a personal record.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct PurposeQuery {
    /// `counter_service`, `handle_case`, `hotline_call`, `handle_ticket`,
    /// `supervision`, `keep_records` or `registry_review`; the endpoint's
    /// own (or, for the registry, the reader's role's) when not given.
    pub purpose: Option<String>,
}

impl PurposeQuery {
    pub fn or(&self, default: ReadPurpose, lang: Lang) -> Result<ReadPurpose, ApiError> {
        ReadPurpose::parse_or(self.purpose.as_deref(), default)
            .map_err(|r| ApiError::from_refusal(&r, lang))
    }
}

/// An API token, never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    /// Whether it still lets a program in: not revoked and not expired.
    pub live: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TokensQuery {
    /// Another account's tokens, for an administrator over it.
    pub login: Option<String>,
}

/// One's API tokens, newest first (or, for an administrator, another account's).
#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "identity", params(TokensQuery), security(("bearer" = [])),
    responses((status = 200, body = [TokenView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_tokens(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<TokensQuery>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let now = s.app.now_micros();
    let tokens = s
        .app
        .api_tokens(&actor, q.login.as_deref())
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                name: t.name,
                created_at: iso(t.created_at),
                live: t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now),
                expires_at: t.expires_at.map(iso),
                revoked_at: t.revoked_at.map(iso),
            })
            .collect(),
    ))
}

/// Revoke an API token: one's own, or as an administrator over its owner
/// (citizens' and enterprises' by the root administrator).
#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "identity", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.app
        .revoke_api_token(&actor, id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A live page session, never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// Names the session to end it.
    pub id: String,
    pub created_at: String,
    pub expires_at: String,
}

/// One's signed-in page sessions, newest first.
#[utoipa::path(get, path = "/api/v1/auth/sessions", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = [SessionView]), (status = 401, body = ErrorBody)))]
pub async fn list_sessions(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    let list = s
        .app
        .sessions_of(&actor, None)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(
        list.into_iter()
            .map(|v| SessionView {
                id: v.id,
                created_at: iso(v.created_at),
                expires_at: iso(v.expires_at),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ended {
    pub sessions: u64,
}

/// Sign out everywhere: end every page session of one's own.
#[utoipa::path(delete, path = "/api/v1/auth/sessions", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = Ended), (status = 401, body = ErrorBody)))]
pub async fn end_all_sessions(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Ended>, ApiError> {
    let sessions = s
        .app
        .end_all_sessions(&actor)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(Ended { sessions }))
}

/// End one of one's own page sessions.
#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}", tag = "identity", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_session(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    s.app
        .end_session(&actor, &id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disable a staff account (administrators over its organisation, never
/// oneself): its sessions end and its tokens are revoked at once.
#[utoipa::path(post, path = "/api/v1/staff/{login}/disable", tag = "identity", params(("login" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn disable_staff(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(login): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    s.app
        .set_staff_disabled(&actor, &login, true)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enable a disabled staff account again (administrators over its organisation).
#[utoipa::path(post, path = "/api/v1/staff/{login}/enable", tag = "identity", params(("login" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn enable_staff(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(login): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    s.app
        .set_staff_disabled(&actor, &login, false)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A staff read of one's records.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadEntry {
    /// The staff member's name.
    pub reader: String,
    /// Their organisation's code and name.
    pub reader_org: String,
    pub reader_org_name: String,
    /// `card`, `case`, `ticket`, `caller_history` or `case_list`.
    pub kind: String,
    pub kind_name: String,
    /// Which record: a case's number, a request's number, a masked card number.
    pub what: String,
    pub purpose: ReadPurpose,
    pub purpose_name: String,
    /// When, in Shanghai time.
    pub at: String,
}

/// Who read my data: the staff reads of one's cards, cases and requests, newest first.
#[utoipa::path(get, path = "/api/v1/me/reads", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = [ReadEntry]), (status = 401, body = ErrorBody)))]
pub async fn my_reads(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<ReadEntry>>, ApiError> {
    let reads = s
        .app
        .reads_of_me(&actor)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let orgs = s.app.orgs();
    Ok(Json(
        reads
            .into_iter()
            .map(|r| ReadEntry {
                reader_org_name: orgs.name(&r.reader_org, lang.code()),
                reader: r.reader,
                reader_org: r.reader_org,
                kind: r.kind.as_str().into(),
                kind_name: lang.pick(r.kind.name_zh(), r.kind.name_en()).into(),
                what: r.what,
                purpose: r.purpose,
                purpose_name: lang.pick(r.purpose.name_zh(), r.purpose.name_en()).into(),
                at: iso(r.at),
            })
            .collect(),
    ))
}
