//! The platform's own backup, with the real binary: a continuous backup
//! killed under load restores every change acknowledged a second before the
//! kill; a flipped byte is found and named; a backup killed half-way leaves
//! no archive that claims to be whole.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use super::{active_card, enrol, free_port, token, wait_healthy, BIN};

fn start_backed_up(data: &Path, archive: &Path, port: u16) -> Child {
    Command::new(BIN)
        .args([
            "--data",
            &data.display().to_string(),
            "demo",
            "--cases",
            "0",
        ])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--backup-to", &archive.display().to_string()])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the sunshine binary starts")
}

/// Run the binary to its end: (success, stdout and stderr).
fn sunshine(args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .expect("the sunshine binary runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn only_archive(root: &Path) -> std::path::PathBuf {
    let dirs: Vec<_> = std::fs::read_dir(root)
        .expect("the backup directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("manifest.json").exists())
        .collect();
    assert_eq!(
        dirs.len(),
        1,
        "one generation in {}: {dirs:?}",
        root.display()
    );
    dirs[0].clone()
}

/// What the load wrote and when the server acknowledged it.
enum Acked {
    Case(String),
    TopUp(u64),
}

/// A city licensing item with a form, and answers to its form.
async fn item_and_answers(base: &str) -> (i64, serde_json::Value) {
    let client = reqwest::Client::new();
    let list: serde_json::Value = client
        .get(format!(
            "{base}/api/v1/catalog/items?region=330100&type=licensing&limit=100"
        ))
        .send()
        .await
        .expect("items")
        .json()
        .await
        .expect("json");
    for i in list["items"].as_array().expect("items") {
        let item: serde_json::Value = client
            .get(format!("{base}/api/v1/catalog/items/{}", i["item_id"]))
            .send()
            .await
            .expect("item")
            .json()
            .await
            .expect("json");
        let form = item["guide"]["form"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if form.is_empty() {
            continue;
        }
        let mut answers = serde_json::Map::new();
        for f in form {
            let v = match f["kind"].as_str().unwrap_or("") {
                "number" => "100".to_string(),
                "date" => "2026-11-01".to_string(),
                "choice" => f["choices"][0].as_str().unwrap_or("").to_string(),
                "bool" => "true".to_string(),
                "phone" => "13812341234".to_string(),
                "email" => "zhang@example.cn".to_string(),
                "id_number" => "11010519491231002X".to_string(),
                "credit_code" => "91350100M000100Y43".to_string(),
                _ => "测试填写".to_string(),
            };
            answers.insert(f["key"].as_str().unwrap_or("").to_string(), v.into());
        }
        return (i["item_id"].as_i64().expect("id"), answers.into());
    }
    panic!("the demo has a city licensing item with a form");
}

#[tokio::test]
async fn a_continuous_backup_killed_under_load_restores_every_change_acknowledged_a_second_before()
{
    let root = std::env::temp_dir().join(format!("sunshine-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (data, archive) = (root.join("data"), root.join("archive"));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start_backed_up(&data, &archive, port);
    wait_healthy(&base).await;
    let client = reqwest::Client::new();
    let clerk = token(&base, "card.clerk").await;
    let case_clerk = token(&base, "clerk").await;
    let (item, answers) = item_and_answers(&base).await;
    let mut cards = vec![];
    enrol(&client, &base, 700..724).await;
    for n in 0..24u32 {
        cards.push(active_card(&client, &base, &clerk, 700 + n).await);
    }
    // Cases are registered at the counter and cards are topped up, as fast
    // as the server takes them.
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..6u64 {
        let (client, base, clerk, cards) =
            (client.clone(), base.clone(), clerk.clone(), cards.clone());
        let (case_clerk, answers) = (case_clerk.clone(), answers.clone());
        tasks.spawn(async move {
            let mut acked: Vec<(Acked, SystemTime)> = vec![];
            for i in 0..100_000u64 {
                let sent = if c % 2 == 0 {
                    let applicant = serde_json::json!({"kind": "enterprise", "name": "杭州某某餐饮有限公司", "credit_code": "91350100M000100Y43"});
                    let r = client
                        .post(format!("{base}/api/v1/hall/counter-applications"))
                        .bearer_auth(&case_clerk)
                        .json(&serde_json::json!({"item_id": item, "applicant": applicant, "answers": answers}))
                        .send()
                        .await;
                    match r {
                        Ok(r) if !r.status().is_success() => panic!("{} {}", r.status(), r.text().await.unwrap_or_default()),
                        Ok(r) => {
                            let status = r.status();
                            match r.json::<serde_json::Value>().await {
                                Ok(case) => Ok((status, Acked::Case(case["number"].as_str().expect("a case number").to_string()))),
                                Err(e) => Err(e),
                            }
                        }
                        Err(e) => Err(e),
                    }
                } else {
                    let id = 5_000_000 + c * 1_000_000 + i;
                    let card = &cards[(i % cards.len() as u64) as usize];
                    let r = client
                        .post(format!("{base}/api/v1/cards/{card}/top-ups"))
                        .bearer_auth(&clerk)
                        .json(&serde_json::json!({"id": id, "purse": "wallet", "amount": 1000}))
                        .send()
                        .await;
                    match r {
                        Ok(r) if !r.status().is_success() => panic!("{} {}", r.status(), r.text().await.unwrap_or_default()),
                        r => r.map(|r| (r.status(), Acked::TopUp(id))),
                    }
                };
                match sent {
                    Ok((status, what)) if status.is_success() => acked.push((what, SystemTime::now())),
                    Ok((status, _)) => panic!("a write was refused: {status}"),
                    Err(_) => break,
                }
            }
            acked
        });
    }
    let wait = 2_500 + rand::random::<u64>() % 1_500;
    tokio::time::sleep(Duration::from_millis(wait)).await;
    server.kill().expect("SIGKILL");
    let killed = SystemTime::now();
    let _ = server.wait();
    let mut acked = vec![];
    while let Some(done) = tasks.join_next().await {
        acked.extend(done.expect("client task"));
    }
    let settled: Vec<&Acked> = acked
        .iter()
        .filter(|(_, at)| {
            killed
                .duration_since(*at)
                .is_ok_and(|d| d > Duration::from_secs(1))
        })
        .map(|(w, _)| w)
        .collect();
    eprintln!(
        "killed after {wait} ms: {} writes acknowledged, {} of them more than a second before",
        acked.len(),
        settled.len()
    );
    assert!(
        settled.len() > 20,
        "the load got writes through before the kill"
    );

    // Restore to the last moment the backup holds.
    let restored = root.join("restored");
    let (ok, out) = sunshine(&[
        "--data",
        &restored.display().to_string(),
        "backup",
        "restore",
        &archive.display().to_string(),
    ]);
    assert!(ok, "restore: {out}");
    let db = rusqlite::Connection::open(restored.join("sunshine.db")).expect("the restored store");
    for what in settled {
        match what {
            Acked::Case(number) => {
                let n: i64 = db
                    .query_row(
                        "SELECT count(*) FROM cases WHERE number = ?1",
                        [number],
                        |r| r.get(0),
                    )
                    .expect("query");
                assert_eq!(
                    n, 1,
                    "acknowledged case {number} is missing from the backup"
                );
            }
            Acked::TopUp(id) => {
                let n: i64 = db
                    .query_row(
                        "SELECT count(*) FROM card_transfers WHERE id = ?1",
                        [*id as i64],
                        |r| r.get(0),
                    )
                    .expect("query");
                assert!(
                    n >= 1,
                    "acknowledged top-up {id} is missing from the backup"
                );
            }
        }
    }
    drop(db);
    for check in [["journal", "verify"], ["ledger", "check"]] {
        let (ok, out) = sunshine(&[
            "--data",
            &restored.display().to_string(),
            check[0],
            check[1],
        ]);
        assert!(ok, "{} {} on the restored store: {out}", check[0], check[1]);
    }

    // The archive verifies; a second verification remembers what the first read.
    let generation = only_archive(&archive);
    let g = generation.display().to_string();
    let (ok, out) = sunshine(&["backup", "verify", &g]);
    assert!(ok && out.contains("base read and checked"), "verify: {out}");
    let (ok, out) = sunshine(&["backup", "verify", &g]);
    assert!(
        ok && out.contains("base remembered") && out.contains(" 0 log segments checked now"),
        "verify again: {out}"
    );

    // One flipped byte in a log segment: verify fails and names the file.
    // The oldest segment, since the newest may have been written and not yet
    // indexed when the process was killed: the archive does not hold that one.
    let segment = std::fs::read_dir(generation.join("wal"))
        .expect("wal")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .min()
        .expect("a segment");
    flip_byte(&segment);
    let (ok, out) = sunshine(&["backup", "verify", "--full", &g]);
    let name = segment.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        !ok && out.contains("FAILED") && out.contains(&name),
        "verify after a flipped byte: {out}"
    );
    flip_byte(&segment);
    // And in the base.
    flip_byte(&generation.join("base.db"));
    let (ok, out) = sunshine(&["backup", "verify", "--full", &g]);
    assert!(
        !ok && out.contains("base.db"),
        "verify after a flipped byte in the base: {out}"
    );
    flip_byte(&generation.join("base.db"));
    let (ok, out) = sunshine(&["backup", "verify", "--full", &g]);
    assert!(ok, "verify once the byte is back: {out}");

    // A snapshot killed at any moment leaves a whole archive or none. The
    // signing keys are sealed with the key-encryption key, which a backup
    // never holds: the operator brings it (here, the demo's key file).
    std::fs::copy(
        data.join("key-encryption-key"),
        restored.join("key-encryption-key"),
    )
    .expect("the key file");
    let snaps = root.join("snapshots");
    let mut whole = 0;
    for k in 0..8u64 {
        let mut child = Command::new(BIN)
            .args([
                "--data",
                &restored.display().to_string(),
                "backup",
                "create",
                "--to",
                &snaps.display().to_string(),
            ])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("backup create");
        let started = Instant::now();
        std::thread::sleep(Duration::from_millis(k * 40 + rand::random::<u64>() % 40));
        let _ = child.kill();
        let status = child.wait().expect("wait");
        eprintln!(
            "snapshot {k}: killed after {:?} ({status})",
            started.elapsed()
        );
    }
    let (ok, out) = sunshine(&["backup", "list", "--from", &snaps.display().to_string()]);
    assert!(ok, "list: {out}");
    assert!(
        !out.contains("UNREADABLE"),
        "an archive claims to be whole and is not: {out}"
    );
    for dir in std::fs::read_dir(&snaps)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        let p = dir.path();
        if dir.file_name().to_string_lossy().starts_with('.') {
            assert!(
                !out.contains(&*dir.file_name().to_string_lossy()),
                "a partial archive is listed: {out}"
            );
            continue;
        }
        let (ok, out) = sunshine(&["backup", "verify", &p.display().to_string()]);
        assert!(ok, "a listed snapshot does not verify: {out}");
        whole += 1;
    }
    // One more, left to finish, is whole.
    let (ok, out) = sunshine(&[
        "--data",
        &restored.display().to_string(),
        "backup",
        "create",
        "--to",
        &snaps.display().to_string(),
    ]);
    assert!(ok, "backup create: {out}");
    eprintln!("{whole} killed snapshots finished whole");
    let _ = std::fs::remove_dir_all(&root);
}

fn flip_byte(path: &Path) {
    let mut bytes = std::fs::read(path).expect("read");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x5a;
    std::fs::write(path, bytes).expect("write");
}
