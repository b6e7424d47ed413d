//! Two `sunshine` processes serve one PostgreSQL store. One holds the card
//! engine's lease and serves card requests; the other serves everything
//! else and answers card requests 503 with the holder's address. Killed
//! under load, the holder's lease passes to the other within 5 s, and every
//! top-up it acknowledged is there. And both follow the journal at once:
//! each consumer's effect (the public board, supervision's signals and
//! timers, the webhook's deliveries, the live board) happens once.

use super::*;

/// The PostgreSQL the tests use (the CI's, or the machine's own).
fn admin_url() -> String {
    std::env::var("SUNSHINE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn start_node(url: &str, name: &str, port: u16) -> Child {
    start_node_with(url, name, port, &[])
}

/// A node of the demo on `url`, with `options` of the whole program.
fn start_node_with(url: &str, name: &str, port: u16, options: &[&str]) -> Child {
    let listen = format!("127.0.0.1:{port}");
    let mut args = options.to_vec();
    args.extend([
        "--database-url",
        url,
        "--card-snapshot-transfers",
        "200",
        "demo",
        "--cases",
        "0",
        "--node-name",
        name,
        "--listen",
        &listen,
    ]);
    spawn_quiet(&args)
}

/// A clerk's top-up of `card`: its status and answer, or `None` unanswered.
async fn top_up(
    client: &reqwest::Client,
    base: &str,
    clerk: &str,
    card: &str,
    id: u64,
) -> Option<(u16, serde_json::Value, Option<String>)> {
    let body = serde_json::json!({"id": id.to_string(), "purse": "account", "amount": 1_000});
    let r = client
        .post(format!("{base}/api/v1/cards/{card}/top-ups"))
        .bearer_auth(clerk)
        .json(&body)
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Some((status, r.json().await.ok()?, retry))
}

#[tokio::test]
async fn two_nodes_serve_one_store_and_the_card_engine_fails_over_when_its_node_is_killed() {
    let admin = admin_url();
    let url = sunshine_store::db::create_scratch_database(&admin, "sunshine_nodes")
        .await
        .expect("PostgreSQL is running for the two-node test");
    let (pa, pb) = (free_port(), free_port());
    let (a, b) = (
        format!("http://127.0.0.1:{pa}"),
        format!("http://127.0.0.1:{pb}"),
    );
    let mut node_a = start_node(&url, "node-a", pa);
    wait_healthy(&a).await;
    let mut node_b = start_node(&url, "node-b", pb);
    wait_healthy(&b).await;
    let client = reqwest::Client::new();

    // Signed in on one node, the session serves on the other.
    let clerk = token(&b, "card.clerk").await;
    enrol(&client, &a, 700..701).await;
    let number = active_card(&client, &a, &clerk, 700).await;

    // The other node points card clients to the holder, and serves the rest.
    let (status, body, retry) = top_up(&client, &b, &clerk, &number, 1)
        .await
        .expect("answered");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "card_engine_elsewhere", "{body}");
    assert_eq!(body["error"]["fields"]["leader"], a.as_str(), "{body}");
    assert_eq!(retry.as_deref(), Some("1"));
    let items = client
        .get(format!("{b}/api/v1/catalog/items?limit=1"))
        .send()
        .await
        .expect("catalogue");
    assert!(items.status().is_success());

    // Top-ups to node-a under load; node-a is killed in the middle.
    let load = {
        let (client, a, clerk, number) = (client.clone(), a.clone(), clerk.clone(), number.clone());
        tokio::spawn(async move {
            let mut acked = vec![];
            for id in 100..100_000u64 {
                match top_up(&client, &a, &clerk, &number, id).await {
                    Some((200, v, _)) => acked.push((id, v)),
                    Some(_) => {}
                    None => break,
                }
            }
            acked
        })
    };
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    node_a.kill().expect("SIGKILL");
    let killed = Instant::now();
    let _ = node_a.wait();
    let acked = load.await.expect("the load");
    assert!(acked.len() > 10, "top-ups got through before the kill");

    // node-b takes the lease and serves within 5 s of the kill.
    let served = loop {
        // Answered by the engine (the wallet may be full by now): not 503.
        if let Some((status, _, _)) = top_up(&client, &b, &clerk, &number, 1).await {
            if status != 503 {
                break killed.elapsed();
            }
        }
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "node-b did not take over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!("node-b served the card engine {served:?} after node-a was killed");
    assert!(served <= Duration::from_secs(5), "{served:?}");

    // Every top-up node-a acknowledged is there: a retry gets its first answer.
    for (id, first) in &acked {
        let (status, again, _) = top_up(&client, &b, &clerk, &number, *id)
            .await
            .expect("answered");
        assert_eq!(
            (status, &again),
            (200, first),
            "top-up {id} was lost or changed"
        );
    }
    // node-a, started again, finds node-b holding the lease and points to it.
    let mut node_a = start_node(&url, "node-a", pa);
    wait_healthy(&a).await;
    let (status, body, _) = top_up(&client, &a, &clerk, &number, 2)
        .await
        .expect("answered");
    assert_eq!(
        (status, &body["error"]["fields"]["leader"]),
        (503, &serde_json::json!(b)),
        "{body}"
    );

    node_b.kill().expect("stop");
    let _ = node_b.wait();
    node_a.kill().expect("stop");
    let _ = node_a.wait();
    let check = Command::new(BIN)
        .args(["--database-url", &url, "ledger", "check"])
        .output()
        .expect("ledger check");
    assert!(
        check.status.success(),
        "ledger check: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    sunshine_store::db::drop_database(&admin, &url)
        .await
        .expect("dropped");
}

/// Processes killed when dropped, so that a test that fails leaves none
/// running.
struct Running(Vec<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What a case is taken through: handled to the end, left at its first
/// step, or not accepted without citing a law.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    Delivered,
    InProcess,
    NotAccepted,
}

impl Fate {
    fn of(i: usize) -> Fate {
        [Fate::Delivered, Fate::InProcess, Fate::NotAccepted][i % 3]
    }

    /// The board's state once the case has been taken through.
    fn state(self) -> &'static str {
        match self {
            Fate::Delivered => "delivered",
            Fate::InProcess => "in_process",
            Fate::NotAccepted => "not_accepted",
        }
    }

    /// The one signal supervision raises on the case: a counter case decided
    /// within minutes of its registration (事后补录), or a refusal to accept
    /// that cites no law.
    fn signal(self) -> Option<&'static str> {
        match self {
            Fate::Delivered => Some("process.entered_after_the_fact"),
            Fate::InProcess => None,
            Fate::NotAccepted => Some("process.no_legal_reason"),
        }
    }
}

