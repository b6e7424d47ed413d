//! The hotline as the public uses it beyond a call: the dashboard's rates,
//! the knowledge base, the services around a home, and a phone request
//! added to the caller's account.

use super::*;

#[tokio::test]
async fn the_public_dashboard_shows_the_three_rates_and_no_caller() {
    let demo = sunshine_testkit::shared_demo();
    for lang in ["zh-CN", "en"] {
        let resp = reqwest::Client::new()
            .get(demo.url("/hotline"))
            .header("accept-language", lang)
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), StatusCode::OK);
        let html = resp.text().await.expect("page");
        for id in [
            "hotline-all",
            "hotline-units",
            "hotline-districts",
            "hotline-categories",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id} in {lang}");
        }
        let words = if lang == "en" {
            ["Response rate", "Satisfaction rate"]
        } else {
            ["响应率", "满意率"]
        };
        assert!(words.iter().all(|w| html.contains(w)), "{lang}");
        assert!(html.contains('%'), "rates as percentages");
        // The demo's callers' numbers are 1380000NNNN.
        assert!(
            !html.contains("1380000"),
            "no caller on the public dashboard"
        );
    }
    let resp = reqwest::get(demo.url("/hotline?from=someday"))
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.expect("page").contains("YYYY-MM-DD"));
}

