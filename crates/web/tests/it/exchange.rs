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
        files: vec![],
    }
}

/// Hand `from`'s outbox to `to` as the engine does: each message with the
/// files it names that `to` lacks, applied, then marked published. The
/// verdicts, in the outbox's order.
pub(crate) async fn pump(from: &TestApp, to: &TestApp) -> anyhow::Result<Vec<Verdict>> {
    let out = from.app.outgoing(500).await?;
    let mut batch = Vec::with_capacity(out.len());
    for s in &out {
        batch.push(carried(from, to, s).await?);
    }
    let verdicts = to.app.receive(batch).await?;
    from.app.published(&out).await?;
    Ok(verdicts)
}

/// `s` as the engine delivers it from `from` to `to`: with the files it
/// names that `to` lacks.
async fn carried(from: &TestApp, to: &TestApp, s: &Signed) -> anyhow::Result<Incoming> {
    let mut m = incoming(s);
    let wanted = to.app.files_wanted(&m).await?;
    m.files = from
        .app
        .files_to_carry(s)
        .await?
        .into_iter()
        .filter(|(h, _)| wanted.contains(h))
        .map(|(_, bytes)| bytes)
        .collect();
    Ok(m)
}

/// A city's platform and a district's (西湖区), each on a store of its
/// own, trusting each other's keys.
pub(crate) async fn city_and_district() -> anyhow::Result<(TestApp, TestApp)> {
    let district = TestApp::demo_with_cases(0).await?;
    let city = TestApp::demo_with_cases(0).await?;
    city.app.join_platform(Platform::City).await?;
    join_as_district_of(&city, &district).await?;
    Ok((city, district))
}

/// Join `district`'s store as 西湖区's platform, trusted both ways with
/// `city`.
async fn join_as_district_of(city: &TestApp, district: &TestApp) -> anyhow::Result<()> {
    district
        .app
        .join_platform(Platform::District("330106".into()))
        .await?;
    let (_, district_key) = district.app.exchange_key().await?;
    let (_, city_key) = city.app.exchange_key().await?;
    city.app
        .trust_peer_at_deployment("district:330106", &district_key)
        .await?;
    district
        .app
        .trust_peer_at_deployment("city", &city_key)
        .await?;
    Ok(())
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
            !m.body.contains("33010619900101123X") && !m.body.contains("王小明"),
            "never the applicant, only the board's masked name: {}",
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
    // The city's public board shows them as the district's board does:
    // the applicant's name masked.
    crate::board_pages::on_board(&city.base, &numbers[0], "withdrawn").await;
    let (_, rows) = Api::new(&city.base)
        .get("/api/v1/disclosure/cases?state=withdrawn&limit=500")
        .await;
    let row = rows
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["number"] == numbers[0].as_str())
        .expect("on the city's board");
    assert_eq!(row["region"], "330106", "{row}");
    assert_eq!(row["applicant"], "王某", "{row}");
    assert!(
        row["item_name"].as_str().is_some_and(|n| !n.is_empty()),
        "{row}"
    );
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

