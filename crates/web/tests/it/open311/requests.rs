//! Open311 service requests as a client files and follows them: posted and
//! found by id, token and list, updated through their lifecycle, commented
//! on by their own client, and shown in the public feed without anything
//! personal.

use super::*;

fn is_iso_with_zone(s: &str) -> bool {
    s.parse::<jiff::Timestamp>().is_ok()
        && (s.ends_with('Z') || s[s.len().saturating_sub(6)..].starts_with(['+', '-']))
}

/// The specification's rules for one service request.
fn check_request(r: &Value) {
    let o = r
        .as_object()
        .unwrap_or_else(|| panic!("a request is an object: {r}"));
    assert!(o["service_request_id"].is_string(), "ids are strings: {r}");
    assert!(
        matches!(o["status"].as_str(), Some("open" | "closed")),
        "{r}"
    );
    assert!(o["service_code"].is_string(), "{r}");
    for field in ["requested_datetime", "updated_datetime"] {
        assert!(
            o[field].as_str().is_some_and(is_iso_with_zone),
            "{field} with a zone: {r}"
        );
    }
    if let Some(e) = o["expected_datetime"].as_str() {
        assert!(is_iso_with_zone(e), "{r}");
    }
    for field in [
        "status_notes",
        "service_name",
        "description",
        "agency_responsible",
        "service_notice",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ] {
        assert!(
            o.contains_key(field),
            "{field} is present (null when unknown): {r}"
        );
    }
    for field in ["lat", "long"] {
        assert!(o[field].is_null() || o[field].is_number(), "{r}");
    }
    for private in [
        "phone",
        "email",
        "first_name",
        "last_name",
        "caller_phone",
        "caller_name",
        "account_id",
    ] {
        assert!(
            !o.contains_key(private),
            "{private} is never published: {r}"
        );
    }
}

