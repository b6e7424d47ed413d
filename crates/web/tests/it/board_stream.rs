//! The board's live stream: server-sent events of rows as the disclosure
//! consumer applies them, resumable with `Last-Event-ID`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_testkit::shared_demo;

use crate::hall_api::{act, applied_number, city_item, first_city_item};
use crate::support::{answers_for, Api};

/// One server-sent event.
#[derive(Debug, Clone)]
struct Sse {
    event: String,
    id: Option<i64>,
    data: Value,
}

/// A connection to the stream, read event by event.
struct EventStream {
    resp: reqwest::Response,
    buf: String,
}

impl EventStream {
    async fn open(path: &str, last_event_id: Option<i64>) -> EventStream {
        let mut req = reqwest::Client::new().get(shared_demo().url(path));
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let resp = req.send().await.expect("connect");
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/event-stream"));
        EventStream {
            resp,
            buf: String::new(),
        }
    }

    /// The next event, or `None` if none comes within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut event, mut id, mut data) = (String::from("message"), None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() && id.is_none() {
                    continue; // a keep-alive comment
                }
                let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
                return Some(Sse { event, id, data });
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// Read until an event for case `number` arrives that satisfies `pred`.
    async fn until(&mut self, number: &str, pred: impl Fn(&Sse) -> bool) -> Sse {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while tokio::time::Instant::now() < deadline {
            if let Some(e) = self.next(Duration::from_secs(20)).await {
                if e.event == "case" && e.data["number"] == number && pred(&e) {
                    return e;
                }
            }
        }
        panic!("no event for {number} came");
    }
}

