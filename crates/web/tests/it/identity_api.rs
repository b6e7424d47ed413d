//! Sign-in, tokens, staff accounts, citizens and enterprises.

use reqwest::StatusCode;
use serde_json::json;
use sunshine_testkit::shared_demo;

use crate::support::{fields, Api};

#[tokio::test]
async fn a_wrong_password_and_an_unknown_login_get_the_same_answer() {
    let api = Api::new(&shared_demo().base);
    let (s1, b1) = api
        .post(
            "/api/v1/auth/tokens",
            json!({"login": "editor", "password": "wrong-password", "name": "x"}),
        )
        .await;
    let (s2, b2) = api
        .post(
            "/api/v1/auth/tokens",
            json!({"login": "nobody-at-all", "password": "wrong-password", "name": "x"}),
        )
        .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(b1, b2, "no hint which logins exist");
    assert_eq!(b1["error"]["code"], "wrong_credentials");
}

#[tokio::test]
async fn messages_follow_the_requested_language() {
    let api = Api::new(&shared_demo().base);
    let resp = api
        .http
        .post(shared_demo().url("/api/v1/auth/tokens"))
        .header("accept-language", "en-GB,en;q=0.9")
        .json(&json!({"login": "editor", "password": "wrong-password", "name": "x"}))
        .send()
        .await
        .expect("sent");
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["message"], "Wrong login or password");
    let (_, zh) = api
        .post(
            "/api/v1/auth/tokens",
            json!({"login": "editor", "password": "wrong-password", "name": "x"}),
        )
        .await;
    assert_eq!(
        zh["error"]["message"], "登录名或密码不正确",
        "zh-CN by default"
    );
}

