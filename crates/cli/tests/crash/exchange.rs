//! The two-level platform with real processes and a real nats-server: a
//! district's platform and the city's, each its own `sunshine` process on a
//! store of its own, joined through JetStream. While a counter clerk keeps
//! registering and accepting cases at the district, and a resident keeps
//! applying at the city's portal for the district's item with files of
//! their own, the engine is down at first, the city is stopped for a
//! stretch, and the city, the district and nats-server are each killed
//! with SIGKILL at a random moment. At the end, every message each outbox
//! holds has been published and applied on the other side exactly once, in
//! the sender's order: the district holds each application the city took,
//! with its files, and the city's view of each case is the district's last
//! word on it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sunshine_domain::exchange::RemoteCaseState;

use super::{free_port, wait_healthy, BIN};

const NATS_SERVER: &str = "/usr/sbin/nats-server";

/// Debian's nats-server, installed with apt when missing. Its absence fails the test: a
/// skipped fault test is not a pass.
fn nats_server(dir: &Path, port: u16) -> Child {
    sunshine_testkit::apt_ensure(
        &[NATS_SERVER],
        &["nats-server"],
        "the exchange's fault test",
    )
    .expect("nats-server");
    let conf = dir.with_extension("conf");
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).expect("the test's directory");
    }
    std::fs::write(&conf, nats_conf(dir, port)).expect("nats-server's configuration");
    // Its log (a permission refused shows there) is kept beside it.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.with_extension("log"))
        .expect("nats-server's log");
    Command::new(NATS_SERVER)
        .args(["-c", &conf.display().to_string()])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("nats-server (Debian's nats-server package) must be installed for the exchange's fault test")
}

/// The engine as `docs/DEPLOYMENT.md` has it: the city's user may do
/// anything in the account; 西湖区's user may publish only its own cases
/// and registry reports, pull only its own applications, and read only its
/// own file store. A
/// district's platform that needed more would fail this test.
fn nats_conf(dir: &Path, port: u16) -> String {
    let district_may = DISTRICT_PUBLISHES
        .iter()
        .map(|s| format!("\"{}\"", s.replace("<code>", "330106")))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"listen: 127.0.0.1:{port}
jetstream {{ store_dir: "{}" }}
accounts {{
  SUNSHINE: {{
    jetstream: enabled
    users: [
      {{ user: city, password: city-secret }}
      {{ user: d330106, password: d330106-secret,
         permissions: {{ publish: [{district_may}], subscribe: ["_INBOX.>"] }} }}
    ]
  }}
}}
"#,
        dir.display()
    )
}

