//! One-stop bundles (一件事一次办): one application that covers several items
//! of several departments at once (opening a restaurant: business
//! registration, the food operation licence, the fire-safety check). Which
//! items a bundle covers is configuration; each item becomes a case of its
//! own, handled in parallel by its department; the applicant fills the
//! shared form once and sees one combined result.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::FormField;
use crate::hall::{check_answers, CaseState};
use crate::ids::RegionCode;
use crate::refusal::{is_clean_text, FieldErrors, Refusal};

/// An item of a bundle, by its catalogue code and the region whose library holds it.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct BundleItem {
    pub code: String,
    #[schema(value_type = String, example = "330106")]
    pub region: RegionCode,
}

/// A bundle as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BundleSpec {
    /// A stable code, e.g. `OPEN-RESTAURANT`.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub description: String,
    /// The government that offers the bundle; its administrators configure it.
    #[schema(value_type = String, example = "330100")]
    pub region: RegionCode,
    pub items: Vec<BundleItem>,
}

/// The most items one bundle covers.
pub const MAX_BUNDLE_ITEMS: usize = 12;

impl BundleSpec {
    /// Every fault at once.
    pub fn validate(&self) -> Result<(), Refusal> {
        let mut e = FieldErrors::default();
        let code_ok = (2..=40).contains(&self.code.len())
            && self
                .code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if !code_ok {
            e.add(
                "code",
                "代码应为2至40个大写字母、数字或连字符",
                "A code has 2 to 40 capital letters, digits or hyphens",
            );
        }
        for (field, text, max, required) in [
            ("name", &self.name, 100, true),
            ("name_en", &self.name_en, 200, false),
            ("description", &self.description, 2000, false),
        ] {
            let n = text.trim().chars().count();
            if (required && n == 0) || n > max || !is_clean_text(text) {
                e.add(
                    field,
                    format!(
                        "应为{}至{max}个字符，且不能包含控制字符",
                        u8::from(required)
                    ),
                    format!(
                        "{} to {max} characters, no control characters",
                        u8::from(required)
                    ),
                );
            }
        }
        let distinct: BTreeSet<&BundleItem> = self.items.iter().collect();
        if self.items.len() < 2 || self.items.len() > MAX_BUNDLE_ITEMS {
            e.add(
                "items",
                format!("一件事应包含2至{MAX_BUNDLE_ITEMS}个事项"),
                format!("A bundle covers 2 to {MAX_BUNDLE_ITEMS} items"),
            );
        } else if distinct.len() != self.items.len() {
            e.add("items", "事项不能重复", "An item is listed twice");
        }
        e.check()
    }
}

/// 一件事申请编号: `YJS-2026-330100-000001`, numbered per region and year
/// apart from cases.
pub fn bundle_number(year: i16, region: &RegionCode, seq: u32) -> String {
    format!("YJS-{year}-{region}-{seq:06}")
}

/// The key under which a region's bundle applications are numbered.
pub fn bundle_sequence_key(region: &RegionCode) -> String {
    format!("YJS-{region}")
}

/// The fields of every item's form at once: each item takes the answers its
/// form asks for, a field shared by several items is filled once, and an
/// answer no item asks for is refused. Typed answers per item, in order.
pub fn check_bundle_answers(
    forms: &[&[FormField]],
    answers: &BTreeMap<String, String>,
) -> Result<Vec<BTreeMap<String, Value>>, Refusal> {
    let mut e = FieldErrors::default();
    for key in answers.keys() {
        if !forms
            .iter()
            .any(|f| f.iter().any(|field| &field.key == key))
        {
            e.add(key, "表单中没有此项", "The form has no such field");
        }
    }
    let mut typed = Vec::with_capacity(forms.len());
    for form in forms {
        let own: BTreeMap<String, String> = answers
            .iter()
            .filter(|(k, _)| form.iter().any(|f| &f.key == *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        match check_answers(form, &own) {
            Ok(t) => typed.push(t),
            Err(r) => e.absorb(r),
        }
    }
    e.check()?;
    Ok(typed)
}

/// A configured bundle.
#[derive(Debug, Clone)]
pub struct ConfiguredBundle {
    pub spec: BundleSpec,
    pub active: bool,
    pub updated_at: i64,
}

/// An application for a bundle; its parts are cases with its number.
#[derive(Debug, Clone)]
pub struct OneStopApplication {
    pub number: String,
    pub query_code: String,
    pub bundle_code: String,
    pub applicant_user: Option<i64>,
    pub applicant_public: String,
    pub channel: String,
    pub submitted_at: i64,
}

/// What the applicant of a bundle sees as its one result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BundleOutcome {
    /// Some part is still being handled.
    InProgress,
    /// Every part was granted.
    Approved,
    /// Some parts were granted and others refused, not accepted or withdrawn.
    PartlyApproved,
    /// No part was granted.
    Refused,
    /// The applicant withdrew every part.
    Withdrawn,
}

impl BundleOutcome {
    pub fn name(self) -> &'static str {
        match self {
            BundleOutcome::InProgress => "in_progress",
            BundleOutcome::Approved => "approved",
            BundleOutcome::PartlyApproved => "partly_approved",
            BundleOutcome::Refused => "refused",
            BundleOutcome::Withdrawn => "withdrawn",
        }
    }
}

