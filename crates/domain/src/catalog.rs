//! The power-item catalogue (权力事项库): what an item is, what makes one
//! valid, and the solidification workflow 编制→申报→审核→批准→入库.

use std::collections::BTreeSet;
use std::fmt;

mod workflow;
pub use workflow::{
    event_name, may_edit, may_open_new_version, next_state, VersionState, WorkflowStep,
};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::ids::{OrgCode, RegionCode};
use crate::refusal::Text;
use crate::refusal::{control_characters, is_clean_text, FieldErrors, Refusal};

/// The kinds of administrative power, plus public service.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    /// 行政许可
    Licensing,
    /// 行政处罚
    Penalty,
    /// 行政强制
    Coercion,
    /// 行政征收
    Levy,
    /// 行政给付
    Benefit,
    /// 行政检查
    Inspection,
    /// 行政确认
    Confirmation,
    /// 行政奖励
    Reward,
    /// 行政裁决
    Adjudication,
    /// 其他行政权力
    Other,
    /// 公共服务
    PublicService,
}

impl ItemType {
    pub const ALL: [ItemType; 11] = [
        ItemType::Licensing,
        ItemType::Penalty,
        ItemType::Coercion,
        ItemType::Levy,
        ItemType::Benefit,
        ItemType::Inspection,
        ItemType::Confirmation,
        ItemType::Reward,
        ItemType::Adjudication,
        ItemType::Other,
        ItemType::PublicService,
    ];

    /// The letters that start an item code of this type.
    pub fn prefix(self) -> &'static str {
        match self {
            ItemType::Licensing => "XK",
            ItemType::Penalty => "CF",
            ItemType::Coercion => "QZ",
            ItemType::Levy => "ZS",
            ItemType::Benefit => "JF",
            ItemType::Inspection => "JC",
            ItemType::Confirmation => "QR",
            ItemType::Reward => "JL",
            ItemType::Adjudication => "CJ",
            ItemType::Other => "QT",
            ItemType::PublicService => "GG",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            ItemType::Licensing => "行政许可",
            ItemType::Penalty => "行政处罚",
            ItemType::Coercion => "行政强制",
            ItemType::Levy => "行政征收",
            ItemType::Benefit => "行政给付",
            ItemType::Inspection => "行政检查",
            ItemType::Confirmation => "行政确认",
            ItemType::Reward => "行政奖励",
            ItemType::Adjudication => "行政裁决",
            ItemType::Other => "其他行政权力",
            ItemType::PublicService => "公共服务",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            ItemType::Licensing => "Licensing",
            ItemType::Penalty => "Penalty",
            ItemType::Coercion => "Coercion",
            ItemType::Levy => "Levy",
            ItemType::Benefit => "Benefit",
            ItemType::Inspection => "Inspection",
            ItemType::Confirmation => "Confirmation",
            ItemType::Reward => "Reward",
            ItemType::Adjudication => "Adjudication",
            ItemType::Other => "Other power",
            ItemType::PublicService => "Public service",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::Licensing => "licensing",
            ItemType::Penalty => "penalty",
            ItemType::Coercion => "coercion",
            ItemType::Levy => "levy",
            ItemType::Benefit => "benefit",
            ItemType::Inspection => "inspection",
            ItemType::Confirmation => "confirmation",
            ItemType::Reward => "reward",
            ItemType::Adjudication => "adjudication",
            ItemType::Other => "other",
            ItemType::PublicService => "public_service",
        }
    }

    pub fn parse(s: &str) -> Option<ItemType> {
        ItemType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The level of government that exercises the power.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 市级
    City,
    /// 区县级
    District,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::City => "city",
            Level::District => "district",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "city" => Some(Level::City),
            "district" => Some(Level::District),
            _ => None,
        }
    }
    /// GB/T 2260: a prefecture-level city's code ends in 00, a district's does not.
    pub fn of_region(region: &RegionCode) -> Level {
        if region.as_str().ends_with("00") {
            Level::City
        } else {
            Level::District
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// 工作日
    WorkingDays,
    /// 自然日
    Days,
    Months,
    Years,
}

impl TimeUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::WorkingDays => "working_days",
            TimeUnit::Days => "days",
            TimeUnit::Months => "months",
            TimeUnit::Years => "years",
        }
    }
    pub fn parse(s: &str) -> Option<TimeUnit> {
        [
            TimeUnit::WorkingDays,
            TimeUnit::Days,
            TimeUnit::Months,
            TimeUnit::Years,
        ]
        .into_iter()
        .find(|u| u.as_str() == s)
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            TimeUnit::WorkingDays => "个工作日",
            TimeUnit::Days => "日",
            TimeUnit::Months => "个月",
            TimeUnit::Years => "年",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            TimeUnit::WorkingDays => "working days",
            TimeUnit::Days => "days",
            TimeUnit::Months => "months",
            TimeUnit::Years => "years",
        }
    }
}

