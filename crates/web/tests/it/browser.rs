//! In a real headless Chromium: an editor drafts an item in the workbench, a
//! legal reviewer and an approver take it to the library, and it appears in
//! the public catalogue.

use fantoccini::Locator;
use sunshine_testkit::browser::Browser;
use sunshine_testkit::shared_demo;

use crate::support::unique;

async fn sign_in(b: &Browser, login: &str) -> anyhow::Result<()> {
    sign_in_at(b, &shared_demo().base, login).await
}

async fn sign_in_at(b: &Browser, base: &str, login: &str) -> anyhow::Result<()> {
    b.goto(&format!("{base}/login")).await?;
    b.fill("#login", login).await?;
    b.fill("#password", sunshine_app::demo::DEMO_PASSWORD)
        .await?;
    b.click("#sign-in").await?;
    b.wait_for("form[action='/logout']").await
}

async fn sign_out(b: &Browser) -> anyhow::Result<()> {
    b.click("form[action='/logout'] button").await?;
    b.wait_for("a[href='/login']").await
}

pub(crate) fn shots() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

#[tokio::test]
async fn an_item_drafted_in_the_workbench_reaches_the_public_catalogue_through_review_and_approval(
) -> anyhow::Result<()> {
    let b = Browser::start().await?;
    let code = format!("XK-{:05}-000", unique());
    let name = format!("浏览器测试事项{code}");

    sign_in(&b, "editor").await?;
    b.screenshot(&shots().join("workbench.png")).await?;
    let text = b.page_text().await?;
    assert!(
        text.contains("事项编制"),
        "the workbench shows the editor's role: {text}"
    );
    b.click("#new-item").await?;
    b.wait_for("#code").await?;
    b.fill("#code", &code).await?;
    b.fill("#name", &name).await?;
    b.fill("#legal_basis", "《中华人民共和国行政许可法》第十二条")
        .await?;
    b.fill("#legal_limit_value", "20").await?;
    b.fill("#promised_limit_value", "25").await?;
    b.set(
        "#steps",
        "受理|窗口受理员|审查材料|1|是\n审核|业务处室|实质审查|5|是\n决定|分管领导|作出决定|2|是",
    )
    .await?;
    b.set("#materials", "申请表|1|是|是|\n营业执照复印件|1|否|是|")
        .await?;
    b.set("#conditions", "依法设立的企业法人").await?;
    b.click("#save").await?;
    b.wait_for("#promised_limit-error").await?;
    let err = b.text("#promised_limit-error").await?;
    assert!(
        err.contains("承诺时限不得超过法定时限"),
        "the error stands next to its field: {err}"
    );
    b.screenshot(&shots().join("item-form-error.png")).await?;
    b.fill("#promised_limit_value", "10").await?;
    b.click("#save").await?;
    b.wait_text("#state", "编制中").await?;
    let version_url = b.client.current_url().await?.to_string();
    b.click("#do-declare").await?;
    b.wait_text("#state", "已申报").await?;
    sign_out(&b).await?;

    sign_in(&b, "reviewer").await?;
    b.goto(&version_url).await?;
    b.click("#do-review").await?;
    b.wait_text("#state", "已审核").await?;
    sign_out(&b).await?;

    sign_in(&b, "approver").await?;
    b.goto(&version_url).await?;
    b.click("#do-approve").await?;
    b.wait_text("#state", "已批准").await?;
    b.click("#do-publish").await?;
    b.wait_text("#state", "已入库").await?;
    let history = b.text("#history").await?;
    // Each step by the person who took it, by name, in words.
    for line in [
        "陈编制",
        "李法制",
        "赵审批",
        "申报",
        "法制审核通过",
        "审批通过",
        "入库",
    ] {
        assert!(history.contains(line), "the history says {line}: {history}");
    }
    assert!(
        !history.contains("staff:"),
        "no journal actor codes: {history}"
    );
    b.screenshot(&shots().join("version-in-library.png"))
        .await?;
    sign_out(&b).await?;

    b.goto(&shared_demo().url(&format!("/catalog?q={code}")))
        .await?;
    b.click("#catalog a").await?;
    b.wait_for("dl.facts").await?;
    let guide = b.page_text().await?;
    assert!(
        guide.contains(&name) && guide.contains("10个工作日") && guide.contains("营业执照复印件"),
        "the public guide shows the item"
    );
    b.screenshot(&shots().join("public-guide.png")).await?;
    b.close().await?;
    Ok(())
}

#[tokio::test]
async fn the_board_updates_live_and_a_licence_shows_its_qr_code_and_verifies() -> anyhow::Result<()>
{
    use crate::board_pages::{approve, on_board};
    use crate::hall_api::{applied_number, city_item};
    use crate::support::Api;

    let base = &shared_demo().base;
    let (item_id, guide) = city_item().await;
    let citizen = Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let b = Browser::start().await?;
    b.goto(&shared_demo().url("/board")).await?;
    b.wait_for("#live:not([hidden])").await?;
    // A case applied for while the page is open appears without a reload.
    let number = applied_number(&citizen, item_id, &guide).await;
    b.wait_for(&format!("#board tr[data-number='{number}']"))
        .await?;
    let row = b
        .text(&format!("#board tr[data-number='{number}']"))
        .await?;
    assert!(
        row.contains("王某") && row.contains("已提交"),
        "the new row is masked and labelled: {row}"
    );
    approve(base, &number, &guide).await;
    b.wait_text(
        &format!("#board tr[data-number='{number}'] .state"),
        "准予许可",
    )
    .await?;
    b.screenshot(&shots().join("board-live.png")).await?;
    on_board(base, &number, "approved").await;

    b.goto(&shared_demo().url("/board/stats")).await?;
    b.wait_for("#by-department").await?;
    b.screenshot(&shots().join("board-stats.png")).await?;

    // Its holder sees the licence in full, with its QR code.
    sign_in(&b, sunshine_app::demo::DEMO_CITIZEN_ID).await?;
    b.goto(&shared_demo().url(&format!("/licences/ZZ-{number}")))
        .await?;
    b.wait_for("#qr svg").await?;
    assert!(b.text("#verdict").await?.contains("有效"));
    b.screenshot(&shots().join("licence.png")).await?;
    // The QR code's link is the public verification page, which says valid.
    b.click("#qr a").await?;
    b.wait_for("#verdict.valid").await?;
    b.screenshot(&shots().join("licence-verify.png")).await?;
    sign_out(&b).await?;

    sign_in(&b, "clerk").await?;
    b.goto(&shared_demo().url(&format!("/staff/board?item_id={item_id}")))
        .await?;
    b.wait_for("#extranet").await?;
    assert!(b
        .text("#extranet")
        .await?
        .contains(sunshine_app::demo::DEMO_CITIZEN_ID));
    b.screenshot(&shots().join("staff-board.png")).await?;
    sign_out(&b).await?;
    b.close().await?;
    Ok(())
}

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
