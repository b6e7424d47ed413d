//! The OpenAPI document describes every API route that is served.

use reqwest::StatusCode;
use sunshine_testkit::shared_demo;

/// Every operation the API offers. A route added without documentation, or
/// documented without being served, fails here.
const OPERATIONS: &[(&str, &str)] = &[
    ("get", "/api/v1/backup-centre/systems"),
    ("post", "/api/v1/backup-centre/systems"),
    ("get", "/api/v1/backup-centre/systems/{id}"),
    ("post", "/api/v1/backup-centre/systems/{id}/keys"),
    ("post", "/api/v1/backup-centre/keys/{id}/revocation"),
    ("post", "/api/v1/backup-centre/verification"),
    ("post", "/api/v1/backup-centre/systems/{id}/uploads"),
    ("get", "/api/v1/backup-centre/uploads/{id}"),
    ("put", "/api/v1/backup-centre/uploads/{id}"),
    ("post", "/api/v1/backup-centre/uploads/{id}/finish"),
    ("get", "/api/v1/catalog/items"),
    ("get", "/api/v1/catalog/items/{item_id}"),
    ("post", "/api/v1/catalog/drafts"),
    ("get", "/api/v1/catalog/versions"),
    ("get", "/api/v1/catalog/versions/{version_id}"),
    ("put", "/api/v1/catalog/versions/{version_id}"),
    ("post", "/api/v1/catalog/versions/{version_id}/declare"),
    ("post", "/api/v1/catalog/versions/{version_id}/review"),
    ("post", "/api/v1/catalog/versions/{version_id}/approve"),
    ("post", "/api/v1/catalog/versions/{version_id}/publish"),
    ("post", "/api/v1/catalog/versions/{version_id}/return"),
    ("post", "/api/v1/catalog/items/{item_id}/versions"),
    ("get", "/api/v1/catalog/items/{item_id}/history"),
    ("get", "/api/v1/catalog/panorama"),
    ("get", "/api/v1/catalog/export"),
    ("post", "/api/v1/catalog/import"),
    ("post", "/api/v1/hall/applications"),
    ("post", "/api/v1/hall/counter-applications"),
    ("get", "/api/v1/hall/cases/{number}"),
    ("post", "/api/v1/hall/cases/{number}/commands"),
    ("get", "/api/v1/hall/my-cases"),
    ("get", "/api/v1/hall/track"),
    ("post", "/api/v1/hall/cases/{number}/rating"),
    ("post", "/api/v1/hall/cases/{number}/fees"),
    ("post", "/api/v1/hall/cases/{number}/penalty"),
    ("get", "/api/v1/hall/bundles"),
    ("get", "/api/v1/hall/bundles/{code}"),
    ("put", "/api/v1/hall/bundles/{code}"),
    ("post", "/api/v1/hall/bundles/{code}/applications"),
    ("get", "/api/v1/hall/bundle-applications/track"),
    ("get", "/api/v1/hall/bundle-applications/{number}"),
    ("get", "/api/v1/hall/my-bundle-applications"),
    ("post", "/api/v1/hall/applications/multipart"),
    ("post", "/api/v1/hall/cases/{number}/materials"),
    ("get", "/api/v1/hall/cases/{number}/materials"),
    ("get", "/api/v1/hall/cases/{number}/materials/{sha256}"),
    ("get", "/api/v1/licences/{number}"),
    ("post", "/api/v1/licences/verify"),
    ("post", "/api/v1/licences/{number}/revoke"),
    ("get", "/api/v1/keys"),
    ("get", "/api/v1/disclosure/cases"),
    ("get", "/api/v1/disclosure/stats"),
    ("get", "/api/v1/disclosure/stream"),
    ("post", "/api/v1/auth/tokens"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/staff"),
    ("post", "/api/v1/staff/{login}/grants"),
    ("post", "/api/v1/staff/{login}/posts"),
    ("post", "/api/v1/citizens"),
    ("post", "/api/v1/enterprises"),
    ("get", "/api/v1/organisations"),
    ("post", "/api/v1/organisations"),
    ("put", "/api/v1/organisations/{code}"),
    ("post", "/api/v1/registry/imports"),
    ("get", "/api/v1/registry/communities/{community}/households"),
    ("get", "/api/v1/registry/households/{district}/{number}"),
    ("post", "/api/v1/registry/lookups"),
    ("post", "/api/v1/registry/persons/{id}/corrections"),
    ("get", "/api/v1/registry/corrections"),
    ("post", "/api/v1/registry/corrections/{id}/decision"),
    ("get", "/api/v1/registry/statistics"),
    ("get", "/api/v1/registry/pairs"),
    ("post", "/api/v1/registry/pairs/{id}/decision"),
    ("get", "/api/v1/me/registry"),
    ("post", "/api/v1/me/registry/corrections"),
    ("get", "/api/v1/care/rules"),
    ("get", "/api/v1/care/providers"),
    ("post", "/api/v1/care/providers"),
    ("post", "/api/v1/care/recipients"),
    ("get", "/api/v1/care/communities/{community}/recipients"),
    ("get", "/api/v1/care/communities/{community}/allowances"),
    ("get", "/api/v1/care/orders"),
    ("post", "/api/v1/care/orders"),
    ("get", "/api/v1/care/orders/{number}"),
    ("post", "/api/v1/care/orders/{number}/{command}"),
    ("get", "/api/v1/me/care"),
    ("get", "/api/v1/me/volunteer"),
    ("post", "/api/v1/me/volunteer"),
    ("post", "/api/v1/me/volunteer/hours"),
    ("post", "/api/v1/care/activities"),
    ("get", "/api/v1/care/communities/{community}/hours"),
    ("post", "/api/v1/care/hours/{id}/decision"),
    ("post", "/api/v1/care/aid"),
    ("get", "/api/v1/care/communities/{community}/aid"),
    ("post", "/api/v1/care/aid/{id}/reviews"),
    ("post", "/api/v1/care/aid/{id}/payments"),
    ("get", "/api/v1/sharing/resources"),
    ("post", "/api/v1/sharing/resources"),
    ("get", "/api/v1/sharing/resources/{id}"),
    ("put", "/api/v1/sharing/resources/{id}"),
    ("post", "/api/v1/sharing/resources/{id}/rows"),
    ("post", "/api/v1/sharing/resources/{id}/subscriptions"),
    ("get", "/api/v1/sharing/subscriptions"),
    ("get", "/api/v1/sharing/subscriptions/{id}"),
    ("post", "/api/v1/sharing/subscriptions/{id}/commands"),
    ("post", "/api/v1/sharing/subscriptions/{id}/keys"),
    ("post", "/api/v1/sharing/keys/{id}/revocation"),
    ("get", "/api/v1/sharing/subscriptions/{id}/reads"),
    ("get", "/api/v1/sharing/data/{id}"),
    ("put", "/api/v1/sharing/enterprise-setup"),
    ("post", "/api/v1/sharing/enterprise-feeds/{feed}"),
    ("get", "/api/v1/sharing/enterprise-conflicts"),
    ("get", "/api/v1/sharing/enterprises/{credit_code}"),
    (
        "post",
        "/api/v1/sharing/enterprises/{credit_code}/resolutions",
    ),
    ("get", "/api/v1/me/prefill/{item_id}"),
    ("get", "/api/v1/journal"),
    ("get", "/api/v1/journal/verify"),
    ("get", "/api/v1/supervision/signals"),
    ("get", "/api/v1/supervision/signals/{id}"),
    ("post", "/api/v1/supervision/signals/{id}/commands"),
    ("get", "/api/v1/supervision/rules"),
    ("put", "/api/v1/supervision/rules"),
    ("get", "/api/v1/supervision/board"),
    ("get", "/api/v1/clock"),
    ("post", "/api/v1/clock"),
    ("get", "/api/v1/supervision/evaluation"),
    ("post", "/api/v1/supervision/complaints"),
    ("get", "/api/v1/supervision/complaints"),
    ("post", "/api/v1/supervision/complaints/{id}/commands"),
    ("post", "/api/v1/hotline/requests"),
    ("post", "/api/v1/hotline/requests/claim"),
    ("get", "/api/v1/hotline/requests/{id}"),
    ("post", "/api/v1/hotline/requests/{id}/commands"),
    ("post", "/api/v1/hotline/requests/{id}/merge"),
    ("get", "/api/v1/hotline/inbox"),
    ("get", "/api/v1/hotline/queue"),
    ("get", "/api/v1/hotline/mine"),
    ("get", "/api/v1/hotline/categories"),
    ("put", "/api/v1/hotline/categories/{code}"),
    ("get", "/api/v1/hotline/dispatch"),
    ("put", "/api/v1/hotline/categories/{code}/dispatch/{region}"),
    ("post", "/api/v1/hotline/keys"),
    ("get", "/api/v1/hotline/keys"),
    ("delete", "/api/v1/hotline/keys/{id}"),
    ("get", "/api/v1/hotline/indicators"),
    ("get", "/api/v1/hotline/knowledge"),
    ("post", "/api/v1/hotline/knowledge"),
    ("get", "/api/v1/hotline/knowledge/{id}"),
    ("put", "/api/v1/hotline/knowledge/{id}"),
    ("get", "/api/v1/hotline/nearby"),
    ("get", "/api/v1/hotline/assist"),
    ("post", "/api/v1/cards"),
    ("post", "/api/v1/hall/entitlement-checks"),
    ("get", "/api/v1/cards"),
    ("get", "/api/v1/cards/mine"),
    ("get", "/api/v1/cards/{number}"),
    ("post", "/api/v1/cards/{number}/commands"),
    ("post", "/api/v1/cards/{number}/top-ups"),
    ("post", "/api/v1/card/parties"),
    ("post", "/api/v1/card/medical-credits"),
    ("get", "/api/v1/card/parties"),
    ("post", "/api/v1/card/terminals"),
    ("get", "/api/v1/card/terminals"),
    ("put", "/api/v1/card/terminals/{code}/key"),
    ("post", "/api/v1/card/terminals/{code}/retirement"),
    ("post", "/api/v1/card/terminals/{code}/taps"),
    ("get", "/api/v1/card/terminals/{code}/deny-list"),
    ("get", "/api/v1/card/clearing"),
    ("post", "/api/v1/card/settlements"),
    ("post", "/api/v1/cards/{number}/entitlements"),
    ("post", "/api/v1/cards/{number}/entitlements/{kind}/revoke"),
    ("post", "/api/v1/card/terminals/{code}/checks"),
    ("post", "/api/v1/card/terminals/{code}/medical"),
    ("post", "/api/v1/cards/{number}/bike-deposit"),
    ("post", "/api/v1/cards/{number}/passes"),
    ("post", "/api/v1/binding-codes"),
    ("post", "/api/v1/me/binding"),
    ("put", "/api/v1/cards/{number}/pin"),
    ("put", "/api/v1/platform/centres/{service}"),
    ("get", "/api/v1/auth/tokens"),
    ("delete", "/api/v1/auth/tokens/{id}"),
    ("get", "/api/v1/auth/sessions"),
    ("delete", "/api/v1/auth/sessions"),
    ("delete", "/api/v1/auth/sessions/{id}"),
    ("post", "/api/v1/staff/{login}/disable"),
    ("post", "/api/v1/staff/{login}/enable"),
    ("get", "/api/v1/me/reads"),
    ("post", "/api/v1/registry/named-reads"),
    ("get", "/api/v1/registry/named-reads"),
    ("get", "/api/v1/registry/named-reads/{id}"),
    ("post", "/api/v1/registry/named-reads/{id}/decision"),
    ("post", "/api/v1/registry/named-reads/{id}/withdrawal"),
    ("get", "/api/v1/registry/named-reads/{id}/person"),
    (
        "post",
        "/api/v1/care/communities/{community}/allowances/payments",
    ),
    ("post", "/api/v1/me/tv-pairings"),
    ("get", "/api/v1/me/tv-pairings"),
    ("post", "/api/v1/me/tv-pairings/{id}/unpair"),
    ("post", "/api/v1/card/medical-credits/rolls"),
    ("get", "/api/v1/registry/standard"),
    ("post", "/api/v1/registry/standard/changes"),
    ("post", "/api/v1/me/tv-pairings/preview"),
    ("get", "/api/v1/card/payouts"),
    ("get", "/api/v1/exchange/key"),
    ("get", "/api/v1/exchange"),
    ("get", "/api/v1/exchange/messages"),
    ("post", "/api/v1/exchange/peers"),
    ("get", "/api/v1/exchange/district-cases"),
    ("get", "/api/v1/exchange/district-aggregates"),
];

#[tokio::test]
async fn the_document_is_openapi_3_1_and_lists_exactly_the_served_operations() {
    let resp = reqwest::get(shared_demo().url("/api/v1/openapi.json"))
        .await
        .expect("fetch");
    assert_eq!(resp.status(), StatusCode::OK);
    let doc: serde_json::Value = resp.json().await.expect("json");
    assert!(
        doc["openapi"].as_str().unwrap_or("").starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    // A terminal's operations name the signature headers it must send.
    let upload = &doc["paths"]["/api/v1/card/terminals/{code}/taps"]["post"]["parameters"];
    for header in ["X-Timestamp", "X-Signature"] {
        assert!(
            upload
                .as_array()
                .expect("parameters")
                .iter()
                .any(|p| p["name"] == header && p["in"] == "header" && p["required"] == true),
            "{header}: {upload}"
        );
    }
    let mut documented = vec![];
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            documented.push((method.clone(), path.clone()));
        }
    }
    documented.sort();
    let mut expected: Vec<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    expected.sort();
    assert_eq!(documented, expected);
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let client = reqwest::Client::new();
    for (method, path) in OPERATIONS {
        let url = shared_demo().url(
            &path
                .replace("{item_id}", "1")
                .replace("{version_id}", "1")
                .replace("{login}", "admin")
                .replace("{number}", "2026-330100-000001")
                .replace("{id}", "1")
                .replace("{code}", "water.outage")
                .replace("{region}", "330106")
                .replace("{service}", "card"),
        );
        let req = match *method {
            "get" => client.get(&url),
            "post" => client.post(&url),
            "put" => client.put(&url),
            "delete" => client.delete(&url),
            other => panic!("unexpected method {other}"),
        };
        let resp = req.send().await.expect("sent");
        let status = resp.status();
        let streaming = resp
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        // A live stream never ends: its headers are the answer.
        let body: serde_json::Value = if streaming {
            serde_json::Value::Null
        } else {
            resp.json().await.unwrap_or_default()
        };
        // A missing route answers 404 with code not_found; anything else means the route is there.
        let unrouted = status == StatusCode::NOT_FOUND
            && body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("接口");
        assert!(!unrouted, "{method} {path} is documented but not served");
        assert!(
            status != StatusCode::INTERNAL_SERVER_ERROR && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {status}"
        );
    }
}

