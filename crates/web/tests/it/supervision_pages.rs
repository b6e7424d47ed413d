//! Supervision's pages as the people who use them see them: the signals
//! list one page at a time and filtered, each signal's page offering only
//! what its reader may do, the public board's grades, and complaints — in
//! Chinese and in English, in people's words.

use reqwest::StatusCode;
use serde_json::Value;
use sunshine_testkit::browser::Browser;
use sunshine_testkit::shared_demo;

use crate::pages::{client, page, post_login, signed_in};
use crate::support::Api;

/// Open signals the supervisor sees over the API, to find ones to look at.
async fn open_signals(login: &str) -> Vec<Value> {
    let api = Api::as_user(&shared_demo().base, login).await;
    let (status, list) = api
        .get("/api/v1/supervision/signals?open=true&limit=1000")
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().cloned().unwrap_or_default()
}

/// Each signal row's id on a list page.
fn row_ids(html: &str) -> Vec<String> {
    html.split("<tr id=\"signal-")
        .skip(1)
        .filter_map(|r| r.split('"').next().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn the_signals_list_is_paged_and_filtered_and_holds_no_forms() {
    let (c, _) = signed_in("supervisor").await;
    let (status, html) = page(&c, "/staff/signals?state=all").await;
    assert_eq!(status, StatusCode::OK);
    let first = row_ids(&html);
    assert!(
        !first.is_empty() && first.len() <= 50,
        "one page holds at most 50 signals: {}",
        first.len()
    );
    assert!(
        !html.contains("action=\"/staff/signals/"),
        "the list holds no forms: each signal's actions are on its own page"
    );
    assert!(
        html.contains("href=\"/staff/signals/"),
        "each signal links to its page"
    );
    if html.contains("id=\"next-page\"") {
        let (status, second) = page(&c, "/staff/signals?state=all&page=2").await;
        assert_eq!(status, StatusCode::OK);
        let next = row_ids(&second);
        assert!(
            !next.is_empty() && next.iter().all(|id| !first.contains(id)),
            "the second page goes on where the first stopped"
        );
    }

    // By level: only red cards.
    let (status, html) = page(&c, "/staff/signals?state=all&level=red").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("data-level=\"yellow\"") && !html.contains("data-level=\"warning\""),
        "only red cards are listed"
    );

    // By department and state: every signal listed is that department's.
    let signals = open_signals("supervisor").await;
    let one = signals.first().expect("the demo has open signals");
    let department = one["department"].as_str().expect("department");
    let (status, html) = page(
        &c,
        &format!("/staff/signals?state=open&department={department}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let expected = signals
        .iter()
        .filter(|s| s["department"] == department)
        .count();
    assert_eq!(
        row_ids(&html).len(),
        expected.min(50),
        "the department's open signals, and only them"
    );

    // By due day: none before the platform existed, all from then on.
    let (_, html) = page(&c, "/staff/signals?state=all&due_to=2000-01-01").await;
    assert!(row_ids(&html).is_empty(), "nothing was due in 1999");
    // A day that is not a day is said beside its field.
    let (status, html) = page(&c, "/staff/signals?due_from=soon").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"due_from-error\""), "{html}");
    let (status, html) = page(&c, "/staff/signals?level=purple").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"level-error\""), "{html}");
}

#[tokio::test]
async fn a_signal_page_offers_only_what_its_reader_may_do_and_says_what_was_done() {
    // A city department's signal the unit has not answered yet.
    let signals = open_signals("supervisor").await;
    let waiting = signals
        .iter()
        .rev()
        .find(|s| {
            s["region"] == "330100"
                && ["issued", "notified", "escalated"].contains(&s["state"].as_str().unwrap_or(""))
        })
        .expect("an unanswered city signal in the demo");
    let id = waiting["id"].as_i64().expect("id");

    // The supervisor: no 回告整改 (it would answer 403), the supervisor's own actions.
    let (sup, _) = signed_in("supervisor").await;
    let (status, html) = page(&sup, &format!("/staff/signals/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("id=\"do-respond\""),
        "a supervisor is not offered to report rectification: {html}"
    );
    assert!(html.contains("id=\"do-revoke\""), "{html}");

    // The unit's clerk: 回告整改, and nothing a supervisor does.
    let (clerk, _) = signed_in("clerk").await;
    let (status, html) = page(&clerk, &format!("/staff/signals/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"do-respond\""), "{html}");
    for other in ["do-close", "do-escalate", "do-revoke"] {
        assert!(
            !html.contains(&format!("id=\"{other}\"")),
            "a unit's clerk is not offered {other}"
        );
    }
    let token = crate::pages::csrf(&html);

    // An empty answer stays on the form with the reason beside it.
    let resp = clerk
        .post(shared_demo().url(&format!("/staff/signals/{id}")))
        .form(&[
            ("csrf", token.as_str()),
            ("command", "respond"),
            ("text", " "),
        ])
        .send()
        .await
        .expect("respond");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("page");
    assert!(html.contains("id=\"respond-error\""), "{html}");

    // Answered: back on the signal's page, told what happened.
    let resp = clerk
        .post(shared_demo().url(&format!("/staff/signals/{id}")))
        .form(&[
            ("csrf", token.as_str()),
            ("command", "respond"),
            ("text", "已补齐办理人手，剩余办件本周内办结"),
        ])
        .send()
        .await
        .expect("respond");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("已回告整改"),
        "the flash says what was done: {html}"
    );
    assert!(!html.contains("id=\"do-respond\""), "answered once");

    // Now the supervisor may close it.
    let (_, html) = page(&sup, &format!("/staff/signals/{id}")).await;
    assert!(html.contains("id=\"do-close\""), "{html}");
}

