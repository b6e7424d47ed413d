//! The hall's pages as a visitor without a browser sees them: applying with
//! files, following a case, the clerk's inbox and case forms, counter
//! registration; every form's errors next to its fields.

use reqwest::multipart::Form;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_testkit::shared_demo;

use crate::hall_api::{act, apply_online, city_item, fee_city_item, penalty_city_item};
use crate::pages::{client, csrf, page, signed_in};
use crate::support::{answers_for, file_part, fresh_citizen, with_required_files, Api, PDF};

mod clerk;

/// Sign in through the login form: the client, where it landed, and the CSRF token.
async fn sign_in(login: &str, password: &str, next: &str) -> (reqwest::Client, String, String) {
    let c = client();
    let resp = crate::pages::post_login(
        &c,
        &shared_demo().base,
        &[("login", login), ("password", password), ("next", next)],
    )
    .await
    .expect("login");
    let landed = resp.url().path().to_string();
    let token = csrf(&resp.text().await.expect("html"));
    (c, landed, token)
}

/// POST a multipart form from a page session.
async fn post_multipart(
    c: &reqwest::Client,
    path: &str,
    form: Form,
) -> (StatusCode, String, String) {
    let resp = c
        .post(shared_demo().url(path))
        .multipart(form)
        .send()
        .await
        .expect("post");
    let (status, at) = (resp.status(), resp.url().path().to_string());
    (status, at, resp.text().await.expect("html"))
}

async fn post_form(
    c: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let resp = c
        .post(shared_demo().url(path))
        .form(form)
        .send()
        .await
        .expect("post");
    let (status, at) = (resp.status(), resp.url().path().to_string());
    (status, at, resp.text().await.expect("html"))
}

/// The text between `id="<id>"` and the end of its element.
fn text_of(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    html.find(&marker)
        .and_then(|i| html[i..].split_once('>'))
        .map(|(_, rest)| rest.split('<').next().unwrap_or("").to_string())
        .unwrap_or_default()
}

