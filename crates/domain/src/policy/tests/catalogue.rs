//! Every role at its usual post against every catalogue command, with the
//! expected answers written out.

use super::*;

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
