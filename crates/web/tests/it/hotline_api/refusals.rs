//! What the hotline refuses: each party the steps that are not theirs, and
//! bad requests and categories, refused whole with nothing written.

use super::*;

#[tokio::test]
async fn each_party_is_refused_the_steps_that_are_not_theirs() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let operator = Api::as_user(&t.base, "operator").await;
    let clerk = Api::as_user(&t.base, "clerk").await;
    let xihu_clerk = Api::as_user(&t.base, "clerk.330106").await;
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let anonymous = Api::new(&t.base);

    // A citizen brings a request on the web; it is theirs to see.
    let mine = take(&citizen, call("streetlight.out", "路灯不亮")).await;
    let id = mine["ticket"]["id"].as_i64().expect("an id");
    assert_eq!(mine["ticket"]["channel"], "web");
    let (_, list) = citizen.get("/api/v1/hotline/mine").await;
    assert!(list
        .as_array()
        .expect("a list")
        .iter()
        .any(|t| t["id"] == id));

    // The clerk cannot dispatch; the operator cannot sign; the citizen cannot dispatch.
    let (status, _) = clerk
        .post(
            &format!("/api/v1/hotline/requests/{id}/commands"),
            json!({"command": "dispatch", "lead": "330100-034"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a unit that does not hold it does not see it"
    );
    let (status, _) = citizen
        .post(
            &format!("/api/v1/hotline/requests/{id}/commands"),
            json!({"command": "dispatch", "lead": "330100-034"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    step(
        &operator,
        id,
        json!({"command": "dispatch", "lead": "330100-034"}),
    )
    .await;
    let (status, _) = operator
        .post(
            &format!("/api/v1/hotline/requests/{id}/commands"),
            json!({"command": "sign"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A district's clerk does not handle a city unit's requests.
    let (status, _) = xihu_clerk
        .post(
            &format!("/api/v1/hotline/requests/{id}/commands"),
            json!({"command": "sign"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    step(&clerk, id, json!({"command": "sign"})).await;

    // The requester sees only the public steps; the staff-only ones stay hidden.
    step(
        &clerk,
        id,
        json!({"command": "request_extension", "days": 2, "reason": "需协调电力部门"}),
    )
    .await;
    let (status, seen) = citizen.get(&format!("/api/v1/hotline/requests/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        seen["updates"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|u| u["public"] == true),
        "{seen}"
    );
    assert!(!seen.to_string().contains("需协调电力部门"));

    // Someone else's request is not there; without signing in, nothing is.
    let other = take(&operator, call("water.outage", "停水")).await["ticket"]["id"]
        .as_i64()
        .expect("an id");
    let (status, _) = citizen
        .get(&format!("/api/v1/hotline/requests/{other}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = anonymous
        .get(&format!("/api/v1/hotline/requests/{other}"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = anonymous
        .post("/api/v1/hotline/requests", call("water.outage", "x"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = clerk.get("/api/v1/hotline/queue").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Staff other than operators do not take calls.
    let (status, _) = clerk
        .post("/api/v1/hotline/requests", call("water.outage", "x"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_requests_and_categories_are_refused_whole_and_write_nothing() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let operator = Api::as_user(&t.base, "operator").await;
    let admin = Api::as_user(&t.base, "admin").await;
    let before = whole_journal(&t.app).await.len();
    let (status, e) = operator
        .post(
            "/api/v1/hotline/requests",
            json!({"category": "city.noise", "description": "吵".repeat(4001), "lat": 10.0, "long": 10.0,
                   "caller_phone": "call me", "attributes": {"source": ["volcano"], "colour": ["red"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let f = fields(&e);
    for field in ["description", "lat", "phone"] {
        assert!(f.iter().any(|k| k == field), "{field}: {e}");
    }
    let (status, e) = operator.post("/api/v1/hotline/requests", json!({"category": "city.noise", "description": "x", "attributes": {"source": ["volcano"], "colour": ["red"]}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let f = fields(&e);
    assert!(
        f.contains(&"attribute[source]".to_string())
            && f.contains(&"attribute[colour]".to_string()),
        "{e}"
    );
    let (status, e) = operator
        .post(
            "/api/v1/hotline/requests",
            json!({"category": "no.such", "description": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, e) = operator
        .post(
            "/api/v1/hotline/requests/1/commands",
            json!({"command": "fly"}),
        )
        .await;
    assert!(
        status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::NOT_FOUND,
        "{e}"
    );

    // Categories: the administrator edits them as versions; nobody else may.
    let body = json!({"name": "井盖缺失", "name_en": "Missing manhole cover", "class": "public_information", "kind": "report",
                      "urgency": "emergency", "lead_unit": "330100-034", "keywords": ["井盖"],
                      "attributes": [{"code": "road", "datatype": "string", "required": true, "order": 1, "description": "道路"}]});
    let (status, c) = operator
        .put("/api/v1/hotline/categories/road.manhole", body.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{c}");
    let (status, bad) = admin
        .put("/api/v1/hotline/categories/road.manhole", json!({"name": "", "name_en": "x", "class": "x", "kind": "report", "urgency": "normal", "lead_unit": "nobody"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (status, bad) = admin
        .put("/api/v1/hotline/categories/road.manhole", json!({"name": "", "name_en": "x", "class": "government", "kind": "report", "urgency": "normal", "lead_unit": "nobody", "dispatch_hours": 0}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let f = fields(&bad);
    assert!(
        ["name", "lead_unit", "dispatch_hours"]
            .iter()
            .all(|k| f.iter().any(|g| g == k)),
        "{bad}"
    );
    let after = whole_journal(&t.app).await.len();
    assert_eq!(before, after, "nothing refused was journaled");

    let (status, c) = admin
        .put("/api/v1/hotline/categories/road.manhole", body.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(
        (c["version"].as_i64(), c["dispatch_hours"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        c["personal"], false,
        "a category is not about a person unless marked"
    );
    let mut personal = body.clone();
    personal["personal"] = json!(true);
    let (_, c) = admin
        .put("/api/v1/hotline/categories/road.manhole", personal)
        .await;
    assert_eq!(
        (c["version"].as_i64(), c["personal"].as_bool()),
        (Some(2), Some(true))
    );
    let (_, c) = admin
        .put("/api/v1/hotline/categories/road.manhole", body)
        .await;
    assert_eq!(
        (c["version"].as_i64(), c["personal"].as_bool()),
        (Some(3), Some(false))
    );
    let (status, e) = admin
        .put(
            "/api/v1/hotline/categories/road.manhole/dispatch/330106",
            json!({"lead_unit": "330106"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (_, to) = operator
        .get("/api/v1/hotline/dispatch?category=road.manhole&region=330106")
        .await;
    assert_eq!(to["lead_unit"], "330106");
}
