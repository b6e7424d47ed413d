//! What Open311 refuses, and how: every error case in the standard's form,
//! a client over its rate, control characters, absurd dates.

use super::*;

#[tokio::test]
async fn every_error_case_is_answered_in_the_standards_form() {
    let demo = sunshine_testkit::shared_demo();
    let api_key = key(demo, "Error Cases").await;
    let k = api_key.as_str();
    let long = "字".repeat(4001);
    let cases: Vec<ErrorCase> = vec![
        (
            vec![
                ("service_code", "streetlight.out"),
                ("lat", "30.28"),
                ("long", "120.13"),
            ],
            StatusCode::FORBIDDEN,
            "api_key was not provided",
        ),
        (
            vec![
                ("api_key", "not-a-key"),
                ("service_code", "streetlight.out"),
                ("lat", "30.28"),
                ("long", "120.13"),
            ],
            StatusCode::FORBIDDEN,
            "api_key is invalid",
        ),
        (
            vec![("api_key", k), ("lat", "30.28"), ("long", "120.13")],
            StatusCode::BAD_REQUEST,
            "service_code",
        ),
        (
            vec![
                ("api_key", k),
                ("service_code", "no.such"),
                ("lat", "30.28"),
                ("long", "120.13"),
            ],
            StatusCode::NOT_FOUND,
            "service_code",
        ),
        (
            vec![("api_key", k), ("service_code", "streetlight.out")],
            StatusCode::BAD_REQUEST,
            "location",
        ),
        (
            vec![
                ("api_key", k),
                ("service_code", "streetlight.out"),
                ("lat", "north"),
                ("long", "120.13"),
            ],
            StatusCode::BAD_REQUEST,
            "lat",
        ),
        (
            vec![
                ("api_key", k),
                ("service_code", "streetlight.out"),
                ("address_string", "文三路"),
                ("description", &long),
            ],
            StatusCode::BAD_REQUEST,
            "4000",
        ),
        (
            vec![
                ("api_key", k),
                ("service_code", "city.noise"),
                ("address_string", "文三路"),
                ("attribute[source]", "volcano"),
            ],
            StatusCode::BAD_REQUEST,
            "attribute[source]",
        ),
        (
            vec![
                ("api_key", k),
                ("service_code", "city.noise"),
                ("address_string", "文三路"),
            ],
            StatusCode::BAD_REQUEST,
            "attribute[source]",
        ),
        (
            vec![
                ("api_key", k),
                ("service_code", "streetlight.out"),
                ("address_string", "文三路"),
                ("email", "nobody"),
            ],
            StatusCode::BAD_REQUEST,
            "e-mail",
        ),
        (
            vec![
                ("api_key", k),
                ("service_code", "streetlight.out"),
                ("address_string", "文三路"),
                ("jurisdiction_id", "elsewhere"),
            ],
            StatusCode::NOT_FOUND,
            "jurisdiction",
        ),
    ];
    for (form, status, says) in &cases {
        for format in ["json", "xml"] {
            let a = post(&demo.base, &format!("requests.{format}"), form).await;
            assert_eq!(a.status, *status, "{form:?} as {format}: {}", a.body);
            let v = if format == "json" {
                serde_json::from_str(&a.body).expect("JSON")
            } else {
                xml_to_json(&parse_xml(&a.body))
            };
            check_errors(&v, status.as_u16());
            assert!(
                a.body.contains(says),
                "{form:?}: the error says what is wrong ({says}): {}",
                a.body
            );
        }
    }
    let journal = demo
        .with_app(|app| async move { crate::hotline_api::whole_journal(&app).await })
        .await;
    assert!(
        !journal.iter().any(|e| e.actor == "open311:Error Cases"),
        "no refused request was stored"
    );

    // Bad list parameters.
    for query in [
        "?start_date=yesterday",
        "?status=pending",
        "?page=0",
        "?page_size=1001",
        "?service_request_id=abc",
        "?start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z",
    ] {
        let (status, e) = both(&demo.base, "requests", query, "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        check_errors(&e, 400);
    }
    for path in ["requests/999999999", "requests/abc", "tokens/no-such-token"] {
        let (status, e) = both(&demo.base, path, "", "").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        check_errors(&e, 404);
    }
    // A form must be form-encoded.
    let resp = reqwest::Client::new()
        .post(format!("{}{BASE}/requests.json", demo.base))
        .json(&json!({"api_key": k, "service_code": "streetlight.out"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // A revoked key no longer works.
    let (row, revoked) = issue_key(
        demo,
        "Revoked Client",
        sunshine_app::hotline::DEFAULT_PER_MINUTE,
    )
    .await;
    demo.with_app(
        move |app| async move { app.revoke_open311_key(None, row).await.expect("revoked") },
    )
    .await;
    let a = post(
        &demo.base,
        "requests.json",
        &[
            ("api_key", revoked.as_str()),
            ("service_code", "streetlight.out"),
            ("address_string", "文三路"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_client_over_its_rate_is_refused_politely_until_the_next_minute() {
    let demo = sunshine_testkit::shared_demo();
    let (_, k) = issue_key(demo, "Slow Client", 2).await;
    let form = [
        ("api_key", k.as_str()),
        ("service_code", "streetlight.out"),
        ("address_string", "文三路 2 号"),
        ("description", "限流"),
    ];
    // The shared clock does not move, so all three fall in one minute.
    for _ in 0..2 {
        let a = post(&demo.base, "requests.json", &form).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    }
    let resp = reqwest::Client::new()
        .post(format!("{}{BASE}/requests.xml", demo.base))
        .form(&form)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&wait), "{wait}");
    let body = resp.text().await.expect("body");
    let e = xml_to_json(&parse_xml(&body));
    check_errors(&e, 429);
    assert!(body.contains("2 requests a minute"), "{body}");
    // Reading needs no key and is not limited.
    let (status, _) = both(&demo.base, "services", "", "services").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn control_characters_are_refused_and_the_xml_feed_stays_valid() {
    let demo = sunshine_testkit::shared_demo();
    let k = key(demo, "Control Client").await;
    for (field, value) in [
        ("description", "坑\u{1}"),
        ("description", "坑\u{202e}"),
        ("address_string", "文三路\u{0b}1 号"),
        ("address_string", "文三路\n1 号"),
    ] {
        let a = post(
            &demo.base,
            "requests.json",
            &[
                ("api_key", k.as_str()),
                ("service_code", "road.pothole"),
                ("lat", "30.27"),
                ("long", "120.15"),
                (field, value),
            ],
        )
        .await;
        assert_eq!(
            a.status,
            StatusCode::BAD_REQUEST,
            "{field} {value:?}: {}",
            a.body
        );
    }
    // Multi-line text is fine.
    filed(
        &demo.base,
        &k,
        &[
            ("service_code", "road.pothole"),
            ("address_string", "文三路 1 号"),
            ("description", "第一行\n第二行\t完"),
        ],
    )
    .await;
    let xml = get(&demo.base, "requests.xml").await;
    assert_eq!(xml.status, StatusCode::OK);
    let mut reader = Reader::from_str(&xml.body);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("the XML feed does not parse: {e}"),
        }
    }
}

#[tokio::test]
async fn absurd_dates_in_queries_are_answered_not_a_panic() {
    let demo = sunshine_testkit::shared_demo();
    let far = "start_date=-009999-01-01T00:00:00Z&end_date=9999-12-31T23:59:59Z";
    for path in [
        format!("requests.json?{far}"),
        format!("servicerequestupdates.json?{far}"),
        "requests.json?start_date=9999-12-31T23:59:59Z".to_string(),
        "requests.json?end_date=-009999-01-01T00:00:00Z".to_string(),
        "requests.json?start_date=99999999999999999999".to_string(),
    ] {
        let a = get(&demo.base, &path).await;
        assert!(
            matches!(a.status, StatusCode::OK | StatusCode::BAD_REQUEST),
            "{path}: {} {}",
            a.status,
            a.body
        );
    }
    for q in [
        "from=-009999-01-01&until=9999-12-31",
        "until=-009999-01-01",
        "from=9999-12-31",
        "from=99999-01-01",
    ] {
        let resp = reqwest::get(format!("{}/api/v1/hotline/indicators?{q}", demo.base))
            .await
            .expect("sent");
        assert!(
            resp.status().is_success() || resp.status().is_client_error(),
            "{q}: {}",
            resp.status()
        );
    }
}
