//! Credentials that end: API tokens expire and are listed and revoked by
//! their owner and the administrators over them; page sessions are listed
//! and ended; a disabled staff member is out at once.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_app::demo::DEMO_PASSWORD;
use sunshine_testkit::shared_demo;

use crate::pages::csrf;
use crate::support::{fields, fresh_citizen, unique, Api};

/// A token for `login`, asked for over the API with these extras.
async fn token_with(base: &str, login: &str, password: &str, extra: Value) -> (StatusCode, Value) {
    let mut body = json!({"login": login, "password": password, "name": "a program"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    Api::new(base).post("/api/v1/auth/tokens", body).await
}

fn bearer(base: &str, token: &Value) -> Api {
    Api {
        token: token["token"].as_str().map(str::to_string),
        ..Api::new(base)
    }
}

/// A staff account made now by the root administrator, and a token for it.
async fn fresh_staff(org: &str, roles: &[&str]) -> (String, Api) {
    let base = &shared_demo().base;
    let admin = Api::as_user(base, "admin").await;
    let login = format!("trust.{}", unique());
    let (status, body) = admin
        .post(
            "/api/v1/staff",
            json!({"login": login, "display_name": "测试员", "org": org, "password": DEMO_PASSWORD, "roles": roles}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, token) = token_with(base, &login, DEMO_PASSWORD, json!({})).await;
    (login.clone(), bearer(base, &token))
}

async fn token_ids(api: &Api, query: &str) -> Vec<(i64, String, bool)> {
    let (status, list) = api.get(&format!("/api/v1/auth/tokens{query}")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .expect("a list")
        .iter()
        .map(|t| {
            (
                t["id"].as_i64().expect("an id"),
                t["name"].as_str().unwrap_or_default().to_string(),
                t["live"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_token_past_its_end_is_refused_as_expired_and_lasts_ninety_days_at_most() {
    let t = sunshine_testkit::TestApp::with_organisations()
        .await
        .expect("platform");
    let (status, body) = token_with(
        &t.base,
        "admin",
        DEMO_PASSWORD,
        json!({"expires_in_days": 91}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["expires_in_days"]);
    let (_, day) = token_with(
        &t.base,
        "admin",
        DEMO_PASSWORD,
        json!({"expires_in_days": 1}),
    )
    .await;
    let (_, default) = token_with(&t.base, "admin", DEMO_PASSWORD, json!({})).await;
    let (day, default) = (bearer(&t.base, &day), bearer(&t.base, &default));
    assert_eq!(day.get("/api/v1/me").await.0, StatusCode::OK);

    t.clock.advance(jiff::SignedDuration::from_hours(25));
    let (status, body) = day.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "token_expired", "it says why");
    assert_eq!(default.get("/api/v1/me").await.0, StatusCode::OK);
    let listed = token_ids(&default, "").await;
    assert_eq!(
        listed.iter().map(|(_, _, live)| *live).collect::<Vec<_>>(),
        [true, false],
        "the list, newest first, tells the expired one: {listed:?}"
    );

    t.clock.advance(jiff::SignedDuration::from_hours(24 * 89));
    let (status, body) = default.get("/api/v1/me").await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!("token_expired")),
        "no token outlives ninety days"
    );
    t.stop().await;
}

#[tokio::test]
async fn an_owner_lists_and_revokes_their_tokens_and_never_sees_a_secret() {
    let base = &shared_demo().base;
    let (citizen, id) = fresh_citizen(base).await;
    let (_, second) = token_with(base, &id, "long-enough-1", json!({"expires_in_days": 7})).await;
    let secret = second["token"].as_str().expect("a token").to_string();
    let second = bearer(base, &second);
    let (_, raw) = citizen.get("/api/v1/auth/tokens").await;
    assert!(!raw.to_string().contains(&secret), "no secret in the list");
    let listed = token_ids(&citizen, "").await;
    assert_eq!(
        listed.len(),
        3,
        "one as it signed up, one once bound, one now: {listed:?}"
    );
    let (newest, _, _) = listed[0];

    let (status, _) = citizen
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/auth/tokens/{newest}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = second.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "bad_token");
    assert_eq!(
        citizen.get("/api/v1/me").await.0,
        StatusCode::OK,
        "the other still works"
    );
    assert!(!token_ids(&citizen, "").await[0].2, "listed as revoked");

    // Another citizen cannot revoke theirs, nor learn that it exists.
    let (other, _) = fresh_citizen(base).await;
    let (oldest, _, _) = listed[1];
    let (status, _) = other
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/auth/tokens/{oldest}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(citizen.get("/api/v1/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn administrators_revoke_tokens_over_their_organisation_only() {
    let base = &shared_demo().base;
    let (_, xihu_admin) = fresh_staff("330106", &["administrator"]).await;
    let (xihu_login, xihu_staff) = fresh_staff("330106", &["case_clerk"]).await;
    let (city_login, city_staff) = fresh_staff("330100", &["case_clerk"]).await;
    let (citizen, citizen_id) = fresh_citizen(base).await;

    // A district administrator over a district account: listed and revoked.
    let theirs = token_ids(&xihu_admin, &format!("?login={xihu_login}")).await;
    let (status, _) = xihu_admin
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/auth/tokens/{}", theirs[0].0),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        xihu_staff.get("/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );

    // Not a city account, not a citizen's.
    let city = token_ids(&city_staff, "").await;
    let (status, _) = xihu_admin
        .get(&format!("/api/v1/auth/tokens?login={city_login}"))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a city account is not theirs to list"
    );
    let (status, _) = xihu_admin
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/auth/tokens/{}", city[0].0),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(city_staff.get("/api/v1/me").await.0, StatusCode::OK);
    let mine = token_ids(&citizen, "").await;
    let (status, _) = xihu_admin
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/auth/tokens/{}", mine[0].0),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(citizen.get("/api/v1/me").await.0, StatusCode::OK);

    // The root administrator revokes a citizen's.
    let root = Api::as_user(base, "admin").await;
    assert_eq!(
        token_ids(&root, &format!("?login={citizen_id}"))
            .await
            .len(),
        2,
        "one from signing up, one since binding"
    );
    let (status, _) = root
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/auth/tokens/{}", mine[0].0),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(citizen.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
}

/// A browser signed in as `login` on the shared demo, with the account page's CSRF token.
async fn browser(login: &str, password: &str) -> (reqwest::Client, String) {
    let c = crate::pages::client();
    let resp = crate::pages::post_login(
        &c,
        &shared_demo().base,
        &[
            ("login", login),
            ("password", password),
            ("next", "/account"),
        ],
    )
    .await
    .expect("login");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("account page");
    assert!(
        html.contains("id=\"sessions\""),
        "the account page after sign-in: {html}"
    );
    (c, csrf(&html))
}

async fn account(c: &reqwest::Client) -> String {
    let (status, html) = crate::pages::page(c, "/account").await;
    assert_eq!(status, StatusCode::OK);
    html
}

/// The ids of the sessions a page offers to end.
fn ended_by_form(html: &str) -> Vec<String> {
    html.split("action=\"/account/sessions/")
        .skip(1)
        .filter_map(|r| r.split("/end\"").next())
        .filter(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn sessions_are_listed_and_ended_by_their_owner_on_the_page_and_the_api() {
    let base = &shared_demo().base;
    let (api, id) = fresh_citizen(base).await;
    let (laptop, token) = browser(&id, "long-enough-1").await;
    let (phone, _) = browser(&id, "long-enough-1").await;

    let html = account(&laptop).await;
    assert!(html.contains("当前设备"), "this one is marked");
    assert!(
        html.contains("href=\"/account\""),
        "the header links to the page"
    );
    let others = ended_by_form(&html);
    assert_eq!(
        others.len(),
        1,
        "the phone's session can be ended: {others:?}"
    );
    let (status, listed) = api.get("/api/v1/auth/sessions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    assert!(!listed.to_string().contains("csrf"));

    // The laptop ends the phone's session: the phone is signed out.
    let resp = laptop
        .post(shared_demo().url(&format!("/account/sessions/{}/end", others[0])))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .expect("end");
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, html) = crate::pages::page(&phone, "/account").await;
    assert!(
        html.contains("name=\"password\""),
        "the phone is asked to sign in again"
    );

    // Over the API: sign out everywhere.
    let (status, ended) = api
        .call(reqwest::Method::DELETE, "/api/v1/auth/sessions", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ended["sessions"], 1);
    let (_, html) = crate::pages::page(&laptop, "/account").await;
    assert!(
        html.contains("name=\"password\""),
        "the laptop is signed out too"
    );

    // On the page: sign out everywhere ends this browser's session as well.
    let (laptop, token) = browser(&id, "long-enough-1").await;
    let (phone, _) = browser(&id, "long-enough-1").await;
    let resp = laptop
        .post(shared_demo().url("/account/sessions/end-all"))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .expect("end all");
    assert_eq!(resp.status(), StatusCode::OK);
    for c in [&laptop, &phone] {
        let (_, html) = crate::pages::page(c, "/account").await;
        assert!(html.contains("name=\"password\""), "signed out everywhere");
    }
    let (_, listed) = api.get("/api/v1/auth/sessions").await;
    assert_eq!(listed, json!([]));

    // A session that is not theirs is not there.
    let (status, _) = api
        .call(
            reqwest::Method::DELETE,
            "/api/v1/auth/sessions/0123456789abcdef",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_disabled_staff_members_session_and_token_stop_working_at_once() {
    let base = &shared_demo().base;
    let (login, staff) = fresh_staff("330106", &["case_clerk"]).await;
    let (staff_browser, _) = browser(&login, DEMO_PASSWORD).await;

    // The administrator presses the row's button.
    let (admin, _) = crate::pages::signed_in("admin").await;
    let (_, html) = crate::pages::page(&admin, "/staff/users").await;
    let button = format!("action=\"/staff/users/{login}/disable\"");
    assert!(html.contains(&button), "a disable button on the row");
    assert!(
        !html.contains("action=\"/staff/users/admin/disable\""),
        "none on one's own row"
    );
    let resp = admin
        .post(shared_demo().url(&format!("/staff/users/{login}/disable")))
        .form(&[("csrf", csrf(&html).as_str())])
        .send()
        .await
        .expect("disable");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("staff page");
    assert!(html.contains(&format!("action=\"/staff/users/{login}/enable\"")));

    let (status, _) = staff.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the token stops at once");
    let (_, page) = crate::pages::page(&staff_browser, "/account").await;
    assert!(
        page.contains("name=\"password\""),
        "the session ends at once"
    );
    let (status, _) = token_with(base, &login, DEMO_PASSWORD, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no new sign-in either");

    // Re-enabled: they sign in again; the old token stays revoked.
    let root = Api::as_user(base, "admin").await;
    let (status, _) = root
        .post(&format!("/api/v1/staff/{login}/enable"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(staff.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = token_with(base, &login, DEMO_PASSWORD, json!({})).await;
    assert_eq!(status, StatusCode::CREATED);

    // Nobody disables themselves; a district administrator not a city account.
    let (status, body) = root.post("/api/v1/staff/admin/disable", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "cannot_disable_self");
    let (_, xihu_admin) = fresh_staff("330106", &["administrator"]).await;
    let (status, _) = xihu_admin
        .post("/api/v1/staff/clerk/disable", json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = xihu_admin
        .post(&format!("/api/v1/staff/{login}/disable"), json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "a district account is theirs"
    );

    let journal = shared_demo()
        .with_app(|app| async move { crate::hotline_api::whole_journal(&app).await })
        .await;
    let subject_events: Vec<&str> = journal
        .iter()
        .filter(|e| e.payload.contains(&login))
        .map(|e| e.event_type.as_str())
        .collect();
    assert!(
        subject_events.contains(&"identity.user_disabled")
            && subject_events.contains(&"identity.user_enabled"),
        "journaled: {subject_events:?}"
    );
}

#[tokio::test]
async fn a_person_issues_a_shorter_token_for_themselves_on_their_page() {
    let base = &shared_demo().base;
    let (api, id) = fresh_citizen(base).await;
    let (browser, token) = browser(&id, "long-enough-1").await;
    let resp = browser
        .post(shared_demo().url("/account/tokens"))
        .form(&[
            ("csrf", token.as_str()),
            ("name", "报税软件"),
            ("days", "120"),
        ])
        .send()
        .await
        .expect("issue");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("class=\"field-error\">有效期应为1至90天"),
        "the error next to the field"
    );
    let resp = browser
        .post(shared_demo().url("/account/tokens"))
        .form(&[
            ("csrf", token.as_str()),
            ("name", "报税软件"),
            ("days", "7"),
        ])
        .send()
        .await
        .expect("issue");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    let secret = html
        .split("id=\"new-token\"")
        .nth(1)
        .and_then(|r| r.split("<code>").nth(1))
        .and_then(|r| r.split("</code>").next())
        .expect("the new token, shown once")
        .to_string();
    let program = Api {
        token: Some(secret.clone()),
        ..Api::new(base)
    };
    assert_eq!(program.get("/api/v1/me").await.0, StatusCode::OK);
    let (_, again) = crate::pages::page(&browser, "/account").await;
    assert!(
        again.contains("报税软件") && !again.contains(&secret),
        "listed, never shown again"
    );
    let (_, listed) = api.get("/api/v1/auth/tokens").await;
    assert_eq!(listed[0]["name"], "报税软件");
}
