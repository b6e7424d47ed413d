use super::enterprise::{self, Feed, Resolution, Source};
use super::rows::{self, Column};
use super::*;
use crate::catalog::{FieldKind, FormField};
use crate::ids::CreditCode;

fn spec(class: SharingClass, basis: &str) -> ResourceSpec {
    ResourceSpec {
        name: " 企业基础信息 ".into(),
        description: "全市企业的登记、纳税与质量信息".into(),
        fields: vec![
            FieldSpec {
                name: "credit_code".into(),
                kind: FieldType::CreditCode,
                description: "统一社会信用代码".into(),
            },
            FieldSpec {
                name: "name".into(),
                kind: FieldType::Text,
                description: String::new(),
            },
        ],
        cycle: UpdateCycle::Daily,
        class,
        basis: basis.into(),
    }
}

fn code(first17: &str) -> String {
    format!(
        "{first17}{}",
        CreditCode::check_char(first17).expect("valid body")
    )
}

#[test]
fn a_resource_is_named_has_fields_and_states_the_basis_of_its_class() {
    let ok = spec(SharingClass::Unconditional, "")
        .check()
        .expect("valid");
    assert_eq!(ok.name, "企业基础信息", "trimmed");
    assert!(spec(SharingClass::Conditional, "《条例》第十条")
        .check()
        .is_ok());
    let r = spec(SharingClass::NotShared, " ")
        .check()
        .expect_err("no basis");
    assert!(r.fields.contains_key("basis"), "{r}");
    let mut bad = spec(SharingClass::Unconditional, "");
    bad.name = String::new();
    bad.fields[1].name = "Credit Code".into();
    bad.fields.push(bad.fields[0].clone());
    let r = bad.check().expect_err("bad");
    assert!(r.fields.contains_key("name"), "{r}");
    assert!(r.fields.contains_key("fields[1].name"), "{r}");
    assert!(r.fields.contains_key("fields[2].name"), "used twice: {r}");
    let mut none = spec(SharingClass::Unconditional, "");
    none.fields.clear();
    assert!(none
        .check()
        .expect_err("no fields")
        .fields
        .contains_key("fields"));
}

#[test]
fn a_subscription_asks_for_some_of_the_resources_own_fields() {
    let fields = spec(SharingClass::Unconditional, "").fields;
    assert_eq!(
        chosen_fields(&fields, &["name".into(), "credit_code".into()]),
        Ok(vec!["credit_code".to_string(), "name".to_string()]),
        "in the resource's order"
    );
    assert!(chosen_fields(&fields, &[]).is_err());
    let r = chosen_fields(&fields, &["salary".into()]).expect_err("unknown");
    assert!(r.fields.contains_key("fields"), "{r}");
}

fn columns() -> Vec<Column> {
    vec![
        Column::new(
            "credit_code",
            "统一社会信用代码",
            FieldType::CreditCode,
            true,
        ),
        Column::new("name", "名称", FieldType::Text, true),
        Column::new("capital", "注册资本", FieldType::Number, false),
        Column::new("since", "成立日期", FieldType::Date, false),
    ]
}

#[test]
fn rows_come_as_csv_by_key_or_chinese_heading_or_as_json() {
    let a = code("91330106MA2CD0101");
    let csv = format!(
        "统一社会信用代码,名称,注册资本,成立日期\n{},杭州甲公司,\"1,000.5\",2020-01-02\n",
        a.to_lowercase()
    );
    let rows = rows::parse(csv.as_bytes(), &columns()).expect("valid");
    assert_eq!(rows[0].at, "line 2");
    assert_eq!(rows[0].values["credit_code"], a, "in capitals");
    assert_eq!(rows[0].values["capital"], "1000.5");
    let json = format!(r#"[{{"credit_code":"{a}","name":"杭州甲公司","capital":300}}]"#);
    let rows = rows::parse(json.as_bytes(), &columns()).expect("valid");
    assert_eq!(rows[0].at, "row 1");
    assert_eq!(rows[0].values["capital"], "300");
    assert!(!rows[0].values.contains_key("since"), "absent stays absent");
}

#[test]
fn every_bad_cell_is_named_by_its_line_and_column_and_no_row_is_taken() {
    let a = code("91330106MA2CD0101");
    let csv = format!(
        "credit_code,name,capital,since\n{a},甲,abc,2020-13-01\n91330106MA2CD01010,,1,\n{a},乙\n"
    );
    let errors = rows::parse(csv.as_bytes(), &columns()).expect_err("bad");
    let r = rows::refused("bad_rows", errors);
    let keys: Vec<&str> = r.fields.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "line 2 capital",
            "line 2 since",
            "line 3 credit_code",
            "line 3 name",
            "line 4"
        ],
        "{r}"
    );
    let json = r#"[{"credit_code":"x","name":"甲","salary":"1"}, 3]"#;
    let r = rows::refused(
        "bad_rows",
        rows::parse(json.as_bytes(), &columns()).expect_err("bad"),
    );
    assert!(r.fields.contains_key("row 2"), "{r}");
    assert!(rows::parse(b"[", &columns()).is_err());
    assert!(
        rows::parse(b"credit_code,name\n", &columns()).is_err(),
        "no rows"
    );
    assert!(rows::parse(&[0xff, 0xfe], &columns()).is_err(), "not UTF-8");
}

