//! Open311 GeoReport v2 at `/open311/v2`: discovery, services and their
//! definitions, posting and reading service requests, tokens, and
//! mySociety's `servicerequestupdates`, each as `.xml` (mandatory) or
//! `.json`. Errors are the standard's: `<errors><error><code/><description/>`
//! or `[{"code", "description"}]`, with 400, 403 or 404.
//!
//! Every answer is built once as a [`Node`] tree and written in either
//! format, so the two can never say different things.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use jiff::Timestamp;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use sunshine_app::hotline::{iso, NewRequest, Source};
use sunshine_app::AppError;
use sunshine_domain::clock::to_micros;
use sunshine_domain::hotline::open311::{public_place, public_text, states_for_status, status};
use sunshine_domain::hotline::{TicketState, MAX_DESCRIPTION};
use sunshine_store::hotline::{CategoryRow, KeyRow, TicketFilter, TicketRow, UpdateRow};

use crate::AppState;

/// The one jurisdiction this endpoint serves.
pub const JURISDICTION: &str = "hangzhou.gov.cn";
/// The most requests one answer lists.
const MAX_PAGE: i64 = 1000;
/// With no dates, a list covers this many days back.
const DEFAULT_DAYS: i64 = 90;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(top).post(post_top))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
}

/// The two formats of the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

/// `requests.json` → ("requests", Json). An unknown format is an error,
/// written in XML, the format every client must read.
fn split(file: &str) -> Result<(&str, Format), Open311Error> {
    let (name, ext) = file.rsplit_once('.').ok_or_else(|| {
        Open311Error::new(
            Format::Xml,
            StatusCode::NOT_FOUND,
            "the format (.xml or .json) is missing",
        )
    })?;
    let format = match ext {
        "xml" => Format::Xml,
        "json" => Format::Json,
        other => {
            return Err(Open311Error::new(
                Format::Xml,
                StatusCode::NOT_FOUND,
                format!("format {other} is not offered: use .xml or .json"),
            ))
        }
    };
    Ok((name, format))
}

/// An answer in either format.
#[derive(Debug, Clone)]
pub enum Node {
    Text(String),
    /// An absent value: `null` in JSON, an empty element in XML.
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Object(Vec<(&'static str, Node)>),
    /// A list and the XML element of each of its items.
    List(&'static str, Vec<Node>),
}

fn text(s: impl Into<String>) -> Node {
    Node::Text(s.into())
}

fn opt(s: Option<impl Into<String>>) -> Node {
    s.map_or(Node::Null, |s| Node::Text(s.into()))
}

impl Node {
    fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Text(s) => Value::String(s.clone()),
            Node::Null => Value::Null,
            Node::Int(i) => Value::from(*i),
            Node::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Node::Bool(b) => Value::Bool(*b),
            Node::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), v.to_json()))
                    .collect(),
            ),
            Node::List(_, items) => Value::Array(items.iter().map(Node::to_json).collect()),
        }
    }

    fn write_xml(&self, w: &mut Writer<Vec<u8>>, tag: &str) -> std::io::Result<()> {
        match self {
            Node::Null => {
                w.write_event(Event::Empty(BytesStart::new(tag)))?;
                return Ok(());
            }
            _ => w.write_event(Event::Start(BytesStart::new(tag)))?,
        }
        match self {
            Node::Text(s) => w.write_event(Event::Text(BytesText::new(s)))?,
            Node::Int(i) => w.write_event(Event::Text(BytesText::new(&i.to_string())))?,
            Node::Float(f) => w.write_event(Event::Text(BytesText::new(&f.to_string())))?,
            Node::Bool(b) => w.write_event(Event::Text(BytesText::new(if *b {
                "true"
            } else {
                "false"
            })))?,
            Node::Object(fields) => {
                for (k, v) in fields {
                    v.write_xml(w, k)?;
                }
            }
            Node::List(item, items) => {
                for v in items {
                    v.write_xml(w, item)?;
                }
            }
            Node::Null => {}
        }
        w.write_event(Event::End(BytesEnd::new(tag)))
    }
}

