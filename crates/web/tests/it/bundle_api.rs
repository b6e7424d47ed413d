//! One-stop bundles through the API: the shared form filled once, one case
//! per item handled in parallel by each department, one combined result.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_testkit::shared_demo;

use crate::support::{answers_for, fields, materials_form, unique, Api};

async fn act(api: &Api, number: &str, command: Value) -> Value {
    let (status, body) = api
        .post(&format!("/api/v1/hall/cases/{number}/commands"), command)
        .await;
    assert_eq!(status, StatusCode::OK, "{number}: {body}");
    body
}

/// Take a case from submission to a decision, step by step.
async fn decide(clerk: &Api, number: &str, approve: bool) {
    let accepted = act(clerk, number, json!({"command": "accept"})).await;
    let steps = accepted["facts"]["steps"].as_u64().expect("steps");
    for _ in 1..steps {
        act(clerk, number, json!({"command": "claim"})).await;
        act(clerk, number, json!({"command": "pass"})).await;
    }
    act(clerk, number, json!({"command": "claim"})).await;
    let last = if approve {
        json!({"command": "approve"})
    } else {
        json!({"command": "refuse", "reason": "经营场所不符合《食品经营许可管理办法》第十一条规定的条件"})
    };
    act(clerk, number, last).await;
}

