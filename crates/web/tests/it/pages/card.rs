//! The card pages without a browser: balances and bad input answered
//! readably, and the counter selling a pass and holding a bicycle deposit.

use super::*;

#[tokio::test]
async fn the_card_pages_show_balances_and_answer_bad_input_readably() {
    // The holder: their card, its rides with the discount, a refused top-up kept.
    let (c, token) = signed_in(sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (status, html) = page(&c, "/card").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("杭州公交集团") && html.contains("普通公交单程"),
        "rides with their place and product"
    );
    assert!(
        html.contains("data-kind=\"medical\"") && html.contains("公园年卡"),
        "the entitlements"
    );
    assert!(
        html.contains("<td>公园年卡</td><td>2027年12月31日</td>"),
        "a park card granted to the end of next year shows that day as its last: {html}"
    );
    assert!(
        html.contains("class=\"medical\"")
            && html.contains("浙江")
            && html.contains("<td class=\"self-pay\">50.00 元</td>")
            && html.contains("<td class=\"from-medical-account\">50.00 元</td>"),
        "the medical settlement, with what the holder paid and from where: {html}"
    );
    assert!(
        html.contains("医保个人账户") && html.contains("<td class=\"medical-account\">"),
        "the personal medical account: {html}"
    );
    assert!(
        html.contains("class=\"buy-pass\"") && html.contains("普通公交月票"),
        "passes on sale"
    );
    let number = html
        .split("data-card=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a card")
        .to_string();
    let resp = c
        .post(shared_demo().url(&format!("/card/{number}/top-up")))
        .form(&[
            ("csrf", token.as_str()),
            ("purse", "wallet"),
            ("amount", "ten yuan"),
            ("id", "77"),
        ])
        .send()
        .await
        .expect("top-up");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("id=\"card-problem\"") && html.contains("金额须为元"),
        "{html}"
    );
    assert!(html.contains("value=\"ten yuan\""), "the input is kept");

    // The clerk: a wrong identity number is refused on the page, the name kept.
    let (c, token) = signed_in("card.clerk").await;
    let (status, _) = page(&c, "/staff/card").await;
    assert_eq!(status, StatusCode::OK);
    let resp = c
        .post(shared_demo().url("/staff/card/issue"))
        .form(&[
            ("csrf", token.as_str()),
            ("holder", "330106198001010012"),
            ("holder_name", "林二"),
            ("rider_category", "adult"),
        ])
        .send()
        .await
        .expect("issue");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("id=\"counter-problem\"") && html.contains("value=\"林二\""),
        "{html}"
    );

    // The operator: the clearing of a day, and a day not over refused.
    let (c, token) = signed_in("card.operator").await;
    let (status, html) = page(&c, "/staff/card/operations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"parties\"") && html.contains("杭州公交集团"));
    let today = shared_demo().clock_today();
    let (status, html) = page(&c, &format!("/staff/card/operations?day={today}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("id=\"clearing\"") && html.contains("data-ties-out=\"true\""),
        "today's demo rides tie out"
    );
    let resp = c
        .post(shared_demo().url("/staff/card/settle"))
        .form(&[("csrf", token.as_str()), ("day", today.as_str())])
        .send()
        .await
        .expect("settle");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.expect("page").contains("T+1"));
    let (status, html) = page(&c, "/staff/card/operations?day=someday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("YYYY-MM-DD"));
    // A terminal registered on the page, refused a bad key, then retired.
    let code = format!("GATE-T{}", crate::support::unique());
    let key = |seed: u8| {
        hex::encode(
            ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
                .verifying_key()
                .to_bytes(),
        )
    };
    let form = |path: String, fields: Vec<(&'static str, String)>| {
        let mut all = vec![("csrf", token.clone())];
        all.extend(fields);
        c.post(shared_demo().url(&path)).form(&all).send()
    };
    let resp = form(
        "/staff/card/terminals".into(),
        vec![
            ("code", code.clone()),
            ("kind", "gate".into()),
            ("party", "hz-parks".into()),
            ("public_key", key(3)),
        ],
    )
    .await
    .expect("register");
    assert_eq!(resp.status(), StatusCode::OK, "redirected to the page");
    let html = resp.text().await.expect("page");
    assert!(
        html.contains(&format!("data-code=\"{code}\" data-retired=\"false\"")),
        "{html}"
    );
    let resp = form(
        format!("/staff/card/terminals/{code}/key"),
        vec![("public_key", "zz".into())],
    )
    .await
    .expect("key");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.expect("page").contains("ed25519"));
    let resp = form(
        format!("/staff/card/terminals/{code}/retire"),
        vec![("reason", "设备报废".into())],
    )
    .await
    .expect("retire");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains(&format!("data-code=\"{code}\" data-retired=\"true\"")),
        "{html}"
    );
    let resp = form(
        format!("/staff/card/terminals/{code}/retire"),
        vec![("reason", "again".into())],
    )
    .await
    .expect("retire again");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.expect("page").contains("已停用"));
    // A clerk is not an operator.
    let (c, _) = signed_in("card.clerk").await;
    let (status, _) = page(&c, "/staff/card/operations").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_counter_sells_a_pass_and_holds_the_bicycle_deposit_for_a_holder() {
    let (c, token) = signed_in("card.clerk").await;
    let holder = crate::support::fresh_id_number();
    crate::support::enrolled(&shared_demo().base, &holder, "周六").await;
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        let mut all = vec![("csrf", token.clone()), ("holder", holder.clone())];
        all.extend(fields);
        c.post(shared_demo().url(&path)).form(&all).send()
    };
    let resp = post(
        "/staff/card/issue".into(),
        vec![
            ("holder_name", "周六".into()),
            ("rider_category", "adult".into()),
        ],
    )
    .await
    .expect("issue");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    let number = html
        .split("data-card=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the new card")
        .to_string();
    for (what, fields) in [
        ("command", vec![("command", "activate".to_string())]),
        (
            "top-up",
            vec![("purse", "wallet".into()), ("amount", "300".into())],
        ),
    ] {
        let resp = post(format!("/staff/card/{number}/{what}"), fields)
            .await
            .expect(what);
        assert_eq!(resp.status(), StatusCode::OK, "{what}");
    }
    let (_, html) = page(&c, &format!("/staff/card?holder={holder}")).await;
    assert!(
        html.contains(&format!("action=\"/staff/card/{number}/pass\""))
            && html.contains(&format!("action=\"/staff/card/{number}/bike\"")),
        "the counter offers a pass and the bicycle deposit: {html}"
    );

    // A first day that is not a day is refused on the page, the holder's cards still shown.
    let resp = post(
        format!("/staff/card/{number}/pass"),
        vec![
            ("product", "bus_month".into()),
            ("first_day", "soon".into()),
        ],
    )
    .await
    .expect("pass");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("id=\"counter-problem\"")
            && html.contains(&format!("data-card=\"{number}\"")),
        "{html}"
    );
    let today = shared_demo().clock_today();
    let resp = post(
        format!("/staff/card/{number}/pass"),
        vec![("product", "bus_month".into()), ("first_day", today)],
    )
    .await
    .expect("pass");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("<tr data-product=\"bus_month\">")
            && html.contains("<span class=\"wallet\">240.00 元</span>"),
        "the pass is sold from the wallet: {html}"
    );
    let resp = post(
        format!("/staff/card/{number}/bike"),
        vec![("hold", "true".into())],
    )
    .await
    .expect("bike");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("class=\"bike-release\""),
        "the deposit is held: {html}"
    );
    // Another resident's card is no business of a citizen's.
    let (citizen, citizen_token) = signed_in(sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let resp = citizen
        .post(shared_demo().url(&format!("/staff/card/{number}/bike")))
        .form(&[("csrf", citizen_token.as_str()), ("hold", "false")])
        .send()
        .await
        .expect("bike");
    let answer = resp.text().await.expect("page");
    assert!(
        !answer.contains("data-card="),
        "a citizen is not at the counter: {answer}"
    );
    let (_, html) = page(&c, &format!("/staff/card?holder={holder}")).await;
    assert!(
        html.contains("class=\"bike-release\""),
        "the deposit is still held: {html}"
    );
}

