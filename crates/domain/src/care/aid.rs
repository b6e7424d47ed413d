//! Help for vulnerable households (弱势群体帮扶): a household's record of
//! aid (低保, 优抚) with the amount paid each month and the day it must
//! be reviewed again; the months paid; an overdue review is supervision's.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::refusal::{is_clean_text, FieldErrors, Refusal, Text};

/// A kind of aid, with how often it is reviewed (`data/care/rules.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AidRule {
    pub kind: String,
    pub name_zh: String,
    pub name_en: String,
    pub review_months: u32,
    /// For an allowance that tops a household's income up to a standard
    /// (低保): the standard for each member a month, fen.
    #[serde(default)]
    pub standard_fen: Option<u64>,
}

impl AidRule {
    pub fn name(&self) -> Text {
        Text::new(&self.name_zh, &self.name_en)
    }
}

/// The most a month's aid may be: 100,000 yuan would be a slip of the keys.
pub const MAX_MONTHLY_FEN: u64 = 10_000_000;

/// A month's allowance for a household under a standard (补差): the
/// standard for each member less the household's income, fen. None when
/// the kind has no standard, or the income reaches it (the household is
/// not eligible).
pub fn topped_up_monthly(rule: &AidRule, members: u64, income_fen: u64) -> Option<u64> {
    let line = rule.standard_fen?.checked_mul(members)?;
    line.checked_sub(income_fen)
        .filter(|gap| *gap > 0)
        .map(|gap| gap.min(MAX_MONTHLY_FEN))
}

/// The day a record is next reviewed: `months` after the last review.
pub fn next_review(last: Date, months: u32) -> Date {
    last.checked_add(jiff::Span::new().months(i64::from(months)))
        .unwrap_or(last)
}

/// A new record: a known kind, an amount, a start not in the future.
pub fn check_record(
    rule: Option<&AidRule>,
    monthly_fen: u64,
    since: &str,
    today: Date,
) -> Result<Date, Refusal> {
    let mut faults = FieldErrors::default();
    if rule.is_none() {
        faults.add("kind", "没有这种救助类别", "No such kind of aid");
    }
    if monthly_fen == 0 || monthly_fen > MAX_MONTHLY_FEN {
        faults.add(
            "monthly_fen",
            "月救助金额应大于0且不超过10万元",
            "A month's aid is more than 0 and at most 100,000 yuan",
        );
    }
    let since = match since.trim().parse::<Date>() {
        Ok(d) if d <= today => Some(d),
        _ => {
            faults.add(
                "since",
                "起始日期应为今天或以前的“YYYY-MM-DD”",
                "The start is a day (YYYY-MM-DD) not after today",
            );
            None
        }
    };
    faults.check()?;
    Ok(since.unwrap_or(today))
}

/// What a review found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// Still eligible at the same amount.
    Continue,
    /// Still eligible at a new amount.
    Adjust,
    /// No longer eligible: the aid ends.
    End,
}

/// A review: its outcome, the new amount when adjusted, and a note.
pub fn check_review(
    outcome: ReviewOutcome,
    new_fen: Option<u64>,
    note: &str,
    active: bool,
) -> Result<(), Refusal> {
    if !active {
        return Err(Refusal::conflict(
            "aid_ended",
            "该救助已终止",
            "The aid has ended",
        ));
    }
    let mut faults = FieldErrors::default();
    if outcome == ReviewOutcome::Adjust && !new_fen.is_some_and(|f| f > 0 && f <= MAX_MONTHLY_FEN) {
        faults.add(
            "monthly_fen",
            "请填写调整后的月救助金额",
            "Give the new amount of a month's aid",
        );
    }
    let n = note.trim().chars().count();
    if n == 0 || n > 500 || !is_clean_text(note) {
        faults.add(
            "note",
            "请填写复核情况（500字以内）",
            "Say what the review found (at most 500 characters)",
        );
    }
    faults.check()
}

