//! The pages as a visitor without a browser sees them: language, sign-in,
//! CSRF, errors next to fields.

use reqwest::StatusCode;
use sunshine_testkit::shared_demo;

mod card;
mod hotline;

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

/// The two upload forms read the same way: the catalogue's import and the
/// registry's each answer a bad file with its lines, no file with a
/// request for one, and a wrong form token with a refusal.
#[tokio::test]
async fn the_catalogue_and_registry_uploads_answer_a_bad_file_a_missing_one_and_a_forged_form() {
    let base = &shared_demo().base;
    let form = |csrf: &str, file: Option<(&str, &str)>| {
        let f = reqwest::multipart::Form::new().text("csrf", csrf.to_string());
        match file {
            Some((name, body)) => f.part(
                "file",
                reqwest::multipart::Part::bytes(body.as_bytes().to_vec())
                    .file_name(name.to_string()),
            ),
            None => f,
        }
    };
    let (admin, token) = signed_in("admin").await;
    let post = |c: &reqwest::Client, path: &str, f: reqwest::multipart::Form| {
        c.post(format!("{base}{path}")).multipart(f).send()
    };
    let bad = post(
        &admin,
        "/staff/transfer",
        form(&token, Some(("items.csv", "code,name\nXK-1,x\n"))).text("format", "csv"),
    )
    .await
    .expect("posted");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.expect("html").contains("class=\"errors\""));
    let none = post(&admin, "/staff/transfer", form(&token, None))
        .await
        .expect("posted");
    assert_eq!(none.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none
        .text()
        .await
        .expect("html")
        .contains("请选择要导入的文件"));
    let forged = post(
        &admin,
        "/staff/transfer",
        form("forged", Some(("items.csv", "x"))),
    )
    .await
    .expect("posted");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let (worker, token) = signed_in(sunshine_app::demo::COMMUNITY_WORKER).await;
    let file = "身份证号,姓名,性别,出生日期,民族,户籍地址,居住地址,社区代码,户号,与户主关系,联系电话\n\
                ,韩梅,2,1988,汉族,杭州市西湖区保俶路30号,杭州市西湖区保俶路30号,330106001001,BCT0300,02,\n";
    let dry = post(
        &worker,
        "/staff/registry",
        form(&token, Some(("p.csv", file))).text("dry_run", "1"),
    )
    .await
    .expect("posted");
    assert_eq!(dry.status(), StatusCode::OK);
    assert!(dry.text().await.expect("html").contains("将新增1人"));
    let none = post(&worker, "/staff/registry", form(&token, None))
        .await
        .expect("posted");
    assert_eq!(none.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let forged = post(
        &worker,
        "/staff/registry",
        form("forged", Some(("p.csv", file))),
    )
    .await
    .expect("posted");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let (clerk, _) = signed_in("clerk").await;
    let refused = clerk
        .get(format!("{base}/staff/registry"))
        .send()
        .await
        .expect("page");
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "a case clerk collects for no community"
    );
}

