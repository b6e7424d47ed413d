//! Application materials through the API: applying with files, adding them
//! while the case waits, listing and downloading them, and every refusal.

use reqwest::multipart::Form;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_testkit::shared_demo;

use crate::hall_api::{act, apply_online, city_item};
use crate::support::answers_for;
use crate::support::{fields, file_part, fresh_citizen, Api, PDF};

const ENTERPRISE: &str = "91330106MA2CD00016";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

async fn citizen() -> Api {
    Api::as_user(&shared_demo().base, sunshine_app::demo::DEMO_CITIZEN_ID).await
}

/// A PDF whose bytes no other test uses, so its hash is its own.
fn unique_pdf(tag: &str) -> Vec<u8> {
    let mut b = PDF.to_vec();
    b.extend_from_slice(format!("% {tag} {}\n", crate::support::unique()).as_bytes());
    b
}

fn required_slots(guide: &Value) -> Vec<usize> {
    guide["materials"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, m)| m["required"].as_bool().unwrap_or(true))
        .map(|(i, _)| i)
        .collect()
}

/// The multipart form of an application with the given file parts only.
fn form_with(item_id: i64, guide: &Value, parts: Vec<(String, Vec<u8>, &str)>) -> Form {
    let mut form = Form::new()
        .text("item_id", item_id.to_string())
        .text("answers", answers_for(&guide["form"]).to_string());
    for (name, bytes, file_name) in parts {
        form = form.part(name, file_part(&bytes, file_name));
    }
    form
}

async fn my_case_count(api: &Api) -> usize {
    api.get("/api/v1/hall/my-cases")
        .await
        .1
        .as_array()
        .map(Vec::len)
        .unwrap_or(0)
}

