//! Abuse limits and browser protections, each on a server of its own with
//! the limits it tests (the shared demo's are too generous to meet): failed
//! sign-ins meet a growing back-off, floods meet 429, other sites' pages
//! cannot sign a browser in or change anything, every response carries the
//! security headers, and the metrics are not for everyone.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_app::demo::DEMO_PASSWORD;
use sunshine_testkit::{shared_demo, test_config, TestApp, METRICS_TOKEN};
use sunshine_web::{Limits, Rate, WebConfig};

use crate::pages::{login_token, post_login};

/// A client that connects from `ip` (any 127.x.y.z reaches the loopback
/// server), so that one test can be several client addresses.
fn client_from(ip: &str) -> reqwest::Client {
    let ip: IpAddr = ip.parse().expect("address");
    reqwest::Client::builder()
        .local_address(ip)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn retry_after(headers: &HeaderMap) -> u64 {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a 429 says when to come back: {headers:?}"))
}

fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect()
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    set_cookies(headers)
        .into_iter()
        .find(|c| c.starts_with(&format!("{}=", sunshine_web::auth::SESSION_COOKIE)))
}

async fn token_request(
    c: &reqwest::Client,
    base: &str,
    login: &str,
    password: &str,
) -> reqwest::Response {
    c.post(format!("{base}/api/v1/auth/tokens"))
        .json(&json!({"login": login, "password": password, "name": "abuse test"}))
        .send()
        .await
        .expect("sign-in")
}

#[tokio::test]
async fn thirty_wrong_passwords_for_admin_meet_a_growing_back_off_and_others_still_sign_in() {
    // Production limits: the test shows that the defaults hold.
    let t = TestApp::demo_with(WebConfig::default())
        .await
        .expect("server");
    let attacker = client_from("127.0.0.1");
    let mut waits = Vec::new();
    for attempt in 1..=30 {
        let resp = token_request(&attacker, &t.base, "admin", "wrong-password-1").await;
        match resp.status() {
            StatusCode::UNAUTHORIZED => assert!(
                waits.is_empty(),
                "attempt {attempt}: once refused, always refused"
            ),
            StatusCode::TOO_MANY_REQUESTS => {
                waits.push(retry_after(resp.headers()));
                let body: Value = resp.json().await.expect("json");
                assert_eq!(body["error"]["code"], "too_many_attempts", "{body}");
                assert!(body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()));
            }
            other => panic!("attempt {attempt}: {other}"),
        }
    }
    assert!(
        waits.len() >= 15,
        "30 wrong passwords meet the limit: {waits:?}"
    );
    assert!(
        waits.windows(2).all(|w| w[1] >= w[0]) && waits.last() > waits.first(),
        "each further attempt lengthens the wait: {waits:?}"
    );
    // Even the right password waits now: the login is locked, not the guess.
    let resp = token_request(&attacker, &t.base, "admin", DEMO_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);

    // Someone else, elsewhere, on another login is not held up.
    let other = client_from("127.0.0.2");
    let resp = token_request(&other, &t.base, "editor", DEMO_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::CREATED, "another login signs in");
    let resp = post_login(
        &other,
        &t.base,
        &[("login", "clerk"), ("password", DEMO_PASSWORD)],
    )
    .await
    .expect("page sign-in");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        session_cookie(resp.headers()).is_some(),
        "signed in on the page"
    );
    t.stop().await;
}

fn tight(limits: impl FnOnce(&mut Limits)) -> WebConfig {
    let mut config = test_config();
    limits(&mut config.limits);
    config
}

#[tokio::test]
async fn the_sign_in_page_answers_too_many_failures_with_a_readable_page() {
    let t = TestApp::demo_with(tight(|l| {
        l.sign_in_failures_per_login = Rate::new(3, Duration::from_secs(60));
        l.max_back_off = Duration::from_secs(3600);
    }))
    .await
    .expect("server");
    let c = client_from("127.0.0.3");
    let mut last = None;
    for _ in 0..6 {
        let resp = post_login(
            &c,
            &t.base,
            &[("login", "approver"), ("password", "not-the-one")],
        )
        .await
        .expect("sign-in");
        last = Some((
            resp.status(),
            retry_after_opt(resp.headers()),
            resp.text().await.expect("html"),
        ));
    }
    let (status, wait, html) = last.expect("attempts");
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(wait.is_some_and(|w| w > 60), "the wait has grown: {wait:?}");
    assert!(
        html.contains("尝试过于频繁") && html.contains("<html"),
        "{html}"
    );
    t.stop().await;
}