#[tokio::test]
async fn a_hall_counter_checks_an_entitlement_on_the_card_page_and_strangers_cannot() {
    // The demo citizen's card has the medical entitlement.
    let citizen =
        crate::support::Api::as_user(&shared_demo().base, sunshine_app::demo::DEMO_CITIZEN_ID)
            .await;
    let (_, mine) = citizen.get("/api/v1/cards/mine").await;
    let card = mine[0]["card"]["number"]
        .as_str()
        .expect("a card")
        .to_string();

    let (c, token) = signed_in("clerk").await;
    let (status, html) = page(&c, "/staff/cases/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("href=\"/staff/cases/entitlement-check\""),
        "{html}"
    );
    let (status, html) = page(&c, "/staff/cases/entitlement-check").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"dibao\"") && !html.contains("value=\"park\""));
    let check = |card: String, kind: &'static str, csrf: String| {
        c.post(shared_demo().url("/staff/cases/entitlement-check"))
            .form(&[("csrf", csrf), ("card", card), ("kind", kind.to_string())])
            .send()
    };
    let resp = check(card.clone(), "medical", token.clone())
        .await
        .expect("check");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("id=\"check-verdict\">具备资格") && html.contains("王小明"),
        "{html}"
    );
    let result = &html[html.find("id=\"check-result\"").expect("a result")..];
    assert!(!result.contains(&card), "the result shows the card masked");
    let resp = check(card.clone(), "pension", token.clone())
        .await
        .expect("check");
    let html = resp.text().await.expect("page");
    assert!(html.contains("未开通该资格"), "{html}");
    // A kind no counter checks, and a forged form.
    let resp = check(card.clone(), "park", token.clone())
        .await
        .expect("check");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp
        .text()
        .await
        .expect("page")
        .contains("id=\"check-problem\""));
    let resp = check(card.clone(), "medical", "forged".into())
        .await
        .expect("check");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // A citizen has no counter.
    let (c, token) = signed_in(sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let resp = c
        .post(shared_demo().url("/staff/cases/entitlement-check"))
        .form(&[
            ("csrf", token.as_str()),
            ("card", card.as_str()),
            ("kind", "medical"),
        ])
        .send()
        .await
        .expect("check");
    assert!(resp.url().path().starts_with("/login"), "{}", resp.url());
    assert!(!resp.text().await.expect("page").contains("check-result"));
}
