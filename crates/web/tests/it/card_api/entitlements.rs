//! Entitlements through the API: granted, checked at gates, recorded at
//! hospitals, revoked.

use super::*;

#[tokio::test]
async fn entitlements_are_granted_checked_at_gates_recorded_at_hospitals_and_revoked() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let clerk = Api::as_user(&t.base, "card.clerk").await;
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (_, mine) = citizen.get("/api/v1/cards/mine").await;
    let number = first_card(&mine);
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
