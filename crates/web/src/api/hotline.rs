//! `/api/v1/hotline`: the 96345 hotline for operators, units and citizens —
//! taking requests, the lifecycle commands, merging, inboxes, the
//! categories and their dispatch catalogue, and the Open311 clients' keys.
//! Other systems use the standard interface at `/open311/v2` instead.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_app::hotline::{iso, NewRequest, Source};
use sunshine_domain::hotline::Command;
use sunshine_domain::identity::UserKind;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::refusal::Refusal;
use sunshine_store::hotline::{CategoryRow, KeyRow, TicketRow, UpdateRow};
use utoipa::{IntoParams, ToSchema};

use crate::api::account::PurposeQuery;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;
use sunshine_domain::access::ReadPurpose;

/// A request (工单) as the staff who handle it, and its requester, see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketView {
    pub id: i64,
    /// The number told to the caller, e.g. `96345-2026-0000042`.
    pub number: String,
    /// The query code told to the caller with the number: with both, a
    /// citizen adds a request taken by phone, kiosk or TV to their account.
    pub query_code: Option<String>,
    pub category: String,
    /// `phone`, `web`, `kiosk`, `tv` or `open311`.
    pub channel: String,
    pub state: String,
    pub state_name: String,
    pub description: String,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address: Option<String>,
    pub region: String,
    pub caller_name: Option<String>,
    pub caller_phone: Option<String>,
    pub lead_unit: Option<String>,
    pub assisting_units: Vec<String>,
    pub answer: Option<String>,
    pub merged_into: Option<i64>,
    /// The moment the running limit ends (dispatch, signature or answer).
    pub next_deadline: Option<String>,
    pub overdue: bool,
    pub answer_due: Option<String>,
    pub urges: u32,
    /// Urged twice or more: gone to the unit's head (督办).
    pub escalated: bool,
    pub redos: u32,
    pub redispatches: u32,
    pub satisfied: Option<bool>,
    pub attributes: BTreeMap<String, Vec<String>>,
    pub requested_at: String,
    pub updated_at: String,
}

pub fn ticket_view(t: TicketRow, now: jiff::Timestamp) -> TicketView {
    let l = &t.lifecycle;
    TicketView {
        number: sunshine_domain::hotline::ticket_number(
            sunshine_domain::clock::from_micros(t.requested_at),
            t.id,
        ),
        id: t.id,
        query_code: Some(t.query_code).filter(|c| !c.is_empty()),
        channel: t.channel.as_str().into(),
        state: l.state.as_str().into(),
        state_name: l.state.label_zh().into(),
        lead_unit: l.lead.as_ref().map(|o| o.to_string()),
        assisting_units: l.assisting.iter().map(|o| o.to_string()).collect(),
        next_deadline: l.next_deadline().map(iso),
        overdue: l.is_overdue(now),
        answer_due: l.answer_due.map(|d| d.to_string()),
        urges: l.urges,
        escalated: sunshine_domain::hotline::escalated(l.urges),
        redos: l.redos,
        redispatches: l.redispatches,
        satisfied: l.satisfied,
        requested_at: iso(t.requested_at),
        updated_at: iso(t.updated_at),
        category: t.category,
        description: t.description,
        lat: t.lat,
        long: t.lon,
        address: t.address,
        region: t.region,
        caller_name: t.caller_name,
        caller_phone: t.caller_phone,
        answer: t.answer,
        merged_into: t.merged_into,
        attributes: t.answers,
    }
}

/// One step of a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpdateView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub event: String,
    pub state: String,
    pub text: String,
    /// Whether the public sees it (Open311 status notes).
    pub public: bool,
}

