//! The citizen card in a real headless Chromium: a card reported lost is
//! refused at the next tap; a resident binds with a counter code.

use super::*;

/// A terminal's signed upload of one tap of `card`, as a validator sends it.
async fn tap(
    t: &sunshine_testkit::TestApp,
    terminal: &str,
    seq: u64,
    card: &str,
) -> anyhow::Result<serde_json::Value> {
    use sunshine_domain::card::signing;
    let path = format!("/api/v1/card/terminals/{terminal}/taps");
    let now = t.app.now_micros();
    let body = serde_json::json!({"taps": [{"seq": seq, "card": card, "at": now}]}).to_string();
    let ts = now / 1_000_000;
    let sig = signing::sign(
        &sunshine_app::demo::card::demo_terminal_key(terminal),
        &signing::message("POST", &path, ts, body.as_bytes()),
    );
    let r = reqwest::Client::new()
        .post(t.url(&path))
        .header("x-timestamp", ts.to_string())
        .header("x-signature", sig)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "upload: {}", r.status());
    Ok(r.json().await?)
}

#[tokio::test]
async fn a_card_reported_lost_on_its_page_is_refused_at_the_next_tap() -> anyhow::Result<()> {
    let t = sunshine_testkit::TestApp::demo().await?;
    let b = Browser::start().await?;
    // A clerk issues a card at the counter, activates it and takes cash for it.
    crate::support::enrolled(&t.base, "330106198001010013", "林一").await;
    sign_in_at(&b, &t.base, "card.clerk").await?;
    b.goto(&format!("{}/staff/", t.base)).await?;
    b.click("#card-counter").await?;
    b.wait_for("#issue-card").await?;
    b.fill("#issue-holder", "330106198001010013").await?;
    b.fill("#issue-name", "林一").await?;
    b.click("#issue-submit").await?;
    b.wait_for("section.card[data-state='issued']").await?;
    b.set("section.card select.command", "activate").await?;
    b.click("section.card .command-submit").await?;
    b.wait_for("section.card[data-state='active']").await?;
    b.fill("section.card .top-up-amount", "five").await?;
    b.click("section.card .top-up-submit").await?;
    b.wait_for("#counter-problem").await?;
    b.fill("section.card .top-up-amount", "50").await?;
    b.click("section.card .top-up-submit").await?;
    b.wait_text("section.card .wallet", "50.00 元").await?;
    // The bicycle deposit is 200 yuan: not with 50 in the wallet.
    b.click("section.card .bike-hold").await?;
    b.wait_for("#counter-problem").await?;
    b.wait_text("section.card .wallet", "50.00 元").await?;
    sign_out(&b).await?;

    // The demo citizen sees their card, its rides and their discounts.
    sign_in_at(&b, &t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await?;
    b.goto(&format!("{}/card", t.base)).await?;
    b.wait_for("section.card[data-state='active']").await?;
    let number = b
        .client
        .find(Locator::Css("section.card"))
        .await?
        .attr("data-card")
        .await?
        .unwrap_or_default();
    let before = tap(&t, "BUS-B1-01", 100, &number).await?;
    assert_eq!(before["taps"][0]["outcome"], "charged", "{before}");
    b.goto(&format!("{}/card", t.base)).await?;
    let rides = b.text("section.card table.taps").await?;
    assert!(
        rides.contains("杭州公交集团") && rides.contains("0.09"),
        "place and discount: {rides}"
    );
    b.screenshot(&shots().join("card-before-loss.png")).await?;

    // Reported lost on the page: the next tap is refused.
    b.click("section.card .report-loss-submit").await?;
    b.client.accept_alert().await?;
    b.wait_for("section.card[data-state='lost']").await?;
    let after = tap(&t, "BUS-B1-01", 101, &number).await?;
    assert_eq!(after["taps"][0]["outcome"], "blocked", "{after}");
    assert_eq!(after["taps"][0]["charged"], 0);
    b.goto(&format!("{}/card", t.base)).await?;
    b.wait_for("section.card .cancel-loss-submit").await?;
    let page = b.page_text().await?;
    assert!(
        page.contains("卡已停用，拒绝"),
        "the refused tap is on the card's page"
    );
    b.screenshot(&shots().join("card-lost.png")).await?;
    sign_out(&b).await?;

    // The validator is stolen: an operator retires it on the operations
    // page, and what is uploaded under its key is refused from then on.
    sign_in_at(&b, &t.base, "card.operator").await?;
    b.goto(&format!("{}/staff/card/operations", t.base)).await?;
    // First the medical fund's roll for the month, uploaded as its file.
    let roll = std::env::temp_dir().join(format!("{}-roll.csv", std::process::id()));
    std::fs::write(&roll, format!("划入编号,卡号,金额\n77001,{number},88.00\n"))?;
    b.client
        .find(Locator::Css("#medical-roll-file"))
        .await?
        .send_keys(&roll.display().to_string())
        .await?;
    b.click("#medical-roll-send").await?;
    b.wait_for("#flash").await?;
    let said = b.text("#flash").await?;
    assert!(said.contains("本次划入1笔"), "{said}");
    let _ = std::fs::remove_file(&roll);
    let row = "#terminals tr[data-code='BUS-B1-01']";
    b.wait_for(&format!("{row}[data-retired='false']")).await?;
    b.fill(&format!("{row} .retire-reason"), "被盗").await?;
    b.click(&format!("{row} .retire-submit")).await?;
    b.wait_for(&format!("{row}[data-retired='true']")).await?;
    b.screenshot(&shots().join("card-terminal-retired.png"))
        .await?;
    let refused = tap(&t, "BUS-B1-01", 102, &number).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("403")),
        "a retired validator's upload: {refused:?}"
    );
    // The month's payouts from civil affairs' funds, tying out with its
    // account on the books; a month mistyped is said so. The community's
    // worker has paid the month's age allowances.
    let month = {
        use sunshine_domain::clock::Clock;
        t.clock.today().strftime("%Y-%m").to_string()
    };
    let worker = crate::support::Api::as_user(&t.base, sunshine_app::demo::COMMUNITY_WORKER).await;
    let (status, paid) = worker
        .post(
            "/api/v1/care/communities/330106001001/allowances/payments",
            serde_json::json!({"month": month}),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{paid}");
    b.goto(&format!("{}/staff/card/operations", t.base)).await?;
    b.click("#payouts-link").await?;
    b.wait_for("#payouts-allowance-330106-001001").await?;
    b.check_page(false).await?;
    let tie = b.client.find(Locator::Css("#payouts-tie-out")).await?;
    assert_eq!(tie.attr("data-ties-out").await?.as_deref(), Some("true"));
    b.screenshot(&shots().join("card-payouts.png")).await?;
    b.fill("#payouts-month-input", "2026-13").await?;
    b.click("#payouts-month button").await?;
    b.wait_for("#payouts-error").await?;
    assert!(b.text("#payouts-error").await?.contains("YYYY-MM"));
    b.close().await?;
    t.stop().await;
    Ok(())
}

