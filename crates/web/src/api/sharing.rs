//! Resource sharing (资源共享) through the API: the catalogue, a
//! department's resources and rows, subscriptions and their decisions,
//! access keys, reads through a key and their log; enterprise basic
//! information's set-up, feeds and conflicts; and an enterprise's own
//! record for its application forms.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use sunshine_app::sharing::enterprise::{
    EnterpriseSetup, EnterpriseView, FeedReport, Prefill, ResolveForm,
};
use sunshine_app::sharing::subscriptions::{
    DataPage, IssuedKey, KeyRead, Queue, ReadLog, SubscribeForm, SubscriptionView,
};
use sunshine_app::sharing::{
    CatalogueQuery, NewResource, PublishedRows, ResourceLine, ResourceView,
};
use sunshine_app::AppError;
use sunshine_domain::sharing::subscription::SubscriptionCommand;
use sunshine_domain::sharing::ResourceSpec;
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::guard::ClientAddr;
use crate::i18n::Lang;
use crate::AppState;

/// The header that carries an access key's secret.
pub const KEY_HEADER: &str = "Sharing-Key";

fn answer<T>(lang: Lang, r: Result<T, AppError>) -> Result<Json<T>, ApiError> {
    r.map(Json).map_err(|e| ApiError::from_app(e, lang))
}

fn created<T>(lang: Lang, r: Result<T, AppError>) -> Result<(StatusCode, Json<T>), ApiError> {
    answer(lang, r).map(|j| (StatusCode::CREATED, j))
}

/// The catalogue of information resources (政务信息资源目录), searched by
/// words, owner and class; for any member of staff.
#[utoipa::path(get, path = "/api/v1/sharing/resources", tag = "sharing", params(CatalogueQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<ResourceLine>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn catalogue(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<CatalogueQuery>,
) -> Result<Json<Vec<ResourceLine>>, ApiError> {
    answer(lang, s.app.sharing_catalogue(&actor, &q).await)
}

/// Register a resource for a department (its catalogue editor or
/// administrator): name, description, fields (`name`, `type`: `text`,
/// `number`, `date` or `credit_code`, `description`), `cycle` and `class`
/// (`unconditional`, `conditional`, `not_shared`; the last two with a `basis`).
#[utoipa::path(post, path = "/api/v1/sharing/resources", tag = "sharing", request_body = NewResource, security(("bearer" = [])),
    responses((status = 201, body = ResourceView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(form): ApiJson<NewResource>,
) -> Result<(StatusCode, Json<ResourceView>), ApiError> {
    created(lang, s.app.register_resource(&actor, form).await)
}

/// A resource: its entry, its data, what the caller may do, and the
/// subscriptions the caller may see (all of them for the owner's staff).
#[utoipa::path(get, path = "/api/v1/sharing/resources/{id}", tag = "sharing", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = ResourceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn resource(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ResourceView>, ApiError> {
    answer(lang, s.app.sharing_resource(&actor, id).await)
}

