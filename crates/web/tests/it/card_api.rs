//! The citizen card through the API: a clerk issues and activates a card,
//! its holder tops it up and sees it, terminals upload signed taps (with
//! repeats, gaps and late arrivals), a lost card is denied at the next tap
//! and in the deny list, a replacement takes the balance; every refusal is
//! answered in the error shape and changes nothing; after a restart the
//! books are what they were.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_app::demo::card::demo_terminal_key;
use sunshine_domain::card::signing;

use crate::support::Api;

/// A terminal's signed request, signed on the platform's clock.
async fn terminal(
    t: &sunshine_testkit::TestApp,
    code: &str,
    method: reqwest::Method,
    path_and_query: &str,
    body: Option<Value>,
    skew: i64,
) -> (StatusCode, Value) {
    let key = demo_terminal_key(code);
    signed(t, &key, method, path_and_query, body, skew).await
}

/// A request signed with `key`, on the platform's clock shifted by `skew` seconds.
async fn signed(
    t: &sunshine_testkit::TestApp,
    key: &ed25519_dalek::SigningKey,
    method: reqwest::Method,
    path_and_query: &str,
    body: Option<Value>,
    skew: i64,
) -> (StatusCode, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let ts = t.app.now_micros() / 1_000_000 + skew;
    let message = signing::message(method.as_str(), path_and_query, ts, body.as_bytes());
    let sig = signing::sign(key, &message);
    let resp = reqwest::Client::new()
        .request(method, t.url(path_and_query))
        .header("x-timestamp", ts.to_string())
        .header("x-signature", sig)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("sent");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn taps(t: &sunshine_testkit::TestApp, code: &str, taps: Value) -> Value {
    let (status, body) = terminal(
        t,
        code,
        reqwest::Method::POST,
        &format!("/api/v1/card/terminals/{code}/taps"),
        Some(json!({ "taps": taps })),
        0,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn outcomes(v: &Value) -> Vec<&str> {
    v["taps"]
        .as_array()
        .expect("taps")
        .iter()
        .map(|t| t["outcome"].as_str().expect("an outcome"))
        .collect()
}

/// A valid resident identity number for person `n` (Shangcheng, 1990).
fn resident(n: u32) -> String {
    let first = format!("33010219900101{n:03}");
    let check = sunshine_domain::ids::ResidentId::check_char(&first).expect("17 digits");
    format!("{first}{check}")
}

#[tokio::test]
async fn a_card_is_issued_topped_up_tapped_lost_denied_and_replaced() {
    let mut t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let clerk = Api::as_user(&t.base, "card.clerk").await;
    let holder = resident(7);

    // Issue and activate.
    let (status, card) = clerk
        .post(
            "/api/v1/cards",
            json!({"holder": holder, "holder_name": "陈七", "rider_category": "adult"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let number = card["number"].as_str().expect("a number").to_string();
    assert_eq!(card["state"], "issued");
    let (status, again) = clerk
        .post(
            "/api/v1/cards",
            json!({"holder": holder, "holder_name": "陈七"}),
        )
        .await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("card_held"))
    );
    let (status, bad) = clerk
        .post(
            "/api/v1/cards",
            json!({"holder": "330102199001010000", "holder_name": "某"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert!(bad["error"]["fields"]["holder"].is_string(), "{bad}");
    let cmd = |c: Value| {
        let (clerk, number) = (&clerk, number.clone());
        async move {
            clerk
                .post(&format!("/api/v1/cards/{number}/commands"), c)
                .await
        }
    };
    // Not active yet: no top-up.
    let (status, _) = clerk
        .post(
            &format!("/api/v1/cards/{number}/top-ups"),
            json!({"id": 1, "purse": "wallet", "amount": 5_000}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = cmd(json!({"command": "activate"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = cmd(json!({"command": "freeze", "reason": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = cmd(json!({"command": "fly"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Top-ups: the bounds, and a retry that adds nothing.
    let top_up = |id: u64, amount: i64| {
        let (clerk, number) = (&clerk, number.clone());
        async move {
            clerk
                .post(
                    &format!("/api/v1/cards/{number}/top-ups"),
                    json!({"id": id, "purse": "wallet", "amount": amount}),
                )
                .await
        }
    };
    let (status, body) = top_up(2, 500).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["amount"].is_string());
    let (status, first) = top_up(3, 5_000).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, retry) = top_up(3, 5_000).await;
    assert_eq!(
        (status, &retry),
        (StatusCode::OK, &first),
        "the first result"
    );
    let (status, _) = top_up(3, 6_000).await;
    assert_eq!(status, StatusCode::CONFLICT, "the id for another amount");
    let (status, body) = top_up(4, 96_000).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "over 1000 yuan: {body}"
    );

    // Rides: 91% of 1 yuan is 0.91; a double tap is free; repeats and gaps.
    let ride = |seq: u64, at: i64| json!({"seq": seq, "card": number, "at": at});
    let now = t.app.now_micros();
    let minute = 60_000_000i64;
    let r = taps(
        &t,
        "BUS-B1-01",
        json!([
            ride(2, now),
            ride(3, now + 1_000_000),
            ride(5, now + 60 * minute)
        ]),
    )
    .await;
    assert_eq!(outcomes(&r), ["charged", "double_tap", "charged"]);
    assert_eq!(
        (
            r["taps"][0]["full"].as_i64(),
            r["taps"][0]["charged"].as_i64()
        ),
        (Some(100), Some(91))
    );
    assert_eq!(r["missing"], json!([4]), "{r}");
    let r = taps(
        &t,
        "BUS-B1-01",
        json!([ride(4, now + 30 * minute), ride(2, now)]),
    )
    .await;
    assert_eq!(
        outcomes(&r),
        ["repeat", "charged"],
        "a repeat changes nothing; a late tap is charged"
    );
    assert_eq!(r["missing"], json!([]));
    let r = taps(&t, "BUS-K155-01", json!([ride(2, now + 90 * minute)])).await;
    assert_eq!(
        (outcomes(&r)[0], r["taps"][0]["charged"].as_i64()),
        ("charged", Some(182)),
        "air-conditioned: 2 yuan"
    );

    // The holder sees the card, with balances and places.
    let other = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (status, _) = other.get(&format!("/api/v1/cards/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "someone else's card");
    let (status, view) = clerk.get(&format!("/api/v1/cards/{number}")).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["balances"]["wallet"], 5_000 - 3 * 91 - 182);
    assert_eq!(view["taps"][0]["place"], "杭州公交集团");
    let (status, mine) = other.get("/api/v1/cards/mine").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(
        mine.as_array().map(Vec::len),
        Some(1),
        "the demo citizen's own card"
    );

    // Signatures: wrong key, stale time, no headers.
    let path = "/api/v1/card/terminals/BUS-B1-01/taps";
    let (status, body) = terminal(
        &t,
        "BOAT-01",
        reqwest::Method::POST,
        path,
        Some(json!({"taps": []})),
        0,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "signed with another terminal's key: {body}"
    );
    let (status, _) = terminal(
        &t,
        "BUS-B1-01",
        reqwest::Method::POST,
        path,
        Some(json!({"taps": []})),
        3_600,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an hour off");
    let resp = reqwest::Client::new()
        .post(t.url(path))
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.expect("the error shape");
    assert_eq!(body["error"]["code"], "unsigned", "{body}");
    let resp = reqwest::Client::new()
        .post(t.url(path))
        .header("x-timestamp", "yesterday")
        .header("x-signature", "00")
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = resp.json().await.expect("the error shape");
    assert_eq!(body["error"]["code"], "bad_timestamp", "{body}");
    let (status, body) = terminal(
        &t,
        "BUS-B1-01",
        reqwest::Method::POST,
        path,
        Some(json!({"taps": "x"})),
        0,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // The deny list: full, then the changes after reporting the card lost.
    let deny = |since: Option<u64>| {
        let t = &t;
        async move {
            let q = since.map(|v| format!("?since={v}")).unwrap_or_default();
            terminal(
                t,
                "BUS-B1-01",
                reqwest::Method::GET,
                &format!("/api/v1/card/terminals/BUS-B1-01/deny-list{q}"),
                None,
                0,
            )
            .await
        }
    };
    let (status, full) = deny(None).await;
    assert_eq!(status, StatusCode::OK, "{full}");
    let version = full["version"].as_u64().expect("a version");
    assert!(!full["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .any(|c| c["card"] == number.as_str()));
    let (status, body) = cmd(json!({"command": "report_loss"})).await;
    assert_eq!(
        (status, body["card"]["state"].as_str()),
        (StatusCode::OK, Some("lost")),
        "{body}"
    );
    let (_, changes) = deny(Some(version)).await;
    assert_eq!(
        changes["changes"],
        json!([{"version": version + 1, "card": number, "reason": "lost"}]),
        "{changes}"
    );
    let r = taps(&t, "BUS-B1-01", json!([ride(20, now + 300 * minute)])).await;
    assert_eq!(outcomes(&r), ["blocked"]);
    assert_eq!(r["deny_version"].as_u64(), Some(version + 1));

    // Replacement: the balance moves, the old number is dead.
    let (status, replaced) = cmd(json!({"command": "replace"})).await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    let new_number = replaced["replacement"]["number"]
        .as_str()
        .expect("a new card")
        .to_string();
    let (_, view) = clerk.get(&format!("/api/v1/cards/{new_number}")).await;
    assert_eq!(view["balances"]["wallet"], 5_000 - 3 * 91 - 182);
    assert_eq!(view["card"]["replaces"], number.as_str());
    let (status, _) = cmd(json!({"command": "activate"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "the old card is dead");

    // Only clerks serve, only operators register.
    let (status, _) = other
        .post(
            "/api/v1/cards",
            json!({"holder": resident(8), "holder_name": "某"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = clerk
        .post(
            "/api/v1/card/parties",
            json!({"code": "x", "name": "x", "kind": "merchant", "accepts": ["wallet"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let operator = Api::as_user(&t.base, "card.operator").await;
    let (status, body) = operator
        .post(
            "/api/v1/card/terminals",
            json!({"code": "POS-9", "kind": "pos", "party": "hz-taxi", "public_key": "00"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["public_key"].is_string());

    // Every step of the cards' lives is in the journal.
    let journal = crate::hotline_api::whole_journal(&t.app).await;
    let events: Vec<&str> = journal
        .iter()
        .filter(|e| e.subject == format!("card/{number}"))
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(
        events,
        [
            "card.issued",
            "card.activated",
            "card.lost",
            "card.replaced"
        ]
    );

    // Clearing and settlement (T+1): the day's taps tie out to the ledger.
    let day =
        sunshine_domain::clock::local_date(jiff::Timestamp::from_microsecond(now).expect("now"));
    let (status, early) = operator
        .post("/api/v1/card/settlements", json!({"day": day.to_string()}))
        .await;
    assert_eq!(
        (status, early["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("day_not_over")),
        "{early}"
    );
    t.clock.advance(jiff::SignedDuration::from_hours(24));
    let (status, report) = operator
        .get(&format!("/api/v1/card/clearing?day={day}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["ties_out"], true, "{report}");
    let bus = report["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["party"] == "hz-bus")
        .expect("the bus company")
        .clone();
    assert_eq!(bus["tapped"], bus["ledger_takings"]);
    assert!(bus["tapped"].as_i64().unwrap_or(0) >= 3 * 91 + 182, "{bus}");
    let (status, rows) = operator
        .post("/api/v1/card/settlements", json!({"day": day.to_string()}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rows}");
    let (status, _) = operator
        .post("/api/v1/card/settlements", json!({"day": day.to_string()}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a day is settled once");
    let (status, bad) = operator.get("/api/v1/card/clearing?day=yesterday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (status, _) = clerk.get(&format!("/api/v1/card/clearing?day={day}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "operators only");

    // After a restart the books are what they were.
    t.restart().await.expect("restarted");
    let clerk = Api::as_user(&t.base, "card.clerk").await;
    let (status, view) = clerk.get(&format!("/api/v1/cards/{new_number}")).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["balances"]["wallet"], 5_000 - 3 * 91 - 182);
    let r = taps(
        &t,
        "BUS-B1-01",
        json!([ride(5, now), ride(21, now + 400 * minute)]),
    )
    .await;
    assert_eq!(
        outcomes(&r),
        ["repeat", "blocked"],
        "the old card is still denied"
    );
    let operator = Api::as_user(&t.base, "card.operator").await;
    let (_, report) = operator
        .get(&format!("/api/v1/card/clearing?day={day}"))
        .await;
    assert_eq!(report["settled"], true, "the settlement is kept: {report}");
    t.stop().await;
}

#[tokio::test]
async fn entitlements_are_granted_checked_at_gates_recorded_at_hospitals_and_revoked() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let clerk = Api::as_user(&t.base, "card.clerk").await;
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (_, mine) = citizen.get("/api/v1/cards/mine").await;
    let number = mine[0]["card"]["number"]
        .as_str()
        .expect("the demo card")
        .to_string();
    let kinds: Vec<&str> = mine[0]["entitlements"]
        .as_array()
        .expect("entitlements")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["medical", "park", "library"], "{mine}");
    let check = |terminal: &'static str, kind: &'static str| {
        let (t, number) = (&t, number.clone());
        async move {
            let (status, v) =
                terminal_post(t, terminal, "checks", json!({"card": number, "kind": kind})).await;
            assert_eq!(status, StatusCode::OK, "{v}");
            v["verdict"].as_str().expect("a verdict").to_string()
        }
    };
    assert_eq!(check("PARK-GATE-01", "park").await, "allowed");
    // A medical settlement is recorded against the insured.
    let visit =
        json!({"request_id": "visit-1", "card": number, "total": 25_000, "insured": 20_000});
    let (status, rec) = terminal_post(&t, "HOSP-DESK-01", "medical", visit.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{rec}");
    assert_eq!(rec["self_pay"], 5_000);
    // The same request again, signed anew (a retry after a lost answer, or a
    // replay): the first settlement's answer, and nothing recorded twice.
    let (status, again) = terminal_post(&t, "HOSP-DESK-01", "medical", visit).await;
    assert_eq!(
        (status, &again),
        (StatusCode::CREATED, &rec),
        "a replay answers the first"
    );
    // The holder and the counter see it, newest first, after the demo's visit.
    for who in [&citizen, &clerk] {
        let (status, view) = who.get(&format!("/api/v1/cards/{number}")).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        let medical = view["medical"].as_array().expect("medical settlements");
        assert_eq!(medical.len(), 2, "{view}");
        assert_eq!(medical[0]["id"], rec["id"]);
        assert_eq!(medical[0]["place"], "浙江省人民医院");
        assert_eq!(medical[1]["self_pay"], 5_000, "the demo's visit");
    }
    let (status, bad) = terminal_post(
        &t,
        "HOSP-DESK-01",
        "medical",
        json!({"request_id": "visit-2", "card": number, "total": 100, "insured": 200}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    // Revoked with a reason; an unknown kind is not found; only clerks.
    let (status, _) = citizen
        .post(
            &format!("/api/v1/cards/{number}/entitlements/park/revoke"),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = clerk
        .post(
            &format!("/api/v1/cards/{number}/entitlements/zoo/revoke"),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, e) = clerk
        .post(
            &format!("/api/v1/cards/{number}/entitlements/park/revoke"),
            json!({"reason": "转借他人"}),
        )
        .await;
    assert_eq!(
        (status, e["revoked"].as_str()),
        (StatusCode::OK, Some("转借他人")),
        "{e}"
    );
    assert_eq!(check("PARK-GATE-01", "park").await, "revoked");
    // Granted again until a day: it holds to that day's end, and not after.
    let (status, bad) = clerk
        .post(
            &format!("/api/v1/cards/{number}/entitlements"),
            json!({"kind": "park", "valid_until": "tomorrow"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let today = sunshine_domain::clock::local_date(t.app.clock.now());
    let (status, _) = clerk
        .post(
            &format!("/api/v1/cards/{number}/entitlements"),
            json!({"kind": "park", "valid_until": today.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(check("PARK-GATE-01", "park").await, "allowed");
    t.clock.advance(jiff::SignedDuration::from_hours(24));
    assert_eq!(check("PARK-GATE-01", "park").await, "expired");
    // A lost card proves no one.
    let (status, _) = citizen
        .post(
            &format!("/api/v1/cards/{number}/commands"),
            json!({"command": "report_loss"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(check("LIB-DESK-01", "library").await, "card_denied");
    let (status, _) = terminal_post(
        &t,
        "HOSP-DESK-01",
        "medical",
        json!({"request_id": "visit-3", "card": number, "total": 100, "insured": 50}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    t.stop().await;
}

/// A terminal's signed POST of a JSON body to `/api/v1/card/terminals/{code}/{what}`.
async fn terminal_post(
    t: &sunshine_testkit::TestApp,
    code: &str,
    what: &str,
    body: Value,
) -> (StatusCode, Value) {
    terminal(
        t,
        code,
        reqwest::Method::POST,
        &format!("/api/v1/card/terminals/{code}/{what}"),
        Some(body),
        0,
    )
    .await
}

#[tokio::test]
async fn a_bicycle_is_taken_with_the_deposit_held_and_returned_for_its_fee() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (_, mine) = citizen.get("/api/v1/cards/mine").await;
    let number = mine[0]["card"]["number"]
        .as_str()
        .expect("the demo card")
        .to_string();
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