/// 实名核验 in a real browser: a resident signs up and sees no card; the
/// counter issues a code after checking the papers; the resident binds
/// with it and sees the card. A second sign-up on the same number gets the
/// same answer as any sign-up, never sees the resident's card, and is
/// closed once the resident binds.
#[tokio::test]
async fn a_resident_signs_up_binds_with_a_counter_code_and_then_sees_the_card() -> anyhow::Result<()>
{
    let base = &shared_demo().base;
    let n = unique();
    let resident = {
        let body = format!("33010619880808{:03}", n % 1000);
        let check = sunshine_domain::ids::ResidentId::check_char(&body).expect("17 digits");
        format!("{body}{check}")
    };
    // The card centre has already issued the resident a card.
    crate::support::enrolled(base, &resident, "钱七").await;
    let card_clerk = crate::support::Api::as_user(base, "card.clerk").await;
    let (status, card) = card_clerk
        .post(
            "/api/v1/cards",
            serde_json::json!({"holder": resident, "holder_name": "钱七"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{card}");
    let number = card["number"].as_str().unwrap_or_default().to_string();

    let b = Browser::start().await?;
    let sign_up = |login: String| {
        let (b, resident) = (&b, resident.clone());
        async move {
            b.goto(&format!("{base}/signup")).await?;
            b.fill("#signup-login", &login).await?;
            b.fill("#signup-name", "钱七").await?;
            b.fill("#signup-number", &resident).await?;
            b.fill("#signup-password", "long-enough-1").await?;
            b.fill("#signup-password-again", "long-enough-1").await?;
            b.click("#signup-submit").await?;
            b.wait_for("#not-bound").await?;
            b.page_text().await
        }
    };
    // Someone else gets there first with the resident's number.
    let first = sign_up(format!("early.{n}")).await?;
    b.goto(&format!("{base}/card")).await?;
    b.wait_for("#not-bound").await?;
    let text = b.page_text().await?;
    assert!(
        !text.contains(&number),
        "an unbound account sees no card: {text}"
    );
    sign_out(&b).await?;
    // The resident signs up: the same answer as anyone gets.
    let second = sign_up(format!("qian.qi.{n}")).await?;
    assert_eq!(
        first.replace(&format!("early.{n}"), ""),
        second.replace(&format!("qian.qi.{n}"), ""),
        "sign-up answers alike whether the number had an account"
    );
    b.screenshot(&shots().join("signup-unbound.png")).await?;
    sign_out(&b).await?;

    // At the counter, the clerk checks the papers and issues a code.
    sign_in(&b, "clerk").await?;
    b.goto(&format!("{base}/staff/binding")).await?;
    b.fill("#binding-number", &resident).await?;
    b.fill("#binding-name", "钱七").await?;
    b.click("#issue-binding-code").await?;
    b.wait_for("#issued-code").await?;
    let code = b.text("#issued-code").await?;
    b.screenshot(&shots().join("binding-code.png")).await?;
    sign_out(&b).await?;

    // The resident binds with it and sees the card.
    b.goto(&format!("{base}/login")).await?;
    b.fill("#login", &format!("qian.qi.{n}")).await?;
    b.fill("#password", "long-enough-1").await?;
    b.click("#sign-in").await?;
    b.wait_for("form[action='/logout']").await?;
    b.goto(&format!("{base}/account/bind")).await?;
    b.fill("#binding-code", &code).await?;
    b.click("#bind-with-code").await?;
    b.wait_for("#bound").await?;
    b.goto(&format!("{base}/card")).await?;
    b.wait_for(&format!("section[data-card='{number}']"))
        .await?;
    b.screenshot(&shots().join("card-after-binding.png"))
        .await?;
    sign_out(&b).await?;

    // The early account is closed: its password no longer signs in.
    b.goto(&format!("{base}/login")).await?;
    b.fill("#login", &format!("early.{n}")).await?;
    b.fill("#password", "long-enough-1").await?;
    b.click("#sign-in").await?;
    b.wait_for("#login-error").await?;
    b.close().await
}

#[tokio::test]
async fn a_hall_clerk_checks_a_social_security_entitlement_on_the_card() -> anyhow::Result<()> {
    let base = &shared_demo().base;
    let citizen = crate::support::Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (_, mine) = citizen.get("/api/v1/cards/mine").await;
    let card = mine[0]["card"]["number"]
        .as_str()
        .expect("the demo citizen's card")
        .to_string();
    let b = Browser::start().await?;
    sign_in_at(&b, base, "clerk").await?;
    b.goto(&format!("{base}/staff/cases/new")).await?;
    b.click("#entitlement-check").await?;
    b.wait_for("#check-card").await?;
    b.fill("#check-card", &card).await?;
    b.set("#check-kind", "medical").await?;
    b.click("#check").await?;
    b.wait_text("#check-verdict", "具备资格").await?;
    b.wait_text("#check-holder", "王小明").await?;
    b.set("#check-kind", "pension").await?;
    b.click("#check").await?;
    b.wait_text("#check-verdict", "未开通该资格").await?;
    b.screenshot(&shots().join("hall-entitlement-check.png"))
        .await?;
    sign_out(&b).await?;
    Ok(())
}
