//! What a decision on a case is called. An approval of a licence is 准予许可,
//! but a housing-fund withdrawal (a public service) is not a licence: each
//! kind of item has its own words, for the clerk's button and for the state
//! the applicant reads.

use crate::catalog::ItemType;
use crate::refusal::Text;

/// The two decisions a case ends its handling with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Refuse,
}

/// A decision in words: what the button says, and what the case then is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionWords {
    /// The command, as its button says it: `准予许可`, `Grant the licence`.
    pub act: Text,
    /// The case's state after it: `准予许可`, `Licence granted`.
    pub done: Text,
}

/// The words of a decision on a case of this type of item.
pub fn decision_words(item_type: ItemType, decision: Decision) -> DecisionWords {
    use Decision::*;
    use ItemType::*;
    let w = |act_zh: &str, act_en: &str, done_zh: &str, done_en: &str| DecisionWords {
        act: Text::new(act_zh, act_en),
        done: Text::new(done_zh, done_en),
    };
    match (item_type, decision) {
        (Licensing, Approve) => w(
            "准予许可",
            "Grant the licence",
            "准予许可",
            "Licence granted",
        ),
        (Licensing, Refuse) => w(
            "不予许可",
            "Refuse the licence",
            "不予许可",
            "Licence refused",
        ),
        (Benefit, Approve) => w(
            "准予给付",
            "Grant the benefit",
            "准予给付",
            "Benefit granted",
        ),
        (Benefit, Refuse) => w(
            "不予给付",
            "Refuse the benefit",
            "不予给付",
            "Benefit refused",
        ),
        (Confirmation, Approve) => w("予以确认", "Confirm", "已确认", "Confirmed"),
        (Confirmation, Refuse) => w("不予确认", "Refuse to confirm", "不予确认", "Not confirmed"),
        (Reward, Approve) => w(
            "给予奖励",
            "Grant the reward",
            "已给予奖励",
            "Reward granted",
        ),
        (Reward, Refuse) => w(
            "不予奖励",
            "Refuse the reward",
            "不予奖励",
            "Reward refused",
        ),
        (Penalty, Approve) => w(
            "作出处罚决定",
            "Impose the penalty",
            "已作出处罚决定",
            "Penalty imposed",
        ),
        (Penalty, Refuse) => w("不予处罚", "Impose no penalty", "不予处罚", "No penalty"),
        (Levy, Approve) => w("决定征收", "Decide the levy", "已决定征收", "Levy decided"),
        (Levy, Refuse) => w("不予征收", "Levy nothing", "不予征收", "Nothing levied"),
        (Coercion, Approve) => w(
            "决定实施强制措施",
            "Order the measure",
            "已决定实施强制措施",
            "Measure ordered",
        ),
        (Coercion, Refuse) => w(
            "不予实施强制措施",
            "Order no measure",
            "不予实施强制措施",
            "No measure ordered",
        ),
        (Inspection, Approve) => w("检查合格", "Passes the inspection", "检查合格", "Passed"),
        (Inspection, Refuse) => w("检查不合格", "Fails the inspection", "检查不合格", "Failed"),
        (Adjudication, Approve) => w(
            "支持申请，作出裁决",
            "Rule for the application",
            "已裁决（支持）",
            "Ruled for",
        ),
        (Adjudication, Refuse) => w("驳回申请", "Dismiss the application", "已驳回", "Dismissed"),
        (PublicService | Other, Approve) => w(
            "同意办理，办结",
            "Grant and complete",
            "已办结（同意）",
            "Granted",
        ),
        (PublicService | Other, Refuse) => w("不予办理", "Decline", "不予办理", "Declined"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_licence_is_granted_and_a_public_service_is_not_a_licence() {
        let licence = decision_words(ItemType::Licensing, Decision::Approve);
        assert_eq!(licence.act.zh, "准予许可");
        let fund = decision_words(ItemType::PublicService, Decision::Approve);
        assert!(!fund.act.zh.contains("许可"), "{:?}", fund.act);
        assert!(!fund.done.en.contains("icence"), "{:?}", fund.done);
        let benefit = decision_words(ItemType::Benefit, Decision::Refuse);
        assert_eq!(benefit.act.zh, "不予给付");
    }

    #[test]
    fn every_type_has_words_in_both_languages_and_its_two_decisions_differ() {
        for t in ItemType::ALL {
            let yes = decision_words(t, Decision::Approve);
            let no = decision_words(t, Decision::Refuse);
            for w in [&yes.act, &yes.done, &no.act, &no.done] {
                assert!(!w.zh.is_empty() && !w.en.is_empty(), "{t:?}: {w:?}");
                assert!(w.en.is_ascii(), "{t:?}: English words are English: {w:?}");
            }
            assert_ne!(yes.act, no.act, "{t:?}");
            assert_ne!(yes.done, no.done, "{t:?}");
        }
    }
}
