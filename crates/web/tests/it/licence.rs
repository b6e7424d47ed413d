//! E-licences show the minimum: with the number alone, what the public
//! board shows; in full only for its holder, the issuer's staff (a read that
//! is journaled) and whoever holds its QR code's token; a sensitive item's
//! licence not at all to the public.

use reqwest::StatusCode;
use serde_json::Value;
use sunshine_testkit::shared_demo;

use crate::board_pages::{approve, approved_case, counter_person};
use crate::hall_api::city_item;
use crate::support::{fresh_citizen, Api};

/// The staff reads journaled under a subject, after a journal position.
async fn staff_reads(admin: &Api, mut after: i64, subject: &str) -> Vec<Value> {
    let mut reads = Vec::new();
    loop {
        let (_, page) = admin
            .get(&format!("/api/v1/journal?after={after}&limit=1000"))
            .await;
        let entries = page["entries"].as_array().cloned().unwrap_or_default();
        if entries.is_empty() {
            return reads;
        }
        reads.extend(entries.into_iter().filter(|e| {
            e["event_type"] == "access.personal_record_read" && e["subject"] == subject
        }));
        after = page["next_cursor"].as_i64().expect("cursor");
    }
}

/// The journal's last position now.
async fn journal_end(admin: &Api) -> i64 {
    let mut after = 0;
    loop {
        let (_, page) = admin
            .get(&format!("/api/v1/journal?after={after}&limit=1000"))
            .await;
        if page["entries"].as_array().is_none_or(Vec::is_empty) {
            return after;
        }
        after = page["next_cursor"].as_i64().expect("cursor");
    }
}

fn is_full(view: &Value) -> bool {
    view["full"] == true && view["token"].is_string() && view["canonical"].is_string()
}

#[tokio::test]
async fn a_licence_by_number_alone_shows_only_what_the_board_shows() {
    let base = &shared_demo().base;
    let (item_id, guide) = city_item().await;
    let number = approved_case(base, item_id, &guide).await;
    let path = format!("/api/v1/licences/ZZ-{number}");

    let (status, public) = Api::new(base).get(&path).await;
    assert_eq!(status, StatusCode::OK, "{public}");
    assert_eq!(
        public["holder"], "王某",
        "the holder masked as on the board"
    );
    assert_eq!(public["verdict"], "valid");
    assert!(
        public["item_name"].is_string()
            && public["issuer_name"].is_string()
            && public["decided_on"].is_string()
    );
    assert!(!is_full(&public), "no signed text, no token: {public}");
    for secret in ["王小明", "123X", "signature", "public_key"] {
        assert!(
            !public.to_string().contains(secret) || public[secret].is_null(),
            "the public answer holds no {secret}: {public}"
        );
    }

    // Another citizen is the public too.
    let (stranger, _) = fresh_citizen(base).await;
    let (_, seen) = stranger.get(&path).await;
    assert!(!is_full(&seen), "a stranger sees the board's minimum");

    // The holder sees it in full.
    let holder = Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (_, full) = holder.get(&path).await;
    assert!(is_full(&full), "{full}");
    assert_eq!(full["payload"]["holder"], "王小明");
    let token = full["token"].as_str().expect("token").to_string();

    // Whoever holds the QR code's token sees it in full; a wrong one does not.
    let (_, by_token) = Api::new(base).get(&format!("{path}?token={token}")).await;
    assert!(is_full(&by_token), "{by_token}");
    let (_, wrong) = Api::new(base).get(&format!("{path}?token=x.y")).await;
    assert!(!is_full(&wrong), "a wrong token shows the minimum");

    // The department's staff see it in full, and the read is journaled.
    let admin = Api::as_user(base, "admin").await;
    let after = journal_end(&admin).await;
    let clerk = Api::as_user(base, "clerk").await;
    let (_, staff) = clerk.get(&path).await;
    assert!(is_full(&staff), "{staff}");
    let reads = staff_reads(&admin, after, &format!("access/case/{number}")).await;
    assert!(
        reads.iter().any(|e| e["actor"] == "staff:clerk"
            && e["payload"]
                .as_str()
                .is_some_and(|p| p.contains("\"licence\""))),
        "the staff read of the licence is journaled: {reads:?}"
    );
    assert!(
        staff_reads(&admin, after, &format!("access/case/{number}"))
            .await
            .iter()
            .all(|e| e["actor"] != "citizen"),
        "the holder's own look is no staff read"
    );
}

#[tokio::test]
async fn a_sensitive_items_licence_is_not_found_by_the_public() {
    let base = &shared_demo().base;
    let admin = Api::as_user(base, "admin").await;
    let clerk = Api::as_user(base, "clerk").await;
    let (_, all) = admin
        .get("/api/v1/catalog/versions?state=in_library&limit=500")
        .await;
    let mut found = None;
    for v in all["items"].as_array().expect("items") {
        let (_, full) = admin
            .get(&format!("/api/v1/catalog/versions/{}", v["id"]))
            .await;
        if full["spec"]["sensitive"] == true && full["spec"]["region"] == "330100" {
            found = Some((v["item_id"].as_i64().expect("id"), full["spec"].clone()));
            break;
        }
    }
    let (item, spec) = found.expect("the demo has a sensitive city item");
    let number = counter_person(
        &clerk,
        item,
        &spec["form"],
        "周密",
        &crate::support::fresh_id_number(),
    )
    .await;
    approve(base, &number, &spec).await;
    let path = format!("/api/v1/licences/ZZ-{number}");

    let (status, body) = Api::new(base).get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let c = reqwest::Client::new();
    for page in [
        format!("/licences/ZZ-{number}"),
        format!("/licences/ZZ-{number}/file"),
    ] {
        let resp = c.get(shared_demo().url(&page)).send().await.expect("page");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{page}");
        let html = resp.text().await.expect("html");
        assert!(!html.contains("周密"), "{page} names no one");
    }
    let resp = c
        .get(shared_demo().url(&format!("/licences/verify?number=ZZ-{number}")))
        .send()
        .await
        .expect("page");
    let html = resp.text().await.expect("html");
    assert!(
        html.contains("verdict forged") && !html.contains("周密"),
        "verification by number knows of no such licence"
    );

    let (status, staff) = clerk.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{staff}");
    assert!(is_full(&staff) && staff["payload"]["holder"] == "周密");
}

