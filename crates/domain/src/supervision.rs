//! Electronic supervision (电子监察): versioned rules over what the hall
//! does, the moments at which the time rules fire, the process and fee rules
//! checked as each fact of a case arrives, and how a signal and a complaint
//! are followed to their end. Pure rules; the app layer reads the journal,
//! keeps the due-time index and stores the signals.

mod grade;
mod signal;

pub use grade::{Cap, Grade, GradeFormula, Quarter, QuarterFigures, Verdict};
pub use signal::{
    commands_allowed_in, complaint_answer_due, next_complaint_state, next_signal_state,
    ComplaintCommand, ComplaintState, SignalCommand, SignalState, PEOPLE_COMMANDS,
};

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError, WorkingDays};
use crate::catalog::Fee;
use crate::clock::{end_of_local_day, start_of_local_day};
use crate::hall::{fee_fault, FeeFault};
use crate::refusal::{Refusal, Text};

/// How grave a signal is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 预警: a reminder before something goes wrong.
    Warning,
    /// 黄牌: a fault the unit must rectify.
    Yellow,
    /// 红牌: a grave fault, or a yellow card left unrectified.
    Red,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Warning, Level::Yellow, Level::Red];
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Yellow => "yellow",
            Level::Red => "red",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
    pub fn name(self) -> Text {
        match self {
            Level::Warning => Text::new("预警", "Warning"),
            Level::Yellow => Text::new("黄牌", "Yellow card"),
            Level::Red => Text::new("红牌", "Red card"),
        }
    }
}

/// The rules supervision applies. The code is stable: it names the rule in
/// configuration, in stored signals and in the API.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum RuleCode {
    /// A configurable number of working days before the promised deadline.
    #[serde(rename = "time.due_soon")]
    DueSoon,
    /// The promised deadline has passed.
    #[serde(rename = "time.promised_overdue")]
    PromisedOverdue,
    /// The legal deadline has passed.
    #[serde(rename = "time.legal_overdue")]
    LegalOverdue,
    /// A yellow card was not rectified within its deadline.
    #[serde(rename = "time.yellow_unrectified")]
    YellowUnrectified,
    /// The current step is overdue, whether or not the case is.
    #[serde(rename = "time.step_overdue")]
    StepOverdue,
    /// A step was skipped or done out of order.
    #[serde(rename = "process.step_out_of_order")]
    StepOutOfOrder,
    /// A decision on a case that was never accepted.
    #[serde(rename = "process.decision_without_acceptance")]
    DecisionWithoutAcceptance,
    /// A case registered at the counter and decided at once: handled
    /// offline and entered after the fact.
    #[serde(rename = "process.entered_after_the_fact")]
    EnteredAfterTheFact,
    /// A refusal or a non-acceptance that cites no law.
    #[serde(rename = "process.no_legal_reason")]
    NoLegalReason,
    /// A charge that is not among the item's catalogued fees.
    #[serde(rename = "fee.not_catalogued")]
    FeeNotCatalogued,
    /// A charge above the catalogued standard.
    #[serde(rename = "fee.above_standard")]
    FeeAboveStandard,
    /// A citizen's complaint about a case, upheld by a supervisor.
    #[serde(rename = "complaint.upheld")]
    ComplaintUpheld,
    /// A hotline request past the limit running for it: dispatch, the
    /// unit's signature or its answer.
    #[serde(rename = "hotline.overdue")]
    HotlineOverdue,
    /// A home-care order past its limit: not accepted in time, or not
    /// served by the day asked for. The community answers for it.
    #[serde(rename = "care.order_overdue")]
    CareOrderOverdue,
    /// A vulnerable household's aid (低保, 优抚) not reviewed by its day.
    #[serde(rename = "aid.review_overdue")]
    AidReviewOverdue,
    /// A department's system whose last good backup at the backup centre
    /// is older than its promised RPO and the grace (`backup_centre::grace`).
    #[serde(rename = "backup.overdue")]
    BackupOverdue,
    /// An archive the backup centre keeps no longer matches its checksum
    /// (bit rot found by re-verification): raised on the centre.
    #[serde(rename = "backup.damaged")]
    BackupDamaged,
}

