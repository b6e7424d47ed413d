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

mod big_ids;
mod entitlements;
mod medical;
mod snapshots;
mod social;
mod terminals;

/// A terminal's signed request, signed on the platform's clock.
/// The demo citizen's card number, from `/api/v1/cards/mine`.
fn first_card(mine: &Value) -> String {
    mine[0]["card"]["number"]
        .as_str()
        .expect("the demo card")
        .to_string()
}

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
async fn a_card_is_issued_topped_up_tapped_lost_denied_and_replaced() {
    let mut t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let clerk = Api::as_user(&t.base, "card.clerk").await;
    let holder = resident(7);
    // Not held by the population registry: no card.
    let (status, body) = clerk
        .post(
            "/api/v1/cards",
            json!({"holder": holder, "holder_name": "陈七"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["holder"].is_string(), "{body}");
    crate::support::enrolled(&t.base, &holder, "陈七").await;
    // Held under another name: no card either, and the name held is not told.
    let (status, body) = clerk
        .post(
            "/api/v1/cards",
            json!({"holder": holder, "holder_name": "陈八"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["holder_name"].is_string(), "{body}");
    assert!(!body.to_string().contains("陈七"), "{body}");

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