/// A city item of the public catalogue (never a sensitive one) with at
/// least two steps and a promise of five days or more (so that no deadline
/// of a case accepted today falls due during the test): its id, its form's
/// answers and its number of steps.
async fn city_item(base: &str) -> (i64, serde_json::Value, usize) {
    let client = reqwest::Client::new();
    let get = |path: String| {
        let client = client.clone();
        async move {
            client
                .get(format!("{base}{path}"))
                .send()
                .await
                .expect("the catalogue")
                .json::<serde_json::Value>()
                .await
                .expect("JSON")
        }
    };
    let list = get("/api/v1/catalog/items?region=330100&type=licensing&limit=100".into()).await;
    for item in list["items"].as_array().expect("items") {
        let id = item["item_id"].as_i64().expect("an id");
        let guide = get(format!("/api/v1/catalog/items/{id}")).await["guide"].clone();
        let steps = guide["steps"].as_array().map_or(0, Vec::len);
        let promised = guide["promised_limit"]["value"].as_i64().unwrap_or(0);
        if steps >= 2 && promised >= 5 {
            return (id, answers_for(&guide["form"]), steps);
        }
    }
    panic!("the demo has a city licensing item with two steps or more and a promise of five days");
}

/// Valid answers to every field of `form`.
fn answers_for(form: &serde_json::Value) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for f in form.as_array().into_iter().flatten() {
        let v = match f["kind"].as_str().unwrap_or("") {
            "number" => "100",
            "date" => "2026-11-01",
            "choice" => f["choices"][0].as_str().unwrap_or(""),
            "bool" => "true",
            "phone" => "13812341234",
            "email" => "zhang@example.cn",
            "id_number" => "11010519491231002X",
            "credit_code" => "91350100M000100Y43",
            _ => "测试填写",
        };
        out.insert(f["key"].as_str().unwrap_or("").to_string(), v.into());
    }
    serde_json::Value::Object(out)
}