impl RuleCode {
    pub const ALL: [RuleCode; 17] = [
        RuleCode::DueSoon,
        RuleCode::PromisedOverdue,
        RuleCode::LegalOverdue,
        RuleCode::YellowUnrectified,
        RuleCode::StepOverdue,
        RuleCode::StepOutOfOrder,
        RuleCode::DecisionWithoutAcceptance,
        RuleCode::EnteredAfterTheFact,
        RuleCode::NoLegalReason,
        RuleCode::FeeNotCatalogued,
        RuleCode::FeeAboveStandard,
        RuleCode::ComplaintUpheld,
        RuleCode::HotlineOverdue,
        RuleCode::CareOrderOverdue,
        RuleCode::AidReviewOverdue,
        RuleCode::BackupOverdue,
        RuleCode::BackupDamaged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleCode::DueSoon => "time.due_soon",
            RuleCode::PromisedOverdue => "time.promised_overdue",
            RuleCode::LegalOverdue => "time.legal_overdue",
            RuleCode::YellowUnrectified => "time.yellow_unrectified",
            RuleCode::StepOverdue => "time.step_overdue",
            RuleCode::StepOutOfOrder => "process.step_out_of_order",
            RuleCode::DecisionWithoutAcceptance => "process.decision_without_acceptance",
            RuleCode::EnteredAfterTheFact => "process.entered_after_the_fact",
            RuleCode::NoLegalReason => "process.no_legal_reason",
            RuleCode::FeeNotCatalogued => "fee.not_catalogued",
            RuleCode::FeeAboveStandard => "fee.above_standard",
            RuleCode::ComplaintUpheld => "complaint.upheld",
            RuleCode::HotlineOverdue => "hotline.overdue",
            RuleCode::CareOrderOverdue => "care.order_overdue",
            RuleCode::AidReviewOverdue => "aid.review_overdue",
            RuleCode::BackupOverdue => "backup.overdue",
            RuleCode::BackupDamaged => "backup.damaged",
        }
    }

    pub fn parse(s: &str) -> Option<RuleCode> {
        RuleCode::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The level a rule raises unless the rule set says otherwise.
    pub fn default_level(self) -> Level {
        match self {
            RuleCode::DueSoon | RuleCode::BackupOverdue | RuleCode::BackupDamaged => Level::Warning,
            RuleCode::PromisedOverdue
            | RuleCode::StepOverdue
            | RuleCode::StepOutOfOrder
            | RuleCode::EnteredAfterTheFact
            | RuleCode::NoLegalReason
            | RuleCode::ComplaintUpheld
            | RuleCode::HotlineOverdue
            | RuleCode::CareOrderOverdue
            | RuleCode::AidReviewOverdue => Level::Yellow,
            RuleCode::LegalOverdue
            | RuleCode::YellowUnrectified
            | RuleCode::DecisionWithoutAcceptance
            | RuleCode::FeeNotCatalogued
            | RuleCode::FeeAboveStandard => Level::Red,
        }
    }

    /// The rule's name, as people call it (即将超期预警).
    pub fn name(self) -> Text {
        match self {
            RuleCode::DueSoon => Text::new("即将超期预警", "Close to the promised deadline"),
            RuleCode::PromisedOverdue => Text::new("超承诺期限", "Past the promised deadline"),
            RuleCode::LegalOverdue => Text::new("超法定期限", "Past the legal deadline"),
            RuleCode::YellowUnrectified => Text::new("黄牌逾期未整改", "Yellow card not rectified"),
            RuleCode::StepOverdue => Text::new("环节超时", "Step overdue"),
            RuleCode::StepOutOfOrder => Text::new("环节顺序异常", "Step out of order"),
            RuleCode::DecisionWithoutAcceptance => {
                Text::new("未受理先决定", "Decision without acceptance")
            }
            RuleCode::EnteredAfterTheFact => Text::new("事后补录", "Entered after the fact"),
            RuleCode::NoLegalReason => Text::new("未说明法律依据", "No legal basis given"),
            RuleCode::FeeNotCatalogued => Text::new("目录外收费", "Fee outside the catalogue"),
            RuleCode::FeeAboveStandard => Text::new("超标准收费", "Fee above the standard"),
            RuleCode::ComplaintUpheld => Text::new("投诉属实", "Complaint upheld"),
            RuleCode::HotlineOverdue => Text::new("热线工单超时", "Hotline request overdue"),
            RuleCode::CareOrderOverdue => Text::new("养老服务工单超时", "Care order overdue"),
            RuleCode::AidReviewOverdue => Text::new("救助逾期未复核", "Aid review overdue"),
            RuleCode::BackupOverdue => Text::new("数据备份超期", "Backup overdue"),
            RuleCode::BackupDamaged => Text::new("备份数据损坏", "Backup damaged"),
        }
    }

    /// What the rule says, in both languages.
    pub fn message(self) -> Text {
        match self {
            RuleCode::DueSoon => Text::new(
                "办件即将超过承诺期限",
                "The case is close to its promised deadline",
            ),
            RuleCode::PromisedOverdue => Text::new(
                "办件已超过承诺期限",
                "The case is past its promised deadline",
            ),
            RuleCode::LegalOverdue => {
                Text::new("办件已超过法定期限", "The case is past its legal deadline")
            }
            RuleCode::YellowUnrectified => {
                Text::new("黄牌逾期未整改", "A yellow card was not rectified in time")
            }
            RuleCode::StepOverdue => Text::new("办理环节超时", "A process step is overdue"),
            RuleCode::StepOutOfOrder => Text::new(
                "办理环节被跳过或顺序颠倒",
                "A process step was skipped or done out of order",
            ),
            RuleCode::DecisionWithoutAcceptance => Text::new(
                "未受理即作出决定",
                "A decision was made on a case never accepted",
            ),
            RuleCode::EnteredAfterTheFact => Text::new(
                "办件未在网上办理，事后补录",
                "The case was handled offline and entered after the fact",
            ),
            RuleCode::NoLegalReason => Text::new(
                "不予受理或不予许可未说明法律依据",
                "A refusal or non-acceptance cites no legal basis",
            ),
            RuleCode::FeeNotCatalogued => Text::new(
                "收取目录外费用",
                "A fee outside the item's catalogue was charged",
            ),
            RuleCode::FeeAboveStandard => Text::new(
                "超标准收费",
                "A fee above its catalogued standard was charged",
            ),
            RuleCode::ComplaintUpheld => Text::new(
                "群众投诉经查属实",
                "A citizen's complaint about the case was upheld",
            ),
            RuleCode::HotlineOverdue => Text::new(
                "热线工单超时未派单、签收或答复",
                "A hotline request is past its limit to be dispatched, signed for or answered",
            ),
            RuleCode::CareOrderOverdue => Text::new(
                "居家养老服务工单超时未接单或未按约定日期服务",
                "A home-care order was not accepted in time, or not served by the day asked for",
            ),
            RuleCode::AidReviewOverdue => Text::new(
                "困难家庭救助逾期未复核",
                "A vulnerable household's aid was not reviewed by its day",
            ),
            RuleCode::BackupOverdue => Text::new(
                "业务系统最近一次有效备份已超过承诺的恢复点目标",
                "A system's last good backup is older than its promised recovery point",
            ),
            RuleCode::BackupDamaged => Text::new(
                "备份中心保存的备份数据校验不符，已损坏",
                "An archive kept at the backup centre no longer matches its checksum",
            ),
        }
    }

    /// Whether the rule's step is a process step of a case (shown to people
    /// as one), rather than the stage key of a hotline request or a care order.
    pub fn has_process_step(self) -> bool {
        !matches!(
            self,
            RuleCode::HotlineOverdue | RuleCode::CareOrderOverdue | RuleCode::AidReviewOverdue
        )
    }

    /// Rules that fire at a moment from the due-time index, rather than on
    /// a fact of the case.
    pub fn is_timed(self) -> bool {
        matches!(
            self,
            RuleCode::DueSoon
                | RuleCode::PromisedOverdue
                | RuleCode::LegalOverdue
                | RuleCode::YellowUnrectified
                | RuleCode::StepOverdue
        )
    }
}

