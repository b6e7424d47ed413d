//! A department's resources are its own: its staff catalogue them and
//! decide who may have them, and its staff subscribe for it alone.

use super::*;

#[test]
fn a_department_decides_its_own_resources_and_subscribes_for_itself_only() {
    let tree = wide_tree();
    let own = org("330100-002");
    let other = org("330100-041");
    let district_dept = org("330106-001");
    let editor = staff(Role::CatalogEditor, "330100-002");
    let approver = staff(Role::Approver, "330100-002");
    let clerk = staff(Role::CaseClerk, "330100-002");
    let ok = |a: &Actor, action: Action<'_>| authorize(a, &action, &tree).is_ok();

    assert!(ok(&editor, Action::CatalogueResources { owner: &own }));
    assert!(!ok(&editor, Action::CatalogueResources { owner: &other }));
    assert!(
        !ok(&editor, Action::DecideSubscriptions { owner: &own }),
        "an editor registers, an approver decides"
    );
    assert!(ok(&approver, Action::DecideSubscriptions { owner: &own }));
    assert!(!ok(
        &approver,
        Action::DecideSubscriptions { owner: &other }
    ));
    assert!(!ok(&clerk, Action::CatalogueResources { owner: &own }));
    for who in [&editor, &approver, &clerk] {
        assert!(ok(who, Action::UseResources { subscriber: &own }));
        assert!(!ok(who, Action::UseResources { subscriber: &other }));
        assert!(!ok(
            who,
            Action::UseResources {
                subscriber: &district_dept
            }
        ));
    }
    // A district's staff reach their district's departments, not the city's.
    let district = staff(Role::Administrator, "330106");
    assert!(ok(
        &district,
        Action::CatalogueResources {
            owner: &district_dept
        }
    ));
    assert!(!ok(&district, Action::CatalogueResources { owner: &own }));
    for role in [Role::Supervisor, Role::HotlineOperator, Role::Registrar] {
        let a = staff(role, "330100");
        assert!(
            !ok(&a, Action::UseResources { subscriber: &own }),
            "{role:?}"
        );
    }
}
