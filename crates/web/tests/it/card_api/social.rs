//! The card as the social-security credential: an approved 市民卡申领
//! issues the card to the person the registry holds, an approved 最低生活
//! 保障 loads its entitlement onto the card, a hall counter checks it there,
//! and the hall's counters check applicants' names against the registry.

use super::*;
use crate::hall_api::act;
use crate::support::{answers_for, application_form, enrolled, fresh_citizen};
use sunshine_testkit::shared_demo;

/// A library item by its code, and its guide.
async fn item(region: &str, item_type: &str, code: &str) -> (i64, Value) {
    let public = Api::new(&shared_demo().base);
    let (_, list) = public
        .get(&format!(
            "/api/v1/catalog/items?region={region}&type={item_type}&limit=200"
        ))
        .await;
    for i in list["items"].as_array().expect("items") {
        let (_, guide) = public
            .get(&format!("/api/v1/catalog/items/{}", i["item_id"]))
            .await;
        if guide["guide"]["code"] == code {
            return (i["item_id"].as_i64().expect("id"), guide["guide"].clone());
        }
    }
    panic!("no item {code} in {region}");
}

/// `citizen` applies for the item for the person `number` named `name`: the case's number.
async fn apply_for(citizen: &Api, item: &(i64, Value), number: &str, name: &str) -> String {
    apply_with(citizen, item, number, name, json!({})).await
}