/// Case `i` registered at the counter and taken through its fate by the
/// city's clerk, each command on the other node than the one before: its
/// number and the hall's last answer.
async fn take_through(
    client: &reqwest::Client,
    nodes: &[String; 2],
    clerk: &str,
    (item_id, answers, steps): (i64, &serde_json::Value, usize),
    i: usize,
) -> (String, serde_json::Value) {
    let post = |k: usize, path: String, body: serde_json::Value| {
        let r = client
            .post(format!("{}{path}", nodes[(i + k) % 2]))
            .bearer_auth(clerk)
            .json(&body)
            .send();
        async move {
            let r = r.await.expect("the hall answers");
            let status = r.status();
            let body: serde_json::Value = r.json().await.expect("JSON");
            assert!(
                status.is_success(),
                "case {i}, command {k}: {status} {body}"
            );
            body
        }
    };
    let applicant = serde_json::json!({"kind": "person", "name": "测试", "id_number": id_number(900 + i as u32)});
    let case = post(
        0,
        "/api/v1/hall/counter-applications".into(),
        serde_json::json!({"item_id": item_id, "applicant": applicant, "answers": answers}),
    )
    .await;
    let number = case["number"].as_str().expect("a number").to_string();
    let mut script = vec![];
    match Fate::of(i) {
        Fate::Delivered => {
            script.push(serde_json::json!({"command": "accept"}));
            for step in 0..steps {
                script.push(serde_json::json!({"command": "claim"}));
                let next = if step + 1 < steps { "pass" } else { "approve" };
                script.push(serde_json::json!({ "command": next }));
            }
            script.push(serde_json::json!({"command": "deliver"}));
        }
        Fate::InProcess => {
            script.push(serde_json::json!({"command": "accept"}));
            script.push(serde_json::json!({"command": "claim"}));
        }
        Fate::NotAccepted => {
            script.push(serde_json::json!({"command": "not_accept", "reason": "材料不齐全"}));
        }
    }
    let mut last = case;
    for (k, command) in script.into_iter().enumerate() {
        last = post(
            k + 1,
            format!("/api/v1/hall/cases/{number}/commands"),
            command,
        )
        .await;
    }
    assert_eq!(last["state"], Fate::of(i).state(), "case {i}: {last}");
    (number, last)
}

/// The public board's rows of `item_id`.
async fn board_rows(client: &reqwest::Client, base: &str, item_id: i64) -> Vec<serde_json::Value> {
    let rows: serde_json::Value = client
        .get(format!(
            "{base}/api/v1/disclosure/cases?item_id={item_id}&limit=500"
        ))
        .send()
        .await
        .expect("the board")
        .json()
        .await
        .expect("rows");
    rows.as_array().expect("rows").clone()
}

/// A `case` event of the board's live stream: its id (the journal
/// sequence), the case's number and state.
type LiveEvent = (i64, String, String);