pub fn update_view(u: UpdateRow) -> UpdateView {
    UpdateView {
        id: u.id,
        at: iso(u.at),
        actor: u.actor,
        event: u.event,
        state: u.state.as_str().into(),
        text: u.text,
        public: u.public,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetail {
    pub ticket: TicketView,
    pub updates: Vec<UpdateView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TakenView {
    pub ticket: TicketView,
    /// Open requests that look like this one, offered for merging.
    pub alike: Vec<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewRequestBody {
    /// The category's code (an Open311 service code).
    pub category: String,
    #[serde(default)]
    pub description: String,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address: Option<String>,
    /// The district's region code, e.g. `330106`.
    pub district: Option<String>,
    pub caller_name: Option<String>,
    pub caller_phone: Option<String>,
    pub email: Option<String>,
    /// Answers to the category's questions, by attribute code.
    #[serde(default)]
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// Take a request: an operator on a call (channel `phone`) or a citizen or
/// an enterprise signed in (channel `web`).
#[utoipa::path(post, path = "/api/v1/hotline/requests", tag = "hotline", request_body = NewRequestBody, security(("bearer" = [])),
    responses((status = 201, body = TakenView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn take(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<NewRequestBody>,
) -> Result<(StatusCode, Json<TakenView>), ApiError> {
    let source = match actor.kind {
        UserKind::Staff => Source::Operator(actor),
        UserKind::Citizen | UserKind::Enterprise => Source::Citizen(actor),
    };
    let request = NewRequest {
        category: b.category,
        description: b.description,
        lat: b.lat,
        lon: b.long,
        address: b.address,
        district: b.district,
        caller_name: b.caller_name,
        caller_phone: b.caller_phone,
        email: b.email,
        answers: b.attributes,
        ..NewRequest::default()
    };
    let taken = s
        .app
        .take_request(source, request)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let now = s.app.clock.now();
    Ok((
        StatusCode::CREATED,
        Json(TakenView {
            ticket: ticket_view(taken.ticket, now),
            alike: taken.alike,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ClaimBody {
    /// The request's number, e.g. `96345-2026-0000042`.
    pub number: String,
    /// The query code the caller was told.
    pub query_code: String,
}

/// Add a request taken by phone, at a kiosk or on TV to the signed-in
/// citizen's or enterprise's account (it then shows among their requests),
/// proved by its number and query code. A wrong pair, or a request already
/// on another account, is 404 alike.
#[utoipa::path(post, path = "/api/v1/hotline/requests/claim", tag = "hotline", request_body = ClaimBody, security(("bearer" = [])),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn claim(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<ClaimBody>,
) -> Result<Json<TicketView>, ApiError> {
    let t = s
        .app
        .claim_ticket(&actor, &b.number, &b.query_code)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(ticket_view(t, s.app.clock.now())))
}

/// A request with its steps: for operators, the unit it is sent to, and
/// its requester (who sees only the public steps).
#[utoipa::path(get, path = "/api/v1/hotline/requests/{id}", tag = "hotline", params(("id" = i64, Path), PurposeQuery), security(("bearer" = [])),
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PurposeQuery>,
) -> Result<Json<TicketDetail>, ApiError> {
    let purpose = q
        .purpose
        .is_some()
        .then(|| q.or(ReadPurpose::HandleTicket, lang))
        .transpose()?;
    let (t, updates) = s
        .app
        .read_ticket(&actor, id, purpose)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(TicketDetail {
        ticket: ticket_view(t, s.app.clock.now()),
        updates: updates.into_iter().map(update_view).collect(),
    }))
}

/// A lifecycle command. Fields by command: `answer_directly` (answer),
/// `dispatch` (lead, assisting), `sign`, `return` (reason), `review_return`
/// (approve, note), `request_extension` (days, reason), `review_extension`
/// (approve, note), `answer` (text), `review_answer` (approve, note),
/// `visit` (satisfied, comment), `urge` (note).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TicketCommandBody {
    pub command: String,
    pub lead: Option<String>,
    #[serde(default)]
    pub assisting: Vec<String>,
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub comment: String,
    pub approve: Option<bool>,
    pub satisfied: Option<bool>,
    pub days: Option<u32>,
}

/// A command by its name, as forms and the API send it.
pub fn parse_command(b: TicketCommandBody) -> Result<Command, Refusal> {
    let need_bool = |v: Option<bool>, field: &str| {
        v.ok_or_else(|| {
            Refusal::field(field, "请选择是或否", format!("Say {field}: true or false"))
        })
    };
    let unit = |s: &str, field: &str| {
        OrgCode::parse(s)
            .map_err(|_| Refusal::field(field, "单位代码不正确", format!("Not a unit code: {s}")))
    };
    Ok(match b.command.as_str() {
        "answer_directly" => Command::AnswerDirectly { answer: b.answer },
        "dispatch" => {
            let lead = b
                .lead
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| Refusal::field("lead", "请选择主办单位", "Name the lead unit"))?;
            Command::Dispatch {
                lead: unit(lead, "lead")?,
                assisting: b
                    .assisting
                    .iter()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| unit(s, "assisting"))
                    .collect::<Result<_, _>>()?,
            }
        }
        "sign" => Command::Sign,
        "return" => Command::Return { reason: b.reason },
        "review_return" => Command::ReviewReturn {
            approve: need_bool(b.approve, "approve")?,
            note: b.note,
        },
        "request_extension" => Command::RequestExtension {
            days: b.days.ok_or_else(|| {
                Refusal::field("days", "请填写延期天数", "Say how many working days")
            })?,
            reason: b.reason,
        },
        "review_extension" => Command::ReviewExtension {
            approve: need_bool(b.approve, "approve")?,
            note: b.note,
        },
        "answer" => Command::Answer { text: b.text },
        "review_answer" => Command::ReviewAnswer {
            approve: need_bool(b.approve, "approve")?,
            note: b.note,
        },
        "visit" => Command::Visit {
            satisfied: need_bool(b.satisfied, "satisfied")?,
            comment: b.comment,
        },
        "urge" => Command::Urge { note: b.note },
        other => {
            return Err(Refusal::field(
                "command",
                "没有这个操作",
                format!("No such command: {other}"),
            ))
        }
    })
}

#[utoipa::path(post, path = "/api/v1/hotline/requests/{id}/commands", tag = "hotline", params(("id" = i64, Path)), request_body = TicketCommandBody, security(("bearer" = [])),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn command(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TicketCommandBody>,
) -> Result<Json<TicketView>, ApiError> {
    let command = parse_command(b).map_err(|e| ApiError::from_refusal(&e, lang))?;
    let t = s
        .app
        .ticket_command(&actor, id, command)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(ticket_view(t, s.app.clock.now())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeBody {
    /// The earlier open request this one joins.
    pub into: i64,
}

/// Merge a request into an earlier open one like it (operators).
#[utoipa::path(post, path = "/api/v1/hotline/requests/{id}/merge", tag = "hotline", params(("id" = i64, Path)), request_body = MergeBody, security(("bearer" = [])),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MergeBody>,
) -> Result<Json<TicketView>, ApiError> {
    let t = s
        .app
        .merge_ticket(&actor, id, b.into)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(ticket_view(t, s.app.clock.now())))
}

fn list_view(
    s: &AppState,
    list: sunshine_app::Result<Vec<TicketRow>>,
    lang: Lang,
) -> Result<Json<Vec<TicketView>>, ApiError> {
    let list = list.map_err(|e| ApiError::from_app(e, lang))?;
    let now = s.app.clock.now();
    Ok(Json(
        list.into_iter().map(|t| ticket_view(t, now)).collect(),
    ))
}

/// A unit's inbox: what is sent to the units the caller handles for, earliest deadline first.
#[utoipa::path(get, path = "/api/v1/hotline/inbox", tag = "hotline", security(("bearer" = [])),
    responses((status = 200, body = [TicketView]), (status = 403, body = ErrorBody)))]
pub async fn inbox(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<TicketView>>, ApiError> {
    list_view(&s, s.app.unit_inbox(&actor).await, lang)
}

/// The caller's own requests, newest first.
#[utoipa::path(get, path = "/api/v1/hotline/mine", tag = "hotline", security(("bearer" = [])),
    responses((status = 200, body = [TicketView])))]
pub async fn mine(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<TicketView>>, ApiError> {
    list_view(&s, s.app.my_tickets(&actor).await, lang)
}

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

fn yes() -> bool {
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

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    pub id: i64,
    pub client: String,
    /// POSTs a minute it may make.
    pub per_minute: i64,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// Whether it may comment on requests other clients filed.
    pub may_comment_on_all: bool,
}

pub fn key_view(k: KeyRow) -> KeyView {
    KeyView {
        may_comment_on_all: k.may_comment_on_all,
        id: k.id,
        client: k.client,
        per_minute: k.per_minute,
        created_at: iso(k.created_at),
        revoked_at: k.revoked_at.map(iso),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewKeyBody {
    pub client: String,
    /// POSTs a minute; 600 when left out.
    pub per_minute: Option<i64>,
    /// May it comment on requests other clients filed? No when left out.
    #[serde(default)]
    pub may_comment_on_all: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedKey {
    #[serde(flatten)]
    pub key: KeyView,
    /// The key itself: shown only now, kept only as its hash.
    pub api_key: String,
}

/// Issue an Open311 client's key (administrators of the city).
#[utoipa::path(post, path = "/api/v1/hotline/keys", tag = "hotline", request_body = NewKeyBody, security(("bearer" = [])),
    responses((status = 201, body = IssuedKey), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue_key(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<NewKeyBody>,
) -> Result<(StatusCode, Json<IssuedKey>), ApiError> {
    let (row, api_key) = s
        .app
        .issue_open311_key(
            Some(&actor),
            &b.client,
            b.per_minute
                .unwrap_or(sunshine_app::hotline::DEFAULT_PER_MINUTE),
            b.may_comment_on_all,
        )
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedKey {
            key: key_view(row),
            api_key,
        }),
    ))
}

/// The keys issued, live and revoked (administrators of the city).
#[utoipa::path(get, path = "/api/v1/hotline/keys", tag = "hotline", security(("bearer" = [])),
    responses((status = 200, body = [KeyView]), (status = 403, body = ErrorBody)))]
pub async fn keys(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<KeyView>>, ApiError> {
    let list = s
        .app
        .open311_keys(Some(&actor))
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(list.into_iter().map(key_view).collect()))
}

/// Revoke a key (administrators of the city).
#[utoipa::path(delete, path = "/api/v1/hotline/keys/{id}", tag = "hotline", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_key(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.app
        .revoke_open311_key(Some(&actor), id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The operator's queue: what waits on the hotline (to dispatch, returns,
/// extensions and answers to review, visits to make), earliest deadline first.
#[utoipa::path(get, path = "/api/v1/hotline/queue", tag = "hotline", security(("bearer" = [])),
    responses((status = 200, body = [TicketView]), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<TicketView>>, ApiError> {
    list_view(&s, s.app.hotline_queue(&actor).await, lang)
}

/// One group's indicators.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorsView {
    /// The unit's, district's or category's code (empty for all).
    pub code: String,
    pub name: String,
    pub taken: u64,
    pub signed: u64,
    pub signed_in_time: u64,
    pub closed: u64,
    pub visits: u64,
    pub satisfied: u64,
    pub overdue: u64,
    /// 响应率: signed for within the limit, of those signed for.
    pub response_rate: Option<f64>,
    /// 解决率: closed, of those taken.
    pub resolution_rate: Option<f64>,
    /// 满意率: satisfied, of those visited.
    pub satisfaction_rate: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorTableView {
    pub from: String,
    pub until: String,
    pub all: IndicatorsView,
    pub by_unit: Vec<IndicatorsView>,
    pub by_district: Vec<IndicatorsView>,
    pub by_category: Vec<IndicatorsView>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct IndicatorQuery {
    /// First day (YYYY-MM-DD); 30 days before `until` when left out; at most 366 days before it.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD); today when left out.
    pub until: Option<String>,
}

fn indicators_view(
    code: &str,
    name: String,
    i: &sunshine_domain::hotline::Indicators,
) -> IndicatorsView {
    IndicatorsView {
        code: code.to_string(),
        name,
        taken: i.taken,
        signed: i.signed,
        signed_in_time: i.signed_in_time,
        closed: i.closed,
        visits: i.visits,
        satisfied: i.satisfied,
        overdue: i.overdue,
        response_rate: i.response_rate(),
        resolution_rate: i.resolution_rate(),
        satisfaction_rate: i.satisfaction_rate(),
    }
}

fn day(field: &str, v: &Option<String>) -> Result<Option<jiff::civil::Date>, Refusal> {
    v.as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim().parse::<jiff::civil::Date>().map_err(|_| {
                Refusal::field(field, "日期格式应为 YYYY-MM-DD", "A date is YYYY-MM-DD")
            })
        })
        .transpose()
}

/// The hotline's indicators (三率 and overdue counts) over a span of days,
/// in all and per unit, district and category. Public: no request or
/// person is named.
#[utoipa::path(get, path = "/api/v1/hotline/indicators", tag = "hotline", params(IndicatorQuery),
    responses((status = 200, body = IndicatorTableView), (status = 422, body = ErrorBody)))]
