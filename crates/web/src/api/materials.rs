//! `/api/v1/hall/…/materials`: applying with files, adding files to a case,
//! listing and downloading them. Never on a public route: only the applicant
//! and the staff who may view the department's cases see them.

use axum::extract::{Multipart, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sunshine_app::materials::MaterialFile;
use sunshine_domain::clock::from_micros;
use sunshine_domain::refusal::Refusal;
use utoipa::ToSchema;

use super::hall::CaseView;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiPath, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

/// A file a case holds (its bytes are downloaded separately).
#[derive(Debug, Serialize, ToSchema)]
pub struct MaterialView {
    /// The item's material it is for (申请材料).
    pub name: String,
    pub file_name: String,
    /// Its address: the SHA-256 of the bytes, hex.
    pub sha256: String,
    pub size: i64,
    /// Told from the content: `application/pdf`, `image/jpeg`, `image/png` or `application/ofd`.
    #[serde(rename = "type")]
    pub content_type: String,
    pub added_by: String,
    pub added_at: String,
}

impl From<MaterialFile> for MaterialView {
    fn from(m: MaterialFile) -> Self {
        MaterialView {
            name: m.material,
            file_name: m.file_name,
            sha256: m.sha256,
            size: m.size,
            content_type: m.content_type,
            added_by: m.added_by,
            added_at: from_micros(m.added_at).to_string(),
        }
    }
}

/// The multipart form of an online application.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct MultipartApplication {
    /// The item in the library applied for.
    item_id: i64,
    /// The item's form as a JSON object, key → value as typed.
    #[schema(value_type = Object)]
    answers: Option<String>,
    /// One part per file, named `material.<n>` after the material's place in
    /// the guide's `materials` list (0 first); a part may repeat. PDF, JPEG,
    /// PNG or OFD, told by content; at most 10 MiB a file, 40 MiB a case.
    #[serde(rename = "material.0")]
    #[schema(value_type = Vec<String>, format = Binary)]
    material_0: Vec<Vec<u8>>,
}

/// The multipart form that adds files to a case.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct MultipartMaterials {
    /// Parts named `material.<n>` as when applying.
    #[serde(rename = "material.0")]
    #[schema(value_type = Vec<String>, format = Binary)]
    material_0: Vec<Vec<u8>>,
}

fn refused(r: Refusal, lang: Lang) -> ApiError {
    ApiError::from_refusal(&r, lang)
}

/// 网上申报 with materials: the case and its files are stored together or
/// not at all. Every material the item requires must be among the files.
#[utoipa::path(post, path = "/api/v1/hall/applications/multipart", tag = "hall", security(("bearer" = [])),
    request_body(content = MultipartApplication, content_type = "multipart/form-data"),
    responses((status = 201, body = CaseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn apply(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    multipart: Multipart,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let parts = crate::uploads::read(multipart)
        .await
        .map_err(|r| refused(r, lang))?;
    let item_id = parts.text("item_id").trim().parse::<i64>().map_err(|_| {
        refused(
            Refusal::field("item_id", "请指明申请的事项", "Name the item applied for"),
            lang,
        )
    })?;
    let answers = crate::uploads::answers(&parts).map_err(|r| refused(r, lang))?;
    let case = s
        .app
        .apply(&actor, item_id, answers, parts.uploads)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(case.into())))
}

/// Add files to a case: its applicant while it waits to be accepted or for a
/// correction, or a clerk of its department. Every file of the case comes back.
#[utoipa::path(post, path = "/api/v1/hall/cases/{number}/materials", tag = "hall", params(("number" = String, Path)), security(("bearer" = [])),
    request_body(content = MultipartMaterials, content_type = "multipart/form-data"),
    responses((status = 201, body = [MaterialView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<Vec<MaterialView>>), ApiError> {
    let parts = crate::uploads::read(multipart)
        .await
        .map_err(|r| refused(r, lang))?;
    let list = s
        .app
        .add_materials(&actor, &number, parts.uploads)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((
        StatusCode::CREATED,
        Json(list.into_iter().map(Into::into).collect()),
    ))
}

/// The files of a case.
#[utoipa::path(get, path = "/api/v1/hall/cases/{number}/materials", tag = "hall", params(("number" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = [MaterialView]), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<Vec<MaterialView>>, ApiError> {
    let list = s
        .app
        .case_materials(&actor, &number)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// One file's bytes, as an attachment.
#[utoipa::path(get, path = "/api/v1/hall/cases/{number}/materials/{sha256}", tag = "hall",
    params(("number" = String, Path), ("sha256" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath((number, sha256)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let (row, bytes) = s
        .app
        .material_file(&actor, &number, &sha256)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(attachment(&row, bytes))
}

/// A stored file as a download that no browser will render or sniff.
pub fn attachment(row: &MaterialFile, bytes: Vec<u8>) -> Response {
    let ascii: String = row
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        crate::auth::url_escape(&row.file_name).replace('/', "%2F")
    );
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    let value = |v: &str| {
        HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("application/octet-stream"))
    };
    h.insert(header::CONTENT_TYPE, value(&row.content_type));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    resp
}