#[test]
fn a_feed_checks_what_its_rows_say_beyond_their_types() {
    let a = code("91330106MA2CD0101");
    let org = &a[8..17];
    let ok = format!("credit_code,org_code,quality_certificate\n{a},{org},ZL-2025-001\n");
    assert!(enterprise::parse_feed(Feed::Quality, ok.as_bytes()).is_ok());
    let bad = format!("credit_code,org_code\n{a},123456789\n{a},{org}\n");
    let r = rows::refused(
        "bad_feed",
        enterprise::parse_feed(Feed::Quality, bad.as_bytes()).expect_err("bad"),
    );
    assert!(r.fields.contains_key("line 2 org_code"), "{r}");
    assert!(
        r.fields.contains_key("line 3 credit_code"),
        "duplicate: {r}"
    );
    let tax = format!("credit_code,tax_status,tax_authority\n{a},欠税,西湖区税务局\n");
    let r = rows::refused(
        "bad_feed",
        enterprise::parse_feed(Feed::Tax, tax.as_bytes()).expect_err("bad"),
    );
    assert!(r.fields.contains_key("line 2 tax_status"), "{r}");
}

fn source(feed: Feed, pairs: &[(&str, &str)]) -> Source {
    Source {
        feed,
        values: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

#[test]
fn feeds_that_disagree_make_a_conflict_until_an_owner_resolves_it() {
    let a = code("91330106MA2CD0101");
    let sources = vec![
        source(
            Feed::Registration,
            &[
                ("credit_code", &a),
                ("name", "杭州甲公司"),
                ("address", "西湖区文三路1号"),
            ],
        ),
        source(
            Feed::Tax,
            &[
                ("credit_code", &a),
                ("name", "杭州甲公司"),
                ("tax_status", "正常"),
            ],
        ),
        source(
            Feed::Quality,
            &[("credit_code", &a), ("address", "西湖区文三路1号3楼")],
        ),
    ];
    let record = enterprise::assemble(&a, &sources, &[]);
    assert_eq!(record.values["name"], "杭州甲公司", "agreed");
    assert_eq!(record.values["tax_status"], "正常");
    assert_eq!(record.conflicts.len(), 1, "{record:?}");
    assert_eq!(record.conflicts[0].field, "address");
    assert_eq!(
        record.values["address"], "西湖区文三路1号",
        "the registering department's word stands until resolved"
    );
    assert_eq!(record.feeds, Feed::ALL);

    assert_eq!(
        enterprise::resolve(&sources, "name", "杭州甲公司", "x")
            .expect_err("agreed")
            .code,
        "no_conflict"
    );
    assert!(enterprise::resolve(&sources, "address", "别处", "核实").is_err());
    assert!(enterprise::resolve(&sources, "address", "西湖区文三路1号3楼", " ").is_err());
    let r = enterprise::resolve(&sources, "address", "西湖区文三路1号3楼", "现场核实")
        .expect("resolved");
    let record = enterprise::assemble(&a, &sources, std::slice::from_ref(&r));
    assert!(record.conflicts.is_empty());
    assert_eq!(record.values["address"], "西湖区文三路1号3楼");

    // A feed that brings a new value opens the question again.
    let mut moved = sources.clone();
    moved[0]
        .values
        .insert("address".into(), "滨江区江南大道2号".into());
    let record = enterprise::assemble(&a, &moved, &[r]);
    assert_eq!(record.conflicts.len(), 1);
    assert_eq!(
        enterprise::feeds_giving(&moved, "address"),
        [Feed::Registration, Feed::Quality]
    );
}

#[test]
fn an_application_form_is_prefilled_only_where_its_fields_mean_the_records() {
    let a = code("91330106MA2CD0101");
    let record = enterprise::assemble(
        &a,
        &[source(
            Feed::Registration,
            &[
                ("credit_code", &a),
                ("name", "杭州甲公司"),
                ("legal_representative", "陈甲"),
                ("address", "西湖区文三路1号"),
                ("established", "2020-01-02"),
            ],
        )],
        &[Resolution {
            field: "x".into(),
            value: String::new(),
            seen: vec![],
            reason: String::new(),
        }],
    );
    let field = |key: &str, label: &str, kind| FormField {
        key: key.into(),
        label: label.into(),
        label_en: String::new(),
        kind,
        required: true,
        choices: vec![],
    };
    let form = vec![
        field("company_name", "企业名称", FieldKind::Text),
        field("credit_code", "统一社会信用代码", FieldKind::CreditCode),
        field(
            "party_credit_code",
            "当事人统一社会信用代码",
            FieldKind::CreditCode,
        ),
        field("legal_representative", "法定代表人", FieldKind::Text),
        field("address", "单位地址", FieldKind::Textarea),
        field("established_date", "成立日期", FieldKind::Date),
        field("applicant_name", "申请人姓名", FieldKind::Text),
        field("contact_phone", "联系电话", FieldKind::Phone),
    ];
    let filled = enterprise::prefill(&form, &record);
    let keys: Vec<&str> = filled.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "address",
            "company_name",
            "credit_code",
            "established_date",
            "legal_representative"
        ]
    );
    assert_eq!(filled["credit_code"], a);
}
