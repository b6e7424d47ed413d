//! A case in people's words: its state named for its kind of item (a
//! public service is not 准予许可), and its history as "提交申请 · 申请人"
//! rather than journal events and actors.

use std::collections::HashMap;

use sunshine_app::hall::inbox::StaffName;
use sunshine_domain::catalog::ItemType;
use sunshine_domain::hall::wording::{decision_words, Decision};
use sunshine_domain::hall::CaseState;
use sunshine_domain::journal::Entry;

use crate::i18n::{t, Lang};
use crate::pages::fmt;

/// A case's state for people; a decision is named for the kind of item.
pub fn state_label(lang: Lang, state: &CaseState, item_type: ItemType) -> String {
    match state {
        CaseState::Approved => decision_words(item_type, Decision::Approve)
            .done
            .get(lang.code())
            .to_string(),
        CaseState::Refused => decision_words(item_type, Decision::Refuse)
            .done
            .get(lang.code())
            .to_string(),
        _ => t(lang, &format!("cs_{}", state.name())).to_string(),
    }
}

/// What a decision's button says for this kind of item.
pub fn decision_act(lang: Lang, item_type: ItemType, decision: Decision) -> String {
    decision_words(item_type, decision)
        .act
        .get(lang.code())
        .to_string()
}

/// A journal event of a case, in words.
pub fn event_words(lang: Lang, event_type: &str, item_type: ItemType) -> String {
    let (zh, en) = match event_type {
        "hall.case_submitted" => ("提交申请", "Application submitted"),
        "hall.case_accepted" => ("受理", "Accepted"),
        "hall.case_not_accepted" => ("不予受理", "Not accepted"),
        "hall.case_correction_requested" => ("要求补正材料", "Correction requested"),
        "hall.case_correction_supplied" => ("补正材料", "Correction supplied"),
        "hall.case_claimed" => ("签收本环节", "Step signed for"),
        "hall.case_passed" => ("办结本环节", "Step completed"),
        "hall.case_returned" => ("退回前一环节", "Returned to an earlier step"),
        "hall.case_opinions_requested" => ("征求其他部门意见", "Other departments' opinions asked"),
        "hall.case_opinion_given" => ("出具意见", "Opinion given"),
        "hall.case_suspended" => ("进入特别程序", "Special procedure begun"),
        "hall.case_resumed" => ("恢复办理", "Handling resumed"),
        "hall.case_extended" => ("延长办理期限", "Time limit extended"),
        "hall.case_approved" => {
            return decision_words(item_type, Decision::Approve)
                .done
                .get(lang.code())
                .to_string()
        }
        "hall.case_refused" => {
            return decision_words(item_type, Decision::Refuse)
                .done
                .get(lang.code())
                .to_string()
        }
        "hall.case_delivered" => ("送达", "Delivered"),
        "hall.case_withdrawn" => ("撤回申请", "Application withdrawn"),
        "hall.material_added" => ("补充材料", "Files added"),
        "hall.fee_charged" => ("收取费用", "Fee charged"),
        "hall.penalty_decided" => ("确定处罚", "Penalty set"),
        "hall.case_rated" => ("评价服务", "Service rated"),
        "hall.licence_issued" => ("签发电子证照", "E-licence issued"),
        "hall.licence_revoked" => ("吊销电子证照", "E-licence revoked"),
        _ => ("其他记录", "Other record"),
    };
    lang.pick(zh, en).to_string()
}

/// One line of a case's history.
pub struct HistoryLine {
    pub at: String,
    /// Who, in the platform's words ("申请人", "工作人员").
    pub role: String,
    /// A staff member's name and post: data, shown as written.
    pub name: String,
    pub what: String,
}

/// A case's history in people's words.
pub fn history_lines(
    lang: Lang,
    entries: Vec<Entry>,
    item_type: ItemType,
    staff: &HashMap<String, StaffName>,
) -> Vec<HistoryLine> {
    entries
        .into_iter()
        .map(|e| {
            let (role, name) = match e.actor.split_once(':') {
                Some(("citizen" | "enterprise", _)) => {
                    (lang.pick("申请人", "Applicant"), String::new())
                }
                Some(("staff", _)) => (
                    lang.pick("工作人员", "Staff"),
                    staff
                        .get(&e.actor)
                        .map(|p| match p.posts.first() {
                            Some(post) => format!("{}（{post}）", p.name),
                            None => p.name.clone(),
                        })
                        .unwrap_or_default(),
                ),
                // Another platform's word on the case (the district that
                // handles it, or the city that handed it down).
                Some(("platform", "city")) => {
                    (lang.pick("市级平台", "The city's platform"), String::new())
                }
                Some(("platform", _)) => (
                    lang.pick("区县平台", "The district's platform"),
                    String::new(),
                ),
                _ => (lang.pick("系统", "The platform"), String::new()),
            };
            // A message applied here tells of the other platform's entry.
            let told = (e.event_type == "exchange.applied")
                .then(|| serde_json::from_str::<serde_json::Value>(&e.payload).ok())
                .flatten()
                .and_then(|p| p["event_type"].as_str().map(str::to_string));
            HistoryLine {
                at: fmt::when(lang, e.at),
                role: role.to_string(),
                name,
                what: event_words(lang, told.as_deref().unwrap_or(&e.event_type), item_type),
            }
        })
        .collect()
}