/// The combined result of a bundle's cases.
pub fn bundle_outcome(states: &[CaseState]) -> BundleOutcome {
    let granted = |s: &CaseState| matches!(s, CaseState::Approved | CaseState::Delivered);
    let settled = |s: &CaseState| s.is_final() || s.is_decided();
    if states.is_empty() || !states.iter().all(settled) {
        BundleOutcome::InProgress
    } else if states.iter().all(|s| *s == CaseState::Withdrawn) {
        BundleOutcome::Withdrawn
    } else if states.iter().all(granted) {
        BundleOutcome::Approved
    } else if states.iter().any(granted) {
        BundleOutcome::PartlyApproved
    } else {
        BundleOutcome::Refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::FieldKind;

    fn field(key: &str, kind: FieldKind, required: bool) -> FormField {
        FormField {
            key: key.into(),
            label: key.into(),
            label_en: key.into(),
            kind,
            required,
            choices: vec![],
        }
    }

    fn spec(items: &[(&str, &str)]) -> BundleSpec {
        BundleSpec {
            code: "OPEN-RESTAURANT".into(),
            name: "开办餐饮店".into(),
            name_en: "Opening a restaurant".into(),
            description: String::new(),
            region: RegionCode::parse("330100").expect("region"),
            items: items
                .iter()
                .map(|(c, r)| BundleItem {
                    code: c.to_string(),
                    region: RegionCode::parse(r).expect("region"),
                })
                .collect(),
        }
    }

    #[test]
    fn a_bundle_covers_two_to_twelve_distinct_items_under_a_clean_code() {
        let ok = spec(&[("XK-00101-000", "330100"), ("XK-00301-000", "330106")]);
        assert_eq!(ok.validate(), Ok(()));
        let one = spec(&[("XK-00101-000", "330100")]);
        assert!(one.validate().unwrap_err().fields.contains_key("items"));
        let twice = spec(&[("XK-00101-000", "330100"), ("XK-00101-000", "330100")]);
        assert!(twice.validate().unwrap_err().fields.contains_key("items"));
        // The same code in two regions is two items.
        let two_regions = spec(&[("XK-00301-000", "330102"), ("XK-00301-000", "330106")]);
        assert_eq!(two_regions.validate(), Ok(()));
        let mut bad = ok.clone();
        bad.code = "open restaurant".into();
        bad.name = " ".into();
        let r = bad.validate().unwrap_err();
        assert_eq!(r.fields.keys().collect::<Vec<_>>(), vec!["code", "name"]);
    }

    #[test]
    fn a_shared_field_is_filled_once_and_each_item_takes_its_own() {
        let licence = [
            field("name", FieldKind::Text, true),
            field("area", FieldKind::Number, true),
        ];
        let registration = [
            field("name", FieldKind::Text, true),
            field("capital", FieldKind::Number, false),
        ];
        let forms: [&[FormField]; 2] = [&licence, &registration];
        let answers: BTreeMap<String, String> = [("name", "西湖小馆"), ("area", "80")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let typed = check_bundle_answers(&forms, &answers).expect("valid");
        assert_eq!(typed[0]["area"], serde_json::json!(80.0));
        assert_eq!(typed[1]["name"], "西湖小馆");
        assert!(!typed[1].contains_key("area"), "not this item's field");

        let mut wrong = answers.clone();
        wrong.insert("area".into(), "many".into());
        wrong.insert("colour".into(), "red".into());
        wrong.remove("name");
        let r = check_bundle_answers(&forms, &wrong).unwrap_err();
        assert_eq!(
            r.fields.keys().collect::<Vec<_>>(),
            vec!["area", "colour", "name"],
            "every fault of every item at once"
        );
    }

    #[test]
    fn the_combined_result_follows_every_part() {
        use BundleOutcome as O;
        use CaseState as S;
        let step = S::InProcess { step: 0 };
        for (states, expected) in [
            (vec![], O::InProgress),
            (vec![S::Approved, step], O::InProgress),
            (vec![S::Approved, S::CorrectionRequested], O::InProgress),
            (vec![S::Approved, S::Delivered], O::Approved),
            (vec![S::Delivered, S::Refused], O::PartlyApproved),
            (vec![S::Delivered, S::Withdrawn], O::PartlyApproved),
            (vec![S::Refused, S::NotAccepted], O::Refused),
            (vec![S::Refused, S::Withdrawn], O::Refused),
            (vec![S::Withdrawn, S::Withdrawn], O::Withdrawn),
        ] {
            assert_eq!(bundle_outcome(&states), expected, "{states:?}");
        }
    }
}
