//! Enterprise basic information (企业基础信息): one record per unified
//! social credit code, assembled from three departments' feeds — the
//! registering department's (市场监管: name, legal representative, capital,
//! address, established, status), tax's (税务: tax status and authority)
//! and quality's (质监: organisation code and quality certificate). Name
//! and address come from more than one feed; where the feeds disagree the
//! record holds a conflict until an owner resolves it by picking one of the
//! values with a reason. A resolution stands while the feeds still give the
//! values it chose among; a feed that brings a new value opens it again.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::rows::{Column, Row, RowError};
use super::{FieldSpec, FieldType};
use crate::catalog::{FieldKind, FormField};
use crate::refusal::{is_clean_text, Refusal};
use crate::Text;

/// One department's feed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Feed {
    /// 市场监管: the registering department.
    Registration,
    /// 税务
    Tax,
    /// 质监
    Quality,
}

impl Feed {
    /// In the order their word stands where they disagree, unresolved.
    pub const ALL: [Feed; 3] = [Feed::Registration, Feed::Tax, Feed::Quality];
    pub fn as_str(self) -> &'static str {
        match self {
            Feed::Registration => "registration",
            Feed::Tax => "tax",
            Feed::Quality => "quality",
        }
    }
    pub fn parse(s: &str) -> Option<Feed> {
        Feed::ALL.into_iter().find(|f| f.as_str() == s)
    }
    pub fn label(self) -> Text {
        match self {
            Feed::Registration => Text::new("登记信息（市场监管）", "Registration"),
            Feed::Tax => Text::new("纳税信息（税务）", "Tax"),
            Feed::Quality => Text::new(
                "组织机构与质量信息（质监）",
                "Organisation code and quality",
            ),
        }
    }
    /// The columns of the feed's rows.
    pub fn columns(self) -> Vec<Column> {
        use FieldType::*;
        let code = Column::new("credit_code", "统一社会信用代码", CreditCode, true);
        match self {
            Feed::Registration => vec![
                code,
                Column::new("name", "企业名称", Text, true),
                Column::new("legal_representative", "法定代表人", Text, true),
                Column::new("registered_capital", "注册资本（万元）", Number, false),
                Column::new("address", "住所", Text, true),
                Column::new("established", "成立日期", Date, true),
                Column::new("status", "登记状态", Text, true).one_of(&STATUSES),
            ],
            Feed::Tax => vec![
                code,
                Column::new("name", "纳税人名称", Text, false),
                Column::new("address", "生产经营地址", Text, false),
                Column::new("tax_status", "纳税状态", Text, true).one_of(&TAX_STATUSES),
                Column::new("tax_authority", "主管税务机关", Text, true),
            ],
            Feed::Quality => vec![
                code,
                Column::new("name", "机构名称", Text, false),
                Column::new("address", "机构地址", Text, false),
                Column::new("org_code", "组织机构代码", Text, true),
                Column::new("quality_certificate", "质量证书编号", Text, false),
                Column::new("certificate_valid_until", "证书有效期至", Date, false),
            ],
        }
    }
}

/// Registration states (登记状态).
pub const STATUSES: [&str; 5] = ["存续", "在业", "吊销", "注销", "迁出"];
/// Tax states (纳税状态).
pub const TAX_STATUSES: [&str; 4] = ["正常", "非正常", "停业", "注销"];

/// The fields more than one feed gives, which may disagree.
pub const SHARED: [&str; 2] = ["name", "address"];

/// The record's fields, in order: the shared resource's fields.
pub fn fields() -> Vec<FieldSpec> {
    let f = |name: &str, kind, description: &str| FieldSpec {
        name: name.into(),
        kind,
        description: description.into(),
    };
    use FieldType::*;
    vec![
        f("credit_code", CreditCode, "统一社会信用代码"),
        f("name", Text, "企业名称"),
        f("legal_representative", Text, "法定代表人"),
        f("registered_capital", Number, "注册资本（万元）"),
        f("address", Text, "住所"),
        f("established", Date, "成立日期"),
        f("status", Text, "登记状态"),
        f("tax_status", Text, "纳税状态"),
        f("tax_authority", Text, "主管税务机关"),
        f("org_code", Text, "组织机构代码"),
        f("quality_certificate", Text, "质量证书编号"),
        f("certificate_valid_until", Date, "证书有效期至"),
    ]
}

