//! Ledger ids past 2⁵³ − 1 travel as decimal strings: a client that reads
//! JSON numbers as doubles gets them exactly, and sends them back as it
//! got them.

use sunshine_domain::card::book::{account_of, card_id, CASH_ACCOUNT};
use sunshine_domain::decimal_u64::MAX_EXACT;

use super::*;

/// The id a field holds: a decimal string, never a JSON number.
fn id_of(v: &Value, field: &str) -> u64 {
    let s = v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is a string: {v}"));
    s.parse()
        .unwrap_or_else(|_| panic!("{field} is a decimal: {s}"))
}

#[tokio::test]
async fn ids_past_two_to_the_53_come_back_as_strings_and_are_taken_back_as_strings() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let clerk = Api::as_user(&t.base, "card.clerk").await;
    let (_, mine) = citizen.get("/api/v1/cards/mine").await;
    let number = first_card(&mine);
    let card = card_id(&number).expect("a card number");

    // A top-up whose client id is past 2⁵³, sent as a string.
    let big: u64 = (1 << 60) + 1;
    assert!(big > MAX_EXACT);
    let top_up = |id: Value| {
        let (clerk, number) = (&clerk, number.clone());
        async move {
            clerk
                .post(
                    &format!("/api/v1/cards/{number}/top-ups"),
                    json!({"id": id, "purse": "account", "amount": 10_000}),
                )
                .await
        }
    };
    let (status, first) = top_up(json!(big.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(id_of(&first, "id"), big, "{first}");
    assert_eq!(id_of(&first, "debit_account_id"), CASH_ACCOUNT);
    assert_eq!(id_of(&first, "credit_account_id"), account_of(card));
    // The id sent back, as a string and (as clients did before) as a
    // number, is the same top-up.
    for again in [json!(big.to_string()), json!(big)] {
        let (status, retry) = top_up(again.clone()).await;
        assert_eq!((status, &retry), (StatusCode::OK, &first), "{again}");
    }
    let (status, e) = top_up(json!("1e3")).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_json")),
        "{e}"
    );

    // A purchase's transfer is one of the books' own ids, from 2⁶³.
    let (status, r) = terminal_post(
        &t,
        "TAXI-A12345",
        "taps",
        json!({"taps": [{"seq": 1, "card": number, "at": t.app.now_micros(),
            "amount": 2_000, "purse": "account"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(outcomes(&r), ["charged"], "{r}");
    let purchase = id_of(&r["taps"][0], "transfer");
    assert!(purchase > MAX_EXACT, "{purchase}");
    let (_, view) = citizen.get(&format!("/api/v1/cards/{number}")).await;
    let seen = view["taps"]
        .as_array()
        .expect("taps")
        .iter()
        .any(|tap| tap["transfer"] == json!(purchase.to_string()));
    assert!(seen, "the card's taps name it as a string: {view}");

    // Sent back as a double holds it (JavaScript's 9223372036854776000),
    // the id names no transfer; sent back as the string, it refunds.
    let refund = |seq: u64, of: Value| {
        let (t, number) = (&t, number.clone());
        async move {
            terminal_post(
                t,
                "TAXI-A12345",
                "taps",
                json!({"taps": [{"seq": seq, "card": number, "at": t.app.now_micros(),
                    "amount": 2_000, "purse": "account", "refund_of": of}]}),
            )
            .await
        }
    };
    let rounded = purchase as f64 as u64;
    assert_ne!(rounded, purchase);
    let (status, r) = refund(2, json!(rounded)).await;
    assert_eq!(
        (status, outcomes(&r)),
        (StatusCode::OK, vec!["rejected"]),
        "{r}"
    );
    let (status, r) = refund(3, json!(purchase.to_string())).await;
    assert_eq!(
        (status, outcomes(&r)),
        (StatusCode::OK, vec!["refunded"]),
        "{r}"
    );
    assert_eq!(id_of(&r["taps"][0], "transfer"), purchase | (1 << 62));
    t.stop().await;
}
