//! The city's code lists (标准统一在全市) through the API: the city's
//! registrar adds, renames, retires and restores codes with a reason; any
//! member of staff reads them; every import and correction after a change
//! collects to the lists in force, across a restart. A retired code is
//! kept by the records that hold it and taken by no other.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_app::demo::{CITY_REGISTRAR, COMMUNITY_WORKER, REGISTRAR};
use sunshine_testkit::TestApp;

use crate::support::{fields, fresh_citizen, journal_entries, Api};

const HEADER: &str =
    "身份证号,姓名,性别,出生日期,民族,户籍地址,居住地址,社区代码,户号,与户主关系,联系电话";

/// A row for `number`, heading a household of its own.
fn row(number: &str, name: &str, ethnicity: &str, relationship: &str, phone: &str) -> String {
    let sex = if (number.as_bytes()[16] - b'0') % 2 == 1 {
        "1"
    } else {
        "2"
    };
    let birth = format!("{}-{}-{}", &number[6..10], &number[10..12], &number[12..14]);
    format!(
        "{number},{name},{sex},{birth},{ethnicity},杭州市西湖区保俶路9号,杭州市西湖区保俶路9号,330106001001,ST{},{relationship},{phone}",
        &number[10..]
    )
}

async fn import(worker: &Api, rows: &[String]) -> (StatusCode, Value) {
    let file = format!("{HEADER}\n{}", rows.join("\n"));
    worker
        .post_text("/api/v1/registry/imports", "text/csv", &file)
        .await
}

fn change(list: &str, code: &str, change: &str, name: Option<&str>) -> Value {
    let mut v = json!({"list": list, "code": code, "change": change,
        "reason": "依据GB/T 3304-1991及市标准委2026年第3号通知"});
    if let Some(n) = name {
        v["name"] = json!(n);
    }
    v
}