#[tokio::test]
async fn a_restaurant_is_opened_with_one_application_handled_by_three_departments() {
    let base = &shared_demo().base;
    let public = Api::new(base);
    let citizen = Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;

    let (status, list) = public.get("/api/v1/hall/bundles").await;
    assert_eq!(status, StatusCode::OK);
    let by_code = |code: &str| {
        list.as_array()
            .expect("list")
            .iter()
            .find(|b| b["code"] == code)
            .cloned()
            .expect("configured")
    };
    let restaurant = by_code("OPEN-RESTAURANT");
    assert_eq!(restaurant["available"], true, "{restaurant}");
    assert_eq!(
        by_code("OPEN-INTERNET-CAFE")["available"],
        false,
        "one of its items is not in the library yet"
    );
    let form = restaurant["form"].as_array().expect("form");
    let keys: Vec<&str> = form.iter().filter_map(|f| f["key"].as_str()).collect();
    assert_eq!(
        keys.iter().filter(|k| **k == "contact_phone").count(),
        1,
        "a field the items share is asked once"
    );

    // Every fault at once, and nothing opened.
    let (status, refused) = citizen
        .multipart(
            "/api/v1/hall/bundles/OPEN-RESTAURANT/applications",
            reqwest::multipart::Form::new().text(
                "answers",
                json!({"colour": "red", "contact_phone": "12345"}).to_string(),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let faults = fields(&refused);
    assert!(
        faults.contains(&"colour".to_string()) && faults.contains(&"contact_phone".to_string()),
        "{faults:?}"
    );
    assert!(faults.contains(&"company_name".to_string()), "{faults:?}");
    assert!(
        faults.iter().any(|f| f.starts_with("material.")),
        "the required files are missing too: {faults:?}"
    );
    // (Other tests apply for single items meanwhile; only this one for bundles.)
    let (_, mine_before) = citizen.get("/api/v1/hall/my-bundle-applications").await;

    let answers = answers_for(&restaurant["form"]);
    assert_eq!(
        citizen
            .multipart(
                "/api/v1/hall/bundles/OPEN-INTERNET-CAFE/applications",
                materials_form(&answers, &restaurant)
            )
            .await
            .0,
        StatusCode::CONFLICT
    );
    let (_, mine_after) = citizen.get("/api/v1/hall/my-bundle-applications").await;
    assert_eq!(
        mine_before, mine_after,
        "nothing was opened by the refusals"
    );
    let clerk = Api::as_user(base, "clerk").await;
    assert_eq!(
        clerk
            .multipart(
                "/api/v1/hall/bundles/OPEN-RESTAURANT/applications",
                materials_form(&answers, &restaurant)
            )
            .await
            .0,
        StatusCode::FORBIDDEN,
        "staff register at the counter, not online"
    );
    assert_eq!(
        public
            .multipart(
                "/api/v1/hall/bundles/OPEN-RESTAURANT/applications",
                // A small body: the refusal comes before the body is read.
                reqwest::multipart::Form::new().text("answers", answers.to_string())
            )
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        citizen
            .multipart(
                "/api/v1/hall/bundles/NO-SUCH/applications",
                materials_form(&answers, &restaurant)
            )
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let (status, application) = citizen
        .multipart(
            "/api/v1/hall/bundles/OPEN-RESTAURANT/applications",
            materials_form(&answers, &restaurant),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{application}");
    let number = application["number"].as_str().expect("number").to_string();
    assert!(number.starts_with("YJS-2026-330100-"), "{number}");
    assert_eq!(application["outcome"], "in_progress");
    let cases = application["cases"].as_array().expect("cases").clone();
    assert_eq!(cases.len(), 3);
    let departments: std::collections::BTreeSet<&str> = cases
        .iter()
        .filter_map(|c| c["department"].as_str())
        .collect();
    assert_eq!(departments.len(), 3, "three departments in parallel");

    // Each part is a case of its own, with only its own item's answers.
    for c in &cases {
        let (status, case) = citizen
            .get(&format!(
                "/api/v1/hall/cases/{}",
                c["number"].as_str().expect("n")
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(case["bundle_number"], number.as_str());
        assert!(case["answers"]["contact_phone"].is_string(), "{case}");
    }

    // Followed without signing in, by number and query code only.
    let code = application["query_code"].as_str().expect("code");
    let (status, tracked) = public
        .get(&format!(
            "/api/v1/hall/bundle-applications/track?number={number}&code={code}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tracked["applicant_public"], "王某");
    assert!(!tracked
        .to_string()
        .contains(sunshine_app::demo::DEMO_CITIZEN_ID));
    assert_eq!(
        public
            .get(&format!(
                "/api/v1/hall/bundle-applications/track?number={number}&code=ZZZZZZZZ"
            ))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let enterprise = Api::as_user(base, "91330106MA2CD00016").await;
    assert_eq!(
        enterprise
            .get(&format!("/api/v1/hall/bundle-applications/{number}"))
            .await
            .0,
        StatusCode::NOT_FOUND,
        "another applicant's application is not there for them"
    );

    // The city's clerk grants two parts, Xihu's refuses the food licence.
    let xihu = Api::as_user(base, "clerk.330106").await;
    for c in &cases {
        let n = c["number"].as_str().expect("n");
        if c["department"]
            .as_str()
            .is_some_and(|d| d.starts_with("330106"))
        {
            decide(&xihu, n, false).await;
        } else {
            decide(&clerk, n, true).await;
        }
    }
    let (_, done) = citizen
        .get(&format!("/api/v1/hall/bundle-applications/{number}"))
        .await;
    assert_eq!(done["outcome"], "partly_approved", "{done}");
    let (_, mine) = citizen.get("/api/v1/hall/my-bundle-applications").await;
    assert!(mine
        .as_array()
        .expect("list")
        .iter()
        .any(|a| a["number"] == number.as_str()));
}

#[tokio::test]
async fn administrators_configure_bundles_as_data() {
    let base = &shared_demo().base;
    let admin = Api::as_user(base, "admin").await;
    let code = format!("TEST-{}", unique());
    let body = json!({
        "name": "测试一件事", "name_en": "A test bundle", "region": "330100",
        "items": [{"code": "XK-00101-000", "region": "330100"}, {"code": "XK-00102-000", "region": "330100"}]
    });
    let path = format!("/api/v1/hall/bundles/{code}");
    let approver = Api::as_user(base, "approver").await;
    assert_eq!(
        approver.put(&path, body.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, created) = admin.put(&path, body.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{created}");
    let (_, got) = Api::new(base).get(&path).await;
    assert_eq!(got["available"], true, "{got}");
    assert_eq!(got["items"].as_array().map(Vec::len), Some(2));

    let mut off = body.clone();
    off["active"] = json!(false);
    assert_eq!(admin.put(&path, off).await.0, StatusCode::NO_CONTENT);
    assert_eq!(Api::new(base).get(&path).await.1["available"], false);

    let mut one = body.clone();
    one["items"] = json!([{"code": "XK-00101-000", "region": "330100"}]);
    let (status, refused) = admin.put(&path, one).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&refused), vec!["items"]);
    let mut unknown = body.clone();
    unknown["items"][1] = json!({"code": "XK-99999-000", "region": "330100"});
    let (status, refused) = admin.put(&path, unknown).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(fields(&refused), vec!["items"]);
    let (status, refused) = admin.put("/api/v1/hall/bundles/bad%20code", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&refused), vec!["code"]);
}
