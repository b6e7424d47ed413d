//! Supervision as app shows it: signals and complaints converted from the
//! store's rows, and the signal filter the pages and the API pass in.

use sunshine_domain::supervision::{ComplaintState, Level, RuleCode, SignalState};

use sunshine_store::supervision as store;

/// A signal (监察信号): a warning or a card on a case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignalRow {
    pub id: i64,
    pub case_number: String,
    pub rule: RuleCode,
    /// The process step (from 0) for a step's rule, else -1.
    pub step: i64,
    /// The yellow card a red card follows up, else 0.
    pub cause: i64,
    pub level: Level,
    pub rules_version: i64,
    pub department: String,
    pub region: String,
    /// The login of the clerk responsible, when one had signed for the case.
    pub responsible: Option<String>,
    /// The journal entries (sequence numbers) that prove it.
    pub evidence: Vec<i64>,
    pub state: SignalState,
    /// The moment the rule fired for (µs); for a fact, the fact's time.
    pub due_at: i64,
    pub issued_at: i64,
    pub updated_at: i64,
    /// The last response, escalation or reason given.
    pub last_text: Option<String>,
    /// For a copy of the city's card on a unit of this district, the
    /// card's id at the city.
    pub from_city: Option<i64>,
    /// At the city: a card on a unit of a district that runs a platform
    /// of its own, which the unit answers there.
    pub answered_below: bool,
}

impl SignalRow {
    /// Whether the case it is on is held on a district's platform only:
    /// a case the district numbered itself, of a card answered there. The
    /// city has no page of it.
    pub fn case_held_below(&self) -> bool {
        self.answered_below && sunshine_domain::exchange::numbered_below(&self.case_number)
    }
}

impl From<store::SignalRow> for SignalRow {
    fn from(r: store::SignalRow) -> Self {
        Self {
            id: r.id,
            case_number: r.case_number,
            rule: r.rule,
            step: r.step,
            cause: r.cause,
            level: r.level,
            rules_version: r.rules_version,
            department: r.department,
            region: r.region,
            responsible: r.responsible,
            evidence: r.evidence,
            state: r.state,
            due_at: r.due_at,
            issued_at: r.issued_at,
            updated_at: r.updated_at,
            last_text: r.last_text,
            from_city: r.city_signal,
            answered_below: false,
        }
    }
}

/// A citizen's complaint (网上监督).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintRow {
    pub id: i64,
    pub case_number: Option<String>,
    pub department: String,
    pub region: String,
    pub complainant_user: i64,
    pub text: String,
    pub state: ComplaintState,
    pub received_at: i64,
    /// The last day to accept or refuse it (YYYY-MM-DD).
    pub accept_due: String,
    pub reason: Option<String>,
    pub answer: Option<String>,
    /// The signal it raised, if any.
    pub signal_id: Option<i64>,
    pub updated_at: i64,
}

impl From<store::ComplaintRow> for ComplaintRow {
    fn from(r: store::ComplaintRow) -> Self {
        Self {
            id: r.id,
            case_number: r.case_number,
            department: r.department,
            region: r.region,
            complainant_user: r.complainant_user,
            text: r.text,
            state: r.state,
            received_at: r.received_at,
            accept_due: r.accept_due,
            reason: r.reason,
            answer: r.answer,
            signal_id: r.signal_id,
            updated_at: r.updated_at,
        }
    }
}

/// What to list: signals of these departments (none: every department),
/// optionally only open ones, of one state, level, case or due span, one
/// page at a time.
#[derive(Debug, Clone, Default)]
pub struct SignalFilter {
    pub departments: Option<Vec<String>>,
    /// One district's (or the city's own) departments.
    pub region: Option<String>,
    pub open_only: bool,
    /// Only signals in this state.
    pub state: Option<SignalState>,
    pub case_number: Option<String>,
    pub level: Option<Level>,
    /// Only signals due in `[due_from, due_to)` (µs).
    pub due_from: Option<i64>,
    pub due_to: Option<i64>,
    pub limit: i64,
    /// Skip this many (a page's start).
    pub offset: i64,
}

impl From<SignalFilter> for store::SignalFilter {
    fn from(f: SignalFilter) -> Self {
        Self {
            departments: f.departments,
            region: f.region,
            open_only: f.open_only,
            state: f.state,
            case_number: f.case_number,
            level: f.level,
            due_from: f.due_from,
            due_to: f.due_to,
            limit: f.limit,
            offset: f.offset,
        }
    }
}

/// A moment a case's supervision waits for, for its timeline: the rule that
/// fires then, and for which step (-1 for the whole case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseTimer {
    pub due_at: i64,
    pub rule: RuleCode,
    pub step: i64,
    /// The yellow card the timer follows up, else 0.
    pub cause: i64,
}

impl From<store::TimerRow> for CaseTimer {
    fn from(t: store::TimerRow) -> Self {
        Self {
            due_at: t.due_at,
            rule: t.rule,
            step: t.step,
            cause: t.cause,
        }
    }
}

/// Cards and warnings per department, for the public supervision board: no
/// case, no person, only counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DepartmentSignals {
    pub department: String,
    pub region: String,
    pub warnings: i64,
    pub yellow_cards: i64,
    pub red_cards: i64,
    /// Cards (yellow and red) rectified: responded to or closed.
    pub rectified: i64,
    /// Signals still open.
    pub open: i64,
}

impl From<store::DepartmentSignals> for DepartmentSignals {
    fn from(d: store::DepartmentSignals) -> Self {
        Self {
            department: d.department,
            region: d.region,
            warnings: d.warnings,
            yellow_cards: d.yellow_cards,
            red_cards: d.red_cards,
            rectified: d.rectified,
            open: d.open,
        }
    }
}