/// A time limit: a number of units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimeLimit {
    pub value: u32,
    pub unit: TimeUnit,
}

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value, self.unit.name_en())
    }
}

/// A material the applicant hands in (申请材料).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Material {
    pub name: String,
    #[serde(default = "one")]
    pub copies: u32,
    #[serde(default)]
    pub original: bool,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default)]
    pub note: String,
}

fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}

/// A fee item with its standard and legal basis (收费项目). Money is in fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Fee {
    pub name: String,
    pub standard_fen: i64,
    pub basis: String,
}

/// A step of the process (办理环节).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Step {
    pub name: String,
    pub post: String,
    #[serde(default)]
    pub duty: String,
    pub limit: TimeLimit,
    /// Hearings, tests, inspections and expert reviews are not counted in the legal limit.
    pub counted_in_legal_limit: bool,
}

/// A discretion standard for a penalty (裁量基准): circumstance → measure and range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Discretion {
    pub circumstance: String,
    pub measure: String,
    pub min_fen: i64,
    pub max_fen: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Textarea,
    Number,
    Date,
    Choice,
    Bool,
    Phone,
    Email,
    /// A resident identity number.
    IdNumber,
    /// A unified social credit code.
    CreditCode,
}

impl FieldKind {
    pub const ALL: [FieldKind; 10] = [
        FieldKind::Text,
        FieldKind::Textarea,
        FieldKind::Number,
        FieldKind::Date,
        FieldKind::Choice,
        FieldKind::Bool,
        FieldKind::Phone,
        FieldKind::Email,
        FieldKind::IdNumber,
        FieldKind::CreditCode,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Textarea => "textarea",
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            FieldKind::Choice => "choice",
            FieldKind::Bool => "bool",
            FieldKind::Phone => "phone",
            FieldKind::Email => "email",
            FieldKind::IdNumber => "id_number",
            FieldKind::CreditCode => "credit_code",
        }
    }
    pub fn parse(s: &str) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// What the field asks for, for people.
    pub fn name(self) -> Text {
        let (zh, en) = match self {
            FieldKind::Text => ("单行文字", "Text"),
            FieldKind::Textarea => ("多行文字", "Longer text"),
            FieldKind::Number => ("数字", "Number"),
            FieldKind::Date => ("日期", "Date"),
            FieldKind::Choice => ("选项", "Choice"),
            FieldKind::Bool => ("是否", "Yes or no"),
            FieldKind::Phone => ("电话号码", "Phone number"),
            FieldKind::Email => ("电子邮箱", "Email"),
            FieldKind::IdNumber => ("身份证号码", "Identity number"),
            FieldKind::CreditCode => ("统一社会信用代码", "Unified social credit code"),
        };
        Text::new(zh, en)
    }
}

/// A field of the application form the hall shows an applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FormField {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub label_en: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub choices: Vec<String>,
}

/// Everything one version of a power item says. Stored whole per version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemSpec {
    pub code: String,
    pub name: String,
    pub item_type: ItemType,
    pub level: Level,
    #[schema(value_type = String, example = "330100")]
    pub region: RegionCode,
    #[schema(value_type = String, example = "330100-002")]
    pub implementing_body: OrgCode,
    #[schema(value_type = String)]
    pub accepting_body: OrgCode,
    #[schema(value_type = String)]
    pub deciding_body: OrgCode,
    pub legal_basis: String,
    #[serde(default)]
    pub conditions: Vec<String>,
    #[serde(default)]
    pub materials: Vec<Material>,
    pub legal_limit: TimeLimit,
    pub promised_limit: TimeLimit,
    #[serde(default)]
    pub fees: Vec<Fee>,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub min_visits: u32,
    #[serde(default)]
    pub sensitive: bool,
    /// Whether applying needs an account bound to its identity (实名): true
    /// unless the item keeps no personal record (a consultation, a public
    /// information request), which any signed-up account may ask for.
    #[serde(default = "needs_real_name_by_default")]
    pub needs_real_name: bool,
    #[serde(default)]
    pub supervision_phone: String,
    #[serde(default)]
    pub discretion: Vec<Discretion>,
    #[serde(default)]
    pub form: Vec<FormField>,
}

fn needs_real_name_by_default() -> bool {
    true
}

/// Largest sensible numbers, so that a typo cannot make a ten-thousand-year limit.
const MAX_LIMIT_VALUE: u32 = 3650;
const MAX_TEXT: usize = 4000;

impl ItemSpec {
    /// Whether the item charges any fee (收费标志), derived from its fee items.
    pub fn charges_fee(&self) -> bool {
        !self.fees.is_empty()
    }

