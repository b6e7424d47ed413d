//! A ticket's life: its limits and state, the commands it takes, and `decide`,
//! the whole lifecycle and its clocks.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::request::{RequestKind, Urgency};
use crate::calendar::{Calendar, WorkingDays};
use crate::clock::{end_of_local_day, local_date, to_micros};
use crate::ids::OrgCode;
use crate::refusal::Refusal;

/// A category's time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// From acceptance to dispatch.
    pub dispatch_hours: u32,
    /// From dispatch to the unit's signature.
    pub sign_hours: u32,
    /// From the signature to the answer.
    pub answer_days: u32,
}

/// A returned ticket must go back within one working day of its dispatch.
pub const RETURN_WITHIN: WorkingDays = WorkingDays(1);
/// An extension adds at most this much, once.
pub const MAX_EXTENSION_DAYS: u32 = 15;
/// The longest description (the Open311 standard's bound too).
pub const MAX_DESCRIPTION: usize = 4000;

impl Limits {
    /// The defaults of DOMAIN.md: dispatch within 1 h for emergencies, 2 h for
    /// utilities, 24 h otherwise (the unit signs within the same); answers in
    /// 3 working days for consultations and help, 15 for complaints and reports.
    pub fn default_for(urgency: Urgency, kind: RequestKind) -> Limits {
        let hours = match urgency {
            Urgency::Emergency => 1,
            Urgency::Utility => 2,
            Urgency::Normal => 24,
        };
        let answer_days = match kind {
            RequestKind::Consultation | RequestKind::Help => 3,
            RequestKind::Suggestion => 5,
            RequestKind::Complaint | RequestKind::Report => 15,
        };
        Limits {
            dispatch_hours: hours,
            sign_hours: hours,
            answer_days,
        }
    }

    /// Limits an administrator may set: every one at least 1, hours within a
    /// week, days within the longest legal answer (60 working days).
    pub fn check(&self) -> Result<(), Refusal> {
        let mut e = crate::refusal::FieldErrors::default();
        for (field, v, max) in [
            ("dispatch_hours", self.dispatch_hours, 168),
            ("sign_hours", self.sign_hours, 168),
            ("answer_days", self.answer_days, 60),
        ] {
            if v == 0 || v > max {
                e.add(
                    field,
                    format!("应在 1 到 {max} 之间"),
                    format!("must be between 1 and {max}"),
                );
            }
        }
        e.check()
    }
}

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    /// 受理: taken, waiting to be dispatched.
    Accepted,
    /// 派单: sent to its lead unit, waiting for its signature.
    Dispatched,
    /// 签收 / 办理: the unit is handling it.
    Signed,
    /// 退单: the unit has sent it back; the hotline reviews the return.
    ReturnRequested,
    /// 延期: the unit asks for more time; the hotline reviews it.
    ExtensionRequested,
    /// 办结反馈: the unit has answered; the hotline checks the answer.
    Answered,
    /// 回访: the answer stands; the citizen is asked whether it satisfies.
    AwaitingVisit,
    /// 归档
    Archived,
    /// Merged into an earlier request like it; it follows that one.
    Merged,
}

impl TicketState {
    pub const ALL: [TicketState; 9] = [
        TicketState::Accepted,
        TicketState::Dispatched,
        TicketState::Signed,
        TicketState::ReturnRequested,
        TicketState::ExtensionRequested,
        TicketState::Answered,
        TicketState::AwaitingVisit,
        TicketState::Archived,
        TicketState::Merged,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Accepted => "accepted",
            TicketState::Dispatched => "dispatched",
            TicketState::Signed => "signed",
            TicketState::ReturnRequested => "return_requested",
            TicketState::ExtensionRequested => "extension_requested",
            TicketState::Answered => "answered",
            TicketState::AwaitingVisit => "awaiting_visit",
            TicketState::Archived => "archived",
            TicketState::Merged => "merged",
        }
    }
    pub fn parse(s: &str) -> Option<TicketState> {
        TicketState::ALL.into_iter().find(|t| t.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            TicketState::Accepted => "已受理",
            TicketState::Dispatched => "已派单",
            TicketState::Signed => "办理中",
            TicketState::ReturnRequested => "退单待审",
            TicketState::ExtensionRequested => "延期待审",
            TicketState::Answered => "办结待审",
            TicketState::AwaitingVisit => "待回访",
            TicketState::Archived => "已归档",
            TicketState::Merged => "已合并",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            TicketState::Accepted => "Taken",
            TicketState::Dispatched => "Dispatched",
            TicketState::Signed => "Being handled",
            TicketState::ReturnRequested => "Return under review",
            TicketState::ExtensionRequested => "Extension under review",
            TicketState::Answered => "Answer under review",
            TicketState::AwaitingVisit => "Awaiting the return visit",
            TicketState::Archived => "Closed",
            TicketState::Merged => "Merged",
        }
    }
    /// The state as people read it, in both languages.
    pub fn label(self) -> crate::refusal::Text {
        crate::refusal::Text::new(self.label_zh(), self.label_en())
    }
    /// Archived and merged tickets take no more commands of their own.
    pub fn is_final(self) -> bool {
        matches!(self, TicketState::Archived | TicketState::Merged)
    }
    /// Whether it waits on the hotline's operators (their queue).
    pub fn with_hotline(self) -> bool {
        matches!(
            self,
            TicketState::Accepted
                | TicketState::ReturnRequested
                | TicketState::ExtensionRequested
                | TicketState::Answered
                | TicketState::AwaitingVisit
        )
    }
    /// Whether the lead unit holds it now (its inbox).
    pub fn with_unit(self) -> bool {
        matches!(
            self,
            TicketState::Dispatched | TicketState::Signed | TicketState::ExtensionRequested
        )
    }
}

