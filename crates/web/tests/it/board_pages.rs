//! The disclosure and e-licence pages as a visitor without a browser sees
//! them: the public board and its figures, the licence page, its file,
//! verification, the keys, revocation by an approver, and the extranet view.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_testkit::shared_demo;

use crate::hall_api::{
    accepted_counter_case, act, applied_number, city_item, fee_city_item, penalty_city_item,
};
use crate::support::{answers_for, Api};

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub(crate) async fn page(c: &reqwest::Client, url: &str) -> (StatusCode, String) {
    let resp = c.get(url).send().await.expect("page");
    (resp.status(), resp.text().await.expect("html"))
}

/// A browser-like client signed in at `base`, and its CSRF token.
pub(crate) async fn signed_in(base: &str, login: &str) -> (reqwest::Client, String) {
    let c = client();
    let resp = crate::pages::post_login(
        &c,
        base,
        &[
            ("login", login),
            ("password", sunshine_app::demo::DEMO_PASSWORD),
            ("next", "/staff/"),
        ],
    )
    .await
    .expect("login");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{login} signs in");
    let (_, html) = page(&c, &format!("{base}/board")).await;
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).map(|i| i + marker.len()).expect("csrf");
    let token = html[start..].split('"').next().unwrap_or("").to_string();
    (c, token)
}

/// A citizen's case taken through every step to approval; its number.
pub(crate) async fn approved_case(base: &str, item_id: i64, guide: &Value) -> String {
    let citizen = Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let number = applied_number(&citizen, item_id, guide).await;
    approve(base, &number, guide).await;
    number
}

