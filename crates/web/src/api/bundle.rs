//! `/api/v1/hall/bundles`: one-stop bundles (一件事一次办) — their
//! configuration, applications for them, and the combined result.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_app::bundle::{BundleApplication, BundleOffer};
use sunshine_domain::bundle::{BundleItem, BundleOutcome, BundleSpec};
use sunshine_domain::catalog::{FormField, Material};
use utoipa::{IntoParams, ToSchema};

use super::hall::{time, TrackView};
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

/// An item of a bundle, as the library has it now.
#[derive(Debug, Serialize, ToSchema)]
pub struct BundleItemView {
    pub code: String,
    pub region: String,
    /// The item in the library, when it is in force there.
    pub item_id: Option<i64>,
    pub name: Option<String>,
    pub department: Option<String>,
}

/// A bundle and whether it is open for applications now.
#[derive(Debug, Serialize, ToSchema)]
pub struct BundleView {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub description: String,
    pub region: String,
    pub active: bool,
    /// Active, and every item in force in the library.
    pub available: bool,
    pub items: Vec<BundleItemView>,
    /// The shared form: every item's fields, each once.
    pub form: Vec<FormField>,
    /// Every item's materials, each once by name; files are sent as parts
    /// named `material.<n>` after their place in this list.
    pub materials: Vec<Material>,
}

impl From<BundleOffer> for BundleView {
    fn from(o: BundleOffer) -> Self {
        let available = o.available();
        let form = o.form();
        let materials = o.materials();
        let spec = o.bundle.spec;
        BundleView {
            code: spec.code,
            name: spec.name,
            name_en: spec.name_en,
            description: spec.description,
            region: spec.region.to_string(),
            active: o.bundle.active,
            available,
            items: o
                .items
                .into_iter()
                .map(|i| BundleItemView {
                    code: i.item.code,
                    region: i.item.region.to_string(),
                    item_id: i.current.as_ref().map(|c| c.0),
                    name: i.current.as_ref().map(|c| c.2.name.clone()),
                    department: i
                        .current
                        .as_ref()
                        .map(|c| c.2.implementing_body.to_string()),
                })
                .collect(),
            form,
            materials,
        }
    }
}