#[tokio::test]
async fn a_citizen_signs_up_with_a_valid_identity_number_only() {
    let api = Api::new(&shared_demo().base);
    let (status, body) = api
        .post(
            "/api/v1/citizens",
            json!({"id_number": "110105194912310021", "name": "张三", "password": "long-enough-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["id_number"]);
    let (status, body) = api
        .post(
            "/api/v1/citizens",
            json!({"id_number": "11010519491231002X", "name": "", "password": "short"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["name", "password"], "every fault at once");
    let (status, body) = api
        .post(
            "/api/v1/citizens",
            json!({"id_number": "11010519491231002x", "name": "张三", "password": "long-enough-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = api
        .post(
            "/api/v1/citizens",
            json!({"id_number": "11010519491231002X", "name": "张三", "password": "long-enough-1"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "registered once: {body}"
    );

    let citizen = Api {
        token: Some(
            sunshine_testkit::api_token(&shared_demo().base, "11010519491231002X", "long-enough-1")
                .await
                .expect("citizen token"),
        ),
        ..Api::new(&shared_demo().base)
    };
    let (status, me) = citizen.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["kind"], "citizen");
    assert_eq!(
        citizen.get("/api/v1/catalog/versions").await.0,
        StatusCode::FORBIDDEN,
        "citizens see only the public catalogue"
    );
}

#[tokio::test]
async fn an_enterprise_signs_up_with_a_valid_credit_code_only() {
    let api = Api::new(&shared_demo().base);
    let (status, body) = api.post("/api/v1/enterprises", json!({"credit_code": "91350100M000100Y44", "name": "测试公司", "password": "long-enough-1"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["credit_code"]);
    let (status, _) = api.post("/api/v1/enterprises", json!({"credit_code": "91350100M000100Y43", "name": "测试公司", "password": "long-enough-1"})).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn only_an_administrator_over_the_organisation_creates_staff() {
    let base = &shared_demo().base;
    let admin = Api::as_user(base, "admin").await;
    let editor = Api::as_user(base, "editor").await;
    let new = json!({"login": "new.reviewer", "display_name": "新审核员", "org": "330100", "password": "long-enough-1", "roles": ["legal_reviewer"]});
    assert_eq!(
        editor.post("/api/v1/staff", new.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = admin.post("/api/v1/staff", new.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        admin.post("/api/v1/staff", new).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a login is taken once"
    );
    let (status, body) = admin.post("/api/v1/staff", json!({"login": "x", "display_name": "x", "org": "999999", "password": "p", "roles": ["king"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["login", "org", "password", "roles"]);
    let reviewer = Api {
        token: Some(
            sunshine_testkit::api_token(base, "new.reviewer", "long-enough-1")
                .await
                .expect("token"),
        ),
        ..Api::new(base)
    };
    let (_, me) = reviewer.get("/api/v1/me").await;
    assert_eq!(
        me["roles"],
        json!([{"role": "legal_reviewer", "org": "330100"}])
    );
}

#[tokio::test]
async fn the_organisation_tree_is_public() {
    let (status, orgs) = Api::new(&shared_demo().base)
        .get("/api/v1/organisations")
        .await;
    assert_eq!(status, StatusCode::OK);
    let orgs = orgs.as_array().expect("list");
    let districts = orgs
        .iter()
        .filter(|o| o["kind"] == "district" || o["kind"] == "county")
        .count();
    assert_eq!(districts, 13, "Hangzhou's 13 districts and counties");
    assert!(
        orgs.iter()
            .any(|o| o["code"] == "330199" && o["kind"] == "zone"),
        "the development zone with its internal code"
    );
    assert!(
        orgs.iter()
            .filter(|o| o["kind"] == "department" && o["parent"] == "330100")
            .count()
            >= 40
    );
}

/// Administrators add and rename the units requests go to: a new utility
/// under the city is in the tree at once and can lead a category; a wrong
/// code, a government or a taken code is refused and writes nothing; a
/// clerk and a district's staff may not.
#[tokio::test]
async fn administrators_add_and_rename_units_under_their_government() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let admin = Api::as_user(&t.base, "admin").await;
    let clerk = Api::as_user(&t.base, "clerk").await;
    let unit = json!({"code": "330100-U91", "name": "杭州市热力有限公司", "name_en": "Hangzhou Heating Co.", "kind": "utility", "parent": "330100"});
    let (status, body) = clerk.post("/api/v1/organisations", unit.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    for (bad, field) in [
        (
            json!({"code": "330106-U91", "name": "x", "name_en": "x", "kind": "utility", "parent": "330100"}),
            "code",
        ),
        (
            json!({"code": "330100-U92", "name": "x", "name_en": "x", "kind": "district", "parent": "330100"}),
            "kind",
        ),
        (
            json!({"code": "3301-U92", "name": "x", "name_en": "x", "kind": "utility", "parent": "330100"}),
            "code",
        ),
        (
            json!({"code": "330100-U92", "name": "", "name_en": "x", "kind": "utility", "parent": "330100"}),
            "name",
        ),
        (
            json!({"code": "330100-U93", "name": "x", "name_en": "x", "kind": "utility", "parent": "330100-004"}),
            "parent",
        ),
    ] {
        let (status, body) = admin.post("/api/v1/organisations", bad.clone()).await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY
                && fields(&body).contains(&field.to_string()),
            "{bad} → {status} {body}"
        );
    }
    let (status, added) = admin.post("/api/v1/organisations", unit.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["kind"], "utility");
    let (status, body) = admin.post("/api/v1/organisations", unit.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, tree) = admin.get("/api/v1/organisations").await;
    let ours: Vec<_> = tree
        .as_array()
        .expect("a list")
        .iter()
        .filter(|o| o["code"] == "330100-U91")
        .collect();
    assert_eq!(ours.len(), 1, "once, at once");

    // It can lead a category now.
    let (status, category) = admin
        .put(
            "/api/v1/hotline/categories/heating.outage",
            json!({"name": "供暖故障", "name_en": "Heating outage", "class": "public_information",
                   "kind": "help", "urgency": "utility", "lead_unit": "330100-U91"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{category}");

    // Renamed by the city's administrator; not by a district's staff.
    let xihu_admin = Api::as_user(&t.base, "xihu.supervisor").await;
    let rename = json!({"name": "杭州热力集团", "name_en": "Hangzhou Heating Group"});
    let (status, body) = xihu_admin
        .put("/api/v1/organisations/330100-U91", rename.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = admin
        .put("/api/v1/organisations/330100", rename.clone())
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a government is no unit: {body}"
    );
    let (status, renamed) = admin.put("/api/v1/organisations/330100-U91", rename).await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "杭州热力集团");
    let history = t.app.history("org/330100-U91").await.expect("history");
    let events: Vec<&str> = history.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(events, vec!["identity.org_added", "identity.org_renamed"]);
    t.stop().await;
}