/// A person's application taken at the counter by the demo clerk; its number.
pub(crate) async fn counter_person(
    clerk: &Api,
    item_id: i64,
    form: &Value,
    name: &str,
    id: &str,
) -> String {
    let person = json!({"kind": "person", "name": name, "id_number": id});
    let (status, case) = clerk
        .post(
            "/api/v1/hall/counter-applications",
            json!({"item_id": item_id, "applicant": person, "answers": answers_for(form)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case["number"].as_str().expect("number").to_string()
}

/// The demo clerk accepts a submitted case and takes it through every step to approval.
pub(crate) async fn approve(base: &str, number: &str, guide: &Value) {
    let clerk = Api::as_user(base, "clerk").await;
    act(&clerk, number, json!({"command": "accept"})).await;
    let steps = guide["steps"].as_array().map(Vec::len).unwrap_or(1);
    for _ in 0..steps - 1 {
        act(&clerk, number, json!({"command": "claim"})).await;
        act(&clerk, number, json!({"command": "pass"})).await;
    }
    act(&clerk, number, json!({"command": "claim"})).await;
    let (status, body) = act(&clerk, number, json!({"command": "approve"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Wait until the public board shows case `number` in `state`. The board
/// follows the journal in its own consumer, which on a loaded machine (the
/// whole suite on two cores) may be seconds behind: a minute at most.
pub(crate) async fn on_board(base: &str, number: &str, state: &str) {
    let public = Api::new(base);
    for _ in 0..600 {
        let (_, rows) = public
            .get(&format!("/api/v1/disclosure/cases?state={state}&limit=500"))
            .await;
        let there = rows
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["number"] == number && r["state"] == state);
        if there {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{number} never showed as {state} on the board");
}

#[tokio::test]
async fn the_public_board_lists_cases_masked_filters_them_and_pages() {
    let base = &shared_demo().base;
    let citizen = Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let clerk = Api::as_user(base, "clerk").await;
    let (item_id, guide) = city_item().await;
    let number = applied_number(&citizen, item_id, &guide).await;
    act(&clerk, &number, json!({"command": "accept"})).await;
    on_board(base, &number, "in_process").await;

    let c = client();
    let (status, html) = page(&c, &shared_demo().url("/board")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&number), "the case is on the board");
    assert!(html.contains("王某") && !html.contains("王小明"), "masked");
    assert!(html.contains("办理中") && html.contains("按时"));
    assert!(
        html.contains("data-stream=\"/api/v1/disclosure/stream?lang=zh&#38;after="),
        "the first page goes live"
    );
    assert!(html.contains("<script src=\"/static/board.js\""));

    let (_, filtered) = page(
        &c,
        &shared_demo().url(&format!("/board?item_id={item_id}&state=in_process")),
    )
    .await;
    assert!(filtered.contains(&number), "kept by a matching filter");
    assert!(filtered.contains(&format!(
        "<option value=\"{item_id}\" selected lang=\"zh-CN\">"
    )));
    let (_, other) = page(
        &c,
        &shared_demo().url(&format!("/board?item_id={item_id}&state=withdrawn")),
    )
    .await;
    assert!(!other.contains(&number), "dropped by another state");
    let (_, other) = page(
        &c,
        &shared_demo().url("/board?department=330100-999&department="),
    )
    .await;
    assert!(!other.contains(&number));

    let (status, html) = page(&c, &shared_demo().url("/board?state=lost")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("未知的办件状态"), "a readable message");
    let (status, html) = page(&c, &shared_demo().url("/board?item_id=abc")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("事项应为事项编号"));

    // Paging keeps the filters and only the first page is live.
    let (_, second) = page(
        &c,
        &shared_demo().url(&format!("/board?item_id={item_id}&offset=50")),
    )
    .await;
    assert!(!second.contains("data-stream="), "later pages are not live");
    let (status, _) = page(&c, &shared_demo().url("/board?offset=-5")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let en = c
        .get(shared_demo().url("/board"))
        .header("accept-language", "en")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(en.contains("Sunshine board") && en.contains("In process"));

    let resp = c
        .get(shared_demo().url("/static/board.js"))
        .send()
        .await
        .expect("js");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .contains("javascript"));
    assert!(resp.text().await.expect("js").contains("EventSource"));
}

#[tokio::test]
async fn the_board_figures_show_each_department_and_district() {
    let base = &shared_demo().base;
    let citizen = Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (item_id, guide) = city_item().await;
    let number = applied_number(&citizen, item_id, &guide).await;
    on_board(base, &number, "submitted").await;
    let (status, html) = page(&client(), &shared_demo().url("/board/stats")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"by-department\"") && html.contains("id=\"by-district\""));
    let department = guide["implementing_body"].as_str().expect("department");
    let (_, orgs) = Api::new(base).get("/api/v1/organisations").await;
    let name = orgs
        .as_array()
        .expect("orgs")
        .iter()
        .find(|o| o["code"] == department)
        .and_then(|o| o["name"].as_str())
        .expect("department name")
        .to_string();
    assert!(html.contains(&name), "{name} has a line");
    assert!(html.contains("杭州市") && html.contains("网上受理率"));
}

#[tokio::test]
async fn a_licence_page_shows_the_verdict_a_qr_code_and_a_file_and_anyone_can_verify_it() {
    let base = &shared_demo().base;
    let (item_id, guide) = city_item().await;
    let number = approved_case(base, item_id, &guide).await;
    let licence = format!("ZZ-{number}");
    let c = client();

    // With the number alone: what the board shows, no QR code, no signed text.
    let (status, html) = page(&c, &shared_demo().url(&format!("/licences/{licence}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("verdict valid") && html.contains("有效"));
    assert!(
        html.contains("王某") && !html.contains("王小明"),
        "the holder is masked"
    );
    assert!(
        !html.contains("330106********123X") && !html.contains("<svg"),
        "no identity, no QR code for the public"
    );
    assert!(
        !html.contains("id=\"revoke\""),
        "no revocation form for the public"
    );
    let public_file = c
        .get(shared_demo().url(&format!("/licences/{licence}/file?format=json")))
        .send()
        .await
        .expect("file")
        .text()
        .await
        .expect("file");
    let public_file: Value = serde_json::from_str(&public_file).expect("the file is JSON");
    assert!(
        public_file["token"].is_null() && public_file["holder"] == "王某",
        "the public file is the board's: {public_file}"
    );

    // Its holder sees it in full, with its QR code, and downloads the signed file.
    let (holder, _) = signed_in(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (status, html) = page(&holder, &shared_demo().url(&format!("/licences/{licence}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("王小明") && html.contains("330106********123X"));
    assert!(
        !html.contains("33010619900101123X"),
        "the identity number is masked"
    );
    assert!(html.contains("<svg") && html.contains("/licences/verify?token="));

    let resp = holder
        .get(shared_demo().url(&format!("/licences/{licence}/file?format=json")))
        .send()
        .await
        .expect("file");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap_or("")
        .contains(&format!("{licence}.json")));
    let file = resp.text().await.expect("file");
    let parsed: Value = serde_json::from_str(&file).expect("the file is JSON");
    let token = parsed["token"].as_str().expect("token").to_string();
    assert_eq!(parsed["payload"]["number"], licence.as_str());

    let verify = |q: String| {
        let c = c.clone();
        async move { page(&c, &shared_demo().url(&format!("/licences/verify?{q}"))).await }
    };
    let (status, html) = verify(String::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("id=\"verdict\""), "nothing checked yet");
    let (_, html) = verify(format!("number={licence}")).await;
    assert!(html.contains("verdict valid"), "by number");
    let (_, html) = verify(format!("token={token}")).await;
    assert!(
        html.contains("verdict valid") && html.contains(&licence) && html.contains("王小明"),
        "by token, in full"
    );
    let full_link = format!(
        "/licences/{licence}?token={}",
        sunshine_web::auth::url_escape(&token)
    );
    assert!(html.contains(&full_link), "with a link to the full licence");
    let (_, html) = page(&c, &shared_demo().url(&full_link)).await;
    assert!(
        html.contains("王小明") && html.contains("<svg"),
        "the token shows it in full"
    );
    let pasted: String = file.bytes().map(|b| format!("%{b:02X}")).collect();
    let (_, html) = verify(format!("token={pasted}")).await;
    assert!(html.contains("verdict valid"), "by the pasted file");
    let mut forged = token.clone();
    forged.replace_range(12..13, if &forged[12..13] == "A" { "B" } else { "A" });
    let (_, html) = verify(format!("token={forged}")).await;
    assert!(
        html.contains("verdict forged") && html.contains("请勿采信"),
        "altered"
    );
    let (_, html) = verify("number=ZZ-2026-330100-999999".into()).await;
    assert!(html.contains("verdict forged"), "no such number");

    let (status, html) = page(&c, &shared_demo().url("/licences/keys")).await;
    assert_eq!(status, StatusCode::OK);
    let key = parsed["public_key"].as_str().expect("key");
    assert!(html.contains(key), "the issuer's key is published");

    let (status, _) = page(&c, &shared_demo().url("/licences/ZZ-nothing")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every word of these pages is in the dictionary, in both languages.
    for path in [
        format!("/licences/{licence}"),
        format!("/licences/verify?number={licence}"),
        "/licences/keys".to_string(),
        "/board".to_string(),
        "/board/stats".to_string(),
    ] {
        for lang in ["zh", "en"] {
            let (status, html) = page(
                &c,
                &shared_demo().url(&format!(
                    "{path}{}lang={lang}",
                    if path.contains('?') { "&" } else { "?" }
                )),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{path} in {lang}");
            assert!(!html.contains("??"), "{path} in {lang} misses a word");
        }
    }
    let (_, en) = page(
        &c,
        &shared_demo().url(&format!("/licences/{licence}?lang=en")),
    )
    .await;
    assert!(en.contains("Valid: this licence was signed by"));
}

#[tokio::test]
async fn an_approver_revokes_a_licence_with_a_reason_from_its_page() {
    let base = &shared_demo().base;
    let (item_id, guide) = city_item().await;
    let number = approved_case(base, item_id, &guide).await;
    let licence = format!("ZZ-{number}");
    let url = shared_demo().url(&format!("/licences/{licence}"));
    let revoke_url = format!("{url}/revoke");

    let (clerk, _) = signed_in(base, "clerk").await;
    let (_, html) = page(&clerk, &url).await;
    assert!(!html.contains("id=\"revoke\""), "a clerk may not revoke");

    let (c, token) = signed_in(base, "approver").await;
    let (_, html) = page(&c, &url).await;
    assert!(
        html.contains("id=\"revoke\""),
        "the approver over the issuer may"
    );
    let resp = c
        .post(&revoke_url)
        .form(&[("csrf", "forged"), ("reason", "理由")])
        .send()
        .await
        .expect("post");
    assert_eq!(
        resp.status(),
        StatusCode::FORBIDDEN,
        "the CSRF token is checked"
    );
    let resp = c
        .post(&revoke_url)
        .form(&[("csrf", token.as_str()), ("reason", "  ")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("html");
    assert!(
        html.contains("id=\"reason-error\"") && html.contains("撤销应说明理由"),
        "the reason's error stands next to it"
    );
    assert!(html.contains("verdict valid"), "nothing was revoked");
    let resp = c
        .post(&revoke_url)
        .form(&[
            ("csrf", token.as_str()),
            ("reason", "申请人以欺骗手段取得许可"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&client(), &url).await;
    assert!(
        html.contains("verdict revoked") && !html.contains("申请人以欺骗手段取得许可"),
        "the public sees it revoked, not why"
    );
    let (_, html) = page(&c, &url).await;
    assert!(html.contains("verdict revoked") && html.contains("申请人以欺骗手段取得许可"));
    assert!(!html.contains("id=\"do-revoke\""));
    let (_, html) = page(
        &c,
        &shared_demo().url(&format!("/licences/verify?number={licence}")),
    )
    .await;
    assert!(
        html.contains("已撤销") && html.contains("撤销理由：申请人以欺骗手段取得许可"),
        "the verification says revoked, when and why"
    );
    let today = shared_demo().clock_today().to_string();
    let mut ymd = today.split('-').map(|n| n.trim_start_matches('0'));
    let (y, m, d) = (ymd.next(), ymd.next(), ymd.next());
    let day = format!(
        "{}年{}月{}日",
        y.unwrap_or(""),
        m.unwrap_or(""),
        d.unwrap_or("")
    );
    assert!(html.contains(&format!("已于{day}")), "with the date: {day}");

    // Signed out, the form's address sends to sign-in.
    let resp = client()
        .post(&revoke_url)
        .form(&[("csrf", "x"), ("reason", "y")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_extranet_view_shows_staff_what_the_public_never_sees() {
    let base = &shared_demo().base;
    let clerk = Api::as_user(base, "clerk").await;
    let (item_id, guide) = city_item().await;
    let number = approved_case(base, item_id, &guide).await;
    let counter = counter_person(
        &clerk,
        item_id,
        &guide["form"],
        "赵六",
        "11010519491231002X",
    )
    .await;

    let (c, _) = signed_in(base, "clerk").await;
    let (status, html) = page(
        &c,
        &shared_demo().url(&format!("/staff/board?item_id={item_id}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&number) && html.contains(&counter));
    assert!(
        html.contains("33010619900101123X") && html.contains("11010519491231002X"),
        "staff see identity numbers"
    );
    assert!(html.contains("王小明") && html.contains("窗口受理"));
    assert!(html.contains("准予许可"));
    let (_, en) = page(&c, &shared_demo().url("/staff/board?lang=en")).await;
    assert!(en.contains("Extranet case view") && !en.contains("??"));

    // A penalty case shows its circumstance, measure and fine; a fee item its charges.
    let (penalty_item, penalty_guide) = penalty_city_item().await;
    let fined = accepted_counter_case(&clerk, penalty_item, &penalty_guide).await;
    let d = &penalty_guide["discretion"][0];
    let min = d["min_fen"].as_i64().expect("min");
    let (status, body) = clerk
        .post(
            &format!("/api/v1/hall/cases/{fined}/penalty"),
            json!({"circumstance": 0, "amount_fen": min}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, html) = page(
        &c,
        &shared_demo().url(&format!("/staff/board?item_id={penalty_item}")),
    )
    .await;
    let measure = d["measure"].as_str().expect("measure");
    let fine = format!("罚款{}.{:02}元", min / 100, min % 100);
    assert!(
        html.contains(&fined) && html.contains(measure) && html.contains(&fine),
        "the enforcement details of {fined}: {measure}, {fine}"
    );
    let (fee_item, fee_guide) = fee_city_item().await;
    let charged = accepted_counter_case(&clerk, fee_item, &fee_guide).await;
    let fee = &fee_guide["fees"][0];
    let (status, body) = clerk
        .post(
            &format!("/api/v1/hall/cases/{charged}/fees"),
            json!({"name": fee["name"], "amount_fen": fee["standard_fen"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, html) = page(
        &c,
        &shared_demo().url(&format!("/staff/board?item_id={fee_item}")),
    )
    .await;
    assert!(
        html.contains(fee["name"].as_str().expect("fee name")),
        "the fee charged"
    );
    assert!(html.contains("1/"), "the current step is shown");

    let (admin, _) = signed_in(base, "editor").await;
    let (status, html) = page(&admin, &shared_demo().url("/staff/board")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a catalogue editor handles no cases"
    );
    assert!(html.contains("您没有查看任何部门办件的权限"));
    let (xihu, _) = signed_in(base, "xihu.approver").await;
    let (status, html) = page(&xihu, &shared_demo().url("/staff/board")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains(&number),
        "a district sees none of the city's cases"
    );
    let resp = client()
        .get(shared_demo().url("/staff/board"))
        .send()
        .await
        .expect("page");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "sign in first");
}
