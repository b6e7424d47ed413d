//! The 96345 hotline through the API: a call taken by an operator goes to
//! its unit, is signed for, answered, checked, visited and archived; returns,
//! extensions, redoing and urging; each party is refused the steps that are
//! not theirs; alike requests are merged and share the answer; bad input is
//! refused whole and writes nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{fields, Api};

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

#[tokio::test]
async fn each_party_is_refused_the_steps_that_are_not_theirs() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let operator = Api::as_user(&t.base, "operator").await;
    let clerk = Api::as_user(&t.base, "clerk").await;
    let xihu_clerk = Api::as_user(&t.base, "clerk.330106").await;
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let anonymous = Api::new(&t.base);

    // A citizen brings a request on the web; it is theirs to see.
    let mine = take(&citizen, call("streetlight.out", "路灯不亮")).await;
    let id = mine["ticket"]["id"].as_i64().expect("an id");
    assert_eq!(mine["ticket"]["channel"], "web");
    let (_, list) = citizen.get("/api/v1/hotline/mine").await;
    assert!(list
        .as_array()
        .expect("a list")
        .iter()
        .any(|t| t["id"] == id));

    // The clerk cannot dispatch; the operator cannot sign; the citizen cannot dispatch.
    let (status, _) = clerk
        .post(
            &format!("/api/v1/hotline/requests/{id}/commands"),
            json!({"command": "dispatch", "lead": "330100-034"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a unit that does not hold it does not see it"
    );
    let (status, _) = citizen
        .post(
            &format!("/api/v1/hotline/requests/{id}/commands"),
            json!({"command": "dispatch", "lead": "330100-034"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    step(
        &operator,
        id,
        json!({"command": "dispatch", "lead": "330100-034"}),
    )
    .await;
    let (status, _) = operator
        .post(
            &format!("/api/v1/hotline/requests/{id}/commands"),
            json!({"command": "sign"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A district's clerk does not handle a city unit's requests.
    let (status, _) = xihu_clerk
        .post(
            &format!("/api/v1/hotline/requests/{id}/commands"),
            json!({"command": "sign"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    step(&clerk, id, json!({"command": "sign"})).await;

    // The requester sees only the public steps; the staff-only ones stay hidden.
    step(
        &clerk,
        id,
        json!({"command": "request_extension", "days": 2, "reason": "需协调电力部门"}),
    )
    .await;
    let (status, seen) = citizen.get(&format!("/api/v1/hotline/requests/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        seen["updates"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|u| u["public"] == true),
        "{seen}"
    );
    assert!(!seen.to_string().contains("需协调电力部门"));

    // Someone else's request is not there; without signing in, nothing is.
    let other = take(&operator, call("water.outage", "停水")).await["ticket"]["id"]
        .as_i64()
        .expect("an id");
    let (status, _) = citizen
        .get(&format!("/api/v1/hotline/requests/{other}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = anonymous
        .get(&format!("/api/v1/hotline/requests/{other}"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = anonymous
        .post("/api/v1/hotline/requests", call("water.outage", "x"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = clerk.get("/api/v1/hotline/queue").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Staff other than operators do not take calls.
    let (status, _) = clerk
        .post("/api/v1/hotline/requests", call("water.outage", "x"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
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

#[tokio::test]
async fn bad_requests_and_categories_are_refused_whole_and_write_nothing() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let operator = Api::as_user(&t.base, "operator").await;
    let admin = Api::as_user(&t.base, "admin").await;
    let before = whole_journal(&t.app).await.len();
    let (status, e) = operator
        .post(
            "/api/v1/hotline/requests",
            json!({"category": "city.noise", "description": "吵".repeat(4001), "lat": 10.0, "long": 10.0,
                   "caller_phone": "call me", "attributes": {"source": ["volcano"], "colour": ["red"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let f = fields(&e);
    for field in ["description", "lat", "phone"] {
        assert!(f.iter().any(|k| k == field), "{field}: {e}");
    }
    let (status, e) = operator.post("/api/v1/hotline/requests", json!({"category": "city.noise", "description": "x", "attributes": {"source": ["volcano"], "colour": ["red"]}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let f = fields(&e);
    assert!(
        f.contains(&"attribute[source]".to_string())
            && f.contains(&"attribute[colour]".to_string()),
        "{e}"
    );
    let (status, e) = operator
        .post(
            "/api/v1/hotline/requests",
            json!({"category": "no.such", "description": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, e) = operator
        .post(
            "/api/v1/hotline/requests/1/commands",
            json!({"command": "fly"}),
        )
        .await;
    assert!(
        status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::NOT_FOUND,
        "{e}"
    );

    // Categories: the administrator edits them as versions; nobody else may.
    let body = json!({"name": "井盖缺失", "name_en": "Missing manhole cover", "class": "public_information", "kind": "report",
                      "urgency": "emergency", "lead_unit": "330100-034", "keywords": ["井盖"],
                      "attributes": [{"code": "road", "datatype": "string", "required": true, "order": 1, "description": "道路"}]});
    let (status, c) = operator
        .put("/api/v1/hotline/categories/road.manhole", body.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{c}");
    let (status, bad) = admin
        .put("/api/v1/hotline/categories/road.manhole", json!({"name": "", "name_en": "x", "class": "x", "kind": "report", "urgency": "normal", "lead_unit": "nobody"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (status, bad) = admin
        .put("/api/v1/hotline/categories/road.manhole", json!({"name": "", "name_en": "x", "class": "government", "kind": "report", "urgency": "normal", "lead_unit": "nobody", "dispatch_hours": 0}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let f = fields(&bad);
    assert!(
        ["name", "lead_unit", "dispatch_hours"]
            .iter()
            .all(|k| f.iter().any(|g| g == k)),
        "{bad}"
    );
    let after = whole_journal(&t.app).await.len();
    assert_eq!(before, after, "nothing refused was journaled");

    let (status, c) = admin
        .put("/api/v1/hotline/categories/road.manhole", body.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(
        (c["version"].as_i64(), c["dispatch_hours"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        c["personal"], false,
        "a category is not about a person unless marked"
    );
    let mut personal = body.clone();
    personal["personal"] = json!(true);
    let (_, c) = admin
        .put("/api/v1/hotline/categories/road.manhole", personal)
        .await;
    assert_eq!(
        (c["version"].as_i64(), c["personal"].as_bool()),
        (Some(2), Some(true))
    );
    let (_, c) = admin
        .put("/api/v1/hotline/categories/road.manhole", body)
        .await;
    assert_eq!(
        (c["version"].as_i64(), c["personal"].as_bool()),
        (Some(3), Some(false))
    );
    let (status, e) = admin
        .put(
            "/api/v1/hotline/categories/road.manhole/dispatch/330106",
            json!({"lead_unit": "330106"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (_, to) = operator
        .get("/api/v1/hotline/dispatch?category=road.manhole&region=330106")
        .await;
    assert_eq!(to["lead_unit"], "330106");
}

#[tokio::test]
async fn the_public_dashboard_shows_the_three_rates_and_no_caller() {
    let demo = sunshine_testkit::shared_demo();
    for lang in ["zh-CN", "en"] {
        let resp = reqwest::Client::new()
            .get(demo.url("/hotline"))
            .header("accept-language", lang)
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), StatusCode::OK);
        let html = resp.text().await.expect("page");
        for id in [
            "hotline-all",
            "hotline-units",
            "hotline-districts",
            "hotline-categories",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id} in {lang}");
        }
        let words = if lang == "en" {
            ["Response rate", "Satisfaction rate"]
        } else {
            ["响应率", "满意率"]
        };
        assert!(words.iter().all(|w| html.contains(w)), "{lang}");
        assert!(html.contains('%'), "rates as percentages");
        // The demo's callers' numbers are 1380000NNNN.
        assert!(
            !html.contains("1380000"),
            "no caller on the public dashboard"
        );
    }
    let resp = reqwest::get(demo.url("/hotline?from=someday"))
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.expect("page").contains("YYYY-MM-DD"));
}

/// The knowledge base is searched by words: a question in other words and
/// another order than any article still finds the one that answers it.
#[tokio::test]
async fn the_knowledge_base_answers_a_question_by_its_words() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let operator = Api::as_user(&t.base, "operator").await;
    let clerk = Api::as_user(&t.base, "clerk").await;
    let public = Api::new(&t.base);
    let (status, found) = public
        .get("/api/v1/hotline/knowledge?q=我想把公积金取出来租房用")
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found[0]["title"], "住房公积金提取", "{found}");
    let (_, found) = public
        .get("/api/v1/hotline/knowledge?q=卡丢了怎么挂失")
        .await;
    assert_eq!(found[0]["title"], "市民卡挂失", "{found}");
    let (_, none) = public.get("/api/v1/hotline/knowledge?q=的了吗").await;
    assert_eq!(none, json!([]), "stop words alone find nothing");

    // An operator writes an answer; it is found at once, and a rewrite replaces its words.
    let body = json!({"title": "西湖音乐喷泉开放时间", "body": "西湖音乐喷泉每晚19:00和20:00各演出一场，雨天停演。", "category": "commerce.info"});
    let (status, a) = operator.post("/api/v1/hotline/knowledge", body).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().expect("an id");
    let (_, found) = public
        .get("/api/v1/hotline/knowledge?q=音乐喷泉几点开始")
        .await;
    assert_eq!(found[0]["id"], id, "{found}");
    let (status, a) = operator
        .put(
            &format!("/api/v1/hotline/knowledge/{id}"),
            json!({"title": "西湖夜游", "body": "湖滨步行街夜间开放。"}),
        )
        .await;
    assert_eq!(
        (status, a["version"].as_i64()),
        (StatusCode::OK, Some(2)),
        "{a}"
    );
    let (_, found) = public.get("/api/v1/hotline/knowledge?q=音乐喷泉").await;
    assert!(
        found
            .as_array()
            .expect("a list")
            .iter()
            .all(|f| f["id"] != id),
        "the old words are gone: {found}"
    );

    let (status, _) = clerk
        .post(
            "/api/v1/hotline/knowledge",
            json!({"title": "x", "body": "y"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, e) = operator
        .post(
            "/api/v1/hotline/knowledge",
            json!({"title": "", "body": "", "category": "no.such"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, _) = operator
        .put(
            "/api/v1/hotline/knowledge/999999",
            json!({"title": "x", "body": "y"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let html = reqwest::get(format!("{}/hotline/knowledge?q=燃气有味道怎么办", t.base))
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("燃气泄漏怎么办"), "the page finds it too");
}

/// Services around a home: placed by the street the address names, nearest
/// first, of the kind asked; an address that names no known place says so.
#[tokio::test]
async fn the_services_around_a_home_come_nearest_first() {
    let demo = sunshine_testkit::shared_demo();
    let public = Api::new(&demo.base);
    let (status, v) = public
        .get("/api/v1/hotline/nearby?address=西湖区翠苑一区12幢&kind=elderly_care")
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let services = v["services"].as_array().expect("services");
    assert_eq!(services[0]["name"], "翠苑一区居家养老服务照料中心", "{v}");
    assert!(services.iter().all(|s| s["kind"] == "elderly_care"), "{v}");
    let distances: Vec<f64> = services
        .iter()
        .filter_map(|s| s["distance_m"].as_f64())
        .collect();
    assert!(
        distances.windows(2).all(|w| w[0] <= w[1]) && distances.iter().all(|d| *d <= 5000.0),
        "{distances:?}"
    );
    assert!(
        !services
            .iter()
            .any(|s| s["name"].as_str().is_some_and(|n| n.contains("长河"))),
        "across the river is too far"
    );

    let (status, all) = public
        .get("/api/v1/hotline/nearby?lat=30.1930&long=120.2040")
        .await;
    assert_eq!(status, StatusCode::OK);
    let kinds: std::collections::BTreeSet<&str> = all["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["kind"].as_str())
        .collect();
    assert!(kinds.len() >= 2, "every kind when none is asked: {all}");

    for (query, field) in [
        ("address=月球背面", "address"),
        ("address=文三路&kind=spa", "kind"),
        ("lat=30.2", "long"),
        ("lat=10&long=10", "lat"),
        ("", "address"),
    ] {
        let (status, e) = public.get(&format!("/api/v1/hotline/nearby?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {e}");
        assert!(fields(&e).iter().any(|f| f == field), "{query}: {e}");
    }
    let html = reqwest::get(demo.url("/hotline/nearby?address=上城区东坡路8号"))
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("湖滨街道居家养老服务中心") && html.contains("id=\"nearby\""),
        "the page lists them"
    );
}

/// A call taken by phone joins the caller's account by its number and the
/// query code the operator read out: a wrong code, someone else's request
/// and a staff member are refused alike, and the journal records the claim.
#[tokio::test]
async fn a_caller_adds_a_phone_request_to_their_account_by_its_query_code() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let operator = Api::as_user(&t.base, "operator").await;
    let taken = take(&operator, call("housing.fund", "公积金提取需要哪些材料")).await;
    let ticket = &taken["ticket"];
    let (id, number) = (
        ticket["id"].as_i64().expect("an id"),
        ticket["number"].as_str().expect("a number").to_string(),
    );
    let code = ticket["query_code"]
        .as_str()
        .expect("a query code for the caller")
        .to_string();
    assert_eq!(code.len(), 8, "{code}");

    let (citizen, _) = crate::support::fresh_citizen(&t.base).await;
    let (_, mine) = citizen.get("/api/v1/hotline/mine").await;
    assert!(!mine.to_string().contains(&number), "not theirs yet");
    let claim = |number: &str, code: &str| json!({"number": number, "query_code": code});
    let wrong = if code.starts_with('A') {
        "BBBBBBBB"
    } else {
        "AAAAAAAA"
    };
    for (body, why) in [
        (claim(&number, wrong), "a wrong code"),
        (claim(&number, "short"), "a malformed code"),
        (
            claim("96345-1999-0000001", &code),
            "another request's number",
        ),
        (
            claim(&number.replacen("96345-", "96345-1", 1), &code),
            "a malformed number",
        ),
    ] {
        let (status, body) = citizen.post("/api/v1/hotline/requests/claim", body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{why}: {body}");
    }
    let (status, staff) = operator
        .post("/api/v1/hotline/requests/claim", claim(&number, &code))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "staff do not claim: {staff}");
    // The right pair, in lower case as a caller might type it.
    let (status, claimed) = citizen
        .post(
            "/api/v1/hotline/requests/claim",
            claim(&number, &code.to_lowercase()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["id"], id);
    let (_, mine) = citizen.get("/api/v1/hotline/mine").await;
    assert!(mine.to_string().contains(&number), "{mine}");
    let (status, _) = citizen.get(&format!("/api/v1/hotline/requests/{id}")).await;
    assert_eq!(status, StatusCode::OK, "the requester reads it now");
    // Again: still theirs. Someone else with the same pair: not found.
    let (status, _) = citizen
        .post("/api/v1/hotline/requests/claim", claim(&number, &code))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (other, _) = crate::support::fresh_citizen(&t.base).await;
    let (status, _) = other
        .post("/api/v1/hotline/requests/claim", claim(&number, &code))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "already on another account");
    let journal = whole_journal(&t.app).await;
    let claims: Vec<_> = journal
        .iter()
        .filter(|e| e.event_type == "hotline.claimed" && e.subject == format!("ticket/{id}"))
        .collect();
    assert_eq!(claims.len(), 1, "journaled once");
    t.stop().await;
}
