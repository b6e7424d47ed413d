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
async fn a_clerk_takes_a_case_through_its_steps_with_the_forms_the_lifecycle_allows() {
    let base = &shared_demo().base;
    let (citizen_api, id_number) = fresh_citizen(base).await;
    let (item_id, guide) = city_item().await;
    let (_, case) = apply_online(&citizen_api, item_id, &guide).await;
    let number = case["number"].as_str().expect("number").to_string();
    let (c, token) = signed_in("clerk").await;
    let case_path = format!("/staff/cases/{number}");
    let command = |cmd: &'static str, extra: Vec<(&'static str, String)>| {
        let (c, token, path) = (c.clone(), token.clone(), format!("{case_path}/command"));
        async move {
            let mut form = vec![("csrf", token), ("command", cmd.to_string())];
            form.extend(extra);
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(&c, &path, &pairs).await
        }
    };

    let (status, inbox) = page(&c, &format!("/staff/cases?q={number}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(inbox.contains(&number), "the new case is in the inbox");
    let (_, submitted) = page(&c, &format!("/staff/cases?q={number}&state=submitted")).await;
    assert!(submitted.contains(&number));
    let (_, delivered) = page(&c, &format!("/staff/cases?q={number}&state=delivered")).await;
    assert!(!delivered.contains(&format!("href=\"/staff/cases/{number}\"")));
    assert_eq!(
        page(&c, "/staff/cases?state=flying").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let (_, html) = page(&c, &case_path).await;
    assert!(html.contains(&id_number), "staff see the applicant in full");
    for offered in ["do-accept", "do-not_accept", "do-request_correction"] {
        assert!(
            html.contains(offered),
            "{offered} is offered before acceptance"
        );
    }
    assert!(!html.contains("do-claim") && !html.contains("do-approve"));
    let (status, _, html) = command("not_accept", vec![("reason", String::new())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !text_of(&html, "not_accept-reason-error").is_empty(),
        "the reason is asked for by its field"
    );
    let (status, _, html) = command("fly", vec![]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");

    let (_, _, html) = command("accept", vec![]).await;
    assert!(html.contains("do-claim") && html.contains("id=\"promised-due\""));
    let (status, _, html) = command("pass", vec![]).await;
    assert_eq!(status, StatusCode::CONFLICT, "sign for the step first");
    assert!(!text_of(&html, "pass-general").is_empty());
    let steps = guide["steps"].as_array().map(Vec::len).unwrap_or(1);
    for _ in 0..steps - 1 {
        let (_, _, html) = command("claim", vec![]).await;
        assert!(
            html.contains("do-pass") && html.contains("do-suspend"),
            "{}",
            text_of(&html, "state")
        );
        command("pass", vec![]).await;
    }
    let (_, _, html) = command("claim", vec![]).await;
    assert!(
        html.contains("do-approve") && html.contains("do-refuse") && html.contains("do-return_to")
    );
    let (status, _, html) = command("refuse", vec![("reason", " ".into())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!text_of(&html, "refuse-reason-error").is_empty());
    let (status, _, html) = command("approve", vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("href=\"/licences/ZZ-{number}\"")),
        "the e-licence is linked"
    );
    assert!(html.contains("do-deliver"));
    let (_, _, html) = command("deliver", vec![]).await;
    assert_eq!(text_of(&html, "state"), "已送达");

    // The applicant rates the decided case on its page.
    let (ac, _, atoken) = sign_in(&id_number, "long-enough-1", "/hall/my").await;
    let (_, html) = page(&ac, &format!("/hall/cases/{number}")).await;
    assert!(
        html.contains("id=\"rating-form\"") && html.contains(&format!("/licences/ZZ-{number}"))
    );
    let (status, _, html) = post_form(
        &ac,
        &format!("/hall/cases/{number}/rating"),
        &[("csrf", &atoken), ("rating", "9"), ("comment", "很快")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!text_of(&html, "rating-error").is_empty() && html.contains("很快"));
    let (status, _, html) = post_form(
        &ac,
        &format!("/hall/cases/{number}/rating"),
        &[("csrf", &atoken), ("rating", "5"), ("comment", "很快")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("id=\"rating-form\""), "rated once");

    // Staff without a case role see no inbox; an applicant's page is not the clerk's.
    let (editor, _) = signed_in("editor").await;
    assert_eq!(page(&editor, "/staff/cases").await.0, StatusCode::FORBIDDEN);
    assert_eq!(page(&editor, &case_path).await.0, StatusCode::NOT_FOUND);
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

#[tokio::test]
async fn a_clerk_registers_a_counter_case_then_charges_and_decides_a_penalty() {
    let (c, token) = signed_in("clerk").await;
    let (item_id, guide) = penalty_city_item().await;
    let (_, html) = page(&c, "/staff/cases/new").await;
    assert!(
        html.contains(&format!("value=\"{item_id}\"")),
        "the item can be chosen"
    );
    let (_, html) = page(&c, &format!("/staff/cases/new?item_id={item_id}")).await;
    assert!(html.contains("name=\"applicant_id\"") && html.contains("name=\"material.0\""));

    let counter = |applicant_id: &str, files: bool| {
        let mut form = page_application(&token, &guide, false)
            .text("item_id", item_id.to_string())
            .text("applicant_kind", "person")
            .text("applicant_name", "钱七")
            .text("applicant_id", applicant_id.to_string());
        if files {
            form = form.part("material.0", file_part(PDF, "立案审批表.pdf"));
        }
        form
    };
    let (status, _, html) = post_multipart(&c, "/staff/cases/new", counter("123", false)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!text_of(&html, "applicant_id-error").is_empty() && html.contains("钱七"));
    let (status, at, html) =
        post_multipart(&c, "/staff/cases/new", counter("11010519491231002X", true)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(at.starts_with("/staff/cases/20"), "{at}");
    assert!(html.contains("立案审批表.pdf") && html.contains("窗口受理"));
    let number = at.trim_start_matches("/staff/cases/").to_string();
    let clerk = Api::as_user(&shared_demo().base, "clerk").await;
    act(&clerk, &number, json!({"command": "accept"})).await;
    act(&clerk, &number, json!({"command": "claim"})).await;

    let d = &guide["discretion"][0];
    let (min, max) = (
        d["min_fen"].as_i64().unwrap_or(0),
        d["max_fen"].as_i64().unwrap_or(0),
    );
    let too_much = format!("{}", max / 100 + 1);
    let (status, _, html) = post_form(
        &c,
        &format!("/staff/cases/{number}/penalty"),
        &[
            ("csrf", &token),
            ("circumstance", "0"),
            ("amount", &too_much),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!text_of(&html, "penalty-amount-error").is_empty() && html.contains(&too_much));
    let fine = format!("{}", (min + max) / 2 / 100);
    let (status, _, html) = post_form(
        &c,
        &format!("/staff/cases/{number}/penalty"),
        &[("csrf", &token), ("circumstance", "0"), ("amount", &fine)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(d["measure"].as_str().unwrap_or("?")));

    // Fees: only as catalogued.
    let (fee_item_id, fee_guide) = fee_city_item().await;
    let applicant = json!({"kind": "enterprise", "name": "杭州某某有限公司", "credit_code": "91350100M000100Y43"});
    let (_, case) = clerk
        .post(
            "/api/v1/hall/counter-applications",
            json!({"item_id": fee_item_id, "applicant": applicant, "answers": answers_for(&fee_guide["form"])}),
        )
        .await;
    let fee_number = case["number"].as_str().expect("number").to_string();
    act(&clerk, &fee_number, json!({"command": "accept"})).await;
    let fee = &fee_guide["fees"][0];
    let (name, fen) = (
        fee["name"].as_str().unwrap_or(""),
        fee["standard_fen"].as_i64().unwrap_or(0),
    );
    let (_, html) = page(&c, &format!("/staff/cases/{fee_number}")).await;
    assert!(html.contains("id=\"fee-form\""));
    let tampered = format!("{name}|{}", fen + 1);
    let (status, _, html) = post_form(
        &c,
        &format!("/staff/cases/{fee_number}/fee"),
        &[("csrf", &token), ("fee", &tampered)],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!text_of(&html, "fee-amount-error").is_empty());
    let right = format!("{name}|{fen}");
    let (status, _, html) = post_form(
        &c,
        &format!("/staff/cases/{fee_number}/fee"),
        &[("csrf", &token), ("fee", &right)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"charges\""));
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

#[tokio::test]
async fn a_counter_registration_refused_keeps_its_files() {
    let (item_id, guide) = city_item().await;
    let (c, token) = signed_in("clerk").await;
    let form = |id: &str| {
        let mut form = Form::new()
            .text("csrf", token.clone())
            .text("item_id", item_id.to_string())
            .text("applicant_kind", "person")
            .text("applicant_name", "钱七")
            .text("applicant_id", id.to_string());
        for (k, v) in answer_fields(&guide) {
            form = form.text(k, v);
        }
        form
    };
    let (status, _, html) = post_multipart(
        &c,
        "/staff/cases/new",
        with_required_files(form("not-a-number"), &guide),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!text_of(&html, "applicant_id-error").is_empty());
    let kept = kept_files(&html);
    assert!(!kept.is_empty(), "the files are kept");
    let mut again = form(&crate::support::fresh_id_number());
    for (name, hash) in &kept {
        again = again.text(name.clone(), hash.clone());
    }
    let (status, at, html) = post_multipart(&c, "/staff/cases/new", again).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(at.starts_with("/staff/cases/2"), "{at}");
    assert!(html.contains("扫描件.pdf") && text_of(&html, "flash").starts_with("已登记"));
}

#[tokio::test]
async fn the_inbox_searches_filters_pages_and_signs_for_and_completes_a_step_at_once() {
    let base = &shared_demo().base;
    let (citizen_api, _) = fresh_citizen(base).await;
    let (item_id, guide) = city_item().await;
    let (_, case) = apply_online(&citizen_api, item_id, &guide).await;
    let number = case["number"].as_str().expect("number").to_string();
    let (c, token) = signed_in("clerk").await;

    // Searched by its number: one case, the applicant's full name for the clerk.
    let (status, html) = page(&c, &format!("/staff/cases?q={number}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&number));
    assert!(
        text_of(&html, "total").contains(" 1 "),
        "{}",
        text_of(&html, "total")
    );
    assert!(
        html.contains("赵六") && !html.contains("赵某"),
        "the full name, for the clerk"
    );
    // And by the applicant's name and the item's.
    let (_, by_name) = page(&c, "/staff/cases?q=赵六&state=submitted").await;
    assert!(by_name.contains(&number));
    let item_name = guide["name"].as_str().unwrap_or("").to_string();
    let (_, by_item) = page(&c, &format!("/staff/cases?q={item_name}&state=submitted")).await;
    assert!(by_item.contains(&number), "by the item's name {item_name}");

    // Due dates: a case just submitted is not overdue; a bad number of days is explained.
    let (_, overdue) = page(&c, &format!("/staff/cases?q={number}&due=overdue")).await;
    assert!(!overdue.contains(&format!("/staff/cases/{number}")));
    let (status, html) = page(&c, "/staff/cases?due=within&days=many").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!text_of(&html, "days-error").is_empty());
    let (_, soon) = page(&c, "/staff/cases?due=overdue&state=all").await;
    assert!(soon.contains("id=\"cases\""));

    // Pages: the demo's hundreds of cases come fifty at a time.
    let (_, all) = page(&c, "/staff/cases?state=all").await;
    assert!(all.contains("id=\"next-page\""), "a next page");
    let (status, second) = page(&c, "/staff/cases?state=all&page=2").await;
    assert_eq!(status, StatusCode::OK);
    assert!(second.contains("id=\"prev-page\""));

    // Accepted, the step is signed for and completed with one button.
    let case_path = format!("/staff/cases/{number}");
    let (_, _, html) = post_form(
        &c,
        &format!("{case_path}/command"),
        &[("csrf", &token), ("command", "accept")],
    )
    .await;
    assert!(
        text_of(&html, "flash").contains(&number),
        "{}",
        text_of(&html, "flash")
    );
    assert!(
        html.contains("id=\"do-claim_and_pass\""),
        "offered to the post's holder"
    );
    let (status, _, html) = post_form(
        &c,
        &format!("{case_path}/command"),
        &[("csrf", &token), ("command", "claim_and_pass")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(text_of(&html, "flash").contains("办结本环节"));
    assert!(
        html.contains("签收本环节") && html.contains("办结本环节"),
        "journaled as both"
    );
}

#[tokio::test]
async fn signing_for_and_completing_a_step_at_once_is_only_for_a_holder_of_its_post() {
    let base = &shared_demo().base;
    let admin = Api::as_user(base, "admin").await;
    let (citizen_api, _) = fresh_citizen(base).await;
    let (item_id, guide) = city_item().await;
    let department = guide["implementing_body"]
        .as_str()
        .expect("body")
        .to_string();
    let login = format!("postless{}", crate::support::unique());
    let (status, body) = admin
        .post(
            "/api/v1/staff",
            json!({"login": login, "display_name": "孙无岗", "org": department,
                   "password": sunshine_app::demo::DEMO_PASSWORD, "roles": ["case_clerk"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, case) = apply_online(&citizen_api, item_id, &guide).await;
    let number = case["number"].as_str().expect("number").to_string();
    let (c, token) = signed_in(&login).await;
    let path = format!("/staff/cases/{number}/command");
    let (_, _, html) = post_form(&c, &path, &[("csrf", &token), ("command", "accept")]).await;
    assert!(
        !html.contains("id=\"do-claim_and_pass\"") && !html.contains("id=\"do-claim\""),
        "no button that would be refused"
    );
    let (status, _, _) = post_form(
        &c,
        &path,
        &[("csrf", &token), ("command", "claim_and_pass")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let clerk = Api::as_user(base, "clerk").await;
    let (_, after) = clerk.get(&format!("/api/v1/hall/cases/{number}")).await;
    assert_eq!(after["state"], "in_process", "nothing moved: {after}");
    let (status, claimed) = act(&clerk, &number, json!({"command": "claim"})).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the step was still to sign for: {claimed}"
    );
}