/// What a district's user may publish, as `docs/DEPLOYMENT.md` lists it
/// (the test below checks that it does).
const DISTRICT_PUBLISHES: [&str; 46] = [
    "sunshine.cases.<code>",
    "sunshine.aggregates.<code>",
    "sunshine.answers.<code>",
    "sunshine.replies.<code>",
    "sunshine.licences.<code>",
    "$JS.API.INFO",
    "$JS.API.STREAM.INFO.SUNSHINE_CASES",
    "$JS.API.STREAM.INFO.SUNSHINE_AGGREGATES",
    "$JS.API.STREAM.INFO.SUNSHINE_ANSWERS",
    "$JS.API.STREAM.INFO.SUNSHINE_APPLICATIONS",
    "$JS.API.STREAM.INFO.SUNSHINE_CARDS",
    "$JS.API.STREAM.INFO.SUNSHINE_REPLIES",
    "$JS.API.STREAM.INFO.SUNSHINE_TICKETS",
    "$JS.API.STREAM.INFO.SUNSHINE_ITEMS",
    "$JS.API.STREAM.INFO.SUNSHINE_LICENCES",
    "$JS.API.STREAM.INFO.OBJ_SUNSHINE_MATERIALS_<code>",
    "$JS.API.CONSUMER.INFO.SUNSHINE_APPLICATIONS.<code>-applications",
    "$JS.API.CONSUMER.DURABLE.CREATE.SUNSHINE_APPLICATIONS.<code>-applications",
    "$JS.API.CONSUMER.CREATE.SUNSHINE_APPLICATIONS.<code>-applications",
    "$JS.API.CONSUMER.CREATE.SUNSHINE_APPLICATIONS.<code>-applications.>",
    "$JS.API.CONSUMER.MSG.NEXT.SUNSHINE_APPLICATIONS.<code>-applications",
    "$JS.ACK.SUNSHINE_APPLICATIONS.<code>-applications.>",
    "$JS.API.CONSUMER.INFO.SUNSHINE_CARDS.<code>-cards",
    "$JS.API.CONSUMER.DURABLE.CREATE.SUNSHINE_CARDS.<code>-cards",
    "$JS.API.CONSUMER.CREATE.SUNSHINE_CARDS.<code>-cards",
    "$JS.API.CONSUMER.CREATE.SUNSHINE_CARDS.<code>-cards.>",
    "$JS.API.CONSUMER.MSG.NEXT.SUNSHINE_CARDS.<code>-cards",
    "$JS.ACK.SUNSHINE_CARDS.<code>-cards.>",
    "$JS.API.CONSUMER.INFO.SUNSHINE_TICKETS.<code>-tickets",
    "$JS.API.CONSUMER.DURABLE.CREATE.SUNSHINE_TICKETS.<code>-tickets",
    "$JS.API.CONSUMER.CREATE.SUNSHINE_TICKETS.<code>-tickets",
    "$JS.API.CONSUMER.CREATE.SUNSHINE_TICKETS.<code>-tickets.>",
    "$JS.API.CONSUMER.MSG.NEXT.SUNSHINE_TICKETS.<code>-tickets",
    "$JS.ACK.SUNSHINE_TICKETS.<code>-tickets.>",
    "$JS.API.CONSUMER.INFO.SUNSHINE_ITEMS.<code>-items",
    "$JS.API.CONSUMER.DURABLE.CREATE.SUNSHINE_ITEMS.<code>-items",
    "$JS.API.CONSUMER.CREATE.SUNSHINE_ITEMS.<code>-items",
    "$JS.API.CONSUMER.CREATE.SUNSHINE_ITEMS.<code>-items.>",
    "$JS.API.CONSUMER.MSG.NEXT.SUNSHINE_ITEMS.<code>-items",
    "$JS.ACK.SUNSHINE_ITEMS.<code>-items.>",
    "$JS.API.DIRECT.GET.OBJ_SUNSHINE_MATERIALS_<code>.>",
    "$JS.API.STREAM.MSG.GET.OBJ_SUNSHINE_MATERIALS_<code>",
    "$JS.API.CONSUMER.CREATE.OBJ_SUNSHINE_MATERIALS_<code>",
    "$JS.API.CONSUMER.CREATE.OBJ_SUNSHINE_MATERIALS_<code>.>",
    "$JS.API.CONSUMER.DELETE.OBJ_SUNSHINE_MATERIALS_<code>.>",
    "$JS.FC.>",
];

/// The permissions the test runs with are the ones `docs/DEPLOYMENT.md`
/// gives a district, every one of them.
#[test]
fn the_district_permissions_tested_are_the_ones_deployment_lists() {
    let deployment = include_str!("../../../../docs/DEPLOYMENT.md");
    for p in DISTRICT_PUBLISHES {
        let listed = format!("\"{}\"", p.replace("<code>", "330106"));
        assert!(deployment.contains(&listed), "DEPLOYMENT.md lists {listed}");
    }
}

async fn wait_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nats-server did not listen on {port}");
}

struct Platform {
    name: &'static str,
    data: PathBuf,
    port: u16,
    nats: u16,
    /// `user:password` in the engine.
    nats_user: &'static str,
    child: Option<Child>,
}

