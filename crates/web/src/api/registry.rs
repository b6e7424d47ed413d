//! The community population registry (社区人口基础库) through the API.

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use sunshine_app::registry::ImportReport;
use utoipa::IntoParams;

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

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