fn retry_after_opt(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn floods_of_sign_ups_tracking_claims_kiosk_posts_and_aggregates_meet_their_limits() {
    let three = Rate::new(3, Duration::from_secs(3600));
    let t = TestApp::demo_with(tight(|l| {
        l.sign_ups = three;
        l.lookups = three;
        l.kiosk = three;
        l.aggregates = three;
    }))
    .await
    .expect("server");
    let floods: Vec<(&str, &str, Option<Value>)> = vec![
        (
            "POST",
            "/api/v1/citizens",
            Some(json!({"id_number": "x", "name": "x", "password": "x"})),
        ),
        ("POST", "/api/v1/enterprises", Some(json!({}))),
        ("GET", "/hall/track?number=ZZ-1&code=1", None),
        ("GET", "/api/v1/hall/track?number=ZZ-1&code=1", None),
        ("POST", "/hotline/my/claim", None),
        ("POST", "/api/v1/hotline/requests/claim", Some(json!({}))),
        ("POST", "/kiosk", None),
        ("POST", "/account/tv", None),
        (
            "POST",
            "/api/v1/me/tv-pairings",
            Some(json!({"code": "ABCD-EFGH"})),
        ),
        ("GET", "/board/stats", None),
        ("GET", "/api/v1/disclosure/stats", None),
        ("GET", "/supervision", None),
        ("GET", "/api/v1/supervision/board", None),
        ("GET", "/api/v1/supervision/evaluation", None),
        ("GET", "/hotline", None),
        ("GET", "/api/v1/hotline/indicators", None),
        ("GET", "/api/3/action/package_list", None),
        (
            "POST",
            "/api/action/datastore_search",
            Some(json!({"resource_id": "power-items"})),
        ),
        ("GET", "/catalog.ttl", None),
    ];
    for (i, (method, path, body)) in floods.into_iter().enumerate() {
        // Each flood from an address of its own: the buckets are per address.
        let c = client_from(&format!("127.0.1.{}", i + 1));
        let mut statuses = Vec::new();
        for n in 0..5 {
            let mut req = c.request(method.parse().expect("method"), t.url(path));
            // A forged forwarding header is not believed by default.
            req = req.header("x-forwarded-for", format!("198.51.100.{n}"));
            req = match &body {
                Some(b) => req.json(b),
                None if method == "POST" => req.form(&[("description", "x")]),
                None => req,
            };
            let resp = req.send().await.expect("request");
            statuses.push(resp.status());
            if resp.status() == StatusCode::TOO_MANY_REQUESTS {
                assert!(retry_after(resp.headers()) >= 1);
                if path.starts_with("/api/") {
                    let b: Value = resp.json().await.expect("json");
                    assert_eq!(b["error"]["code"], "too_many_attempts", "{path}: {b}");
                }
            }
        }
        assert!(
            statuses[..3]
                .iter()
                .all(|s| *s != StatusCode::TOO_MANY_REQUESTS)
                && statuses[3..]
                    .iter()
                    .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
            "{method} {path}: three, then 429: {statuses:?}"
        );
    }
    t.stop().await;
}

#[tokio::test]
async fn hotline_indicators_are_counted_over_at_most_a_year() {
    let (status, body) = crate::support::Api::new(&shared_demo().base)
        .get("/api/v1/hotline/indicators?from=2000-01-01&until=2026-11-27")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(crate::support::fields(&body), ["from"]);
    let (status, body) = crate::support::Api::new(&shared_demo().base)
        .get("/api/v1/hotline/indicators?from=2025-11-27&until=2026-11-27")
        .await;
    assert_eq!(status, StatusCode::OK, "a year is fine: {body}");
}

#[tokio::test]
async fn a_300_kb_password_is_refused_like_a_wrong_one_and_not_hashed() {
    let huge = "p".repeat(300 * 1024);
    let c = client_from("127.0.0.4");
    let base = &shared_demo().base;
    let resp = token_request(&c, base, "admin", &huge).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "wrong_credentials", "{body}");
    let resp = post_login(&c, base, &[("login", "admin"), ("password", &huge)])
        .await
        .expect("page sign-in");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_flood_of_sign_ins_queues_for_the_hashers_and_is_told_when_they_are_busy() {
    let t = TestApp::demo_with(test_config()).await.expect("server");
    t.app.bound_password_work(1, Duration::from_millis(1));
    let c = client_from("127.0.0.5");
    let attempts = (0..8).map(|_| token_request(&c, &t.base, "editor", DEMO_PASSWORD));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status())
        .collect();
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&StatusCode::SERVICE_UNAVAILABLE),
        "one hasher, eight at once: {statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::CREATED), "{statuses:?}");
    t.stop().await;
}