/// The registry's record pages answer a stranger, a forged form and a bad
/// correction with a readable page and the right status, and show the
/// city's registrar charts and no person.
#[tokio::test]
async fn the_registry_record_pages_refuse_strangers_forged_forms_and_bad_corrections() {
    let base = &shared_demo().base;
    let get = |c: &reqwest::Client, path: &str| c.get(format!("{base}{path}")).send();
    let household = "/staff/registry/households/330106/BST0001";

    let (worker, token) = signed_in(sunshine_app::demo::COMMUNITY_WORKER).await;
    let list = get(&worker, "/staff/registry/households")
        .await
        .expect("list");
    assert_eq!(list.status(), StatusCode::OK);
    let html = list.text().await.expect("html");
    assert!(
        html.contains(household) && !html.contains("王小明"),
        "names stay off the list"
    );
    let page = get(&worker, household).await.expect("household");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("王小明") && html.contains("社区采集核对"));
    let person = html
        .split("/staff/registry/persons/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("a correction form")
        .to_string();
    let correct = |csrf: &str, column: &str, value: &str| {
        worker
            .post(format!("{base}/staff/registry/persons/{person}/correct"))
            .form(&[
                ("csrf", csrf),
                ("column", column),
                ("value", value),
                ("reason", "核对"),
                ("back", household),
            ])
            .send()
    };
    let forged = correct("forged", "联系电话", "13900000000")
        .await
        .expect("posted");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let bad = correct(&token, "出生日期", "1991-01-01")
        .await
        .expect("posted");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad
        .text()
        .await
        .expect("html")
        .contains("出生日期与身份证号"));
    let moved = correct(&token, "户号", "X1").await.expect("posted");
    assert_eq!(moved.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(moved.text().await.expect("html").contains("迁移"));

    // A clerk has no registry pages; a household is not found for them.
    let (clerk, _) = signed_in("clerk.330106").await;
    for (path, status) in [
        ("/staff/registry/households", StatusCode::FORBIDDEN),
        ("/staff/registry/corrections", StatusCode::FORBIDDEN),
        (household, StatusCode::NOT_FOUND),
        ("/staff/registry/statistics", StatusCode::FORBIDDEN),
    ] {
        let resp = get(&clerk, path).await.expect("page");
        assert_eq!(resp.status(), status, "{path}");
        assert!(
            resp.text().await.expect("html").contains("<main"),
            "{path} is a page"
        );
    }

    let (city, _) = signed_in(sunshine_app::demo::CITY_REGISTRAR).await;
    let stats = get(&city, "/staff/registry/statistics")
        .await
        .expect("stats");
    assert_eq!(stats.status(), StatusCode::OK);
    let html = stats.text().await.expect("html");
    assert!(html.contains("<svg") && html.contains("chart-age") && !html.contains("王小明"));
    assert_eq!(
        get(&city, household).await.expect("page").status(),
        StatusCode::NOT_FOUND
    );

    // A resident's request without a reason is refused on the page.
    let (resident, token) = signed_in(sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let asked = resident
        .post(format!("{base}/account/registry"))
        .form(&[
            ("csrf", token.as_str()),
            ("column", "联系电话"),
            ("value", "13900000000"),
            ("reason", ""),
        ])
        .send()
        .await
        .expect("posted");
    assert_eq!(asked.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(asked.text().await.expect("html").contains("请写明理由"));
}

/// Home care's pages: a forged form and a bad order are refused on a
/// readable page; a clerk has no care page; a stranger cannot act on an
/// order or see it; a resident who is not registered is told so.
#[tokio::test]
async fn the_care_pages_refuse_strangers_forged_forms_and_bad_orders() {
    let base = &shared_demo().base;
    let today = shared_demo().clock_today();
    let (elder, token) = signed_in(sunshine_app::demo::DEMO_ELDER_LOGIN).await;
    let place = |csrf: &str, wanted_on: &str| {
        elder
            .post(format!("{base}/tv/care"))
            .form(&[
                ("csrf", csrf),
                ("service", "meal"),
                ("wanted_on", wanted_on),
                ("request", ""),
            ])
            .send()
    };
    let forged = place("forged", &today).await.expect("posted");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let past = place(&token, "2020-01-01").await.expect("posted");
    assert_eq!(past.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(past.text().await.expect("html").contains("30天内"));
    // A good one, with the provider the alliance assigns.
    let placed = place(&token, &today).await.expect("posted");
    assert_eq!(placed.status(), StatusCode::OK);
    let html = placed.text().await.expect("html");
    let number: String = html
        .split("已预约，工单号 ")
        .nth(1)
        .map(|rest| rest.chars().take(16).collect())
        .expect("the order's number in the flash");
    assert!(html.contains(&format!("id=\"order-{number}\"")), "listed");
    // At a community's kiosk the order is the kiosk's.
    let at_kiosk = elder
        .post(format!("{base}/kiosk/care"))
        .form(&[
            ("csrf", token.as_str()),
            ("service", "errand"),
            ("wanted_on", today.as_str()),
            ("request", ""),
        ])
        .send()
        .await
        .expect("posted");
    assert_eq!(at_kiosk.status(), StatusCode::OK);
    let html = at_kiosk.text().await.expect("html");
    assert!(html.contains("便民服务亭"), "ordered at the kiosk: {html}");

    // The worker reaches a resident's assessment from the household page,
    // with the resident's number filled in.
    let (worker, _) = signed_in(sunshine_app::demo::COMMUNITY_WORKER).await;
    let household = worker
        .get(format!("{base}/staff/registry/households/330106/BST0001"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let link = household
        .split("href=\"/staff/care?community=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to register and assess")
        .replace("&amp;", "&");
    let person = link
        .split("person=")
        .nth(1)
        .and_then(|p| p.split('#').next())
        .expect("the person")
        .to_string();
    let assess = worker
        .get(format!("{base}/staff/care?community={link}"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(assess.contains(&format!("id=\"assess-person\" value=\"{person}\"")));

    // Another enterprise cannot act on it, or see it.
    let (other, other_token) = signed_in(sunshine_app::demo::DEMO_ENTERPRISE_LOGIN).await;
    let accept = other
        .post(format!("{base}/care/orders/{number}/accept"))
        .form(&[("csrf", other_token.as_str()), ("back", "/account/care")])
        .send()
        .await
        .expect("posted");
    assert_eq!(accept.status(), StatusCode::NOT_FOUND);
    let mine = other
        .get(format!("{base}/account/care"))
        .send()
        .await
        .expect("page");
    assert_eq!(mine.status(), StatusCode::OK);
    let html = mine.text().await.expect("html");
    assert!(html.contains("id=\"not-provider\"") && !html.contains(&number));

    // The provider's rating is the resident's: a command from elsewhere is
    // refused, and a bad number of minutes is named.
    let (provider, p_token) = signed_in(sunshine_app::demo::DEMO_PROVIDER_LOGIN).await;
    let post = |c: &reqwest::Client, command: &str, fields: Vec<(&str, String)>| {
        c.post(format!("{base}/care/orders/{number}/{command}"))
            .form(&fields)
            .send()
    };
    let rate = post(
        &provider,
        "confirm",
        vec![("csrf", p_token.clone()), ("rating", "5".into())],
    )
    .await
    .expect("posted");
    assert_eq!(rate.status(), StatusCode::FORBIDDEN);
    post(
        &provider,
        "accept",
        vec![("csrf", p_token.clone()), ("back", "/account/care".into())],
    )
    .await
    .expect("posted");
    let bad = post(
        &provider,
        "serve",
        vec![
            ("csrf", p_token.clone()),
            ("minutes", "一小时".into()),
            ("note", "x".into()),
        ],
    )
    .await
    .expect("posted");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.expect("html").contains("整数"));

    // A clerk has no care page; a citizen not registered is told how.
    let (clerk, _) = signed_in("clerk.330106").await;
    let resp = clerk
        .get(format!("{base}/staff/care"))
        .send()
        .await
        .expect("page");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let (citizen, _) = signed_in(sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let resp = citizen
        .get(format!("{base}/account/care"))
        .send()
        .await
        .expect("page");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp
        .text()
        .await
        .expect("html")
        .contains("id=\"care-not-registered\""));
}
