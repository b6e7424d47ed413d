//! The clerk's hall pages: a case taken through its steps, counter
//! registration with charges and a penalty, a refused registration keeping
//! its files, and the inbox's search, filters and signing for a step.

use super::*;

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
