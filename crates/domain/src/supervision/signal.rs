//! How a signal and a complaint are followed to their end.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError, WorkingDays};
use crate::refusal::{Refusal, Text};

/// Where a signal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalState {
    /// Raised by a rule, not yet delivered to the unit.
    Issued,
    /// Delivered to the unit (workbench, webhook).
    Notified,
    /// 回告: the unit has reported its rectification.
    Responded,
    /// 督办: the supervisor was not satisfied, or the unit did not answer;
    /// the unit must respond (again).
    Escalated,
    /// The supervisor accepted the rectification (final).
    Closed,
    /// Withdrawn with a reason, e.g. raised in error (final).
    Revoked,
}

impl SignalState {
    pub const ALL: [SignalState; 6] = [
        SignalState::Issued,
        SignalState::Notified,
        SignalState::Responded,
        SignalState::Escalated,
        SignalState::Closed,
        SignalState::Revoked,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SignalState::Issued => "issued",
            SignalState::Notified => "notified",
            SignalState::Responded => "responded",
            SignalState::Escalated => "escalated",
            SignalState::Closed => "closed",
            SignalState::Revoked => "revoked",
        }
    }
    pub fn parse(s: &str) -> Option<SignalState> {
        SignalState::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn is_open(self) -> bool {
        !matches!(self, SignalState::Closed | SignalState::Revoked)
    }
    /// Whether the unit has answered and waits on the supervisor: a yellow
    /// card in this state no longer runs towards red.
    pub fn is_rectified(self) -> bool {
        matches!(self, SignalState::Responded | SignalState::Closed)
    }
    pub fn name(self) -> Text {
        match self {
            SignalState::Issued => Text::new("已发出", "Issued"),
            SignalState::Notified => Text::new("已通知", "Notified"),
            SignalState::Responded => Text::new("已回告", "Responded"),
            SignalState::Escalated => Text::new("督办中", "Escalated"),
            SignalState::Closed => Text::new("已办结", "Closed"),
            SignalState::Revoked => Text::new("已撤销", "Revoked"),
        }
    }
}

/// What can be done to a signal. Every command but `Notify` carries a text
/// that says why, kept in the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalCommand {
    Notify,
    /// 回告, by the unit.
    Respond {
        text: String,
    },
    /// By the supervisor, accepting the rectification.
    Close {
        text: String,
    },
    /// 督办, by the supervisor.
    Escalate {
        text: String,
    },
    /// By the supervisor.
    Revoke {
        reason: String,
    },
}

impl SignalCommand {
    pub fn name(&self) -> &'static str {
        match self {
            SignalCommand::Notify => "notify",
            SignalCommand::Respond { .. } => "respond",
            SignalCommand::Close { .. } => "close",
            SignalCommand::Escalate { .. } => "escalate",
            SignalCommand::Revoke { .. } => "revoke",
        }
    }
}

/// The commands people give on a signal (notify is the gateway's), by
/// name as forms and the API send them.
pub const PEOPLE_COMMANDS: [&str; 4] = ["respond", "close", "escalate", "revoke"];

impl SignalCommand {
    /// A command by its name, carrying `text` (the reason, for revoke).
    pub fn named(name: &str, text: String) -> Option<SignalCommand> {
        Some(match name {
            "respond" => SignalCommand::Respond { text },
            "close" => SignalCommand::Close { text },
            "escalate" => SignalCommand::Escalate { text },
            "revoke" => SignalCommand::Revoke { reason: text },
            _ => return None,
        })
    }
}

/// The people's commands a signal's state allows now, asked of
/// `next_signal_state` itself so the two cannot drift apart.
pub fn commands_allowed_in(state: SignalState) -> Vec<&'static str> {
    PEOPLE_COMMANDS
        .into_iter()
        .filter(|name| {
            SignalCommand::named(name, "-".to_string())
                .is_some_and(|c| next_signal_state(state, &c).is_ok())
        })
        .collect()
}

