//! The pages as a visitor without a browser sees them: language, sign-in,
//! CSRF, errors next to fields.

use reqwest::StatusCode;
use sunshine_testkit::shared_demo;

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .expect("client")
}

pub async fn page(c: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let resp = c.get(shared_demo().url(path)).send().await.expect("page");
    (resp.status(), resp.text().await.expect("html"))
}

/// The hidden CSRF token of the first form on a page.
pub fn csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("a CSRF field");
    html[start..].split('"').next().unwrap_or("").to_string()
}

/// The sign-in form's token, from its page, as a browser gets it.
pub async fn login_token(c: &reqwest::Client, base: &str) -> String {
    let html = c
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("sign-in page")
        .text()
        .await
        .expect("html");
    login_csrf(&html)
}

/// The sign-in form's own token on its page (a signed-in visitor's page
/// also has the sign-out form's).
pub fn login_csrf(html: &str) -> String {
    let marker = "id=\"login-csrf\" name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("the sign-in form's token");
    html[start..].split('"').next().unwrap_or("").to_string()
}

/// POST the sign-in form as a browser does: its page first (for the form
/// token and its cookie, which `c`'s cookie store keeps), then the form
/// with the token.
pub async fn post_login(
    c: &reqwest::Client,
    base: &str,
    fields: &[(&str, &str)],
) -> reqwest::Result<reqwest::Response> {
    let token = login_token(c, base).await;
    let mut form = fields.to_vec();
    form.push(("csrf", &token));
    c.post(format!("{base}/login")).form(&form).send().await
}

pub async fn signed_in(login: &str) -> (reqwest::Client, String) {
    let c = client();
    let resp = crate::pages::post_login(
        &c,
        &shared_demo().base,
        &[
            ("login", login),
            ("password", sunshine_app::demo::DEMO_PASSWORD),
            ("next", "/staff/"),
        ],
    )
    .await
    .expect("login");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("workbench");
    let token = csrf(&html);
    (c, token)
}

#[tokio::test]
async fn the_portal_speaks_chinese_by_default_and_english_on_request() {
    let (status, html) = page(&client(), "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("权力事项目录") && html.contains("lang=\"zh-CN\""));
    let en = client()
        .get(shared_demo().url("/"))
        .header("accept-language", "en-US,en;q=0.8")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(en.contains("Power-item catalogue") && en.contains("lang=\"en\""));
    let c = client();
    let (_, switched) = page(&c, "/lang?to=en&next=/catalog").await;
    assert!(
        switched.contains("Power-item catalogue"),
        "the switch sets a cookie and comes back"
    );
    let (_, still) = page(&c, "/").await;
    assert!(still.contains("lang=\"en\""), "the choice is remembered");
}

#[tokio::test]
async fn the_public_catalogue_searches_and_shows_a_guide() {
    let c = client();
    let (status, html) = page(&c, "/catalog?q=%E8%BD%AF%E4%BB%B6").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("软件企业认定"), "search by words of the name");
    let (_, list) = page(&c, "/catalog?type=penalty").await;
    assert!(
        list.contains("<td class=\"code\">CF-"),
        "penalty items are listed"
    );
    assert!(
        !list.contains("<td class=\"code\">XK-"),
        "licensing items are not"
    );
    let (status, _) = page(&c, "/catalog/99999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, html) = page(&c, "/catalog?type=spaceship").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("未知的事项类型"), "a readable message");
    let (status, html) = page(&c, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("页面不存在"));
}

