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

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{BadId, OrgCode, RegionCode};
use crate::refusal::Text;

/// One code list of the standard: code → name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeList {
    pub standard: String,
    names: BTreeMap<String, String>,
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
