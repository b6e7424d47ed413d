//! Who sees a case: the public board masks it and never shows a sensitive
//! one, loses and repeats nothing across a restart, and shows the demo's
//! history; staff reads of a case are journaled.

use super::*;

#[tokio::test]
async fn the_public_board_shows_cases_masked_and_never_a_sensitive_one() {
    let base = &shared_demo().base;
    let citizen = Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let clerk = Api::as_user(base, "clerk").await;
    let (item_id, guide) = city_item().await;
    let (_, case) = apply_online(&citizen, item_id, &guide).await;
    let number = case["number"].as_str().expect("number").to_string();
    act(&clerk, &number, json!({"command": "accept"})).await;

    // The board follows the journal in the background; wait for the case to show as accepted.
    let public = Api::new(base);
    let mut row = Value::Null;
    for _ in 0..100 {
        let (_, rows) = public
            .get(&format!(
                "/api/v1/disclosure/cases?item_id={item_id}&limit=500"
            ))
            .await;
        if let Some(r) = rows.as_array().and_then(|rows| {
            rows.iter()
                .find(|r| r["number"] == number.as_str() && r["state"] == "in_process")
        }) {
            row = r.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        row["applicant"], "王某",
        "the board shows the applicant masked: {row}"
    );
    assert_eq!(row["on_time"], true);
    assert!(row["promised_due"].is_string());

    // A sensitive item's case, registered at the counter, never reaches the board.
    let admin = Api::as_user(base, "admin").await;
    let (_, all) = admin
        .get("/api/v1/catalog/versions?state=in_library&limit=500")
        .await;
    let mut sensitive_case = None;
    for v in all["items"].as_array().expect("items") {
        let (_, full) = admin
            .get(&format!("/api/v1/catalog/versions/{}", v["id"]))
            .await;
        if full["spec"]["sensitive"] == true && full["spec"]["region"] == "330100" {
            let applicant =
                json!({"kind": "person", "name": "李四", "id_number": "11010519491231002X"});
            let (status, c) = clerk.post("/api/v1/hall/counter-applications", json!({"item_id": v["item_id"], "applicant": applicant, "answers": answers_for(&full["spec"]["form"])})).await;
            assert_eq!(status, StatusCode::CREATED, "{c}");
            sensitive_case = Some(c["number"].as_str().expect("number").to_string());
            break;
        }
    }
    let sensitive_case = sensitive_case.expect("the demo has a sensitive city item");
    // A later public case shows once the board has read past the sensitive one, which stays absent.
    let applicant = json!({"kind": "enterprise", "name": "杭州后来者有限公司", "credit_code": "91350100M000100Y43"});
    let (_, later) = clerk.post("/api/v1/hall/counter-applications", json!({"item_id": item_id, "applicant": applicant, "answers": answers_for(&guide["form"])})).await;
    let later = later["number"].as_str().expect("number").to_string();
    let mut board = Value::Null;
    for _ in 0..100 {
        let (_, rows) = public.get("/api/v1/disclosure/cases?limit=500").await;
        if rows.to_string().contains(&later) {
            board = rows;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(board.is_array(), "the board caught up with the later case");
    let text = board.to_string();
    assert!(
        !text.contains(&sensitive_case),
        "a sensitive item's case is not on the board"
    );
    for secret in ["11010519491231002X", "33010619900101123X", "13812341234"] {
        assert!(!text.contains(secret), "the board never shows {secret}");
    }
    let (status, figures) = public.get("/api/v1/disclosure/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert!(figures["by_department"]
        .as_array()
        .expect("figures")
        .iter()
        .any(|f| f["cases"].as_i64().unwrap_or(0) > 0));
}

#[tokio::test]
async fn the_board_neither_loses_nor_repeats_an_entry_across_a_restart() {
    let mut t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (item_id, guide) = first_city_item(&t.base).await;
    let mut numbers = vec![];
    for _ in 0..3 {
        numbers.push(applied_number(&citizen, item_id, &guide).await);
    }
    t.app.run_disclosure().await.expect("board");
    t.restart().await.expect("restart");
    let citizen = Api {
        token: citizen.token.clone(),
        ..Api::new(&t.base)
    };
    for _ in 0..2 {
        numbers.push(applied_number(&citizen, item_id, &guide).await);
    }
    t.app.run_disclosure().await.expect("board");
    assert_eq!(
        t.app.run_disclosure().await.expect("board"),
        0,
        "nothing left to read"
    );
    let (_, board) = Api::new(&t.base)
        .get("/api/v1/disclosure/cases?limit=500")
        .await;
    let on_board: Vec<&str> = board
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["number"].as_str())
        .collect();
    for n in &numbers {
        assert_eq!(
            on_board.iter().filter(|b| *b == n).count(),
            1,
            "{n} is on the board exactly once"
        );
    }
    let mut c = t.app.db.read().await.expect("conn");
    let (head, _) = sunshine_store::journal::head(&mut c).await.expect("head");
    assert_eq!(
        sunshine_store::journal::cursor(&mut c, sunshine_app::disclosure::CONSUMER)
            .await
            .expect("cursor"),
        head,
        "the cursor stands at the head"
    );
    drop(c);
    t.stop().await;
}

/// The demo's history: cases in every state across departments and
/// districts, some of them late, shown masked on the public board.
#[tokio::test]
async fn the_demo_holds_a_few_hundred_cases_in_every_state_some_late() {
    let public = Api::new(&shared_demo().base);
    let mut rows = vec![];
    for _ in 0..100 {
        let (_, page) = public.get("/api/v1/disclosure/cases?limit=500").await;
        rows = page.as_array().cloned().unwrap_or_default();
        if rows.len() >= 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(rows.len() >= 200, "{} cases on the board", rows.len());
    let states: std::collections::BTreeSet<&str> =
        rows.iter().filter_map(|r| r["state"].as_str()).collect();
    for s in [
        "submitted",
        "correction_requested",
        "not_accepted",
        "in_process",
        "suspended",
        "approved",
        "refused",
        "delivered",
        "withdrawn",
    ] {
        assert!(states.contains(s), "no demo case is {s}: {states:?}");
    }
    assert!(rows.iter().any(|r| r["on_time"] == false), "some are late");
    assert!(rows.iter().any(|r| r["on_time"] == true), "most are not");
    let regions: std::collections::BTreeSet<&str> =
        rows.iter().filter_map(|r| r["region"].as_str()).collect();
    assert!(regions.len() >= 5, "{regions:?}");
}

/// Each staff read of a person's record is journaled: the clerk's look at a
/// case, and the extranet list; the applicant's own look is not.
#[tokio::test]
async fn staff_reads_of_a_case_are_journaled() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let clerk = Api::as_user(&t.base, "clerk").await;
    let admin = Api::as_user(&t.base, "admin").await;
    let (item_id, guide) = first_city_item(&t.base).await;
    let number = applied_number(&citizen, item_id, &guide).await;
    let reads = |page: Value| -> Vec<(String, String)> {
        page["entries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["event_type"] == "access.personal_record_read")
            .map(|e| {
                (
                    e["subject"].as_str().unwrap_or("").to_string(),
                    e["actor"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    // The end of the journal so far.
    let mut after = 0;
    loop {
        let (_, page) = admin
            .get(&format!("/api/v1/journal?after={after}&limit=1000"))
            .await;
        if page["entries"].as_array().is_none_or(Vec::is_empty) {
            break;
        }
        after = page["next_cursor"].as_i64().expect("cursor");
    }

    assert_eq!(
        citizen.get(&format!("/api/v1/hall/cases/{number}")).await.0,
        StatusCode::OK
    );
    let (_, page) = admin
        .get(&format!("/api/v1/journal?after={after}&limit=1000"))
        .await;
    assert!(
        reads(page).is_empty(),
        "the applicant's own look is no staff read"
    );

    assert_eq!(
        clerk.get(&format!("/api/v1/hall/cases/{number}")).await.0,
        StatusCode::OK
    );
    let (_, page) = admin
        .get(&format!("/api/v1/journal?after={after}&limit=1000"))
        .await;
    assert_eq!(
        reads(page),
        vec![(format!("access/case/{number}"), "staff:clerk".to_string())]
    );

    // The extranet list names applicants with their identity numbers: a read too.
    let actor = t.app.staff_actor("clerk").await.expect("clerk");
    let (rows, _) = t
        .app
        .extranet_board(&actor, sunshine_app::disclosure::BoardFilter::default())
        .await
        .expect("extranet");
    assert!(rows.iter().any(|r| r.number == number));
    let (_, page) = admin
        .get(&format!("/api/v1/journal?after={after}&limit=1000"))
        .await;
    assert!(
        reads(page).contains(&("access/extranet".to_string(), "staff:clerk".to_string())),
        "the extranet list is journaled"
    );
}
