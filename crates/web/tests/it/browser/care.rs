//! Home care in a real browser: the demo's elder orders cleaning on the
//! TV page, the alliance's provider accepts and serves it on its orders
//! page, and the elder, back on the TV, rates it; the community's worker
//! sees the rating.

use sunshine_app::demo::{COMMUNITY_WORKER, DEMO_ELDER_LOGIN, DEMO_PASSWORD, DEMO_PROVIDER_LOGIN};
use sunshine_testkit::browser::Browser;
use sunshine_testkit::shared_demo;

use super::{shots, sign_in, sign_out};

/// Sign in from a page that asked for it, and come back to it.
async fn sign_in_for(b: &Browser, path: &str, login: &str) -> anyhow::Result<()> {
    b.goto(&shared_demo().url(path)).await?;
    b.wait_for("#login").await?;
    b.fill("#login", login).await?;
    b.fill("#password", DEMO_PASSWORD).await?;
    b.click("#sign-in").await?;
    b.wait_for("form[action='/logout']").await
}

#[tokio::test]
async fn an_order_from_the_tv_is_served_and_rated() -> anyhow::Result<()> {
    let b = Browser::start().await?;
    // The TV, not yet paired, shows its code; the elder's family confirms
    // it from a phone, and the TV goes on to her home care by itself.
    b.goto(&shared_demo().url("/tv/care")).await?;
    b.wait_for("#tv-code").await?;
    b.check_page(false).await?;
    b.screenshot(&shots().join("care-tv-pair.png")).await?;
    let code = b.text("#tv-code").await?;
    let elder = crate::support::Api::as_user(&shared_demo().base, DEMO_ELDER_LOGIN).await;
    let (status, wrong) = elder
        .post(
            "/api/v1/me/tv-pairings",
            serde_json::json!({"code": "AAAA-AAAA"}),
        )
        .await;
    assert_eq!(status.as_u16(), 422, "{wrong}");
    let (status, paired) = elder
        .post(
            "/api/v1/me/tv-pairings",
            serde_json::json!({"code": code.to_lowercase(), "label": "客厅电视"}),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{paired}");
    b.wait_for("#care-order-form").await?;
    b.check_page(false).await?;
    b.screenshot(&shots().join("care-tv.png")).await?;
    b.click("#service-clean").await?;
    b.click("#day-2").await?;
    b.fill("#care-request", "擦窗户，打扫阳台").await?;
    b.click("#care-order").await?;
    b.wait_for("#flash").await?;
    let said = b.text("#flash").await?;
    let number: String = said
        .find("JY")
        .map(|at| {
            let digits: String = said[at + 2..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            format!("JY{digits}")
        })
        .ok_or_else(|| anyhow::anyhow!("no order number in {said:?}"))?;
    let state = format!("#state-{number}");
    assert_eq!(b.text(&state).await?, "待接单");
    sign_out(&b).await?;

    // The provider accepts it and records the time served.
    sign_in(&b, DEMO_PROVIDER_LOGIN).await?;
    b.click("#provider-care-link").await?;
    b.wait_for(&format!("#accept-{number}")).await?;
    b.check_page(false).await?;
    b.click(&format!("#accept-{number}")).await?;
    b.wait_for(&format!("#serve-{number}")).await?;
    b.fill(&format!("#minutes-{number}"), "75").await?;
    b.fill(&format!("#note-{number}"), "窗户和阳台已打扫")
        .await?;
    b.screenshot(&shots().join("care-provider.png")).await?;
    b.click(&format!("#serve-{number}")).await?;
    b.wait_for(&format!("#charge-{number}")).await?;
    assert_eq!(b.text(&state).await?, "已服务，待确认");
    // 75 minutes of cleaning at 40 yuan an hour.
    let charge = b.text(&format!("#charge-{number}")).await?;
    assert!(charge.contains("50.00"), "{charge}");
    sign_out(&b).await?;

    // Back on the TV, still paired, the elder rates it with the stars.
    b.goto(&shared_demo().url("/tv/care")).await?;
    b.wait_for(&format!("#rate-5-{number}")).await?;
    b.fill(&format!("#comment-{number}"), "很满意").await?;
    b.click(&format!("#rate-5-{number}")).await?;
    b.wait_for(&format!("#rating-{number}")).await?;
    assert_eq!(b.text(&state).await?, "已确认评价");
    assert!(b
        .text(&format!("#rating-{number}"))
        .await?
        .contains("★★★★★"));
    b.screenshot(&shots().join("care-tv-rated.png")).await?;
    // Unpaired from her account, the TV asks for a code again.
    let id = paired["id"].as_i64().expect("an id");
    let (status, _) = elder
        .post(
            &format!("/api/v1/me/tv-pairings/{id}/unpair"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status.as_u16(), 204);
    b.goto(&shared_demo().url("/tv/care")).await?;
    b.wait_for("#tv-code").await?;
    // She sees who read her order, and why, and her TV unpaired.
    sign_in_for(&b, "/account", DEMO_ELDER_LOGIN).await?;
    let account = b.page_text().await?;
    assert!(account.contains("居家养老服务"), "{account}");
    b.goto(&shared_demo().url("/account/tv")).await?;
    b.wait_for(&format!("#tv-{id}")).await?;
    assert!(b.text(&format!("#tv-{id}")).await?.contains("已解除"));
    sign_out(&b).await?;

    // The community's worker sees the order and its rating.
    sign_in(&b, COMMUNITY_WORKER).await?;
    b.click("#care-link").await?;
    b.wait_for("#care-order-list").await?;
    b.check_page(false).await?;
    b.screenshot(&shots().join("care-staff.png")).await?;
    b.goto(&shared_demo().url(&format!("/staff/care/orders/{number}")))
        .await?;
    b.wait_for(&format!("#rating-{number}")).await?;
    assert!(b
        .text(&format!("#rating-{number}"))
        .await?
        .contains("★★★★★"));
    b.close().await
}

/// The resident pairs a TV from a phone: the TV (here a plain client, as a
/// set-top box's browser) shows its code and a QR code of the link; the
/// link, opened and signed in to, brings the code; the page shows which
/// device asked and from which network before the resident confirms; the
/// TV then serves her home care.
#[tokio::test]
async fn a_tv_is_paired_from_a_phone_by_its_qr_link_after_checking_the_device() -> anyhow::Result<()>
{
    let base = shared_demo().base.clone();
    let tv = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Mozilla/5.0 (Linux; Android 9; HZ-DVB-STB) HomeCare-TV")
        .build()?;
    let resp = tv.get(format!("{base}/tv/pair")).send().await?;
    let cookie = resp.headers()["set-cookie"]
        .to_str()?
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    let page = resp.text().await?;
    assert!(page.contains("<svg"), "the TV shows a QR code");
    let at = page
        .find("data-link=\"")
        .ok_or_else(|| anyhow::anyhow!("no link under the QR code"))?;
    let link: String = page[at + 11..].chars().take_while(|c| *c != '"').collect();
    let link = link
        .strip_prefix(&base)
        .ok_or_else(|| anyhow::anyhow!("the link {link} is not on {base}"))?
        .to_string();
    let code = link.trim_start_matches("/account/tv?code=").to_string();
    assert_eq!(code.len(), 9, "{link}");

    let b = Browser::start().await?;
    sign_in_for(&b, &link, DEMO_ELDER_LOGIN).await?;
    b.wait_for("#tv-code-input").await?;
    assert_eq!(
        b.client
            .find(fantoccini::Locator::Css("#tv-code-input"))
            .await?
            .prop("value")
            .await?
            .as_deref(),
        Some(code.as_str()),
        "the link brings the code"
    );
    b.fill("#tv-label", "书房电视").await?;
    b.click("#tv-pair-send").await?;
    b.wait_for("#tv-waiting").await?;
    b.check_page(false).await?;
    let shown = b.text("#tv-waiting").await?;
    assert!(
        shown.contains("HZ-DVB-STB") && shown.contains("127.0.0.*") && shown.contains(&code),
        "{shown}"
    );
    b.screenshot(&shots().join("care-tv-confirm.png")).await?;
    // Nothing is paired by looking: the TV still asks for its code.
    let still = tv
        .get(format!("{base}/tv/care"))
        .header("cookie", &cookie)
        .send()
        .await?;
    assert_eq!(still.status().as_u16(), 303);
    b.click("#tv-confirm").await?;
    b.wait_for("#flash").await?;
    assert!(b.text("#tv-devices").await?.contains("书房电视"));
    let now = tv
        .get(format!("{base}/tv/care"))
        .header("cookie", &cookie)
        .send()
        .await?;
    assert_eq!(now.status().as_u16(), 200);
    b.close().await
}

/// The worker announces an activity, the demo's citizen records the time
/// he gave there, the worker confirms it and it shows in his time bank.
#[tokio::test]
async fn time_given_as_a_volunteer_reaches_the_time_bank() -> anyhow::Result<()> {
    use sunshine_app::demo::DEMO_CITIZEN_LOGIN;
    let b = Browser::start().await?;
    let title = format!("社区义诊{}", crate::support::unique());
    sign_in(&b, COMMUNITY_WORKER).await?;
    b.click("#care-link").await?;
    b.wait_for("#activity-form").await?;
    b.fill("#activity-title", &title).await?;
    b.set("#activity-day", &shared_demo().clock_today()).await?;
    b.fill("#activity-place", "保俶塔社区卫生服务站").await?;
    b.click("#activity-send").await?;
    b.wait_for("#flash").await?;
    assert!(b.text("#flash").await?.contains(&title));
    sign_out(&b).await?;

    sign_in(&b, DEMO_CITIZEN_LOGIN).await?;
    b.click("#my-volunteer-link").await?;
    b.wait_for("#volunteer-balance").await?;
    let before: i64 = b.text("#volunteer-balance").await?.trim().parse()?;
    let html = b.client.source().await?;
    let id = html
        .split(&title)
        .next()
        .and_then(|head| head.rsplit("id=\"activity-").next())
        .and_then(|rest| rest.split('"').next())
        .ok_or_else(|| anyhow::anyhow!("the activity is listed"))?
        .to_string();
    b.fill(&format!("#minutes-{id}"), "90").await?;
    b.fill(&format!("#note-{id}"), "协助量血压").await?;
    b.click(&format!("#record-{id}")).await?;
    b.wait_for("#flash").await?;
    b.check_page(false).await?;
    b.screenshot(&shots().join("care-volunteer.png")).await?;
    sign_out(&b).await?;

    sign_in(&b, COMMUNITY_WORKER).await?;
    b.click("#care-link").await?;
    b.wait_for("#open-hours").await?;
    let html = b.client.source().await?;
    let row = html
        .split("协助量血压")
        .next()
        .and_then(|head| head.rsplit("id=\"hours-").next())
        .and_then(|rest| rest.split('"').next())
        .ok_or_else(|| anyhow::anyhow!("the record waits for the worker"))?
        .to_string();
    b.click(&format!("#confirm-hours-{row}")).await?;
    b.wait_for("#flash").await?;
    sign_out(&b).await?;

    sign_in(&b, DEMO_CITIZEN_LOGIN).await?;
    b.click("#my-volunteer-link").await?;
    b.wait_for("#volunteer-balance").await?;
    let after: i64 = b.text("#volunteer-balance").await?.trim().parse()?;
    assert_eq!(after, before + 90);
    b.close().await
}

/// The worker pays the month's age allowances onto the elders' cards,
/// records a household's aid on its page and pays a month of it.
#[tokio::test]
async fn a_worker_records_a_households_aid_and_a_month_paid() -> anyhow::Result<()> {
    let b = Browser::start().await?;
    sign_in(&b, COMMUNITY_WORKER).await?;
    b.click("#care-link").await?;
    b.wait_for("#allowance-pay").await?;
    b.click("#allowance-pay").await?;
    b.wait_for("#flash").await?;
    let said = b.text("#flash").await?;
    assert!(
        said.contains("高龄津贴") && said.contains("本次发放"),
        "{said}"
    );
    b.click("#allowance-roll summary").await?;
    let roll = b.text("#allowance-roll").await?;
    assert!(
        !roll.contains("未发放"),
        "every elder with a number is paid or waits for a card: {roll}"
    );
    b.check_page(false).await?;
    b.screenshot(&shots().join("care-allowances.png")).await?;
    b.click("#aid-link").await?;
    b.wait_for("#aid-form").await?;
    b.check_page(false).await?;
    b.fill("#aid-household", "BST0007").await?;
    b.fill("#aid-yuan", "1200").await?;
    b.set("#aid-since", &shared_demo().clock_today()).await?;
    b.click("#aid-send").await?;
    b.wait_for("#flash").await?;
    let said = b.text("#flash").await?;
    let at = said
        .find("AID")
        .ok_or_else(|| anyhow::anyhow!("no number in {said:?}"))?;
    let id: i64 = said[at + 3..at + 11].parse()?;
    b.click(&format!("#pay-{id}")).await?;
    // The page before has a flash too: wait for the paid line.
    b.wait_for(&format!("#paid-{id}")).await?;
    let paid = b.text(&format!("#paid-{id}")).await?;
    assert!(paid.contains("1,200.00"), "{paid}");
    b.screenshot(&shots().join("care-aid.png")).await?;
    b.close().await
}
