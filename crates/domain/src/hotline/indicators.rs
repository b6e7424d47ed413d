//! The hotline's indicators: the three rates (三率) and what is overdue.

use jiff::Timestamp;
use serde::Serialize;

use super::lifecycle::{Ticket, TicketState};

/// What the indicators count of one ticket.
#[derive(Debug, Clone)]
pub struct Counted<'a> {
    pub ticket: &'a Ticket,
    pub unit: Option<&'a str>,
    pub district: &'a str,
    pub category: &'a str,
}

/// The hotline's indicators for a group of tickets: the three rates (三率)
/// and what is overdue now.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Indicators {
    /// Tickets taken (merged ones are counted in their primary).
    pub taken: u64,
    /// Signed for by the unit.
    pub signed: u64,
    pub signed_in_time: u64,
    /// Answered directly or by the unit and archived.
    pub closed: u64,
    pub visits: u64,
    pub satisfied: u64,
    /// Open and past the limit running now.
    pub overdue: u64,
}

impl Indicators {
    fn add(&mut self, t: &Ticket, now: Timestamp) {
        if t.state == TicketState::Merged {
            return;
        }
        self.taken += 1;
        if let Some(in_time) = t.signed_in_time {
            self.signed += 1;
            self.signed_in_time += u64::from(in_time);
        }
        if t.state == TicketState::Archived {
            self.closed += 1;
        }
        if let Some(satisfied) = t.satisfied {
            self.visits += 1;
            self.satisfied += u64::from(satisfied);
        }
        if t.is_overdue(now) {
            self.overdue += 1;
        }
    }
    /// 响应率: signed for within the limit, of those signed for.
    pub fn response_rate(&self) -> Option<f64> {
        rate(self.signed_in_time, self.signed)
    }
    /// 解决率: closed, of those taken.
    pub fn resolution_rate(&self) -> Option<f64> {
        rate(self.closed, self.taken)
    }
    /// 满意率: satisfied, of those visited.
    pub fn satisfaction_rate(&self) -> Option<f64> {
        rate(self.satisfied, self.visits)
    }
}

fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The indicators in all, and by unit, district and category.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IndicatorTable {
    pub all: Indicators,
    pub by_unit: std::collections::BTreeMap<String, Indicators>,
    pub by_district: std::collections::BTreeMap<String, Indicators>,
    pub by_category: std::collections::BTreeMap<String, Indicators>,
}

/// Count every ticket into the table at `now`; a ticket not yet dispatched
/// has no unit and counts only in all, its district and its category.
pub fn indicators<'a>(
    tickets: impl IntoIterator<Item = Counted<'a>>,
    now: Timestamp,
) -> IndicatorTable {
    let mut table = IndicatorTable::default();
    for c in tickets {
        table.all.add(c.ticket, now);
        if let Some(unit) = c.unit {
            table
                .by_unit
                .entry(unit.to_string())
                .or_default()
                .add(c.ticket, now);
        }
        table
            .by_district
            .entry(c.district.to_string())
            .or_default()
            .add(c.ticket, now);
        table
            .by_category
            .entry(c.category.to_string())
            .or_default()
            .add(c.ticket, now);
    }
    table
}
