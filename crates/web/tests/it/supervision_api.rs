//! Electronic supervision through the API: deadlines fire in order as the
//! simulated clock advances, a yellow card left unrectified turns red, the
//! unit responds and the supervisor closes, escalates and revokes; process
//! faults are caught from the journal; each sees only their own; the public
//! board counts without naming a case; a restart repeats nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_domain::clock::end_of_local_day;

use crate::hall_api::{accepted_counter_case, act, first_city_item};
use crate::support::{fields, Api};

fn date(v: &Value) -> jiff::civil::Date {
    v.as_str().expect("a date").parse().expect("a valid date")
}

async fn signals_of(api: &Api, number: &str, open: bool) -> Vec<Value> {
    let (status, list) = api
        .get(&format!(
            "/api/v1/supervision/signals?case={number}&open={open}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().expect("a list").clone()
}

fn rules_of(list: &[Value]) -> Vec<&str> {
    list.iter().filter_map(|s| s["rule"].as_str()).collect()
}

#[tokio::test]
async fn deadlines_fire_in_order_and_a_card_is_followed_to_its_end() {
    let mut t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let clerk = Api::as_user(&t.base, "clerk").await;
    let supervisor = Api::as_user(&t.base, "supervisor").await;
    let xihu = Api::as_user(&t.base, "xihu.supervisor").await;
    let (item_id, guide) = first_city_item(&t.base).await;
    let number = accepted_counter_case(&clerk, item_id, &guide).await;
    let (_, claimed) = act(&clerk, &number, json!({"command": "claim"})).await;
    let (promised, legal) = (date(&claimed["promised_due"]), date(&claimed["legal_due"]));
    let step_due = date(&claimed["step_due"]);
    t.app.run_supervision().await.expect("follows the journal");

    // The moments are in the index; nothing has fired yet.
    let timers = t
        .app
        .case_supervision_timers(&number)
        .await
        .expect("timers");
    let kinds: Vec<&str> = timers.iter().map(|t| t.rule.as_str()).collect();
    assert!(
        kinds.contains(&"time.due_soon") && kinds.contains(&"time.promised_overdue"),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"time.legal_overdue") && kinds.contains(&"time.step_overdue"),
        "{kinds:?}"
    );
    assert!(signals_of(&supervisor, &number, false).await.is_empty());

    // A second before the promised day is over: at most the warning and the step.
    let yellow_at = end_of_local_day(promised);
    t.clock.set(yellow_at - jiff::SignedDuration::from_secs(1));
    t.app.run_supervision_timers().await.expect("tick");
    let before = signals_of(&supervisor, &number, false).await;
    assert!(
        !rules_of(&before).contains(&"time.promised_overdue"),
        "{before:?}"
    );
    assert!(
        rules_of(&before).contains(&"time.due_soon"),
        "the warning came first: {before:?}"
    );
    // Two seconds later, the yellow card.
    t.clock.set(yellow_at + jiff::SignedDuration::from_secs(1));
    t.app.run_supervision_timers().await.expect("tick");
    let list = signals_of(&supervisor, &number, false).await;
    let yellow = list
        .iter()
        .find(|s| s["rule"] == "time.promised_overdue")
        .expect("a yellow card")
        .clone();
    assert_eq!(yellow["level"], "yellow");
    assert_eq!(yellow["state"], "issued");
    assert_eq!(yellow["department"], claimed["department"]);
    assert_eq!(
        yellow["responsible"], "clerk",
        "the clerk who signed for the step"
    );
    assert!(!yellow["evidence"].as_array().expect("evidence").is_empty());
    // In order: every signal's moment is no earlier than the one issued before it.
    let mut by_id = list.clone();
    by_id.sort_by_key(|s| s["id"].as_i64());
    let moments: Vec<&str> = by_id.iter().filter_map(|s| s["due_at"].as_str()).collect();
    assert!(moments.windows(2).all(|w| w[0] <= w[1]), "{moments:?}");
    if step_due <= promised {
        assert!(rules_of(&list).contains(&"time.step_overdue"), "{list:?}");
    }

    // The unit answers the yellow card; a supervisor of another district sees nothing of it.
    let yellow_id = yellow["id"].as_i64().expect("id");
    let path = format!("/api/v1/supervision/signals/{yellow_id}/commands");
    let (status, body) = clerk
        .post(&path, json!({"command": "respond", "text": ""}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(fields(&body).contains(&"text".to_string()), "{body}");
    let (status, body) = clerk
        .post(&path, json!({"command": "close", "text": "自己结案"}))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a unit does not close its own card: {body}"
    );
    let (status, body) = xihu
        .post(&path, json!({"command": "close", "text": "x"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(signals_of(&xihu, &number, false).await.is_empty());
    let (status, body) = clerk
        .post(
            &path,
            json!({"command": "respond", "text": "已加派人手，于次日办结"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "responded");
    let (status, body) = supervisor
        .post(&path, json!({"command": "fly", "text": "x"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Well past the legal deadline: the legal red card; the answered yellow
    // card never turns red, while any other yellow left alone does.
    let later = end_of_local_day(legal.max(promised)) + jiff::SignedDuration::from_hours(24 * 30);
    t.clock.set(later);
    t.app.run_supervision_timers().await.expect("tick");
    let list = signals_of(&supervisor, &number, false).await;
    assert!(rules_of(&list).contains(&"time.legal_overdue"), "{list:?}");
    let follow_ups: Vec<i64> = list
        .iter()
        .filter(|s| s["rule"] == "time.yellow_unrectified")
        .filter_map(|s| s["follows_up"].as_i64())
        .collect();
    assert!(!follow_ups.contains(&yellow_id), "{list:?}");
    for s in list
        .iter()
        .filter(|s| s["level"] == "yellow" && s["id"] != yellow["id"])
    {
        assert!(
            follow_ups.contains(&s["id"].as_i64().expect("id")),
            "{s} turned red: {list:?}"
        );
    }

    // The supervisor closes the answered card, escalates another and revokes a third.
    let (status, body) = supervisor
        .post(&path, json!({"command": "close", "text": "整改到位"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "closed");
    let (status, body) = supervisor
        .post(&path, json!({"command": "revoke", "text": "误报"}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a closed card stays closed: {body}"
    );
    let red = list
        .iter()
        .find(|s| s["rule"] == "time.legal_overdue")
        .expect("red");
    let red_path = format!("/api/v1/supervision/signals/{}/commands", red["id"]);
    let (status, body) = supervisor
        .post(
            &red_path,
            json!({"command": "escalate", "text": "请局领导督办"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "escalated");
    let (status, body) = supervisor
        .post(&red_path, json!({"command": "revoke", "text": "  "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = supervisor
        .post(
            &red_path,
            json!({"command": "revoke", "text": "系统时钟调整造成误报"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "revoked");
    assert_eq!(body["last_text"], "系统时钟调整造成误报");
    let open = signals_of(&supervisor, &number, true).await;
    assert!(open
        .iter()
        .all(|s| s["state"] != "closed" && s["state"] != "revoked"));

    // Every step is in the journal.
    let history = t
        .app
        .history(&format!("signal/{yellow_id}"))
        .await
        .expect("history");
    let events: Vec<&str> = history.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        events,
        vec![
            "supervision.signal_issued",
            "supervision.signal_responded",
            "supervision.signal_closed"
        ]
    );

    // Delivery through a webhook (a mail or SMS gateway): refused at first,
    // so the signals stay issued; then taken, and they are notified.
    let takes = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let gateway = {
        let (takes, got) = (takes.clone(), got.clone());
        axum::Router::new().route(
            "/sms",
            axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
                let (takes, got) = (takes.clone(), got.clone());
                async move {
                    if takes.load(std::sync::atomic::Ordering::SeqCst) {
                        got.lock().expect("lock").push(body);
                        StatusCode::NO_CONTENT
                    } else {
                        StatusCode::SERVICE_UNAVAILABLE
                    }
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let gateway_url = format!("http://{}/sms", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, gateway).await });
    assert!(t
        .app
        .set_supervision_webhook("ftp://example.org/x".into())
        .is_err());
    t.app.set_supervision_webhook(gateway_url).expect("webhook");
    assert_eq!(t.app.notify_signals().await.expect("tried"), 0);
    let issued = signals_of(&supervisor, &number, true).await;
    assert!(issued.iter().any(|s| s["state"] == "issued"), "{issued:?}");
    takes.store(true, std::sync::atomic::Ordering::SeqCst);
    t.app.notify_signals().await.expect("delivered");
    let now_open = signals_of(&supervisor, &number, true).await;
    assert!(
        now_open.iter().all(|s| s["state"] != "issued"),
        "{now_open:?}"
    );
    let delivered = got.lock().expect("lock").clone();
    // The demo's own signals (its overdue backup's warning) go out too.
    let first = delivered
        .iter()
        .find(|d| d["case"] == number.as_str())
        .expect("the gateway got the case's signals");
    assert!(first["message"]["zh"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));

    // After a restart, reading and firing again issues nothing twice.
    let count = signals_of(&supervisor, &number, false).await.len();
    t.restart().await.expect("restart");
    t.app.run_supervision().await.expect("follows");
    t.app.run_supervision_timers().await.expect("tick");
    let supervisor = Api::as_user(&t.base, "supervisor").await;
    assert_eq!(signals_of(&supervisor, &number, false).await.len(), count);
    t.stop().await;
}

#[tokio::test]
async fn process_faults_rules_permissions_and_the_public_board() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let clerk = Api::as_user(&t.base, "clerk").await;
    let supervisor = Api::as_user(&t.base, "supervisor").await;
    let (item_id, guide) = first_city_item(&t.base).await;

    // Not accepted without citing a law: a yellow card from the journal.
    let (_, case) = clerk
        .post(
            "/api/v1/hall/counter-applications",
            json!({"item_id": item_id, "applicant": {"kind": "enterprise", "name": "杭州某某有限公司", "credit_code": "91350100M000100Y43"}, "answers": crate::support::answers_for(&guide["form"])}),
        )
        .await;
    let number = case["number"].as_str().expect("number").to_string();
    let (status, body) = act(
        &clerk,
        &number,
        json!({"command": "not_accept", "reason": "材料不符合要求"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A counter case accepted and approved at once: entered after the fact.
    let quick = accepted_counter_case(&clerk, item_id, &guide).await;
    for _ in 0..guide["steps"].as_array().map_or(1, Vec::len) {
        assert_eq!(
            act(&clerk, &quick, json!({"command": "claim"})).await.0,
            StatusCode::OK
        );
        let (status, body) = act(&clerk, &quick, json!({"command": "pass"})).await;
        if status != StatusCode::OK {
            // The last step is decided rather than passed on.
            assert_eq!(status, StatusCode::CONFLICT, "{body}");
        }
    }
    let (status, body) = act(&clerk, &quick, json!({"command": "approve"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    t.app.run_supervision().await.expect("follows the journal");
    assert_eq!(
        rules_of(&signals_of(&supervisor, &number, false).await),
        vec!["process.no_legal_reason"]
    );
    let quick_signals = signals_of(&supervisor, &quick, false).await;
    assert!(
        rules_of(&quick_signals).contains(&"process.entered_after_the_fact"),
        "{quick_signals:?}"
    );
    // Decided: its deadlines no longer run; only its yellow card's
    // follow-up waits, to turn it red if nobody rectifies it.
    let timers = t.app.case_supervision_timers(&quick).await.expect("timers");
    assert!(!timers.is_empty());
    assert!(
        timers
            .iter()
            .all(|x| x.rule.as_str() == "time.yellow_unrectified" && x.cause > 0),
        "{timers:?}"
    );

    // The clock: a root administrator moves a simulated one forward, never back.
    let admin = Api::as_user(&t.base, "admin").await;
    let (_, now) = Api::new(&t.base).get("/api/v1/clock").await;
    let now = now["now"].as_str().expect("now").to_string();
    assert_eq!(
        clerk
            .post("/api/v1/clock", json!({"to": "2027-01-01T00:00:00Z"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = admin
        .post("/api/v1/clock", json!({"to": "2020-01-01T00:00:00Z"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = admin.post("/api/v1/clock", json!({"to": "tomorrow"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = admin.post("/api/v1/clock", json!({"to": now})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Who may see what.
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    assert_eq!(
        citizen.get("/api/v1/supervision/signals").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        Api::new(&t.base).get("/api/v1/supervision/signals").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = supervisor
        .get("/api/v1/supervision/signals?level=purple")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, mine) = clerk.get("/api/v1/supervision/signals?open=false").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !mine.as_array().expect("list").is_empty(),
        "a unit sees its own signals"
    );
    let id = signals_of(&supervisor, &number, false).await[0]["id"].clone();
    assert_eq!(
        Api::as_user(&t.base, "xihu.supervisor")
            .await
            .get(&format!("/api/v1/supervision/signals/{id}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        supervisor.get("/api/v1/supervision/signals/999999").await.0,
        StatusCode::NOT_FOUND
    );

    // The rules: versioned, validated, a city supervisor's to set.
    let (_, current) = Api::new(&t.base).get("/api/v1/supervision/rules").await;
    assert_eq!(current["version"], 0);
    assert_eq!(current["rules"]["thresholds"]["warning_days"], 1);
    let new = json!({"thresholds": {"warning_days": 2, "rectify_days": 3, "after_the_fact_minutes": 10},
        "areas": {"330106": {"warning_days": 3, "rectify_days": 5, "after_the_fact_minutes": 10}}});
    assert_eq!(
        clerk.put("/api/v1/supervision/rules", new.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        Api::as_user(&t.base, "xihu.supervisor")
            .await
            .put("/api/v1/supervision/rules", new.clone())
            .await
            .0,
        StatusCode::FORBIDDEN,
        "a district's supervisor does not set the city's rules"
    );
    let (status, body) = supervisor
        .put("/api/v1/supervision/rules", json!({"thresholds": {"warning_days": 0, "rectify_days": 3, "after_the_fact_minutes": 10}}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        fields(&body).contains(&"thresholds.warning_days".to_string()),
        "{body}"
    );
    let (status, body) = supervisor
        .put(
            "/api/v1/supervision/rules",
            json!({"levels": {"time.nonsense": "red"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = supervisor.put("/api/v1/supervision/rules", new).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 1);
    let (_, current) = Api::new(&t.base).get("/api/v1/supervision/rules").await;
    assert_eq!(current["rules"]["areas"]["330106"]["warning_days"], 3);

    // The public board counts per department and names no case or person.
    let public = Api::new(&t.base);
    let (status, board) = public.get("/api/v1/supervision/board").await;
    assert_eq!(status, StatusCode::OK, "{board}");
    let line = board["departments"]
        .as_array()
        .expect("departments")
        .iter()
        .find(|d| d["department"] == case["department"])
        .expect("the department is on the board")
        .clone();
    assert!(line["yellow_cards"].as_i64().expect("count") >= 2, "{line}");
    let text = board.to_string();
    assert!(
        !text.contains(&number) && !text.contains(&quick) && !text.contains("clerk"),
        "{text}"
    );
    assert_eq!(
        public
            .get("/api/v1/supervision/board?quarter=2026Q9")
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // The same on the pages: the public board, and the workbench where the
    // unit reports its rectification through a form.
    let html = reqwest::get(t.url("/supervision"))
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("supervision-board") && !html.contains(&number),
        "{html}"
    );
    let browser = crate::pages::client();
    let html = crate::pages::post_login(
        &browser,
        &t.base,
        &[
            ("login", "clerk"),
            ("password", sunshine_app::demo::DEMO_PASSWORD),
            ("next", "/staff/signals"),
        ],
    )
    .await
    .expect("login")
    .text()
    .await
    .expect("workbench");
    assert!(
        html.contains(&number) && html.contains("process.no_legal_reason"),
        "{html}"
    );
    let token = crate::pages::csrf(&html);
    let resp = browser
        .post(t.url(&format!("/staff/signals/{id}")))
        .form(&[
            ("csrf", token.as_str()),
            ("command", "respond"),
            ("text", "已补充法律依据并重新告知申请人"),
        ])
        .send()
        .await
        .expect("respond");
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, signal) = supervisor
        .get(&format!("/api/v1/supervision/signals/{id}"))
        .await;
    assert_eq!(signal["state"], "responded", "{signal}");
    let resp = browser
        .post(t.url(&format!("/staff/signals/{id}")))
        .form(&[("csrf", "forged"), ("command", "respond"), ("text", "x")])
        .send()
        .await
        .expect("forged");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Drill-down: the city, a region, a department; asking never widens what one sees.
    let department = case["department"].as_str().expect("department");
    let (_, there) = supervisor
        .get(&format!(
            "/api/v1/supervision/signals?open=false&department={department}"
        ))
        .await;
    assert!(rules_of(there.as_array().expect("list")).contains(&"process.no_legal_reason"));
    let (_, elsewhere) = supervisor
        .get("/api/v1/supervision/signals?open=false&region=330106")
        .await;
    assert!(elsewhere
        .as_array()
        .expect("list")
        .iter()
        .all(|x| x["region"] == "330106"));
    let (_, widened) = Api::as_user(&t.base, "xihu.supervisor")
        .await
        .get(&format!(
            "/api/v1/supervision/signals?open=false&department={department}"
        ))
        .await;
    assert!(widened.as_array().expect("list").is_empty(), "{widened}");
    let sup = crate::pages::client();
    let html = crate::pages::post_login(
        &sup,
        &t.base,
        &[
            ("login", "supervisor"),
            ("password", sunshine_app::demo::DEMO_PASSWORD),
            ("next", "/staff/signals"),
        ],
    )
    .await
    .expect("login")
    .text()
    .await
    .expect("workbench");
    assert!(
        html.contains("id=\"areas\"") && html.contains("/staff/signals?region=330100"),
        "{html}"
    );
    let html = sup
        .get(t.url("/staff/signals?region=330100"))
        .send()
        .await
        .expect("region")
        .text()
        .await
        .expect("html");
    assert!(html.contains(&format!("department={department}")), "{html}");
    // The case's timeline, for the supervisor: the journal, its signals and what is still to come.
    let html = sup
        .get(t.url(&format!("/staff/cases/{number}")))
        .send()
        .await
        .expect("case")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("id=\"history\"") && html.contains("data-rule=\"process.no_legal_reason\""),
        "{html}"
    );
    t.stop().await;
}

#[tokio::test]
async fn complaints_are_answered_in_time_raise_signals_and_count_in_the_grades() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let supervisor = Api::as_user(&t.base, "supervisor").await;
    let (item_id, guide) = first_city_item(&t.base).await;
    let number = crate::hall_api::applied_number(&citizen, item_id, &guide).await;

    // Filing: one's own case or a department, with something to say.
    let file = |body: Value| {
        let citizen = &citizen;
        async move { citizen.post("/api/v1/supervision/complaints", body).await }
    };
    let (status, c) =
        file(json!({"case_number": number, "text": "窗口人员态度恶劣，多次要求重复提交材料"}))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["state"], "received");
    // Filed on Friday 27 November 2026: five working days is Friday 4 December.
    assert_eq!(c["accept_due"], "2026-12-04");
    assert_eq!(c["overdue"], false);
    let complaint = c["id"].as_i64().expect("id");
    for (body, field) in [
        (json!({"text": "无对象"}), "case_number"),
        (
            json!({"case_number": number, "department": "330100-002", "text": "两者都有"}),
            "case_number",
        ),
        (
            json!({"department": "999999-999", "text": "不存在的部门"}),
            "department",
        ),
        (json!({"case_number": number, "text": "   "}), "text"),
        (
            json!({"case_number": number, "text": "长".repeat(4001)}),
            "text",
        ),
        (
            json!({"case_number": number, "text": "控制\u{1b}[2J字符"}),
            "text",
        ),
    ] {
        let (status, body) = file(body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            fields(&body).contains(&field.to_string()),
            "{field}: {body}"
        );
    }
    let (stranger, _) = crate::support::fresh_citizen(&t.base).await;
    let (status, body) = stranger
        .post(
            "/api/v1/supervision/complaints",
            json!({"case_number": number, "text": "别人的办件"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another's case is not theirs to name: {body}"
    );
    let clerk = Api::as_user(&t.base, "clerk").await;
    assert_eq!(
        clerk
            .post(
                "/api/v1/supervision/complaints",
                json!({"department": "330100", "text": "x"})
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let department = c["department"].as_str().expect("department").to_string();
    let (status, other) = file(json!({"department": department, "text": "电话长期无人接听"})).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");

    // Who sees them.
    let (_, mine) = citizen.get("/api/v1/supervision/complaints").await;
    assert_eq!(mine.as_array().expect("list").len(), 2);
    let (_, theirs) = stranger.get("/api/v1/supervision/complaints").await;
    assert!(theirs.as_array().expect("list").is_empty());
    let (_, area) = supervisor.get("/api/v1/supervision/complaints").await;
    assert!(area
        .as_array()
        .expect("list")
        .iter()
        .any(|x| x["id"] == complaint));
    let xihu = Api::as_user(&t.base, "xihu.supervisor").await;
    let (_, xihu_area) = xihu.get("/api/v1/supervision/complaints").await;
    assert!(!xihu_area
        .as_array()
        .expect("list")
        .iter()
        .any(|x| x["id"] == complaint));
    assert_eq!(
        clerk.get("/api/v1/supervision/complaints").await.0,
        StatusCode::FORBIDDEN
    );

    // Handling: accept, then answer and uphold it with a signal on the case.
    let path = format!("/api/v1/supervision/complaints/{complaint}/commands");
    let (status, body) = supervisor
        .post(&path, json!({"command": "answer", "text": "已核实"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "accepted first: {body}");
    assert_eq!(
        xihu.post(&path, json!({"command": "accept"})).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = supervisor.post(&path, json!({"command": "accept"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "investigating");
    let (status, body) = supervisor
        .post(&path, json!({"command": "answer", "text": "经查属实，已责令整改并向您致歉", "raise_signal": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "answered");
    let signal = body["signal_id"].as_i64().expect("a signal");
    let (_, s) = supervisor
        .get(&format!("/api/v1/supervision/signals/{signal}"))
        .await;
    assert_eq!(
        (s["rule"].as_str(), s["level"].as_str()),
        (Some("complaint.upheld"), Some("yellow"))
    );
    assert_eq!(s["complaint"], complaint);
    assert_eq!(s["case_number"], number);
    // A complaint about a department raises no card on a case; refusing needs a reason.
    let other_path = format!("/api/v1/supervision/complaints/{}/commands", other["id"]);
    let (status, body) = supervisor
        .post(
            &other_path,
            json!({"command": "accept", "raise_signal": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = supervisor
        .post(&other_path, json!({"command": "refuse"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = supervisor
        .post(
            &other_path,
            json!({"command": "refuse", "text": "不属于本系统受理范围，已告知向12345反映"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "refused");
    let (status, body) = supervisor
        .post(&other_path, json!({"command": "bury"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // One left unanswered past its five working days shows as overdue.
    let (_, late) = file(json!({"case_number": number, "text": "补充投诉"})).await;
    t.clock.set("2026-12-05T01:00:00Z".parse().expect("time"));
    let (_, area) = supervisor.get("/api/v1/supervision/complaints").await;
    let late = area
        .as_array()
        .expect("list")
        .iter()
        .find(|x| x["id"] == late["id"])
        .expect("listed")
        .clone();
    assert_eq!(late["overdue"], true, "{late}");

    // The quarter's grades count the upheld complaint and its card; the refused one is not counted.
    let public = Api::new(&t.base);
    let (status, eval) = public
        .get("/api/v1/supervision/evaluation?quarter=2026Q4")
        .await;
    assert_eq!(status, StatusCode::OK, "{eval}");
    let line = eval["departments"]
        .as_array()
        .expect("departments")
        .iter()
        .find(|d| d["department"] == department.as_str())
        .expect("graded")
        .clone();
    assert_eq!(line["figures"]["complaints"], 2, "{line}");
    assert!(
        line["figures"]["yellow_cards"].as_i64().expect("n") >= 1,
        "{line}"
    );
    assert!(["excellent", "good", "pass", "fail"].contains(&line["grade"].as_str().expect("grade")));
    assert!(!eval.to_string().contains(&number));
    assert_eq!(
        public
            .get("/api/v1/supervision/evaluation?quarter=Q4")
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let html = reqwest::get(t.url("/supervision?quarter=2026Q4"))
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("id=\"evaluation\"") && !html.contains(&number),
        "{html}"
    );

    // The pages: the citizen files through the form; the supervisor takes it up.
    let login = |who: &'static str| {
        let (url, page) = (t.base.clone(), t.url("/complaints"));
        async move {
            let b = crate::pages::client();
            crate::pages::post_login(
                &b,
                &url,
                &[
                    ("login", who),
                    ("password", sunshine_app::demo::DEMO_PASSWORD),
                ],
            )
            .await
            .expect("login");
            let html = b
                .get(page)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html");
            (b, html)
        }
    };
    let (b, html) = login(sunshine_app::demo::DEMO_CITIZEN_ID).await;
    assert!(
        html.contains("id=\"file-complaint\"") && html.contains("窗口人员态度恶劣"),
        "{html}"
    );
    let token = crate::pages::csrf(&html);
    let html = b
        .post(t.url("/complaints"))
        .form(&[
            ("csrf", token.as_str()),
            ("case_number", number.as_str()),
            ("department", ""),
            ("text", "页面提交的投诉"),
        ])
        .send()
        .await
        .expect("file")
        .text()
        .await
        .expect("page");
    assert!(html.contains("页面提交的投诉"), "{html}");
    let (_, mine) = citizen.get("/api/v1/supervision/complaints").await;
    let filed = mine
        .as_array()
        .expect("list")
        .iter()
        .find(|x| x["text"] == "页面提交的投诉")
        .expect("filed")
        .clone();
    let (b, html) = login("supervisor").await;
    assert!(
        html.contains(&format!("id=\"complaint-{}\"", filed["id"])),
        "{html}"
    );
    let token = crate::pages::csrf(&html);
    let html = b
        .post(t.url(&format!("/complaints/{}", filed["id"])))
        .form(&[
            ("csrf", token.as_str()),
            ("command", "accept"),
            ("text", ""),
        ])
        .send()
        .await
        .expect("accept")
        .text()
        .await
        .expect("page");
    assert!(
        html.contains(&format!(
            "id=\"complaint-{}\" data-state=\"investigating\"",
            filed["id"]
        )),
        "{html}"
    );
    t.stop().await;
}

/// The demo's boards are not empty: signals in every state and level, the
/// public board and the grades, complaints for the supervisor.
#[tokio::test]
async fn the_demo_has_signals_in_every_state() {
    let base = &sunshine_testkit::shared_demo().base;
    let supervisor = Api::as_user(base, "supervisor").await;
    // By level, so that a page of open signals does not hide the closed.
    let mut list = vec![];
    for level in ["warning", "yellow", "red"] {
        let (status, page) = supervisor
            .get(&format!(
                "/api/v1/supervision/signals?open=false&level={level}&limit=1000"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        list.extend(page.as_array().expect("list").iter().cloned());
    }
    let states: std::collections::BTreeSet<&str> =
        list.iter().filter_map(|s| s["state"].as_str()).collect();
    for s in [
        "issued",
        "notified",
        "responded",
        "escalated",
        "closed",
        "revoked",
    ] {
        assert!(states.contains(s), "no demo signal is {s}: {states:?}");
    }
    let levels: std::collections::BTreeSet<&str> =
        list.iter().filter_map(|s| s["level"].as_str()).collect();
    assert_eq!(levels.len(), 3, "{levels:?}");
    let public = Api::new(base);
    let (_, board) = public.get("/api/v1/supervision/board").await;
    assert!(
        !board["departments"].as_array().expect("lines").is_empty(),
        "{board}"
    );
    let (_, grades) = public.get("/api/v1/supervision/evaluation").await;
    assert!(
        !grades["departments"].as_array().expect("lines").is_empty(),
        "{grades}"
    );
    let (_, complaints) = supervisor.get("/api/v1/supervision/complaints").await;
    assert!(
        complaints.as_array().expect("list").len() >= 2,
        "{complaints}"
    );
}

/// What supervision issues depends on when things happened, not on when it
/// read them: a case decided a day after its promised deadline, with
/// supervision reading both the claim and the decision only afterwards,
/// still gets its yellow card, timed at the deadline; and a yellow card
/// answered after its follow-up fell due has turned red first.
#[tokio::test]
async fn a_deadline_passed_before_supervision_read_it_still_raises_its_card() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let clerk = Api::as_user(&t.base, "clerk").await;
    let supervisor = Api::as_user(&t.base, "supervisor").await;
    let (item_id, guide) = first_city_item(&t.base).await;
    // Supervision is up to date before the case begins.
    t.app.run_supervision().await.expect("follows the journal");
    let number = accepted_counter_case(&clerk, item_id, &guide).await;
    let (_, claimed) = act(&clerk, &number, json!({"command": "claim"})).await;
    let promised = date(&claimed["promised_due"]);
    let yellow_at = end_of_local_day(promised);

    // A day late, the case is decided; supervision has not run meanwhile.
    t.clock
        .set(yellow_at + jiff::SignedDuration::from_hours(24));
    for _ in 0..10 {
        let (_, body) = act(&clerk, &number, json!({"command": "approve"})).await;
        if body["state"] == "approved" {
            break;
        }
        // Not at the last step yet: on to the next.
        let (status, body) = act(&clerk, &number, json!({"command": "pass"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = act(&clerk, &number, json!({"command": "claim"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // A timer tick before supervision has read the decision fires nothing
    // past the moment of what it has not read.
    t.app.run_supervision_timers().await.expect("tick");
    t.app.run_supervision().await.expect("follows the journal");
    t.app.run_supervision_timers().await.expect("tick");
    let list = signals_of(&supervisor, &number, false).await;
    let yellow = list
        .iter()
        .find(|s| s["rule"] == "time.promised_overdue")
        .unwrap_or_else(|| panic!("the yellow card of the missed deadline: {list:?}"));
    let due: jiff::Timestamp = yellow["due_at"]
        .as_str()
        .expect("due_at")
        .parse()
        .expect("a moment");
    assert_eq!(due, yellow_at, "timed at the deadline, not at the reading");

    // The card's follow-up fell due while nobody answered: answering it
    // later is too late, and the red card is there first.
    t.clock
        .set(yellow_at + jiff::SignedDuration::from_hours(24 * 30));
    let path = format!("/api/v1/supervision/signals/{}/commands", yellow["id"]);
    let (status, body) = clerk
        .post(&path, json!({"command": "respond", "text": "已办结"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list = signals_of(&supervisor, &number, false).await;
    assert!(
        list.iter()
            .any(|s| s["rule"] == "time.yellow_unrectified" && s["follows_up"] == yellow["id"]),
        "{list:?}"
    );
    t.stop().await;
}

/// A red card holds a grade at 合格 at best, a yellow card at 良好, and a
/// department with nothing to judge has neither grade nor score.
#[tokio::test]
async fn no_grade_on_the_board_is_better_than_its_cards_allow() {
    let public = Api::new(&sunshine_testkit::shared_demo().base);
    let (status, grades) = public.get("/api/v1/supervision/evaluation").await;
    assert_eq!(status, StatusCode::OK, "{grades}");
    for line in grades["departments"].as_array().expect("lines") {
        let f = &line["figures"];
        let grade = line["grade"].as_str();
        if f["red_cards"].as_u64() > Some(0) {
            assert!(
                matches!(grade, Some("pass" | "fail")),
                "a red card and graded {grade:?}: {line}"
            );
            assert!(line["score"].as_f64() < Some(80.0), "{line}");
        } else if f["yellow_cards"].as_u64() > Some(0) {
            assert!(
                matches!(grade, Some("good" | "pass" | "fail")),
                "a yellow card and graded {grade:?}: {line}"
            );
        }
        if grade.is_none() {
            assert!(line["score"].is_null(), "no grade, no score: {line}");
            assert_eq!(line["grade_name"], "本季度无可评价办件");
        }
    }
    let (status, html) = crate::pages::page(&crate::pages::client(), "/supervision").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("有红牌的最高评为合格"),
        "the rule is on the board"
    );
}
