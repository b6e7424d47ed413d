//! Resource sharing (资源共享) through the API, on a platform of its own
//! (the demo's resources, feeds and one conflict): a department subscribes,
//! the owner decides, the subscriber's key reads only the fields subscribed
//! and every read is logged for both sides; a key or a subscription revoked
//! reads nothing; a resource not shared is never subscribed to; the three
//! enterprise feeds are submitted by their own departments, all rows or
//! none, and their disagreements resolved with a reason; and an enterprise
//! finds its own basic information, and no other's, in its forms.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_app::demo::sharing::{
    credit_code, CONFLICTED, QUALITY_EDITOR, REGISTRATION_APPROVER, REGISTRATION_EDITOR,
    SOCIAL_SECURITY_CLERK, TAX_EDITOR,
};
use sunshine_app::demo::{DEMO_CITIZEN_LOGIN, DEMO_ENTERPRISE_LOGIN, DEMO_PROVIDER_LOGIN};
use sunshine_testkit::TestApp;

use crate::support::{fields, journal_entries, Api};

/// The catalogue's resource called `name`.
async fn resource_named(api: &Api, name: &str) -> i64 {
    let (status, list) = api.get("/api/v1/sharing/resources").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == name)
        .and_then(|r| r["id"].as_i64())
        .unwrap_or_else(|| panic!("no resource {name}: {list}"))
}

