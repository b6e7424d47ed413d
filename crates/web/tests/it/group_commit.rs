//! Group commit: concurrent commands share transactions, yet each one stands
//! or falls alone, and nothing is acknowledged that is not durable.

use futures_util::future::BoxFuture;
use sunshine_app::AppError;
use sunshine_store::journal::Verification;
use sunshine_store::{StoreError, WriteTx};
use sunshine_testkit::TestApp;

fn spec(code: &str) -> sunshine_domain::catalog::ItemSpec {
    let mut v = crate::support::item(code, "并发测试事项");
    v["state"] = serde_json::Value::Null;
    serde_json::from_value(v).expect("spec")
}

#[tokio::test]
async fn a_refused_command_in_a_batch_rolls_back_only_itself() {
    let t = TestApp::with_organisations().await.expect("platform");
    let admin = t.app.staff_actor("admin").await.expect("admin");
    t.app
        .grant_role(&admin, "admin", "catalog_editor", "330100")
        .await
        .expect("grant");
    let editor = t.app.staff_actor("admin").await.expect("editor");
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
        .write(
            |tx: &mut WriteTx| -> BoxFuture<'_, Result<(), StoreError>> {
                Box::pin(async move {
                    sqlx::query("UPDATE organisations SET name = 'x' WHERE code = '330100'")
                        .execute(tx.conn())
                        .await?;
                    panic!("a bug in a command");
                })
            },
        )
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
