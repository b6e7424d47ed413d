//! In a real headless Chromium: an editor drafts an item in the workbench, a
//! legal reviewer and an approver take it to the library, and it appears in
//! the public catalogue.

use fantoccini::Locator;
use sunshine_testkit::browser::Browser;
use sunshine_testkit::shared_demo;

use crate::support::unique;

mod card;
mod care;
mod exchange;
mod hall;
mod hotline;
mod registry;
mod sharing;

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