#[tokio::test]
async fn another_sites_form_cannot_sign_a_browser_in() {
    let base = &shared_demo().base;
    let c = client_from("127.0.0.6");
    let creds = [("login", "editor"), ("password", DEMO_PASSWORD)];

    // No form token (a form on another site cannot read it).
    let resp = c
        .post(format!("{base}/login"))
        .form(&creds)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(session_cookie(resp.headers()).is_none());

    // A token that is not the browser's own.
    let _ = login_token(&c, base).await;
    let mut forged = creds.to_vec();
    forged.push(("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    let resp = c
        .post(format!("{base}/login"))
        .form(&forged)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(session_cookie(resp.headers()).is_none());

    // The right token, but sent by another site's page.
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let token = login_token(&c, base).await;
        let mut form = creds.to_vec();
        form.push(("csrf", &token));
        let resp = c
            .post(format!("{base}/login"))
            .header(name, value)
            .form(&form)
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(session_cookie(resp.headers()).is_none(), "{name}: {value}");
    }

    // The form token's cookie: HttpOnly, SameSite=Strict.
    let resp = c.get(format!("{base}/login")).send().await.expect("page");
    let form_cookie = set_cookies(resp.headers())
        .into_iter()
        .find(|c| c.starts_with(sunshine_web::auth::FORM_COOKIE))
        .expect("a form cookie");
    assert!(
        form_cookie.contains("HttpOnly") && form_cookie.contains("SameSite=Strict"),
        "{form_cookie}"
    );

    // From this site's own page it works, Origin and all.
    let token = login_token(&c, base).await;
    let mut form = creds.to_vec();
    form.push(("csrf", &token));
    let resp = c
        .post(format!("{base}/login"))
        .header("origin", base.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(session_cookie(resp.headers()).is_some());
}

#[tokio::test]
async fn state_changing_requests_from_another_origin_are_refused() {
    let base = &shared_demo().base;
    let (c, csrf) = crate::pages::signed_in("editor").await;
    let resp = c
        .post(format!("{base}/logout"))
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let html = resp.text().await.expect("html");
    assert!(html.contains("其他网站"), "a readable page: {html}");
    // Still signed in: the cross-site post changed nothing.
    let resp = c.get(format!("{base}/staff/")).send().await.expect("page");
    assert_eq!(resp.url().path(), "/staff/");

    let token = shared_demo().token("editor").await.expect("token");
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/tokens"))
        .bearer_auth(&token)
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"login": "editor", "password": DEMO_PASSWORD, "name": "x"}))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "cross_site", "{body}");
    // A program without either header passes.
    let resp = token_request(&reqwest::Client::new(), base, "editor", DEMO_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let c = reqwest::Client::new();
    for path in [
        "/",
        "/login",
        "/catalog",
        "/board",
        "/board/stats",
        "/hotline",
        "/supervision",
        "/kiosk",
        "/no-such-page",
        "/api/v1/openapi.json",
        "/api/v1/no-such-route",
        "/static/app.css",
        "/healthz",
    ] {
        let resp = c.get(shared_demo().url(path)).send().await.expect("page");
        let h = resp.headers();
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert_eq!(csp, sunshine_web::shield::CONTENT_SECURITY_POLICY, "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(
            h.get("strict-transport-security").is_none(),
            "{path}: not over plain http"
        );
        let body = resp.text().await.expect("body");
        assert!(
            !body.contains("<script>")
                && !body.contains(" onsubmit=")
                && !body.contains(" onclick=")
                && !body.contains("style=\"")
                && !body.contains("javascript:"),
            "{path}: nothing inline for the CSP to block"
        );
    }
}