/// Who may give a command: the hotline's operators or the unit that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Hotline,
    Unit,
    /// The citizen who asked, or an operator on the phone with them.
    Requester,
}

/// A command on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// 直办: answered at once and closed.
    AnswerDirectly { answer: String },
    /// 派单 or, after an approved return, 改派.
    Dispatch {
        lead: OrgCode,
        #[serde(default)]
        assisting: Vec<OrgCode>,
    },
    /// 签收
    Sign,
    /// 退单, with the reason it is not this unit's.
    Return { reason: String },
    /// 审核 of a return: approved sends it back to be re-dispatched.
    ReviewReturn {
        approve: bool,
        #[serde(default)]
        note: String,
    },
    /// 延期 by this many working days, with the reason.
    RequestExtension { days: u32, reason: String },
    /// 审核 of an extension.
    ReviewExtension {
        approve: bool,
        #[serde(default)]
        note: String,
    },
    /// 办结反馈
    Answer { text: String },
    /// 审核 of the answer: rejected sends it back to the unit.
    ReviewAnswer {
        approve: bool,
        #[serde(default)]
        note: String,
    },
    /// 回访: the citizen's verdict; unsatisfied means 重办.
    Visit {
        satisfied: bool,
        #[serde(default)]
        comment: String,
    },
    /// 催办 / 督办: the second urge and after go to the unit's head.
    Urge { note: String },
}

impl Command {
    /// The texts a person typed into the command, by field.
    pub fn texts(&self) -> Vec<(&'static str, &str)> {
        match self {
            Command::AnswerDirectly { answer } => vec![("answer", answer)],
            Command::Return { reason } | Command::RequestExtension { reason, .. } => {
                vec![("reason", reason)]
            }
            Command::ReviewReturn { note, .. }
            | Command::ReviewExtension { note, .. }
            | Command::ReviewAnswer { note, .. }
            | Command::Urge { note } => vec![("note", note)],
            Command::Answer { text } => vec![("text", text)],
            Command::Visit { comment, .. } => vec![("comment", comment)],
            Command::Dispatch { .. } | Command::Sign => vec![],
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Command::AnswerDirectly { .. } => "answer_directly",
            Command::Dispatch { .. } => "dispatch",
            Command::Sign => "sign",
            Command::Return { .. } => "return",
            Command::ReviewReturn { .. } => "review_return",
            Command::RequestExtension { .. } => "request_extension",
            Command::ReviewExtension { .. } => "review_extension",
            Command::Answer { .. } => "answer",
            Command::ReviewAnswer { .. } => "review_answer",
            Command::Visit { .. } => "visit",
            Command::Urge { .. } => "urge",
        }
    }

    pub fn party(&self) -> Party {
        match self {
            Command::Sign
            | Command::Return { .. }
            | Command::RequestExtension { .. }
            | Command::Answer { .. } => Party::Unit,
            Command::Visit { .. } => Party::Requester,
            _ => Party::Hotline,
        }
    }
}

