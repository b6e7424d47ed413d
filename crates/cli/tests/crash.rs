//! Kill the server with SIGKILL in the middle of a stream of writes, start it
//! again, and check that every write it acknowledged is there and the
//! journal's chain holds; and run the benchmarks small, so that a change
//! that breaks them is seen here and not on the day of a measurement. The
//! CLI crate's one integration-test binary.

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
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the sunshine binary starts")
}

async fn wait_healthy(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
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
                    let id = id_number(n);
                    let sent = client.post(format!("{base}/api/v1/citizens")).json(&serde_json::json!({"id_number": id, "name": "测试", "password": "long-enough-1"})).send().await;
                    match sent {
                        Ok(r) if r.status() == reqwest::StatusCode::CREATED => ok.push(id),
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
            ["bench", "hall", "--cases", "40", "--clients", "4"],
            ["bench", "catalog", "--items", "10", "--clients", "2"],
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
                stdout.contains("Intact"),
                "{args:?}: the journal was not verified:\n{stdout}"
            );
        }
    }
}