/// A month's payment: from the aid's first month up to this one, or, once
/// it has ended (`ended_on`), up to the month it ended in: a month it was
/// owed is still paid after it ends, none after.
pub fn check_payment(
    month: &str,
    since: Date,
    today: Date,
    ended_on: Option<Date>,
) -> Result<Date, Refusal> {
    let first: Date = format!("{}-01", month.trim())
        .parse()
        .map_err(|_| Refusal::field("month", "月份应为“YYYY-MM”", "A month is YYYY-MM"))?;
    if let Some(end) = ended_on {
        if first > end.first_of_month() {
            return Err(Refusal::conflict(
                "aid_ended",
                "该救助已终止，终止之后的月份不再发放",
                "The aid has ended: no month after it ended is paid",
            ));
        }
    }
    if first < since.first_of_month() || first > today.first_of_month() {
        return Err(Refusal::field(
            "month",
            "只能发放救助开始以来、截至本月的月份",
            "Only months from the aid's start up to this one are paid",
        ));
    }
    Ok(first)
}

/// The month an amount set by a review comes into force: the one after
/// the review's (this month is paid as it was decided).
pub fn adjusted_from(review_day: Date) -> Date {
    let first = review_day.first_of_month();
    first
        .checked_add(jiff::Span::new().months(1))
        .unwrap_or(first)
}

/// The amount in force in `month` of a record whose amounts are given as
/// (first month in force, amount), in any order: the latest that began on
/// or before it; none before the first.
pub fn amount_in(month: Date, amounts: &[(Date, i64)]) -> Option<i64> {
    let month = month.first_of_month();
    amounts
        .iter()
        .filter(|(from, _)| from.first_of_month() <= month)
        .max_by_key(|(from, _)| *from)
        .map(|(_, fen)| *fen)
}

/// A new record's first review: a period after its start, or, for aid
/// recorded long after it started, the first such anniversary after today
/// (recording it is a look at the household; its reviews keep the start's
/// rhythm).
pub fn first_review(since: Date, months: u32, today: Date) -> Date {
    let mut next = next_review(since, months);
    let mut periods = 1i64;
    while next <= today && periods < 1200 {
        periods += 1;
        next = since
            .checked_add(jiff::Span::new().months(i64::from(months) * periods))
            .unwrap_or(today.tomorrow().unwrap_or(today));
    }
    next
}

