//! Which backups to keep: a retention plan over archives by their moments.
//!
//! The plan keeps every moment of the last `continuous` span restorable
//! (the log shipped after each base is kept that long), then one archive a
//! day for `daily` days, then one a month for `monthly` months; the newest
//! archive is always kept. A base older than the continuous span keeps no
//! log: it restores to its own moment.

use jiff::{Span, Timestamp, ToSpan};

/// How long each kind of restore point is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RetentionPlan {
    /// Hours during which any moment can be restored.
    pub continuous_hours: i64,
    /// Days for which one archive a day is kept.
    pub daily: i64,
    /// Months for which one archive a month is kept.
    pub monthly: i64,
}

impl Default for RetentionPlan {
    /// Any moment of the last two days, a day a month, a month a year.
    fn default() -> Self {
        RetentionPlan {
            continuous_hours: 48,
            daily: 30,
            monthly: 12,
        }
    }
}

/// What to do with one archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Base and log: every moment it covers.
    Whole,
    /// The base only; its log may go.
    BaseOnly,
    /// Nothing of it is needed.
    Drop,
}

fn day_of(t: Timestamp) -> (i16, i8, i8) {
    let d = t.to_zoned(jiff::tz::TimeZone::UTC).date();
    (d.year(), d.month(), d.day())
}

fn month_of(t: Timestamp) -> (i16, i8) {
    let (y, m, _) = day_of(t);
    (y, m)
}

impl RetentionPlan {
    fn within(now: Timestamp, span: Span, t: Timestamp) -> bool {
        now.checked_sub(span).is_ok_and(|edge| t >= edge)
    }

    /// For archives taken at `moments` (any order), what to keep, in the
    /// same order. An archive's log is needed while any moment it covers is
    /// within the continuous span: that is, while the *next* archive was
    /// taken within it (or it is the newest).
    pub fn decide(&self, moments: &[Timestamp], now: Timestamp) -> Vec<Keep> {
        let mut order: Vec<usize> = (0..moments.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(moments[i]));
        let mut out = vec![Keep::Drop; moments.len()];
        let mut days = std::collections::BTreeSet::new();
        let mut months = std::collections::BTreeSet::new();
        let continuous = self.continuous_hours.hours();
        for (rank, &i) in order.iter().enumerate() {
            let t = moments[i];
            let next = rank.checked_sub(1).map(|r| moments[order[r]]);
            let log_needed = match next {
                None => true,
                Some(n) => Self::within(now, continuous, n),
            };
            // The newest archive of each day (month) is that day's (month's).
            let daily = Self::within(now, (self.daily * 24).hours(), t) && days.insert(day_of(t));
            let monthly = Self::within(now, (self.monthly * 31 * 24).hours(), t)
                && months.insert(month_of(t));
            out[i] = if log_needed {
                Keep::Whole
            } else if daily || monthly {
                Keep::BaseOnly
            } else {
                Keep::Drop
            };
        }
        out
    }
}

/// The recovery point a backup achieves: how far behind the store its
/// newest restorable moment is, as a whole number of milliseconds.
pub fn rpo_millis(now: Timestamp, last_restorable: Timestamp) -> i64 {
    (now.as_millisecond() - last_restorable.as_millisecond()).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_newest_archive_is_kept_whole_and_the_log_before_the_span_goes() {
        let plan = RetentionPlan::default();
        let now = at("2026-12-02T12:00:00Z");
        let moments = [
            at("2026-11-29T00:00:00Z"),
            at("2026-11-30T00:00:00Z"),
            at("2026-12-01T00:00:00Z"),
            at("2026-12-02T00:00:00Z"),
        ];
        let d = plan.decide(&moments, now);
        // 11-30's log covers up to 12-01 00:00, within 48 h: whole.
        assert_eq!(
            d,
            vec![Keep::BaseOnly, Keep::Whole, Keep::Whole, Keep::Whole]
        );
    }

    #[test]
    fn one_a_day_then_one_a_month_then_none() {
        let plan = RetentionPlan {
            continuous_hours: 1,
            daily: 3,
            monthly: 2,
        };
        let now = at("2026-12-10T12:00:00Z");
        let moments = [
            at("2026-10-01T00:00:00Z"), // beyond two months: dropped
            at("2026-11-05T00:00:00Z"), // November's newest? no, 11-20 is
            at("2026-11-20T00:00:00Z"), // November's newest: monthly
            at("2026-12-09T01:00:00Z"), // 12-09's older one: dropped
            at("2026-12-09T23:00:00Z"), // its log reaches 12-10 11:30, within the hour: whole
            at("2026-12-10T11:30:00Z"), // newest: whole
        ];
        let d = plan.decide(&moments, now);
        assert_eq!(
            d,
            vec![
                Keep::Drop,
                Keep::Drop,
                Keep::BaseOnly,
                Keep::Drop,
                Keep::Whole,
                Keep::Whole
            ]
        );
        // The input's order does not matter.
        let mut rev = moments;
        rev.reverse();
        let mut back = plan.decide(&rev, now);
        back.reverse();
        assert_eq!(back, d);
    }

    #[test]
    fn rpo_is_never_negative() {
        let now = at("2026-12-02T12:00:00Z");
        assert_eq!(rpo_millis(now, at("2026-12-02T11:59:59.250Z")), 750);
        assert_eq!(rpo_millis(now, at("2026-12-02T12:00:01Z")), 0);
    }
}
