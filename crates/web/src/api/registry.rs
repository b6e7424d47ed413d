//! The community population registry (社区人口基础库) through the API.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use sunshine_app::registry::{
    CorrectionForm, CorrectionView, Decision, HouseholdSummary, HouseholdView, ImportReport,
    MyRegistry, PairDecision, PairView, Statistics,
};
use sunshine_domain::access::ReadPurpose;
use sunshine_domain::refusal::Refusal;
use sunshine_domain::registry::view::PersonView;
use utoipa::{IntoParams, ToSchema};

use super::account::PurposeQuery;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

pub mod named_reads;
pub mod standard;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportQuery {
    /// Say what the file would add and change, and write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Import persons and households from a CSV file in the city's layout
/// (身份证号, 姓名, 性别, 出生日期, 民族, 户籍地址, 居住地址, 社区代码, 户号,
/// 与户主关系, 联系电话; UTF-8, columns in any order), as a community worker
/// for the community or a registrar for the district. Every row or none: a
/// bad cell is reported in `fields` as `line N COLUMN`, a row of a
/// community the caller does not collect for as 403.
#[utoipa::path(post, path = "/api/v1/registry/imports", tag = "registry", params(ImportQuery), security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv", description = "The file, with its header line"),
    responses((status = 200, body = ImportReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<Json<ImportReport>, ApiError> {
    let report = s
        .app
        .import_registry(&actor, &body, q.dry_run)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(report))
}

/// The purpose of a registry read, when the caller names one.
fn registry_purpose(q: &PurposeQuery, lang: Lang) -> Result<Option<ReadPurpose>, ApiError> {
    match q
        .purpose
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => Ok(None),
        Some(_) => q.or(ReadPurpose::KeepRecords, lang).map(Some),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct HouseholdsQuery {
    /// List the households whose number comes after this one (the page's last).
    #[serde(default)]
    pub after: String,
}

/// A community's households by number (200 at a time), with how many
/// members each has and no one's name: for its community worker and the
/// district's registrar.
#[utoipa::path(get, path = "/api/v1/registry/communities/{community}/households", tag = "registry",
    params(("community" = String, Path, description = "The 12-digit division code"), HouseholdsQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<HouseholdSummary>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn households(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(community): ApiPath<String>,
    ApiQuery(q): ApiQuery<HouseholdsQuery>,
) -> Result<Json<Vec<HouseholdSummary>>, ApiError> {
    let list = s
        .app
        .registry_households(&actor, &community, &q.after)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(list))
}

/// A household at a glance, read for a purpose (`keep_records` for the
/// community's worker, `registry_review` for the district's registrar,
/// which shows no contact numbers). The read is journaled and each member
/// with an identity number sees it under `/api/v1/me/reads`. A household
/// outside the caller's records is not found, as if it were not held.
#[utoipa::path(get, path = "/api/v1/registry/households/{district}/{number}", tag = "registry",
    params(("district" = String, Path), ("number" = String, Path), PurposeQuery), security(("bearer" = [])),
    responses((status = 200, body = HouseholdView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn household(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath((district, number)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<PurposeQuery>,
) -> Result<Json<HouseholdView>, ApiError> {
    let purpose = registry_purpose(&q, lang)?;
    let view = s
        .app
        .registry_household(&actor, &district, &number, purpose)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

/// A lookup by identity number, sent in the body so that the number stays
/// out of addresses and logs.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Lookup {
    pub id_number: String,
    /// As for a household's read.
    #[serde(default)]
    pub purpose: Option<String>,
}

/// The household of the person with an identity number, read as
/// `GET /api/v1/registry/households/{district}/{number}` reads it.
#[utoipa::path(post, path = "/api/v1/registry/lookups", tag = "registry", security(("bearer" = [])),
    request_body = Lookup,
    responses((status = 200, body = HouseholdView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn lookup(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<Lookup>,
) -> Result<Json<HouseholdView>, ApiError> {
    let q = PurposeQuery {
        purpose: body.purpose,
    };
    let purpose = registry_purpose(&q, lang)?;
    let view = s
        .app
        .registry_lookup(&actor, &body.id_number, purpose)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

/// Correct a person's record, as the worker of their community or the
/// district's registrar: `{"changes": {"联系电话": "13900000000"}, "reason":
/// "…"}`. The whole record is checked against the standard (faults in
/// `fields` by column); a community or household is a move, not a
/// correction; a household keeps one head.
#[utoipa::path(post, path = "/api/v1/registry/persons/{id}/corrections", tag = "registry",
    params(("id" = i64, Path)), security(("bearer" = [])), request_body = CorrectionForm,
    responses((status = 200, body = PersonView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn correct(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(form): ApiJson<CorrectionForm>,
) -> Result<Json<PersonView>, ApiError> {
    let view = s
        .app
        .correct_registry_person(&actor, id, form)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

/// The open requests for corrections in the caller's communities, oldest
/// first (a journaled read of the persons who asked).
#[utoipa::path(get, path = "/api/v1/registry/corrections", tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = Vec<CorrectionView>)))]
pub async fn corrections(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<CorrectionView>>, ApiError> {
    let list = s
        .app
        .registry_corrections(&actor)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(list))
}

/// Accept a request (the record is corrected as asked) or refuse it with
/// an answer the resident is shown.
#[utoipa::path(post, path = "/api/v1/registry/corrections/{id}/decision", tag = "registry",
    params(("id" = i64, Path)), security(("bearer" = [])), request_body = Decision,
    responses((status = 200, body = CorrectionView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(decision): ApiJson<Decision>,
) -> Result<Json<CorrectionView>, ApiError> {
    let view = s
        .app
        .decide_registry_correction(&actor, id, decision)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatisticsQuery {
    /// The organisation whose region is counted (a district, or the city);
    /// where the caller's registrar role is held when not given.
    pub region: Option<String>,
}

/// Anonymous counts of a region's persons by division, sex, age band and
/// ethnic group, for a registrar over the region; counts under five, and
/// any count that would give one away, are absent.
#[utoipa::path(get, path = "/api/v1/registry/statistics", tag = "registry", params(StatisticsQuery), security(("bearer" = [])),
    responses((status = 200, body = Statistics), (status = 403, body = ErrorBody)))]
pub async fn statistics(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<StatisticsQuery>,
) -> Result<Json<Statistics>, ApiError> {
    let stats = s
        .app
        .registry_statistics(&actor, q.region.as_deref())
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(stats))
}

/// The signed-in resident's own population record and their requests for
/// corrections; 403 until the account is bound to its identity, 404 when
/// the registry holds no record for it.
#[utoipa::path(get, path = "/api/v1/me/registry", tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = MyRegistry), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn mine(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<MyRegistry>, ApiError> {
    match s.app.my_registry(&actor).await {
        Ok(Some(mine)) => Ok(Json(mine)),
        Ok(None) => Err(ApiError::from_refusal(
            &Refusal::not_found("您的人口信息", "Your population record"),
            lang,
        )),
        Err(e) => Err(ApiError::from_app(e, lang)),
    }
}

/// Ask one's community to correct one's record (checked against the
/// standard now; a worker answers it).
#[utoipa::path(post, path = "/api/v1/me/registry/corrections", tag = "registry", security(("bearer" = [])),
    request_body = CorrectionForm,
    responses((status = 201, body = CorrectionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ask(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(form): ApiJson<CorrectionForm>,
) -> Result<(StatusCode, Json<CorrectionView>), ApiError> {
    let view = s
        .app
        .ask_registry_correction(&actor, form)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct PairsQuery {
    /// The decided pairs (merged or kept apart), the latest first, instead
    /// of the open ones.
    #[serde(default)]
    pub decided: bool,
}

/// The review queue of a district's registrar: pairs of records that may
/// be one person, scored as they arrived, the likeliest first, with both
/// records (as a review shows them) and how each field agrees. Reading the
/// queue is a journaled read of the persons in it.
#[utoipa::path(get, path = "/api/v1/registry/pairs", tag = "registry", params(PairsQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<PairView>), (status = 403, body = ErrorBody)))]
pub async fn pairs(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<PairsQuery>,
) -> Result<Json<Vec<PairView>>, ApiError> {
    let list = s
        .app
        .registry_pairs(&actor, q.decided)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(list))
}

/// Decide a pair: `{"decision": "merge"}` (one person: the record without
/// an identity number, or the newer, is merged into the other),
/// `{"decision": "keep_apart"}`, or `{"decision": "reopen"}` to undo either.
#[utoipa::path(post, path = "/api/v1/registry/pairs/{id}/decision", tag = "registry",
    params(("id" = i64, Path)), security(("bearer" = [])), request_body = PairDecision,
    responses((status = 200, body = PairView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide_pair(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(decision): ApiJson<PairDecision>,
) -> Result<Json<PairView>, ApiError> {
    let view = s
        .app
        .decide_registry_pair(&actor, id, decision)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(view))
}
