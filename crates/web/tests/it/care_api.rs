//! Home care through the API: a resident registered with a needs
//! assessment; an order from the resident, their worker or the hotline,
//! served by the provider, confirmed and rated, with the subsidy drawn from
//! the month's subsidised time; strangers told nothing; an order left too
//! long raising a card against the community.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_app::demo::{
    demo_provider_code, COMMUNITY_WORKER, DEMO_ENTERPRISE_LOGIN, DEMO_PROVIDER_LOGIN,
};
use sunshine_domain::care::ITEMS;
use sunshine_testkit::{shared_demo, TestApp};

use crate::support::{fields, fresh_citizen, fresh_citizen_born, unique, Api};

const HEADER: &str =
    "身份证号,姓名,性别,出生日期,民族,户籍地址,居住地址,社区代码,户号,与户主关系,联系电话";

/// Scores whose first `impaired` items are the lowest, the rest full marks.
fn scores(impaired: usize) -> Value {
    let map: serde_json::Map<String, Value> = ITEMS
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let s = if i < impaired {
                0
            } else {
                *item.scores.last().expect("scores")
            };
            (item.code.to_string(), json!(s))
        })
        .collect();
    Value::Object(map)
}

/// A bound citizen born on `birth`, living alone in the demo community:
/// their API, identity number and registry id.
async fn resident(base: &str, birth: &str) -> (Api, String, i64) {
    let (api, id) = fresh_citizen_born(base, birth).await;
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let number = format!("JYH{}", unique());
    let day = format!("{}-{}-{}", &birth[..4], &birth[4..6], &birth[6..]);
    let sex = if id.as_bytes()[16] % 2 == 1 { "1" } else { "2" };
    let file = format!(
        "{HEADER}\n{id},孙老,{sex},{day},01,杭州市西湖区保俶路3号,杭州市西湖区保俶路3号,330106001001,{number},02,13900001234\n"
    );
    let (status, body) = worker
        .post_text("/api/v1/registry/imports", "text/csv", &file)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, found) = worker
        .post("/api/v1/registry/lookups", json!({"id_number": id}))
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let person = found["members"][0]["id"].as_i64().expect("an id");
    (api, id, person)
}

