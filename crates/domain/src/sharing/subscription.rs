//! A subscription's life (申请订阅): asked by a department with a purpose,
//! granted at once for a resource shared unconditionally, decided by the
//! owner for one shared on conditions, never opened on one not shared; an
//! approved subscription ends when either side revokes it. Refused and
//! revoked are final: a department that wants the data again asks anew.
//!
//! ```text
//!   ask ──(unconditional)──────────────▶ approved ──revoke──▶ revoked
//!    └──(conditional)──▶ requested ──approve──┘
//!                            └──refuse──▶ refused
//! ```

use serde::{Deserialize, Serialize};

use super::SharingClass;
use crate::refusal::{is_clean_text, Refusal};
use crate::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionState {
    /// 待审核: waiting for the owner.
    Requested,
    /// 已批准: keys may be issued and read through.
    Approved,
    /// 未批准: the owner said no, with a reason.
    Refused,
    /// 已撤销: ended by the owner or the subscriber.
    Revoked,
}

impl SubscriptionState {
    pub const ALL: [SubscriptionState; 4] = [
        SubscriptionState::Requested,
        SubscriptionState::Approved,
        SubscriptionState::Refused,
        SubscriptionState::Revoked,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::Requested => "requested",
            SubscriptionState::Approved => "approved",
            SubscriptionState::Refused => "refused",
            SubscriptionState::Revoked => "revoked",
        }
    }
    pub fn parse(s: &str) -> Option<SubscriptionState> {
        SubscriptionState::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn label(self) -> Text {
        let (zh, en) = match self {
            SubscriptionState::Requested => ("待审核", "Waiting for approval"),
            SubscriptionState::Approved => ("已批准", "Approved"),
            SubscriptionState::Refused => ("未批准", "Refused"),
            SubscriptionState::Revoked => ("已撤销", "Revoked"),
        };
        Text::new(zh, en)
    }
    /// No command moves it any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            SubscriptionState::Refused | SubscriptionState::Revoked
        )
    }
}

/// Which side of a subscription a person acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The department that owns the resource.
    Owner,
    /// The department that subscribed.
    Subscriber,
}

/// What may be done to a subscription once asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum SubscriptionCommand {
    /// The owner grants it.
    Approve {
        #[serde(default)]
        reason: String,
    },
    /// The owner refuses it, saying why.
    Refuse { reason: String },
    /// Either side ends it.
    Revoke {
        #[serde(default)]
        reason: String,
    },
}

impl SubscriptionCommand {
    pub fn name(&self) -> &'static str {
        match self {
            SubscriptionCommand::Approve { .. } => "approve",
            SubscriptionCommand::Refuse { .. } => "refuse",
            SubscriptionCommand::Revoke { .. } => "revoke",
        }
    }
    pub fn reason(&self) -> &str {
        match self {
            SubscriptionCommand::Approve { reason }
            | SubscriptionCommand::Refuse { reason }
            | SubscriptionCommand::Revoke { reason } => reason.trim(),
        }
    }
}

/// Where a new subscription starts, by the resource's class.
pub fn opening(class: SharingClass) -> Result<SubscriptionState, Refusal> {
    match class {
        SharingClass::Unconditional => Ok(SubscriptionState::Approved),
        SharingClass::Conditional => Ok(SubscriptionState::Requested),
        SharingClass::NotShared => Err(Refusal::conflict(
            "resource_not_shared",
            "该资源不予共享，不能申请订阅",
            "This resource is not shared and cannot be subscribed to",
        )),
    }
}

/// The commands `side` may give a subscription in `state`: the one answer
/// both the app's check and the page's buttons use.
pub fn available(state: SubscriptionState, side: Side) -> &'static [&'static str] {
    match (state, side) {
        (SubscriptionState::Requested, Side::Owner) => &["approve", "refuse"],
        (SubscriptionState::Approved, _) => &["revoke"],
        _ => &[],
    }
}