#[tokio::test]
async fn the_workbench_asks_for_sign_in_and_refuses_wrong_passwords() {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let resp = c
        .get(shared_demo().url("/staff/"))
        .send()
        .await
        .expect("page");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(resp.headers()["location"]
        .to_str()
        .unwrap_or("")
        .starts_with("/login?next="));
    let resp = crate::pages::post_login(
        &c,
        &shared_demo().base,
        &[("login", "editor"), ("password", "nope-nope")],
    )
    .await
    .expect("login");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp
        .text()
        .await
        .expect("html")
        .contains("登录名或密码不正确"));
    let resp = crate::pages::post_login(
        &c,
        &shared_demo().base,
        &[
            ("login", "editor"),
            ("password", sunshine_app::demo::DEMO_PASSWORD),
        ],
    )
    .await
    .expect("login");
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .unwrap_or("")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused() {
    let (c, token) = signed_in("editor").await;
    assert!(!token.is_empty());
    let resp = c
        .post(shared_demo().url("/staff/items/new"))
        .form(&[("csrf", "forged"), ("code", "XK-00001-000")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.text().await.expect("html").contains("表单已过期"));
}

#[tokio::test]
async fn the_item_form_shows_each_error_next_to_its_field_and_keeps_the_input() {
    let (c, token) = signed_in("editor").await;
    let form = [
        ("csrf", token.as_str()),
        ("code", "XK-00999-000"),
        ("name", "表单校验测试"),
        ("item_type", "licensing"),
        ("region", "330100"),
        ("implementing_body", "330100-003"),
        ("accepting_body", "330100-003"),
        ("deciding_body", "330100-003"),
        ("legal_basis", "《中华人民共和国行政许可法》"),
        ("legal_limit_value", "20"),
        ("legal_limit_unit", "working_days"),
        ("promised_limit_value", "25"),
        ("promised_limit_unit", "working_days"),
        ("steps", "受理|窗口|审查|1|是\n决定|处长||30|是"),
        ("materials", "申请表|一|是|是"),
    ];
    let resp = c
        .post(shared_demo().url("/staff/items/new"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("html");
    assert!(
        html.contains("第1行：份数应为整数"),
        "the materials line is named"
    );
    let mut fixed: Vec<(&str, &str)> = form.to_vec();
    fixed.retain(|(k, _)| *k != "materials");
    let resp = c
        .post(shared_demo().url("/staff/items/new"))
        .form(&fixed)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("html");
    assert!(
        html.contains("id=\"promised_limit-error\">承诺时限不得超过法定时限"),
        "next to the promised limit"
    );
    assert!(
        html.contains("id=\"steps-error\">计入法定时限的环节时限合计31"),
        "next to the steps"
    );
    assert!(html.contains("value=\"表单校验测试\""), "the input is kept");
}

#[tokio::test]
async fn health_and_metrics_answer() {
    let c = client();
    let (status, body) = page(&c, "/healthz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    let resp = c
        .get(shared_demo().url("/metrics"))
        .bearer_auth(sunshine_testkit::METRICS_TOKEN)
        .send()
        .await
        .expect("metrics");
    assert_eq!(resp.status(), StatusCode::OK);
    let metrics = resp.text().await.expect("metrics");
    assert!(metrics.contains("http_requests_total"), "{metrics}");
}

#[tokio::test]
async fn redirects_go_only_to_local_paths() {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for evil in [
        "//evil.com",
        "/%5Cevil.com",
        "/%09/evil.com",
        "/%0A",
        "https://evil.com",
    ] {
        let resp = c
            .get(shared_demo().url(&format!("/lang?to=en&next={evil}")))
            .send()
            .await
            .expect("page");
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{evil}");
        assert_eq!(resp.headers()["location"], "/", "{evil} is not followed");
        let resp = crate::pages::post_login(
            &c,
            &shared_demo().base,
            &[
                ("login", "editor"),
                ("password", sunshine_app::demo::DEMO_PASSWORD),
                (
                    "next",
                    &evil
                        .replace("%5C", "\\")
                        .replace("%09", "\t")
                        .replace("%0A", "\n"),
                ),
            ],
        )
        .await
        .expect("login");
        assert_eq!(
            resp.headers()["location"],
            "/staff/",
            "{evil} is not followed after sign-in"
        );
    }
}

#[tokio::test]
async fn an_administrator_adds_staff_on_the_staff_page_and_an_editor_cannot() {
    let (admin, token) = signed_in("admin").await;
    let (status, html) = page(&admin, "/staff/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("reviewer") && html.contains("法制审核"),
        "staff are listed with their roles"
    );
    let bad = [
        ("csrf", token.as_str()),
        ("login", "a"),
        ("display_name", "张审核"),
        ("org", "330100"),
        ("password", "short"),
        ("role_legal_reviewer", "on"),
    ];
    let resp = admin
        .post(shared_demo().url("/staff/users"))
        .form(&bad)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("html");
    assert!(
        html.contains("登录名应为3至40位") && html.contains("密码至少8位"),
        "each field's reason is shown"
    );
    assert!(html.contains("value=\"张审核\""), "the input is kept");
    let good = [
        ("csrf", token.as_str()),
        ("login", "page.reviewer"),
        ("display_name", "张审核"),
        ("org", "330100"),
        ("password", "long-enough-1"),
        ("role_legal_reviewer", "on"),
    ];
    let resp = admin
        .post(shared_demo().url("/staff/users"))
        .form(&good)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.expect("html").contains("page.reviewer"));

    let (editor, token) = signed_in("editor").await;
    let other = [
        ("csrf", token.as_str()),
        ("login", "sneaky.admin"),
        ("display_name", "x"),
        ("org", "330100"),
        ("password", "long-enough-1"),
        ("role_administrator", "on"),
    ];
    let resp = editor
        .post(shared_demo().url("/staff/users"))
        .form(&other)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // An editor may neither add staff nor list them.
    assert!(resp
        .text()
        .await
        .expect("html")
        .contains("只有系统管理员可以查看工作人员"));
}

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

#[tokio::test]
async fn the_card_pages_show_balances_and_answer_bad_input_readably() {
    // The holder: their card, its rides with the discount, a refused top-up kept.
    let (c, token) = signed_in(sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (status, html) = page(&c, "/card").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("杭州公交集团") && html.contains("普通公交单程"),
        "rides with their place and product"
    );
    assert!(
        html.contains("data-kind=\"medical\"") && html.contains("公园年卡"),
        "the entitlements"
    );
    assert!(
        html.contains("<td>公园年卡</td><td>2027年12月31日</td>"),
        "a park card granted to the end of next year shows that day as its last: {html}"
    );
    assert!(
        html.contains("class=\"medical\"")
            && html.contains("浙江")
            && html.contains("<td class=\"self-pay\">50.00 元</td>"),
        "the medical settlement, with what the holder paid: {html}"
    );
    assert!(
        html.contains("class=\"buy-pass\"") && html.contains("普通公交月票"),
        "passes on sale"
    );
    let number = html
        .split("data-card=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a card")
        .to_string();
    let resp = c
        .post(shared_demo().url(&format!("/card/{number}/top-up")))
        .form(&[
            ("csrf", token.as_str()),
            ("purse", "wallet"),
            ("amount", "ten yuan"),
            ("id", "77"),
        ])
        .send()
        .await
        .expect("top-up");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("id=\"card-problem\"") && html.contains("金额须为元"),
        "{html}"
    );
    assert!(html.contains("value=\"ten yuan\""), "the input is kept");

    // The clerk: a wrong identity number is refused on the page, the name kept.
    let (c, token) = signed_in("card.clerk").await;
    let (status, _) = page(&c, "/staff/card").await;
    assert_eq!(status, StatusCode::OK);
    let resp = c
        .post(shared_demo().url("/staff/card/issue"))
        .form(&[
            ("csrf", token.as_str()),
            ("holder", "330106198001010012"),
            ("holder_name", "林二"),
            ("rider_category", "adult"),
        ])
        .send()
        .await
        .expect("issue");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("id=\"counter-problem\"") && html.contains("value=\"林二\""),
        "{html}"
    );

    // The operator: the clearing of a day, and a day not over refused.
    let (c, token) = signed_in("card.operator").await;
    let (status, html) = page(&c, "/staff/card/operations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"parties\"") && html.contains("杭州公交集团"));
    let today = shared_demo().clock_today();
    let (status, html) = page(&c, &format!("/staff/card/operations?day={today}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("id=\"clearing\"") && html.contains("data-ties-out=\"true\""),
        "today's demo rides tie out"
    );
    let resp = c
        .post(shared_demo().url("/staff/card/settle"))
        .form(&[("csrf", token.as_str()), ("day", today.as_str())])
        .send()
        .await
        .expect("settle");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.expect("page").contains("T+1"));
    let (status, html) = page(&c, "/staff/card/operations?day=someday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("YYYY-MM-DD"));
    // A terminal registered on the page, refused a bad key, then retired.
    let code = format!("GATE-T{}", crate::support::unique());
    let key = |seed: u8| {
        hex::encode(
            ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
                .verifying_key()
                .to_bytes(),
        )
    };
    let form = |path: String, fields: Vec<(&'static str, String)>| {
        let mut all = vec![("csrf", token.clone())];
        all.extend(fields);
        c.post(shared_demo().url(&path)).form(&all).send()
    };
    let resp = form(
        "/staff/card/terminals".into(),
        vec![
            ("code", code.clone()),
            ("kind", "gate".into()),
            ("party", "hz-parks".into()),
            ("public_key", key(3)),
        ],
    )
    .await
    .expect("register");
    assert_eq!(resp.status(), StatusCode::OK, "redirected to the page");
    let html = resp.text().await.expect("page");
    assert!(
        html.contains(&format!("data-code=\"{code}\" data-retired=\"false\"")),
        "{html}"
    );
    let resp = form(
        format!("/staff/card/terminals/{code}/key"),
        vec![("public_key", "zz".into())],
    )
    .await
    .expect("key");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.expect("page").contains("ed25519"));
    let resp = form(
        format!("/staff/card/terminals/{code}/retire"),
        vec![("reason", "设备报废".into())],
    )
    .await
    .expect("retire");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains(&format!("data-code=\"{code}\" data-retired=\"true\"")),
        "{html}"
    );
    let resp = form(
        format!("/staff/card/terminals/{code}/retire"),
        vec![("reason", "again".into())],
    )
    .await
    .expect("retire again");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.expect("page").contains("已停用"));
    // A clerk is not an operator.
    let (c, _) = signed_in("card.clerk").await;
    let (status, _) = page(&c, "/staff/card/operations").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_counter_sells_a_pass_and_holds_the_bicycle_deposit_for_a_holder() {
    let (c, token) = signed_in("card.clerk").await;
    let holder = crate::support::fresh_id_number();
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        let mut all = vec![("csrf", token.clone()), ("holder", holder.clone())];
        all.extend(fields);
        c.post(shared_demo().url(&path)).form(&all).send()
    };
    let resp = post(
        "/staff/card/issue".into(),
        vec![
            ("holder_name", "周六".into()),
            ("rider_category", "adult".into()),
        ],
    )
    .await
    .expect("issue");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    let number = html
        .split("data-card=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the new card")
        .to_string();
    for (what, fields) in [
        ("command", vec![("command", "activate".to_string())]),
        (
            "top-up",
            vec![("purse", "wallet".into()), ("amount", "300".into())],
        ),
    ] {
        let resp = post(format!("/staff/card/{number}/{what}"), fields)
            .await
            .expect(what);
        assert_eq!(resp.status(), StatusCode::OK, "{what}");
    }
    let (_, html) = page(&c, &format!("/staff/card?holder={holder}")).await;
    assert!(
        html.contains(&format!("action=\"/staff/card/{number}/pass\""))
            && html.contains(&format!("action=\"/staff/card/{number}/bike\"")),
        "the counter offers a pass and the bicycle deposit: {html}"
    );

    // A first day that is not a day is refused on the page, the holder's cards still shown.
    let resp = post(
        format!("/staff/card/{number}/pass"),
        vec![
            ("product", "bus_month".into()),
            ("first_day", "soon".into()),
        ],
    )
    .await
    .expect("pass");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("id=\"counter-problem\"")
            && html.contains(&format!("data-card=\"{number}\"")),
        "{html}"
    );
    let today = shared_demo().clock_today();
    let resp = post(
        format!("/staff/card/{number}/pass"),
        vec![("product", "bus_month".into()), ("first_day", today)],
    )
    .await
    .expect("pass");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("<tr data-product=\"bus_month\">")
            && html.contains("<span class=\"wallet\">240.00 元</span>"),
        "the pass is sold from the wallet: {html}"
    );
    let resp = post(
        format!("/staff/card/{number}/bike"),
        vec![("hold", "true".into())],
    )
    .await
    .expect("bike");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("class=\"bike-release\""),
        "the deposit is held: {html}"
    );
    // Another resident's card is no business of a citizen's.
    let (citizen, citizen_token) = signed_in(sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let resp = citizen
        .post(shared_demo().url(&format!("/staff/card/{number}/bike")))
        .form(&[("csrf", citizen_token.as_str()), ("hold", "false")])
        .send()
        .await
        .expect("bike");
    let answer = resp.text().await.expect("page");
    assert!(
        !answer.contains("data-card="),
        "a citizen is not at the counter: {answer}"
    );
    let (_, html) = page(&c, &format!("/staff/card?holder={holder}")).await;
    assert!(
        html.contains("class=\"bike-release\""),
        "the deposit is still held: {html}"
    );
}

/// After an action the next page says once what it did, then forgets it.
#[tokio::test]
async fn an_action_is_confirmed_once_on_the_page_it_leads_to() {
    let (c, token) = signed_in("admin").await;
    let login = format!("flash.{}", crate::support::unique());
    let resp = c
        .post(shared_demo().url("/staff/users"))
        .form(&[
            ("csrf", token.as_str()),
            ("login", login.as_str()),
            ("display_name", "闪存测试"),
            ("org", "330100-002"),
            ("password", "a long enough password 1"),
            ("role_case_clerk", "on"),
        ])
        .send()
        .await
        .expect("create");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("html");
    assert!(
        html.contains("id=\"flash\"") && html.contains(&format!("已新增工作人员 {login}")),
        "the list says the account was added"
    );
    let (_, again) = page(&c, "/staff/users").await;
    assert!(!again.contains("id=\"flash\""), "shown once only");
}
