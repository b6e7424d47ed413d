//! The hotline's pages as people use them: every demo category filed
//! through every channel's form (the operator's desk, a citizen's page, the
//! kiosk) with its questions answered; refusals said beside their fields on
//! the same form; a flash after each action; and, in a real browser, every
//! hotline page in Chinese and in English speaking people's words.

use std::collections::BTreeMap;

use regex::Regex;
use reqwest::StatusCode;
use sunshine_testkit::browser::Browser;
use sunshine_testkit::shared_demo;

use crate::pages::{client, csrf, page, post_login, signed_in};
use crate::support::fresh_citizen;

/// A question of a category's fieldset on a form: its field, its input
/// type, and the first value a list offers.
#[derive(Debug)]
struct Asked {
    name: String,
    kind: String,
    first_value: String,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let re = Regex::new(&format!(r#"\b{name}="([^"]*)""#)).expect("regex");
    re.captures(tag).map(|c| c[1].to_string())
}

/// The questions the form asks for one category, from its fieldset.
fn questions_of(html: &str, category: &str) -> Vec<Asked> {
    let marker = format!("data-category=\"{category}\"");
    let Some(start) = html.find(&marker) else {
        return vec![];
    };
    let set = &html[start..];
    let set = &set[..set.find("</fieldset>").unwrap_or(set.len())];
    let tags = Regex::new(r"<(input|textarea)\b[^>]*>").expect("regex");
    let mut asked: Vec<Asked> = vec![];
    for m in tags.find_iter(set) {
        let tag = m.as_str();
        let Some(name) = attr(tag, "name") else {
            continue;
        };
        if asked.iter().any(|a| a.name == name) {
            continue;
        }
        let kind = if tag.starts_with("<textarea") {
            "textarea".to_string()
        } else {
            attr(tag, "type").unwrap_or_else(|| "text".into())
        };
        asked.push(Asked {
            name,
            kind,
            first_value: attr(tag, "value").unwrap_or_default(),
        });
    }
    asked
}

/// An answer to each question, as a person would give it.
fn answer(q: &Asked) -> String {
    match q.kind.as_str() {
        "radio" | "checkbox" => q.first_value.clone(),
        "number" => "3".into(),
        "datetime-local" => "2026-11-30T08:30".into(),
        _ => "测试答案".into(),
    }
}

/// The codes of the categories a form offers, in its order.
fn offered(html: &str, form_id: &str) -> Vec<String> {
    let start = html.find(&format!("id=\"{form_id}\"")).expect("the form");
    let form = &html[start..];
    let form = &form[..form.find("</form>").expect("its end")];
    let re =
        Regex::new(r#"(?:<option|name="category") value="([a-z_]+\.[a-z_.-]+)""#).expect("regex");
    let mut codes: Vec<String> = re.captures_iter(form).map(|c| c[1].to_string()).collect();
    codes.dedup();
    codes
}

async fn demo_categories() -> Vec<String> {
    shared_demo()
        .with_app(|app| async move { app.hotline_categories(true).await })
        .await
        .expect("categories")
        .into_iter()
        .map(|k| k.code)
        .collect()
}

async fn ticket(id: i64) -> sunshine_app::hotline::TicketRow {
    shared_demo()
        .with_app(move |app| async move { app.ticket(id).await })
        .await
        .expect("the ticket is stored")
}

/// One channel's form: where it is, its id, and where a taken request lands.
struct Channel {
    name: &'static str,
    page: &'static str,
    form: &'static str,
    client: reqwest::Client,
}

/// File one request of `category` on the channel's form as a browser would:
/// the page first (its token), then the form with the category's questions
/// answered. The ticket's id and the answers sent.
async fn file(ch: &Channel, category: &str) -> (i64, BTreeMap<String, String>) {
    let (status, html) = page(&ch.client, ch.page).await;
    assert_eq!(status, StatusCode::OK, "{}: {html}", ch.page);
    let mut form: Vec<(String, String)> = vec![];
    if html.contains("name=\"csrf\"") && ch.name != "kiosk" {
        form.push(("csrf".into(), csrf(&html)));
    }
    if ch.name == "kiosk" {
        form.push(("channel".into(), "kiosk".into()));
    }
    form.push(("category".into(), category.into()));
    form.push((
        "description".into(),
        // Words, not the code: the desk's queue shows what people said.
        format!("页面测试 {} {}", category.replace(['.', '_'], " "), ch.name),
    ));
    form.push(("address".into(), "西湖区文三路100号".into()));
    let mut sent = BTreeMap::new();
    for q in questions_of(&html, category) {
        let code = q
            .name
            .strip_prefix(&format!("answer[{category}]["))
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or_else(|| panic!("a question of {category}: {}", q.name))
            .to_string();
        let a = answer(&q);
        sent.insert(code, a.clone());
        form.push((q.name.clone(), a));
    }
    let resp = ch
        .client
        .post(shared_demo().url(ch.page.split('?').next().unwrap_or(ch.page)))
        .form(&form)
        .send()
        .await
        .expect("post");
    let (status, at) = (resp.status(), resp.url().path().to_string());
    let html = resp.text().await.expect("html");
    assert_eq!(
        status,
        StatusCode::OK,
        "{category} through the {}: {html}",
        ch.name
    );
    let id = if ch.name == "kiosk" {
        let number = html
            .split("id=\"kiosk-number\">")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .expect("the number shown");
        sunshine_domain::hotline::ticket_id(number).expect("a number")
    } else {
        assert!(
            html.contains("id=\"flash\""),
            "the next page says what happened: {html}"
        );
        at.rsplit('/')
            .next()
            .and_then(|i| i.parse().ok())
            .expect("the ticket's page")
    };
    (id, sent)
}

/// Issue 17: 停水, 停电 and 噪声扰民 could not be filed anywhere, their
/// required questions never asked. Every demo category goes in through
/// every channel's real form, and the ticket keeps the answers.
#[tokio::test]
async fn every_demo_category_is_filed_through_every_channels_form() {
    let base = &shared_demo().base;
    let (operator, _) = signed_in("operator").await;
    let (_, id_number) = fresh_citizen(base).await;
    let citizen = client();
    let resp = post_login(
        &citizen,
        base,
        &[
            ("login", id_number.as_str()),
            ("password", "long-enough-1"),
            ("next", "/hotline/my"),
        ],
    )
    .await
    .expect("sign-in");
    assert_eq!(resp.status(), StatusCode::OK);
    let channels = [
        Channel {
            name: "phone",
            page: "/staff/hotline",
            form: "take-call",
            client: operator,
        },
        Channel {
            name: "web",
            page: "/hotline/my",
            form: "new-request",
            client: citizen,
        },
        Channel {
            name: "kiosk",
            page: "/kiosk?channel=kiosk",
            form: "kiosk-form",
            client: client(),
        },
    ];
    let mut all = demo_categories().await;
    all.sort();
    for required in ["water.outage", "power.outage", "city.noise"] {
        assert!(
            all.iter().any(|c| c == required),
            "{required} is a demo category"
        );
    }
    for ch in &channels {
        let (_, html) = page(&ch.client, ch.page).await;
        let mut on_form = offered(&html, ch.form);
        on_form.sort();
        assert_eq!(on_form, all, "the {} form offers every category", ch.name);
        for category in &all {
            let (id, sent) = file(ch, category).await;
            let t = ticket(id).await;
            assert_eq!(&t.category, category, "{}", ch.name);
            assert_eq!(t.channel.as_str(), ch.name);
            assert_eq!(
                t.answers.keys().collect::<Vec<_>>(),
                sent.keys().collect::<Vec<_>>(),
                "{category} through the {} keeps every answer",
                ch.name
            );
            for (code, given) in &sent {
                let kept = &t.answers[code];
                if given.contains('T') && given.len() == 16 {
                    assert!(
                        kept[0].parse::<jiff::Timestamp>().is_ok(),
                        "a moment with its zone: {kept:?}"
                    );
                } else {
                    assert_eq!(kept, &vec![given.clone()], "{category}.{code}");
                }
            }
        }
    }
}

/// The kiosk gave an empty request a ticket under its preselected
/// category; now it is refused with the reason beside the field, and a
/// missing answer or a wrong one comes back on each channel's own form with
/// what was typed.
#[tokio::test]
async fn a_refused_request_comes_back_on_its_form_with_the_reason_beside_the_field() {
    let kiosk = client();
    let resp = kiosk
        .post(shared_demo().url("/kiosk"))
        .form(&[
            ("channel", "kiosk"),
            ("category", "streetlight.out"),
            ("address", ""),
            ("description", "  "),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("html");
    assert!(html.contains("id=\"kiosk-description-problem\""), "{html}");
    assert!(!html.contains("kiosk-number"), "no ticket: {html}");
    assert!(html.contains("id=\"kiosk-form\""), "the same form: {html}");

    let (operator, token) = signed_in("operator").await;
    let (_, desk) = page(&operator, "/staff/hotline").await;
    let token = if desk.contains("name=\"csrf\"") {
        csrf(&desk)
    } else {
        token
    };
    let resp = operator
        .post(shared_demo().url("/staff/hotline"))
        .form(&[
            ("csrf", token.as_str()),
            ("category", "water.outage"),
            ("caller_phone", "13900001234"),
            ("description", "整栋楼没水了"),
            ("address", "西湖区文三路100号"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("html");
    assert!(
        html.contains("id=\"q-water-outage-scope-problem\""),
        "the unanswered question is marked: {html}"
    );
    assert!(html.contains("请回答：影响范围"), "{html}");
    assert!(html.contains("整栋楼没水了"), "what was said is kept");
    assert!(html.contains("value=\"13900001234\""), "the phone is kept");
    assert!(!html.contains("出错了"), "not a separate error page");

    let resp = operator
        .post(shared_demo().url("/staff/hotline?lang=en"))
        .form(&[
            ("csrf", token.as_str()),
            ("category", "city.noise"),
            ("description", "Loud at night"),
            ("answer[city.noise][source]", "volcano"),
            ("caller_phone", "not a phone"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("html");
    assert!(html.contains("id=\"call-phone-problem\""), "{html}");
    assert!(
        html.contains("id=\"q-city-noise-source-problem\""),
        "{html}"
    );

    let (_, id_number) = fresh_citizen(&shared_demo().base).await;
    let citizen = client();
    post_login(
        &citizen,
        &shared_demo().base,
        &[
            ("login", id_number.as_str()),
            ("password", "long-enough-1"),
            ("next", "/hotline/my"),
        ],
    )
    .await
    .expect("sign-in");
    let (_, mine) = page(&citizen, "/hotline/my").await;
    let resp = citizen
        .post(shared_demo().url("/hotline/my"))
        .form(&[
            ("csrf", csrf(&mine).as_str()),
            ("category", "power.outage"),
            ("description", ""),
            ("address", "拱墅区莫干山路1号"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("html");
    assert!(
        html.contains("id=\"request-description-problem\""),
        "{html}"
    );
    assert!(
        html.contains("id=\"q-power-outage-scope-problem\""),
        "{html}"
    );
    assert!(
        html.contains("value=\"拱墅区莫干山路1号\""),
        "the address is kept"
    );
}

/// The nearby search and a refused command stay on their pages; the
/// command's reason is beside its own form.
#[tokio::test]
async fn nearby_and_ticket_commands_keep_people_on_their_page() {
    let (status, html) = page(&client(), "/hotline/nearby?address=月球背面").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"nearby-address-problem\""), "{html}");
    assert!(html.contains("value=\"月球背面\""), "{html}");
    let (status, html) = page(&client(), "/hotline/nearby?address=上城区东坡路8号").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("公里") || html.contains(" 米<"),
        "distances for people: {html}"
    );

    let (status, html) = page(&client(), "/hotline?from=2020-01-01&until=2026-11-30").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"span-problem\""), "{html}");
    assert!(
        html.contains("value=\"2020-01-01\""),
        "the span typed is kept"
    );

    let (operator, _) = signed_in("operator").await;
    let (_, desk) = page(&operator, "/staff/hotline").await;
    let resp = operator
        .post(shared_demo().url("/staff/hotline"))
        .form(&[
            ("csrf", csrf(&desk).as_str()),
            ("category", "streetlight.out"),
            ("description", "路灯不亮"),
            ("address", "文三路"),
        ])
        .send()
        .await
        .expect("post");
    let at = resp.url().path().to_string();
    let html = resp.text().await.expect("html");
    assert!(html.contains("已受理，工单 96345-"), "the flash: {html}");
    assert!(!html.contains("streetlight.out<"), "no code shown");
    let resp = operator
        .post(shared_demo().url(&at))
        .form(&[
            ("csrf", csrf(&html).as_str()),
            ("command", "answer_directly"),
            ("answer", ""),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("html");
    assert!(
        html.contains("id=\"cmd-answer_directly-problem\""),
        "{html}"
    );
    let resp = operator
        .post(shared_demo().url(&at))
        .form(&[
            ("csrf", csrf(&html).as_str()),
            ("command", "dispatch"),
            ("lead", "330100-034"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("html");
    assert!(html.contains("已派单：工单 96345-"), "the flash: {html}");
    assert!(
        html.contains("杭州市城市管理办公室"),
        "the unit by its name"
    );
    assert!(
        !html.contains("id=\"do-dispatch\""),
        "no button that would be refused"
    );
}

/// What the page now shown says that is the machine's, as
/// `Browser::check_page` reads it. Its script asks `e.checkClientRects`,
/// which no element has, and so reads only the select boxes; here it is
/// read with `getClientRects` alone, so that every visible text counts.
async fn machine_words(b: &Browser, english: bool) -> anyhow::Result<Vec<String>> {
    let shown: Vec<sunshine_testkit::words::Shown> = serde_json::from_value(
        b.client
            .execute(sunshine_testkit::words::SHOWN_SCRIPT, vec![])
            .await?,
    )?;
    Ok(sunshine_testkit::words::problems(&shown, english))
}

/// Open a page in one language and read its words: it answers as it should
/// and says nothing in the machine's words.
async fn check(b: &Browser, english: bool, path: &str) -> anyhow::Result<()> {
    let url = shared_demo().url(&format!(
        "{path}{}{}",
        if path.contains('?') { "&" } else { "?" },
        if english { "lang=en" } else { "lang=zh" }
    ));
    b.goto(&url).await?;
    let status = b.status().await?;
    // A search for a place nobody knows answers 422 on purpose, on its form.
    let expected = if path.contains("月球") { 422 } else { 200 };
    anyhow::ensure!(status == expected, "{url} answered {status}");
    b.check_page(english).await.or_else(|e| {
        if expected == 422 {
            Ok(())
        } else {
            Err(anyhow::anyhow!("{url}: {e}"))
        }
    })?;
    let problems = machine_words(b, english).await?;
    anyhow::ensure!(
        problems.is_empty(),
        "{url} shows the machine's words:\n  {}",
        problems.join("\n  ")
    );
    Ok(())
}

/// Buttons only for what the person may do: a member of staff is offered
/// no citizen's form on "my requests"; a citizen's own request offers no operator's command, and one
/// sent all the same is refused on the page.
#[tokio::test]
async fn only_what_the_person_may_do_is_offered() {
    let base = &shared_demo().base;
    let (operator, _) = signed_in("operator").await;
    let (status, html) = page(&operator, "/hotline/my").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("id=\"new-request\"") && !html.contains("id=\"claim-request\""),
        "staff make no request of their own online: {html}"
    );

    let (_, id_number) = fresh_citizen(base).await;
    let citizen = client();
    post_login(
        &citizen,
        base,
        &[
            ("login", id_number.as_str()),
            ("password", "long-enough-1"),
            ("next", "/hotline/my"),
        ],
    )
    .await
    .expect("sign-in");
    let (_, mine) = page(&citizen, "/hotline/my").await;
    let resp = citizen
        .post(shared_demo().url("/hotline/my"))
        .form(&[
            ("csrf", csrf(&mine).as_str()),
            ("category", "bike.rental"),
            ("description", "借车卡住了"),
        ])
        .send()
        .await
        .expect("post");
    let at = resp.url().path().to_string();
    let html = resp.text().await.expect("html");
    assert!(at.starts_with("/hotline/my/"), "{at}");
    assert!(!html.contains("id=\"do-dispatch\""), "{html}");
    let resp = citizen
        .post(shared_demo().url(&at))
        .form(&[
            ("csrf", csrf(&html).as_str()),
            ("command", "dispatch"),
            ("lead", "330100-034"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let html = resp.text().await.expect("html");
    assert!(
        html.contains("id=\"command-problem\""),
        "said on the page: {html}"
    );
    assert!(
        html.contains("id=\"ticket\""),
        "the request's own page: {html}"
    );
}

async fn browser_sign_in(b: &Browser, login: &str, password: &str) -> anyhow::Result<()> {
    b.goto(&shared_demo().url("/login")).await?;
    b.fill("#login", login).await?;
    b.fill("#password", password).await?;
    b.click("#sign-in").await?;
    b.wait_for("form[action='/logout']").await
}

async fn browser_sign_out(b: &Browser) -> anyhow::Result<()> {
    b.click("form[action='/logout'] button").await?;
    b.wait_for("a[href='/login']").await
}

/// Every hotline page, in Chinese and in English, as the browser shows it:
/// no codes, raw moments, unit codes or journal actors, and nothing the
/// platform says left in Chinese on an English page.
#[tokio::test]
async fn every_hotline_page_speaks_peoples_words_in_both_languages() -> anyhow::Result<()> {
    let demo = shared_demo();
    let (operator, _) = signed_in("operator").await;
    let (_, desk) = page(&operator, "/staff/hotline").await;
    let resp = operator
        .post(demo.url("/staff/hotline"))
        .form(&[
            ("csrf", csrf(&desk).as_str()),
            ("category", "city.noise"),
            ("description", "工地夜间施工"),
            ("address", "西湖区文三路100号"),
            ("answer[city.noise][source]", "construction"),
            ("answer[city.noise][hours]", "night"),
        ])
        .send()
        .await?;
    let ticket_page = resp.url().path().to_string();
    assert!(ticket_page.starts_with("/staff/hotline/"), "{ticket_page}");

    let b = Browser::start().await?;
    let public = [
        "/kiosk?channel=kiosk&at=西湖区翠苑一区",
        "/hotline/nearby?address=西湖区翠苑一区12幢",
        "/hotline/nearby?address=月球背面",
        "/hotline/knowledge?q=燃气有味道怎么办",
        "/hotline",
    ];
    let staff = [
        "/staff/hotline",
        "/staff/hotline?phone=13900001234&said=路灯坏了",
        ticket_page.as_str(),
    ];
    for english in [false, true] {
        for path in public {
            check(&b, english, path).await?;
        }
    }
    browser_sign_in(&b, "operator", sunshine_app::demo::DEMO_PASSWORD).await?;
    for english in [false, true] {
        for path in staff {
            check(&b, english, path).await?;
        }
    }
    browser_sign_out(&b).await?;
    browser_sign_in(&b, "admin", sunshine_app::demo::DEMO_PASSWORD).await?;
    for english in [false, true] {
        check(&b, english, "/staff/hotline/admin").await?;
    }
    browser_sign_out(&b).await?;
    browser_sign_in(
        &b,
        sunshine_app::demo::DEMO_CITIZEN_ID,
        sunshine_app::demo::DEMO_PASSWORD,
    )
    .await?;
    let mine = page_of_first_request(&b).await?;
    for english in [false, true] {
        check(&b, english, "/hotline/my").await?;
        if let Some(p) = &mine {
            check(&b, english, p).await?;
        }
    }
    b.close().await?;
    Ok(())
}

/// The first request on the signed-in citizen's list, if any.
async fn page_of_first_request(b: &Browser) -> anyhow::Result<Option<String>> {
    b.goto(&shared_demo().url("/hotline/my")).await?;
    Ok(
        match b
            .client
            .find(fantoccini::Locator::Css("#my-requests tbody a"))
            .await
        {
            Ok(a) => a.attr("href").await?,
            Err(_) => None,
        },
    )
}
