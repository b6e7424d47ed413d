//! A case's lifecycle: submitted → accepted (受理) or not accepted (不予受理)
//! or correction requested once (补正) → the item's steps, each signed for
//! (签收) by a clerk, passed on or returned, with opinions of other
//! departments collected in parallel (会签) and special procedures that
//! stop the clock → approved (准予) or refused (不予许可) → delivered; the
//! applicant may withdraw before a decision.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::clocks::ClockChange;
use crate::calendar::WorkingDays;
use crate::refusal::{is_clean_text, Refusal};

/// Procedures whose time is not counted in the legal limit (行政许可法 art. 45).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecialProcedure {
    /// 听证
    Hearing,
    /// 检验、检测
    Testing,
    /// 现场核查、检查
    Inspection,
    /// 专家评审
    ExpertReview,
}

impl SpecialProcedure {
    pub const ALL: [SpecialProcedure; 4] = [
        SpecialProcedure::Hearing,
        SpecialProcedure::Testing,
        SpecialProcedure::Inspection,
        SpecialProcedure::ExpertReview,
    ];

    /// The procedure's code, as the API and the forms name it.
    pub fn code(self) -> &'static str {
        match self {
            SpecialProcedure::Hearing => "hearing",
            SpecialProcedure::Testing => "testing",
            SpecialProcedure::Inspection => "inspection",
            SpecialProcedure::ExpertReview => "expert_review",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CaseState {
    /// 已提交, waiting to be accepted.
    Submitted,
    /// 补正: the applicant must supply what is missing; the clock has not started.
    CorrectionRequested,
    /// 不予受理 (final).
    NotAccepted,
    /// 办理中, at a step of the item's process.
    InProcess { step: usize },
    /// A special procedure stops the clock at a step.
    Suspended {
        step: usize,
        procedure: SpecialProcedure,
    },
    /// 准予许可: decided, to be delivered.
    Approved,
    /// 不予许可: decided, to be delivered.
    Refused,
    /// 已送达 (final).
    Delivered,
    /// 已撤回 (final).
    Withdrawn,
}

impl CaseState {
    /// Every state's `name()`, in lifecycle order.
    pub const NAMES: [&'static str; 9] = [
        "submitted",
        "correction_requested",
        "not_accepted",
        "in_process",
        "suspended",
        "approved",
        "refused",
        "delivered",
        "withdrawn",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            CaseState::Submitted => "submitted",
            CaseState::CorrectionRequested => "correction_requested",
            CaseState::NotAccepted => "not_accepted",
            CaseState::InProcess { .. } => "in_process",
            CaseState::Suspended { .. } => "suspended",
            CaseState::Approved => "approved",
            CaseState::Refused => "refused",
            CaseState::Delivered => "delivered",
            CaseState::Withdrawn => "withdrawn",
        }
    }
    /// The process step the case is at, while it is handled.
    pub fn step(&self) -> Option<usize> {
        match self {
            CaseState::InProcess { step } | CaseState::Suspended { step, .. } => Some(*step),
            _ => None,
        }
    }
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            CaseState::NotAccepted | CaseState::Delivered | CaseState::Withdrawn
        )
    }
    pub fn is_decided(&self) -> bool {
        matches!(
            self,
            CaseState::Approved | CaseState::Refused | CaseState::Delivered
        )
    }
}

/// Everything the lifecycle rules look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFacts {
    pub state: CaseState,
    /// How many process steps the item version has (at least one).
    pub steps: usize,
    pub correction_used: bool,
    pub extension_used: bool,
    /// The clerk (user id) who signed for the current step.
    pub claimed_by: Option<i64>,
    /// Departments asked for an opinion (会签) that have not given it.
    pub pending_opinions: BTreeSet<String>,
}

impl CaseFacts {
    pub fn new(steps: usize) -> CaseFacts {
        CaseFacts {
            state: CaseState::Submitted,
            steps: steps.max(1),
            correction_used: false,
            extension_used: false,
            claimed_by: None,
            pending_opinions: BTreeSet::new(),
        }
    }
}

/// A department's opinion in a countersignature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opinion {
    pub agree: bool,
    pub text: String,
}

/// The longest extension the law allows (行政许可法 art. 42: ten working days).
pub const MAX_EXTENSION: u32 = 10;

fn max_extension() -> u32 {
    MAX_EXTENSION
}

