//! Every role, and a citizen, against every hall and supervision command.

use super::*;

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
