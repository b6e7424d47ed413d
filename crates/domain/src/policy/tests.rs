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
    let actions = catalogue_commands(&dept, &other_dept, &city, &district, &district_dept);
    let table = catalogue_expectations();
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

/// The catalogue commands the test above tries, each with its label:
/// aimed at the own department, another, the city and a district.
fn catalogue_commands<'a>(
    dept: &'a OrgCode,
    other_dept: &'a OrgCode,
    city: &'a OrgCode,
    district: &'a OrgCode,
    district_dept: &'a OrgCode,
) -> [(&'static str, Action<'a>); 15] {
    [
        (
            "draft own dept",
            Action::DraftItem {
                implementing_body: dept,
            },
        ),
        (
            "draft other dept",
            Action::DraftItem {
                implementing_body: other_dept,
            },
        ),
        (
            "declare own dept",
            Action::DeclareItem {
                implementing_body: dept,
            },
        ),
        (
            "review own dept",
            Action::ReviewItem {
                implementing_body: dept,
            },
        ),
        (
            "review district dept",
            Action::ReviewItem {
                implementing_body: district_dept,
            },
        ),
        (
            "approve city item",
            Action::ApproveItem {
                region_government: city,
            },
        ),
        (
            "approve district item",
            Action::ApproveItem {
                region_government: district,
            },
        ),
        (
            "publish city item",
            Action::PublishItem {
                region_government: city,
            },
        ),
        (
            "publish district item",
            Action::PublishItem {
                region_government: district,
            },
        ),
        (
            "return city item",
            Action::ReturnItem {
                implementing_body: dept,
                region_government: city,
            },
        ),
        (
            "import city",
            Action::ImportCatalog {
                region_government: city,
            },
        ),
        (
            "import district",
            Action::ImportCatalog {
                region_government: district,
            },
        ),
        ("view staff catalogue", Action::ViewStaffCatalog),
        ("manage staff of dept", Action::ManageStaff { org: dept }),
        ("read journal", Action::ReadJournal),
    ]
}

/// (role, held at) -> which of [`catalogue_commands`] are allowed, in order.
fn catalogue_expectations() -> [(Role, &'static str, [bool; 15]); 7] {
    [
        (
            Role::CatalogEditor,
            "330100-002",
            [
                true, false, true, false, false, false, false, false, false, false, false, false,
                true, false, false,
            ],
        ),
        (
            Role::LegalReviewer,
            "330100",
            [
                false, false, false, true, true, false, false, false, false, true, false, false,
                true, false, false,
            ],
        ),
        (
            Role::LegalReviewer,
            "330106",
            [
                false, false, false, false, true, false, false, false, false, false, false, false,
                true, false, false,
            ],
        ),
        (
            Role::Approver,
            "330100",
            [
                false, false, false, false, false, true, false, true, false, true, false, false,
                true, false, false,
            ],
        ),
        (
            Role::Approver,
            "330106",
            [
                false, false, false, false, false, false, true, false, true, false, false, false,
                true, false, false,
            ],
        ),
        (
            Role::Administrator,
            "330100",
            [
                false, false, false, false, false, false, false, false, false, false, true, true,
                true, true, true,
            ],
        ),
        (
            Role::Administrator,
            "330106",
            [
                false, false, false, false, false, false, false, false, false, false, false, true,
                true, false, false,
            ],
        ),
    ]
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
