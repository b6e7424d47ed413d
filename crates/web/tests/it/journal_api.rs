//! The journal (read by cursor, verified, tamper caught), restarts, and
//! catalogue import and export, each on a platform of its own.

use reqwest::StatusCode;
use serde_json::json;
use sunshine_app::journal::Verification;
use sunshine_testkit::{api_token, shared_demo, TestApp};

use crate::support::{fields, item, Api};

#[tokio::test]
async fn consumers_read_the_journal_in_order_after_their_cursor() {
    let admin = Api::as_user(&shared_demo().base, "admin").await;
    let (status, first) = admin.get("/api/v1/journal?after=0&limit=5").await;
    assert_eq!(status, StatusCode::OK);
    let seqs: Vec<i64> = first["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["seq"].as_i64())
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert_eq!(first["next_cursor"], 5);
    let (_, next) = admin.get("/api/v1/journal?after=5&limit=2").await;
    assert_eq!(next["entries"][0]["seq"], 6);
    assert_eq!(
        next["entries"][0]["prev_hash"], first["entries"][4]["hash"],
        "each entry carries the hash of the one before"
    );
    let editor = Api::as_user(&shared_demo().base, "editor").await;
    assert_eq!(
        editor.get("/api/v1/journal").await.0,
        StatusCode::FORBIDDEN,
        "only administrators at the top read the whole journal"
    );
    let (status, report) = admin.get("/api/v1/journal/verify").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["intact"], true, "{report}");
}

#[tokio::test]
async fn journal_verify_reports_the_first_altered_or_missing_entry() {
    let t = TestApp::demo().await.expect("demo");
    assert!(matches!(
        t.app.verify_journal().await.expect("verify"),
        Verification::Intact { .. }
    ));
    sqlx::query("UPDATE journal SET payload = '{\"tampered\":true}' WHERE seq = 40")
        .execute(t.app.db.pool())
        .await
        .expect("tamper");
    match t.app.verify_journal().await.expect("verify") {
        Verification::Broken(b) => assert_eq!(b.seq, 40, "{}", b.reason),
        other => panic!("tampering went unnoticed: {other:?}"),
    }
    t.stop().await;

    let t = TestApp::demo().await.expect("demo");
    let (head,): (i64,) = sqlx::query_as("SELECT seq FROM journal_head WHERE id = 1")
        .fetch_one(t.app.db.pool())
        .await
        .expect("head");
    sqlx::query("DELETE FROM journal WHERE seq = $1")
        .bind(head)
        .execute(t.app.db.pool())
        .await
        .expect("delete last");
    match t.app.verify_journal().await.expect("verify") {
        Verification::Broken(b) => assert_eq!(b.seq, head, "the removed last entry: {}", b.reason),
        other => panic!("a removed entry went unnoticed: {other:?}"),
    }
    t.stop().await;
}