/// Write `node` as the answer, with `root` as the XML document element.
fn respond(format: Format, status: StatusCode, root: &str, node: &Node) -> Response {
    match format {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            node.to_json().to_string(),
        )
            .into_response(),
        Format::Xml => {
            let mut w = Writer::new(Vec::new());
            let written = w
                .write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
                .and_then(|()| node.write_xml(&mut w, root));
            match written {
                Ok(()) => (
                    status,
                    [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                    w.into_inner(),
                )
                    .into_response(),
                Err(e) => {
                    tracing::error!(error = %e, "writing an Open311 answer");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
            }
        }
    }
}

/// The standard's error answer.
#[derive(Debug)]
pub struct Open311Error {
    format: Format,
    status: StatusCode,
    description: String,
    /// Seconds to wait, for a client over its rate.
    retry_after: Option<i64>,
}

impl Open311Error {
    fn new(format: Format, status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error {
            format,
            status,
            description: description.into(),
            retry_after: None,
        }
    }

    /// An app error in the standard's codes: what the input caused is 400,
    /// what is not there 404, what the key may not do 403.
    fn from_app(format: Format, e: AppError) -> Self {
        match e {
            AppError::Refused(r) => {
                let status = match r.kind {
                    sunshine_domain::refusal::RefusalKind::NotFound => StatusCode::NOT_FOUND,
                    sunshine_domain::refusal::RefusalKind::Forbidden
                    | sunshine_domain::refusal::RefusalKind::Unauthenticated => {
                        StatusCode::FORBIDDEN
                    }
                    _ => StatusCode::BAD_REQUEST,
                };
                let mut description = r.message.en.clone();
                if !r.fields.is_empty() {
                    let faults: Vec<String> = r
                        .fields
                        .iter()
                        .map(|(f, t)| format!("{f}: {}", t.en))
                        .collect();
                    description = faults.join("; ");
                }
                Open311Error::new(format, status, description)
            }
            AppError::Internal(cause) => {
                tracing::error!(error = %cause, "Open311 request failed");
                Open311Error::new(format, StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let code = i64::from(self.status.as_u16());
        let node = Node::List(
            "error",
            vec![Node::Object(vec![
                ("code", Node::Int(code)),
                ("description", text(self.description)),
            ])],
        );
        let mut response = respond(self.format, self.status, "errors", &node);
        if let Some(seconds) = self.retry_after {
            if let Ok(v) = header::HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

type Answer = Result<Response, Open311Error>;

/// The parameters of a query or a form, repeated keys kept in order; an
/// empty value is the same as none.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: &[u8]) -> Params {
        Params(
            form_urlencoded::parse(raw)
                .map(|(k, v)| (k.into_owned(), v.trim().to_string()))
                .filter(|(_, v)| !v.is_empty())
                .collect(),
        )
    }
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    fn owned(&self, key: &str) -> Option<String> {
        self.get(key).map(str::to_string)
    }
    /// `attribute[CODE]=v` pairs, several values per code for a multivaluelist
    /// (also written `attribute[CODE][]`).
    fn attributes(&self) -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in &self.0 {
            let Some(rest) = k.strip_prefix("attribute[") else {
                continue;
            };
            let code = rest.trim_end_matches("[]").trim_end_matches(']');
            m.entry(code.to_string()).or_default().push(v.clone());
        }
        m
    }
}

/// A jurisdiction other than ours is not found; none is ours.
fn check_jurisdiction(format: Format, p: &Params) -> Result<(), Open311Error> {
    match p.get("jurisdiction_id") {
        Some(j) if j != JURISDICTION => Err(Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("jurisdiction_id {j} not found"),
        )),
        _ => Ok(()),
    }
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/open311/v2/")
}

async fn top(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let (name, format) = split(&file)?;
    let p = Params::parse(query.unwrap_or_default().as_bytes());
    check_jurisdiction(format, &p)?;
    match name {
        "discovery" => Ok(discovery(format, &headers)),
        "services" => services(&state, format).await,
        "requests" => list_requests(&state, format, &p).await,
        "servicerequestupdates" => list_updates(&state, format, &p).await,
        _ => Err(Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("no resource {name}"),
        )),
    }
}

async fn post_top(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (name, format) = split(&file)?;
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(Open311Error::new(
            format,
            StatusCode::BAD_REQUEST,
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    // A key in the query string counts as well as one in the form.
    let mut p = Params::parse(&body);
    p.0.extend(Params::parse(query.unwrap_or_default().as_bytes()).0);
    check_jurisdiction(format, &p)?;
    let client = client(&state, format, &p).await?;
    match name {
        "requests" => post_request(&state, format, &p, client.client).await,
        "servicerequestupdates" => post_update(&state, format, &p, client).await,
        _ => Err(Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("no resource {name} takes a POST"),
        )),
    }
}

/// Each key's count of POSTs in the current minute, in this process.
static WINDOWS: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<i64, (i64, i64)>>> =
    std::sync::LazyLock::new(Default::default);

/// Whether a key has room for one more POST this minute; if not, the
/// seconds until the next minute begins.
fn admit(key: &KeyRow, now: Timestamp) -> Result<(), i64> {
    let second = now.as_second();
    let minute = second.div_euclid(60);
    let mut windows = WINDOWS.lock().unwrap_or_else(|p| p.into_inner());
    let window = windows.entry(key.id).or_insert((minute, 0));
    if window.0 != minute {
        *window = (minute, 0);
    }
    if window.1 >= key.per_minute {
        return Err(60 - second.rem_euclid(60));
    }
    window.1 += 1;
    Ok(())
}

/// The client system a valid `api_key` belongs to, if its rate allows one
/// more request now.
async fn client(state: &AppState, format: Format, p: &Params) -> Result<KeyRow, Open311Error> {
    let Some(key) = p.get("api_key") else {
        return Err(Open311Error::new(
            format,
            StatusCode::FORBIDDEN,
            "api_key was not provided",
        ));
    };
    match state.app.open311_client(key).await {
        Ok(Some(k)) => match admit(&k, state.app.clock.now()) {
            Ok(()) => Ok(k),
            Err(retry_after) => Err(Open311Error {
                retry_after: Some(retry_after),
                ..Open311Error::new(
                    format,
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("this api_key may make {} requests a minute; please try again in {retry_after} s", k.per_minute),
                )
            }),
        },
        Ok(None) => Err(Open311Error::new(
            format,
            StatusCode::FORBIDDEN,
            "api_key is invalid",
        )),
        Err(e) => Err(Open311Error::from_app(format, e)),
    }
}

fn discovery(format: Format, headers: &HeaderMap) -> Response {
    let changeset = "2026-11-29T00:00:00+08:00";
    let endpoint = Node::Object(vec![
        (
            "specification",
            text("http://wiki.open311.org/GeoReport_v2"),
        ),
        ("url", text(base_url(headers))),
        ("changeset", text(changeset)),
        ("type", text("production")),
        (
            "formats",
            Node::List("format", vec![text("text/xml"), text("application/json")]),
        ),
    ]);
    let node = Node::Object(vec![
        ("changeset", text(changeset)),
        (
            "contact",
            text("96345 杭州市民服务热线 (Hangzhou citizens' service hotline), tel. 96345"),
        ),
        (
            "key_service",
            text("API keys are issued to client systems by the city's administrators"),
        ),
        ("endpoints", Node::List("endpoint", vec![endpoint])),
    ]);
    respond(format, StatusCode::OK, "discovery", &node)
}

fn service_node(c: &CategoryRow) -> Node {
    Node::Object(vec![
        ("service_code", text(&c.code)),
        ("service_name", text(&c.name)),
        ("description", text(&c.description)),
        (
            "metadata",
            Node::Bool(c.attributes.iter().any(|a| a.variable)),
        ),
        ("type", text("realtime")),
        ("keywords", text(c.keywords.join(","))),
        ("group", text(c.class.as_str())),
    ])
}

async fn services(state: &AppState, format: Format) -> Answer {
    let list = state
        .app
        .hotline_categories(true)
        .await
        .map_err(|e| Open311Error::from_app(format, e))?;
    let node = Node::List("service", list.iter().map(service_node).collect());
    Ok(respond(format, StatusCode::OK, "services", &node))
}

async fn service_definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let (code, format) = split(&file)?;
    check_jurisdiction(format, &Params::parse(query.unwrap_or_default().as_bytes()))?;
    let c = state.app.hotline_category(code).await.map_err(|_| {
        Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("service_code {code} not found"),
        )
    })?;
    let attributes = c
        .attributes
        .iter()
        .map(|a| {
            let mut fields = vec![
                ("variable", Node::Bool(a.variable)),
                ("code", text(&a.code)),
                ("datatype", text(a.datatype.as_str())),
                ("required", Node::Bool(a.required)),
                ("datatype_description", text(&a.datatype_description)),
                ("order", Node::Int(i64::from(a.order))),
                ("description", text(&a.description)),
            ];
            if a.datatype.is_list() {
                let values = a
                    .values
                    .iter()
                    .map(|v| Node::Object(vec![("key", text(&v.key)), ("name", text(&v.name))]))
                    .collect();
                fields.push(("values", Node::List("value", values)));
            }
            Node::Object(fields)
        })
        .collect();
    let node = Node::Object(vec![
        ("service_code", text(&c.code)),
        ("attributes", Node::List("attribute", attributes)),
    ]);
    Ok(respond(format, StatusCode::OK, "service_definition", &node))
}

fn bad(format: Format, description: impl Into<String>) -> Open311Error {
    Open311Error::new(format, StatusCode::BAD_REQUEST, description)
}

fn number(format: Format, p: &Params, key: &str) -> Result<Option<f64>, Open311Error> {
    p.get(key)
        .map(|v| {
            v.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| bad(format, format!("{key} is not a number")))
        })
        .transpose()
}