fn code<'a>(standard: &'a Value, list: &str, code: &str) -> &'a Value {
    standard["lists"]
        .as_array()
        .and_then(|ls| ls.iter().find(|l| l["list"] == list))
        .and_then(|l| l["codes"].as_array())
        .and_then(|cs| cs.iter().find(|c| c["code"] == code))
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn the_city_changes_its_code_lists_and_every_import_after_collects_to_them() {
    // The lists are the whole platform's: this test has a platform of its own.
    let mut t = TestApp::demo_with_cases(0).await.expect("a demo");
    let city = Api::as_user(&t.base, CITY_REGISTRAR).await;
    let registrar = Api::as_user(&t.base, REGISTRAR).await;
    let worker = Api::as_user(&t.base, COMMUNITY_WORKER).await;
    let (citizen, number) = fresh_citizen(&t.base).await;

    // Any member of staff reads the lists; a citizen may not, nor anyone
    // signed out.
    let (status, standard) = worker.get("/api/v1/registry/standard").await;
    assert_eq!(status, StatusCode::OK, "{standard}");
    assert_eq!(code(&standard, "ethnicities", "01")["name"], "汉族");
    assert_eq!(code(&standard, "relationships", "02")["retired"], false);
    assert_eq!(standard["may_change"], false);
    assert_eq!(standard["changes"], json!([]));
    let (status, body) = citizen.get("/api/v1/registry/standard").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = Api::new(&t.base).get("/api/v1/registry/standard").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // Only the city's registrar changes them.
    let add = change("relationships", "98", "add", Some("寄宿学生"));
    for who in [&registrar, &worker, &citizen] {
        let (status, body) = who
            .post("/api/v1/registry/standard/changes", add.clone())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    // Bad changes are refused, saying why, and nothing is kept.
    for (bad, field) in [
        (
            change("relationships", "9", "add", Some("寄宿学生")),
            "code",
        ),
        (change("ethnicities", "01", "add", Some("某族")), "code"),
        (change("ethnicities", "90", "add", Some("汉族")), "code"),
        (change("ethnicities", "90", "add", Some("")), "code"),
        (change("relationships", "02", "retire", None), "code"),
        (change("ethnicities", "90", "restore", None), "code"),
        (
            json!({"list": "ethnicities", "code": "90", "change": "add", "name": "某族"}),
            "reason",
        ),
    ] {
        let (status, body) = city
            .post("/api/v1/registry/standard/changes", bad.clone())
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad} {body}");
        assert_eq!(fields(&body), [field], "{body}");
    }
    for bad in [
        json!({"list": "surnames", "code": "01", "change": "retire", "reason": "x"}),
        json!({"list": "ethnicities", "code": "01", "change": "rename", "reason": "x"}),
    ] {
        let (status, body) = city
            .post("/api/v1/registry/standard/changes", bad.clone())
            .await;
        assert!(status.is_client_error(), "{bad} {status} {body}");
        assert!(body["error"]["code"].is_string(), "{body}");
    }
    let (_, standard) = city.get("/api/v1/registry/standard").await;
    assert_eq!(standard["changes"], json!([]), "{standard}");
    assert_eq!(standard["may_change"], true);

    // A code before the city adds it is refused; after, it is collected,
    // by its code or its name.
    let (second, second_number) = fresh_citizen(&t.base).await;
    let lodger = row(&second_number, "钱学", "01", "寄宿学生", "");
    let (status, body) = import(&worker, std::slice::from_ref(&lodger)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, added) = city
        .post("/api/v1/registry/standard/changes", add.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["change"], "add");
    assert_eq!(added["name"], "寄宿学生");
    assert!(
        added["by"].as_str().is_some_and(|b| !b.is_empty()),
        "{added}"
    );
    // The head first, then the lodger in the same household.
    let head = row(&number, "孙立", "98", "02", "13900001111");
    let lodger = {
        let household = format!("ST{}", &number[10..]);
        row(&second_number, "钱学", "01", "98", "")
            .replace(&format!("ST{}", &second_number[10..]), &household)
    };
    let (status, body) = import(&worker, &[head.clone(), lodger]).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Retired: the person who holds it keeps it, restated or corrected;
    // no one takes it anew, by import or by correction.
    let (status, retired) = city
        .post(
            "/api/v1/registry/standard/changes",
            change("ethnicities", "98", "retire", None),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{retired}");
    let (_, standard) = worker.get("/api/v1/registry/standard").await;
    assert_eq!(code(&standard, "ethnicities", "98")["retired"], true);
    assert_eq!(standard["changes"][0]["change"], "retire", "newest first");
    let restated = row(&number, "孙立", "98", "02", "13900002222");
    let (status, body) = import(&worker, std::slice::from_ref(&restated)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, third_number) = fresh_citizen(&t.base).await;
    let newcomer = row(&third_number, "李新", "98", "02", "");
    let (status, body) = import(&worker, std::slice::from_ref(&newcomer)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["line 2 民族"], "{body}");
    assert_eq!(body["error"]["code"], "registry_import_rejected");
    // A dry run says the same.
    let (status, body) = worker
        .post_text(
            "/api/v1/registry/imports?dry_run=true",
            "text/csv",
            &format!("{HEADER}\n{newcomer}"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = citizen
        .post(
            "/api/v1/me/registry/corrections",
            json!({"changes": {"联系电话": "13900003333"}, "reason": "换了手机号"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = second
        .post(
            "/api/v1/me/registry/corrections",
            json!({"changes": {"民族": "98"}, "reason": "登记错了"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(fields(&body).contains(&"民族".to_string()), "{body}");

    // Across a restart the lists in force are the same.
    t.restart().await.expect("restarted");
    let worker = Api::as_user(&t.base, COMMUNITY_WORKER).await;
    let city = Api::as_user(&t.base, CITY_REGISTRAR).await;
    let (status, body) = import(&worker, std::slice::from_ref(&newcomer)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, standard) = worker.get("/api/v1/registry/standard").await;
    assert_eq!(code(&standard, "relationships", "98")["name"], "寄宿学生");

    // Restored, it is collected again; renamed, it reads by its new name.
    let (status, body) = city
        .post(
            "/api/v1/registry/standard/changes",
            change("ethnicities", "98", "restore", None),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = city
        .post(
            "/api/v1/registry/standard/changes",
            change(
                "ethnicities",
                "98",
                "rename",
                Some("外国血统中国籍人士（入籍）"),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let newcomer = row(
        &third_number,
        "李新",
        "外国血统中国籍人士（入籍）",
        "02",
        "",
    );
    let (status, body) = import(&worker, std::slice::from_ref(&newcomer)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Each change is journaled with its reason.
    let admin = Api::as_user(&t.base, "admin").await;
    let kinds: Vec<String> = journal_entries(&admin)
        .await
        .iter()
        .filter(|e| e["event_type"] == "registry.code_changed")
        .map(|e| e["subject"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "registry/standard/relationships/98",
            "registry/standard/ethnicities/98",
            "registry/standard/ethnicities/98",
            "registry/standard/ethnicities/98",
        ]
    );
}
