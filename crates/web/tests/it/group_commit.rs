//! Group commit: concurrent commands share transactions, yet each one stands
//! or falls alone, and nothing is acknowledged that is not durable.

use sunshine_app::journal::Verification;
use sunshine_app::AppError;
use sunshine_domain::catalog::WorkflowStep;
use sunshine_domain::identity::Actor;
use sunshine_store::{StoreError, WriteTx};
use sunshine_testkit::TestApp;

fn spec(code: &str) -> sunshine_domain::catalog::ItemSpec {
    let mut v = crate::support::item(code, "并发测试事项");
    v["state"] = serde_json::Value::Null;
    serde_json::from_value(v).expect("spec")
}

/// The administrator, and the administrator as a catalogue editor: the
/// platform's first administrator holds every role of the city.
async fn admin_as_editor(t: &TestApp) -> (Actor, Actor) {
    let admin = t.app.staff_actor("admin").await.expect("admin");
    assert!(
        admin.has_role(sunshine_domain::identity::Role::CatalogEditor),
        "the first administrator holds every role, so delegation starts somewhere"
    );
    (admin.clone(), admin)
}

#[tokio::test]
async fn a_refused_command_in_a_batch_rolls_back_only_itself() {
    let t = TestApp::with_organisations().await.expect("platform");
    let (_, editor) = admin_as_editor(&t).await;
    let (head_before, _) = {
        let mut c = t.app.db.read().await.expect("conn");
        sunshine_store::journal::head(&mut c).await.expect("head")
    };
    // Twenty new codes, each sent twice at once: one of each pair must win, the other be refused.
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..40 {
        let (app, editor) = (t.app.clone(), editor.clone());
        tasks.spawn(async move {
            app.create_item(&editor, spec(&format!("XK-{:05}-000", 700 + n % 20)))
                .await
        });
    }
    let (mut ok, mut refused) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        match r.expect("task") {
            Ok(_) => ok += 1,
            Err(AppError::Refused(r)) => {
                assert_eq!(r.fields.keys().collect::<Vec<_>>(), ["code"], "{r}");
                refused += 1;
            }
            Err(e) => panic!("unexpected failure: {e}"),
        }
    }
    assert_eq!((ok, refused), (20, 20));
    let mut c = t.app.db.read().await.expect("conn");
    let (head_after, _) = sunshine_store::journal::head(&mut c).await.expect("head");
    assert_eq!(
        head_after - head_before,
        20,
        "one journal entry per command that stood, none for the refused"
    );
    assert_eq!(
        sunshine_store::catalog::count_items(&mut c)
            .await
            .expect("count"),
        20
    );
    drop(c);
    assert!(matches!(
        t.app.verify_journal().await.expect("verify"),
        Verification::Intact { .. }
    ));
    t.stop().await;
}

#[tokio::test]
async fn a_command_that_panics_loses_only_itself_and_the_writer_goes_on() {
    let t = TestApp::with_organisations().await.expect("platform");
    let result: Result<(), StoreError> = t
        .app
        .db
        .write(async move |tx: &mut WriteTx| -> Result<(), StoreError> {
            sqlx::query("UPDATE organisations SET name = 'x' WHERE code = '330100'")
                .execute(tx.conn())
                .await?;
            panic!("a bug in a command");
        })
        .await;
    assert!(matches!(result, Err(StoreError::Commit(_))), "{result:?}");
    let orgs = {
        let mut c = t.app.db.read().await.expect("conn");
        sunshine_store::identity::list_orgs(&mut c)
            .await
            .expect("orgs")
    };
    assert_eq!(
        orgs[0].name, "杭州市人民政府",
        "the panicking command's change was rolled back"
    );
    let admin = t.app.staff_actor("admin").await.expect("admin");
    t.app
        .issue_api_token(&admin, "after the panic")
        .await
        .expect("the writer still writes");
    t.stop().await;
}

