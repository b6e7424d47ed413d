//! The categories and their dispatch catalogue.

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_app::hotline::CategoryRow;
use sunshine_domain::refusal::Refusal;
use utoipa::{IntoParams, ToSchema};

/// A category and its dispatch catalogue entry, as administrators edit it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryBody {
    pub name: String,
    pub name_en: String,
    /// `government`, `public_information`, `community` or `commercial`.
    pub class: String,
    /// `consultation`, `help`, `complaint`, `report` or `suggestion`.
    pub kind: String,
    /// `emergency`, `utility` or `normal`.
    pub urgency: String,
    /// Limits; the defaults of the urgency and the kind when left out.
    pub dispatch_hours: Option<u32>,
    pub sign_hours: Option<u32>,
    pub answer_days: Option<u32>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Open311 attributes (`code`, `datatype`, `required`, `order`, `description`, `values`).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub attributes: Vec<sunshine_domain::hotline::open311::Attribute>,
    pub lead_unit: String,
    #[serde(default)]
    pub assisting: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
    /// About a person (care, aid, the elderly): its requests are published
    /// with no address and a coarse location only.
    #[serde(default)]
    pub personal: bool,
}

pub(super) fn yes() -> bool {
    true
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryView {
    pub code: String,
    #[serde(flatten)]
    pub body: CategoryBody,
    pub version: i64,
}

pub fn category_view(c: CategoryRow) -> CategoryView {
    CategoryView {
        body: CategoryBody {
            name: c.name,
            name_en: c.name_en,
            class: c.class.as_str().into(),
            kind: serde_json::to_value(c.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            urgency: serde_json::to_value(c.urgency)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            dispatch_hours: Some(c.limits.dispatch_hours),
            sign_hours: Some(c.limits.sign_hours),
            answer_days: Some(c.limits.answer_days),
            description: c.description,
            keywords: c.keywords,
            attributes: c.attributes,
            lead_unit: c.lead_unit,
            assisting: c.assisting,
            active: c.active,
            personal: c.personal,
        },
        code: c.code,
        version: c.version,
    }
}

/// The categories in force.
#[utoipa::path(get, path = "/api/v1/hotline/categories", tag = "hotline",
    responses((status = 200, body = [CategoryView])))]
pub async fn categories(
    State(s): State<AppState>,
    lang: Lang,
) -> Result<Json<Vec<CategoryView>>, ApiError> {
    let list = s
        .app
        .hotline_categories(true)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(list.into_iter().map(category_view).collect()))
}

fn parse_enum<T: serde::de::DeserializeOwned>(field: &str, v: &str) -> Result<T, Refusal> {
    serde_json::from_value(serde_json::Value::String(v.to_string()))
        .map_err(|_| Refusal::field(field, "取值不正确", format!("Not a valid {field}: {v}")))
}

/// Add or edit a category (a new version each time), as an administrator of the city.
#[utoipa::path(put, path = "/api/v1/hotline/categories/{code}", tag = "hotline", params(("code" = String, Path)), request_body = CategoryBody, security(("bearer" = [])),
    responses((status = 200, body = CategoryView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_category(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<CategoryBody>,
) -> Result<Json<CategoryView>, ApiError> {
    let row = category_row_of(code, b).map_err(|e| ApiError::from_refusal(&e, lang))?;
    let c = s
        .app
        .put_hotline_category(&actor, row)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(category_view(c)))
}

/// A category as an administrator wrote it (through the API or the page).
pub fn category_row_of(code: String, b: CategoryBody) -> Result<CategoryRow, Refusal> {
    let kind = parse_enum("kind", &b.kind)?;
    let urgency = parse_enum("urgency", &b.urgency)?;
    let class = sunshine_domain::hotline::ServiceClass::parse(&b.class)
        .ok_or_else(|| Refusal::field("class", "服务类别不正确", "Not a service class"))?;
    let defaults = sunshine_domain::hotline::Limits::default_for(urgency, kind);
    Ok(CategoryRow {
        code,
        name: b.name,
        name_en: b.name_en,
        class,
        kind,
        urgency,
        limits: sunshine_domain::hotline::Limits {
            dispatch_hours: b.dispatch_hours.unwrap_or(defaults.dispatch_hours),
            sign_hours: b.sign_hours.unwrap_or(defaults.sign_hours),
            answer_days: b.answer_days.unwrap_or(defaults.answer_days),
        },
        description: b.description,
        keywords: b.keywords,
        attributes: b.attributes,
        lead_unit: b.lead_unit,
        assisting: b.assisting,
        active: b.active,
        personal: b.personal,
        version: 0,
        updated_at: 0,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DispatchQuery {
    pub category: String,
    /// The district's region code; the city's entry when left out.
    pub region: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DispatchView {
    pub lead_unit: String,
    pub assisting: Vec<String>,
}

/// Where the dispatch catalogue sends a category in a district.
#[utoipa::path(get, path = "/api/v1/hotline/dispatch", tag = "hotline", params(DispatchQuery),
    responses((status = 200, body = DispatchView), (status = 404, body = ErrorBody)))]
pub async fn dispatch(
    State(s): State<AppState>,
    lang: Lang,
    ApiQuery(q): ApiQuery<DispatchQuery>,
) -> Result<Json<DispatchView>, ApiError> {
    let region = q.region.unwrap_or_else(|| "330100".into());
    let (lead_unit, assisting) = s
        .app
        .dispatch_for(&q.category, &region)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(DispatchView {
        lead_unit,
        assisting,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DispatchBody {
    pub lead_unit: String,
    #[serde(default)]
    pub assisting: Vec<String>,
}

/// Send a category elsewhere in one district (administrators of the city).
#[utoipa::path(put, path = "/api/v1/hotline/categories/{code}/dispatch/{region}", tag = "hotline", params(("code" = String, Path), ("region" = String, Path)), request_body = DispatchBody, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_dispatch(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath((code, region)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<DispatchBody>,
) -> Result<StatusCode, ApiError> {
    s.app
        .put_dispatch_override(&actor, &code, &region, &b.lead_unit, b.assisting)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}
