//! Open data at `/api/3/action/…`: a subset of CKAN's Action API
//! (`package_list`, `package_show`, `package_search`, `organization_list`,
//! `datastore_search`) in CKAN's envelope, so that CKAN's clients (the
//! `ckanapi` library, harvesters, portals) read the platform's open data
//! as they read any CKAN site; and the same catalogue in DCAT-AP, as
//! JSON-LD (`/catalog.jsonld`) and Turtle (`/catalog.ttl`).
//!
//! The open datasets are what the platform already publishes, built from
//! the same views as its public pages: the power-item catalogue, the
//! board's figures, supervision's grades and the hotline's indicators.
//! Nothing here names a case or a person.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use sunshine_domain::opendata::{self, BadParam, Field, Package, PackageQuery, Resource, RowQuery};

use crate::guard::{Bucket, PerClient};
use crate::i18n::Lang;
use crate::AppState;

pub fn router() -> Router<AppState> {
    // Each answer is counted from the live tables: limited per client as
    // the other public aggregates are.
    let limit = || PerClient(Bucket::Aggregates);
    Router::new()
        .route(
            "/api/3/action/{action}",
            get(get_action).post(post_action).layer(limit()),
        )
        // CKAN answers without the version too, and its clients call so.
        .route(
            "/api/action/{action}",
            get(get_action).post(post_action).layer(limit()),
        )
        .route("/catalog.jsonld", get(catalog_jsonld).layer(limit()))
        .route("/catalog.ttl", get(catalog_ttl).layer(limit()))
}

/// A CKAN error: its status and its `error` object.
struct CkanError(StatusCode, Value);

impl IntoResponse for CkanError {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(json!({"help": HELP, "success": false, "error": self.1})),
        )
            .into_response()
    }
}

const HELP: &str = "/api/3/action/help_show";

fn not_found(what: &str) -> CkanError {
    CkanError(
        StatusCode::NOT_FOUND,
        json!({"__type": "Not Found Error", "message": format!("Not found: {what}")}),
    )
}

fn invalid(b: BadParam) -> CkanError {
    CkanError(
        StatusCode::CONFLICT,
        json!({"__type": "Validation Error", (b.field): [b.message]}),
    )
}

fn invalid_field(field: &'static str, message: &str) -> CkanError {
    invalid(BadParam {
        field,
        message: message.to_string(),
    })
}

fn internal(e: impl std::fmt::Display) -> CkanError {
    tracing::error!(error = %e, "open data");
    CkanError(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({"__type": "Internal Error", "message": "internal error"}),
    )
}

fn ok(result: Value) -> Response {
    Json(json!({"help": HELP, "success": true, "result": result})).into_response()
}

async fn get_action(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(action): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    // Query parameters are text; a list is given by repeating its name or
    // as JSON, as CKAN takes them.
    let mut params = Map::new();
    for (k, v) in q {
        let v = Value::String(v);
        match params.get_mut(&k) {
            Some(Value::Array(list)) => list.push(v),
            Some(one) => *one = Value::Array(vec![one.clone(), v]),
            None => {
                params.insert(k, v);
            }
        }
    }
    run(&s, lang, &site(&s, &headers), &action, params).await
}

async fn post_action(
    State(s): State<AppState>,
    lang: Lang,
    Path(action): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let params = if body.is_empty() {
        Ok(Map::new())
    } else if is_form {
        Ok(form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect())
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(CkanError(
                StatusCode::BAD_REQUEST,
                json!({"__type": "Bad request", "message": "the body is not a JSON object"}),
            )),
        }
    };
    match params {
        Ok(p) => run(&s, lang, &site(&s, &headers), &action, p).await,
        Err(e) => e.into_response(),
    }
}

async fn run(
    s: &AppState,
    lang: Lang,
    base: &str,
    action: &str,
    p: Map<String, Value>,
) -> Response {
    let done = match action {
        "package_list" => package_list(s, &p),
        "package_show" => package_show(s, base, &p),
        "package_search" => package_search(s, base, &p),
        "organization_list" => organization_list(s, &p),
        "datastore_search" => datastore_search(s, lang, &p).await,
        other => Err(CkanError(
            StatusCode::BAD_REQUEST,
            json!({"__type": "Bad request", "message": format!("Action name not known: {other}")}),
        )),
    };
    match done {
        Ok(v) => ok(v),
        Err(e) => e.into_response(),
    }
}

