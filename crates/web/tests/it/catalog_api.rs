//! Every catalogue command through the API, allowed and refused.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_testkit::shared_demo;

use crate::support::{fields, item, unique, Api};

async fn roles() -> (Api, Api, Api) {
    let base = &shared_demo().base;
    (
        Api::as_user(base, "editor").await,
        Api::as_user(base, "reviewer").await,
        Api::as_user(base, "approver").await,
    )
}

/// Create a draft and return its version id and item id.
async fn draft(editor: &Api, name: &str) -> (i64, i64, String) {
    let code = format!("XK-{:05}-000", unique());
    let (status, body) = editor
        .post("/api/v1/catalog/drafts", item(&code, name))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["state"], "draft");
    (
        body["id"].as_i64().expect("id"),
        body["item_id"].as_i64().expect("item id"),
        code,
    )
}

async fn step(api: &Api, id: i64, action: &str) -> (StatusCode, Value) {
    let body = match action {
        "publish" => json!({}),
        _ => json!(null),
    };
    api.call(
        reqwest::Method::POST,
        &format!("/api/v1/catalog/versions/{id}/{action}"),
        (!body.is_null()).then_some(body),
    )
    .await
}

async fn public_total(code: &str) -> i64 {
    let (_, body) = Api::new(&shared_demo().base)
        .get(&format!("/api/v1/catalog/items?q={code}"))
        .await;
    body["total"].as_i64().expect("total")
}

