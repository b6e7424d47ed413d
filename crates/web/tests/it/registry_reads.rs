//! Reading and correcting the population registry through the API: a
//! household read for the reader's purpose with the fields it shows, each
//! read journaled and shown to the members; a worker's correction; a
//! resident's request and the community's answer; the city's anonymous
//! aggregates.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_app::demo::{CITY_REGISTRAR, COMMUNITY_WORKER, DEMO_CITIZEN_ID, REGISTRAR};
use sunshine_testkit::shared_demo;

use crate::support::{fields, fresh_citizen, unique, Api};

const HEADER: &str =
    "身份证号,姓名,性别,出生日期,民族,户籍地址,居住地址,社区代码,户号,与户主关系,联系电话";

/// The demo's first household, where 王小明 is the head.
const DEMO_HOUSEHOLD: &str = "/api/v1/registry/households/330106/BST0001";

fn members(household: &Value) -> &Vec<Value> {
    household["members"].as_array().expect("members")
}

/// Import one household for a bound citizen (its head), with a spouse,
/// as the community's worker; its number.
async fn household_of(worker: &Api, head_id: &str) -> String {
    let number = format!("RD{}", unique());
    let male = head_id.as_bytes()[16] % 2 == 1;
    let sex = if male { "1" } else { "2" };
    let birth = format!(
        "{}-{}-{}",
        &head_id[6..10],
        &head_id[10..12],
        &head_id[12..14]
    );
    let file = format!(
        "{HEADER}\n{head_id},赵六,{sex},{birth},01,杭州市西湖区保俶路9号,杭州市西湖区保俶路9号,330106001001,{number},02,13900009999\n\
         ,钱七,2,1987,01,杭州市西湖区保俶路9号,杭州市西湖区保俶路9号,330106001001,{number},10,"
    );
    let (status, body) = worker
        .post_text("/api/v1/registry/imports", "text/csv", &file)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    number
}

