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

    /// POST a body of text with its content type.
    pub async fn post_text(
        &self,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.to_string());
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// POST a multipart form.
    pub async fn multipart(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .multipart(form);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }
}

/// A small but real PDF.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// A file part named for the material at `slot`.
pub fn file_part(bytes: &[u8], file_name: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(file_name.to_string())
}

/// An online application's multipart form: the answers, and a PDF for every
/// material the guide marks required.
pub fn application_form(item_id: i64, answers: &Value, guide: &Value) -> reqwest::multipart::Form {
    with_required_files(
        reqwest::multipart::Form::new()
            .text("item_id", item_id.to_string())
            .text("answers", answers.to_string()),
        guide,
    )
}

/// The answers and a PDF for every material marked required in `guide`'s
/// `materials` (an item's guide, or a bundle).
pub fn materials_form(answers: &Value, guide: &Value) -> reqwest::multipart::Form {
    with_required_files(
        reqwest::multipart::Form::new().text("answers", answers.to_string()),
        guide,
    )
}

/// A form with a PDF for every material the guide marks required.
pub fn with_required_files(
    mut form: reqwest::multipart::Form,
    guide: &Value,
) -> reqwest::multipart::Form {
    for (slot, m) in guide["materials"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if m["required"].as_bool().unwrap_or(true) {
            form = form.part(format!("material.{slot}"), file_part(PDF, "扫描件.pdf"));
        }
    }
    form
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

/// Answers that satisfy a form definition.
pub fn answers_for(form: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for f in form.as_array().into_iter().flatten() {
        let v = match f["kind"].as_str().unwrap_or("") {
            "number" => "100".to_string(),
            "date" => "2026-11-01".to_string(),
            "choice" => f["choices"][0].as_str().unwrap_or("").to_string(),
            "bool" => "true".to_string(),
            "phone" => "13812341234".to_string(),
            "email" => "zhang@example.cn".to_string(),
            "id_number" => "11010519491231002X".to_string(),
            "credit_code" => "91350100M000100Y43".to_string(),
            _ => "测试填写".to_string(),
        };
        out.insert(
            f["key"].as_str().unwrap_or("").to_string(),
            Value::String(v),
        );
    }
    Value::Object(out)
}

/// A valid resident identity number no other test uses (GB 11643 check digit).
pub fn fresh_id_number() -> String {
    fresh_id_number_born("19850101")
}

/// An identity number of Xihu district for someone born on `birth` (`YYYYMMDD`).
pub fn fresh_id_number_born(birth: &str) -> String {
    let body = format!("330106{birth}{:03}", unique() % 1000);
    let check = sunshine_domain::ids::ResidentId::check_char(&body).expect("17 digits");
    format!("{body}{check}")
}

/// A citizen who signs up now and binds the account with a code the city's
/// counter clerk issued, signed in over the API with their identity number.
pub async fn fresh_citizen(base: &str) -> (Api, String) {
    fresh_citizen_born(base, "19850101").await
}

/// A bound citizen born on `birth` (`YYYYMMDD`).
pub async fn fresh_citizen_born(base: &str, birth: &str) -> (Api, String) {
    let (unbound, id) = fresh_unbound_citizen_born(base, birth).await;
    let clerk = Api::as_user(base, "clerk").await;
    let (status, code) = clerk
        .post(
            "/api/v1/binding-codes",
            serde_json::json!({"kind": "citizen", "number": id, "name": "赵六"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    let (status, me) = unbound
        .post(
            "/api/v1/me/binding",
            serde_json::json!({"code": code["code"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let token = sunshine_testkit::api_token(base, &id, "long-enough-1")
        .await
        .expect("token");
    (
        Api {
            token: Some(token),
            ..Api::new(base)
        },
        id,
    )
}

/// A citizen who signs up now (with a login of their own and an identity
/// number nobody else uses) and has not bound the account yet.
pub async fn fresh_unbound_citizen(base: &str) -> (Api, String) {
    fresh_unbound_citizen_born(base, "19850101").await
}

async fn fresh_unbound_citizen_born(base: &str, birth: &str) -> (Api, String) {
    let id = fresh_id_number_born(birth);
    let login = format!("citizen.{}", unique());
    let (status, body) = Api::new(base)
        .post(
            "/api/v1/citizens",
            serde_json::json!({"login": login, "id_number": id, "name": "赵六", "password": "long-enough-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = sunshine_testkit::api_token(base, &login, "long-enough-1")
        .await
        .expect("token");
    (
        Api {
            token: Some(token),
            ..Api::new(base)
        },
        id,
    )
}

/// A value as one segment of a URL's path.
pub fn escape_path(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Resident `number` held by the population registry under `name`, in a
/// household of their own in the demo community, as its worker imports
/// them: a card is issued, and an approval grants, only to such a person.
pub async fn enrolled(base: &str, number: &str, name: &str) {
    let worker = Api::as_user(base, sunshine_app::demo::COMMUNITY_WORKER).await;
    let sex = if (number.as_bytes()[16] - b'0') % 2 == 1 {
        "1"
    } else {
        "2"
    };
    let birth = format!("{}-{}-{}", &number[6..10], &number[10..12], &number[12..14]);
    let community = sunshine_app::demo::DEMO_COMMUNITY.replace('-', "");
    let household = format!("E{}", &number[..17]);
    let csv = format!(
        "身份证号,姓名,性别,出生日期,民族,户籍地址,居住地址,社区代码,户号,与户主关系,联系电话\n\
         {number},{name},{sex},{birth},01,杭州市西湖区文三路1号,杭州市西湖区文三路1号,{community},{household},02,"
    );
    let (status, body) = worker
        .post_text("/api/v1/registry/imports?dry_run=false", "text/csv", &csv)
        .await;
    assert_eq!(
        status,
        reqwest::StatusCode::OK,
        "{number} {name} enrolled: {body}"
    );
}

/// Every journal entry, read page by page as `admin` reads them.
pub async fn journal_entries(admin: &Api) -> Vec<Value> {
    let (mut after, mut all) = (0, vec![]);
    loop {
        let (status, page) = admin
            .get(&format!("/api/v1/journal?after={after}&limit=1000"))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let entries = page["entries"].as_array().cloned().unwrap_or_default();
        if entries.is_empty() {
            return all;
        }
        all.extend(entries);
        after = page["next_cursor"].as_i64().expect("cursor");
    }
}