/// The answers of a guide's form as page fields.
fn answer_fields(guide: &Value) -> Vec<(String, String)> {
    answers_for(&guide["form"])
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (format!("answer.{k}"), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn page_application(token: &str, guide: &Value, with_files: bool) -> Form {
    let mut form = Form::new().text("csrf", token.to_string());
    for (k, v) in answer_fields(guide) {
        form = form.text(k, v);
    }
    if with_files {
        form = with_required_files(form, guide);
    }
    form
}

#[tokio::test]
async fn a_citizen_applies_on_the_page_with_files_and_follows_the_case() {
    let base = &shared_demo().base;
    let (item_id, guide) = city_item().await;

    // A visitor is asked to sign in first, and comes back to the form.
    let (_, html) = page(&client(), &format!("/catalog/{item_id}")).await;
    assert!(html.contains(&format!("href=\"/login?next=/hall/apply/{item_id}\"")));
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let resp = bare
        .get(shared_demo().url(&format!("/hall/apply/{item_id}")))
        .send()
        .await
        .expect("page");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, id_number) = fresh_citizen(base).await;
    let (c, landed, token) = sign_in(
        &id_number,
        "long-enough-1",
        &format!("/hall/apply/{item_id}"),
    )
    .await;
    assert_eq!(landed, format!("/hall/apply/{item_id}"));
    let (_, html) = page(&c, &format!("/hall/apply/{item_id}")).await;
    assert!(
        html.contains("enctype=\"multipart/form-data\"") && html.contains("name=\"material.0\"")
    );
    let (_, guide_html) = page(&c, &format!("/catalog/{item_id}")).await;
    assert!(guide_html.contains(&format!("id=\"apply\" href=\"/hall/apply/{item_id}\"")));

    // Errors stand next to their fields, and what was typed stays.
    let first_key = guide["form"][0]["key"]
        .as_str()
        .expect("a field")
        .to_string();
    let form = Form::new()
        .text("csrf", token.clone())
        .text(format!("answer.{first_key}"), "保留的输入")
        .part("material.0", file_part(b"<html>not a pdf</html>", "表.pdf"));
    let (status, _, html) = post_multipart(&c, &format!("/hall/apply/{item_id}"), form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("保留的输入"), "the input is kept");
    assert!(
        text_of(&html, "file-0-error").contains("PDF"),
        "the disguised file's reason"
    );
    assert!(!text_of(&html, "form-error").is_empty());
    let required = guide["form"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["required"] == true && f["key"] != first_key.as_str())
        .and_then(|f| f["key"].as_str())
        .expect("a second required field");
    assert!(!text_of(&html, &format!("answer-{required}-error")).is_empty());
    let (status, _, _) = post_multipart(
        &c,
        &format!("/hall/apply/{item_id}"),
        page_application("not-the-token", &guide, true),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a form without its CSRF token"
    );

    // The application goes in: the page shows the number and the query code.
    let (status, at, html) = post_multipart(
        &c,
        &format!("/hall/apply/{item_id}"),
        page_application(&token, &guide, true),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(at.starts_with("/hall/cases/"), "{at}");
    assert!(html.contains("id=\"submitted\""));
    let number = text_of(&html, "number");
    let code = text_of(&html, "query-code");
    assert_eq!(code.len(), 8, "{html}");
    assert!(html.contains("扫描件.pdf") && html.contains("id=\"withdraw\""));
    let link = format!("/hall/cases/{number}/materials/");
    let start = html.find(&link).expect("a download link");
    let href: String = html[start..].split('"').next().unwrap_or("").to_string();
    let resp = c
        .get(shared_demo().url(&href))
        .send()
        .await
        .expect("download");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(resp.bytes().await.expect("bytes").as_ref(), PDF);
    let resp = client()
        .get(shared_demo().url(&href))
        .send()
        .await
        .expect("anonymous");
    assert!(
        resp.url().path().starts_with("/login"),
        "files are never public"
    );

    let (_, mine) = page(&c, "/hall/my").await;
    assert!(mine.contains(&number) && mine.contains("已提交"));

    // More files while it waits; a bad one is explained on the page.
    let (status, _, html) = post_multipart(
        &c,
        &format!("/hall/cases/{number}/materials"),
        Form::new()
            .text("csrf", token.clone())
            .part("material.0", file_part(b"MZ executable", "x.pdf")),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!text_of(&html, "file-0-error").is_empty(), "{html}");
    let (status, _, html) = post_multipart(
        &c,
        &format!("/hall/cases/{number}/materials"),
        Form::new()
            .text("csrf", token.clone())
            .part("material.0", file_part(PDF, "补充.pdf")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("补充.pdf"));

    // Anyone can follow it with the number and code; the applicant is masked.
    let (status, tracked) = page(
        &client(),
        &format!("/hall/track?number={number}&code={code}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        tracked.contains("赵某") && !tracked.contains(&id_number) && !tracked.contains("扫描件")
    );
    let (status, wrong) = page(
        &client(),
        &format!("/hall/track?number={number}&code=AAAAAAAA"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        !text_of(&wrong, "track-error").is_empty(),
        "the reason stands by the form"
    );
    let (_, en) = page(
        &client(),
        &format!("/hall/track?number={number}&code={code}&lang=en"),
    )
    .await;
    assert!(en.contains("Track a case") && en.contains("Submitted"));

    // The applicant withdraws.
    let (status, _, html) = post_form(
        &c,
        &format!("/hall/cases/{number}/withdraw"),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text_of(&html, "state"), "已撤回");
    assert!(
        !html.contains("id=\"withdraw\""),
        "no second withdrawal offered"
    );
}

#[tokio::test]
async fn a_correction_is_supplied_on_the_page_with_its_files() {
    let base = &shared_demo().base;
    let (citizen_api, id_number) = fresh_citizen(base).await;
    let clerk = Api::as_user(base, "clerk").await;
    let (item_id, guide) = city_item().await;
    let (_, case) = apply_online(&citizen_api, item_id, &guide).await;
    let number = case["number"].as_str().expect("number").to_string();
    act(
        &clerk,
        &number,
        json!({"command": "request_correction", "what": "申请表缺少签字"}),
    )
    .await;
    let (c, _, token) = sign_in(&id_number, "long-enough-1", "/hall/my").await;
    let (_, html) = page(&c, &format!("/hall/cases/{number}")).await;
    assert!(html.contains("id=\"correction-form\"") && html.contains("待补正"));
    let (status, _, html) = post_multipart(
        &c,
        &format!("/hall/cases/{number}/materials"),
        Form::new()
            .text("csrf", token)
            .text("supply", "1")
            .part("material.0", file_part(PDF, "签字版.pdf")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text_of(&html, "state"), "已提交", "back to be accepted");
    assert!(html.contains("签字版.pdf"));
}

/// 一件事一次办 on the pages: the offer, the one form with every item's
/// materials, a refusal shown next to its fields, and the combined result.
#[tokio::test]
async fn a_citizen_applies_for_a_bundle_on_its_page_and_follows_the_combined_result() {
    let (status, list) = page(&client(), "/hall/bundles").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("href=\"/hall/bundles/OPEN-RESTAURANT\""),
        "{list}"
    );
    assert!(
        list.contains("开办网吧"),
        "the unavailable one is listed too"
    );
    let (_, anonymous) = page(&client(), "/hall/bundles/OPEN-RESTAURANT").await;
    assert!(anonymous.contains("id=\"sign-in-to-apply\""));

    // A citizen of their own, so that other tests' applications don't mix in.
    let (_, id) = fresh_citizen(&shared_demo().base).await;
    let (c, _, _) = sign_in(&id, "long-enough-1", "/hall/bundles/OPEN-RESTAURANT").await;
    let (status, html) = page(&c, "/hall/bundles/OPEN-RESTAURANT").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"submit-bundle\""), "{html}");
    assert_eq!(
        html.matches("name=\"answer.contact_phone\"").count(),
        1,
        "a field the items share is asked once"
    );
    let token = csrf(&html);
    let bundle: Value = reqwest::get(shared_demo().url("/api/v1/hall/bundles/OPEN-RESTAURANT"))
        .await
        .expect("bundle")
        .json()
        .await
        .expect("json");

    // Without files and with a bad phone: the page says so next to each field.
    let mut form = Form::new()
        .text("csrf", token.clone())
        .text("answer.contact_phone", "12345");
    let (status, _, html) = post_multipart(&c, "/hall/bundles/OPEN-RESTAURANT", form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"answer-contact_phone-error\""), "{html}");
    assert!(html.contains("id=\"file-0-error\""), "{html}");
    assert!(html.contains("value=\"12345\""), "the input is kept");

    form = Form::new().text("csrf", token);
    let answers = answers_for(&bundle["form"]);
    for (k, v) in answers.as_object().expect("answers") {
        form = form.text(format!("answer.{k}"), v.as_str().unwrap_or("").to_string());
    }
    let (status, at, html) = post_multipart(
        &c,
        "/hall/bundles/OPEN-RESTAURANT",
        with_required_files(form, &bundle),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(at.starts_with("/hall/bundle-applications/YJS-"), "{at}");
    assert!(html.contains("id=\"submitted\""));
    assert!(html.contains("办理中"), "the combined result");
    assert_eq!(
        html.matches("href=\"/hall/cases/").count(),
        3,
        "one case per item"
    );
    let number = at.trim_start_matches("/hall/bundle-applications/");
    let (_, mine) = page(&c, "/hall/my").await;
    assert!(mine.contains(number), "listed among the applicant's own");

    // Anyone with the number and query code follows it on the track page.
    let code = html
        .split("id=\"query-code\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the query code is shown")
        .to_string();
    let (status, tracked) = page(
        &client(),
        &format!("/hall/track?number={number}&code={code}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(tracked.contains("id=\"tracked-bundle\""), "{tracked}");
    assert_eq!(tracked.matches("<td class=\"code\">").count(), 3);
    assert!(!tracked.contains(&id), "no identity number when tracking");
    let (status, _) = page(
        &client(),
        &format!("/hall/track?number={number}&code=ZZZZZZZZ"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, outsider) = page(&client(), &format!("/hall/bundle-applications/{number}")).await;
    assert!(
        !outsider.contains("id=\"query-code\""),
        "someone signed out is sent to sign in"
    );
}

/// The hidden references of the files a refused form kept: (name, hash).
fn kept_files(html: &str) -> Vec<(String, String)> {
    let re = regex::Regex::new(
        r#"<input type="hidden" name="(kept\.\d+\.\d+)" value="([0-9a-f]{64})">"#,
    )
    .expect("regex");
    re.captures_iter(html)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

#[tokio::test]
async fn a_refused_application_keeps_the_files_already_uploaded_so_none_is_chosen_again() {
    let base = &shared_demo().base;
    let (item_id, guide) = city_item().await;
    let (_, id_number) = fresh_citizen(base).await;
    let apply_path = format!("/hall/apply/{item_id}");
    let (c, _, token) = sign_in(&id_number, "long-enough-1", &apply_path).await;

    // Every file, but a required answer left out: the form comes back with
    // the error by its field, the answers typed, and the files listed as uploaded.
    let fields = answer_fields(&guide);
    let (left_out, _) = fields
        .iter()
        .find(|(k, _)| {
            guide["form"].as_array().into_iter().flatten().any(|f| {
                f["required"] == true && format!("answer.{}", f["key"].as_str().unwrap_or("")) == *k
            })
        })
        .cloned()
        .expect("a required field");
    let mut form = Form::new().text("csrf", token.clone());
    for (k, v) in fields.iter().filter(|(k, _)| *k != left_out) {
        form = form.text(k.clone(), v.clone());
    }
    let form = with_required_files(form, &guide);
    let (status, _, html) = post_multipart(&c, &apply_path, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let key = left_out.trim_start_matches("answer.");
    assert!(
        !text_of(&html, &format!("answer-{key}-error")).is_empty(),
        "the missing answer's reason stands by it"
    );
    let kept = kept_files(&html);
    let required = guide["materials"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["required"].as_bool().unwrap_or(true))
        .count();
    assert_eq!(
        kept.len(),
        required,
        "every uploaded file is kept: {kept:?}"
    );
    assert!(
        html.contains("已上传：") && html.contains("扫描件.pdf"),
        "the kept files are listed by name"
    );

    // Someone else cannot borrow them by their hashes.
    let (_, other_id) = fresh_citizen(base).await;
    let (other, _, other_token) = sign_in(&other_id, "long-enough-1", &apply_path).await;
    let mut form = Form::new().text("csrf", other_token);
    for (k, v) in &fields {
        form = form.text(k.clone(), v.clone());
    }
    for (name, hash) in &kept {
        form = form.text(name.clone(), hash.clone());
    }
    let (status, _, html) = post_multipart(&other, &apply_path, form).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another account's kept files are not there"
    );
    assert!(kept_files(&html).is_empty());

    // Fixed without choosing the files again; a new file replaces a kept one.
    let mut form = Form::new().text("csrf", token.clone());
    for (k, v) in &fields {
        form = form.text(k.clone(), v.clone());
    }
    for (name, hash) in &kept {
        form = form.text(name.clone(), hash.clone());
    }
    let form = form.part("material.0", file_part(PDF, "替换.pdf"));
    let (status, at, html) = post_multipart(&c, &apply_path, form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(at.starts_with("/hall/cases/"), "{at}");
    let number = text_of(&html, "number");
    assert!(
        text_of(&html, "flash").contains(&number),
        "the flash says what was done: {}",
        text_of(&html, "flash")
    );
    assert!(
        html.contains("替换.pdf"),
        "the new file took the kept one's place"
    );
    assert_eq!(
        html.matches("扫描件.pdf</a>").count(),
        required - 1,
        "the other kept files went in with the case"
    );
}