#[tokio::test]
async fn a_household_is_read_for_the_readers_purpose_and_its_members_see_each_read() {
    let demo = shared_demo();
    let base = &demo.base;
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let registrar = Api::as_user(base, REGISTRAR).await;

    // The list names no one.
    let (status, list) = worker
        .get("/api/v1/registry/communities/330106001001/households")
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let first = list
        .as_array()
        .expect("list")
        .iter()
        .find(|h| h["number"] == "BST0001")
        .expect("the demo's first household");
    assert_eq!(first["district"], "330106");
    assert_eq!(
        first.as_object().map(|o| o.len()),
        Some(3),
        "number, district, size: {first}"
    );
    assert!(first["members"].as_i64().expect("size") >= 1);
    assert!(!list.to_string().contains("王小明"));

    // The worker keeps the records: every field, the phone too.
    let (status, kept) = worker.get(DEMO_HOUSEHOLD).await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(kept["purpose"], "keep_records");
    let head = &members(&kept)[0];
    assert_eq!(head["fields"]["name"], "王小明");
    assert_eq!(head["fields"]["relationship"], "02");
    assert!(
        head["fields"]["phone"]
            .as_str()
            .is_some_and(|p| p.len() == 11),
        "{head}"
    );

    // The registrar reviews: no contact numbers, for anyone.
    let (status, reviewed) = registrar.get(DEMO_HOUSEHOLD).await;
    assert_eq!(status, StatusCode::OK, "{reviewed}");
    assert_eq!(reviewed["purpose"], "registry_review");
    assert_eq!(members(&reviewed).len(), members(&kept).len());
    for m in members(&reviewed) {
        assert!(m["fields"].get("phone").is_none(), "{m}");
        assert!(m["fields"]["name"].is_string());
    }
    // Nobody states a purpose that is not theirs.
    let (status, body) = registrar
        .get(&format!("{DEMO_HOUSEHOLD}?purpose=keep_records"))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("purpose_not_yours"))
    );
    let (status, body) = worker
        .get(&format!("{DEMO_HOUSEHOLD}?purpose=curiosity"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), vec!["purpose"]);

    // Outside one's records a household is not found, held or not; the
    // city's registrar sees aggregates, never persons.
    for login in ["clerk.330106", CITY_REGISTRAR, "supervisor"] {
        let other = Api::as_user(base, login).await;
        for path in [DEMO_HOUSEHOLD, "/api/v1/registry/households/330106/NOSUCH1"] {
            let (status, body) = other.get(path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{login} {path}: {body}");
        }
        let (status, _) = other
            .post(
                "/api/v1/registry/lookups",
                json!({"id_number": DEMO_CITIZEN_ID}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{login}");
        let (status, _) = other
            .get("/api/v1/registry/communities/330106001001/households")
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
    }
    let (status, _) = Api::new(base).get(DEMO_HOUSEHOLD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A lookup by number, in the body, finds the same household.
    let (status, found) = worker
        .post(
            "/api/v1/registry/lookups",
            json!({"id_number": DEMO_CITIZEN_ID}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["number"], "BST0001");
    // A number that is no identity number is said so, whatever it holds.
    for bad in ["330106", "\u{0}", "33010619900101123Y"] {
        let (status, body) = worker
            .post("/api/v1/registry/lookups", json!({"id_number": bad}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {body}");
        assert_eq!(fields(&body), ["id_number"], "{body}");
    }

    // 王小明 sees who read his record, and why.
    let citizen = Api::as_user(base, DEMO_CITIZEN_ID).await;
    let (status, reads) = citizen.get("/api/v1/me/reads").await;
    assert_eq!(status, StatusCode::OK, "{reads}");
    let registry_reads: Vec<&Value> = reads
        .as_array()
        .expect("reads")
        .iter()
        .filter(|r| r["kind"] == "registry_record")
        .collect();
    for purpose in ["keep_records", "registry_review"] {
        assert!(
            registry_reads
                .iter()
                .any(|r| r["purpose"] == purpose && r["what"] == "330106/BST0001"),
            "{purpose}: {reads}"
        );
    }
    assert!(registry_reads.iter().any(|r| r["reader"] == "冯社工"));
    assert!(registry_reads.iter().any(|r| r["reader"] == "郑登记"));
}

#[tokio::test]
async fn a_worker_corrects_a_record_to_the_standard_and_a_household_keeps_one_head() {
    let demo = shared_demo();
    let base = &demo.base;
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let (_, id) = fresh_citizen(base).await;
    let number = household_of(&worker, &id).await;
    let (_, household) = worker
        .get(&format!("/api/v1/registry/households/330106/{number}"))
        .await;
    let head = members(&household)[0]["id"].as_i64().expect("id");
    let spouse = members(&household)[1]["id"].as_i64().expect("id");
    let correct = |person: i64, changes: Value, reason: &str| {
        let worker = &worker;
        let body = json!({"changes": changes, "reason": reason});
        async move {
            worker
                .post(
                    &format!("/api/v1/registry/persons/{person}/corrections"),
                    body,
                )
                .await
        }
    };

    let (status, view) =
        correct(head, json!({"居住地址": "杭州市西湖区北山路3号"}), "已搬家").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["fields"]["residence_address"], "杭州市西湖区北山路3号");
    // A child without a number is given one when it is issued; it must
    // agree with the birth and sex held.
    let issued = {
        let first17 = "33010619870101002";
        let check = sunshine_domain::ids::ResidentId::check_char(first17).expect("check");
        format!("{first17}{check}")
    };
    let (status, body) = correct(
        spouse,
        json!({"身份证号": issued, "出生日期": "1987-02-03"}),
        "补录",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(fields(&body).contains(&"出生日期".to_string()), "{body}");

    // Faults, each named by its column; nothing is written.
    for (changes, field) in [
        (json!({"户号": "X1"}), "户号"),
        (json!({"社区代码": "330106001002"}), "社区代码"),
        (json!({"民族": "火星族"}), "民族"),
        (json!({"联系电话": "12345"}), "联系电话"),
        (json!({"与户主关系": "10"}), "与户主关系"),
        (json!({"身高": "180"}), "身高"),
        (json!({}), "changes"),
        (json!({"居住地址": "杭州市西湖区北山路3号"}), "changes"),
    ] {
        let (status, body) = correct(head, changes.clone(), "试").await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{changes}: {body}"
        );
        assert!(
            fields(&body).contains(&field.to_string()),
            "{changes}: {body}"
        );
    }
    let (status, body) = correct(head, json!({"联系电话": "13900001111"}), " ").await;
    assert_eq!(
        (status, fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["reason".to_string()])
    );
    // Another record's number is not taken over.
    let (status, body) = correct(
        spouse,
        json!({"身份证号": DEMO_CITIZEN_ID, "出生日期": "1990-01-01", "性别": "1"}),
        "补录",
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // The district's registrar corrects too; a clerk, a stranger to the
    // records, finds no such person.
    let registrar = Api::as_user(base, REGISTRAR).await;
    let (status, body) = registrar
        .post(
            &format!("/api/v1/registry/persons/{head}/corrections"),
            json!({"changes": {"联系电话": "0571-87650000"}, "reason": "本人来电"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let clerk = Api::as_user(base, "clerk.330106").await;
    let (status, _) = clerk
        .post(
            &format!("/api/v1/registry/persons/{head}/corrections"),
            json!({"changes": {"联系电话": "13900002222"}, "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, after) = worker
        .get(&format!("/api/v1/registry/households/330106/{number}"))
        .await;
    let fields_of = &members(&after)[0]["fields"];
    assert_eq!(fields_of["phone"], "057187650000");
    assert_eq!(fields_of["residence_address"], "杭州市西湖区北山路3号");
    assert_eq!(fields_of["relationship"], "02");
}

#[tokio::test]
async fn a_resident_asks_for_a_correction_and_the_community_answers() {
    let demo = shared_demo();
    let base = &demo.base;
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let (citizen, id) = fresh_citizen(base).await;

    // Bound but not registered: not found.
    let (status, body) = citizen.get("/api/v1/me/registry").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let number = household_of(&worker, &id).await;

    let (status, mine) = citizen.get("/api/v1/me/registry").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["person"]["fields"]["id_number"], id.as_str());
    assert_eq!(mine["person"]["fields"]["household"], number.as_str());
    assert!(!mine.to_string().contains("钱七"), "only one's own record");

    // A request is checked against the standard when it is made.
    for (changes, reason, field) in [
        (json!({"出生日期": "1984-01-01"}), "写错了", "出生日期"),
        (json!({"户号": "X1"}), "搬家", "户号"),
        (json!({"联系电话": "13700001234"}), "", "reason"),
    ] {
        let (status, body) = citizen
            .post(
                "/api/v1/me/registry/corrections",
                json!({"changes": changes, "reason": reason}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(fields(&body).contains(&field.to_string()), "{body}");
    }
    let (status, asked) = citizen
        .post(
            "/api/v1/me/registry/corrections",
            json!({"changes": {"联系电话": "137-0000-1234"}, "reason": "换了手机号"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    assert_eq!(asked["state"], "open");
    let first = asked["id"].as_i64().expect("id");
    let (_, second) = citizen
        .post(
            "/api/v1/me/registry/corrections",
            json!({"changes": {"姓名": "赵陆"}, "reason": "改名"}),
        )
        .await;
    let second = second["id"].as_i64().expect("id");

    // The worker's list has them; a clerk cannot answer them.
    let (status, list) = worker.get("/api/v1/registry/corrections").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let ids: Vec<i64> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["id"].as_i64())
        .collect();
    assert!(ids.contains(&first) && ids.contains(&second), "{list}");
    let clerk = Api::as_user(base, "clerk.330106").await;
    let (status, list) = clerk.get("/api/v1/registry/corrections").await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));
    let (status, _) = clerk
        .post(
            &format!("/api/v1/registry/corrections/{first}/decision"),
            json!({"accept": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, done) = worker
        .post(
            &format!("/api/v1/registry/corrections/{first}/decision"),
            json!({"accept": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["state"], "accepted");
    let (status, body) = worker
        .post(
            &format!("/api/v1/registry/corrections/{first}/decision"),
            json!({"accept": false, "answer": "again"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = worker
        .post(
            &format!("/api/v1/registry/corrections/{second}/decision"),
            json!({"accept": false}),
        )
        .await;
    assert_eq!(
        (status, fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["answer".to_string()])
    );
    let (status, _) = worker
        .post(
            &format!("/api/v1/registry/corrections/{second}/decision"),
            json!({"accept": false, "answer": "请携带户口簿到社区办理"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (_, mine) = citizen.get("/api/v1/me/registry").await;
    assert_eq!(mine["person"]["fields"]["phone"], "13700001234");
    assert_eq!(mine["person"]["fields"]["name"], "赵六");
    let states: Vec<(&str, &str)> = mine["corrections"]
        .as_array()
        .expect("corrections")
        .iter()
        .map(|c| {
            (
                c["state"].as_str().unwrap_or(""),
                c["answer"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![("refused", "请携带户口簿到社区办理"), ("accepted", "")]
    );
    // The worker's list of the requests was a read of the resident's record.
    let (_, reads) = citizen.get("/api/v1/me/reads").await;
    assert!(
        reads
            .as_array()
            .expect("reads")
            .iter()
            .any(|r| r["kind"] == "registry_record" && r["reader"] == "冯社工"),
        "{reads}"
    );

    // An account not bound to a person has no record to see; an
    // enterprise's is not a person's.
    let (unbound, _) = crate::support::fresh_unbound_citizen(base).await;
    let (status, _) = unbound.get("/api/v1/me/registry").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let enterprise = Api::as_user(base, sunshine_app::demo::DEMO_ENTERPRISE_LOGIN).await;
    let (status, _) = enterprise.get("/api/v1/me/registry").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_aggregates_are_anonymous_and_for_registrars_only() {
    let demo = shared_demo();
    let base = &demo.base;
    let city = Api::as_user(base, CITY_REGISTRAR).await;
    let (status, stats) = city.get("/api/v1/registry/statistics").await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["region"], "330100");
    let breakdown = |stats: &Value, dimension: &str| -> Value {
        stats["breakdowns"]
            .as_array()
            .expect("breakdowns")
            .iter()
            .find(|b| b["dimension"] == dimension)
            .cloned()
            .expect("dimension")
    };
    let division = breakdown(&stats, "division");
    let xihu = division["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["key"] == "330106")
        .expect("西湖区");
    // 西湖区 is shown, unless another district's few residents (added by
    // other tests) are hidden and it is hidden with them, so that theirs
    // cannot be worked out from the total.
    match xihu["persons"].as_u64() {
        Some(n) => assert!(n >= 200, "{xihu}"),
        None => assert!(
            division["rows"]
                .as_array()
                .expect("rows")
                .iter()
                .filter(|r| r["persons"].is_null())
                .count()
                >= 2,
            "{division}"
        ),
    }
    assert!(
        division["total"].as_u64().expect("total") >= 200,
        "{division}"
    );
    for b in stats["breakdowns"].as_array().expect("breakdowns") {
        for r in b["rows"].as_array().expect("rows") {
            if let Some(n) = r["persons"].as_u64() {
                assert!(n == 0 || n >= 5, "{r}");
            }
        }
        let hidden = b["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .filter(|r| r["persons"].is_null())
            .count();
        assert!(b["total"].is_null() || hidden != 1, "{b}");
    }
    let ages = breakdown(&stats, "age");
    assert_eq!(ages["rows"].as_array().map(Vec::len), Some(5));
    assert!(!stats.to_string().contains("王小明"));

    let (status, district) = Api::as_user(base, REGISTRAR)
        .await
        .get("/api/v1/registry/statistics")
        .await;
    assert_eq!(status, StatusCode::OK, "{district}");
    assert_eq!(district["region"], "330106");
    assert!(breakdown(&district, "division")["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .any(|r| r["key"] == "330106-001000"));

    let registrar = Api::as_user(base, REGISTRAR).await;
    let (status, _) = registrar
        .get("/api/v1/registry/statistics?region=330100")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = registrar
        .get("/api/v1/registry/statistics?region=nonsense")
        .await;
    assert_eq!(
        (status, fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["region".to_string()])
    );
    for login in [COMMUNITY_WORKER, "clerk.330106"] {
        let (status, _) = Api::as_user(base, login)
            .await
            .get("/api/v1/registry/statistics")
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
    }
    let (status, _) = Api::new(base).get("/api/v1/registry/statistics").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_second_record_is_paired_as_it_arrives_and_a_registrar_merges_keeps_apart_and_undoes() {
    let demo = shared_demo();
    let base = &demo.base;
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let registrar = Api::as_user(base, REGISTRAR).await;
    let (citizen, id) = fresh_citizen(base).await;
    let sex = if id.as_bytes()[16] % 2 == 1 { "1" } else { "2" };
    let (first, second) = (format!("PA{}", unique()), format!("PB{}", unique()));
    let file = |line: String| format!("{HEADER}\n{line}\n");
    let (status, body) = worker
        .post_text("/api/v1/registry/imports", "text/csv", &file(format!(
            "{id},赵明杰,{sex},1985-01-01,01,杭州市西湖区保俶路7号,杭州市西湖区保俶路7号,330106001001,{first},02,13900007777"
        )))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The same person, written down again elsewhere without the number.
    let (status, body) = worker
        .post_text("/api/v1/registry/imports", "text/csv", &file(format!(
            ",赵明洁,{sex},1985-01-01,01,杭州市西湖区曙光路8号,杭州市西湖区曙光路8号,330106001001,{second},02,"
        )))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let ours = |list: &Value| -> Option<Value> {
        list.as_array()?
            .iter()
            .find(|p| {
                let households = [
                    p["a"]["fields"]["household"].as_str(),
                    p["b"]["fields"]["household"].as_str(),
                ];
                households.contains(&Some(first.as_str()))
                    && households.contains(&Some(second.as_str()))
            })
            .cloned()
    };
    let (status, open) = registrar.get("/api/v1/registry/pairs").await;
    assert_eq!(status, StatusCode::OK, "{open}");
    let pair = ours(&open).expect("the pair is queued as the second record arrives");
    assert_eq!(pair["state"], "open");
    assert_eq!(pair["comparison"]["name"], "homophone");
    assert_eq!(pair["comparison"]["birth"], "exact");
    assert!(
        pair["a"]["fields"].get("phone").is_none() && pair["b"]["fields"].get("phone").is_none()
    );
    let pid = pair["id"].as_i64().expect("id");
    let decide = |decision: &str| {
        let registrar = &registrar;
        let body = json!({"decision": decision});
        async move {
            registrar
                .post(&format!("/api/v1/registry/pairs/{pid}/decision"), body)
                .await
        }
    };

    // Only the district's registrar reviews.
    for login in [COMMUNITY_WORKER, CITY_REGISTRAR, "clerk.330106"] {
        let other = Api::as_user(base, login).await;
        let (status, _) = other.get("/api/v1/registry/pairs").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
        let (status, _) = other
            .post(
                &format!("/api/v1/registry/pairs/{pid}/decision"),
                json!({"decision": "merge"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{login}");
    }
    let (status, body) = decide("reopen").await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing to undo: {body}");
    let (status, body) = decide("wed").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_json")),
        "{body}"
    );

    // Merged: the record without the number goes into the one with it.
    let (status, merged) = decide("merge").await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["state"], "merged");
    let numbered = if merged["a"]["fields"]["id_number"] == id.as_str() {
        &merged["a"]
    } else {
        &merged["b"]
    };
    assert_eq!(merged["merged_into"], numbered["id"]);
    let (status, _) = worker
        .get(&format!("/api/v1/registry/households/330106/{second}"))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the merged record has left its household"
    );
    let (status, _) = decide("merge").await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, decided) = registrar.get("/api/v1/registry/pairs?decided=true").await;
    assert!(ours(&decided).is_some_and(|p| p["state"] == "merged"));

    // Undone, then kept apart, then undone again.
    let (status, reopened) = decide("reopen").await;
    assert_eq!(
        (status, reopened["state"].as_str()),
        (StatusCode::OK, Some("open"))
    );
    assert!(reopened["merged_into"].is_null());
    let (status, _) = worker
        .get(&format!("/api/v1/registry/households/330106/{second}"))
        .await;
    assert_eq!(status, StatusCode::OK, "back in its household");
    let (status, apart) = decide("keep_apart").await;
    assert_eq!(
        (status, apart["state"].as_str()),
        (StatusCode::OK, Some("apart"))
    );
    let (_, open) = registrar.get("/api/v1/registry/pairs").await;
    assert!(ours(&open).is_none(), "a pair kept apart is not put again");
    let (status, again) = decide("reopen").await;
    assert_eq!(
        (status, again["state"].as_str()),
        (StatusCode::OK, Some("open"))
    );

    // The person sees the registrar's reviews among the reads of their record.
    let (_, reads) = citizen.get("/api/v1/me/reads").await;
    assert!(
        reads
            .as_array()
            .expect("reads")
            .iter()
            .any(|r| r["kind"] == "registry_record"
                && r["reader"] == "郑登记"
                && r["purpose"] == "registry_review"
                && r["what"] == format!("#{pid}")),
        "{reads}"
    );
}

/// `sunshine registry relink` through the app: the district's registrar
/// scores the district again; pairs found before keep their state, so a
/// second run adds none; nobody else may.
#[tokio::test]
async fn a_registrar_relinks_the_district_and_found_pairs_keep_their_state() {
    let demo = shared_demo();
    let (first, second, refused) = demo
        .with_app(|app| async move {
            let registrar = app.staff_actor(REGISTRAR).await.expect("registrar");
            let first = app
                .relink_registry(&registrar, "330106")
                .await
                .expect("relink");
            let second = app
                .relink_registry(&registrar, "330106")
                .await
                .expect("again");
            let worker = app.staff_actor(COMMUNITY_WORKER).await.expect("worker");
            let refused = app.relink_registry(&worker, "330106").await.is_err();
            (first, second, refused)
        })
        .await;
    assert!(first.records >= 300, "{first:?}");
    assert!(
        first.pairs >= 6,
        "the demo's second records at least: {first:?}"
    );
    assert_eq!(second.new_pairs, 0, "{second:?}");
    assert!(refused);
}

/// A district's first import writes thousands of records at once: they are
/// scored against the district held in memory, and find the same pair as
/// records arriving one at a time, the second record against the first of
/// the same file as well as against those held before.
#[tokio::test]
async fn a_large_import_is_scored_in_memory_and_pairs_a_second_record_in_the_same_file() {
    let t = sunshine_testkit::TestApp::demo_with_cases(0)
        .await
        .expect("a demo");
    let worker = Api::as_user(&t.base, COMMUNITY_WORKER).await;
    let registrar = Api::as_user(&t.base, REGISTRAR).await;
    let number = |birth: &str, seq: u32| {
        let first17 = format!("330106{birth}{:03}", seq % 1000);
        let check = sunshine_domain::ids::ResidentId::check_char(&first17).expect("17 digits");
        format!("{first17}{check}")
    };
    let chars: Vec<char> = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉".chars().collect();
    let mut file = String::from(HEADER);
    for n in 0..2_100u32 {
        let birth = format!("19{:02}{:02}{:02}", 30 + n % 60, 1 + n % 12, 1 + n % 28);
        let id = number(&birth, 2 * (n / 420) + 1);
        let name = format!(
            "钱{}{}",
            chars[(n % 20) as usize],
            chars[((n / 20) % 20) as usize]
        );
        let birth = format!("{}-{}-{}", &birth[..4], &birth[4..6], &birth[6..]);
        file.push_str(&format!(
            "\n{id},{name},1,{birth},01,杭州市西湖区文三路{n}号,杭州市西湖区文三路{n}号,330106001001,BULK{n},02,"
        ));
    }
    // 赵明杰, and the same person written down again without the number.
    let id = number("19860203", 8);
    file.push_str(&format!(
        "\n{id},赵明杰,2,1986-02-03,01,杭州市西湖区保俶路7号,杭州市西湖区保俶路7号,330106001001,BULKA,02,"
    ));
    file.push_str(
        "\n,赵明洁,2,1986-02-03,01,杭州市西湖区曙光路8号,杭州市西湖区曙光路8号,330106001001,BULKB,02,",
    );
    let (status, body) = worker
        .post_text("/api/v1/registry/imports", "text/csv", &file)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["added"].as_array().map(Vec::len),
        Some(2_102),
        "{body}"
    );
    let (status, open) = registrar.get("/api/v1/registry/pairs").await;
    assert_eq!(status, StatusCode::OK, "{open}");
    let pair = open
        .as_array()
        .expect("pairs")
        .iter()
        .find(|p| {
            let households = [
                p["a"]["fields"]["household"].as_str(),
                p["b"]["fields"]["household"].as_str(),
            ];
            households.contains(&Some("BULKA")) && households.contains(&Some("BULKB"))
        })
        .cloned()
        .expect("the second record is paired with the first of the same file");
    assert_eq!(pair["comparison"]["name"], "homophone", "{pair}");
    assert_eq!(pair["comparison"]["birth"], "exact", "{pair}");
    t.stop().await;
}