#[tokio::test]
async fn an_application_carries_its_files_and_only_the_applicant_and_the_department_see_them() {
    let base = &shared_demo().base;
    let (citizen, clerk) = (citizen().await, Api::as_user(base, "clerk").await);
    let (item_id, guide) = city_item().await;
    let slots = required_slots(&guide);
    let scan = unique_pdf("scan");
    let mut parts: Vec<(String, Vec<u8>, &str)> = slots
        .iter()
        .map(|s| (format!("material.{s}"), PDF.to_vec(), "表.pdf"))
        .collect();
    parts.push((
        format!("material.{}", slots[0]),
        scan.clone(),
        "../../扫描件.PDF",
    ));
    let (status, case) = citizen
        .multipart(
            "/api/v1/hall/applications/multipart",
            form_with(item_id, &guide, parts),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let number = case["number"].as_str().expect("number").to_string();

    let path = format!("/api/v1/hall/cases/{number}/materials");
    let (status, list) = citizen.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().expect("a list").clone();
    assert_eq!(list.len(), slots.len() + 1, "every file is listed");
    let first_material = guide["materials"][slots[0]]["name"].clone();
    let extra = list
        .iter()
        .find(|m| m["file_name"] == "扫描件.pdf")
        .expect("the second file, its name without a path and with its real extension");
    assert_eq!(extra["name"], first_material);
    assert_eq!(extra["type"], "application/pdf");
    assert_eq!(extra["size"], scan.len() as i64);
    assert!(
        extra["added_by"]
            .as_str()
            .unwrap_or("")
            .starts_with("citizen:#"),
        "the journal's name of the applicant: {extra}"
    );
    let sha = extra["sha256"].as_str().expect("sha").to_string();

    // Download: the same bytes, as an attachment never sniffed.
    for (who, api) in [("the applicant", &citizen), ("the clerk", &clerk)] {
        let resp = api
            .http
            .get(format!("{base}{path}/{sha}"))
            .bearer_auth(api.token.as_deref().unwrap_or(""))
            .send()
            .await
            .expect("download");
        assert_eq!(resp.status(), StatusCode::OK, "{who} downloads");
        let h = resp.headers().clone();
        assert_eq!(h["content-type"], "application/pdf");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(
            h["content-security-policy"], "default-src 'none'; sandbox",
            "the download's own policy wins over the site's default"
        );
        let disposition = h["content-disposition"].to_str().unwrap_or("");
        assert!(
            disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"),
            "{disposition}"
        );
        assert_eq!(resp.bytes().await.expect("bytes").as_ref(), &scan[..]);
    }

    // Identical content is stored once, however many files point at it.
    let blobs = blob_count(extra["sha256"].as_str().unwrap_or("")).await;
    assert_eq!(blobs, 1);
    let pdf_sha = list
        .iter()
        .find(|m| m["file_name"] == "表.pdf")
        .and_then(|m| m["sha256"].as_str())
        .expect("a form")
        .to_string();
    let copies = blob_count(&pdf_sha).await;
    assert_eq!(
        copies, 1,
        "the same PDF in several files and cases is kept once"
    );

    // Anyone else: not found, never forbidden (the case is not there for them).
    let enterprise = Api::as_user(base, ENTERPRISE).await;
    let district = Api::as_user(base, "xihu.approver").await;
    let editor = Api::as_user(base, "editor").await;
    for (who, api) in [
        ("another applicant", &enterprise),
        ("a district approver", &district),
        ("a catalogue editor", &editor),
    ] {
        assert_eq!(api.get(&path).await.0, StatusCode::NOT_FOUND, "{who} lists");
        assert_eq!(
            api.get(&format!("{path}/{sha}")).await.0,
            StatusCode::NOT_FOUND,
            "{who} downloads"
        );
        let (status, _) = api
            .multipart(
                &path,
                Form::new().part("material.0", file_part(PDF, "x.pdf")),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who} adds");
    }
    let anonymous = Api::new(base);
    assert_eq!(anonymous.get(&path).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.get(&format!("{path}/{sha}")).await.0,
        StatusCode::UNAUTHORIZED
    );
    // A hash the case does not hold is not there, even if another case holds it.
    assert_eq!(
        citizen.get(&format!("{path}/{}", "0".repeat(64))).await.0,
        StatusCode::NOT_FOUND
    );

    // The journal names the files, never their bytes.
    let history = case_history(&number).await;
    let submitted = &history[0];
    assert_eq!(submitted.event_type, "hall.case_submitted");
    assert!(submitted.payload.contains(&sha) && submitted.payload.contains("application/pdf"));
    assert!(
        !submitted.payload.contains("%PDF"),
        "no bytes in the journal"
    );
}

#[tokio::test]
async fn files_are_added_while_the_case_waits_and_refused_once_it_is_accepted() {
    let base = &shared_demo().base;
    let (citizen, clerk) = (citizen().await, Api::as_user(base, "clerk").await);
    let (item_id, guide) = city_item().await;
    let (_, case) = apply_online(&citizen, item_id, &guide).await;
    let number = case["number"].as_str().expect("number").to_string();
    let path = format!("/api/v1/hall/cases/{number}/materials");
    let before = citizen
        .get(&path)
        .await
        .1
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);

    let (status, list) = citizen
        .multipart(
            &path,
            Form::new().part("material.0", file_part(PNG, "photo.png")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(before + 1));

    let (status, _) = act(
        &clerk,
        &number,
        json!({"command": "request_correction", "what": "请补充清晰的申请表扫描件"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, list) = citizen
        .multipart(
            &path,
            Form::new().part("material.0", file_part(&unique_pdf("fix"), "清晰件.pdf")),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a correction brings files: {list}"
    );
    let history = case_history(&number).await;
    let added: Vec<_> = history
        .iter()
        .filter(|e| e.event_type == "hall.material_added")
        .collect();
    assert_eq!(added.len(), 2, "each addition is journaled");
    assert!(added[1].payload.contains("清晰件.pdf") && added[1].payload.contains("sha256"));
    assert_eq!(
        act(&citizen, &number, json!({"command": "supply_correction"}))
            .await
            .0,
        StatusCode::OK
    );

    // Nothing to add is refused; so is an addition once the case is accepted.
    let (status, body) = citizen.multipart(&path, Form::new()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["materials"]);
    assert_eq!(
        act(&clerk, &number, json!({"command": "accept"})).await.0,
        StatusCode::OK
    );
    let (status, body) = citizen
        .multipart(
            &path,
            Form::new().part("material.0", file_part(PDF, "late.pdf")),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "materials_closed");

    // A counter case: the clerk adds what was handed in while it waits.
    let applicant = json!({"kind": "person", "name": "李四", "id_number": "11010519491231002X"});
    let (status, counter) = clerk
        .post(
            "/api/v1/hall/counter-applications",
            json!({"item_id": item_id, "applicant": applicant, "answers": answers_for(&guide["form"])}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a counter case records what was handed in: {counter}"
    );
    let counter_path = format!(
        "/api/v1/hall/cases/{}/materials",
        counter["number"].as_str().unwrap_or("")
    );
    let (status, list) = clerk
        .multipart(
            &counter_path,
            Form::new().part("material.1", file_part(PDF, "复印件.pdf")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    assert_eq!(list[0]["added_by"], "staff:clerk");
}

#[tokio::test]
async fn bad_files_are_refused_with_their_fields_and_leave_nothing_behind() {
    let base = &shared_demo().base;
    let (citizen, _) = fresh_citizen(base).await;
    let (item_id, guide) = city_item().await;
    let slots = required_slots(&guide);
    let all_required = |extra: Vec<(String, Vec<u8>, &'static str)>| {
        let mut parts: Vec<(String, Vec<u8>, &str)> = slots
            .iter()
            .skip(1)
            .map(|s| (format!("material.{s}"), PDF.to_vec(), "ok.pdf"))
            .collect();
        parts.extend(extra);
        form_with(item_id, &guide, parts)
    };
    let first = format!("material.{}", slots[0]);
    let cases_before = my_case_count(&citizen).await;
    let apply = |form: Form| {
        let api = Api {
            token: citizen.token.clone(),
            ..Api::new(base)
        };
        async move {
            api.multipart("/api/v1/hall/applications/multipart", form)
                .await
        }
    };

    // A web page disguised as a PDF by its name and declared type.
    let disguised =
        reqwest::multipart::Part::bytes(b"<html><script>alert(1)</script></html>".to_vec())
            .file_name("申请表.pdf")
            .mime_str("application/pdf")
            .expect("mime");
    let mut form = all_required(vec![]);
    form = form.part(first.clone(), disguised);
    let (status, body) = apply(form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), [first.as_str()]);
    assert!(body["error"]["fields"][&first]
        .as_str()
        .unwrap_or("")
        .contains("PDF"));

    // Too big.
    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let (status, body) = apply(all_required(vec![(first.clone(), big, "big.pdf")])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), [first.as_str()]);

    // A material the item does not list.
    let mut parts = vec![(first.clone(), PDF.to_vec(), "a.pdf")];
    parts.push(("material.99".to_string(), PDF.to_vec(), "b.pdf"));
    let (status, body) = apply(all_required(parts)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["material.99"]);
    let (status, body) = apply(all_required(vec![
        (first.clone(), PDF.to_vec(), "a.pdf"),
        ("photo".to_string(), PNG.to_vec(), "b.png"),
    ]))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["photo"]);

    // A required material left out: online applications bring them all.
    let (status, body) = apply(all_required(vec![])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), [first.as_str()]);
    let (status, body) = citizen
        .post(
            "/api/v1/hall/applications",
            json!({"item_id": item_id, "answers": answers_for(&guide["form"])}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "JSON carries no files: {body}"
    );
    assert_eq!(fields(&body).len(), slots.len());

    // Bad answers with good files: refused, and the files are not kept.
    let orphan = unique_pdf("orphan");
    let form = Form::new()
        .text("item_id", item_id.to_string())
        .text("answers", json!({"no_such_field": "x"}).to_string())
        .part(first.clone(), file_part(&orphan, "o.pdf"));
    let (status, body) = apply(form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = apply(
        Form::new()
            .text("item_id", "x")
            .part(first.clone(), file_part(PDF, "o.pdf")),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["item_id"]);
    assert_eq!(
        my_case_count(&citizen).await,
        cases_before,
        "no case was made"
    );
    let kept = blob_count(&sha256_hex(&orphan)).await;
    assert_eq!(kept, 0, "a refused application leaves no file behind");
}

#[tokio::test]
async fn a_case_holds_at_most_forty_mebibytes_and_only_upload_routes_take_large_bodies() {
    let citizen = citizen().await;
    let (item_id, guide) = city_item().await;
    let slots = required_slots(&guide);
    let nine_mib = |tag: u8| {
        let mut b = PDF.to_vec();
        b.resize(9 * 1024 * 1024, tag);
        b
    };
    let mut parts: Vec<(String, Vec<u8>, &str)> = slots
        .iter()
        .map(|s| (format!("material.{s}"), PDF.to_vec(), "a.pdf"))
        .collect();
    for tag in 0..4u8 {
        parts.push((
            format!("material.{}", slots[0]),
            nine_mib(b'a' + tag),
            "nine.pdf",
        ));
    }
    let (status, case) = citizen
        .multipart(
            "/api/v1/hall/applications/multipart",
            form_with(item_id, &guide, parts),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "36 MiB in one application: {case}"
    );
    let path = format!(
        "/api/v1/hall/cases/{}/materials",
        case["number"].as_str().unwrap_or("")
    );
    let (status, body) = citizen
        .multipart(
            &path,
            Form::new().part("material.0", file_part(&nine_mib(b'z'), "more.pdf")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["materials"]);
    assert!(body["error"]["fields"]["materials"]
        .as_str()
        .unwrap_or("")
        .contains("40"));

    // The JSON routes keep their smaller limit.
    let filler = "x".repeat(17 * 1024 * 1024);
    let mut req = citizen
        .http
        .post(format!("{}/api/v1/hall/applications", citizen.base))
        .json(&json!({"item_id": item_id, "answers": {"filler": filler}}));
    if let Some(t) = &citizen.token {
        req = req.bearer_auth(t);
    }
    // The server answers 413 from the declared length without reading the
    // body, and may close the connection while the client is still writing
    // it: either way the body was refused.
    match req.send().await {
        Ok(resp) => assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE),
        Err(e) => assert!(
            format!("{e:?}").contains("BodyWrite"),
            "refused before it was read, or something else went wrong: {e:?}"
        ),
    }
}

/// How many copies of this content the store keeps.
async fn blob_count(sha256: &str) -> i64 {
    let sha256 = sha256.to_string();
    shared_demo()
        .with_app(|app| async move {
            let mut conn = app.db.read().await.expect("conn");
            sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM material_blobs WHERE sha256 = $1",
            )
            .bind(sha256)
            .fetch_one(&mut *conn)
            .await
            .expect("count")
        })
        .await
}

/// A case's journal, oldest first.
async fn case_history(number: &str) -> Vec<sunshine_domain::journal::Entry> {
    let subject = format!("case/{number}");
    shared_demo()
        .with_app(|app| async move { app.history(&subject).await.expect("history") })
        .await
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
