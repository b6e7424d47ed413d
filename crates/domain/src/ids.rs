//! Identifiers that are only ever valid: parse, don't validate.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Why an identifier was rejected, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{en}")]
pub struct BadId {
    pub zh: String,
    pub en: String,
}

fn bad(zh: &str, en: &str) -> BadId {
    BadId {
        zh: zh.to_string(),
        en: en.to_string(),
    }
}

/// Resident identity number (居民身份证号码, GB 11643-1999): 6-digit address
/// code, birth date, 3-digit sequence (odd male, even female), check character.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct ResidentId(String);

const RESIDENT_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RESIDENT_CHECK: &[u8; 11] = b"10X98765432";

impl ResidentId {
    pub fn parse(s: &str) -> Result<Self, BadId> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18 {
            return Err(bad(
                "身份证号码应为18位",
                "A resident identity number has 18 characters",
            ));
        }
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(bad(
                "身份证号码前17位应为数字，末位为数字或X",
                "The first 17 characters must be digits and the last a digit or X",
            ));
        }
        if ResidentId::check_char(&s[..17]) != Some(char::from(b[17])) {
            return Err(bad(
                "身份证号码校验位不正确",
                "The check character of the identity number is wrong",
            ));
        }
        let (y, m, d) = (&s[6..10], &s[10..12], &s[12..14]);
        let birth = Date::new(
            y.parse().unwrap_or(0),
            m.parse().unwrap_or(0),
            d.parse().unwrap_or(0),
        );
        match birth {
            Ok(date) if date.year() >= 1880 => {}
            _ => {
                return Err(bad(
                    "身份证号码中的出生日期无效",
                    "The birth date in the identity number is not a real date",
                ))
            }
        }
        Ok(ResidentId(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The check character for the first 17 digits (used to make valid demo numbers).
    pub fn check_char(first17: &str) -> Option<char> {
        let b = first17.as_bytes();
        if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let sum: u32 = b
            .iter()
            .zip(RESIDENT_WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        Some(char::from(RESIDENT_CHECK[(sum % 11) as usize]))
    }

    pub fn birth_date(&self) -> Date {
        let s = &self.0;
        Date::new(
            s[6..10].parse().unwrap_or(1900),
            s[10..12].parse().unwrap_or(1),
            s[12..14].parse().unwrap_or(1),
        )
        .unwrap_or(Date::constant(1900, 1, 1))
    }

    pub fn is_male(&self) -> bool {
        (self.0.as_bytes()[16] - b'0') % 2 == 1
    }

    /// The public mask: first 6 and last 4 characters (`330106********123X`).
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

impl From<ResidentId> for String {
    fn from(v: ResidentId) -> String {
        v.0
    }
}
impl<'de> Deserialize<'de> for ResidentId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ResidentId::parse(&s).map_err(serde::de::Error::custom)
    }
}
impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Unified social credit code (统一社会信用代码, GB 32100-2015).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct CreditCode(String);

const CREDIT_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

impl CreditCode {
    pub fn parse(s: &str) -> Result<Self, BadId> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18 {
            return Err(bad(
                "统一社会信用代码应为18位",
                "A unified social credit code has 18 characters",
            ));
        }
        let mut values = [0u32; 18];
        for (i, c) in b.iter().enumerate() {
            match CREDIT_ALPHABET.iter().position(|a| a == c) {
                Some(v) => values[i] = v as u32,
                None => {
                    return Err(bad(
                        "统一社会信用代码含有不允许的字符（不使用I、O、Z、S、V）",
                        "The credit code has a character outside its alphabet (I, O, Z, S, V are not used)",
                    ))
                }
            }
        }
        if !b[2..8].iter().all(u8::is_ascii_digit) {
            return Err(bad(
                "统一社会信用代码第3至8位应为行政区划码",
                "Characters 3 to 8 of the credit code must be a region code",
            ));
        }
        let sum: u32 = values[..17]
            .iter()
            .zip(CREDIT_WEIGHTS)
            .map(|(v, w)| v * w)
            .sum();
        let check = (31 - sum % 31) % 31;
        if values[17] != check {
            return Err(bad(
                "统一社会信用代码校验位不正确",
                "The check character of the credit code is wrong",
            ));
        }
        Ok(CreditCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The check character for the first 17 characters (used to make valid demo codes).
    pub fn check_char(first17: &str) -> Option<char> {
        let b = first17.as_bytes();
        if b.len() != 17 {
            return None;
        }
        let mut sum = 0;
        for (c, w) in b.iter().zip(CREDIT_WEIGHTS) {
            sum += CREDIT_ALPHABET.iter().position(|a| a == c)? as u32 * w;
        }
        Some(CREDIT_ALPHABET[((31 - sum % 31) % 31) as usize] as char)
    }
}

impl From<CreditCode> for String {
    fn from(v: CreditCode) -> String {
        v.0
    }
}
impl<'de> Deserialize<'de> for CreditCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CreditCode::parse(&s).map_err(serde::de::Error::custom)
    }
}
impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An administrative division code (GB/T 2260, 6 digits), or an internal one
/// of the same shape for bodies that have none (the development zone).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(s: &str) -> Result<Self, BadId> {
        let s = s.trim();
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) && &s[..2] != "00" {
            Ok(RegionCode(s.to_string()))
        } else {
            Err(bad("行政区划代码应为6位数字", "A region code has 6 digits"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for RegionCode {
    type Error = BadId;
    fn try_from(s: String) -> Result<Self, BadId> {
        RegionCode::parse(&s)
    }
}
impl From<RegionCode> for String {
    fn from(v: RegionCode) -> String {
        v.0
    }
}
impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An organisation's code: a region code for a government (`330106`), the
/// region and a number for a body under it (`330100-012`, `330100-U01`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgCode(String);

impl OrgCode {
    pub fn parse(s: &str) -> Result<Self, BadId> {
        let s = s.trim();
        let (region, rest) = match s.split_once('-') {
            Some((r, n)) => (r, Some(n)),
            None => (s, None),
        };
        RegionCode::parse(region).map_err(|_| {
            bad(
                "机构代码应以6位行政区划代码开头",
                "An organisation code starts with a 6-digit region code",
            )
        })?;
        if let Some(n) = rest {
            if n.is_empty() || n.len() > 8 || !n.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(bad(
                    "机构代码的序号部分应为1至8位字母或数字",
                    "The number part of an organisation code has 1 to 8 letters or digits",
                ));
            }
        }
        Ok(OrgCode(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The region the body belongs to.
    pub fn region(&self) -> RegionCode {
        RegionCode(self.0[..6].to_string())
    }
}
impl TryFrom<String> for OrgCode {
    type Error = BadId;
    fn try_from(s: String) -> Result<Self, BadId> {
        OrgCode::parse(&s)
    }
}
impl From<OrgCode> for String {
    fn from(v: OrgCode) -> String {
        v.0
    }
}
impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl FromStr for OrgCode {
    type Err = BadId;
    fn from_str(s: &str) -> Result<Self, BadId> {
        OrgCode::parse(s)
    }
}

/// Mask a mobile number for public view: `138****1234`.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    if digits.len() < 7 {
        return "*".repeat(digits.len());
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// Mask a person's name for public view: surname + 某 (`张某`).
pub fn mask_person_name(name: &str) -> String {
    match name.chars().next() {
        Some(c) => format!("{c}某"),
        None => "某".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_example_identity_number_is_valid() {
        let id = ResidentId::parse("11010519491231002X").expect("GB 11643 example");
        assert_eq!(id.birth_date(), Date::constant(1949, 12, 31));
        assert!(!id.is_male(), "sequence 002 is even: female");
        assert_eq!(id.masked(), "110105********002X");
    }

    #[test]
    fn a_lowercase_x_is_accepted_and_normalised() {
        assert_eq!(
            ResidentId::parse("11010519491231002x").map(|i| i.to_string()),
            Ok("11010519491231002X".into())
        );
    }

    #[test]
    fn identity_numbers_with_a_wrong_check_length_or_date_are_refused() {
        assert!(
            ResidentId::parse("110105194912310021").is_err(),
            "wrong check character"
        );
        assert!(
            ResidentId::parse("11010519491231002").is_err(),
            "17 characters"
        );
        // Valid check digit computed for an impossible date (Feb 30).
        let first17 = "33010619900230123";
        let sum: u32 = first17
            .bytes()
            .zip(RESIDENT_WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        let full = format!("{first17}{}", RESIDENT_CHECK[(sum % 11) as usize] as char);
        assert!(
            ResidentId::parse(&full).is_err(),
            "February 30th is refused"
        );
    }

    #[test]
    fn a_real_credit_code_passes_and_a_changed_one_fails() {
        let first17 = "91330106MA2CD1234";
        let check = CreditCode::check_char(first17).expect("alphabet");
        let code = format!("{first17}{check}");
        assert!(CreditCode::parse(&code).is_ok());
        let changed = code.replace("MA2C", "MA2D");
        assert!(CreditCode::parse(&changed).is_err());
        assert!(
            CreditCode::parse("91330100MA27XYZ1I0").is_err(),
            "I is not in the alphabet"
        );
    }

    #[test]
    fn known_published_credit_codes_validate() {
        // The example in GB 32100-2015 and a code printed on a public business licence.
        for code in ["91350100M000100Y43", "914403001922038216"] {
            let first17 = &code[..17];
            assert_eq!(
                CreditCode::check_char(first17).map(String::from),
                Some(code[17..].to_string()),
                "{code}"
            );
        }
    }

    #[test]
    fn org_codes_carry_their_region() {
        let org = OrgCode::parse("330106-002").expect("valid");
        assert_eq!(org.region().as_str(), "330106");
        assert!(OrgCode::parse("33010-1").is_err());
        assert!(OrgCode::parse("330100-").is_err());
    }

    #[test]
    fn masks_hide_what_the_law_protects() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_person_name("张三丰"), "张某");
    }
}
