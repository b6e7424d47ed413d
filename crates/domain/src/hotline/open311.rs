//! How Open311 GeoReport v2 sees the hotline: a category is a service, its
//! questions are the service definition's attributes, a ticket is a service
//! request whose status is open or closed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::TicketState;
use crate::refusal::{FieldErrors, Refusal, Text};

/// An attribute's datatype, as the specification names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

impl Datatype {
    pub fn as_str(self) -> &'static str {
        match self {
            Datatype::String => "string",
            Datatype::Number => "number",
            Datatype::Datetime => "datetime",
            Datatype::Text => "text",
            Datatype::Singlevaluelist => "singlevaluelist",
            Datatype::Multivaluelist => "multivaluelist",
        }
    }
    pub fn is_list(self) -> bool {
        matches!(self, Datatype::Singlevaluelist | Datatype::Multivaluelist)
    }
}

/// One question a service asks (a service definition's attribute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub code: String,
    /// False for an attribute that only informs and takes no answer.
    #[serde(default = "yes")]
    pub variable: bool,
    pub datatype: Datatype,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub datatype_description: String,
    pub order: u32,
    pub description: String,
    /// The question in English, for pages in English (the Chinese one when empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description_en: String,
    /// For the list types: key → name.
    #[serde(default)]
    pub values: Vec<AttributeValue>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
    /// The choice in English (the Chinese name when empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name_en: String,
}

impl Attribute {
    /// The question in both languages; English falls back to the Chinese
    /// question where the category gives no English one.
    pub fn question(&self) -> Text {
        Text::new(
            &self.description,
            or_else(&self.description_en, &self.description),
        )
    }
}

impl AttributeValue {
    /// The choice in both languages, as [`Attribute::question`].
    pub fn label(&self) -> Text {
        Text::new(&self.name, or_else(&self.name_en, &self.name))
    }
}

fn or_else<'a>(s: &'a str, other: &'a str) -> &'a str {
    if s.trim().is_empty() {
        other
    } else {
        s
    }
}

/// A service definition's attributes are well formed: codes unique and
/// plain, list types with values, orders unique.
pub fn check_definition(attrs: &[Attribute]) -> Result<(), Refusal> {
    let mut e = FieldErrors::default();
    let mut codes = std::collections::HashSet::new();
    let mut orders = std::collections::HashSet::new();
    for a in attrs {
        let field = format!("attributes.{}", a.code);
        if a.code.is_empty()
            || !a
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            e.add(
                &field,
                "属性代码只能由字母、数字、_ 和 - 组成",
                "An attribute code is letters, digits, _ and -",
            );
        }
        if !codes.insert(a.code.as_str()) {
            e.add(&field, "属性代码重复", "The attribute code is repeated");
        }
        if !orders.insert(a.order) {
            e.add(&field, "属性顺序重复", "The attribute order is repeated");
        }
        if a.datatype.is_list() == a.values.is_empty() {
            e.add(
                &field,
                "只有列表类型的属性有可选值，且必须有",
                "List attributes, and only they, have values",
            );
        }
        if a.description.trim().is_empty() {
            e.add(&field, "请填写属性说明", "An attribute needs its question");
        }
    }
    e.check()
}