pub async fn indicators(
    State(s): State<AppState>,
    lang: Lang,
    ApiQuery(q): ApiQuery<IndicatorQuery>,
) -> Result<Json<IndicatorTableView>, ApiError> {
    indicators_of(&s, &q, lang)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

/// The longest span of days the indicators are counted over in one request.
pub const MAX_INDICATOR_DAYS: i32 = 366;

/// The indicators table for the API and the dashboard page.
pub async fn indicators_of(
    s: &AppState,
    q: &IndicatorQuery,
    lang: Lang,
) -> sunshine_app::Result<IndicatorTableView> {
    let until = day("until", &q.until)?
        .unwrap_or_else(|| sunshine_domain::clock::local_date(s.app.clock.now()));
    let from =
        day("from", &q.from)?.unwrap_or_else(|| until.saturating_sub(jiff::Span::new().days(30)));
    if from > until {
        return Err(Refusal::field("from", "开始日期晚于结束日期", "from is after until").into());
    }
    // The table is counted from every request in the span: a public caller
    // may not make it read all of history at once.
    if until
        .since(from)
        .map_or(true, |span| span.get_days() > MAX_INDICATOR_DAYS)
    {
        return Err(Refusal::field(
            "from",
            format!("统计区间最长{MAX_INDICATOR_DAYS}天"),
            format!("The span is at most {MAX_INDICATOR_DAYS} days"),
        )
        .into());
    }
    let table = s
        .app
        .hotline_indicators(
            sunshine_domain::clock::to_micros(sunshine_domain::clock::start_of_local_day(from)),
            sunshine_domain::clock::to_micros(sunshine_domain::clock::end_of_local_day(until)),
        )
        .await?;
    let orgs = s.app.orgs();
    let org_name = |code: &str| {
        orgs.get(code).map_or_else(
            || code.to_string(),
            |o| lang.pick(&o.name, &o.name_en).to_string(),
        )
    };
    let categories: std::collections::BTreeMap<String, CategoryRow> = s
        .app
        .hotline_categories(false)
        .await?
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect();
    let category_name = |code: &str| {
        categories.get(code).map_or_else(
            || code.to_string(),
            |c| lang.pick(&c.name, &c.name_en).to_string(),
        )
    };
    Ok(IndicatorTableView {
        from: from.to_string(),
        until: until.to_string(),
        all: indicators_view("", String::new(), &table.all),
        by_unit: table
            .by_unit
            .iter()
            .map(|(k, v)| indicators_view(k, org_name(k), v))
            .collect(),
        by_district: table
            .by_district
            .iter()
            .map(|(k, v)| indicators_view(k, org_name(k), v))
            .collect(),
        by_category: table
            .by_category
            .iter()
            .map(|(k, v)| indicators_view(k, category_name(k), v))
            .collect(),
    })
}

/// An article of the knowledge base.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleView {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub category: Option<String>,
    pub version: i64,
    pub updated_at: String,
    /// How well it answers the question asked (BM25), in a search.
    pub score: Option<f64>,
}

