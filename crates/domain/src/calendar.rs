//! The working-day calendar of mainland China: weekends, public holidays and
//! the adjusted working days (调休) of each year's State Council notice.
//!
//! The data ships as one JSON file per year in `data/calendar/`; a deployment
//! can add or override years from a directory at start without a build.
//! A date in a year the calendar has no data for is an error, never a guess.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use jiff::civil::{Date, Weekday};
use jiff::ToSpan;
use serde::{Deserialize, Serialize};

use crate::catalog::{TimeLimit, TimeUnit};

/// A count of working days (工作日).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WorkingDays(pub u32);

impl fmt::Display for WorkingDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} working days", self.0)
    }
}

/// One year's notice, as shipped in `data/calendar/YYYY.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct YearFile {
    pub year: i16,
    pub source: String,
    #[serde(default)]
    pub provisional: bool,
    pub holidays: Vec<Holiday>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holiday {
    pub name: String,
    pub name_en: String,
    pub from: Date,
    pub to: Date,
    #[serde(default)]
    pub workdays: Vec<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("the working-day calendar has no data for {0}")]
    NoData(i16),
    #[error("calendar file is malformed: {0}")]
    Malformed(String),
    #[error("date out of range")]
    OutOfRange,
}

/// The calendar: which dates are working days, for the years it knows.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeMap<i16, YearFile>,
    days_off: BTreeSet<Date>,
    extra_workdays: BTreeSet<Date>,
}

macro_rules! shipped_years {
    ($($y:literal),*) => {
        &[$(include_str!(concat!("../../../data/calendar/", $y, ".json"))),*]
    };
}

/// The year files compiled into the binary.
const SHIPPED: &[&str] = shipped_years!(
    "2009", "2010", "2011", "2012", "2013", "2014", "2015", "2016", "2017", "2018", "2019", "2020",
    "2021", "2022", "2023", "2024", "2025", "2026", "2027"
);

impl Calendar {
    /// The calendar shipped with this build (2009–2027).
    pub fn shipped() -> Calendar {
        let mut cal = Calendar::default();
        for text in SHIPPED {
            // The shipped files are checked by the tests below; a bad one is a build defect.
            let year =
                Self::parse_year(text).unwrap_or_else(|e| panic!("shipped calendar file: {e}"));
            cal.insert(year);
        }
        cal
    }

    /// Parse one year file.
    pub fn parse_year(text: &str) -> Result<YearFile, CalendarError> {
        let year: YearFile =
            serde_json::from_str(text).map_err(|e| CalendarError::Malformed(e.to_string()))?;
        for h in &year.holidays {
            if h.from > h.to {
                return Err(CalendarError::Malformed(format!(
                    "{}: {} is after {}",
                    h.name_en, h.from, h.to
                )));
            }
            for w in &h.workdays {
                if !is_weekend(*w) {
                    return Err(CalendarError::Malformed(format!(
                        "{}: adjusted working day {w} is not a weekend day",
                        h.name_en
                    )));
                }
            }
        }
        Ok(year)
    }

    /// Add (or replace) one year's notice.
    pub fn insert(&mut self, year: YearFile) {
        if let Some(old) = self.years.remove(&year.year) {
            for h in &old.holidays {
                for d in days(h.from, h.to) {
                    self.days_off.remove(&d);
                }
                for w in &h.workdays {
                    self.extra_workdays.remove(w);
                }
            }
        }
        for h in &year.holidays {
            self.days_off.extend(days(h.from, h.to));
            self.extra_workdays.extend(h.workdays.iter().copied());
        }
        self.years.insert(year.year, year);
    }