/// The fields whose integers can pass 2⁵³ − 1 (the card ledger's ids): a
/// client reading JSON numbers as doubles would round them, so the
/// document says they are decimal strings. Schema and property.
const DECIMAL_STRINGS: &[(&str, &str)] = &[
    ("TransferView", "id"),
    ("TransferView", "debit_account_id"),
    ("TransferView", "credit_account_id"),
    ("TopUp", "id"),
    ("TapRecord", "transfer"),
    ("TapInput", "refund_of"),
    ("Settlement", "transfer"),
    ("Pass", "transfer"),
];

#[tokio::test]
async fn ids_that_can_pass_two_to_the_53_are_documented_as_decimal_strings() {
    let doc: serde_json::Value = reqwest::get(shared_demo().url("/api/v1/openapi.json"))
        .await
        .expect("fetch")
        .json()
        .await
        .expect("json");
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in DECIMAL_STRINGS {
        let p = &schemas[schema]["properties"][field];
        // `"string"`, or `["string", "null"]` for an optional one.
        let types: Vec<&str> = match &p["type"] {
            serde_json::Value::String(t) => vec![t.as_str()],
            serde_json::Value::Array(ts) => ts.iter().filter_map(|t| t.as_str()).collect(),
            _ => vec![],
        };
        assert!(
            types.contains(&"string") && !types.contains(&"integer"),
            "{schema}.{field} is a string: {p}"
        );
        let pattern = p["pattern"].as_str().unwrap_or("");
        let example = p["example"]
            .as_str()
            .or_else(|| p["examples"][0].as_str())
            .unwrap_or("");
        assert!(
            !pattern.is_empty()
                && regex::Regex::new(pattern)
                    .expect("a pattern")
                    .is_match(example)
                && example.parse::<u64>().is_ok_and(|n| n > (1 << 53) - 1),
            "{schema}.{field}: a pattern and an example past 2⁵³: {p}"
        );
        assert!(
            p["description"]
                .as_str()
                .is_some_and(|d| d.contains("decimal string")),
            "{schema}.{field} says why: {p}"
        );
    }
}
