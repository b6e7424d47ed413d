//! Fees and penalties through the API: only catalogued fees at their
//! standard, penalties within the discretion range.

use super::*;

#[tokio::test]
async fn only_catalogued_fees_at_their_standard_and_penalties_within_the_discretion_range() {
    let clerk = Api::as_user(&shared_demo().base, "clerk").await;
    let (item_id, guide) = fee_city_item().await;
    let number = accepted_counter_case(&clerk, item_id, &guide).await;
    let fee = &guide["fees"][0];
    let (name, standard) = (
        fee["name"].as_str().expect("name"),
        fee["standard_fen"].as_i64().expect("amount"),
    );
    let charge = |body: Value| {
        let (api, path) = (
            Api {
                token: clerk.token.clone(),
                ..Api::new(&clerk.base)
            },
            format!("/api/v1/hall/cases/{number}/fees"),
        );
        async move { api.post(&path, body).await }
    };
    assert_eq!(
        charge(json!({"name": "加急服务费", "amount_fen": 100}))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not in the catalogue"
    );
    assert_eq!(
        charge(json!({"name": name, "amount_fen": standard + 1}))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "above the standard"
    );
    let (status, charges) = charge(json!({"name": name, "amount_fen": standard})).await;
    assert_eq!(status, StatusCode::OK, "{charges}");
    assert_eq!(charges, json!([{"name": name, "amount_fen": standard}]));
    assert_eq!(
        clerk
            .post(
                &format!("/api/v1/hall/cases/{number}/penalty"),
                json!({"circumstance": 0, "amount_fen": 100})
            )
            .await
            .0,
        StatusCode::CONFLICT,
        "not a penalty item"
    );

    let (item_id, guide) = penalty_city_item().await;
    let number = accepted_counter_case(&clerk, item_id, &guide).await;
    let d = &guide["discretion"][0];
    let (min, max) = (
        d["min_fen"].as_i64().expect("min"),
        d["max_fen"].as_i64().expect("max"),
    );
    let path = format!("/api/v1/hall/cases/{number}/penalty");
    assert_eq!(
        clerk
            .post(&path, json!({"circumstance": 0, "amount_fen": max + 1}))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "above the range"
    );
    assert_eq!(
        clerk
            .post(&path, json!({"circumstance": 99, "amount_fen": min}))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no such circumstance"
    );
    let (status, penalty) = clerk
        .post(&path, json!({"circumstance": 0, "amount_fen": min}))
        .await;
    assert_eq!(status, StatusCode::OK, "{penalty}");
    assert_eq!(penalty["measure"], d["measure"]);
}
