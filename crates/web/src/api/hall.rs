//! `/api/v1/hall`: applying online and at the counter, acting on cases,
//! following a case with its query code.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_app::hall::Case;
use sunshine_domain::clock::from_micros;
use sunshine_domain::hall::{Applicant, CaseCommand};
use utoipa::{IntoParams, ToSchema};

use crate::api::account::PurposeQuery;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;
use sunshine_domain::access::ReadPurpose;

/// A case as its applicant and the staff of its department see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    /// 办件编号, e.g. `2026-330106-000123`.
    pub number: String,
    /// 查询码: with the number, follows the case without signing in.
    pub query_code: String,
    pub item_id: i64,
    /// The item version the case began on; it keeps it to the end.
    pub version_id: i64,
    pub department: String,
    pub region: String,
    /// `online` or `counter`.
    pub channel: String,
    /// The applicant as the public sees them (surname + 某, or the enterprise's name).
    pub applicant_public: String,
    #[schema(value_type = Object)]
    pub applicant: serde_json::Value,
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
    /// `submitted`, `correction_requested`, `not_accepted`, `in_process`, `suspended`, `approved`, `refused`, `delivered`, `withdrawn`.
    pub state: String,
    /// The lifecycle's facts: the step, who signed for it, opinions pending, whether the correction and the extension were used.
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
    /// Promised and legal due dates (Shanghai dates), once accepted.
    pub promised_due: Option<String>,
    pub legal_due: Option<String>,
    /// When the current process step is due, while the case is handled.
    pub step_due: Option<String>,
    /// The one-stop application (一件事一次办) this case is part of, if any.
    pub bundle_number: Option<String>,
    /// The platform that handles the case when this one took it and handed
    /// it down (`district:330106`): its state here follows that platform's.
    pub handled_by: Option<String>,
    pub submitted_at: String,
    pub accepted_at: Option<String>,
    pub decided_at: Option<String>,
    pub completed_at: Option<String>,
}

pub(crate) fn time(us: i64) -> String {
    from_micros(us).to_string()
}