async fn register(worker: &Api, person: i64, impaired: usize) -> Value {
    let (status, r) = worker
        .post(
            "/api/v1/care/recipients",
            json!({"person_id": person, "scores": scores(impaired)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    r
}

fn tomorrow(base_today: &str) -> String {
    let d: jiff::civil::Date = base_today.parse().expect("a day");
    d.tomorrow().expect("a tomorrow").to_string()
}

async fn act(who: &Api, number: &str, command: &str, body: Value) -> (StatusCode, Value) {
    who.post(&format!("/api/v1/care/orders/{number}/{command}"), body)
        .await
}

#[tokio::test]
async fn an_order_from_the_tv_is_served_confirmed_and_rated_with_its_subsidy() {
    let demo = shared_demo();
    let base = &demo.base;
    let today = demo.clock_today();
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let provider = Api::as_user(base, DEMO_PROVIDER_LOGIN).await;
    let (elder, _, person) = resident(base, "19380214").await;

    // Before registration the resident sees their allowance, not the services.
    let (status, mine) = elder.get("/api/v1/me/care").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["registered"], false);
    assert_eq!(mine["allowance_from_age"], 80, "{mine}");
    let (status, e) = elder
        .post(
            "/api/v1/care/orders",
            json!({"channel": "tv", "service": "clean", "provider": demo_provider_code(), "wanted_on": today}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{e}");

    // Severely impaired in daily living: the most subsidised time.
    let r = register(&worker, person, 10).await;
    assert_eq!(r["total"], 0);
    assert_eq!(r["level"], "severe");
    assert_eq!(r["minutes_per_month"], 2400);
    let (_, mine) = elder.get("/api/v1/me/care").await;
    assert_eq!(mine["registered"], true);
    assert_eq!(mine["minutes_per_month"], 2400);
    assert!(
        mine["services"]
            .as_array()
            .expect("offers")
            .iter()
            .any(|o| o["service"]["code"] == "clean"
                && o["providers"][0]["credit_code"] == demo_provider_code()),
        "{mine}"
    );

    let (status, o) = elder
        .post(
            "/api/v1/care/orders",
            json!({"channel": "tv", "service": "clean", "provider": demo_provider_code(),
                   "wanted_on": today, "request": "擦窗户"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    let number = o["number"].as_str().expect("a number").to_string();
    assert!(number.starts_with("JY"), "{number}");
    assert_eq!(o["state"], "placed");
    assert_eq!(o["channel"], "tv");
    assert_eq!(o["commands"], json!(["cancel"]));
    assert!(o["due_at"].as_i64().is_some());

    // Strangers are told nothing: another enterprise, another citizen.
    let other = Api::as_user(base, DEMO_ENTERPRISE_LOGIN).await;
    let (stranger, _) = fresh_citizen(base).await;
    for who in [&other, &stranger] {
        let (status, _) = who.get(&format!("/api/v1/care/orders/{number}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = act(who, &number, "accept", json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, list) = who.get("/api/v1/care/orders").await;
        assert!(!list.to_string().contains(&number));
    }

    // The provider sees whom to serve, where and how to call them, and no
    // identity number; the resident is not the one to accept.
    let (status, seen) = provider.get(&format!("/api/v1/care/orders/{number}")).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["name"], "孙老");
    assert_eq!(seen["phone"], "13900001234");
    assert_eq!(seen["commands"], json!(["accept", "decline"]));
    assert!(!seen.to_string().contains("330106193802"), "{seen}");
    let (status, e) = act(&elder, &number, "accept", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    let (status, o) = act(&provider, &number, "accept", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["state"], "accepted");

    // Serving: the time is checked, then charged at the standard price
    // (clean: 40 yuan an hour), all of it subsidised.
    let (status, e) = act(
        &provider,
        &number,
        "serve",
        json!({"minutes": 0, "note": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["minutes"]);
    let (status, o) = act(
        &provider,
        &number,
        "serve",
        json!({"minutes": 90, "note": "窗户擦完"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["state"], "served");
    assert_eq!(
        o["charge"],
        json!({"total_fen": 6000, "subsidy_fen": 6000, "bank_fen": 0, "own_fen": 0,
               "subsidised_minutes": 90, "banked_minutes": 0})
    );

    // Only the resident confirms and rates, once.
    let (status, _) = act(&provider, &number, "confirm", json!({"rating": 5})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, e) = act(&elder, &number, "confirm", json!({"rating": 9})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, o) = act(
        &elder,
        &number,
        "confirm",
        json!({"rating": 4, "comment": "很干净"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["state"], "confirmed");
    assert_eq!(o["rating"], 4);
    assert_eq!(o["commands"], json!([]));
    let (status, _) = act(&elder, &number, "confirm", json!({"rating": 5})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The month's subsidised time shows what was used; the resident sees
    // that the provider read their order.
    let (_, mine) = elder.get("/api/v1/me/care").await;
    assert_eq!(mine["minutes_used"], 90, "{mine}");
    let (_, reads) = elder.get("/api/v1/me/reads").await;
    assert!(
        reads
            .as_array()
            .expect("reads")
            .iter()
            .any(|r| r["kind"] == "care_order"
                && r["purpose"] == "care_service"
                && r["what"] == number.as_str()),
        "{reads}"
    );
    // The worker's list has it, with the rating.
    let (_, list) = worker.get("/api/v1/care/orders").await;
    assert!(
        list.as_array()
            .expect("orders")
            .iter()
            .any(|x| x["number"] == number.as_str() && x["rating"] == 4),
        "{list}"
    );
}

#[tokio::test]
async fn subsidised_time_runs_out_and_the_resident_pays_the_rest() {
    let demo = shared_demo();
    let base = &demo.base;
    let today = demo.clock_today();
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let provider = Api::as_user(base, DEMO_PROVIDER_LOGIN).await;
    let (elder, _, person) = resident(base, "19500601").await;
    // Mildly impaired (two items at 0: 85): 600 minutes a month.
    let r = register(&worker, person, 2).await;
    assert_eq!(r["level"], "mild", "{r}");
    assert_eq!(r["minutes_per_month"], 600);
    let mut charges = vec![];
    for minutes in [500, 200] {
        let (status, o) = worker
            .post(
                "/api/v1/care/orders",
                json!({"channel": "worker", "person_id": person, "service": "clean",
                       "provider": demo_provider_code(), "wanted_on": tomorrow(&today)}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{o}");
        assert_eq!(o["channel"], "worker");
        let number = o["number"].as_str().expect("a number").to_string();
        act(&provider, &number, "accept", json!({})).await;
        let (status, o) = act(
            &provider,
            &number,
            "serve",
            json!({"minutes": minutes, "note": "打扫"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{o}");
        charges.push(o["charge"].clone());
        // The worker does not rate for the resident.
        let (status, _) = act(&worker, &number, "confirm", json!({"rating": 5})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert_eq!(charges[0]["subsidised_minutes"], 500);
    assert_eq!(charges[0]["own_fen"], 0);
    // 200 minutes at 40 yuan an hour is 133.33 yuan; 100 minutes were left.
    assert_eq!(
        charges[1],
        json!({"total_fen": 13333, "subsidy_fen": 6667, "bank_fen": 0, "own_fen": 6666,
               "subsidised_minutes": 100, "banked_minutes": 0})
    );
    let (_, mine) = elder.get("/api/v1/me/care").await;
    assert_eq!(mine["minutes_used"], 600);

    // The worker's list of the community's recipients shows the month's use,
    // and reading it is recorded against the resident.
    let (status, list) = worker
        .get("/api/v1/care/communities/330106001001/recipients")
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let me = list
        .as_array()
        .expect("recipients")
        .iter()
        .find(|r| r["person_id"] == person)
        .expect("registered");
    assert_eq!(me["minutes_used"], 600);
    let (_, reads) = elder.get("/api/v1/me/reads").await;
    assert!(reads.to_string().contains("care_service"), "{reads}");
}

#[tokio::test]
async fn the_hotline_and_workers_order_within_their_bounds_and_bad_input_is_named() {
    let demo = shared_demo();
    let base = &demo.base;
    let today = demo.clock_today();
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let operator = Api::as_user(base, "operator").await;
    let provider = Api::as_user(base, DEMO_PROVIDER_LOGIN).await;
    let (elder, id, person) = resident(base, "19420909").await;
    register(&worker, person, 5).await;

    // The hotline places an order for a caller by their identity number.
    let order = |channel: &str| {
        json!({"channel": channel, "id_number": id, "person_id": person, "service": "meal",
               "provider": demo_provider_code(), "wanted_on": today, "request": "送午饭"})
    };
    let mut with_bank = order("hotline");
    with_bank["use_time_bank"] = json!(true);
    let (status, o) = operator.post("/api/v1/care/orders", with_bank).await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    assert_eq!(o["channel"], "hotline");
    assert_eq!(
        o["use_time_bank"], false,
        "only the resident spends their time bank"
    );
    let number = o["number"].as_str().expect("a number").to_string();
    // A number nobody registered for care is not found.
    let mut unknown = order("hotline");
    unknown["id_number"] = json!(crate::support::fresh_id_number());
    let (status, _) = operator.post("/api/v1/care/orders", unknown).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Channels are whose they are.
    let (status, e) = elder.post("/api/v1/care/orders", order("hotline")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["error"]["code"], "channel_not_yours");
    let (status, e) = worker.post("/api/v1/care/orders", order("tv")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    let (status, _) = provider.post("/api/v1/care/orders", order("worker")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a provider collects no community"
    );

    // Bad input: every field named, nothing written.
    let (_, before) = elder.get("/api/v1/me/care").await;
    let (status, e) = elder
        .post(
            "/api/v1/care/orders",
            json!({"channel": "resident", "service": "massage", "provider": "91330106MA2CD0009X",
                   "wanted_on": "2020-01-01", "request": "a\u{202e}b"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["provider", "request", "service", "wanted_on"]);
    let (_, after) = elder.get("/api/v1/me/care").await;
    assert_eq!(before["orders"], after["orders"]);

    // Whoever placed it may cancel it, with a reason, until it is served.
    let (status, e) = act(&operator, &number, "cancel", json!({"reason": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, o) = act(&operator, &number, "cancel", json!({"reason": "来电取消"})).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["state"], "cancelled");
    let (status, _) = act(&provider, &number, "accept", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = act(&provider, &number, "shine", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A resident under 60 is not registered; a bad assessment names its items.
    let (_, _, young) = resident(base, "19800101").await;
    let (status, e) = worker
        .post(
            "/api/v1/care/recipients",
            json!({"person_id": young, "scores": scores(0)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["person_id"]);
    let mut bad = scores(0);
    bad["bathing"] = json!(10);
    bad.as_object_mut().expect("map").remove("stairs");
    let (status, e) = worker
        .post(
            "/api/v1/care/recipients",
            json!({"person_id": person, "scores": bad}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["bathing", "stairs"]);
    // Only the community's worker registers its residents.
    let (status, _) = operator
        .post(
            "/api/v1/care/recipients",
            json!({"person_id": person, "scores": scores(0)}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Providers are the hotline centre's to register; each fault is named.
    let (status, _) = worker
        .post(
            "/api/v1/care/providers",
            json!({"credit_code": demo_provider_code(), "name": "x", "services": ["meal"], "districts": ["330106"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, e) = operator
        .post(
            "/api/v1/care/providers",
            json!({"credit_code": "123", "name": " ", "services": ["massage"], "districts": ["999999"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["credit_code", "districts", "name", "services"]);
    let (status, list) = Api::new(base).get("/api/v1/care/providers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.to_string().contains(&demo_provider_code()));
    let (status, rules) = Api::new(base).get("/api/v1/care/rules").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rules["care_from_age"], 60);

    // The month's allowances: the worker's, with each band's count and sum.
    let (status, roll) = worker
        .get("/api/v1/care/communities/330106001001/allowances")
        .await;
    assert_eq!(status, StatusCode::OK, "{roll}");
    assert!(roll["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .any(|l| l["person_id"] == person));
    let sum: u64 = roll["bands"]
        .as_array()
        .expect("bands")
        .iter()
        .map(|b| b["total_fen"].as_u64().expect("fen"))
        .sum();
    assert_eq!(roll["total_fen"].as_u64(), Some(sum));
    let (status, _) = operator
        .get("/api/v1/care/communities/330106001001/allowances")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, e) = worker
        .get("/api/v1/care/communities/330106001001/allowances?month=2026-13")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
}

/// An order nobody accepts in time raises a yellow card against the
/// community, which its worker answers.
#[tokio::test]
async fn an_order_left_unaccepted_raises_a_card_against_the_community() {
    let t = TestApp::demo_with_cases(0).await.expect("a demo");
    let worker = Api::as_user(&t.base, COMMUNITY_WORKER).await;
    let (_, _, person) = resident(&t.base, "19360101").await;
    register(&worker, person, 10).await;
    let today = {
        use sunshine_domain::clock::Clock;
        t.clock.today().to_string()
    };
    let (status, o) = worker
        .post(
            "/api/v1/care/orders",
            json!({"channel": "worker", "person_id": person, "service": "bath",
                   "provider": demo_provider_code(), "wanted_on": today}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    let number = o["number"].as_str().expect("a number").to_string();
    t.clock.advance(jiff::SignedDuration::from_hours(25));
    t.app.run_supervision().await.expect("follows the journal");
    t.app.run_supervision_timers().await.expect("fires");
    let supervisor = Api::as_user(&t.base, "xihu.supervisor").await;
    let (status, cards) = supervisor
        .get(&format!(
            "/api/v1/supervision/signals?case={number}&open=false"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{cards}");
    let cards = cards.as_array().expect("a list");
    assert_eq!(cards.len(), 1, "{cards:?}");
    assert_eq!(cards[0]["rule"], "care.order_overdue");
    assert_eq!(cards[0]["level"], "yellow");
    assert_eq!(cards[0]["department"], "330106-001001");
    assert_eq!(cards[0]["link"], format!("/staff/care/orders/{number}"));
    // The provider is told too: the order is marked overdue on its list.
    let provider = Api::as_user(&t.base, DEMO_PROVIDER_LOGIN).await;
    let (status, list) = provider.get("/api/v1/care/orders").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let mine = list
        .as_array()
        .expect("orders")
        .iter()
        .find(|o| o["number"] == number.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("the provider sees {number}: {list}"));
    assert_eq!(mine["overdue"], true, "{mine}");
    // The community's worker answers it.
    let id = cards[0]["id"].as_i64().expect("an id");
    let (status, answered) = worker
        .post(
            &format!("/api/v1/supervision/signals/{id}/commands"),
            json!({"command": "respond", "text": "已联系服务商，改派明日上门"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    t.stop().await;
}

/// Time given as a volunteer is recorded, confirmed by the worker, banked,
/// and spent later on one's own care after the subsidy.
#[tokio::test]
async fn time_given_as_a_volunteer_is_banked_and_spent_on_ones_own_care() {
    let demo = shared_demo();
    let base = &demo.base;
    let today = demo.clock_today();
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let operator = Api::as_user(base, "operator").await;
    let provider = Api::as_user(base, DEMO_PROVIDER_LOGIN).await;
    let (volunteer, _, person) = resident(base, "19500303").await;

    let (status, mine) = volunteer.get("/api/v1/me/volunteer").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(
        (mine["held"].clone(), mine["registered"].clone()),
        (json!(true), json!(false))
    );
    let (status, mine) = volunteer
        .post("/api/v1/me/volunteer", json!({"skills": "理发"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["registered"], true);
    assert_eq!(mine["balance_minutes"], 0);

    // The worker announces; a bad activity names its faults.
    let announce = |title: &str, day: &str| {
        worker.post(
            "/api/v1/care/activities",
            json!({"community": "330106001001", "title": title, "day": day, "place": "社区活动室"}),
        )
    };
    let (status, e) = announce("", "2040-01-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["day", "title"]);
    let (status, _) = operator
        .post(
            "/api/v1/care/activities",
            json!({"community": "330106001001", "title": "x", "day": today, "place": "y"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, haircut) = announce("助老义剪", &today).await;
    assert_eq!(status, StatusCode::CREATED, "{haircut}");
    let (_, visit) = announce("上门陪聊", &today).await;
    let (_, later) = announce("重阳节活动", &tomorrow(&today)).await;

    // The volunteer records the time given; once per activity, not early.
    let record = |activity: &Value, minutes: u32| {
        volunteer.post(
            "/api/v1/me/volunteer/hours",
            json!({"activity": activity["id"], "minutes": minutes, "note": "为老人理发"}),
        )
    };
    let (status, e) = record(&later, 60).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["activity"]);
    let (status, h) = record(&haircut, 120).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    assert_eq!(h["state"], "recorded");
    let (status, _) = record(&haircut, 30).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, refused) = record(&visit, 45).await;
    // Someone who is not a volunteer records nothing.
    let (stranger, _) = fresh_citizen(base).await;
    let (status, _) = stranger
        .post(
            "/api/v1/me/volunteer/hours",
            json!({"activity": haircut["id"], "minutes": 60, "note": "x"}),
        )
        .await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );

    // The worker sees whose time waits, and confirms or refuses it.
    let (status, open) = worker
        .get("/api/v1/care/communities/330106001001/hours")
        .await;
    assert_eq!(status, StatusCode::OK, "{open}");
    assert!(open
        .as_array()
        .expect("records")
        .iter()
        .any(|x| x["id"] == h["id"] && x["volunteer"] == "孙老"));
    let (status, _) = operator
        .get("/api/v1/care/communities/330106001001/hours")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let decide = |id: &Value, body: Value| {
        let path = format!("/api/v1/care/hours/{id}/decision");
        let worker = &worker;
        async move { worker.post(&path, body).await }
    };
    let (status, d) = decide(&h["id"], json!({"confirm": true})).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["state"], "confirmed");
    let (status, _) = decide(&h["id"], json!({"confirm": true})).await;
    assert_eq!(status, StatusCode::CONFLICT, "banked once");
    let (status, e) = decide(&refused["id"], json!({"confirm": false, "reason": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, _) = decide(
        &refused["id"],
        json!({"confirm": false, "reason": "当天未到场"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, mine) = volunteer.get("/api/v1/me/volunteer").await;
    assert_eq!(mine["balance_minutes"], 120, "{mine}");

    // Years later in care, with no subsidised time: the bank pays after the
    // subsidy, the rest is paid. 150 minutes of cleaning is 100 yuan.
    let r = register(&worker, person, 0).await;
    assert_eq!(r["minutes_per_month"], 0, "{r}");
    let (_, care) = volunteer.get("/api/v1/me/care").await;
    assert_eq!(care["time_bank_minutes"], 120);
    let (status, o) = volunteer
        .post(
            "/api/v1/care/orders",
            json!({"channel": "resident", "service": "clean", "provider": demo_provider_code(),
                   "wanted_on": today, "use_time_bank": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    assert_eq!(o["use_time_bank"], true);
    let number = o["number"].as_str().expect("a number").to_string();
    act(&provider, &number, "accept", json!({})).await;
    let (status, o) = act(
        &provider,
        &number,
        "serve",
        json!({"minutes": 150, "note": "大扫除"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(
        o["charge"],
        json!({"total_fen": 10000, "subsidy_fen": 0, "bank_fen": 8000, "own_fen": 2000,
               "subsidised_minutes": 0, "banked_minutes": 120})
    );
    let (_, mine) = volunteer.get("/api/v1/me/volunteer").await;
    assert_eq!(mine["balance_minutes"], 0, "spent: {mine}");
}

/// A household's aid: recorded by its worker, paid month by month (once),
/// reviewed (adjusted, then ended); strangers find nothing; a review left
/// past its day raises a card against the community.
#[tokio::test]
async fn a_households_aid_is_paid_reviewed_and_its_overdue_review_is_a_card() {
    let t = TestApp::demo_with_cases(0).await.expect("a demo");
    let base = &t.base;
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let operator = Api::as_user(base, "operator").await;
    let today = {
        use sunshine_domain::clock::Clock;
        t.clock.today()
    };
    let month = today.strftime("%Y-%m").to_string();
    let record = |body: Value| worker.post("/api/v1/care/aid", body);
    let (status, e) = record(
        json!({"district": "330106", "household": "BST0003", "kind": "gold",
                                    "monthly_fen": 0, "since": "2099-01-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["kind", "monthly_fen", "since"]);
    let (status, _) = record(
        json!({"district": "330106", "household": "NOPE01", "kind": "dibao",
                                    "monthly_fen": 120000, "since": today.to_string()}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, a) = record(
        json!({"district": "330106", "household": "BST0003", "kind": "dibao",
                                    "monthly_fen": 120000, "since": today.to_string()}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let (status, e) = record(
        json!({"district": "330106", "household": "BST0003", "kind": "dibao",
                                    "monthly_fen": 1000, "since": today.to_string()}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "recorded once: {e}");
    let id = a["id"].as_i64().expect("an id");
    let number = a["number"].as_str().expect("a number").to_string();
    assert!(!a["members"].as_array().expect("members").is_empty());
    let next: jiff::civil::Date = a["next_review"]
        .as_str()
        .expect("a day")
        .parse()
        .expect("a day");
    assert_eq!(
        next,
        today
            .checked_add(jiff::Span::new().months(12))
            .expect("a year on")
    );
    // The hotline's operator serves no community: nothing to see or do.
    let (status, _) = operator
        .get("/api/v1/care/communities/330106001001/aid")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = operator
        .post(
            &format!("/api/v1/care/aid/{id}/payments"),
            json!({"month": month}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Paid once a month, never before its start or after this month.
    let pay_path = format!("/api/v1/care/aid/{id}/payments");
    let pay = |m: &str| worker.post(&pay_path, json!({"month": m}));
    let (status, paid) = pay(&month).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["payments"], json!([[month, 120000]]));
    // The head holds no card yet: the money waits for one.
    assert_eq!(paid["to_card"][0]["state"], "waiting", "{paid}");
    assert!(paid["to_card"][0]["card"].is_null(), "{paid}");
    let (status, _) = pay(&month).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The head is issued a card: the next round pays the month onto it,
    // once, however often it runs.
    let (_, household) = worker
        .get("/api/v1/registry/households/330106/BST0003")
        .await;
    let head = members_head(&household);
    let card_clerk = Api::as_user(base, "card.clerk").await;
    let (status, card) = card_clerk
        .post(
            "/api/v1/cards",
            json!({"holder": head.0, "holder_name": head.1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let card = card["number"].as_str().expect("number").to_string();
    assert_eq!(t.app.deliver_payouts().await.expect("delivered"), 1);
    assert_eq!(t.app.deliver_payouts().await.expect("nothing left"), 0);
    let (_, view) = card_clerk.get(&format!("/api/v1/cards/{card}")).await;
    assert_eq!(view["balances"]["account"], 120000, "{view}");
    let (_, list) = worker
        .get("/api/v1/care/communities/330106001001/aid")
        .await;
    let mine = list
        .as_array()
        .expect("records")
        .iter()
        .find(|x| x["id"] == id)
        .cloned()
        .expect("the record");
    assert_eq!(mine["to_card"][0]["state"], "paid", "{mine}");
    assert_eq!(
        mine["to_card"][0]["card"],
        sunshine_domain::access::mask_card_number(&card)
    );
    let (status, _) = pay("2001-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A review adjusts the amount; the list shows it.
    let review_path = format!("/api/v1/care/aid/{id}/reviews");
    let review = |body: Value| worker.post(&review_path, body);
    let (status, e) = review(json!({"outcome": "adjust", "note": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["monthly_fen", "note"]);
    let (status, r) = review(
        json!({"outcome": "adjust", "monthly_fen": 90000, "note": "家庭收入增加，调整救助金额"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["monthly_fen"], 90000);
    // From the next month: this one stays as it was decided.
    let next_month = today
        .first_of_month()
        .checked_add(jiff::Span::new().months(1))
        .expect("a month")
        .strftime("%Y-%m")
        .to_string();
    assert_eq!(
        r["amounts"],
        json!([[month, 120000], [next_month, 90000]]),
        "{r}"
    );
    let (_, list) = worker
        .get("/api/v1/care/communities/330106001001/aid")
        .await;
    assert!(list
        .as_array()
        .expect("records")
        .iter()
        .any(|x| x["number"] == number.as_str()));

    // A second record left unreviewed a year and a day is a card.
    let (_, other) = record(
        json!({"district": "330106", "household": "BST0004", "kind": "youfu",
                                   "monthly_fen": 80000, "since": today.to_string()}),
    )
    .await;
    let other_number = other["number"].as_str().expect("a number").to_string();
    t.clock.advance(jiff::SignedDuration::from_hours(24 * 367));
    t.app.run_supervision().await.expect("follows the journal");
    t.app.run_supervision_timers().await.expect("fires");
    let supervisor = Api::as_user(base, "xihu.supervisor").await;
    let (status, cards) = supervisor
        .get(&format!(
            "/api/v1/supervision/signals?case={other_number}&open=false"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{cards}");
    let cards = cards.as_array().expect("a list");
    assert_eq!(cards.len(), 1, "{cards:?}");
    assert_eq!(cards[0]["rule"], "aid.review_overdue");
    assert_eq!(cards[0]["department"], "330106-001001");
    assert_eq!(cards[0]["link"], format!("/staff/care/aid#{other_number}"));
    // A year on, the worker signs in again.
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let (status, list) = worker
        .get("/api/v1/care/communities/330106001001/aid")
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(list
        .as_array()
        .expect("records")
        .iter()
        .any(|x| x["number"] == other_number.as_str() && x["overdue"] == true));
    // Reviewed a year late with a new amount, its first month, paid now,
    // is paid at the amount of that month.
    let other_id = other["id"].as_i64().expect("an id");
    let (status, r) = worker
        .post(
            &format!("/api/v1/care/aid/{other_id}/reviews"),
            json!({"outcome": "adjust", "monthly_fen": 60000, "note": "复核后调整"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (status, r) = worker
        .post(
            &format!("/api/v1/care/aid/{other_id}/payments"),
            json!({"month": month}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["payments"], json!([[month, 80000]]), "{r}");

    // Ended, the aid is paid no more.
    let (status, r) = worker
        .post(
            &review_path,
            json!({"outcome": "end", "note": "已就业，不再符合条件"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["active"], false);
    // The month it ended in is still owed; none after it.
    let later = {
        use sunshine_domain::clock::Clock;
        t.clock.today().strftime("%Y-%m").to_string()
    };
    let (status, r) = worker.post(&pay_path, json!({"month": later})).await;
    assert_eq!(status, StatusCode::OK, "the month it ended in: {r}");
    assert_eq!(r["payments"][0], json!([later, 90000]), "{r}");
    t.clock.advance(jiff::SignedDuration::from_hours(24 * 32));
    let after = {
        use sunshine_domain::clock::Clock;
        t.clock.today().strftime("%Y-%m").to_string()
    };
    let (status, e) = worker.post(&pay_path, json!({"month": after})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "aid_ended", "{e}");

    // Aid recorded years after it began is reviewed on its next
    // anniversary, not overdue the day it is recorded.
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let today = {
        use sunshine_domain::clock::Clock;
        t.clock.today()
    };
    let began = today
        .checked_sub(jiff::Span::new().years(3).days(10))
        .expect("a day");
    let (status, old) = worker
        .post(
            "/api/v1/care/aid",
            json!({"district": "330106", "household": "BST0005", "kind": "youfu",
                   "monthly_fen": 50000, "since": began.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{old}");
    assert_eq!(old["overdue"], false, "{old}");
    let next: jiff::civil::Date = old["next_review"]
        .as_str()
        .expect("a day")
        .parse()
        .expect("a day");
    assert!(
        next > today
            && next
                <= today
                    .checked_add(jiff::Span::new().years(1))
                    .expect("a day"),
        "{old}"
    );
    t.stop().await;
}

/// An elder with no account of their own: the worker orders for them and,
/// on the return visit, confirms and rates the service in their words.
#[tokio::test]
async fn the_worker_confirms_for_an_elder_without_an_account() {
    let demo = shared_demo();
    let base = &demo.base;
    let today = demo.clock_today();
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let provider = Api::as_user(base, DEMO_PROVIDER_LOGIN).await;
    let id = crate::support::fresh_id_number_born("19390505");
    let household = format!("JYN{}", unique());
    let sex = if id.as_bytes()[16] % 2 == 1 { "1" } else { "2" };
    let file = format!(
        "{HEADER}\n{id},吴老,{sex},1939-05-05,01,杭州市西湖区北山路8号,杭州市西湖区北山路8号,330106001001,{household},02,\n"
    );
    let (status, body) = worker
        .post_text("/api/v1/registry/imports", "text/csv", &file)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, found) = worker
        .post("/api/v1/registry/lookups", json!({"id_number": id}))
        .await;
    let person = found["members"][0]["id"].as_i64().expect("an id");
    register(&worker, person, 8).await;
    let (status, o) = worker
        .post(
            "/api/v1/care/orders",
            json!({"channel": "worker", "person_id": person, "service": "escort",
                   "provider": demo_provider_code(), "wanted_on": today}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    let number = o["number"].as_str().expect("a number").to_string();
    act(&provider, &number, "accept", json!({})).await;
    let (status, o) = act(
        &provider,
        &number,
        "serve",
        json!({"minutes": 120, "note": "陪同就医"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    let (_, seen) = worker.get(&format!("/api/v1/care/orders/{number}")).await;
    assert_eq!(seen["commands"], json!(["confirm"]), "{seen}");
    let (status, o) = act(
        &worker,
        &number,
        "confirm",
        json!({"rating": 5, "comment": "电话回访：很满意"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["state"], "confirmed");
    assert_eq!(o["rating"], 5);
}

/// The head of a household as the worker reads it: (identity number, name).
fn members_head(household: &Value) -> (String, String) {
    let head = household["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["fields"]["relationship"] == "02")
        .expect("a head");
    (
        head["fields"]["id_number"]
            .as_str()
            .expect("a number")
            .into(),
        head["fields"]["name"].as_str().expect("a name").into(),
    )
}

/// A month's age allowances are paid onto the elders' cards, once: an
/// elder with a card at once, one without when they hold one; a month to
/// come, or before the year of arrears, is refused; someone who serves no
/// community pays nothing.
#[tokio::test]
async fn a_months_age_allowances_are_paid_onto_the_elders_cards_once() {
    let mut t = TestApp::demo_with_cases(0).await.expect("a demo");
    let base = &t.base.clone();
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let card_clerk = Api::as_user(base, "card.clerk").await;
    let (_, carded, carded_person) = resident(base, "19360101").await;
    let (_, later, later_person) = resident(base, "19400101").await;
    let (status, card) = card_clerk
        .post(
            "/api/v1/cards",
            json!({"holder": carded, "holder_name": "孙老"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let card = card["number"].as_str().expect("number").to_string();
    let month = {
        use sunshine_domain::clock::Clock;
        t.clock.today().strftime("%Y-%m").to_string()
    };
    let path = "/api/v1/care/communities/330106001001/allowances/payments";

    let operator = Api::as_user(base, "operator").await;
    let (status, _) = operator.post(path, json!({"month": month})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for wrong in ["2099-01", "1999-01", "soon"] {
        let (status, e) = worker.post(path, json!({"month": wrong})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong}: {e}");
        assert_eq!(fields(&e), ["month"]);
    }

    let (status, paid) = worker.post(path, json!({"month": month})).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert!(paid["queued"].as_u64().expect("a count") >= 2, "{paid}");
    assert_eq!(paid["already"], 0, "{paid}");
    assert!(paid["on_card"].as_u64().expect("a count") >= 1, "{paid}");
    let roll_path = format!("/api/v1/care/communities/330106001001/allowances?month={month}");
    let (_, roll) = worker.get(&roll_path).await;
    let line = |roll: &Value, person: i64| {
        roll["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .find(|l| l["person_id"] == person)
            .cloned()
            .unwrap_or_else(|| panic!("{person} on the roll: {roll}"))
    };
    let on_card = line(&roll, carded_person);
    assert_eq!(on_card["paid"]["state"], "paid", "{on_card}");
    assert_eq!(
        on_card["paid"]["card"],
        sunshine_domain::access::mask_card_number(&card)
    );
    let (_, view) = card_clerk.get(&format!("/api/v1/cards/{card}")).await;
    assert_eq!(
        view["balances"]["account"], on_card["monthly_fen"],
        "the band's amount on the card: {view}"
    );
    assert_eq!(line(&roll, later_person)["paid"]["state"], "waiting");

    // Paid again: no one twice.
    let (status, again) = worker.post(path, json!({"month": month})).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["queued"], 0, "{again}");
    assert_eq!(again["already"], paid["queued"], "{again}");
    let (_, view) = card_clerk.get(&format!("/api/v1/cards/{card}")).await;
    assert_eq!(view["balances"]["account"], on_card["monthly_fen"]);

    // The card centre's month: the allowances by community, on cards and
    // waiting, and civil affairs' account on the books tying out with them.
    let card_operator = Api::as_user(base, "card.operator").await;
    let report_path = format!("/api/v1/card/payouts?month={month}");
    let (status, e) = worker.get(&report_path).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    for wrong in ["2026-13", "11-2026", "2026-1"] {
        let (status, e) = card_operator
            .get(&format!("/api/v1/card/payouts?month={wrong}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong}: {e}");
        assert_eq!(fields(&e), ["month"]);
    }
    let allowances = |r: &Value| {
        r["lines"]
            .as_array()
            .and_then(|ls| {
                ls.iter()
                    .find(|l| l["what"] == "allowance" && l["org"] == "330106-001001")
            })
            .cloned()
            .unwrap_or(Value::Null)
    };
    let (status, before) = card_operator.get(&report_path).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["ties_out"], true, "{before}");
    assert!(
        before["books_paid_fen"].as_i64().expect("fen") > 0,
        "{before}"
    );
    let first = allowances(&before);
    assert!(first["paid"].as_i64().expect("a count") >= 1, "{before}");
    assert!(first["waiting"].as_i64().expect("a count") >= 1, "{before}");
    let (_, elsewhere) = card_operator
        .get("/api/v1/card/payouts?month=2020-01")
        .await;
    assert_eq!(elsewhere["lines"], json!([]), "{elsewhere}");

    // Across a restart the waiting payout is kept, and the paid one is
    // not paid again.
    t.restart().await.expect("restarted");
    assert_eq!(t.app.deliver_payouts().await.expect("a round"), 0);
    let base = &t.base.clone();
    let (worker, card_clerk) = (
        Api::as_user(base, COMMUNITY_WORKER).await,
        Api::as_user(base, "card.clerk").await,
    );
    let (_, view) = card_clerk.get(&format!("/api/v1/cards/{card}")).await;
    assert_eq!(view["balances"]["account"], on_card["monthly_fen"]);
    // The second elder gets a card: the next round pays them.
    let (status, second) = card_clerk
        .post(
            "/api/v1/cards",
            json!({"holder": later, "holder_name": "孙老"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let second = second["number"].as_str().expect("number").to_string();
    assert!(t.app.deliver_payouts().await.expect("delivered") >= 1);
    let (_, roll) = worker.get(&roll_path).await;
    assert_eq!(line(&roll, later_person)["paid"]["state"], "paid");
    let (_, view) = card_clerk.get(&format!("/api/v1/cards/{second}")).await;
    assert_eq!(
        view["balances"]["account"],
        line(&roll, later_person)["monthly_fen"]
    );
    // The report follows: one more on cards, one fewer waiting, still
    // tying out.
    let card_operator = Api::as_user(base, "card.operator").await;
    let (_, after) = card_operator.get(&report_path).await;
    let second_line = allowances(&after);
    assert_eq!(after["ties_out"], true, "{after}");
    assert_eq!(
        second_line["paid"].as_i64(),
        first["paid"].as_i64().map(|n| n + 1)
    );
    assert_eq!(
        second_line["waiting"].as_i64(),
        first["waiting"].as_i64().map(|n| n - 1)
    );
}

/// A TV pairs only with a bound resident's confirmation of its code, and a
/// paired TV's cookie opens the TV's home care and nothing else.
#[tokio::test]
async fn a_paired_tv_opens_its_residents_home_care_and_nothing_else() {
    let base = &shared_demo().base;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let resp = client
        .get(format!("{base}/tv/care"))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/tv/pair");
    let resp = client
        .get(format!("{base}/tv/pair"))
        .header("user-agent", "Mozilla/5.0 (Linux; Android 9; HZ-DVB-STB)")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    let set = resp.headers()["set-cookie"]
        .to_str()
        .expect("text")
        .to_string();
    assert!(
        set.contains("Path=/tv") && set.contains("HttpOnly"),
        "{set}"
    );
    let cookie = set.split(';').next().expect("a cookie").to_string();
    let page = resp.text().await.expect("a page");
    let at = page.find("id=\"tv-code\"").expect("the code is shown");
    let code: String = page[at..]
        .split('>')
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("a code")
        .trim()
        .to_string();
    assert_eq!(code.len(), 9, "{code}");

    // Not bound to an identity: no pairing.
    let (unbound, _) = crate::support::fresh_unbound_citizen(base).await;
    let (status, e) = unbound
        .post("/api/v1/me/tv-pairings", json!({"code": code}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    let (status, e) = unbound
        .post("/api/v1/me/tv-pairings/preview", json!({"code": code}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    let (elder, _, _) = resident(base, "19390101").await;
    // Before pairing, the resident is shown which TV the code belongs to;
    // nothing changes by looking.
    let (status, waiting) = elder
        .post(
            "/api/v1/me/tv-pairings/preview",
            json!({"code": code.to_lowercase()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{waiting}");
    assert_eq!(waiting["code"], code.as_str());
    assert_eq!(
        waiting["device"],
        "Mozilla/5.0 (Linux; Android 9; HZ-DVB-STB)"
    );
    assert_eq!(waiting["shown_from"], "127.0.0.*");
    let (status, e) = elder
        .post(
            "/api/v1/me/tv-pairings/preview",
            json!({"code": "AAAA-AAAA"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["code"], "{e}");
    let (status, paired) = elder
        .post(
            "/api/v1/me/tv-pairings",
            json!({"code": code, "label": "卧室电视"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{paired}");
    // A code pairs one TV.
    let (other, _) = fresh_citizen(base).await;
    let (status, _) = other
        .post("/api/v1/me/tv-pairings", json!({"code": code}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let get = |path: &str| {
        client
            .get(format!("{base}{path}"))
            .header("cookie", cookie.clone())
            .send()
    };
    let tv = get("/tv/care").await.expect("sent");
    assert_eq!(tv.status(), StatusCode::OK);
    assert!(
        tv.text().await.expect("a page").contains("赵六"),
        "the account's name in the header"
    );
    for elsewhere in ["/account", "/account/care", "/hall/my", "/account/tv"] {
        let resp = get(elsewhere).await.expect("sent");
        assert_eq!(
            resp.status(),
            StatusCode::SEE_OTHER,
            "{elsewhere} is not the TV's"
        );
        assert!(resp.headers()["location"]
            .to_str()
            .expect("text")
            .starts_with("/login"));
    }
    // A form without the TV's token is refused.
    let resp = client
        .post(format!("{base}/tv/care"))
        .header("cookie", cookie.clone())
        .form(&[("csrf", "forged"), ("service", "clean")])
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Unpaired by someone else: not found; by the elder: the TV asks again.
    let id = paired["id"].as_i64().expect("an id");
    let (status, _) = other
        .post(&format!("/api/v1/me/tv-pairings/{id}/unpair"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = elder
        .post(&format!("/api/v1/me/tv-pairings/{id}/unpair"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let resp = get("/tv/care").await.expect("sent");
    assert_eq!(resp.headers()["location"], "/tv/pair");
    let (_, mine) = elder.get("/api/v1/me/tv-pairings").await;
    assert_eq!(mine[0]["active"], false, "{mine}");
}