/// The answers a request gave (`attribute[CODE]`, repeated for a
/// multivaluelist), checked against the definition: required ones present,
/// numbers numbers, datetimes ISO 8601 with a zone, list answers among the
/// keys, nothing the service does not ask. The answers kept, in code order.
pub fn check_answers(
    attrs: &[Attribute],
    given: &BTreeMap<String, Vec<String>>,
) -> Result<BTreeMap<String, Vec<String>>, Refusal> {
    let mut e = FieldErrors::default();
    let mut kept = BTreeMap::new();
    for code in given.keys() {
        if !attrs.iter().any(|a| a.variable && &a.code == code) {
            e.add(
                &format!("attribute[{code}]"),
                "该服务没有这个属性",
                format!("The service has no attribute {code}"),
            );
        }
    }
    for a in attrs.iter().filter(|a| a.variable) {
        let field = format!("attribute[{}]", a.code);
        let values: Vec<String> = given
            .get(&a.code)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if values.is_empty() {
            if a.required {
                let q = a.question();
                e.add(
                    &field,
                    format!("请回答：{}", q.zh),
                    format!("Please answer: {}", q.en),
                );
            }
            continue;
        }
        if values.len() > 1 && a.datatype != Datatype::Multivaluelist {
            e.add(&field, "只能有一个值", "Takes one value");
            continue;
        }
        for v in &values {
            let ok = match a.datatype {
                Datatype::String => v.chars().count() <= 255,
                Datatype::Text => v.chars().count() <= super::MAX_DESCRIPTION,
                Datatype::Number => v.parse::<f64>().is_ok_and(f64::is_finite),
                Datatype::Datetime => v.parse::<jiff::Timestamp>().is_ok(),
                Datatype::Singlevaluelist | Datatype::Multivaluelist => {
                    a.values.iter().any(|k| &k.key == v)
                }
            };
            if !ok {
                let (zh, en) = match a.datatype {
                    Datatype::String => ("请不要超过255个字", "At most 255 characters"),
                    Datatype::Text => ("请不要超过4000字", "At most 4,000 characters"),
                    Datatype::Number => ("请填写数字", "Give a number"),
                    Datatype::Datetime => ("请填写日期和时间", "Give a date and time"),
                    Datatype::Singlevaluelist | Datatype::Multivaluelist => {
                        ("请从给出的选项中选择", "Choose one of the options given")
                    }
                };
                e.add(&field, zh, en);
            }
        }
        kept.insert(a.code.clone(), values);
    }
    e.check()?;
    Ok(kept)
}

/// Open311's two statuses.
pub fn status(state: TicketState) -> &'static str {
    if matches!(state, TicketState::Archived) {
        "closed"
    } else {
        "open"
    }
}

/// The states a status filter means.
pub fn states_for_status(status: &str) -> Option<Vec<TicketState>> {
    match status {
        "open" => Some(
            TicketState::ALL
                .into_iter()
                .filter(|s| !matches!(s, TicketState::Archived))
                .collect(),
        ),
        "closed" => Some(vec![TicketState::Archived]),
        _ => None,
    }
}

/// Where a request is, as the public sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicPlace {
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address: Option<String>,
}

/// Where a request is, as the public may see it: a request of a category
/// about a person (care, aid, the elderly) shows no address
/// and its point rounded to three decimals (about 100 m), so that nobody
/// finds the door of the person who needs help; any other shows the point
/// and the address, scrubbed of identity and phone numbers. Whether a
/// category is about a person is a flag of its data, set by administrators.
pub fn public_place(
    personal: bool,
    lat: Option<f64>,
    long: Option<f64>,
    address: Option<&str>,
) -> PublicPlace {
    if personal {
        let coarse = |v: f64| (v * 1000.0).round() / 1000.0;
        PublicPlace {
            lat: lat.map(coarse),
            long: long.map(coarse),
            address: None,
        }
    } else {
        PublicPlace {
            lat,
            long,
            address: address.map(|a| public_text(a).into_owned()),
        }
    }
}

/// Free text a person typed, as the public may read it: identity and phone
/// numbers masked.
pub fn public_text(text: &str) -> std::borrow::Cow<'_, str> {
    crate::scrub::scrub(text)
}

#[cfg(test)]
mod public_tests {
    use super::*;

    #[test]
    fn a_personal_requests_place_is_coarse_and_has_no_address() {
        let p = public_place(true, Some(30.274_15), Some(120.155_07), Some("某路1号"));
        assert_eq!(
            p,
            PublicPlace {
                lat: Some(30.274),
                long: Some(120.155),
                address: None
            }
        );
        let p = public_place(
            false,
            Some(30.274_15),
            Some(120.155_07),
            Some("某路1号 13812345678"),
        );
        assert_eq!(p.lat, Some(30.274_15));
        assert_eq!(p.address.as_deref(), Some("某路1号 ***********"));
    }
}
