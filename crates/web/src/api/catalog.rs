//! `/api/v1/catalog`: the public catalogue, the staff workflow, the panoramic
//! view, import and export.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sunshine_app::catalog::io::{Format, ImportReport};
use sunshine_app::catalog::{parse_filter, Page};
use sunshine_app::catalog::{VersionFilter, VersionRow, VersionSummary};
use sunshine_domain::catalog::{ItemSpec, ItemType, VersionState, WorkflowStep};
use sunshine_domain::clock::{from_micros, local_display};
use sunshine_domain::refusal::Refusal;
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

/// One version of an item, whole, as staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub id: i64,
    pub item_id: i64,
    pub version_no: i64,
    pub state: VersionState,
    /// Whether this is the version the public sees.
    pub is_current: bool,
    #[schema(value_type = Option<String>, format = Date)]
    pub effective_date: Option<Date>,
    /// When it entered the library, ISO 8601 UTC.
    pub entered_at: Option<String>,
    pub returned_reason: Option<String>,
    pub updated_at: String,
    pub spec: ItemSpec,
}

impl From<VersionRow> for VersionView {
    fn from(v: VersionRow) -> Self {
        VersionView {
            id: v.id,
            item_id: v.item_id,
            version_no: v.version_no,
            state: v.state,
            is_current: v.current_version == Some(v.id),
            effective_date: v.effective_date,
            entered_at: v.entered_at.map(|t| from_micros(t).to_string()),
            returned_reason: v.returned_reason,
            updated_at: from_micros(v.updated_at).to_string(),
            spec: v.spec,
        }
    }
}

/// A row of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryView {
    pub id: i64,
    pub item_id: i64,
    pub version_no: i64,
    pub state: VersionState,
    pub code: String,
    pub name: String,
    pub item_type: ItemType,
    pub region: String,
    pub implementing_body: String,
    pub implementing_body_name: String,
    pub effective_date: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryPage {
    pub items: Vec<SummaryView>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

pub(crate) fn page(state: &AppState, p: Page<VersionSummary>, lang: Lang) -> SummaryPage {
    let orgs = state.app.orgs();
    SummaryPage {
        items: p
            .items
            .into_iter()
            .map(|v| SummaryView {
                implementing_body_name: orgs.name(&v.implementing_body, lang.code()),
                id: v.id,
                item_id: v.item_id,
                version_no: v.version_no,
                state: v.state,
                code: v.code,
                name: v.name,
                item_type: v.item_type,
                region: v.region,
                implementing_body: v.implementing_body,
                effective_date: v.effective_date,
            })
            .collect(),
        total: p.total,
        limit: p.limit,
        offset: p.offset,
    }
}

/// Filters of a catalogue list; an empty value is the same as none.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Words to find in the name or code.
    pub q: Option<String>,
    /// Item type, e.g. `licensing`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub item_type: Option<String>,
    /// Region code, e.g. `330106`.
    pub region: Option<String>,
    /// Implementing body, e.g. `330100-002`.
    pub department: Option<String>,
    /// Workflow state (staff lists only), e.g. `draft`.
    pub state: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl ListQuery {
    pub fn filter(&self) -> Result<VersionFilter, Refusal> {
        let (state, item_type) = parse_filter(self.state.as_deref(), self.item_type.as_deref())
            .map_err(|e| match e {
                sunshine_app::AppError::Refused(r) => r,
                other => Refusal::invalid("bad_filter", "筛选条件有误", &other.to_string()),
            })?;
        for (field, value) in [
            ("q", &self.q),
            ("region", &self.region),
            ("department", &self.department),
        ] {
            if value.as_deref().is_some_and(|v| {
                !sunshine_domain::refusal::is_clean_text(v) || v.chars().count() > 200
            }) {
                return Err(Refusal::field(
                    field,
                    "搜索条件不能包含控制字符，且不超过200个字符",
                    "Search terms have at most 200 characters and no control characters",
                ));
            }
        }
        let non_empty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        Ok(VersionFilter {
            state,
            item_type,
            region: non_empty(&self.region),
            implementing_body: non_empty(&self.department),
            q: non_empty(&self.q),
            limit: self.limit.unwrap_or(50).clamp(1, 500),
            offset: self.offset.unwrap_or(0).clamp(0, 1_000_000),
            ..VersionFilter::default()
        })
    }
}

/// Search the public catalogue: items in the library, never sensitive ones.
#[utoipa::path(get, path = "/api/v1/catalog/items", tag = "catalog", params(ListQuery),
    responses((status = 200, body = SummaryPage), (status = 422, body = ErrorBody)))]
