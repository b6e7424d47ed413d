//! The platform's backup page: its administrators see the last good
//! backup, the RPO achieved and the drill, and can drill now; nobody else
//! sees it; a platform without a backup says how to keep one.

use sunshine_testkit::browser::Browser;
use sunshine_testkit::{shared_demo, TestApp};

async fn sign_in(b: &Browser, base: &str, login: &str) -> anyhow::Result<()> {
    b.goto(&format!("{base}/login?lang=zh")).await?;
    b.fill("#login", login).await?;
    b.fill("#password", sunshine_app::demo::DEMO_PASSWORD)
        .await?;
    b.click("#sign-in").await?;
    b.wait_for("form[action='/logout']").await
}

#[tokio::test]
async fn an_administrator_watches_the_backup_and_drills_a_restore() -> anyhow::Result<()> {
    let t = TestApp::demo_backed_up().await?;
    // Wait for the first generation to be sealed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let sealed = |t: &TestApp| {
        t.app
            .db
            .replica_status()
            .is_some_and(|s| s.base_sealed_us.is_some())
    };
    while !sealed(&t) {
        assert!(std::time::Instant::now() < deadline, "no base was sealed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // A write reaches the backup.
    t.token("admin").await?;
    let b = Browser::start().await?;
    sign_in(&b, &t.base, "admin").await?;
    b.click("a[href='/staff/backup']").await?;
    b.wait_for("#backup-status").await?;
    assert!(
        !b.text("#last-good").await?.contains("尚无"),
        "a last good backup is shown"
    );
    assert_eq!(
        b.client
            .find_all(fantoccini::Locator::Css("#generations tbody tr"))
            .await?
            .len(),
        1
    );
    b.check_page(false).await?;
    b.click("#drill-now").await?;
    b.wait_text("#drill-verdict", "通过").await?;
    let text = b.page_text().await?;
    assert!(
        text.contains("恢复演练通过"),
        "the drill's outcome is told: {text}"
    );
    b.screenshot(&crate::browser::shots().join("backup.png"))
        .await?;
    b.goto(&format!("{}/staff/backup?lang=en", t.base)).await?;
    b.check_page(true).await?;
    assert!(b.text("#drill-result").await?.contains("Passed"));
    // The drill restored what the backup holds: the archive and the drill agree.
    let status = t
        .app
        .backup_status(
            &t.app
                .staff_actor("admin")
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .expect("a backup");
    let drill = status.last_drill.expect("a drill");
    assert!(drill.ok, "{}", drill.message);
    t.stop().await;
    Ok(())
}

#[tokio::test]
async fn only_the_platforms_administrators_see_the_backup() -> anyhow::Result<()> {
    let base = &shared_demo().base;
    let b = Browser::start().await?;
    sign_in(&b, base, "admin").await?;
    b.goto(&format!("{base}/staff/backup")).await?;
    b.wait_for("#backup-off").await?;
    b.check_page(false).await?;
    drop(b);
    for login in ["clerk", "supervisor", "xihu.approver", "card.operator"] {
        let (c, _) = crate::pages::signed_in(login).await;
        let status = c.get(format!("{base}/staff/backup")).send().await?.status();
        assert_eq!(
            status,
            reqwest::StatusCode::FORBIDDEN,
            "{login} opens the backup page"
        );
        let csrf = "x";
        let status = c
            .post(format!("{base}/staff/backup/drill"))
            .form(&[("csrf", csrf)])
            .send()
            .await?
            .status();
        assert!(status.is_client_error(), "{login} may drill: {status}");
    }
    Ok(())
}
