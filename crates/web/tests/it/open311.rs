//! Open311 GeoReport v2 at `/open311/v2`, as a client system sees it: every
//! resource in XML and JSON, each answer checked against the
//! specification's field rules, the two formats saying the same thing, and
//! every error case answered in the standard's form with 400, 403 or 404.

use quick_xml::events::Event;
use quick_xml::Reader;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_testkit::SharedDemo;

mod refusals;
mod requests;

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

/// A form, the status it must get, and a word its error must say.
type ErrorCase<'a> = (Vec<(&'a str, &'a str)>, StatusCode, &'a str);

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
