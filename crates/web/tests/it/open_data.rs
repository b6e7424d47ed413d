//! Open data: CKAN's Action API subset at `/api/3/action/`, read by plain
//! HTTP and by CKAN's own client library (PyPI's `ckanapi`), and the DCAT-AP
//! catalogue in JSON-LD and Turtle.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sunshine_testkit::shared_demo;

async fn action(path: &str) -> (StatusCode, Value) {
    let r = reqwest::get(shared_demo().url(&format!("/api/3/action/{path}")))
        .await
        .expect("request");
    let status = r.status();
    (status, r.json().await.expect("json"))
}

#[tokio::test]
async fn the_open_datasets_answer_in_ckans_envelope() {
    let (status, list) = action("package_list").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["success"], true);
    let names: Vec<&str> = list["result"]
        .as_array()
        .expect("names")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for n in [
        "sunshine-board-figures",
        "sunshine-hotline-indicators",
        "sunshine-power-items",
        "sunshine-supervision-grades",
    ] {
        assert!(names.contains(&n), "{names:?}");
    }

    let (_, shown) = action("package_show?id=sunshine-power-items").await;
    assert_eq!(shown["result"]["organization"]["name"], "330100");
    assert_eq!(shown["result"]["resources"][0]["id"], "power-items");
    assert_eq!(shown["result"]["resources"][0]["datastore_active"], true);
    assert!(shown["result"]["resources"][0]["url"]
        .as_str()
        .is_some_and(|u| u.starts_with("http://127.0.0.1:")));
    let (status, missing) = action("package_show?id=nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["success"], false);
    assert_eq!(missing["error"]["__type"], "Not Found Error");
    let (status, no_id) = action("package_show").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(no_id["error"]["__type"], "Validation Error");
    assert!(no_id["error"]["id"].is_array(), "{no_id}");

    let (_, found) = action(
        "package_search?q=hotline&fq=organization:330100&rows=5&facet.field=[\"tags\",\"organization\"]",
    )
    .await;
    assert_eq!(found["success"], true, "{found}");
    let (_, everything) =
        action("package_search?rows=2&start=1&sort=name%20asc&facet.field=res_format").await;
    assert_eq!(everything["result"]["count"], 4);
    assert_eq!(
        everything["result"]["results"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        everything["result"]["results"][0]["name"],
        "sunshine-hotline-indicators"
    );
    assert_eq!(everything["result"]["facets"]["res_format"]["JSON"], 4);
    let (status, bad) = action("package_search?sort=colour%20asc").await;
    assert_eq!(status, StatusCode::CONFLICT, "{bad}");
    assert!(bad["error"]["sort"].is_array());

    let (_, orgs) = action("organization_list?all_fields=true").await;
    assert!(orgs["result"]
        .as_array()
        .expect("orgs")
        .iter()
        .any(|o| o["name"] == "330100" && o["title"] == "杭州市人民政府"));

    let (status, unknown) = action("user_list").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{unknown}");
}

#[tokio::test]
async fn a_resources_rows_are_filtered_searched_sorted_and_paged() {
    let (status, page) = action(
        "datastore_search?resource_id=power-items&filters={\"region\":\"330106\"}&fields=code,name,region&sort=code%20desc&limit=2&include_total=true",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let r = &page["result"];
    let total = r["total"].as_u64().expect("total");
    assert!(total >= 2, "{r}");
    let records = r["records"].as_array().expect("records");
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|x| x["region"] == "330106"));
    assert!(
        records[0]["code"].as_str() >= records[1]["code"].as_str(),
        "sorted down"
    );
    assert_eq!(
        r["fields"]
            .as_array()
            .map(|f| f.iter().map(|x| x["id"].clone()).collect::<Vec<_>>()),
        Some(vec![json!("code"), json!("name"), json!("region")])
    );
    // The next page starts where the first ended.
    let (_, next) = action(
        "datastore_search?resource_id=power-items&filters={\"region\":\"330106\"}&sort=code%20desc&limit=2&offset=2",
    )
    .await;
    let next = next["result"]["records"]
        .as_array()
        .expect("records")
        .clone();
    assert_eq!(next.len() as u64, (total - 2).min(2));

    let (_, words) = action("datastore_search?resource_id=power-items&q=食品&limit=50").await;
    assert!(words["result"]["records"]
        .as_array()
        .expect("records")
        .iter()
        .all(|x| x.to_string().contains("食品")));

    for (query, field) in [
        ("resource_id=power-items&sort=colour", "sort"),
        ("resource_id=power-items&fields=colour", "fields"),
        ("resource_id=power-items&filters={\"colour\":1}", "filters"),
        ("resource_id=power-items&filters=[1]", "filters"),
        ("resource_id=power-items&limit=lots", "limit"),
        (
            "resource_id=power-items&include_total=perhaps",
            "include_total",
        ),
        ("limit=1", "resource_id"),
    ] {
        let (status, bad) = action(&format!("datastore_search?{query}")).await;
        assert_eq!(status, StatusCode::CONFLICT, "{query}: {bad}");
        assert!(bad["error"][field].is_array(), "{query}: {bad}");
    }
    // A limit above the most is the most, as CKAN has it.
    let (status, capped) =
        action("datastore_search?resource_id=power-items&limit=100000&offset=18446744073709551615")
            .await;
    assert_eq!(status, StatusCode::OK, "{capped}");
    assert_eq!(capped["result"]["records"], json!([]));
    let (status, _) = action("datastore_search?resource_id=nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    for id in [
        "board-by-department",
        "board-by-region",
        "supervision-grades",
        "hotline-by-district",
        "hotline-by-unit",
    ] {
        let (status, page) = action(&format!("datastore_search?resource_id={id}&limit=5")).await;
        assert_eq!(status, StatusCode::OK, "{id}: {page}");
        assert!(page["result"]["fields"].is_array(), "{id}");
        let text = page.to_string();
        assert!(
            !text.contains("33010619900101123X") && !text.contains("case/"),
            "no person and no case in open data: {id}"
        );
    }
}

