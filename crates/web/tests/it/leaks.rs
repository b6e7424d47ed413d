//! Nothing public ever shows a full identity number, a phone number or a
//! sensitive item's case: a platform with such data is crawled through every
//! public API route its OpenAPI document names and every page a visitor can
//! reach by following links, and each answer is searched for them.

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use regex::Regex;
use reqwest::StatusCode;
use serde_json::json;
use sunshine_testkit::TestApp;

use crate::board_pages::{approve, counter_person, on_board, page, signed_in};
use crate::hall_api::{act, first_city_item};
use crate::support::Api;
use crate::support::{answers_for, application_form};

/// An 18-character resident identity number, standing alone.
fn resident_id() -> Regex {
    Regex::new(r"(?:^|[^0-9A-Za-z])(\d{17}[\dXx])(?:[^0-9A-Za-z]|$)").expect("regex")
}

/// A mainland mobile number, standing alone (not a run of digits inside a
/// hex key or hash, which random keys contain now and then).
fn mobile() -> Regex {
    Regex::new(r"(?:^|[^0-9A-Za-z])(1[3-9]\d{9})(?:[^0-9A-Za-z]|$)").expect("regex")
}

/// What a leak would look like in `text`, if any.
fn leaks(text: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = resident_id()
        .captures_iter(text)
        .chain(mobile().captures_iter(text))
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
        .collect();
    found.extend(
        forbidden
            .iter()
            .filter(|f| text.contains(**f))
            .map(|f| f.to_string()),
    );
    found
}

/// Same-site links of a page, as paths.
fn links(html: &str) -> Vec<String> {
    let href = Regex::new(r#"(?:href|src|action)="(/[^"]*)""#).expect("regex");
    href.captures_iter(html)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str().replace("&#38;", "&").replace("&amp;", "&"))
        .collect()
}

#[test]
fn the_patterns_catch_what_they_are_for_and_not_masked_values() {
    assert_eq!(
        leaks("{\"id\":\"33010619900101123X\"}", &[]),
        ["33010619900101123X"]
    );
    assert_eq!(leaks("电话13812341234。", &[]), ["13812341234"]);
    assert_eq!(leaks("tel:13812341234", &[]), ["13812341234"]);
    assert!(leaks("330106********123X 91330106MA2CD00016 0571-85252345", &[]).is_empty());
    assert!(
        leaks(
            "a1b33010619900101123Xc 1700000000000000 e0f16360105659ab",
            &[]
        )
        .is_empty(),
        "inside hashes, keys and timestamps"
    );
}