async fn sign_in(b: &Browser, login: &str) -> anyhow::Result<()> {
    b.goto(&format!("{}/login?lang=zh", shared_demo().base))
        .await?;
    b.fill("#login", login).await?;
    b.fill("#password", sunshine_app::demo::DEMO_PASSWORD)
        .await?;
    b.click("#sign-in").await?;
    b.wait_for("form[action='/logout']").await
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
async fn supervisors_and_complainants_read_supervision_in_their_own_words() -> anyhow::Result<()> {
    let b = Browser::start().await?;
    sign_in(&b, "supervisor").await?;
    both_languages(&b, "/staff/signals").await?;
    both_languages(&b, "/staff/signals?state=all&level=yellow").await?;
    both_languages(&b, "/staff/signals?state=all&page=2").await?;
    // Filtered on the page itself.
    b.goto(&format!("{}/staff/signals?lang=zh", shared_demo().base))
        .await?;
    b.set("#filter-state", "all").await?;
    b.set("#filter-level", "red").await?;
    b.click("#filter-submit").await?;
    // The list before the filter has the same count line: wait for the
    // filtered page's address, not for an element both pages have.
    let mut url = String::new();
    for _ in 0..150 {
        url = b.client.current_url().await?.to_string();
        if url.contains("level=red") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(url.contains("level=red"), "{url}");
    b.wait_for("#signal-count").await?;
    b.check_page(false).await?;
    let signals = open_signals("supervisor").await;
    for s in signals.iter().take(3) {
        both_languages(&b, &format!("/staff/signals/{}", s["id"])).await?;
    }
    both_languages(&b, "/supervision").await?;
    both_languages(&b, "/complaints").await?;
    b.click("form[action='/logout'] button").await?;
    b.wait_for("a[href='/login']").await?;

    // The demo citizen's complaints, and a complaint with no words refused beside its field.
    sign_in(&b, sunshine_app::demo::DEMO_CITIZEN_ID).await?;
    both_languages(&b, "/complaints").await?;
    b.goto(&format!("{}/complaints?lang=en", shared_demo().base))
        .await?;
    b.click("#submit-complaint").await?;
    b.wait_for("#case_number-error, #text-error").await?;
    b.close().await?;
    Ok(())
}

#[tokio::test]
async fn a_complaint_filed_on_the_page_is_confirmed_with_its_deadline() {
    let (citizen, id) = crate::support::fresh_citizen(&shared_demo().base).await;
    drop(citizen);
    let c = client();
    let resp = post_login(
        &c,
        &shared_demo().base,
        &[("login", id.as_str()), ("password", "long-enough-1")],
    )
    .await
    .expect("login");
    assert_eq!(resp.status(), StatusCode::OK);
    let (status, html) = page(&c, "/complaints").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("placeholder=\"330100-002\""),
        "a department is chosen by name"
    );
    let token = crate::pages::csrf(&html);
    let resp = c
        .post(shared_demo().url("/complaints"))
        .form(&[
            ("csrf", token.as_str()),
            ("department", "330100-002"),
            ("text", ""),
        ])
        .send()
        .await
        .expect("file");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("page");
    assert!(html.contains("id=\"text-error\""), "{html}");
    let resp = c
        .post(shared_demo().url("/complaints"))
        .form(&[
            ("csrf", token.as_str()),
            ("department", "330100-002"),
            ("text", "窗口人员态度冷淡，多次让我补交同一份材料"),
        ])
        .send()
        .await
        .expect("file");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    assert!(
        html.contains("已提交，监察人员将在"),
        "the flash says what happens next: {html}"
    );
}