#[tokio::test]
async fn a_draft_goes_through_declare_review_approve_and_publish_into_the_public_catalogue() {
    let (editor, reviewer, approver) = roles().await;
    let (id, item_id, code) = draft(&editor, "软件企业认定（测试）").await;
    assert_eq!(public_total(&code).await, 0, "a draft is not public");
    for (api, action, state) in [
        (&editor, "declare", "declared"),
        (&reviewer, "review", "reviewed"),
        (&approver, "approve", "approved"),
        (&approver, "publish", "in_library"),
    ] {
        let (status, body) = step(api, id, action).await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
        assert_eq!(body["state"], state);
        if state != "in_library" {
            assert_eq!(public_total(&code).await, 0, "not public while {state}");
        }
    }
    assert_eq!(public_total(&code).await, 1);
    let (status, guide) = Api::new(&shared_demo().base)
        .get(&format!("/api/v1/catalog/items/{item_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(guide["guide"]["code"], code.as_str());
    assert_eq!(guide["effective_date"], shared_demo().clock_today());

    let (_, history) = editor
        .get(&format!("/api/v1/catalog/items/{item_id}/history"))
        .await;
    let events: Vec<&str> = history["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["event_type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        events,
        [
            "catalog.item_created",
            "catalog.version_declared",
            "catalog.version_reviewed",
            "catalog.version_approved",
            "catalog.version_published"
        ]
    );
    let actors: Vec<&str> = history["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["actor"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        actors,
        [
            "staff:editor",
            "staff:editor",
            "staff:reviewer",
            "staff:approver",
            "staff:approver"
        ],
        "every step records who did it"
    );
}

#[tokio::test]
async fn each_role_may_take_only_its_own_step() {
    let (editor, reviewer, approver) = roles().await;
    let district_approver = Api::as_user(&shared_demo().base, "xihu.approver").await;
    let (id, _, _) = draft(&editor, "权限测试事项").await;
    assert_eq!(
        step(&reviewer, id, "declare").await.0,
        StatusCode::FORBIDDEN,
        "a reviewer does not declare"
    );
    assert_eq!(
        step(&approver, id, "declare").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(step(&editor, id, "declare").await.0, StatusCode::OK);
    assert_eq!(
        step(&editor, id, "review").await.0,
        StatusCode::FORBIDDEN,
        "an editor does not review their own item"
    );
    assert_eq!(step(&reviewer, id, "review").await.0, StatusCode::OK);
    assert_eq!(
        step(&district_approver, id, "approve").await.0,
        StatusCode::FORBIDDEN,
        "a district approver does not approve a city item"
    );
    let (status, body) = step(&reviewer, id, "approve").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "forbidden");
}

#[tokio::test]
async fn a_step_cannot_be_skipped_or_repeated() {
    let (editor, reviewer, approver) = roles().await;
    let (id, _, _) = draft(&editor, "顺序测试事项").await;
    let (status, body) = step(&approver, id, "approve").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "workflow_step_not_allowed");
    assert_eq!(step(&editor, id, "declare").await.0, StatusCode::OK);
    assert_eq!(
        step(&editor, id, "declare").await.0,
        StatusCode::CONFLICT,
        "declared twice"
    );
    assert_eq!(
        step(&approver, id, "publish").await.0,
        StatusCode::CONFLICT,
        "published before review"
    );
    assert_eq!(step(&reviewer, id, "review").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_return_needs_a_reason_and_sends_the_version_back_to_the_editor() {
    let (editor, reviewer, _) = roles().await;
    let (id, item_id, _) = draft(&editor, "退回测试事项").await;
    step(&editor, id, "declare").await;
    let (status, body) = reviewer
        .post(
            &format!("/api/v1/catalog/versions/{id}/return"),
            json!({"reason": "  "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["reason"]);
    let (status, body) = reviewer
        .post(
            &format!("/api/v1/catalog/versions/{id}/return"),
            json!({"reason": "设定依据引用条款有误"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "draft");
    assert_eq!(body["returned_reason"], "设定依据引用条款有误");
    let (_, history) = editor
        .get(&format!("/api/v1/catalog/items/{item_id}/history"))
        .await;
    let last = history["entries"]
        .as_array()
        .and_then(|e| e.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["event_type"], "catalog.version_returned");
    assert_eq!(last["payload"]["reason"], "设定依据引用条款有误");
    assert_eq!(
        step(&editor, id, "declare").await.0,
        StatusCode::OK,
        "the editor can declare again after fixing it"
    );
}

#[tokio::test]
async fn a_bad_item_is_refused_with_every_field_at_fault_and_nothing_is_written() {
    let (editor, _, _) = roles().await;
    let code = format!("XK-{:05}-000", unique());
    let mut bad = item(&code, "");
    bad["promised_limit"] = json!({"value": 30, "unit": "working_days"});
    bad["deciding_body"] = "330100-999".into();
    let (status, body) = editor.post("/api/v1/catalog/drafts", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        fields(&body),
        ["name", "promised_limit"],
        "domain rules first; {body}"
    );
    let mut unknown_body = item(&format!("XK-{:05}-000", unique()), "未知机构");
    unknown_body["deciding_body"] = "330100-999".into();
    let (status, body) = editor.post("/api/v1/catalog/drafts", unknown_body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["deciding_body"]);
    let (status, body) = editor
        .post("/api/v1/catalog/drafts", json!({"code": "XK-1"}))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a body missing fields is malformed: {body}"
    );
    assert_eq!(body["error"]["code"], "bad_json");
    let (_, list) = editor
        .get(&format!("/api/v1/catalog/versions?q={code}"))
        .await;
    assert_eq!(list["total"], 0, "nothing half-written");
}

#[tokio::test]
async fn a_code_is_unique_within_its_region() {
    let (editor, _, _) = roles().await;
    let (_, _, code) = draft(&editor, "编码唯一测试").await;
    let (status, body) = editor
        .post("/api/v1/catalog/drafts", item(&code, "重复编码"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["code"]);
}

#[tokio::test]
async fn without_a_valid_token_the_staff_api_answers_401() {
    let anonymous = Api::new(&shared_demo().base);
    let (status, body) = anonymous.get("/api/v1/catalog/versions").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthenticated");
    let forged = Api {
        token: Some("not-a-token".into()),
        ..Api::new(&shared_demo().base)
    };
    let (status, body) = forged
        .post("/api/v1/catalog/drafts", item("XK-00001-000", "x"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "bad_token");
}

#[tokio::test]
async fn malformed_requests_get_a_400_in_json() {
    let (editor, _, _) = roles().await;
    let resp = editor
        .http
        .post(editor.base.clone() + "/api/v1/catalog/drafts")
        .bearer_auth(editor.token.clone().unwrap_or_default())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.expect("JSON error");
    assert_eq!(body["error"]["code"], "bad_json");
    let (status, body) = editor.get("/api/v1/catalog/versions/not-a-number").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_path");
    let (status, body) = editor.get("/api/v1/catalog/versions?type=spaceship").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["type"]);
    let (status, body) = editor.get("/api/v1/catalog/versions/999999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = editor.get("/api/v1/no/such/route").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn a_new_version_waits_beside_the_published_one_and_supersedes_it_on_entry() {
    let (editor, reviewer, approver) = roles().await;
    let (v1, item_id, code) = draft(&editor, "版本测试事项").await;
    for (api, action) in [
        (&editor, "declare"),
        (&reviewer, "review"),
        (&approver, "approve"),
        (&approver, "publish"),
    ] {
        assert_eq!(step(api, v1, action).await.0, StatusCode::OK);
    }
    let (status, body) = editor
        .put(
            &format!("/api/v1/catalog/versions/{v1}"),
            item(&code, "改名"),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a published version cannot be edited: {body}"
    );

    let (status, v2) = editor
        .post(
            &format!("/api/v1/catalog/items/{item_id}/versions"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v2}");
    assert_eq!(v2["version_no"], 2);
    let v2 = v2["id"].as_i64().expect("id");
    let (status, _) = editor
        .post(
            &format!("/api/v1/catalog/items/{item_id}/versions"),
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "only one version on its way at a time"
    );

    let (status, body) = editor
        .put(
            &format!("/api/v1/catalog/versions/{v2}"),
            item(&code, "版本测试事项（第二版）"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut moved = item(&code, "x");
    moved["region"] = "330106".into();
    let (status, _) = editor
        .put(&format!("/api/v1/catalog/versions/{v2}"), moved)
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an item's code and region stay"
    );

    let public = Api::new(&shared_demo().base);
    assert_eq!(
        public
            .get(&format!("/api/v1/catalog/items/{item_id}"))
            .await
            .1["guide"]["name"],
        "版本测试事项",
        "the public sees version 1 meanwhile"
    );
    for (api, action) in [
        (&editor, "declare"),
        (&reviewer, "review"),
        (&approver, "approve"),
        (&approver, "publish"),
    ] {
        assert_eq!(step(api, v2, action).await.0, StatusCode::OK);
    }
    let (_, guide) = public
        .get(&format!("/api/v1/catalog/items/{item_id}"))
        .await;
    assert_eq!(guide["guide"]["name"], "版本测试事项（第二版）");
    assert_eq!(guide["version_no"], 2);
    let (_, old) = editor.get(&format!("/api/v1/catalog/versions/{v1}")).await;
    assert_eq!(old["state"], "superseded", "the old version stays readable");
    assert_eq!(old["is_current"], false);
}

#[tokio::test]
async fn sensitive_items_never_reach_the_public() {
    let admin = Api::as_user(&shared_demo().base, "admin").await;
    let (_, all) = admin.get("/api/v1/catalog/versions?limit=500").await;
    let sensitive: Vec<Value> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|v| v["state"] == "in_library")
        .cloned()
        .collect::<Vec<_>>();
    let mut found = 0;
    for v in sensitive {
        let (_, full) = admin
            .get(&format!("/api/v1/catalog/versions/{}", v["id"]))
            .await;
        if full["spec"]["sensitive"] != true {
            continue;
        }
        found += 1;
        let public = Api::new(&shared_demo().base);
        let (status, _) = public
            .get(&format!("/api/v1/catalog/items/{}", v["item_id"]))
            .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "a sensitive item's guide is not public"
        );
        let (_, search) = public
            .get(&format!(
                "/api/v1/catalog/items?q={}",
                v["code"].as_str().unwrap_or("")
            ))
            .await;
        assert!(
            search["items"]
                .as_array()
                .expect("items")
                .iter()
                .all(|i| i["item_id"] != v["item_id"]),
            "not in search"
        );
        let html = reqwest::get(shared_demo().url("/catalog?limit=500"))
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert!(
            !html.contains(v["name"].as_str().unwrap_or("?")),
            "not on the public catalogue page"
        );
    }
    assert!(
        found >= 2,
        "the demo has sensitive items in the library ({found})"
    );
}

#[tokio::test]
async fn the_panorama_counts_the_latest_version_of_every_item() {
    let admin = Api::as_user(&shared_demo().base, "admin").await;
    let (status, p) = admin.get("/api/v1/catalog/panorama").await;
    assert_eq!(status, StatusCode::OK);
    let total = p["total"].as_i64().expect("total");
    let sum: i64 = p["by_state"]
        .as_array()
        .expect("by_state")
        .iter()
        .map(|pair| pair[1].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(sum, total);
    assert!(total >= 70, "the demo's 70 items at least: {total}");
    let states: Vec<&str> = p["by_state"]
        .as_array()
        .expect("by_state")
        .iter()
        .filter_map(|pair| pair[0].as_str())
        .collect();
    for s in ["draft", "declared", "reviewed", "approved", "in_library"] {
        assert!(states.contains(&s), "the demo has items {s}: {states:?}");
    }
    let anonymous = Api::new(&shared_demo().base);
    assert_eq!(
        anonymous.get("/api/v1/catalog/panorama").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn control_characters_and_wrong_methods_get_json_errors_on_both_backends() {
    let public = Api::new(&shared_demo().base);
    let (status, body) = public.get("/api/v1/catalog/items?q=%00").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["q"]);
    let (status, body) = public
        .post(
            "/api/v1/auth/tokens",
            json!({"login": "\u{0}", "password": "x", "name": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = public.post("/api/v1/citizens", json!({"login": "nul.name", "id_number": "11010519491231002X", "name": "张\u{0}三", "password": "long-enough-1"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["name"]);
    let (editor, _, _) = roles().await;
    let mut nul = item(&format!("XK-{:05}-000", unique()), "名称\u{0}");
    nul["materials"][0]["note"] = "\u{0}".into();
    let (status, body) = editor.post("/api/v1/catalog/drafts", nul).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["materials[0].note", "name"]);
    let (status, body) = public
        .call(reqwest::Method::DELETE, "/api/v1/catalog/items", None)
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error"]["code"], "method_not_allowed");
    let (status, _) = public
        .get("/api/v1/catalog/items?offset=9223372036854775807")
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a huge offset is an empty page, not an overflow"
    );
    let (status, _) = public.get("/catalog?offset=9223372036854775807").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn search_ignores_the_case_of_codes_on_both_backends() {
    let public = Api::new(&shared_demo().base);
    let (_, upper) = public.get("/api/v1/catalog/items?q=XK-001").await;
    let (_, lower) = public.get("/api/v1/catalog/items?q=xk-001").await;
    assert!(upper["total"].as_i64().unwrap_or(0) > 0);
    assert_eq!(upper["total"], lower["total"]);
}
