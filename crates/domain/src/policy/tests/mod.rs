use super::*;
use crate::identity::{Grant, Post};

mod action_table;
mod catalogue;
mod hall;
mod registry;
mod sharing;

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
