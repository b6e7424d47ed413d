//! The one place that decides who may do what, in which organisation.
//! Every app-layer command asks `authorize` before it changes anything.

use crate::identity::{Actor, OrgTree, Role, UserKind};
use crate::ids::OrgCode;
use crate::refusal::Refusal;

/// Something an actor wants to do, with the organisations it touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<'a> {
    /// 编制: create an item or a new version, edit a draft.
    DraftItem { implementing_body: &'a OrgCode },
    /// 申报
    DeclareItem { implementing_body: &'a OrgCode },
    /// 审核
    ReviewItem { implementing_body: &'a OrgCode },
    /// 批准, for the government of the item's region.
    ApproveItem { region_government: &'a OrgCode },
    /// 入库
    PublishItem { region_government: &'a OrgCode },
    /// 退回: by the reviewer of the department or the approver of the region.
    ReturnItem {
        implementing_body: &'a OrgCode,
        region_government: &'a OrgCode,
    },
    /// Bulk import into a region's catalogue.
    ImportCatalog { region_government: &'a OrgCode },
    /// Staff-only views: the panoramic view, export, drafts.
    ViewStaffCatalog,
    /// Create staff accounts and grant roles in an organisation.
    ManageStaff { org: &'a OrgCode },
    /// Read and verify the whole journal.
    ReadJournal,
    /// 网上申报: a citizen or an enterprise applies for an item.
    ApplyOnline,
    /// 网上监督: a citizen or an enterprise complains about a case or a department.
    FileComplaint,
    /// 窗口受理: staff register an application taken at a counter.
    RegisterAtCounter { department: &'a OrgCode },
    /// Accept, handle and decide the cases of a department's items.
    HandleCase { department: &'a OrgCode },
    /// 签收: sign for a process step, as a clerk of the department holding the step's post.
    ClaimStep {
        department: &'a OrgCode,
        post: &'a str,
    },
    /// Consent to extending a case's time limit (the head's approval).
    ExtendCase { department: &'a OrgCode },
    /// See a department's cases with the applicants' details.
    ViewCases { department: &'a OrgCode },
    /// Configure the one-stop bundles (一件事) a government offers.
    DefineBundle { region_government: &'a OrgCode },
    /// Revoke an e-licence the department issued.
    RevokeLicence { department: &'a OrgCode },
    /// 电子监察: see the signals on a department's cases, close, escalate
    /// (督办) or revoke them, as a supervisor over the department.
    Supervise { department: &'a OrgCode },
    /// 回告: answer a signal on the department's cases with its rectification,
    /// as the department's own clerk or approver.
    RespondToSignal { department: &'a OrgCode },
    /// 96345: take, answer, dispatch, review, visit and urge the hotline's
    /// requests, and look a caller up, as an operator of the hotline centre.
    OperateHotline { centre: &'a OrgCode },
    /// Sign for, return, ask more time for and answer the hotline's
    /// requests sent to a unit, as the unit's clerk or approver.
    HandleTicket { unit: &'a OrgCode },
    /// Edit the hotline's categories and dispatch catalogue, and issue or
    /// revoke Open311 clients' keys, as an administrator of the city.
    ManageHotline,
    /// 市民卡: issue cards and do their holders' business at a counter, as a
    /// clerk of the card centre (which serves the whole city).
    ServeCardholder { centre: &'a OrgCode },
    /// 市民卡: register operators, merchants and terminals, and settle with
    /// them, as an operator of the card centre.
    OperateCards { centre: &'a OrgCode },
    /// 数据容灾集中备份中心: register the departments' systems and their keys,
    /// and see and verify the archives they send, as a keeper of the centre.
    KeepBackups { centre: &'a OrgCode },
    /// Grant a role held at an organisation: an administrator over it who
    /// holds that role there (or above) themselves.
    GrantRole { role: Role, org: &'a OrgCode },
    /// 实名核验: issue a one-time binding code to a person whose papers a
    /// counter clerk (hall or card centre) has checked at the counter.
    IssueBindingCode { counter: &'a OrgCode },
    /// Name the organisations that run the platform's city-wide services
    /// (the hotline centre, the card centre), as a root administrator.
    ConfigurePlatform,
}

impl Action<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Action::DraftItem { .. } => "draft_item",
            Action::DeclareItem { .. } => "declare_item",
            Action::ReviewItem { .. } => "review_item",
            Action::ApproveItem { .. } => "approve_item",
            Action::PublishItem { .. } => "publish_item",
            Action::ReturnItem { .. } => "return_item",
            Action::ImportCatalog { .. } => "import_catalog",
            Action::ViewStaffCatalog => "view_staff_catalog",
            Action::ManageStaff { .. } => "manage_staff",
            Action::ReadJournal => "read_journal",
            Action::ApplyOnline => "apply_online",
            Action::FileComplaint => "file_complaint",
            Action::RegisterAtCounter { .. } => "register_at_counter",
            Action::HandleCase { .. } => "handle_case",
            Action::ClaimStep { .. } => "claim_step",
            Action::ExtendCase { .. } => "extend_case",
            Action::ViewCases { .. } => "view_cases",
            Action::DefineBundle { .. } => "define_bundle",
            Action::RevokeLicence { .. } => "revoke_licence",
            Action::Supervise { .. } => "supervise",
            Action::OperateHotline { .. } => "operate_hotline",
            Action::HandleTicket { .. } => "handle_ticket",
            Action::ManageHotline => "manage_hotline",
            Action::ServeCardholder { .. } => "serve_cardholder",
            Action::OperateCards { .. } => "operate_cards",
            Action::KeepBackups { .. } => "keep_backups",
            Action::GrantRole { .. } => "grant_role",
            Action::IssueBindingCode { .. } => "issue_binding_code",
            Action::ConfigurePlatform => "configure_platform",
            Action::RespondToSignal { .. } => "respond_to_signal",
        }
    }
}

/// Allow or refuse, with the reason.
pub fn authorize(actor: &Actor, action: &Action<'_>, tree: &OrgTree) -> Result<(), Refusal> {
    // Applying is for citizens and enterprises; everything else is staff work.
    if let Action::ApplyOnline | Action::FileComplaint = action {
        return match actor.kind {
            UserKind::Citizen | UserKind::Enterprise => Ok(()),
            UserKind::Staff => Err(refuse(action)),
        };
    }
    if actor.kind != UserKind::Staff {
        return Err(refuse(action));
    }
    // A role held at `scope` covers `org` when org lies beneath it.
    let covers = |role: Role, org: &OrgCode| {
        actor
            .grants
            .iter()
            .any(|g| g.role == role && tree.is_within(org, &g.org))
    };
    // Approval belongs to the government of the item's own level, not a higher one.
    let holds_at =
        |role: Role, org: &OrgCode| actor.grants.iter().any(|g| g.role == role && &g.org == org);
    let allowed = match action {
        Action::DraftItem { implementing_body } | Action::DeclareItem { implementing_body } => {
            covers(Role::CatalogEditor, implementing_body)
        }
        Action::ReviewItem { implementing_body } => covers(Role::LegalReviewer, implementing_body),
        Action::ApproveItem { region_government } | Action::PublishItem { region_government } => {
            holds_at(Role::Approver, region_government)
        }
        Action::ReturnItem {
            implementing_body,
            region_government,
        } => {
            covers(Role::LegalReviewer, implementing_body)
                || holds_at(Role::Approver, region_government)
        }
        Action::ImportCatalog { region_government }
        | Action::DefineBundle { region_government } => {
            covers(Role::Administrator, region_government)
        }
        Action::ViewStaffCatalog => !actor.grants.is_empty(),
        Action::ManageStaff { org } => covers(Role::Administrator, org),
        Action::ReadJournal | Action::ConfigurePlatform | Action::ManageHotline => actor
            .grants
            .iter()
            .any(|g| g.role == Role::Administrator && tree.is_root(&g.org)),
        Action::ApplyOnline | Action::FileComplaint => false,
        Action::RegisterAtCounter { department } | Action::HandleCase { department } => {
            covers(Role::CaseClerk, department)
        }
        Action::ClaimStep { department, post } => {
            covers(Role::CaseClerk, department)
                && actor
                    .posts
                    .iter()
                    .any(|p| p.name == *post && tree.is_within(department, &p.org))
        }
        Action::ExtendCase { department } | Action::RevokeLicence { department } => {
            covers(Role::Approver, department)
        }
        Action::RespondToSignal { department } => {
            covers(Role::CaseClerk, department) || covers(Role::Approver, department)
        }
        // Supervisors read the cases they watch, each read journaled like any staff read.
        Action::ViewCases { department } => {
            covers(Role::CaseClerk, department)
                || covers(Role::Approver, department)
                || covers(Role::Supervisor, department)
        }
        Action::Supervise { department } => covers(Role::Supervisor, department),
        // The city-wide services are run by their centres: a role counts
        // only where it covers the centre, never from a district's grant.
        Action::OperateHotline { centre } => covers(Role::HotlineOperator, centre),
        Action::HandleTicket { unit } => {
            covers(Role::CaseClerk, unit) || covers(Role::Approver, unit)
        }
        Action::ServeCardholder { centre } => covers(Role::CardClerk, centre),
        Action::OperateCards { centre } => covers(Role::CardOperator, centre),
        Action::KeepBackups { centre } => covers(Role::BackupKeeper, centre),
        // Nobody hands on a role they do not hold, or above where they hold it.
        Action::GrantRole { role, org } => covers(Role::Administrator, org) && covers(*role, org),
        Action::IssueBindingCode { counter } => {
            covers(Role::CaseClerk, counter) || covers(Role::CardClerk, counter)
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(refuse(action))
    }
}

/// One kind of work asked of each organisation in turn (`ViewCases` of
/// this department, `HandleTicket` for this unit).
pub type PerOrganisation = for<'c> fn(&'c OrgCode) -> Action<'c>;

/// The organisations among `orgs` where `actor` may do any of `work`, or
/// `refusal` when there are none: the one answer to "whose cases, tickets,
/// signals or complaints may this person see".
pub fn organisations_where<'o>(
    actor: &Actor,
    tree: &OrgTree,
    orgs: impl IntoIterator<Item = &'o OrgCode>,
    work: &[PerOrganisation],
    refusal: impl FnOnce() -> Refusal,
) -> Result<Vec<&'o OrgCode>, Refusal> {
    let found: Vec<&OrgCode> = orgs
        .into_iter()
        .filter(|org| work.iter().any(|w| authorize(actor, &w(org), tree).is_ok()))
        .collect();
    if found.is_empty() {
        return Err(refusal());
    }
    Ok(found)
}

fn refuse(action: &Action<'_>) -> Refusal {
    let mut r = Refusal::forbidden(
        "forbidden",
        "您没有执行此操作的权限",
        "You are not allowed to do this",
    );
    r.message.en = format!("You are not allowed to do this ({})", action.name());
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Grant, Post};

    fn org(s: &str) -> OrgCode {
        OrgCode::parse(s).expect("valid org code")
    }

    fn tree() -> OrgTree {
        let pairs = [
            ("330100", None),
            ("330100-002", Some("330100")),
            ("330100-010", Some("330100")),
            ("330106", Some("330100")),
            ("330106-001", Some("330106")),
        ];
        let owned: Vec<(OrgCode, Option<OrgCode>)> =
            pairs.iter().map(|(c, p)| (org(c), p.map(org))).collect();
        OrgTree::new(owned.iter().map(|(c, p)| (c, p.as_ref())))
    }

    fn staff(role: Role, at: &str) -> Actor {
        Actor {
            user_id: 1,
            login: "t".into(),
            display_name: "t".into(),
            kind: UserKind::Staff,
            org: Some(org(at)),
            grants: vec![Grant { role, org: org(at) }],
            posts: vec![],
            verified_id: None,
        }
    }

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

    /// Every action, made for a target organisation, with the roles that may
    /// do it and how far a role reaches: the policy restated as a table, so
    /// that the exhaustive test below checks the code against it.
    fn every_action(target: &OrgCode) -> Vec<(Action<'_>, &'static [Role], Reach)> {
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
            (Action::ReadJournal, &[Administrator], Root),
            (Action::ConfigurePlatform, &[Administrator], Root),
            (Action::ManageHotline, &[Administrator], Root),
            (Action::ApplyOnline, &[], Applicants),
            (Action::FileComplaint, &[], Applicants),
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

    fn wide_tree() -> OrgTree {
        let pairs = [
            ("330100", None),
            ("330100-002", Some("330100")),
            ("330100-041", Some("330100")),
            ("330100-042", Some("330100")),
            ("330106", Some("330100")),
            ("330106-001", Some("330106")),
            ("330108", Some("330100")),
            ("330108-001", Some("330108")),
        ];
        let owned: Vec<(OrgCode, Option<OrgCode>)> =
            pairs.iter().map(|(c, p)| (org(c), p.map(org))).collect();
        OrgTree::new(owned.iter().map(|(c, p)| (c, p.as_ref())))
    }

    /// The district administrator who grants itself the card clerk's role
    /// at its district reaches no card: the card centre is the city's.
    #[test]
    fn a_district_grant_never_reaches_the_city_wide_services() {
        let tree = wide_tree();
        let mut actor = staff(Role::Administrator, "330106");
        for role in [
            Role::CardClerk,
            Role::CardOperator,
            Role::HotlineOperator,
            Role::BackupKeeper,
        ] {
            actor.grants.push(Grant {
                role,
                org: org("330106"),
            });
        }
        let card_centre = org("330100-042");
        let hotline_centre = org("330100-041");
        assert!(authorize(
            &actor,
            &Action::ServeCardholder {
                centre: &card_centre
            },
            &tree
        )
        .is_err());
        assert!(authorize(
            &actor,
            &Action::OperateCards {
                centre: &card_centre
            },
            &tree
        )
        .is_err());
        assert!(authorize(
            &actor,
            &Action::OperateHotline {
                centre: &hotline_centre
            },
            &tree
        )
        .is_err());
        let backup_centre = org("330100-041");
        assert!(authorize(
            &actor,
            &Action::KeepBackups {
                centre: &backup_centre
            },
            &tree
        )
        .is_err());
    }

    /// Nobody grants a role they do not hold, or above where they hold it.
    #[test]
    fn roles_are_handed_on_only_by_their_holders_within_their_place() {
        let tree = wide_tree();
        let mut admin = staff(Role::Administrator, "330106");
        admin.grants.push(Grant {
            role: Role::CaseClerk,
            org: org("330106"),
        });
        let grant = |role, at: &'static str| (role, org(at));
        for ((role, at), allowed) in [
            (grant(Role::CaseClerk, "330106"), true),
            (grant(Role::CaseClerk, "330106-001"), true),
            (grant(Role::CaseClerk, "330100"), false),
            (grant(Role::CaseClerk, "330108"), false),
            (grant(Role::CardClerk, "330106"), false),
            (grant(Role::Supervisor, "330106-001"), false),
            (grant(Role::Administrator, "330106-001"), true),
            (grant(Role::Administrator, "330100"), false),
        ] {
            assert_eq!(
                authorize(&admin, &Action::GrantRole { role, org: &at }, &tree).is_ok(),
                allowed,
                "{role:?} at {at}"
            );
        }
        let mut clerk = staff(Role::CaseClerk, "330100");
        clerk.grants.push(Grant {
            role: Role::CardClerk,
            org: org("330100"),
        });
        let dept = org("330100-002");
        assert!(
            authorize(
                &clerk,
                &Action::GrantRole {
                    role: Role::CaseClerk,
                    org: &dept
                },
                &tree
            )
            .is_err(),
            "holding a role is not enough: granting is an administrator's"
        );
    }

    /// Every role at its usual post, against every catalogue command: the
    /// expected answer is written out so that a change of policy shows here.
    #[test]
    fn every_role_against_every_catalogue_command() {
        let dept = org("330100-002");
        let other_dept = org("330100-010");
        let city = org("330100");
        let district = org("330106");
        let district_dept = org("330106-001");
        let actions = [
            (
                "draft own dept",
                Action::DraftItem {
                    implementing_body: &dept,
                },
            ),
            (
                "draft other dept",
                Action::DraftItem {
                    implementing_body: &other_dept,
                },
            ),
            (
                "declare own dept",
                Action::DeclareItem {
                    implementing_body: &dept,
                },
            ),
            (
                "review own dept",
                Action::ReviewItem {
                    implementing_body: &dept,
                },
            ),
            (
                "review district dept",
                Action::ReviewItem {
                    implementing_body: &district_dept,
                },
            ),
            (
                "approve city item",
                Action::ApproveItem {
                    region_government: &city,
                },
            ),
            (
                "approve district item",
                Action::ApproveItem {
                    region_government: &district,
                },
            ),
            (
                "publish city item",
                Action::PublishItem {
                    region_government: &city,
                },
            ),
            (
                "publish district item",
                Action::PublishItem {
                    region_government: &district,
                },
            ),
            (
                "return city item",
                Action::ReturnItem {
                    implementing_body: &dept,
                    region_government: &city,
                },
            ),
            (
                "import city",
                Action::ImportCatalog {
                    region_government: &city,
                },
            ),
            (
                "import district",
                Action::ImportCatalog {
                    region_government: &district,
                },
            ),
            ("view staff catalogue", Action::ViewStaffCatalog),
            ("manage staff of dept", Action::ManageStaff { org: &dept }),
            ("read journal", Action::ReadJournal),
        ];
        // (role, held at) -> which of the actions above are allowed, in order.
        let table: [(Role, &str, [bool; 15]); 7] = [
            (
                Role::CatalogEditor,
                "330100-002",
                [
                    true, false, true, false, false, false, false, false, false, false, false,
                    false, true, false, false,
                ],
            ),
            (
                Role::LegalReviewer,
                "330100",
                [
                    false, false, false, true, true, false, false, false, false, true, false,
                    false, true, false, false,
                ],
            ),
            (
                Role::LegalReviewer,
                "330106",
                [
                    false, false, false, false, true, false, false, false, false, false, false,
                    false, true, false, false,
                ],
            ),
            (
                Role::Approver,
                "330100",
                [
                    false, false, false, false, false, true, false, true, false, true, false,
                    false, true, false, false,
                ],
            ),
            (
                Role::Approver,
                "330106",
                [
                    false, false, false, false, false, false, true, false, true, false, false,
                    false, true, false, false,
                ],
            ),
            (
                Role::Administrator,
                "330100",
                [
                    false, false, false, false, false, false, false, false, false, false, true,
                    true, true, true, true,
                ],
            ),
            (
                Role::Administrator,
                "330106",
                [
                    false, false, false, false, false, false, false, false, false, false, false,
                    true, true, false, false,
                ],
            ),
        ];
        let tree = tree();
        for (role, at, expected) in table {
            let actor = staff(role, at);
            for ((label, action), allowed) in actions.iter().zip(expected) {
                let got = authorize(&actor, action, &tree).is_ok();
                assert_eq!(
                    got,
                    allowed,
                    "{role:?} at {at}: {label} should be {}",
                    if allowed { "allowed" } else { "refused" }
                );
            }
        }
    }

    /// Every role, and a citizen, against every hall command.
    #[test]
    fn every_role_against_every_hall_command() {
        let dept = org("330100-002");
        let other_dept = org("330100-010");
        let district_dept = org("330106-001");
        let actions = [
            ("apply online", Action::ApplyOnline),
            (
                "register at own counter",
                Action::RegisterAtCounter { department: &dept },
            ),
            (
                "handle own dept case",
                Action::HandleCase { department: &dept },
            ),
            (
                "handle other dept case",
                Action::HandleCase {
                    department: &other_dept,
                },
            ),
            (
                "extend own dept case",
                Action::ExtendCase { department: &dept },
            ),
            (
                "view own dept cases",
                Action::ViewCases { department: &dept },
            ),
            (
                "view district dept cases",
                Action::ViewCases {
                    department: &district_dept,
                },
            ),
        ];
        let table: [(Role, &str, [bool; 7]); 6] = [
            (
                Role::CaseClerk,
                "330100-002",
                [false, true, true, false, false, true, false],
            ),
            (
                Role::CaseClerk,
                "330106",
                [false, false, false, false, false, false, true],
            ),
            (
                Role::Approver,
                "330100",
                [false, false, false, false, true, true, true],
            ),
            (
                Role::CatalogEditor,
                "330100-002",
                [false, false, false, false, false, false, false],
            ),
            (
                Role::LegalReviewer,
                "330100",
                [false, false, false, false, false, false, false],
            ),
            (
                Role::Administrator,
                "330100",
                [false, false, false, false, false, false, false],
            ),
        ];
        let tree = tree();
        for (role, at, expected) in table {
            let actor = staff(role, at);
            for ((label, action), allowed) in actions.iter().zip(expected) {
                assert_eq!(
                    authorize(&actor, action, &tree).is_ok(),
                    allowed,
                    "{role:?} at {at}: {label}"
                );
            }
        }
        let revoke = Action::RevokeLicence { department: &dept };
        assert!(
            authorize(&staff(Role::Approver, "330100"), &revoke, &tree).is_ok(),
            "the approver over the issuer revokes"
        );
        assert!(
            authorize(&staff(Role::CaseClerk, "330100-002"), &revoke, &tree).is_err(),
            "a clerk does not"
        );
        let mut citizen = staff(Role::CaseClerk, "330100-002");
        citizen.kind = UserKind::Citizen;
        for ((label, action), allowed) in actions
            .iter()
            .zip([true, false, false, false, false, false, false])
        {
            assert_eq!(
                authorize(&citizen, action, &tree).is_ok(),
                allowed,
                "a citizen: {label}"
            );
        }
    }

    /// Supervisors watch the departments beneath them; a department answers
    /// its own signals.
    #[test]
    fn every_role_against_every_supervision_command() {
        let dept = org("330100-002");
        let district_dept = org("330106-001");
        let actions = [
            (
                "supervise city dept",
                Action::Supervise { department: &dept },
            ),
            (
                "supervise district dept",
                Action::Supervise {
                    department: &district_dept,
                },
            ),
            (
                "respond for city dept",
                Action::RespondToSignal { department: &dept },
            ),
            (
                "respond for district dept",
                Action::RespondToSignal {
                    department: &district_dept,
                },
            ),
        ];
        let table: [(Role, &str, [bool; 4]); 5] = [
            (Role::Supervisor, "330100", [true, true, false, false]),
            (Role::Supervisor, "330106", [false, true, false, false]),
            (Role::CaseClerk, "330100-002", [false, false, true, false]),
            (Role::Approver, "330106", [false, false, false, true]),
            (Role::Administrator, "330100", [false, false, false, false]),
        ];
        let tree = tree();
        for (role, at, expected) in table {
            let actor = staff(role, at);
            for ((label, action), allowed) in actions.iter().zip(expected) {
                assert_eq!(
                    authorize(&actor, action, &tree).is_ok(),
                    allowed,
                    "{role:?} at {at}: {label}"
                );
            }
        }
    }

    /// A step is signed for by a clerk of the department who holds its post.
    #[test]
    fn a_step_is_claimed_only_by_a_clerk_holding_its_post() {
        let tree = tree();
        let dept = org("330100-002");
        let claim = |post| Action::ClaimStep {
            department: &dept,
            post,
        };
        let mut clerk = staff(Role::CaseClerk, "330100");
        assert!(
            authorize(&clerk, &claim("窗口受理员"), &tree).is_err(),
            "no post, no claim"
        );
        clerk.posts.push(Post {
            org: org("330100-002"),
            name: "窗口受理员".into(),
        });
        assert!(authorize(&clerk, &claim("窗口受理员"), &tree).is_ok());
        assert!(
            authorize(&clerk, &claim("审核员"), &tree).is_err(),
            "another post"
        );
        let other = org("330100-010");
        assert!(
            authorize(
                &clerk,
                &Action::ClaimStep {
                    department: &other,
                    post: "窗口受理员"
                },
                &tree
            )
            .is_err(),
            "the post is held in another department"
        );
        let mut approver = staff(Role::Approver, "330100");
        approver.posts = clerk.posts.clone();
        assert!(
            authorize(&approver, &claim("窗口受理员"), &tree).is_err(),
            "a post without the clerk's role is not enough"
        );
    }

    #[test]
    fn bundles_are_configured_by_the_administrators_of_their_government() {
        let tree = tree();
        let district = org("330106");
        let define = Action::DefineBundle {
            region_government: &district,
        };
        assert!(authorize(&staff(Role::Administrator, "330100"), &define, &tree).is_ok());
        assert!(authorize(&staff(Role::Administrator, "330106"), &define, &tree).is_ok());
        let city = org("330100");
        let city_bundle = Action::DefineBundle {
            region_government: &city,
        };
        assert!(authorize(&staff(Role::Administrator, "330106"), &city_bundle, &tree).is_err());
        assert!(authorize(&staff(Role::Approver, "330100"), &define, &tree).is_err());
    }

    #[test]
    fn citizens_and_enterprises_do_no_staff_work_even_with_a_grant() {
        let mut actor = staff(Role::Administrator, "330100");
        actor.kind = UserKind::Citizen;
        assert!(authorize(&actor, &Action::ViewStaffCatalog, &tree()).is_err());
    }
}