/// A parameter as text: a string, or a number or boolean written out.
fn text_param(p: &Map<String, Value>, name: &str) -> Option<String> {
    match p.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn count_param(
    p: &Map<String, Value>,
    name: &'static str,
    default: usize,
) -> Result<usize, CkanError> {
    match text_param(p, name) {
        None => Ok(default),
        Some(t) => t
            .trim()
            .parse()
            .map_err(|_| invalid_field(name, "Invalid integer")),
    }
}

fn bool_param(
    p: &Map<String, Value>,
    name: &'static str,
    default: bool,
) -> Result<bool, CkanError> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => match text_param(p, name)
            .map(|t| t.to_ascii_lowercase())
            .as_deref()
        {
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            _ => Err(invalid_field(name, "Invalid boolean")),
        },
    }
}

/// A list parameter: a JSON list, a JSON list in a string, repeated
/// parameters, or a comma-separated string.
fn list_param(p: &Map<String, Value>, name: &str) -> Vec<String> {
    let strings = |v: &Vec<Value>| {
        v.iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    };
    match p.get(name) {
        Some(Value::Array(v)) => {
            // Repeated query parameters, each possibly a JSON list itself.
            let all: Vec<String> = strings(v);
            all.iter()
                .flat_map(|s| match serde_json::from_str::<Vec<String>>(s) {
                    Ok(list) => list,
                    Err(_) => vec![s.clone()],
                })
                .collect()
        }
        Some(Value::String(s)) => match serde_json::from_str::<Vec<String>>(s) {
            Ok(list) => list,
            Err(_) => s
                .split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect(),
        },
        _ => vec![],
    }
}

/// The open datasets: their metadata (their rows are read per query).
fn packages(s: &AppState) -> Vec<Package> {
    let orgs = s.app.orgs();
    let root = orgs
        .tree
        .root()
        .map(|r| r.as_str().to_string())
        .unwrap_or_else(|| "city".into());
    let root_title = orgs.name(&root, "zh");
    let hotline = orgs
        .centre(sunshine_domain::identity::CityService::Hotline)
        .map(|c| c.as_str().to_string())
        .unwrap_or_else(|| root.clone());
    let hotline_title = orgs.name(&hotline, "zh");
    let resource = |id: &str, name: &str, description: &str| Resource {
        id: id.into(),
        name: name.into(),
        description: description.into(),
        format: "JSON".into(),
        fields: vec![],
    };
    vec![
        Package {
            name: "sunshine-power-items".into(),
            title: "权力事项目录 Power-item catalogue".into(),
            notes: "The power items (权力事项) in the library: code, name, type, region, implementing body and version. 入库的行政权力事项。".into(),
            organization: root.clone(),
            organization_title: root_title.clone(),
            tags: vec!["catalogue".into(), "权力事项".into()],
            frequency: "continuous".into(),
            resources: vec![resource("power-items", "权力事项 Power items", "The library's latest public version of each item")],
        },
        Package {
            name: "sunshine-board-figures".into(),
            title: "阳光公示办件统计 The board's figures".into(),
            notes: "Cases accepted, done and on time, the online share and the average days, per department and per region: the disclosure board's figures. 办件公示统计。".into(),
            organization: root.clone(),
            organization_title: root_title.clone(),
            tags: vec!["hall".into(), "disclosure".into(), "阳光公示".into()],
            frequency: "continuous".into(),
            resources: vec![
                resource("board-by-department", "按部门 By department", "The board's figures per department"),
                resource("board-by-region", "按区县 By region", "The board's figures per region"),
            ],
        },
        Package {
            name: "sunshine-supervision-grades".into(),
            title: "电子监察部门评价 Supervision's grades".into(),
            notes: "Each department's grade for the current quarter (优秀, 良好, 合格, 不合格), with the figures behind it. 部门绩效评价。".into(),
            organization: root.clone(),
            organization_title: root_title,
            tags: vec!["supervision".into(), "电子监察".into()],
            frequency: "quarterly".into(),
            resources: vec![resource("supervision-grades", "部门评价 Grades", "The current quarter's grades")],
        },
        Package {
            name: "sunshine-hotline-indicators".into(),
            title: "96345 热线指标 The hotline's indicators".into(),
            notes: "The hotline's three rates and overdue counts over the last 30 days, per district and per unit. 96345 三率指标。".into(),
            organization: hotline,
            organization_title: hotline_title,
            tags: vec!["hotline".into(), "96345".into()],
            frequency: "daily".into(),
            resources: vec![
                resource("hotline-by-district", "按区县 By district", "The indicators per district"),
                resource("hotline-by-unit", "按承办单位 By unit", "The indicators per unit"),
            ],
        },
    ]
}

