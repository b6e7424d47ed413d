//! Resource sharing (资源共享): the city's catalogue of government
//! information resources (政务信息资源目录). A department registers a
//! resource with its fields, update cycle and sharing class (国发〔2016〕51号:
//! 无条件共享, 有条件共享, 不予共享); other departments subscribe to the
//! fields they need, the owner approves where the class asks it, and each
//! approved subscription reads through keys of its own, every read logged.
//!
//! Here: what a resource is and which are well formed
//! ([`ResourceSpec::check`]); the subscription's state machine
//! ([`subscription`]); rows as departments send them, checked against their
//! columns ([`rows`]); and the first shared resource, enterprise basic
//! information assembled from three departments' feeds ([`enterprise`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::refusal::{is_clean_text, FieldErrors, Refusal};
use crate::Text;

pub mod enterprise;
pub mod rows;
pub mod subscription;

/// How a resource is shared (共享类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SharingClass {
    /// 无条件共享: every department may have it; a subscription is granted at once.
    Unconditional,
    /// 有条件共享: the owner approves each subscription.
    Conditional,
    /// 不予共享: not shared, on a stated legal basis; nobody subscribes.
    NotShared,
}

impl SharingClass {
    pub const ALL: [SharingClass; 3] = [
        SharingClass::Unconditional,
        SharingClass::Conditional,
        SharingClass::NotShared,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SharingClass::Unconditional => "unconditional",
            SharingClass::Conditional => "conditional",
            SharingClass::NotShared => "not_shared",
        }
    }
    pub fn parse(s: &str) -> Option<SharingClass> {
        SharingClass::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn label(self) -> Text {
        match self {
            SharingClass::Unconditional => Text::new("无条件共享", "Shared unconditionally"),
            SharingClass::Conditional => Text::new("有条件共享", "Shared on conditions"),
            SharingClass::NotShared => Text::new("不予共享", "Not shared"),
        }
    }
}

/// How often the owner renews a resource's data (更新周期).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateCycle {
    Realtime,
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
}

impl UpdateCycle {
    pub const ALL: [UpdateCycle; 6] = [
        UpdateCycle::Realtime,
        UpdateCycle::Daily,
        UpdateCycle::Weekly,
        UpdateCycle::Monthly,
        UpdateCycle::Quarterly,
        UpdateCycle::Yearly,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateCycle::Realtime => "realtime",
            UpdateCycle::Daily => "daily",
            UpdateCycle::Weekly => "weekly",
            UpdateCycle::Monthly => "monthly",
            UpdateCycle::Quarterly => "quarterly",
            UpdateCycle::Yearly => "yearly",
        }
    }
    pub fn parse(s: &str) -> Option<UpdateCycle> {
        UpdateCycle::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn label(self) -> Text {
        let (zh, en) = match self {
            UpdateCycle::Realtime => ("实时", "Real time"),
            UpdateCycle::Daily => ("每日", "Daily"),
            UpdateCycle::Weekly => ("每周", "Weekly"),
            UpdateCycle::Monthly => ("每月", "Monthly"),
            UpdateCycle::Quarterly => ("每季", "Quarterly"),
            UpdateCycle::Yearly => ("每年", "Yearly"),
        };
        Text::new(zh, en)
    }
}

/// The type of a resource's field, which every row's value must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    /// A decimal number.
    Number,
    /// A day, `YYYY-MM-DD`.
    Date,
    /// A unified social credit code.
    CreditCode,
}

impl FieldType {
    pub const ALL: [FieldType; 4] = [
        FieldType::Text,
        FieldType::Number,
        FieldType::Date,
        FieldType::CreditCode,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::CreditCode => "credit_code",
        }
    }
    pub fn parse(s: &str) -> Option<FieldType> {
        FieldType::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn label(self) -> Text {
        let (zh, en) = match self {
            FieldType::Text => ("文本", "Text"),
            FieldType::Number => ("数值", "Number"),
            FieldType::Date => ("日期", "Date"),
            FieldType::CreditCode => ("统一社会信用代码", "Credit code"),
        };
        Text::new(zh, en)
    }
}