/// Thresholds that an area may set for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Thresholds {
    /// Warn this many working days before the promised deadline.
    pub warning_days: u32,
    /// A yellow card becomes red when it is not rectified in this many working days.
    pub rectify_days: u32,
    /// A counter case decided within this many minutes of being registered
    /// was handled offline.
    pub after_the_fact_minutes: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            warning_days: 1,
            rectify_days: 3,
            after_the_fact_minutes: 10,
        }
    }
}

/// The rules in force: a version of the configuration. Thresholds apply
/// everywhere unless an area (a region code, e.g. `330106`) has its own;
/// each rule raises its default level unless set otherwise, and can be
/// switched off.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleSet {
    #[serde(default)]
    pub thresholds: Thresholds,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub areas: BTreeMap<String, Thresholds>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub levels: BTreeMap<RuleCode, Level>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub disabled: BTreeSet<RuleCode>,
    /// How departments are graded each quarter.
    #[serde(default)]
    pub formula: GradeFormula,
}

/// The most working days a threshold may name (a quarter of a year).
const MAX_THRESHOLD_DAYS: u32 = 60;

impl RuleSet {
    /// Every fault of a rule set at once.
    pub fn validate(&self) -> Result<(), Refusal> {
        let mut fields = BTreeMap::new();
        let check = |fields: &mut BTreeMap<String, Text>, key: String, t: &Thresholds| {
            if t.warning_days == 0 || t.warning_days > MAX_THRESHOLD_DAYS {
                fields.insert(
                    format!("{key}.warning_days"),
                    Text::new(
                        "预警提前天数应在1到60个工作日之间",
                        "Warning days must be 1 to 60 working days",
                    ),
                );
            }
            if t.rectify_days == 0 || t.rectify_days > MAX_THRESHOLD_DAYS {
                fields.insert(
                    format!("{key}.rectify_days"),
                    Text::new(
                        "整改期限应在1到60个工作日之间",
                        "Rectification must take 1 to 60 working days",
                    ),
                );
            }
            if t.after_the_fact_minutes > 24 * 60 {
                fields.insert(
                    format!("{key}.after_the_fact_minutes"),
                    Text::new(
                        "补录判定时长不得超过一天",
                        "The after-the-fact window is at most a day",
                    ),
                );
            }
        };
        check(&mut fields, "thresholds".into(), &self.thresholds);
        for (area, t) in &self.areas {
            if crate::ids::RegionCode::parse(area).is_err() {
                fields.insert(
                    format!("areas.{area}"),
                    Text::new(
                        "地区应为六位行政区划代码",
                        "An area is a six-digit region code",
                    ),
                );
            }
            check(&mut fields, format!("areas.{area}"), t);
        }
        if let Err(r) = self.formula.validate() {
            fields.insert("formula".into(), r.message);
        }
        if fields.is_empty() {
            Ok(())
        } else {
            let mut r = Refusal::invalid(
                "invalid_rules",
                "监察规则有误",
                "The supervision rules are not valid",
            );
            r.fields = fields;
            Err(r)
        }
    }

