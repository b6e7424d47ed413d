//! The population registry's import through the API: a community worker
//! imports the community's records, a dry run says what would change, a bad
//! file writes nothing, and nobody imports for a community they do not
//! collect for.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_app::demo::{COMMUNITY_WORKER, REGISTRAR};
use sunshine_testkit::shared_demo;

use crate::support::{fields, Api};

const HEADER: &str =
    "身份证号,姓名,性别,出生日期,民族,户籍地址,居住地址,社区代码,户号,与户主关系,联系电话";

/// A valid identity number of 西湖区 for a birth date and a sequence (odd: male).
fn id(birth: &str, seq: u32) -> String {
    let first17 = format!("330106{birth}{seq:03}");
    let check = sunshine_domain::ids::ResidentId::check_char(&first17).expect("check");
    format!("{first17}{check}")
}

fn csv(rows: &[String]) -> String {
    let mut s = String::from(HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s
}

fn household(community: &str, number: &str, phone: &str, residence: &str) -> Vec<String> {
    vec![
        format!("{},周建国,男,1961-05-06,汉族,杭州市西湖区保俶路1号,{residence},{community},{number},02,{phone}", id("19610506", 311)),
        format!("{},吴秀英,2,1963-08-09,01,杭州市西湖区保俶路1号,{residence},{community},{number},10,", id("19630809", 312)),
        format!(",周小宝,1,2019,汉族,杭州市西湖区保俶路1号,{residence},{community},{number},20,"),
    ]
}

async fn import(api: &Api, body: &str, dry_run: bool) -> (StatusCode, Value) {
    api.post_text(
        &format!("/api/v1/registry/imports?dry_run={dry_run}"),
        "text/csv",
        body,
    )
    .await
}

fn lines(v: &Value) -> Vec<u64> {
    v.as_array()
        .expect("lines")
        .iter()
        .map(|l| l.as_u64().expect("line"))
        .collect()
}

#[tokio::test]
async fn a_community_worker_imports_the_community_and_a_dry_run_says_what_would_change() {
    let demo = shared_demo();
    let worker = Api::as_user(&demo.base, COMMUNITY_WORKER).await;
    let file = csv(&household(
        "330106001001",
        "BCT0001",
        "13900001111",
        "杭州市西湖区保俶路1号",
    ));

    let (status, dry) = import(&worker, &file, true).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(
        (dry["dry_run"].clone(), lines(&dry["added"])),
        (json!(true), vec![2, 3, 4])
    );
    assert!(dry["import_id"].is_null());
    let (_, again) = import(&worker, &file, true).await;
    assert_eq!(
        lines(&again["added"]),
        vec![2, 3, 4],
        "a dry run wrote nothing"
    );

    let (status, done) = import(&worker, &file, false).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(lines(&done["added"]), vec![2, 3, 4]);
    assert!(done["import_id"].as_i64().is_some(), "{done}");
    let (_, same) = import(&worker, &file, false).await;
    assert_eq!((same["unchanged"].as_u64(), lines(&same["added"])), (Some(3), vec![]),
        "the same file again finds everyone, the child without a number by household, name and birth: {same}");

    // They move within the community, and the head's number changes.
    let moved = csv(&household(
        "330106001001",
        "BCT0001",
        "13900002222",
        "杭州市西湖区保俶路9号",
    ));
    let (_, dry) = import(&worker, &moved, true).await;
    assert_eq!(
        dry["changed"],
        json!([
            {"line": 2, "columns": ["居住地址", "联系电话"]},
            {"line": 3, "columns": ["居住地址"]},
            {"line": 4, "columns": ["居住地址"]},
        ]),
        "{dry}"
    );
    let (status, done) = import(&worker, &moved, false).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["changed"].as_array().map(Vec::len), Some(3));
    let history = demo
        .with_app(|app| async move {
            let mut conn = app.db.read().await.expect("conn");
            let held =
                sunshine_store::registry::persons_by_id_number(&mut conn, &[id("19610506", 311)])
                    .await
                    .expect("person");
            let (person, record) = held.into_iter().next().expect("held");
            assert_eq!(record.phone.as_deref(), Some("13900002222"));
            sunshine_store::registry::address_history(
                &mut conn,
                person,
                sunshine_store::registry::RESIDENCE,
            )
            .await
            .expect("history")
        })
        .await;
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0].0, "杭州市西湖区保俶路9号");
    assert!(history[0].2.is_none(), "the new address holds");
    assert_eq!(history[1].0, "杭州市西湖区保俶路1号");
    assert_eq!(
        history[1].2.as_deref(),
        Some(history[0].1.as_str()),
        "the old one ended the day the new one began"
    );

    // A newborn joins the household without the head's row.
    let newborn = csv(&[format!(
        "{},周小贝,2,2026-11-01,01,杭州市西湖区保俶路1号,杭州市西湖区保俶路9号,330106001001,BCT0001,20,",
        id("20261101", 314)
    )]);
    let (status, done) = import(&worker, &newborn, false).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(lines(&done["added"]), vec![2]);
    // A second head beside the one held is refused, with how to change heads.
    let second_head = csv(&[format!(
        "{},周大宝,1,1985-01-01,01,杭州市西湖区保俶路1号,杭州市西湖区保俶路9号,330106001001,BCT0001,02,",
        id("19850101", 315)
    )]);
    let (status, e) = import(&worker, &second_head, true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["line 2 与户主关系"], "{e}");
    // The head moved alone to a household of his own: the members who stay
    // would have no head.
    let head_alone = csv(&[household(
        "330106001001",
        "BCT0009",
        "13900002222",
        "杭州市西湖区保俶路9号",
    )[0]
    .clone()]);
    let (status, e) = import(&worker, &head_alone, true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["line 2 户号"], "{e}");
    // One member moved to another community alone: the household moves whole.
    let mut split = household(
        "330106001001",
        "BCT0001",
        "13900002222",
        "杭州市西湖区保俶路9号",
    );
    split.truncate(1);
    split[0] = split[0].replace("330106001001", "330106001002");
    let registrar = Api::as_user(&demo.base, sunshine_app::demo::REGISTRAR).await;
    let (status, e) = import(&registrar, &csv(&split), true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["line 2 社区代码"], "{e}");
}

