//! The hotline in a real headless Chromium: a request from the citizen to
//! the unit and back, a request made on the TV, and the administration page.

use super::*;

/// The hotline end to end: a citizen asks on the web, the operator
/// dispatches it from the workbench, the unit signs for it and answers, the
/// operator checks the answer, the citizen rates it, and the public
/// dashboard counts it.
#[tokio::test]
async fn a_request_goes_from_the_citizen_to_the_unit_and_back_and_the_dashboard_counts_it(
) -> anyhow::Result<()> {
    let t = sunshine_testkit::TestApp::demo().await?;
    let base = t.base.clone();
    let b = Browser::start().await?;
    let citizen = sunshine_app::demo::DEMO_CITIZEN_ID;

    sign_in_at(&b, &base, citizen).await?;
    b.goto(&format!("{base}/hotline/my")).await?;
    b.set("#request-category", "streetlight.out").await?;
    b.fill("#request-address", "文三路与学院路口").await?;
    b.fill("#request-description", "路灯连续三晚不亮").await?;
    b.click("#new-request-submit").await?;
    b.wait_for("#ticket").await?;
    let url = b.client.current_url().await?;
    let id: i64 = url.path().rsplit('/').next().unwrap_or("").parse()?;
    b.wait_text("#ticket-state", "已受理").await?;
    sign_out(&b).await?;

    sign_in_at(&b, &base, "operator").await?;
    b.goto(&format!("{base}/staff/hotline")).await?;
    // Looking up what a caller says suggests the category and an answer.
    b.fill("#lookup-said", "小区门口路灯坏了").await?;
    b.click("#look-up-submit").await?;
    b.wait_for("#call-suggested").await?;
    let picked = b
        .client
        .find(Locator::Css("#call-category"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(
        picked, "streetlight.out",
        "the suggested category is chosen"
    );
    b.wait_for(&format!("#hotline-queue tr[data-id='{id}'] a"))
        .await?;
    b.screenshot(&shots().join("hotline-console.png")).await?;
    b.click(&format!("#hotline-queue tr[data-id='{id}'] a"))
        .await?;
    b.wait_for("#do-dispatch").await?;
    b.click("#do-dispatch").await?;
    b.wait_text("#ticket-state", "已派单").await?;
    sign_out(&b).await?;

    sign_in_at(&b, &base, "clerk").await?;
    b.goto(&format!("{base}/staff/hotline")).await?;
    b.click(&format!("#hotline-inbox tr[data-id='{id}'] a"))
        .await?;
    b.wait_for("#do-sign").await?;
    b.click("#do-sign").await?;
    b.wait_for("#do-answer").await?;
    b.fill("#cmd-answer input[name='text']", "已更换灯泡，路灯恢复照明")
        .await?;
    b.click("#do-answer").await?;
    b.wait_text("#ticket-state", "办结待审").await?;
    sign_out(&b).await?;

    sign_in_at(&b, &base, "operator").await?;
    b.goto(&format!("{base}/staff/hotline/{id}")).await?;
    b.click("#do-review_answer").await?;
    b.wait_text("#ticket-state", "待回访").await?;
    sign_out(&b).await?;

    sign_in_at(&b, &base, citizen).await?;
    b.goto(&format!("{base}/hotline/my/{id}")).await?;
    b.wait_text("#ticket-answer", "已更换灯泡，路灯恢复照明")
        .await?;
    b.screenshot(&shots().join("hotline-visit.png")).await?;
    b.click("#do-visit").await?;
    b.wait_text("#ticket-state", "已归档").await?;

    b.goto(&format!("{base}/hotline")).await?;
    b.wait_for("#hotline-all").await?;
    b.screenshot(&shots().join("hotline-dashboard.png")).await?;
    let all = b.text("#hotline-all tbody tr").await?;
    assert!(
        all.contains("100.0%"),
        "satisfied and signed in time: {all}"
    );
    let unit = b.text("#hotline-units tr[data-code='330100-034']").await?;
    assert!(unit.contains("杭州市城市管理办公室"), "{unit}");
    b.close().await?;
    t.stop().await;
    Ok(())
}

/// The digital-TV zone with a remote: arrow keys move through the
/// categories, Enter sends; the request is taken on the TV channel.
#[tokio::test]
async fn a_request_is_made_on_the_tv_with_arrow_keys_and_enter() -> anyhow::Result<()> {
    use fantoccini::key::Key;
    let demo = shared_demo();
    let b = Browser::start().await?;
    b.goto(&demo.url("/kiosk?channel=tv&at=西湖区翠苑一区"))
        .await?;
    b.wait_for("#kiosk-categories input:checked").await?;
    b.screenshot(&shots().join("kiosk.png")).await?;
    let first = b
        .client
        .find(Locator::Css("#kiosk-categories input:checked"))
        .await?;
    first
        .send_keys(&format!("{}{}", Key::Down, Key::Down))
        .await?;
    let chosen = b
        .client
        .find(Locator::Css("#kiosk-categories input:checked"))
        .await?
        .attr("value")
        .await?
        .unwrap_or_default();
    let all = b
        .client
        .find_all(Locator::Css("#kiosk-categories input"))
        .await?;
    let third = all[2].attr("value").await?.unwrap_or_default();
    assert_eq!(
        chosen, third,
        "two presses of the down arrow choose the third"
    );
    // A request says what it is about, and answers its category's questions.
    b.fill("#kiosk-description", "楼道灯坏了").await?;
    if let Ok(first_choice) = b
        .client
        .find(Locator::Css(&format!(
            "fieldset[data-category='{chosen}'] input[type='radio']"
        )))
        .await
    {
        first_choice.click().await?;
    }
    b.client
        .find(Locator::Css("#kiosk-categories input:checked"))
        .await?
        .send_keys(&Key::Enter.to_string())
        .await?;
    b.wait_for("#kiosk-number").await?;
    let number = b.text("#kiosk-number").await?;
    let id = sunshine_domain::hotline::ticket_id(&number)
        .ok_or_else(|| anyhow::anyhow!("not a request's number: {number}"))?;
    let t = demo
        .with_app(move |app| async move { app.ticket(id).await })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    assert_eq!(t.channel.as_str(), "tv");
    assert_eq!(t.category, chosen);
    assert_eq!(
        t.address.as_deref(),
        Some("西湖区翠苑一区"),
        "the kiosk's own place"
    );
    // At home, the caller adds the request to their account with the
    // number and the query code the TV showed.
    let code = b.text("#kiosk-code").await?;
    assert_eq!(code, t.query_code, "the code shown is the request's");
    sign_in(&b, sunshine_app::demo::DEMO_CITIZEN_ID).await?;
    b.goto(&demo.url("/hotline/my")).await?;
    b.fill("#claim-number", &number).await?;
    b.fill("#claim-code", &code.to_lowercase()).await?;
    b.click("#claim-submit").await?;
    b.wait_for("#ticket").await?;
    b.wait_text("#ticket-query-code", &code).await?;
    b.goto(&demo.url("/hotline/my")).await?;
    b.wait_for(&format!("#my-requests tr[data-id='{id}']"))
        .await?;
    b.close().await?;
    Ok(())
}

/// An administrator issues an Open311 client's key on the hotline's
/// administration page and reads it once; adds a unit; and a category
/// with a wrong limit comes back with the reason and the input.
#[tokio::test]
async fn an_administrator_issues_a_key_and_adds_a_unit_on_the_hotline_page() -> anyhow::Result<()> {
    let demo = shared_demo();
    let b = Browser::start().await?;
    sign_in(&b, "admin").await?;
    b.goto(&demo.url("/staff/")).await?;
    b.click("#hotline-admin").await?;
    b.wait_for("#admin-categories").await?;
    let client = format!("Browser test client {}", unique());
    b.fill("#key-client", &client).await?;
    b.fill("#key-per-minute", "120").await?;
    b.click("#key-issue-submit").await?;
    b.wait_for("#issued-key code").await?;
    let key = b.text("#issued-key code").await?;
    assert!(key.len() >= 32, "{key}");
    let row = b.text("#admin-keys").await?;
    assert!(row.contains(&client), "{row}");

    let code = format!("330100-B{}", unique());
    b.fill("#unit-code", &code).await?;
    b.fill("#unit-name", "浏览器测试供热公司").await?;
    b.fill("#unit-name-en", "Browser test heating").await?;
    b.click("#unit-add-submit").await?;
    b.wait_for(&format!("#admin-units tr[data-code='{code}']"))
        .await?;

    b.goto(&demo.url("/staff/hotline/admin?edit=water.outage"))
        .await?;
    b.wait_for("#cat-dispatch-hours").await?;
    b.fill("#cat-dispatch-hours", "soon").await?;
    b.click("#category-save").await?;
    b.wait_for("#category-problem").await?;
    let kept = b
        .client
        .find(Locator::Css("#cat-dispatch-hours"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(kept, "soon", "the input is kept");
    b.screenshot(&shots().join("hotline-admin.png")).await?;
    b.close().await?;
    Ok(())
}