/// What someone does to a case, as the API and the forms send it
/// (`{"command": "claim"}`). The clerk is the actor's, never the request's:
/// [`CaseCommand::by`] sets it before the command is decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum CaseCommand {
    Accept,
    NotAccept {
        reason: String,
    },
    RequestCorrection {
        what: String,
    },
    SupplyCorrection,
    Claim {
        #[serde(skip)]
        clerk: i64,
    },
    Pass {
        #[serde(skip)]
        clerk: i64,
    },
    ReturnTo {
        #[serde(skip)]
        clerk: i64,
        step: usize,
        reason: String,
    },
    RequestOpinions {
        #[serde(skip)]
        clerk: i64,
        orgs: Vec<String>,
    },
    GiveOpinion {
        org: String,
        #[serde(flatten)]
        opinion: Opinion,
    },
    Suspend {
        #[serde(skip)]
        clerk: i64,
        procedure: SpecialProcedure,
    },
    Resume {
        #[serde(skip)]
        clerk: i64,
    },
    Extend {
        days: u32,
        #[serde(skip, default = "max_extension")]
        max: u32,
    },
    Approve {
        #[serde(skip)]
        clerk: i64,
    },
    Refuse {
        #[serde(skip)]
        clerk: i64,
        reason: String,
    },
    Deliver,
    Withdraw,
}

impl CaseCommand {
    /// The command as issued by `user`: the clerk of every command that has one.
    pub fn by(mut self, user: i64) -> CaseCommand {
        use CaseCommand as C;
        match &mut self {
            C::Claim { clerk }
            | C::Pass { clerk }
            | C::ReturnTo { clerk, .. }
            | C::RequestOpinions { clerk, .. }
            | C::Suspend { clerk, .. }
            | C::Resume { clerk }
            | C::Approve { clerk }
            | C::Refuse { clerk, .. } => *clerk = user,
            _ => {}
        }
        self
    }

    /// The journal event this command writes.
    pub fn event_type(&self) -> &'static str {
        use CaseCommand as C;
        match self {
            C::Accept => "hall.case_accepted",
            C::NotAccept { .. } => "hall.case_not_accepted",
            C::RequestCorrection { .. } => "hall.case_correction_requested",
            C::SupplyCorrection => "hall.case_correction_supplied",
            C::Claim { .. } => "hall.case_claimed",
            C::Pass { .. } => "hall.case_passed",
            C::ReturnTo { .. } => "hall.case_returned",
            C::RequestOpinions { .. } => "hall.case_opinions_requested",
            C::GiveOpinion { .. } => "hall.case_opinion_given",
            C::Suspend { .. } => "hall.case_suspended",
            C::Resume { .. } => "hall.case_resumed",
            C::Extend { .. } => "hall.case_extended",
            C::Approve { .. } => "hall.case_approved",
            C::Refuse { .. } => "hall.case_refused",
            C::Deliver => "hall.case_delivered",
            C::Withdraw => "hall.case_withdrawn",
        }
    }

    /// What the command says beyond its name, for the journal.
    pub fn details(&self) -> serde_json::Value {
        use serde_json::json;
        use CaseCommand as C;
        match self {
            C::NotAccept { reason } | C::Refuse { reason, .. } => json!({"reason": reason}),
            C::RequestCorrection { what } => json!({"what": what}),
            C::ReturnTo { step, reason, .. } => json!({"step": step, "reason": reason}),
            C::RequestOpinions { orgs, .. } => json!({"orgs": orgs}),
            C::GiveOpinion { org, opinion } => {
                json!({"org": org, "agree": opinion.agree, "text": opinion.text})
            }
            C::Suspend { procedure, .. } => json!({"procedure": procedure}),
            C::Extend { days, .. } => json!({"days": days}),
            _ => json!({}),
        }
    }

    /// The clock's part of the command: acceptance starts it, passing or
    /// returning starts a step, special procedures stop and restart it, an
    /// extension lengthens it.
    fn clock_change(&self) -> ClockChange {
        use CaseCommand as C;
        match self {
            C::Accept => ClockChange::Start,
            C::Pass { .. } | C::ReturnTo { .. } => ClockChange::NextStep,
            C::Suspend { .. } => ClockChange::Stop,
            C::Resume { .. } => ClockChange::Restart,
            C::Extend { days, .. } => ClockChange::Extend(WorkingDays(*days)),
            _ => ClockChange::None,
        }
    }

    /// The moment of the case's life the command marks.
    fn milestone(&self) -> Option<Milestone> {
        use CaseCommand as C;
        match self {
            C::Accept => Some(Milestone::Accepted),
            C::Approve { .. } | C::Refuse { .. } => Some(Milestone::Decided),
            C::Deliver | C::NotAccept { .. } | C::Withdraw => Some(Milestone::Completed),
            _ => None,
        }
    }
}

