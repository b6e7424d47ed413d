//! The city's named read (市级具名查阅) through the API: the city's
//! registrar asks the person's district with a reason and the fields it
//! needs; the district's registrar approves or refuses; the city reads
//! those fields and no more while the approval lasts, and the person sees
//! each read with its reason.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_app::demo::{CITY_REGISTRAR, COMMUNITY_WORKER, REGISTRAR};
use sunshine_testkit::TestApp;

use crate::support::{fields, fresh_citizen, fresh_id_number, journal_entries, unique, Api};

const HEADER: &str =
    "身份证号,姓名,性别,出生日期,民族,户籍地址,居住地址,社区代码,户号,与户主关系,联系电话";

/// Hold `number` in Xihu's registry under 赵六, with a contact number.
async fn registered(worker: &Api, number: &str) {
    let sex = if (number.as_bytes()[16] - b'0') % 2 == 1 {
        "1"
    } else {
        "2"
    };
    let birth = format!("{}-{}-{}", &number[6..10], &number[10..12], &number[12..14]);
    let file = format!(
        "{HEADER}\n{number},赵六,{sex},{birth},01,杭州市西湖区保俶路9号,杭州市西湖区保俶路9号,330106001001,NR{},02,13900009999",
        unique()
    );
    let (status, body) = worker
        .post_text("/api/v1/registry/imports", "text/csv", &file)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn request(number: &str) -> Value {
    json!({"district": "330106", "id_number": number, "fields": ["name", "birth", "residence_address"],
           "reason": "核查杭政办〔2026〕12号文所涉低保对象的居住情况"})
}

#[tokio::test]
async fn the_city_reads_a_named_person_only_as_the_district_approved() {
    let t = TestApp::demo_with_cases(0).await.expect("a demo");
    let base = &t.base;
    let (city, registrar) = (
        Api::as_user(base, CITY_REGISTRAR).await,
        Api::as_user(base, REGISTRAR).await,
    );
    let worker = Api::as_user(base, COMMUNITY_WORKER).await;
    let (citizen, number) = fresh_citizen(base).await;
    registered(&worker, &number).await;

    // Asking is the city's registrar's; a district's registrar, a worker
    // and a citizen may not.
    for who in [&registrar, &worker, &citizen] {
        let (status, body) = who
            .post("/api/v1/registry/named-reads", request(&number))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    // A request is checked whole: every fault at once, nothing written.
    let (status, body) = city
        .post(
            "/api/v1/registry/named-reads",
            json!({"district": "330100", "id_number": "330106", "fields": [], "reason": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        fields(&body),
        ["district", "fields", "id_number", "reason"],
        "{body}"
    );
    let mut phone = request(&number);
    phone["fields"] = json!(["name", "phone"]);
    let (status, body) = city.post("/api/v1/registry/named-reads", phone).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["fields"], "{body}");
    let (_, mine) = city.get("/api/v1/registry/named-reads").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(0), "{mine}");

    let (status, asked) = city
        .post("/api/v1/registry/named-reads", request(&number))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    assert_eq!(asked["state"], "asked");
    let id = asked["id"].as_i64().expect("an id");
    let path = format!("/api/v1/registry/named-reads/{id}");

    // Nothing is read before the district answers.
    let (status, body) = city.get(&format!("{path}/person")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "named_read_not_approved");

    // The district's registrar sees it to decide; no one else does, and
    // the city does not answer its own.
    let (status, list) = registrar.get("/api/v1/registry/named-reads").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let waiting = list
        .as_array()
        .expect("a list")
        .iter()
        .find(|r| r["id"] == id)
        .expect("the district sees the request");
    assert_eq!(waiting["yours_to_decide"], true);
    assert_eq!(waiting["id_number"], number.as_str());
    let (status, body) = worker.get("/api/v1/registry/named-reads").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = worker.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = city
        .post(&format!("{path}/decision"), json!({"approve": true}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // Refusing needs a reason.
    let (status, body) = registrar
        .post(
            &format!("{path}/decision"),
            json!({"approve": false, "answer": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, approved) = registrar
        .post(
            &format!("{path}/decision"),
            json!({"approve": true, "answer": "同意，限本次核查"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["state"], "approved");
    assert!(approved["expires_at"].as_i64().is_some(), "{approved}");
    let (status, body) = registrar
        .post(
            &format!("{path}/decision"),
            json!({"approve": false, "answer": "再议"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "named_read_decided");

    // The city reads the fields asked, and not one more.
    let (status, read) = city.get(&format!("{path}/person")).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    let shown: Vec<&String> = read["person"]["fields"]
        .as_object()
        .expect("fields")
        .keys()
        .collect();
    assert_eq!(shown, ["birth", "name", "residence_address"], "{read}");
    assert_eq!(read["person"]["fields"]["name"], "赵六");
    // The person sees who read it, for what and why.
    let (status, reads) = citizen.get("/api/v1/me/reads").await;
    assert_eq!(status, StatusCode::OK, "{reads}");
    let seen = reads
        .as_array()
        .expect("reads")
        .iter()
        .find(|r| r["purpose"] == "city_inquiry")
        .unwrap_or_else(|| panic!("the person sees the city's read: {reads}"));
    assert_eq!(seen["kind"], "registry_record");
    assert!(
        seen["what"]
            .as_str()
            .is_some_and(|w| w.contains("低保对象")),
        "{seen}"
    );
    // Someone else's request reads nothing for them.
    let (status, _) = registrar.get(&format!("{path}/person")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The approval lasts seven days.
    t.clock
        .advance(jiff::SignedDuration::from_hours(24 * 7 + 1));
    let (status, body) = city.get(&format!("{path}/person")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "named_read_expired");
    let (_, shown) = city.get(&path).await;
    assert_eq!(shown["state"], "expired", "{shown}");

    // A person the district does not hold cannot be approved: the
    // registrar refuses, saying so, and the city reads nothing.
    let stranger = fresh_id_number();
    let (status, other) = city
        .post("/api/v1/registry/named-reads", request(&stranger))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let other_path = format!("/api/v1/registry/named-reads/{}", other["id"]);
    let (status, body) = registrar
        .post(&format!("{other_path}/decision"), json!({"approve": true}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "named_read_not_held");
    let (status, refused) = registrar
        .post(
            &format!("{other_path}/decision"),
            json!({"approve": false, "answer": "本区无此人"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refused}");
    assert_eq!(refused["state"], "refused");
    assert_eq!(refused["answer"], "本区无此人");
    let (status, body) = city.get(&format!("{other_path}/person")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "named_read_closed");

    // Withdrawn after approval, it reads no more.
    let (_, again) = city
        .post("/api/v1/registry/named-reads", request(&number))
        .await;
    let again_path = format!("/api/v1/registry/named-reads/{}", again["id"]);
    let (status, _) = registrar
        .post(&format!("{again_path}/decision"), json!({"approve": true}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, withdrawn) = city
        .post(&format!("{again_path}/withdrawal"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{withdrawn}");
    assert_eq!(withdrawn["state"], "withdrawn");
    let (status, body) = city.get(&format!("{again_path}/person")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = registrar
        .post(&format!("{again_path}/withdrawal"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // The journal keeps every step.
    let admin = Api::as_user(base, "admin").await;
    let kinds: Vec<String> = journal_entries(&admin)
        .await
        .iter()
        .filter(|e| e["subject"] == format!("registry/named-read/{id}"))
        .map(|e| {
            // The journal names the request, never the person's number.
            let payload = e["payload"].as_str().unwrap_or_default();
            assert!(!payload.contains(number.as_str()), "{payload}");
            e["event_type"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    for kind in [
        "registry.named_read_asked",
        "registry.named_read_approved",
        "access.personal_record_read",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}
