//! Open311 GeoReport v2 at `/open311/v2`, as a client system sees it: every
//! resource in XML and JSON, each answer checked against the
//! specification's field rules, the two formats saying the same thing, and
//! every error case answered in the standard's form with 400, 403 or 404.

use quick_xml::events::Event;
use quick_xml::Reader;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_testkit::SharedDemo;

const BASE: &str = "/open311/v2";

/// An answer: status, content type, body.
struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

async fn get(base: &str, path: &str) -> Answer {
    let resp = reqwest::get(format!("{base}{BASE}/{path}"))
        .await
        .expect("sent");
    answer(resp).await
}

async fn post(base: &str, path: &str, form: &[(&str, &str)]) -> Answer {
    let resp = reqwest::Client::new()
        .post(format!("{base}{BASE}/{path}"))
        .form(form)
        .send()
        .await
        .expect("sent");
    answer(resp).await
}

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    Answer {
        status,
        content_type,
        body: resp.text().await.expect("body"),
    }
}

/// The XML elements whose children are a list's items.
const LISTS: [&str; 10] = [
    "services",
    "service_requests",
    "errors",
    "attributes",
    "values",
    "endpoints",
    "formats",
    "service_request_updates",
    "discovery_endpoints",
    "x",
];

#[derive(Debug)]
struct Elem {
    name: String,
    text: String,
    children: Vec<Elem>,
}

fn parse_xml(xml: &str) -> Elem {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Elem> = vec![Elem {
        name: String::new(),
        text: String::new(),
        children: vec![],
    }];
    loop {
        match reader
            .read_event()
            .unwrap_or_else(|e| panic!("well-formed XML: {e}\n{xml}"))
        {
            Event::Start(e) => stack.push(Elem {
                name: e.name().as_ref().to_string(),
                text: String::new(),
                children: vec![],
            }),
            Event::Empty(e) => {
                let el = Elem {
                    name: e.name().as_ref().to_string(),
                    text: String::new(),
                    children: vec![],
                };
                stack.last_mut().expect("a parent").children.push(el);
            }
            Event::Text(t) => {
                let s = t.xml10_content().into_owned();
                stack.last_mut().expect("an element").text.push_str(&s);
            }
            Event::GeneralRef(r) => {
                let name = r.as_ref().to_string();
                let s = quick_xml::escape::unescape(&format!("&{name};"))
                    .expect("a known entity")
                    .into_owned();
                stack.last_mut().expect("an element").text.push_str(&s);
            }
            Event::End(_) => {
                let el = stack.pop().expect("open element");
                stack.last_mut().expect("a parent").children.push(el);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut doc = stack.pop().expect("the document");
    assert_eq!(doc.children.len(), 1, "one document element");
    doc.children.pop().expect("the root")
}

/// An XML answer as the JSON answer would be, with every scalar a string.
fn xml_to_json(e: &Elem) -> Value {
    xml_to_json_raw(e, &|s| leaf(s))
}

/// A scalar as both formats are compared: decimals to six places (a JSON
/// parser may round the last digit of a double differently).
fn leaf(s: &str) -> Value {
    if s.contains('.') {
        if let Ok(f) = s.parse::<f64>() {
            return Value::String(format!("{f:.6}"));
        }
    }
    Value::String(s.to_string())
}

fn xml_to_json_raw(e: &Elem, leaf: &dyn Fn(&str) -> Value) -> Value {
    if LISTS.contains(&e.name.as_str()) {
        return Value::Array(
            e.children
                .iter()
                .map(|c| xml_to_json_raw(c, leaf))
                .collect(),
        );
    }
    if e.children.is_empty() {
        return if e.text.is_empty() {
            Value::Null
        } else {
            leaf(&e.text)
        };
    }
    Value::Object(
        e.children
            .iter()
            .map(|c| (c.name.clone(), xml_to_json(c)))
            .collect(),
    )
}

/// The JSON answer with every scalar a string, to compare with the XML.
fn stringly(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(stringly).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), stringly(v))).collect())
        }
        Value::Null => Value::Null,
        Value::String(s) if s.is_empty() => Value::Null,
        Value::String(s) => leaf(s),
        other => leaf(&other.to_string()),
    }
}