#[tokio::test]
async fn a_bad_file_is_refused_cell_by_cell_and_writes_nothing() {
    let demo = shared_demo();
    let worker = Api::as_user(&demo.base, COMMUNITY_WORKER).await;
    let mut rows = household(
        "330106001001",
        "BCT0002",
        "13900003333",
        "杭州市西湖区保俶路2号",
    );
    rows[0] = rows[0].replace("1961-05-06", "1961-05-07");
    rows[0] = rows[0].replace(&id("19610506", 311), &id("19610506", 313));
    rows[1] = rows[1]
        .replace(&id("19630809", 312), &id("19630809", 314))
        .replace(",01,", ",火星族,");
    rows[2] = rows[2].replace(",20,", ",20,12345");
    let (status, body) = import(&worker, &csv(&rows), false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        fields(&body),
        ["line 2 出生日期", "line 3 民族", "line 4 联系电话"],
        "{body}"
    );

    // Nothing of it was written: the good rows alone are all new.
    rows[0] = rows[0].replace("1961-05-07", "1961-05-06");
    rows[1] = rows[1].replace(",火星族,", ",01,");
    rows[2] = rows[2].replace(",20,12345", ",20,");
    let (status, dry) = import(&worker, &csv(&rows), true).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(lines(&dry["added"]), vec![2, 3, 4], "{dry}");

    let (status, body) = worker
        .post_text("/api/v1/registry/imports", "text/csv", "姓名\n王五")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        fields(&body).contains(&"line 1 身份证号".to_string()),
        "{body}"
    );
}

