//! Integers a JSON number does not carry exactly. A reader that takes JSON
//! numbers as doubles (JavaScript, many JSON libraries) keeps 53 bits, and
//! the card ledger's ids go past them: the books' own transfer ids start at
//! 2⁶³, a party's takings account is 2⁶² and up, a client's transfer id may
//! be up to 2⁶² − 1. Such an id read as a double comes back rounded
//! (9223372036854775809 as 9223372036854776000), and sent back it names
//! another transfer or none. So they travel as decimal strings; a JSON
//! number is still taken on input, for the clients that sent one before.
//!
//! A `u64` field takes `#[serde(with = "crate::decimal_u64")]` (an
//! `Option<u64>` `…::option`), and in the OpenAPI document it is a string:
//! `#[schema(value_type = String, pattern = "^[0-9]{1,20}$", example = "…")]`.

use std::fmt;

use serde::de::{self, Unexpected};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest integer every JSON reader keeps exactly: 2⁵³ − 1.
pub const MAX_EXACT: u64 = (1 << 53) - 1;

/// A `u64` that serializes as its decimal string and reads from one (or from
/// a JSON number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalU64(pub u64);

impl Serialize for DecimalU64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DecimalU64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Decimal).map(DecimalU64)
    }
}

struct Decimal;

impl de::Visitor<'_> for Decimal {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an unsigned integer as a decimal string")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        // Digits only: no sign, no spaces, no exponent.
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::invalid_value(Unexpected::Str(v), &self));
        }
        v.parse()
            .map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
    }
}

pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    DecimalU64(*v).serialize(s)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    DecimalU64::deserialize(d).map(|v| v.0)
}

/// The same for an `Option<u64>`: `null` (or, with `#[serde(default)]`,
/// nothing) is `None`.
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        v.map(DecimalU64).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Option::<DecimalU64>::deserialize(d).map(|v| v.map(|v| v.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Both {
        #[serde(with = "crate::decimal_u64")]
        id: u64,
        #[serde(default, with = "crate::decimal_u64::option")]
        of: Option<u64>,
    }

    #[test]
    fn past_two_to_the_53_an_id_goes_out_as_a_string_and_comes_back_exactly() {
        let big = (1 << 63) | 1;
        assert!(big > MAX_EXACT);
        let out = serde_json::to_value(Both {
            id: big,
            of: Some(u64::MAX),
        })
        .expect("serialize");
        assert_eq!(
            out,
            serde_json::json!({"id": "9223372036854775809", "of": "18446744073709551615"})
        );
        let back: Both = serde_json::from_value(out).expect("read back");
        assert_eq!(back.id, big);
        assert_eq!(back.of, Some(u64::MAX));
    }

    #[test]
    fn a_number_is_still_taken_and_a_missing_or_null_option_is_none() {
        let read = |s: &str| serde_json::from_str::<Both>(s);
        assert_eq!(
            read(r#"{"id": 7}"#).expect("number"),
            Both { id: 7, of: None }
        );
        assert_eq!(
            read(r#"{"id": "7", "of": null}"#).expect("null"),
            Both { id: 7, of: None }
        );
        assert_eq!(read(r#"{"id": 7, "of": 8}"#).expect("both").of, Some(8));
    }

    #[test]
    fn anything_but_a_plain_unsigned_integer_is_refused() {
        for bad in [
            r#""""#,
            r#""-1""#,
            r#""+1""#,
            r#"" 1""#,
            r#""1e3""#,
            r#""18446744073709551616""#,
            "-1",
            "1.5",
            "true",
        ] {
            let s = format!(r#"{{"id": {bad}}}"#);
            assert!(serde_json::from_str::<Both>(&s).is_err(), "{s}");
        }
    }
}