/// Fetch a resource in both formats; check the content types, that the XML
/// has the root the standard names, and that both say the same thing. Other
/// tests post to the same server meanwhile, so the JSON is fetched before
/// and after the XML, and the three are taken only when nothing changed.
async fn both(base: &str, name: &str, query: &str, root: &str) -> (StatusCode, Value) {
    for _ in 0..10 {
        let json_answer = get(base, &format!("{name}.json{query}")).await;
        let xml_answer = get(base, &format!("{name}.xml{query}")).await;
        let again = get(base, &format!("{name}.json{query}")).await;
        if again.body != json_answer.body {
            continue;
        }
        assert_eq!(
            json_answer.status, xml_answer.status,
            "{name}: same status in both formats"
        );
        assert_eq!(
            json_answer.content_type, "application/json; charset=utf-8",
            "{name}"
        );
        assert_eq!(xml_answer.content_type, "text/xml; charset=utf-8", "{name}");
        assert!(
            xml_answer
                .body
                .starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
            "{}",
            xml_answer.body
        );
        let json: Value = serde_json::from_str(&json_answer.body)
            .unwrap_or_else(|e| panic!("JSON: {e}: {}", json_answer.body));
        let xml = parse_xml(&xml_answer.body);
        let expected_root = if json_answer.status.is_success() {
            root
        } else {
            "errors"
        };
        assert_eq!(xml.name, expected_root, "{}", xml_answer.body);
        let (from_xml, from_json) = (xml_to_json(&xml), stringly(&json));
        if from_xml != from_json {
            let first = match (&from_xml, &from_json) {
                (Value::Array(a), Value::Array(b)) => a
                    .iter()
                    .zip(b)
                    .find(|(x, y)| x != y)
                    .map(|(x, y)| format!("{x}\n{y}")),
                _ => None,
            };
            panic!(
                "{name}: the XML and the JSON differ: {}",
                first.unwrap_or_else(|| format!("{from_xml}\n{from_json}"))
            );
        }
        return (json_answer.status, json);
    }
    panic!("{name}{query} kept changing under the test");
}

fn is_iso_with_zone(s: &str) -> bool {
    s.parse::<jiff::Timestamp>().is_ok()
        && (s.ends_with('Z') || s[s.len().saturating_sub(6)..].starts_with(['+', '-']))
}

/// The specification's rules for one service request.
fn check_request(r: &Value) {
    let o = r
        .as_object()
        .unwrap_or_else(|| panic!("a request is an object: {r}"));
    assert!(o["service_request_id"].is_string(), "ids are strings: {r}");
    assert!(
        matches!(o["status"].as_str(), Some("open" | "closed")),
        "{r}"
    );
    assert!(o["service_code"].is_string(), "{r}");
    for field in ["requested_datetime", "updated_datetime"] {
        assert!(
            o[field].as_str().is_some_and(is_iso_with_zone),
            "{field} with a zone: {r}"
        );
    }
    if let Some(e) = o["expected_datetime"].as_str() {
        assert!(is_iso_with_zone(e), "{r}");
    }
    for field in [
        "status_notes",
        "service_name",
        "description",
        "agency_responsible",
        "service_notice",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ] {
        assert!(
            o.contains_key(field),
            "{field} is present (null when unknown): {r}"
        );
    }
    for field in ["lat", "long"] {
        assert!(o[field].is_null() || o[field].is_number(), "{r}");
    }
    for private in [
        "phone",
        "email",
        "first_name",
        "last_name",
        "caller_phone",
        "caller_name",
        "account_id",
    ] {
        assert!(
            !o.contains_key(private),
            "{private} is never published: {r}"
        );
    }
}