#[tokio::test]
async fn a_client_posts_a_request_and_follows_it_by_id_token_and_list() {
    let demo = sunshine_testkit::shared_demo();
    let api_key = key(demo, "FixMyStreet Hangzhou").await;
    let description = "<script>alert('x')</script> 路灯 & 井盖";
    let form = [
        ("api_key", api_key.as_str()),
        ("service_code", "streetlight.out"),
        ("lat", "30.2803"),
        ("long", "120.1303"),
        ("description", description),
        ("email", "resident@example.cn"),
        ("first_name", "Li"),
        ("last_name", "Lei"),
        ("phone", "13700001111"),
        ("attribute[pole]", "WS-0999"),
    ];
    let created = post(&demo.base, "requests.json", &form).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.content_type, "application/json; charset=utf-8");
    let created: Value = serde_json::from_str(&created.body).expect("JSON");
    let id = created[0]["service_request_id"]
        .as_str()
        .expect("the id is a string")
        .to_string();
    let token = created[0]["token"].as_str().expect("a token").to_string();
    assert!(created[0]["service_notice"].is_string());
    let created_xml = post(&demo.base, "requests.xml", &form).await;
    assert_eq!(created_xml.status, StatusCode::CREATED);
    let x = parse_xml(&created_xml.body);
    assert_eq!(x.name, "service_requests");
    assert_eq!(x.children[0].name, "request");

    // By id: the description as given (escaped in XML), nothing personal.
    let (status, one) = both(
        &demo.base,
        &format!("requests/{id}"),
        "",
        "service_requests",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let r = &one[0];
    check_request(r);
    assert_eq!(r["description"], description);
    assert_eq!(r["status"], "open");
    assert_eq!(r["status_notes"], "已受理");
    let raw = get(&demo.base, &format!("requests/{id}.xml")).await.body;
    assert!(
        raw.contains("&lt;script&gt;") && !raw.contains("<script>"),
        "{raw}"
    );
    for private in ["13700001111", "resident@example.cn", "Lei"] {
        assert!(
            !raw.contains(private) && !one.to_string().contains(private),
            "{private} is not published"
        );
    }

    // By token.
    let (status, t) = both(
        &demo.base,
        &format!("tokens/{token}"),
        "",
        "service_requests",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(t[0]["service_request_id"], id.as_str());

    // In lists: by id, by service code and status, by dates; every item conforms.
    let (status, by_id) = both(
        &demo.base,
        "requests",
        &format!("?service_request_id={id}"),
        "service_requests",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_id.as_array().map(Vec::len), Some(1));
    let (_, recent) = both(&demo.base, "requests", "", "service_requests").await;
    recent
        .as_array()
        .expect("a list")
        .iter()
        .for_each(check_request);
    // Pages over a fixed span, so that requests other tests post meanwhile do not shift them.
    use sunshine_domain::clock::Clock;
    let until = demo.clock.now() - jiff::SignedDuration::from_secs(1);
    let span = format!("end_date={until}");
    let (_, all) = both(
        &demo.base,
        "requests",
        &format!("?{span}"),
        "service_requests",
    )
    .await;
    let all = all.as_array().expect("a list");
    assert!(
        all.len() > 10,
        "the demo's requests of the last 90 days: {} of {}",
        all.len(),
        recent.as_array().map_or(0, Vec::len),
    );
    all.iter().for_each(check_request);
    let (_, open) = both(
        &demo.base,
        "requests",
        "?service_code=streetlight.out&status=open",
        "service_requests",
    )
    .await;
    let open = open.as_array().expect("a list");
    assert!(open
        .iter()
        .all(|r| r["service_code"] == "streetlight.out" && r["status"] == "open"));
    assert!(open.iter().any(|r| r["service_request_id"] == id.as_str()));
    let (_, closed) = both(&demo.base, "requests", "?status=closed", "service_requests").await;
    assert!(closed
        .as_array()
        .expect("a list")
        .iter()
        .all(|r| r["status"] == "closed"));
    let (_, old) = both(
        &demo.base,
        "requests",
        "?start_date=2001-01-01T00:00:00Z&end_date=2001-02-01T00:00:00%2B08:00",
        "service_requests",
    )
    .await;
    assert_eq!(old, json!([]));
    let (_, page) = both(
        &demo.base,
        "requests",
        &format!("?page=2&page_size=3&{span}"),
        "service_requests",
    )
    .await;
    assert_eq!(page.as_array().map(Vec::len), Some(3));
    assert_eq!(
        page[0]["service_request_id"], all[3]["service_request_id"],
        "page 2 of 3 starts at the fourth"
    );
    // An empty parameter is the same as none.
    let (_, empty) = both(
        &demo.base,
        "requests",
        &format!("?service_code=&status=&{span}"),
        "service_requests",
    )
    .await;
    assert_eq!(empty.as_array().map(Vec::len), Some(all.len()));
}

#[tokio::test]
async fn request_updates_follow_the_lifecycle_and_clients_can_comment() {
    let demo = sunshine_testkit::shared_demo();
    let api_key = key(demo, "Updates Client").await;
    let created = post(
        &demo.base,
        "requests.json",
        &[
            ("api_key", api_key.as_str()),
            ("service_code", "road.pothole"),
            ("address_string", "莫干山路 1 号"),
            ("description", "坑"),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = serde_json::from_str::<Value>(&created.body).expect("JSON")[0]["service_request_id"]
        .as_str()
        .expect("id")
        .to_string();
    let a = post(
        &demo.base,
        "servicerequestupdates.json",
        &[
            ("api_key", api_key.as_str()),
            ("service_request_id", &id),
            ("description", "坑越来越大了"),
            ("status", "OPEN"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let update: Value = serde_json::from_str(&a.body).expect("JSON");
    assert!(update[0]["update_id"].is_string(), "{update}");
    let a = post(
        &demo.base,
        "servicerequestupdates.json",
        &[
            ("api_key", api_key.as_str()),
            ("service_request_id", "999999999"),
            ("description", "x"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = post(
        &demo.base,
        "servicerequestupdates.json",
        &[("service_request_id", id.as_str()), ("description", "x")],
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    let (status, updates) = both(
        &demo.base,
        "servicerequestupdates",
        "",
        "service_request_updates",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mine: Vec<&Value> = updates
        .as_array()
        .expect("a list")
        .iter()
        .filter(|u| u["service_request_id"] == id.as_str())
        .collect();
    let texts: Vec<&str> = mine
        .iter()
        .filter_map(|u| u["description"].as_str())
        .collect();
    assert_eq!(texts, ["已受理", "坑越来越大了"], "{updates}");
    for u in &mine {
        assert!(
            u["update_id"].is_string()
                && u["updated_datetime"].as_str().is_some_and(is_iso_with_zone),
            "{u}"
        );
        assert!(matches!(u["status"].as_str(), Some("open" | "closed")));
    }
    let (status, e) = both(&demo.base, "servicerequestupdates", "?start_date=soon", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    check_errors(&e, 400);
}

#[tokio::test]
async fn a_client_comments_only_on_its_own_requests_unless_granted_all() {
    let demo = sunshine_testkit::shared_demo();
    let own = key(demo, "Own Client").await;
    let other = key(demo, "Other Client").await;
    let (_, all) = demo
        .with_app(|app| async move {
            let (row, key) = app
                .issue_open311_key(None, "Hub Client", 60, true)
                .await
                .expect("a key");
            (row.id, key)
        })
        .await;
    let id = filed(
        &demo.base,
        &own,
        &[
            ("service_code", "road.pothole"),
            ("address_string", "文一路 2 号"),
        ],
    )
    .await;
    let comment = |k: String, text: &'static str| {
        let (base, id) = (demo.base.clone(), id.clone());
        async move {
            post(
                &base,
                "servicerequestupdates.json",
                &[
                    ("api_key", k.as_str()),
                    ("service_request_id", &id),
                    ("description", text),
                ],
            )
            .await
        }
    };
    let a = comment(other, "不是我的").await;
    assert_eq!(
        a.status,
        StatusCode::NOT_FOUND,
        "another client's request is not there for it: {}",
        a.body
    );
    assert_eq!(comment(own, "我的").await.status, StatusCode::OK);
    assert_eq!(
        comment(all, "全部可评").await.status,
        StatusCode::OK,
        "a key granted all comments on any"
    );
}

#[tokio::test]
async fn the_public_feed_shows_no_address_of_a_person_and_no_numbers_anyone_typed() {
    let demo = sunshine_testkit::shared_demo();
    let k = key(demo, "Privacy Client").await;
    let care = filed(
        &demo.base,
        &k,
        &[
            ("service_code", "community.care"),
            ("lat", "30.274156"),
            ("long", "120.155078"),
            ("address_string", "文三路 99 号 3 单元 501"),
            (
                "description",
                "独居老人，身份证33010619900101123X，电话138 1234 5678，请于2026-12-02上门",
            ),
        ],
    )
    .await;
    let road = filed(
        &demo.base,
        &k,
        &[
            ("service_code", "road.pothole"),
            ("lat", "30.274156"),
            ("long", "120.155078"),
            ("address_string", "莫干山路 1 号"),
            ("description", "请联系0571-85252345，办件2026-330106-000123"),
        ],
    )
    .await;
    let (status, care_shown) = both(
        &demo.base,
        &format!("requests/{care}"),
        "",
        "service_requests",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let r = &care_shown[0];
    assert!(r["address"].is_null(), "no address of a person: {r}");
    assert_eq!(
        (r["lat"].as_f64(), r["long"].as_f64()),
        (Some(30.274), Some(120.155))
    );
    let d = r["description"].as_str().expect("description");
    assert!(
        !d.contains("33010619900101123X") && !d.contains("1234 5678") && d.contains("2026-12-02"),
        "numbers masked, dates kept: {d}"
    );
    let (_, road_shown) = both(
        &demo.base,
        &format!("requests/{road}"),
        "",
        "service_requests",
    )
    .await;
    let r = &road_shown[0];
    assert_eq!(r["address"], "莫干山路 1 号", "a road's address is public");
    assert_eq!(r["lat"].as_f64(), Some(30.274156));
    let d = r["description"].as_str().expect("description");
    assert!(
        !d.contains("85252345") && d.contains("2026-330106-000123"),
        "the phone masked, the case number kept: {d}"
    );
}
