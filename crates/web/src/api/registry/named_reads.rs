//! The city's named reads (市级具名查阅) through the API: the city's
//! registrar asks, the district's registrar answers, the city reads.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use sunshine_app::registry::{NamedReadDecision, NamedReadForm, NamedReadResult, NamedReadView};

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

/// Ask the district that holds a person to let the city read their record:
/// the city's registrar, with the fields the inquiry needs (never the
/// contact number) and the reason, which the person is shown with each
/// read. Nothing of the person is read by asking.
#[utoipa::path(post, path = "/api/v1/registry/named-reads", tag = "registry", security(("bearer" = [])),
    request_body = NamedReadForm,
    responses((status = 201, body = NamedReadView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ask(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(form): ApiJson<NamedReadForm>,
) -> Result<(StatusCode, Json<NamedReadView>), ApiError> {
    let view = s
        .app
        .ask_named_read(&actor, form)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The requests the caller asked (the city's registrar) and those
/// addressed to the districts they answer for (a district's registrar),
/// newest first.
#[utoipa::path(get, path = "/api/v1/registry/named-reads", tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = Vec<NamedReadView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<NamedReadView>>, ApiError> {
    let list = s
        .app
        .named_reads(&actor)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(list))
}

/// One request, for the one who asked it or its district's registrar;
/// anyone else is told it does not exist.
#[utoipa::path(get, path = "/api/v1/registry/named-reads/{id}", tag = "registry",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = NamedReadView), (status = 404, body = ErrorBody)))]
pub async fn one(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<NamedReadView>, ApiError> {
    let view = s
        .app
        .named_read(&actor, id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

/// The district's answer: `{"approve": true}` lets the city read the
/// fields asked for seven days, once the district is found to hold the
/// person (409 `named_read_not_held` if not); `{"approve": false,
/// "answer": "…"}` refuses, saying why. No one answers their own request.
#[utoipa::path(post, path = "/api/v1/registry/named-reads/{id}/decision", tag = "registry",
    params(("id" = i64, Path)), security(("bearer" = [])), request_body = NamedReadDecision,
    responses((status = 200, body = NamedReadView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(decision): ApiJson<NamedReadDecision>,
) -> Result<Json<NamedReadView>, ApiError> {
    let view = s
        .app
        .decide_named_read(&actor, id, decision)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

/// The city withdraws its request, waiting or approved: no read after.
#[utoipa::path(post, path = "/api/v1/registry/named-reads/{id}/withdrawal", tag = "registry",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = NamedReadView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn withdraw(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<NamedReadView>, ApiError> {
    let view = s
        .app
        .withdraw_named_read(&actor, id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

/// Read the person under an approved request: the fields asked and no
/// more. Each read is journaled with the purpose `city_inquiry` and shown
/// to the person under `/api/v1/me/reads`, with the request's reason.
/// Before approval, after its seven days or once withdrawn: 409.
#[utoipa::path(get, path = "/api/v1/registry/named-reads/{id}/person", tag = "registry",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = NamedReadResult), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn person(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<NamedReadResult>, ApiError> {
    let read = s
        .app
        .read_named(&actor, id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(read))
}
