//! Resource sharing in a real browser, on a platform of its own: the local
//! tax bureau asks for enterprise basic information on the resource's page,
//! the registering department's approver approves it from the approvals
//! queue, the tax bureau issues a key (its secret shown once), a system
//! reads through it, and both see the read on the subscription's page, in
//! Chinese and in English.

use sunshine_app::demo::sharing::{REGISTRATION_APPROVER, REGISTRATION_EDITOR, TAX_EDITOR};
use sunshine_testkit::browser::Browser;
use sunshine_testkit::TestApp;

use super::{shots, sign_in_at, sign_out};

#[tokio::test]
async fn a_department_subscribes_the_owner_approves_a_key_reads_and_both_see_the_read_log(
) -> anyhow::Result<()> {
    let t = TestApp::demo_with_cases(0).await?;
    let b = Browser::start().await?;

    // The tax bureau finds the resource in the catalogue and asks for it.
    sign_in_at(&b, &t.base, TAX_EDITOR).await?;
    b.click("#sharing-link").await?;
    b.wait_for("#resources").await?;
    b.check_page(false).await?;
    b.screenshot(&shots().join("sharing-catalogue.png")).await?;
    b.set("#search-class", "conditional").await?;
    b.click("#catalogue-search button").await?;
    b.wait_for("#search-class option[value='conditional'][selected]")
        .await?;
    let found = b.text("#resources").await?;
    assert!(
        found.contains("企业基础信息") && !found.contains("社会保险参保单位"),
        "{found}"
    );
    b.click("#resources a").await?;
    b.wait_for("#subscribe-form").await?;
    b.check_page(false).await?;
    for unwanted in ["tax_status", "tax_authority", "org_code"] {
        b.click(&format!("#field-{unwanted}")).await?;
    }
    b.fill("#subscribe-purpose", "核对纳税人登记信息，办理税务登记变更")
        .await?;
    b.fill("#subscribe-basis", "《税收征收管理法》第十五条")
        .await?;
    b.click("#subscribe-send").await?;
    b.wait_for("#subscription-state").await?;
    assert_eq!(b.text("#subscription-state").await?, "待审核");
    let subscription = b.client.current_url().await?.to_string();
    sign_out(&b).await?;

    // The owner's approver approves it from the queue.
    sign_in_at(&b, &t.base, REGISTRATION_APPROVER).await?;
    b.click("#sharing-link").await?;
    b.click("#tab-subscriptions").await?;
    b.wait_for("#approvals").await?;
    b.check_page(false).await?;
    b.screenshot(&shots().join("sharing-approvals.png")).await?;
    let queue = b.text("#approvals").await?;
    assert!(queue.contains("杭州市地方税务局"), "{queue}");
    b.goto(&subscription).await?;
    b.fill("#reason-approve", "用于税务登记核对，符合职责")
        .await?;
    b.click("#do-approve").await?;
    b.wait_for("#subscription-state[data-state='approved']")
        .await?;
    assert!(
        b.text("#issue-key").await.is_err(),
        "the owner issues no key"
    );
    sign_out(&b).await?;

    // The tax bureau issues a key; its secret is shown this once.
    sign_in_at(&b, &t.base, TAX_EDITOR).await?;
    b.goto(&subscription).await?;
    b.fill("#key-name", "税务登记系统").await?;
    b.click("#issue-key").await?;
    b.wait_for("#new-key-secret").await?;
    let secret = b.text("#new-key-secret").await?;
    assert!(secret.len() >= 40, "{secret}");
    b.screenshot(&shots().join("sharing-key.png")).await?;

    // A system reads through it: the subscribed fields only.
    let resource = b
        .client
        .find(fantoccini::Locator::Css(".crumbs a[lang='zh-CN']"))
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    let id = resource.rsplit('/').next().unwrap_or_default();
    let page: serde_json::Value = reqwest::Client::new()
        .get(t.url(&format!("/api/v1/sharing/data/{id}")))
        .header("Sharing-Key", &secret)
        .send()
        .await?
        .json()
        .await?;
    let rows = page["rows"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 4, "{page}");
    assert!(rows.iter().all(|r| r.get("tax_status").is_none()), "{page}");

    // The read is on the log, for the subscriber and for the owner.
    b.goto(&subscription).await?;
    b.wait_for("#reads").await?;
    let log = b.text("#reads").await?;
    assert!(
        log.contains("税务登记系统") && log.contains('4') && log.contains("已读取"),
        "{log}"
    );
    assert!(
        b.text("#new-key-secret").await.is_err(),
        "the secret is not shown again"
    );
    b.check_page(false).await?;
    b.client.set_window_size(1280, 1300).await?;
    b.screenshot(&shots().join("sharing-read-log.png")).await?;
    b.goto(&format!("{subscription}?lang=en")).await?;
    b.wait_for("#reads").await?;
    b.check_page(true).await?;
    b.screenshot(&shots().join("sharing-read-log-en.png"))
        .await?;
    sign_out(&b).await?;
    sign_in_at(&b, &t.base, REGISTRATION_APPROVER).await?;
    b.goto(&subscription).await?;
    b.wait_for("#reads").await?;
    assert!(b.text("#reads").await?.contains("税务登记系统"));
    assert!(
        b.text("#tab-conflicts").await.is_err(),
        "the approver sees no enterprise records"
    );
    sign_out(&b).await?;

    // The registering department's cataloguer resolves the demo's conflict.
    sign_in_at(&b, &t.base, REGISTRATION_EDITOR).await?;
    b.click("#sharing-link").await?;
    b.click("#tab-conflicts").await?;
    b.wait_for("form[id^='resolve-']").await?;
    b.check_page(false).await?;
    b.screenshot(&shots().join("sharing-conflicts.png")).await?;
    b.click("input[type='radio'][id$='-2']").await?;
    b.fill("input[id^='reason-']", "现场核实，以实际经营地址为准")
        .await?;
    b.click("button[id$='-send']").await?;
    b.wait_for("#no-conflicts").await?;
    b.close().await?;
    t.stop().await;
    Ok(())
}
