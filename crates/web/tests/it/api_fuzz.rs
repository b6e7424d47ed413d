//! Every operation of the OpenAPI document, called by every demo role and by
//! nobody, with path parameters and bodies made from its own schema — well
//! formed, ill typed, empty, hostile — must never answer 5xx. Schemathesis's
//! idea, run inside the test binary on a seeded generator so that a failure
//! names the request that caused it and repeats.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};
use sunshine_testkit::TestApp;

use crate::support::Api;

/// The roles that sign in, and nobody.
const WHO: &[Option<&str>] = &[
    None,
    Some("admin"),
    Some("editor"),
    Some("reviewer"),
    Some("approver"),
    Some("clerk"),
    Some("supervisor"),
    Some("operator"),
    Some("xihu.supervisor"),
    Some("card.clerk"),
    Some("card.operator"),
    Some("backup.keeper"),
    Some(sunshine_app::demo::DEMO_CITIZEN_ID),
];

/// Routes whose answer is a stream (read its headers only) or that move
/// the platform's clock (which would change what every later call means).
fn skipped(method: &str, path: &str) -> bool {
    path == "/api/v1/clock" && method == "post" || path.ends_with("/multipart")
}

/// Strings a hostile or careless client sends.
const NASTY: &[&str] = &[
    "",
    " ",
    "0",
    "-1",
    "99999999999999999999999",
    "\u{0}",
    "a\u{1b}[31mb",
    "../../etc/passwd",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "中文名称",
    "𝕊𝕦𝕟",
    "2026-330100-000001",
    "33010619900101123X",
    "NaN",
    "1e308",
];

fn a_string(rng: &mut StdRng) -> Value {
    if rng.gen_bool(0.2) {
        return Value::String("x".repeat(rng.gen_range(200..5000)));
    }
    Value::String(NASTY[rng.gen_range(0..NASTY.len())].to_string())
}

fn any_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.gen_range(0..7) {
        0 => Value::Null,
        1 => Value::Bool(rng.gen()),
        2 => json!(rng.gen::<i64>()),
        3 => json!(rng.gen::<f64>() * 1e12),
        4 if depth < 2 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| any_value(rng, depth + 1))
                .collect(),
        ),
        5 if depth < 2 => {
            let mut m = Map::new();
            m.insert("x".into(), any_value(rng, depth + 1));
            Value::Object(m)
        }
        _ => a_string(rng),
    }
}

/// A schema, resolved through `$ref` in the document's components.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => &doc["components"]["schemas"][name],
        None => schema,
    }
}

/// A value for a schema: of its type most of the time, anything now and then.
fn from_schema(doc: &Value, schema: &Value, rng: &mut StdRng, depth: u32) -> Value {
    let schema = resolve(doc, schema);
    if depth > 4 || rng.gen_bool(0.1) {
        return any_value(rng, 0);
    }
    let ty = schema["type"]
        .as_str()
        .or_else(|| {
            schema["type"]
                .as_array()
                .and_then(|t| t.first())
                .and_then(Value::as_str)
        })
        .unwrap_or("object");
    match ty {
        "string" => match schema["enum"].as_array() {
            Some(values) if !values.is_empty() && rng.gen_bool(0.7) => {
                values[rng.gen_range(0..values.len())].clone()
            }
            _ => a_string(rng),
        },
        "integer" => json!([0i64, -1, 1, i64::MAX, i64::MIN, 3_650, 100_000][rng.gen_range(0..7)]),
        "number" => json!([0.0, -1.5, 1e300, 0.01][rng.gen_range(0..4)]),
        "boolean" => Value::Bool(rng.gen()),
        "array" => Value::Array(
            (0..rng.gen_range(0..3))
                .map(|_| from_schema(doc, &schema["items"], rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut m = Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (k, v) in props {
                    if rng.gen_bool(0.85) {
                        m.insert(k.clone(), from_schema(doc, v, rng, depth + 1));
                    }
                }
            }
            Value::Object(m)
        }
    }
}

/// The JSON body schema of an operation, if it takes one.
fn body_schema(op: &Value) -> Option<&Value> {
    let content = &op["requestBody"]["content"]["application/json"]["schema"];
    (!content.is_null()).then_some(content)
}

#[tokio::test]
async fn no_operation_answers_5xx_to_any_role_or_any_input() {
    let t = TestApp::demo().await.expect("demo");
    let anyone = Api::new(&t.base);
    let (_, doc) = anyone.get("/api/v1/openapi.json").await;
    let mut callers = vec![];
    for who in WHO {
        callers.push(match who {
            None => ("nobody".to_string(), Api::new(&t.base)),
            Some(login) => (login.to_string(), Api::as_user(&t.base, login).await),
        });
    }
    let seed: u64 = std::env::var("SUNSHINE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261202);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut calls = 0;
    let mut failures = vec![];
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if skipped(method, path) {
                continue;
            }
            for (who, api) in &callers {
                for round in 0..3 {
                    let url = path_with_params(path, &mut rng, round);
                    let body = match (body_schema(op), round) {
                        (Some(_), 0) => Some(json!({})),
                        (Some(schema), _) => Some(from_schema(&doc, schema, &mut rng, 0)),
                        (None, 2) => Some(any_value(&mut rng, 0)),
                        (None, _) => None,
                    };
                    let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                    let (status, answer) = call(api, m, &url, body.as_ref()).await;
                    calls += 1;
                    if status.is_server_error() {
                        failures.push(format!(
                            "{who}: {} {url} {} -> {status} {answer}",
                            method.to_uppercase(),
                            body.map(|b| b.to_string().chars().take(200).collect::<String>())
                                .unwrap_or_default()
                        ));
                    }
                }
            }
        }
    }
    assert!(calls > 1000, "the document was walked ({calls} calls)");
    assert!(
        failures.is_empty(),
        "seed {seed}: {} of {calls} calls answered 5xx:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The path with each `{param}` filled: a real-looking value first, then hostile ones.
fn path_with_params(path: &str, rng: &mut StdRng, round: usize) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        let name = &rest[open + 1..close];
        let value = if round == 0 {
            match name {
                "item_id" | "version_id" | "id" => "1".to_string(),
                "number" => "2026-330100-000001".to_string(),
                "code" => "water.outage".to_string(),
                "service" => "card".to_string(),
                _ => "x".to_string(),
            }
        } else {
            NASTY[rng.gen_range(0..NASTY.len())].to_string()
        };
        out.push_str(&crate::support::escape_path(&value));
        rest = &rest[(close + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

async fn call(api: &Api, method: Method, path: &str, body: Option<&Value>) -> (StatusCode, String) {
    let mut req = api.http.request(method, format!("{}{path}", api.base));
    if let Some(t) = &api.token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    match req.send().await {
        Ok(resp) => {
            let status = resp.status();
            let streaming = resp
                .headers()
                .get("content-type")
                .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
            let text = if streaming {
                String::new()
            } else {
                resp.text().await.unwrap_or_default()
            };
            (status, text.chars().take(300).collect())
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("no answer: {e}")),
    }
}
