//! Kill the server with SIGKILL in the middle of a stream of writes, start it
//! again, and check that every write it acknowledged is there and the
//! journal's chain holds; and run the benchmarks small, so that a change
//! that breaks them is seen here and not on the day of a measurement. The
//! CLI crate's one integration-test binary.

mod backup;
mod exchange;
mod nodes;
mod pg_backup;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_sunshine");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start(data: &std::path::Path, port: u16) -> Child {
    Command::new(BIN)
        .args([
            "--data",
            &data.display().to_string(),
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        // The clients sign up hundreds of citizens from one address.
        .env("SUNSHINE_SIGN_UPS_PER_HOUR", "3600")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the sunshine binary starts")
}

async fn wait_healthy(base: &str) {
    // Loading the demo in a debug build takes a while.
    let deadline = Instant::now() + Duration::from_secs(240);
    while Instant::now() < deadline {
        if reqwest::get(format!("{base}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server at {base} did not become healthy");
}

/// A distinct valid resident identity number for person `n` (Xihu, born on 1 January of 1980 + n / 1000).
fn id_number(n: u32) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let first = format!("330106{}0101{:03}", 1980 + n / 1000, n % 1000);
    let sum: u32 = first
        .bytes()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    format!("{first}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

#[tokio::test]
async fn every_acknowledged_write_survives_a_kill_at_a_random_moment() {
    let data = std::env::temp_dir().join(format!("sunshine-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut acknowledged: Vec<String> = vec![];
    let mut next = 0u32;
    for round in 0..3 {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut server = start(&data, port);
        wait_healthy(&base).await;
        // Eight clients register citizens as fast as they can; the server is killed after a random moment.
        let client = reqwest::Client::new();
        let mut tasks = tokio::task::JoinSet::new();
        for c in 0..8u32 {
            let (client, base) = (client.clone(), base.clone());
            let start = next + c * 100;
            tasks.spawn(async move {
                let mut ok = vec![];
                for n in start..start + 100 {
                    let (id, login) = (id_number(n), format!("crash.{n}"));
                    let sent = client.post(format!("{base}/api/v1/citizens")).json(&serde_json::json!({"login": login, "id_number": id, "name": "测试", "password": "long-enough-1"})).send().await;
                    match sent {
                        Ok(r) if r.status() == reqwest::StatusCode::CREATED => ok.push(login),
                        Ok(r) => panic!("registration refused: {}", r.status()),
                        Err(_) => break,
                    }
                }
                ok
            });
        }
        next += 800;
        let wait = 300 + rand::random::<u64>() % 1200;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.kill().expect("SIGKILL");
        let _ = server.wait();
        while let Some(done) = tasks.join_next().await {
            acknowledged.extend(done.expect("client task"));
        }
        assert!(
            !acknowledged.is_empty(),
            "round {round}: the clients got some writes through before the kill"
        );
        eprintln!(
            "round {round}: killed after {wait} ms; {} writes acknowledged so far",
            acknowledged.len()
        );
    }

    // After the last kill: the chain holds and every acknowledged citizen can sign in.
    let verify = Command::new(BIN)
        .args(["--data", &data.display().to_string(), "journal", "verify"])
        .output()
        .expect("journal verify");
    assert!(
        verify.status.success(),
        "journal verify: {}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&data, port);
    wait_healthy(&base).await;
    let client = reqwest::Client::new();
    for id in &acknowledged {
        let r = client
            .post(format!("{base}/api/v1/auth/tokens"))
            .json(&serde_json::json!({"login": id, "password": "long-enough-1", "name": "check"}))
            .send()
            .await
            .expect("sign-in");
        assert_eq!(
            r.status(),
            reqwest::StatusCode::CREATED,
            "the acknowledged registration of {id} was lost"
        );
    }
    server.kill().expect("stop");
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&data);
}

/// `sunshine bench` at a size that takes seconds, on the embedded store and,
/// when the test environment names one, on PostgreSQL: it ends by checking
/// that every case was delivered and that the journal's chain is intact.
#[test]
fn the_benchmarks_run_and_check_their_results() {
    let mut backends = vec![None];
    if let Ok(url) = std::env::var("SUNSHINE_TEST_DATABASE_URL") {
        backends.push(Some(url));
    }
    for url in backends {
        for args in [
            &["bench", "hall", "--cases", "40", "--clients", "4"][..],
            &["bench", "catalog", "--items", "10", "--clients", "2"],
            &[
                "bench",
                "registry-import",
                "--persons",
                "3000",
                "--districts",
                "2",
                "--file-rows",
                "1000",
                "--arriving",
                "5",
            ],
            &[
                "bench",
                "ledger",
                "--transfers",
                "2000",
                "--accounts",
                "100",
                "--clients",
                "4",
            ],
            &[
                "bench",
                "transit",
                "--taps",
                "2000",
                "--terminals",
                "20",
                "--cards",
                "200",
                "--clients",
                "4",
            ],
        ] {
            let mut cmd = Command::new(BIN);
            if let Some(url) = &url {
                cmd.args(["--database-url", url]);
            }
            let out = cmd
                .args(args)
                .env("RUST_LOG", "warn")
                .output()
                .expect("the sunshine binary runs");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{args:?} on {url:?} failed:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                stdout.contains("Intact") || stdout.contains("ledger check:       sound"),
                "{args:?}: the journal or the ledger was not verified:\n{stdout}"
            );
        }
    }
}

/// A process on a simulated clock: `serve`, or `demo` (with its options) to load the demo first.
fn start_simulated(data: &std::path::Path, port: u16, command: &[&str]) -> Child {
    Command::new(BIN)
        .args([
            "--data",
            &data.display().to_string(),
            "--clock",
            "simulated",
            "--allow-simulated-clock",
        ])
        .args(command)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the sunshine binary starts")
}

async fn token(base: &str, login: &str) -> String {
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/tokens"))
        .json(
            &serde_json::json!({"login": login, "password": "sunshine-demo", "name": "crash test"}),
        )
        .send()
        .await
        .expect("sign-in")
        .json()
        .await
        .expect("a token");
    body["token"].as_str().expect("token").to_string()
}

/// Move the serving process's simulated clock to `to`.
async fn move_clock(base: &str, to: &str) {
    let admin = token(base, "admin").await;
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/clock"))
        .bearer_auth(admin)
        .json(&serde_json::json!({"to": to}))
        .send()
        .await
        .expect("move the clock");
    assert!(r.status().is_success(), "moving the clock: {}", r.status());
}

/// What supervision has issued, as the public board of `quarter` counts it,
/// once it has stopped changing; and the number of `signal_issued` entries
/// in the journal.
async fn settled_signals(base: &str, quarter: &str) -> (String, usize) {
    let (mut last, mut same) = (String::new(), 0);
    for _ in 0..180 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let board = reqwest::get(format!("{base}/api/v1/supervision/board?quarter={quarter}"))
            .await
            .expect("board")
            .text()
            .await
            .expect("text");
        same = if board == last { same + 1 } else { 0 };
        last = board;
        if same == 2 {
            break;
        }
    }
    (last, issued_count(base).await)
}

/// The number of `supervision.signal_issued` entries in the journal.
async fn issued_count(base: &str) -> usize {
    let admin = token(base, "admin").await;
    let (mut after, mut issued) = (0i64, 0usize);
    loop {
        let page: serde_json::Value = reqwest::Client::new()
            .get(format!("{base}/api/v1/journal?after={after}&limit=1000"))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("journal")
            .json()
            .await
            .expect("entries");
        let entries = page["entries"]
            .as_array()
            .or(page.as_array())
            .cloned()
            .unwrap_or_default();
        if entries.is_empty() {
            break;
        }
        issued += entries
            .iter()
            .filter(|e| e["event_type"] == "supervision.signal_issued")
            .count();
        after = entries.last().and_then(|e| e["seq"].as_i64()).expect("seq");
    }
    issued
}

/// A copy of a stopped store's files, and of the folders beside them (the
/// backup centre's objects).
fn copy_store(from: &std::path::Path, to: &std::path::Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).expect("a data dir");
    for f in std::fs::read_dir(from).expect("data") {
        let f = f.expect("file").path();
        let into = to.join(f.file_name().expect("name"));
        if f.is_dir() {
            copy_store(&f, &into);
        } else {
            std::fs::copy(&f, into).expect("copy");
        }
    }
}

/// Serve `data` on a simulated clock; the process and its base URL.
async fn serve_simulated(data: &std::path::Path) -> (Child, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = start_simulated(data, port, &["serve"]);
    wait_healthy(&base).await;
    (server, base)
}

fn stop(mut server: Child) {
    server.kill().expect("SIGKILL");
    let _ = server.wait();
}

/// Supervision's timer is killed in the middle of a run of deadlines: after
/// a restart exactly the signals of a run that was never interrupted are
/// there, each journaled once, and the chain holds. Each round starts from
/// the same store and kills at a random moment, until two kills have fallen
/// in the middle of the run (some of its signals committed, not all).
#[tokio::test]
async fn a_kill_in_a_run_of_deadlines_loses_no_signal_and_repeats_none() {
    let root = std::env::temp_dir().join(format!("sunshine-deadlines-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let snapshot = root.join("snapshot");
    // The demo with a long history: many open cases, on a simulated clock.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let demo = start_simulated(&snapshot, port, &["demo", "--cases", "1200"]);
    wait_healthy(&base).await;
    stop(demo);
    // Sixty days on, at noon in Hangzhou: a run of deadlines falls due at once.
    let hangzhou = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
    let day = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * 60))
        .expect("in range")
        .to_zoned(hangzhou.clone())
        .date();
    let to = day
        .at(12, 0, 0, 0)
        .to_zoned(hangzhou)
        .expect("a moment")
        .timestamp()
        .to_string();
    let quarter = format!("{}Q{}", day.year(), (day.month() - 1) / 3 + 1);

    // Uninterrupted.
    let reference = root.join("reference");
    copy_store(&snapshot, &reference);
    let (server, base) = serve_simulated(&reference).await;
    let before = settled_signals(&base, &quarter).await.1;
    move_clock(&base, &to).await;
    let (expected, expected_issued) = settled_signals(&base, &quarter).await;
    stop(server);
    assert!(expected.contains("red_cards"), "{expected}");
    assert!(
        expected_issued > before + 10,
        "a run of deadlines fell due: {before} then {expected_issued}"
    );
    eprintln!(
        "uninterrupted: the move fired {} signals",
        expected_issued - before
    );

    // Where to kill: anywhere at first, then closing in on the run's window
    // (a kill after the run ended moves the end in, one before it began
    // moves the start out), however fast this machine and build run it.
    let (mut mid_run, mut rounds) = (0, 0);
    let (mut earliest, mut latest) = (0u64, 1200u64);
    while mid_run < 2 && rounds < 12 {
        let crashed = root.join(format!("crashed-{rounds}"));
        copy_store(&snapshot, &crashed);
        let (server, base) = serve_simulated(&crashed).await;
        move_clock(&base, &to).await;
        let wait = earliest + rand::random::<u64>() % (latest - earliest + 1);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        stop(server);
        // Restarted, its clock stands before the run again: what is there is what the kill left.
        let (server, base) = serve_simulated(&crashed).await;
        let committed = issued_count(&base).await;
        if committed > before && committed < expected_issued {
            mid_run += 1;
        } else if committed >= expected_issued {
            latest = wait.max(earliest);
        } else {
            earliest = wait.min(latest);
        }
        move_clock(&base, &to).await;
        let (got, got_issued) = settled_signals(&base, &quarter).await;
        stop(server);
        eprintln!(
            "round {rounds}: killed {wait} ms after the clock moved, {} of the run committed",
            committed - before
        );
        assert_eq!(
            got, expected,
            "round {rounds}: the same signals per department and level"
        );
        assert_eq!(
            got_issued, expected_issued,
            "round {rounds}: each signal journaled once"
        );
        let verify = Command::new(BIN)
            .args([
                "--data",
                &crashed.display().to_string(),
                "journal",
                "verify",
            ])
            .output()
            .expect("journal verify");
        assert!(
            verify.status.success(),
            "journal verify: {}",
            String::from_utf8_lossy(&verify.stdout)
        );
        let _ = std::fs::remove_dir_all(&crashed);
        rounds += 1;
    }
    assert!(
        mid_run >= 1,
        "no kill fell in the middle of the run in {rounds} rounds"
    );
    let _ = std::fs::remove_dir_all(&root);
}

/// The demo (without its history of cases) on the system clock, its card
/// engine snapshotting every 40 transfers: many batches carry a snapshot,
/// so kills fall while one is being written.
fn start_demo(data: &std::path::Path, port: u16) -> Child {
    let data = data.display().to_string();
    spawn_quiet(&[
        "--data",
        &data,
        "--card-snapshot-transfers",
        "40",
        "demo",
        "--cases",
        "0",
        "--listen",
        &format!("127.0.0.1:{port}"),
    ])
}

/// The sunshine binary with `args`, its output dropped.
fn spawn_quiet(args: &[&str]) -> Child {
    Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the sunshine binary starts")
}

/// A terminal's signed POST of taps; the answer's JSON, or `None` if the
/// server did not answer (it was killed).
async fn upload(
    client: &reqwest::Client,
    base: &str,
    terminal: &str,
    taps: &serde_json::Value,
) -> Option<serde_json::Value> {
    use sunshine_domain::card::signing;
    let path = format!("/api/v1/card/terminals/{terminal}/taps");
    let body = serde_json::json!({ "taps": taps }).to_string();
    let ts = jiff::Timestamp::now().as_second();
    let sig = signing::sign(
        &sunshine_app::demo::card::demo_terminal_key(terminal),
        &signing::message("POST", &path, ts, body.as_bytes()),
    );
    let r = client
        .post(format!("{base}{path}"))
        .header("x-timestamp", ts.to_string())
        .header("x-signature", sig)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .ok()?;
    assert!(r.status().is_success(), "upload refused: {}", r.status());
    r.json().await.ok()
}

/// Kill the card engine's process in the middle of top-ups and terminal
/// uploads (whose overdrafts and repayments are linked pairs of transfers),
/// many times at random moments; then every acknowledged top-up is answered
/// with its first result, every acknowledged upload is a repeat, and the
/// stored ledger replays under every rule with no chain cut short.
#[tokio::test]
async fn every_acknowledged_transfer_survives_a_kill_and_the_ledger_stays_sound() {
    let data = std::env::temp_dir().join(format!("sunshine-card-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let client = reqwest::Client::new();
    let mut cards: Vec<String> = vec![];
    let mut top_ups: Vec<(String, serde_json::Value, serde_json::Value)> = vec![];
    let mut uploads: Vec<(String, serde_json::Value)> = vec![];
    let (mut next_id, mut next_seq) = (1_000u64, 1u64);
    let mut proven = String::new();
    for round in 0..6 {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut server = start_demo(&data, port);
        wait_healthy(&base).await;
        let clerk = token(&base, "card.clerk").await;
        if cards.is_empty() {
            let operator = token(&base, "card.operator").await;
            enrol(&client, &base, 500..524).await;
            for n in 0..24u32 {
                cards.push(active_card(&client, &base, &clerk, 500 + n).await);
            }
            for k in 0..4 {
                let code = format!("CRASH-BUS-{k}");
                let key = sunshine_app::demo::card::demo_terminal_key(&code);
                let r = client
                    .post(format!("{base}/api/v1/card/terminals"))
                    .bearer_auth(&operator)
                    .json(&serde_json::json!({"code": code, "kind": "validator", "party": "hz-bus", "network_id": "bus",
                        "public_key": hex_of(&key.verifying_key().to_bytes())}))
                    .send()
                    .await
                    .expect("terminal");
                assert!(r.status().is_success(), "{}", r.status());
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        for c in 0..8u64 {
            let (client, base, clerk, cards) =
                (client.clone(), base.clone(), clerk.clone(), cards.clone());
            let (first_id, first_seq) = (next_id + c * 10_000, next_seq + c * 10_000);
            tasks.spawn(async move {
                let mut acked_top_ups = vec![];
                let mut acked_uploads = vec![];
                for i in 0..2_000u64 {
                    let card = &cards[((c * 7 + i * 13) % cards.len() as u64) as usize];
                    if c < 4 {
                        let body = serde_json::json!({"id": first_id + i, "purse": "wallet", "amount": 1_000 + (i % 5) * 500});
                        let sent = client
                            .post(format!("{base}/api/v1/cards/{card}/top-ups"))
                            .bearer_auth(&clerk)
                            .json(&body)
                            .send()
                            .await;
                        let Ok(r) = sent else { break };
                        if r.status().is_success() {
                            let Ok(v) = r.json::<serde_json::Value>().await else { break };
                            acked_top_ups.push((card.clone(), body, v));
                        }
                    } else {
                        let terminal = format!("CRASH-BUS-{}", c - 4);
                        let at = jiff::Timestamp::now().as_microsecond();
                        let taps: Vec<serde_json::Value> = (0..10u64)
                            .map(|k| {
                                let card = &cards[((i * 10 + k + c) * 5 % cards.len() as u64) as usize];
                                serde_json::json!({"seq": first_seq + i * 10 + k, "card": card, "at": at + (k as i64) * 60_000_000})
                            })
                            .collect();
                        let taps = serde_json::Value::from(taps);
                        match upload(&client, &base, &terminal, &taps).await {
                            Some(_) => acked_uploads.push((terminal, taps)),
                            None => break,
                        }
                    }
                }
                (acked_top_ups, acked_uploads)
            });
        }
        next_id += 100_000;
        next_seq += 100_000;
        let wait = 200 + rand::random::<u64>() % 1500;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.kill().expect("SIGKILL");
        let _ = server.wait();
        while let Some(done) = tasks.join_next().await {
            let (t, u) = done.expect("client task");
            top_ups.extend(t);
            uploads.extend(u);
        }
        eprintln!(
            "round {round}: killed after {wait} ms; {} top-ups and {} uploads acknowledged so far",
            top_ups.len(),
            uploads.len()
        );
        let check = Command::new(BIN)
            .args(["--data", &data.display().to_string(), "ledger", "check"])
            .output()
            .expect("ledger check");
        assert!(
            check.status.success(),
            "round {round}: ledger check: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        proven = String::from_utf8_lossy(&check.stdout).to_string();
    }
    // The starts after the kills were from snapshots, each proven against
    // the history by the check (the newest are kept).
    assert!(
        !proven.contains(" 0 snapshots") && proven.contains("snapshots equal to the replay"),
        "{proven}"
    );
    assert!(
        !top_ups.is_empty() && !uploads.is_empty(),
        "writes got through before the kills"
    );
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start_demo(&data, port);
    wait_healthy(&base).await;
    let clerk = token(&base, "card.clerk").await;
    for (card, body, first) in &top_ups {
        let again: serde_json::Value = client
            .post(format!("{base}/api/v1/cards/{card}/top-ups"))
            .bearer_auth(&clerk)
            .json(body)
            .send()
            .await
            .expect("retry")
            .json()
            .await
            .expect("json");
        assert_eq!(
            &again, first,
            "the acknowledged top-up {body} was lost or changed"
        );
    }
    for (terminal, taps) in &uploads {
        let again = upload(&client, &base, terminal, taps)
            .await
            .expect("answered");
        for t in again["taps"].as_array().expect("taps") {
            assert_eq!(t["outcome"], "repeat", "an acknowledged tap was lost: {t}");
        }
    }
    server.kill().expect("stop");
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&data);
}

/// Residents `ns` held by the population registry (each in a household of
/// their own in the demo community), as its worker imports them: a card is
/// issued only to a person the registry holds.
async fn enrol(client: &reqwest::Client, base: &str, ns: std::ops::Range<u32>) {
    let worker = token(base, "community.worker").await;
    let mut csv = String::from(
        "身份证号,姓名,性别,出生日期,民族,户籍地址,居住地址,社区代码,户号,与户主关系,联系电话",
    );
    for n in ns {
        let number = id_number(n);
        let sex = if (number.as_bytes()[16] - b'0') % 2 == 1 {
            "1"
        } else {
            "2"
        };
        let birth = format!("{}-{}-{}", &number[6..10], &number[10..12], &number[12..14]);
        csv.push_str(&format!(
            "\n{number},测试,{sex},{birth},01,杭州市西湖区文三路1号,杭州市西湖区文三路1号,330106001001,C{n},02,"
        ));
    }
    let r = client
        .post(format!("{base}/api/v1/registry/imports?dry_run=false"))
        .bearer_auth(&worker)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("import");
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
}

/// A card issued to resident `n` and activated, by a card clerk: its number.
async fn active_card(client: &reqwest::Client, base: &str, clerk: &str, n: u32) -> String {
    let card: serde_json::Value = client
        .post(format!("{base}/api/v1/cards"))
        .bearer_auth(clerk)
        .json(&serde_json::json!({"holder": id_number(n), "holder_name": "测试", "rider_category": "adult"}))
        .send()
        .await
        .expect("issue")
        .json()
        .await
        .expect("a card");
    let number = card["number"].as_str().expect("a number").to_string();
    let r = client
        .post(format!("{base}/api/v1/cards/{number}/commands"))
        .bearer_auth(clerk)
        .json(&serde_json::json!({"command": "activate"}))
        .send()
        .await
        .expect("activate");
    assert!(r.status().is_success(), "{}", r.status());
    number
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A store at `data` made in this process with `fill`, then closed.
async fn store_with<F, Fut>(data: &std::path::Path, fill: F)
where
    F: FnOnce(std::sync::Arc<sunshine_app::App>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let _ = std::fs::remove_dir_all(data);
    std::fs::create_dir_all(data).expect("a data dir");
    let db = sunshine_store::Db::open_sqlite(data)
        .await
        .expect("a store");
    db.migrate().await.expect("migrated");
    let app = sunshine_app::App::new(
        db,
        std::sync::Arc::new(sunshine_domain::clock::SystemClock),
        sunshine_domain::calendar::Calendar::shipped(),
        sunshine_app::keys::Kek::random(),
    )
    .await
    .expect("the app");
    fill(app.clone()).await;
    app.db.close().await;
}

/// `serve` on `data`: its exit status and what it said, if it stopped
/// within `within`; `None` (and stopped) if it was still serving.
fn serve_briefly(
    data: &std::path::Path,
    within: Duration,
) -> Option<(std::process::ExitStatus, String)> {
    let mut child = Command::new(BIN)
        .args([
            "--data",
            &data.display().to_string(),
            "serve",
            "--listen",
            &format!("127.0.0.1:{}", free_port()),
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sunshine binary starts");
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            let mut said = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut said);
            }
            return Some((status, said));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[tokio::test]
async fn serve_refuses_a_store_with_the_demo_credentials_that_is_not_a_demo() {
    let data = std::env::temp_dir().join(format!("sunshine-demo-guard-{}", std::process::id()));
    // A platform set up with the demo's administrator and password, but
    // never loaded as the demo: not marked.
    store_with(&data, |app| async move {
        sunshine_app::demo::setup_platform(&app)
            .await
            .expect("set up");
    })
    .await;
    let (status, said) =
        serve_briefly(&data, Duration::from_secs(60)).expect("serve refuses at once");
    assert!(!status.success(), "a non-zero exit");
    assert!(
        said.contains("not a demo") && said.contains("account admin"),
        "the reason is said: {said}"
    );

    // A store loaded as the demo: marked, and served.
    store_with(&data, |app| async move {
        sunshine_app::demo::load_with(&app, 0)
            .await
            .expect("the demo");
        assert!(sunshine_app::demo::is_demo(&app).await.expect("read"));
    })
    .await;
    assert!(
        serve_briefly(&data, Duration::from_secs(10)).is_none(),
        "a demo store is served"
    );
    let _ = std::fs::remove_dir_all(&data);
}
