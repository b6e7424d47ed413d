//! Sign-in, tokens, staff accounts, citizens and enterprises.

use reqwest::StatusCode;
use serde_json::json;
use sunshine_testkit::shared_demo;

use crate::support::{fields, Api};

#[tokio::test]
async fn a_wrong_password_and_an_unknown_login_get_the_same_answer() {
    let api = Api::new(&shared_demo().base);
    let (s1, b1) = api
        .post(
            "/api/v1/auth/tokens",
            json!({"login": "editor", "password": "wrong-password", "name": "x"}),
        )
        .await;
    let (s2, b2) = api
        .post(
            "/api/v1/auth/tokens",
            json!({"login": "nobody-at-all", "password": "wrong-password", "name": "x"}),
        )
        .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(b1, b2, "no hint which logins exist");
    assert_eq!(b1["error"]["code"], "wrong_credentials");
}

#[tokio::test]
async fn messages_follow_the_requested_language() {
    let api = Api::new(&shared_demo().base);
    let resp = api
        .http
        .post(shared_demo().url("/api/v1/auth/tokens"))
        .header("accept-language", "en-GB,en;q=0.9")
        .json(&json!({"login": "editor", "password": "wrong-password", "name": "x"}))
        .send()
        .await
        .expect("sent");
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["message"], "Wrong login or password");
    let (_, zh) = api
        .post(
            "/api/v1/auth/tokens",
            json!({"login": "editor", "password": "wrong-password", "name": "x"}),
        )
        .await;
    assert_eq!(
        zh["error"]["message"], "登录名或密码不正确",
        "zh-CN by default"
    );
}

