//! The hall through the API: a citizen applies, a clerk takes the case through
//! its steps against the law's clocks, and the applicant follows it.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_testkit::shared_demo;

use crate::support::{answers_for, application_form, fields, Api};

mod fees;
mod visibility;

/// A city item in the library with at least two steps and a form.
pub async fn city_item() -> (i64, Value) {
    let public = Api::new(&shared_demo().base);
    let (_, list) = public
        .get("/api/v1/catalog/items?region=330100&type=licensing&limit=100")
        .await;
    for i in list["items"].as_array().expect("items") {
        let (_, guide) = public
            .get(&format!("/api/v1/catalog/items/{}", i["item_id"]))
            .await;
        if guide["guide"]["steps"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0)
            >= 2
            && !guide["guide"]["form"]
                .as_array()
                .map(Vec::is_empty)
                .unwrap_or(true)
        {
            return (i["item_id"].as_i64().expect("id"), guide["guide"].clone());
        }
    }
    panic!("the demo has a city licensing item with steps and a form");
}

/// The first city licensing item of a platform, with its guide.
pub(crate) async fn first_city_item(base: &str) -> (i64, Value) {
    let public = Api::new(base);
    let (_, list) = public
        .get("/api/v1/catalog/items?region=330100&type=licensing&limit=1")
        .await;
    let item_id = list["items"][0]["item_id"].as_i64().expect("item");
    let (_, guide) = public
        .get(&format!("/api/v1/catalog/items/{item_id}"))
        .await;
    (item_id, guide["guide"].clone())
}

/// A citizen applies online with valid answers and files; the case's number.
pub(crate) async fn applied_number(citizen: &Api, item_id: i64, guide: &Value) -> String {
    let (status, case) = apply_online(citizen, item_id, guide).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case["number"].as_str().expect("number").to_string()
}

/// Apply online with answers to the form and a PDF for every required material.
pub async fn apply_online(api: &Api, item_id: i64, guide: &Value) -> (StatusCode, Value) {
    api.multipart(
        "/api/v1/hall/applications/multipart",
        application_form(item_id, &answers_for(&guide["form"]), guide),
    )
    .await
}

pub async fn act(api: &Api, number: &str, command: Value) -> (StatusCode, Value) {
    api.post(&format!("/api/v1/hall/cases/{number}/commands"), command)
        .await
}

