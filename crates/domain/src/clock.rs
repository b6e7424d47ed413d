//! Time is injected: the system clock in production, a simulated clock in
//! tests and in `--clock simulated` mode, so deadlines can be shown without waiting.

use std::sync::{Arc, Mutex};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;

    /// Today's date where the platform's users live (Asia/Shanghai).
    fn today(&self) -> Date {
        local_date(self.now())
    }

    /// Move a simulated clock forward to `to` and say where it stands; the
    /// system clock cannot be moved (`None`).
    fn move_to(&self, _to: Timestamp) -> Option<Timestamp> {
        None
    }
}

/// Times are stored in UTC and shown in China Standard Time.
pub fn shanghai() -> TimeZone {
    TimeZone::get("Asia/Shanghai").unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(8)))
}

pub fn local_date(t: Timestamp) -> Date {
    t.to_zoned(shanghai()).date()
}

/// The moment a day begins where the platform's users live.
pub fn start_of_local_day(date: Date) -> Timestamp {
    // Far from any rule of the zone (a date from a query string), the time
    // zone database's lookup can panic; China's offset is +08:00 there.
    let zone = if (1000..=9000).contains(&date.year()) {
        shanghai()
    } else {
        jiff::tz::TimeZone::fixed(jiff::tz::offset(8))
    };
    date.to_zoned(zone)
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The moment a day is over (the next day begins): a deadline "passes" then.
pub fn end_of_local_day(date: Date) -> Timestamp {
    date.tomorrow()
        .map(start_of_local_day)
        .unwrap_or(Timestamp::MAX)
}

/// Format for people: `2026-11-28 08:05` in Shanghai time.
pub fn local_display(t: Timestamp) -> String {
    t.to_zoned(shanghai())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// Timestamps are stored as microseconds since the Unix epoch.
pub fn to_micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub fn from_micros(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that moves only when told to.
#[derive(Debug, Clone)]
pub struct SimulatedClock(Arc<Mutex<Timestamp>>);

impl SimulatedClock {
    pub fn new(start: Timestamp) -> Self {
        SimulatedClock(Arc::new(Mutex::new(start)))
    }

    /// Move forward; a negative duration is ignored, since time never runs back.
    pub fn advance(&self, by: SignedDuration) -> Timestamp {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if by.is_positive() {
            *now = now.checked_add(by).unwrap_or(*now);
        }
        *now
    }

    /// Jump to a later moment; an earlier one is ignored.
    pub fn set(&self, to: Timestamp) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if to > *now {
            *now = to;
        }
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn move_to(&self, to: Timestamp) -> Option<Timestamp> {
        self.set(to);
        Some(self.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulated_clock_only_moves_forward() {
        let start: Timestamp = "2026-02-13T01:00:00Z".parse().expect("valid");
        let clock = SimulatedClock::new(start);
        clock.advance(SignedDuration::from_hours(-5));
        assert_eq!(clock.now(), start);
        clock.advance(SignedDuration::from_hours(24));
        assert_eq!(clock.today(), jiff::civil::date(2026, 2, 14));
    }

    #[test]
    fn shanghai_dates_roll_over_at_local_midnight() {
        let t: Timestamp = "2026-02-13T16:30:00Z".parse().expect("valid");
        assert_eq!(local_date(t), jiff::civil::date(2026, 2, 14));
        assert_eq!(local_display(t), "2026-02-14 00:30");
    }
}