async fn post_request(state: &AppState, format: Format, p: &Params, client: String) -> Answer {
    let Some(service_code) = p.owned("service_code") else {
        return Err(bad(format, "service_code was not provided"));
    };
    let (lat, long) = (number(format, p, "lat")?, number(format, p, "long")?);
    let address = p.owned("address_string").or_else(|| p.owned("address_id"));
    if (lat.is_none() || long.is_none()) && address.is_none() {
        return Err(bad(
            format,
            "a location is required: lat and long, address_string or address_id",
        ));
    }
    let description = p.owned("description").unwrap_or_default();
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(bad(
            format,
            format!("description is longer than {MAX_DESCRIPTION} characters"),
        ));
    }
    let Ok(category) = state.app.hotline_category(&service_code).await else {
        return Err(Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("service_code {service_code} not found"),
        ));
    };
    let name = [p.get("first_name"), p.get("last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let request = NewRequest {
        category: service_code,
        description,
        lat: lat.filter(|_| long.is_some()),
        lon: long.filter(|_| lat.is_some()),
        address,
        district: None,
        caller_name: Some(name).filter(|n| !n.is_empty()),
        caller_phone: p.owned("phone"),
        email: p.owned("email"),
        device_id: p.owned("device_id"),
        account_id: p.owned("account_id"),
        media_url: p.owned("media_url"),
        answers: p.attributes(),
    };
    let taken = state
        .app
        .take_request(Source::Client(client), request)
        .await
        .map_err(|e| Open311Error::from_app(format, e))?;
    let t = &taken.ticket;
    let node = Node::List(
        "request",
        vec![Node::Object(vec![
            ("service_request_id", text(t.id.to_string())),
            ("token", text(&t.token)),
            ("service_notice", text(service_notice(&category))),
            ("account_id", opt(t.account_id.clone())),
        ])],
    );
    Ok(respond(
        format,
        StatusCode::CREATED,
        "service_requests",
        &node,
    ))
}