/// A feed's rows, checked as a whole: each row's columns, then what a
/// feed's row must say beyond its types, and one row per credit code.
pub fn parse_feed(feed: Feed, bytes: &[u8]) -> Result<Vec<Row>, Vec<RowError>> {
    let (rows, mut errors) = super::rows::parse_all(bytes, &feed.columns());
    let mut seen = BTreeMap::new();
    for r in &rows {
        let code = r.values.get("credit_code").cloned().unwrap_or_default();
        if let Some(first) = seen.insert(code.clone(), r.at.clone()) {
            errors.push(RowError::new(
                &r.at,
                "credit_code",
                format!("与{first}的统一社会信用代码重复"),
                format!("The same credit code as {first}"),
            ));
        }
        if let Some(org) = r.values.get("org_code") {
            // Characters 9 to 17 of a credit code are the organisation code.
            let expected = code.get(8..17).unwrap_or_default();
            if org.replace('-', "").to_ascii_uppercase() != expected {
                errors.push(RowError::new(
                    &r.at,
                    "org_code",
                    format!("组织机构代码应为统一社会信用代码第9至17位（{expected}）"),
                    format!("The organisation code is characters 9 to 17 of the credit code ({expected})"),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// What one feed says of an enterprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub feed: Feed,
    pub values: BTreeMap<String, String>,
}

/// An owner's choice between disagreeing values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub field: String,
    pub value: String,
    /// The distinct values the feeds gave when it was made, sorted.
    pub seen: Vec<String>,
    pub reason: String,
}

/// Feeds that disagree on a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Conflict {
    pub field: String,
    /// Each feed's value.
    pub values: Vec<(Feed, String)>,
}

/// An enterprise as the feeds and resolutions make it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnterpriseRecord {
    pub credit_code: String,
    /// Every field some feed gives, resolved where the feeds disagree.
    pub values: BTreeMap<String, String>,
    /// The disagreements no resolution settles.
    pub conflicts: Vec<Conflict>,
    /// The feeds heard from.
    pub feeds: Vec<Feed>,
}

/// The distinct values the feeds give for `field`, sorted, with who gave them.
fn given<'a>(sources: &'a [Source], field: &str) -> Vec<(Feed, &'a String)> {
    let mut v: Vec<(Feed, &String)> = sources
        .iter()
        .filter_map(|s| s.values.get(field).map(|v| (s.feed, v)))
        .collect();
    v.sort_by_key(|(f, _)| *f);
    v
}

fn distinct(values: &[(Feed, &String)]) -> Vec<String> {
    values
        .iter()
        .map(|(_, v)| (*v).clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The record of `credit_code` from what its feeds say.
pub fn assemble(
    credit_code: &str,
    sources: &[Source],
    resolutions: &[Resolution],
) -> EnterpriseRecord {
    let mut values = BTreeMap::new();
    let mut conflicts = vec![];
    for f in fields() {
        let by_feed = given(sources, &f.name);
        let Some((_, first)) = by_feed.first() else {
            continue;
        };
        let options = distinct(&by_feed);
        let value = if options.len() <= 1 {
            (*first).clone()
        } else if let Some(r) = resolutions
            .iter()
            .find(|r| r.field == f.name && r.seen == options)
        {
            r.value.clone()
        } else {
            conflicts.push(Conflict {
                field: f.name.clone(),
                values: by_feed.iter().map(|(f, v)| (*f, (*v).clone())).collect(),
            });
            // Until resolved, the registering department's word stands.
            (*first).clone()
        };
        values.insert(f.name, value);
    }
    let mut feeds: Vec<Feed> = sources.iter().map(|s| s.feed).collect();
    feeds.sort();
    feeds.dedup();
    EnterpriseRecord {
        credit_code: credit_code.to_string(),
        values,
        conflicts,
        feeds,
    }
}

/// An owner's resolution of a field the feeds disagree on: one of the
/// values they give, with a reason.
pub fn resolve(
    sources: &[Source],
    field: &str,
    value: &str,
    reason: &str,
) -> Result<Resolution, Refusal> {
    let by_feed = given(sources, field);
    let options = distinct(&by_feed);
    if options.len() <= 1 {
        return Err(Refusal::conflict(
            "no_conflict",
            "各部门提供的该项信息一致，无需处理",
            "The departments agree on this field: there is nothing to resolve",
        ));
    }
    let value = value.trim();
    if !options.iter().any(|o| o == value) {
        return Err(Refusal::field(
            "value",
            "请选择某一部门提供的值",
            "Choose one of the values a department gave",
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 || !is_clean_text(reason) {
        return Err(Refusal::field(
            "reason",
            "请写明理由（不超过500个字符）",
            "Give the reason (at most 500 characters)",
        ));
    }
    Ok(Resolution {
        field: field.to_string(),
        value: value.to_string(),
        seen: options,
        reason: reason.to_string(),
    })
}

/// The feeds that give a value for `field`: their departments may resolve it.
pub fn feeds_giving(sources: &[Source], field: &str) -> Vec<Feed> {
    given(sources, field).into_iter().map(|(f, _)| f).collect()
}

/// Which record field an application form's field asks for, if any.
fn record_field(f: &FormField) -> Option<&'static str> {
    match f.key.as_str() {
        "credit_code" if f.kind == FieldKind::CreditCode => Some("credit_code"),
        "company_name" | "enterprise_name" | "unit_name" | "operator_name" | "payer_name" => {
            Some("name")
        }
        "applicant_name" if f.label == "申请单位" => Some("name"),
        "legal_representative" => Some("legal_representative"),
        "address" | "registered_address" | "company_address" => Some("address"),
        "established_date" if f.kind == FieldKind::Date => Some("established"),
        "registered_capital_wan" if f.kind == FieldKind::Number => Some("registered_capital"),
        _ => None,
    }
}

/// The values to put into an application form from the enterprise's own
/// record, by the form's field keys: only fields that mean the same.
pub fn prefill(form: &[FormField], record: &EnterpriseRecord) -> BTreeMap<String, String> {
    form.iter()
        .filter_map(|f| {
            let v = record.values.get(record_field(f)?)?;
            Some((f.key.clone(), v.clone()))
        })
        .collect()
}
