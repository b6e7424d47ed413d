//! The law's clocks: a case's promised and legal deadlines in working days
//! from the calendar, from the day of acceptance, with the days of special
//! procedures not counted and one extension within the law's bound.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError, WorkingDays};
use crate::catalog::{TimeLimit, TimeUnit};

/// What a case's clock needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseClock {
    /// The day of acceptance (受理); the limit counts from the day after.
    pub accepted_on: Date,
    /// Periods in which the clock stood still (hearings, tests, inspections,
    /// expert reviews): from the day the procedure began to the day it ended,
    /// `None` while it goes on.
    pub stops: Vec<(Date, Option<Date>)>,
    /// Working days granted by an extension (延期), zero when none.
    pub extension: WorkingDays,
    /// The day the current process step began (acceptance, or the day the
    /// case was passed or returned to it).
    #[serde(default)]
    pub step_started_on: Option<Date>,
}

impl CaseClock {
    /// The clock starting on the day of acceptance, at the first step.
    pub fn start(accepted_on: Date) -> CaseClock {
        CaseClock {
            accepted_on,
            stops: vec![],
            extension: WorkingDays(0),
            step_started_on: Some(accepted_on),
        }
    }

    /// The clock of the current step alone: from the day it began, with the
    /// stops that fell within it, and no extension (an extension is the
    /// case's, not a step's).
    pub fn step_clock(&self) -> CaseClock {
        let start = self.step_started_on.unwrap_or(self.accepted_on);
        CaseClock {
            accepted_on: start,
            stops: self
                .stops
                .iter()
                .filter(|(_, to)| to.is_none_or(|t| t > start))
                .map(|(from, to)| ((*from).max(start), *to))
                .collect(),
            extension: WorkingDays(0),
            step_started_on: Some(start),
        }
    }
}

/// What a command does to a case's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockChange {
    None,
    /// Acceptance starts the clock.
    Start,
    /// The case passed or returned to a step: the step's clock starts.
    NextStep,
    /// A special procedure begins: the clock stands still.
    Stop,
    /// The special procedure ended: the clock runs again.
    Restart,
    /// The time limit grows by these working days.
    Extend(WorkingDays),
}

impl ClockChange {
    /// The clock after the change, made `today`; a clock not started is
    /// changed only by starting it.
    pub fn apply(self, clock: &mut Option<CaseClock>, today: Date) {
        if let ClockChange::Start = self {
            *clock = Some(CaseClock::start(today));
            return;
        }
        let Some(c) = clock.as_mut() else {
            return;
        };
        match self {
            ClockChange::NextStep => c.step_started_on = Some(today),
            ClockChange::Stop => c.stops.push((today, None)),
            ClockChange::Restart => {
                if let Some((_, end)) = c.stops.last_mut() {
                    *end = Some(today);
                }
            }
            ClockChange::Extend(days) => c.extension = days,
            ClockChange::None | ClockChange::Start => {}
        }
    }
}

/// Days in which the clock stood still up to `today`, in the limit's unit:
/// the working days (or natural days) of each stop, the day it began
/// included and the day it ended not.
pub fn stopped_days(
    cal: &Calendar,
    stops: &[(Date, Option<Date>)],
    today: Date,
    unit: TimeUnit,
) -> Result<u32, CalendarError> {
    let mut total = 0u32;
    for (from, to) in stops {
        let end = to.unwrap_or(today).max(*from);
        let days = match unit {
            TimeUnit::WorkingDays => {
                // Working days in [from, end): those in (from - 1, end - 1].
                let before = from.yesterday().map_err(|_| CalendarError::OutOfRange)?;
                let last = end.yesterday().map_err(|_| CalendarError::OutOfRange)?;
                cal.working_days_between(before, last)?.0
            }
            _ => u32::try_from((end - *from).get_days().max(0)).unwrap_or(0),
        };
        total = total.saturating_add(days);
    }
    Ok(total)
}

/// The due date of a limit for a case: counted from acceptance, pushed back
/// by the days the clock stood still and by the extension.
pub fn due_date(
    cal: &Calendar,
    clock: &CaseClock,
    limit: TimeLimit,
    today: Date,
) -> Result<Date, CalendarError> {
    let stopped = stopped_days(cal, &clock.stops, today, limit.unit)?;
    let extension = if limit.unit == TimeUnit::WorkingDays {
        clock.extension.0
    } else {
        0
    };
    let mut due = cal.deadline(
        clock.accepted_on,
        TimeLimit {
            value: limit
                .value
                .saturating_add(stopped)
                .saturating_add(extension),
            unit: limit.unit,
        },
    )?;
    if limit.unit != TimeUnit::WorkingDays && clock.extension.0 > 0 {
        due = cal.add_working_days(due, clock.extension)?;
    }
    Ok(due)
}