impl From<Case> for CaseView {
    fn from(c: Case) -> Self {
        CaseView {
            state: c.facts.state.name().to_string(),
            facts: serde_json::to_value(&c.facts).unwrap_or_default(),
            applicant: serde_json::to_value(&c.applicant).unwrap_or_default(),
            number: c.number,
            query_code: c.query_code,
            item_id: c.item_id,
            version_id: c.version_id,
            department: c.department,
            region: c.region,
            channel: match c.channel {
                sunshine_domain::hall::Channel::Online => "online".into(),
                sunshine_domain::hall::Channel::Counter => "counter".into(),
            },
            applicant_public: c.applicant_public,
            answers: c.answers,
            promised_due: c.promised_due,
            legal_due: c.legal_due,
            step_due: c.step_due,
            bundle_number: c.bundle_number,
            handled_by: c.handled_by,
            submitted_at: time(c.submitted_at),
            accepted_at: c.accepted_at.map(time),
            decided_at: c.decided_at.map(time),
            completed_at: c.completed_at.map(time),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ApplicationRequest {
    /// The item in the library applied for.
    pub item_id: i64,
    /// The item's form, key → value as typed.
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
}

/// 网上申报: a signed-in citizen or enterprise applies for an item. An item
/// that requires materials is applied for with its files at
/// `/api/v1/hall/applications/multipart`.
#[utoipa::path(post, path = "/api/v1/hall/applications", tag = "hall", request_body = ApplicationRequest, security(("bearer" = [])),
    responses((status = 201, body = CaseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn apply(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(r): ApiJson<ApplicationRequest>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let case = s
        .app
        .apply(&actor, r.item_id, r.answers, vec![])
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(case.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CounterRequest {
    pub item_id: i64,
    /// `{"kind": "person", "name", "id_number"}` or `{"kind": "enterprise", "name", "credit_code"}`.
    #[schema(value_type = Object)]
    pub applicant: serde_json::Value,
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
}

/// 窗口受理: a clerk registers an application taken at the counter.
#[utoipa::path(post, path = "/api/v1/hall/counter-applications", tag = "hall", request_body = CounterRequest, security(("bearer" = [])),
    responses((status = 201, body = CaseView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register_at_counter(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(r): ApiJson<CounterRequest>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let applicant: Applicant = serde_json::from_value(r.applicant).map_err(|e| {
        let mut err = ApiError::from_refusal(
            &sunshine_domain::Refusal::field(
                "applicant",
                "申请人信息有误",
                "The applicant is not valid",
            ),
            lang,
        );
        err.body
            .error
            .fields
            .insert("applicant".into(), e.to_string());
        err
    })?;
    let case = s
        .app
        .register_at_counter(&actor, r.item_id, applicant, r.answers, vec![])
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(case.into())))
}

/// A case, for its applicant or the staff of its department.
#[utoipa::path(get, path = "/api/v1/hall/cases/{number}", tag = "hall", params(("number" = String, Path), PurposeQuery), security(("bearer" = [])),
    responses((status = 200, body = CaseView), (status = 404, body = ErrorBody)))]
pub async fn get_case(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<PurposeQuery>,
) -> Result<Json<CaseView>, ApiError> {
    let purpose = q.or(ReadPurpose::HandleCase, lang)?;
    let case = s
        .app
        .read_case(&actor, &number, purpose)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(case.into()))
}

/// One step of a case: `{"command": "accept"}`, `{"command": "not_accept", "reason"}`,
/// `{"command": "request_correction", "what"}`, `supply_correction`, `claim`, `pass`,
/// `{"command": "return_to", "step", "reason"}`, `{"command": "request_opinions", "orgs"}`,
/// `{"command": "give_opinion", "org", "agree", "text"}`, `{"command": "suspend", "procedure"}`
/// (hearing, testing, inspection, expert_review), `resume`, `{"command": "extend", "days"}`,
/// `approve`, `{"command": "refuse", "reason"}`, `deliver`, `withdraw`.
#[utoipa::path(post, path = "/api/v1/hall/cases/{number}/commands", tag = "hall", params(("number" = String, Path)), security(("bearer" = [])),
    request_body(content = Object, description = "The command and its details"),
    responses((status = 200, body = CaseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn command(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
    ApiJson(command): ApiJson<CaseCommand>,
) -> Result<Json<CaseView>, ApiError> {
    let case = s
        .app
        .case_command(&actor, &number, command)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(case.into()))
}

/// The signed-in applicant's own cases.
#[utoipa::path(get, path = "/api/v1/hall/my-cases", tag = "hall", security(("bearer" = [])), responses((status = 200, body = [CaseView])))]
pub async fn my_cases(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<CaseView>>, ApiError> {
    let cases = s
        .app
        .my_cases(&actor)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(cases.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrackQuery {
    pub number: String,
    pub code: String,
}

/// What anyone holding a case's number and query code may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackView {
    pub number: String,
    pub item_id: i64,
    pub department: String,
    pub applicant_public: String,
    pub state: String,
    pub promised_due: Option<String>,
    pub submitted_at: String,
    pub completed_at: Option<String>,
}

/// Follow a case without signing in.
#[utoipa::path(get, path = "/api/v1/hall/track", tag = "hall", params(TrackQuery), responses((status = 200, body = TrackView), (status = 404, body = ErrorBody)))]
pub async fn track(
    State(s): State<AppState>,
    lang: Lang,
    ApiQuery(q): ApiQuery<TrackQuery>,
) -> Result<Json<TrackView>, ApiError> {
    let c = s
        .app
        .track(&q.number, &q.code)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(TrackView::from(&c)))
}

impl From<&Case> for TrackView {
    fn from(c: &Case) -> Self {
        TrackView {
            state: c.facts.state.name().to_string(),
            number: c.number.clone(),
            item_id: c.item_id,
            department: c.department.clone(),
            applicant_public: c.applicant_public.clone(),
            promised_due: c.promised_due.clone(),
            submitted_at: time(c.submitted_at),
            completed_at: c.completed_at.map(time),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RatingRequest {
    /// 1 (bad) to 5 (good).
    pub rating: i64,
    #[serde(default)]
    pub comment: String,
}

/// The applicant rates the service once the case is decided.
#[utoipa::path(post, path = "/api/v1/hall/cases/{number}/rating", tag = "hall", params(("number" = String, Path)), request_body = RatingRequest, security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rate(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
    ApiJson(r): ApiJson<RatingRequest>,
) -> Result<StatusCode, ApiError> {
    s.app
        .rate_case(&actor, &number, r.rating, &r.comment)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FeeRequest {
    /// The name of one of the item's catalogued fees.
    pub name: String,
    /// Its standard amount, in fen.
    pub amount_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Charge {
    pub name: String,
    pub amount_fen: i64,
}

/// Charge a catalogued fee at its standard amount; every charge of the case comes back.
#[utoipa::path(post, path = "/api/v1/hall/cases/{number}/fees", tag = "hall", params(("number" = String, Path)), request_body = FeeRequest, security(("bearer" = [])),
    responses((status = 200, body = [Charge]), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn charge_fee(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
    ApiJson(r): ApiJson<FeeRequest>,
) -> Result<Json<Vec<Charge>>, ApiError> {
    let charges = s
        .app
        .charge_fee(&actor, &number, &r.name, r.amount_fen)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(
        charges
            .into_iter()
            .map(|(name, amount_fen)| Charge { name, amount_fen })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PenaltyRequest {
    /// The index of the circumstance in the item's discretion standard.
    pub circumstance: usize,
    /// The fine, in fen, within that circumstance's range.
    pub amount_fen: i64,
}

/// Decide a penalty case's measure from the item's discretion standard.
#[utoipa::path(post, path = "/api/v1/hall/cases/{number}/penalty", tag = "hall", params(("number" = String, Path)), request_body = PenaltyRequest, security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_penalty(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
    ApiJson(r): ApiJson<PenaltyRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let penalty = s
        .app
        .decide_penalty(&actor, &number, r.circumstance, r.amount_fen)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(penalty))
}
