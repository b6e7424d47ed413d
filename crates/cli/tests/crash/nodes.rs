//! Two `sunshine` processes serve one PostgreSQL store. One holds the card
//! engine's lease and serves card requests; the other serves everything
//! else and answers card requests 503 with the holder's address. Killed
//! under load, the holder's lease passes to the other within 5 s, and every
//! top-up it acknowledged is there.

use super::*;

/// The PostgreSQL the tests use (the CI's, or the machine's own).
fn admin_url() -> String {
    std::env::var("SUNSHINE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn start_node(url: &str, name: &str, port: u16) -> Child {
    let listen = format!("127.0.0.1:{port}");
    spawn_quiet(&[
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
    ])
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
