//! A small JSON client for the tests.

use reqwest::{Method, StatusCode};
use serde_json::Value;

pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            base: base.to_string(),
            http: reqwest::Client::new(),
            token: None,
        }
    }

    pub async fn as_user(base: &str, login: &str) -> Api {
        let token = sunshine_testkit::api_token(base, login, sunshine_app::demo::DEMO_PASSWORD)
            .await
            .expect("demo login");
        Api {
            base: base.to_string(),
            http: reqwest::Client::new(),
            token: Some(token),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }
}

/// A valid item for the demo's catalogue editor (杭州市经济和信息化委员会), with a fresh code.
pub fn item(code: &str, name: &str) -> Value {
    let mut v: Value =
        serde_json::from_str(include_str!("../fixtures/item.json")).expect("fixture");
    v["code"] = code.into();
    v["name"] = name.into();
    v["item_type"] = "licensing".into();
    for body in ["implementing_body", "accepting_body", "deciding_body"] {
        v[body] = "330100-003".into();
    }
    v
}

/// A unique number for codes, so that tests sharing a server never collide.
pub fn unique() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    90_000 + NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The fields of an error response.
pub fn fields(body: &Value) -> Vec<String> {
    body["error"]["fields"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}