#[tokio::test]
async fn the_catalogue_is_published_in_dcat_ap() {
    let r = reqwest::get(shared_demo().url("/catalog.jsonld"))
        .await
        .expect("jsonld");
    assert!(r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/ld+json")));
    let doc: Value = r.json().await.expect("json");
    assert_eq!(doc["@type"], "dcat:Catalog");
    let datasets = doc["dcat:dataset"].as_array().expect("datasets");
    assert_eq!(datasets.len(), 4);
    assert!(datasets.iter().all(|d| d["dcat:distribution"]
        .as_array()
        .is_some_and(|x| !x.is_empty())));
    let ttl = reqwest::get(shared_demo().url("/catalog.ttl"))
        .await
        .expect("ttl")
        .text()
        .await
        .expect("text");
    assert!(ttl.starts_with("@prefix dcat: <http://www.w3.org/ns/dcat#> ."));
    assert_eq!(ttl.matches(" a dcat:Dataset ;").count(), 4);
    assert!(ttl.contains("dcat:accessURL <"));
    // Every statement ends: each subject, and the three prefixes, closed by a dot.
    assert_eq!(
        ttl.matches(" a dcat:").count() + ttl.matches(" a foaf:").count() + 3,
        ttl.matches(" .\n").count()
    );
}

/// PyPI's `ckanapi`, in a virtual environment of its own under the target
/// directory, made on first use (as the browser tests install chromium).
fn ckanapi_python() -> std::path::PathBuf {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ckanapi-venv");
    let python = venv.join("bin/python");
    let ready = || {
        std::process::Command::new(&python)
            .args(["-c", "import ckanapi"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready() {
        let made = std::process::Command::new("python3")
            .args(["-m", "venv", &venv.display().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            made,
            "python3 -m venv (Debian's python3-venv) makes ckanapi's environment"
        );
        let installed = std::process::Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "ckanapi==4.11"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(installed && ready(), "pip installs ckanapi 4.11 from PyPI");
    }
    python
}

const CLIENT: &str = r#"
import json, sys
import ckanapi
ck = ckanapi.RemoteCKAN(sys.argv[1], user_agent="sunshine-test")
out = {}
out["list"] = ck.action.package_list()
out["show"] = ck.action.package_show(id="sunshine-supervision-grades")["title"]
s = ck.action.package_search(q="*:*", fq="tags:hotline", rows=1, start=0, sort="name asc", **{"facet.field": ["organization", "tags"]})
out["search"] = [s["count"], [r["name"] for r in s["results"]], s["facets"]["tags"]]
out["orgs"] = ck.action.organization_list()
d = ck.action.datastore_search(resource_id="power-items", filters={"region": "330106"}, q="许可", fields=["code", "region"], limit=1, offset=0, sort="code asc", include_total=True)
out["rows"] = [d["total"], d["records"]]
try:
    ck.action.package_show(id="no-such-dataset")
    out["not_found"] = False
except ckanapi.NotFound:
    out["not_found"] = True
try:
    ck.action.datastore_search(resource_id="power-items", sort="colour asc")
    out["invalid"] = None
except ckanapi.ValidationError as e:
    out["invalid"] = sorted(k for k in e.error_dict if k != "__type")
print(json.dumps(out))
"#;

#[tokio::test]
async fn ckans_own_client_reads_the_open_data() {
    let python = ckanapi_python();
    let base = shared_demo().base.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args(["-c", CLIENT, &base])
            .output()
            .expect("python runs")
    })
    .await
    .expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).expect("the client's JSON");
    assert!(
        got["list"].as_array().is_some_and(|l| l.len() == 4),
        "{got}"
    );
    assert!(
        got["show"].as_str().is_some_and(|t| t.contains("监察")),
        "{got}"
    );
    assert_eq!(got["search"][0], 1);
    assert_eq!(got["search"][1], json!(["sunshine-hotline-indicators"]));
    assert_eq!(got["search"][2]["hotline"], 1);
    assert!(got["orgs"]
        .as_array()
        .is_some_and(|o| o.contains(&json!("330100"))));
    assert!(got["rows"][0].as_u64().is_some_and(|n| n >= 1), "{got}");
    assert_eq!(got["rows"][1][0]["region"], "330106");
    assert_eq!(got["not_found"], true);
    assert_eq!(got["invalid"], json!(["sort"]));
}
