//! Process faults caught from the journal, the rules and who may act on a
//! signal, and the public board: counts without a case, grades no better
//! than the cards allow.

use super::*;

#[tokio::test]
async fn process_faults_rules_permissions_and_the_public_board() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let clerk = Api::as_user(&t.base, "clerk").await;
    let supervisor = Api::as_user(&t.base, "supervisor").await;
    let (item_id, guide) = first_city_item(&t.base).await;

    // Not accepted without citing a law: a yellow card from the journal.
    let (_, case) = clerk
        .post(
            "/api/v1/hall/counter-applications",
            json!({"item_id": item_id, "applicant": {"kind": "enterprise", "name": "杭州某某有限公司", "credit_code": "91350100M000100Y43"}, "answers": crate::support::answers_for(&guide["form"])}),
        )
        .await;
    let number = case["number"].as_str().expect("number").to_string();
    let (status, body) = act(
        &clerk,
        &number,
        json!({"command": "not_accept", "reason": "材料不符合要求"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A counter case accepted and approved at once: entered after the fact.
    let quick = accepted_counter_case(&clerk, item_id, &guide).await;
    for _ in 0..guide["steps"].as_array().map_or(1, Vec::len) {
        assert_eq!(
            act(&clerk, &quick, json!({"command": "claim"})).await.0,
            StatusCode::OK
        );
        let (status, body) = act(&clerk, &quick, json!({"command": "pass"})).await;
        if status != StatusCode::OK {
            // The last step is decided rather than passed on.
            assert_eq!(status, StatusCode::CONFLICT, "{body}");
        }
    }
    let (status, body) = act(&clerk, &quick, json!({"command": "approve"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    t.app.run_supervision().await.expect("follows the journal");
    assert_eq!(
        rules_of(&signals_of(&supervisor, &number, false).await),
        vec!["process.no_legal_reason"]
    );
    let quick_signals = signals_of(&supervisor, &quick, false).await;
    assert!(
        rules_of(&quick_signals).contains(&"process.entered_after_the_fact"),
        "{quick_signals:?}"
    );
    // Decided: its deadlines no longer run; only its yellow card's
    // follow-up waits, to turn it red if nobody rectifies it.
    let timers = t.app.case_supervision_timers(&quick).await.expect("timers");
    assert!(!timers.is_empty());
    assert!(
        timers
            .iter()
            .all(|x| x.rule.as_str() == "time.yellow_unrectified" && x.cause > 0),
        "{timers:?}"
    );

    // The clock: a root administrator moves a simulated one forward, never back.
    let admin = Api::as_user(&t.base, "admin").await;
    let (_, now) = Api::new(&t.base).get("/api/v1/clock").await;
    let now = now["now"].as_str().expect("now").to_string();
    assert_eq!(
        clerk
            .post("/api/v1/clock", json!({"to": "2027-01-01T00:00:00Z"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = admin
        .post("/api/v1/clock", json!({"to": "2020-01-01T00:00:00Z"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = admin.post("/api/v1/clock", json!({"to": "tomorrow"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = admin.post("/api/v1/clock", json!({"to": now})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Who may see what.
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    assert_eq!(
        citizen.get("/api/v1/supervision/signals").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        Api::new(&t.base).get("/api/v1/supervision/signals").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = supervisor
        .get("/api/v1/supervision/signals?level=purple")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, mine) = clerk.get("/api/v1/supervision/signals?open=false").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !mine.as_array().expect("list").is_empty(),
        "a unit sees its own signals"
    );
    let id = signals_of(&supervisor, &number, false).await[0]["id"].clone();
    assert_eq!(
        Api::as_user(&t.base, "xihu.supervisor")
            .await
            .get(&format!("/api/v1/supervision/signals/{id}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        supervisor.get("/api/v1/supervision/signals/999999").await.0,
        StatusCode::NOT_FOUND
    );

    // The rules: versioned, validated, a city supervisor's to set.
    let (_, current) = Api::new(&t.base).get("/api/v1/supervision/rules").await;
    assert_eq!(current["version"], 0);
    assert_eq!(current["rules"]["thresholds"]["warning_days"], 1);
    let new = json!({"thresholds": {"warning_days": 2, "rectify_days": 3, "after_the_fact_minutes": 10},
        "areas": {"330106": {"warning_days": 3, "rectify_days": 5, "after_the_fact_minutes": 10}}});
    assert_eq!(
        clerk.put("/api/v1/supervision/rules", new.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        Api::as_user(&t.base, "xihu.supervisor")
            .await
            .put("/api/v1/supervision/rules", new.clone())
            .await
            .0,
        StatusCode::FORBIDDEN,
        "a district's supervisor does not set the city's rules"
    );
    let (status, body) = supervisor
        .put("/api/v1/supervision/rules", json!({"thresholds": {"warning_days": 0, "rectify_days": 3, "after_the_fact_minutes": 10}}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        fields(&body).contains(&"thresholds.warning_days".to_string()),
        "{body}"
    );
    let (status, body) = supervisor
        .put(
            "/api/v1/supervision/rules",
            json!({"levels": {"time.nonsense": "red"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = supervisor.put("/api/v1/supervision/rules", new).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 1);
    let (_, current) = Api::new(&t.base).get("/api/v1/supervision/rules").await;
    assert_eq!(current["rules"]["areas"]["330106"]["warning_days"], 3);

    // The public board counts per department and names no case or person.
    let public = Api::new(&t.base);
    let (status, board) = public.get("/api/v1/supervision/board").await;
    assert_eq!(status, StatusCode::OK, "{board}");
    let line = board["departments"]
        .as_array()
        .expect("departments")
        .iter()
        .find(|d| d["department"] == case["department"])
        .expect("the department is on the board")
        .clone();
    assert!(line["yellow_cards"].as_i64().expect("count") >= 2, "{line}");
    let text = board.to_string();
    assert!(
        !text.contains(&number) && !text.contains(&quick) && !text.contains("clerk"),
        "{text}"
    );
    assert_eq!(
        public
            .get("/api/v1/supervision/board?quarter=2026Q9")
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // The same on the pages: the public board, and the workbench where the
    // unit reports its rectification through a form.
    let html = reqwest::get(t.url("/supervision"))
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("supervision-board") && !html.contains(&number),
        "{html}"
    );
    let browser = crate::pages::client();
    let html = crate::pages::post_login(
        &browser,
        &t.base,
        &[
            ("login", "clerk"),
            ("password", sunshine_app::demo::DEMO_PASSWORD),
            ("next", "/staff/signals"),
        ],
    )
    .await
    .expect("login")
    .text()
    .await
    .expect("workbench");
    assert!(
        html.contains(&number) && html.contains("process.no_legal_reason"),
        "{html}"
    );
    let token = crate::pages::csrf(&html);
    let resp = browser
        .post(t.url(&format!("/staff/signals/{id}")))
        .form(&[
            ("csrf", token.as_str()),
            ("command", "respond"),
            ("text", "已补充法律依据并重新告知申请人"),
        ])
        .send()
        .await
        .expect("respond");
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, signal) = supervisor
        .get(&format!("/api/v1/supervision/signals/{id}"))
        .await;
    assert_eq!(signal["state"], "responded", "{signal}");
    let resp = browser
        .post(t.url(&format!("/staff/signals/{id}")))
        .form(&[("csrf", "forged"), ("command", "respond"), ("text", "x")])
        .send()
        .await
        .expect("forged");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Drill-down: the city, a region, a department; asking never widens what one sees.
    let department = case["department"].as_str().expect("department");
    let (_, there) = supervisor
        .get(&format!(
            "/api/v1/supervision/signals?open=false&department={department}"
        ))
        .await;
    assert!(rules_of(there.as_array().expect("list")).contains(&"process.no_legal_reason"));
    let (_, elsewhere) = supervisor
        .get("/api/v1/supervision/signals?open=false&region=330106")
        .await;
    assert!(elsewhere
        .as_array()
        .expect("list")
        .iter()
        .all(|x| x["region"] == "330106"));
    let (_, widened) = Api::as_user(&t.base, "xihu.supervisor")
        .await
        .get(&format!(
            "/api/v1/supervision/signals?open=false&department={department}"
        ))
        .await;
    assert!(widened.as_array().expect("list").is_empty(), "{widened}");
    let sup = crate::pages::client();
    let html = crate::pages::post_login(
        &sup,
        &t.base,
        &[
            ("login", "supervisor"),
            ("password", sunshine_app::demo::DEMO_PASSWORD),
            ("next", "/staff/signals"),
        ],
    )
    .await
    .expect("login")
    .text()
    .await
    .expect("workbench");
    assert!(
        html.contains("id=\"areas\"") && html.contains("/staff/signals?region=330100"),
        "{html}"
    );
    let html = sup
        .get(t.url("/staff/signals?region=330100"))
        .send()
        .await
        .expect("region")
        .text()
        .await
        .expect("html");
    assert!(html.contains(&format!("department={department}")), "{html}");
    // The case's timeline, for the supervisor: the journal, its signals and what is still to come.
    let html = sup
        .get(t.url(&format!("/staff/cases/{number}")))
        .send()
        .await
        .expect("case")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("id=\"history\"") && html.contains("data-rule=\"process.no_legal_reason\""),
        "{html}"
    );
    t.stop().await;
}

/// A red card holds a grade at 合格 at best, a yellow card at 良好, and a
/// department with nothing to judge has neither grade nor score.
#[tokio::test]
async fn no_grade_on_the_board_is_better_than_its_cards_allow() {
    let public = Api::new(&sunshine_testkit::shared_demo().base);
    let (status, grades) = public.get("/api/v1/supervision/evaluation").await;
    assert_eq!(status, StatusCode::OK, "{grades}");
    for line in grades["departments"].as_array().expect("lines") {
        let f = &line["figures"];
        let grade = line["grade"].as_str();
        if f["red_cards"].as_u64() > Some(0) {
            assert!(
                matches!(grade, Some("pass" | "fail")),
                "a red card and graded {grade:?}: {line}"
            );
            assert!(line["score"].as_f64() < Some(80.0), "{line}");
        } else if f["yellow_cards"].as_u64() > Some(0) {
            assert!(
                matches!(grade, Some("good" | "pass" | "fail")),
                "a yellow card and graded {grade:?}: {line}"
            );
        }
        if grade.is_none() {
            assert!(line["score"].is_null(), "no grade, no score: {line}");
            assert_eq!(line["grade_name"], "本季度无可评价办件");
        }
    }
    let (status, html) = crate::pages::page(&crate::pages::client(), "/supervision").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("有红牌的最高评为合格"),
        "the rule is on the board"
    );
}
