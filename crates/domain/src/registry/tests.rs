use super::import::{parse, Birth, CellError, HeldMember, COLUMNS};
use super::*;
use jiff::civil::date;
use proptest::prelude::*;

fn standard() -> Standard {
    Standard {
        relationships: CodeList::from_json(include_str!(
            "../../../../data/registry/relationships.json"
        ))
        .expect("relationships"),
        ethnicities: CodeList::from_json(include_str!(
            "../../../../data/registry/ethnicities.json"
        ))
        .expect("ethnicities"),
    }
}

const HEADER: &str =
    "身份证号,姓名,性别,出生日期,民族,户籍地址,居住地址,社区代码,户号,与户主关系,联系电话";

/// A valid identity number for a birth date and a sequence (odd: male).
fn id(birth: &str, seq: u32) -> String {
    let first17 = format!("330106{birth}{seq:03}");
    format!(
        "{first17}{}",
        crate::ids::ResidentId::check_char(&first17).expect("check")
    )
}

fn file(rows: &[String]) -> Vec<u8> {
    let mut s = String::from(HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.into_bytes()
}

fn good_rows() -> Vec<String> {
    vec![
        format!("{},王小明,1,1990-01-01,01,杭州市西湖区文三路1号,杭州市西湖区文三路1号,330106001001,H0001,02,13800001234", id("19900101", 123)),
        format!("{},李丽,女,1992-03-04,汉族,杭州市西湖区文三路1号,杭州市西湖区文三路1号,330106001001,H0001,10,", id("19920304", 124)),
        ",阿依古丽•买买提,2,2015,维吾尔族,杭州市西湖区文三路1号,杭州市西湖区文三路1号,330106001001,H0001,20,0571-87654321".to_string(),
    ]
}

fn today() -> jiff::civil::Date {
    date(2026, 12, 4)
}

fn faults(rows: &[String]) -> Vec<(u64, String)> {
    match parse(&file(rows), &standard(), today()) {
        Ok(rows) => panic!("accepted {} rows", rows.len()),
        Err(e) => e
            .into_iter()
            .map(|CellError { line, column, .. }| (line, column))
            .collect(),
    }
}

#[test]
fn the_shipped_code_lists_hold_the_standards_codes() {
    let s = standard();
    assert_eq!(s.ethnicities.name("01"), Some("汉族"));
    assert!(s.ethnicities.len() >= 56, "the 56 ethnic groups");
    assert_eq!(s.relationships.name(HEAD_OF_HOUSEHOLD), Some("户主"));
    assert_eq!(s.relationships.name("99"), Some("非亲属"));
    assert_eq!(s.ethnicities.code_of("1"), Some("01"));
    assert_eq!(s.ethnicities.code_of("蒙古族"), Some("02"));
    assert_eq!(s.ethnicities.code_of("火星族"), None);
    assert!(CodeList::from_json(r#"{"standard":"x","codes":[{"code":"1","name":"a"}]}"#).is_err());
    assert!(CodeList::from_json(
        r#"{"standard":"x","codes":[{"code":"01","name":"a"},{"code":"01","name":"b"}]}"#
    )
    .is_err());
}

#[test]
fn a_good_file_reads_to_the_standard() {
    let rows = parse(&file(&good_rows()), &standard(), today()).expect("rows");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].line, 2);
    assert_eq!(rows[0].birth, Birth::Day(date(1990, 1, 1)));
    assert_eq!(rows[1].ethnicity, "01", "a name stands for its code");
    assert_eq!(rows[1].sex, Sex::Female);
    assert_eq!(rows[1].phone, None);
    assert_eq!(
        rows[2].name, "阿依古丽·买买提",
        "the dot as GB 18030 writes it"
    );
    assert_eq!(rows[2].birth, Birth::Year(2015), "only the year known");
    assert_eq!(rows[2].id_number, None);
    assert_eq!(rows[2].phone.as_deref(), Some("057187654321"));
    assert_eq!(rows[2].community.district(), "330106");
    assert_eq!(rows[2].community.org().as_str(), "330106-001001");

    // Columns in another order, a byte-order mark, a blank line: the same rows.
    let mut reordered = String::from("\u{feff}姓名,身份证号,性别,出生日期,民族,户籍地址,居住地址,社区代码,户号,与户主关系,联系电话\n");
    reordered.push_str(&format!(
        "王小明,{},1,1990-01-01,01,文三路1号,文三路1号,330106001001,H0001,02,\n\n",
        id("19900101", 123)
    ));
    let rows = parse(reordered.as_bytes(), &standard(), today()).expect("reordered");
    assert_eq!((rows.len(), rows[0].name.as_str()), (1, "王小明"));
}

#[test]
fn every_fault_is_named_by_its_line_and_column() {
    let mut rows = good_rows();
    rows[0] = rows[0].replace("1990-01-01", "1990-01-02");
    rows[1] = rows[1]
        .replace(",女,", ",男,")
        .replace("330106001001", "330106001000");
    rows[2] = rows[2]
        .replace("维吾尔族", "火星族")
        .replace(",2015,", ",2031,");
    assert_eq!(
        faults(&rows),
        vec![
            (2, "出生日期".to_string()),
            (3, "性别".to_string()),
            (3, "社区代码".to_string()),
            (4, "出生日期".to_string()),
            (4, "民族".to_string()),
        ]
    );
}

#[test]
fn the_header_must_be_the_standards() {
    let bad =
        "身份证号,姓名,性别,生日,民族,户籍地址,居住地址,社区代码,户号,与户主关系,联系电话,姓名\nx";
    let e = parse(bad.as_bytes(), &standard(), today()).expect_err("refused");
    let named: Vec<&str> = e.iter().map(|e| e.column.as_str()).collect();
    assert!(e.iter().all(|e| e.line == 1));
    assert!(named.contains(&"出生日期"), "missing: {named:?}");
    assert!(named.contains(&"生日"), "unknown: {named:?}");
    assert!(named.contains(&"姓名"), "twice: {named:?}");
    let gbk: &[u8] = &[0xC9, 0xED, 0xB7, 0xDD, 0xD6, 0xA4, 0xBA, 0xC5];
    let e = parse(gbk, &standard(), today()).expect_err("not UTF-8");
    assert!(e[0].message.en.contains("UTF-8"), "{e:?}");
    let e = parse(HEADER.as_bytes(), &standard(), today()).expect_err("empty");
    assert!(e[0].message.en.contains("no records"), "{e:?}");
}

#[test]
fn rows_together_make_whole_households_of_distinct_people() {
    let mut rows = good_rows();
    rows.push(rows[0].clone());
    assert_eq!(
        faults(&rows),
        vec![(5, "身份证号".to_string())],
        "the same person twice"
    );
    let mut rows = good_rows();
    rows[2] = rows[2].replace("330106001001", "330106001002");
    assert_eq!(
        faults(&rows),
        vec![(4, "社区代码".to_string())],
        "a member in another community"
    );
}

fn heads_of(rows: &[String], held: &[HeldMember], restates: &[(usize, i64)]) -> Vec<(u64, String)> {
    let parsed = parse(&file(rows), &standard(), today()).expect("a good file");
    let paired: Vec<(&import::Row, Option<i64>)> = parsed
        .iter()
        .enumerate()
        .map(|(i, r)| (r, restates.iter().find(|(j, _)| *j == i).map(|(_, id)| *id)))
        .collect();
    import::check_households(&paired, held)
        .into_iter()
        .map(|CellError { line, column, .. }| (line, column))
        .collect()
}

fn held(id: i64, relationship: &str, community: &str) -> HeldMember {
    HeldMember {
        id,
        district: "330106".into(),
        household: "H0001".into(),
        community: community.into(),
        relationship: relationship.into(),
    }
}

#[test]
fn a_household_has_one_head_with_the_members_the_registry_holds() {
    let rows = good_rows();
    let relation = "与户主关系".to_string();
    // A new household: its head is in the file.
    assert_eq!(heads_of(&rows, &[], &[]), vec![]);
    let mut two = rows.clone();
    two[1] = two[1].replace(",10,", ",02,");
    assert_eq!(heads_of(&two, &[], &[]), vec![(3, relation.clone())]);
    let headless = vec![rows[1].clone(), rows[2].clone()];
    assert_eq!(heads_of(&headless, &[], &[]), vec![(2, relation.clone())]);
    // A newborn joins a household the registry holds, without its head.
    let head = held(1, "02", "330106001001");
    let newborn = vec![rows[2].clone()];
    assert_eq!(heads_of(&newborn, std::slice::from_ref(&head), &[]), vec![]);
    // A second head beside the held one is refused, unless the file gives
    // the old head a new relationship.
    assert_eq!(
        heads_of(&rows, std::slice::from_ref(&head), &[]),
        vec![(2, relation.clone())]
    );
    let mut swap = rows.clone();
    swap[1] = swap[1].replace(",10,", ",02,");
    swap[0] = swap[0].replace(",02,", ",10,");
    assert_eq!(
        heads_of(&swap, std::slice::from_ref(&head), &[(0, 1)]),
        vec![]
    );
    // Members left behind in another community: the household moves whole.
    let elsewhere = held(9, "20", "330106001002");
    assert_eq!(
        heads_of(&rows, std::slice::from_ref(&elsewhere), &[]),
        vec![(2, "社区代码".to_string())]
    );
    assert_eq!(heads_of(&rows, &[elsewhere], &[(2, 9)]), vec![]);
    // The head of another household moves into this one: the household
    // left behind with members and no head is refused.
    let mut other_head = held(20, "02", "330106001001");
    other_head.household = "H0002".into();
    let mut other_child = held(21, "20", "330106001001");
    other_child.household = "H0002".into();
    let mover = vec![rows[1].clone()];
    assert_eq!(
        heads_of(
            &mover,
            &[head.clone(), other_head.clone(), other_child],
            &[(0, 20)]
        ),
        vec![(2, "户号".to_string())]
    );
    assert_eq!(heads_of(&mover, &[head, other_head], &[(0, 20)]), vec![]);
}

#[test]
fn names_are_kept_as_written_and_nothing_else_is_a_name() {
    assert_eq!(name(" 欧阳 娜娜 ").as_deref(), Ok("欧阳 娜娜"));
    assert_eq!(name("买买提・艾力").as_deref(), Ok("买买提·艾力"));
    assert_eq!(name("John Smith").as_deref(), Ok("John Smith"));
    for bad in [
        "",
        "·艾力",
        "艾力·",
        "艾力··买买提",
        "王1",
        "=cmd()",
        "王\u{0}",
        "a  b",
    ] {
        assert!(name(bad).is_err(), "{bad:?} is no name");
    }
    assert_eq!(phone("138 0000 1234").as_deref(), Ok("13800001234"));
    assert!(phone("12345").is_err());
    assert!(phone("2380001234").is_err());
    assert_eq!(Sex::parse("男"), Some(Sex::Male));
    assert_eq!(Sex::parse("9"), Some(Sex::Unstated));
    assert_eq!(Sex::parse("3"), None);
    assert!(DivisionCode::community("330106001000").is_err());
    assert!(DivisionCode::community("330106000001").is_err());
    assert!(DivisionCode::community("000106001001").is_err());
    assert_eq!(
        DivisionCode::community("330106001002").map(|c| c.district_org().to_string()),
        Ok("330106".to_string())
    );
    assert_eq!(
        Birth::parse("1990/01/02"),
        Some(Birth::Day(date(1990, 1, 2)))
    );
    assert_eq!(Birth::parse("19900102"), Some(Birth::Day(date(1990, 1, 2))));
    assert_eq!(Birth::parse("1990-01/02"), None);
    assert_eq!(Birth::parse("1990-02-30"), None);
}

proptest! {
    /// Any one cell of a good file spoilt is reported on its own line and
    /// column, and the file is refused as a whole.
    #[test]
    fn one_spoilt_cell_is_found_where_it_is(row in 0usize..3, column in 0usize..11, junk in "[a-z#]{0,2}\u{1}") {
        let mut rows = good_rows();
        let mut cells: Vec<String> = rows[row].split(',').map(str::to_string).collect();
        cells[column] = junk;
        rows[row] = cells.join(",");
        let found = faults(&rows);
        let line = row as u64 + 2;
        prop_assert!(found.contains(&(line, COLUMNS[column].to_string())), "{:?}", found);
        prop_assert!(found.iter().all(|(l, _)| *l == line), "{:?}", found);
    }
}

#[test]
fn the_city_amends_its_code_lists() {
    let mut s = standard();
    let add = |name: &str| CodeChange::Add { name: name.into() };
    // A new code, found by code and by name.
    s.amend(ListName::Relationships, "98", &add("寄宿学生"))
        .expect("added");
    let code = s
        .relationships
        .code_of("寄宿学生")
        .expect("found")
        .to_string();
    assert_eq!(code, "98");
    assert_eq!(s.relationships.code_of("98"), Some("98"));
    // Listed twice, by code or by name, is refused.
    assert!(s
        .amend(ListName::Relationships, &code, &add("其他"))
        .is_err());
    assert!(s.amend(ListName::Ethnicities, "90", &add("汉族")).is_err());
    // Bad codes and names.
    for bad in ["9", "099", "a1", ""] {
        assert!(
            s.amend(ListName::Ethnicities, bad, &add("某族")).is_err(),
            "{bad}"
        );
    }
    for bad in [
        "",
        "  ",
        "12",
        "名\n称",
        "一二三四五六七八九十一二三四五六七八九十一",
    ] {
        assert!(
            s.amend(ListName::Ethnicities, "90", &add(bad)).is_err(),
            "{bad:?}"
        );
    }
    // Renamed: the old name no longer reads, the new one does.
    s.amend(
        ListName::Ethnicities,
        "97",
        &CodeChange::Rename {
            name: "未识别民族".into(),
        },
    )
    .expect("renamed");
    assert_eq!(s.ethnicities.code_of("未识别民族"), Some("97"));
    assert!(s
        .amend(
            ListName::Ethnicities,
            "90",
            &CodeChange::Rename {
                name: "x族".into()
            }
        )
        .is_err());
    // Retired and restored, once each.
    s.amend(ListName::Ethnicities, "97", &CodeChange::Retire)
        .expect("retired");
    assert!(s.ethnicities.is_retired("97"));
    assert!(s
        .amend(ListName::Ethnicities, "97", &CodeChange::Retire)
        .is_err());
    s.amend(ListName::Ethnicities, "97", &CodeChange::Restore)
        .expect("restored");
    assert!(!s.ethnicities.is_retired("97"));
    assert!(s
        .amend(ListName::Ethnicities, "97", &CodeChange::Restore)
        .is_err());
    assert!(s
        .amend(ListName::Ethnicities, "90", &CodeChange::Retire)
        .is_err());
    // Every household has a head.
    assert!(s
        .amend(
            ListName::Relationships,
            HEAD_OF_HOUSEHOLD,
            &CodeChange::Retire
        )
        .is_err());
    assert_eq!(
        CodeChange::from_parts("rename", Some("x".into())),
        Some(CodeChange::Rename { name: "x".into() })
    );
    assert_eq!(CodeChange::from_parts("add", None), None);
    // A reason is text a person could have typed (PostgreSQL keeps no NUL).
    assert!(named_read::text("依据\u{0}通知", "reason").is_err());
    assert!(named_read::text("依据第3号通知\n第二条", "reason").is_ok());
    assert_eq!(ListName::parse("ethnicities"), Some(ListName::Ethnicities));
}

#[test]
fn a_retired_code_is_kept_by_those_who_hold_it_and_taken_by_no_one_else() {
    let mut s = standard();
    let rows = parse(&file(&good_rows()), &s, today()).expect("parsed");
    let held = rows[0].person();
    s.amend(ListName::Ethnicities, "01", &CodeChange::Retire)
        .expect("retired");
    // The file still parses: whether a code may be taken depends on who
    // holds it.
    let rows = parse(&file(&good_rows()), &s, today()).expect("parsed");
    let row = rows[0].person();
    assert!(import::retired_cells(&s, 2, &row, Some(&held)).is_empty());
    let fresh = import::retired_cells(&s, 2, &row, None);
    assert_eq!(fresh.len(), 1);
    assert_eq!((fresh[0].line, fresh[0].column.as_str()), (2, COLUMNS[4]));
    let mut other = held.clone();
    other.ethnicity = "02".into();
    assert_eq!(import::retired_cells(&s, 2, &row, Some(&other)).len(), 1);
    // A correction of another column keeps the retired code; a correction
    // to it is refused.
    let changes = BTreeMap::from([(COLUMNS[10].to_string(), "13800009999".to_string())]);
    assert!(import::correct(&held, &changes, &s, today()).is_ok());
    let to_retired = BTreeMap::from([(COLUMNS[4].to_string(), "01".to_string())]);
    let refused = import::correct(&other, &to_retired, &s, today()).expect_err("refused");
    assert!(
        refused.iter().any(|e| e.column == COLUMNS[4]),
        "{refused:?}"
    );
}

proptest! {
    /// Whatever the city asks, in whatever order, a refused change leaves
    /// the list as it was, and the list in force never gives one name to
    /// two codes nor loses the head of a household.
    #[test]
    fn the_lists_in_force_stay_sound(
        changes in proptest::collection::vec((0usize..2, 0u8..100, 0usize..4, 0usize..4), 0..60)
    ) {
        let names = ["甲", "乙", "汉族", "户主"];
        let mut s = standard();
        for (list, code, kind, name) in changes {
            let which = ListName::ALL[list];
            let code = format!("{code:02}");
            let change = match kind {
                0 => CodeChange::Add { name: names[name].into() },
                1 => CodeChange::Rename { name: names[name].into() },
                2 => CodeChange::Retire,
                _ => CodeChange::Restore,
            };
            let before = s.list(which).clone();
            if s.amend(which, &code, &change).is_err() {
                prop_assert_eq!(s.list(which), &before);
            }
            for l in ListName::ALL {
                let mut seen = std::collections::BTreeSet::new();
                for (code, name, _) in s.list(l).entries() {
                    prop_assert!(seen.insert(name.to_string()), "{} twice", name);
                    prop_assert_eq!(s.list(l).code_of(name), Some(code));
                }
            }
            prop_assert!(!s.relationships.is_retired(HEAD_OF_HOUSEHOLD));
            prop_assert!(s.relationships.name(HEAD_OF_HOUSEHOLD).is_some());
        }
    }
}
