//! The city's code lists for the registry through the API: read by any
//! member of staff, changed by the city's registrar.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use sunshine_app::registry::{CodeChangeForm, CodeChangeView, StandardView};

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

/// The code lists in force (家庭关系 by GB/T 4761-2008, 民族 by GB/T 3304,
/// as the city has changed them), each code's name and whether it is
/// retired, and the city's changes, newest first.
#[utoipa::path(get, path = "/api/v1/registry/standard", tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = StandardView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn view(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<StandardView>, ApiError> {
    let view = s
        .app
        .registry_standard_view(&actor)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

/// Change a code list, as the city's registrar, with the reason:
/// `{"list": "ethnicities", "code": "97", "change": "rename", "name": "…",
/// "reason": "…"}`; `change` is `add` or `rename` (with a `name`), `retire`
/// or `restore`. In force at once for every import and correction: a
/// retired code is taken by no new or changed record, and records that
/// hold it keep it. The head of a household (`02`) is never retired.
#[utoipa::path(post, path = "/api/v1/registry/standard/changes", tag = "registry", security(("bearer" = [])),
    request_body = CodeChangeForm,
    responses((status = 201, body = CodeChangeView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(form): ApiJson<CodeChangeForm>,
) -> Result<(StatusCode, Json<CodeChangeView>), ApiError> {
    let done = s
        .app
        .change_registry_code(&actor, form)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(done)))
}