impl Platform {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn start(&mut self) {
        let child = Command::new(BIN)
            .args([
                "--data",
                &self.data.display().to_string(),
                "--platform",
                self.name,
                "--nats-url",
                &format!("nats://{}@127.0.0.1:{}", self.nats_user, self.nats),
                "demo",
                "--cases",
                "0",
                "--listen",
                &format!("127.0.0.1:{}", self.port),
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the sunshine binary starts");
        self.child = Some(child);
        wait_healthy(&self.base()).await;
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().expect("SIGKILL");
            let _ = c.wait();
        }
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(
            self.data.join("sunshine.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("the platform's store opens")
    }
}

async fn token(base: &str, login: &str) -> String {
    let r: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/tokens"))
        .json(&json!({"login": login, "password": "sunshine-demo", "name": "exchange test"}))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("token");
    r["token"].as_str().expect("a token").to_string()
}

/// Answers that satisfy a form definition.
fn answers(form: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for f in form.as_array().into_iter().flatten() {
        let v = match f["kind"].as_str().unwrap_or("") {
            "number" => "100".to_string(),
            "date" => "2026-11-01".to_string(),
            "choice" => f["choices"][0].as_str().unwrap_or("").to_string(),
            "phone" => "13812341234".to_string(),
            "id_number" => "11010519491231002X".to_string(),
            "credit_code" => "91350100M000100Y43".to_string(),
            _ => "测试".to_string(),
        };
        out.insert(f["key"].as_str().unwrap_or("").into(), Value::String(v));
    }
    Value::Object(out)
}

/// Register a case at the district's counter and accept it; whether both
/// were answered (a kill may take either).
async fn one_case(client: &reqwest::Client, base: &str, token: &str, item: &(i64, Value)) -> bool {
    let applicant = json!({"kind": "enterprise", "name": "杭州测试餐饮有限公司", "credit_code": "91350100M000100Y43"});
    let Ok(r) = client
        .post(format!("{base}/api/v1/hall/counter-applications"))
        .bearer_auth(token)
        .json(&json!({"item_id": item.0, "applicant": applicant, "answers": answers(&item.1)}))
        .send()
        .await
    else {
        return false;
    };
    let Ok(case) = r.json::<Value>().await else {
        return false;
    };
    let Some(number) = case["number"].as_str() else {
        panic!("the counter registers a case: {case}");
    };
    client
        .post(format!("{base}/api/v1/hall/cases/{number}/commands"))
        .bearer_auth(token)
        .json(&json!({"command": "accept"}))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// The district's food-business licence (食品经营许可), with its form.
async fn district_item(base: &str) -> (i64, Value) {
    let list: Value = reqwest::get(format!(
        "{base}/api/v1/catalog/items?region=330106&limit=100"
    ))
    .await
    .expect("catalogue")
    .json()
    .await
    .expect("json");
    for i in list["items"].as_array().expect("items") {
        if i["code"] == "XK-00301-000" {
            let id = i["item_id"].as_i64().expect("id");
            let guide: Value = reqwest::get(format!("{base}/api/v1/catalog/items/{id}"))
                .await
                .expect("guide")
                .json()
                .await
                .expect("json");
            return (id, guide["guide"]["form"].clone());
        }
    }
    panic!("the demo has 西湖区's food-business licence: {list}");
}

/// A PDF of its own for the `n`th application, so each brings new files.
fn scan(n: usize, slot: usize) -> Vec<u8> {
    format!("%PDF-1.4\n% application {n} material {slot}\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n").into_bytes()
}

/// Apply online at the city's portal for the district's item, with a file
/// for each required material; whether it was answered.
async fn one_application(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    item: &(i64, Value),
    n: usize,
) -> bool {
    let mut form = reqwest::multipart::Form::new()
        .text("item_id", item.0.to_string())
        .text("answers", answers(&item.1).to_string());
    for slot in 0..4 {
        let part = reqwest::multipart::Part::bytes(scan(n, slot))
            .file_name(format!("scan-{n}-{slot}.pdf"))
            .mime_str("application/pdf")
            .expect("mime");
        form = form.part(format!("material.{slot}"), part);
    }
    let Ok(r) = client
        .post(format!("{base}/api/v1/hall/applications/multipart"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
    else {
        return false;
    };
    let status = r.status();
    if status.is_server_error() {
        return false;
    }
    assert!(
        status.is_success(),
        "the city takes the application: {:?}",
        r.text().await
    );
    true
}

/// Keep applying at the city until `stop`; how many were taken.
fn resident_applies(
    base: String,
    token: String,
    item: (i64, Value),
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        let mut done = 0;
        let mut n = 0;
        while !*stop.borrow() {
            n += 1;
            if one_application(&client, &base, &token, &item, n).await {
                done += 1;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        done
    })
}

/// Keep registering cases until `stop`; how many got through.
fn clerk_writes(
    base: String,
    token: String,
    item: (i64, Value),
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        let mut done = 0;
        while !*stop.borrow() {
            if one_case(&client, &base, &token, &item).await {
                done += 1;
            } else {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        done
    })
}

/// A platform's outbox in `flow` (`%` for every flow), by sequence: each
/// message's id and body.
fn outbox(db: &rusqlite::Connection, flow: &str) -> BTreeMap<i64, (String, String)> {
    let mut q = db
        .prepare("SELECT seq, msg_id, body FROM exchange_outbox WHERE flow LIKE ?1 ORDER BY seq")
        .expect("outbox");
    let rows = q
        .query_map([flow], |r| {
            Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?)))
        })
        .expect("rows");
    rows.map(|r| r.expect("row")).collect()
}

/// The ids of the messages applied on a platform in `flow` (`%` for every flow).
fn inbox(db: &rusqlite::Connection, flow: &str) -> BTreeSet<String> {
    let mut q = db
        .prepare("SELECT msg_id FROM exchange_inbox WHERE flow LIKE ?1")
        .expect("inbox");
    let rows = q
        .query_map([flow], |r| r.get::<_, String>(0))
        .expect("rows");
    rows.map(|r| r.expect("row")).collect()
}

/// The senders' sequences of the messages applied in `flow` (`%` for every
/// flow), in the order they were applied.
fn applied_order(db: &rusqlite::Connection, flow: &str) -> Vec<i64> {
    let mut q = db
        .prepare(
            "SELECT msg_id FROM exchange_log WHERE status = 'applied' AND flow LIKE ?1 ORDER BY id",
        )
        .expect("log");
    let rows = q
        .query_map([flow], |r| r.get::<_, String>(0))
        .expect("rows");
    rows.map(|r| {
        r.expect("row")
            .rsplit('/')
            .next()
            .and_then(|s| s.parse().ok())
            .expect("a seq")
    })
    .collect()
}

async fn random_pause(from_ms: u64, span_ms: u64) {
    tokio::time::sleep(Duration::from_millis(
        from_ms + rand::random::<u64>() % span_ms,
    ))
    .await;
}

#[tokio::test]
async fn messages_each_way_between_the_city_and_a_district_apply_once_and_in_order_through_outages_and_kills(
) {
    let root = std::env::temp_dir().join(format!("sunshine-exchange-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let nats_port = free_port();
    let nats_dir = root.join("nats");
    let mut district = Platform {
        name: "district:330106",
        data: root.join("district"),
        port: free_port(),
        nats: nats_port,
        nats_user: "d330106:d330106-secret",
        child: None,
    };
    let mut city = Platform {
        name: "city",
        data: root.join("city"),
        port: free_port(),
        nats: nats_port,
        nats_user: "city:city-secret",
        child: None,
    };

    // Both platforms start while the engine is down.
    district.start().await;
    city.start().await;
    let key: Value = reqwest::get(format!("{}/api/v1/exchange/key", district.base()))
        .await
        .expect("key")
        .json()
        .await
        .expect("json");
    let admin = token(&city.base(), "admin").await;
    let trusted = reqwest::Client::new()
        .post(format!("{}/api/v1/exchange/peers", city.base()))
        .bearer_auth(&admin)
        .json(&json!({"platform": "district:330106", "public_key": key["public_key"]}))
        .send()
        .await
        .expect("trust");
    assert!(trusted.status().is_success(), "{:?}", trusted.text().await);

    // And the district trusts the city's.
    let city_key: Value = reqwest::get(format!("{}/api/v1/exchange/key", city.base()))
        .await
        .expect("key")
        .json()
        .await
        .expect("json");
    let district_admin = token(&district.base(), "admin").await;
    let trusted = reqwest::Client::new()
        .post(format!("{}/api/v1/exchange/peers", district.base()))
        .bearer_auth(&district_admin)
        .json(&json!({"platform": "city", "public_key": city_key["public_key"]}))
        .send()
        .await
        .expect("trust");
    assert!(trusted.status().is_success(), "{:?}", trusted.text().await);

    let item = district_item(&district.base()).await;
    let clerk = token(&district.base(), "clerk.330106").await;
    let resident = token(&city.base(), "wang.xiaoming").await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let writes = clerk_writes(
        district.base(),
        clerk.clone(),
        item.clone(),
        stopped.clone(),
    );
    let applications = resident_applies(city.base(), resident, item.clone(), stopped.clone());

    // The engine is down: the district's outbox holds what it writes.
    random_pause(1500, 1000).await;
    let backlog: i64 = district
        .db()
        .query_row(
            "SELECT COUNT(*) FROM exchange_outbox WHERE published_at IS NULL",
            [],
            |r| r.get(0),
        )
        .expect("backlog");
    assert!(backlog > 0, "the outbox holds while the engine is down");

    // The engine comes up; the backlog drains while the clerk writes on.
    let mut nats = nats_server(&nats_dir, nats_port);
    wait_port(nats_port).await;
    random_pause(500, 1500).await;

    // The city is stopped for a stretch: the district's messages wait in
    // the stream for it.
    city.kill();
    random_pause(1500, 1000).await;
    city.start().await;

    // Each process killed at a random moment and started again.
    random_pause(200, 1500).await;
    city.kill();
    city.start().await;
    random_pause(200, 1500).await;
    district.kill();
    // The clerk's requests fail while the district is down.
    district.start().await;
    random_pause(200, 1500).await;
    nats.kill().expect("SIGKILL nats-server");
    let _ = nats.wait();
    random_pause(500, 1000).await;
    let mut nats = nats_server(&nats_dir, nats_port);
    wait_port(nats_port).await;
    random_pause(500, 1000).await;

    stop.send(true).expect("stop the clerk");
    let written = writes.await.expect("the clerk's task");
    assert!(written > 0, "the clerk got cases through");
    let applied_at_city = applications.await.expect("the resident's task");
    assert!(applied_at_city > 0, "the city took applications");

    // Everything the city handed down reaches the district, once, in order,
    // each application with its files (and the district's word on each
    // goes up with the rest, below).
    let handed: BTreeMap<i64, (String, String)> = outbox(&city.db(), "applications");
    assert!(
        handed.len() >= applied_at_city,
        "one message an application taken"
    );
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let taken: i64 = district
            .db()
            .query_row(
                "SELECT COUNT(*) FROM exchange_inbox WHERE flow = 'applications'",
                [],
                |r| r.get(0),
            )
            .expect("inbox");
        if taken as usize == handed.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the district took {taken} of the city's {} applications",
            handed.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    {
        let ddb = district.db();
        let taken: BTreeSet<String> = inbox(&ddb, "applications");
        let sent: BTreeSet<String> = handed.values().map(|(id, _)| id.clone()).collect();
        assert_eq!(taken, sent);
        let submissions: i64 = ddb
            .query_row(
                "SELECT COUNT(*) FROM journal WHERE event_type = 'hall.case_submitted' AND actor = 'platform:city'",
                [],
                |r| r.get(0),
            )
            .expect("journal");
        assert_eq!(
            submissions as usize,
            handed.len(),
            "each application taken once"
        );
        for (_, body) in handed.values() {
            let m: Value = serde_json::from_str(body).expect("a message");
            let number = m["facts"]["number"].as_str().expect("number");
            let files: Vec<(String, i64)> = {
                let mut q = ddb
                    .prepare("SELECT m.sha256, b.size FROM case_materials m JOIN material_blobs b ON b.sha256 = m.sha256 WHERE m.case_number = ?1 ORDER BY m.id")
                    .expect("files");
                let rows = q
                    .query_map([number], |r| Ok((r.get(0)?, r.get(1)?)))
                    .expect("rows");
                rows.map(|r| r.expect("row")).collect()
            };
            let named: Vec<(String, i64)> = m["facts"]["materials"]
                .as_array()
                .expect("materials")
                .iter()
                .map(|f| {
                    (
                        f["sha256"].as_str().expect("sha").to_string(),
                        f["size"].as_i64().expect("size"),
                    )
                })
                .collect();
            assert_eq!(files, named, "{number}'s files came with it");
        }
        let applied_order: Vec<i64> = applied_order(&ddb, "applications");
        assert_eq!(applied_order, handed.keys().copied().collect::<Vec<_>>());
    }

    // Everything the district's outbox holds reaches the city.
    let outbox: BTreeMap<i64, (String, String)> = outbox(&district.db(), "%");
    assert!(outbox.len() >= 2 * written, "two messages a case accepted");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let applied: i64 = city
            .db()
            .query_row("SELECT COUNT(*) FROM exchange_inbox", [], |r| r.get(0))
            .expect("inbox");
        if applied as usize == outbox.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the city applied {applied} of the district's {} messages",
            outbox.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let unpublished: i64 = district
        .db()
        .query_row(
            "SELECT COUNT(*) FROM exchange_outbox WHERE published_at IS NULL",
            [],
            |r| r.get(0),
        )
        .expect("unpublished");
    assert_eq!(unpublished, 0, "every message is marked published");

    let db = city.db();
    // Exactly the district's messages, each once.
    let inbox: BTreeSet<String> = inbox(&db, "%");
    let sent: BTreeSet<String> = outbox.values().map(|(id, _)| id.clone()).collect();
    assert_eq!(inbox, sent);
    let applied_entries: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM journal WHERE event_type = 'exchange.applied'",
            [],
            |r| r.get(0),
        )
        .expect("journal");
    assert_eq!(
        applied_entries as usize,
        outbox.len(),
        "nothing applied twice"
    );
    // In the district's order.
    let applied_order: Vec<i64> = applied_order(&db, "%");
    assert_eq!(applied_order, outbox.keys().copied().collect::<Vec<_>>());
    // Each case as the district last said.
    let mut last_word: BTreeMap<String, String> = BTreeMap::new();
    let mut reports = 0;
    for (_, body) in outbox.values() {
        let m: Value = serde_json::from_str(body).expect("a message");
        if m["flow"] == "aggregates" {
            // The district's registry, reported at start.
            reports += 1;
            continue;
        }
        let event = m["event_type"].as_str().expect("event type");
        let state = RemoteCaseState::after(event).expect("a case's move");
        last_word.insert(
            m["subject"].as_str().expect("subject").into(),
            state.as_str().into(),
        );
    }
    let held: BTreeMap<String, String> = {
        let mut q = db
            .prepare("SELECT subject, state FROM exchange_district_cases")
            .expect("cases");
        let rows = q
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("rows");
        rows.map(|r| r.expect("row")).collect()
    };
    assert_eq!(held, last_word);
    assert!(reports > 0, "the district reported its registry");
    let kept: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM exchange_district_aggregates WHERE district = '330106'",
            [],
            |r| r.get(0),
        )
        .expect("reports");
    assert_eq!(kept, 1, "the city keeps the district's last report");
    drop(db);

    // Both journals' chains hold.
    for p in [&mut city, &mut district] {
        p.kill();
        let out = Command::new(BIN)
            .args(["--data", &p.data.display().to_string(), "journal", "verify"])
            .output()
            .expect("journal verify");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("journal intact"),
            "{}: {}",
            p.name,
            String::from_utf8_lossy(&out.stdout)
        );
    }
    nats.kill().expect("stop nats-server");
    let _ = nats.wait();
    let engine_log = std::fs::read_to_string(nats_dir.with_extension("log")).unwrap_or_default();
    assert!(
        !engine_log.contains("Violation"),
        "a platform needed more than its user may: {engine_log}"
    );
    let _ = std::fs::remove_dir_all(&root);
}