pub async fn search_public(
    State(s): State<AppState>,
    lang: Lang,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<SummaryPage>, ApiError> {
    let filter = q.filter().map_err(|r| ApiError::from_refusal(&r, lang))?;
    let p = s
        .app
        .public_items(filter)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(page(&s, p, lang)))
}

/// An item's public guide (its version in the library).
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicItem {
    pub item_id: i64,
    pub version_no: i64,
    #[schema(value_type = Option<String>, format = Date)]
    pub effective_date: Option<Date>,
    pub implementing_body_name: String,
    pub guide: ItemSpec,
}

#[utoipa::path(get, path = "/api/v1/catalog/items/{item_id}", tag = "catalog", params(("item_id" = i64, Path)),
    responses((status = 200, body = PublicItem), (status = 404, body = ErrorBody)))]
pub async fn public_item(
    State(s): State<AppState>,
    lang: Lang,
    ApiPath(item_id): ApiPath<i64>,
) -> Result<Json<PublicItem>, ApiError> {
    let v = s
        .app
        .public_item(item_id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(PublicItem {
        item_id: v.item_id,
        version_no: v.version_no,
        effective_date: v.effective_date,
        implementing_body_name: s
            .app
            .orgs()
            .name(v.spec.implementing_body.as_str(), lang.code()),
        guide: v.spec,
    }))
}

/// 编制: draft a new item (version 1).
#[utoipa::path(post, path = "/api/v1/catalog/drafts", tag = "catalog", request_body = ItemSpec, security(("bearer" = [])),
    responses((status = 201, body = VersionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_item(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(spec): ApiJson<ItemSpec>,
) -> Result<(StatusCode, Json<VersionView>), ApiError> {
    let v = s
        .app
        .create_item(&actor, spec)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// Every version, any state, for staff.
#[utoipa::path(get, path = "/api/v1/catalog/versions", tag = "catalog", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = SummaryPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_versions(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<SummaryPage>, ApiError> {
    let filter = q.filter().map_err(|r| ApiError::from_refusal(&r, lang))?;
    let p = s
        .app
        .staff_versions(&actor, filter)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(page(&s, p, lang)))
}

#[utoipa::path(get, path = "/api/v1/catalog/versions/{version_id}", tag = "catalog", params(("version_id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = VersionView), (status = 404, body = ErrorBody)))]
pub async fn get_version(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<VersionView>, ApiError> {
    let v = s
        .app
        .version(&actor, id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(v.into()))
}

/// Replace a draft's contents.
#[utoipa::path(put, path = "/api/v1/catalog/versions/{version_id}", tag = "catalog", params(("version_id" = i64, Path)), request_body = ItemSpec, security(("bearer" = [])),
    responses((status = 200, body = VersionView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_draft(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(spec): ApiJson<ItemSpec>,
) -> Result<Json<VersionView>, ApiError> {
    let v = s
        .app
        .update_draft(&actor, id, spec)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(v.into()))
}

async fn step(
    s: &AppState,
    lang: Lang,
    actor: &sunshine_domain::identity::Actor,
    id: i64,
    step: WorkflowStep,
) -> Result<Json<VersionView>, ApiError> {
    let v = s
        .app
        .workflow_step(actor, id, step)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(v.into()))
}

/// 申报: the editor declares a draft for review.
#[utoipa::path(post, path = "/api/v1/catalog/versions/{version_id}/declare", tag = "catalog", params(("version_id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = VersionView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn declare(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<VersionView>, ApiError> {
    step(&s, lang, &actor, id, WorkflowStep::Declare).await
}

/// 审核: the legal reviewer passes a declared version.
#[utoipa::path(post, path = "/api/v1/catalog/versions/{version_id}/review", tag = "catalog", params(("version_id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = VersionView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn review(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<VersionView>, ApiError> {
    step(&s, lang, &actor, id, WorkflowStep::Review).await
}