/// Read a resource with a key, as a department's system does.
async fn read(base: &str, resource: i64, key: &str, query: &str) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .get(format!("{base}/api/v1/sharing/data/{resource}{query}"))
        .header("Sharing-Key", key)
        .send()
        .await
        .expect("sent");
    let status = resp.status();
    (status, resp.json().await.unwrap_or_default())
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_conditional_resource_is_approved_by_its_owner_read_through_a_key_and_every_read_logged()
{
    let t = TestApp::demo_with_cases(0).await.expect("a demo");
    let hrss = Api::as_user(&t.base, SOCIAL_SECURITY_CLERK).await;
    let approver = Api::as_user(&t.base, REGISTRATION_APPROVER).await;
    let editor = Api::as_user(&t.base, REGISTRATION_EDITOR).await;
    let quality = Api::as_user(&t.base, QUALITY_EDITOR).await;
    let enterprise = resource_named(&hrss, "企业基础信息").await;

    // The catalogue, searched by words, department and class.
    let (_, list) = hrss
        .get("/api/v1/sharing/resources?class=conditional")
        .await;
    assert_eq!(names(&list), ["企业基础信息"], "{list}");
    let (_, list) = hrss.get("/api/v1/sharing/resources?owner=330100-013").await;
    assert_eq!(names(&list), ["社会保险参保单位"], "{list}");
    let (_, list) = hrss.get("/api/v1/sharing/resources?q=户籍").await;
    assert_eq!(names(&list), ["户籍人口信息"], "{list}");
    let (status, body) = hrss.get("/api/v1/sharing/resources?class=secret").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = Api::new(&t.base).get("/api/v1/sharing/resources").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // A resource not shared is never subscribed to.
    let register = resource_named(&hrss, "户籍人口信息").await;
    let (status, body) = hrss
        .post(
            &format!("/api/v1/sharing/resources/{register}/subscriptions"),
            json!({"fields": ["name"], "purpose": "核对参保人员身份", "basis": "《社会保险法》"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "resource_not_shared");

    // One live subscription a department.
    let (status, body) = hrss
        .post(
            &format!("/api/v1/sharing/resources/{enterprise}/subscriptions"),
            json!({"fields": ["name"], "purpose": "再次申请", "basis": "《社会保险法》"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "already_subscribed");

    // The demo's request waits, first in the owner's queue.
    let (status, queue) = approver
        .get("/api/v1/sharing/subscriptions?queue=owned")
        .await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let waiting = &queue[0];
    assert_eq!(waiting["state"], "requested", "{queue}");
    assert_eq!(waiting["subscriber"], "330100-013");
    assert_eq!(waiting["commands"], json!(["approve", "refuse"]));
    let id = waiting["id"].as_i64().expect("id");
    let path = format!("/api/v1/sharing/subscriptions/{id}");
    let (_, mine) = hrss
        .get("/api/v1/sharing/subscriptions?queue=subscribed")
        .await;
    assert_eq!(mine[0]["id"], id, "{mine}");
    assert_eq!(
        mine[0]["commands"],
        json!([]),
        "the subscriber does not decide"
    );

    // Only the owner decides: not the subscriber, not another department,
    // not the owner's editor; a refusal needs its reason.
    for (who, expected) in [
        (&hrss, StatusCode::FORBIDDEN),
        (&editor, StatusCode::FORBIDDEN),
        (&quality, StatusCode::NOT_FOUND),
    ] {
        let (status, body) = who
            .post(&format!("{path}/commands"), json!({"command": "approve"}))
            .await;
        assert_eq!(status, expected, "{body}");
    }
    let (status, body) = approver
        .post(
            &format!("{path}/commands"),
            json!({"command": "refuse", "reason": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["reason"]);
    // No key before approval.
    let (status, body) = hrss
        .post(&format!("{path}/keys"), json!({"name": "社保业务系统"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, approved) = approver
        .post(
            &format!("{path}/commands"),
            json!({"command": "approve", "reason": "用途符合职责"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["state"], "approved");
    assert_eq!(approved["decided_by"], "工商共享审核员");
    let (status, body) = approver
        .post(&format!("{path}/commands"), json!({"command": "approve"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "approved once: {body}");

    // The subscriber issues a key; the owner does not.
    let (status, body) = approver
        .post(&format!("{path}/keys"), json!({"name": "工商"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, key) = hrss
        .post(&format!("{path}/keys"), json!({"name": "社保业务系统"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let secret = key["secret"].as_str().expect("secret").to_string();
    let (_, view) = hrss.get(&path).await;
    assert!(
        !view.to_string().contains(&secret),
        "the secret is shown once only: {view}"
    );

    // Reads return the subscribed fields only.
    let (status, page) = read(&t.base, enterprise, &secret, "").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 4, "{page}");
    let rows = page["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 4);
    for r in rows {
        let mut keys: Vec<&String> = r.as_object().expect("a row").keys().collect();
        keys.sort();
        assert_eq!(keys, ["address", "credit_code", "name", "status"], "{r}");
    }
    assert!(rows.iter().any(|r| r["name"] == "杭州云栖数据科技有限公司"));
    let (status, page) = read(&t.base, enterprise, &secret, "?offset=1&limit=2").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["rows"].as_array().map(Vec::len), Some(2));
    let insured = resource_named(&hrss, "社会保险参保单位").await;
    let (status, body) = read(&t.base, insured, &secret, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "key_for_another_resource");
    let (status, body) = read(&t.base, enterprise, "not-a-key", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "key_unknown");
    // Tries with a key that is nobody's are counted for the owner to see,
    // by client and hour; a resource that does not exist counts nothing.
    let (status, _) = read(&t.base, enterprise, "another-guess", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = read(&t.base, 999_999, "not-a-key", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let counted: Vec<i64> =
        sqlx::query_scalar("SELECT resource_id FROM sharing_unknown_keys ORDER BY resource_id")
            .fetch_all(t.app.db.pool())
            .await
            .expect("the counts");
    assert_eq!(
        counted,
        [enterprise],
        "nothing counted on what does not exist"
    );
    let (_, seen) = editor
        .get(&format!("/api/v1/sharing/resources/{enterprise}"))
        .await;
    assert_eq!(seen["may_edit"], true, "{seen}");
    let tries = seen["unknown_keys"].as_array().expect("the tries");
    assert_eq!(tries.len(), 1, "one client, one hour: {tries:?}");
    assert_eq!(tries[0]["attempts"], 2);
    assert!(tries[0]["client"].as_str().is_some_and(|c| !c.is_empty()));
    let (_, subscriber) = hrss
        .get(&format!("/api/v1/sharing/resources/{enterprise}"))
        .await;
    assert_eq!(
        subscriber["unknown_keys"],
        json!([]),
        "the owner's to see: {subscriber}"
    );
    let (owner_page, _) = crate::board_pages::signed_in(&t.base, REGISTRATION_EDITOR).await;
    let (_, page) = crate::board_pages::page(
        &owner_page,
        &format!("{}/staff/sharing/resources/{enterprise}", t.base),
    )
    .await;
    assert!(page.contains("id=\"unknown-keys\""), "{page}");

    // The owner revokes the key: it reads nothing, and that is logged too.
    let key_id = key["id"].as_i64().expect("key id");
    let (status, body) = quality
        .post(
            &format!("/api/v1/sharing/keys/{key_id}/revocation"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another department: {body}");
    let (status, body) = approver
        .post(
            &format!("/api/v1/sharing/keys/{key_id}/revocation"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = read(&t.base, enterprise, &secret, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "key_revoked");

    // A new key reads again until the subscriber revokes the subscription.
    let (_, second) = hrss
        .post(&format!("{path}/keys"), json!({"name": "稽核系统"}))
        .await;
    let second = second["secret"].as_str().expect("secret").to_string();
    let (status, _) = read(&t.base, enterprise, &second, "?limit=1").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = hrss
        .post(
            &format!("{path}/commands"),
            json!({"command": "revoke", "reason": "业务系统停用"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "revoked");
    let (status, body) = read(&t.base, enterprise, &second, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "subscription_not_approved");

    // Both sides read the whole log, newest first; another department may not.
    for who in [&hrss, &approver] {
        let (status, log) = who.get(&format!("{path}/reads")).await;
        assert_eq!(status, StatusCode::OK, "{log}");
        let seen: Vec<(i64, &str, &str)> = log["reads"]
            .as_array()
            .expect("reads")
            .iter()
            .map(|r| {
                (
                    r["rows"].as_i64().unwrap_or(-1),
                    r["outcome"].as_str().unwrap_or_default(),
                    r["key_name"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (0, "subscription_not_approved", "稽核系统"),
                (1, "read", "稽核系统"),
                (0, "key_revoked", "社保业务系统"),
                (0, "key_for_another_resource", "社保业务系统"),
                (2, "read", "社保业务系统"),
                (4, "read", "社保业务系统"),
            ]
        );
        assert!(log["reads"][0]["client"]
            .as_str()
            .is_some_and(|c| !c.is_empty()));
    }
    let (status, body) = quality.get(&format!("{path}/reads")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // Everything is journaled.
    let admin = Api::as_user(&t.base, "admin").await;
    let events: Vec<String> = journal_entries(&admin)
        .await
        .iter()
        .filter(|e| e["subject"] == format!("sharing/subscription/{id}"))
        .map(|e| e["event_type"].as_str().unwrap_or_default().to_string())
        .collect();
    for event in [
        "sharing.subscription_requested",
        "sharing.subscription_approved",
        "sharing.key_issued",
        "sharing.read",
        "sharing.key_revoked",
        "sharing.subscription_revoked",
    ] {
        assert!(events.iter().any(|e| e == event), "{event} in {events:?}");
    }
    assert_eq!(
        events.iter().filter(|e| *e == "sharing.read").count(),
        6,
        "one entry a read: {events:?}"
    );
}

#[tokio::test]
async fn a_department_registers_and_publishes_its_own_resources_and_an_unconditional_one_is_granted_at_once(
) {
    let t = TestApp::demo_with_cases(0).await.expect("a demo");
    let editor = Api::as_user(&t.base, REGISTRATION_EDITOR).await;
    let hrss = Api::as_user(&t.base, SOCIAL_SECURITY_CLERK).await;
    let spec = json!({"name": "个体工商户登记信息", "description": "全市个体工商户",
        "fields": [{"name": "credit_code", "type": "credit_code", "description": "统一社会信用代码"},
                   {"name": "name", "type": "text", "description": "字号名称"},
                   {"name": "capital", "type": "number", "description": "资金数额（万元）"},
                   {"name": "since", "type": "date", "description": "成立日期"}],
        "cycle": "weekly", "class": "unconditional"});

    // Only the department's own cataloguer registers, and only for it.
    let mut elsewhere = spec.clone();
    elsewhere["owner"] = json!("330100-013");
    for (who, body) in [(&editor, &elsewhere), (&hrss, &spec)] {
        let (status, answer) = who.post("/api/v1/sharing/resources", body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    }
    let mut bad = spec.clone();
    bad["class"] = json!("conditional");
    bad["fields"][1]["name"] = json!("Name");
    let (status, answer) = editor.post("/api/v1/sharing/resources", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(fields(&answer), ["basis", "fields[1].name"], "{answer}");
    let (status, made) = editor.post("/api/v1/sharing/resources", spec.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["owner"], "330100-027");
    assert_eq!(made["may_edit"], true);
    let id = made["id"].as_i64().expect("id");
    let (status, answer) = editor.post("/api/v1/sharing/resources", spec).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "same name: {answer}"
    );

    // Rows: every bad cell named by line and field, and nothing written.
    let a = credit_code("92330106MA2CD0101");
    let b = credit_code("92330106MA2CD0102");
    let rows =
        format!("credit_code,name,capital,since\n{a},西湖小吃店,3,2020-01-02\n{b},,x,2020-02-30\n");
    let (status, answer) = editor
        .post_text(
            &format!("/api/v1/sharing/resources/{id}/rows"),
            "text/csv",
            &rows,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["code"], "rows_rejected");
    assert_eq!(
        fields(&answer),
        ["line 3 capital", "line 3 since"],
        "{answer}"
    );
    let (_, view) = editor.get(&format!("/api/v1/sharing/resources/{id}")).await;
    assert_eq!(view["row_count"], 0, "nothing half-written: {view}");
    let (status, answer) = hrss
        .post_text(
            &format!("/api/v1/sharing/resources/{id}/rows"),
            "text/csv",
            &rows,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let good = json!([{"credit_code": a, "name": "西湖小吃店", "capital": 3},
                      {"credit_code": b, "name": "断桥茶室", "since": "2021-04-01"}]);
    let (status, answer) = editor
        .post_text(
            &format!("/api/v1/sharing/resources/{id}/rows"),
            "application/json",
            &good.to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["rows"], 2);
    let enterprise = resource_named(&editor, "企业基础信息").await;
    let (status, answer) = editor
        .post_text(
            &format!("/api/v1/sharing/resources/{enterprise}/rows"),
            "application/json",
            &good.to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "fed, not published: {answer}");

    // A department subscribes for itself, not for another.
    let (status, answer) = hrss
        .post(
            &format!("/api/v1/sharing/resources/{id}/subscriptions"),
            json!({"subscriber": "330100-046", "fields": ["name"], "purpose": "替税务局申请"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");

    // Shared unconditionally: granted at once, read at once.
    let (status, answer) = hrss
        .post(
            &format!("/api/v1/sharing/resources/{id}/subscriptions"),
            json!({"fields": ["salary"], "purpose": "核对"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, sub) = hrss
        .post(
            &format!("/api/v1/sharing/resources/{id}/subscriptions"),
            json!({"fields": ["name", "since"], "purpose": "核对个体户参保登记"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    assert_eq!(sub["state"], "approved");
    assert_eq!(sub["may_issue_keys"], true);
    let (status, answer) = editor
        .post(
            &format!("/api/v1/sharing/resources/{id}/subscriptions"),
            json!({"fields": ["name"], "purpose": "自己的资源"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    let (_, key) = hrss
        .post(
            &format!("/api/v1/sharing/subscriptions/{}/keys", sub["id"]),
            json!({"name": "参保登记系统"}),
        )
        .await;
    let (status, page) = read(&t.base, id, key["secret"].as_str().expect("secret"), "").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page["rows"],
        json!([{"name": "西湖小吃店", "since": null}, {"name": "断桥茶室", "since": "2021-04-01"}])
    );

    // A field a subscription reads is not dropped.
    let mut fewer = view.clone();
    fewer["fields"] = json!([view["fields"][0], view["fields"][1]]);
    let (status, answer) = editor
        .put(&format!("/api/v1/sharing/resources/{id}"), fewer)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(fields(&answer), ["fields"]);
}

#[tokio::test]
async fn each_department_submits_its_own_enterprise_feed_whole_and_their_disagreements_are_resolved_with_a_reason(
) {
    let t = TestApp::demo_with_cases(0).await.expect("a demo");
    let registration = Api::as_user(&t.base, REGISTRATION_EDITOR).await;
    let tax = Api::as_user(&t.base, TAX_EDITOR).await;
    let quality = Api::as_user(&t.base, QUALITY_EDITOR).await;
    let hrss = Api::as_user(&t.base, SOCIAL_SECURITY_CLERK).await;
    let xixi = credit_code(CONFLICTED);

    // The demo's feeds disagree on one enterprise's address.
    let (status, conflicts) = registration
        .get("/api/v1/sharing/enterprise-conflicts")
        .await;
    assert_eq!(status, StatusCode::OK, "{conflicts}");
    assert_eq!(conflicts.as_array().map(Vec::len), Some(1), "{conflicts}");
    assert_eq!(conflicts[0]["credit_code"], xixi);
    let conflict = &conflicts[0]["conflicts"][0];
    assert_eq!(conflict["field"], "address");
    assert_eq!(conflict["may_resolve"], true);
    let feeds: Vec<&str> = conflict["values"]
        .as_array()
        .expect("values")
        .iter()
        .map(|v| v["feed"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(feeds, ["registration", "quality"]);
    let (_, seen_by_tax) = tax.get("/api/v1/sharing/enterprise-conflicts").await;
    assert_eq!(
        seen_by_tax[0]["conflicts"][0]["may_resolve"], false,
        "tax gave no address"
    );
    let (status, body) = hrss.get("/api/v1/sharing/enterprise-conflicts").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // A department submits its own feed only; bad rows refuse the whole feed.
    let yunqi = credit_code("91330106MA2CD0001");
    let row = json!([{"credit_code": yunqi, "tax_status": "非正常", "tax_authority": "西湖区地方税务局"}]);
    let (status, body) = registration
        .post_text(
            "/api/v1/sharing/enterprise-feeds/tax",
            "application/json",
            &row.to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let bad = json!([
        {"credit_code": yunqi, "tax_status": "非正常", "tax_authority": "西湖区地方税务局"},
        {"credit_code": "91330106MA2CD00010", "tax_status": "欠税", "tax_authority": "x"},
        {"credit_code": yunqi, "tax_authority": "x", "salary": "1"},
    ]);
    let (status, body) = tax
        .post_text(
            "/api/v1/sharing/enterprise-feeds/tax",
            "application/json",
            &bad.to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "enterprise_feed_rejected");
    assert_eq!(
        fields(&body),
        [
            "row 2 credit_code",
            "row 2 tax_status",
            "row 3 salary",
            "row 3 tax_status"
        ],
        "{body}"
    );
    let (_, record) = registration
        .get(&format!("/api/v1/sharing/enterprises/{yunqi}"))
        .await;
    assert_eq!(
        record["values"]["tax_status"], "正常",
        "nothing half-written: {record}"
    );
    let (status, report) = tax
        .post_text(
            "/api/v1/sharing/enterprise-feeds/tax",
            "text/csv",
            &format!(
                "统一社会信用代码,纳税状态,主管税务机关\n{yunqi},非正常,杭州市西湖区地方税务局\n"
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["rows"], 1);
    assert_eq!(report["enterprises"], 4);
    let (_, record) = registration
        .get(&format!("/api/v1/sharing/enterprises/{yunqi}"))
        .await;
    assert_eq!(record["values"]["tax_status"], "非正常", "{record}");

    // Resolving: a department concerned, one of the values, a reason.
    let path = format!("/api/v1/sharing/enterprises/{xixi}/resolutions");
    let pick = json!({"field": "address", "value": "杭州市西湖区文三路90号东部软件园3号楼", "reason": "现场核实，以实际经营地址为准"});
    for (who, expected) in [
        (&hrss, StatusCode::FORBIDDEN),
        (&tax, StatusCode::FORBIDDEN),
    ] {
        let (status, body) = who.post(&path, pick.clone()).await;
        assert_eq!(status, expected, "{body}");
    }
    let mut elsewhere = pick.clone();
    elsewhere["value"] = json!("杭州市滨江区");
    let (status, body) = quality.post(&path, elsewhere).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["value"]);
    let mut agreed = pick.clone();
    agreed["field"] = json!("name");
    let (status, body) = quality.post(&path, agreed).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, record) = quality.post(&path, pick.clone()).await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(record["conflicts"], json!([]), "{record}");
    assert_eq!(record["values"]["address"], pick["value"]);
    let (_, conflicts) = registration
        .get("/api/v1/sharing/enterprise-conflicts")
        .await;
    assert_eq!(conflicts, json!([]));

    // A feed that brings a new value opens it again.
    let moved = json!([{"credit_code": xixi, "name": "杭州西溪软件有限公司", "legal_representative": "林西溪",
        "address": "杭州市余杭区文一西路1号", "established": "2015-09-10", "status": "在业"}]);
    let (status, report) = registration
        .post_text(
            "/api/v1/sharing/enterprise-feeds/registration",
            "application/json",
            &moved.to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["conflicted"], json!([xixi]));

    let admin = Api::as_user(&t.base, "admin").await;
    let journal = journal_entries(&admin).await;
    let resolved: Vec<&Value> = journal
        .iter()
        .filter(|e| e["event_type"] == "sharing.enterprise_conflict_resolved")
        .collect();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["subject"], format!("sharing/enterprise/{xixi}"));
    let payload: Value =
        serde_json::from_str(resolved[0]["payload"].as_str().unwrap_or_default()).expect("JSON");
    assert_eq!(payload["reason"], pick["reason"]);
    assert!(journal
        .iter()
        .any(|e| e["event_type"] == "sharing.enterprise_feed_submitted"
            && e["subject"] == "sharing/enterprise/feed/tax"));
}

/// The public catalogue's item called `name`.
async fn item_id(base: &str, name: &str) -> i64 {
    let (_, page) = Api::new(base)
        .get(&format!("/api/v1/catalog/items?q={name}"))
        .await;
    page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["name"] == name)
        .and_then(|i| i["item_id"].as_i64())
        .unwrap_or_else(|| panic!("no item {name}: {page}"))
}

#[tokio::test]
async fn an_enterprise_finds_its_own_basic_information_in_its_application_form_and_no_others() {
    let t = TestApp::demo_with_cases(0).await.expect("a demo");
    let software = item_id(&t.base, "软件企业认定").await;
    let yunqi = Api::as_user(&t.base, DEMO_ENTERPRISE_LOGIN).await;
    let (status, filled) = yunqi.get(&format!("/api/v1/me/prefill/{software}")).await;
    assert_eq!(status, StatusCode::OK, "{filled}");
    assert_eq!(filled["credit_code"], credit_code("91330106MA2CD0001"));
    assert_eq!(
        filled["values"],
        json!({"company_name": "杭州云栖数据科技有限公司",
               "credit_code": credit_code("91330106MA2CD0001"),
               "established_date": "2018-05-20"}),
        "only the fields that mean the record's"
    );
    let provider = Api::as_user(&t.base, DEMO_PROVIDER_LOGIN).await;
    let (_, theirs) = provider
        .get(&format!("/api/v1/me/prefill/{software}"))
        .await;
    assert_eq!(
        theirs["values"]["company_name"],
        sunshine_app::demo::DEMO_PROVIDER_NAME,
        "its own record, not the other enterprise's: {theirs}"
    );
    let citizen = Api::as_user(&t.base, DEMO_CITIZEN_LOGIN).await;
    let (status, none) = citizen.get(&format!("/api/v1/me/prefill/{software}")).await;
    assert_eq!(status, StatusCode::OK, "{none}");
    assert_eq!(none["values"], json!({}));
    let (status, body) = Api::as_user(&t.base, "clerk")
        .await
        .get(&format!("/api/v1/me/prefill/{software}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // The apply page shows the values in fields that stay editable.
    let c = crate::pages::client();
    let resp = crate::pages::post_login(
        &c,
        &t.base,
        &[
            ("login", DEMO_ENTERPRISE_LOGIN),
            ("password", sunshine_app::demo::DEMO_PASSWORD),
        ],
    )
    .await
    .expect("login");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = c
        .get(format!("{}/hall/apply/{software}", t.base))
        .send()
        .await
        .expect("apply page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("id=\"prefilled\""), "{html}");
    let input = html
        .split("id=\"answer-company_name\"")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .unwrap_or_default();
    assert!(
        input.contains("value=\"杭州云栖数据科技有限公司\""),
        "{input}"
    );
    assert!(
        !input.contains("readonly") && !input.contains("disabled"),
        "{input}"
    );
}