/// What the lifecycle needs to know of a ticket: its state, its clocks and
/// its counters. Times are UTC microseconds; answer dates are local days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub state: TicketState,
    pub limits: Limits,
    pub lead: Option<OrgCode>,
    pub assisting: Vec<OrgCode>,
    /// While it waits to be dispatched.
    pub dispatch_due: Option<i64>,
    /// While it waits for the unit's signature.
    pub sign_due: Option<i64>,
    /// The last day the unit may return it.
    pub return_until: Option<Date>,
    /// While the unit handles it: the day the answer is due.
    pub answer_due: Option<Date>,
    /// Working days asked for and not yet reviewed.
    pub pending_extension: Option<u32>,
    /// An extension was granted (only one is).
    pub extended: bool,
    pub redispatches: u32,
    pub redos: u32,
    pub urges: u32,
    /// The return visit's verdict, once given.
    pub satisfied: Option<bool>,
    /// Whether the unit signed within its limit (响应), once it signed.
    #[serde(default)]
    pub signed_in_time: Option<bool>,
    /// Whether the last answer came by its day, once one came.
    #[serde(default)]
    pub answered_in_time: Option<bool>,
}

impl Ticket {
    /// A ticket just accepted at `now`, waiting to be dispatched.
    pub fn accepted(limits: Limits, now: Timestamp) -> Ticket {
        Ticket {
            state: TicketState::Accepted,
            limits,
            lead: None,
            assisting: Vec::new(),
            dispatch_due: Some(to_micros(after_hours(now, limits.dispatch_hours))),
            sign_due: None,
            return_until: None,
            answer_due: None,
            pending_extension: None,
            extended: false,
            redispatches: 0,
            redos: 0,
            urges: 0,
            satisfied: None,
            signed_in_time: None,
            answered_in_time: None,
        }
    }

    /// The moment the next limit runs out, if one runs: what the timer watches.
    pub fn next_deadline(&self) -> Option<i64> {
        match self.state {
            TicketState::Accepted => self.dispatch_due,
            TicketState::Dispatched => self.sign_due,
            TicketState::Signed | TicketState::ExtensionRequested => {
                self.answer_due.map(|d| to_micros(end_of_local_day(d)))
            }
            _ => None,
        }
    }

    /// Past its running limit at `now`.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.next_deadline().is_some_and(|d| to_micros(now) > d)
    }
}

fn after_hours(t: Timestamp, hours: u32) -> Timestamp {
    t.saturating_add(SignedDuration::from_hours(i64::from(hours)))
        .unwrap_or(t)
}

fn conflict(zh: &str, en: &str) -> Refusal {
    Refusal::conflict("ticket_state", zh, en)
}

fn need_text(field: &str, text: &str, zh: &str, en: &str) -> Result<(), Refusal> {
    let n = text.trim().chars().count();
    if n == 0 || n > MAX_DESCRIPTION {
        return Err(Refusal::field(field, zh, en));
    }
    Ok(())
}

fn calendar_error(e: crate::calendar::CalendarError) -> Refusal {
    Refusal::invalid(
        "calendar",
        &format!("工作日历无法计算期限：{e}"),
        &format!("The working-day calendar cannot give the limit: {e}"),
    )
}

/// The whole lifecycle: the ticket after `command` at `now`, or why not.
/// Who may give the command (`Command::party`) is the policy's question;
/// this answers whether it fits the ticket now.
pub fn decide(
    t: &Ticket,
    command: &Command,
    now: Timestamp,
    calendar: &Calendar,
) -> Result<Ticket, Refusal> {
    if t.state.is_final() && !matches!(command, Command::Urge { .. }) {
        return Err(conflict("该工单已办结归档", "This ticket is closed"));
    }
    let mut unclean = crate::refusal::FieldErrors::default();
    for (field, text) in command.texts() {
        if !crate::refusal::is_clean_text(text) {
            crate::refusal::control_characters(&mut unclean, field);
        }
    }
    unclean.check()?;
    let clock = Clock {
        now,
        today: local_date(now),
        calendar,
    };
    let mut next = t.clone();
    match command {
        Command::AnswerDirectly { .. }
        | Command::Dispatch { .. }
        | Command::Sign
        | Command::Return { .. }
        | Command::ReviewReturn { .. } => route(t, command, &clock, &mut next)?,
        _ => handle(t, command, &clock, &mut next)?,
    }
    Ok(next)
}

/// When a command is given, and the calendar its limits are counted on.
struct Clock<'a> {
    now: Timestamp,
    today: Date,
    calendar: &'a Calendar,
}

impl Clock<'_> {
    fn answer_from_today(&self, days: u32) -> Result<Date, Refusal> {
        self.calendar
            .add_working_days(self.today, WorkingDays(days))
            .map_err(calendar_error)
    }
}

