//! Who looked at my data: a staff member's read of a resident's card, case
//! or request is journaled with its purpose and shown to that resident, on
//! their page and through the API, and to nobody else.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_app::demo::DEMO_CITIZEN_ID;
use sunshine_testkit::shared_demo;

use crate::support::{fields, fresh_citizen, Api};

fn read_by<'a>(reads: &'a Value, reader: &str, kind: &str, what: &str) -> Option<&'a Value> {
    reads.as_array()?.iter().find(|r| {
        r["reader"] == reader
            && r["kind"] == kind
            && r["what"].as_str().is_some_and(|w| w.contains(what))
    })
}

#[tokio::test]
async fn a_resident_sees_who_read_their_card_case_and_request_and_why() {
    let base = &shared_demo().base;
    let citizen = Api::as_user(base, DEMO_CITIZEN_ID).await;
    let (_, cards) = citizen.get("/api/v1/cards/mine").await;
    let card = cards[0]["card"]["number"]
        .as_str()
        .expect("the demo card")
        .to_string();
    let (_, cases) = citizen.get("/api/v1/hall/my-cases").await;
    let case = cases[0]["number"]
        .as_str()
        .expect("a demo case")
        .to_string();
    let (status, taken) = citizen
        .post(
            "/api/v1/hotline/requests",
            json!({"category": "streetlight.out", "description": "路灯不亮",
                   "lat": 30.2741, "long": 120.1551}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    let ticket = taken["ticket"]["id"].as_i64().expect("a ticket");

    // The staff read them, each for a reason.
    let card_clerk = Api::as_user(base, "card.clerk").await;
    let clerk = Api::as_user(base, "clerk").await;
    let operator = Api::as_user(base, "operator").await;
    let (status, body) = card_clerk
        .get(&format!("/api/v1/cards/{card}?purpose=curiosity"))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a purpose is one of the list"
    );
    assert_eq!(fields(&body), ["purpose"]);
    let (status, _) = card_clerk
        .get(&format!("/api/v1/cards/{card}?purpose=counter_service"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = clerk
        .get(&format!("/api/v1/hall/cases/{case}?purpose=supervision"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = operator
        .get(&format!("/api/v1/hotline/requests/{ticket}"))
        .await;
    assert_eq!(status, StatusCode::OK);

    // The resident sees who, from where, what and why.
    let (status, reads) = citizen.get("/api/v1/me/reads").await;
    assert_eq!(status, StatusCode::OK);
    let masked = format!("{}…{}", &card[..4], &card[card.len() - 4..]);
    let c = read_by(&reads, "郑柜员", "card", &masked).expect("the card clerk's read");
    assert_eq!(c["purpose"], "counter_service");
    assert!(
        !c.to_string().contains(&card),
        "the card number masked: {c}"
    );
    let k = read_by(&reads, "孙承办", "case", &case).expect("the clerk's read");
    assert_eq!(k["purpose"], "supervision");
    assert!(k["reader_org_name"].as_str().is_some_and(|n| !n.is_empty()));
    let t = read_by(&reads, "钱话务", "ticket", "").expect("the operator's read");
    assert_eq!(
        t["purpose"], "hotline_call",
        "an operator's own purpose by default"
    );
    assert!(
        k["at"].as_str().is_some_and(|a| a.ends_with("+08:00")),
        "Shanghai time: {k}"
    );
    assert!(
        !reads.to_string().contains(DEMO_CITIZEN_ID),
        "no identity number"
    );

    // On their page, in words.
    let (page_client, _) = crate::pages::signed_in(DEMO_CITIZEN_ID).await;
    let (_, html) = crate::pages::page(&page_client, "/account").await;
    assert!(
        html.contains("孙承办") && html.contains("监督检查") && html.contains(&case),
        "the page names the reader and the purpose"
    );
    assert!(html.contains("郑柜员") && html.contains("窗口服务"));

    // Another resident sees none of it.
    let (other, _) = fresh_citizen(base).await;
    let (status, theirs) = other.get("/api/v1/me/reads").await;
    assert_eq!(status, StatusCode::OK);
    let kinds: Vec<&serde_json::Value> = theirs
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| &r["kind"])
        .collect();
    assert_eq!(
        kinds,
        [&json!("identity_proof")],
        "only the binding code the counter issued for them: {theirs}"
    );

    // The journal has each read with its purpose.
    let journal = shared_demo()
        .with_app(|app| async move { crate::hotline_api::whole_journal(&app).await })
        .await;
    let reads: Vec<(String, String)> = journal
        .iter()
        .filter(|e| e.event_type == "access.personal_record_read")
        .map(|e| (e.subject.clone(), e.payload.clone()))
        .collect();
    for (subject, purpose) in [
        (format!("access/card/{card}"), "counter_service"),
        (format!("access/case/{case}"), "supervision"),
        (format!("access/ticket/{ticket}"), "hotline_call"),
    ] {
        assert!(
            reads
                .iter()
                .any(|(s, p)| *s == subject && p.contains(purpose)),
            "{subject} journaled with {purpose}"
        );
    }
}

#[tokio::test]
async fn the_counter_page_and_the_caller_lookup_are_reads_too() {
    let base = &shared_demo().base;
    let (resident, id) = fresh_citizen(base).await;
    // A card issued at the counter for them, then looked up there by a clerk.
    crate::support::enrolled(base, &id, "赵六").await;
    let card_clerk = Api::as_user(base, "card.clerk").await;
    let (status, card) = card_clerk
        .post(
            "/api/v1/cards",
            json!({"holder": id, "holder_name": "赵六", "rider_category": "adult"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let (counter, _) = crate::pages::signed_in("card.clerk").await;
    let (status, _) = crate::pages::page(&counter, &format!("/staff/card?holder={id}")).await;
    assert_eq!(status, StatusCode::OK);

    // A request of theirs, found by the operator by their phone number.
    let (status, _) = resident
        .post(
            "/api/v1/hotline/requests",
            json!({"category": "streetlight.out", "description": "路灯坏了",
                   "lat": 30.2741, "long": 120.1551, "caller_phone": "13700001111"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let operator = Api::as_user(base, "operator").await;
    let (status, _) = operator
        .get("/api/v1/hotline/assist?phone=13700001111")
        .await;
    assert_eq!(status, StatusCode::OK);

    let (_, reads) = resident.get("/api/v1/me/reads").await;
    let card_read = read_by(&reads, "郑柜员", "card", "").expect("the counter's read");
    assert_eq!(card_read["purpose"], "counter_service");
    let call =
        read_by(&reads, "钱话务", "caller_history", "137****1111").expect("the caller look-up");
    assert_eq!(call["purpose"], "hotline_call");
}