/// What a requester is told to expect of a category.
fn service_notice(c: &CategoryRow) -> String {
    format!(
        "{} 小时内派单，签收后 {} 个工作日内答复。Dispatched within {} hours, answered within {} working days of the unit's signature.",
        c.limits.dispatch_hours, c.limits.answer_days, c.limits.dispatch_hours, c.limits.answer_days
    )
}

async fn token(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let (token, format) = split(&file)?;
    check_jurisdiction(format, &Params::parse(query.unwrap_or_default().as_bytes()))?;
    let t = state
        .app
        .ticket_by_token(token)
        .await
        .map_err(|_| Open311Error::new(format, StatusCode::NOT_FOUND, "token not found"))?;
    let node = Node::List(
        "request",
        vec![Node::Object(vec![
            ("service_request_id", text(t.id.to_string())),
            ("token", text(token)),
        ])],
    );
    Ok(respond(format, StatusCode::OK, "service_requests", &node))
}

fn parse_time(format: Format, p: &Params, key: &str) -> Result<Option<Timestamp>, Open311Error> {
    p.get(key)
        .map(|v| {
            v.parse::<Timestamp>().map_err(|_| {
                bad(
                    format,
                    format!("{key} is not an ISO 8601 date and time with a zone"),
                )
            })
        })
        .transpose()
}

fn positive(format: Format, p: &Params, key: &str) -> Result<Option<i64>, Open311Error> {
    p.get(key)
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| bad(format, format!("{key} is not a positive whole number")))
        })
        .transpose()
}

