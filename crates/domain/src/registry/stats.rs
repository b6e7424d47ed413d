//! The registry's anonymous aggregates: counts by division, sex, age and
//! ethnic group, with small counts hidden so that no one is singled out,
//! not even by subtracting what is shown from a total.

use jiff::civil::Date;
use serde::Serialize;

use crate::refusal::Text;

/// Counts below this are not shown (1 to 4 people could be recognised).
pub const SMALLEST_SHOWN: u64 = 5;

/// Age bands, by the city's services: children, working age, the elderly
/// of the age allowances (60+, 80+) and the oldest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    Under15,
    From15To59,
    From60To79,
    From80To89,
    From90,
}

impl AgeBand {
    pub const ALL: [AgeBand; 5] = [
        AgeBand::Under15,
        AgeBand::From15To59,
        AgeBand::From60To79,
        AgeBand::From80To89,
        AgeBand::From90,
    ];

    /// The band of someone born `birth` (`YYYY-MM-DD`, or `YYYY` when only
    /// the year is known: then their age is the years since, as if the
    /// birthday had passed) on `today`.
    pub fn of(birth: &str, today: Date) -> Option<AgeBand> {
        Some(AgeBand::of_age(age(birth, today)?))
    }

    /// The band of an age in whole years.
    pub fn of_age(age: i16) -> AgeBand {
        match age {
            ..15 => AgeBand::Under15,
            15..60 => AgeBand::From15To59,
            60..80 => AgeBand::From60To79,
            80..90 => AgeBand::From80To89,
            _ => AgeBand::From90,
        }
    }

    pub fn label(self) -> Text {
        match self {
            AgeBand::Under15 => Text::new("0–14岁", "0–14"),
            AgeBand::From15To59 => Text::new("15–59岁", "15–59"),
            AgeBand::From60To79 => Text::new("60–79岁", "60–79"),
            AgeBand::From80To89 => Text::new("80–89岁", "80–89"),
            AgeBand::From90 => Text::new("90岁及以上", "90 and over"),
        }
    }
}

/// Age in whole years on `today` of someone born `birth`.
pub fn age(birth: &str, today: Date) -> Option<i16> {
    if birth.len() == 4 {
        let year: i16 = birth.parse().ok()?;
        return Some(today.year() - year);
    }
    let born: Date = birth.parse().ok()?;
    let mut years = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    Some(years)
}

/// A breakdown's counts as they may be shown: `None` where hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub cells: Vec<Option<u64>>,
    pub total: Option<u64>,
}

/// Hide the counts of one breakdown that could single someone out: every
/// count from 1 to 4, and, when that hides only one count while the total
/// is shown (which would give it away by subtraction), the next smallest
/// count too, or the total when there is no other. Zeros are shown: they
/// single no one out.
pub fn suppress(counts: &[u64]) -> Shown {
    let total: u64 = counts.iter().sum();
    let small = |n: u64| n > 0 && n < SMALLEST_SHOWN;
    let mut cells: Vec<Option<u64>> = counts.iter().map(|&n| (!small(n)).then_some(n)).collect();
    let mut total_shown = !small(total);
    let hidden = cells.iter().filter(|c| c.is_none()).count();
    if hidden == 1 && total_shown {
        let next = cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.filter(|&n| n > 0).map(|n| (n, i)))
            .min();
        match next {
            Some((_, i)) => cells[i] = None,
            None => total_shown = false,
        }
    }
    Shown {
        cells,
        total: total_shown.then_some(total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn ages_and_bands() {
        let today = date(2026, 12, 4);
        assert_eq!(age("1966-12-04", today), Some(60));
        assert_eq!(age("1966-12-05", today), Some(59));
        assert_eq!(age("1946", today), Some(80));
        assert_eq!(AgeBand::of("1966-12-05", today), Some(AgeBand::From15To59));
        assert_eq!(AgeBand::of("1936-01-01", today), Some(AgeBand::From90));
        assert_eq!(AgeBand::of("2020-01-01", today), Some(AgeBand::Under15));
        assert_eq!(AgeBand::of("19x6", today), None);
    }

    #[test]
    fn small_counts_and_what_would_give_them_away_are_hidden() {
        assert_eq!(
            suppress(&[10, 3, 0]),
            Shown {
                cells: vec![None, None, Some(0)],
                total: Some(13)
            }
        );
        assert_eq!(
            suppress(&[10, 20, 7]),
            Shown {
                cells: vec![Some(10), Some(20), Some(7)],
                total: Some(37)
            }
        );
        assert_eq!(
            suppress(&[6, 0]),
            Shown {
                cells: vec![Some(6), Some(0)],
                total: Some(6)
            }
        );
        assert_eq!(
            suppress(&[3]),
            Shown {
                cells: vec![None],
                total: None
            }
        );
    }

    proptest! {
        /// Nothing shown is from 1 to 4, what is shown is exact, and a
        /// hidden count never stands alone beside a shown total.
        #[test]
        fn no_small_count_is_shown_or_can_be_worked_out(
            counts in proptest::collection::vec(prop_oneof![0u64..6, 0u64..200], 0..12)
        ) {
            let shown = suppress(&counts);
            prop_assert_eq!(shown.cells.len(), counts.len());
            for (cell, n) in shown.cells.iter().zip(&counts) {
                if let Some(c) = cell {
                    prop_assert_eq!(c, n);
                    prop_assert!(*c == 0 || *c >= SMALLEST_SHOWN);
                }
            }
            let hidden: Vec<u64> = shown
                .cells
                .iter()
                .zip(&counts)
                .filter(|(c, _)| c.is_none())
                .map(|(_, n)| *n)
                .collect();
            if let Some(total) = shown.total {
                prop_assert_eq!(total, counts.iter().sum::<u64>());
                prop_assert!(total == 0 || total >= SMALLEST_SHOWN);
                // With the total shown, one hidden count would be the
                // total less the rest.
                prop_assert!(hidden.len() != 1);
                // Two or more hidden counts whose sum is below the
                // threshold would be recognised together only as a
                // group, which is how it is shown.
            }
        }
    }
}