    /// The thresholds of the area a case belongs to.
    pub fn thresholds_for(&self, region: &str) -> Thresholds {
        self.areas.get(region).copied().unwrap_or(self.thresholds)
    }

    /// The level a rule raises, or `None` when it is switched off.
    pub fn level(&self, rule: RuleCode) -> Option<Level> {
        if self.disabled.contains(&rule) {
            return None;
        }
        Some(
            self.levels
                .get(&rule)
                .copied()
                .unwrap_or_else(|| rule.default_level()),
        )
    }
}

/// The deadlines of a case while its clock runs, as the hall computed them
/// (`hall::due_date`): supervision never counts them a second way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseDeadlines {
    pub promised: Option<Date>,
    pub legal: Option<Date>,
    /// The current step and its own due date.
    pub step: Option<(usize, Date)>,
}

/// A moment at which a time rule fires for a case (at a step, for a step's rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timer {
    pub rule: RuleCode,
    pub step: Option<usize>,
    pub due: Timestamp,
}

/// The time rules' moments for a case whose clock runs. A deadline is a
/// whole day: it passes when the next day begins; the warning comes at the
/// start of the working day `warning_days` before the promised deadline.
/// Sorted by moment.
pub fn case_timers(
    rules: &RuleSet,
    region: &str,
    cal: &Calendar,
    d: &CaseDeadlines,
) -> Result<Vec<Timer>, CalendarError> {
    let t = rules.thresholds_for(region);
    let mut timers = vec![];
    let mut add = |rule: RuleCode, step: Option<usize>, due: Timestamp| {
        if rules.level(rule).is_some() {
            timers.push(Timer { rule, step, due });
        }
    };
    if let Some(promised) = d.promised {
        let warn_on = cal.sub_working_days(promised, WorkingDays(t.warning_days))?;
        add(RuleCode::DueSoon, None, start_of_local_day(warn_on));
        add(RuleCode::PromisedOverdue, None, end_of_local_day(promised));
    }
    if let Some(legal) = d.legal {
        add(RuleCode::LegalOverdue, None, end_of_local_day(legal));
    }
    if let Some((step, due)) = d.step {
        add(RuleCode::StepOverdue, Some(step), end_of_local_day(due));
    }
    timers.sort_by_key(|t| (t.due, t.rule));
    Ok(timers)
}

/// When a yellow card issued on `issued_on` turns red if not rectified.
pub fn rectification_due(
    rules: &RuleSet,
    region: &str,
    cal: &Calendar,
    issued_on: Date,
) -> Result<Timestamp, CalendarError> {
    let t = rules.thresholds_for(region);
    let due = cal.add_working_days(issued_on, WorkingDays(t.rectify_days))?;
    Ok(end_of_local_day(due))
}

