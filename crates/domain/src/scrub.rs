//! The scrubber (脱敏) every public free text passes: what a person typed
//! into a hotline request, a status note or a comment is shown to the world,
//! so the mainland identity numbers (18 characters, or the 15 digits of the
//! old ones) and the phone numbers (mobiles `1[3-9]` + 9 digits, landlines
//! with an area code such as `0571-85252345`, with or without separators)
//! in it are masked before it is.
//!
//! A number is recognised only as a whole: it is not preceded or followed by
//! a letter or digit, so the digits inside case numbers
//! (`2026-330106-000123`), licence numbers, timestamps, hashes and dates are
//! left alone. A bare 7- or 8-digit local number without its area code is
//! not masked: it cannot be told apart from a date (`20261202`) or a count.

use std::borrow::Cow;

/// The text with every identity and phone number in it masked, digit by
/// digit, with `*`; separators are kept so that the text reads the same.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let chars: Vec<char> = text.chars().collect();
    let mut masked: Option<Vec<char>> = None;
    let mut i = 0;
    while i < chars.len() {
        let starts_here = (chars[i].is_ascii_digit() || matches!(chars[i], '+' | '(' | '（'))
            && (i == 0 || !chars[i - 1].is_ascii_alphanumeric());
        let found = if starts_here {
            number_at(&chars, i)
        } else {
            None
        };
        match found {
            Some(len) => {
                let out = masked.get_or_insert_with(|| chars.clone());
                for c in &mut out[i..i + len] {
                    if c.is_ascii_alphanumeric() {
                        *c = '*';
                    }
                }
                i += len;
            }
            None => i += 1,
        }
    }
    match masked {
        Some(out) => Cow::Owned(out.into_iter().collect()),
        None => Cow::Borrowed(text),
    }
}

/// The length of the identity or phone number that starts at `i`, if one does.
fn number_at(s: &[char], i: usize) -> Option<usize> {
    [identity_18, identity_15, mobile, landline]
        .into_iter()
        .filter_map(|m| m(s, i))
        .filter(|&len| s.get(i + len).is_none_or(|c| !c.is_ascii_alphanumeric()))
        .max()
}

fn digits(s: &[char], i: usize, n: usize) -> Option<u32> {
    let run = s.get(i..i + n)?;
    run.iter().try_fold(0u32, |acc, c| {
        c.to_digit(10)
            .map(|d| acc.saturating_mul(10).saturating_add(d))
    })
}

