//! The hall in a real headless Chromium: a citizen applies online with a
//! file and a clerk takes the case to approval; a supervisor follows a red
//! card to the public board.

use super::*;

/// An item of the demo with few steps, found as the public would.
async fn item_with_code(code: &str) -> anyhow::Result<i64> {
    let list: serde_json::Value =
        reqwest::get(shared_demo().url(&format!("/api/v1/catalog/items?q={code}")))
            .await?
            .json()
            .await?;
    list["items"][0]["item_id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("no item {code}: {list}"))
}

#[tokio::test]
async fn a_citizen_applies_online_with_a_file_and_a_clerk_takes_the_case_to_approval(
) -> anyhow::Result<()> {
    // 住房公积金提取: two steps, four required materials.
    let item_id = item_with_code("GG-01106-000").await?;
    let scan = std::env::temp_dir().join(format!("sunshine-scan-{}.pdf", unique()));
    std::fs::write(&scan, crate::support::PDF)?;
    let b = Browser::start().await?;

    sign_in(&b, sunshine_app::demo::DEMO_CITIZEN_ID).await?;
    b.goto(&shared_demo().url(&format!("/catalog/{item_id}")))
        .await?;
    b.click("#apply").await?;
    b.wait_for("#submit-application").await?;
    b.check_page(false).await?;
    b.goto(&shared_demo().url(&format!("/hall/apply/{item_id}?lang=en")))
        .await?;
    b.check_page(true).await?;
    b.goto(&shared_demo().url(&format!("/hall/apply/{item_id}?lang=zh")))
        .await?;
    b.wait_for("#submit-application").await?;
    // A mobile number that is not one: the form comes back with the reason
    // beside it, and the four files already uploaded.
    for (id, value) in [
        ("#answer-applicant_name", "王小明"),
        ("#answer-id_number", sunshine_app::demo::DEMO_CITIZEN_ID),
        ("#answer-fund_account_no", "330100123456"),
        ("#answer-amount_yuan", "5000"),
        ("#answer-bank_account", "6222000011112222"),
        ("#answer-mobile", "12"),
    ] {
        b.fill(id, value).await?;
    }
    b.set("#answer-withdraw_reason", "租赁住房").await?;
    for slot in 0..4 {
        b.client
            .find(Locator::Css(&format!("#file-{slot}")))
            .await?
            .send_keys(&scan.display().to_string())
            .await?;
    }
    b.screenshot(&shots().join("hall-apply.png")).await?;
    b.click("#submit-application").await?;
    b.wait_for("#answer-mobile-error").await?;
    let shown = b.page_text().await?;
    assert_eq!(
        shown.matches("已上传：").count(),
        4,
        "the four files are kept: {shown}"
    );
    b.screenshot(&shots().join("hall-apply-error.png")).await?;
    // Fixed without choosing a file again.
    b.fill("#answer-mobile", "13812345678").await?;
    b.click("#submit-application").await?;
    b.wait_for("#submitted").await?;
    b.check_page(false).await?;
    let number = b.text("#number").await?;
    assert!(number.starts_with("2026-330100-"), "{number}");
    let code = b.text("#query-code").await?;
    assert_eq!(code.len(), 8);
    assert!(b.text("#flash").await?.contains(&number));
    let files = b.text("#files").await?;
    assert!(
        files.contains(
            &scan
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("?")
                .to_string()
        ),
        "the uploaded file is listed: {files}"
    );
    b.screenshot(&shots().join("hall-submitted.png")).await?;
    b.goto(&shared_demo().url(&format!("/hall/cases/{number}?lang=en")))
        .await?;
    b.check_page(true).await?;
    for path in [
        "/hall/my".to_string(),
        format!("/hall/track?number={number}&code={code}"),
    ] {
        let sep = if path.contains('?') { '&' } else { '?' };
        b.goto(&shared_demo().url(&format!("{path}{sep}lang=zh")))
            .await?;
        b.check_page(false).await?;
        b.goto(&shared_demo().url(&format!("{path}{sep}lang=en")))
            .await?;
        b.check_page(true).await?;
    }
    b.goto(&shared_demo().url("/lang?to=zh")).await?;
    sign_out(&b).await?;

    sign_in(&b, "clerk").await?;
    b.goto(&shared_demo().url(&format!("/staff/cases?q={number}")))
        .await?;
    b.wait_for(&format!("a[href='/staff/cases/{number}']"))
        .await?;
    b.check_page(false).await?;
    b.goto(&shared_demo().url("/staff/cases?lang=en")).await?;
    b.check_page(true).await?;
    b.goto(&shared_demo().url(&format!("/staff/cases/new?item_id={item_id}")))
        .await?;
    b.check_page(false).await?;
    b.goto(&shared_demo().url(&format!("/staff/cases/new?item_id={item_id}&lang=en")))
        .await?;
    b.check_page(true).await?;
    b.goto(&shared_demo().url(&format!("/staff/cases?q={number}&lang=zh")))
        .await?;
    b.click(&format!("a[href='/staff/cases/{number}']")).await?;
    b.check_page(false).await?;
    b.click("#do-accept").await?;
    b.wait_for("#do-claim_and_pass").await?;
    b.click("#do-claim_and_pass").await?;
    b.wait_for("#do-claim").await?;
    b.click("#do-claim").await?;
    b.wait_for("#do-approve").await?;
    assert_eq!(
        b.text("#do-approve").await?,
        "同意办理，办结",
        "a housing-fund withdrawal is no licence"
    );
    b.check_page(false).await?;
    b.goto(&shared_demo().url(&format!("/staff/cases/{number}?lang=en")))
        .await?;
    b.check_page(true).await?;
    b.goto(&shared_demo().url(&format!("/staff/cases/{number}?lang=zh")))
        .await?;
    b.wait_for("#do-approve").await?;
    b.screenshot(&shots().join("hall-clerk-case.png")).await?;
    b.click("#do-approve").await?;
    b.wait_text("#state", "已办结（同意）").await?;
    b.wait_for("#licence-link").await?;
    b.screenshot(&shots().join("hall-approved.png")).await?;
    sign_out(&b).await?;

    // The citizen finds the e-licence on the case page and takes its file.
    sign_in(&b, sunshine_app::demo::DEMO_CITIZEN_ID).await?;
    b.goto(&shared_demo().url(&format!("/hall/cases/{number}")))
        .await?;
    b.click("#licence-link").await?;
    b.wait_for("#qr svg").await?;
    b.check_page(false).await?;
    let licence_page = b.client.current_url().await?.to_string();
    b.goto(&format!("{licence_page}?lang=en")).await?;
    b.check_page(true).await?;
    b.goto(&licence_page).await?;
    b.wait_for("#qr svg").await?;
    assert!(b.text("#verdict").await?.contains("有效"));
    let href = b
        .client
        .find(Locator::Css("#download-json"))
        .await?
        .attr("href")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the licence page links its file"))?;
    let file: serde_json::Value = reqwest::get(shared_demo().url(&href)).await?.json().await?;
    let token = file["token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("the file carries its signed token: {file}"))?
        .to_string();
    sign_out(&b).await?;

    // Anyone pastes it into the public verification page: valid.
    b.goto(&shared_demo().url("/licences/verify")).await?;
    b.fill("#token", &token).await?;
    b.click("#verify-token").await?;
    b.wait_for("#verdict.valid").await?;
    assert!(b.text("#licence-fields").await?.contains(&number));
    b.screenshot(&shots().join("hall-licence-verified.png"))
        .await?;

    // The public board shows the case, its applicant masked.
    crate::board_pages::on_board(&shared_demo().base, &number, "approved").await;
    b.goto(&shared_demo().url(&format!("/board?item_id={item_id}")))
        .await?;
    let row = format!("#board tr[data-number='{number}']");
    b.wait_for(&row).await?;
    let shown = b.text(&row).await?;
    assert!(shown.contains("王某"), "{shown}");
    assert!(
        !b.page_text()
            .await?
            .contains(sunshine_app::demo::DEMO_CITIZEN_ID),
        "no identity number on the board"
    );
    b.screenshot(&shots().join("hall-board.png")).await?;
    b.close().await?;
    let _ = std::fs::remove_file(&scan);
    Ok(())
}

/// Supervision in a real browser, on a platform of its own whose simulated
/// clock the test moves: a supervisor sees a red card appear once a case's
/// legal deadline has passed, the unit reports its rectification through the
/// workbench form, the supervisor closes the card, and the public
/// supervision board counts it as rectified.
#[tokio::test]
async fn a_supervisor_sees_a_red_card_appear_and_the_units_rectification_reaches_the_public_board(
) -> anyhow::Result<()> {
    use crate::support::Api;
    let t = sunshine_testkit::TestApp::demo().await?;
    let clerk = Api::as_user(&t.base, "clerk").await;
    let (item_id, guide) = crate::hall_api::first_city_item(&t.base).await;
    let number = crate::hall_api::accepted_counter_case(&clerk, item_id, &guide).await;
    let (_, claimed) =
        crate::hall_api::act(&clerk, &number, serde_json::json!({"command": "claim"})).await;
    let legal: jiff::civil::Date = claimed["legal_due"].as_str().unwrap_or_default().parse()?;
    let department = claimed["department"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let red_row = format!("tr.level-red[data-case='{number}'][data-rule='time.legal_overdue']");

    let b = Browser::start().await?;
    sign_in_at(&b, &t.base, "supervisor").await?;
    b.goto(&t.url("/staff/signals")).await?;
    assert!(
        b.client.find(Locator::Css(&red_row)).await.is_err(),
        "no red card yet"
    );

    // The legal deadline passes; the serving process's own timer fires.
    t.clock
        .set(sunshine_domain::clock::end_of_local_day(legal) + jiff::SignedDuration::from_hours(2));
    // Sessions age with the platform's clock: sign in again after the jump.
    sign_in_at(&b, &t.base, "supervisor").await?;
    let mut seen = false;
    for _ in 0..40 {
        b.goto(&t.url("/staff/signals")).await?;
        if b.client.find(Locator::Css(&red_row)).await.is_ok() {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(seen, "the red card appeared in the workbench");
    b.screenshot(&shots().join("supervision-red-card.png"))
        .await?;
    let id = b
        .client
        .find(Locator::Css(&red_row))
        .await?
        .attr("id")
        .await?
        .unwrap_or_default()
        .trim_start_matches("signal-")
        .to_string();
    let rectified = |html: String| -> i64 {
        let marker = format!("data-department=\"{department}\"");
        html.split(&marker)
            .nth(1)
            .and_then(|row| row.split("class=\"num rectified\">").nth(1))
            .and_then(|cell| cell.split('<').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    };
    let before = rectified(reqwest::get(t.url("/supervision")).await?.text().await?);
    sign_out(&b).await?;

    // The unit answers through the form on the signal's own page.
    sign_in_at(&b, &t.base, "clerk").await?;
    b.goto(&t.url(&format!("/staff/signals/{id}"))).await?;
    b.fill("#text-respond", "已约谈承办人，案件于当日办结")
        .await?;
    b.click("#do-respond").await?;
    b.wait_for("#signal[data-state='responded']").await?;
    b.wait_for("#flash").await?;
    sign_out(&b).await?;

    // The supervisor closes it; the public board counts it as rectified.
    sign_in_at(&b, &t.base, "supervisor").await?;
    b.goto(&t.url(&format!("/staff/signals/{id}"))).await?;
    b.fill("#text-close", "整改到位，予以办结").await?;
    b.click("#do-close").await?;
    b.wait_for("#signal[data-state='closed']").await?;
    // Then look until it is closed.
    let closed = format!("#signal-{id}[data-state='closed']");
    let mut is_closed = false;
    for _ in 0..120 {
        b.goto(&t.url("/staff/signals?show=all")).await?;
        if b.client.find(Locator::Css(&closed)).await.is_ok() {
            is_closed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(is_closed, "the supervisor closed the signal");
    b.goto(&t.url("/supervision")).await?;
    b.wait_for("#supervision-board").await?;
    b.screenshot(&shots().join("supervision-board.png")).await?;
    let after = rectified(b.client.source().await?);
    assert_eq!(
        after,
        before + 1,
        "the public board counts the rectified card"
    );
    assert!(
        !b.page_text().await?.contains(&number),
        "no case on the public board"
    );
    b.close().await?;
    t.stop().await;
    Ok(())
}
