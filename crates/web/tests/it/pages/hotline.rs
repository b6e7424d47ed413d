//! The hotline's pages without a browser: the administration page's
//! categories, dispatch and keys, and a phone request added on "my requests".

use super::*;

/// The hotline's administration page: a category added and edited (a new
/// version each time), a district's own dispatch entry, a key issued once
/// and revoked; wrong input is shown on the page with what was typed, and
/// a clerk is refused.
#[tokio::test]
async fn an_administrator_manages_hotline_categories_dispatch_and_keys_on_a_page() {
    let (admin, token) = signed_in("admin").await;
    let (status, html) = page(&admin, "/staff/hotline/admin").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"admin-categories\""), "{html}");
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        let admin = admin.clone();
        async move {
            let resp = admin
                .post(shared_demo().url(path))
                .form(&form)
                .send()
                .await
                .expect("post");
            (resp.status(), resp.text().await.expect("html"))
        }
    };
    let category = |name: &str, hours: &str, attributes: &str| {
        vec![
            ("csrf", token.clone()),
            ("code", "page.test-lamps".to_string()),
            ("name", name.to_string()),
            ("name_en", "Lamps (page test)".to_string()),
            ("class", "public_information".to_string()),
            ("kind", "report".to_string()),
            ("urgency", "normal".to_string()),
            ("dispatch_hours", hours.to_string()),
            ("sign_hours", "".to_string()),
            ("answer_days", "5".to_string()),
            ("lead_unit", "330100-034".to_string()),
            ("assisting", "".to_string()),
            ("keywords", "路灯 不亮".to_string()),
            ("attributes", attributes.to_string()),
            ("active", "on".to_string()),
        ]
    };
    // A wrong number and wrong JSON: refused, with the input kept.
    let (status, html) = post(
        "/staff/hotline/admin/categories",
        category("路灯测试", "two", "[]"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"category-problem\""), "{html}");
    assert!(html.contains("value=\"路灯测试\""), "the input is kept");
    let (status, html) = post(
        "/staff/hotline/admin/categories",
        category("路灯测试", "2", "{not json"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("JSON"), "{html}");
    // Saved, then edited: version 1, then 2, and the API sees the new limits.
    let (status, html) = post(
        "/staff/hotline/admin/categories",
        category("路灯测试", "2", "[]"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"flash\""), "the save is told: {html}");
    let (_, html) = page(&admin, "/staff/hotline/admin?edit=page.test-lamps").await;
    assert!(
        html.contains("readonly"),
        "the code of an edited category is fixed"
    );
    let (status, html) = post(
        "/staff/hotline/admin/categories",
        category("路灯测试（改）", "4", "[]"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, list) = page(&admin, "/api/v1/hotline/categories").await;
    let list: serde_json::Value = serde_json::from_str(&list).expect("json");
    let saved = list
        .as_array()
        .expect("a list")
        .iter()
        .find(|c| c["code"] == "page.test-lamps")
        .expect("the new category")
        .clone();
    assert_eq!(saved["version"], 2, "{saved}");
    assert_eq!(saved["dispatch_hours"], 4, "{saved}");
    assert_eq!(saved["name"], "路灯测试（改）");

    // A district's own dispatch entry; an unknown unit is refused.
    let dispatch = |lead: &str| {
        vec![
            ("csrf", token.clone()),
            ("category", "page.test-lamps".to_string()),
            ("region", "330106".to_string()),
            ("lead_unit", lead.to_string()),
            ("assisting", "".to_string()),
        ]
    };
    let (status, html) = post("/staff/hotline/admin/dispatch", dispatch("330100-999")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"dispatch-problem\""), "{html}");
    let (status, html) = post("/staff/hotline/admin/dispatch", dispatch("330106")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"admin-overrides\""), "{html}");
    let (_, found) = page(
        &admin,
        "/api/v1/hotline/dispatch?category=page.test-lamps&region=330106",
    )
    .await;
    assert!(found.contains("\"lead_unit\":\"330106\""), "{found}");

    // A key, shown once; then revoked.
    let (status, html) = post(
        "/staff/hotline/admin/keys",
        vec![
            ("csrf", token.clone()),
            ("client", "Page test client".to_string()),
            ("per_minute", "many".to_string()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"key-problem\""), "{html}");
    let (status, html) = post(
        "/staff/hotline/admin/keys",
        vec![
            ("csrf", token.clone()),
            ("client", "Page test client".to_string()),
            ("per_minute", "30".to_string()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{html}");
    let shown = html
        .split("id=\"issued-key\"")
        .nth(1)
        .and_then(|rest| rest.split("<code>").nth(1))
        .and_then(|rest| rest.split("</code>").next())
        .expect("the key, shown once")
        .to_string();
    assert!(shown.len() >= 32, "{shown}");
    let (_, again) = page(&admin, "/staff/hotline/admin").await;
    assert!(!again.contains(&shown), "the key is never shown again");
    let id = again
        .split("<td>Page test client</td>")
        .next()
        .and_then(|before| before.rsplit("data-id=\"").next())
        .and_then(|rest| rest.split('"').next())
        .expect("the key's row")
        .to_string();
    let resp = admin
        .post(shared_demo().url(&format!("/staff/hotline/admin/keys/{id}/revoke")))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .expect("revoke");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("html");
    let row = html
        .split(&format!("data-id=\"{id}\""))
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .expect("the row");
    assert!(row.contains("已吊销"), "{row}");

    // A unit: a code outside its government is shown with the input kept;
    // then added, and renamed.
    let unit = |code: &str| {
        vec![
            ("csrf", token.clone()),
            ("parent", "330100".to_string()),
            ("code", code.to_string()),
            ("kind", "utility".to_string()),
            ("name", "页面测试热力公司".to_string()),
            ("name_en", "Page test heating".to_string()),
        ]
    };
    let (status, html) = post("/staff/hotline/admin/units", unit("330106-U77")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"unit-problem\""), "{html}");
    assert!(html.contains("value=\"330106-U77\""), "the input is kept");
    let (status, html) = post("/staff/hotline/admin/units", unit("330100-U77")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("data-code=\"330100-U77\""), "listed: {html}");
    let (status, html) = post(
        "/staff/hotline/admin/units/rename",
        vec![
            ("csrf", token.clone()),
            ("code", "330100-U77".to_string()),
            ("name", "页面测试热力集团".to_string()),
            ("name_en", "Page test heating group".to_string()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("页面测试热力集团"), "renamed");

    // A clerk may not.
    let (clerk, _) = signed_in("clerk").await;
    let (status, _) = page(&clerk, "/staff/hotline/admin").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A citizen adds a request taken by phone on "my requests": a wrong query
/// code is said on the page with the input kept; the right one brings the
/// request onto the list.
#[tokio::test]
async fn a_citizen_adds_a_phone_request_on_the_my_requests_page() {
    let base = &shared_demo().base;
    let operator = crate::support::Api::as_user(base, "operator").await;
    let (status, taken) = operator
        .post(
            "/api/v1/hotline/requests",
            serde_json::json!({"category": "housing.fund", "description": "提取公积金要带什么", "caller_phone": "13700001111"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    let number = taken["ticket"]["number"]
        .as_str()
        .expect("number")
        .to_string();
    let code = taken["ticket"]["query_code"]
        .as_str()
        .expect("code")
        .to_string();

    let (citizen, _) = signed_in(sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (status, html) = page(&citizen, "/hotline/my").await;
    assert_eq!(status, StatusCode::OK);
    let token = csrf(&html);
    let wrong = if code.starts_with('A') {
        "BBBBBBBB"
    } else {
        "AAAAAAAA"
    };
    let resp = citizen
        .post(shared_demo().url("/hotline/my/claim"))
        .form(&[
            ("csrf", token.as_str()),
            ("number", number.as_str()),
            ("query_code", wrong),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let html = resp.text().await.expect("html");
    assert!(html.contains("id=\"claim-problem\""), "{html}");
    assert!(
        html.contains(&format!("value=\"{number}\"")),
        "the number is kept"
    );
    let resp = citizen
        .post(shared_demo().url("/hotline/my/claim"))
        .form(&[
            ("csrf", token.as_str()),
            ("number", number.as_str()),
            ("query_code", code.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::OK, "redirected to the request");
    assert!(resp.text().await.expect("html").contains(&number));
    let (_, html) = page(&citizen, "/hotline/my").await;
    assert!(html.contains(&number), "on the list");
}