#[tokio::test]
async fn a_citizen_signs_up_with_a_valid_identity_number_and_a_login_of_their_own() {
    let api = Api::new(&shared_demo().base);
    let (status, body) = api
        .post(
            "/api/v1/citizens",
            json!({"login": "zhang.san", "id_number": "110105194912310021", "name": "张三", "password": "long-enough-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["id_number"]);
    let (status, body) = api
        .post(
            "/api/v1/citizens",
            json!({"login": "11010519491231002X", "id_number": "11010519491231002X", "name": "", "password": "short"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&body),
        ["login", "name", "password"],
        "every fault at once; a login is never an identity number"
    );
    let (status, body) = api
        .post(
            "/api/v1/citizens",
            json!({"login": "zhang.san", "id_number": "11010519491231002x", "name": "张三", "password": "long-enough-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = api
        .post(
            "/api/v1/citizens",
            json!({"login": "zhang.san", "id_number": "110105194912310038", "name": "张三", "password": "long-enough-1"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a login is taken once: {body}"
    );
    assert_eq!(fields(&body), ["login"]);

    let citizen = as_login(&shared_demo().base, "zhang.san").await;
    let (status, me) = citizen.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["kind"], "citizen");
    assert_eq!(
        me["verified"], false,
        "a number typed at sign-up is not bound"
    );
    assert!(
        sunshine_testkit::api_token(&shared_demo().base, "11010519491231002X", "long-enough-1")
            .await
            .is_err(),
        "an unbound number does not sign in"
    );
    assert_eq!(
        citizen.get("/api/v1/catalog/versions").await.0,
        StatusCode::FORBIDDEN,
        "citizens see only the public catalogue"
    );
}

/// Signed in by login with the test password.
async fn as_login(base: &str, login: &str) -> Api {
    Api {
        token: Some(
            sunshine_testkit::api_token(base, login, "long-enough-1")
                .await
                .expect("token"),
        ),
        ..Api::new(base)
    }
}

/// A valid identity number from its first 17 digits.
fn id_of(first17: &str) -> String {
    let check = sunshine_domain::ids::ResidentId::check_char(first17).expect("17 digits");
    format!("{first17}{check}")
}

/// Every journal entry of a platform, as text.
async fn whole_journal(base: &str) -> String {
    let admin = Api::as_user(base, "admin").await;
    let (mut after, mut text) = (0, String::new());
    loop {
        let (status, page) = admin
            .get(&format!("/api/v1/journal?after={after}&limit=1000"))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let entries = page["entries"].as_array().cloned().unwrap_or_default();
        if entries.is_empty() {
            return text;
        }
        text.push_str(&page["entries"].to_string());
        after = page["next_cursor"].as_i64().expect("cursor");
    }
}

/// A stranger signs up with a resident's identity number: the answer is the
/// one anybody gets, the stranger sees none of the resident's records, and
/// the resident can still sign up and bind; binding closes the stranger's
/// account. Every step is journaled, never with a whole number.
#[tokio::test]
async fn a_number_typed_at_sign_up_reaches_nothing_until_the_counter_binds_it() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let base = &t.base;
    let resident = id_of("33010619920202123");
    let anyone = Api::new(base);
    let sign_up = |login: &str| json!({"login": login, "id_number": resident, "name": "李四", "password": "long-enough-1"});
    let (s1, b1) = anyone
        .post("/api/v1/citizens", sign_up("stranger.one"))
        .await;
    let (s2, b2) = anyone.post("/api/v1/citizens", sign_up("li.si")).await;
    assert_eq!(
        (s1, s2),
        (StatusCode::CREATED, StatusCode::CREATED),
        "{b1} {b2}"
    );

    // The card centre issues the resident a card.
    crate::support::enrolled(base, &resident, "李四").await;
    let card_clerk = Api::as_user(base, "card.clerk").await;
    let (status, card) = card_clerk
        .post(
            "/api/v1/cards",
            json!({"holder": resident, "holder_name": "李四"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let number = card["number"].as_str().expect("number").to_string();

    let stranger = as_login(base, "stranger.one").await;
    let (status, body) = stranger.get("/api/v1/cards/mine").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "not_bound");
    let (status, _) = stranger.get(&format!("/api/v1/cards/{number}")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "someone else's card is not there"
    );
    let (status, _) = stranger
        .post(
            &format!("/api/v1/cards/{number}/commands"),
            json!({"command": "report_loss"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nor can it be reported lost");
    let (status, _) = stranger
        .post(
            &format!("/api/v1/cards/{number}/passes"),
            json!({"product": "bus_month", "first_day": "2026-12-01", "id": 1}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "nor can passes be bought from it"
    );
    let (status, _) = stranger
        .post(
            &format!("/api/v1/cards/{number}/top-ups"),
            json!({"purse": "wallet", "amount": 1000, "id": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nor topped up");

    // A wrong code, a code for another number, then the right one.
    let (status, body) = stranger
        .post("/api/v1/me/binding", json!({"code": "ABCDE-FGHJK"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["code"]);
    let clerk = Api::as_user(base, "clerk").await;
    let (status, other) = clerk
        .post(
            "/api/v1/binding-codes",
            json!({"kind": "citizen", "number": "11010519491231002X", "name": "别人"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let (status, body) = stranger
        .post("/api/v1/me/binding", json!({"code": other["code"]}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "binding_mismatch");
    let (status, issued) = clerk
        .post(
            "/api/v1/binding-codes",
            json!({"kind": "citizen", "number": resident, "name": "李四"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert!(
        !issued["for_number"]
            .as_str()
            .unwrap_or("")
            .contains(&resident[6..14]),
        "the slip masks the number"
    );
    let li = as_login(base, "li.si").await;
    let (status, me) = li
        .post("/api/v1/me/binding", json!({"code": issued["code"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["verified"], true);
    let (status, again) = li
        .post("/api/v1/me/binding", json!({"code": issued["code"]}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "bound once: {again}");
    let (status, cards) = li.get("/api/v1/cards/mine").await;
    assert_eq!(status, StatusCode::OK, "{cards}");
    assert_eq!(cards[0]["card"]["number"], number.as_str());
    // The resident sees which counter issued proofs of their identity.
    let (status, reads) = li.get("/api/v1/me/reads").await;
    assert_eq!(status, StatusCode::OK, "{reads}");
    let proofs: Vec<&serde_json::Value> = reads
        .as_array()
        .expect("a list")
        .iter()
        .filter(|r| r["kind"] == "identity_proof")
        .collect();
    assert_eq!(proofs.len(), 1, "the code issued for them: {reads}");
    assert_eq!(proofs[0]["reader"], "孙承办", "{reads}");

    // The stranger's account is closed: its token no longer works, nor its password.
    assert_eq!(stranger.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    assert!(
        sunshine_testkit::api_token(base, "stranger.one", "long-enough-1")
            .await
            .is_err()
    );
    // The resident signs in with the number now, as with the login.
    assert!(
        sunshine_testkit::api_token(base, &resident, "long-enough-1")
            .await
            .is_ok()
    );
    // A code is used once, even by another account on the number.
    let (status, _) = anyone
        .post("/api/v1/citizens", sign_up("li.si.again"))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let late = as_login(base, "li.si.again").await;
    let (status, body) = late
        .post("/api/v1/me/binding", json!({"code": issued["code"]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let text = whole_journal(base).await;
    assert!(
        text.contains("identity.binding_code_issued") && text.contains("identity.account_bound"),
        "every step is journaled"
    );
    assert!(
        !text.contains(&resident),
        "the journal never holds a whole identity number"
    );
}

/// The card's number and the PIN the counter set bind an account too; five
/// wrong PINs lock it until the counter sets a new one.
#[tokio::test]
async fn a_citizen_card_and_its_pin_bind_an_account() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let base = &t.base;
    let resident = id_of("33010619750505123");
    crate::support::enrolled(base, &resident, "周五").await;
    let card_clerk = Api::as_user(base, "card.clerk").await;
    let (status, card) = card_clerk
        .post(
            "/api/v1/cards",
            json!({"holder": resident, "holder_name": "周五"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let number = card["number"].as_str().expect("number").to_string();
    let pin = |p: &str| json!({ "pin": p });
    let (status, body) = card_clerk
        .put(&format!("/api/v1/cards/{number}/pin"), pin("123456"))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a run is refused: {body}"
    );
    let clerk = Api::as_user(base, "clerk").await;
    let (status, _) = clerk
        .put(&format!("/api/v1/cards/{number}/pin"), pin("274916"))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only the card centre sets PINs"
    );
    let (status, body) = card_clerk
        .put(&format!("/api/v1/cards/{number}/pin"), pin("274916"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let (status, _) = Api::new(base)
        .post(
            "/api/v1/citizens",
            json!({"login": "zhou.wu", "id_number": resident, "name": "周五", "password": "long-enough-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let me = as_login(base, "zhou.wu").await;
    for _ in 0..5 {
        let (status, body) = me
            .post(
                "/api/v1/me/binding",
                json!({"card_number": number, "pin": "999999"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(fields(&body), ["pin"]);
    }
    let (status, body) = me
        .post(
            "/api/v1/me/binding",
            json!({"card_number": number, "pin": "274916"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "locked after five: {body}");
    assert_eq!(body["error"]["code"], "pin_locked");
    let (status, _) = card_clerk
        .put(&format!("/api/v1/cards/{number}/pin"), pin("380517"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "the counter sets it anew");
    let (status, body) = me
        .post(
            "/api/v1/me/binding",
            json!({"card_number": number, "pin": "380517"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verified"], true);
    let (_, cards) = me.get("/api/v1/cards/mine").await;
    assert_eq!(cards[0]["card"]["number"], number.as_str());
    let (_, reads) = me.get("/api/v1/me/reads").await;
    assert_eq!(
        reads
            .as_array()
            .expect("a list")
            .iter()
            .filter(|r| r["kind"] == "identity_proof")
            .count(),
        2,
        "both PINs the counter set are shown to the holder: {reads}"
    );
}

/// An enterprise binds with a counter's code that names its legal
/// representative; a citizen card does not bind an enterprise.
#[tokio::test]
async fn an_enterprise_binds_its_legal_representative_at_a_counter() {
    let base = &shared_demo().base;
    let api = Api::new(base);
    let (status, body) = api.post("/api/v1/enterprises", json!({"login": "min.test", "credit_code": "91350100M000100Y44", "name": "测试公司", "password": "long-enough-1"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["credit_code"]);
    let (status, _) = api.post("/api/v1/enterprises", json!({"login": "min.test", "credit_code": "91350100M000100Y43", "name": "测试公司", "password": "long-enough-1"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let firm = as_login(base, "min.test").await;
    let clerk = Api::as_user(base, "clerk").await;
    let (status, body) = clerk
        .post(
            "/api/v1/binding-codes",
            json!({"kind": "enterprise", "number": "91350100M000100Y43", "name": "测试公司"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the legal representative is required: {body}"
    );
    assert_eq!(fields(&body), ["legal_rep_id", "legal_rep_name"]);
    let (status, issued) = clerk
        .post("/api/v1/binding-codes", json!({"kind": "enterprise", "number": "91350100M000100Y43", "name": "测试公司", "legal_rep_name": "王法人", "legal_rep_id": "11010519491231002X"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let editor = Api::as_user(base, "editor").await;
    let (status, _) = editor
        .post(
            "/api/v1/binding-codes",
            json!({"kind": "citizen", "number": "11010519491231002X", "name": "张三"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only counter clerks issue codes"
    );
    let (status, body) = firm
        .post(
            "/api/v1/me/binding",
            json!({"card_number": "3301000000000001", "pin": "274916"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, me) = firm
        .post("/api/v1/me/binding", json!({"code": issued["code"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["verified"], true);
    assert!(
        sunshine_testkit::api_token(base, "91350100M000100Y43", "long-enough-1")
            .await
            .is_ok(),
        "the bound credit code signs in"
    );
}

#[tokio::test]
async fn only_an_administrator_over_the_organisation_creates_staff() {
    let base = &shared_demo().base;
    let admin = Api::as_user(base, "admin").await;
    let editor = Api::as_user(base, "editor").await;
    let new = json!({"login": "new.reviewer", "display_name": "新审核员", "org": "330100", "password": "long-enough-1", "roles": ["legal_reviewer"]});
    assert_eq!(
        editor.post("/api/v1/staff", new.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = admin.post("/api/v1/staff", new.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        admin.post("/api/v1/staff", new).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a login is taken once"
    );
    let (status, body) = admin.post("/api/v1/staff", json!({"login": "x", "display_name": "x", "org": "999999", "password": "p", "roles": ["king"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["login", "org", "password", "roles"]);
    let reviewer = Api {
        token: Some(
            sunshine_testkit::api_token(base, "new.reviewer", "long-enough-1")
                .await
                .expect("token"),
        ),
        ..Api::new(base)
    };
    let (_, me) = reviewer.get("/api/v1/me").await;
    assert_eq!(
        me["roles"],
        json!([{"role": "legal_reviewer", "org": "330100"}])
    );
}

#[tokio::test]
async fn the_organisation_tree_is_public() {
    let (status, orgs) = Api::new(&shared_demo().base)
        .get("/api/v1/organisations")
        .await;
    assert_eq!(status, StatusCode::OK);
    let orgs = orgs.as_array().expect("list");
    let districts = orgs
        .iter()
        .filter(|o| o["kind"] == "district" || o["kind"] == "county")
        .count();
    assert_eq!(districts, 13, "Hangzhou's 13 districts and counties");
    assert!(
        orgs.iter()
            .any(|o| o["code"] == "330199" && o["kind"] == "zone"),
        "the development zone with its internal code"
    );
    assert!(
        orgs.iter()
            .filter(|o| o["kind"] == "department" && o["parent"] == "330100")
            .count()
            >= 40
    );
}

/// Administrators add and rename the units requests go to: a new utility
/// under the city is in the tree at once and can lead a category; a wrong
/// code, a government or a taken code is refused and writes nothing; a
/// clerk and a district's staff may not.
#[tokio::test]
async fn administrators_add_and_rename_units_under_their_government() {
    let t = sunshine_testkit::TestApp::demo().await.expect("demo");
    let admin = Api::as_user(&t.base, "admin").await;
    let clerk = Api::as_user(&t.base, "clerk").await;
    let unit = json!({"code": "330100-U91", "name": "杭州市热力有限公司", "name_en": "Hangzhou Heating Co.", "kind": "utility", "parent": "330100"});
    let (status, body) = clerk.post("/api/v1/organisations", unit.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    for (bad, field) in [
        (
            json!({"code": "330106-U91", "name": "x", "name_en": "x", "kind": "utility", "parent": "330100"}),
            "code",
        ),
        (
            json!({"code": "330100-U92", "name": "x", "name_en": "x", "kind": "district", "parent": "330100"}),
            "kind",
        ),
        (
            json!({"code": "3301-U92", "name": "x", "name_en": "x", "kind": "utility", "parent": "330100"}),
            "code",
        ),
        (
            json!({"code": "330100-U92", "name": "", "name_en": "x", "kind": "utility", "parent": "330100"}),
            "name",
        ),
        (
            json!({"code": "330100-U93", "name": "x", "name_en": "x", "kind": "utility", "parent": "330100-004"}),
            "parent",
        ),
    ] {
        let (status, body) = admin.post("/api/v1/organisations", bad.clone()).await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY
                && fields(&body).contains(&field.to_string()),
            "{bad} → {status} {body}"
        );
    }
    let (status, added) = admin.post("/api/v1/organisations", unit.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["kind"], "utility");
    let (status, body) = admin.post("/api/v1/organisations", unit.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, tree) = admin.get("/api/v1/organisations").await;
    let ours: Vec<_> = tree
        .as_array()
        .expect("a list")
        .iter()
        .filter(|o| o["code"] == "330100-U91")
        .collect();
    assert_eq!(ours.len(), 1, "once, at once");

    // It can lead a category now.
    let (status, category) = admin
        .put(
            "/api/v1/hotline/categories/heating.outage",
            json!({"name": "供暖故障", "name_en": "Heating outage", "class": "public_information",
                   "kind": "help", "urgency": "utility", "lead_unit": "330100-U91"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{category}");

    // Renamed by the city's administrator; not by a district's staff.
    let xihu_admin = Api::as_user(&t.base, "xihu.supervisor").await;
    let rename = json!({"name": "杭州热力集团", "name_en": "Hangzhou Heating Group"});
    let (status, body) = xihu_admin
        .put("/api/v1/organisations/330100-U91", rename.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = admin
        .put("/api/v1/organisations/330100", rename.clone())
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a government is no unit: {body}"
    );
    let (status, renamed) = admin.put("/api/v1/organisations/330100-U91", rename).await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "杭州热力集团");
    let history = t.app.history("org/330100-U91").await.expect("history");
    let events: Vec<&str> = history.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(events, vec!["identity.org_added", "identity.org_renamed"]);
    t.stop().await;
}

/// An account not yet bound applies for an item that keeps no personal
/// record (the demo's 96345 help request), never for one that does; once
/// bound it applies for both, and a case the counter registered to its
/// number shows among its own only then.
#[tokio::test]
async fn an_unbound_account_applies_only_for_items_that_keep_no_personal_record() {
    let base = &shared_demo().base;
    let public = Api::new(base);
    let item_of = |code: &'static str| {
        let public = &public;
        async move {
            let (_, list) = public.get(&format!("/api/v1/catalog/items?q={code}")).await;
            let item_id = list["items"][0]["item_id"].as_i64().expect("item");
            let (_, guide) = public
                .get(&format!("/api/v1/catalog/items/{item_id}"))
                .await;
            (item_id, guide["guide"].clone())
        }
    };
    let (open_item, open_guide) = item_of("GG-01103-000").await;
    assert_eq!(open_guide["needs_real_name"], false, "{open_guide}");
    let (_, list) = public
        .get("/api/v1/catalog/items?region=330100&type=licensing&limit=1")
        .await;
    let licensing = list["items"][0]["item_id"].as_i64().expect("item");
    let (_, guide) = public
        .get(&format!("/api/v1/catalog/items/{licensing}"))
        .await;
    let guide = guide["guide"].clone();

    let (unbound, id) = crate::support::fresh_unbound_citizen(base).await;
    let (status, case) = crate::hall_api::apply_online(&unbound, open_item, &open_guide).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let (status, body) = crate::hall_api::apply_online(&unbound, licensing, &guide).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "not_bound");

    // The counter registers a case to the number: the unbound account never sees it.
    let clerk = Api::as_user(base, "clerk").await;
    let (status, counter) = clerk
        .post(
            "/api/v1/hall/counter-applications",
            json!({
                "item_id": licensing,
                "applicant": {"kind": "person", "name": "赵六", "id_number": id},
                "answers": crate::support::answers_for(&guide["form"]),
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{counter}");
    let counter_number = counter["number"].as_str().expect("number").to_string();
    let (_, mine) = unbound.get("/api/v1/hall/my-cases").await;
    assert!(
        !mine.to_string().contains(&counter_number),
        "not before binding: {mine}"
    );
    let (status, code) = clerk
        .post(
            "/api/v1/binding-codes",
            json!({"kind": "citizen", "number": id, "name": "赵六"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    let (status, _) = unbound
        .post("/api/v1/me/binding", json!({"code": code["code"]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, case) = crate::hall_api::apply_online(&unbound, licensing, &guide).await;
    assert_eq!(status, StatusCode::CREATED, "bound, it applies: {case}");
    let (_, mine) = unbound.get("/api/v1/hall/my-cases").await;
    assert!(
        mine.to_string().contains(&counter_number),
        "the counter's case shows once bound: {mine}"
    );
}