#[tokio::test]
async fn the_stream_sends_a_case_as_it_changes_and_resumes_after_the_last_event_seen() {
    let base = &shared_demo().base;
    let citizen = Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let clerk = Api::as_user(base, "clerk").await;
    let (item_id, guide) = city_item().await;
    let path = format!("/api/v1/disclosure/stream?item_id={item_id}");

    let mut live = EventStream::open(&path, None).await;
    let ready = live
        .next(Duration::from_secs(10))
        .await
        .expect("a ready event");
    assert_eq!(ready.event, "ready");
    let start = ready.id.expect("the ready event carries where it starts");

    let number = applied_number(&citizen, item_id, &guide).await;
    let submitted = live
        .until(&number, |e| e.data["state"] == "submitted")
        .await;
    let first = submitted.id.expect("an id");
    assert!(first > start, "events come after where the stream started");
    assert_eq!(
        submitted.data["applicant"], "王某",
        "masked on the stream too"
    );
    assert_eq!(submitted.data["state_label"], "已提交");
    assert!(!submitted.data.to_string().contains("33010619900101123X"));

    act(&clerk, &number, json!({"command": "accept"})).await;
    let accepted = live
        .until(&number, |e| e.data["state"] == "in_process")
        .await;
    let seen = accepted.id.expect("an id");
    assert!(seen > first, "ids follow the journal");
    assert!(accepted.data["promised_due"].is_string());
    drop(live);

    // While nobody listens the case moves on; a reconnect gets it once, from after the last id seen.
    let (status, _) = act(&clerk, &number, json!({"command": "claim"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = act(
        &clerk,
        &number,
        json!({"command": "suspend", "procedure": "inspection"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Wait until the board has it, so that the reconnect finds it in the table.
    let public = Api::new(base);
    for _ in 0..100 {
        let (_, rows) = public
            .get(&format!(
                "/api/v1/disclosure/cases?item_id={item_id}&state=suspended&limit=500"
            ))
            .await;
        if rows.to_string().contains(&number) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut resumed = EventStream::open(&path, Some(seen)).await;
    let mut ours = vec![];
    while let Some(e) = resumed.next(Duration::from_secs(2)).await {
        if e.event == "case" {
            let id = e.id.expect("an id");
            assert!(
                id > seen,
                "nothing at or before the last id seen is repeated: {id}"
            );
            if e.data["number"] == number.as_str() {
                ours.push(e);
            }
        }
    }
    assert_eq!(
        ours.len(),
        1,
        "the missed change comes exactly once: {ours:?}"
    );
    assert_eq!(ours[0].data["state"], "suspended");

    // `after` in the query does the same for clients that cannot set the header.
    let mut after = EventStream::open(&format!("{path}&after={first}"), None).await;
    let e = after
        .until(&number, |e| e.data["state"] == "suspended")
        .await;
    assert!(e.id.expect("id") > first);
}

#[tokio::test]
async fn the_stream_keeps_to_its_filter_and_refuses_a_bad_last_event_id() {
    let base = &shared_demo().base;
    let citizen = Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (item_id, guide) = city_item().await;
    // Another department's stream never carries this item's cases.
    let mut other =
        EventStream::open("/api/v1/disclosure/stream?department=330100-999", None).await;
    assert_eq!(
        other.next(Duration::from_secs(10)).await.map(|e| e.event),
        Some("ready".to_string())
    );
    let mut mine = EventStream::open(
        &format!("/api/v1/disclosure/stream?item_id={item_id}"),
        None,
    )
    .await;
    let number = applied_number(&citizen, item_id, &guide).await;
    mine.until(&number, |_| true).await;
    while let Some(e) = other.next(Duration::from_millis(500)).await {
        assert_ne!(e.data["number"], number.as_str(), "filtered out");
    }

    // A case that leaves the filtered state is announced, so a live page drops it.
    let clerk = Api::as_user(base, "clerk").await;
    let mut submitted = EventStream::open(
        &format!("/api/v1/disclosure/stream?item_id={item_id}&state=submitted"),
        None,
    )
    .await;
    let number = applied_number(&citizen, item_id, &guide).await;
    submitted
        .until(&number, |e| e.data["state"] == "submitted")
        .await;
    act(&clerk, &number, json!({"command": "accept"})).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut left = None;
    while left.is_none() && tokio::time::Instant::now() < deadline {
        if let Some(e) = submitted.next(Duration::from_secs(20)).await {
            assert!(
                !(e.event == "case" && e.data["number"] == number.as_str()),
                "an accepted case is no longer sent as a submitted one"
            );
            if e.event == "left" && e.data["number"] == number.as_str() {
                left = Some(e);
            }
        }
    }
    assert!(
        left.is_some_and(|e| e.id.is_some()),
        "the case left the filter"
    );

    let resp = reqwest::Client::new()
        .get(shared_demo().url("/api/v1/disclosure/stream"))
        .header("last-event-id", "yesterday")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "bad_last_event_id");
}

#[tokio::test]
async fn a_client_that_falls_behind_catches_up_from_the_table_without_holding_back_the_board() {
    use futures_util::StreamExt;
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let clerk = Api::as_user(&t.base, "clerk").await;
    let (item_id, guide) = first_city_item(&t.base).await;
    let filter = sunshine_app::disclosure::BoardFilter::default();
    let (_, stream) = t.app.board_live(filter).await.expect("live");
    let mut stream = Box::pin(stream);
    // More pages than the live backlog holds, while this client reads nothing.
    let mut numbers = vec![];
    for _ in 0..sunshine_app::disclosure::LIVE_BACKLOG + 6 {
        let applicant = json!({"kind": "enterprise", "name": "杭州慢读者有限公司", "credit_code": "91350100M000100Y43"});
        let (status, c) = clerk
            .post(
                "/api/v1/hall/counter-applications",
                json!({"item_id": item_id, "applicant": applicant, "answers": answers_for(&guide["form"])}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        numbers.push(c["number"].as_str().expect("number").to_string());
        t.app.run_disclosure().await.expect("board");
    }
    let mut got = vec![];
    while got.len() < numbers.len() {
        let change = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("rows keep coming")
            .expect("the stream goes on")
            .expect("a row");
        match change {
            sunshine_app::disclosure::LiveChange::Row(row) => got.push(*row),
            other => panic!("no state filter, so no row leaves it: {other:?}"),
        }
    }
    let seqs: Vec<i64> = got.iter().map(|r| r.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "in journal order, none twice: {seqs:?}"
    );
    let got: Vec<&str> = got.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(got, numbers, "every case, once, in order");
    t.stop().await;
}

#[tokio::test]
async fn live_streams_end_when_the_server_stops_so_that_it_can() {
    let t = sunshine_testkit::TestApp::empty().await.expect("platform");
    let mut resp = reqwest::get(t.url("/api/v1/disclosure/stream"))
        .await
        .expect("connect");
    assert_eq!(resp.status(), StatusCode::OK);
    let first = resp.chunk().await.expect("read").expect("the ready event");
    assert!(String::from_utf8_lossy(&first).contains("event: ready"));
    t.app.close_live_streams();
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(_chunk) = resp.chunk().await.expect("read") {}
    })
    .await;
    assert!(end.is_ok(), "the stream ended");
    t.stop().await;
}