/// The state after `command`, given by `side`, or why not.
pub fn decide(
    state: SubscriptionState,
    side: Side,
    command: &SubscriptionCommand,
) -> Result<SubscriptionState, Refusal> {
    let reason = command.reason();
    if reason.chars().count() > 500 || !is_clean_text(reason) {
        return Err(Refusal::field(
            "reason",
            "理由不超过500个字符，且不含控制字符",
            "The reason has at most 500 characters and no control characters",
        ));
    }
    if !available(state, side).contains(&command.name()) {
        let mut r = Refusal::conflict(
            "subscription_state",
            "订阅当前的状态不允许此操作",
            "The subscription's state does not allow this",
        );
        r.message.zh = format!(
            "订阅{}，不能{}",
            state.label().zh,
            command_label(command).zh
        );
        r.message.en = format!(
            "The subscription is {}: it cannot be {}",
            state.label().en.to_lowercase(),
            command_label(command).en
        );
        return Err(r);
    }
    match command {
        SubscriptionCommand::Approve { .. } => Ok(SubscriptionState::Approved),
        SubscriptionCommand::Refuse { .. } if reason.is_empty() => Err(Refusal::field(
            "reason",
            "不予批准须说明理由",
            "A refusal gives its reason",
        )),
        SubscriptionCommand::Refuse { .. } => Ok(SubscriptionState::Refused),
        SubscriptionCommand::Revoke { .. } => Ok(SubscriptionState::Revoked),
    }
}

fn command_label(c: &SubscriptionCommand) -> Text {
    match c {
        SubscriptionCommand::Approve { .. } => Text::new("批准", "approved"),
        SubscriptionCommand::Refuse { .. } => Text::new("拒绝", "refused"),
        SubscriptionCommand::Revoke { .. } => Text::new("撤销", "revoked"),
    }
}

/// The hour a try with an unknown key is counted in (its start, in
/// microseconds): such tries are logged as counts per client and hour, so
/// that guessing keys cannot flood the log.
pub fn attempt_hour(at: i64) -> i64 {
    const HOUR: i64 = 3_600_000_000;
    at - at.rem_euclid(HOUR)
}

/// Whether a key opens its subscription's data now: a live key of an
/// approved subscription.
pub fn may_read(state: SubscriptionState, key_revoked: bool) -> Result<(), Refusal> {
    if key_revoked {
        return Err(Refusal::forbidden(
            "key_revoked",
            "该访问密钥已撤销",
            "This access key has been revoked",
        ));
    }
    if state != SubscriptionState::Approved {
        let mut r = Refusal::forbidden(
            "subscription_not_approved",
            "订阅未获批准或已撤销",
            "The subscription is not approved, or was revoked",
        );
        r.message.zh = format!("订阅{}，不能读取数据", state.label().zh);
        r.message.en = format!(
            "The subscription is {}: no data may be read",
            state.label().en.to_lowercase()
        );
        return Err(r);
    }
    Ok(())
}

