//! The city's administrator reads the exchange on the city's platform: the
//! district's cases as the district reported them, the trusted district,
//! and the message log, searched for what was refused; a clerk has no such
//! page.

use sunshine_app::exchange::{Incoming, Verdict};
use sunshine_domain::exchange::Platform;
use sunshine_testkit::browser::Browser;
use sunshine_testkit::TestApp;

use super::{shots, sign_in_at, sign_out};
use crate::exchange::district_case;
use crate::hall_api::act;
use crate::support::Api;

#[tokio::test]
async fn the_city_reads_a_districts_cases_and_the_message_log_on_its_exchange_page(
) -> anyhow::Result<()> {
    let district = TestApp::demo_with_cases(0).await?;
    let city = TestApp::demo_with_cases(0).await?;
    district
        .app
        .join_platform(Platform::District("330106".into()))
        .await?;
    city.app.join_platform(Platform::City).await?;
    let (_, key) = district.app.exchange_key().await?;
    city.app
        .trust_peer_at_deployment("district:330106", &key)
        .await?;

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