/// Follow the board's live stream of `base` from now, collecting its `case`
/// events until the task is aborted; returns once the stream has started.
async fn follow_board(
    base: &str,
) -> (
    tokio::task::JoinHandle<()>,
    std::sync::Arc<std::sync::Mutex<Vec<LiveEvent>>>,
) {
    let events = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
    let (started, ready) = tokio::sync::oneshot::channel();
    let mut response = reqwest::get(format!("{base}/api/v1/disclosure/stream"))
        .await
        .expect("the board's stream");
    assert!(response.status().is_success(), "{}", response.status());
    let into = events.clone();
    let task = tokio::spawn(async move {
        let mut started = Some(started);
        let mut text = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = text.find("\n\n") {
                let block: String = text.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim_start().to_string())
                };
                match field("event:").as_deref() {
                    Some("ready") => {
                        if let Some(s) = started.take() {
                            let _ = s.send(());
                        }
                    }
                    Some("case") => {
                        let id = field("id:").and_then(|i| i.parse().ok()).expect("an id");
                        let row: serde_json::Value =
                            serde_json::from_str(&field("data:").expect("data")).expect("a row");
                        let (number, state) = (&row["number"], &row["state"]);
                        into.lock().expect("events").push((
                            id,
                            number.as_str().expect("number").to_string(),
                            state.as_str().expect("state").to_string(),
                        ));
                    }
                    _ => {}
                }
            }
        }
    });
    ready.await.expect("the stream starts");
    (task, events)
}

