//! The city's named read (市级具名查阅). The city defines the registry's
//! standard and sees anonymous aggregates; it reads a named person only
//! after asking the district that holds them, with its reason and the
//! fields it needs, and the district's registrar approving. An approval
//! lasts [`VALID_DAYS`]; each read within it is journaled as the city's and
//! shown to the person, with the fields asked and no more.

use serde::{Deserialize, Serialize};

use super::view::{fields_for, Field};
use crate::access::ReadPurpose;
use crate::refusal::Refusal;

/// How long an approval lets the city read, in days.
pub const VALID_DAYS: i64 = 7;
const DAY_MICROS: i64 = 86_400_000_000;
/// The longest reason or answer, in characters.
pub const MAX_TEXT: usize = 500;

/// Where a request stands. An approved request whose days have passed is
/// shown as expired ([`shown`]); it is not rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NamedReadState {
    /// Waiting for the district.
    Asked,
    Approved,
    Refused,
    /// Withdrawn by the city, before or after approval.
    Withdrawn,
}

impl NamedReadState {
    pub const ALL: [NamedReadState; 4] = [
        NamedReadState::Asked,
        NamedReadState::Approved,
        NamedReadState::Refused,
        NamedReadState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NamedReadState::Asked => "asked",
            NamedReadState::Approved => "approved",
            NamedReadState::Refused => "refused",
            NamedReadState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<NamedReadState> {
        NamedReadState::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What a request's state is shown as: its state, or `expired` for an
/// approval whose days have passed at `now`.
pub fn shown(state: NamedReadState, expires_at: Option<i64>, now: i64) -> &'static str {
    match (state, expires_at) {
        (NamedReadState::Approved, Some(end)) if now >= end => "expired",
        _ => state.as_str(),
    }
}

/// When an approval given at `approved_at` (µs) stops letting the city read.
pub fn expires_at(approved_at: i64) -> i64 {
    approved_at.saturating_add(VALID_DAYS * DAY_MICROS)
}

/// The fields a request may ask for: some of those a city inquiry may
/// show, each once, in the layout's order.
pub fn asked_fields(asked: &[Field]) -> Result<Vec<Field>, Refusal> {
    let allowed = fields_for(ReadPurpose::CityInquiry);
    if let Some(f) = asked.iter().find(|f| !allowed.contains(f)) {
        return Err(Refusal::field(
            "fields",
            format!("市级具名查阅不能查阅“{}”", f.column()),
            format!(
                "A city inquiry may not read the {}",
                f.label().en.to_lowercase()
            ),
        ));
    }
    let mut fields = asked.to_vec();
    fields.sort();
    fields.dedup();
    if fields.is_empty() {
        return Err(Refusal::field(
            "fields",
            "请选择需要查阅的项目",
            "Choose the fields the inquiry needs",
        ));
    }
    Ok(fields)
}

/// A reason or an answer, trimmed: required, at most [`MAX_TEXT`]
/// characters, and text a person could have typed.
pub fn text(given: &str, field: &str) -> Result<String, Refusal> {
    let t = given.trim();
    if !crate::refusal::is_clean_text(t) {
        return Err(Refusal::field(
            field,
            "不能包含控制字符",
            "Control characters are not allowed",
        ));
    }
    if t.is_empty() || t.chars().count() > MAX_TEXT {
        return Err(Refusal::field(
            field,
            format!("请写明理由（不超过{MAX_TEXT}字）"),
            format!("Give the reason (at most {MAX_TEXT} characters)"),
        ));
    }
    Ok(t.to_string())
}

/// Whether `decider` may answer a request `requester` made that stands at
/// `state`: only one that waits, and never one's own.
pub fn may_decide(state: NamedReadState, requester: i64, decider: i64) -> Result<(), Refusal> {
    if state != NamedReadState::Asked {
        return Err(Refusal::conflict(
            "named_read_decided",
            "该查阅申请已答复或已撤回",
            "The request has been answered or withdrawn already",
        ));
    }
    if requester == decider {
        return Err(Refusal::forbidden(
            "named_read_own",
            "不能审批自己提出的查阅申请",
            "You may not approve your own request",
        ));
    }
    Ok(())
}

/// Whether the city may withdraw a request at `state`: one that waits or
/// is approved (ending the approval early).
pub fn may_withdraw(state: NamedReadState) -> Result<(), Refusal> {
    match state {
        NamedReadState::Asked | NamedReadState::Approved => Ok(()),
        NamedReadState::Refused | NamedReadState::Withdrawn => Err(Refusal::conflict(
            "named_read_closed",
            "该查阅申请已被拒绝或撤回",
            "The request has been refused or withdrawn already",
        )),
    }
}

/// Whether the city may read under a request at `state` at `now`.
pub fn may_read(state: NamedReadState, expires_at: Option<i64>, now: i64) -> Result<(), Refusal> {
    let (code, zh, en) = match shown(state, expires_at, now) {
        "approved" => return Ok(()),
        "asked" => (
            "named_read_not_approved",
            "该查阅申请尚待区人口登记部门审批",
            "The request waits for the district's approval",
        ),
        "expired" => (
            "named_read_expired",
            "该查阅申请的批准已过期，如仍需查阅请重新申请",
            "The approval has expired: ask again if the inquiry still needs the record",
        ),
        _ => (
            "named_read_closed",
            "该查阅申请已被拒绝或撤回",
            "The request has been refused or withdrawn",
        ),
    };
    Err(Refusal::conflict(code, zh, en))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_request_asks_for_some_of_the_fields_a_city_inquiry_may_show() {
        assert_eq!(
            asked_fields(&[Field::Birth, Field::Name, Field::Name]),
            Ok(vec![Field::Name, Field::Birth])
        );
        let phone = asked_fields(&[Field::Name, Field::Phone]).unwrap_err();
        assert!(phone.fields["fields"].zh.contains("联系电话"));
        assert!(asked_fields(&[]).is_err());
    }

    #[test]
    fn a_reason_is_required_and_bounded() {
        assert_eq!(text("  查核低保 ", "reason"), Ok("查核低保".to_string()));
        assert!(text("   ", "reason").is_err());
        assert!(text(&"字".repeat(MAX_TEXT + 1), "reason").is_err());
        assert!(text(&"字".repeat(MAX_TEXT), "reason").is_ok());
    }

    #[test]
    fn an_approval_lasts_its_days_and_no_longer() {
        let end = expires_at(1_000);
        assert_eq!(end - 1_000, VALID_DAYS * DAY_MICROS);
        assert!(may_read(NamedReadState::Approved, Some(end), end - 1).is_ok());
        let late = may_read(NamedReadState::Approved, Some(end), end).unwrap_err();
        assert_eq!(late.code, "named_read_expired");
        assert_eq!(shown(NamedReadState::Approved, Some(end), end), "expired");
        assert_eq!(
            may_read(NamedReadState::Asked, None, 0).unwrap_err().code,
            "named_read_not_approved"
        );
    }

    #[test]
    fn no_one_approves_their_own_request_nor_one_answered() {
        assert!(may_decide(NamedReadState::Asked, 1, 2).is_ok());
        assert_eq!(
            may_decide(NamedReadState::Asked, 1, 1).unwrap_err().code,
            "named_read_own"
        );
        for s in [
            NamedReadState::Approved,
            NamedReadState::Refused,
            NamedReadState::Withdrawn,
        ] {
            assert_eq!(may_decide(s, 1, 2).unwrap_err().code, "named_read_decided");
        }
    }

    #[derive(Debug, Clone)]
    enum Step {
        Approve { by: i64 },
        Refuse { by: i64 },
        Withdraw,
        Wait { days: i64 },
        Read,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (1..3i64).prop_map(|by| Step::Approve { by }),
            (1..3i64).prop_map(|by| Step::Refuse { by }),
            Just(Step::Withdraw),
            (0..10i64).prop_map(|days| Step::Wait { days }),
            Just(Step::Read),
        ]
    }

    proptest! {
        /// Whatever is done to a request the city's registrar (user 1)
        /// made: a read succeeds only after another's approval, before
        /// its days have passed, and while it is not withdrawn; and a
        /// request is answered at most once.
        #[test]
        fn the_city_reads_only_under_a_live_approval_by_another(
            steps in proptest::collection::vec(step(), 0..20)
        ) {
            let requester = 1;
            let (mut state, mut expiry, mut now) = (NamedReadState::Asked, None, 0i64);
            let mut approved_at: Option<i64> = None;
            let mut answers = 0;
            for s in steps {
                match s {
                    Step::Approve { by } | Step::Refuse { by } => {
                        let approve = matches!(s, Step::Approve { .. });
                        if may_decide(state, requester, by).is_ok() {
                            prop_assert_ne!(by, requester);
                            answers += 1;
                            if approve {
                                state = NamedReadState::Approved;
                                expiry = Some(expires_at(now));
                                approved_at = Some(now);
                            } else {
                                state = NamedReadState::Refused;
                            }
                        }
                    }
                    Step::Withdraw => {
                        if may_withdraw(state).is_ok() {
                            state = NamedReadState::Withdrawn;
                        }
                    }
                    Step::Wait { days } => now += days * DAY_MICROS,
                    Step::Read => {
                        if may_read(state, expiry, now).is_ok() {
                            let at = approved_at.expect("approved");
                            prop_assert_eq!(state, NamedReadState::Approved);
                            prop_assert!(now - at < VALID_DAYS * DAY_MICROS);
                        }
                    }
                }
                prop_assert!(answers <= 1);
            }
        }
    }
}
