//! Jurisdiction on a real store (both backends): every role, held at the
//! city, a district, a district's department and the city-wide services'
//! centres, against each command whose place the app supplies to the policy,
//! aimed at its own unit, a unit below, a sibling district and the city. The
//! domain's table test (`policy::tests::every_role_against_every_action_at_every_place`)
//! checks the policy itself; this one checks that the commands ask it with
//! the right place.

use sunshine_app::identity::binding::NewBindingCode;
use sunshine_app::identity::NewStaff;
use sunshine_app::AppError;
use sunshine_domain::identity::{Actor, Role};
use sunshine_domain::refusal::RefusalKind;
use sunshine_testkit::TestApp;

/// Refused as forbidden, or hidden as not there.
fn refused(r: &Result<(), AppError>) -> bool {
    matches!(
        r,
        Err(AppError::Refused(x)) if matches!(x.kind, RefusalKind::Forbidden | RefusalKind::NotFound)
    )
}

fn within(target: &str, held: &str) -> bool {
    target == held || target.starts_with(&format!("{held}-")) || held == "330100"
}

#[tokio::test]
async fn every_role_at_every_place_against_the_commands_that_name_a_place() {
    let t = TestApp::demo().await.expect("demo");
    let admin = t.app.staff_actor("admin").await.expect("admin");
    let places = ["330100", "330106", "330106-001", "330100-041", "330100-042"];
    let targets = ["330106", "330106-002", "330108", "330100"];
    let mut n = 0;
    let mut checked = 0;
    for role in Role::ALL {
        for at in places {
            n += 1;
            let login = format!("j.{n}");
            t.app
                .create_staff(
                    &admin,
                    NewStaff {
                        login: login.clone(),
                        display_name: format!("辖区测试{n}"),
                        org: at.into(),
                        password: "long-enough-1".into(),
                        roles: vec![role.as_str().into()],
                    },
                )
                .await
                .expect("staff");
            let actor: Actor = t.app.staff_actor(&login).await.expect("actor");
            let city_root = at == "330100";
            // The city-wide services: only a role covering the centre.
            let cases: [(&str, bool, Result<(), AppError>); 4] = [
                (
                    "serve cardholders",
                    role == Role::CardClerk && (city_root || at == "330100-042"),
                    t.app
                        .cards_of(&actor, "33010619900101123X")
                        .await
                        .map(|_| ()),
                ),
                (
                    "operate cards",
                    role == Role::CardOperator && (city_root || at == "330100-042"),
                    t.app.card_terminals(&actor).await.map(|_| ()),
                ),
                (
                    "operate the hotline",
                    role == Role::HotlineOperator && (city_root || at == "330100-041"),
                    t.app.hotline_queue(&actor).await.map(|_| ()),
                ),
                (
                    "read the journal",
                    role == Role::Administrator && city_root,
                    t.app.journal_after(&actor, 0, 1).await.map(|_| ()),
                ),
            ];
            for (what, allowed, result) in cases {
                assert_eq!(
                    !refused(&result),
                    allowed,
                    "{role:?} at {at}: {what}: {:?}",
                    result.err()
                );
                checked += 1;
            }
            for target in targets {
                let reach = within(target, at);
                let code = t
                    .app
                    .issue_binding_code(
                        &actor,
                        NewBindingCode {
                            kind: "citizen".into(),
                            number: "11010519491231002X".into(),
                            name: "张三".into(),
                            legal_rep_name: None,
                            legal_rep_id: None,
                            counter: Some(target.into()),
                        },
                    )
                    .await
                    .map(|_| ());
                assert_eq!(
                    !refused(&code),
                    matches!(role, Role::CaseClerk | Role::CardClerk) && reach,
                    "{role:?} at {at}: a binding code at the counter of {target}"
                );
                let grant = t
                    .app
                    .create_staff(
                        &actor,
                        NewStaff {
                            login: format!("j.{n}.{target}"),
                            display_name: "下级".into(),
                            org: target.into(),
                            password: "long-enough-1".into(),
                            roles: vec![Role::CaseClerk.as_str().into()],
                        },
                    )
                    .await
                    .map(|_| ());
                assert!(
                    refused(&grant),
                    "{role:?} at {at}: nobody with one role grants another ({target})"
                );
                let own = t
                    .app
                    .create_staff(
                        &actor,
                        NewStaff {
                            login: format!("j.{n}.own.{target}"),
                            display_name: "同级".into(),
                            org: target.into(),
                            password: "long-enough-1".into(),
                            roles: vec![role.as_str().into()],
                        },
                    )
                    .await
                    .map(|_| ());
                assert_eq!(
                    !refused(&own),
                    role == Role::Administrator && reach,
                    "{role:?} at {at}: hand on its own role at {target}: {:?}",
                    own.err()
                );
                checked += 3;
            }
        }
    }
    assert!(checked >= 9 * 5 * 16, "{checked} cases");
}

/// The abuse as it was done: a district administrator tries to grant itself
/// the card centre's and the hotline's roles, and, even when the city gives
/// it those roles at its district, reads no resident's card and no caller's
/// history.
#[tokio::test]
async fn a_district_administrator_reaches_no_card_and_no_caller() {
    use crate::support::Api;
    use reqwest::StatusCode;
    use serde_json::json;

    let t = TestApp::demo().await.expect("demo");
    let admin = Api::as_user(&t.base, "admin").await;
    let (status, body) = admin
        .post(
            "/api/v1/staff",
            json!({"login": "xihu.admin", "display_name": "西湖管理员", "org": "330106", "password": "long-enough-1", "roles": ["administrator"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = sunshine_testkit::api_token(&t.base, "xihu.admin", "long-enough-1")
        .await
        .expect("token");
    let district = Api {
        token: Some(token),
        ..Api::new(&t.base)
    };
    for role in ["card_clerk", "card_operator", "hotline_operator"] {
        let (status, body) = district
            .post(
                "/api/v1/staff/xihu.admin/grants",
                json!({"role": role, "org": "330106"}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{role}: nobody grants a role they do not hold: {body}"
        );
        // The city hands it the role at the district; it still counts only there.
        let (status, body) = admin
            .post(
                "/api/v1/staff/xihu.admin/grants",
                json!({"role": role, "org": "330106"}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let demo_citizen = sunshine_app::demo::DEMO_CITIZEN_ID;
    let (status, body) = district
        .get(&format!("/api/v1/cards?holder={demo_citizen}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no resident's card: {body}");
    let (status, body) = district.get("/api/v1/card/terminals").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no terminals: {body}");
    let (status, body) = district
        .get("/api/v1/hotline/assist?phone=13800000000")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no caller's history: {body}");
    // The card centre's own clerk does read the card.
    let clerk = Api::as_user(&t.base, "card.clerk").await;
    let (status, _) = clerk
        .get(&format!("/api/v1/cards?holder={demo_citizen}"))
        .await;
    assert_eq!(status, StatusCode::OK);
}