#[tokio::test]
async fn only_the_communitys_worker_and_the_districts_registrar_import_it() {
    let demo = shared_demo();
    let worker = Api::as_user(&demo.base, COMMUNITY_WORKER).await;
    let registrar = Api::as_user(&demo.base, REGISTRAR).await;
    let clerk = Api::as_user(&demo.base, "clerk").await;
    let mut rows = household(
        "330106001001",
        "BCT0003",
        "13900004444",
        "杭州市西湖区保俶路3号",
    );
    rows[0] = rows[0].replace(&id("19610506", 311), &id("19610506", 315));
    rows[1] = rows[1].replace(&id("19630809", 312), &id("19630809", 316));
    let next_door: Vec<String> = household("330106001002", "BCT0004", "", "杭州市西湖区北山街1号")
        .into_iter()
        .map(|r| {
            r.replace(&id("19610506", 311), &id("19610506", 317))
                .replace(&id("19630809", 312), &id("19630809", 318))
        })
        .collect();
    let both = csv(&[rows.clone(), next_door.clone()].concat());

    let (status, body) = import(&worker, &both, false).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        fields(&body),
        ["line 5 社区代码", "line 6 社区代码", "line 7 社区代码"],
        "{body}"
    );
    let (status, body) = import(&clerk, &both, true).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a case clerk collects for no community: {body}"
    );

    let (status, body) = import(&registrar, &both, false).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the district's registrar imports any of its communities: {body}"
    );
    assert_eq!(lines(&body["added"]), vec![2, 3, 4, 5, 6, 7]);

    // Next door's people are not moved, or changed, by this community's worker.
    let moved_in: Vec<String> = next_door
        .iter()
        .take(2)
        .map(|r| r.replace("330106001002", "330106001001"))
        .collect();
    let (status, body) = import(&worker, &csv(&moved_in), true).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "held in another community: {body}"
    );
    assert_eq!(
        fields(&body),
        ["line 2 身份证号", "line 3 身份证号"],
        "{body}"
    );

    let elsewhere: Vec<String> = next_door
        .iter()
        .map(|r| r.replace("330106001002", "330108001001"))
        .collect();
    let (status, body) = import(&registrar, &csv(&elsewhere), true).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "not another district's: {body}"
    );

    let (status, _) = import(&Api::new(&demo.base), &both, true).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A city deploying the registry adds its sub-districts and communities as
/// organisations, each with its statistical division code, and gives a
/// community its worker, who then imports for it and for no other.
#[tokio::test]
async fn an_administrator_adds_a_community_and_its_worker_imports_for_it() {
    let demo = shared_demo();
    let admin = Api::as_user(&demo.base, "admin").await;
    let sub_district = json!({"code": "330108-002000", "name": "滨江区长河街道办事处",
        "name_en": "Changhe Sub-district Office, Binjiang District", "kind": "sub_district", "parent": "330108"});
    let (status, body) = admin.post("/api/v1/organisations", sub_district).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let wrong = json!({"code": "330108-003004", "name": "某社区", "name_en": "A community",
        "kind": "community", "parent": "330108-002000"});
    let (status, body) = admin.post("/api/v1/organisations", wrong).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another township's number: {body}"
    );
    assert_eq!(fields(&body), ["code"]);
    let community = json!({"code": "330108-002004", "name": "长河街道长江社区",
        "name_en": "Changjiang Community, Changhe Sub-district", "kind": "community", "parent": "330108-002000"});
    let (status, body) = admin.post("/api/v1/organisations", community).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = admin
        .post(
            "/api/v1/staff",
            json!({"login": "changjiang.worker", "display_name": "褚社工", "org": "330108-002004",
                "password": sunshine_app::demo::DEMO_PASSWORD, "roles": ["community_worker"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let worker = Api::as_user(&demo.base, "changjiang.worker").await;
    let rows: Vec<String> = household(
        "330108002004",
        "CJ0001",
        "13700001111",
        "杭州市滨江区长江路5号",
    )
    .into_iter()
    .map(|r| {
        r.replace(&id("19610506", 311), &id("19610506", 319))
            .replace(&id("19630809", 312), &id("19630809", 320))
    })
    .collect();
    let (status, body) = import(&worker, &csv(&rows), false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(lines(&body["added"]), vec![2, 3, 4]);
    let theirs = household("330106001001", "BCT0009", "", "杭州市西湖区保俶路9号");
    let (status, body) = import(&worker, &csv(&theirs), true).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "another district's community: {body}"
    );
}
