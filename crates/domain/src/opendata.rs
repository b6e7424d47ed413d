//! Open data (政务数据开放) in the shape CKAN's Action API answers in:
//! packages (datasets) with their resources, searched with CKAN's
//! parameters, and a resource's rows queried as CKAN's DataStore does.
//! What the datasets hold is what the platform already publishes; here is
//! only how they are searched and queried, free of HTTP.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

/// A column of a resource's table, as CKAN's DataStore names types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub id: String,
    /// `text`, `int`, `numeric`, `bool` or `date`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// A resource: one table of a package.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    pub id: String,
    pub name: String,
    pub description: String,
    pub format: String,
    pub fields: Vec<Field>,
}

/// A package (dataset).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Package {
    pub name: String,
    pub title: String,
    pub notes: String,
    /// The publishing organisation's name (its code) and title.
    pub organization: String,
    pub organization_title: String,
    pub tags: Vec<String>,
    /// How often it changes (DCAT's accrual periodicity, e.g. `continuous`).
    pub frequency: String,
    pub resources: Vec<Resource>,
}

/// A parameter CKAN would refuse, and why: its `Validation Error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadParam {
    pub field: &'static str,
    pub message: String,
}

fn bad(field: &'static str, message: impl Into<String>) -> BadParam {
    BadParam {
        field,
        message: message.into(),
    }
}

/// `package_search`'s parameters.
#[derive(Debug, Clone, Default)]
pub struct PackageQuery {
    /// Words every match holds (in its name, title, notes or tags); empty or `*:*` for all.
    pub q: String,
    /// `field:value` clauses, all of which a match meets: `organization`,
    /// `tags`, `res_format`, `name`. A value with spaces is quoted.
    pub fq: String,
    pub rows: usize,
    pub start: usize,
    /// `name`, `title_string` or `score`, then `asc` or `desc`.
    pub sort: String,
    /// Fields to count values of: `organization`, `tags`, `res_format`.
    pub facet_fields: Vec<String>,
}

pub const MAX_ROWS: usize = 1000;
const FACETS: [&str; 3] = ["organization", "tags", "res_format"];

/// The matches' count, the page asked for, and each facet's counts.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult<'a> {
    pub count: usize,
    pub results: Vec<&'a Package>,
    pub facets: BTreeMap<String, BTreeMap<String, usize>>,
}

fn values_of<'a>(p: &'a Package, field: &str) -> Vec<&'a str> {
    match field {
        "organization" => vec![p.organization.as_str()],
        "tags" => p.tags.iter().map(String::as_str).collect(),
        "res_format" => p.resources.iter().map(|r| r.format.as_str()).collect(),
        "name" => vec![p.name.as_str()],
        _ => vec![],
    }
}

/// The clauses of an `fq`.
fn clauses(fq: &str) -> Result<Vec<(String, String)>, BadParam> {
    let mut out = Vec::new();
    let mut rest = fq.trim();
    while !rest.is_empty() {
        let (field, after) = rest
            .split_once(':')
            .ok_or_else(|| bad("fq", format!("a clause is field:value, not {rest:?}")))?;
        let field = field.trim().trim_start_matches('+');
        if !["organization", "tags", "res_format", "name"].contains(&field) {
            return Err(bad(
                "fq",
                format!("{field:?} cannot be filtered on: organization, tags, res_format or name"),
            ));
        }
        let (value, tail) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted
                    .find('"')
                    .ok_or_else(|| bad("fq", "a quoted value has no closing quote"))?;
                (&quoted[..end], &quoted[end + 1..])
            }
            None => match after.find(char::is_whitespace) {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            },
        };
        out.push((field.to_string(), value.to_string()));
        rest = tail.trim_start();
        if let Some(r) = rest.strip_prefix("AND ") {
            rest = r.trim_start();
        }
    }
    Ok(out)
}

fn holds_words(p: &Package, q: &str) -> bool {
    let q = q.trim();
    if q.is_empty() || q == "*:*" {
        return true;
    }
    let text = format!("{} {} {} {}", p.name, p.title, p.notes, p.tags.join(" ")).to_lowercase();
    q.split_whitespace()
        .all(|w| text.contains(&w.to_lowercase()))
}

