//! A community worker imports the community's records on the registry's
//! page: a dry run first, which writes nothing, then the import; a file with
//! a wrong cell is refused with its line and column.

use fantoccini::Locator;
use sunshine_testkit::browser::Browser;

use super::{shots, sign_in};

fn id(birth: &str, seq: u32) -> String {
    let first17 = format!("330106{birth}{seq:03}");
    let check = sunshine_domain::ids::ResidentId::check_char(&first17).expect("check");
    format!("{first17}{check}")
}

fn file(name: &str, body: &str) -> anyhow::Result<std::path::PathBuf> {
    let path = std::env::temp_dir().join(format!("{}-{name}", std::process::id()));
    std::fs::write(&path, body)?;
    Ok(path)
}

async fn upload(b: &Browser, path: &std::path::Path, dry_run: bool) -> anyhow::Result<String> {
    b.client
        .find(Locator::Css("#registry-file"))
        .await?
        .send_keys(&path.display().to_string())
        .await?;
    let checked = b
        .client
        .find(Locator::Css("#registry-dry-run"))
        .await?
        .prop("checked")
        .await?
        .as_deref()
        == Some("true");
    if checked != dry_run {
        b.click("#registry-dry-run").await?;
    }
    // The page before answers with a message too: wait for the new one.
    let before = b.text("#import-message").await.unwrap_or_default();
    b.click("#registry-import").await?;
    for _ in 0..150 {
        if let Ok(now) = b.text("#import-message").await {
            if now != before {
                return Ok(now);
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    anyhow::bail!("the import's message stayed {before:?}")
}

#[tokio::test]
async fn a_community_worker_checks_a_file_then_imports_it() -> anyhow::Result<()> {
    let b = Browser::start().await?;
    sign_in(&b, sunshine_app::demo::COMMUNITY_WORKER).await?;
    b.click("a[href='/staff/registry']").await?;
    b.wait_for("#registry-file").await?;
    b.check_page(false).await?;

    let good = format!(
        "身份证号,姓名,性别,出生日期,民族,户籍地址,居住地址,社区代码,户号,与户主关系,联系电话\n\
         {},蒋志强,男,1970-07-07,汉族,杭州市西湖区保俶路20号,杭州市西湖区保俶路20号,330106001001,BCT0200,02,13500005555\n\
         ,蒋思远,1,2012,01,杭州市西湖区保俶路20号,杭州市西湖区保俶路20号,330106001001,BCT0200,20,\n",
        id("19700707", 331)
    );
    let good = file("good.csv", &good)?;
    let said = upload(&b, &good, true).await?;
    assert!(
        said.contains("将新增2人") && said.contains("未写入"),
        "{said}"
    );
    b.screenshot(&shots().join("registry-dry-run.png")).await?;
    let said = upload(&b, &good, false).await?;
    assert!(
        said.contains("已导入2行") && said.contains("新增2人"),
        "{said}"
    );
    let said = upload(&b, &good, true).await?;
    assert!(said.contains("2人不变"), "imported once: {said}");

    let bad = std::fs::read_to_string(&good)?.replace("1970-07-07", "1970-07-08");
    let bad = file("bad.csv", &bad)?;
    let said = upload(&b, &bad, false).await?;
    assert!(said.contains("导入被拒绝"), "{said}");
    let errors = b.text("#import-errors").await?;
    assert!(errors.contains("第2行 出生日期"), "{errors}");
    b.screenshot(&shots().join("registry-refused.png")).await?;
    for f in [good, bad] {
        let _ = std::fs::remove_file(f);
    }
    b.close().await
}

/// 王小明 asks on his own record for his new address; the community's
/// worker accepts it on the requests page and sees it on the household at
/// a glance; 王小明 sees the correction made and who read his record; the
/// city's registrar sees only the aggregates, drawn as charts.
#[tokio::test]
async fn a_resident_asks_for_a_correction_and_the_worker_accepts_it() -> anyhow::Result<()> {
    let b = Browser::start().await?;
    let address = format!("杭州市西湖区北山路{}号", crate::support::unique());
    sign_in(&b, sunshine_app::demo::DEMO_CITIZEN_ID).await?;
    b.click("#my-registry-link").await?;
    b.wait_for("#my-record").await?;
    assert!(b.text("#my-record").await?.contains("王小明"));
    b.check_page(false).await?;
    b.set("#ask-column", "居住地址").await?;
    b.fill("#ask-value", &address).await?;
    b.fill("#ask-reason", "已搬家").await?;
    b.click("#ask-send").await?;
    b.wait_for("#flash").await?;
    let mine = b.text("#my-requests").await?;
    assert!(
        mine.contains(&address) && mine.contains("待社区处理"),
        "{mine}"
    );
    b.screenshot(&shots().join("registry-resident-asks.png"))
        .await?;
    super::sign_out(&b).await?;

    sign_in(&b, sunshine_app::demo::COMMUNITY_WORKER).await?;
    b.click("a[href='/staff/registry']").await?;
    b.click("#tab-corrections").await?;
    let accept = format!("//section[contains(., '{address}')]//button[@value='accept']");
    b.client
        .wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(Locator::XPath(&accept))
        .await?;
    b.check_page(false).await?;
    b.client
        .find(Locator::XPath(&accept))
        .await?
        .click()
        .await?;
    b.wait_for("#flash").await?;
    assert!(b.text("#flash").await?.contains("已接受更正"));
    b.click("#tab-households").await?;
    b.click("a[href='/staff/registry/households/330106/BST0001']")
        .await?;
    b.wait_for("#read-purpose").await?;
    assert!(b.page_text().await?.contains(&address));
    b.check_page(false).await?;
    b.screenshot(&shots().join("registry-household.png"))
        .await?;
    super::sign_out(&b).await?;

    sign_in(&b, sunshine_app::demo::DEMO_CITIZEN_ID).await?;
    b.click("#my-registry-link").await?;
    b.wait_for("#my-requests").await?;
    assert!(b.text("#my-record").await?.contains(&address));
    assert!(b.text("#my-requests").await?.contains("已更正"));
    b.goto(&format!("{}/account", sunshine_testkit::shared_demo().base))
        .await?;
    let account = b.page_text().await?;
    assert!(
        account.contains("冯社工") && account.contains("人口基础信息"),
        "the worker's read is shown: {account}"
    );
    super::sign_out(&b).await?;

    sign_in(&b, sunshine_app::demo::CITY_REGISTRAR).await?;
    b.wait_for("#chart-division svg").await?;
    b.check_page(false).await?;
    let text = b.text("#chart-age").await?;
    assert!(text.contains("60–79岁"), "{text}");
    assert!(!b.page_text().await?.contains("王小明"));
    b.screenshot(&shots().join("registry-statistics.png"))
        .await?;
    b.close().await
}

/// The district's registrar reviews the demo's possible duplicates: merges
/// one, sees it among the decided, and undoes the merge.
#[tokio::test]
async fn a_registrar_merges_a_possible_duplicate_and_undoes_it() -> anyhow::Result<()> {
    let b = Browser::start().await?;
    sign_in(&b, sunshine_app::demo::REGISTRAR).await?;
    b.click("#tab-pairs").await?;
    b.wait_for("h1").await?;
    b.check_page(false).await?;
    // A pair the demo wrote: one record of it is in a household BSTX….
    let merge =
        "//section[contains(@class, 'pair') and contains(., 'BSTX')]//button[@value='merge']";
    b.client
        .wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(Locator::XPath(merge))
        .await?;
    let section = b
        .client
        .find(Locator::XPath(
            "//section[contains(@class, 'pair') and contains(., 'BSTX')]",
        ))
        .await?;
    let id = section.attr("id").await?.unwrap_or_default();
    let text = section.text().await?;
    assert!(
        text.contains("姓名同音") || text.contains("姓名相同"),
        "{text}"
    );
    b.screenshot(&shots().join("registry-pairs.png")).await?;
    b.client.find(Locator::XPath(merge)).await?.click().await?;
    // The page after: the pair among the decided, the flash saying so.
    let pid = id.trim_start_matches("pair-");
    let row = format!("#decided-{pid}");
    b.wait_for(&row).await?;
    assert!(b.text("#flash").await?.contains("已合并"));
    assert!(b.text(&row).await?.contains("已合并"));
    b.click(&format!("{row} button[value='reopen']")).await?;
    // The page after: the pair open again.
    b.wait_for(&format!("#{id}")).await?;
    assert!(b.text("#flash").await?.contains("已撤销"));
    b.close().await
}

/// The city's registrar asks to read 王小明's name and birth with a reason;
/// Xihu's registrar approves it on the district's queue; the city reads
/// those two fields and no contact number; 王小明 sees the read, the
/// purpose and the reason on his account.
#[tokio::test]
async fn the_city_reads_a_named_person_after_the_district_approves() -> anyhow::Result<()> {
    let b = Browser::start().await?;
    let reason = format!("核查第{}号信访件所涉人员身份", crate::support::unique());
    sign_in(&b, sunshine_app::demo::CITY_REGISTRAR).await?;
    b.click("#tab-named-reads").await?;
    b.wait_for("#ask-form").await?;
    b.check_page(false).await?;
    b.set("#ask-district", "330106").await?;
    b.fill("#ask-number", sunshine_app::demo::DEMO_CITIZEN_ID)
        .await?;
    // Sent without a field, it is refused on the page, the input kept.
    b.fill("#ask-reason", &reason).await?;
    b.click("#ask-send").await?;
    b.wait_for("#ask-error").await?;
    assert!(b.text("#ask-error").await?.contains("请选择需要查阅的项目"));
    b.click("#field-name").await?;
    b.click("#field-birth").await?;
    b.click("#ask-send").await?;
    b.wait_for("#flash").await?;
    let row = "//tr[contains(., '待区审批')][1]";
    let request = b.client.find(Locator::XPath(row)).await?;
    let id = request.attr("id").await?.unwrap_or_default();
    b.screenshot(&shots().join("registry-named-read-asked.png"))
        .await?;
    super::sign_out(&b).await?;

    sign_in(&b, sunshine_app::demo::REGISTRAR).await?;
    b.click("#tab-named-reads").await?;
    let number = id.trim_start_matches("request-");
    b.wait_for(&format!("#waiting-{number}")).await?;
    b.check_page(false).await?;
    assert!(b
        .text(&format!("#waiting-{number}"))
        .await?
        .contains(&reason));
    b.click(&format!("#approve-{number}")).await?;
    b.wait_for("#flash").await?;
    assert!(b.text("#flash").await?.contains("已批准"));
    super::sign_out(&b).await?;

    sign_in(&b, sunshine_app::demo::CITY_REGISTRAR).await?;
    b.click("#tab-named-reads").await?;
    b.click(&format!("#read-{number}")).await?;
    b.wait_for("#person").await?;
    b.check_page(false).await?;
    let shown = b.text("#person").await?;
    assert!(
        shown.contains("王小明") && shown.contains("1990-01-01"),
        "{shown}"
    );
    assert!(
        !shown.contains("联系电话") && !shown.contains("居住地址"),
        "{shown}"
    );
    b.screenshot(&shots().join("registry-named-read.png"))
        .await?;
    super::sign_out(&b).await?;

    sign_in(&b, sunshine_app::demo::DEMO_CITIZEN_ID).await?;
    b.goto(&format!("{}/account", sunshine_testkit::shared_demo().base))
        .await?;
    let account = b.page_text().await?;
    assert!(
        account.contains("钟统计") && account.contains("市级具名查阅") && account.contains(&reason),
        "the city's read is shown with its reason: {account}"
    );
    b.close().await
}

/// The city's registrar adds a code to the relationships list on the code
/// lists' page (refused first without a reason, the input kept), then
/// retires it; a community worker sees the list in force and no form.
#[tokio::test]
async fn the_city_adds_a_code_and_retires_it_and_the_worker_sees_the_list() -> anyhow::Result<()> {
    let b = Browser::start().await?;
    sign_in(&b, sunshine_app::demo::CITY_REGISTRAR).await?;
    b.click("#tab-standard").await?;
    b.wait_for("#change-form").await?;
    b.check_page(false).await?;
    b.set("#change-list", "relationships").await?;
    b.set("#change-kind", "add").await?;
    b.fill("#change-code", "19").await?;
    b.fill("#change-name", "托养人员").await?;
    // Without a reason the browser's own check stops it: clear `required`
    // so that the server's answer is seen.
    b.client
        .execute(
            "document.getElementById('change-reason').removeAttribute('required')",
            vec![],
        )
        .await?;
    b.click("#change-send").await?;
    b.wait_for("#change-error").await?;
    assert!(b.text("#change-error").await?.contains("理由"));
    assert_eq!(
        b.client
            .find(Locator::Css("#change-name"))
            .await?
            .prop("value")
            .await?
            .as_deref(),
        Some("托养人员"),
        "the input is kept"
    );
    b.fill("#change-reason", "市民政局2026年第5号通知：托养机构集体户")
        .await?;
    b.click("#change-send").await?;
    b.wait_for("#code-relationships-19").await?;
    assert!(b.text("#flash").await?.contains("新增"));
    assert!(b.text("#code-relationships-19").await?.contains("托养人员"));
    assert!(b
        .text("#code-changes")
        .await?
        .contains("市民政局2026年第5号通知"));
    b.set("#change-list", "relationships").await?;
    b.set("#change-kind", "retire").await?;
    b.fill("#change-code", "19").await?;
    b.fill("#change-reason", "托养机构改为单独立户").await?;
    b.click("#change-send").await?;
    // The page before has a flash too: wait for the row as retired.
    b.wait_for("#code-relationships-19[data-retired='true']")
        .await?;
    assert!(b.text("#flash").await?.contains("停用"));
    b.screenshot(&shots().join("registry-code-lists.png"))
        .await?;
    super::sign_out(&b).await?;

    sign_in(&b, sunshine_app::demo::COMMUNITY_WORKER).await?;
    b.goto(&format!(
        "{}/staff/registry/standard",
        sunshine_testkit::shared_demo().base
    ))
    .await?;
    b.wait_for("#code-relationships-19").await?;
    b.check_page(false).await?;
    assert!(b.text("#code-relationships-19").await?.contains("已停用"));
    assert!(b.client.find(Locator::Css("#change-form")).await.is_err());
    b.close().await
}