/// The knowledge base is searched by words: a question in other words and
/// another order than any article still finds the one that answers it.
#[tokio::test]
async fn the_knowledge_base_answers_a_question_by_its_words() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let operator = Api::as_user(&t.base, "operator").await;
    let clerk = Api::as_user(&t.base, "clerk").await;
    let public = Api::new(&t.base);
    let (status, found) = public
        .get("/api/v1/hotline/knowledge?q=我想把公积金取出来租房用")
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found[0]["title"], "住房公积金提取", "{found}");
    let (_, found) = public
        .get("/api/v1/hotline/knowledge?q=卡丢了怎么挂失")
        .await;
    assert_eq!(found[0]["title"], "市民卡挂失", "{found}");
    let (_, none) = public.get("/api/v1/hotline/knowledge?q=的了吗").await;
    assert_eq!(none, json!([]), "stop words alone find nothing");

    // An operator writes an answer; it is found at once, and a rewrite replaces its words.
    let body = json!({"title": "西湖音乐喷泉开放时间", "body": "西湖音乐喷泉每晚19:00和20:00各演出一场，雨天停演。", "category": "commerce.info"});
    let (status, a) = operator.post("/api/v1/hotline/knowledge", body).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().expect("an id");
    let (_, found) = public
        .get("/api/v1/hotline/knowledge?q=音乐喷泉几点开始")
        .await;
    assert_eq!(found[0]["id"], id, "{found}");
    let (status, a) = operator
        .put(
            &format!("/api/v1/hotline/knowledge/{id}"),
            json!({"title": "西湖夜游", "body": "湖滨步行街夜间开放。"}),
        )
        .await;
    assert_eq!(
        (status, a["version"].as_i64()),
        (StatusCode::OK, Some(2)),
        "{a}"
    );
    let (_, found) = public.get("/api/v1/hotline/knowledge?q=音乐喷泉").await;
    assert!(
        found
            .as_array()
            .expect("a list")
            .iter()
            .all(|f| f["id"] != id),
        "the old words are gone: {found}"
    );

    let (status, _) = clerk
        .post(
            "/api/v1/hotline/knowledge",
            json!({"title": "x", "body": "y"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, e) = operator
        .post(
            "/api/v1/hotline/knowledge",
            json!({"title": "", "body": "", "category": "no.such"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, _) = operator
        .put(
            "/api/v1/hotline/knowledge/999999",
            json!({"title": "x", "body": "y"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let html = reqwest::get(format!("{}/hotline/knowledge?q=燃气有味道怎么办", t.base))
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("燃气泄漏怎么办"), "the page finds it too");
}

/// Services around a home: placed by the street the address names, nearest
/// first, of the kind asked; an address that names no known place says so.
#[tokio::test]
async fn the_services_around_a_home_come_nearest_first() {
    let demo = sunshine_testkit::shared_demo();
    let public = Api::new(&demo.base);
    let (status, v) = public
        .get("/api/v1/hotline/nearby?address=西湖区翠苑一区12幢&kind=elderly_care")
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let services = v["services"].as_array().expect("services");
    assert_eq!(services[0]["name"], "翠苑一区居家养老服务照料中心", "{v}");
    assert!(services.iter().all(|s| s["kind"] == "elderly_care"), "{v}");
    let distances: Vec<f64> = services
        .iter()
        .filter_map(|s| s["distance_m"].as_f64())
        .collect();
    assert!(
        distances.windows(2).all(|w| w[0] <= w[1]) && distances.iter().all(|d| *d <= 5000.0),
        "{distances:?}"
    );
    assert!(
        !services
            .iter()
            .any(|s| s["name"].as_str().is_some_and(|n| n.contains("长河"))),
        "across the river is too far"
    );

    let (status, all) = public
        .get("/api/v1/hotline/nearby?lat=30.1930&long=120.2040")
        .await;
    assert_eq!(status, StatusCode::OK);
    let kinds: std::collections::BTreeSet<&str> = all["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["kind"].as_str())
        .collect();
    assert!(kinds.len() >= 2, "every kind when none is asked: {all}");

    for (query, field) in [
        ("address=月球背面", "address"),
        ("address=文三路&kind=spa", "kind"),
        ("lat=30.2", "long"),
        ("lat=10&long=10", "lat"),
        ("", "address"),
    ] {
        let (status, e) = public.get(&format!("/api/v1/hotline/nearby?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {e}");
        assert!(fields(&e).iter().any(|f| f == field), "{query}: {e}");
    }
    let html = reqwest::get(demo.url("/hotline/nearby?address=上城区东坡路8号"))
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("湖滨街道居家养老服务中心") && html.contains("id=\"nearby\""),
        "the page lists them"
    );
}

/// A call taken by phone joins the caller's account by its number and the
/// query code the operator read out: a wrong code, someone else's request
/// and a staff member are refused alike, and the journal records the claim.
#[tokio::test]
async fn a_caller_adds_a_phone_request_to_their_account_by_its_query_code() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let operator = Api::as_user(&t.base, "operator").await;
    let taken = take(&operator, call("housing.fund", "公积金提取需要哪些材料")).await;
    let ticket = &taken["ticket"];
    let (id, number) = (
        ticket["id"].as_i64().expect("an id"),
        ticket["number"].as_str().expect("a number").to_string(),
    );
    let code = ticket["query_code"]
        .as_str()
        .expect("a query code for the caller")
        .to_string();
    assert_eq!(code.len(), 8, "{code}");

    let (citizen, _) = crate::support::fresh_citizen(&t.base).await;
    let (_, mine) = citizen.get("/api/v1/hotline/mine").await;
    assert!(!mine.to_string().contains(&number), "not theirs yet");
    let claim = |number: &str, code: &str| json!({"number": number, "query_code": code});
    let wrong = if code.starts_with('A') {
        "BBBBBBBB"
    } else {
        "AAAAAAAA"
    };
    for (body, why) in [
        (claim(&number, wrong), "a wrong code"),
        (claim(&number, "short"), "a malformed code"),
        (
            claim("96345-1999-0000001", &code),
            "another request's number",
        ),
        (
            claim(&number.replacen("96345-", "96345-1", 1), &code),
            "a malformed number",
        ),
    ] {
        let (status, body) = citizen.post("/api/v1/hotline/requests/claim", body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{why}: {body}");
    }
    let (status, staff) = operator
        .post("/api/v1/hotline/requests/claim", claim(&number, &code))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "staff do not claim: {staff}");
    // The right pair, in lower case as a caller might type it.
    let (status, claimed) = citizen
        .post(
            "/api/v1/hotline/requests/claim",
            claim(&number, &code.to_lowercase()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["id"], id);
    let (_, mine) = citizen.get("/api/v1/hotline/mine").await;
    assert!(mine.to_string().contains(&number), "{mine}");
    let (status, _) = citizen.get(&format!("/api/v1/hotline/requests/{id}")).await;
    assert_eq!(status, StatusCode::OK, "the requester reads it now");
    // Again: still theirs. Someone else with the same pair: not found.
    let (status, _) = citizen
        .post("/api/v1/hotline/requests/claim", claim(&number, &code))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (other, _) = crate::support::fresh_citizen(&t.base).await;
    let (status, _) = other
        .post("/api/v1/hotline/requests/claim", claim(&number, &code))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "already on another account");
    let journal = whole_journal(&t.app).await;
    let claims: Vec<_> = journal
        .iter()
        .filter(|e| e.event_type == "hotline.claimed" && e.subject == format!("ticket/{id}"))
        .collect();
    assert_eq!(claims.len(), 1, "journaled once");
    t.stop().await;
}