#[tokio::test]
async fn no_public_route_or_page_shows_an_identity_number_a_phone_or_a_sensitive_case() {
    // With some of the demo's history: counter cases of generated people,
    // with identity numbers and phones in their answers.
    let t = TestApp::demo_with_cases(60).await.expect("demo");
    let base = t.base.clone();
    let clerk = Api::as_user(&base, "clerk").await;
    let citizen = Api::as_user(&base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let admin = Api::as_user(&base, "admin").await;
    let (item_id, guide) = first_city_item(&base).await;

    // Answers full of personal data, on every kind of case the public board shows.
    let mut answers = answers_for(&guide["form"]);
    for (k, v) in answers.as_object_mut().expect("answers") {
        if k.contains("phone") || k.contains("mobile") || k.contains("tel") {
            *v = json!("13912345678");
        }
    }
    let (status, online) = citizen
        .multipart(
            "/api/v1/hall/applications/multipart",
            application_form(item_id, &answers, &guide),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{online}");
    let online = online["number"].as_str().expect("number").to_string();
    approve(&base, &online, &guide).await;
    let counter = counter_person(
        &clerk,
        item_id,
        &guide["form"],
        "李四",
        "11010519491231002X",
    )
    .await;

    // A sensitive item's case, registered at the counter.
    let (_, all) = admin
        .get("/api/v1/catalog/versions?state=in_library&limit=500")
        .await;
    let mut sensitive = None;
    for v in all["items"].as_array().expect("items") {
        let (_, full) = admin
            .get(&format!("/api/v1/catalog/versions/{}", v["id"]))
            .await;
        if full["spec"]["sensitive"] == true && full["spec"]["region"] == "330100" {
            let item = v["item_id"].as_i64().expect("id");
            let number = counter_person(
                &clerk,
                item,
                &full["spec"]["form"],
                "周密",
                "11010519491231002X",
            )
            .await;
            act(&clerk, &number, json!({"command": "accept"})).await;
            sensitive = Some((
                number,
                item,
                full["spec"]["name"].as_str().expect("name").to_string(),
            ));
            break;
        }
    }
    let (sensitive, sensitive_item, sensitive_name) =
        sensitive.expect("the demo has a sensitive city item");
    on_board(&base, &counter, "submitted").await;
    on_board(&base, &online, "approved").await;
    let licence = format!("ZZ-{online}");
    // The QR code's token, as its holder has it.
    let (_, lic) = citizen.get(&format!("/api/v1/licences/{licence}")).await;
    let token = lic["token"].as_str().expect("token").to_string();
    let forbidden = [sensitive.as_str(), sensitive_name.as_str()];

    // The leak would be visible: staff see exactly what the public must not.
    let (staff, _) = signed_in(&base, "clerk").await;
    let (_, extranet) = page(&staff, &format!("{base}/staff/board")).await;
    let staff_sees = leaks(&extranet, &forbidden);
    for must in [
        "33010619900101123X",
        "11010519491231002X",
        sensitive.as_str(),
    ] {
        assert!(
            staff_sees.iter().any(|s| s == must),
            "the extranet view shows {must}, so the search would catch it: {staff_sees:?}"
        );
    }

    // Every public GET of the API, as its document lists them.
    let anonymous = crate::board_pages::client();
    let (_, doc) = Api::new(&base).get("/api/v1/openapi.json").await;
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        if ops.get("get").is_none() {
            continue;
        }
        let mut urls = vec![];
        for number in [&online, &counter, &sensitive, &licence] {
            for item in [item_id, sensitive_item] {
                urls.push(
                    path.replace("{item_id}", &item.to_string())
                        .replace("{version_id}", "1")
                        .replace("{login}", "admin")
                        .replace("{number}", number),
                );
            }
        }
        urls.sort();
        urls.dedup();
        for url in urls {
            let url = format!("{base}{url}?limit=500&after=0");
            let text = if path.ends_with("/stream") {
                stream_for(&anonymous, &url, Duration::from_secs(2)).await
            } else {
                page(&anonymous, &url).await.1
            };
            let found = leaks(&text, &forbidden);
            assert!(found.is_empty(), "GET {url} shows {found:?}");
            checked += 1;
        }
    }
    assert!(checked > 20, "the API was crawled ({checked} answers)");

    // Every page a visitor reaches by following links, from the entry points.
    let mut queue: VecDeque<String> = [
        "/".to_string(),
        "/board".into(),
        "/board/stats".into(),
        "/catalog".into(),
        "/licences/verify".into(),
        "/licences/keys".into(),
        format!("/licences/{licence}"),
        format!("/licences/{licence}/file"),
        format!("/licences/verify?number={licence}"),
        format!("/licences/verify?token={token}"),
        format!("/board?item_id={sensitive_item}"),
        format!("/catalog/{sensitive_item}"),
        format!("/board?item_id={item_id}&state=approved"),
    ]
    .into_iter()
    .collect();
    let mut seen = BTreeSet::new();
    let mut pages = 0;
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) || path.starts_with("/lang") || seen.len() > 600 {
            continue;
        }
        let url = format!("{base}{path}");
        let text = if path.starts_with("/api/v1/disclosure/stream") {
            stream_for(&anonymous, &url, Duration::from_secs(1)).await
        } else {
            page(&anonymous, &url).await.1
        };
        let found = leaks(&text, &forbidden);
        assert!(found.is_empty(), "{path} shows {found:?}");
        pages += 1;
        queue.extend(links(&text).into_iter().filter(|l| !seen.contains(l)));
    }
    assert!(
        seen.contains("/board/stats") && seen.iter().any(|p| p.starts_with("/catalog/")),
        "the crawl reached the board and the guides"
    );
    assert!(pages > 50, "the pages were crawled ({pages})");
    t.stop().await;
}

/// What a live stream sends within `wait`.
async fn stream_for(c: &reqwest::Client, url: &str, wait: Duration) -> String {
    let mut resp = c.get(url).send().await.expect("stream");
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, resp.chunk()).await {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}