/// One field (信息项) of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldSpec {
    /// The key rows and subscriptions name it by: lower-case letters, digits, `_`.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// What it holds, for the people who subscribe.
    #[serde(default)]
    pub description: String,
}

/// A resource's catalogue entry (目录信息), as its owner writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResourceSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub fields: Vec<FieldSpec>,
    pub cycle: UpdateCycle,
    pub class: SharingClass,
    /// The legal basis of the class: required when not every department may
    /// have the resource (conditions to meet, or why it is not shared).
    #[serde(default)]
    pub basis: String,
}

/// The most fields a resource has.
pub const MAX_FIELDS: usize = 60;

impl ResourceSpec {
    /// The spec trimmed, or every fault in it.
    pub fn check(mut self) -> Result<ResourceSpec, Refusal> {
        let mut e = FieldErrors::default();
        self.name = self.name.trim().to_string();
        self.description = self.description.trim().to_string();
        self.basis = self.basis.trim().to_string();
        text(&mut e, "name", &self.name, 1, 100);
        text(&mut e, "description", &self.description, 0, 2000);
        text(&mut e, "basis", &self.basis, 0, 500);
        if self.class != SharingClass::Unconditional && self.basis.is_empty() {
            e.add(
                "basis",
                "有条件共享和不予共享的资源须写明依据",
                "A resource shared on conditions or not shared needs its basis",
            );
        }
        if self.fields.is_empty() || self.fields.len() > MAX_FIELDS {
            e.add(
                "fields",
                format!("信息项应有1至{MAX_FIELDS}个"),
                format!("A resource has 1 to {MAX_FIELDS} fields"),
            );
        }
        let mut seen = BTreeSet::new();
        for (i, f) in self.fields.iter_mut().enumerate() {
            f.name = f.name.trim().to_string();
            f.description = f.description.trim().to_string();
            let at = format!("fields[{i}].name");
            if !is_field_name(&f.name) {
                e.add(
                    &at,
                    "信息项名称应为1至40个小写字母、数字或下划线，以字母开头",
                    "A field's name is 1 to 40 lower-case letters, digits or underscores, starting with a letter",
                );
            } else if !seen.insert(f.name.clone()) {
                e.add(&at, "信息项名称重复", "The field's name is used twice");
            }
            text(
                &mut e,
                &format!("fields[{i}].description"),
                &f.description,
                0,
                200,
            );
        }
        e.check()?;
        Ok(self)
    }

    pub fn field_names(&self) -> Vec<String> {
        self.fields.iter().map(|f| f.name.clone()).collect()
    }
}

fn is_field_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && s.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A free text of `min..=max` characters a person typed.
fn text(e: &mut FieldErrors, field: &str, value: &str, min: usize, max: usize) {
    let n = value.chars().count();
    if n < min {
        e.add(field, "不能为空", "Must not be empty");
    } else if n > max {
        e.add(
            field,
            format!("不能超过{max}个字符"),
            format!("At most {max} characters"),
        );
    } else if !is_clean_text(value) {
        crate::refusal::control_characters(e, field);
    }
}

/// The fields a subscription asks for: a non-empty set of the resource's
/// own, in the resource's order, or the fault.
pub fn chosen_fields(resource: &[FieldSpec], asked: &[String]) -> Result<Vec<String>, Refusal> {
    let asked: BTreeSet<&str> = asked.iter().map(|s| s.trim()).collect();
    if asked.is_empty() {
        return Err(Refusal::field(
            "fields",
            "请至少选择一个信息项",
            "Choose at least one field",
        ));
    }
    if let Some(unknown) = asked
        .iter()
        .find(|a| !resource.iter().any(|f| f.name == **a))
    {
        return Err(Refusal::field(
            "fields",
            format!("该资源没有信息项“{unknown}”"),
            format!("The resource has no field \"{unknown}\""),
        ));
    }
    Ok(resource
        .iter()
        .filter(|f| asked.contains(f.name.as_str()))
        .map(|f| f.name.clone())
        .collect())
}

#[cfg(test)]
mod tests;
