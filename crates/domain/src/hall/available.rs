//! Who may press which command on a case now: the policy's part (the
//! applicant, a holder of the step's post, approvers, the department's
//! clerks) and the lifecycle's. The app checks a command with [`check`];
//! the pages offer what [`available`] lists.

use crate::catalog::{ItemSpec, ItemType};
use crate::identity::{Actor, OrgTree};
use crate::ids::OrgCode;
use crate::policy::{authorize, Action};
use crate::refusal::Refusal;

use super::lifecycle::{decide, CaseCommand, CaseFacts, CaseState, Decision, Opinion};
use super::SpecialProcedure;

/// A case as the rules about who may act on it see it.
#[derive(Debug, Clone, Copy)]
pub struct CaseAt<'a> {
    pub facts: &'a CaseFacts,
    pub department: &'a OrgCode,
    /// The spec of the item version the case began on.
    pub spec: &'a ItemSpec,
    /// Whether the one acting is the case's applicant.
    pub by_applicant: bool,
}

/// Whether the policy lets the actor issue this command on the case: the
/// applicant withdraws and supplies corrections, a holder of the step's post
/// signs for it (签收), approvers extend, and the department's clerks do the
/// rest; opinions are asked only of organisations that exist.
pub fn permit(
    case: CaseAt<'_>,
    actor: &Actor,
    tree: &OrgTree,
    cmd: &CaseCommand,
) -> Result<(), Refusal> {
    let department = case.department;
    match cmd {
        CaseCommand::Withdraw | CaseCommand::SupplyCorrection => {
            if !case.by_applicant {
                return Err(Refusal::forbidden(
                    "forbidden",
                    "只有申请人本人可以执行此操作",
                    "Only the applicant can do this",
                ));
            }
        }
        CaseCommand::GiveOpinion { org, .. } => {
            let asked = OrgCode::parse(org).map_err(|b| Refusal::field("org", b.zh, b.en))?;
            authorize(actor, &Action::HandleCase { department: &asked }, tree)?;
        }
        CaseCommand::Extend { .. } => {
            authorize(actor, &Action::ExtendCase { department }, tree)?;
        }
        CaseCommand::Claim { .. } => {
            let post = case
                .facts
                .state
                .step()
                .and_then(|i| case.spec.steps.get(i))
                .map(|s| s.post.as_str());
            let action = match post {
                Some(post) => Action::ClaimStep { department, post },
                None => Action::HandleCase { department },
            };
            authorize(actor, &action, tree)?;
        }
        _ => authorize(actor, &Action::HandleCase { department }, tree)?,
    }
    if let CaseCommand::RequestOpinions { orgs, .. } = cmd {
        for o in orgs {
            let known = OrgCode::parse(o).is_ok_and(|c| tree.contains(&c));
            if !known {
                return Err(Refusal::field(
                    "orgs",
                    format!("机构{o}不存在"),
                    format!("No organisation {o}"),
                ));
            }
        }
    }
    Ok(())
}

/// The actor's command on the case, checked by the policy and then the
/// lifecycle: everything it does, or why not.
pub fn check(
    case: CaseAt<'_>,
    actor: &Actor,
    tree: &OrgTree,
    cmd: &CaseCommand,
) -> Result<Decision, Refusal> {
    permit(case, actor, tree, cmd)?;
    decide(case.facts, &cmd.clone().by(actor.user_id))
}

/// The commands the actor may press on the case now, one of each kind with
/// sample wording (a return for every earlier step, an opinion for every
/// department still asked, every special procedure).
pub fn available(case: CaseAt<'_>, actor: &Actor, tree: &OrgTree) -> Vec<CaseCommand> {
    let text = || "-".to_string();
    let clerk = 0;
    let step = case.facts.state.step().unwrap_or(0);
    let mut samples = vec![
        CaseCommand::Accept,
        CaseCommand::NotAccept { reason: text() },
        CaseCommand::RequestCorrection { what: text() },
        CaseCommand::SupplyCorrection,
        CaseCommand::Claim { clerk },
        CaseCommand::Pass { clerk },
    ];
    samples.extend((0..step).map(|target| CaseCommand::ReturnTo {
        clerk,
        step: target,
        reason: text(),
    }));
    // The departments to ask are the page's choice; any known one stands for them.
    samples.push(CaseCommand::RequestOpinions {
        clerk,
        orgs: vec![case.department.to_string()],
    });
    samples.extend(
        case.facts
            .pending_opinions
            .iter()
            .map(|org| CaseCommand::GiveOpinion {
                org: org.clone(),
                opinion: Opinion {
                    agree: true,
                    text: text(),
                },
            }),
    );
    samples
        .extend(SpecialProcedure::ALL.map(|procedure| CaseCommand::Suspend { clerk, procedure }));
    samples.extend([
        CaseCommand::Resume { clerk },
        CaseCommand::Extend {
            days: 1,
            max: super::MAX_EXTENSION,
        },
        CaseCommand::Approve { clerk },
        CaseCommand::Refuse {
            clerk,
            reason: text(),
        },
        CaseCommand::Deliver,
        CaseCommand::Withdraw,
    ]);
    samples
        .into_iter()
        .filter(|c| check(case, actor, tree, c).is_ok())
        .collect()
}

/// 签收并办结本环节: whether the actor may sign for the step and, having
/// signed, complete it at once.
pub fn may_claim_and_pass(case: CaseAt<'_>, actor: &Actor, tree: &OrgTree) -> bool {
    let claim = CaseCommand::Claim { clerk: 0 };
    check(case, actor, tree, &claim).is_ok_and(|claimed| {
        let after = CaseAt {
            facts: &claimed.facts,
            ..case
        };
        check(after, actor, tree, &CaseCommand::Pass { clerk: 0 }).is_ok()
    })
}

/// Whether the actor may charge a fee on the case now: its department's
/// clerks, while it is handled.
pub fn may_charge_fee(case: CaseAt<'_>, actor: &Actor, tree: &OrgTree) -> Result<(), Refusal> {
    authorize(
        actor,
        &Action::HandleCase {
            department: case.department,
        },
        tree,
    )?;
    if !matches!(
        case.facts.state,
        CaseState::InProcess { .. } | CaseState::Suspended { .. }
    ) {
        return Err(Refusal::conflict(
            "not_in_process",
            "只能在办理中收费",
            "Fees are charged while the case is handled",
        ));
    }
    Ok(())
}

/// Whether the actor may decide the penalty of the case now: its
/// department's clerks, for a penalty item, while it is at a step.
pub fn may_decide_penalty(case: CaseAt<'_>, actor: &Actor, tree: &OrgTree) -> Result<(), Refusal> {
    authorize(
        actor,
        &Action::HandleCase {
            department: case.department,
        },
        tree,
    )?;
    if case.spec.item_type != ItemType::Penalty {
        return Err(Refusal::conflict(
            "not_a_penalty",
            "只有行政处罚事项才有处罚决定",
            "Only a penalty item's case has a penalty",
        ));
    }
    if !matches!(case.facts.state, CaseState::InProcess { .. }) {
        return Err(Refusal::conflict(
            "not_in_process",
            "只能在办理中作出处罚决定",
            "A penalty is decided while the case is handled",
        ));
    }
    Ok(())
}