#[tokio::test]
async fn every_command_leaves_its_state_and_its_journal_entry_after_a_restart() {
    let mut t = TestApp::with_organisations().await.expect("platform");
    let admin = Api::as_user(&t.base, "admin").await;
    let (status, created_staff) = admin.post("/api/v1/staff", json!({"login": "ed.test", "display_name": "编制员", "org": "330100-003", "password": "long-enough-1", "roles": ["catalog_editor"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{created_staff}");
    let editor = Api {
        token: Some(
            api_token(&t.base, "ed.test", "long-enough-1")
                .await
                .expect("token"),
        ),
        ..Api::new(&t.base)
    };
    let (status, created) = editor
        .post(
            "/api/v1/catalog/drafts",
            item("XK-00777-000", "重启测试事项"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, _) = editor
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/catalog/versions/{}/declare", created["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (before_seq, before_hash) = {
        let mut c = t.app.db.read().await.expect("conn");
        sunshine_store::journal::head(&mut c).await.expect("head")
    };

    t.restart().await.expect("restart");

    let editor = Api {
        token: editor.token.clone(),
        ..Api::new(&t.base)
    };
    let (status, v) = editor
        .get(&format!("/api/v1/catalog/versions/{}", created["id"]))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the token and the item survive: {v}"
    );
    assert_eq!(v["state"], "declared");
    let mut c = t.app.db.read().await.expect("conn");
    assert_eq!(
        sunshine_store::journal::head(&mut c).await.expect("head"),
        (before_seq, before_hash)
    );
    drop(c);
    assert!(matches!(
        t.app.verify_journal().await.expect("verify"),
        Verification::Intact { .. }
    ));
    t.stop().await;
}

/// An administrator who also holds every step's role, as a migration account would.
async fn migrator(t: &TestApp) -> Api {
    let admin = Api::as_user(&t.base, "admin").await;
    let (_, orgs) = admin.get("/api/v1/organisations").await;
    // The first administrator holds every role of the city already; it hands
    // itself the approver's role of each district, which approval needs.
    let mut grants = vec![];
    for o in orgs.as_array().expect("orgs") {
        if ["district", "county", "zone"].contains(&o["kind"].as_str().unwrap_or("")) {
            grants.push(("approver", o["code"].as_str().unwrap_or("").to_string()));
        }
    }
    for (role, org) in grants {
        let (status, body) = admin
            .post(
                "/api/v1/staff/admin/grants",
                json!({"role": role, "org": org}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{role} at {org}: {body}");
    }
    admin
}

async fn public_count(base: &str) -> serde_json::Value {
    Api::new(base).get("/api/v1/catalog/items?limit=1").await.1["total"].clone()
}

#[tokio::test]
async fn the_catalogue_round_trips_through_csv_and_json() {
    let demo_admin = Api::as_user(&shared_demo().base, "admin").await;
    for format in ["csv", "json"] {
        let exported = demo_admin
            .http
            .get(shared_demo().url(&format!("/api/v1/catalog/export?format={format}")))
            .bearer_auth(demo_admin.token.clone().unwrap_or_default())
            .send()
            .await
            .expect("export");
        assert_eq!(exported.status(), StatusCode::OK);
        let file = exported.bytes().await.expect("bytes");

        let t = TestApp::with_organisations().await.expect("platform");
        let admin = Api::as_user(&t.base, "admin").await;
        let resp = admin
            .http
            .post(t.url(&format!("/api/v1/catalog/import?format={format}")))
            .bearer_auth(admin.token.clone().unwrap_or_default())
            .body(file.clone())
            .send()
            .await
            .expect("import");
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{format}: an administrator alone cannot put items into the library"
        );
        assert_eq!(
            admin.get("/api/v1/catalog/versions").await.1["total"],
            0,
            "nothing imported"
        );

        let admin = migrator(&t).await;
        let resp = admin
            .http
            .post(t.url(&format!("/api/v1/catalog/import?format={format}")))
            .bearer_auth(admin.token.clone().unwrap_or_default())
            .body(file.clone())
            .send()
            .await
            .expect("import");
        let status = resp.status();
        let report: serde_json::Value = resp.json().await.expect("json");
        assert_eq!(status, StatusCode::OK, "{format}: {report}");
        assert!(report["imported"].as_u64().unwrap_or(0) >= 70);

        let again = admin
            .http
            .get(t.url(&format!("/api/v1/catalog/export?format={format}")))
            .bearer_auth(admin.token.clone().unwrap_or_default())
            .send()
            .await
            .expect("export again");
        let again = again.bytes().await.expect("bytes");
        assert!(
            file == again,
            "{format}: the second export differs from the first"
        );
        assert_eq!(
            public_count(&t.base).await,
            public_count(&shared_demo().base).await,
            "{format}: the same items are public, new drafts beside them included"
        );
        t.stop().await;
    }
}

#[tokio::test]
async fn a_bad_import_row_is_reported_with_its_line_and_nothing_is_imported() {
    let t = TestApp::with_organisations().await.expect("platform");
    // The first administrator holds the catalogue editor's role of the city.
    let admin = Api::as_user(&t.base, "admin").await;
    let good = item("XK-00801-000", "导入一");
    let mut bad = item("XK-00802-000", "导入二");
    bad["promised_limit"] = json!({"value": 99, "unit": "working_days"});
    let good2 = item("XK-00803-000", "导入三");
    let mut rows = vec![good, bad, good2];
    for r in rows.iter_mut() {
        r["state"] = "draft".into();
    }
    let resp = admin
        .http
        .post(t.url("/api/v1/catalog/import?format=json"))
        .bearer_auth(admin.token.clone().unwrap_or_default())
        .json(&rows)
        .send()
        .await
        .expect("import");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(fields(&body), ["line 2"], "{body}");
    assert!(body["error"]["fields"]["line 2"]
        .as_str()
        .unwrap_or("")
        .contains("promised_limit"));
    let (_, list) = admin.get("/api/v1/catalog/versions").await;
    assert_eq!(list["total"], 0, "nothing was imported");

    let csv = "code,name\nXK-1,x\n";
    let resp = admin
        .http
        .post(t.url("/api/v1/catalog/import?format=csv"))
        .bearer_auth(admin.token.clone().unwrap_or_default())
        .body(csv)
        .send()
        .await
        .expect("import");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert!(
        body["error"]["fields"]["line 1"]
            .as_str()
            .unwrap_or("")
            .contains("缺少列"),
        "{body}"
    );

    let editor_like = admin.get("/api/v1/catalog/export?format=xml").await;
    assert_eq!(editor_like.0, StatusCode::UNPROCESSABLE_ENTITY);
    t.stop().await;
}

#[tokio::test]
async fn an_import_that_collides_inside_its_transaction_leaves_nothing_behind() {
    let t = TestApp::with_organisations().await.expect("platform");
    // The first administrator holds the catalogue editor's role of the city.
    let admin = Api::as_user(&t.base, "admin").await;
    let (status, body) = admin
        .post("/api/v1/catalog/drafts", item("XK-00850-000", "已有事项"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The first rows are new; the last collides with the existing item, found only while writing.
    let mut rows: Vec<serde_json::Value> = (851..856)
        .map(|n| item(&format!("XK-{n:05}-000"), "导入事项"))
        .collect();
    rows.push(item("XK-00850-000", "重复事项"));
    for r in &mut rows {
        r["state"] = "draft".into();
    }
    let resp = admin
        .http
        .post(t.url("/api/v1/catalog/import"))
        .bearer_auth(admin.token.clone().unwrap_or_default())
        .json(&rows)
        .send()
        .await
        .expect("import");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(fields(&body), ["line 6"], "{body}");
    let (_, list) = admin.get("/api/v1/catalog/versions").await;
    assert_eq!(
        list["total"], 1,
        "the five new rows were rolled back with the collision"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_version_published_for_a_later_date_comes_into_force_on_that_date() {
    let t = TestApp::demo().await.expect("demo");
    let (editor, reviewer, approver) = (
        Api::as_user(&t.base, "editor").await,
        Api::as_user(&t.base, "reviewer").await,
        Api::as_user(&t.base, "approver").await,
    );
    let (_, v1) = editor
        .post(
            "/api/v1/catalog/drafts",
            item("XK-00860-000", "择日生效事项"),
        )
        .await;
    let (v1, item_id) = (
        v1["id"].as_i64().expect("id"),
        v1["item_id"].as_i64().expect("item"),
    );
    let go = |api: &Api, id: i64, action: &str, body: Option<serde_json::Value>| {
        let path = format!("/api/v1/catalog/versions/{id}/{action}");
        let api = Api {
            token: api.token.clone(),
            ..Api::new(&api.base)
        };
        async move { api.call(reqwest::Method::POST, &path, body).await }
    };
    for (api, action) in [
        (&editor, "declare"),
        (&reviewer, "review"),
        (&approver, "approve"),
        (&approver, "publish"),
    ] {
        assert_eq!(go(api, v1, action, None).await.0, StatusCode::OK);
    }
    let (_, v2) = editor
        .post(
            &format!("/api/v1/catalog/items/{item_id}/versions"),
            json!({}),
        )
        .await;
    let v2 = v2["id"].as_i64().expect("id");
    assert_eq!(
        editor
            .put(
                &format!("/api/v1/catalog/versions/{v2}"),
                item("XK-00860-000", "择日生效事项（修订）")
            )
            .await
            .0,
        StatusCode::OK
    );
    for (api, action) in [
        (&editor, "declare"),
        (&reviewer, "review"),
        (&approver, "approve"),
    ] {
        assert_eq!(go(api, v2, action, None).await.0, StatusCode::OK);
    }
    // The simulated clock stands at 2026-11-27 (Shanghai); in force from 1 December.
    let (status, body) = go(
        &approver,
        v2,
        "publish",
        Some(json!({"effective_date": "2026-12-01"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "in_library");
    assert_eq!(body["is_current"], false, "waiting for its date");
    let public = Api::new(&t.base);
    assert_eq!(
        public
            .get(&format!("/api/v1/catalog/items/{item_id}"))
            .await
            .1["guide"]["name"],
        "择日生效事项",
        "the version in force stays until then"
    );
    assert_eq!(
        t.app.put_due_versions_in_force().await.expect("worker"),
        0,
        "nothing is due yet"
    );

    t.clock.advance(jiff::SignedDuration::from_hours(24 * 4));
    assert_eq!(t.app.put_due_versions_in_force().await.expect("worker"), 1);
    assert_eq!(
        t.app.put_due_versions_in_force().await.expect("worker"),
        0,
        "once only"
    );
    let (_, guide) = public
        .get(&format!("/api/v1/catalog/items/{item_id}"))
        .await;
    assert_eq!(guide["guide"]["name"], "择日生效事项（修订）");
    assert_eq!(
        editor
            .get(&format!("/api/v1/catalog/versions/{v1}"))
            .await
            .1["state"],
        "superseded"
    );
    let (_, history) = editor
        .get(&format!("/api/v1/catalog/items/{item_id}/history"))
        .await;
    let last = history["entries"]
        .as_array()
        .and_then(|e| e.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (last["event_type"].as_str(), last["actor"].as_str()),
        (Some("catalog.version_in_force"), Some("staff:system"))
    );
    t.stop().await;
}