pub fn article_view(
    a: sunshine_store::hotline::knowledge::ArticleRow,
    score: Option<f64>,
) -> ArticleView {
    ArticleView {
        id: a.id,
        title: a.title,
        body: a.body,
        category: a.category,
        version: a.version,
        updated_at: iso(a.updated_at),
        score,
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct KnowledgeQuery {
    /// The question, in words (Chinese is cut into words, not characters).
    pub q: Option<String>,
    /// At most this many answers (1–50, 10 by default).
    pub limit: Option<usize>,
}

/// Search the knowledge base: articles answering a question, best first.
#[utoipa::path(get, path = "/api/v1/hotline/knowledge", tag = "hotline", params(KnowledgeQuery),
    responses((status = 200, body = [ArticleView])))]
pub async fn search_knowledge(
    State(s): State<AppState>,
    lang: Lang,
    ApiQuery(q): ApiQuery<KnowledgeQuery>,
) -> Result<Json<Vec<ArticleView>>, ApiError> {
    let found = s
        .app
        .search_knowledge(
            q.q.as_deref().unwrap_or(""),
            q.limit.unwrap_or(10).clamp(1, 50),
        )
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(
        found
            .into_iter()
            .map(|(a, score)| article_view(a, Some(score)))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ArticleBody {
    pub title: String,
    pub body: String,
    /// The category (service code) it answers.
    pub category: Option<String>,
}

fn new_article(b: ArticleBody) -> sunshine_app::hotline::NewArticle {
    sunshine_app::hotline::NewArticle {
        title: b.title,
        body: b.body,
        category: b.category,
    }
}

/// Write a new article (operators and administrators of the hotline).
#[utoipa::path(post, path = "/api/v1/hotline/knowledge", tag = "hotline", request_body = ArticleBody, security(("bearer" = [])),
    responses((status = 201, body = ArticleView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_article(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<ArticleBody>,
) -> Result<(StatusCode, Json<ArticleView>), ApiError> {
    let a = s
        .app
        .put_article(&actor, 0, new_article(b))
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(article_view(a, None))))
}

/// One article.
#[utoipa::path(get, path = "/api/v1/hotline/knowledge/{id}", tag = "hotline", params(("id" = i64, Path)),
    responses((status = 200, body = ArticleView), (status = 404, body = ErrorBody)))]
