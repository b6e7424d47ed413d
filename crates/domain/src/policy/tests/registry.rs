//! The registry's persons are the district's: read and collected by the
//! community's worker and the district's registrar, each for their own
//! purpose, and never by a role held above the district.

use super::*;

fn registry_tree() -> OrgTree {
    let pairs = [
        ("330100", None),
        ("330106", Some("330100")),
        ("330106-001000", Some("330106")),
        ("330106-001001", Some("330106-001000")),
        ("330106-001002", Some("330106-001000")),
        ("330108", Some("330100")),
        ("330108-001000", Some("330108")),
        ("330108-001001", Some("330108-001000")),
    ];
    let owned: Vec<(OrgCode, Option<OrgCode>)> =
        pairs.iter().map(|(c, p)| (org(c), p.map(org))).collect();
    OrgTree::new(owned.iter().map(|(c, p)| (c, p.as_ref())))
}

/// A community worker answers no department's signals, even one held at
/// the district over the department.
#[test]
fn a_community_worker_answers_only_a_communitys_signals() {
    let mut pairs: Vec<(OrgCode, Option<OrgCode>)> = vec![
        (org("330100"), None),
        (org("330106"), Some(org("330100"))),
        (org("330106-001"), Some(org("330106"))),
    ];
    pairs.push((org("330106-001000"), Some(org("330106"))));
    pairs.push((org("330106-001001"), Some(org("330106-001000"))));
    let tree = OrgTree::new(pairs.iter().map(|(c, p)| (c, p.as_ref())));
    for at in ["330106", "330100"] {
        let worker = staff(Role::CommunityWorker, at);
        let department = org("330106-001");
        assert!(
            authorize(
                &worker,
                &Action::RespondToSignal {
                    department: &department
                },
                &tree
            )
            .is_err(),
            "{at}"
        );
    }
    let worker = staff(Role::CommunityWorker, "330106");
    let community = org("330106-001001");
    assert!(authorize(
        &worker,
        &Action::RespondToSignal {
            department: &community
        },
        &tree
    )
    .is_ok());
    let city = staff(Role::CommunityWorker, "330100");
    assert!(authorize(
        &city,
        &Action::RespondToSignal {
            department: &community
        },
        &tree
    )
    .is_err());
}

/// Every role held at every place, against reading and collecting each
/// community for each purpose: a worker keeps the communities beneath
/// where the role is held, a registrar reviews its own district, and no
/// purpose of another subsystem opens a person's record here.
#[test]
fn persons_are_read_within_the_district_and_for_the_roles_purpose() {
    let tree = registry_tree();
    let places = [
        "330100",
        "330106",
        "330106-001000",
        "330106-001001",
        "330108",
    ];
    let communities = [
        ("330106-001001", "330106"),
        ("330106-001002", "330106"),
        ("330108-001001", "330108"),
    ];
    for role in Role::ALL {
        for at in places {
            let held = org(at);
            let actor = staff(role, at);
            for (community, district) in communities {
                let (community, district) = (org(community), org(district));
                let worker = role == Role::CommunityWorker
                    && tree.is_within(&community, &held)
                    && tree.is_within(&held, &district);
                let registrar = role == Role::Registrar && held == district;
                for purpose in ReadPurpose::ALL {
                    let expected = match purpose {
                        ReadPurpose::KeepRecords => worker,
                        ReadPurpose::RegistryReview => registrar,
                        _ => false,
                    };
                    let read = Action::ReadResidents {
                        community: &community,
                        district: &district,
                        purpose,
                    };
                    assert_eq!(
                        authorize(&actor, &read, &tree).is_ok(),
                        expected,
                        "{role:?} at {at} reading {community} for {purpose:?}"
                    );
                }
                // The city asks; only the district that holds the person
                // answers, by its own registrar.
                assert_eq!(
                    authorize(
                        &actor,
                        &Action::DecideNamedRead {
                            district: &district
                        },
                        &tree
                    )
                    .is_ok(),
                    registrar,
                    "{role:?} at {at} deciding a city inquiry into {district}"
                );
                assert_eq!(
                    authorize(&actor, &Action::AskNamedRead, &tree).is_ok(),
                    role == Role::Registrar && tree.is_root(&held),
                    "{role:?} at {at} asking for a named read"
                );
                assert_eq!(
                    authorize(&actor, &Action::DefineRegistryStandard, &tree).is_ok(),
                    role == Role::Registrar && tree.is_root(&held),
                    "{role:?} at {at} changing the city's code lists"
                );
                let collect = Action::CollectResidents {
                    community: &community,
                    district: &district,
                };
                assert_eq!(
                    authorize(&actor, &collect, &tree).is_ok(),
                    worker || registrar,
                    "{role:?} at {at} collecting {community}"
                );
                let serve = Action::ServeCommunity {
                    community: &community,
                    district: &district,
                };
                assert_eq!(
                    authorize(&actor, &serve, &tree).is_ok(),
                    worker,
                    "{role:?} at {at} serving the elders of {community}"
                );
                // The community's own signals are its worker's to answer.
                let respond = Action::RespondToSignal {
                    department: &community,
                };
                let clerk = matches!(role, Role::CaseClerk | Role::Approver)
                    && tree.is_within(&community, &held);
                assert_eq!(
                    authorize(&actor, &respond, &tree).is_ok(),
                    worker || clerk,
                    "{role:?} at {at} answering {community}'s signals"
                );
            }
        }
    }
}