/// The call centre's part: answering directly, dispatching, signing for and returning.
fn route(
    t: &Ticket,
    command: &Command,
    clock: &Clock<'_>,
    next: &mut Ticket,
) -> Result<(), Refusal> {
    use TicketState as S;
    let (now, today, calendar) = (clock.now, clock.today, clock.calendar);
    let answer_from_today = |days: u32| clock.answer_from_today(days);
    match (t.state, command) {
        (S::Accepted, Command::AnswerDirectly { answer }) => {
            if t.lead.is_some() {
                return Err(conflict(
                    "已派过单的工单不能直办",
                    "A ticket once dispatched cannot be answered directly",
                ));
            }
            need_text(
                "answer",
                answer,
                "请填写答复（不超过4000字）",
                "Give the answer (at most 4,000 characters)",
            )?;
            next.state = S::Archived;
            next.dispatch_due = None;
        }
        (S::Accepted, Command::Dispatch { lead, assisting }) => {
            if assisting.contains(lead) {
                return Err(Refusal::field(
                    "assisting",
                    "主办单位不能同时是协办单位",
                    "The lead unit cannot also assist",
                ));
            }
            if t.lead.is_some() {
                next.redispatches += 1;
            }
            next.state = S::Dispatched;
            next.lead = Some(lead.clone());
            next.assisting = assisting.clone();
            next.dispatch_due = None;
            next.sign_due = Some(to_micros(after_hours(now, t.limits.sign_hours)));
            next.return_until = Some(
                calendar
                    .add_working_days(today, RETURN_WITHIN)
                    .map_err(calendar_error)?,
            );
            next.answer_due = None;
            next.extended = false;
        }
        (S::Dispatched, Command::Sign) => {
            next.state = S::Signed;
            next.signed_in_time = Some(t.sign_due.is_none_or(|due| to_micros(now) <= due));
            next.sign_due = None;
            next.answer_due = Some(answer_from_today(t.limits.answer_days)?);
        }
        (S::Dispatched | S::Signed, Command::Return { reason }) => {
            if t.redos > 0 {
                return Err(conflict(
                    "重办的工单不能退回",
                    "A ticket sent back to be done again cannot be returned",
                ));
            }
            if t.return_until.is_some_and(|last| today > last) {
                return Err(conflict(
                    "已超过退单时限（派单后1个工作日）",
                    "Too late to return it: a ticket goes back within one working day of its dispatch",
                ));
            }
            need_text(
                "reason",
                reason,
                "请说明退单理由",
                "Say why the ticket is not this unit's",
            )?;
            next.state = S::ReturnRequested;
            next.sign_due = None;
        }
        (S::ReturnRequested, Command::ReviewReturn { approve, .. }) => {
            if *approve {
                next.state = S::Accepted;
                next.dispatch_due = Some(to_micros(after_hours(now, t.limits.dispatch_hours)));
                next.answer_due = None;
                next.return_until = None;
            } else {
                // The return is refused: the unit keeps it and its clock runs from now.
                next.state = S::Signed;
                next.answer_due = Some(match t.answer_due {
                    Some(d) => d,
                    None => answer_from_today(t.limits.answer_days)?,
                });
            }
        }
        (s, c) => return Err(wrong_state(s, c)),
    }
    Ok(())
}

/// The unit's part and what follows it: extending, answering, reviewing, visiting, urging.
fn handle(
    t: &Ticket,
    command: &Command,
    clock: &Clock<'_>,
    next: &mut Ticket,
) -> Result<(), Refusal> {
    use TicketState as S;
    let (today, calendar) = (clock.today, clock.calendar);
    let answer_from_today = |days: u32| clock.answer_from_today(days);
    match (t.state, command) {
        (S::Signed, Command::RequestExtension { days, reason }) => {
            if t.extended {
                return Err(conflict("只能延期一次", "A ticket is extended only once"));
            }
            if *days == 0 || *days > MAX_EXTENSION_DAYS {
                return Err(Refusal::field(
                    "days",
                    format!("延期应为 1 到 {MAX_EXTENSION_DAYS} 个工作日"),
                    format!("An extension is 1 to {MAX_EXTENSION_DAYS} working days"),
                ));
            }
            need_text(
                "reason",
                reason,
                "请说明延期理由",
                "Say why more time is needed",
            )?;
            next.state = S::ExtensionRequested;
            next.pending_extension = Some(*days);
        }
        (S::ExtensionRequested, Command::ReviewExtension { approve, .. }) => {
            let days = t.pending_extension.unwrap_or(0);
            next.state = S::Signed;
            next.pending_extension = None;
            if *approve {
                next.extended = true;
                let from = t.answer_due.unwrap_or(today);
                next.answer_due = Some(
                    calendar
                        .add_working_days(from, WorkingDays(days))
                        .map_err(calendar_error)?,
                );
            }
        }
        (S::Signed, Command::Answer { text }) => {
            need_text(
                "text",
                text,
                "请填写办理结果（不超过4000字）",
                "Give the answer (at most 4,000 characters)",
            )?;
            next.state = S::Answered;
            next.answered_in_time = Some(t.answer_due.is_none_or(|d| today <= d));
        }
        (S::Answered, Command::ReviewAnswer { approve, note }) => {
            if *approve {
                next.state = S::AwaitingVisit;
                next.answer_due = None;
            } else {
                need_text(
                    "note",
                    note,
                    "退回办理结果时请说明理由",
                    "Say why the answer is sent back",
                )?;
                // Sent back: the unit must answer again by the same day.
                next.state = S::Signed;
            }
        }
        (S::AwaitingVisit, Command::Visit { satisfied, .. }) => {
            next.satisfied = Some(*satisfied);
            if *satisfied {
                next.state = S::Archived;
            } else {
                next.state = S::Signed;
                next.redos += 1;
                next.answer_due = Some(answer_from_today(t.limits.answer_days)?);
            }
        }
        (s, Command::Urge { note }) => {
            if s.is_final() || s == S::AwaitingVisit {
                return Err(conflict(
                    "该工单已不需要催办",
                    "There is nothing left to urge on this ticket",
                ));
            }
            need_text("note", note, "请填写催办意见", "Say what is urged")?;
            next.urges += 1;
        }
        (s, c) => return Err(wrong_state(s, c)),
    }
    Ok(())
}

