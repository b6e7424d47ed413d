//! The policy restated as a table of every action, the roles that may do
//! it and how far a role reaches, checked for every role at every place.

use super::*;

/// Where a rule reaches from the place a role is held.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Reach {
    /// The place and everything beneath it.
    Subtree,
    /// The place itself only (approval belongs to a government's own level).
    Exact,
    /// Only from the top of the tree.
    Root,
    /// Any staff member with any role.
    AnyGrant,
    /// Citizens and enterprises only, never staff.
    Applicants,
}

/// One row of [`every_action`]: an action, the roles that may do it and
/// how far a role reaches.
type ActionRow<'a> = (Action<'a>, &'static [Role], Reach);

/// Every action, made for a target organisation, with the roles that may
/// do it and how far a role reaches: the policy restated as a table, so
/// that the exhaustive test below checks the code against it.
fn every_action(target: &OrgCode) -> Vec<ActionRow<'_>> {
    [
        catalogue_actions(target),
        platform_actions(target),
        case_actions(target),
        service_actions(target),
        grant_actions(target),
        sharing_actions(target),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The catalogue's actions: drafting to publishing, importing, bundles.
fn catalogue_actions(target: &OrgCode) -> Vec<ActionRow<'_>> {
    use Reach::*;
    use Role::*;
    vec![
        (
            Action::DraftItem {
                implementing_body: target,
            },
            &[CatalogEditor],
            Subtree,
        ),
        (
            Action::DeclareItem {
                implementing_body: target,
            },
            &[CatalogEditor],
            Subtree,
        ),
        (
            Action::ReviewItem {
                implementing_body: target,
            },
            &[LegalReviewer],
            Subtree,
        ),
        (
            Action::ApproveItem {
                region_government: target,
            },
            &[Approver],
            Exact,
        ),
        (
            Action::PublishItem {
                region_government: target,
            },
            &[Approver],
            Exact,
        ),
        (
            Action::ImportCatalog {
                region_government: target,
            },
            &[Administrator],
            Subtree,
        ),
        (
            Action::DefineBundle {
                region_government: target,
            },
            &[Administrator],
            Subtree,
        ),
    ]
}

/// The platform's own actions, and what only applicants do.
fn platform_actions(target: &OrgCode) -> Vec<ActionRow<'_>> {
    use Reach::*;
    use Role::*;
    vec![
        (
            Action::ViewStaffCatalog,
            &[
                CatalogEditor,
                LegalReviewer,
                Approver,
                Administrator,
                CaseClerk,
                Supervisor,
                HotlineOperator,
                CardClerk,
                CardOperator,
                BackupKeeper,
            ],
            AnyGrant,
        ),
        (
            Action::ManageStaff { org: target },
            &[Administrator],
            Subtree,
        ),
        (
            Action::ViewRegistryStatistics { region: target },
            &[Registrar],
            Subtree,
        ),
        (Action::AskNamedRead, &[Registrar], Root),
        (Action::DefineRegistryStandard, &[Registrar], Root),
        (Action::ReadJournal, &[Administrator], Root),
        (Action::ConfigurePlatform, &[Administrator], Root),
        (Action::ManageHotline, &[Administrator], Root),
        (Action::ApplyOnline, &[], Applicants),
        (Action::FileComplaint, &[], Applicants),
    ]
}

/// The hall's actions on cases and their supervision.
fn case_actions(target: &OrgCode) -> Vec<ActionRow<'_>> {
    use Reach::*;
    use Role::*;
    vec![
        (
            Action::RegisterAtCounter { department: target },
            &[CaseClerk],
            Subtree,
        ),
        (
            Action::HandleCase { department: target },
            &[CaseClerk],
            Subtree,
        ),
        (
            Action::ExtendCase { department: target },
            &[Approver],
            Subtree,
        ),
        (
            Action::RevokeLicence { department: target },
            &[Approver],
            Subtree,
        ),
        (
            Action::ViewCases { department: target },
            &[CaseClerk, Approver, Supervisor],
            Subtree,
        ),
        (
            Action::Supervise { department: target },
            &[Supervisor],
            Subtree,
        ),
        (
            Action::RespondToSignal { department: target },
            &[CaseClerk, Approver],
            Subtree,
        ),
    ]
}

/// The hotline's, the card centre's and the backups' actions.
fn service_actions(target: &OrgCode) -> Vec<ActionRow<'_>> {
    use Reach::*;
    use Role::*;
    vec![
        (
            Action::HandleTicket { unit: target },
            &[CaseClerk, Approver],
            Subtree,
        ),
        (
            Action::OperateHotline { centre: target },
            &[HotlineOperator],
            Subtree,
        ),
        (
            Action::ServeCardholder { centre: target },
            &[CardClerk],
            Subtree,
        ),
        (
            Action::OperateCards { centre: target },
            &[CardOperator],
            Subtree,
        ),
        (
            Action::KeepBackups { centre: target },
            &[BackupKeeper],
            Subtree,
        ),
        (
            Action::IssueBindingCode { counter: target },
            &[CaseClerk, CardClerk],
            Subtree,
        ),
    ]
}

/// Resource sharing: cataloguing, deciding subscriptions, using resources.
fn sharing_actions(target: &OrgCode) -> Vec<ActionRow<'_>> {
    use Reach::*;
    use Role::*;
    vec![
        (
            Action::CatalogueResources { owner: target },
            &[CatalogEditor, Administrator],
            Subtree,
        ),
        (
            Action::DecideSubscriptions { owner: target },
            &[Approver, Administrator],
            Subtree,
        ),
        (
            Action::UseResources { subscriber: target },
            &[CatalogEditor, CaseClerk, Approver, Administrator],
            Subtree,
        ),
    ]
}

/// Granting roles.
fn grant_actions(target: &OrgCode) -> Vec<ActionRow<'_>> {
    use Reach::*;
    use Role::*;
    vec![
        // With one grant only, an administrator can hand on only its own role.
        (
            Action::GrantRole {
                role: Administrator,
                org: target,
            },
            &[Administrator],
            Subtree,
        ),
        (
            Action::GrantRole {
                role: CardClerk,
                org: target,
            },
            &[],
            Subtree,
        ),
    ]
}

/// Jurisdiction: every role, held at the city, a district or a district's
/// department, against every action aimed at its own unit, a unit below,
/// a sibling district and the city. A role counts only within the
/// subtree where it is held, city-wide services included.
#[test]
fn every_role_against_every_action_at_every_place() {
    let tree = wide_tree();
    let places = ["330100", "330106", "330106-001"];
    let targets = [
        "330100",
        "330100-002",
        "330100-041",
        "330100-042",
        "330106",
        "330106-001",
        "330108",
        "330108-001",
    ];
    let mut checked = 0;
    for role in Role::ALL {
        for at in places {
            let held = org(at);
            let actor = staff(role, at);
            for target in targets {
                let target = org(target);
                for (action, roles, reach) in every_action(&target) {
                    let has = roles.contains(&role);
                    let expected = match reach {
                        Reach::Subtree => has && tree.is_within(&target, &held),
                        Reach::Exact => has && target == held,
                        Reach::Root => has && tree.is_root(&held),
                        Reach::AnyGrant => true,
                        Reach::Applicants => false,
                    };
                    assert_eq!(
                        authorize(&actor, &action, &tree).is_ok(),
                        expected,
                        "{role:?} held at {at}: {} on {target}",
                        action.name()
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 5000, "the table covers every case ({checked})");
}