/// 批准: the approver of the item's government approves it.
#[utoipa::path(post, path = "/api/v1/catalog/versions/{version_id}/approve", tag = "catalog", params(("version_id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = VersionView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn approve(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<VersionView>, ApiError> {
    step(&s, lang, &actor, id, WorkflowStep::Approve).await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PublishBody {
    /// The date it takes effect (YYYY-MM-DD); today when left out.
    pub effective_date: Option<String>,
}

/// Parse a date field, refusing with the field's name.
pub fn parse_date(field: &str, value: &str) -> Result<Date, Refusal> {
    value.trim().parse::<Date>().map_err(|_| {
        Refusal::field(
            field,
            "日期格式应为YYYY-MM-DD",
            "A date is written YYYY-MM-DD",
        )
    })
}

/// 入库: the approver enters an approved version into the library.
#[utoipa::path(post, path = "/api/v1/catalog/versions/{version_id}/publish", tag = "catalog", params(("version_id" = i64, Path)), request_body = PublishBody, security(("bearer" = [])),
    responses((status = 200, body = VersionView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    raw: Bytes,
) -> Result<Json<VersionView>, ApiError> {
    // The body is optional: no body means "effective today".
    let body: PublishBody = if raw.iter().all(u8::is_ascii_whitespace) {
        PublishBody::default()
    } else {
        serde_json::from_slice(&raw).map_err(|e| {
            ApiError::bad_request(
                "bad_json",
                format!("Failed to parse the request body as JSON: {e}"),
            )
        })?
    };
    let effective = match body
        .effective_date
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        Some(d) => parse_date("effective_date", d).map_err(|r| ApiError::from_refusal(&r, lang))?,
        None => s.app.clock.today(),
    };
    step(&s, lang, &actor, id, WorkflowStep::Publish { effective }).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReturnBody {
    /// Why it goes back to the editor.
    pub reason: String,
}

/// 退回: a reviewer or approver returns a version to draft, with the reason.
#[utoipa::path(post, path = "/api/v1/catalog/versions/{version_id}/return", tag = "catalog", params(("version_id" = i64, Path)), request_body = ReturnBody, security(("bearer" = [])),
    responses((status = 200, body = VersionView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn return_to_draft(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReturnBody>,
) -> Result<Json<VersionView>, ApiError> {
    step(
        &s,
        lang,
        &actor,
        id,
        WorkflowStep::Return {
            reason: body.reason,
        },
    )
    .await
}

/// Open a new draft version of an item beside its published one.
#[utoipa::path(post, path = "/api/v1/catalog/items/{item_id}/versions", tag = "catalog", params(("item_id" = i64, Path)), security(("bearer" = [])),
    responses((status = 201, body = VersionView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn open_new_version(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(item_id): ApiPath<i64>,
) -> Result<(StatusCode, Json<VersionView>), ApiError> {
    let v = s
        .app
        .open_new_version(&actor, item_id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// A journal entry as shown in a history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub seq: i64,
    /// ISO 8601 UTC.
    pub at: String,
    /// Shanghai local time, for people.
    pub at_local: String,
    pub actor: String,
    pub event_type: String,
    pub payload: serde_json::Value,
}

/// Every version of an item and every journaled step, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemHistory {
    pub versions: Vec<VersionView>,
    pub entries: Vec<HistoryEntry>,
}

#[utoipa::path(get, path = "/api/v1/catalog/items/{item_id}/history", tag = "catalog", params(("item_id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = ItemHistory), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn item_history(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(item_id): ApiPath<i64>,
) -> Result<Json<ItemHistory>, ApiError> {
    let versions = s
        .app
        .item_versions(&actor, item_id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    if versions.is_empty() {
        return Err(ApiError::from_refusal(
            &Refusal::not_found("事项", "Item"),
            lang,
        ));
    }
    let entries = s
        .app
        .history(&sunshine_app::catalog::subject(item_id))
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(ItemHistory {
        versions: versions.into_iter().map(Into::into).collect(),
        entries: entries.into_iter().map(history_entry).collect(),
    }))
}

pub fn history_entry(e: sunshine_domain::journal::Entry) -> HistoryEntry {
    let t = from_micros(e.at);
    HistoryEntry {
        seq: e.seq,
        at: t.to_string(),
        at_local: local_display(t),
        actor: e.actor,
        event_type: e.event_type,
        payload: serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null),
    }
}

/// 全景视图: counts of every item's latest version.
#[derive(Debug, Serialize, ToSchema)]
pub struct PanoramaView {
    pub total: i64,
    pub by_state: Vec<(String, i64)>,
    pub by_type: Vec<(String, i64)>,
    pub by_region: Vec<(String, i64)>,
    pub by_department: Vec<(String, i64)>,
    /// Region × department × type × state.
    pub cells: Vec<PanoramaCell>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PanoramaCell {
    pub region: String,
    pub department: String,
    pub department_name: String,
    pub item_type: String,
    pub state: String,
    pub count: i64,
}

#[utoipa::path(get, path = "/api/v1/catalog/panorama", tag = "catalog", security(("bearer" = [])),
    responses((status = 200, body = PanoramaView), (status = 403, body = ErrorBody)))]
pub async fn panorama(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<PanoramaView>, ApiError> {
    let p = s
        .app
        .panorama(&actor)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let orgs = s.app.orgs();
    Ok(Json(PanoramaView {
        total: p.total,
        by_state: p.by_state,
        by_type: p.by_type,
        by_region: p.by_region,
        by_department: p.by_department,
        cells: p
            .cells
            .into_iter()
            .map(|c| PanoramaCell {
                department_name: orgs.name(&c.implementing_body, lang.code()),
                region: c.region,
                department: c.implementing_body,
                item_type: c.item_type,
                state: c.state,
                count: c.count,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `json` or `csv`.
    pub format: Option<String>,
}

fn format_of(q: &FormatQuery, lang: Lang) -> Result<Format, ApiError> {
    match q.format.as_deref().filter(|f| !f.is_empty()) {
        None => Ok(Format::Json),
        Some(f) => Format::parse(f).ok_or_else(|| {
            ApiError::from_refusal(
                &Refusal::field("format", "格式应为json或csv", "The format is json or csv"),
                lang,
            )
        }),
    }
}

/// Export the latest version of every item as JSON or CSV.
#[utoipa::path(get, path = "/api/v1/catalog/export", tag = "catalog", params(FormatQuery), security(("bearer" = [])),
    responses((status = 200, description = "The catalogue file", content_type = "application/json"), (status = 403, body = ErrorBody)))]
pub async fn export(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<FormatQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let format = format_of(&q, lang)?;
    let bytes = s
        .app
        .export_catalog(&actor, format)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let (ctype, name) = match format {
        Format::Json => ("application/json", "catalog.json"),
        Format::Csv => ("text/csv; charset=utf-8", "catalog.csv"),
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    pub imported: usize,
}

/// Import items from a JSON or CSV export. All rows or none: a bad row is
/// reported in `fields` as `line N` with its reason.
#[utoipa::path(post, path = "/api/v1/catalog/import", tag = "catalog", params(FormatQuery), security(("bearer" = [])),
    request_body(content = String, content_type = "application/json", description = "The file as exported: JSON by default, CSV with ?format=csv"),
    responses((status = 200, body = ImportResult), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<FormatQuery>,
    body: Bytes,
) -> Result<Json<ImportResult>, ApiError> {
    let format = format_of(&q, lang)?;
    let ImportReport { imported } = s
        .app
        .import_catalog(&actor, format, &body)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(ImportResult { imported }))
}