fn package_json(base: &str, p: &Package) -> Value {
    json!({
        "id": p.name,
        "name": p.name,
        "title": p.title,
        "notes": p.notes,
        "type": "dataset",
        "state": "active",
        "private": false,
        "license_id": "cc-by",
        "organization": {"id": p.organization, "name": p.organization, "title": p.organization_title, "type": "organization", "is_organization": true},
        "owner_org": p.organization,
        "tags": p.tags.iter().map(|t| json!({"name": t, "display_name": t})).collect::<Vec<_>>(),
        "num_tags": p.tags.len(),
        "frequency": p.frequency,
        "resources": p.resources.iter().enumerate().map(|(i, r)| json!({
            "id": r.id, "name": r.name, "description": r.description, "format": r.format,
            "package_id": p.name, "position": i, "datastore_active": true,
            "url": format!("{base}/api/3/action/datastore_search?resource_id={}", r.id),
        })).collect::<Vec<_>>(),
        "num_resources": p.resources.len(),
    })
}

fn package_list(s: &AppState, p: &Map<String, Value>) -> Result<Value, CkanError> {
    let limit = count_param(p, "limit", usize::MAX)?;
    let offset = count_param(p, "offset", 0)?;
    let mut names: Vec<String> = packages(s).into_iter().map(|p| p.name).collect();
    names.sort();
    Ok(json!(names
        .into_iter()
        .skip(offset)
        .take(limit)
        .collect::<Vec<_>>()))
}

fn package_show(s: &AppState, base: &str, p: &Map<String, Value>) -> Result<Value, CkanError> {
    let id = text_param(p, "id").ok_or_else(|| invalid_field("id", "Missing value"))?;
    packages(s)
        .iter()
        .find(|x| x.name == id)
        .map(|x| package_json(base, x))
        .ok_or_else(|| not_found("package"))
}

fn package_search(s: &AppState, base: &str, p: &Map<String, Value>) -> Result<Value, CkanError> {
    let all = packages(s);
    let q = PackageQuery {
        q: text_param(p, "q").unwrap_or_default(),
        fq: text_param(p, "fq").unwrap_or_default(),
        rows: count_param(p, "rows", 10)?,
        start: count_param(p, "start", 0)?,
        sort: text_param(p, "sort").unwrap_or_default(),
        facet_fields: list_param(p, "facet.field"),
    };
    let found = opendata::search(&all, &q).map_err(invalid)?;
    let search_facets: Map<String, Value> = found
        .facets
        .iter()
        .map(|(f, counts)| {
            (
                f.clone(),
                json!({"title": f, "items": counts.iter().map(|(v, n)| json!({"name": v, "display_name": v, "count": n})).collect::<Vec<_>>()}),
            )
        })
        .collect();
    Ok(json!({
        "count": found.count,
        "sort": q.sort,
        "results": found.results.iter().map(|x| package_json(base, x)).collect::<Vec<_>>(),
        "facets": found.facets,
        "search_facets": search_facets,
    }))
}

fn organization_list(s: &AppState, p: &Map<String, Value>) -> Result<Value, CkanError> {
    let all_fields = bool_param(p, "all_fields", false)?;
    let mut orgs: Vec<(String, String, usize)> = Vec::new();
    for x in packages(s) {
        match orgs.iter_mut().find(|o| o.0 == x.organization) {
            Some(o) => o.2 += 1,
            None => orgs.push((x.organization, x.organization_title, 1)),
        }
    }
    orgs.sort();
    Ok(if all_fields {
        json!(orgs.iter().map(|(name, title, n)| json!({"id": name, "name": name, "title": title, "display_name": title, "package_count": n, "type": "organization", "is_organization": true})).collect::<Vec<_>>())
    } else {
        json!(orgs.into_iter().map(|o| o.0).collect::<Vec<_>>())
    })
}