#[tokio::test]
async fn a_citizen_applies_and_a_clerk_takes_the_case_through_every_step_to_delivery() {
    let base = &shared_demo().base;
    let citizen = Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let clerk = Api::as_user(base, "clerk").await;
    let editor = Api::as_user(base, "editor").await;
    let (item_id, guide) = city_item().await;

    let (status, case) = apply_online(&citizen, item_id, &guide).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let number = case["number"].as_str().expect("number").to_string();
    assert!(
        number.starts_with("2026-330100-"),
        "the number encodes year and region: {number}"
    );
    assert_eq!(case["state"], "submitted");
    assert_eq!(case["applicant_public"], "王某");

    let public = Api::new(base);
    let code = case["query_code"].as_str().expect("code");
    let (status, tracked) = public
        .get(&format!("/api/v1/hall/track?number={number}&code={code}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tracked["applicant_public"], "王某");
    assert!(
        !tracked.to_string().contains("33010619900101123X"),
        "no identity number when tracking"
    );
    assert_eq!(
        public
            .get(&format!("/api/v1/hall/track?number={number}&code=ABCDEFGH"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    assert_eq!(
        act(&citizen, &number, json!({"command": "accept"})).await.0,
        StatusCode::FORBIDDEN,
        "an applicant does not accept"
    );
    assert_eq!(
        act(&editor, &number, json!({"command": "accept"})).await.0,
        StatusCode::FORBIDDEN,
        "a catalogue editor is no clerk"
    );
    let (status, accepted) = act(&clerk, &number, json!({"command": "accept"})).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    let (promised, legal) = (
        accepted["promised_due"].as_str().expect("promised"),
        accepted["legal_due"].as_str().expect("legal"),
    );
    assert!(
        promised <= legal,
        "the promised date {promised} is never after the legal one {legal}"
    );

    let steps = guide["steps"].as_array().map(Vec::len).unwrap_or(1);
    assert_eq!(
        act(&clerk, &number, json!({"command": "pass"})).await.0,
        StatusCode::CONFLICT,
        "sign for the step first"
    );
    for _ in 0..steps - 1 {
        assert_eq!(
            act(&clerk, &number, json!({"command": "claim"})).await.0,
            StatusCode::OK
        );
        let (status, body) = act(&clerk, &number, json!({"command": "pass"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(
        act(&clerk, &number, json!({"command": "claim"})).await.0,
        StatusCode::OK
    );
    assert_eq!(
        act(&clerk, &number, json!({"command": "approve"})).await.1["state"],
        "approved"
    );
    assert_eq!(
        act(&citizen, &number, json!({"command": "withdraw"}))
            .await
            .0,
        StatusCode::CONFLICT,
        "no withdrawal after a decision"
    );
    let (_, delivered) = act(&clerk, &number, json!({"command": "deliver"})).await;
    assert_eq!(delivered["state"], "delivered");

    // The approval produced a signed e-licence that anyone can check; its
    // holder sees it in full, the public what the board shows.
    let (status, shown) = public.get(&format!("/api/v1/licences/ZZ-{number}")).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(
        (shown["verdict"].as_str(), shown["holder"].as_str()),
        (Some("valid"), Some("王某"))
    );
    assert!(
        shown["token"].is_null() && shown["payload"].is_null(),
        "{shown}"
    );
    let (status, licence) = citizen.get(&format!("/api/v1/licences/ZZ-{number}")).await;
    assert_eq!(status, StatusCode::OK, "{licence}");
    assert_eq!(licence["verdict"], "valid");
    assert_eq!(licence["payload"]["holder"], "王小明");
    assert!(
        !licence.to_string().contains("33010619900101123X"),
        "the licence shows the identity number masked"
    );
    let token = licence["token"].as_str().expect("token").to_string();
    assert_eq!(
        public
            .post("/api/v1/licences/verify", json!({"token": token}))
            .await
            .1["verdict"],
        "valid"
    );
    let (_, keys) = public.get("/api/v1/keys").await;
    assert!(
        keys.as_array()
            .expect("keys")
            .iter()
            .any(|k| k["org"] == licence["issuer"] && k["public_key"] == licence["public_key"]),
        "the issuer's key is published"
    );
    // A token whose payload was changed, or that is not a token at all, is forged.
    let (body, sig) = token.split_once('.').expect("two parts");
    let mut forged_body = body.to_string();
    forged_body.replace_range(
        10..11,
        if &forged_body[10..11] == "A" {
            "B"
        } else {
            "A"
        },
    );
    assert_eq!(
        public
            .post(
                "/api/v1/licences/verify",
                json!({"token": format!("{forged_body}.{sig}")})
            )
            .await
            .1["verdict"],
        "forged"
    );
    assert_eq!(
        public
            .post("/api/v1/licences/verify", json!({"token": "rubbish"}))
            .await
            .1["verdict"],
        "forged"
    );
    // Revocation: the approver over the issuer, with a reason.
    assert_eq!(
        clerk
            .post(
                &format!("/api/v1/licences/ZZ-{number}/revoke"),
                json!({"reason": "申请人隐瞒有关情况"})
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let approver = Api::as_user(base, "approver").await;
    assert_eq!(
        approver
            .post(
                &format!("/api/v1/licences/ZZ-{number}/revoke"),
                json!({"reason": " "})
            )
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        approver
            .post(
                &format!("/api/v1/licences/ZZ-{number}/revoke"),
                json!({"reason": "申请人以欺骗手段取得许可"})
            )
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, after) = public
        .post("/api/v1/licences/verify", json!({"token": token}))
        .await;
    assert_eq!(
        (after["verdict"].as_str(), after["reason"].as_str()),
        (Some("revoked"), Some("申请人以欺骗手段取得许可"))
    );

    // The applicant rates the service once; nobody else can.
    let rate = |api: &Api, body: Value| {
        let (api, path) = (
            Api {
                token: api.token.clone(),
                ..Api::new(&api.base)
            },
            format!("/api/v1/hall/cases/{number}/rating"),
        );
        async move { api.post(&path, body).await.0 }
    };
    assert_eq!(
        rate(&clerk, json!({"rating": 5})).await,
        StatusCode::NOT_FOUND,
        "only the applicant rates"
    );
    assert_eq!(
        rate(&citizen, json!({"rating": 9})).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        rate(&citizen, json!({"rating": 5, "comment": "办理高效"})).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        rate(&citizen, json!({"rating": 4})).await,
        StatusCode::CONFLICT,
        "once"
    );

    let (status, mine) = citizen.get("/api/v1/hall/my-cases").await;
    assert_eq!(status, StatusCode::OK);
    assert!(mine
        .as_array()
        .expect("list")
        .iter()
        .any(|c| c["number"] == number.as_str()));
    assert_eq!(
        citizen.get(&format!("/api/v1/hall/cases/{number}")).await.0,
        StatusCode::OK,
        "the applicant sees their case"
    );
    let other = Api::as_user(base, "xihu.approver").await;
    assert_eq!(
        other.get(&format!("/api/v1/hall/cases/{number}")).await.0,
        StatusCode::NOT_FOUND,
        "staff of another government do not"
    );
}

#[tokio::test]
async fn a_correction_once_a_special_procedure_and_one_extension_move_the_due_dates() {
    let base = &shared_demo().base;
    let citizen = Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let clerk = Api::as_user(base, "clerk").await;
    let approver = Api::as_user(base, "approver").await;
    let (item_id, guide) = city_item().await;
    let (_, case) = apply_online(&citizen, item_id, &guide).await;
    let number = case["number"].as_str().expect("number").to_string();

    let (status, body) = act(
        &clerk,
        &number,
        json!({"command": "request_correction", "what": ""}),
    )
    .await;
    assert_eq!(
        (status, fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["what".to_string()])
    );
    assert_eq!(
        act(
            &clerk,
            &number,
            json!({"command": "request_correction", "what": "请补充营业执照复印件"})
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        act(&clerk, &number, json!({"command": "supply_correction"}))
            .await
            .0,
        StatusCode::FORBIDDEN,
        "only the applicant supplies"
    );
    assert_eq!(
        act(&citizen, &number, json!({"command": "supply_correction"}))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        act(
            &clerk,
            &number,
            json!({"command": "request_correction", "what": "还缺一份"})
        )
        .await
        .0,
        StatusCode::CONFLICT,
        "once only"
    );

    let (_, accepted) = act(&clerk, &number, json!({"command": "accept"})).await;
    act(&clerk, &number, json!({"command": "claim"})).await;
    let (status, suspended) = act(
        &clerk,
        &number,
        json!({"command": "suspend", "procedure": "inspection"}),
    )
    .await;
    assert_eq!(
        (status, suspended["state"].as_str()),
        (StatusCode::OK, Some("suspended"))
    );
    assert_eq!(
        act(&clerk, &number, json!({"command": "resume"})).await.0,
        StatusCode::OK
    );

    assert_eq!(
        act(&clerk, &number, json!({"command": "extend", "days": 10}))
            .await
            .0,
        StatusCode::FORBIDDEN,
        "an extension needs the approver"
    );
    assert_eq!(
        act(&approver, &number, json!({"command": "extend", "days": 11}))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "beyond the law's ten days"
    );
    let (status, extended) =
        act(&approver, &number, json!({"command": "extend", "days": 10})).await;
    assert_eq!(status, StatusCode::OK, "{extended}");
    assert!(
        extended["legal_due"].as_str() > accepted["legal_due"].as_str(),
        "the extension moves the legal due date"
    );
    assert_eq!(
        act(&approver, &number, json!({"command": "extend", "days": 1}))
            .await
            .0,
        StatusCode::CONFLICT,
        "once only"
    );
}

#[tokio::test]
async fn bad_applications_are_refused_with_their_fields_and_counter_cases_are_recorded_as_such() {
    let base = &shared_demo().base;
    let citizen = Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let clerk = Api::as_user(base, "clerk").await;
    let (item_id, guide) = city_item().await;
    let (status, body) = citizen
        .post(
            "/api/v1/hall/applications",
            json!({"item_id": item_id, "answers": {"no_such_field": "x"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        fields(&body).contains(&"no_such_field".to_string()),
        "{body}"
    );
    assert_eq!(
        citizen
            .post(
                "/api/v1/hall/applications",
                json!({"item_id": 99999999, "answers": {}})
            )
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        clerk
            .post(
                "/api/v1/hall/applications",
                json!({"item_id": item_id, "answers": {}})
            )
            .await
            .0,
        StatusCode::FORBIDDEN,
        "staff register at the counter instead"
    );

    let applicant = json!({"kind": "enterprise", "name": "杭州某某餐饮有限公司", "credit_code": "91350100M000100Y43"});
    let (status, case) = clerk.post("/api/v1/hall/counter-applications", json!({"item_id": item_id, "applicant": applicant, "answers": answers_for(&guide["form"])})).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["channel"], "counter");
    assert_eq!(
        case["applicant_public"], "杭州某某餐饮有限公司",
        "an enterprise is shown by its name"
    );
    let bad = json!({"kind": "person", "name": "张三", "id_number": "110105194912310021"});
    let (status, body) = clerk
        .post(
            "/api/v1/hall/counter-applications",
            json!({"item_id": item_id, "applicant": bad, "answers": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["applicant"]);
}

/// A city item in the library of the given type, with a predicate on its guide.
pub(crate) async fn city_item_where(
    item_type: &str,
    pred: impl Fn(&Value) -> bool,
) -> Option<(i64, Value)> {
    let public = Api::new(&shared_demo().base);
    let (_, list) = public
        .get(&format!(
            "/api/v1/catalog/items?region=330100&type={item_type}&limit=200"
        ))
        .await;
    for i in list["items"].as_array()? {
        let (_, guide) = public
            .get(&format!("/api/v1/catalog/items/{}", i["item_id"]))
            .await;
        if pred(&guide["guide"]) {
            return Some((i["item_id"].as_i64()?, guide["guide"].clone()));
        }
    }
    None
}

/// A city penalty item with a discretion standard, and its guide.
pub(crate) async fn penalty_city_item() -> (i64, Value) {
    city_item_where("penalty", |g| {
        !g["discretion"]
            .as_array()
            .map(Vec::is_empty)
            .unwrap_or(true)
    })
    .await
    .expect("a city penalty item")
}

/// A city item in the library with a catalogued fee, and its guide.
pub(crate) async fn fee_city_item() -> (i64, Value) {
    for t in [
        "licensing",
        "public_service",
        "levy",
        "confirmation",
        "other",
    ] {
        if let Some(found) = city_item_where(t, |g| {
            !g["fees"].as_array().map(Vec::is_empty).unwrap_or(true)
        })
        .await
        {
            return found;
        }
    }
    panic!("the demo has a city item with a fee");
}

pub(crate) async fn accepted_counter_case(clerk: &Api, item_id: i64, guide: &Value) -> String {
    let applicant = json!({"kind": "enterprise", "name": "杭州某某有限公司", "credit_code": "91350100M000100Y43"});
    let (status, case) = clerk.post("/api/v1/hall/counter-applications", json!({"item_id": item_id, "applicant": applicant, "answers": answers_for(&guide["form"])})).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let number = case["number"].as_str().expect("number").to_string();
    assert_eq!(
        act(clerk, &number, json!({"command": "accept"})).await.0,
        StatusCode::OK
    );
    number
}

/// 签收 belongs to the step's post: a clerk of the department without it is
/// refused until an administrator gives it; each step has its own due date.
#[tokio::test]
async fn a_step_is_signed_for_only_by_a_clerk_holding_its_post() {
    let base = &shared_demo().base;
    let citizen = Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let clerk = Api::as_user(base, "clerk").await;
    let admin = Api::as_user(base, "admin").await;
    let (item_id, guide) = city_item().await;
    let department = guide["implementing_body"]
        .as_str()
        .expect("implementing body")
        .to_string();
    let first_post = guide["steps"][0]["post"]
        .as_str()
        .expect("post")
        .to_string();

    let login = format!("newclerk{}", crate::support::unique());
    let (status, body) = admin
        .post(
            "/api/v1/staff",
            json!({"login": login, "display_name": "钱新人", "org": department,
                   "password": sunshine_app::demo::DEMO_PASSWORD, "roles": ["case_clerk"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let newcomer = Api::as_user(base, &login).await;

    let (_, case) = apply_online(&citizen, item_id, &guide).await;
    let number = case["number"].as_str().expect("number").to_string();
    let (_, accepted) = act(&newcomer, &number, json!({"command": "accept"})).await;
    assert_eq!(accepted["state"], "in_process", "{accepted}");
    let step_due = accepted["step_due"].as_str().expect("a step due date");
    assert!(
        step_due <= accepted["legal_due"].as_str().expect("legal"),
        "{accepted}"
    );

    let (status, refused) = act(&newcomer, &number, json!({"command": "claim"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");

    // Only an administrator gives posts, and only real ones.
    let give = |who: &'static str, body: Value| {
        let login = login.clone();
        async move {
            let api = Api::as_user(base, who).await;
            api.post(&format!("/api/v1/staff/{login}/posts"), body)
                .await
        }
    };
    assert_eq!(
        give("clerk", json!({"org": department, "post": first_post}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = give("admin", json!({"org": "330100-999", "post": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), vec!["org", "post"]);
    assert_eq!(
        admin
            .post(
                "/api/v1/staff/nobody-here/posts",
                json!({"org": department, "post": first_post})
            )
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    for _ in 0..2 {
        let (status, body) = give("admin", json!({"org": department, "post": first_post})).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let (_, me) = newcomer.get("/api/v1/me").await;
    assert_eq!(
        me["posts"],
        json!([{"org": department, "post": first_post}]),
        "held once"
    );
    let (status, claimed) = act(&newcomer, &number, json!({"command": "claim"})).await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    let (_, passed) = act(&newcomer, &number, json!({"command": "pass"})).await;
    assert_eq!(passed["facts"]["state"]["step"], 1, "{passed}");
    assert!(
        passed["step_due"].is_string(),
        "the next step has its own due date"
    );
    let second_post = guide["steps"][1]["post"].as_str().expect("post");
    if second_post != first_post {
        assert_eq!(
            act(&newcomer, &number, json!({"command": "claim"})).await.0,
            StatusCode::FORBIDDEN,
            "the next step is another post's"
        );
    }
    let (status, body) = act(&clerk, &number, json!({"command": "claim"})).await;
    assert_eq!(status, StatusCode::OK, "the demo clerk holds it: {body}");
}