/// The longest text a command may carry.
const MAX_TEXT: usize = 2000;

fn require_text(field: &str, text: &str) -> Result<(), Refusal> {
    let n = text.trim().chars().count();
    if n == 0 {
        return Err(Refusal::field(field, "请填写说明", "Say why"));
    }
    if n > MAX_TEXT {
        return Err(Refusal::field(
            field,
            "说明不得超过2000字",
            "At most 2,000 characters",
        ));
    }
    Ok(())
}

/// The whole lifecycle of a signal: the state a command leads to, or why not.
pub fn next_signal_state(
    state: SignalState,
    command: &SignalCommand,
) -> Result<SignalState, Refusal> {
    use SignalState as S;
    let not_now = || {
        Refusal::conflict(
            "signal_state",
            "该监察信号当前状态下不能执行此操作",
            "The signal's state does not allow this",
        )
    };
    match command {
        SignalCommand::Respond { text }
        | SignalCommand::Close { text }
        | SignalCommand::Escalate { text } => require_text("text", text)?,
        SignalCommand::Revoke { reason } => require_text("reason", reason)?,
        SignalCommand::Notify => {}
    }
    match (state, command) {
        (S::Issued, SignalCommand::Notify) => Ok(S::Notified),
        (S::Issued | S::Notified | S::Escalated, SignalCommand::Respond { .. }) => Ok(S::Responded),
        (S::Responded, SignalCommand::Close { .. }) => Ok(S::Closed),
        (S::Issued | S::Notified | S::Responded, SignalCommand::Escalate { .. }) => {
            Ok(S::Escalated)
        }
        (s, SignalCommand::Revoke { .. }) if s.is_open() => Ok(S::Revoked),
        _ => Err(not_now()),
    }
}

/// Where a citizen's complaint (网上监督) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintState {
    /// Received; to be accepted or refused within five working days.
    Received,
    /// Accepted and under investigation.
    Investigating,
    /// Refused, with the reason (final).
    Refused,
    /// Answered (final).
    Answered,
}

impl ComplaintState {
    pub const ALL: [ComplaintState; 4] = [
        ComplaintState::Received,
        ComplaintState::Investigating,
        ComplaintState::Refused,
        ComplaintState::Answered,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintState::Received => "received",
            ComplaintState::Investigating => "investigating",
            ComplaintState::Refused => "refused",
            ComplaintState::Answered => "answered",
        }
    }
    pub fn parse(s: &str) -> Option<ComplaintState> {
        ComplaintState::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What a supervisor does with a complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComplaintCommand {
    Accept,
    Refuse { reason: String },
    Answer { text: String },
}

/// The lifecycle of a complaint.
pub fn next_complaint_state(
    state: ComplaintState,
    command: &ComplaintCommand,
) -> Result<ComplaintState, Refusal> {
    use ComplaintState as S;
    match command {
        ComplaintCommand::Refuse { reason } => require_text("reason", reason)?,
        ComplaintCommand::Answer { text } => require_text("text", text)?,
        ComplaintCommand::Accept => {}
    }
    match (state, command) {
        (S::Received, ComplaintCommand::Accept) => Ok(S::Investigating),
        (S::Received, ComplaintCommand::Refuse { .. }) => Ok(S::Refused),
        (S::Investigating, ComplaintCommand::Answer { .. }) => Ok(S::Answered),
        _ => Err(Refusal::conflict(
            "complaint_state",
            "该投诉当前状态下不能执行此操作",
            "The complaint's state does not allow this",
        )),
    }
}

/// Working days within which a complaint must be accepted or refused.
pub const COMPLAINT_ACCEPT_DAYS: WorkingDays = WorkingDays(5);

/// The last day to accept or refuse a complaint received on `received_on`.
pub fn complaint_answer_due(cal: &Calendar, received_on: Date) -> Result<Date, CalendarError> {
    cal.add_working_days(received_on, COMPLAINT_ACCEPT_DAYS)
}
