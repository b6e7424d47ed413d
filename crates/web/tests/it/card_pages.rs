//! The citizen card's pages as the holder, the counter and the operator
//! see them: each button says what it does, a pass is confirmed before it
//! is bought and shows among the transactions, the counter offers what
//! the card's state allows, every action says what it did — in Chinese
//! and in English, in people's words.

use reqwest::StatusCode;
use serde_json::json;
use sunshine_testkit::browser::Browser;
use sunshine_testkit::shared_demo;

use crate::pages::{client, page, post_login, signed_in};
use crate::support::{fresh_citizen, Api};

/// A top-up's id no other test uses.
fn top_up_id() -> u64 {
    rand::random::<u64>() % (1 << 60) + 1
}

/// A bound citizen holding an active card whose account the counter paid
/// `account_fen` into: their identity number and the card's number.
async fn citizen_with_card(account_fen: i64) -> (String, String) {
    let base = &shared_demo().base;
    let (_, id) = fresh_citizen(base).await;
    crate::support::enrolled(base, &id, "赵六").await;
    let clerk = Api::as_user(base, "card.clerk").await;
    let (status, card) = clerk
        .post(
            "/api/v1/cards",
            json!({"holder": id, "holder_name": "赵六", "rider_category": "adult"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let number = card["number"].as_str().expect("number").to_string();
    let (status, body) = clerk
        .post(
            &format!("/api/v1/cards/{number}/commands"),
            json!({"command": "activate"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = clerk
        .post(
            &format!("/api/v1/cards/{number}/top-ups"),
            json!({"id": top_up_id(), "purse": "account", "amount": account_fen}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    (id, number)
}

async fn citizen_client(id: &str) -> reqwest::Client {
    let c = client();
    let resp = post_login(
        &c,
        &shared_demo().base,
        &[("login", id), ("password", "long-enough-1")],
    )
    .await
    .expect("login");
    assert_eq!(resp.status(), StatusCode::OK);
    c
}

#[tokio::test]
async fn a_holder_moves_money_into_the_wallet_and_confirms_a_pass_before_buying_it() {
    let (id, number) = citizen_with_card(20_000).await;
    let c = citizen_client(&id).await;
    let (status, html) = page(&c, "/card").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("从实名账户转入电子钱包") && html.contains("200.00 元"),
        "the top-up says where the money comes from and goes: {html}"
    );
    let token = crate::pages::csrf(&html);

    // Into the wallet: told what happened, the balances move.
    let resp = c
        .post(shared_demo().url(&format!("/card/{number}/top-up")))
        .form(&[
            ("csrf", token.as_str()),
            ("purse", "wallet"),
            ("amount", "100"),
            ("id", &top_up_id().to_string()),
        ])
        .send()
        .await
        .expect("top-up");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("已从实名账户转入电子钱包 100.00 元"),
        "the flash says what was done: {html}"
    );
    assert!(
        html.contains("<td class=\"wallet\">100.00 元</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td class=\"account\">100.00 元</td>"),
        "{html}"
    );

    // The pass: first its price and dates, nothing bought yet.
    let today = shared_demo().clock_today();
    let (status, confirm) = page(
        &c,
        &format!("/card/{number}/pass?product=bus_month&first_day={today}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        confirm.contains("id=\"confirm-price\">60.00 元<")
            && confirm.contains("id=\"confirm-validity\""),
        "the price and the days it holds: {confirm}"
    );
    let (_, html) = page(&c, "/card").await;
    assert!(
        html.contains("<td class=\"wallet\">100.00 元</td>"),
        "nothing is bought before the confirmation"
    );
    // A first day that is not a day is said beside the pass form.
    let (status, html) = page(
        &c,
        &format!("/card/{number}/pass?product=bus_month&first_day=soon"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"card-problem\"") && html.contains("class=\"buy-pass\""));

    // Confirmed: bought, said, and among the transactions.
    let token = crate::pages::csrf(&confirm);
    let resp = c
        .post(shared_demo().url(&format!("/card/{number}/pass")))
        .form(&[
            ("csrf", token.as_str()),
            ("product", "bus_month"),
            ("first_day", today.as_str()),
        ])
        .send()
        .await
        .expect("buy");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    assert!(html.contains("已从电子钱包扣款 60.00 元"), "{html}");
    assert!(
        html.contains("<td class=\"wallet\">40.00 元</td>"),
        "{html}"
    );
    assert!(
        html.contains("data-outcome=\"pass\"") && html.contains("购买月票"),
        "the pass is among the recent transactions: {html}"
    );
}

#[tokio::test]
async fn the_counter_offers_what_the_cards_state_allows() {
    let (id, number) = citizen_with_card(1_000).await;
    let (c, token) = signed_in("card.clerk").await;
    let (status, html) = page(&c, &format!("/staff/card?holder={id}")).await;
    assert_eq!(status, StatusCode::OK);
    let section = html
        .split(&format!("data-card=\"{number}\""))
        .nth(1)
        .expect("the card");
    let top_up = section
        .find("class=\"top-up\"")
        .expect("an active card takes money");
    let steps = section.find("class=\"card-command\"").expect("steps");
    assert!(top_up < steps, "an active card's first form is the top-up");
    assert!(
        section.contains("<h3>现金充值</h3>") && section.contains("<h3>卡片状态办理</h3>"),
        "each form has a heading"
    );
    assert!(
        !section.contains("value=\"activate\""),
        "an active card is not activated again"
    );

    // Reported lost at the counter: told so, and found-again comes first.
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        let mut all = vec![("csrf", token.clone()), ("holder", id.clone())];
        all.extend(fields);
        c.post(shared_demo().url(&path)).form(&all).send()
    };
    let resp = post(
        format!("/staff/card/{number}/command"),
        vec![("command", "report_loss".into())],
    )
    .await
    .expect("loss");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    assert!(html.contains(&format!("卡 {number} 已挂失")), "{html}");
    let section = html
        .split(&format!("data-card=\"{number}\""))
        .nth(1)
        .expect("the card");
    let first_step = section
        .split("<select name=\"command\" class=\"command\">")
        .nth(1)
        .and_then(|s| s.split("value=\"").nth(1))
        .and_then(|s| s.split('"').next());
    assert_eq!(
        first_step,
        Some("cancel_loss"),
        "a lost card: found again first"
    );
    assert!(section.contains("value=\"replace\""), "or replaced");
    assert!(
        !section.contains("class=\"top-up\""),
        "no top-up on a lost card"
    );

    // A step the state refuses stays on the counter with the reason beside its form.
    let resp = post(
        format!("/staff/card/{number}/command"),
        vec![("command", "unfreeze".into())],
    )
    .await
    .expect("unfreeze");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("page");
    let beside = html
        .split("class=\"card-command\"")
        .nth(1)
        .and_then(|f| f.split("</form>").next())
        .unwrap_or_default();
    assert!(beside.contains("id=\"counter-problem\""), "{html}");

    // Cancelled: nothing offered that would be refused.
    let resp = post(
        format!("/staff/card/{number}/command"),
        vec![("command", "cancel".into())],
    )
    .await
    .expect("cancel");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    let section = html
        .split(&format!("data-card=\"{number}\""))
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("the card");
    for form in [
        "card-command",
        "top-up",
        "card-pin",
        "entitlement",
        "buy-pass",
        "bike",
    ] {
        assert!(
            !section.contains(&format!("class=\"{form}\"")),
            "a cancelled card offers no {form}"
        );
    }
    assert!(section.contains("class=\"meta no-service\""), "{section}");
}

async fn sign_in(b: &Browser, login: &str, password: &str) -> anyhow::Result<()> {
    b.goto(&format!("{}/login?lang=zh", shared_demo().base))
        .await?;
    b.fill("#login", login).await?;
    b.fill("#password", password).await?;
    b.click("#sign-in").await?;
    b.wait_for("form[action='/logout']").await
}

async fn sign_out(b: &Browser) -> anyhow::Result<()> {
    b.click("form[action='/logout'] button").await?;
    b.wait_for("a[href='/login']").await
}

/// Visit `path` in Chinese and in English and check each speaks people's words.
async fn both_languages(b: &Browser, path: &str) -> anyhow::Result<()> {
    let base = &shared_demo().base;
    let sep = if path.contains('?') { '&' } else { '?' };
    for (lang, english) in [("zh", false), ("en", true)] {
        b.goto(&format!("{base}{path}{sep}lang={lang}")).await?;
        b.check_page(english)
            .await
            .map_err(|e| anyhow::anyhow!("{path} in {lang}: {e}"))?;
    }
    Ok(())
}

#[tokio::test]
async fn the_holder_the_counter_and_the_operator_read_the_card_in_their_own_words(
) -> anyhow::Result<()> {
    let (id, number) = citizen_with_card(20_000).await;
    let b = Browser::start().await?;
    let base = &shared_demo().base;

    // The holder: into the wallet, then a pass confirmed before it is bought.
    sign_in(&b, &id, "long-enough-1").await?;
    both_languages(&b, "/card").await?;
    // English from here on, as the language switch leaves it.
    b.goto(&format!("{base}/lang?to=en&next=/card")).await?;
    b.fill("section.card .top-up-amount", "100").await?;
    b.click("section.card .top-up-submit").await?;
    b.wait_text("section.card .wallet", "CNY 100.00").await?;
    b.check_page(true).await?;
    b.click("section.card .buy-pass-submit").await?;
    b.wait_for("#confirm-pass").await?;
    let price = b.text("#confirm-price").await?;
    assert_eq!(price, "CNY 60.00");
    b.check_page(true).await?;
    b.click("#confirm-pass-submit").await?;
    b.wait_text("section.card .wallet", "CNY 40.00").await?;
    b.wait_for("section.card tr[data-outcome='pass']").await?;
    b.check_page(true).await?;
    both_languages(&b, "/card").await?;
    sign_out(&b).await?;

    // The counter, with the holder's cards.
    sign_in(&b, "card.clerk", sunshine_app::demo::DEMO_PASSWORD).await?;
    both_languages(&b, "/staff/card").await?;
    both_languages(&b, &format!("/staff/card?holder={id}")).await?;
    b.goto(&format!("{base}/staff/card?holder={id}&lang=en"))
        .await?;
    b.click(&format!(
        "section.card[data-card='{number}'] .buy-pass-submit"
    ))
    .await?;
    b.wait_for("#confirm-pass").await?;
    b.check_page(true).await?;
    b.click("#confirm-pass-cancel").await?;
    b.wait_for(&format!("section.card[data-card='{number}']"))
        .await?;
    sign_out(&b).await?;

    // The operator's operations page.
    sign_in(&b, "card.operator", sunshine_app::demo::DEMO_PASSWORD).await?;
    both_languages(&b, "/staff/card/operations").await?;
    let today = shared_demo().clock_today();
    both_languages(&b, &format!("/staff/card/operations?day={today}")).await?;
    b.close().await?;
    Ok(())
}
