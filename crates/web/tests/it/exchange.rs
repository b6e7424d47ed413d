//! The two-level platform's use cases without the messaging engine: a
//! district's platform and the city's, each on a store of its own, the
//! district's signed outbox handed to the city in any order and as often as
//! an engine might, applied once and in order; the message log, the trust
//! of keys, and the city's view of the district's cases. (The same with a
//! real NATS server and processes killed is the `crash` binary's.)

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_app::exchange::{Incoming, Signed, Verdict};
use sunshine_domain::exchange::Platform;
use sunshine_testkit::{shared_demo, TestApp};

use crate::hall_api::{act, apply_online};
use crate::support::{fields, journal_entries, Api};

fn incoming(s: &Signed) -> Incoming {
    Incoming {
        subject: s.subject.clone(),
        msg_id: s.msg_id.clone(),
        body: s.body.clone(),
        signature: s.signature.clone(),
    }
}

/// Apply online, as the demo citizen, for the first of the district's
/// items a citizen may apply for; the case's number.
pub(crate) async fn district_case(base: &str, citizen: &Api) -> String {
    let public = Api::new(base);
    let (_, list) = public
        .get("/api/v1/catalog/items?region=330106&limit=100")
        .await;
    for i in list["items"].as_array().expect("items") {
        let item_id = i["item_id"].as_i64().expect("id");
        let (_, guide) = public
            .get(&format!("/api/v1/catalog/items/{item_id}"))
            .await;
        let (status, case) = apply_online(citizen, item_id, &guide["guide"]).await;
        if status == StatusCode::CREATED {
            return case["number"].as_str().expect("number").to_string();
        }
    }
    panic!("the demo has a district item a citizen applies for online");
}