    /// The years the calendar has data for, with whether each is provisional.
    pub fn years(&self) -> impl Iterator<Item = (i16, bool)> + '_ {
        self.years.values().map(|y| (y.year, y.provisional))
    }

    pub fn year(&self, year: i16) -> Option<&YearFile> {
        self.years.get(&year)
    }

    pub fn is_working_day(&self, date: Date) -> Result<bool, CalendarError> {
        if !self.years.contains_key(&date.year()) {
            return Err(CalendarError::NoData(date.year()));
        }
        if self.extra_workdays.contains(&date) {
            return Ok(true);
        }
        Ok(!is_weekend(date) && !self.days_off.contains(&date))
    }

    /// The `n`th working day after `start` (the start day itself is not counted,
    /// as the law counts periods). Zero days gives `start`.
    pub fn add_working_days(&self, start: Date, n: WorkingDays) -> Result<Date, CalendarError> {
        let mut date = start;
        let mut left = n.0;
        while left > 0 {
            date = next_day(date)?;
            if self.is_working_day(date)? {
                left -= 1;
            }
        }
        Ok(date)
    }

    /// The `n`th working day before `date` (the date itself is not counted).
    /// Zero days gives `date`.
    pub fn sub_working_days(&self, date: Date, n: WorkingDays) -> Result<Date, CalendarError> {
        let mut day = date;
        let mut left = n.0;
        while left > 0 {
            day = day.yesterday().map_err(|_| CalendarError::OutOfRange)?;
            if self.is_working_day(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// Working days in the half-open interval (from, to]; zero when `to <= from`.
    pub fn working_days_between(&self, from: Date, to: Date) -> Result<WorkingDays, CalendarError> {
        let mut count = 0;
        let mut date = from;
        while date < to {
            date = next_day(date)?;
            if self.is_working_day(date)? {
                count += 1;
            }
        }
        Ok(WorkingDays(count))
    }

    /// The first working day on or after `date`.
    pub fn working_day_on_or_after(&self, date: Date) -> Result<Date, CalendarError> {
        let mut d = date;
        while !self.is_working_day(d)? {
            d = next_day(d)?;
        }
        Ok(d)
    }

    /// The last day of a time limit that starts on `start`. Limits in working
    /// days count working days; limits in natural days, months or years that
    /// end on a day off end instead on the next working day.
    pub fn deadline(&self, start: Date, limit: TimeLimit) -> Result<Date, CalendarError> {
        let end = match limit.unit {
            TimeUnit::WorkingDays => return self.add_working_days(start, WorkingDays(limit.value)),
            TimeUnit::Days => start.checked_add(i64::from(limit.value).days()),
            TimeUnit::Months => start.checked_add(i64::from(limit.value).months()),
            TimeUnit::Years => start.checked_add(i64::from(limit.value).years()),
        }
        .map_err(|_| CalendarError::OutOfRange)?;
        self.working_day_on_or_after(end)
    }
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn next_day(d: Date) -> Result<Date, CalendarError> {
    d.tomorrow().map_err(|_| CalendarError::OutOfRange)
}

fn days(from: Date, to: Date) -> impl Iterator<Item = Date> {
    let mut next = Some(from);
    std::iter::from_fn(move || {
        let d = next?;
        next = if d < to { d.tomorrow().ok() } else { None };
        Some(d)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn cal() -> Calendar {
        Calendar::shipped()
    }

    #[test]
    fn every_year_from_2009_to_2027_is_shipped_and_well_formed() {
        let c = cal();
        let years: Vec<i16> = c.years().map(|(y, _)| y).collect();
        assert_eq!(years, (2009..=2027).collect::<Vec<_>>());
        for (y, _) in c.years() {
            let file = c.year(y).expect("listed");
            assert!(
                file.holidays.len() >= 6,
                "{y} lists {} holidays",
                file.holidays.len()
            );
        }
    }

    #[test]
    fn statutory_days_off_on_weekdays_match_the_law_each_year() {
        // 11 statutory days a year until 2024, 13 from 2025 (Spring Festival and
        // Labour Day each gained one); 2015 had the extra 3 September holiday;
        // 2020's Spring Festival was extended by two days (国办发明电〔2020〕1号).
        let c = cal();
        for (y, _) in c.years() {
            // Counted per notice, since a makeup day may fall in the year before.
            let file = c.year(y).expect("listed");
            let weekday_off = file
                .holidays
                .iter()
                .flat_map(|h| days(h.from, h.to))
                .filter(|d| !is_weekend(*d))
                .count() as i32;
            let makeups = file
                .holidays
                .iter()
                .map(|h| h.workdays.len())
                .sum::<usize>() as i32;
            let net = weekday_off - makeups;
            let expected = match y {
                2015 => 12,
                2020 => 13,
                y if y >= 2025 => 13,
                _ => 11,
            };
            assert!(
                net == expected,
                "{y}: {weekday_off} weekdays off less {makeups} makeup days = {net}, statutory {expected}"
            );
        }
    }

    #[test]
    fn spring_festival_2026_pushes_a_deadline_past_the_week() {
        let c = cal();
        // 2026 Spring Festival: 15–23 February off, 14 and 28 February (Saturdays) worked.
        assert!(
            c.is_working_day(date(2026, 2, 14)).expect("covered"),
            "Saturday 14 Feb is a makeup working day"
        );
        for d in 15..=23 {
            assert!(
                !c.is_working_day(date(2026, 2, d)).expect("covered"),
                "2026-02-{d} is a holiday"
            );
        }
        assert!(c.is_working_day(date(2026, 2, 28)).expect("covered"));
        // Accepted Friday 13 Feb, 3 working days: 14 (Sat, worked), 24, 25.
        assert_eq!(
            c.add_working_days(date(2026, 2, 13), WorkingDays(3)),
            Ok(date(2026, 2, 25))
        );
    }

    #[test]
    fn national_day_2026_is_skipped_and_its_makeup_days_counted() {
        let c = cal();
        for d in 1..=7 {
            assert!(!c.is_working_day(date(2026, 10, d)).expect("covered"));
        }
        // 20 working days from Wednesday 30 September 2026 land after the week off.
        let due = c
            .add_working_days(date(2026, 9, 30), WorkingDays(20))
            .expect("covered");
        assert_eq!(
            c.working_days_between(date(2026, 9, 30), due),
            Ok(WorkingDays(20))
        );
        assert!(
            due > date(2026, 10, 27),
            "{due} is too early: the holiday week was counted"
        );
    }

    #[test]
    fn spring_festival_and_national_day_2027_are_days_off() {
        let c = cal();
        // Chinese New Year's Day 2027 is 6 February; 1–3 October are always off.
        assert!(!c.is_working_day(date(2027, 2, 6)).expect("covered"));
        assert!(
            !c.is_working_day(date(2027, 2, 8)).expect("covered"),
            "Monday of the Spring Festival week"
        );
        for d in 1..=3 {
            assert!(!c.is_working_day(date(2027, 10, d)).expect("covered"));
        }
        let due = c
            .add_working_days(date(2027, 9, 30), WorkingDays(1))
            .expect("covered");
        assert!(
            due >= date(2027, 10, 4),
            "the first working day after 30 September 2027 is not in the holiday"
        );
    }

    #[test]
    fn a_year_without_data_is_an_error_not_a_guess() {
        assert_eq!(
            cal().is_working_day(date(2031, 3, 3)),
            Err(CalendarError::NoData(2031))
        );
        assert_eq!(
            cal().add_working_days(date(2027, 12, 30), WorkingDays(5)),
            Err(CalendarError::NoData(2028))
        );
    }

    #[test]
    fn a_later_year_can_be_added_without_a_build() {
        let mut c = cal();
        let text = r#"{"year": 2028, "source": "test", "provisional": true, "holidays": [
            {"name": "元旦", "name_en": "New Year's Day", "from": "2028-01-01", "to": "2028-01-03", "workdays": []}]}"#;
        c.insert(Calendar::parse_year(text).expect("valid"));
        assert_eq!(c.is_working_day(date(2028, 1, 3)), Ok(false));
        assert_eq!(c.is_working_day(date(2028, 1, 4)), Ok(true));
    }

    #[test]
    fn a_malformed_year_file_is_refused() {
        let text = r#"{"year": 2028, "source": "x", "holidays": [
            {"name": "x", "name_en": "x", "from": "2028-01-03", "to": "2028-01-01"}]}"#;
        assert!(Calendar::parse_year(text).is_err());
        let weekday_makeup = r#"{"year": 2028, "source": "x", "holidays": [
            {"name": "x", "name_en": "x", "from": "2028-01-01", "to": "2028-01-01", "workdays": ["2028-01-05"]}]}"#;
        assert!(
            Calendar::parse_year(weekday_makeup).is_err(),
            "Wednesday cannot be a makeup day"
        );
    }

    #[test]
    fn natural_day_limits_ending_on_a_day_off_end_on_the_next_working_day() {
        let c = cal();
        // 2026-09-24 + 7 days = 2026-10-01 (National Day) -> 2026-10-08.
        let limit = TimeLimit {
            value: 7,
            unit: TimeUnit::Days,
        };
        assert_eq!(c.deadline(date(2026, 9, 24), limit), Ok(date(2026, 10, 8)));
    }
}
