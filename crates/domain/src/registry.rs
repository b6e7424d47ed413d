//! The community population registry (社区人口基础库): persons, households
//! and addresses, collected in the community, held by the district, to one
//! city standard (采集统一在社区，数据统一在各区，标准统一在全市).
//!
//! The standard's code lists (family relationships by GB/T 4761-2008,
//! ethnic groups by GB/T 3304) are data, read into a [`Standard`]; the
//! rules here are pure.

pub mod identity;
pub mod import;
pub mod linkage;
pub mod named_read;
pub mod stats;
pub mod view;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::{BadId, OrgCode, RegionCode};
use crate::refusal::Text;

/// One code list of the standard: code → name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeList {
    pub standard: String,
    names: BTreeMap<String, String>,
    /// Codes the city no longer collects: a record that holds one keeps
    /// it, and no record takes one anew.
    retired: BTreeSet<String>,
}

#[derive(Deserialize)]
struct CodeListFile {
    standard: String,
    codes: Vec<CodeEntry>,
}

#[derive(Deserialize)]
struct CodeEntry {
    code: String,
    name: String,
}

impl CodeList {
    /// A code list as shipped in `data/registry/`: `{"standard": …,
    /// "codes": [{"code": "01", "name": "汉族"}, …]}`.
    pub fn from_json(text: &str) -> Result<CodeList, String> {
        let file: CodeListFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut names = BTreeMap::new();
        for c in file.codes {
            if c.code.len() != 2 || !c.code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("code {:?} is not two digits", c.code));
            }
            if c.name.trim().is_empty() {
                return Err(format!("code {} has no name", c.code));
            }
            if names.insert(c.code.clone(), c.name).is_some() {
                return Err(format!("code {} is listed twice", c.code));
            }
        }
        if names.is_empty() {
            return Err("the list has no codes".into());
        }
        Ok(CodeList {
            standard: file.standard,
            names,
            retired: BTreeSet::new(),
        })
    }

    /// The code for a cell that holds a code (`01`, or `1` for `01`) or a
    /// name in the list (`汉族`).
    pub fn code_of(&self, cell: &str) -> Option<&str> {
        let cell = cell.trim();
        if !cell.is_empty() && cell.len() <= 2 && cell.bytes().all(|b| b.is_ascii_digit()) {
            let code = format!("{cell:0>2}");
            return self.names.get_key_value(&code).map(|(k, _)| k.as_str());
        }
        self.names
            .iter()
            .find(|(_, name)| name.as_str() == cell)
            .map(|(code, _)| code.as_str())
    }

    pub fn name(&self, code: &str) -> Option<&str> {
        self.names.get(code).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The city no longer collects `code`.
    pub fn is_retired(&self, code: &str) -> bool {
        self.retired.contains(code)
    }

    /// Every code with its name and whether it is retired, in code order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.names
            .iter()
            .map(|(c, n)| (c.as_str(), n.as_str(), self.retired.contains(c)))
    }

    /// The list with the city's change to `code` made, or why it cannot be.
    fn amend(&mut self, code: &str, change: &CodeChange) -> Result<(), Text> {
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Text::new(
                format!("代码“{code}”应为两位数字"),
                format!("The code \"{code}\" is two digits"),
            ));
        }
        let held = self.names.contains_key(code);
        match change {
            CodeChange::Add { name } | CodeChange::Rename { name } => {
                let adding = matches!(change, CodeChange::Add { .. });
                if adding && held {
                    return Err(Text::new(
                        format!("代码{code}已在列表中"),
                        format!("The code {code} is already listed"),
                    ));
                }
                if !adding && !held {
                    return Err(not_listed(code));
                }
                let name = code_name(name)?;
                if let Some((other, _)) = self
                    .names
                    .iter()
                    .find(|(c, n)| c.as_str() != code && **n == name)
                {
                    return Err(Text::new(
                        format!("名称“{name}”已是代码{other}的名称"),
                        format!("\"{name}\" is already the name of code {other}"),
                    ));
                }
                self.names.insert(code.to_string(), name);
            }
            CodeChange::Retire => {
                if !held {
                    return Err(not_listed(code));
                }
                if !self.retired.insert(code.to_string()) {
                    return Err(Text::new(
                        format!("代码{code}已停用"),
                        format!("The code {code} is already retired"),
                    ));
                }
            }
            CodeChange::Restore => {
                if !self.retired.remove(code) {
                    return Err(Text::new(
                        format!("代码{code}未停用"),
                        format!("The code {code} is not retired"),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn not_listed(code: &str) -> Text {
    Text::new(
        format!("列表中没有代码{code}"),
        format!("The list has no code {code}"),
    )
}

/// A code's name as the city writes it: one line of at most 20 characters.
fn code_name(name: &str) -> Result<String, Text> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > 20
        || name.contains(['\n', '\r', '\t'])
        || !crate::refusal::is_clean_text(name)
    {
        return Err(Text::new(
            "名称应为1至20个字符的一行文字",
            "The name is one line of 1 to 20 characters",
        ));
    }
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Text::new(
            "名称不能全是数字（会被当作代码）",
            "A name is not all digits (it would read as a code)",
        ));
    }
    Ok(name.to_string())
}

/// Which of the standard's code lists.
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
pub enum ListName {
    /// 家庭关系 (GB/T 4761-2008).
    Relationships,
    /// 民族 (GB/T 3304).
    Ethnicities,
}

impl ListName {
    pub const ALL: [ListName; 2] = [ListName::Relationships, ListName::Ethnicities];

    pub fn as_str(self) -> &'static str {
        match self {
            ListName::Relationships => "relationships",
            ListName::Ethnicities => "ethnicities",
        }
    }

    pub fn parse(s: &str) -> Option<ListName> {
        ListName::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn label(self) -> Text {
        match self {
            ListName::Relationships => Text::new("与户主关系", "Relationship to the head"),
            ListName::Ethnicities => Text::new("民族", "Ethnicity"),
        }
    }
}

/// A change the city makes to one of its code lists. The lists the
/// standard ships with are the start; the city's changes, in the order
/// made, give the lists in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum CodeChange {
    /// A code the list did not have.
    Add { name: String },
    /// A listed code's name, changed.
    Rename { name: String },
    /// No longer collected: records that hold it keep it, and no record
    /// takes it anew.
    Retire,
    /// Collected again.
    Restore,
}

impl CodeChange {
    pub fn kind(&self) -> &'static str {
        match self {
            CodeChange::Add { .. } => "add",
            CodeChange::Rename { .. } => "rename",
            CodeChange::Retire => "retire",
            CodeChange::Restore => "restore",
        }
    }

    /// The change as stored: its kind and its name, if it has one.
    pub fn from_parts(kind: &str, name: Option<String>) -> Option<CodeChange> {
        match (kind, name) {
            ("add", Some(name)) => Some(CodeChange::Add { name }),
            ("rename", Some(name)) => Some(CodeChange::Rename { name }),
            ("retire", _) => Some(CodeChange::Retire),
            ("restore", _) => Some(CodeChange::Restore),
            _ => None,
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            CodeChange::Add { name } | CodeChange::Rename { name } => Some(name),
            CodeChange::Retire | CodeChange::Restore => None,
        }
    }
}