fn check_errors(v: &Value, code: u16) {
    let list = v
        .as_array()
        .unwrap_or_else(|| panic!("errors are a list: {v}"));
    assert!(!list.is_empty());
    for e in list {
        let given = e["code"]
            .as_u64()
            .or_else(|| e["code"].as_str().and_then(|s| s.parse().ok()));
        assert_eq!(given, Some(u64::from(code)), "{v}");
        assert!(
            e["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{v}"
        );
    }
}

async fn key(demo: &SharedDemo, client: &'static str) -> String {
    issue_key(demo, client, sunshine_app::hotline::DEFAULT_PER_MINUTE)
        .await
        .1
}

/// A new key for `client` (and its row), issued by the shared demo.
async fn issue_key(demo: &SharedDemo, client: &'static str, per_minute: i64) -> (i64, String) {
    demo.with_app(move |app| async move {
        let (row, key) = app
            .issue_open311_key(None, client, per_minute, false)
            .await
            .expect("a key");
        (row.id, key)
    })
    .await
}

#[tokio::test]
async fn discovery_services_and_definitions_conform_in_both_formats() {
    let demo = sunshine_testkit::shared_demo();
    let (status, d) = both(&demo.base, "discovery", "", "discovery").await;
    assert_eq!(status, StatusCode::OK);
    let endpoint = &d["endpoints"][0];
    assert_eq!(
        endpoint["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert!(
        endpoint["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/open311/v2/")),
        "{d}"
    );
    assert_eq!(endpoint["formats"], json!(["text/xml", "application/json"]));

    let (status, services) = both(&demo.base, "services", "", "services").await;
    assert_eq!(status, StatusCode::OK);
    let list = services.as_array().expect("a list");
    assert!(list.len() >= 20, "the demo's categories: {}", list.len());
    for s in list {
        for field in [
            "service_code",
            "service_name",
            "description",
            "keywords",
            "group",
        ] {
            assert!(s[field].is_string(), "{field}: {s}");
        }
        assert!(s["metadata"].is_boolean(), "{s}");
        assert!(
            matches!(s["type"].as_str(), Some("realtime" | "batch" | "blackbox")),
            "{s}"
        );
    }
    let groups: std::collections::BTreeSet<&str> =
        list.iter().filter_map(|s| s["group"].as_str()).collect();
    assert_eq!(
        groups.len(),
        4,
        "the report's four service classes: {groups:?}"
    );

    let with_attributes = list
        .iter()
        .find(|s| s["metadata"] == true)
        .expect("a service with attributes");
    let code = with_attributes["service_code"].as_str().expect("a code");
    let (status, def) = both(
        &demo.base,
        &format!("services/{code}"),
        "",
        "service_definition",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(def["service_code"], code);
    for a in def["attributes"].as_array().expect("attributes") {
        assert!(
            a["variable"].is_boolean() && a["required"].is_boolean() && a["order"].is_number(),
            "{a}"
        );
        let datatype = a["datatype"].as_str().expect("a datatype");
        assert!(
            [
                "string",
                "number",
                "datetime",
                "text",
                "singlevaluelist",
                "multivaluelist"
            ]
            .contains(&datatype),
            "{a}"
        );
        if datatype.ends_with("valuelist") {
            assert!(
                a["values"].as_array().is_some_and(|v| !v.is_empty()
                    && v.iter()
                        .all(|k| k["key"].is_string() && k["name"].is_string())),
                "{a}"
            );
        }
    }

    // Not there: 404 in the standard's error form, in both formats.
    let (status, e) = both(&demo.base, "services/no.such.service", "", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    check_errors(&e, 404);
    let (status, e) = both(&demo.base, "services", "?jurisdiction_id=elsewhere.gov", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    check_errors(&e, 404);
    let (status, _) = both(
        &demo.base,
        "services",
        &format!("?jurisdiction_id={}", sunshine_web::open311::JURISDICTION),
        "services",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let html = get(&demo.base, "services.html").await;
    assert_eq!(html.status, StatusCode::NOT_FOUND);
    assert!(
        html.content_type.starts_with("text/xml") && html.body.contains("<errors>"),
        "{}",
        html.body
    );
}

#[tokio::test]
async fn a_client_posts_a_request_and_follows_it_by_id_token_and_list() {
    let demo = sunshine_testkit::shared_demo();
    let api_key = key(demo, "FixMyStreet Hangzhou").await;
    let description = "<script>alert('x')</script> 路灯 & 井盖";
    let form = [
        ("api_key", api_key.as_str()),
        ("service_code", "streetlight.out"),
        ("lat", "30.2803"),
        ("long", "120.1303"),
        ("description", description),
        ("email", "resident@example.cn"),
        ("first_name", "Li"),
        ("last_name", "Lei"),
        ("phone", "13700001111"),
        ("attribute[pole]", "WS-0999"),
    ];
    let created = post(&demo.base, "requests.json", &form).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.content_type, "application/json; charset=utf-8");
    let created: Value = serde_json::from_str(&created.body).expect("JSON");
    let id = created[0]["service_request_id"]
        .as_str()
        .expect("the id is a string")
        .to_string();
    let token = created[0]["token"].as_str().expect("a token").to_string();
    assert!(created[0]["service_notice"].is_string());
    let created_xml = post(&demo.base, "requests.xml", &form).await;
    assert_eq!(created_xml.status, StatusCode::CREATED);
    let x = parse_xml(&created_xml.body);
    assert_eq!(x.name, "service_requests");
    assert_eq!(x.children[0].name, "request");

    // By id: the description as given (escaped in XML), nothing personal.
    let (status, one) = both(
        &demo.base,
        &format!("requests/{id}"),
        "",
        "service_requests",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let r = &one[0];
    check_request(r);
    assert_eq!(r["description"], description);
    assert_eq!(r["status"], "open");
    assert_eq!(r["status_notes"], "已受理");
    let raw = get(&demo.base, &format!("requests/{id}.xml")).await.body;
    assert!(
        raw.contains("&lt;script&gt;") && !raw.contains("<script>"),
        "{raw}"
    );
    for private in ["13700001111", "resident@example.cn", "Lei"] {
        assert!(
            !raw.contains(private) && !one.to_string().contains(private),
            "{private} is not published"
        );
    }

    // By token.
    let (status, t) = both(
        &demo.base,
        &format!("tokens/{token}"),
        "",
        "service_requests",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(t[0]["service_request_id"], id.as_str());

    // In lists: by id, by service code and status, by dates; every item conforms.
    let (status, by_id) = both(
        &demo.base,
        "requests",
        &format!("?service_request_id={id}"),
        "service_requests",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_id.as_array().map(Vec::len), Some(1));
    let (_, recent) = both(&demo.base, "requests", "", "service_requests").await;
    recent
        .as_array()
        .expect("a list")
        .iter()
        .for_each(check_request);
    // Pages over a fixed span, so that requests other tests post meanwhile do not shift them.
    use sunshine_domain::clock::Clock;
    let until = demo.clock.now() - jiff::SignedDuration::from_secs(1);
    let span = format!("end_date={until}");
    let (_, all) = both(
        &demo.base,
        "requests",
        &format!("?{span}"),
        "service_requests",
    )
    .await;
    let all = all.as_array().expect("a list");
    assert!(
        all.len() > 10,
        "the demo's requests of the last 90 days: {} of {}",
        all.len(),
        recent.as_array().map_or(0, Vec::len),
    );
    all.iter().for_each(check_request);
    let (_, open) = both(
        &demo.base,
        "requests",
        "?service_code=streetlight.out&status=open",
        "service_requests",
    )
    .await;
    let open = open.as_array().expect("a list");
    assert!(open
        .iter()
        .all(|r| r["service_code"] == "streetlight.out" && r["status"] == "open"));
    assert!(open.iter().any(|r| r["service_request_id"] == id.as_str()));
    let (_, closed) = both(&demo.base, "requests", "?status=closed", "service_requests").await;
    assert!(closed
        .as_array()
        .expect("a list")
        .iter()
        .all(|r| r["status"] == "closed"));
    let (_, old) = both(
        &demo.base,
        "requests",
        "?start_date=2001-01-01T00:00:00Z&end_date=2001-02-01T00:00:00%2B08:00",
        "service_requests",
    )
    .await;
    assert_eq!(old, json!([]));
    let (_, page) = both(
        &demo.base,
        "requests",
        &format!("?page=2&page_size=3&{span}"),
        "service_requests",
    )
    .await;
    assert_eq!(page.as_array().map(Vec::len), Some(3));
    assert_eq!(
        page[0]["service_request_id"], all[3]["service_request_id"],
        "page 2 of 3 starts at the fourth"
    );
    // An empty parameter is the same as none.
    let (_, empty) = both(
        &demo.base,
        "requests",
        &format!("?service_code=&status=&{span}"),
        "service_requests",
    )
    .await;
    assert_eq!(empty.as_array().map(Vec::len), Some(all.len()));
}

/// A form, the status it must get, and a word its error must say.
type ErrorCase<'a> = (Vec<(&'a str, &'a str)>, StatusCode, &'a str);

#[tokio::test]
async fn every_error_case_is_answered_in_the_standards_form() {
    let demo = sunshine_testkit::shared_demo();
    let api_key = key(demo, "Error Cases").await;
    let k = api_key.as_str();
    let long = "字".repeat(4001);
    let cases: Vec<ErrorCase> = vec![
        (
            vec![
                ("service_code", "streetlight.out"),
                ("lat", "30.28"),
                ("long", "120.13"),
            ],
            StatusCode::FORBIDDEN,
            "api_key was not provided",
        ),
        (
            vec![
                ("api_key", "not-a-key"),
                ("service_code", "streetlight.out"),
                ("lat", "30.28"),
                ("long", "120.13"),
            ],
            StatusCode::FORBIDDEN,
            "api_key is invalid",
        ),
        (
            vec![("api_key", k), ("lat", "30.28"), ("long", "120.13")],
            StatusCode::BAD_REQUEST,
            "service_code",
        ),
        (
            vec![
                ("api_key", k),
                ("service_code", "no.such"),
                ("lat", "30.28"),
                ("long", "120.13"),
            ],
            StatusCode::NOT_FOUND,
            "service_code",
        ),
        (
            vec![("api_key", k), ("service_code", "streetlight.out")],
            StatusCode::BAD_REQUEST,
            "location",
        ),
        (
            vec![
                ("api_key", k),
                ("service_code", "streetlight.out"),
                ("lat", "north"),
                ("long", "120.13"),
            ],
            StatusCode::BAD_REQUEST,
            "lat",
        ),
        (
            vec![
                ("api_key", k),
                ("service_code", "streetlight.out"),
                ("address_string", "文三路"),
                ("description", &long),
            ],
            StatusCode::BAD_REQUEST,
            "4000",
        ),
        (
            vec![
                ("api_key", k),
                ("service_code", "city.noise"),
                ("address_string", "文三路"),
                ("attribute[source]", "volcano"),
            ],
            StatusCode::BAD_REQUEST,
            "attribute[source]",
        ),
        (
            vec![
                ("api_key", k),
                ("service_code", "city.noise"),
                ("address_string", "文三路"),
            ],
            StatusCode::BAD_REQUEST,
            "attribute[source]",
        ),
        (
            vec![
                ("api_key", k),
                ("service_code", "streetlight.out"),
                ("address_string", "文三路"),
                ("email", "nobody"),
            ],
            StatusCode::BAD_REQUEST,
            "e-mail",
        ),
        (
            vec![
                ("api_key", k),
                ("service_code", "streetlight.out"),
                ("address_string", "文三路"),
                ("jurisdiction_id", "elsewhere"),
            ],
            StatusCode::NOT_FOUND,
            "jurisdiction",
        ),
    ];
    for (form, status, says) in &cases {
        for format in ["json", "xml"] {
            let a = post(&demo.base, &format!("requests.{format}"), form).await;
            assert_eq!(a.status, *status, "{form:?} as {format}: {}", a.body);
            let v = if format == "json" {
                serde_json::from_str(&a.body).expect("JSON")
            } else {
                xml_to_json(&parse_xml(&a.body))
            };
            check_errors(&v, status.as_u16());
            assert!(
                a.body.contains(says),
                "{form:?}: the error says what is wrong ({says}): {}",
                a.body
            );
        }
    }
    let journal = demo
        .with_app(|app| async move { crate::hotline_api::whole_journal(&app).await })
        .await;
    assert!(
        !journal.iter().any(|e| e.actor == "open311:Error Cases"),
        "no refused request was stored"
    );

    // Bad list parameters.
    for query in [
        "?start_date=yesterday",
        "?status=pending",
        "?page=0",
        "?page_size=1001",
        "?service_request_id=abc",
        "?start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z",
    ] {
        let (status, e) = both(&demo.base, "requests", query, "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        check_errors(&e, 400);
    }
    for path in ["requests/999999999", "requests/abc", "tokens/no-such-token"] {
        let (status, e) = both(&demo.base, path, "", "").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        check_errors(&e, 404);
    }
    // A form must be form-encoded.
    let resp = reqwest::Client::new()
        .post(format!("{}{BASE}/requests.json", demo.base))
        .json(&json!({"api_key": k, "service_code": "streetlight.out"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // A revoked key no longer works.
    let (row, revoked) = issue_key(
        demo,
        "Revoked Client",
        sunshine_app::hotline::DEFAULT_PER_MINUTE,
    )
    .await;
    demo.with_app(
        move |app| async move { app.revoke_open311_key(None, row).await.expect("revoked") },
    )
    .await;
    let a = post(
        &demo.base,
        "requests.json",
        &[
            ("api_key", revoked.as_str()),
            ("service_code", "streetlight.out"),
            ("address_string", "文三路"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn request_updates_follow_the_lifecycle_and_clients_can_comment() {
    let demo = sunshine_testkit::shared_demo();
    let api_key = key(demo, "Updates Client").await;
    let created = post(
        &demo.base,
        "requests.json",
        &[
            ("api_key", api_key.as_str()),
            ("service_code", "road.pothole"),
            ("address_string", "莫干山路 1 号"),
            ("description", "坑"),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = serde_json::from_str::<Value>(&created.body).expect("JSON")[0]["service_request_id"]
        .as_str()
        .expect("id")
        .to_string();
    let a = post(
        &demo.base,
        "servicerequestupdates.json",
        &[
            ("api_key", api_key.as_str()),
            ("service_request_id", &id),
            ("description", "坑越来越大了"),
            ("status", "OPEN"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let update: Value = serde_json::from_str(&a.body).expect("JSON");
    assert!(update[0]["update_id"].is_string(), "{update}");
    let a = post(
        &demo.base,
        "servicerequestupdates.json",
        &[
            ("api_key", api_key.as_str()),
            ("service_request_id", "999999999"),
            ("description", "x"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = post(
        &demo.base,
        "servicerequestupdates.json",
        &[("service_request_id", id.as_str()), ("description", "x")],
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    let (status, updates) = both(
        &demo.base,
        "servicerequestupdates",
        "",
        "service_request_updates",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mine: Vec<&Value> = updates
        .as_array()
        .expect("a list")
        .iter()
        .filter(|u| u["service_request_id"] == id.as_str())
        .collect();
    let texts: Vec<&str> = mine
        .iter()
        .filter_map(|u| u["description"].as_str())
        .collect();
    assert_eq!(texts, ["已受理", "坑越来越大了"], "{updates}");
    for u in &mine {
        assert!(
            u["update_id"].is_string()
                && u["updated_datetime"].as_str().is_some_and(is_iso_with_zone),
            "{u}"
        );
        assert!(matches!(u["status"].as_str(), Some("open" | "closed")));
    }
    let (status, e) = both(&demo.base, "servicerequestupdates", "?start_date=soon", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    check_errors(&e, 400);
}

#[tokio::test]
async fn a_client_over_its_rate_is_refused_politely_until_the_next_minute() {
    let demo = sunshine_testkit::shared_demo();
    let (_, k) = issue_key(demo, "Slow Client", 2).await;
    let form = [
        ("api_key", k.as_str()),
        ("service_code", "streetlight.out"),
        ("address_string", "文三路 2 号"),
        ("description", "限流"),
    ];
    // The shared clock does not move, so all three fall in one minute.
    for _ in 0..2 {
        let a = post(&demo.base, "requests.json", &form).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    }
    let resp = reqwest::Client::new()
        .post(format!("{}{BASE}/requests.xml", demo.base))
        .form(&form)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&wait), "{wait}");
    let body = resp.text().await.expect("body");
    let e = xml_to_json(&parse_xml(&body));
    check_errors(&e, 429);
    assert!(body.contains("2 requests a minute"), "{body}");
    // Reading needs no key and is not limited.
    let (status, _) = both(&demo.base, "services", "", "services").await;
    assert_eq!(status, StatusCode::OK);
}

/// A request posted by `api_key`; its id.
async fn filed(base: &str, api_key: &str, form: &[(&str, &str)]) -> String {
    let mut all = vec![("api_key", api_key)];
    all.extend_from_slice(form);
    let created = post(base, "requests.json", &all).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    serde_json::from_str::<Value>(&created.body).expect("JSON")[0]["service_request_id"]
        .as_str()
        .expect("id")
        .to_string()
}

#[tokio::test]
async fn a_client_comments_only_on_its_own_requests_unless_granted_all() {
    let demo = sunshine_testkit::shared_demo();
    let own = key(demo, "Own Client").await;
    let other = key(demo, "Other Client").await;
    let (_, all) = demo
        .with_app(|app| async move {
            let (row, key) = app
                .issue_open311_key(None, "Hub Client", 60, true)
                .await
                .expect("a key");
            (row.id, key)
        })
        .await;
    let id = filed(
        &demo.base,
        &own,
        &[
            ("service_code", "road.pothole"),
            ("address_string", "文一路 2 号"),
        ],
    )
    .await;
    let comment = |k: String, text: &'static str| {
        let (base, id) = (demo.base.clone(), id.clone());
        async move {
            post(
                &base,
                "servicerequestupdates.json",
                &[
                    ("api_key", k.as_str()),
                    ("service_request_id", &id),
                    ("description", text),
                ],
            )
            .await
        }
    };
    let a = comment(other, "不是我的").await;
    assert_eq!(
        a.status,
        StatusCode::NOT_FOUND,
        "another client's request is not there for it: {}",
        a.body
    );
    assert_eq!(comment(own, "我的").await.status, StatusCode::OK);
    assert_eq!(
        comment(all, "全部可评").await.status,
        StatusCode::OK,
        "a key granted all comments on any"
    );
}

#[tokio::test]
async fn the_public_feed_shows_no_address_of_a_person_and_no_numbers_anyone_typed() {
    let demo = sunshine_testkit::shared_demo();
    let k = key(demo, "Privacy Client").await;
    let care = filed(
        &demo.base,
        &k,
        &[
            ("service_code", "community.care"),
            ("lat", "30.274156"),
            ("long", "120.155078"),
            ("address_string", "文三路 99 号 3 单元 501"),
            (
                "description",
                "独居老人，身份证33010619900101123X，电话138 1234 5678，请于2026-12-02上门",
            ),
        ],
    )
    .await;
    let road = filed(
        &demo.base,
        &k,
        &[
            ("service_code", "road.pothole"),
            ("lat", "30.274156"),
            ("long", "120.155078"),
            ("address_string", "莫干山路 1 号"),
            ("description", "请联系0571-85252345，办件2026-330106-000123"),
        ],
    )
    .await;
    let (status, care_shown) = both(
        &demo.base,
        &format!("requests/{care}"),
        "",
        "service_requests",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let r = &care_shown[0];
    assert!(r["address"].is_null(), "no address of a person: {r}");
    assert_eq!(
        (r["lat"].as_f64(), r["long"].as_f64()),
        (Some(30.274), Some(120.155))
    );
    let d = r["description"].as_str().expect("description");
    assert!(
        !d.contains("33010619900101123X") && !d.contains("1234 5678") && d.contains("2026-12-02"),
        "numbers masked, dates kept: {d}"
    );
    let (_, road_shown) = both(
        &demo.base,
        &format!("requests/{road}"),
        "",
        "service_requests",
    )
    .await;
    let r = &road_shown[0];
    assert_eq!(r["address"], "莫干山路 1 号", "a road's address is public");
    assert_eq!(r["lat"].as_f64(), Some(30.274156));
    let d = r["description"].as_str().expect("description");
    assert!(
        !d.contains("85252345") && d.contains("2026-330106-000123"),
        "the phone masked, the case number kept: {d}"
    );
}

#[tokio::test]
async fn control_characters_are_refused_and_the_xml_feed_stays_valid() {
    let demo = sunshine_testkit::shared_demo();
    let k = key(demo, "Control Client").await;
    for (field, value) in [
        ("description", "坑\u{1}"),
        ("description", "坑\u{202e}"),
        ("address_string", "文三路\u{0b}1 号"),
        ("address_string", "文三路\n1 号"),
    ] {
        let a = post(
            &demo.base,
            "requests.json",
            &[
                ("api_key", k.as_str()),
                ("service_code", "road.pothole"),
                ("lat", "30.27"),
                ("long", "120.15"),
                (field, value),
            ],
        )
        .await;
        assert_eq!(
            a.status,
            StatusCode::BAD_REQUEST,
            "{field} {value:?}: {}",
            a.body
        );
    }
    // Multi-line text is fine.
    filed(
        &demo.base,
        &k,
        &[
            ("service_code", "road.pothole"),
            ("address_string", "文三路 1 号"),
            ("description", "第一行\n第二行\t完"),
        ],
    )
    .await;
    let xml = get(&demo.base, "requests.xml").await;
    assert_eq!(xml.status, StatusCode::OK);
    let mut reader = Reader::from_str(&xml.body);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("the XML feed does not parse: {e}"),
        }
    }
}

#[tokio::test]
async fn absurd_dates_in_queries_are_answered_not_a_panic() {
    let demo = sunshine_testkit::shared_demo();
    let far = "start_date=-009999-01-01T00:00:00Z&end_date=9999-12-31T23:59:59Z";
    for path in [
        format!("requests.json?{far}"),
        format!("servicerequestupdates.json?{far}"),
        "requests.json?start_date=9999-12-31T23:59:59Z".to_string(),
        "requests.json?end_date=-009999-01-01T00:00:00Z".to_string(),
        "requests.json?start_date=99999999999999999999".to_string(),
    ] {
        let a = get(&demo.base, &path).await;
        assert!(
            matches!(a.status, StatusCode::OK | StatusCode::BAD_REQUEST),
            "{path}: {} {}",
            a.status,
            a.body
        );
    }
    for q in [
        "from=-009999-01-01&until=9999-12-31",
        "until=-009999-01-01",
        "from=9999-12-31",
        "from=99999-01-01",
    ] {
        let resp = reqwest::get(format!("{}/api/v1/hotline/indicators?{q}", demo.base))
            .await
            .expect("sent");
        assert!(
            resp.status().is_success() || resp.status().is_client_error(),
            "{q}: {}",
            resp.status()
        );
    }
}
