//! The two-level platform in a real browser. A resident applies at the
//! city's portal for a district's item; the district's clerk handles it on
//! the district's platform; the resident and the city's public board see
//! the result. And the city's administrator reads the exchange: the
//! district's cases as the district reported them, the trusted district,
//! and the message log, searched for what was refused; a clerk has no such
//! page.

use sunshine_app::exchange::{Incoming, Verdict};
use sunshine_testkit::browser::Browser;

use super::{shots, sign_in_at, sign_out};
use crate::exchange::pump;
use crate::exchange::{city_and_district, district_case};
use crate::hall_api::act;
use crate::support::unique;
use crate::support::Api;
use fantoccini::Locator;

#[tokio::test]
async fn the_city_reads_a_districts_cases_and_the_message_log_on_its_exchange_page(
) -> anyhow::Result<()> {
    let (city, district) = city_and_district().await?;

    let citizen = Api::as_user(&district.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let number = district_case(&district.base, &citizen).await;
    act(
        &citizen,
        &number,
        serde_json::json!({"command": "withdraw"}),
    )
    .await;
    let out: Vec<Incoming> = district
        .app
        .outgoing(10)
        .await?
        .iter()
        .map(|s| Incoming {
            subject: s.subject.clone(),
            msg_id: s.msg_id.clone(),
            body: s.body.clone(),
            signature: s.signature.clone(),
            files: vec![],
        })
        .collect();
    let mut forged = out[0].clone();
    forged.body = forged.body.replace("submitted", "approved");
    let mut batch = out.clone();
    batch.push(forged);
    let verdicts = city.app.receive(batch).await?;
    assert_eq!(
        verdicts,
        [Verdict::Done, Verdict::Done, Verdict::Later],
        "the forged one waits"
    );

    // And the district reports its registry's aggregates.
    district.app.report_registry_aggregates().await?;
    assert!(pump(&district, &city)
        .await?
        .iter()
        .all(|v| *v == Verdict::Done));

    let b = Browser::start().await?;
    sign_in_at(&b, &city.base, "admin").await?;
    b.click("#exchange-link").await?;
    b.wait_for("#exchange-log").await?;
    assert_eq!(b.text("#exchange-platform-name").await?, "city");
    assert!(b.text("#exchange-peers").await?.contains("district:330106"));
    assert!(
        b.text("#district-330106-withdrawn").await?.contains('1'),
        "the district's withdrawn case is counted"
    );
    assert!(b.text("#district-cases").await?.contains(&number));
    assert!(
        b.text("#registry-330106").await?.contains("西湖区"),
        "the district's registry as it reported it"
    );
    let log = b.text("#exchange-log").await?;
    assert!(log.contains("已生效") && log.contains("已拒收"), "{log}");
    b.check_page(false).await?;
    b.screenshot(&shots().join("exchange.png")).await?;

    // Only what was refused, and why.
    b.set("#exchange-status", "refused").await?;
    b.click("#exchange-search button").await?;
    // The page before had refused lines too: wait for the answer's form.
    b.wait_for("#exchange-status option[value='refused'][selected]")
        .await?;
    let refused = b.text("#exchange-log").await?;
    assert!(
        refused.contains("signature") && !refused.contains("已生效"),
        "{refused}"
    );
    // A message id no message has.
    b.set("#exchange-status", "").await?;
    b.fill("#exchange-msg-id", "district:330106/999999").await?;
    b.click("#exchange-search button").await?;
    b.wait_for("#no-messages").await?;
    sign_out(&b).await?;

    // A clerk has no exchange page.
    sign_in_at(&b, &city.base, "clerk").await?;
    assert!(b.text("#exchange-link").await.is_err());
    b.goto(&format!("{}/staff/exchange", city.base)).await?;
    assert_eq!(b.status().await?, 403);
    b.close().await?;
    district.stop().await;
    city.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_resident_applies_at_the_city_the_district_handles_it_and_the_city_shows_the_result(
) -> anyhow::Result<()> {
    let (city, district) = city_and_district().await?;
    let verdicts = |v: Vec<Verdict>| v.iter().all(|v| *v == Verdict::Done);
    // 食品经营许可 of 西湖区's market regulator, found as the public would.
    let public = Api::new(&city.base);
    let (_, list) = public
        .get("/api/v1/catalog/items?region=330106&q=XK-00301-000")
        .await;
    let item_id = list["items"][0]["item_id"].as_i64().expect("the item");
    let (_, guide) = public
        .get(&format!("/api/v1/catalog/items/{item_id}"))
        .await;
    let guide = &guide["guide"];
    let scan = std::env::temp_dir().join(format!("sunshine-scan-{}.pdf", unique()));
    std::fs::write(&scan, crate::support::PDF)?;

    let b = Browser::start().await?;
    sign_in_at(&b, &city.base, sunshine_app::demo::DEMO_CITIZEN_ID).await?;
    b.goto(&format!("{}/catalog/{item_id}", city.base)).await?;
    b.click("#apply").await?;
    b.wait_for("#submit-application").await?;
    let answers = crate::support::answers_for(&guide["form"]);
    for (key, value) in answers.as_object().into_iter().flatten() {
        b.set(
            &format!("#answer-{key}"),
            value.as_str().unwrap_or_default(),
        )
        .await?;
    }
    for (slot, m) in guide["materials"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if m["required"] == true {
            b.client
                .find(Locator::Css(&format!("#file-{slot}")))
                .await?
                .send_keys(&scan.display().to_string())
                .await?;
        }
    }
    b.click("#submit-application").await?;
    b.wait_for("#submitted").await?;
    let number = b.text("#number").await?;
    assert!(number.starts_with("2026-330106-9"), "{number}");
    assert!(
        b.text("#handled-by").await?.contains("西湖区"),
        "the resident is told who handles it"
    );
    assert!(
        b.client
            .find_all(Locator::Css("[id^='do-']"))
            .await?
            .is_empty(),
        "nothing to do on it here"
    );
    b.check_page(false).await?;
    b.screenshot(&shots().join("exchange-handed-down.png"))
        .await?;
    sign_out(&b).await?;

    // It reaches the district's platform, whose clerk takes it to approval.
    assert!(verdicts(pump(&city, &district).await?));
    sign_in_at(&b, &district.base, "clerk.330106").await?;
    b.goto(&format!("{}/staff/cases?q={number}", district.base))
        .await?;
    b.click(&format!("a[href='/staff/cases/{number}']")).await?;
    b.wait_for("#do-accept").await?;
    let files = b.text("#files").await?;
    assert!(
        files.matches(".pdf").count() >= 4,
        "the files came down with it: {files}"
    );
    b.click("#do-accept").await?;
    loop {
        b.wait_for("#do-claim, #do-claim_and_pass, #do-approve")
            .await?;
        if !b
            .client
            .find_all(Locator::Css("#do-approve"))
            .await?
            .is_empty()
        {
            break;
        }
        if !b
            .client
            .find_all(Locator::Css("#do-claim_and_pass"))
            .await?
            .is_empty()
        {
            let before = b.text("#current-step").await?;
            b.click("#do-claim_and_pass").await?;
            wait_until_changed(&b, "#current-step", &before).await?;
        } else {
            b.click("#do-claim").await?;
            b.wait_for("#do-approve").await?;
        }
    }
    b.click("#do-approve").await?;
    b.wait_for("#state.approved").await?;
    b.screenshot(&shots().join("exchange-district-approves.png"))
        .await?;
    sign_out(&b).await?;

    // The result goes back up: the resident sees it at the city's portal,
    // and the city's public board shows it.
    assert!(verdicts(pump(&district, &city).await?));
    sign_in_at(&b, &city.base, sunshine_app::demo::DEMO_CITIZEN_ID).await?;
    b.goto(&format!("{}/hall/cases/{number}", city.base))
        .await?;
    b.wait_for("#state.approved").await?;
    assert!(
        !b.text("#promised-due").await?.is_empty(),
        "the district's due date"
    );
    b.screenshot(&shots().join("exchange-result-at-city.png"))
        .await?;
    // The licence the district's department signed is linked where the
    // resident applied, and checks at the city.
    b.click("#licence-link").await?;
    b.wait_for("#verdict.valid").await?;
    assert!(b.text("#licence-number").await?.contains(&number));
    b.check_page(false).await?;
    b.screenshot(&shots().join("exchange-licence-at-city.png"))
        .await?;
    crate::board_pages::on_board(&city.base, &number, "approved").await;
    b.goto(&format!("{}/board?item_id={item_id}", city.base))
        .await?;
    let row = format!("#board tr[data-number='{number}']");
    b.wait_for(&row).await?;
    assert!(b.text(&row).await?.contains("王某"));
    assert!(!b
        .page_text()
        .await?
        .contains(sunshine_app::demo::DEMO_CITIZEN_ID));
    b.screenshot(&shots().join("exchange-city-board.png"))
        .await?;
    b.close().await?;
    let _ = std::fs::remove_file(&scan);
    city.stop().await;
    district.stop().await;
    Ok(())
}

/// Wait until `css`'s text is no longer `before`.
async fn wait_until_changed(b: &Browser, css: &str, before: &str) -> anyhow::Result<()> {
    for _ in 0..100 {
        match b.text(css).await {
            Ok(now) if now != before => return Ok(()),
            Err(_) => return Ok(()),
            _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    anyhow::bail!("{css} stayed {before}")
}

/// Supervision across the two levels in a real browser: the city's red
/// card on a unit of 西湖区 is on the district's signal list, marked as the
/// city's; the unit answers it on the district's platform, where nothing
/// else is offered; the city's supervisor finds the answer on the city's
/// page, where the unit's answer is not offered, and closes the card; the
/// district's page shows it closed.
#[tokio::test]
async fn a_district_unit_answers_the_citys_card_on_its_platform_and_the_city_closes_it(
) -> anyhow::Result<()> {
    let (city, district) = city_and_district().await?;
    let (number, _) = crate::exchange::district_case_carded(&city, &district).await?;
    assert!(pump(&city, &district)
        .await?
        .iter()
        .all(|v| *v == Verdict::Done));
    let b = Browser::start().await?;

    // Below: the unit's list, and the card's page.
    sign_in_at(&b, &district.base, "clerk.330106").await?;
    b.goto(&format!("{}/staff/signals?level=red", district.base))
        .await?;
    let row = format!("tr[data-case='{number}'][data-rule='time.legal_overdue']");
    b.wait_for(&row).await?;
    assert!(b.text(&row).await?.contains("市级"), "marked as the city's");
    b.check_page(false).await?;
    b.click(&format!("{row} a.signal-link")).await?;
    b.wait_for("#card-across").await?;
    let copy_url = b.client.current_url().await?.to_string();
    assert!(b.text("#card-across").await?.contains("市级"));
    assert!(
        b.client.find(Locator::Css("#do-close")).await.is_err(),
        "the unit does not close the city's card"
    );
    b.check_page(false).await?;
    b.goto(&format!("{copy_url}?lang=en")).await?;
    b.check_page(true).await?;
    b.goto(&copy_url).await?;
    b.fill("#text-respond", "已于当日办结并说明超期原因")
        .await?;
    b.screenshot(&shots().join("exchange-card-below.png"))
        .await?;
    b.click("#do-respond").await?;
    b.wait_for("#signal[data-state='responded']").await?;
    assert!(b.text("#signal-state").await?.starts_with("已回告"));
    sign_out(&b).await?;
    assert_eq!(pump(&district, &city).await?, [Verdict::Done]);

    // Above: the city's supervisor reads the answer and closes the card.
    sign_in_at(&b, &city.base, "supervisor").await?;
    b.goto(&format!(
        "{}/staff/signals?case={number}&state=responded",
        city.base
    ))
    .await?;
    b.wait_for(&row).await?;
    b.click(&format!("{row} a.signal-link")).await?;
    b.wait_for("#card-across").await?;
    assert_eq!(
        b.text("#signal-last-text").await?,
        "已于当日办结并说明超期原因"
    );
    assert!(
        b.client.find(Locator::Css("#do-respond")).await.is_err(),
        "the unit answers below, not here"
    );
    assert!(
        b.client.find(Locator::Css("a#signal-case")).await.is_err(),
        "the district's own case is not in the city's hall: no link to a page that is not there"
    );
    b.check_page(false).await?;
    b.fill("#text-close", "整改到位，予以办结").await?;
    b.click("#do-close").await?;
    b.wait_for("#signal[data-state='closed']").await?;
    assert!(b.text("#signal-state").await?.starts_with("已办结"));
    b.screenshot(&shots().join("exchange-card-above.png"))
        .await?;
    sign_out(&b).await?;
    assert_eq!(pump(&city, &district).await?, [Verdict::Done]);

    // Below again: closed, with the city's word.
    sign_in_at(&b, &district.base, "clerk.330106").await?;
    b.goto(&copy_url).await?;
    b.wait_for("#signal[data-state='closed']").await?;
    assert!(b.text("#signal-state").await?.starts_with("已办结"));
    assert_eq!(b.text("#signal-last-text").await?, "整改到位，予以办结");
    b.close().await?;
    city.stop().await;
    district.stop().await;
    Ok(())
}

/// The city's hotline dispatches a request to 西湖区's own government; the
/// unit finds it in its inbox on the district's platform, where only its
/// own steps are offered, signs and answers it; the city's operator finds
/// the answer on the city's page, where the unit's steps are not offered,
/// and approves it; the district's page follows.
#[tokio::test]
async fn a_district_unit_handles_the_hotlines_request_on_its_platform_and_the_hotline_reviews_it(
) -> anyhow::Result<()> {
    let (city, district) = city_and_district().await?;
    let operator = Api::as_user(&city.base, "operator").await;
    let (status, taken) = operator
        .post(
            "/api/v1/hotline/requests",
            serde_json::json!({"category": "streetlight.out", "description": "保俶路路灯不亮",
                "address": "保俶路 1 号", "caller_name": "张三", "caller_phone": "13912345678"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{taken}");
    let id = taken["ticket"]["id"].as_i64().expect("id");
    let (status, d) = operator
        .post(
            &format!("/api/v1/hotline/requests/{id}/commands"),
            serde_json::json!({"command": "dispatch", "lead": "330106"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{d}");
    assert_eq!(pump(&city, &district).await?, [Verdict::Done]);
    let b = Browser::start().await?;

    // Below: the unit's inbox, and the request's page.
    sign_in_at(&b, &district.base, "clerk.330106").await?;
    b.goto(&format!("{}/staff/hotline", district.base)).await?;
    let row = "#hotline-inbox tr[data-id]";
    b.wait_for(row).await?;
    assert!(b
        .text(row)
        .await?
        .contains(d["number"].as_str().expect("number")));
    b.click(&format!("{row} a")).await?;
    b.wait_for("#ticket-across").await?;
    let copy_url = b.client.current_url().await?.to_string();
    assert!(b.text("#ticket-across").await?.contains("市级"));
    assert!(b
        .text("h1")
        .await?
        .contains(d["number"].as_str().expect("number")));
    assert!(
        b.client.find(Locator::Css("#do-urge")).await.is_err(),
        "the hotline's steps are not offered below"
    );
    b.check_page(false).await?;
    b.click("#do-sign").await?;
    b.wait_for("#ticket[data-state='signed']").await?;
    b.fill("#cmd-answer input[name='text']", "已更换灯泡，路灯恢复照明")
        .await?;
    b.screenshot(&shots().join("exchange-ticket-below.png"))
        .await?;
    b.click("#do-answer").await?;
    b.wait_for("#ticket[data-state='answered']").await?;
    b.goto(&format!("{copy_url}?lang=en")).await?;
    b.check_page(true).await?;
    sign_out(&b).await?;
    assert_eq!(
        pump(&district, &city).await?,
        [Verdict::Done, Verdict::Done]
    );

    // Above: the operator reads the answer and approves it.
    sign_in_at(&b, &city.base, "operator").await?;
    b.goto(&format!("{}/staff/hotline/{id}", city.base)).await?;
    b.wait_for("#ticket[data-state='answered']").await?;
    assert!(b.text("#ticket-across").await?.contains("区县平台"));
    assert_eq!(b.text("#ticket-answer").await?, "已更换灯泡，路灯恢复照明");
    assert!(
        b.client.find(Locator::Css("#do-sign")).await.is_err(),
        "the unit's steps are not offered above"
    );
    b.check_page(false).await?;
    b.click("#do-review_answer").await?;
    b.wait_for("#ticket[data-state='awaiting_visit']").await?;
    b.screenshot(&shots().join("exchange-ticket-above.png"))
        .await?;
    sign_out(&b).await?;
    assert_eq!(
        pump(&city, &district).await?,
        [Verdict::Done, Verdict::Done, Verdict::Done]
    );

    // Below again: the hotline's word stands on the copy.
    sign_in_at(&b, &district.base, "clerk.330106").await?;
    b.goto(&copy_url).await?;
    b.wait_for("#ticket[data-state='awaiting_visit']").await?;
    assert!(
        b.client
            .find(Locator::Css("form.ticket-command"))
            .await
            .is_err(),
        "nothing is left for the unit"
    );
    b.close().await?;
    city.stop().await;
    district.stop().await;
    Ok(())
}