#[tokio::test]
async fn a_command_that_fails_after_journaling_leaves_no_entry_and_the_chain_holds() {
    let t = TestApp::with_organisations().await.expect("platform");
    let (head_before, _) = {
        let mut c = t.app.db.read().await.expect("conn");
        sunshine_store::journal::head(&mut c).await.expect("head")
    };
    // Enough commands at once that a batch stores its entries in several
    // statements; every third one writes, journals twice and then fails.
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..60 {
        let db = t.app.db.clone();
        tasks.spawn(async move {
            db.write(async move |tx: &mut WriteTx| -> Result<i64, StoreError> {
                sqlx::query("INSERT INTO consumer_cursors (name, seq) VALUES ($1, $2)")
                    .bind(format!("test-{n}"))
                    .bind(n)
                    .execute(tx.conn())
                    .await?;
                let mut last = 0;
                for k in 0..2 {
                    let e = sunshine_domain::journal::NewEntry {
                        actor: "test".into(),
                        org: "330100".into(),
                        subject: format!("test/{n}"),
                        event_type: "test.written",
                        payload: serde_json::json!({"n": n, "k": k}),
                    };
                    last = tx.journal(n, e).await?.seq;
                }
                if n % 3 == 0 {
                    return Err(StoreError::Corrupt(format!("command {n} fails")));
                }
                Ok(last)
            })
            .await
            .map(|seq| (n, seq))
        });
    }
    let (mut kept, mut failed) = (vec![], 0);
    while let Some(r) = tasks.join_next().await {
        match r.expect("task") {
            Ok((n, seq)) => kept.push((n, seq)),
            Err(StoreError::Corrupt(_)) => failed += 1,
            Err(e) => panic!("unexpected failure: {e}"),
        }
    }
    assert_eq!((kept.len(), failed), (40, 20));
    let mut c = t.app.db.read().await.expect("conn");
    let (head_after, _) = sunshine_store::journal::head(&mut c).await.expect("head");
    assert_eq!(
        head_after - head_before,
        80,
        "two entries for each command that stood, none for those that failed"
    );
    for (n, seq) in kept {
        let stored = sunshine_store::journal::read_after(&mut c, seq - 1, 1)
            .await
            .expect("read");
        assert_eq!(
            stored[0].subject,
            format!("test/{n}"),
            "the sequence a command was told is where its entry is"
        );
    }
    let survivors = sunshine_store::journal::by_subject(&mut c, "test/3")
        .await
        .expect("history");
    assert!(survivors.is_empty(), "a failed command's entries are gone");
    assert_eq!(
        sunshine_store::journal::cursor(&mut c, "test-3")
            .await
            .expect("cursor"),
        0,
        "and so is its write"
    );
    drop(c);
    assert_eq!(
        t.app.verify_journal().await.expect("verify"),
        Verification::Intact {
            entries: head_after as u64
        }
    );
    t.stop().await;
}

#[tokio::test]
async fn a_library_version_s_spec_is_kept_in_memory_and_a_draft_s_never() {
    let t = TestApp::with_organisations().await.expect("platform");
    let (admin, editor) = admin_as_editor(&t).await;
    let draft = t
        .app
        .create_item(&editor, spec("XK-00900-000"))
        .await
        .expect("draft");
    let mut c = t.app.db.read().await.expect("conn");
    let first = t.app.specs.spec(&mut c, draft.id).await.expect("spec");
    assert_eq!(first.map(|s| s.name.clone()), Some("并发测试事项".into()));
    let mut edited = spec("XK-00900-000");
    edited.name = "改过的事项".into();
    t.app
        .update_draft(&editor, draft.id, edited)
        .await
        .expect("edit");
    let again = t.app.specs.spec(&mut c, draft.id).await.expect("spec");
    assert_eq!(
        again.map(|s| s.name.clone()),
        Some("改过的事项".into()),
        "a draft can change, so its spec is read afresh"
    );
    assert!(
        t.app
            .specs
            .spec(&mut c, draft.id + 1000)
            .await
            .expect("spec")
            .is_none(),
        "no version, no spec"
    );
    drop(c);
    // The first administrator reviews and approves too: it holds every role of the city.
    let staff = admin.clone();
    let today = t.app.clock.today();
    for step in [
        WorkflowStep::Declare,
        WorkflowStep::Review,
        WorkflowStep::Approve,
        WorkflowStep::Publish { effective: today },
    ] {
        t.app
            .workflow_step(&staff, draft.id, step)
            .await
            .expect("step");
    }
    let mut c = t.app.db.read().await.expect("conn");
    let loaded = t.app.specs.spec(&mut c, draft.id).await.expect("spec");
    let kept = t.app.specs.spec(&mut c, draft.id).await.expect("spec");
    match (loaded, kept) {
        (Some(a), Some(b)) => {
            assert_eq!(a.name, "改过的事项");
            assert!(
                std::sync::Arc::ptr_eq(&a, &b),
                "a version in the library is parsed once"
            );
        }
        other => panic!("the library version has a spec: {other:?}"),
    }
    drop(c);
    t.stop().await;
}

/// Hold the writer inside a command for a moment, so that the commands sent
/// meanwhile make up the next batch together.
async fn hold_the_writer(db: &sunshine_store::Db) -> tokio::task::JoinHandle<()> {
    let (started, running) = tokio::sync::oneshot::channel();
    let db = db.clone();
    let held = tokio::spawn(async move {
        db.write(async move |_tx: &mut WriteTx| -> Result<(), StoreError> {
            let _ = started.send(());
            std::thread::sleep(std::time::Duration::from_millis(300));
            Ok(())
        })
        .await
        .expect("the holding command");
    });
    running.await.expect("the writer took the holding command");
    held
}

async fn cursor_of(db: &sunshine_store::Db, name: &str) -> i64 {
    let mut c = db.read().await.expect("conn");
    sunshine_store::journal::cursor(&mut c, name)
        .await
        .expect("cursor")
}

