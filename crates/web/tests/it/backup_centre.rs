//! The backup centre (数据容灾集中备份中心): a keeper registers a department's
//! system and hands it a key; the system sends an archive in signed chunks,
//! loses its connection, asks where it stands and carries on; the centre
//! keeps the bytes once by their SHA-256, lets retention prune, refuses what
//! is wrongly signed, replayed, stale, corrupt or over quota with nothing
//! kept, finds a flipped byte on re-reading, and warns the department of a
//! system whose backups are overdue — once. Nobody but the centre's keepers
//! reaches its places; a keeper's day in a real browser.

use ed25519_dalek::SigningKey;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sunshine_app::backup_centre::{sign_archive, sign_request};
use sunshine_domain::clock::{Clock, SimulatedClock};
use sunshine_testkit::browser::Browser;
use sunshine_testkit::{shared_demo, TestApp};

use crate::support::{unique, Api};

const KEEPER: &str = "backup.keeper";

/// The server's clock, in milliseconds.
fn shared_now_ms() -> i64 {
    shared_demo().clock.now().as_millisecond()
}

/// A department's system as the tests drive it: its id and key, on a server.
struct System {
    base: String,
    id: i64,
    key: SigningKey,
    clock: SimulatedClock,
}

/// Register a system as the keeper on the shared demo, with `extra` over
/// the defaults; the centre makes its key.
async fn register(extra: Value) -> (System, Value) {
    register_on(&shared_demo().base, &shared_demo().clock, extra).await
}

/// Register a system on the server at `base`, whose clock is `clock`.
async fn register_on(base: &str, clock: &SimulatedClock, extra: Value) -> (System, Value) {
    let keeper = Api::as_user(base, KEEPER).await;
    let mut body = json!({
        "name": format!("测试系统-{}", unique()),
        "department": "330100-010",
        "data_size": 1 << 30,
        "rpo_minutes": 24 * 60,
        "rto_minutes": 8 * 60,
        "link": "政务外网 100Mbps",
        "quota": 1 << 20,
        "keep_last": 7,
        "keep_days": null,
    });
    for (k, v) in extra.as_object().expect("an object") {
        body[k] = v.clone();
    }
    let (status, r) = keeper.post("/api/v1/backup-centre/systems", body).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    // A key the centre made; with the department's own, the caller holds it.
    let seed: [u8; 32] = match r["key"]["private_key"].as_str() {
        Some(k) => hex::decode(k).expect("hex").try_into().expect("32 bytes"),
        None => [0; 32],
    };
    (
        System {
            base: base.to_string(),
            id: r["system"]["id"].as_i64().expect("an id"),
            key: SigningKey::from_bytes(&seed),
            clock: clock.clone(),
        },
        r,
    )
}

impl System {
    fn now_ms(&self) -> i64 {
        self.clock.now().as_millisecond()
    }

    /// A request signed with `key` at the server's time shifted by `skew_ms`.
    async fn send_with(
        &self,
        key: &SigningKey,
        method: Method,
        path: &str,
        body: Vec<u8>,
        skew_ms: i64,
    ) -> (StatusCode, Value, (String, String)) {
        let millis = self.now_ms() + skew_ms;
        let signature = sign_request(key, method.as_str(), path, millis, &body);
        let headers = (millis.to_string(), signature);
        let (status, value) = self.send_signed(method, path, body, &headers).await;
        (status, value, headers)
    }