#[tokio::test]
async fn metrics_are_there_only_with_their_token() {
    let base = &shared_demo().base;
    let c = reqwest::Client::new();
    let resp = c.get(format!("{base}/metrics")).send().await.expect("get");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = c
        .get(format!("{base}/metrics"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = c
        .get(format!("{base}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp
        .text()
        .await
        .expect("text")
        .contains("http_requests_total"));

    // Without a token configured there is no /metrics on the main listener at all.
    let t = TestApp::empty_with(WebConfig::default())
        .await
        .expect("server");
    let resp = c
        .get(t.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn an_https_public_url_makes_cookies_secure_and_asks_for_https() {
    let t = TestApp::demo_with(WebConfig {
        public_url: "https://zwfw.example.cn/".parse().ok(),
        ..test_config()
    })
    .await
    .expect("server");
    let c = client_from("127.0.0.7");
    let resp = c.get(t.url("/login")).send().await.expect("page");
    let hsts = resp.headers()["strict-transport-security"]
        .to_str()
        .unwrap_or("")
        .to_string();
    assert!(hsts.starts_with("max-age="), "{hsts}");
    let html = resp.text().await.expect("html");
    let token = crate::pages::login_csrf(&html);
    // The cookie store keeps Secure cookies off plain http, so the test sends it itself.
    let resp = c
        .post(t.url("/login"))
        .header(
            "cookie",
            format!("{}={token}", sunshine_web::auth::FORM_COOKIE),
        )
        .header("origin", "https://zwfw.example.cn")
        .form(&[
            ("login", "editor"),
            ("password", DEMO_PASSWORD),
            ("csrf", &token),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let session = session_cookie(resp.headers()).expect("a session cookie");
    assert!(
        session.contains("; Secure") && session.contains("HttpOnly"),
        "{session}"
    );
    // The site's origin is the public URL's: the Host it was reached at is not enough.
    let resp = c
        .post(t.url("/login"))
        .header("origin", t.base.as_str())
        .form(&[
            ("login", "editor"),
            ("password", DEMO_PASSWORD),
            ("csrf", &token),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    t.stop().await;
}

#[tokio::test]
async fn a_licences_qr_link_ignores_forwarded_host_headers() {
    let base = &shared_demo().base;
    let (item_id, guide) = crate::hall_api::city_item().await;
    let number = crate::board_pages::approved_case(base, item_id, &guide).await;
    // The full licence, with its QR code, is shown to whoever holds its token.
    let holder = crate::support::Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (_, licence) = holder.get(&format!("/api/v1/licences/ZZ-{number}")).await;
    let token = licence["token"]
        .as_str()
        .expect("the holder sees the token")
        .to_string();
    let resp = reqwest::Client::new()
        .get(format!(
            "{base}/licences/ZZ-{number}?token={}",
            crate::support::escape_path(&token)
        ))
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("page");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("html");
    assert!(
        !html.contains("evil.example"),
        "the forwarded host is not believed"
    );
    assert!(
        html.contains(&format!("{base}/licences/verify?token=")),
        "the link is to the Host reached"
    );
    assert!(html.contains("<svg"), "the QR code is still drawn");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let t = TestApp::demo_with(WebConfig {
        trusted_proxies: vec!["127.0.0.8".parse().expect("address")],
        ..tight(|l| l.aggregates = Rate::new(2, Duration::from_secs(3600)))
    })
    .await
    .expect("server");
    let proxy = client_from("127.0.0.8");
    // The client may put anything first; the proxy appends the address it
    // saw, and only that one is counted.
    let get = |forged: &'static str, seen: u8| {
        proxy
            .get(t.url("/api/v1/disclosure/stats"))
            .header("x-forwarded-for", format!("{forged}, 203.0.113.{seen}"))
            .send()
    };
    assert_eq!(
        get("10.0.0.1", 1).await.expect("get").status(),
        StatusCode::OK
    );
    assert_eq!(
        get("10.0.0.2", 1).await.expect("get").status(),
        StatusCode::OK
    );
    assert_eq!(
        get("10.0.0.3", 1).await.expect("get").status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a forged first entry does not make a new client"
    );
    assert_eq!(
        get("10.0.0.1", 2).await.expect("get").status(),
        StatusCode::OK,
        "another client behind the proxy"
    );
    t.stop().await;
}