    /// Check every rule of a catalogue entry, reporting all faults at once.
    pub fn validate(&self) -> Result<(), Refusal> {
        let mut e = FieldErrors::default();
        if let Err(why) = validate_item_code(&self.code, self.item_type) {
            e.add("code", why.0, why.1);
        }
        text_field(&mut e, "name", &self.name, 200);
        text_field(&mut e, "legal_basis", &self.legal_basis, MAX_TEXT);
        if Level::of_region(&self.region) != self.level {
            e.add(
                "level",
                "事项层级与行政区划不符（市级事项的区划代码以00结尾）",
                "The level does not match the region (a city item's region code ends in 00)",
            );
        }
        if self.implementing_body.region() != self.region {
            e.add(
                "implementing_body",
                "实施主体应属于事项所在区划",
                "The implementing body must belong to the item's region",
            );
        }
        for (i, c) in self.conditions.iter().enumerate() {
            text_field(&mut e, &format!("conditions[{i}]"), c, MAX_TEXT);
        }
        for (i, m) in self.materials.iter().enumerate() {
            text_field(&mut e, &format!("materials[{i}].name"), &m.name, 200);
            if m.copies == 0 || m.copies > 99 {
                e.add(
                    &format!("materials[{i}].copies"),
                    "份数应在1至99之间",
                    "Copies must be between 1 and 99",
                );
            }
        }
        self.validate_limits(&mut e);
        for (i, f) in self.fees.iter().enumerate() {
            text_field(&mut e, &format!("fees[{i}].name"), &f.name, 200);
            text_field(&mut e, &format!("fees[{i}].basis"), &f.basis, MAX_TEXT);
            if f.standard_fen < 0 {
                e.add(
                    &format!("fees[{i}].standard_fen"),
                    "收费标准不能为负数",
                    "A fee standard cannot be negative",
                );
            }
        }
        if self.min_visits > 5 {
            e.add(
                "min_visits",
                "最多跑动次数应在0至5之间",
                "Minimum visits in person must be between 0 and 5",
            );
        }
        if !self.supervision_phone.is_empty()
            && (self.supervision_phone.len() > 20
                || !self
                    .supervision_phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '-'))
        {
            e.add(
                "supervision_phone",
                "监督电话只能包含数字和连字符",
                "The supervision phone may contain only digits and hyphens",
            );
        }
        self.validate_discretion(&mut e);
        self.validate_form(&mut e);
        // The free-text parts that may be empty still may not hide control characters.
        let optional = self
            .materials
            .iter()
            .enumerate()
            .map(|(i, m)| (format!("materials[{i}].note"), &m.note))
            .chain(
                self.steps
                    .iter()
                    .enumerate()
                    .map(|(i, st)| (format!("steps[{i}].duty"), &st.duty)),
            )
            .chain(
                self.form
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (format!("form[{i}].label_en"), &f.label_en)),
            )
            .chain(self.form.iter().enumerate().flat_map(|(i, f)| {
                f.choices
                    .iter()
                    .map(move |c| (format!("form[{i}].choices"), c))
            }));
        for (field, text) in optional {
            if !is_clean_text(text) {
                control_characters(&mut e, &field);
            }
        }
        e.check()
    }

    fn validate_limits(&self, e: &mut FieldErrors) {
        for (field, limit) in [
            ("legal_limit", self.legal_limit),
            ("promised_limit", self.promised_limit),
        ] {
            if limit.value == 0 || limit.value > MAX_LIMIT_VALUE {
                e.add(
                    field,
                    "时限应在1至3650之间",
                    "A time limit must be between 1 and 3650",
                );
            }
        }
        if self.promised_limit.unit != self.legal_limit.unit {
            e.add(
                "promised_limit",
                "承诺时限与法定时限应使用相同单位",
                "The promised limit must use the legal limit's unit",
            );
        } else if self.promised_limit.value > self.legal_limit.value {
            e.add(
                "promised_limit",
                format!(
                    "承诺时限不得超过法定时限（{}{}）",
                    self.legal_limit.value,
                    self.legal_limit.unit.name_zh()
                ),
                format!(
                    "The promised limit may not exceed the legal limit ({})",
                    self.legal_limit
                ),
            );
        }
        if self.steps.is_empty() {
            e.add(
                "steps",
                "至少应有一个办理环节",
                "At least one process step is needed",
            );
        }
        let mut counted = 0u32;
        for (i, s) in self.steps.iter().enumerate() {
            text_field(e, &format!("steps[{i}].name"), &s.name, 100);
            text_field(e, &format!("steps[{i}].post"), &s.post, 100);
            if s.limit.value == 0 || s.limit.value > MAX_LIMIT_VALUE {
                e.add(
                    &format!("steps[{i}].limit"),
                    "环节时限应在1至3650之间",
                    "A step's limit must be between 1 and 3650",
                );
            }
            if s.limit.unit != self.legal_limit.unit {
                e.add(
                    &format!("steps[{i}].limit"),
                    "环节时限应与法定时限使用相同单位",
                    "A step's limit must use the legal limit's unit",
                );
            } else if s.counted_in_legal_limit {
                counted = counted.saturating_add(s.limit.value);
            }
        }
        if counted > self.legal_limit.value {
            e.add(
                "steps",
                format!("计入法定时限的环节时限合计{counted}，超过法定时限{}", self.legal_limit.value),
                format!("Steps counted in the legal limit add up to {counted}, more than the legal limit of {}", self.legal_limit.value),
            );
        }
    }

    fn validate_discretion(&self, e: &mut FieldErrors) {
        if self.item_type == ItemType::Penalty && self.discretion.is_empty() {
            e.add(
                "discretion",
                "行政处罚事项应有裁量基准",
                "A penalty item needs discretion standards",
            );
        }
        if self.item_type != ItemType::Penalty && !self.discretion.is_empty() {
            e.add(
                "discretion",
                "只有行政处罚事项才有裁量基准",
                "Only penalty items have discretion standards",
            );
        }
        for (i, d) in self.discretion.iter().enumerate() {
            text_field(
                e,
                &format!("discretion[{i}].circumstance"),
                &d.circumstance,
                MAX_TEXT,
            );
            text_field(e, &format!("discretion[{i}].measure"), &d.measure, 200);
            if d.min_fen < 0 || d.min_fen > d.max_fen {
                e.add(
                    &format!("discretion[{i}].min_fen"),
                    "裁量金额下限应不小于0且不大于上限",
                    "The lower amount must be at least 0 and at most the upper one",
                );
            }
        }
    }

    fn validate_form(&self, e: &mut FieldErrors) {
        let mut keys = BTreeSet::new();
        for (i, f) in self.form.iter().enumerate() {
            let key_ok = !f.key.is_empty()
                && f.key.len() <= 40
                && f.key.starts_with(|c: char| c.is_ascii_lowercase())
                && f.key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !key_ok {
                e.add(&format!("form[{i}].key"), "字段键名应为小写字母开头的英文、数字和下划线", "A field key is lower-case letters, digits and underscores, starting with a letter");
            } else if !keys.insert(f.key.as_str()) {
                e.add(
                    &format!("form[{i}].key"),
                    format!("字段键名“{}”重复", f.key),
                    format!("The field key '{}' is used twice", f.key),
                );
            }
            text_field(e, &format!("form[{i}].label"), &f.label, 100);
            match (f.kind, f.choices.is_empty()) {
                (FieldKind::Choice, true) => e.add(
                    &format!("form[{i}].choices"),
                    "选择字段应列出选项",
                    "A choice field lists its options",
                ),
                (FieldKind::Choice, false) | (_, true) => {}
                (_, false) => e.add(
                    &format!("form[{i}].choices"),
                    "只有选择字段才有选项",
                    "Only a choice field has options",
                ),
            }
        }
    }
}

