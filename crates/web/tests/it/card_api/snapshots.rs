//! The card engine's snapshots: transfers leave memory once a snapshot
//! after them is durable, a request that names one by id still gets its
//! answer, a start from the snapshot is the books that were running, and
//! the ledger check proves the snapshot against the history.

use sunshine_domain::card::book::{card_id, BookImage};

use super::*;

#[tokio::test]
async fn forgotten_transfers_still_answer_and_a_start_from_a_snapshot_is_the_running_books() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let clerk = Api::as_user(&t.base, "card.clerk").await;
    let (_, mine) = citizen.get("/api/v1/cards/mine").await;
    let number = first_card(&mine);
    let top_up = |id: u64| {
        let (clerk, number) = (&clerk, number.clone());
        async move {
            clerk
                .post(
                    &format!("/api/v1/cards/{number}/top-ups"),
                    json!({"id": id.to_string(), "purse": "account", "amount": 10_000}),
                )
                .await
        }
    };
    let (status, first) = top_up(77_001).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, r) = terminal_post(
        &t,
        "TAXI-A12345",
        "taps",
        json!({"taps": [{"seq": 1, "card": number, "at": t.app.now_micros(),
            "amount": 2_000, "purse": "account"}]}),
    )
    .await;
    assert_eq!(
        (status, outcomes(&r)),
        (StatusCode::OK, vec!["charged"]),
        "{r}"
    );
    let purchase: u64 = r["taps"][0]["transfer"]
        .as_str()
        .expect("a transfer id")
        .parse()
        .expect("decimal");

    // A snapshot, then a batch after it is durable: what came before leaves memory.
    let engine = t.app.card_engine().await.expect("the engine").clone();
    engine.snapshot().await.expect("a snapshot");
    let (status, _) = top_up(77_002).await;
    assert_eq!(status, StatusCode::OK);
    let remembered = engine
        .run(move |b, _| Ok((b.ledger.remembers(77_001), b.ledger.remembers(purchase))))
        .await
        .expect("asked");
    assert_eq!(
        remembered,
        (false, false),
        "forgotten once a snapshot after them is durable"
    );
    let balance = || {
        let (citizen, number) = (&citizen, number.clone());
        async move {
            let (_, v) = citizen.get(&format!("/api/v1/cards/{number}")).await;
            v["balances"].clone()
        }
    };
    let before = balance().await;

    // The retry is answered with the first result and moves nothing.
    let (status, again) = top_up(77_001).await;
    assert_eq!((status, &again), (StatusCode::OK, &first));
    let (status, e) = clerk
        .post(
            &format!("/api/v1/cards/{number}/top-ups"),
            json!({"id": "77001", "purse": "account", "amount": 5_000}),
        )
        .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("id_reused")),
        "{e}"
    );
    assert_eq!(balance().await, before, "a retry moves nothing");
    // A refund finds its forgotten purchase, once.
    for (seq, outcome) in [(2, "refunded"), (3, "repeat")] {
        let (status, r) = terminal_post(
            &t,
            "TAXI-A12345",
            "taps",
            json!({"taps": [{"seq": seq, "card": number, "at": t.app.now_micros(),
                "amount": 2_000, "purse": "account", "refund_of": purchase.to_string()}]}),
        )
        .await;
        assert_eq!(
            (status, outcomes(&r)),
            (StatusCode::OK, vec![outcome]),
            "{r}"
        );
    }

    // A start from the snapshot and what came after is the running books.
    let running = engine
        .run(|b, now| Ok(b.image(0, now)))
        .await
        .expect("asked");
    let (opened, _) =
        sunshine_app::card::engine::open_book(&t.app.db, sunshine_app::card::city_rules())
            .await
            .expect("opens from the snapshot");
    let reopened = opened.image(0, running.taken_at);
    assert_eq!(reopened.ledger, running.ledger);
    assert_eq!(reopened.next_own_id, running.next_own_id);
    assert_eq!(reopened.seen, running.seen);
    assert_eq!(reopened.takings, running.takings);
    assert!(
        opened.transfers_in_memory() < 20,
        "only the transfers after the snapshot were replayed"
    );
    assert_eq!(reopened.heads, running.heads);
    // A start with no image finds each card's newest tap from the rows.
    let mut conn = t.app.db.read().await.expect("a connection");
    let loaded = sunshine_store::card::load(&mut conn).await.expect("loaded");
    drop(conn);
    let mut found: Vec<(u64, String, u64)> = loaded
        .stored
        .heads
        .into_iter()
        .map(|(card, k)| (card, k.terminal, k.seq))
        .collect();
    found.sort();
    assert_eq!(found, running.heads);
    let card = card_id(&number).expect("a card number");
    assert!(running.ledger.accounts.iter().any(|a| a.id >> 8 == card));

    // The ledger check proves the snapshots against the history.
    let report = sunshine_app::card::check_ledger(&t.app.db)
        .await
        .expect("sound");
    assert!(report.snapshots >= 1, "{}", report.summary());

    // A snapshot whose chain of a card's taps starts at a tap it does not
    // have (digest and all rewritten to match) is found out by the check.
    let mut conn = t.app.db.read().await.expect("a connection");
    let snapshots = sunshine_store::card::snapshots(&mut conn)
        .await
        .expect("listed");
    let newest = snapshots.last().expect("a snapshot").batch;
    let row = sunshine_store::card::snapshot(&mut conn, newest)
        .await
        .expect("read")
        .expect("stored");
    drop(conn);
    let mut image = BookImage::decode(&row.image, &row.digest).expect("sound");
    let head = image
        .heads
        .iter_mut()
        .find(|h| h.0 == card)
        .expect("the card's first tap came before the snapshot");
    assert_eq!(head.1, "TAXI-A12345");
    head.2 = 1_000;
    let (bytes, digest) = image.encode();
    sqlx::query("UPDATE card_snapshots SET image = $1, digest = $2 WHERE batch = $3")
        .bind(bytes)
        .bind(digest)
        .bind(newest)
        .execute(t.app.db.pool())
        .await
        .expect("rewritten");
    let found = sunshine_app::card::check_ledger(&t.app.db)
        .await
        .expect_err("a snapshot's wrong newest tap is found");
    assert!(
        found.contains(&format!("snapshot {newest}: its newest taps"))
            && found.contains("TAXI-A12345 #1000"),
        "{found}"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_start_on_a_clock_set_back_applies_after_every_stored_tap() {
    use sunshine_domain::clock::SimulatedClock;
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (_, mine) = citizen.get("/api/v1/cards/mine").await;
    let number = first_card(&mine);
    let (status, r) = terminal_post(
        &t,
        "TAXI-A12345",
        "taps",
        json!({"taps": [{"seq": 1, "card": number, "at": t.app.now_micros(),
            "amount": 500, "purse": "account"}]}),
    )
    .await;
    // Unpaid (the account is empty), and stored like any other tap.
    assert_eq!(
        (status, outcomes(&r)),
        (StatusCode::OK, vec!["unpaid"]),
        "{r}"
    );
    let last = {
        let mut conn = t.app.db.read().await.expect("a connection");
        sunshine_store::card::last_applied(&mut conn)
            .await
            .expect("read")
            .expect("a tap is stored")
    };
    // Books opened again (as after a crash, with no snapshot since the
    // tap) by a process whose clock stands a day earlier.
    let yesterday = jiff::Timestamp::from_microsecond(last - 24 * 3_600_000_000).expect("a moment");
    let engine = sunshine_app::card::engine::Engine::start(
        t.app.db.clone(),
        std::sync::Arc::new(SimulatedClock::new(yesterday)),
        sunshine_app::card::city_rules(),
        sunshine_app::card::engine::SnapshotPolicy::default(),
        None,
    )
    .await
    .expect("the books open");
    let now = engine.run(|_, now| Ok(now)).await.expect("a batch");
    assert!(now > last, "its batch at {now}, a stored tap at {last}");
    engine.snapshot().await.expect("a snapshot");
    let report = sunshine_app::card::check_ledger(&t.app.db)
        .await
        .expect("the snapshot it took is proven");
    assert!(report.snapshots >= 1, "{}", report.summary());
    t.stop().await;
}