    /// Send with the given `X-Timestamp` and `X-Signature`, as a replay would.
    async fn send_signed(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
        (ts, sig): &(String, String),
    ) -> (StatusCode, Value) {
        let resp = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .header("x-timestamp", ts)
            .header("x-signature", sig)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .expect("sent");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn send(&self, method: Method, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let (s, v, _) = self.send_with(&self.key, method, path, body, 0).await;
        (s, v)
    }

    /// Announce an archive of `bytes` taken `hours_ago`.
    async fn announce(&self, bytes: &[u8], hours_ago: i64) -> (StatusCode, Value) {
        let sha = hex::encode(Sha256::digest(bytes));
        let taken = jiff::Timestamp::from_millisecond(self.now_ms() - hours_ago * 3_600_000)
            .expect("a moment");
        let body = json!({
            "name": "archive.tar.zst",
            "taken_at": taken.to_string(),
            "size": bytes.len(),
            "sha256": sha,
            "signature": sign_archive(&self.key, &sha),
        });
        self.send(
            Method::POST,
            &format!("/api/v1/backup-centre/systems/{}/uploads", self.id),
            body.to_string().into_bytes(),
        )
        .await
    }

    async fn chunk(&self, upload: i64, offset: usize, bytes: &[u8]) -> (StatusCode, Value) {
        self.send(
            Method::PUT,
            &format!("/api/v1/backup-centre/uploads/{upload}?offset={offset}"),
            bytes.to_vec(),
        )
        .await
    }

    async fn finish(&self, upload: i64) -> (StatusCode, Value) {
        self.send(
            Method::POST,
            &format!("/api/v1/backup-centre/uploads/{upload}/finish"),
            vec![],
        )
        .await
    }

    /// Announce, send in one chunk and finish: the finish's answer.
    async fn back_up(&self, bytes: &[u8], hours_ago: i64) -> (StatusCode, Value) {
        let (status, u) = self.announce(bytes, hours_ago).await;
        assert_eq!(status, StatusCode::CREATED, "{u}");
        let id = u["id"].as_i64().expect("an upload");
        let (status, body) = self.chunk(id, 0, bytes).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        self.finish(id).await
    }

    /// The system as the keeper sees it.
    async fn detail(&self) -> Value {
        let keeper = Api::as_user(&self.base, KEEPER).await;
        let (status, d) = keeper
            .get(&format!("/api/v1/backup-centre/systems/{}", self.id))
            .await;
        assert_eq!(status, StatusCode::OK, "{d}");
        d
    }
}

/// Bytes of an archive nobody else sends.
fn archive(n: usize) -> Vec<u8> {
    let mark = format!("archive {} {}\n", unique(), rand::random::<u64>());
    mark.repeat(n / mark.len() + 1).into_bytes()[..n].to_vec()
}

#[tokio::test]
async fn an_archive_comes_in_chunks_resumes_after_a_dropped_connection_and_is_kept() {
    let (system, registered) = register(json!({})).await;
    assert_eq!(registered["system"]["status"], "met", "{registered}");
    let bytes = archive(3000);
    let (status, u) = system.announce(&bytes, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    assert_eq!(u["offset"], 0);
    let id = u["id"].as_i64().expect("an upload");
    let (status, u) = system.chunk(id, 0, &bytes[..1000]).await;
    assert_eq!(
        (status, u["offset"].clone()),
        (StatusCode::OK, json!(1000)),
        "{u}"
    );
    // The connection drops while the second chunk is on its way; the system
    // does not know whether it arrived, sends it at the old offset again…
    let (status, refused) = system.chunk(id, 0, &bytes[1000..2000]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "offset_mismatch");
    // …asks where the upload stands, and carries on from there.
    let (status, at) = system
        .send(
            Method::GET,
            &format!("/api/v1/backup-centre/uploads/{id}"),
            vec![],
        )
        .await;
    assert_eq!(
        (status, at["offset"].clone()),
        (StatusCode::OK, json!(1000)),
        "{at}"
    );
    // Finishing before every byte has come is refused.
    let (status, early) = system.finish(id).await;
    assert_eq!(status, StatusCode::CONFLICT, "{early}");
    assert_eq!(early["error"]["code"], "upload_incomplete");
    for (from, to) in [(1000, 2000), (2000, 3000)] {
        let (status, u) = system.chunk(id, from, &bytes[from..to]).await;
        assert_eq!(
            (status, u["offset"].clone()),
            (StatusCode::OK, json!(to)),
            "{u}"
        );
    }
    let (status, a) = system.finish(id).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(a["sha256"], sha.as_str());
    let d = system.detail().await;
    assert_eq!(d["archives"].as_array().map(Vec::len), Some(1), "{d}");
    assert_eq!(d["archives"][0]["sha256"], sha.as_str());
    assert!(d["uploads"].as_array().is_some_and(Vec::is_empty), "{d}");
    assert_eq!(d["system"]["used"], 3000);
    assert_eq!(d["system"]["status"], "met");
    let path = shared_demo()
        .with_app(move |app| async move { app.backup_blob_path(&sha) })
        .await
        .expect("a path");
    assert_eq!(std::fs::read(&path).expect("the blob on disk"), bytes);
    // The overview lists it with its last good backup.
    let keeper = Api::as_user(&shared_demo().base, KEEPER).await;
    let (_, all) = keeper.get("/api/v1/backup-centre/systems").await;
    let listed = all
        .as_array()
        .expect("a list")
        .iter()
        .find(|s| s["id"] == system.id)
        .expect("listed");
    assert_eq!(listed["last_good_size"], 3000, "{listed}");
}

#[tokio::test]
async fn wrong_keys_replays_stale_requests_bad_checksums_and_quota_overflows_keep_nothing() {
    let (system, _) = register(json!({"quota": 4000})).await;
    let bytes = archive(1500);
    // Signed with a key the system does not hold.
    let stranger = SigningKey::from_bytes(&[42; 32]);
    let path = format!("/api/v1/backup-centre/systems/{}/uploads", system.id);
    let (status, wrong, _) = system
        .send_with(&stranger, Method::POST, &path, b"{}".to_vec(), 0)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong}");
    assert_eq!(wrong["error"]["code"], "bad_signature");
    // Ten minutes old.
    let (status, stale, _) = system
        .send_with(&system.key, Method::POST, &path, b"{}".to_vec(), -600_000)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{stale}");
    assert_eq!(stale["error"]["code"], "stale_request");
    // Unsigned.
    let (status, unsigned) = Api::new(&system.base).post(&path, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{unsigned}");
    assert_eq!(unsigned["error"]["code"], "unsigned");
    // Over the quota: 1,500 kept would leave room, 5,000 declared does not.
    let big = archive(5000);
    let (status, over) = system.announce(&big, 1).await;
    assert_eq!(status, StatusCode::CONFLICT, "{over}");
    assert_eq!(over["error"]["code"], "quota_exceeded");
    // A good announcement, replayed word for word, is refused the second time.
    let sha = hex::encode(Sha256::digest(&bytes));
    let announce = json!({
        "name": "a.tar", "taken_at": jiff::Timestamp::from_millisecond(shared_now_ms()).expect("now").to_string(),
        "size": bytes.len(), "sha256": sha, "signature": sign_archive(&system.key, &sha),
    })
    .to_string()
    .into_bytes();
    let (status, u, headers) = system
        .send_with(&system.key, Method::POST, &path, announce.clone(), 0)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    let (status, replay) = system
        .send_signed(Method::POST, &path, announce, &headers)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{replay}");
    assert_eq!(replay["error"]["code"], "replayed");
    // Bytes other than those announced: the finish finds the checksum wrong
    // and discards the upload.
    let id = u["id"].as_i64().expect("an upload");
    let mut corrupt = bytes.clone();
    corrupt[700] ^= 0x01;
    let (status, _) = system.chunk(id, 0, &corrupt).await;
    assert_eq!(status, StatusCode::OK);
    let (status, mismatch) = system.finish(id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{mismatch}");
    assert_eq!(mismatch["error"]["code"], "checksum_mismatch");
    let (status, gone) = system
        .send(
            Method::GET,
            &format!("/api/v1/backup-centre/uploads/{id}"),
            vec![],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
    // An archive signed by another key than the system's.
    let mut forged: Value = json!({
        "name": "b.tar", "taken_at": "2026-11-26T18:00:00Z", "size": bytes.len(),
        "sha256": sha, "signature": sign_archive(&stranger, &sha),
    });
    forged["size"] = json!(bytes.len());
    let (status, bad) = system
        .send(Method::POST, &path, forged.to_string().into_bytes())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["error"]["code"], "bad_archive_signature");
    // Nothing of all that was kept.
    let d = system.detail().await;
    assert!(d["archives"].as_array().is_some_and(Vec::is_empty), "{d}");
    assert!(d["uploads"].as_array().is_some_and(Vec::is_empty), "{d}");
    assert_eq!(d["system"]["used"], 0);
    // A revoked key signs nothing any more.
    let keeper = Api::as_user(&system.base, KEEPER).await;
    let key_id = d["keys"][0]["id"].as_i64().expect("a key");
    let (status, k) = keeper
        .post(
            &format!("/api/v1/backup-centre/keys/{key_id}/revocation"),
            json!({"reason": "泄露"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{k}");
    let (status, revoked) = system.announce(&bytes, 1).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{revoked}");
    assert_eq!(revoked["error"]["code"], "bad_signature");
}

#[tokio::test]
async fn identical_bytes_are_kept_once_and_retention_lets_the_oldest_go() {
    let (system, _) = register(json!({"keep_last": 2})).await;
    let a = archive(1200);
    let b = archive(1300);
    let c = archive(1400);
    for (bytes, hours) in [(&a, 72), (&a, 48), (&b, 24)] {
        let (status, body) = system.back_up(bytes, hours).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let d = system.detail().await;
    let shas: Vec<&str> = d["archives"]
        .as_array()
        .expect("archives")
        .iter()
        .map(|x| x["sha256"].as_str().unwrap_or(""))
        .collect();
    let sha = |x: &[u8]| hex::encode(Sha256::digest(x));
    assert_eq!(shas, vec![sha(&b), sha(&a)], "the last two, newest first");
    // A's bytes, sent twice, take their room once.
    assert_eq!(d["system"]["used"], 1200 + 1300, "{d}");
    let (status, body) = system.back_up(&c, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let d = system.detail().await;
    assert_eq!(d["archives"].as_array().map(Vec::len), Some(2), "{d}");
    assert_eq!(d["system"]["used"], 1300 + 1400);
    // No archive names A's bytes now: they are gone from the disk too.
    let a_sha = sha(&a);
    let path = shared_demo()
        .with_app(move |app| async move { app.backup_blob_path(&a_sha) })
        .await
        .expect("a path");
    assert!(!path.exists(), "{} was pruned", path.display());
}

#[tokio::test]
async fn re_reading_finds_a_flipped_byte_and_warns_the_centre() {
    let (system, _) = register(json!({})).await;
    let bytes = archive(2048);
    let (status, body) = system.back_up(&bytes, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let sha = hex::encode(Sha256::digest(&bytes));
    let sha2 = sha.clone();
    let path = shared_demo()
        .with_app(move |app| async move { app.backup_blob_path(&sha2) })
        .await
        .expect("a path");
    let mut kept = std::fs::read(&path).expect("kept");
    kept[1000] ^= 0x20;
    std::fs::write(&path, kept).expect("rotted");
    let keeper = Api::as_user(&system.base, KEEPER).await;
    let (status, v) = keeper
        .post("/api/v1/backup-centre/verification", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(
        v["damaged"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x == sha.as_str())),
        "{v}"
    );
    let d = system.detail().await;
    assert_eq!(d["archives"][0]["damaged"], true, "{d}");
    assert_eq!(d["system"]["damaged"], 1);
    assert!(
        d["system"]["last_good_at"].is_null(),
        "a damaged archive is no good backup"
    );
    let supervisor = Api::as_user(&system.base, "supervisor").await;
    let (status, signals) = supervisor
        .get(&format!(
            "/api/v1/supervision/signals?case=backup/{}&open=false",
            system.id
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{signals}");
    let damaged: Vec<&Value> = signals
        .as_array()
        .expect("signals")
        .iter()
        .filter(|s| s["rule"] == "backup.damaged")
        .collect();
    assert_eq!(damaged.len(), 1, "{signals}");
    assert_eq!(
        damaged[0]["department"], "330100-045",
        "raised on the centre"
    );
}

#[tokio::test]
async fn an_overdue_system_raises_one_warning_on_its_department() {
    let (system, _) = register(json!({"rpo_minutes": 60, "department": "330106-003"})).await;
    let (status, body) = system.back_up(&archive(500), 72).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let d = system.detail().await;
    assert_eq!(d["system"]["status"], "overdue", "{d}");
    for _ in 0..2 {
        shared_demo()
            .with_app(|app| async move { app.raise_overdue_backups().await })
            .await
            .expect("raised");
    }
    let supervisor = Api::as_user(&system.base, "supervisor").await;
    let (status, signals) = supervisor
        .get(&format!(
            "/api/v1/supervision/signals?case=backup/{}&open=false",
            system.id
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{signals}");
    let list = signals.as_array().expect("signals");
    assert_eq!(list.len(), 1, "exactly one warning: {signals}");
    assert_eq!(list[0]["rule"], "backup.overdue");
    assert_eq!(list[0]["level"], "warning");
    assert_eq!(list[0]["department"], "330106-003");
    // A system within its RPO raises nothing.
    let (fresh, _) = register(json!({})).await;
    let (status, _) = fresh.back_up(&archive(500), 1).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, none) = supervisor
        .get(&format!(
            "/api/v1/supervision/signals?case=backup/{}&open=false",
            fresh.id
        ))
        .await;
    assert_eq!(none.as_array().map(Vec::len), Some(0), "{none}");
}

#[tokio::test]
async fn only_the_centres_keepers_reach_its_places() {
    let base = &shared_demo().base;
    let (system, _) = register(json!({})).await;
    let keeper_routes = [
        (
            Method::GET,
            "/api/v1/backup-centre/systems".to_string(),
            None,
        ),
        (
            Method::POST,
            "/api/v1/backup-centre/systems".to_string(),
            Some(
                json!({"name": "x", "department": "330100-010", "data_size": 1, "rpo_minutes": 60,
                        "rto_minutes": 60, "link": "x", "quota": 10}),
            ),
        ),
        (
            Method::GET,
            format!("/api/v1/backup-centre/systems/{}", system.id),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/backup-centre/systems/{}/keys", system.id),
            Some(json!({})),
        ),
        (
            Method::POST,
            "/api/v1/backup-centre/keys/1/revocation".to_string(),
            Some(json!({"reason": "x"})),
        ),
        (
            Method::POST,
            "/api/v1/backup-centre/verification".to_string(),
            Some(json!({})),
        ),
    ];
    // A clerk, a supervisor, another centre's staff, a citizen.
    for login in [
        "clerk",
        "supervisor",
        "card.operator",
        "operator",
        sunshine_app::demo::DEMO_CITIZEN_ID,
    ] {
        let api = Api::as_user(base, login).await;
        for (method, path, body) in &keeper_routes {
            let (status, e) = api.call(method.clone(), path, body.clone()).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{login} {method} {path}: {e}"
            );
        }
        // The systems' routes take a system's signature, never a person's token.
        let (status, e) = api
            .post(
                &format!("/api/v1/backup-centre/systems/{}/uploads", system.id),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{login}: {e}");
        let (c, _) = crate::pages::signed_in(login).await;
        for page in [
            "/staff/backup-centre".to_string(),
            format!("/staff/backup-centre/systems/{}", system.id),
        ] {
            let resp = c.get(format!("{base}{page}")).send().await.expect("page");
            if login == sunshine_app::demo::DEMO_CITIZEN_ID {
                // Staff places send everyone else to sign in as staff.
                assert_eq!(resp.url().path(), "/login", "{login} at {page}");
            } else {
                assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{login} at {page}");
            }
        }
    }
    // Nobody signed in is asked to sign in.
    let (status, _) = Api::new(base).get("/api/v1/backup-centre/systems").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_registration_form_says_what_is_wrong_beside_each_field_and_keeps_the_input() {
    let base = &shared_demo().base;
    let (c, csrf) = crate::pages::signed_in(KEEPER).await;
    let resp = c
        .post(format!("{base}/staff/backup-centre/systems"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "人口信息管理系统"),
            ("department", ""),
            ("data_gib", "many"),
            ("rpo_hours", "24"),
            ("rto_hours", "8"),
            ("link", "政务外网 100Mbps"),
            ("quota_mib", "100"),
        ])
        .send()
        .await
        .expect("posted");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("html");
    assert!(html.contains("id=\"department-error\""), "{html}");
    assert!(html.contains("请填写数字"), "the data size's reason");
    assert!(
        html.contains("value=\"人口信息管理系统\""),
        "the input kept"
    );
    let keeper = Api::as_user(base, KEEPER).await;
    let (_, all) = keeper.get("/api/v1/backup-centre/systems").await;
    assert!(
        !all.as_array()
            .expect("a list")
            .iter()
            .any(|s| s["name"] == "人口信息管理系统" && s["department"] == ""),
        "nothing registered"
    );
}

/// On a platform of its own, so that its clock is the demo's: the demo's
/// 43 systems with exactly one overdue and warned; the keeper sees it
/// marked, registers a system in the browser and is shown its key once.
#[tokio::test]
async fn the_keeper_sees_the_overdue_system_and_registers_one() -> anyhow::Result<()> {
    let t = TestApp::demo().await?;
    let keeper = Api::as_user(&t.base, KEEPER).await;
    let (status, all) = keeper.get("/api/v1/backup-centre/systems").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let all = all.as_array().expect("a list").clone();
    assert_eq!(all.len(), 43, "23 city and 20 district departments");
    let overdue: Vec<&Value> = all.iter().filter(|s| s["status"] == "overdue").collect();
    assert_eq!(overdue.len(), 1, "exactly one overdue");
    let late = overdue[0];
    assert!(
        all.iter().all(|s| s["archives"].as_i64() >= Some(3)),
        "days of uploads"
    );
    let supervisor = Api::as_user(&t.base, "supervisor").await;
    let (_, signals) = supervisor
        .get(&format!(
            "/api/v1/supervision/signals?case=backup/{}",
            late["id"]
        ))
        .await;
    let signals = signals.as_array().expect("signals").clone();
    assert_eq!(signals.len(), 1, "{signals:?}");
    assert_eq!(signals[0]["department"], late["department"]);

    let b = Browser::start().await?;
    b.goto(&t.url("/login")).await?;
    b.fill("#login", KEEPER).await?;
    b.fill("#password", sunshine_app::demo::DEMO_PASSWORD)
        .await?;
    b.click("#sign-in").await?;
    b.wait_for("form[action='/logout']").await?;
    assert_eq!(b.client.current_url().await?.path(), "/staff/backup-centre");
    b.wait_text("#overdue-count", "1").await?;
    b.wait_for(&format!("tr#system-{}[data-status='overdue']", late["id"]))
        .await?;
    b.check_page(false).await?;
    b.fill("#system-name", "不动产登记系统").await?;
    b.set("#system-department", "330100-014").await?;
    b.fill("#system-data", "120").await?;
    b.fill("#system-rpo", "24").await?;
    b.fill("#system-rto", "8").await?;
    b.fill("#system-link", "政务外网 1000Mbps").await?;
    b.fill("#system-quota", "2048").await?;
    b.fill("#system-keep-last", "7").await?;
    b.click("#register-submit").await?;
    b.wait_for("#issued-key").await?;
    let key = b.text("#issued-key").await?;
    assert_eq!(key.len(), 64, "a private key in hex: {key}");
    b.check_page(false).await?;
    // In English too, and the key is not shown again.
    b.goto(&t.url("/lang?to=en&next=/staff/backup-centre"))
        .await?;
    b.wait_for("#systems").await?;
    b.check_page(true).await?;
    assert!(
        !b.page_text().await?.contains(&key),
        "the key is shown once"
    );
    b.goto(&t.url("/lang?to=zh&next=/")).await?;
    b.close().await?;
    let (_, all) = keeper.get("/api/v1/backup-centre/systems").await;
    assert!(all
        .as_array()
        .expect("a list")
        .iter()
        .any(|s| s["name"] == "不动产登记系统" && s["department"] == "330100-014"));
    abandoned_uploads_expire(&t).await;
    t.stop().await;
    Ok(())
}

/// A system registered with its department's own key sends with it; an
/// upload left half-sent for a day is removed with its bytes. (On the
/// test's own platform: the clock moves.)
async fn abandoned_uploads_expire(t: &TestApp) {
    let own = SigningKey::from_bytes(&[77; 32]);
    let public = hex::encode(own.verifying_key().to_bytes());
    let (mut system, registered) =
        register_on(&t.base, &t.clock, json!({"public_key": public})).await;
    assert!(registered["key"]["private_key"].is_null(), "{registered}");
    assert_eq!(registered["key"]["key"]["public_key"], public.as_str());
    system.key = own;
    let bytes = archive(2000);
    let (status, u) = system.announce(&bytes, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    let id = u["id"].as_i64().expect("an upload");
    let (status, _) = system.chunk(id, 0, &bytes[..500]).await;
    assert_eq!(status, StatusCode::OK);
    let part = t
        .app
        .backup_blob_path(&"0".repeat(64))
        .expect("a path")
        .parent()
        .and_then(|p| p.parent())
        .and_then(|p| p.parent())
        .expect("the centre's directory")
        .join("uploads")
        .join(format!("{id}.part"));
    assert!(part.exists(), "{} holds the bytes so far", part.display());
    assert_eq!(t.app.expire_backup_uploads().await.expect("expired"), 0);
    t.clock.advance(jiff::SignedDuration::from_hours(25));
    assert_eq!(t.app.expire_backup_uploads().await.expect("expired"), 1);
    assert!(!part.exists(), "the part is removed");
    let (status, gone) = system
        .send(
            Method::GET,
            &format!("/api/v1/backup-centre/uploads/{id}"),
            vec![],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
}
