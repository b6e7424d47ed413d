//! Fuzz-style property tests of what comes from outside: identity numbers,
//! credit codes, a hall item's form answers and an Open311 request's
//! attributes. Whatever arrives is parsed or refused, never a panic, and
//! what is accepted is what the rules say.

use proptest::prelude::*;

use crate::catalog::{FieldKind, FormField};
use crate::hotline::open311::{Attribute, AttributeValue, Datatype};
use crate::ids::{CreditCode, ResidentId};

const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_is_an_identity_number_or_refused(s in "\\PC{0,24}") {
        if let Ok(id) = ResidentId::parse(&s) {
            prop_assert_eq!(id.as_str().len(), 18);
        }
    }

    #[test]
    fn a_body_with_its_check_character_is_an_identity_number_and_no_other_is(
        body in "[1-6][0-9]{5}(19[5-9][0-9]|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}",
        other in "[0-9X]",
    ) {
        let check = ResidentId::check_char(&body).expect("17 digits");
        let id = format!("{body}{check}");
        prop_assert!(ResidentId::parse(&id).is_ok(), "{}", id);
        prop_assert!(ResidentId::parse(&id.to_lowercase()).is_ok(), "lower case x");
        if !other.starts_with(check) {
            let wrong = format!("{body}{other}");
            prop_assert!(ResidentId::parse(&wrong).is_err(), "{} must be refused", wrong);
        }
    }

    #[test]
    fn any_text_is_a_credit_code_or_refused(s in "\\PC{0,24}") {
        if let Ok(c) = CreditCode::parse(&s) {
            prop_assert_eq!(c.as_str().len(), 18);
        }
    }

    #[test]
    fn a_credit_code_with_its_check_character_parses_and_one_changed_does_not(
        body in "[1-9][1-3][0-9]{6}[0-9A-HJ-NP-RTUW-Y]{9}",
        other in 0usize..31,
    ) {
        let check = CreditCode::check_char(&body).expect("17 characters");
        let code = format!("{body}{check}");
        prop_assert!(CreditCode::parse(&code).is_ok(), "{}", code);
        let other = CREDIT_ALPHABET.chars().nth(other).expect("in the alphabet");
        if other != check {
            let wrong = format!("{body}{other}");
            prop_assert!(CreditCode::parse(&wrong).is_err(), "{} must be refused", wrong);
        }
    }

    #[test]
    fn any_answers_to_a_form_are_typed_or_refused_by_field(
        answers in proptest::collection::btree_map("[a-z_]{1,8}|name|amount|born|kind|agree|phone|mail|who|firm", "\\PC{0,30}", 0..10),
    ) {
        let form = every_kind_of_field();
        match crate::hall::check_answers(&form, &answers) {
            Ok(typed) => {
                for key in typed.keys() {
                    prop_assert!(form.iter().any(|f| &f.key == key), "kept only the form's keys");
                }
            }
            Err(r) => prop_assert!(!r.fields.is_empty(), "a refusal names its fields"),
        }
    }

    #[test]
    fn any_attributes_of_an_open311_request_are_kept_or_refused(
        given in proptest::collection::btree_map("[a-z]{1,6}|scope|when|many|one|note", proptest::collection::vec("\\PC{0,20}", 0..3), 0..6),
    ) {
        let attrs = every_datatype();
        match crate::hotline::open311::check_answers(&attrs, &given) {
            Ok(kept) => {
                for code in kept.keys() {
                    prop_assert!(attrs.iter().any(|a| &a.code == code));
                }
            }
            Err(r) => prop_assert!(!r.fields.is_empty()),
        }
    }
}

fn every_kind_of_field() -> Vec<FormField> {
    let field = |key: &str, kind, required, choices: &[&str]| FormField {
        key: key.into(),
        label: key.into(),
        label_en: key.into(),
        kind,
        required,
        choices: choices.iter().map(|c| c.to_string()).collect(),
    };
    vec![
        field("name", FieldKind::Text, true, &[]),
        field("amount", FieldKind::Number, false, &[]),
        field("born", FieldKind::Date, false, &[]),
        field("kind", FieldKind::Choice, false, &["甲", "乙"]),
        field("agree", FieldKind::Bool, false, &[]),
        field("phone", FieldKind::Phone, false, &[]),
        field("mail", FieldKind::Email, false, &[]),
        field("who", FieldKind::IdNumber, false, &[]),
        field("firm", FieldKind::CreditCode, false, &[]),
    ]
}

fn every_datatype() -> Vec<Attribute> {
    let values = vec![
        AttributeValue {
            key: "a".into(),
            name: "甲".into(),
            name_en: String::new(),
        },
        AttributeValue {
            key: "b".into(),
            name: "乙".into(),
            name_en: String::new(),
        },
    ];
    let attr = |code: &str, datatype, required, order, values: Vec<AttributeValue>| Attribute {
        code: code.into(),
        variable: true,
        datatype,
        required,
        datatype_description: String::new(),
        order,
        description: code.into(),
        description_en: String::new(),
        values,
    };
    vec![
        attr("scope", Datatype::String, true, 1, vec![]),
        attr("when", Datatype::Datetime, false, 2, vec![]),
        attr("many", Datatype::Multivaluelist, false, 3, values.clone()),
        attr("one", Datatype::Singlevaluelist, false, 4, values),
        attr("note", Datatype::Text, false, 5, vec![]),
    ]
}

#[test]
fn the_tables_above_are_well_formed() {
    crate::hotline::open311::check_definition(&every_datatype()).expect("a valid definition");
}
