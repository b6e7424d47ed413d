//! Open311 service definitions and the answers checked against them.

use super::*;

fn attrs() -> Vec<Attribute> {
    vec![
        Attribute {
            code: "floor".into(),
            variable: true,
            datatype: Datatype::Number,
            required: false,
            datatype_description: String::new(),
            order: 1,
            description: "楼层".into(),
            description_en: String::new(),
            values: vec![],
        },
        Attribute {
            code: "kind".into(),
            variable: true,
            datatype: Datatype::Singlevaluelist,
            required: true,
            datatype_description: String::new(),
            order: 2,
            description: "类型".into(),
            description_en: String::new(),
            values: vec![
                AttributeValue {
                    key: "burst".into(),
                    name: "爆管".into(),
                    name_en: String::new(),
                },
                AttributeValue {
                    key: "leak".into(),
                    name: "渗漏".into(),
                    name_en: String::new(),
                },
            ],
        },
        Attribute {
            code: "since".into(),
            variable: true,
            datatype: Datatype::Datetime,
            required: false,
            datatype_description: String::new(),
            order: 3,
            description: "开始时间".into(),
            description_en: String::new(),
            values: vec![],
        },
    ]
}

fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        m.entry((*k).to_string())
            .or_default()
            .push((*v).to_string());
    }
    m
}

#[test]
fn open311_answers_are_checked_against_the_service_definition() {
    check_definition(&attrs()).expect("a good definition");
    let ok = check_answers(
        &attrs(),
        &given(&[
            ("kind", "burst"),
            ("floor", "3"),
            ("since", "2026-11-02T08:00:00+08:00"),
        ]),
    )
    .expect("good answers");
    assert_eq!(ok["kind"], vec!["burst"]);
    let r = check_answers(&attrs(), &given(&[("floor", "three")])).expect_err("bad answers");
    assert!(
        r.fields.contains_key("attribute[kind]"),
        "the required one is missing: {r:?}"
    );
    assert!(
        r.fields.contains_key("attribute[floor]"),
        "not a number: {r:?}"
    );
    let r = check_answers(&attrs(), &given(&[("kind", "flood")])).expect_err("not a key");
    assert!(r.fields.contains_key("attribute[kind]"));
    let r = check_answers(&attrs(), &given(&[("kind", "leak"), ("colour", "red")]))
        .expect_err("unknown");
    assert!(r.fields.contains_key("attribute[colour]"));
    let r = check_answers(&attrs(), &given(&[("kind", "leak"), ("kind", "burst")]))
        .expect_err("two values");
    assert!(r.fields.contains_key("attribute[kind]"));
    let r = check_answers(
        &attrs(),
        &given(&[("kind", "leak"), ("since", "yesterday")]),
    )
    .expect_err("no datetime");
    assert!(r.fields.contains_key("attribute[since]"));
    let mut bad = attrs();
    bad[1].values.clear();
    assert!(check_definition(&bad).is_err(), "a list with no values");
}

#[test]
fn a_question_and_its_refusal_speak_the_pages_language() {
    let mut a = attrs();
    a[1].description_en = "Kind".into();
    a[1].values[0].name_en = "Burst main".into();
    assert_eq!(a[1].question().en, "Kind");
    assert_eq!(a[1].values[0].label().en, "Burst main");
    assert_eq!(
        a[1].values[1].label().en,
        "渗漏",
        "no English: the Chinese name"
    );
    let r = check_answers(&a, &given(&[("floor", "three")])).expect_err("faults");
    assert_eq!(r.fields["attribute[kind]"].en, "Please answer: Kind");
    assert_eq!(r.fields["attribute[kind]"].zh, "请回答：类型");
    assert_eq!(r.fields["attribute[floor]"].en, "Give a number");
    let r = check_answers(&a, &given(&[("kind", "flood")])).expect_err("not a key");
    assert_eq!(
        r.fields["attribute[kind]"].en,
        "Choose one of the options given"
    );
    assert_eq!(
        TicketState::AwaitingVisit.label().en,
        "Awaiting the return visit"
    );
}