#[tokio::test]
async fn an_application_at_the_city_for_a_district_item_is_handled_by_the_district_and_its_result_comes_back(
) -> anyhow::Result<()> {
    let (city, district) = city_and_district().await?;
    // The resident applies at the city's portal for one of 西湖区's items.
    let resident = Api::as_user(&city.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let number = district_case(&city.base, &resident).await;
    assert!(
        number.starts_with("2026-330106-9"),
        "numbered in the portal's series of the district: {number}"
    );
    let path = format!("/api/v1/hall/cases/{number}");
    let (status, at_city) = resident.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{at_city}");
    assert_eq!(at_city["state"], "submitted");
    assert_eq!(at_city["handled_by"], "district:330106");
    let (_, city_files) = resident.get(&format!("{path}/materials")).await;

    // It goes down whole, to the district only, signed by the city.
    let out = city.app.outgoing(100).await?;
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].subject, "sunshine.applications.330106");
    assert_eq!(out[0].peer, "district:330106");
    assert!(
        out[0].body.contains("33010619900101123X"),
        "the district needs the applicant"
    );

    // At the city nobody acts on it: the district handles it.
    let city_clerk = Api::as_user(&city.base, "clerk.330106").await;
    let (status, body) = act(&city_clerk, &number, json!({"command": "accept"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "handled_elsewhere");
    let (status, body) = act(&resident, &number, json!({"command": "withdraw"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // The district takes it, with its files, once however often it comes.
    assert_eq!(pump(&city, &district).await?, [Verdict::Done]);
    let again: Vec<Incoming> = out.iter().map(incoming).collect();
    assert_eq!(district.app.receive(again).await?, [Verdict::Done]);
    let clerk = Api::as_user(&district.base, "clerk.330106").await;
    let (status, there) = clerk.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{there}");
    assert_eq!(there["state"], "submitted");
    assert_eq!(there["handled_by"], Value::Null);
    assert_eq!(there["query_code"], at_city["query_code"]);
    assert_eq!(there["answers"], at_city["answers"]);
    let (_, district_files) = clerk.get(&format!("{path}/materials")).await;
    let hashes = |files: &Value| -> Vec<String> {
        files
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["sha256"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        hashes(&district_files),
        hashes(&city_files),
        "{district_files}"
    );
    assert!(
        !hashes(&city_files).is_empty(),
        "the item asks for files: {city_files}"
    );
    let district_admin = Api::as_user(&district.base, "admin").await;
    let submitted: Vec<Value> = journal_entries(&district_admin)
        .await
        .into_iter()
        .filter(|e| e["subject"] == format!("case/{number}"))
        .collect();
    assert_eq!(
        submitted
            .iter()
            .filter(|e| e["event_type"] == "hall.case_submitted")
            .count(),
        1,
        "{submitted:?}"
    );

    // The district's clerk handles it to a decision.
    let (status, body) = act(&clerk, &number, json!({"command": "accept"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let steps = body["facts"]["steps"].as_u64().unwrap_or(1);
    for _ in 0..steps - 1 {
        assert_eq!(
            act(&clerk, &number, json!({"command": "claim"})).await.0,
            StatusCode::OK
        );
        assert_eq!(
            act(&clerk, &number, json!({"command": "pass"})).await.0,
            StatusCode::OK
        );
    }
    assert_eq!(
        act(&clerk, &number, json!({"command": "claim"})).await.0,
        StatusCode::OK
    );
    let (status, decided) = act(&clerk, &number, json!({"command": "approve"})).await;
    assert_eq!(status, StatusCode::OK, "{decided}");

    // The result comes back up: the resident sees it at the city.
    let verdicts = pump(&district, &city).await?;
    assert!(verdicts.iter().all(|v| *v == Verdict::Done), "{verdicts:?}");
    let (_, at_city) = resident.get(&path).await;
    assert_eq!(at_city["state"], "approved", "{at_city}");
    assert_eq!(at_city["promised_due"], decided["promised_due"]);
    assert!(at_city["accepted_at"].is_string() && at_city["decided_at"].is_string());
    let (_, mine) = resident.get("/api/v1/hall/my-cases").await;
    assert!(mine.to_string().contains(&number), "{mine}");

    // And the city's public board shows it, as it shows its own, masked.
    crate::board_pages::on_board(&city.base, &number, "approved").await;
    let (_, rows) = Api::new(&city.base)
        .get("/api/v1/disclosure/cases?region=330106&limit=100")
        .await;
    assert!(!rows.to_string().contains("33010619900101123X"));

    // Each side logs what it sent and what it applied.
    let city_admin = Api::as_user(&city.base, "admin").await;
    let sent = log(&city_admin, "", "direction=sent").await;
    assert!(sent
        .iter()
        .any(|l| l["flow"] == "applications" && l["peer"] == "district:330106"));
    let applied = log(&district_admin, "", "status=applied").await;
    assert!(applied
        .iter()
        .any(|l| l["flow"] == "applications" && l["peer"] == "city"));

    // The licence the district signed came up with the result: the
    // resident finds it where they applied, whole, and it checks at the
    // city against the key it was signed with.
    let licence = format!("ZZ-{number}");
    let licence_path = format!("/api/v1/licences/{licence}");
    let (status, below) = clerk.get(&licence_path).await;
    assert_eq!(status, StatusCode::OK, "{below}");
    let (status, above) = resident.get(&licence_path).await;
    assert_eq!(status, StatusCode::OK, "{above}");
    assert_eq!(above["verdict"], "valid", "{above}");
    assert_eq!(
        above["token"], below["token"],
        "the district's own signature"
    );
    assert!(
        above["token"].is_string(),
        "in full for its holder: {above}"
    );
    let (_, checked) = Api::new(&city.base)
        .post("/api/v1/licences/verify", json!({"token": above["token"]}))
        .await;
    assert_eq!(checked["verdict"], "valid", "{checked}");
    let (_, keys) = Api::new(&city.base).get("/api/v1/keys").await;
    assert!(
        keys.as_array().is_some_and(|k| k
            .iter()
            .any(|k| k["org"] == decided["department"] && k["public_key"] == below["public_key"])),
        "the city publishes the key it checks with: {keys}"
    );
    let (page, _) =
        crate::board_pages::signed_in(&city.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (_, mine) =
        crate::board_pages::page(&page, &format!("{}/hall/cases/{number}", city.base)).await;
    assert!(
        mine.contains(&format!("href=\"/licences/{licence}\"")),
        "the resident's page at the city links the licence"
    );

    // It is revoked where it was issued, and the city follows.
    let approver_above = Api::as_user(&city.base, "xihu.approver").await;
    let revoke = format!("{licence_path}/revoke");
    let (status, refused) = approver_above
        .post(&revoke, json!({"reason": "以欺骗手段取得"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "revoked_on_district_platform");
    let approver = Api::as_user(&district.base, "xihu.approver").await;
    let (status, body) = approver
        .post(&revoke, json!({"reason": "以欺骗手段取得"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let up = district.app.outgoing(100).await?;
    assert_eq!(up.len(), 1, "{up:?}");
    assert_eq!(up[0].subject, "sunshine.licences.330106");
    let again: Vec<Incoming> = up.iter().map(incoming).collect();
    assert_eq!(pump(&district, &city).await?, [Verdict::Done]);
    assert_eq!(city.app.receive(again).await?, [Verdict::Done]);
    let (_, above) = resident.get(&licence_path).await;
    assert_eq!(above["verdict"], "revoked", "{above}");
    let revoked: Vec<Value> = journal_entries(&city_admin)
        .await
        .into_iter()
        .filter(|e| {
            e["subject"] == format!("case/{number}") && e["event_type"] == "hall.licence_revoked"
        })
        .collect();
    assert_eq!(revoked.len(), 1, "once however often it came: {revoked:?}");
    assert_eq!(revoked[0]["actor"], "platform:district:330106");
    city.stop().await;
    district.stop().await;
    Ok(())
}

#[tokio::test]
async fn an_application_whose_files_have_not_arrived_waits_for_them() -> anyhow::Result<()> {
    let (city, district) = city_and_district().await?;
    let resident = Api::as_user(&city.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let number = district_case(&city.base, &resident).await;
    let out = city.app.outgoing(100).await?;
    // Delivered without its files: held, nothing of it written.
    let bare: Vec<Incoming> = out.iter().map(incoming).collect();
    assert!(!district.app.files_wanted(&bare[0]).await?.is_empty());
    assert_eq!(district.app.receive(bare.clone()).await?, [Verdict::Later]);
    let clerk = Api::as_user(&district.base, "clerk.330106").await;
    assert_eq!(
        clerk.get(&format!("/api/v1/hall/cases/{number}")).await.0,
        StatusCode::NOT_FOUND
    );
    let admin = Api::as_user(&district.base, "admin").await;
    let held = log(&admin, "", "status=held").await;
    assert!(
        held[0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("has not arrived"),
        "{held:?}"
    );
    // A file that is not the one named does not count.
    let mut wrong = bare[0].clone();
    wrong.files = vec![b"%PDF-1.4 something else".to_vec()];
    assert_eq!(district.app.receive(vec![wrong]).await?, [Verdict::Later]);
    // With its files it applies.
    assert_eq!(pump(&city, &district).await?, [Verdict::Done]);
    assert_eq!(
        clerk.get(&format!("/api/v1/hall/cases/{number}")).await.0,
        StatusCode::OK
    );
    city.stop().await;
    district.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_district_restored_from_an_old_backup_is_refused_not_taken_for_copies(
) -> anyhow::Result<()> {
    let (city, district) = city_and_district().await?;
    let citizen = Api::as_user(&district.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    for _ in 0..2 {
        let number = district_case(&district.base, &citizen).await;
        act(&citizen, &number, json!({"command": "withdraw"})).await;
    }
    let verdicts = pump(&district, &city).await?;
    assert_eq!(verdicts, [Verdict::Done; 4]);
    let admin = Api::as_user(&city.base, "admin").await;
    let applied = applied_entries(&admin).await;

    // The district starts again from an earlier store (here: an empty one
    // with the same platform and a key the city is told to trust): its new
    // messages reuse ids the city applied, with other bodies.
    let restored = TestApp::demo_with_cases(0).await?;
    restored
        .app
        .join_platform(Platform::District("330106".into()))
        .await?;
    let (_, key) = restored.app.exchange_key().await?;
    city.app
        .trust_peer_at_deployment("district:330106", &key)
        .await?;
    // Its journal as the lost one's was: the same entries before the cases.
    let (_, city_key) = city.app.exchange_key().await?;
    restored
        .app
        .trust_peer_at_deployment("city", &city_key)
        .await?;
    // This time the resident applies six times and withdraws nothing.
    let citizen = Api::as_user(&restored.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    for _ in 0..6 {
        district_case(&restored.base, &citizen).await;
    }
    // The first is the lost one's first to the letter: a copy. The next
    // three reuse applied ids with other bodies, and the fifth follows an
    // id applied but not its body: refused. The sixth waits for the fifth.
    let verdicts = pump(&restored, &city).await?;
    let mut expected = [Verdict::Done; 6];
    expected[5] = Verdict::Later;
    assert_eq!(verdicts, expected);
    assert_eq!(
        applied_entries(&admin).await,
        applied,
        "none of them applied"
    );
    assert_eq!(log(&admin, "", "status=duplicate").await.len(), 1);
    assert_eq!(log(&admin, "", "status=held").await.len(), 1);
    let refused = log(&admin, "", "status=refused").await;
    assert_eq!(refused.len(), 4, "{refused:?}");
    assert!(
        refused
            .iter()
            .all(|l| l["reason"].as_str().unwrap_or_default().contains("rewound")),
        "{refused:?}"
    );
    city.stop().await;
    district.stop().await;
    restored.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_district_reports_its_registry_to_the_city_as_aggregates_only() -> anyhow::Result<()> {
    let (city, district) = city_and_district().await?;
    // Reported when it has changed since the last report (the platform's
    // worker may have made the first), not otherwise.
    district.app.report_registry_aggregates().await?;
    assert!(!district.app.report_registry_aggregates().await?);
    assert!(
        !city.app.report_registry_aggregates().await?,
        "the city reports to nobody"
    );
    let out = district.app.outgoing(10).await?;
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].subject, "sunshine.aggregates.330106");
    assert_eq!(pump(&district, &city).await?, [Verdict::Done]);

    let admin = Api::as_user(&city.base, "admin").await;
    let (status, reports) = admin.get("/api/v1/exchange/district-aggregates").await;
    assert_eq!(status, StatusCode::OK, "{reports}");
    let xihu = &reports[0];
    assert_eq!(xihu["district"], "330106");
    assert_eq!(xihu["statistics"]["region"], "330106");
    let age = xihu["statistics"]["breakdowns"]
        .as_array()
        .expect("breakdowns")
        .iter()
        .find(|b| b["dimension"] == "age")
        .expect("by age")
        .clone();
    let total = age["total"].as_u64().expect("a total");
    assert!(total > 0, "{age}");
    for row in age["rows"].as_array().expect("rows") {
        assert!(
            row["persons"].is_null() || row["persons"].as_u64().is_some_and(|n| n == 0 || n >= 5),
            "no small count: {row}"
        );
    }
    let text = reports.to_string();
    assert!(
        !text.contains("33010619900101123X") && !text.contains("王小明"),
        "never a person"
    );
    let (_, overview) = admin.get("/api/v1/exchange").await;
    assert_eq!(overview["district_aggregates"][0]["district"], "330106");
    let clerk = Api::as_user(&city.base, "clerk").await;
    assert_eq!(
        clerk.get("/api/v1/exchange/district-aggregates").await.0,
        StatusCode::FORBIDDEN
    );
    city.stop().await;
    district.stop().await;
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

/// A case applied for at 西湖区's platform and accepted there, its word
/// taken by the city, and the city's clock moved past its deadlines: the
/// city's supervision has carded it (nothing has gone down yet). The
/// case's number and department.
pub(crate) async fn district_case_carded(
    city: &TestApp,
    district: &TestApp,
) -> anyhow::Result<(String, String)> {
    let citizen = Api::as_user(&district.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let unit = Api::as_user(&district.base, "clerk.330106").await;
    let number = district_case(&district.base, &citizen).await;
    let (status, accepted) = act(&unit, &number, json!({"command": "accept"})).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    let department = accepted["department"]
        .as_str()
        .expect("department")
        .to_string();
    assert!(accepted["legal_due"].is_string(), "{accepted}");
    // The district's word reaches the city, whose supervision reads it and
    // waits for the district's deadlines.
    assert!(pump(district, city)
        .await?
        .iter()
        .all(|v| *v == Verdict::Done));
    city.app.run_supervision().await?;
    let timers = city.app.case_supervision_timers(&number).await?;
    assert!(!timers.is_empty(), "the city times the district's case");
    // Past the legal deadline, as the city's clock has it.
    city.clock
        .advance(jiff::SignedDuration::from_hours(24 * 120));
    city.app.run_supervision().await?;
    city.app.run_supervision_timers().await?;
    Ok((number, department))
}

/// The signals of `case` that `api` sees on its platform, open or not.
async fn signals_of(api: &Api, case: &str) -> Vec<Value> {
    crate::supervision_api::signals_of(api, case, false).await
}

/// One signal as `api` reads it on its platform.
async fn signal(api: &Api, id: i64) -> Value {
    let (status, s) = api.get(&format!("/api/v1/supervision/signals/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    s
}

fn by_rule<'a>(signals: &'a [Value], rule: &str) -> &'a Value {
    signals
        .iter()
        .find(|s| s["rule"] == rule)
        .unwrap_or_else(|| panic!("a {rule} card among {signals:?}"))
}

async fn command(api: &Api, id: i64, command: &str, text: &str) -> (StatusCode, Value) {
    api.post(
        &format!("/api/v1/supervision/signals/{id}/commands"),
        json!({"command": command, "text": text}),
    )
    .await
}

/// Supervision across the two levels: the city watches a district's case
/// from the district's word alone, and when the case runs past its
/// deadlines the city's cards go down to the district's platform. The unit
/// finds them among its signals and answers them there (only there); the
/// answer comes up to the city's card, whose supervisor closes it (only
/// the city's supervisors decide), and the closing goes down too.
#[tokio::test]
async fn the_citys_cards_on_a_district_unit_are_answered_below_and_decided_above(
) -> anyhow::Result<()> {
    let (city, district) = city_and_district().await?;
    let (number, department) = district_case_carded(&city, &district).await?;
    let unit = Api::as_user(&district.base, "clerk.330106").await;
    let supervisor = Api::as_user(&city.base, "supervisor").await;
    let above = signals_of(&supervisor, &number).await;
    let yellow = by_rule(&above, "time.promised_overdue").clone();
    let red = by_rule(&above, "time.legal_overdue").clone();
    let follow_up = by_rule(&above, "time.yellow_unrectified").clone();
    assert_eq!(red["department"], department.as_str());
    assert_eq!(red["from_city"], Value::Null, "the city's own card");
    assert_eq!(red["answered_below"], true, "{red}");
    assert_eq!(
        red["link"], "",
        "the city has no page of the district's own case"
    );
    let red_id = red["id"].as_i64().expect("id");

    // At the city the unit does not answer: it answers on its platform.
    let unit_above = Api::as_user(&city.base, "clerk.330106").await;
    let (status, refused) = command(&unit_above, red_id, "respond", "已整改").await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "answered_on_district_platform");

    // Down to the district, every card, once however often delivered.
    let out = city.app.outgoing(100).await?;
    assert!(
        out.iter().all(|m| m.subject == "sunshine.cards.330106"),
        "{out:?}"
    );
    assert!(out.len() >= 3, "{out:?}");
    let again: Vec<Incoming> = out.iter().map(incoming).collect();
    assert!(pump(&city, &district)
        .await?
        .iter()
        .all(|v| *v == Verdict::Done));
    assert!(district
        .app
        .receive(again)
        .await?
        .iter()
        .all(|v| *v == Verdict::Done));
    let below = signals_of(&unit, &number).await;
    assert_eq!(below.len(), above.len(), "{below:?}");
    let copy = by_rule(&below, "time.legal_overdue").clone();
    assert_eq!(copy["from_city"], red_id);
    assert_eq!(copy["department"], department.as_str());
    assert_eq!(copy["level"], "red");
    assert_eq!(copy["due_at"], red["due_at"]);
    let copy_id = copy["id"].as_i64().expect("id");
    // The red card that follows up the yellow one names the yellow card's copy.
    let yellow_copy = by_rule(&below, "time.promised_overdue");
    assert_eq!(yellow_copy["from_city"], yellow["id"]);
    let follow_up_copy = below
        .iter()
        .find(|s| s["from_city"] == follow_up["id"])
        .expect("the follow-up's copy");
    let followed_copy = below
        .iter()
        .find(|s| s["from_city"] == follow_up["follows_up"])
        .expect("the followed yellow card's copy");
    assert_eq!(follow_up_copy["follows_up"], followed_copy["id"]);

    // Below, only the city decides the city's card; the unit answers it.
    let district_supervisor = Api::as_user(&district.base, "xihu.supervisor").await;
    for c in ["close", "escalate", "revoke"] {
        let (status, refused) = command(&district_supervisor, copy_id, c, "本区处理").await;
        assert_eq!(status, StatusCode::CONFLICT, "{c}: {refused}");
        assert_eq!(refused["error"]["code"], "decided_at_city");
    }
    let (status, answered) = command(&unit, copy_id, "respond", "已于当日补办并说明超期原因").await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["state"], "responded");

    // Up to the city: the city's card is answered, by the district's platform.
    assert_eq!(pump(&district, &city).await?, [Verdict::Done]);
    let red_now = signal(&supervisor, red_id).await;
    assert_eq!(red_now["state"], "responded", "{red_now}");
    assert_eq!(red_now["last_text"], "已于当日补办并说明超期原因");
    let admin = Api::as_user(&city.base, "admin").await;
    let entries = journal_entries(&admin).await;
    let responded = entries
        .iter()
        .find(|e| {
            e["subject"] == format!("signal/{red_id}")
                && e["event_type"] == "supervision.signal_responded"
        })
        .expect("the answer is journaled at the city");
    assert_eq!(responded["actor"], "platform:district:330106");

    // The city's supervisor closes it, and the district's copy follows.
    let (status, closed) = command(&supervisor, red_id, "close", "整改到位，予以办结").await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(pump(&city, &district).await?, [Verdict::Done]);
    let copy_now = signal(&unit, copy_id).await;
    assert_eq!(copy_now["state"], "closed", "{copy_now}");
    assert_eq!(copy_now["last_text"], "整改到位，予以办结");

    // An answer to a card closed meanwhile is logged with why, and changes nothing.
    let yellow_copy_id = yellow_copy["id"].as_i64().expect("id");
    let yellow_id = yellow["id"].as_i64().expect("id");
    let (status, _) = command(&supervisor, yellow_id, "revoke", "误报").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = command(&unit, yellow_copy_id, "respond", "已整改").await;
    assert_eq!(status, StatusCode::OK, "sent before the revocation arrived");
    assert_eq!(pump(&district, &city).await?, [Verdict::Done]);
    let yellow_now = signal(&supervisor, yellow_id).await;
    assert_eq!(yellow_now["state"], "revoked");
    let refusals = log(&admin, "", "status=refused").await;
    assert!(
        refusals.iter().any(|l| l["flow"] == "answers"
            && l["reason"].as_str().is_some_and(|r| r.contains("revoked"))),
        "{refusals:?}"
    );
    assert_eq!(pump(&city, &district).await?, [Verdict::Done]);
    let yellow_copy_now = signal(&unit, yellow_copy_id).await;
    assert_eq!(
        yellow_copy_now["state"], "revoked",
        "the city's word is the last"
    );

    // The district's own board counts its own supervision's cards only.
    let due: jiff::Timestamp = red["due_at"].as_str().expect("due").parse()?;
    let day = due.to_zoned(jiff::tz::TimeZone::UTC).date();
    let quarter = format!("{}Q{}", day.year(), (day.month() - 1) / 3 + 1);
    let (_, board) = Api::new(&district.base)
        .get(&format!("/api/v1/supervision/board?quarter={quarter}"))
        .await;
    let counted = board["departments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["department"] == department.as_str())
        .map(|d| d["red_cards"].as_i64().unwrap_or_default())
        .sum::<i64>();
    assert_eq!(counted, 0, "{board}");
    city.stop().await;
    district.stop().await;
    Ok(())
}

/// A message this platform cannot apply (here: the city's store has lost
/// the table it writes to) holds back only itself. The rest of its batch
/// is applied; it is logged as held, with the error, and applied when it
/// comes again after the store is mended.
#[tokio::test]
async fn a_message_that_cannot_be_applied_here_holds_back_only_itself() -> anyhow::Result<()> {
    let (city, district) = city_and_district().await?;
    let citizen = Api::as_user(&district.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let number = district_case(&district.base, &citizen).await;
    // Reported now, unless the district's worker has just done it.
    district.app.report_registry_aggregates().await?;
    let out = district.app.outgoing(100).await?;
    let report = out
        .iter()
        .find(|m| m.subject == "sunshine.aggregates.330106")
        .expect("the registry's report")
        .clone();
    assert!(out.iter().any(|m| m.subject == "sunshine.cases.330106"));

    let rename = |from: &str, to: &str| format!("ALTER TABLE {from} RENAME TO {to}");
    sqlx::query(&rename("exchange_district_aggregates", "aggregates_away"))
        .execute(city.app.db.pool())
        .await?;
    let verdicts = pump(&district, &city).await?;
    for (m, v) in out.iter().zip(&verdicts) {
        let expected = if m.msg_id == report.msg_id {
            Verdict::Later
        } else {
            Verdict::Done
        };
        assert_eq!(*v, expected, "{}", m.msg_id);
    }
    let admin = Api::as_user(&city.base, "admin").await;
    let held = log(&admin, "", "status=held").await;
    assert!(
        held.iter().any(|l| l["msg_id"] == report.msg_id.as_str()
            && l["peer"] == "district:330106"
            && l["reason"]
                .as_str()
                .is_some_and(|r| r.contains("could not be applied"))),
        "{held:?}"
    );
    let (_, cases) = admin.get("/api/v1/exchange/district-cases").await;
    assert!(cases.to_string().contains(&number), "{cases}");

    sqlx::query(&rename("aggregates_away", "exchange_district_aggregates"))
        .execute(city.app.db.pool())
        .await?;
    assert_eq!(
        city.app.receive(vec![incoming(&report)]).await?,
        [Verdict::Done]
    );
    let (_, reports) = admin.get("/api/v1/exchange/district-aggregates").await;
    assert_eq!(reports[0]["district"], "330106", "{reports}");
    city.stop().await;
    district.stop().await;
    Ok(())
}

/// A store belongs to the platform it first joined, recorded in the store
/// and journaled once: it is refused as another platform, and as one
/// process without a platform, with a message that says whose it is, and
/// joins as its own again.
#[tokio::test]
async fn a_store_is_refused_as_any_platform_but_the_one_it_joined() -> anyhow::Result<()> {
    let (city, district) = city_and_district().await?;
    let xihu = Platform::District("330106".into());
    let err = district
        .app
        .join_platform(Platform::City)
        .await
        .expect_err("a district's store is not the city's");
    assert!(err.to_string().contains("district:330106"), "{err}");
    let err = district
        .app
        .check_store_platform(None)
        .await
        .expect_err("nor the whole in one process");
    assert!(
        err.to_string().contains("--platform district:330106"),
        "{err}"
    );
    let err = city
        .app
        .check_store_platform(Some(&xihu))
        .await
        .expect_err("the city's store is not a district's");
    assert!(err.to_string().contains("--platform city"), "{err}");
    district.app.join_platform(xihu).await?;
    let admin = Api::as_user(&district.base, "admin").await;
    let joined: Vec<Value> = journal_entries(&admin)
        .await
        .into_iter()
        .filter(|e| e["event_type"] == "exchange.platform_joined")
        .collect();
    assert_eq!(joined.len(), 1, "{joined:?}");
    assert!(
        joined[0]["payload"]
            .as_str()
            .is_some_and(|p| p.contains("district:330106")),
        "{joined:?}"
    );
    // A store that never joined one runs as any, or as the whole.
    let alone = TestApp::demo_with_cases(0).await?;
    alone.app.check_store_platform(None).await?;
    city.stop().await;
    district.stop().await;
    alone.stop().await;
    Ok(())
}

/// Take a call at the city's hotline and dispatch it to the district's
/// own government (西湖区); its id at the city.
async fn dispatched_to_the_district(operator: &Api, what: &str) -> i64 {
    let (status, taken) = operator
        .post(
            "/api/v1/hotline/requests",
            json!({"category": "streetlight.out", "description": what,
                "lat": 30.2741, "long": 120.1551,
                "caller_name": "张三", "caller_phone": "13912345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    let id = taken["ticket"]["id"].as_i64().expect("id");
    let (status, d) = ticket_step(
        operator,
        id,
        json!({"command": "dispatch", "lead": "330106"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    id
}

async fn ticket_step(api: &Api, id: i64, body: Value) -> (StatusCode, Value) {
    api.post(&format!("/api/v1/hotline/requests/{id}/commands"), body)
        .await
}

async fn ticket_of(api: &Api, id: i64) -> Value {
    let (status, t) = api.get(&format!("/api/v1/hotline/requests/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    t
}

/// The district's copy of the city's request `city_id`, from the unit's inbox.
async fn copy_in_inbox(unit: &Api, city_id: i64) -> Option<Value> {
    let (status, inbox) = unit.get("/api/v1/hotline/inbox").await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    inbox
        .as_array()
        .expect("a list")
        .iter()
        .find(|t| t["from_city"] == city_id)
        .cloned()
}

#[tokio::test]
async fn the_hotlines_request_is_handled_by_the_unit_on_its_districts_platform(
) -> anyhow::Result<()> {
    let (city, district) = city_and_district().await?;
    let operator = Api::as_user(&city.base, "operator").await;
    let id = dispatched_to_the_district(&operator, "文三路路灯不亮").await;
    let at_city = ticket_of(&operator, id).await["ticket"].clone();

    // At the city, the unit's steps are refused: it handles it below.
    let unit_above = Api::as_user(&city.base, "clerk.330106").await;
    let (status, refused) = ticket_step(&unit_above, id, json!({"command": "sign"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "handled_on_district_platform");

    // Down to the district, once however often delivered.
    let out = city.app.outgoing(100).await?;
    assert!(
        out.iter().all(|m| m.subject == "sunshine.tickets.330106"),
        "{out:?}"
    );
    let again: Vec<Incoming> = out.iter().map(incoming).collect();
    assert_eq!(pump(&city, &district).await?, [Verdict::Done]);
    assert!(district
        .app
        .receive(again)
        .await?
        .iter()
        .all(|v| *v == Verdict::Done));
    let unit = Api::as_user(&district.base, "clerk.330106").await;
    let copy = copy_in_inbox(&unit, id)
        .await
        .expect("the copy in the unit's inbox");
    let copy_id = copy["id"].as_i64().expect("id");
    assert_eq!(
        copy["number"], at_city["number"],
        "the number the caller was told"
    );
    assert_eq!(copy["state"], "dispatched");
    assert_eq!(
        copy["caller_phone"], "13912345678",
        "whom the unit calls back"
    );
    assert_eq!(
        copy["query_code"],
        Value::Null,
        "the caller's code stays at the city"
    );
    assert_eq!(copy["next_deadline"], at_city["next_deadline"]);
    // The district publishes nothing of the city's request.
    let public = Api::new(&district.base);
    let (_, listed) = public.get("/open311/v2/requests.json").await;
    assert!(!listed.to_string().contains("文三路路灯不亮"), "{listed}");
    let (status, one) = public
        .get(&format!("/open311/v2/requests/{copy_id}.json"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{one}");
    let (_, below) = public.get("/api/v1/hotline/indicators").await;
    assert_eq!(
        below["all"]["taken"], 0,
        "counted at the city only: {below}"
    );
    let (_, above) = Api::new(&city.base).get("/api/v1/hotline/indicators").await;
    assert_eq!(above["all"]["taken"], 1, "{above}");
    // Below, the hotline's steps are the city's.
    let operator_below = Api::as_user(&district.base, "operator").await;
    let (status, refused) = ticket_step(
        &operator_below,
        copy_id,
        json!({"command": "urge", "note": "请尽快"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "decided_at_city");

    // The unit signs and answers at once, before the city hears either.
    let (status, signed) = ticket_step(&unit, copy_id, json!({"command": "sign"})).await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    let (status, answered) = ticket_step(
        &unit,
        copy_id,
        json!({"command": "answer", "text": "已更换灯泡"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["state"], "answered");

    // The district's operators' queue holds none of the city's requests.
    let (_, queue) = operator_below.get("/api/v1/hotline/queue").await;
    assert!(!queue.to_string().contains("文三路路灯不亮"), "{queue}");

    // Up: the city takes both, as the district's platform's doing.
    assert_eq!(
        pump(&district, &city).await?,
        [Verdict::Done, Verdict::Done]
    );
    let now = ticket_of(&operator, id).await["ticket"].clone();
    let admin = Api::as_user(&city.base, "admin").await;
    assert_eq!(
        now["state"],
        "answered",
        "{now} {:?}",
        log(&admin, "", "").await
    );
    assert_eq!(now["answer"], "已更换灯泡");
    let entries = journal_entries(&admin).await;
    let signed_above = entries
        .iter()
        .find(|e| e["subject"] == format!("ticket/{id}") && e["event_type"] == "hotline.signed")
        .expect("the signature is journaled at the city");
    assert_eq!(signed_above["actor"], "platform:district:330106");

    // The city's word on each comes down; the copy never steps back
    // behind what the unit did.
    assert_eq!(
        pump(&city, &district).await?,
        [Verdict::Done, Verdict::Done]
    );
    let copy = ticket_of(&unit, copy_id).await["ticket"].clone();
    assert_eq!(copy["state"], "answered", "{copy}");

    // The hotline sends the answer back; the unit answers again while the
    // hotline urges it: the urge comes down before the city took the
    // answer, and the copy keeps the answer on it.
    let (status, _) = ticket_step(
        &operator,
        id,
        json!({"command": "review_answer", "approve": false, "note": "请说明更换时间"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pump(&city, &district).await?, [Verdict::Done]);
    let (copy, updates) = {
        let d = ticket_of(&unit, copy_id).await;
        (d["ticket"].clone(), d["updates"].clone())
    };
    assert_eq!(copy["state"], "signed", "{copy}");
    assert!(updates.to_string().contains("请说明更换时间"), "{updates}");
    let (status, _) = ticket_step(
        &unit,
        copy_id,
        json!({"command": "answer", "text": "已于12月3日更换灯泡"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        ticket_step(&operator, id, json!({"command": "urge", "note": "请尽快"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pump(&city, &district).await?, [Verdict::Done]);
    let copy = ticket_of(&unit, copy_id).await["ticket"].clone();
    assert_eq!(copy["state"], "answered", "{copy}");
    assert_eq!(copy["urges"], 1, "the city's urge is on it");
    assert_eq!(pump(&district, &city).await?, [Verdict::Done]);
    assert_eq!(
        ticket_of(&operator, id).await["ticket"]["state"],
        "answered"
    );
    assert_eq!(pump(&city, &district).await?, [Verdict::Done]);

    // The hotline approves and the caller is satisfied: the copy closes.
    for body in [
        json!({"command": "review_answer", "approve": true}),
        json!({"command": "visit", "satisfied": true}),
    ] {
        let (status, t) = ticket_step(&operator, id, body).await;
        assert_eq!(status, StatusCode::OK, "{t}");
    }
    assert_eq!(
        pump(&city, &district).await?,
        [Verdict::Done, Verdict::Done]
    );
    let copy = ticket_of(&unit, copy_id).await["ticket"].clone();
    assert_eq!(copy["state"], "archived", "{copy}");
    assert!(
        copy_in_inbox(&unit, id).await.is_none(),
        "out of the unit's inbox"
    );

    // A reply the city cannot take (the request was merged meanwhile) is
    // logged with why, and the city's word comes down and stands.
    let second = dispatched_to_the_district(&operator, "文三路路灯又不亮").await;
    let primary = dispatched_to_the_district(&operator, "文三路路灯还是不亮").await;
    assert_eq!(
        pump(&city, &district).await?,
        [Verdict::Done, Verdict::Done]
    );
    let second_copy = copy_in_inbox(&unit, second).await.expect("the copy")["id"]
        .as_i64()
        .expect("id");
    let (status, _) = operator
        .post(
            &format!("/api/v1/hotline/requests/{second}/merge"),
            json!({"into": primary}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = ticket_step(&unit, second_copy, json!({"command": "sign"})).await;
    assert_eq!(status, StatusCode::OK, "sent before the merge arrived");
    assert_eq!(pump(&district, &city).await?, [Verdict::Done]);
    assert_eq!(
        ticket_of(&operator, second).await["ticket"]["state"],
        "merged"
    );
    let refusals = log(&admin, "", "status=refused").await;
    assert!(
        refusals.iter().any(|l| l["flow"] == "replies"),
        "{refusals:?}"
    );
    assert_eq!(
        pump(&city, &district).await?,
        [Verdict::Done, Verdict::Done]
    );
    let copy = ticket_of(&unit, second_copy).await;
    assert_eq!(
        copy["ticket"]["state"], "merged",
        "the city's word is the last: {copy}"
    );
    assert!(
        copy["updates"].to_string().contains("签收未获采纳"),
        "the unit is told: {copy}"
    );
    city.stop().await;
    district.stop().await;
    Ok(())
}

/// The city's cards on a request that a district's unit handles on its
/// own platform go down with the request: the unit finds the card among
/// its signals, leading to its copy of the request, and answers it there;
/// the city's supervisor decides it. A card that arrives before its
/// request is kept, and leads to the request once it has come.
#[tokio::test]
async fn the_citys_card_on_a_request_handled_below_is_answered_by_the_unit_there(
) -> anyhow::Result<()> {
    let (city, district) = city_and_district().await?;
    let operator = Api::as_user(&city.base, "operator").await;
    let id = dispatched_to_the_district(&operator, "保俶路井盖缺失").await;
    let number = ticket_of(&operator, id).await["ticket"]["number"]
        .as_str()
        .expect("number")
        .to_string();

    // The unit never signs in time: the city's supervision cards it.
    city.app.run_supervision().await?;
    city.clock.advance(jiff::SignedDuration::from_hours(24 * 5));
    city.app.run_supervision().await?;
    city.app.run_supervision_timers().await?;
    let supervisor = Api::as_user(&city.base, "supervisor").await;
    let above = signals_of(&supervisor, &number).await;
    let card = by_rule(&above, "hotline.overdue").clone();
    assert_eq!(card["answered_below"], true, "{card}");
    assert_eq!(
        card["link"],
        format!("/staff/hotline/{id}"),
        "the city holds the request"
    );
    let card_id = card["id"].as_i64().expect("id");
    let unit_above = Api::as_user(&city.base, "clerk.330106").await;
    let (status, refused) = command(&unit_above, card_id, "respond", "已签收").await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "answered_on_district_platform");

    // The card arrives first: it is kept, and leads to the request once
    // the request has come down too.
    let out = city.app.outgoing(100).await?;
    let cards: Vec<Incoming> = out
        .iter()
        .filter(|m| m.subject == "sunshine.cards.330106")
        .map(incoming)
        .collect();
    assert_eq!(cards.len(), 1, "{out:?}");
    assert_eq!(district.app.receive(cards).await?, [Verdict::Done]);
    let unit = Api::as_user(&district.base, "clerk.330106").await;
    assert_eq!(signals_of(&unit, &number).await.len(), 1);
    let (browser, _) = crate::board_pages::signed_in(&district.base, "clerk.330106").await;
    let link = format!("{}/staff/hotline/from-city/{id}", district.base);
    let (status, _) = crate::board_pages::page(&browser, &link).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the request has not come yet"
    );
    assert!(pump(&city, &district)
        .await?
        .iter()
        .all(|v| *v == Verdict::Done));
    let below = signals_of(&unit, &number).await;
    let copy = by_rule(&below, "hotline.overdue").clone();
    assert_eq!(copy["from_city"], card_id);
    assert_eq!(copy["level"], card["level"]);
    assert_eq!(copy["department"], card["department"]);
    assert_eq!(copy["link"], format!("/staff/hotline/from-city/{id}"));
    let copy_id = copy["id"].as_i64().expect("id");

    // The card's link leads the unit to its copy of the request; whoever
    // may not read the request is told it is not there.
    let request_below = copy_in_inbox(&unit, id).await.expect("the copy");
    let followed = browser.get(&link).send().await?;
    assert_eq!(followed.status(), StatusCode::SEE_OTHER);
    let copy_page = format!("/staff/hotline/{}", request_below["id"]);
    assert_eq!(followed.headers()["location"], copy_page.as_str());
    let (status, html) =
        crate::board_pages::page(&browser, &format!("{}{copy_page}", district.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("保俶路井盖缺失"));
    let (stranger, _) = crate::board_pages::signed_in(&district.base, "editor.330106").await;
    let (status, _) = crate::board_pages::page(&stranger, &link).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The unit answers the card below; the city's card is answered, and
    // the city's supervisor closes it, which the copy follows.
    let (status, answered) = command(&unit, copy_id, "respond", "已补签并安排当日修复").await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert!(pump(&district, &city)
        .await?
        .iter()
        .all(|v| *v == Verdict::Done));
    let card_now = signal(&supervisor, card_id).await;
    assert_eq!(card_now["state"], "responded", "{card_now}");
    assert_eq!(card_now["last_text"], "已补签并安排当日修复");
    let (status, closed) = command(&supervisor, card_id, "close", "予以办结").await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert!(pump(&city, &district)
        .await?
        .iter()
        .all(|v| *v == Verdict::Done));
    assert_eq!(signal(&unit, copy_id).await["state"], "closed");
    city.stop().await;
    district.stop().await;
    Ok(())
}

/// Open a new version of the district's item `item_id` in the city's
/// catalogue and take it through the workflow up to its approval: the
/// draft, and the approver who publishes it.
async fn new_version_up_to_approval(city: &TestApp, item_id: i64) -> (Value, Api) {
    let editor = Api::as_user(&city.base, "editor.330106").await;
    let (status, draft) = editor
        .post(
            &format!("/api/v1/catalog/items/{item_id}/versions"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let version = draft["id"].as_i64().expect("id");
    let reviewer = Api::as_user(&city.base, "reviewer").await;
    let approver = Api::as_user(&city.base, "xihu.approver").await;
    for (who, step) in [
        (&editor, "declare"),
        (&reviewer, "review"),
        (&approver, "approve"),
    ] {
        let (status, v) = who
            .post(
                &format!("/api/v1/catalog/versions/{version}/{step}"),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{step}: {v}");
    }
    (draft, approver)
}

/// A district's platform on a store of its own with no items yet: the
/// city's organisations and an administrator, joined as 西湖区 and trusted
/// both ways with `city`.
async fn fresh_district_of(city: &TestApp) -> anyhow::Result<TestApp> {
    let district = TestApp::with_organisations().await?;
    join_as_district_of(city, &district).await?;
    Ok(district)
}

#[tokio::test]
async fn the_citys_catalogue_sends_a_districts_items_down_as_they_enter_the_library(
) -> anyhow::Result<()> {
    let city = TestApp::demo_with_cases(0).await?;
    city.app.join_platform(Platform::City).await?;
    let district = fresh_district_of(&city).await?;

    // The district drafts no items of its own: the city's catalogue is the one.
    let admin_below = Api::as_user(&district.base, "admin").await;
    let (status, refused) = admin_below
        .post("/api/v1/catalog/items/1/versions", json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "catalogued_at_city");

    // A resident applies at the city's portal for one of the district's
    // items: the district, which has no items yet, holds the application.
    let resident = Api::as_user(&city.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let number = district_case(&city.base, &resident).await;
    let (_, case) = resident.get(&format!("/api/v1/hall/cases/{number}")).await;
    let item_id = case["item_id"].as_i64().expect("item id");
    let application = city.app.outgoing(100).await?;
    assert_eq!(application.len(), 1, "{application:?}");
    assert_eq!(pump(&city, &district).await?, [Verdict::Later]);

    // A new version of that item goes through the city's workflow.
    let public = Api::new(&city.base);
    let (draft, approver) = new_version_up_to_approval(&city, item_id).await;
    let version = draft["id"].as_i64().expect("id");
    assert!(
        city.app.outgoing(100).await?.is_empty(),
        "nothing goes down before the library"
    );
    let (status, v) = approver
        .post(
            &format!("/api/v1/catalog/versions/{version}/publish"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");

    // Down it goes, once however often delivered: the district shows the
    // version in force, under the city's ids, and the one it replaced.
    let out = city.app.outgoing(100).await?;
    assert!(
        out.iter().all(|m| m.subject == "sunshine.items.330106"),
        "{out:?}"
    );
    assert_eq!(out.len(), 1, "{out:?}");
    let again: Vec<Incoming> = out.iter().map(incoming).collect();
    assert_eq!(pump(&city, &district).await?, [Verdict::Done]);
    assert_eq!(district.app.receive(again).await?, [Verdict::Done]);
    let (status, shown) = Api::new(&district.base)
        .get(&format!("/api/v1/catalog/items/{item_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    let (_, at_city) = public
        .get(&format!("/api/v1/catalog/items/{item_id}"))
        .await;
    assert_eq!(shown["version_no"], draft["version_no"], "{shown}");
    assert_eq!(shown["version_no"], at_city["version_no"]);
    assert_eq!(shown["guide"], at_city["guide"]);
    let admin = Api::as_user(&district.base, "admin").await;
    let entries = journal_entries(&admin).await;
    let applied = entries
        .iter()
        .find(|e| {
            e["subject"] == format!("item/{item_id}") && e["event_type"] == "exchange.applied"
        })
        .expect("journaled where it arrived");
    assert_eq!(applied["actor"], "platform:city");

    let refused = log(&admin, "", "status=refused").await;
    assert!(refused.is_empty(), "{refused:?}");

    // The application held for the item is taken now, for the version it
    // was made under (superseded since, and kept below with its history).
    let again = vec![carried(&city, &district, &application[0]).await?];
    assert_eq!(district.app.receive(again).await?, [Verdict::Done]);
    let (status, there) = admin.get(&format!("/api/v1/hall/cases/{number}")).await;
    assert_eq!(status, StatusCode::OK, "{there}");
    assert_eq!(there["state"], "submitted");
    assert_eq!(there["version_id"], case["version_id"]);
    city.stop().await;
    district.stop().await;
    Ok(())
}

#[tokio::test]
async fn an_item_that_is_another_under_the_same_id_below_is_refused_and_nothing_written(
) -> anyhow::Result<()> {
    let city = TestApp::demo_with_cases(0).await?;
    city.app.join_platform(Platform::City).await?;
    let district = fresh_district_of(&city).await?;
    let (_, list) = Api::new(&city.base)
        .get("/api/v1/catalog/items?region=330106&limit=1")
        .await;
    let item_id = list["items"][0]["item_id"].as_i64().expect("id");
    // The district holds another item under the city's id.
    sqlx::query("INSERT INTO power_items (id, code, region, created_at) VALUES ($1, $2, $3, $4)")
        .bind(item_id)
        .bind("OTHER-0001")
        .bind("330106")
        .bind(0_i64)
        .execute(district.app.db.pool())
        .await?;
    let (draft, approver) = new_version_up_to_approval(&city, item_id).await;
    let version = draft["id"].as_i64().expect("id");
    let (status, v) = approver
        .post(
            &format!("/api/v1/catalog/versions/{version}/publish"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(pump(&city, &district).await?, [Verdict::Done]);
    let admin = Api::as_user(&district.base, "admin").await;
    let refused = log(&admin, "", "status=refused").await;
    assert!(
        refused.iter().any(|l| l["flow"] == "items"
            && l["reason"]
                .as_str()
                .is_some_and(|r| r.contains("OTHER-0001"))),
        "{refused:?}"
    );
    let versions: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM item_versions WHERE item_id = $1")
            .bind(item_id)
            .fetch_one(district.app.db.pool())
            .await?;
    assert_eq!(versions, 0, "nothing of the city's item is written");
    let (status, _) = Api::new(&district.base)
        .get(&format!("/api/v1/catalog/items/{item_id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    city.stop().await;
    district.stop().await;
    Ok(())
}
