//! `/api/v1/auth`, `/api/v1/staff`, `/api/v1/citizens`, `/api/v1/enterprises`, `/api/v1/organisations`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_app::identity::{NewApplicant, NewStaff};
use sunshine_domain::identity::{OrgKind, Organisation};
use sunshine_domain::ids::OrgCode;
use sunshine_domain::refusal::Refusal;
use utoipa::ToSchema;

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::guard::ClientAddr;
use crate::i18n::Lang;
use crate::AppState;

pub mod binding;

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    pub login: String,
    pub password: String,
    /// What the token is for, e.g. the program's name.
    pub name: String,
    /// How many days the token lasts: 1 to 90, and 90 when not given.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`. Shown only once.
    pub token: String,
}

/// Exchange a login and password for a bearer API token.
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "identity", request_body = TokenRequest,
    responses((status = 201, body = TokenResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins for this login or address; `Retry-After` says when to try again", body = ErrorBody),
        (status = 503, description = "Too many sign-ins at once; try again shortly", body = ErrorBody)))]
pub async fn issue_token(
    State(s): State<AppState>,
    lang: Lang,
    ClientAddr(client): ClientAddr,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<TokenResponse>), Response> {
    if let Err(wait) = s.guard.admit_sign_in(&req.login, client) {
        return Err(crate::guard::too_many("/api/", lang, wait));
    }
    let session = match s.app.sign_in(&req.login, &req.password).await {
        Ok(session) => {
            s.guard.sign_in_succeeded(&req.login);
            session
        }
        Err(e) => {
            if matches!(&e, sunshine_app::AppError::Refused(r) if r.kind == sunshine_domain::refusal::RefusalKind::Unauthenticated)
            {
                s.guard.sign_in_failed(&req.login, client);
            }
            return Err(ApiError::from_app(e, lang).into_response());
        }
    };
    let token = s
        .app
        .issue_own_token(&session.actor, &req.name, req.expires_in_days)
        .await
        .map_err(|e| ApiError::from_app(e, lang));
    // The page session opened by the sign-in is not needed by a program.
    let _ = s.app.sign_out(&session).await;
    let token = token.map_err(IntoResponse::into_response)?;
    Ok((StatusCode::CREATED, Json(TokenResponse { token })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user_id: i64,
    pub login: String,
    pub display_name: String,
    pub kind: String,
    pub org: Option<String>,
    pub roles: Vec<RoleView>,
    /// The posts (岗位) held: process steps of these posts can be signed for.
    pub posts: Vec<PostView>,
    /// A citizen's or an enterprise's account bound to its identity (实名).
    pub verified: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PostView {
    /// The organisation the post is held in.
    pub org: String,
    /// The post's name as the catalogue's process steps name it, e.g. 窗口受理员.
    pub post: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleView {
    pub role: String,
    pub org: String,
}

/// Who the token belongs to, with their roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "identity", security(("bearer" = [])), responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(ApiActor(a): ApiActor) -> Json<Me> {
    Json(Me {
        verified: a.is_verified(),
        user_id: a.user_id,
        login: a.login,
        display_name: a.display_name,
        kind: a.kind.as_str().into(),
        org: a.org.map(|o| o.to_string()),
        roles: a
            .grants
            .into_iter()
            .map(|g| RoleView {
                role: g.role.as_str().into(),
                org: g.org.to_string(),
            })
            .collect(),
        posts: a
            .posts
            .into_iter()
            .map(|p| PostView {
                org: p.org.to_string(),
                post: p.name,
            })
            .collect(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StaffRequest {
    pub login: String,
    pub display_name: String,
    /// The organisation the account belongs to and its roles are held at.
    pub org: String,
    pub password: String,
    /// Any of `catalog_editor`, `legal_reviewer`, `approver`, `administrator`.
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Create a staff account (administrators of the organisation or above).
#[utoipa::path(post, path = "/api/v1/staff", tag = "identity", request_body = StaffRequest, security(("bearer" = [])),
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_staff(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(r): ApiJson<StaffRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let new = NewStaff {
        login: r.login,
        display_name: r.display_name,
        org: r.org,
        password: r.password,
        roles: r.roles,
    };
    let id = s
        .app
        .create_staff(&actor, new)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct GrantRequest {
    /// `catalog_editor`, `legal_reviewer`, `approver` or `administrator`.
    pub role: String,
    /// The organisation the role is held at.
    pub org: String,
}

/// Grant a staff member one more role (administrators of the organisation or above).
#[utoipa::path(post, path = "/api/v1/staff/{login}/grants", tag = "identity", params(("login" = String, Path)), request_body = GrantRequest, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grant_role(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    crate::error::ApiPath(login): crate::error::ApiPath<String>,
    ApiJson(r): ApiJson<GrantRequest>,
) -> Result<StatusCode, ApiError> {
    s.app
        .grant_role(&actor, &login, &r.role, &r.org)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give a staff member a post (岗位) in an organisation, so that they can
/// sign for the process steps of that post (administrators of the
/// organisation or above). Giving a post already held is no change.
#[utoipa::path(post, path = "/api/v1/staff/{login}/posts", tag = "identity", params(("login" = String, Path)), request_body = PostView, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign_post(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    crate::error::ApiPath(login): crate::error::ApiPath<String>,
    ApiJson(r): ApiJson<PostView>,
) -> Result<StatusCode, ApiError> {
    s.app
        .assign_post(&actor, &login, &r.org, &r.post)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CitizenRequest {
    /// The login, of the citizen's choosing (not an identity number: once
    /// the account is bound, the identity number signs in too).
    pub login: String,
    /// Resident identity number (GB 11643) the account says it is; it is
    /// bound to it only by a counter's code or the citizen card.
    pub id_number: String,
    pub name: String,
    pub password: String,
}

/// A citizen signs up. The answer is the same whether the identity number
/// already has an account or not; the account sees nothing registered to
/// the number until it is bound (实名核验, `POST /api/v1/me/binding`).
#[utoipa::path(post, path = "/api/v1/citizens", tag = "identity", request_body = CitizenRequest,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn register_citizen(
    State(s): State<AppState>,
    lang: Lang,
    ApiJson(r): ApiJson<CitizenRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = s
        .app
        .register_citizen(NewApplicant {
            login: r.login,
            number: r.id_number,
            name: r.name,
            password: r.password,
        })
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EnterpriseRequest {
    /// The login, of the enterprise's choosing (not a credit code).
    pub login: String,
    /// Unified social credit code (GB 32100) the account says it is.
    pub credit_code: String,
    pub name: String,
    pub password: String,
}

/// An enterprise signs up; its legal representative binds it at a counter.
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "identity", request_body = EnterpriseRequest,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
pub async fn register_enterprise(
    State(s): State<AppState>,
    lang: Lang,
    ApiJson(r): ApiJson<EnterpriseRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = s
        .app
        .register_enterprise(NewApplicant {
            login: r.login,
            number: r.credit_code,
            name: r.name,
            password: r.password,
        })
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgView {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub kind: String,
    pub parent: Option<String>,
}

pub fn org_view(o: &Organisation) -> OrgView {
    OrgView {
        code: o.code.to_string(),
        name: o.name.clone(),
        name_en: o.name_en.clone(),
        kind: o.kind.as_str().into(),
        parent: o.parent.as_ref().map(|p| p.to_string()),
    }
}

/// The organisation tree: the city, its districts and counties, departments and utilities.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "identity", responses((status = 200, body = [OrgView])))]
pub async fn organisations(State(s): State<AppState>) -> Json<Vec<OrgView>> {
    Json(s.app.orgs().list.iter().map(org_view).collect())
}

/// A unit (a department or a public utility) to add under a government.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NewUnitBody {
    /// The government's code and a number: `330100-U11`.
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// `department` or `utility`.
    pub kind: String,
    /// The government it belongs to.
    pub parent: String,
}

/// The unit a body describes, or what is wrong with its codes and kind.
pub fn unit_of(b: &NewUnitBody) -> Result<Organisation, Refusal> {
    let mut e = sunshine_domain::refusal::FieldErrors::default();
    let code = OrgCode::parse(&b.code)
        .map_err(|bad| e.add("code", bad.zh.clone(), bad.en.clone()))
        .ok();
    let parent = OrgCode::parse(&b.parent)
        .map_err(|bad| e.add("parent", bad.zh.clone(), bad.en.clone()))
        .ok();
    let kind = OrgKind::parse(&b.kind);
    if kind.is_none() {
        e.add(
            "kind",
            "单位类型应为部门或公用事业单位",
            "A unit is a department or a public utility",
        );
    }
    e.check()?;
    match (code, parent, kind) {
        (Some(code), Some(parent), Some(kind)) => Ok(Organisation {
            code,
            name: b.name.trim().to_string(),
            name_en: b.name_en.trim().to_string(),
            kind,
            parent: Some(parent),
        }),
        _ => Err(Refusal::field(
            "code",
            "机构代码不正确",
            "Not an organisation code",
        )),
    }
}

/// Add a unit under a government, as an administrator of that government.
#[utoipa::path(post, path = "/api/v1/organisations", tag = "identity", request_body = NewUnitBody, security(("bearer" = [])),
    responses((status = 201, body = OrgView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_unit(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<NewUnitBody>,
) -> Result<(StatusCode, Json<OrgView>), ApiError> {
    let unit = unit_of(&b).map_err(|e| ApiError::from_refusal(&e, lang))?;
    let added = s
        .app
        .add_unit(&actor, unit)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(org_view(&added))))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RenameBody {
    pub name: String,
    pub name_en: String,
}

/// Rename a unit, as an administrator of its government.
#[utoipa::path(put, path = "/api/v1/organisations/{code}", tag = "identity", params(("code" = String, Path)), request_body = RenameBody, security(("bearer" = [])),
    responses((status = 200, body = OrgView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rename_unit(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<RenameBody>,
) -> Result<Json<OrgView>, ApiError> {
    let code = OrgCode::parse(&code)
        .map_err(|_| ApiError::from_refusal(&Refusal::not_found("单位", "unit"), lang))?;
    let unit = s
        .app
        .rename_unit(&actor, &code, &b.name, &b.name_en)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(org_view(&unit)))
}