/// Search `packages` as `package_search` does.
pub fn search<'a>(packages: &'a [Package], q: &PackageQuery) -> Result<SearchResult<'a>, BadParam> {
    let fq = clauses(&q.fq)?;
    for f in &q.facet_fields {
        if !FACETS.contains(&f.as_str()) {
            return Err(bad(
                "facet.field",
                format!("{f:?} has no facet: organization, tags or res_format"),
            ));
        }
    }
    let mut found: Vec<&Package> = packages
        .iter()
        .filter(|p| holds_words(p, &q.q))
        .filter(|p| {
            fq.iter()
                .all(|(f, v)| values_of(p, f).contains(&v.as_str()))
        })
        .collect();
    let sort = q.sort.trim();
    if !sort.is_empty() {
        let (field, order) = sort.split_once(' ').unwrap_or((sort, "asc"));
        let desc = match order.trim() {
            "asc" => false,
            "desc" => true,
            other => return Err(bad("sort", format!("{other:?} is neither asc nor desc"))),
        };
        match field {
            "name" => found.sort_by(|a, b| a.name.cmp(&b.name)),
            "title_string" => found.sort_by(|a, b| a.title.cmp(&b.title)),
            "score" => {}
            other => {
                return Err(bad(
                    "sort",
                    format!("{other:?} cannot be sorted on: name, title_string or score"),
                ))
            }
        }
        if desc {
            found.reverse();
        }
    }
    let mut facets = BTreeMap::new();
    for f in &q.facet_fields {
        let mut counts = BTreeMap::new();
        for p in &found {
            // A package counts once for each value it holds.
            let values: std::collections::BTreeSet<&str> = values_of(p, f).into_iter().collect();
            for v in values {
                *counts.entry(v.to_string()).or_insert(0) += 1;
            }
        }
        facets.insert(f.clone(), counts);
    }
    let count = found.len();
    // As CKAN does, more rows than the most are given as the most.
    let results = found
        .into_iter()
        .skip(q.start)
        .take(q.rows.min(MAX_ROWS))
        .collect();
    Ok(SearchResult {
        count,
        results,
        facets,
    })
}

/// `datastore_search`'s parameters.
#[derive(Debug, Clone, Default)]
pub struct RowQuery {
    /// Field → the value (or any of the values) a row must hold.
    pub filters: Map<String, Value>,
    /// Words a row must hold in some text field, or field → words in it.
    pub q: Option<Value>,
    /// The fields to return, in this order; every field when empty.
    pub fields: Vec<String>,
    pub limit: usize,
    pub offset: usize,
    /// `field [asc|desc]`, comma-separated.
    pub sort: String,
    pub include_total: bool,
}

pub const MAX_LIMIT: usize = 32_000;

/// A page of rows, with the fields returned and (if asked) the total.
#[derive(Debug, Clone, PartialEq)]
pub struct RowsResult {
    pub fields: Vec<Field>,
    pub records: Vec<Map<String, Value>>,
    pub total: Option<usize>,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn field_named<'a>(
    fields: &'a [Field],
    name: &str,
    param: &'static str,
) -> Result<&'a Field, BadParam> {
    fields
        .iter()
        .find(|f| f.id == name)
        .ok_or_else(|| bad(param, format!("field {name:?} not in the resource")))
}

/// Compare two cells for sorting: numbers as numbers, the rest as text;
/// an empty cell last.
fn cell_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        _ => text(a).cmp(&text(b)),
    }
}