/// The city's standard for the registry: the code lists every community
/// collects to.
#[derive(Debug, Clone, Default)]
pub struct Standard {
    /// 家庭关系 (GB/T 4761-2008).
    pub relationships: CodeList,
    /// 民族 (GB/T 3304).
    pub ethnicities: CodeList,
}

impl Standard {
    pub fn list(&self, which: ListName) -> &CodeList {
        match which {
            ListName::Relationships => &self.relationships,
            ListName::Ethnicities => &self.ethnicities,
        }
    }

    /// The standard with the city's change made, or why it cannot be. The
    /// head of a household (`02`) is never retired: every household has one.
    pub fn amend(&mut self, which: ListName, code: &str, change: &CodeChange) -> Result<(), Text> {
        if which == ListName::Relationships
            && code == HEAD_OF_HOUSEHOLD
            && *change == CodeChange::Retire
        {
            return Err(Text::new(
                "户主（02）不能停用：每户都有户主",
                "The head of a household (02) is never retired: every household has one",
            ));
        }
        match which {
            ListName::Relationships => self.relationships.amend(code, change),
            ListName::Ethnicities => self.ethnicities.amend(code, change),
        }
    }
}

/// The relationship code of the head of a household (户主) in GB/T 4761.
pub const HEAD_OF_HOUSEHOLD: &str = "02";

/// 性别 by GB/T 2261.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 0 未知的性别
    Unknown,
    /// 1 男
    Male,
    /// 2 女
    Female,
    /// 9 未说明的性别
    Unstated,
}