pub async fn get_article(
    State(s): State<AppState>,
    lang: Lang,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ArticleView>, ApiError> {
    let a = s
        .app
        .article(id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(article_view(a, None)))
}

/// Rewrite an article as its next version.
#[utoipa::path(put, path = "/api/v1/hotline/knowledge/{id}", tag = "hotline", params(("id" = i64, Path)), request_body = ArticleBody, security(("bearer" = [])),
    responses((status = 200, body = ArticleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_article(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ArticleBody>,
) -> Result<Json<ArticleView>, ApiError> {
    if id <= 0 {
        return Err(ApiError::from_refusal(
            &Refusal::not_found("知识库条目", "Article"),
            lang,
        ));
    }
    let a = s
        .app
        .put_article(&actor, id, new_article(b))
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(article_view(a, None)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct NearbyQuery {
    /// A home address (placed by the street or community it names)…
    pub address: Option<String>,
    /// …or a point.
    pub lat: Option<f64>,
    pub long: Option<f64>,
    /// `community_service`, `housekeeping` or `elderly_care`; all when left out.
    pub kind: Option<String>,
    /// At most this many (1–50, 10 by default).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NearbyService {
    pub name: String,
    pub kind: String,
    pub kind_name: String,
    pub address: String,
    pub phone: String,
    pub hours: String,
    pub lat: f64,
    pub long: f64,
    /// From the home, in metres.
    pub distance_m: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NearbyView {
    /// The point the services are around.
    pub lat: f64,
    pub long: f64,
    pub services: Vec<NearbyService>,
}

/// The lookup for the API and the page.
pub async fn nearby_of(s: &AppState, q: &NearbyQuery) -> sunshine_app::Result<NearbyView> {
    use sunshine_domain::hotline::community::ServiceKind;
    let kinds: Vec<ServiceKind> = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => vec![],
        Some(k) => vec![ServiceKind::parse(k).ok_or_else(|| {
            Refusal::field(
                "kind",
                "没有这种服务",
                format!("No such kind of service: {k}"),
            )
        })?],
    };
    let point = match (q.lat, q.long) {
        (Some(lat), Some(long)) => Some((lat, long)),
        (None, None) => None,
        _ => {
            return Err(Refusal::field("long", "经纬度须同时提供", "Give both lat and long").into())
        }
    };
    let (at, found) = s
        .app
        .nearby(
            q.address.as_deref(),
            point,
            &kinds,
            q.limit.unwrap_or(10).clamp(1, 50),
        )
        .await?;
    Ok(NearbyView {
        lat: at.0,
        long: at.1,
        services: found
            .into_iter()
            .map(|(sv, d)| NearbyService {
                kind: sv.kind.as_str().into(),
                kind_name: sv.kind.label_zh().into(),
                name: sv.name,
                address: sv.address,
                phone: sv.phone,
                hours: sv.hours,
                lat: sv.lat,
                long: sv.lon,
                distance_m: d.round(),
            })
            .collect(),
    })
}

/// Community services, housekeeping-alliance providers and elderly care
/// around a home address or a point, nearest first (within 5 km).
#[utoipa::path(get, path = "/api/v1/hotline/nearby", tag = "hotline", params(NearbyQuery),
    responses((status = 200, body = NearbyView), (status = 422, body = ErrorBody)))]
pub async fn nearby(
    State(s): State<AppState>,
    lang: Lang,
    ApiQuery(q): ApiQuery<NearbyQuery>,
) -> Result<Json<NearbyView>, ApiError> {
    nearby_of(&s, &q)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct AssistQuery {
    /// The caller's phone number.
    pub phone: Option<String>,
    /// What the caller says.
    pub said: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssistView {
    /// The caller's earlier requests, newest first.
    pub history: Vec<TicketView>,
    /// Categories their words suggest, best first.
    pub categories: Vec<String>,
    /// Answers from the knowledge base, best first.
    pub answers: Vec<ArticleView>,
}

/// Help with a call (operators): the caller's earlier requests by phone,
/// the categories their words suggest, and answers from the knowledge base.
#[utoipa::path(get, path = "/api/v1/hotline/assist", tag = "hotline", params(AssistQuery), security(("bearer" = [])),
    responses((status = 200, body = AssistView), (status = 403, body = ErrorBody)))]
pub async fn assist(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<AssistQuery>,
) -> Result<Json<AssistView>, ApiError> {
    let a = s
        .app
        .assist_call(&actor, q.phone.as_deref(), q.said.as_deref().unwrap_or(""))
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let now = s.app.clock.now();
    Ok(Json(AssistView {
        history: a.history.into_iter().map(|t| ticket_view(t, now)).collect(),
        categories: a.categories,
        answers: a
            .answers
            .into_iter()
            .map(|(x, score)| article_view(x, Some(score)))
            .collect(),
    }))
}