/// Query a resource's rows as `datastore_search` does.
pub fn query_rows(
    fields: &[Field],
    rows: &[Map<String, Value>],
    q: &RowQuery,
) -> Result<RowsResult, BadParam> {
    for name in q.filters.keys() {
        field_named(fields, name, "filters")?;
    }
    let words: Vec<(Option<String>, String)> = match &q.q {
        None => vec![],
        Some(Value::String(s)) => s
            .split_whitespace()
            .map(|w| (None, w.to_lowercase()))
            .collect(),
        Some(Value::Object(per_field)) => {
            let mut out = Vec::new();
            for (name, v) in per_field {
                field_named(fields, name, "q")?;
                out.extend(
                    text(v)
                        .split_whitespace()
                        .map(|w| (Some(name.clone()), w.to_lowercase())),
                );
            }
            out
        }
        Some(_) => return Err(bad("q", "words, or field → words")),
    };
    let mut order = Vec::new();
    for part in q.sort.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut it = part.split_whitespace();
        let name = it.next().unwrap_or_default().trim_matches('"');
        let desc = match it.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => return Err(bad("sort", format!("{other:?} is neither asc nor desc"))),
        };
        field_named(fields, name, "sort")?;
        order.push((name.to_string(), desc));
    }
    let shown: Vec<Field> = if q.fields.is_empty() {
        fields.to_vec()
    } else {
        q.fields
            .iter()
            .map(|n| field_named(fields, n, "fields").cloned())
            .collect::<Result<_, _>>()?
    };
    let mut matched: Vec<&Map<String, Value>> = rows
        .iter()
        .filter(|row| {
            q.filters.iter().all(|(name, want)| {
                let have = text(row.get(name).unwrap_or(&Value::Null));
                match want {
                    Value::Array(any) => any.iter().any(|w| text(w) == have),
                    one => text(one) == have,
                }
            })
        })
        .filter(|row| {
            words.iter().all(|(field, w)| match field {
                Some(name) => text(row.get(name).unwrap_or(&Value::Null))
                    .to_lowercase()
                    .contains(w),
                None => row.values().any(|v| text(v).to_lowercase().contains(w)),
            })
        })
        .collect();
    if !order.is_empty() {
        matched.sort_by(|a, b| {
            for (name, desc) in &order {
                let (x, y) = (
                    a.get(name).unwrap_or(&Value::Null),
                    b.get(name).unwrap_or(&Value::Null),
                );
                let o = cell_order(x, y);
                let o = if *desc { o.reverse() } else { o };
                if o.is_ne() {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    let total = matched.len();
    let records = matched
        .into_iter()
        .skip(q.offset)
        // As CKAN does, a limit above the most is the most.
        .take(q.limit.min(MAX_LIMIT))
        .map(|row| {
            shown
                .iter()
                .map(|f| (f.id.clone(), row.get(&f.id).cloned().unwrap_or(Value::Null)))
                .collect()
        })
        .collect();
    Ok(RowsResult {
        fields: shown,
        records,
        total: q.include_total.then_some(total),
    })
}

/// A table from JSON objects as a view serializes them: nested objects
/// flattened one level (`figures.done` becomes `figures_done`), arrays
/// left out, and each column typed by the values it holds (`int` when every
/// value is a whole number, `numeric` when a number, `bool`, else `text`).
pub fn table_of(objects: impl IntoIterator<Item = Value>) -> (Vec<Field>, Vec<Map<String, Value>>) {
    let mut order: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for o in objects {
        let Value::Object(o) = o else { continue };
        let mut row = Map::new();
        for (k, v) in o {
            match v {
                Value::Object(inner) => {
                    for (k2, v2) in inner {
                        if !v2.is_array() && !v2.is_object() {
                            row.insert(format!("{k}_{k2}"), v2);
                        }
                    }
                }
                Value::Array(_) => {}
                v => {
                    row.insert(k, v);
                }
            }
        }
        for k in row.keys() {
            if !order.contains(k) {
                order.push(k.clone());
            }
        }
        rows.push(row);
    }
    let fields = order
        .into_iter()
        .map(|id| {
            let cells: Vec<&Value> = rows
                .iter()
                .filter_map(|r| r.get(&id))
                .filter(|v| !v.is_null())
                .collect();
            let kind = if cells.is_empty() {
                "text"
            } else if cells.iter().all(|v| v.is_i64() || v.is_u64()) {
                "int"
            } else if cells.iter().all(|v| v.is_number()) {
                "numeric"
            } else if cells.iter().all(|v| v.is_boolean()) {
                "bool"
            } else {
                "text"
            };
            Field { id, kind }
        })
        .collect();
    (fields, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn package(name: &str, org: &str, tags: &[&str], format: &str) -> Package {
        Package {
            name: name.into(),
            title: format!("Title of {name}"),
            notes: format!("About {name}"),
            organization: org.into(),
            organization_title: org.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            frequency: "continuous".into(),
            resources: vec![Resource {
                id: format!("{name}-r"),
                name: name.into(),
                description: String::new(),
                format: format.into(),
                fields: vec![],
            }],
        }
    }

    fn catalogue() -> Vec<Package> {
        vec![
            package("items", "330100", &["catalogue", "权力事项"], "JSON"),
            Package {
                resources: vec![
                    package("b1", "", &[], "JSON").resources[0].clone(),
                    package("b2", "", &[], "JSON").resources[0].clone(),
                ],
                ..package("board", "330100", &["hall"], "JSON")
            },
            package("hotline", "330100-U11", &["hotline", "96345"], "CSV"),
        ]
    }

    fn q() -> PackageQuery {
        PackageQuery {
            rows: 10,
            ..Default::default()
        }
    }

    #[test]
    fn packages_are_searched_filtered_sorted_paged_and_faceted() {
        let all = catalogue();
        let r = search(&all, &q()).expect("all");
        assert_eq!(r.count, 3);
        let r = search(
            &all,
            &PackageQuery {
                q: "权力事项".into(),
                ..q()
            },
        )
        .expect("q");
        assert_eq!(
            r.results
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>(),
            ["items"]
        );
        let r = search(
            &all,
            &PackageQuery {
                fq: "organization:330100".into(),
                sort: "name desc".into(),
                facet_fields: vec!["tags".into(), "res_format".into()],
                ..q()
            },
        )
        .expect("fq");
        assert_eq!(
            r.results
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>(),
            ["items", "board"]
        );
        assert_eq!(r.facets["res_format"]["JSON"], 2, "a package counts once");
        assert_eq!(r.facets["tags"]["hall"], 1);
        let r = search(
            &all,
            &PackageQuery {
                fq: "tags:\"96345\" res_format:CSV".into(),
                ..q()
            },
        )
        .expect("quoted");
        assert_eq!(r.count, 1);
        let r = search(
            &all,
            &PackageQuery {
                rows: 1,
                start: 1,
                sort: "name asc".into(),
                ..q()
            },
        )
        .expect("page");
        assert_eq!((r.count, r.results[0].name.as_str()), (3, "hotline"));
        for bad in [
            PackageQuery {
                fq: "owner:x".into(),
                ..q()
            },
            PackageQuery {
                fq: "tags".into(),
                ..q()
            },
            PackageQuery {
                fq: "tags:\"open".into(),
                ..q()
            },
            PackageQuery {
                sort: "metadata_modified sideways".into(),
                ..q()
            },
            PackageQuery {
                sort: "colour asc".into(),
                ..q()
            },
            PackageQuery {
                facet_fields: vec!["notes".into()],
                ..q()
            },
        ] {
            assert!(search(&all, &bad).is_err(), "{bad:?}");
        }
        let many = search(
            &all,
            &PackageQuery {
                rows: usize::MAX,
                ..q()
            },
        )
        .expect("capped");
        assert_eq!(
            many.results.len(),
            3,
            "more rows than the most are the most"
        );
    }

    fn table() -> (Vec<Field>, Vec<Map<String, Value>>) {
        let fields = vec![
            Field {
                id: "code".into(),
                kind: "text",
            },
            Field {
                id: "region".into(),
                kind: "text",
            },
            Field {
                id: "days".into(),
                kind: "int",
            },
        ];
        let rows = [
            ("XK-1", "330106", 20),
            ("XK-2", "330100", 5),
            ("CF-3", "330106", 9),
            ("XK-4", "330108", 12),
        ]
        .iter()
        .map(|(c, r, d)| {
            json!({"code": c, "region": r, "days": d})
                .as_object()
                .cloned()
                .expect("object")
        })
        .collect();
        (fields, rows)
    }

    fn rq() -> RowQuery {
        RowQuery {
            limit: 100,
            ..Default::default()
        }
    }

    #[test]
    fn rows_are_filtered_searched_projected_sorted_and_paged() {
        let (fields, rows) = table();
        let mut filters = Map::new();
        filters.insert("region".into(), json!(["330106", "330108"]));
        let r = query_rows(
            &fields,
            &rows,
            &RowQuery {
                filters,
                sort: "days desc".into(),
                fields: vec!["code".into(), "days".into()],
                include_total: true,
                limit: 2,
                ..rq()
            },
        )
        .expect("query");
        assert_eq!(r.total, Some(3));
        assert_eq!(
            r.records,
            vec![
                json!({"code": "XK-1", "days": 20})
                    .as_object()
                    .cloned()
                    .expect("o"),
                json!({"code": "XK-4", "days": 12})
                    .as_object()
                    .cloned()
                    .expect("o"),
            ]
        );
        assert_eq!(r.fields.len(), 2);
        let r = query_rows(
            &fields,
            &rows,
            &RowQuery {
                q: Some(json!("xk")),
                sort: "code".into(),
                ..rq()
            },
        )
        .expect("q");
        assert_eq!(r.records.len(), 3);
        assert_eq!(r.total, None);
        let r = query_rows(
            &fields,
            &rows,
            &RowQuery {
                q: Some(json!({"region": "330100"})),
                ..rq()
            },
        )
        .expect("q by field");
        assert_eq!(r.records[0]["code"], "XK-2");
        let r = query_rows(
            &fields,
            &rows,
            &RowQuery {
                sort: "days asc".into(),
                ..rq()
            },
        )
        .expect("numeric sort");
        assert_eq!(r.records[0]["days"], 5, "numbers sort as numbers");
        let mut unknown = Map::new();
        unknown.insert("colour".into(), json!("red"));
        for bad in [
            RowQuery {
                filters: unknown,
                ..rq()
            },
            RowQuery {
                fields: vec!["colour".into()],
                ..rq()
            },
            RowQuery {
                sort: "colour asc".into(),
                ..rq()
            },
            RowQuery {
                sort: "days upward".into(),
                ..rq()
            },
            RowQuery {
                q: Some(json!({"colour": "x"})),
                ..rq()
            },
            RowQuery {
                q: Some(json!(3)),
                ..rq()
            },
        ] {
            assert!(query_rows(&fields, &rows, &bad).is_err(), "{bad:?}");
        }
        let r = query_rows(
            &fields,
            &rows,
            &RowQuery {
                limit: usize::MAX,
                offset: usize::MAX,
                ..rq()
            },
        )
        .expect("capped");
        assert!(r.records.is_empty());
    }

    #[test]
    fn a_views_objects_become_a_typed_table() {
        let (fields, rows) = table_of([
            json!({"code": "a", "n": 1, "rate": 0.5, "figures": {"done": 3, "list": [1]}, "tags": ["x"], "ok": true}),
            json!({"code": "b", "n": 2, "rate": 1, "figures": {"done": 4}, "ok": null}),
        ]);
        let kinds: Vec<(&str, &str)> = fields.iter().map(|f| (f.id.as_str(), f.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("code", "text"),
                ("figures_done", "int"),
                ("n", "int"),
                ("ok", "bool"),
                ("rate", "numeric")
            ]
        );
        assert_eq!(rows[1]["figures_done"], 4);
        assert!(!rows[0].contains_key("tags"));
    }

    proptest! {
        /// Pages of any size, walked by offset, give every matching row
        /// once, in the sort's order, and the total is their number.
        #[test]
        fn pages_walk_every_row_once(
            days in proptest::collection::vec(0i64..50, 0..40),
            limit in 1usize..7,
        ) {
            let fields = vec![Field { id: "n".into(), kind: "int" }, Field { id: "days".into(), kind: "int" }];
            let rows: Vec<Map<String, Value>> = days
                .iter()
                .enumerate()
                .map(|(n, d)| json!({"n": n, "days": d}).as_object().cloned().expect("o"))
                .collect();
            let mut seen = Vec::new();
            let mut offset = 0;
            loop {
                let r = query_rows(&fields, &rows, &RowQuery { limit, offset, sort: "days, n".into(), include_total: true, ..Default::default() }).expect("page");
                prop_assert_eq!(r.total, Some(rows.len()));
                if r.records.is_empty() { break; }
                offset += r.records.len();
                seen.extend(r.records.iter().map(|row| (row["days"].as_i64().unwrap_or(-1), row["n"].as_i64().unwrap_or(-1))));
            }
            let mut want: Vec<(i64, i64)> = days.iter().enumerate().map(|(n, d)| (*d, n as i64)).collect();
            want.sort();
            prop_assert_eq!(seen, want);
        }
    }
}