impl Sex {
    pub const ALL: [Sex; 4] = [Sex::Unknown, Sex::Male, Sex::Female, Sex::Unstated];

    /// The code of GB/T 2261.1.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Unknown => "0",
            Sex::Male => "1",
            Sex::Female => "2",
            Sex::Unstated => "9",
        }
    }

    pub fn label(self) -> Text {
        match self {
            Sex::Unknown => Text::new("未知", "unknown"),
            Sex::Male => Text::new("男", "male"),
            Sex::Female => Text::new("女", "female"),
            Sex::Unstated => Text::new("未说明", "unstated"),
        }
    }

    /// A cell with the code or the Chinese name (`1`, `男`).
    pub fn parse(cell: &str) -> Option<Sex> {
        let cell = cell.trim();
        Sex::ALL
            .into_iter()
            .find(|s| s.code() == cell || s.label().zh == cell)
    }
}

/// A 12-digit statistical division code (统计用区划代码): the county's six
/// digits (GB/T 2260), the township's (街道, 乡镇) three and the village's or
/// community's (社区, 村) three.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode(String);

impl DivisionCode {
    pub fn parse(s: &str) -> Result<DivisionCode, BadId> {
        let s = s.trim();
        let bad = || BadId {
            zh: "区划代码应为12位数字".into(),
            en: "A division code has 12 digits".into(),
        };
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        RegionCode::parse(&s[..6]).map_err(|_| bad())?;
        Ok(DivisionCode(s.to_string()))
    }

    /// A community's (社区) code: a township and a community within it.
    pub fn community(s: &str) -> Result<DivisionCode, BadId> {
        let code = DivisionCode::parse(s)?;
        if !code.is_community() {
            return Err(BadId {
                zh: "社区代码的后六位应为街道和社区的编号，均不为000".into(),
                en: "A community's code ends in its sub-district's and its own number, neither 000"
                    .into(),
            });
        }
        Ok(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The county or district (6 digits).
    pub fn district(&self) -> &str {
        &self.0[..6]
    }

    /// The sub-district's (街道) own 9-digit code.
    pub fn sub_district(&self) -> &str {
        &self.0[..9]
    }

    pub fn is_community(&self) -> bool {
        &self.0[6..9] != "000" && &self.0[9..] != "000"
    }

    /// The organisation a community's workers belong to: the district's
    /// code and the community's six digits (`330106-001002`).
    pub fn org(&self) -> OrgCode {
        OrgCode::parse(&format!("{}-{}", &self.0[..6], &self.0[6..]))
            .expect("a division code makes an organisation code")
    }

    /// The government of the district that holds the community's records.
    pub fn district_org(&self) -> OrgCode {
        OrgCode::parse(self.district()).expect("a region code is an organisation code")
    }
}

impl TryFrom<String> for DivisionCode {
    type Error = BadId;
    fn try_from(s: String) -> Result<Self, BadId> {
        DivisionCode::parse(&s)
    }
}

impl From<DivisionCode> for String {
    fn from(c: DivisionCode) -> String {
        c.0
    }
}

impl std::fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The separators people type between the parts of a minority name,
/// written as the one GB 18030 keeps (U+00B7 MIDDLE DOT).
const NAME_DOTS: [char; 5] = ['·', '•', '・', '．', '.'];

/// A name as written (姓名): Chinese characters, or the parts of a name in
/// another script joined by `·` (阿依古丽·买买提); letters for a foreign
/// name. The dots people type for `·` are written as it; spaces at the ends
/// go.
pub fn name(cell: &str) -> Result<String, Text> {
    let written: String = cell
        .trim()
        .chars()
        .map(|c| if NAME_DOTS.contains(&c) { '·' } else { c })
        .collect();
    let chars = written.chars().count();
    if chars == 0 {
        return Err(Text::new("请填写姓名", "Give the name"));
    }
    if chars > 50 {
        return Err(Text::new(
            "姓名不超过50个字",
            "A name has at most 50 characters",
        ));
    }
    if written.starts_with('·') || written.ends_with('·') || written.contains("··") {
        return Err(Text::new(
            "姓名中的间隔号只能在两部分之间",
            "A name's dot stands only between two parts",
        ));
    }
    let allowed = |c: char| c == '·' || c == ' ' || c.is_alphabetic();
    if !written.chars().all(allowed) || written.contains("  ") {
        return Err(Text::new(
            "姓名只能由文字和间隔号“·”组成",
            "A name is made of letters or characters and the dot \"·\"",
        ));
    }
    Ok(written)
}

/// A contact number (联系电话): a mobile number of 11 digits beginning with
/// 1, or a fixed line with its area code (`0571-87654321`), digits only
/// once the separators are gone.
pub fn phone(cell: &str) -> Result<String, Text> {
    let digits: String = cell
        .trim()
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .collect();
    let bad = || {
        Text::new(
            "联系电话应为11位手机号码或带区号的固定电话",
            "A contact number is an 11-digit mobile number or a fixed line with its area code",
        )
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let mobile = digits.len() == 11 && digits.starts_with('1');
    let fixed = (10..=12).contains(&digits.len()) && digits.starts_with('0');
    if mobile || fixed {
        Ok(digits)
    } else {
        Err(bad())
    }
}

/// A household's number (户号): letters and digits, at most 20.
pub fn household_number(cell: &str) -> Result<String, Text> {
    let n = cell.trim();
    if n.is_empty() || n.len() > 20 || !n.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Text::new(
            "户号应为1至20位字母或数字",
            "A household number has 1 to 20 letters or digits",
        ));
    }
    Ok(n.to_ascii_uppercase())
}

/// An address as written: one line, at most 200 characters.
pub fn address(cell: &str) -> Result<String, Text> {
    let a = cell.trim();
    if a.is_empty() {
        return Err(Text::new("请填写地址", "Give the address"));
    }
    if a.chars().count() > 200 || a.chars().any(char::is_control) {
        return Err(Text::new(
            "地址为一行，不超过200个字",
            "An address is one line of at most 200 characters",
        ));
    }
    Ok(a.to_string())
}

/// A person's record as the registry holds it (and as an import row
/// states it): the cells of the city's layout, to the standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id_number: Option<String>,
    pub name: String,
    /// GB/T 2261.1 code.
    pub sex: String,
    /// `YYYY-MM-DD`, or `YYYY` when only the year is known.
    pub birth: String,
    /// GB/T 3304 code.
    pub ethnicity: String,
    pub registered_address: String,
    pub residence_address: String,
    pub community: String,
    /// 户号
    pub household: String,
    /// GB/T 4761 code.
    pub relationship: String,
    pub phone: Option<String>,
}