async fn log(api: &Api, base: &str, query: &str) -> Vec<Value> {
    let (status, page) = api
        .get(&format!("{base}/api/v1/exchange/messages?{query}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["messages"].as_array().expect("messages").clone()
}

#[tokio::test]
async fn a_districts_cases_reach_the_city_once_and_in_order_however_they_are_delivered(
) -> anyhow::Result<()> {
    let district = TestApp::demo_with_cases(0).await?;
    let mut city = TestApp::demo_with_cases(0).await?;
    district
        .app
        .join_platform(Platform::District("330106".into()))
        .await?;
    city.app.join_platform(Platform::City).await?;

    // The district's platform publishes its key; the city's is its own.
    let (status, key) = Api::new(&district.base).get("/api/v1/exchange/key").await;
    assert_eq!(status, StatusCode::OK, "{key}");
    assert_eq!(key["platform"], "district:330106");
    let (_, city_key) = Api::new(&city.base).get("/api/v1/exchange/key").await;
    assert_eq!(city_key["platform"], "city");
    assert_ne!(key["public_key"], city_key["public_key"]);

    // A citizen applies for three of the district's items and withdraws
    // each: two entries a case that leave the district.
    let citizen = Api::as_user(&district.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let mut numbers = Vec::new();
    for _ in 0..3 {
        let number = district_case(&district.base, &citizen).await;
        let (status, withdrawn) = act(&citizen, &number, json!({"command": "withdraw"})).await;
        assert_eq!(status, StatusCode::OK, "{withdrawn}");
        numbers.push(number);
    }
    let out = district.app.outgoing(100).await?;
    assert_eq!(out.len(), 6, "two messages a case: {out:?}");
    for (m, n) in out.iter().zip(numbers.iter().flat_map(|n| [n, n])) {
        assert!(m.msg_id.starts_with("district:330106/"), "{}", m.msg_id);
        assert_eq!(m.subject, "sunshine.cases.330106");
        assert!(m.body.contains(&format!("case/{n}")), "{}", m.body);
        assert!(
            !m.body.contains("33010619900101123X") && !m.body.contains('王'),
            "never the applicant: {}",
            m.body
        );
    }
    let all: Vec<Incoming> = out.iter().map(incoming).collect();

    // Before the city trusts the district, its messages wait.
    let verdicts = city.app.receive(all.clone()).await?;
    assert!(
        verdicts.iter().all(|v| *v == Verdict::Later),
        "{verdicts:?}"
    );
    let admin = Api::as_user(&city.base, "admin").await;
    let refused = log(&admin, "", "status=refused").await;
    assert_eq!(refused.len(), 6, "{refused:?}");
    assert!(refused[0]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("not among the trusted"));
    // Delivered again, a message still waiting is not logged twice.
    city.app.receive(all.clone()).await?;
    assert_eq!(log(&admin, "", "status=refused").await.len(), 6);

    // Only a root administrator trusts a key, and only a key.
    let clerk = Api::as_user(&city.base, "clerk").await;
    let trust = json!({"platform": "district:330106", "public_key": key["public_key"]});
    assert_eq!(
        clerk.post("/api/v1/exchange/peers", trust.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = admin
        .post(
            "/api/v1/exchange/peers",
            json!({"platform": "district:33010", "public_key": "00"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["platform"]);
    let (status, body) = admin
        .post(
            "/api/v1/exchange/peers",
            json!({"platform": "district:330106", "public_key": "ab".repeat(31)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["public_key"]);
    let (status, body) = admin
        .post(
            "/api/v1/exchange/peers",
            json!({"platform": "city", "public_key": city_key["public_key"]}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not itself: {body}"
    );
    let (status, peer) = admin.post("/api/v1/exchange/peers", trust).await;
    assert_eq!(status, StatusCode::OK, "{peer}");
    assert!(journal_entries(&admin)
        .await
        .iter()
        .any(|e| e["event_type"] == "exchange.peer_trusted"
            && e["subject"] == "platform/district:330106"));

    // Delivered last first: only the first applies, the rest wait for it.
    let reversed: Vec<Incoming> = all.iter().rev().cloned().collect();
    let verdicts = city.app.receive(reversed).await?;
    assert_eq!(
        verdicts,
        [
            Verdict::Later,
            Verdict::Later,
            Verdict::Later,
            Verdict::Later,
            Verdict::Later,
            Verdict::Done
        ]
    );
    // Delivered again in order with a copy of each: each applies once.
    let doubled: Vec<Incoming> = all.iter().flat_map(|m| [m.clone(), m.clone()]).collect();
    let verdicts = city.app.receive(doubled).await?;
    assert!(verdicts.iter().all(|v| *v == Verdict::Done), "{verdicts:?}");
    assert_eq!(log(&admin, "", "status=applied").await.len(), 6);
    let held = log(&admin, "", "status=held").await;
    assert_eq!(held.len(), 5, "{held:?}");
    assert!(held[0]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("waiting for"));

    // A body changed on the way is refused and logged; it waits, as the
    // key trusted might be the wrong one and be mended.
    let mut forged = all[0].clone();
    forged.body = forged.body.replace("withdrawn", "approved");
    forged.body = forged.body.replace("submitted", "approved");
    assert_eq!(city.app.receive(vec![forged]).await?, [Verdict::Later]);
    let refused = log(&admin, "", "status=refused").await;
    assert!(
        refused[0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("signature"),
        "{refused:?}"
    );

    // The city sees the district's cases, withdrawn, and never the applicant.
    let (status, cases) = admin
        .get("/api/v1/exchange/district-cases?district=330106")
        .await;
    assert_eq!(status, StatusCode::OK, "{cases}");
    let subjects: Vec<&str> = cases
        .as_array()
        .expect("cases")
        .iter()
        .filter_map(|c| c["subject"].as_str())
        .collect();
    for n in &numbers {
        assert!(subjects.contains(&format!("case/{n}").as_str()), "{cases}");
    }
    assert!(cases
        .as_array()
        .expect("cases")
        .iter()
        .all(|c| c["state"] == "withdrawn" && c["submitted_at"].is_i64()));
    let (_, overview) = admin.get("/api/v1/exchange").await;
    assert_eq!(overview["platform"], "city");
    assert!(overview["district_counts"]
        .as_array()
        .expect("counts")
        .iter()
        .any(|d| d["district"] == "330106" && d["state"] == "withdrawn" && d["cases"] == 3));
    assert_eq!(overview["senders"][0]["sender"], "district:330106");
    assert_eq!(
        admin
            .get("/api/v1/exchange/district-cases?district=33")
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        admin.get("/api/v1/exchange/messages?status=lost").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        clerk.get("/api/v1/exchange/messages").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(clerk.get("/api/v1/exchange").await.0, StatusCode::FORBIDDEN);

    // The district hears that the engine stored them: they are logged sent.
    district.app.published(&out).await?;
    assert!(district.app.outgoing(100).await?.is_empty());
    let district_admin = Api::as_user(&district.base, "admin").await;
    let sent = log(&district_admin, "", "direction=sent").await;
    assert_eq!(sent.len(), 6);
    assert!(sent
        .iter()
        .all(|l| l["peer"] == "city" && l["status"] == "sent"));
    let one = log(
        &district_admin,
        "",
        &format!(
            "msg_id={}",
            out[0].msg_id.replace('/', "%2F").replace(':', "%3A")
        ),
    )
    .await;
    assert_eq!(one.len(), 1);

    // After a restart the inbox still knows every message: nothing twice.
    let applied_before = applied_entries(&admin).await;
    assert_eq!(applied_before, 6);
    city.restart().await?;
    city.app.join_platform(Platform::City).await?;
    let verdicts = city.app.receive(all.clone()).await?;
    assert!(verdicts.iter().all(|v| *v == Verdict::Done), "{verdicts:?}");
    let admin = Api::as_user(&city.base, "admin").await;
    assert_eq!(applied_entries(&admin).await, 6);
    assert_eq!(log(&admin, "", "status=applied").await.len(), 6);
    district.stop().await;
    city.stop().await;
    Ok(())
}

async fn applied_entries(admin: &Api) -> usize {
    journal_entries(admin)
        .await
        .iter()
        .filter(|e| e["event_type"] == "exchange.applied")
        .count()
}

#[tokio::test]
async fn a_platform_that_runs_as_one_process_has_no_exchange_key() {
    let (status, body) = Api::new(&shared_demo().base)
        .get("/api/v1/exchange/key")
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "not_a_platform");
}