/// A gateway for supervision's webhook: the signals posted to it, in order.
async fn gateway() -> (String, std::sync::Arc<std::sync::Mutex<Vec<i64>>>) {
    let posted = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
    let into = posted.clone();
    let app = axum::Router::new().route(
        "/signals",
        axum::routing::post(move |body: String| async move {
            let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
            let id = v["signal"].as_i64().expect("a signal id");
            into.lock().expect("posted").push(id);
            axum::http::StatusCode::OK
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!(
        "http://{}/signals",
        listener.local_addr().expect("an address")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, posted)
}

/// Wait until both consumers have read the whole journal and every signal
/// has been delivered, and nothing has changed for a second.
async fn settled(db: &sunshine_store::Db) -> i64 {
    use sunshine_store::journal;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = (-1, -1, -1, -1);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut conn = db.read().await.expect("a connection");
        let head = journal::head(&mut conn).await.expect("the head").0;
        let disclosure = journal::cursor(&mut conn, "disclosure")
            .await
            .expect("a cursor");
        let supervision = journal::cursor(&mut conn, "supervision")
            .await
            .expect("a cursor");
        let undelivered = sunshine_store::supervision::undelivered(&mut conn, 1000)
            .await
            .expect("signals")
            .len() as i64;
        let now = (head, disclosure, supervision, undelivered);
        if now == last && disclosure == head && supervision == head && undelivered == 0 {
            return head;
        }
        assert!(
            Instant::now() < deadline,
            "the consumers did not catch up: journal head, disclosure, supervision, undelivered signals = {now:?}"
        );
        last = now;
    }
}

/// Two nodes follow one journal at once: every case the hall writes through
/// either of them is on the public board once, in its last state; its
/// signals are issued and journaled once, its timers set once; each signal
/// is posted to the gateway once; each node's live board tells each change
/// once; both cursors reach the journal's end, and the chain holds.
#[tokio::test]
async fn two_nodes_following_one_journal_apply_each_effect_once() {
    let admin = admin_url();
    let url = sunshine_store::db::create_scratch_database(&admin, "sunshine_consumers")
        .await
        .expect("PostgreSQL is running for the two-node test");
    let (hook, posted) = gateway().await;
    let (pa, pb) = (free_port(), free_port());
    let nodes = [
        format!("http://127.0.0.1:{pa}"),
        format!("http://127.0.0.1:{pb}"),
    ];
    // The nodes' files (the key-encryption key, the backup centre's
    // archives) apart from those of the other two-node test.
    let data = std::env::temp_dir().join(format!("sunshine-consumers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let data_dir = data.display().to_string();
    let options = ["--data", &data_dir, "--supervision-webhook", &hook];
    let mut running = Running(vec![start_node_with(&url, "node-a", pa, &options)]);
    wait_healthy(&nodes[0]).await;
    running
        .0
        .push(start_node_with(&url, "node-b", pb, &options));
    wait_healthy(&nodes[1]).await;
    let db = sunshine_store::Db::connect(&url).await.expect("the store");
    settled(&db).await;
    let started = Instant::now();

    let client = reqwest::Client::new();
    let clerk = token(&nodes[0], "clerk").await;
    let (item_id, answers, steps) = city_item(&nodes[1]).await;
    let board_before = board_rows(&client, &nodes[0], item_id).await.len();
    let live = [follow_board(&nodes[0]).await, follow_board(&nodes[1]).await];

    // Eight clerks at once, each case's commands alternating between the nodes.
    const CASES: usize = 48;
    let mut clerks = tokio::task::JoinSet::new();
    for w in 0..8 {
        let (client, nodes, clerk, answers) = (
            client.clone(),
            nodes.clone(),
            clerk.clone(),
            answers.clone(),
        );
        clerks.spawn(async move {
            let mut done = vec![];
            for i in (w..CASES).step_by(8) {
                let (number, last) =
                    take_through(&client, &nodes, &clerk, (item_id, &answers, steps), i).await;
                done.push((i, number, last));
            }
            done
        });
    }
    let mut cases = vec![];
    while let Some(done) = clerks.join_next().await {
        cases.extend(done.expect("a clerk"));
    }
    cases.sort_by_key(|(i, ..)| *i);
    let head = settled(&db).await;
    eprintln!(
        "{CASES} cases on two nodes; the consumers caught up to entry {head} in {:?}",
        started.elapsed()
    );

    // The public board: each case once, in its last state, at its last entry.
    let board = board_rows(&client, &nodes[0], item_id).await;
    assert_eq!(
        board.len(),
        board_before + CASES,
        "the item's rows on the board: those before and one per case"
    );
    let mut conn = db.read().await.expect("a connection");
    let mut signals_posted = vec![];
    for (i, number, last) in &cases {
        let fate = Fate::of(*i);
        let entries = sunshine_store::journal::by_subject(&mut conn, &format!("case/{number}"))
            .await
            .expect("the case's history");
        let last_seq = entries.last().map(|e| e.seq).expect("entries");
        let rows: Vec<_> = board
            .iter()
            .filter(|r| r["number"] == number.as_str())
            .collect();
        assert_eq!(rows.len(), 1, "case {number} on the board once: {rows:?}");
        assert_eq!(
            (rows[0]["state"].as_str(), rows[0]["seq"].as_i64()),
            (Some(fate.state()), Some(last_seq)),
            "case {number}: the board shows its last entry"
        );

        // Supervision read every entry of the case, once.
        let watched = sunshine_store::supervision::watched_case(&mut conn, number)
            .await
            .expect("read")
            .expect("supervision follows the case");
        assert_eq!(
            watched.last_seq, last_seq,
            "case {number}: supervision's last entry"
        );
        let filter = sunshine_store::supervision::SignalFilter {
            case_number: Some(number.clone()),
            limit: 100,
            ..Default::default()
        };
        let signals = sunshine_store::supervision::signals(&mut conn, &filter)
            .await
            .expect("signals");
        let rules: Vec<&str> = signals.iter().map(|s| s.rule.as_str()).collect();
        assert_eq!(
            rules,
            fate.signal().into_iter().collect::<Vec<_>>(),
            "case {number} ({fate:?}): the signals supervision raised"
        );
        for s in &signals {
            let history =
                sunshine_store::journal::by_subject(&mut conn, &format!("signal/{}", s.id))
                    .await
                    .expect("the signal's history");
            let events: Vec<&str> = history.iter().map(|e| e.event_type.as_str()).collect();
            assert_eq!(
                events,
                ["supervision.signal_issued", "supervision.signal_notified"],
                "signal {} of case {number}: issued and delivered, each journaled once",
                s.id
            );
            signals_posted.push(s.id);
        }

        // The case's moments in the due-time index, each once: the
        // deadlines of a case being handled, a yellow card's follow-up.
        let timers = sunshine_store::supervision::case_timers(&mut conn, number)
            .await
            .expect("timers");
        let mut kept: Vec<(String, i64, i64)> = timers
            .iter()
            .map(|t| (t.rule.as_str().to_string(), t.step, t.cause))
            .collect();
        kept.sort();
        let mut expected: Vec<(String, i64, i64)> = signals
            .iter()
            .map(|s| ("time.yellow_unrectified".to_string(), -1, s.id))
            .collect();
        if fate == Fate::InProcess {
            let whole = |rule: &str| (rule.to_string(), -1, 0);
            if !last["promised_due"].is_null() {
                expected.push(whole("time.due_soon"));
                expected.push(whole("time.promised_overdue"));
            }
            if !last["legal_due"].is_null() {
                expected.push(whole("time.legal_overdue"));
            }
            if !last["step_due"].is_null() {
                expected.push(("time.step_overdue".to_string(), 0, 0));
            }
        }
        expected.sort();
        assert_eq!(kept, expected, "case {number} ({fate:?}): its timers");
    }
    let expected_signals = cases
        .iter()
        .filter(|(i, ..)| Fate::of(*i).signal().is_some())
        .count();
    assert_eq!(
        signals_posted.len(),
        expected_signals,
        "a signal for each case that earned one"
    );

    // Each node's live board told each case's changes once, in order, ending
    // with the row the board holds.
    for ((task, events), base) in live.into_iter().zip(&nodes) {
        task.abort();
        let events = events.lock().expect("events").clone();
        assert!(
            events.windows(2).all(|w| w[0].0 < w[1].0),
            "{base}: the live board told a change twice or out of order: {events:?}"
        );
        for (i, number, _) in &cases {
            let last = events.iter().rev().find(|(_, n, _)| n == number);
            let row = board
                .iter()
                .find(|r| r["number"] == number.as_str())
                .expect("a row");
            assert_eq!(
                last.map(|(seq, _, state)| (*seq, state.as_str())),
                Some((row["seq"].as_i64().expect("seq"), Fate::of(*i).state())),
                "{base}: the live board's last word on case {number}"
            );
        }
    }

    // The gateway heard of each signal once: the demo's and the cases'.
    let posted = posted.lock().expect("posted").clone();
    let mut twice: Vec<i64> = posted
        .iter()
        .filter(|id| posted.iter().filter(|p| p == id).count() > 1)
        .copied()
        .collect();
    twice.sort();
    twice.dedup();
    assert!(
        twice.is_empty(),
        "signals posted to the gateway more than once: {twice:?} ({} posts)",
        posted.len()
    );
    for id in &signals_posted {
        assert!(posted.contains(id), "signal {id} was never posted");
    }

    // Both cursors reached the journal's end (where it stood once all had
    // settled), and the chain holds on both nodes.
    for consumer in ["disclosure", "supervision"] {
        let cursor = sunshine_store::journal::cursor(&mut conn, consumer)
            .await
            .expect("a cursor");
        assert!(
            cursor >= head,
            "{consumer}'s cursor {cursor} short of the journal's end {head}"
        );
    }
    drop(conn);
    let admin_token = token(&nodes[1], "admin").await;
    for base in &nodes {
        let verify: serde_json::Value = client
            .get(format!("{base}/api/v1/journal/verify"))
            .bearer_auth(&admin_token)
            .send()
            .await
            .expect("verify")
            .json()
            .await
            .expect("a report");
        assert_eq!(verify["intact"], true, "{base}: {verify}");
        assert!(verify["entries"].as_i64() >= Some(head), "{base}: {verify}");
    }
    eprintln!("checked in {:?}", started.elapsed());

    db.close().await;
    drop(running);
    sunshine_store::db::drop_database(&admin, &url)
        .await
        .expect("dropped");
    let _ = std::fs::remove_dir_all(&data);
}