async fn list_requests(state: &AppState, format: Format, p: &Params) -> Answer {
    let (page, page_size) = (
        positive(format, p, "page")?.unwrap_or(1),
        positive(format, p, "page_size")?.unwrap_or(MAX_PAGE),
    );
    if page_size > MAX_PAGE {
        return Err(bad(format, format!("page_size is at most {MAX_PAGE}")));
    }
    let mut filter = TicketFilter {
        limit: page_size,
        offset: (page - 1).saturating_mul(page_size),
        ..Default::default()
    };
    if let Some(ids) = p.get("service_request_id") {
        // Ids given override every other filter.
        filter.ids = ids
            .split(',')
            .map(|s| {
                s.trim().parse::<i64>().map_err(|_| {
                    bad(
                        format,
                        format!("service_request_id {s} is not a request id"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
    } else {
        if let Some(codes) = p.get("service_code") {
            filter.categories = codes
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(statuses) = p.get("status") {
            for s in statuses.split(',') {
                let states = states_for_status(s.trim())
                    .ok_or_else(|| bad(format, format!("status {s} is neither open nor closed")))?;
                filter.states.extend(states);
            }
        }
        let (start, end) = (
            parse_time(format, p, "start_date")?,
            parse_time(format, p, "end_date")?,
        );
        let span = jiff::SignedDuration::from_hours(24 * DEFAULT_DAYS);
        let now = state.app.clock.now();
        let (from, until) = match (start, end) {
            (Some(s), Some(e)) => (s, e),
            (Some(s), None) => (s, now),
            (None, Some(e)) => (e.saturating_sub(span).unwrap_or(e), e),
            (None, None) => (now.saturating_sub(span).unwrap_or(now), now),
        };
        if from > until {
            return Err(bad(format, "start_date is after end_date"));
        }
        filter.from = Some(to_micros(from));
        filter.until = Some(to_micros(until));
    }
    let list = state
        .app
        .tickets(&filter)
        .await
        .map_err(|e| Open311Error::from_app(format, e))?;
    let node = requests_node(state, &list)
        .await
        .map_err(|e| Open311Error::from_app(format, e))?;
    Ok(respond(format, StatusCode::OK, "service_requests", &node))
}

async fn one_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let (id, format) = split(&file)?;
    check_jurisdiction(format, &Params::parse(query.unwrap_or_default().as_bytes()))?;
    let not_found = || {
        Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("service_request_id {id} not found"),
        )
    };
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let t = state.app.ticket(id).await.map_err(|_| not_found())?;
    let node = requests_node(&state, std::slice::from_ref(&t))
        .await
        .map_err(|e| Open311Error::from_app(format, e))?;
    Ok(respond(format, StatusCode::OK, "service_requests", &node))
}

/// Requests as the public may see them: never the caller's name, phone,
/// e-mail or account.
async fn requests_node(state: &AppState, list: &[TicketRow]) -> Result<Node, AppError> {
    let categories: BTreeMap<String, CategoryRow> = state
        .app
        .hotline_categories(false)
        .await?
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect();
    let orgs = state.app.orgs();
    let ids: Vec<i64> = list.iter().map(|t| t.id).collect();
    let notes = state.app.ticket_status_notes(&ids).await?;
    let mut items = Vec::with_capacity(list.len());
    for t in list {
        let category = categories.get(&t.category);
        // A category that cannot be found is treated as about a person.
        let place = public_place(
            category.is_none_or(|c| c.personal),
            t.lat,
            t.lon,
            t.address.as_deref(),
        );
        let lead = t.lifecycle.lead.as_ref().map(|u| {
            orgs.get(u.as_str())
                .map_or(u.to_string(), |o| o.name.clone())
        });
        let expected = t.lifecycle.next_deadline().or(t
            .lifecycle
            .answer_due
            .map(sunshine_domain::hotline::answer_deadline));
        let shown_state = if t.state() == TicketState::Merged {
            TicketState::Accepted
        } else {
            t.state()
        };
        items.push(Node::Object(vec![
            ("service_request_id", text(t.id.to_string())),
            ("status", text(status(shown_state))),
            (
                "status_notes",
                opt(notes.get(&t.id).map(|n| public_text(n).into_owned())),
            ),
            ("service_name", opt(category.map(|c| c.name.clone()))),
            ("service_code", text(&t.category)),
            ("description", text(public_text(&t.description))),
            ("agency_responsible", opt(lead)),
            ("service_notice", opt(category.map(service_notice))),
            ("requested_datetime", text(iso(t.requested_at))),
            ("updated_datetime", text(iso(t.updated_at))),
            ("expected_datetime", opt(expected.map(iso))),
            ("address", opt(place.address)),
            ("address_id", Node::Null),
            ("zipcode", Node::Null),
            ("lat", place.lat.map_or(Node::Null, Node::Float)),
            ("long", place.long.map_or(Node::Null, Node::Float)),
            ("media_url", opt(t.media_url.clone())),
        ]));
    }
    Ok(Node::List("request", items))
}

fn update_node(u: &UpdateRow) -> Node {
    Node::Object(vec![
        ("update_id", text(u.id.to_string())),
        ("service_request_id", text(u.ticket_id.to_string())),
        ("status", text(status(u.state))),
        ("updated_datetime", text(iso(u.at))),
        ("description", text(public_text(&u.text))),
        ("media_url", Node::Null),
    ])
}

async fn list_updates(state: &AppState, format: Format, p: &Params) -> Answer {
    let now = state.app.clock.now();
    let (start, end) = (
        parse_time(format, p, "start_date")?,
        parse_time(format, p, "end_date")?,
    );
    let until = end.unwrap_or(now);
    let from = start.unwrap_or(
        until
            .saturating_sub(jiff::SignedDuration::from_hours(24))
            .unwrap_or(until),
    );
    if from > until {
        return Err(bad(format, "start_date is after end_date"));
    }
    let list = state
        .app
        .ticket_updates_between(to_micros(from), to_micros(until), MAX_PAGE)
        .await
        .map_err(|e| Open311Error::from_app(format, e))?;
    let node = Node::List("request_update", list.iter().map(update_node).collect());
    Ok(respond(
        format,
        StatusCode::OK,
        "service_request_updates",
        &node,
    ))
}

async fn post_update(state: &AppState, format: Format, p: &Params, client: KeyRow) -> Answer {
    let id = p
        .get("service_request_id")
        .ok_or_else(|| bad(format, "service_request_id was not provided"))?
        .parse::<i64>()
        .map_err(|_| {
            Open311Error::new(
                format,
                StatusCode::NOT_FOUND,
                "service_request_id not found",
            )
        })?;
    let description = p
        .get("description")
        .ok_or_else(|| bad(format, "description was not provided"))?;
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(bad(
            format,
            format!("description is longer than {MAX_DESCRIPTION} characters"),
        ));
    }
    let u = state
        .app
        .comment_on_ticket(&client, id, description, p.get("media_url"))
        .await
        .map_err(|e| Open311Error::from_app(format, e))?;
    let node = Node::List(
        "request_update",
        vec![Node::Object(vec![("update_id", text(u.id.to_string()))])],
    );
    Ok(respond(
        format,
        StatusCode::OK,
        "service_request_updates",
        &node,
    ))
}

#[cfg(test)]
mod form_fuzz {
    //! The Open311 form parser, fed any bytes a client might post: it never
    //! panics, keeps no empty value, and reads back every well-formed pair.
    use super::Params;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_bytes_parse_and_no_empty_value_is_kept(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
            let p = Params::parse(&raw);
            prop_assert!(p.0.iter().all(|(_, v)| !v.is_empty()));
            let _ = p.attributes();
        }

        #[test]
        fn encoded_pairs_read_back_as_given(
            pairs in proptest::collection::vec(("[a-z_]{1,12}|attribute\\[[a-z]{1,6}\\](\\[\\])?", "\\PC{1,20}"), 0..8),
        ) {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                form.append_pair(k, v);
            }
            let p = Params::parse(form.finish().as_bytes());
            for (k, v) in pairs.iter().filter(|(_, v)| !v.trim().is_empty()) {
                prop_assert!(p.0.iter().any(|(pk, pv)| pk == k && pv == v.trim()), "{} = {:?}", k, v);
            }
            let attributes = p.attributes();
            for (k, _) in pairs.iter().filter(|(k, v)| k.starts_with("attribute[") && !v.trim().is_empty()) {
                let code = k.trim_start_matches("attribute[").trim_end_matches("[]").trim_end_matches(']');
                prop_assert!(attributes.contains_key(code), "{}", code);
            }
        }
    }
}