fn plausible_date(year: u32, month: u32, day: u32) -> bool {
    (1800..=2099).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// 6 digits of region, the birth date `YYYYMMDD`, 3 digits and a check
/// character (a digit or `X`).
fn identity_18(s: &[char], i: usize) -> Option<usize> {
    digits(s, i, 6)?;
    let (year, month, day) = (
        digits(s, i + 6, 4)?,
        digits(s, i + 10, 2)?,
        digits(s, i + 12, 2)?,
    );
    digits(s, i + 14, 3)?;
    let check = *s.get(i + 17)?;
    (plausible_date(year, month, day) && (check.is_ascii_digit() || matches!(check, 'X' | 'x')))
        .then_some(18)
}

/// The old 15 digits: 6 of region, the birth date `YYMMDD`, 3 more.
fn identity_15(s: &[char], i: usize) -> Option<usize> {
    digits(s, i, 6)?;
    let (month, day) = (digits(s, i + 8, 2)?, digits(s, i + 10, 2)?);
    digits(s, i + 6, 2)?;
    digits(s, i + 12, 3)?;
    plausible_date(1900, month, day).then_some(15)
}

/// A separator inside a phone number: at most one space or hyphen.
fn separator(s: &[char], i: usize) -> usize {
    usize::from(matches!(s.get(i), Some(' ' | '-')))
}

/// `1[3-9]` and 9 more digits, as 3-4-4 with optional separators, after an
/// optional `+86`.
fn mobile(s: &[char], start: usize) -> Option<usize> {
    let mut i = start;
    if s.get(i) == Some(&'+') {
        if digits(s, i + 1, 2)? != 86 {
            return None;
        }
        i += 3;
        i += separator(s, i);
    }
    if s.get(i) != Some(&'1') || !matches!(s.get(i + 1), Some('3'..='9')) {
        return None;
    }
    digits(s, i, 3)?;
    i += 3;
    i += separator(s, i);
    digits(s, i, 4)?;
    i += 4;
    i += separator(s, i);
    digits(s, i, 4)?;
    Some(i + 4 - start)
}

/// An area code (`0` and 2 or 3 digits, the first not `0`, optionally in
/// brackets), an optional separator and a local number of 7 or 8 digits.
fn landline(s: &[char], start: usize) -> Option<usize> {
    let bracketed = matches!(s.get(start), Some('(' | '（'));
    let area_start = start + usize::from(bracketed);
    if s.get(area_start) != Some(&'0') || !matches!(s.get(area_start + 1), Some('1'..='9')) {
        return None;
    }
    let mut best = None;
    for area in [3, 4] {
        if digits(s, area_start, area).is_none() {
            continue;
        }
        let mut i = area_start + area;
        if bracketed {
            if !matches!(s.get(i), Some(')' | '）')) {
                continue;
            }
            i += 1;
        }
        i += separator(s, i);
        for local in [8, 7] {
            if digits(s, i, local).is_some() && s.get(i + local).is_none_or(|c| !c.is_ascii_digit())
            {
                best = best.max(Some(i + local - start));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn scrub_masks_identity_numbers_old_and_new() {
        assert_eq!(
            scrub("身份证33010619900101123X谢谢"),
            "身份证******************谢谢"
        );
        assert_eq!(scrub("id 330106199001011234."), "id ******************.");
        assert_eq!(scrub("老证 330106900101123 号"), "老证 *************** 号");
    }

    #[test]
    fn scrub_masks_mobiles_and_landlines_with_or_without_separators() {
        assert_eq!(scrub("电话13812345678。"), "电话***********。");
        assert_eq!(scrub("tel 138-1234-5678"), "tel ***-****-****");
        assert_eq!(scrub("tel 138 1234 5678"), "tel *** **** ****");
        assert_eq!(scrub("+86 13812345678"), "+** ***********");
        assert_eq!(scrub("拨0571-85252345"), "拨****-********");
        assert_eq!(scrub("拨057185252345"), "拨************");
        assert_eq!(
            scrub("(010)65521234 或 010 6552123"),
            "(***)******** 或 *** *******"
        );
    }

    #[test]
    fn scrub_leaves_case_numbers_dates_times_and_hashes_alone() {
        for kept in [
            "2026-330106-000123",
            "ZZ-2026-330106-000123",
            "YJS-2026-330100-012345",
            "2026-12-02",
            "20261202",
            "2026年12月2日 14:35",
            "1700000000000000",
            "a1b33010619900101123Xc",
            "e0f16360105659ab13812345678",
            "共12345件，满意率98.5%",
            "91330106MA2CD00016",
            "330106********123X",
        ] {
            assert_eq!(scrub(kept), kept, "{kept} is not a personal number");
        }
    }

    /// A valid-looking identity number, from its parts.
    fn identity() -> impl Strategy<Value = String> {
        (
            100_000u32..=999_999,
            1900u32..=2025,
            1u32..=12,
            1u32..=28,
            0u32..=999,
            prop::sample::select(vec!['0', '5', '9', 'X']),
        )
            .prop_map(|(r, y, m, d, s, c)| format!("{r}{y:04}{m:02}{d:02}{s:03}{c}"))
    }

    fn old_identity() -> impl Strategy<Value = String> {
        (
            100_000u32..=999_999,
            0u32..=99,
            1u32..=12,
            1u32..=28,
            0u32..=999,
        )
            .prop_map(|(r, y, m, d, s)| format!("{r}{y:02}{m:02}{d:02}{s:03}"))
    }

    fn phone() -> impl Strategy<Value = String> {
        let sep = prop::sample::select(vec!["", " ", "-"]);
        prop_oneof![
            (
                3u32..=9,
                0u32..=9,
                0u32..=9999,
                0u32..=9999,
                sep.clone(),
                any::<bool>()
            )
                .prop_map(|(b, c, m, e, sep, plus)| format!(
                    "{}1{b}{c}{sep}{m:04}{sep}{e:04}",
                    if plus { "+86 " } else { "" }
                )),
            (
                10u32..=999,
                0u32..=9_999_999,
                7usize..=8,
                sep,
                any::<bool>()
            )
                .prop_map(|(area, local, len, sep, bracket)| {
                    let local = format!("{:0>len$}", local % 10u32.pow(len as u32), len = len);
                    let local = format!(
                        "{}{}",
                        (local.as_bytes()[0] % 8 + b'2') as char,
                        &local[1..]
                    );
                    if bracket {
                        format!("(0{area}){local}")
                    } else {
                        format!("0{area}{sep}{local}")
                    }
                }),
        ]
    }

    /// Text before a number: anything that does not end in a letter or digit.
    fn around() -> impl Strategy<Value = String> {
        "(\\PC{0,20}[^0-9a-zA-Z\\pC])?"
    }

    proptest! {
        #[test]
        fn scrub_masks_every_number_embedded_in_text(
            before in around(),
            number in prop_oneof![identity(), old_identity(), phone()],
            after in around(),
        ) {
            let after: String = after.chars().rev().collect();
            let text = format!("{before}{number}{after}");
            let out = scrub(&text);
            let kept: String = number.chars().filter(|c| c.is_ascii_digit()).collect();
            let shown: String = out.chars().filter(|c| c.is_ascii_digit()).collect();
            prop_assert!(!shown.contains(&kept), "{text:?} became {out:?}");
            prop_assert!(out.starts_with(before.as_str()), "{text:?} became {out:?}");
            prop_assert!(out.ends_with(after.as_str()), "{text:?} became {out:?}");
        }

        #[test]
        fn scrub_leaves_text_without_digits_unchanged(text in "[^0-9]{0,60}") {
            prop_assert_eq!(scrub(&text), text.as_str());
        }
    }
}