/// A moment in a case's life the hall records the time of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    /// 受理
    Accepted,
    /// 准予 or 不予许可
    Decided,
    /// Delivered, not accepted or withdrawn: the case is closed.
    Completed,
}

/// Everything a command does to a case: its facts after, its clock's change
/// and the moment it marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub facts: CaseFacts,
    pub clock: ClockChange,
    pub milestone: Option<Milestone>,
}

fn not_now(facts: &CaseFacts) -> Refusal {
    Refusal::conflict(
        "case_step_not_allowed",
        &format!("办件当前状态（{}）下不能执行此操作", facts.state.name()),
        &format!("Not allowed while the case is {}", facts.state.name()),
    )
}

fn reason_needed(field: &str, text: &str) -> Result<(), Refusal> {
    if text.trim().is_empty() {
        Err(Refusal::field(
            field,
            "应说明法定理由",
            "The legal reason must be given",
        ))
    } else if !is_clean_text(text) || text.chars().count() > 2000 {
        Err(Refusal::field(
            field,
            "理由不能超过2000个字符，且不能包含控制字符",
            "At most 2000 characters and no control characters",
        ))
    } else {
        Ok(())
    }
}

fn holder(facts: &CaseFacts, clerk: i64) -> Result<(), Refusal> {
    match facts.claimed_by {
        Some(c) if c == clerk => Ok(()),
        Some(_) => Err(Refusal::conflict(
            "claimed_by_another",
            "该环节已由其他人员签收",
            "Another clerk has signed for this step",
        )),
        None => Err(Refusal::conflict(
            "not_claimed",
            "请先签收该环节",
            "Sign for the step first",
        )),
    }
}

/// 签收: the clerk who signs for the step, if no one has.
fn claim(facts: &CaseFacts, clerk: i64) -> Result<i64, Refusal> {
    match facts.claimed_by {
        None => Ok(clerk),
        Some(c) if c == clerk => Err(Refusal::conflict(
            "already_claimed",
            "您已签收该环节",
            "You have already signed for this step",
        )),
        Some(_) => Err(Refusal::conflict(
            "claimed_by_another",
            "该环节已由其他人员签收",
            "Another clerk has signed for this step",
        )),
    }
}

/// An extension is granted once, of 1 to `max` working days.
fn extension(facts: &CaseFacts, days: u32, max: u32) -> Result<(), Refusal> {
    if facts.extension_used {
        return Err(Refusal::conflict(
            "extension_once",
            "办理期限只能延长一次",
            "The time limit can be extended once",
        ));
    }
    if days == 0 || days > max {
        return Err(Refusal::field(
            "days",
            format!("延长期限应为1至{max}个工作日"),
            format!("An extension is 1 to {max} working days"),
        ));
    }
    Ok(())
}

/// The decision at the last step, by the clerk who signed for it, once
/// every opinion is in; a refusal gives its legal reason.
fn decision(
    facts: &CaseFacts,
    step: usize,
    clerk: i64,
    cmd: &CaseCommand,
) -> Result<CaseState, Refusal> {
    holder(facts, clerk)?;
    no_pending(facts)?;
    if step + 1 != facts.steps {
        return Err(Refusal::conflict(
            "not_last_step",
            "尚未到决定环节",
            "The case has not reached its deciding step",
        ));
    }
    match cmd {
        CaseCommand::Refuse { reason, .. } => {
            reason_needed("reason", reason)?;
            Ok(CaseState::Refused)
        }
        _ => Ok(CaseState::Approved),
    }
}

fn no_pending(facts: &CaseFacts) -> Result<(), Refusal> {
    if facts.pending_opinions.is_empty() {
        Ok(())
    } else {
        Err(Refusal::conflict(
            "opinions_pending",
            "会签意见尚未全部反馈",
            "Not every department has given its opinion yet",
        ))
    }
}

