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

mod complaints;
mod faults;

fn date(v: &Value) -> jiff::civil::Date {
    v.as_str().expect("a date").parse().expect("a valid date")
}

pub(crate) async fn signals_of(api: &Api, number: &str, open: bool) -> Vec<Value> {
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