/// A PDF's cross-reference table points at its objects: every entry's offset
/// opens `<n> 0 obj`, and `startxref` points at the table. Offsets are in
/// bytes, so the bytes are read one for one (as Latin-1).
fn check_pdf_structure(pdf: &[u8]) -> Result<usize, String> {
    let text: Vec<char> = pdf.iter().map(|&b| char::from(b)).collect();
    let at = |from: usize, n: usize| -> String { text.iter().skip(from).take(n).collect() };
    let whole: String = text.iter().collect();
    let start = whole.rfind("startxref").ok_or("no startxref")?;
    // `whole` has one char per byte, but `rfind` counts UTF-8 bytes: count chars instead.
    let start = whole[..start].chars().count();
    let tail = at(start + "startxref".len(), 40);
    let offset: usize = tail
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or("startxref names no offset")?;
    let table = at(offset, 20 * 1000);
    let mut lines = table.lines();
    if lines.next() != Some("xref") {
        return Err(format!("no xref table at {offset}"));
    }
    let header = lines.next().ok_or("no xref section")?;
    let count: usize = header
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .ok_or("bad xref section")?;
    let entries: Vec<&str> = lines.take(count).collect();
    for (i, e) in entries.iter().enumerate().skip(1) {
        let obj: usize = e
            .get(..10)
            .and_then(|n| n.parse().ok())
            .ok_or(format!("bad entry {e}"))?;
        let expect = format!("{i} 0 obj");
        if at(obj, expect.len()) != expect {
            return Err(format!("object {i} is not at {obj}"));
        }
    }
    if !whole.trim_end().ends_with("%%EOF") {
        return Err("no %%EOF".into());
    }
    Ok(count - 1)
}

#[tokio::test]
async fn the_licence_downloads_as_a_printable_pdf_whose_qr_code_is_its_verification_link() {
    let base = &shared_demo().base;
    let (item_id, guide) = city_item().await;
    let number = approved_case(base, item_id, &guide).await;
    let licence = format!("ZZ-{number}");
    let holder = Api::as_user(base, sunshine_app::demo::DEMO_CITIZEN_ID).await;
    let (_, full) = holder.get(&format!("/api/v1/licences/{licence}")).await;
    let token = full["token"].as_str().expect("token").to_string();
    let c = reqwest::Client::new();

    let resp = c
        .get(shared_demo().url(&format!("/licences/{licence}/file?token={token}")))
        .send()
        .await
        .expect("file");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap_or("")
        .contains(&format!("{licence}.pdf")));
    let pdf = resp.bytes().await.expect("bytes").to_vec();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let objects = check_pdf_structure(&pdf).unwrap_or_else(|e| panic!("the PDF parses: {e}"));
    assert!(
        objects >= 7,
        "pages, content, the CJK font: {objects} objects"
    );
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains(&licence), "the licence's number is in it");
    assert!(
        text.contains("/STSong-Light") && text.contains("/UniGB-UCS2-H") && text.contains("(GB1)"),
        "Chinese through the standard CJK font, nothing embedded"
    );
    // The QR code is drawn module by module: as many squares as the
    // verification link's code has dark modules.
    let link = format!(
        "{}/licences/verify?token={}",
        base.trim_end_matches('/'),
        token
    );
    let code = qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M)
        .expect("qr");
    let dark = code
        .to_colors()
        .into_iter()
        .filter(|c| *c == qrcode::Color::Dark)
        .count();
    let squares = text.matches(" re\n").count();
    assert_eq!(
        squares,
        dark + 1,
        "the QR code of {link} (and the page's frame) is drawn"
    );

    // The signed data stays there for machines.
    let json: Value = c
        .get(shared_demo().url(&format!(
            "/licences/{licence}/file?token={token}&format=json"
        )))
        .send()
        .await
        .expect("json")
        .json()
        .await
        .expect("the JSON file");
    assert_eq!(json["token"], token.as_str());

    // The public's copy, by number alone, has no QR code.
    let public = c
        .get(shared_demo().url(&format!("/licences/{licence}/file")))
        .send()
        .await
        .expect("file")
        .bytes()
        .await
        .expect("bytes");
    assert!(public.starts_with(b"%PDF-"));
    assert_eq!(
        String::from_utf8_lossy(&public).matches(" re\n").count(),
        1,
        "no QR code without the token"
    );

    // An unknown licence: a clear not-found.
    let resp = c
        .get(shared_demo().url("/licences/ZZ-2026-330100-999999/file"))
        .send()
        .await
        .expect("file");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(resp.text().await.expect("html").contains("证照"));

    // A revoked licence is not handed out to print, and says why.
    let approver = Api::as_user(base, "approver").await;
    let (status, body) = approver
        .post(
            &format!("/api/v1/licences/{licence}/revoke"),
            serde_json::json!({"reason": "以欺骗手段取得"}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let resp = c
        .get(shared_demo().url(&format!("/licences/{licence}/file?token={token}")))
        .send()
        .await
        .expect("file");
    assert_eq!(resp.status(), StatusCode::GONE);
    assert!(resp.text().await.expect("html").contains("该证照已撤销"));
}