fn text_field(e: &mut FieldErrors, field: &str, value: &str, max_chars: usize) {
    if !is_clean_text(value) {
        control_characters(e, field);
    } else if value.trim().is_empty() {
        e.add(field, "此项不能为空", "This field is required");
    } else if value.chars().count() > max_chars {
        e.add(
            field,
            format!("不能超过{max_chars}个字符"),
            format!("At most {max_chars} characters"),
        );
    }
}

/// Check an item code's parts: the type's letters, a main item number and a
/// sub-item number (`XK-00012-000`), optionally extended by further parts for
/// level, region and implementing body. The code is stored as given.
pub fn validate_item_code(code: &str, item_type: ItemType) -> Result<(), (String, String)> {
    let parts: Vec<&str> = code.split('-').collect();
    let numeric =
        |p: &&str| !p.is_empty() && p.len() <= 12 && p.bytes().all(|b| b.is_ascii_alphanumeric());
    if parts.len() < 3 || parts.len() > 6 || !parts[1..].iter().all(numeric) {
        return Err((
            "事项编码应为“类型字母-主项编号-子项编号”，如XK-00012-000".into(),
            "An item code is TYPE-MAIN-SUB, e.g. XK-00012-000".into(),
        ));
    }
    if !parts[1].bytes().all(|b| b.is_ascii_digit())
        || !parts[2].bytes().all(|b| b.is_ascii_digit())
    {
        return Err((
            "主项和子项编号应为数字".into(),
            "The main and sub-item numbers are digits".into(),
        ));
    }
    if parts[0] != item_type.prefix() {
        return Err((
            format!(
                "{}事项的编码应以{}开头",
                item_type.name_zh(),
                item_type.prefix()
            ),
            format!(
                "A {} item's code starts with {}",
                item_type.name_en().to_lowercase(),
                item_type.prefix()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
