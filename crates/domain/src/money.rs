//! Money: an amount in fen (分, a hundredth of a yuan), read from what a
//! person types or a GTFS fare table holds, and written in the three forms
//! the platform shows.

use std::fmt;

/// An amount of money in fen; negative when owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fen(pub i64);

/// The most digits of whole yuan [`Fen::parse`] reads (under a trillion
/// yuan), so that sums of parsed amounts stay far from overflowing.
const MAX_WHOLE_DIGITS: usize = 12;

impl Fen {
    /// Yuan as typed or written in a fare table: digits, then at most two
    /// decimals (`2`, `1.5`, `0.91`); no sign, no exponent, spaces around
    /// ignored.
    pub fn parse(s: &str) -> Option<Fen> {
        let s = s.trim();
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || whole.len() > MAX_WHOLE_DIGITS
            || frac.len() > 2
            || !digits(whole)
            || !digits(frac)
        {
            return None;
        }
        let cents = frac
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(2)
            .fold(0i64, |n, b| n * 10 + i64::from(b - b'0'));
        whole
            .parse::<i64>()
            .ok()?
            .checked_mul(100)?
            .checked_add(cents)
            .map(Fen)
    }

    /// The amount in fen.
    pub fn fen(self) -> i64 {
        self.0
    }

    /// Yuan with two decimals and thousands grouped, signed (`-50,000.00`),
    /// as pages show money to people.
    pub fn grouped(self) -> Grouped {
        Grouped(self)
    }

    /// Yuan with trailing zeros dropped (`12.5`, `10`), as refusals and
    /// short texts say an amount.
    pub fn short(self) -> Short {
        Short(self)
    }

    fn sign(self) -> &'static str {
        if self.0 < 0 {
            "-"
        } else {
            ""
        }
    }

    fn parts(self) -> (u64, u64) {
        let abs = self.0.unsigned_abs();
        (abs / 100, abs % 100)
    }
}

/// The plain form (`-0.50`, `50000.00`): a form field's value, which
/// [`Fen::parse`] reads back when it is not negative.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, cents) = self.parts();
        write!(f, "{}{whole}.{cents:02}", self.sign())
    }
}

impl From<i64> for Fen {
    fn from(fen: i64) -> Fen {
        Fen(fen)
    }
}

/// See [`Fen::grouped`].
#[derive(Debug, Clone, Copy)]
pub struct Grouped(Fen);

impl fmt::Display for Grouped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, cents) = self.0.parts();
        f.write_str(self.0.sign())?;
        let mut buf = [0u8; 20];
        let mut at = buf.len();
        let mut n = whole;
        loop {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let digits = &buf[at..];
        for (i, d) in digits.iter().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                f.write_str(",")?;
            }
            write!(f, "{}", char::from(*d))?;
        }
        write!(f, ".{cents:02}")
    }
}

/// See [`Fen::short`].
#[derive(Debug, Clone, Copy)]
pub struct Short(Fen);

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = self.0.sign();
        let (whole, cents) = self.0.parts();
        match cents {
            0 => write!(f, "{sign}{whole}"),
            c if c % 10 == 0 => write!(f, "{sign}{whole}.{}", c / 10),
            c => write!(f, "{sign}{whole}.{c:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn yuan_is_read_as_typed_or_as_a_fare_table_writes_it() {
        assert_eq!(Fen::parse("2"), Some(Fen(200)));
        assert_eq!(Fen::parse("1.5"), Some(Fen(150)));
        assert_eq!(Fen::parse(" 0.91 "), Some(Fen(91)));
        assert_eq!(Fen::parse("0.01"), Some(Fen(1)));
        for bad in ["", ".5", "2.005", "-1", "+1", "1e3", "1..2", "１"] {
            assert_eq!(Fen::parse(bad), None, "{bad:?} is not an amount");
        }
        assert_eq!(
            Fen::parse("1."),
            Some(Fen(100)),
            "a bare point is whole yuan"
        );
        assert_eq!(Fen::parse("9999999999999"), None, "over twelve digits");
        assert_eq!(Fen::parse("999999999999.99"), Some(Fen(99_999_999_999_999)));
    }

    #[test]
    fn money_is_written_in_the_three_forms_the_platform_uses() {
        assert_eq!(Fen(-50).to_string(), "-0.50");
        assert_eq!(Fen(5_000_000).to_string(), "50000.00");
        assert_eq!(Fen(-5_000_000).grouped().to_string(), "-50,000.00");
        assert_eq!(Fen(0).grouped().to_string(), "0.00");
        assert_eq!(
            Fen(i64::MIN).grouped().to_string(),
            "-92,233,720,368,547,758.08"
        );
        assert_eq!(Fen(1_250).short().to_string(), "12.5");
        assert_eq!(Fen(1_000).short().to_string(), "10");
        assert_eq!(Fen(-1).short().to_string(), "-0.01");
    }

    proptest! {
        #[test]
        fn the_plain_form_reads_back(fen in 0i64..100_000_000_000_000) {
            prop_assert_eq!(Fen::parse(&Fen(fen).to_string()), Some(Fen(fen)));
            prop_assert_eq!(Fen::parse(&Fen(fen).short().to_string()), Some(Fen(fen)));
        }

        #[test]
        fn under_a_yuan_owed_keeps_its_minus(fen in -99i64..=-1) {
            let plain = Fen(fen).to_string();
            prop_assert!(plain.starts_with("-0."), "{}", plain);
            prop_assert!(Fen(fen).grouped().to_string().starts_with("-0."));
            prop_assert!(Fen(fen).short().to_string().starts_with("-0."));
            prop_assert_eq!(Fen::parse(&plain[1..]), Some(Fen(-fen)));
        }

        #[test]
        fn grouping_only_adds_commas_every_three_digits(fen in any::<i64>()) {
            let grouped = Fen(fen).grouped().to_string();
            prop_assert_eq!(grouped.replace(',', ""), Fen(fen).to_string());
            let whole = grouped.trim_start_matches('-').split('.').next().unwrap_or("");
            for (i, group) in whole.split(',').enumerate() {
                prop_assert!(
                    if i == 0 { (1..=3).contains(&group.len()) } else { group.len() == 3 },
                    "{}", grouped
                );
            }
        }
    }
}