#[cfg(test)]
mod amount_tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> Date {
        s.parse().expect("a day")
    }

    #[test]
    fn a_month_is_paid_at_the_amount_in_force_in_it() {
        let amounts = [(day("2026-09-01"), 90_000), (day("2026-01-01"), 120_000)];
        assert_eq!(amount_in(day("2025-12-31"), &amounts), None);
        assert_eq!(amount_in(day("2026-01-15"), &amounts), Some(120_000));
        assert_eq!(amount_in(day("2026-08-31"), &amounts), Some(120_000));
        assert_eq!(amount_in(day("2026-09-01"), &amounts), Some(90_000));
        assert_eq!(amount_in(day("2030-01-01"), &amounts), Some(90_000));
        assert_eq!(adjusted_from(day("2026-12-05")), day("2027-01-01"));
        assert_eq!(adjusted_from(day("2026-01-31")), day("2026-02-01"));
    }

    proptest! {
        /// Whatever the history, a month is paid at the amount of the
        /// latest change on or before it, and a change never alters a
        /// month before it came into force.
        #[test]
        fn a_later_change_never_alters_an_earlier_month(
            changes in proptest::collection::vec((0..48i8, 1..500_000i64), 1..8),
            month in 0..60i8,
            later in 0..12i8,
            fen in 1..500_000i64,
        ) {
            let start = day("2024-01-01");
            let at = |m: i8| start.checked_add(jiff::Span::new().months(i64::from(m))).expect("a month");
            let amounts: Vec<(Date, i64)> = changes.iter().map(|(m, f)| (at(*m), *f)).collect();
            let before = amount_in(at(month), &amounts);
            let mut changed = amounts.clone();
            changed.push((at(month + 1 + later), fen));
            prop_assert_eq!(amount_in(at(month), &changed), before);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn rule() -> AidRule {
        AidRule {
            kind: "dibao".into(),
            name_zh: "最低生活保障".into(),
            name_en: "Minimum living allowance".into(),
            review_months: 12,
            standard_fen: Some(127_000),
        }
    }

    #[test]
    fn an_allowance_tops_the_households_income_up_to_the_standard() {
        // Three members under a standard of 1,270 yuan with 1,500 yuan a month.
        assert_eq!(topped_up_monthly(&rule(), 3, 150_000), Some(231_000));
        assert_eq!(topped_up_monthly(&rule(), 1, 0), Some(127_000));
        assert_eq!(topped_up_monthly(&rule(), 2, 254_000), None, "at the line");
        assert_eq!(topped_up_monthly(&rule(), 2, 900_000), None, "above it");
        let no_standard = AidRule {
            standard_fen: None,
            ..rule()
        };
        assert_eq!(topped_up_monthly(&no_standard, 2, 0), None);
        assert_eq!(
            topped_up_monthly(&rule(), 50, 0),
            Some(50 * 127_000),
            "within the most a month may be"
        );
    }

    #[test]
    fn a_record_is_reviewed_a_year_on_and_paid_month_by_month() {
        let today = date(2026, 12, 4);
        assert_eq!(
            check_record(Some(&rule()), 120_000, "2026-01-15", today).unwrap(),
            date(2026, 1, 15)
        );
        assert_eq!(next_review(date(2026, 1, 15), 12), date(2027, 1, 15));
        assert_eq!(next_review(date(2024, 2, 29), 12), date(2025, 2, 28));
        let r = check_record(None, 0, "2027-01-01", today).unwrap_err();
        let fields: Vec<&str> = r.fields.keys().map(String::as_str).collect();
        assert_eq!(fields, ["kind", "monthly_fen", "since"]);
        let since = date(2026, 1, 15);
        assert_eq!(
            check_payment("2026-01", since, today, None).unwrap(),
            date(2026, 1, 1)
        );
        assert!(check_payment("2025-12", since, today, None).is_err());
        assert!(check_payment("2027-01", since, today, None).is_err());
        // Ended in June: May and June are still owed, July is not.
        let ended = Some(date(2026, 6, 10));
        assert!(check_payment("2026-05", since, today, ended).is_ok());
        assert!(check_payment("2026-06", since, today, ended).is_ok());
        assert_eq!(
            check_payment("2026-07", since, today, ended)
                .unwrap_err()
                .code,
            "aid_ended"
        );
    }

    #[test]
    fn aid_recorded_long_after_it_began_is_reviewed_on_its_next_anniversary() {
        let today = date(2026, 12, 4);
        assert_eq!(
            first_review(date(2026, 11, 1), 12, today),
            date(2027, 11, 1)
        );
        assert_eq!(
            first_review(date(2023, 3, 15), 12, today),
            date(2027, 3, 15),
            "not overdue the day it is recorded"
        );
        assert_eq!(
            first_review(date(2025, 12, 4), 12, today),
            date(2027, 12, 4),
            "recorded on its anniversary: the next one"
        );
        assert_eq!(
            first_review(date(2024, 2, 29), 12, today),
            date(2027, 2, 28)
        );
    }

    #[test]
    fn a_review_says_what_it_found() {
        assert!(check_review(ReviewOutcome::Continue, None, "入户核查，情况未变", true).is_ok());
        let r = check_review(ReviewOutcome::Adjust, None, " ", true).unwrap_err();
        let fields: Vec<&str> = r.fields.keys().map(String::as_str).collect();
        assert_eq!(fields, ["monthly_fen", "note"]);
        assert_eq!(
            check_review(ReviewOutcome::End, None, "x", false)
                .unwrap_err()
                .code,
            "aid_ended"
        );
    }
}
