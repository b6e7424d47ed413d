//! Complaints through the API: answered in time, raising signals when not,
//! and counted in the grades.

use super::*;

#[tokio::test]
async fn complaints_are_answered_in_time_raise_signals_and_count_in_the_grades() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let citizen = Api::as_user(&t.base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let supervisor = Api::as_user(&t.base, "supervisor").await;
    let (item_id, guide) = first_city_item(&t.base).await;
    let number = crate::hall_api::applied_number(&citizen, item_id, &guide).await;

    // Filing: one's own case or a department, with something to say.
    let file = |body: Value| {
        let citizen = &citizen;
        async move { citizen.post("/api/v1/supervision/complaints", body).await }
    };
    let (status, c) =
        file(json!({"case_number": number, "text": "窗口人员态度恶劣，多次要求重复提交材料"}))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["state"], "received");
    // Filed on Friday 27 November 2026: five working days is Friday 4 December.
    assert_eq!(c["accept_due"], "2026-12-04");
    assert_eq!(c["overdue"], false);
    let complaint = c["id"].as_i64().expect("id");
    for (body, field) in [
        (json!({"text": "无对象"}), "case_number"),
        (
            json!({"case_number": number, "department": "330100-002", "text": "两者都有"}),
            "case_number",
        ),
        (
            json!({"department": "999999-999", "text": "不存在的部门"}),
            "department",
        ),
        (json!({"case_number": number, "text": "   "}), "text"),
        (
            json!({"case_number": number, "text": "长".repeat(4001)}),
            "text",
        ),
        (
            json!({"case_number": number, "text": "控制\u{1b}[2J字符"}),
            "text",
        ),
    ] {
        let (status, body) = file(body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            fields(&body).contains(&field.to_string()),
            "{field}: {body}"
        );
    }
    let (stranger, _) = crate::support::fresh_citizen(&t.base).await;
    let (status, body) = stranger
        .post(
            "/api/v1/supervision/complaints",
            json!({"case_number": number, "text": "别人的办件"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another's case is not theirs to name: {body}"
    );
    let clerk = Api::as_user(&t.base, "clerk").await;
    assert_eq!(
        clerk
            .post(
                "/api/v1/supervision/complaints",
                json!({"department": "330100", "text": "x"})
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let department = c["department"].as_str().expect("department").to_string();
    let (status, other) = file(json!({"department": department, "text": "电话长期无人接听"})).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");

    // Who sees them.
    let (_, mine) = citizen.get("/api/v1/supervision/complaints").await;
    assert_eq!(mine.as_array().expect("list").len(), 2);
    let (_, theirs) = stranger.get("/api/v1/supervision/complaints").await;
    assert!(theirs.as_array().expect("list").is_empty());
    let (_, area) = supervisor.get("/api/v1/supervision/complaints").await;
    assert!(area
        .as_array()
        .expect("list")
        .iter()
        .any(|x| x["id"] == complaint));
    let xihu = Api::as_user(&t.base, "xihu.supervisor").await;
    let (_, xihu_area) = xihu.get("/api/v1/supervision/complaints").await;
    assert!(!xihu_area
        .as_array()
        .expect("list")
        .iter()
        .any(|x| x["id"] == complaint));
    assert_eq!(
        clerk.get("/api/v1/supervision/complaints").await.0,
        StatusCode::FORBIDDEN
    );

    // Handling: accept, then answer and uphold it with a signal on the case.
    let path = format!("/api/v1/supervision/complaints/{complaint}/commands");
    let (status, body) = supervisor
        .post(&path, json!({"command": "answer", "text": "已核实"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "accepted first: {body}");
    assert_eq!(
        xihu.post(&path, json!({"command": "accept"})).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = supervisor.post(&path, json!({"command": "accept"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "investigating");
    let (status, body) = supervisor
        .post(&path, json!({"command": "answer", "text": "经查属实，已责令整改并向您致歉", "raise_signal": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "answered");
    let signal = body["signal_id"].as_i64().expect("a signal");
    let (_, s) = supervisor
        .get(&format!("/api/v1/supervision/signals/{signal}"))
        .await;
    assert_eq!(
        (s["rule"].as_str(), s["level"].as_str()),
        (Some("complaint.upheld"), Some("yellow"))
    );
    assert_eq!(s["complaint"], complaint);
    assert_eq!(s["case_number"], number);
    // A complaint about a department raises no card on a case; refusing needs a reason.
    let other_path = format!("/api/v1/supervision/complaints/{}/commands", other["id"]);
    let (status, body) = supervisor
        .post(
            &other_path,
            json!({"command": "accept", "raise_signal": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = supervisor
        .post(&other_path, json!({"command": "refuse"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = supervisor
        .post(
            &other_path,
            json!({"command": "refuse", "text": "不属于本系统受理范围，已告知向12345反映"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "refused");
    let (status, body) = supervisor
        .post(&other_path, json!({"command": "bury"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // One left unanswered past its five working days shows as overdue.
    let (_, late) = file(json!({"case_number": number, "text": "补充投诉"})).await;
    t.clock.set("2026-12-05T01:00:00Z".parse().expect("time"));
    let (_, area) = supervisor.get("/api/v1/supervision/complaints").await;
    let late = area
        .as_array()
        .expect("list")
        .iter()
        .find(|x| x["id"] == late["id"])
        .expect("listed")
        .clone();
    assert_eq!(late["overdue"], true, "{late}");

    // The quarter's grades count the upheld complaint and its card; the refused one is not counted.
    let public = Api::new(&t.base);
    let (status, eval) = public
        .get("/api/v1/supervision/evaluation?quarter=2026Q4")
        .await;
    assert_eq!(status, StatusCode::OK, "{eval}");
    let line = eval["departments"]
        .as_array()
        .expect("departments")
        .iter()
        .find(|d| d["department"] == department.as_str())
        .expect("graded")
        .clone();
    assert_eq!(line["figures"]["complaints"], 2, "{line}");
    assert!(
        line["figures"]["yellow_cards"].as_i64().expect("n") >= 1,
        "{line}"
    );
    assert!(["excellent", "good", "pass", "fail"].contains(&line["grade"].as_str().expect("grade")));
    assert!(!eval.to_string().contains(&number));
    assert_eq!(
        public
            .get("/api/v1/supervision/evaluation?quarter=Q4")
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let html = reqwest::get(t.url("/supervision?quarter=2026Q4"))
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("id=\"evaluation\"") && !html.contains(&number),
        "{html}"
    );

    // The pages: the citizen files through the form; the supervisor takes it up.
    let login = |who: &'static str| {
        let (url, page) = (t.base.clone(), t.url("/complaints"));
        async move {
            let b = crate::pages::client();
            crate::pages::post_login(
                &b,
                &url,
                &[
                    ("login", who),
                    ("password", sunshine_app::demo::DEMO_PASSWORD),
                ],
            )
            .await
            .expect("login");
            let html = b
                .get(page)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html");
            (b, html)
        }
    };
    let (b, html) = login(sunshine_app::demo::DEMO_CITIZEN_ID).await;
    assert!(
        html.contains("id=\"file-complaint\"") && html.contains("窗口人员态度恶劣"),
        "{html}"
    );
    let token = crate::pages::csrf(&html);
    let html = b
        .post(t.url("/complaints"))
        .form(&[
            ("csrf", token.as_str()),
            ("case_number", number.as_str()),
            ("department", ""),
            ("text", "页面提交的投诉"),
        ])
        .send()
        .await
        .expect("file")
        .text()
        .await
        .expect("page");
    assert!(html.contains("页面提交的投诉"), "{html}");
    let (_, mine) = citizen.get("/api/v1/supervision/complaints").await;
    let filed = mine
        .as_array()
        .expect("list")
        .iter()
        .find(|x| x["text"] == "页面提交的投诉")
        .expect("filed")
        .clone();
    let (b, html) = login("supervisor").await;
    assert!(
        html.contains(&format!("id=\"complaint-{}\"", filed["id"])),
        "{html}"
    );
    let token = crate::pages::csrf(&html);
    let html = b
        .post(t.url(&format!("/complaints/{}", filed["id"])))
        .form(&[
            ("csrf", token.as_str()),
            ("command", "accept"),
            ("text", ""),
        ])
        .send()
        .await
        .expect("accept")
        .text()
        .await
        .expect("page");
    assert!(
        html.contains(&format!(
            "id=\"complaint-{}\" data-state=\"investigating\"",
            filed["id"]
        )),
        "{html}"
    );
    t.stop().await;
}