/// As [`apply_for`], with these answers besides.
async fn apply_with(
    citizen: &Api,
    (item_id, guide): &(i64, Value),
    number: &str,
    name: &str,
    besides: Value,
) -> String {
    let mut answers = answers_for(&guide["form"]);
    answers["id_number"] = number.into();
    answers["applicant_name"] = name.into();
    for (k, v) in besides.as_object().into_iter().flatten() {
        answers[k] = v.clone();
    }
    let (status, case) = citizen
        .multipart(
            "/api/v1/hall/applications/multipart",
            application_form(*item_id, &answers, guide),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case["number"].as_str().expect("number").to_string()
}

/// The region's demo clerk takes a case through every step to its decision
/// and asks to approve it: the answer.
async fn to_approval(login: &str, number: &str, guide: &Value) -> (StatusCode, Value) {
    let clerk = Api::as_user(&shared_demo().base, login).await;
    let (status, body) = act(&clerk, number, json!({"command": "accept"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let steps = guide["steps"].as_array().map(Vec::len).unwrap_or(1);
    for _ in 0..steps - 1 {
        act(&clerk, number, json!({"command": "claim"})).await;
        let (status, body) = act(&clerk, number, json!({"command": "pass"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    act(&clerk, number, json!({"command": "claim"})).await;
    act(&clerk, number, json!({"command": "approve"})).await
}

#[tokio::test]
async fn an_approved_card_application_issues_the_card_to_the_person_the_registry_holds() {
    let base = &shared_demo().base;
    let card_item = item("330100", "public_service", "GG-01101-000").await;
    let (citizen, id) = fresh_citizen(base).await;

    // Not held by the registry: the approval is refused, no card is made.
    let first = apply_for(&citizen, &card_item, &id, "钱多多").await;
    let (status, body) = to_approval("clerk", &first, &card_item.1).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("grant_not_registered")),
        "{body}"
    );
    let (_, mine) = citizen.get("/api/v1/cards/mine").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(0), "{mine}");

    // Held by the registry: the approval issues the card, under the name held.
    enrolled(base, &id, "钱多多").await;
    let clerk = Api::as_user(base, "clerk").await;
    let (status, body) = act(&clerk, &first, json!({"command": "approve"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, mine) = citizen.get("/api/v1/cards/mine").await;
    let cards = mine.as_array().expect("cards");
    assert_eq!(cards.len(), 1, "{mine}");
    assert_eq!(cards[0]["card"]["holder_name"], "钱多多");
    assert_eq!(cards[0]["card"]["state"], "issued");
    let card = cards[0]["card"]["number"]
        .as_str()
        .expect("number")
        .to_string();

    // Applied for again and approved: the card held is the answer, no second card.
    let second = apply_for(&citizen, &card_item, &id, "钱多多").await;
    let (_, case) = citizen.get(&format!("/api/v1/hall/cases/{second}")).await;
    assert_eq!(
        case["applicant"]["name"], "钱多多",
        "a bound applicant applies under the registry's name: {case}"
    );
    let (status, body) = to_approval("clerk", &second, &card_item.1).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, mine) = citizen.get("/api/v1/cards/mine").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    assert_eq!(mine[0]["card"]["number"], card.as_str());

    // Another name for the number: the approval is refused.
    let third = apply_for(&citizen, &card_item, &id, "钱少少").await;
    let (status, body) = to_approval("clerk", &third, &card_item.1).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("grant_identity")),
        "{body}"
    );
    assert!(
        !body.to_string().contains("钱多多"),
        "the name held is not told: {body}"
    );
    // The refused approval's check is kept though the approval rolled back.
    let (_, reads) = citizen.get("/api/v1/me/reads").await;
    assert!(
        reads
            .as_array()
            .expect("reads")
            .iter()
            .any(|r| r["purpose"] == "identity_check" && r["what"] == third.as_str()),
        "{reads}"
    );

    // The checks are reads of the person's record, shown to them.
    let (_, reads) = citizen.get("/api/v1/me/reads").await;
    assert!(
        reads
            .as_array()
            .expect("reads")
            .iter()
            .any(|r| r["purpose"] == "identity_check"),
        "{reads}"
    );
}

#[tokio::test]
async fn an_approved_allowance_loads_onto_the_card_and_a_hall_counter_checks_it() {
    let base = &shared_demo().base;
    let dibao_item = item("330106", "benefit", "JF-00501-000").await;
    let (citizen, id) = fresh_citizen(base).await;
    enrolled(base, &id, "孙保障").await;
    let card_clerk = Api::as_user(base, "card.clerk").await;
    let (status, card) = card_clerk
        .post(
            "/api/v1/cards",
            json!({"holder": id, "holder_name": "孙保障"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let card = card["number"].as_str().expect("number").to_string();
    let (status, body) = card_clerk
        .post(
            &format!("/api/v1/cards/{card}/commands"),
            json!({"command": "activate"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let clerk = Api::as_user(base, "clerk").await;
    let check = |kind: &str| {
        clerk.post(
            "/api/v1/hall/entitlement-checks",
            json!({"card": card, "kind": kind}),
        )
    };
    let (status, before) = check("dibao").await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["verdict"], "not_granted", "{before}");

    // Two members with 3,000 yuan a month are above the standard: the
    // approval is refused.
    let means = |income: &str| json!({"household_size": "2", "monthly_income_total": income});
    let rich = apply_with(&citizen, &dibao_item, &id, "孙保障", means("3000")).await;
    let (status, body) = to_approval("clerk.330106", &rich, &dibao_item.1).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("grant_not_eligible")),
        "{body}"
    );
    let case = apply_with(&citizen, &dibao_item, &id, "孙保障", means("1000")).await;
    let (status, body) = to_approval("clerk.330106", &case, &dibao_item.1).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The household's aid is open in its community, topped up to the
    // standard (1,270 yuan a member): 2 × 1,270 − 1,000 yuan a month.
    let worker = Api::as_user(base, sunshine_app::demo::COMMUNITY_WORKER).await;
    let (status, aid) = worker
        .get(&format!(
            "/api/v1/care/communities/{}/aid",
            sunshine_app::demo::DEMO_COMMUNITY.replace('-', "")
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{aid}");
    let household = format!("E{}", &id[..17]);
    let opened: Vec<&Value> = aid
        .as_array()
        .expect("records")
        .iter()
        .filter(|a| a["household"] == household.as_str())
        .collect();
    assert_eq!(opened.len(), 1, "{aid}");
    assert_eq!(
        (
            &opened[0]["kind"],
            &opened[0]["monthly_fen"],
            &opened[0]["active"]
        ),
        (&json!("dibao"), &json!(154_000), &json!(true)),
        "{aid}"
    );
    // The community pays the month: onto the head's card, at once.
    let month = shared_demo().clock_today()[..7].to_string();
    let aid_id = opened[0]["id"].as_i64().expect("an id");
    let pay_path = format!("/api/v1/care/aid/{aid_id}/payments");
    let (status, paid) = worker.post(&pay_path, json!({"month": month})).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["to_card"][0]["state"], "paid", "{paid}");
    let (status, again) = worker.post(&pay_path, json!({"month": month})).await;
    assert_eq!(status, StatusCode::CONFLICT, "paid once: {again}");
    let (_, mine) = citizen.get("/api/v1/cards/mine").await;
    assert_eq!(mine[0]["balances"]["account"], 154_000, "{mine}");
    // Approved again: the household holds it already, and its community
    // reviews it.
    let again = apply_with(&citizen, &dibao_item, &id, "孙保障", means("500")).await;
    let (status, body) = to_approval("clerk.330106", &again, &dibao_item.1).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("aid_held")),
        "{body}"
    );

    let (status, after) = check("dibao").await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["verdict"], "allowed", "{after}");
    assert_eq!(after["holder_name"], "孙保障");
    assert_ne!(after["card"], card.as_str(), "the card is shown masked");
    let (_, pension) = check("pension").await;
    assert_eq!(pension["verdict"], "not_granted", "{pension}");
    let (status, park) = check("park").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{park}");
    let (_, nobody) = clerk
        .post(
            "/api/v1/hall/entitlement-checks",
            json!({"card": "3301000000000000", "kind": "dibao"}),
        )
        .await;
    assert_eq!(nobody["verdict"], "unknown_card", "{nobody}");
    assert!(nobody["holder_name"].is_null());
    let (status, _) = citizen
        .post(
            "/api/v1/hall/entitlement-checks",
            json!({"card": card, "kind": "dibao"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a citizen is no counter");

    // The holder sees the counter's check, and the allowance on their card.
    let (_, reads) = citizen.get("/api/v1/me/reads").await;
    assert!(
        reads
            .as_array()
            .expect("reads")
            .iter()
            .any(|r| r["purpose"] == "counter_service" && r["kind"] == "card"),
        "{reads}"
    );
    let (_, mine) = citizen.get("/api/v1/cards/mine").await;
    assert!(
        mine[0]["entitlements"]
            .as_array()
            .expect("entitlements")
            .iter()
            .any(|e| e["kind"] == "dibao" && e["verdict"] == "allowed"),
        "{mine}"
    );
}

#[tokio::test]
async fn a_hall_counter_takes_a_registered_person_only_under_the_registrys_name() {
    let base = &shared_demo().base;
    let (citizen, id) = fresh_citizen(base).await;
    enrolled(base, &id, "周正名").await;
    let hall_checks = || async {
        let (_, reads) = citizen.get("/api/v1/me/reads").await;
        reads
            .as_array()
            .expect("reads")
            .iter()
            .filter(|r| r["purpose"] == "identity_check" && r["what"] == "hall")
            .count()
    };
    let clerk = Api::as_user(base, "clerk").await;
    let (item_id, guide) = crate::hall_api::city_item().await;
    let at_counter = |name: &str| {
        clerk.post(
            "/api/v1/hall/counter-applications",
            json!({"item_id": item_id, "applicant": {"kind": "person", "name": name, "id_number": id},
                "answers": answers_for(&guide["form"])}),
        )
    };
    let (status, body) = at_counter("周歪名").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["fields"]["applicant.name"].is_string(),
        "{body}"
    );
    assert!(!body.to_string().contains("周正名"), "{body}");
    assert_eq!(
        hall_checks().await,
        1,
        "the refused check is shown to the person"
    );
    let (status, body) = at_counter("周正名").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(hall_checks().await, 2);
    // One the registry does not hold is taken: the hall serves those who live elsewhere.
    let stranger = crate::support::fresh_id_number();
    let (status, body) = clerk
        .post(
            "/api/v1/hall/counter-applications",
            json!({"item_id": item_id, "applicant": {"kind": "person", "name": "外地人", "id_number": stranger},
                "answers": answers_for(&guide["form"])}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
