//! The solidification workflow 编制→申报→审核→批准→入库: a version's states,
//! the steps between them, and the one rule of which step may follow which.

use super::*;

/// Where a version stands in the solidification workflow.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    /// 编制: being written by the implementing department.
    Draft,
    /// 申报: declared for review.
    Declared,
    /// 审核: passed legal review.
    Reviewed,
    /// 批准: approved by the government of its level.
    Approved,
    /// 入库: in the library, in force from its effective date.
    InLibrary,
    /// Replaced in the library by a later version; kept with its history.
    Superseded,
}

impl VersionState {
    pub const ALL: [VersionState; 6] = [
        VersionState::Draft,
        VersionState::Declared,
        VersionState::Reviewed,
        VersionState::Approved,
        VersionState::InLibrary,
        VersionState::Superseded,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            VersionState::Draft => "draft",
            VersionState::Declared => "declared",
            VersionState::Reviewed => "reviewed",
            VersionState::Approved => "approved",
            VersionState::InLibrary => "in_library",
            VersionState::Superseded => "superseded",
        }
    }
    pub fn parse(s: &str) -> Option<VersionState> {
        VersionState::ALL.into_iter().find(|v| v.as_str() == s)
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            VersionState::Draft => "编制中",
            VersionState::Declared => "已申报",
            VersionState::Reviewed => "已审核",
            VersionState::Approved => "已批准",
            VersionState::InLibrary => "已入库",
            VersionState::Superseded => "已废止（被新版本取代）",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            VersionState::Draft => "Draft",
            VersionState::Declared => "Declared",
            VersionState::Reviewed => "Reviewed",
            VersionState::Approved => "Approved",
            VersionState::InLibrary => "In the library",
            VersionState::Superseded => "Superseded",
        }
    }
    /// A version still on its way to the library.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            VersionState::Draft
                | VersionState::Declared
                | VersionState::Reviewed
                | VersionState::Approved
        )
    }
}

/// A command of the solidification workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkflowStep {
    /// 申报
    Declare,
    /// 审核通过
    Review,
    /// 批准
    Approve,
    /// 入库, in force from the given date.
    Publish { effective: Date },
    /// 退回编制, with the reason.
    Return { reason: String },
}

/// What a catalogue journal event did, for people; `None` for an event
/// that is not the catalogue's.
pub fn event_name(event_type: &str) -> Option<Text> {
    let (zh, en) = match event_type {
        "catalog.item_created" => ("新建事项", "Item drafted"),
        "catalog.item_imported" => ("导入事项", "Item imported"),
        "catalog.draft_updated" => ("修改草稿", "Draft changed"),
        "catalog.version_opened" => ("新建版本", "New version opened"),
        "catalog.version_declared" => ("申报", "Declared"),
        "catalog.version_reviewed" => ("法制审核通过", "Passed legal review"),
        "catalog.version_approved" => ("审批通过", "Approved"),
        "catalog.version_published" => ("入库", "Entered the library"),
        "catalog.version_returned" => ("退回", "Returned"),
        "catalog.version_in_force" => ("生效", "Came into force"),
        _ => return None,
    };
    Some(Text::new(zh, en))
}

impl WorkflowStep {
    pub fn event_type(&self) -> &'static str {
        match self {
            WorkflowStep::Declare => "catalog.version_declared",
            WorkflowStep::Review => "catalog.version_reviewed",
            WorkflowStep::Approve => "catalog.version_approved",
            WorkflowStep::Publish { .. } => "catalog.version_published",
            WorkflowStep::Return { .. } => "catalog.version_returned",
        }
    }
}

/// The workflow's one rule: which step may follow which state. `today` is the
/// platform's date, since an item cannot enter the library with a past date.
pub fn next_state(
    state: VersionState,
    step: &WorkflowStep,
    today: Date,
) -> Result<VersionState, Refusal> {
    use VersionState as S;
    let refuse = || {
        Refusal::conflict(
            "workflow_step_not_allowed",
            &format!("当前状态“{}”下不能执行此操作", state.name_zh()),
            &format!("This step is not allowed in state '{}'", state.name_en()),
        )
    };
    match (state, step) {
        (S::Draft, WorkflowStep::Declare) => Ok(S::Declared),
        (S::Declared, WorkflowStep::Review) => Ok(S::Reviewed),
        (S::Reviewed, WorkflowStep::Approve) => Ok(S::Approved),
        (S::Approved, WorkflowStep::Publish { effective }) => {
            if *effective < today {
                Err(Refusal::field(
                    "effective_date",
                    "生效日期不能早于今天",
                    "The effective date cannot be in the past",
                ))
            } else {
                Ok(S::InLibrary)
            }
        }
        (S::Declared | S::Reviewed | S::Approved, WorkflowStep::Return { reason }) => {
            if reason.trim().is_empty() {
                Err(Refusal::field(
                    "reason",
                    "退回时应说明理由",
                    "A return needs a reason",
                ))
            } else if !is_clean_text(reason) {
                Err(Refusal::field(
                    "reason",
                    "不能包含控制字符",
                    "Control characters are not allowed",
                ))
            } else if reason.chars().count() > 2000 {
                Err(Refusal::field(
                    "reason",
                    "理由不能超过2000个字符",
                    "The reason can have at most 2000 characters",
                ))
            } else {
                Ok(S::Draft)
            }
        }
        _ => Err(refuse()),
    }
}

/// A new draft of an item may be opened only when no other version is on its way.
pub fn may_open_new_version(states: &[VersionState]) -> Result<(), Refusal> {
    if states.iter().any(|s| s.is_open()) {
        Err(Refusal::conflict(
            "open_version_exists",
            "该事项已有正在编制或审批中的版本",
            "This item already has a version in draft or under approval",
        ))
    } else {
        Ok(())
    }
}

/// Only a draft can be edited.
pub fn may_edit(state: VersionState) -> Result<(), Refusal> {
    if state == VersionState::Draft {
        Ok(())
    } else {
        Err(Refusal::conflict(
            "not_a_draft",
            "只有编制中的版本可以修改",
            "Only a draft version can be edited",
        ))
    }
}