/// A resource's rows, from the views the public pages show.
async fn table(
    s: &AppState,
    lang: Lang,
    id: &str,
) -> Result<(Vec<Field>, Vec<Map<String, Value>>), CkanError> {
    let to_values = |v: Value| match v {
        Value::Array(items) => items,
        _ => vec![],
    };
    let values: Vec<Value> = match id {
        "power-items" => {
            let mut items = Vec::new();
            let mut offset = 0;
            loop {
                let page = s
                    .app
                    .public_items(sunshine_app::catalog::VersionFilter {
                        // The version in the library, even while a newer
                        // one is being revised.
                        public_only: true,
                        limit: 500,
                        offset,
                        ..Default::default()
                    })
                    .await
                    .map_err(internal)?;
                let n = page.items.len() as i64;
                let view = super::catalog::page(s, page, lang);
                items.extend(to_values(
                    serde_json::to_value(view.items).map_err(internal)?,
                ));
                if n < 500 {
                    break;
                }
                offset += 500;
            }
            items
        }
        "board-by-department" | "board-by-region" => {
            let (by_department, by_region) = s.app.board_stats().await.map_err(internal)?;
            let orgs = s.app.orgs();
            let rows = if id == "board-by-department" {
                by_department
            } else {
                by_region
            };
            to_values(
                serde_json::to_value(super::disclosure::figures(rows, &orgs, lang))
                    .map_err(internal)?,
            )
        }
        "supervision-grades" => {
            let quarter = sunshine_domain::supervision::Quarter::of(s.app.clock.today());
            let view = super::supervision::evaluation_of(s, quarter, lang)
                .await
                .map_err(|e| internal(format!("{:?}", e.status)))?;
            to_values(serde_json::to_value(view.departments).map_err(internal)?)
        }
        "hotline-by-district" | "hotline-by-unit" => {
            let view = crate::views::hotline::indicators_of(s, &Default::default(), lang)
                .await
                .map_err(internal)?;
            let rows = if id == "hotline-by-district" {
                view.by_district
            } else {
                view.by_unit
            };
            to_values(serde_json::to_value(rows).map_err(internal)?)
        }
        _ => return Err(not_found("resource")),
    };
    Ok(opendata::table_of(values))
}

async fn datastore_search(
    s: &AppState,
    lang: Lang,
    p: &Map<String, Value>,
) -> Result<Value, CkanError> {
    let id = text_param(p, "resource_id")
        .ok_or_else(|| invalid_field("resource_id", "Missing value"))?;
    let filters = match p.get("filters") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(Value::String(t)) => match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(m)) => m,
            _ => return Err(invalid_field("filters", "Not a JSON object")),
        },
        Some(_) => return Err(invalid_field("filters", "Not a JSON object")),
    };
    let q = match p.get("q") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(m)) => Some(Value::Object(m)),
            _ => Some(Value::String(t.clone())),
        },
        Some(v) => Some(v.clone()),
    };
    let query = RowQuery {
        filters,
        q,
        fields: list_param(p, "fields"),
        limit: count_param(p, "limit", 100)?.min(opendata::MAX_LIMIT),
        offset: count_param(p, "offset", 0)?,
        sort: text_param(p, "sort").unwrap_or_default(),
        include_total: bool_param(p, "include_total", true)?,
    };
    let (fields, rows) = table(s, lang, &id).await?;
    let r = opendata::query_rows(&fields, &rows, &query).map_err(invalid)?;
    let mut out = json!({
        "resource_id": id,
        "fields": r.fields,
        "records": r.records,
        "limit": query.limit,
        "offset": query.offset,
        "_links": {
            "start": format!("/api/3/action/datastore_search?resource_id={id}&limit={}", query.limit),
            "next": format!("/api/3/action/datastore_search?resource_id={id}&limit={}&offset={}", query.limit, query.offset.saturating_add(query.limit)),
        },
    });
    if let Some(total) = r.total {
        out["total"] = json!(total);
    }
    Ok(out)
}

