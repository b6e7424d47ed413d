//! Medical settlements on the card's ledger: the medical-insurance fund pays
//! into a holder's personal medical account, and a hospital's desk settles
//! a visit from it first, then from the card's account or in cash; the
//! hospital's takings tie out in the day's clearing.

use super::*;
use crate::support::{enrolled, fresh_id_number};

#[tokio::test]
async fn a_visit_is_paid_from_the_personal_medical_account_then_the_cards_account() {
    let mut t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let clerk = Api::as_user(&t.base, "card.clerk").await;
    let operator = Api::as_user(&t.base, "card.operator").await;
    let id = fresh_id_number();
    enrolled(&t.base, &id, "医保测").await;
    let (status, card) = clerk
        .post(
            "/api/v1/cards",
            json!({"holder": id, "holder_name": "医保测"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let number = card["number"].as_str().expect("number").to_string();
    for (path, body) in [
        ("commands", json!({"command": "activate"})),
        ("entitlements", json!({"kind": "medical"})),
        (
            "top-ups",
            json!({"id": "9101", "purse": "account", "amount": 3_000}),
        ),
    ] {
        let (status, body) = clerk
            .post(&format!("/api/v1/cards/{number}/{path}"), body)
            .await;
        assert!(status.is_success(), "{path}: {body}");
    }

    // The fund's payment: only a card operator enters it, once an id.
    let credit = json!({"id": "9201", "card": number, "amount": 2_000});
    let (status, body) = clerk
        .post("/api/v1/card/medical-credits", credit.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a counter clerk: {body}");
    let (status, first) = operator
        .post("/api/v1/card/medical-credits", credit.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, again) = operator.post("/api/v1/card/medical-credits", credit).await;
    assert_eq!((status, &again), (StatusCode::OK, &first), "a retry");
    let (status, body) = operator
        .post(
            "/api/v1/card/medical-credits",
            json!({"id": "9201", "card": number, "amount": 2_500}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "id_reused", "{body}");
    let (status, body) = operator
        .post(
            "/api/v1/card/medical-credits",
            json!({"id": "9202", "card": number, "amount": -5}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["amount"].is_string(), "{body}");
    let (status, body) = operator
        .post(
            "/api/v1/card/medical-credits",
            json!({"id": "9203", "card": "3301000099999", "amount": 100}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // 100 yuan, 70 of it the fund's: 20 from the personal account, 10 from
    // the card's account.
    let visit = json!({"request_id": "m-1", "card": number, "total": 10_000, "insured": 7_000});
    let (status, rec) = terminal_post(&t, "HOSP-DESK-01", "medical", visit).await;
    assert_eq!(status, StatusCode::CREATED, "{rec}");
    assert_eq!(
        (
            &rec["self_pay"],
            &rec["from_medical_account"],
            &rec["from_account"],
            &rec["in_cash"]
        ),
        (&json!(3_000), &json!(2_000), &json!(1_000), &json!(0)),
        "{rec}"
    );
    // More than the account holds is refused and moves nothing; in cash it
    // is recorded.
    let visit = json!({"request_id": "m-2", "card": number, "total": 9_000, "insured": 4_000});
    let (status, body) = terminal_post(&t, "HOSP-DESK-01", "medical", visit.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "insufficient_balance", "{body}");
    let mut cash = visit;
    cash["rest_from"] = "cash".into();
    let (status, rec) = terminal_post(&t, "HOSP-DESK-01", "medical", cash).await;
    assert_eq!(status, StatusCode::CREATED, "{rec}");
    assert_eq!(
        (&rec["in_cash"], &rec["from_account"]),
        (&json!(5_000), &json!(0))
    );
    let (status, bad) = terminal_post(
        &t,
        "HOSP-DESK-01",
        "medical",
        json!({"request_id": "m-3", "card": number, "total": 100, "insured": 0, "rest_from": "bank"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");

    let (status, view) = clerk.get(&format!("/api/v1/cards/{number}")).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(
        view["balances"],
        json!({"wallet": 0, "account": 2_000, "owed": 0, "medical": 0}),
        "{view}"
    );
    let medical = view["medical"].as_array().expect("settlements");
    assert_eq!(medical.len(), 2, "{view}");
    assert_eq!(medical[1]["from_medical_account"], 2_000, "{view}");

    // The hospital's takings hold what the cards paid, and tie out.
    let today = sunshine_domain::clock::local_date(
        jiff::Timestamp::from_microsecond(t.app.now_micros()).expect("a moment"),
    );
    let (status, clearing) = operator
        .get(&format!("/api/v1/card/clearing?day={today}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{clearing}");
    let hospital = clearing["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["party"] == "zj-hospital")
        .expect("the hospital's line")
        .clone();
    // The demo's own visit paid 50 yuan from its holder's personal account.
    assert_eq!(hospital["medical"], 5_000 + 3_000, "{hospital}");
    assert_eq!(hospital["ledger_takings"], 5_000 + 3_000, "{hospital}");
    assert_eq!(hospital["ties_out"], true, "{hospital}");
    assert_eq!(clearing["ties_out"], true, "{clearing}");

    // After a restart the personal account is what it was.
    t.restart().await.expect("restarted");
    let (_, view) = Api::as_user(&t.base, "card.clerk")
        .await
        .get(&format!("/api/v1/cards/{number}"))
        .await;
    assert_eq!(view["balances"]["account"], 2_000, "{view}");
    let (status, body) = Api::as_user(&t.base, "card.operator")
        .await
        .post(
            "/api/v1/card/medical-credits",
            json!({"id": "9204", "card": number, "amount": 700}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, view) = Api::as_user(&t.base, "card.clerk")
        .await
        .get(&format!("/api/v1/cards/{number}"))
        .await;
    assert_eq!(view["balances"]["medical"], 700, "{view}");
}

/// The fund's monthly roll, uploaded as its file: refused whole for one bad
/// line, paid whole when every line is good, and not paid twice when sent
/// again.
#[tokio::test]
async fn the_funds_roll_is_paid_whole_or_not_at_all_and_once() {
    let base = &sunshine_testkit::shared_demo().base;
    let clerk = Api::as_user(base, "card.clerk").await;
    let operator = Api::as_user(base, "card.operator").await;
    let id = fresh_id_number();
    enrolled(base, &id, "名单测").await;
    let (status, card) = clerk
        .post(
            "/api/v1/cards",
            json!({"holder": id, "holder_name": "名单测"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let number = card["number"].as_str().expect("number").to_string();
    let medical = || async {
        let (_, view) = clerk.get(&format!("/api/v1/cards/{number}")).await;
        view["balances"]["medical"].as_i64().expect("a balance")
    };
    let first = 9_400_000 + u64::from(crate::support::unique());
    let roll = |lines: &[(u64, &str, &str)]| {
        let mut text = String::from("划入编号,卡号,金额\n");
        for (id, card, yuan) in lines {
            text.push_str(&format!("{id},{card},{yuan}\n"));
        }
        text
    };
    let path = "/api/v1/card/medical-credits/rolls";
    let good = roll(&[(first, &number, "150.00"), (first + 1, &number, "50.5")]);
    let (status, _) = clerk.post_text(path, "text/csv", &good).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a counter clerk");

    let bad = roll(&[
        (first, &number, "150.00"),
        (first + 1, "3301999999990", "1"),
    ]);
    let (status, e) = operator.post_text(path, "text/csv", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(crate::support::fields(&e), ["line 3 卡号"], "{e}");
    assert_eq!(medical().await, 0, "nothing paid");
    let (status, e) = operator
        .post_text(path, "text/csv", "卡号,金额\n1,2\n")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    let (status, paid) = operator.post_text(path, "text/csv", &good).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(
        (&paid["paid"], &paid["repeated"], &paid["total_fen"]),
        (&json!(2), &json!(0), &json!(20_050))
    );
    assert_eq!(medical().await, 20_050);
    let (status, again) = operator.post_text(path, "text/csv", &good).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!((&again["paid"], &again["repeated"]), (&json!(0), &json!(2)));
    assert_eq!(medical().await, 20_050, "not paid twice");
}