/// Keys are issued only to an approved subscription.
pub fn may_issue_key(state: SubscriptionState) -> Result<(), Refusal> {
    if state == SubscriptionState::Approved {
        Ok(())
    } else {
        Err(Refusal::conflict(
            "subscription_not_approved",
            "只有已批准的订阅可以申领访问密钥",
            "Only an approved subscription gets access keys",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn approve() -> SubscriptionCommand {
        SubscriptionCommand::Approve {
            reason: String::new(),
        }
    }
    fn refuse(r: &str) -> SubscriptionCommand {
        SubscriptionCommand::Refuse { reason: r.into() }
    }
    fn revoke() -> SubscriptionCommand {
        SubscriptionCommand::Revoke {
            reason: String::new(),
        }
    }

    #[test]
    fn a_try_with_an_unknown_key_counts_in_the_hour_it_falls_in() {
        let hour = 3_600_000_000;
        assert_eq!(attempt_hour(5 * hour), 5 * hour);
        assert_eq!(attempt_hour(5 * hour + 1), 5 * hour);
        assert_eq!(attempt_hour(6 * hour - 1), 5 * hour);
        assert_eq!(attempt_hour(-1), -hour, "before 1970 too");
    }

    #[test]
    fn the_class_decides_where_a_subscription_starts() {
        assert_eq!(
            opening(SharingClass::Unconditional),
            Ok(SubscriptionState::Approved)
        );
        assert_eq!(
            opening(SharingClass::Conditional),
            Ok(SubscriptionState::Requested)
        );
        let r = opening(SharingClass::NotShared).expect_err("not shared");
        assert_eq!(r.code, "resource_not_shared");
    }

    #[test]
    fn only_the_owner_decides_a_request_and_a_refusal_says_why() {
        use SubscriptionState::*;
        assert_eq!(decide(Requested, Side::Owner, &approve()), Ok(Approved));
        assert_eq!(
            decide(Requested, Side::Owner, &refuse("用途与职责无关")),
            Ok(Refused)
        );
        let r = decide(Requested, Side::Owner, &refuse("  ")).expect_err("no reason");
        assert!(r.fields.contains_key("reason"), "{r}");
        assert!(decide(Requested, Side::Subscriber, &approve()).is_err());
        assert!(decide(Requested, Side::Subscriber, &refuse("x")).is_err());
    }

    #[test]
    fn either_side_revokes_an_approved_subscription_and_nothing_moves_after() {
        use SubscriptionState::*;
        for side in [Side::Owner, Side::Subscriber] {
            assert_eq!(decide(Approved, side, &revoke()), Ok(Revoked));
            for c in [approve(), refuse("x"), revoke()] {
                assert!(decide(Revoked, side, &c).is_err(), "{c:?}");
                assert!(decide(Refused, side, &c).is_err(), "{c:?}");
            }
        }
        assert!(decide(Approved, Side::Owner, &approve()).is_err());
    }

    #[test]
    fn a_key_reads_only_while_live_and_its_subscription_approved() {
        use SubscriptionState::*;
        assert!(may_read(Approved, false).is_ok());
        assert_eq!(
            may_read(Approved, true).expect_err("revoked").code,
            "key_revoked"
        );
        for s in [Requested, Refused, Revoked] {
            assert_eq!(
                may_read(s, false).expect_err("not approved").code,
                "subscription_not_approved"
            );
            assert!(may_issue_key(s).is_err());
        }
        assert!(may_issue_key(Approved).is_ok());
    }

    fn command() -> impl Strategy<Value = (bool, SubscriptionCommand)> {
        (
            any::<bool>(),
            prop_oneof![
                Just(approve()),
                "[a-z用途]{0,3}".prop_map(|r| SubscriptionCommand::Refuse { reason: r }),
                Just(revoke()),
            ],
        )
    }

    proptest! {
        /// Any sequence of commands, from either side, on a subscription of
        /// any class: it never goes back to waiting, final states stay
        /// final, an approval always comes from the owner on a request, and
        /// `available` says exactly which commands `decide` accepts.
        #[test]
        fn the_subscription_state_machine_holds_under_any_commands(
            class in prop_oneof![
                Just(SharingClass::Unconditional),
                Just(SharingClass::Conditional),
                Just(SharingClass::NotShared),
            ],
            commands in proptest::collection::vec(command(), 0..12),
        ) {
            let Ok(mut state) = opening(class) else {
                prop_assert_eq!(class, SharingClass::NotShared);
                return Ok(());
            };
            let mut approvals = 0;
            for (owner, c) in commands {
                let side = if owner { Side::Owner } else { Side::Subscriber };
                let before = state;
                match decide(state, side, &c) {
                    Ok(next) => {
                        prop_assert!(available(before, side).contains(&c.name()));
                        prop_assert!(!before.is_final());
                        prop_assert_ne!(next, SubscriptionState::Requested);
                        if next == SubscriptionState::Approved {
                            prop_assert_eq!(before, SubscriptionState::Requested);
                            prop_assert_eq!(side, Side::Owner);
                            approvals += 1;
                        }
                        if next == SubscriptionState::Refused {
                            prop_assert!(!c.reason().is_empty());
                        }
                        state = next;
                    }
                    Err(_) => {
                        let refusable_reason = matches!(c, SubscriptionCommand::Refuse { .. })
                            && c.reason().is_empty();
                        prop_assert!(
                            !available(before, side).contains(&c.name()) || refusable_reason
                        );
                    }
                }
                prop_assert_eq!(may_read(state, false).is_ok(), state == SubscriptionState::Approved);
            }
            prop_assert!(approvals <= 1, "approved at most once");
        }
    }
}
