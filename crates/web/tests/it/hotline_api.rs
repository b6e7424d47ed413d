//! The 96345 hotline through the API: a call taken by an operator goes to
//! its unit, is signed for, answered, checked, visited and archived; returns,
//! extensions, redoing and urging; each party is refused the steps that are
//! not theirs; alike requests are merged and share the answer; bad input is
//! refused whole and writes nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{fields, Api};

mod public;
mod refusals;

async fn take(api: &Api, body: Value) -> Value {
    let (status, taken) = api.post("/api/v1/hotline/requests", body).await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    taken
}

async fn step(api: &Api, id: i64, body: Value) -> Value {
    let (status, t) = api
        .post(
            &format!("/api/v1/hotline/requests/{id}/commands"),
            body.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body} → {t}");
    t
}

/// Every entry of the journal, page by page.
pub async fn whole_journal(app: &sunshine_app::App) -> Vec<sunshine_domain::journal::Entry> {
    let mut all = Vec::new();
    loop {
        let page = app
            .read_journal_after(
                all.last()
                    .map_or(0, |e: &sunshine_domain::journal::Entry| e.seq),
                1000,
            )
            .await
            .expect("journal");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

fn call(category: &str, text: &str) -> Value {
    let mut body = json!({
        "category": category,
        "description": text,
        "lat": 30.2741, "long": 120.1551,
        "caller_name": "张三", "caller_phone": "13912345678",
    });
    // Outages ask how far they reach.
    if category.ends_with(".outage") {
        body["attributes"] = json!({"scope": ["building"]});
    }
    body
}

#[tokio::test]
async fn a_call_goes_to_its_unit_and_comes_back_answered_visited_and_archived() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let operator = Api::as_user(&t.base, "operator").await;
    let clerk = Api::as_user(&t.base, "clerk").await;
    let taken = take(&operator, call("water.outage", "整幢楼停水")).await;
    let ticket = &taken["ticket"];
    let id = ticket["id"].as_i64().expect("an id");
    assert_eq!(ticket["channel"], "phone");
    assert_eq!(ticket["state"], "accepted");
    assert!(
        ticket["number"]
            .as_str()
            .expect("a number")
            .starts_with("96345-"),
        "{ticket}"
    );
    assert!(
        ticket["next_deadline"].as_str().is_some(),
        "the dispatch clock runs: {ticket}"
    );

    // The caller rings again: the operator sees their request, the category
    // their words suggest and the knowledge base's answers.
    let (status, help) = operator
        .get("/api/v1/hotline/assist?phone=13912345678&said=家里又停水了怎么办")
        .await;
    assert_eq!(status, StatusCode::OK, "{help}");
    assert_eq!(help["history"][0]["id"], id, "{help}");
    assert_eq!(help["categories"][0], "water.outage", "{help}");
    assert_eq!(help["answers"][0]["title"], "停水信息查询", "{help}");
    let (status, _) = clerk.get("/api/v1/hotline/assist?phone=13912345678").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a caller's history is for operators"
    );

    // The caller rings again: the operator sees their request, the category
    // their words suggest and the knowledge base's answers.
    let (status, help) = operator
        .get("/api/v1/hotline/assist?phone=13912345678&said=家里又停水了怎么办")
        .await;
    assert_eq!(status, StatusCode::OK, "{help}");
    assert_eq!(help["history"][0]["id"], id, "{help}");
    assert_eq!(help["categories"][0], "water.outage", "{help}");
    assert_eq!(help["answers"][0]["title"], "停水信息查询", "{help}");
    let (status, _) = clerk.get("/api/v1/hotline/assist?phone=13912345678").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a caller's history is for operators"
    );

    // The catalogue says where it goes; the operator dispatches there.
    let (status, to) = operator
        .get("/api/v1/hotline/dispatch?category=water.outage")
        .await;
    assert_eq!(status, StatusCode::OK, "{to}");
    assert_eq!(to["lead_unit"], "330100-U01");
    let (_, queue) = operator.get("/api/v1/hotline/queue").await;
    assert!(
        queue
            .as_array()
            .expect("a list")
            .iter()
            .any(|q| q["id"] == id),
        "in the operator's queue"
    );
    let d = step(
        &operator,
        id,
        json!({"command": "dispatch", "lead": "330100-U01"}),
    )
    .await;
    assert_eq!(d["state"], "dispatched");
    let (_, inbox) = clerk.get("/api/v1/hotline/inbox").await;
    assert!(
        inbox
            .as_array()
            .expect("a list")
            .iter()
            .any(|q| q["id"] == id),
        "in the unit's inbox: {inbox}"
    );

    assert!(
        inbox
            .as_array()
            .expect("a list")
            .iter()
            .all(|q| q["query_code"].is_null()),
        "the caller's query code is not the unit's to see: {inbox}"
    );
    let s = step(&clerk, id, json!({"command": "sign"})).await;
    assert_eq!(s["state"], "signed");
    assert!(s["query_code"].is_null(), "{s}");
    let (_, seen) = operator
        .get(&format!("/api/v1/hotline/requests/{id}"))
        .await;
    assert!(
        seen["ticket"]["query_code"].is_string(),
        "the operator reads it out: {seen}"
    );
    assert!(s["answer_due"].as_str().is_some(), "{s}");
    step(
        &clerk,
        id,
        json!({"command": "answer", "text": "已恢复供水，系施工挖断管道"}),
    )
    .await;
    step(
        &operator,
        id,
        json!({"command": "review_answer", "approve": true}),
    )
    .await;
    let done = step(
        &operator,
        id,
        json!({"command": "visit", "satisfied": true}),
    )
    .await;
    assert_eq!(done["state"], "archived");
    assert_eq!(done["answer"], "已恢复供水，系施工挖断管道");

    // Every step is there for staff, with who did it; the journal has each.
    let (status, detail) = operator
        .get(&format!("/api/v1/hotline/requests/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let events: Vec<&str> = detail["updates"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|u| u["event"].as_str())
        .collect();
    assert_eq!(
        events,
        [
            "hotline.accepted",
            "hotline.dispatched",
            "hotline.signed",
            "hotline.answered",
            "hotline.answer_reviewed",
            "hotline.visited"
        ]
    );
    let journal = whole_journal(&t.app).await;
    let mine: Vec<&str> = journal
        .iter()
        .filter(|e| e.subject == format!("ticket/{id}"))
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(mine.len(), 6, "{mine:?}");
    // The indicators count it: taken, signed in time, closed, visited and satisfied.
    let (status, ind) = Api::new(&t.base).get("/api/v1/hotline/indicators").await;
    assert_eq!(status, StatusCode::OK, "{ind}");
    let all = &ind["all"];
    assert_eq!(
        (
            all["taken"].as_u64(),
            all["closed"].as_u64(),
            all["satisfied"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{ind}"
    );
    assert_eq!(
        (
            all["response_rate"].as_f64(),
            all["satisfaction_rate"].as_f64()
        ),
        (Some(1.0), Some(1.0))
    );
    let water = ind["by_unit"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["code"] == "330100-U01")
        .expect("the water company");
    assert_eq!(water["name"], "杭州市水务集团有限公司");
    assert!(
        !ind.to_string().contains("13912345678"),
        "no caller in the indicators"
    );
    let (status, e) = Api::new(&t.base)
        .get("/api/v1/hotline/indicators?from=yesterday")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    // The journal keeps what was asked of whom, never the caller.
    for e in journal
        .iter()
        .filter(|e| e.subject == format!("ticket/{id}"))
    {
        let text = &e.payload;
        assert!(
            !text.contains("13912345678") && !text.contains("张三"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn returns_extensions_redoing_and_urging_follow_the_rules() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let operator = Api::as_user(&t.base, "operator").await;
    let clerk = Api::as_user(&t.base, "clerk").await;
    let id = take(&operator, call("power.outage", "停电")).await["ticket"]["id"]
        .as_i64()
        .expect("an id");
    step(
        &operator,
        id,
        json!({"command": "dispatch", "lead": "330100-U01"}),
    )
    .await;
    // The water company says it is not theirs; the hotline agrees and re-dispatches.
    let r = step(
        &clerk,
        id,
        json!({"command": "return", "reason": "停电不属供水职责"}),
    )
    .await;
    assert_eq!(r["state"], "return_requested");
    let back = step(
        &operator,
        id,
        json!({"command": "review_return", "approve": true}),
    )
    .await;
    assert_eq!(back["state"], "accepted");
    let again = step(
        &operator,
        id,
        json!({"command": "dispatch", "lead": "330100-U02"}),
    )
    .await;
    assert_eq!(again["redispatches"], 1);
    step(&clerk, id, json!({"command": "sign"})).await;

    // One extension, reviewed; a second is refused.
    step(
        &clerk,
        id,
        json!({"command": "request_extension", "days": 2, "reason": "需更换变压器"}),
    )
    .await;
    let before = step(
        &operator,
        id,
        json!({"command": "review_extension", "approve": true}),
    )
    .await;
    let (status, refused) = clerk
        .post(
            &format!("/api/v1/hotline/requests/{id}/commands"),
            json!({"command": "request_extension", "days": 1, "reason": "再延"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(before["answer_due"].as_str().is_some());

    // Urged twice: the second goes to the unit's head.
    let u1 = step(
        &operator,
        id,
        json!({"command": "urge", "note": "群众来电催促"}),
    )
    .await;
    assert_eq!(u1["escalated"], false);
    let u2 = step(
        &operator,
        id,
        json!({"command": "urge", "note": "再次催促"}),
    )
    .await;
    assert_eq!(u2["escalated"], true);

    // Answered, approved, and the citizen is not satisfied: done again.
    step(
        &clerk,
        id,
        json!({"command": "answer", "text": "已恢复供电"}),
    )
    .await;
    let (status, e) = operator
        .post(
            &format!("/api/v1/hotline/requests/{id}/commands"),
            json!({"command": "review_answer", "approve": false}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sending back needs a reason: {e}"
    );
    step(
        &operator,
        id,
        json!({"command": "review_answer", "approve": true}),
    )
    .await;
    let redo = step(
        &operator,
        id,
        json!({"command": "visit", "satisfied": false, "comment": "仍然经常停电"}),
    )
    .await;
    assert_eq!(
        (redo["state"].as_str(), redo["redos"].as_i64()),
        (Some("signed"), Some(1))
    );
    // A redo cannot be returned.
    let (status, _) = clerk
        .post(
            &format!("/api/v1/hotline/requests/{id}/commands"),
            json!({"command": "return", "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A return more than a working day after dispatch is too late.
    let late = take(&operator, call("water.outage", "停水")).await["ticket"]["id"]
        .as_i64()
        .expect("an id");
    step(
        &operator,
        late,
        json!({"command": "dispatch", "lead": "330100-U01"}),
    )
    .await;
    t.clock.advance(jiff::SignedDuration::from_hours(24 * 5));
    let (status, e) = clerk
        .post(
            &format!("/api/v1/hotline/requests/{late}/commands"),
            json!({"command": "return", "reason": "不属本单位"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    let (_, detail) = operator
        .get(&format!("/api/v1/hotline/requests/{late}"))
        .await;
    assert_eq!(
        detail["ticket"]["overdue"], true,
        "the unit never signed: {detail}"
    );

    // Supervision reads the hotline's journal too: the unit that never
    // signed gets a card on that request (one: the dispatch was in time).
    t.app.run_supervision().await.expect("follows the journal");
    t.app
        .run_supervision_timers()
        .await
        .expect("fires what is due");
    let supervisor = Api::as_user(&t.base, "supervisor").await;
    let late_number = detail["ticket"]["number"].as_str().expect("a number");
    let (status, cards) = supervisor
        .get(&format!(
            "/api/v1/supervision/signals?case={late_number}&open=false"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{cards}");
    let cards = cards.as_array().expect("a list");
    assert_eq!(cards.len(), 1, "{cards:?}");
    assert_eq!(cards[0]["rule"], "hotline.overdue");
    assert_eq!(cards[0]["level"], "yellow");
    assert_eq!(
        cards[0]["link"],
        format!("/staff/hotline/{late}"),
        "the card leads to the request"
    );
    assert_eq!(
        cards[0]["department"], "330100-U01",
        "the unit that holds it"
    );
    // The unit answers the card like any other.
    let card = cards[0]["id"].as_i64().expect("an id");
    let (status, answered) = clerk
        .post(
            &format!("/api/v1/supervision/signals/{card}/commands"),
            json!({"command": "respond", "text": "已签收并安排人员处理"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
}

/// The duplicate check finds requests near a point in the squares of a grid
/// around it: a request across a corner of the grid is still alike, and one
/// at the same latitude across town is not.
#[tokio::test]
async fn alike_requests_are_found_across_the_lines_of_the_grid() {
    use sunshine_domain::hotline::place_cell;
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let operator = Api::as_user(&t.base, "operator").await;
    let (north_east, south_west) = ((30.2003, 120.2003), (30.1999, 120.1999));
    let cell = |(lat, long): (f64, f64)| place_cell(lat, long);
    assert_ne!(cell(north_east) / 100_000, cell(south_west) / 100_000);
    assert_ne!(cell(north_east) % 100_000, cell(south_west) % 100_000);
    let first = take(&operator, json!({"category": "road.pothole", "description": "路口有坑", "lat": north_east.0, "long": north_east.1})).await;
    let first_id = first["ticket"]["id"].as_i64().expect("an id");
    let across_town = take(&operator, json!({"category": "road.pothole", "description": "另一处有坑", "lat": north_east.0, "long": 120.25})).await;
    assert_eq!(across_town["alike"], json!([]), "{across_town}");
    let across_the_corner = take(&operator, json!({"category": "road.pothole", "description": "路口南侧有坑", "lat": south_west.0, "long": south_west.1})).await;
    assert_eq!(
        across_the_corner["alike"],
        json!([first_id]),
        "{across_the_corner}"
    );
    // The same caller at the same place is found by the point and by the
    // phone, and offered once.
    let by_phone = |text: &str| json!({"category": "road.pothole", "description": text, "lat": 30.23, "long": 120.23, "caller_phone": "13800001111"});
    let called = take(&operator, by_phone("桥下有坑")).await;
    let called_id = called["ticket"]["id"].as_i64().expect("an id");
    assert_eq!(called["alike"], json!([]), "{called}");
    let again = take(&operator, by_phone("桥下的坑还在")).await;
    assert_eq!(again["alike"], json!([called_id]), "{again}");
    // Found twice each, the newest fifty requests are all offered, not half.
    let mut ids = vec![called_id, again["ticket"]["id"].as_i64().expect("an id")];
    for n in 0..53 {
        let more = take(&operator, by_phone(&format!("桥下有坑，第{n}次来电"))).await;
        ids.push(more["ticket"]["id"].as_i64().expect("an id"));
    }
    let last = take(&operator, by_phone("桥下的坑又大了")).await;
    let offered: Vec<i64> = serde_json::from_value(last["alike"].clone()).expect("ids");
    let newest: std::collections::BTreeSet<i64> = ids.iter().rev().take(50).copied().collect();
    assert_eq!(
        offered
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<i64>>(),
        newest,
        "{last}"
    );
}

#[tokio::test]
async fn alike_requests_are_merged_and_every_requester_hears_the_answer() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let operator = Api::as_user(&t.base, "operator").await;
    let clerk = Api::as_user(&t.base, "clerk").await;
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let first = take(&operator, json!({"category": "road.pothole", "description": "路面有坑", "lat": 30.2952, "long": 120.1473})).await;
    let first_id = first["ticket"]["id"].as_i64().expect("an id");
    assert_eq!(first["alike"], json!([]));
    // Forty metres away, the next day, the same category: offered for merging.
    t.clock.advance(jiff::SignedDuration::from_hours(20));
    let second = take(&citizen, json!({"category": "road.pothole", "description": "辅道有个大坑", "lat": 30.2955, "long": 120.1475})).await;
    let second_id = second["ticket"]["id"].as_i64().expect("an id");
    assert_eq!(second["alike"], json!([first_id]), "{second}");
    let (status, merged) = operator
        .post(
            &format!("/api/v1/hotline/requests/{second_id}/merge"),
            json!({"into": first_id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["state"], "merged");
    let (status, _) = operator
        .post(
            &format!("/api/v1/hotline/requests/{first_id}/merge"),
            json!({"into": first_id}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    step(
        &operator,
        first_id,
        json!({"command": "dispatch", "lead": "330100-034"}),
    )
    .await;
    step(&clerk, first_id, json!({"command": "sign"})).await;
    step(
        &clerk,
        first_id,
        json!({"command": "answer", "text": "坑洞已修补"}),
    )
    .await;
    step(
        &operator,
        first_id,
        json!({"command": "review_answer", "approve": true}),
    )
    .await;
    step(
        &operator,
        first_id,
        json!({"command": "visit", "satisfied": true}),
    )
    .await;
    let (_, seen) = citizen
        .get(&format!("/api/v1/hotline/requests/{second_id}"))
        .await;
    assert_eq!(seen["ticket"]["state"], "archived", "{seen}");
    assert_eq!(seen["ticket"]["answer"], "坑洞已修补");
    assert!(
        seen["updates"]
            .as_array()
            .expect("steps")
            .iter()
            .any(|u| u["text"] == "坑洞已修补"),
        "the requester is told: {seen}"
    );
}

/// A request by address alone, then one at a point, on a fresh platform
/// whose writer has prepared no request yet: the second is taken too. (On
/// PostgreSQL the first once left a statement that read every later point
/// as the wrong type.)
#[tokio::test]
async fn a_request_at_a_point_is_taken_after_one_by_address_alone() {
    let app = sunshine_testkit::TestApp::demo_with_cases(0)
        .await
        .expect("a fresh demo");
    let token = sunshine_testkit::api_token(
        &app.url(""),
        sunshine_app::demo::DEMO_CITIZEN_ID,
        sunshine_app::demo::DEMO_PASSWORD,
    )
    .await
    .expect("token");
    let citizen = Api {
        token: Some(token),
        ..Api::new(&app.url(""))
    };
    let by_address = take(
        &citizen,
        json!({"category": "streetlight.out", "description": "路灯不亮",
               "address": "杭州市西湖区保俶路1号"}),
    )
    .await;
    assert!(
        by_address["ticket"]["id"].as_i64().is_some(),
        "{by_address}"
    );
    for n in 0..3 {
        let at_point = take(
            &citizen,
            json!({"category": "streetlight.out", "description": format!("路灯不亮{n}"),
                   "lat": 30.2741 + f64::from(n) * 0.01, "long": 120.1551}),
        )
        .await;
        assert!(at_point["ticket"]["id"].as_i64().is_some(), "{at_point}");
    }
    app.stop().await;
}