/// The bundles the hall offers.
#[utoipa::path(get, path = "/api/v1/hall/bundles", tag = "hall", responses((status = 200, body = [BundleView])))]
pub async fn list(
    State(s): State<AppState>,
    lang: Lang,
) -> Result<Json<Vec<BundleView>>, ApiError> {
    let all = s
        .app
        .bundles()
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// One bundle, with its shared form.
#[utoipa::path(get, path = "/api/v1/hall/bundles/{code}", tag = "hall", params(("code" = String, Path)),
    responses((status = 200, body = BundleView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    lang: Lang,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<BundleView>, ApiError> {
    let b = s
        .app
        .bundle(&code)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(b.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BundleRequest {
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub description: String,
    /// The government that offers it, e.g. `330100`.
    pub region: String,
    pub items: Vec<BundleItemRequest>,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BundleItemRequest {
    pub code: String,
    pub region: String,
}

fn yes() -> bool {
    true
}

/// Configure a bundle, or change one (administrators of its government).
#[utoipa::path(put, path = "/api/v1/hall/bundles/{code}", tag = "hall", params(("code" = String, Path)), request_body = BundleRequest, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(code): ApiPath<String>,
    ApiJson(r): ApiJson<BundleRequest>,
) -> Result<StatusCode, ApiError> {
    let region = |field: &str, v: &str| {
        sunshine_domain::ids::RegionCode::parse(v).map_err(|b| {
            ApiError::from_app(
                sunshine_domain::refusal::Refusal::field(field, b.zh, b.en).into(),
                lang,
            )
        })
    };
    let mut items = Vec::with_capacity(r.items.len());
    for i in r.items {
        items.push(BundleItem {
            code: i.code.trim().to_string(),
            region: region("items", &i.region)?,
        });
    }
    let spec = BundleSpec {
        code,
        name: r.name.trim().to_string(),
        name_en: r.name_en.trim().to_string(),
        description: r.description.trim().to_string(),
        region: region("region", &r.region)?,
        items,
    };
    s.app
        .define_bundle(&actor, spec, r.active)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A one-stop application: its parts and their one combined result.
#[derive(Debug, Serialize, ToSchema)]
pub struct BundleApplicationView {
    /// 一件事申请编号, e.g. `YJS-2026-330100-000001`.
    pub number: String,
    /// With the number, follows the application without signing in.
    pub query_code: String,
    pub bundle_code: String,
    pub applicant_public: String,
    pub submitted_at: String,
    /// `in_progress`, `approved`, `partly_approved`, `refused` or `withdrawn`.
    pub outcome: BundleOutcome,
    /// One case per item, each handled by its department.
    pub cases: Vec<TrackView>,
}

impl From<BundleApplication> for BundleApplicationView {
    fn from(a: BundleApplication) -> Self {
        BundleApplicationView {
            cases: a.cases.iter().map(TrackView::from).collect(),
            number: a.application.number,
            query_code: a.application.query_code,
            bundle_code: a.application.bundle_code,
            applicant_public: a.application.applicant_public,
            submitted_at: time(a.application.submitted_at),
            outcome: a.outcome,
        }
    }
}

/// The multipart form of a one-stop application.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct MultipartBundleApplication {
    /// The shared form as a JSON object of text values; each item takes the
    /// fields its form asks for.
    #[schema(value_type = Object)]
    answers: Option<String>,
    /// One part per file, named `material.<n>` after the material's place in
    /// the bundle's `materials` list (0 first). PDF, JPEG, PNG or OFD, told by
    /// content; at most 10 MiB a file.
    #[serde(rename = "material.0")]
    #[schema(value_type = Vec<String>, format = Binary)]
    material_0: Vec<Vec<u8>>,
}

/// 一件事一次办: apply for every item of a bundle at once, with the files
/// of every material the items require.
#[utoipa::path(post, path = "/api/v1/hall/bundles/{code}/applications", tag = "hall", params(("code" = String, Path)), security(("bearer" = [])),
    request_body(content = MultipartBundleApplication, content_type = "multipart/form-data"),
    responses((status = 201, body = BundleApplicationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn apply(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(code): ApiPath<String>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<BundleApplicationView>), ApiError> {
    let parts = crate::uploads::read(multipart)
        .await
        .map_err(|r| ApiError::from_refusal(&r, lang))?;
    let answers = crate::uploads::answers(&parts).map_err(|r| ApiError::from_refusal(&r, lang))?;
    let a = s
        .app
        .apply_bundle(&actor, &code, answers, parts.uploads)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// A one-stop application, for its applicant.
#[utoipa::path(get, path = "/api/v1/hall/bundle-applications/{number}", tag = "hall", params(("number" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = BundleApplicationView), (status = 404, body = ErrorBody)))]
pub async fn application(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<BundleApplicationView>, ApiError> {
    let a = s
        .app
        .bundle_application_for(&actor, &number)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(a.into()))
}

/// The signed-in applicant's one-stop applications, newest first.
#[utoipa::path(get, path = "/api/v1/hall/my-bundle-applications", tag = "hall", security(("bearer" = [])),
    responses((status = 200, body = [BundleApplicationView])))]
pub async fn mine(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<BundleApplicationView>>, ApiError> {
    let all = s
        .app
        .my_bundle_applications(&actor)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrackBundleQuery {
    pub number: String,
    pub code: String,
}

/// Follow a one-stop application without signing in.
#[utoipa::path(get, path = "/api/v1/hall/bundle-applications/track", tag = "hall", params(TrackBundleQuery),
    responses((status = 200, body = BundleApplicationView), (status = 404, body = ErrorBody)))]
pub async fn track(
    State(s): State<AppState>,
    lang: Lang,
    ApiQuery(q): ApiQuery<TrackBundleQuery>,
) -> Result<Json<BundleApplicationView>, ApiError> {
    let a = s
        .app
        .track_bundle(&q.number, &q.code)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(a.into()))
}