/// Whether a reason cites a legal basis: a law by its title in 《》, or an
/// article (第…条, "Article …").
pub fn cites_law(reason: &str) -> bool {
    let titled = reason
        .find('《')
        .is_some_and(|open| reason[open..].contains('》'));
    let article = reason
        .find('第')
        .is_some_and(|at| reason[at..].contains('条'));
    let lower = reason.to_lowercase();
    titled || article || lower.contains("article ") || lower.contains("art. ")
}

/// A fact of a case as supervision sees it, read from the hall's journal
/// entries (or a district platform's forwarded ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HallFact {
    Submitted {
        at: Timestamp,
        at_counter: bool,
    },
    Accepted,
    /// The case is now at this process step (claimed, passed on, returned).
    AtStep {
        step: usize,
    },
    NotAccepted {
        reason: String,
    },
    Approved {
        at: Timestamp,
    },
    Refused {
        at: Timestamp,
        reason: String,
    },
    FeeCharged {
        name: String,
        amount_fen: i64,
    },
}

/// What supervision remembers of a case between its facts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CaseTrace {
    /// When it was submitted (microseconds), and whether at a counter.
    pub submitted_at: Option<i64>,
    pub at_counter: bool,
    pub accepted: bool,
    /// The furthest process step it has reached.
    pub furthest_step: Option<usize>,
}

/// A fault found in a fact: the rule and, for a step's fault, the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub rule: RuleCode,
    pub step: Option<usize>,
}

/// Check one fact of a case against the process and fee rules, given what
/// came before, and remember it. `steps` is the number of the item's
/// process steps; `fees` its catalogued fees.
pub fn check_fact(
    rules: &RuleSet,
    region: &str,
    trace: &mut CaseTrace,
    fact: &HallFact,
    steps: usize,
    fees: &[Fee],
) -> Vec<Fault> {
    let mut faults = vec![];
    let mut raise = |rule: RuleCode, step: Option<usize>| {
        if rules.level(rule).is_some() {
            faults.push(Fault { rule, step });
        }
    };
    match fact {
        HallFact::Submitted { at, at_counter } => {
            trace.submitted_at = Some(at.as_microsecond());
            trace.at_counter = *at_counter;
        }
        HallFact::Accepted => trace.accepted = true,
        HallFact::AtStep { step } => {
            let next = trace.furthest_step.map_or(0, |f| f + 1);
            // Handled before it was accepted, or a step jumped over.
            if !trace.accepted {
                raise(RuleCode::StepOutOfOrder, Some(*step));
            } else if *step > next {
                raise(RuleCode::StepOutOfOrder, Some(next));
            }
            trace.furthest_step = Some(trace.furthest_step.map_or(*step, |f| f.max(*step)));
        }
        HallFact::NotAccepted { reason } => {
            if !cites_law(reason) {
                raise(RuleCode::NoLegalReason, None);
            }
        }
        HallFact::Approved { at } | HallFact::Refused { at, .. } => {
            if !trace.accepted {
                raise(RuleCode::DecisionWithoutAcceptance, None);
            } else {
                let last = steps.saturating_sub(1);
                match trace.furthest_step {
                    Some(f) if f >= last => {}
                    f => raise(RuleCode::StepOutOfOrder, Some(f.map_or(0, |f| f + 1))),
                }
            }
            if let HallFact::Refused { reason, .. } = fact {
                if !cites_law(reason) {
                    raise(RuleCode::NoLegalReason, None);
                }
            }
            let window =
                i64::from(rules.thresholds_for(region).after_the_fact_minutes) * 60_000_000;
            if let Some(submitted) = trace.submitted_at {
                if trace.at_counter && at.as_microsecond() - submitted < window {
                    raise(RuleCode::EnteredAfterTheFact, None);
                }
            }
        }
        HallFact::FeeCharged { name, amount_fen } => match fee_fault(fees, name, *amount_fen) {
            None => {}
            Some(FeeFault::NotCatalogued) => raise(RuleCode::FeeNotCatalogued, None),
            Some(FeeFault::NotStandard { standard_fen }) if *amount_fen > standard_fen => {
                raise(RuleCode::FeeAboveStandard, None)
            }
            Some(FeeFault::NotStandard { .. }) => {}
        },
    }
    faults
}

#[cfg(test)]
mod tests;