/// The one rule of a case's lifecycle: what a command does, or why not.
pub fn decide(facts: &CaseFacts, cmd: &CaseCommand) -> Result<Decision, Refusal> {
    Ok(Decision {
        facts: next_facts(facts, cmd)?,
        clock: cmd.clock_change(),
        milestone: cmd.milestone(),
    })
}

/// The facts after a command, or why not.
fn next_facts(facts: &CaseFacts, cmd: &CaseCommand) -> Result<CaseFacts, Refusal> {
    use CaseCommand as C;
    use CaseState as S;
    let mut next = facts.clone();
    match (facts.state, cmd) {
        (S::Submitted, C::Accept) => {
            next.state = S::InProcess { step: 0 };
        }
        (S::Submitted, C::NotAccept { reason }) => {
            reason_needed("reason", reason)?;
            next.state = S::NotAccepted;
        }
        (S::Submitted, C::RequestCorrection { what }) => {
            if facts.correction_used {
                return Err(Refusal::conflict(
                    "correction_once",
                    "补正只能一次性告知",
                    "Corrections are requested once, all at once",
                ));
            }
            reason_needed("what", what)?;
            next.state = S::CorrectionRequested;
            next.correction_used = true;
        }
        (S::CorrectionRequested, C::SupplyCorrection) => next.state = S::Submitted,
        (S::InProcess { .. }, C::Claim { clerk }) => next.claimed_by = Some(claim(facts, *clerk)?),
        (S::InProcess { step }, C::Pass { clerk }) => {
            holder(facts, *clerk)?;
            no_pending(facts)?;
            if step + 1 >= facts.steps {
                return Err(Refusal::conflict(
                    "last_step",
                    "这是最后一个环节，请作出决定",
                    "This is the last step: decide",
                ));
            }
            next.state = S::InProcess { step: step + 1 };
            next.claimed_by = None;
        }
        (
            S::InProcess { step },
            C::ReturnTo {
                clerk,
                step: target,
                reason,
            },
        ) => {
            holder(facts, *clerk)?;
            reason_needed("reason", reason)?;
            if *target >= step {
                return Err(Refusal::field(
                    "step",
                    "只能退回到之前的环节",
                    "A case can only go back to an earlier step",
                ));
            }
            next.state = S::InProcess { step: *target };
            next.claimed_by = None;
            next.pending_opinions.clear();
        }
        (S::InProcess { .. }, C::RequestOpinions { clerk, orgs }) => {
            holder(facts, *clerk)?;
            no_pending(facts)?;
            if orgs.is_empty() {
                return Err(Refusal::field(
                    "orgs",
                    "请选择会签部门",
                    "Choose the departments to ask",
                ));
            }
            next.pending_opinions = orgs.iter().cloned().collect();
        }
        (S::InProcess { .. } | S::Suspended { .. }, C::GiveOpinion { org, opinion }) => {
            if !facts.pending_opinions.contains(org) {
                return Err(Refusal::conflict(
                    "no_opinion_asked",
                    "未请该部门会签，或已反馈",
                    "This department was not asked, or has answered",
                ));
            }
            reason_needed("text", &opinion.text)?;
            next.pending_opinions.remove(org);
        }
        (S::InProcess { step }, C::Suspend { clerk, procedure }) => {
            holder(facts, *clerk)?;
            next.state = S::Suspended {
                step,
                procedure: *procedure,
            };
        }
        (S::Suspended { step, .. }, C::Resume { clerk }) => {
            holder(facts, *clerk)?;
            next.state = S::InProcess { step };
        }
        (S::InProcess { .. } | S::Suspended { .. }, C::Extend { days, max }) => {
            extension(facts, *days, *max)?;
            next.extension_used = true;
        }
        (S::InProcess { step }, C::Approve { clerk } | C::Refuse { clerk, .. }) => {
            next.state = decision(facts, step, *clerk, cmd)?;
        }
        (S::Approved | S::Refused, C::Deliver) => next.state = S::Delivered,
        (
            S::Submitted | S::CorrectionRequested | S::InProcess { .. } | S::Suspended { .. },
            C::Withdraw,
        ) => {
            next.state = S::Withdrawn;
            next.pending_opinions.clear();
        }
        _ => return Err(not_now(facts)),
    }
    Ok(next)
}