#[tokio::test]
async fn commands_that_decide_first_share_a_batch_with_others_and_a_refusal_costs_no_one() {
    let t = TestApp::with_organisations().await.expect("platform");
    let held = hold_the_writer(&t.app.db).await;
    // One batch of thirty: every third decides to refuse after a read and
    // before it writes; every fifth is an ordinary command (with a savepoint)
    // that writes and then fails; the rest write and stand.
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..30i64 {
        let db = t.app.db.clone();
        tasks.spawn(async move {
            let name = format!("decided-{n}");
            let command = async move |tx: &mut WriteTx| -> Result<(), StoreError> {
                let seen = sunshine_store::journal::cursor(tx.conn(), &name).await?;
                if n % 3 == 0 && n % 5 != 0 {
                    return Err(StoreError::Corrupt(format!(
                        "{n} refused, having read {seen}"
                    )));
                }
                sqlx::query("INSERT INTO consumer_cursors (name, seq) VALUES ($1, $2)")
                    .bind(&name)
                    .bind(n + 1)
                    .execute(tx.conn())
                    .await?;
                tx.journal(
                    n,
                    sunshine_domain::journal::NewEntry {
                        actor: "test".into(),
                        org: "330100".into(),
                        subject: format!("decided/{n}"),
                        event_type: "test.written",
                        payload: serde_json::json!({"n": n}),
                    },
                )
                .await?;
                if n % 5 == 0 {
                    return Err(StoreError::Corrupt(format!("{n} failed after writing")));
                }
                Ok(())
            };
            let result = if n % 5 == 0 {
                db.write(command).await
            } else {
                db.write_decided(command).await
            };
            (n, result)
        });
    }
    held.await.expect("held");
    let mut refused = vec![];
    while let Some(r) = tasks.join_next().await {
        let (n, result) = r.expect("task");
        match result {
            Ok(()) => {}
            Err(StoreError::Corrupt(_)) => refused.push(n),
            Err(e) => panic!("command {n}: {e}"),
        }
    }
    refused.sort();
    assert_eq!(
        refused,
        [0, 3, 5, 6, 9, 10, 12, 15, 18, 20, 21, 24, 25, 27],
        "each refused alone"
    );
    for n in 0..30i64 {
        let stored = cursor_of(&t.app.db, &format!("decided-{n}")).await;
        let expected = if refused.contains(&n) { 0 } else { n + 1 };
        assert_eq!(stored, expected, "command {n}'s row");
    }
    assert!(matches!(
        t.app.verify_journal().await.expect("verify"),
        Verification::Intact { .. }
    ));
    t.stop().await;
}

#[tokio::test]
async fn a_command_that_refuses_after_writing_without_a_savepoint_leaves_nothing_half_written() {
    let t = TestApp::with_organisations().await.expect("platform");
    let held = hold_the_writer(&t.app.db).await;
    // Ten commands in one batch; the fifth breaks its promise to decide
    // before it writes.
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..10i64 {
        let db = t.app.db.clone();
        tasks.spawn(async move {
            let result = db
                .write_decided(async move |tx: &mut WriteTx| -> Result<(), StoreError> {
                    sqlx::query("INSERT INTO consumer_cursors (name, seq) VALUES ($1, $2)")
                        .bind(format!("promise-{n}"))
                        .bind(n + 1)
                        .execute(tx.conn())
                        .await?;
                    if n == 4 {
                        return Err(StoreError::Corrupt("refused after writing".into()));
                    }
                    Ok(())
                })
                .await;
            (n, result)
        });
    }
    held.await.expect("held");
    let mut stood = vec![];
    while let Some(r) = tasks.join_next().await {
        let (n, result) = r.expect("task");
        if result.is_ok() {
            stood.push(n);
        }
    }
    stood.sort();
    match sunshine_testkit::backend() {
        // Without savepoints its change cannot be undone alone: the batch goes.
        sunshine_store::Backend::Sqlite => assert_eq!(stood, Vec::<i64>::new()),
        // PostgreSQL gives every command a savepoint: it fails alone.
        sunshine_store::Backend::Postgres => assert_eq!(stood, [0, 1, 2, 3, 5, 6, 7, 8, 9]),
    }
    for n in 0..10i64 {
        let expected = if stood.contains(&n) { n + 1 } else { 0 };
        assert_eq!(
            cursor_of(&t.app.db, &format!("promise-{n}")).await,
            expected,
            "command {n}: a row for each command that stood, and only for those"
        );
    }
    let admin = t.app.staff_actor("admin").await.expect("admin");
    t.app
        .issue_api_token(&admin, "after the broken batch")
        .await
        .expect("the writer still writes");
    assert!(matches!(
        t.app.verify_journal().await.expect("verify"),
        Verification::Intact { .. }
    ));
    t.stop().await;
}