/// The site's address as the request names it (or as configured).
fn site(s: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &s.guard.config.public_url {
        return u.as_str().trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// The catalogue as DCAT-AP JSON-LD.
async fn catalog_jsonld(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let base = site(&s, &headers);
    let datasets: Vec<Value> = packages(&s)
        .iter()
        .map(|p| {
            json!({
                "@id": format!("{base}/dataset/{}", p.name),
                "@type": "dcat:Dataset",
                "dct:identifier": p.name,
                "dct:title": p.title,
                "dct:description": p.notes,
                "dct:publisher": {"@id": format!("{base}/organization/{}", p.organization), "@type": "foaf:Organization", "foaf:name": p.organization_title},
                "dcat:keyword": p.tags,
                "dct:accrualPeriodicity": {"@id": frequency_uri(&p.frequency)},
                "dcat:distribution": p.resources.iter().map(|r| json!({
                    "@id": format!("{base}/dataset/{}/resource/{}", p.name, r.id),
                    "@type": "dcat:Distribution",
                    "dct:title": r.name,
                    "dct:description": r.description,
                    "dcat:accessURL": {"@id": format!("{base}/api/3/action/datastore_search?resource_id={}", r.id)},
                    "dct:format": r.format,
                    "dcat:mediaType": "application/json",
                    "dct:license": {"@id": "http://creativecommons.org/licenses/by/4.0/"},
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
        },
        "@id": format!("{base}/catalog"),
        "@type": "dcat:Catalog",
        "dct:title": "阳光政务开放数据 Sunshine open data",
        "dct:description": "The open datasets of the city's e-government platform.",
        "dcat:dataset": datasets,
    });
    (
        [(header::CONTENT_TYPE, "application/ld+json; charset=utf-8")],
        serde_json::to_string_pretty(&doc).unwrap_or_default(),
    )
        .into_response()
}

fn frequency_uri(f: &str) -> String {
    let code = match f {
        "daily" => "DAILY",
        "quarterly" => "QUARTERLY",
        _ => "CONT",
    };
    format!("http://publications.europa.eu/resource/authority/frequency/{code}")
}

/// A Turtle string literal.
fn literal(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The catalogue as DCAT-AP Turtle.
async fn catalog_ttl(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let base = site(&s, &headers);
    let all = packages(&s);
    let mut t = String::from(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n\n",
    );
    t.push_str(&format!(
        "<{base}/catalog> a dcat:Catalog ;\n  dct:title {} ;\n  dct:description {} ;\n  dcat:dataset {} .\n\n",
        literal("阳光政务开放数据 Sunshine open data"),
        literal("The open datasets of the city's e-government platform."),
        all.iter()
            .map(|p| format!("<{base}/dataset/{}>", p.name))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for p in &all {
        t.push_str(&format!(
            "<{base}/dataset/{name}> a dcat:Dataset ;\n  dct:identifier {id} ;\n  dct:title {title} ;\n  dct:description {notes} ;\n  dct:publisher <{base}/organization/{org}> ;\n  dct:accrualPeriodicity <{freq}> ;\n",
            name = p.name,
            id = literal(&p.name),
            title = literal(&p.title),
            notes = literal(&p.notes),
            org = p.organization,
            freq = frequency_uri(&p.frequency),
        ));
        for k in &p.tags {
            t.push_str(&format!("  dcat:keyword {} ;\n", literal(k)));
        }
        t.push_str(&format!(
            "  dcat:distribution {} .\n\n",
            p.resources
                .iter()
                .map(|r| format!("<{base}/dataset/{}/resource/{}>", p.name, r.id))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        t.push_str(&format!(
            "<{base}/organization/{org}> a foaf:Organization ;\n  foaf:name {name} .\n\n",
            org = p.organization,
            name = literal(&p.organization_title)
        ));
        for r in &p.resources {
            t.push_str(&format!(
                "<{base}/dataset/{}/resource/{}> a dcat:Distribution ;\n  dct:title {} ;\n  dct:description {} ;\n  dcat:accessURL <{base}/api/3/action/datastore_search?resource_id={}> ;\n  dct:format {} ;\n  dcat:mediaType \"application/json\" ;\n  dct:license <http://creativecommons.org/licenses/by/4.0/> .\n\n",
                p.name,
                r.id,
                literal(&r.name),
                literal(&r.description),
                r.id,
                literal(&r.format),
            ));
        }
    }
    ([(header::CONTENT_TYPE, "text/turtle; charset=utf-8")], t).into_response()
}
