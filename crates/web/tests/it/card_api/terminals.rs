//! Terminals through the API: bicycles at docks, keys changed and
//! terminals retired, clocks that cannot be right.

use super::*;

#[tokio::test]
async fn a_bicycle_is_taken_with_the_deposit_held_and_returned_for_its_fee() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (_, mine) = citizen.get("/api/v1/cards/mine").await;
    let number = first_card(&mine);
    let wallet = mine[0]["balances"]["wallet"].as_i64().expect("a balance");
    let now = t.app.now_micros();
    let hour = 3_600_000_000i64;
    let dock = |seq: u64, at: i64| json!([{"seq": seq, "card": number, "at": at}]);
    let r = taps(&t, "BIKE-WULIN-01", dock(1, now)).await;
    assert_eq!(outcomes(&r), ["rejected"], "no deposit, no bicycle");
    let (status, held) = citizen
        .post(
            &format!("/api/v1/cards/{number}/bike-deposit"),
            json!({"hold": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{held}");
    assert_eq!(held["amount"], 20_000);
    let r = taps(&t, "BIKE-WULIN-01", dock(2, now + 1_000)).await;
    assert_eq!(r["taps"][0]["product"], "bike_take");
    let (_, view) = citizen.get(&format!("/api/v1/cards/{number}")).await;
    assert_eq!(
        (view["bike_deposit"].as_bool(), view["bike_out"][0].as_str()),
        (Some(true), Some("BIKE-WULIN-01")),
        "{view}"
    );
    let (status, _) = citizen
        .post(
            &format!("/api/v1/cards/{number}/bike-deposit"),
            json!({"hold": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a bicycle is out");
    let r = taps(&t, "BIKE-HUBIN-01", dock(1, now + 2 * hour + 2_000)).await;
    assert_eq!(
        (
            r["taps"][0]["product"].as_str(),
            r["taps"][0]["charged"].as_i64()
        ),
        (Some("bike_return"), Some(100)),
        "{r}"
    );
    let (status, released) = citizen
        .post(
            &format!("/api/v1/cards/{number}/bike-deposit"),
            json!({"hold": false}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{released}");
    // A holder moves money only from the card's account to its wallet.
    let (status, e) = citizen
        .post(
            &format!("/api/v1/cards/{number}/top-ups"),
            json!({"id": 900, "purse": "account", "amount": 5_000}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, e) = citizen
        .post(
            &format!("/api/v1/cards/{number}/top-ups"),
            json!({"id": 901, "purse": "wallet", "amount": 5_000}),
        )
        .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("insufficient_balance")),
        "the account is empty: {e}"
    );
    // A monthly pass: the month's bus rides are free.
    let today = sunshine_domain::clock::local_date(t.app.clock.now());
    let (bought, pass) = citizen
        .post(
            &format!("/api/v1/cards/{number}/passes"),
            json!({"product": "bus_month", "first_day": today.to_string()}),
        )
        .await;
    assert_eq!(bought, StatusCode::CREATED, "{pass}");
    let (not_a_pass, _) = citizen
        .post(
            &format!("/api/v1/cards/{number}/passes"),
            json!({"product": "bus_ordinary", "first_day": today.to_string()}),
        )
        .await;
    assert_eq!(not_a_pass, StatusCode::UNPROCESSABLE_ENTITY, "not a pass");
    let r = taps(
        &t,
        "BUS-B1-01",
        json!([{"seq": 50, "card": number, "at": now + 4 * hour}]),
    )
    .await;
    assert_eq!(
        (
            r["taps"][0]["product"].as_str(),
            r["taps"][0]["charged"].as_i64()
        ),
        (Some("bus_month"), Some(0)),
        "{r}"
    );
    let (_, view) = citizen.get(&format!("/api/v1/cards/{number}")).await;
    assert_eq!(
        view["balances"]["wallet"].as_i64(),
        Some(wallet - 100 - 6_000),
        "the deposit is back, the hour and the pass paid"
    );
    assert_eq!(view["passes"][0]["product"], "bus_month");
    t.stop().await;
}

#[tokio::test]
async fn a_terminal_s_key_is_changed_and_a_retired_terminal_is_refused() {
    let mut t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let operator = Api::as_user(&t.base, "card.operator").await;
    let clerk = Api::as_user(&t.base, "card.clerk").await;
    let (status, list) = operator.get("/api/v1/card/terminals").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let codes: Vec<&str> = list
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|t| t["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"BOAT-01") && codes.contains(&"TAXI-A12345"),
        "{list}"
    );
    assert!(list
        .as_array()
        .expect("a list")
        .iter()
        .all(|t| t["retired_at"].is_null()));
    let (status, _) = clerk.get("/api/v1/card/terminals").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "operators only");

    // The water bus's validator gets a new key: the old one is refused, the new one taken.
    let new_key = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    let new_public = hex::encode(new_key.verifying_key().to_bytes());
    let deny = "/api/v1/card/terminals/BOAT-01/deny-list";
    for (who, code, body, want) in [
        (
            &clerk,
            "BOAT-01",
            json!({"public_key": new_public}),
            StatusCode::FORBIDDEN,
        ),
        (
            &operator,
            "BOAT-01",
            json!({"public_key": "not a key"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (&operator, "BOAT-01", json!({}), StatusCode::BAD_REQUEST),
        (
            &operator,
            "NO-SUCH-01",
            json!({"public_key": new_public}),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (status, e) = who
            .put(&format!("/api/v1/card/terminals/{code}/key"), body)
            .await;
        assert_eq!(status, want, "{e}");
        assert!(e["error"]["code"].is_string(), "{e}");
    }
    let (status, before) = terminal(&t, "BOAT-01", reqwest::Method::GET, deny, None, 0).await;
    assert_eq!(status, StatusCode::OK, "refusals changed nothing: {before}");
    let (status, changed) = operator
        .put(
            "/api/v1/card/terminals/BOAT-01/key",
            json!({"public_key": new_public.to_uppercase()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["public_key"], new_public.as_str());
    let (status, _) = terminal(&t, "BOAT-01", reqwest::Method::GET, deny, None, 0).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old key is refused");
    let (status, list) = signed(&t, &new_key, reqwest::Method::GET, deny, None, 0).await;
    assert_eq!(status, StatusCode::OK, "the new key is taken: {list}");

    // The taxi's point of sale is retired: from then on it is refused.
    let retire = "/api/v1/card/terminals/TAXI-A12345/retirement";
    let (status, e) = operator.post(retire, json!({"reason": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, e) = clerk.post(retire, json!({"reason": "被盗"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    let (status, retired) = operator.post(retire, json!({"reason": "被盗"})).await;
    assert_eq!(status, StatusCode::OK, "{retired}");
    assert!(retired["retired_at"].is_i64(), "{retired}");
    let (status, e) = operator.post(retire, json!({"reason": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    let (status, e) = operator
        .put(
            "/api/v1/card/terminals/TAXI-A12345/key",
            json!({"public_key": new_public}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    let taxi_deny = "/api/v1/card/terminals/TAXI-A12345/deny-list";
    let (status, e) = terminal(&t, "TAXI-A12345", reqwest::Method::GET, taxi_deny, None, 0).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["error"]["code"], "terminal_retired");
    // Only a request signed with its key learns that it is retired.
    let (status, _) = signed(&t, &new_key, reqwest::Method::GET, taxi_deny, None, 0).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let journal = crate::hotline_api::whole_journal(&t.app).await;
    let events: Vec<(&str, &str)> = journal
        .iter()
        .filter(|e| {
            e.event_type == "card.terminal_key_changed" || e.event_type == "card.terminal_retired"
        })
        .map(|e| (e.subject.as_str(), e.event_type.as_str()))
        .collect();
    assert_eq!(
        events,
        [
            ("card-terminal/BOAT-01", "card.terminal_key_changed"),
            ("card-terminal/TAXI-A12345", "card.terminal_retired")
        ]
    );

    // After a restart both changes are kept.
    t.restart().await.expect("restarted");
    let (status, _) = signed(&t, &new_key, reqwest::Method::GET, deny, None, 0).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = terminal(&t, "BOAT-01", reqwest::Method::GET, deny, None, 0).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = terminal(&t, "TAXI-A12345", reqwest::Method::GET, taxi_deny, None, 0).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    t.stop().await;
}

#[tokio::test]
async fn an_absurd_terminal_timestamp_is_refused_not_a_panic() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let path = "/api/v1/card/terminals/HOSP-DESK-01/checks";
    for ts in [i64::MIN.to_string(), i64::MAX.to_string(), "-1".into()] {
        let resp = reqwest::Client::new()
            .post(t.url(path))
            .header("x-timestamp", &ts)
            .header("x-signature", "00".repeat(64))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "timestamp {ts}");
    }
    // The platform is still there.
    let (status, _) = terminal_post(
        &t,
        "HOSP-DESK-01",
        "medical",
        json!({"request_id": "r", "card": "nothing", "total": 1, "insured": 0}),
    )
    .await;
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR);
    t.stop().await;
}