/// Change a resource's entry, as its owner; a field a live subscription
/// reads cannot be dropped.
#[utoipa::path(put, path = "/api/v1/sharing/resources/{id}", tag = "sharing", params(("id" = i64, Path)), request_body = ResourceSpec, security(("bearer" = [])),
    responses((status = 200, body = ResourceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(spec): ApiJson<ResourceSpec>,
) -> Result<Json<ResourceView>, ApiError> {
    answer(lang, s.app.change_resource(&actor, id, spec).await)
}

/// Publish a resource's rows, replacing those before: a JSON array of
/// objects, or CSV with a header of field names (or their descriptions).
/// Every row or none: faults in `fields` as `line N field` (CSV) or
/// `row N field` (JSON).
#[utoipa::path(post, path = "/api/v1/sharing/resources/{id}/rows", tag = "sharing", params(("id" = i64, Path)), security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv", description = "CSV with a header line, or a JSON array"),
    responses((status = 200, body = PublishedRows), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish_rows(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> Result<Json<PublishedRows>, ApiError> {
    answer(lang, s.app.publish_rows(&actor, id, &body).await)
}

/// Subscribe a department (申请订阅) to some of a resource's fields, with
/// the purpose and, for a conditional resource, the basis: approved at once
/// when shared unconditionally, waiting for the owner when on conditions,
/// refused (409 `resource_not_shared`) when not shared.
#[utoipa::path(post, path = "/api/v1/sharing/resources/{id}/subscriptions", tag = "sharing", params(("id" = i64, Path)), request_body = SubscribeForm, security(("bearer" = [])),
    responses((status = 201, body = SubscriptionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn subscribe(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(form): ApiJson<SubscribeForm>,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    created(lang, s.app.subscribe(&actor, id, form).await)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueQuery {
    /// `owned` (the approvals queue of the caller's departments' resources,
    /// waiting ones first) or `subscribed` (the caller's departments' own).
    pub queue: Queue,
}

/// Subscriptions: the owner's approvals queue, or the subscriber's own.
#[utoipa::path(get, path = "/api/v1/sharing/subscriptions", tag = "sharing", params(QueueQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<SubscriptionView>), (status = 403, body = ErrorBody)))]
pub async fn subscriptions(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<Json<Vec<SubscriptionView>>, ApiError> {
    answer(lang, s.app.subscriptions(&actor, q.queue).await)
}

/// A subscription with its keys (never their secrets), for either side.
#[utoipa::path(get, path = "/api/v1/sharing/subscriptions/{id}", tag = "sharing", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = SubscriptionView), (status = 404, body = ErrorBody)))]
pub async fn subscription(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SubscriptionView>, ApiError> {
    answer(lang, s.app.subscription(&actor, id).await)
}

/// `{"command": "approve"}`, `{"command": "refuse", "reason": "…"}` (the
/// owner's, on a waiting subscription) or `{"command": "revoke", "reason":
/// "…"}` (either side's, on an approved one). What the caller may give now
/// is the view's `commands`.
#[utoipa::path(post, path = "/api/v1/sharing/subscriptions/{id}/commands", tag = "sharing", params(("id" = i64, Path)), request_body = SubscriptionCommand, security(("bearer" = [])),
    responses((status = 200, body = SubscriptionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn command(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(command): ApiJson<SubscriptionCommand>,
) -> Result<Json<SubscriptionView>, ApiError> {
    answer(lang, s.app.subscription_command(&actor, id, command).await)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct KeyForm {
    /// What the key is for (the system that will use it).
    pub name: String,
}

/// Issue an access key for an approved subscription, as the subscriber:
/// the secret is in this answer only, kept as its hash.
#[utoipa::path(post, path = "/api/v1/sharing/subscriptions/{id}/keys", tag = "sharing", params(("id" = i64, Path)), request_body = KeyForm, security(("bearer" = [])),
    responses((status = 201, body = IssuedKey), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue_key(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(form): ApiJson<KeyForm>,
) -> Result<(StatusCode, Json<IssuedKey>), ApiError> {
    created(lang, s.app.issue_sharing_key(&actor, id, &form.name).await)
}

/// Revoke an access key, as the owner or the subscriber.
#[utoipa::path(post, path = "/api/v1/sharing/keys/{id}/revocation", tag = "sharing", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = SubscriptionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke_key(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SubscriptionView>, ApiError> {
    answer(lang, s.app.revoke_sharing_key(&actor, id).await)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct BeforeQuery {
    /// Reads older than this one (the page's last id).
    #[serde(default)]
    pub before: Option<i64>,
}

/// Every read through the subscription's keys, refused ones too: when,
/// which key, from where, how many rows; for the owner and the subscriber.
#[utoipa::path(get, path = "/api/v1/sharing/subscriptions/{id}/reads", tag = "sharing", params(("id" = i64, Path), BeforeQuery), security(("bearer" = [])),
    responses((status = 200, body = ReadLog), (status = 404, body = ErrorBody)))]
pub async fn reads(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<BeforeQuery>,
) -> Result<Json<ReadLog>, ApiError> {
    answer(lang, s.app.sharing_reads(&actor, id, q.before).await)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    #[serde(default)]
    pub offset: i64,
    /// At most 1000; 100 if left out.
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Read a resource's rows with an access key in the `Sharing-Key` header:
/// each row with the subscribed fields only. Every read is logged, refused
/// ones too (a revoked key, a subscription no longer approved).
#[utoipa::path(get, path = "/api/v1/sharing/data/{id}", tag = "sharing", params(("id" = i64, Path), PageQuery,
        ("Sharing-Key" = String, Header, description = "The access key's secret")),
    responses((status = 200, body = DataPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn data(
    State(s): State<AppState>,
    lang: Lang,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<DataPage>, ApiError> {
    let secret = headers
        .get(KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let read = KeyRead {
        secret,
        resource_id: id,
        offset: q.offset,
        limit: q.limit.unwrap_or(100),
        client: client.to_string(),
    };
    answer(lang, s.app.read_with_key(read).await)
}

/// Set up enterprise basic information, as a root administrator: the
/// owning department and the department that submits each feed.
#[utoipa::path(put, path = "/api/v1/sharing/enterprise-setup", tag = "sharing", request_body = EnterpriseSetup, security(("bearer" = [])),
    responses((status = 200, body = ResourceView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn setup(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(form): ApiJson<EnterpriseSetup>,
) -> Result<Json<ResourceView>, ApiError> {
    answer(lang, s.app.setup_enterprise_sharing(&actor, form).await)
}

/// Submit a feed (`registration`, `tax` or `quality`) as its department:
/// JSON or CSV rows keyed by `credit_code`, every row checked before any
/// is taken; each enterprise's record is assembled again at once, and the
/// answer names those whose feeds now disagree.
#[utoipa::path(post, path = "/api/v1/sharing/enterprise-feeds/{feed}", tag = "sharing", params(("feed" = String, Path)), security(("bearer" = [])),
    request_body(content = String, content_type = "application/json", description = "A JSON array of rows, or CSV with a header line"),
    responses((status = 200, body = FeedReport), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn feed(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(feed): ApiPath<String>,
    body: Bytes,
) -> Result<Json<FeedReport>, ApiError> {
    answer(
        lang,
        s.app.submit_enterprise_feed(&actor, &feed, &body).await,
    )
}

/// The enterprises whose feeds disagree, each conflict with every feed's
/// value and whether the caller may resolve it.
#[utoipa::path(get, path = "/api/v1/sharing/enterprise-conflicts", tag = "sharing", security(("bearer" = [])),
    responses((status = 200, body = Vec<EnterpriseView>), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn conflicts(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<EnterpriseView>>, ApiError> {
    answer(lang, s.app.enterprise_conflicts(&actor).await)
}

/// One enterprise's record, for the owner's and the feeding departments' staff.
#[utoipa::path(get, path = "/api/v1/sharing/enterprises/{credit_code}", tag = "sharing", params(("credit_code" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = EnterpriseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn enterprise(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<EnterpriseView>, ApiError> {
    answer(lang, s.app.enterprise_record(&actor, &code).await)
}

/// Resolve a conflict by choosing one feed's value, with the reason; the
/// resolution stands until a feed brings a value it did not choose among.
#[utoipa::path(post, path = "/api/v1/sharing/enterprises/{credit_code}/resolutions", tag = "sharing", params(("credit_code" = String, Path)), request_body = ResolveForm, security(("bearer" = [])),
    responses((status = 200, body = EnterpriseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resolve(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(code): ApiPath<String>,
    ApiJson(form): ApiJson<ResolveForm>,
) -> Result<Json<EnterpriseView>, ApiError> {
    answer(
        lang,
        s.app.resolve_enterprise_conflict(&actor, &code, form).await,
    )
}

/// The values an enterprise's application form for the item takes from its
/// own basic information (name, credit code, address, legal representative
/// …), by the form's field keys; empty for anyone but an enterprise bound
/// to its credit code.
#[utoipa::path(get, path = "/api/v1/me/prefill/{item_id}", tag = "sharing", params(("item_id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = Prefill), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn prefill(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(item_id): ApiPath<i64>,
) -> Result<Json<Prefill>, ApiError> {
    answer(lang, s.app.enterprise_prefill(&actor, item_id).await)
}