impl Person {
    /// The columns (by their names in the city's layout) in which `new`
    /// differs from this record.
    pub fn changed_columns(&self, new: &Person) -> Vec<&'static str> {
        let c = import::COLUMNS;
        let pairs = [
            (self.id_number != new.id_number, c[0]),
            (self.name != new.name, c[1]),
            (self.sex != new.sex, c[2]),
            (self.birth != new.birth, c[3]),
            (self.ethnicity != new.ethnicity, c[4]),
            (self.registered_address != new.registered_address, c[5]),
            (self.residence_address != new.residence_address, c[6]),
            (self.community != new.community, c[7]),
            (self.household != new.household, c[8]),
            (self.relationship != new.relationship, c[9]),
            (self.phone != new.phone, c[10]),
        ];
        pairs
            .into_iter()
            .filter(|(changed, _)| *changed)
            .map(|(_, column)| column)
            .collect()
    }

    /// The record as the cells of a row in the city's layout, in the order
    /// of [`import::COLUMNS`] (codes where the standard has codes).
    pub fn cells(&self) -> [String; 11] {
        [
            self.id_number.clone().unwrap_or_default(),
            self.name.clone(),
            self.sex.clone(),
            self.birth.clone(),
            self.ethnicity.clone(),
            self.registered_address.clone(),
            self.residence_address.clone(),
            self.community.clone(),
            self.household.clone(),
            self.relationship.clone(),
            self.phone.clone().unwrap_or_default(),
        ]
    }

    /// Whether a record held without an identity number is the person a
    /// row without one describes: the same household, name and birth.
    /// (Finding the same person under other spellings is the review
    /// queue's work, not an import's.)
    pub fn is_same_unnumbered(&self, new: &Person) -> bool {
        self.id_number.is_none()
            && new.id_number.is_none()
            && self.household == new.household
            && self.name == new.name
            && self.birth == new.birth
    }
}

#[cfg(test)]
mod tests;