fn wrong_state(s: TicketState, c: &Command) -> Refusal {
    Refusal::conflict(
        "ticket_state",
        &format!("工单{}时不能{}", s.label_zh(), command_label_zh(c)),
        &format!("A ticket that is {} cannot take '{}'", s.as_str(), c.name()),
    )
}

/// A command's name as staff say it.
pub fn command_label_zh(c: &Command) -> &'static str {
    match c {
        Command::AnswerDirectly { .. } => "直办",
        Command::Dispatch { .. } => "派单",
        Command::Sign => "签收",
        Command::Return { .. } => "退单",
        Command::ReviewReturn { .. } => "审核退单",
        Command::RequestExtension { .. } => "申请延期",
        Command::ReviewExtension { .. } => "审核延期",
        Command::Answer { .. } => "办结反馈",
        Command::ReviewAnswer { .. } => "审核办结",
        Command::Visit { .. } => "回访",
        Command::Urge { .. } => "催办",
    }
}

/// 催办 the first time; 督办, to the unit's head, from the second urge on.
pub fn escalated(urges: u32) -> bool {
    urges >= 2
}

/// The answer day as the end of that local day, for showing and comparing.
pub fn answer_deadline(d: Date) -> i64 {
    to_micros(end_of_local_day(d))
}

/// Merging a request into an earlier one like it: only an open one is merged.
pub fn merge(t: &Ticket) -> Result<Ticket, Refusal> {
    if t.state.is_final() {
        return Err(conflict(
            "该工单已办结或已合并",
            "This ticket is closed or merged already",
        ));
    }
    let mut next = t.clone();
    next.state = TicketState::Merged;
    next.dispatch_due = None;
    next.sign_due = None;
    next.answer_due = None;
    next.pending_extension = None;
    Ok(next)
}

/// A merged request is archived with its primary's answer.
pub fn close_merged(t: &Ticket) -> Ticket {
    let mut next = t.clone();
    next.state = TicketState::Archived;
    next
}

/// The commands a ticket would take now, by name and party, found by asking `decide`
/// itself with a sample of each, so that forms offer exactly what it allows.
pub fn available(t: &Ticket, now: Timestamp, calendar: &Calendar) -> Vec<(&'static str, Party)> {
    let text = || "…".to_string();
    let unit = t.lead.clone().or_else(|| OrgCode::parse("330100").ok());
    let mut samples = vec![
        Command::AnswerDirectly { answer: text() },
        Command::Sign,
        Command::Return { reason: text() },
        Command::ReviewReturn {
            approve: true,
            note: text(),
        },
        Command::RequestExtension {
            days: 1,
            reason: text(),
        },
        Command::ReviewExtension {
            approve: true,
            note: text(),
        },
        Command::Answer { text: text() },
        Command::ReviewAnswer {
            approve: true,
            note: text(),
        },
        Command::Visit {
            satisfied: true,
            comment: text(),
        },
        Command::Urge { note: text() },
    ];
    if let Some(lead) = unit {
        samples.insert(
            1,
            Command::Dispatch {
                lead,
                assisting: vec![],
            },
        );
    }
    samples
        .iter()
        .filter(|c| decide(t, c, now, calendar).is_ok())
        .map(|c| (c.name(), c.party()))
        .collect()
}
