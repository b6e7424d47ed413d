use std::collections::BTreeMap;

use jiff::civil::{date, Date};
use proptest::prelude::*;

use super::*;
use crate::calendar::{Calendar, WorkingDays};
use crate::catalog::{FieldKind, FormField, TimeLimit, TimeUnit};

/// The lifecycle's facts after a command (the clock's part is checked apart).
fn decide(facts: &CaseFacts, cmd: &CaseCommand) -> Result<CaseFacts, crate::refusal::Refusal> {
    super::decide(facts, cmd).map(|d| d.facts)
}

#[test]
fn case_numbers_carry_year_region_and_sequence() {
    let n = CaseNumber::parse("2026-330106-000123").expect("valid");
    assert_eq!((n.year, n.region.as_str(), n.seq), (2026, "330106", 123));
    assert_eq!(n.to_string(), "2026-330106-000123");
    for bad in [
        "2026-330106-123",
        "26-330106-000123",
        "2026-33010-000123",
        "2026-330106-000000",
        "2026-330106-000123-1",
    ] {
        assert!(CaseNumber::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn query_codes_use_no_look_alike_characters() {
    let q = QueryCode::from_random([0, 1, 2, 3, 200, 255, 31, 62]);
    assert_eq!(q.as_str().len(), 8);
    assert!(!q.as_str().contains(['0', 'O', '1', 'I', 'L']));
    assert_eq!(QueryCode::parse(&q.as_str().to_lowercase()), Some(q));
    assert_eq!(QueryCode::parse("ABCDEFG0"), None);
}

#[test]
fn the_public_sees_a_person_as_surname_and_mou() {
    let p = Applicant::Person {
        name: "王小明".into(),
        id_number: crate::ids::ResidentId::parse("11010519491231002X").expect("valid"),
    };
    assert_eq!(p.public_name(), "王某");
    let e = Applicant::Enterprise {
        name: "杭州云栖数据科技有限公司".into(),
        credit_code: crate::ids::CreditCode::parse("91350100M000100Y43").expect("valid"),
    };
    assert_eq!(e.public_name(), "杭州云栖数据科技有限公司");
}

#[test]
fn only_catalogued_fees_at_their_standard_can_be_charged() {
    let fees = vec![crate::catalog::Fee {
        name: "证书工本费".into(),
        standard_fen: 2000,
        basis: "价费字〔1992〕".into(),
    }];
    assert!(check_fee(&fees, "证书工本费", 2000).is_ok());
    assert!(
        check_fee(&fees, "证书工本费", 2500).is_err(),
        "above the standard"
    );
    assert!(
        check_fee(&fees, "加急费", 2000).is_err(),
        "not in the catalogue"
    );
}

#[test]
fn a_fine_outside_the_discretion_range_is_refused() {
    let d = vec![crate::catalog::Discretion {
        circumstance: "首次".into(),
        measure: "罚款".into(),
        min_fen: 100_000,
        max_fen: 500_000,
    }];
    assert!(check_penalty(&d, 0, 100_000).is_ok());
    assert!(check_penalty(&d, 0, 500_001).is_err());
    assert!(
        check_penalty(&d, 1, 200_000).is_err(),
        "no such circumstance"
    );
}

fn field(key: &str, kind: FieldKind, required: bool) -> FormField {
    FormField {
        key: key.into(),
        label: key.into(),
        label_en: key.into(),
        kind,
        required,
        choices: if kind == FieldKind::Choice {
            vec!["有限公司".into(), "个人独资".into()]
        } else {
            vec![]
        },
    }
}

#[test]
fn answers_are_checked_against_the_form_and_typed() {
    let form = vec![
        field("company_name", FieldKind::Text, true),
        field("capital", FieldKind::Number, true),
        field("kind", FieldKind::Choice, false),
        field("founded", FieldKind::Date, false),
        field("phone", FieldKind::Phone, true),
        field("legal_person_id", FieldKind::IdNumber, false),
        field("agree", FieldKind::Bool, false),
    ];
    let answers: BTreeMap<String, String> = [
        ("company_name", "杭州某科技有限公司"),
        ("capital", "100.5"),
        ("kind", "有限公司"),
        ("founded", "2026-11-02"),
        ("phone", "138-1234-1234"),
        ("legal_person_id", "11010519491231002x"),
        ("agree", "是"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let typed = check_answers(&form, &answers).expect("valid answers");
    assert_eq!(typed["capital"], serde_json::json!(100.5));
    assert_eq!(typed["phone"], "13812341234");
    assert_eq!(typed["legal_person_id"], "11010519491231002X");
    assert_eq!(typed["agree"], true);

    let bad: BTreeMap<String, String> = [
        ("capital", "lots"),
        ("kind", "合伙"),
        ("phone", "12345"),
        ("founded", "2026-02-30"),
        ("extra", "x"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let fields: Vec<String> = check_answers(&form, &bad)
        .expect_err("bad answers")
        .fields
        .into_keys()
        .collect();
    assert_eq!(
        fields,
        [
            "capital",
            "company_name",
            "extra",
            "founded",
            "kind",
            "phone"
        ],
        "every fault at once"
    );
}

fn cal() -> Calendar {
    Calendar::shipped()
}

fn clock(accepted_on: Date) -> CaseClock {
    CaseClock::start(accepted_on)
}

const TWENTY: TimeLimit = TimeLimit {
    value: 20,
    unit: TimeUnit::WorkingDays,
};

#[test]
fn twenty_working_days_from_before_the_spring_festival_skip_the_holiday_week() {
    // Accepted Friday 13 Feb 2026. Counted: 14 Feb (a makeup Saturday), 24–27 Feb,
    // 28 Feb (a makeup Saturday), 2–6, 9–13 and 16–19 March: twenty working days.
    let due =
        due_date(&cal(), &clock(date(2026, 2, 13)), TWENTY, date(2026, 2, 13)).expect("covered");
    assert_eq!(
        cal().working_days_between(date(2026, 2, 13), due),
        Ok(WorkingDays(20))
    );
    assert_eq!(due, date(2026, 3, 19));
}

#[test]
fn a_special_procedure_stops_the_clock_for_its_working_days() {
    let mut c = clock(date(2026, 3, 2));
    let plain = due_date(&cal(), &c, TWENTY, date(2026, 3, 2)).expect("covered");
    // An inspection from Monday 9 March to Thursday 12 March: 3 working days not counted.
    c.stops.push((date(2026, 3, 9), Some(date(2026, 3, 12))));
    let stopped = due_date(&cal(), &c, TWENTY, date(2026, 3, 20)).expect("covered");
    assert_eq!(
        cal().working_days_between(plain, stopped),
        Ok(WorkingDays(3))
    );
    // A procedure still going on stops the clock up to today.
    c.stops.push((date(2026, 3, 16), None));
    let open = due_date(&cal(), &c, TWENTY, date(2026, 3, 18)).expect("covered");
    assert_eq!(
        cal().working_days_between(stopped, open),
        Ok(WorkingDays(2))
    );
}

#[test]
fn a_stop_over_a_holiday_week_costs_only_its_working_days() {
    // Expert review from 30 Sep to 9 Oct 2026: the National Day week is off anyway.
    let stops = vec![(date(2026, 9, 30), Some(date(2026, 10, 9)))];
    assert_eq!(
        stopped_days(&cal(), &stops, date(2026, 10, 20), TimeUnit::WorkingDays),
        Ok(2),
        "30 September and 8 October"
    );
}

#[test]
fn a_step_counts_from_the_day_it_began_with_only_its_own_stops() {
    const FIVE: TimeLimit = TimeLimit {
        value: 5,
        unit: TimeUnit::WorkingDays,
    };
    let mut c = clock(date(2026, 9, 21));
    // A stop in the first step does not delay the second step.
    c.stops.push((date(2026, 9, 22), Some(date(2026, 9, 24))));
    c.extension = WorkingDays(10);
    // Passed to the next step on Thursday 24 September, before the
    // Mid-Autumn Festival (25–27 September) and the National Day week.
    c.step_started_on = Some(date(2026, 9, 24));
    let step = c.step_clock();
    assert!(step.stops.is_empty(), "{:?}", step.stops);
    assert_eq!(step.extension, WorkingDays(0), "an extension is the case's");
    // Counted: 28, 29, 30 September, 8 and 9 October.
    let due = due_date(&cal(), &step, FIVE, date(2026, 9, 24)).expect("covered");
    assert_eq!(due, date(2026, 10, 9));
    // A stop that began before the step and goes on counts only from the step's start.
    c.stops.push((date(2026, 9, 23), None));
    let step = c.step_clock();
    assert_eq!(step.stops, vec![(date(2026, 9, 24), None)]);
}

#[test]
fn an_extension_adds_its_working_days_once() {
    let mut c = clock(date(2026, 5, 6));
    let plain = due_date(&cal(), &c, TWENTY, date(2026, 5, 6)).expect("covered");
    c.extension = WorkingDays(10);
    let extended = due_date(&cal(), &c, TWENTY, date(2026, 5, 6)).expect("covered");
    assert_eq!(
        cal().working_days_between(plain, extended),
        Ok(WorkingDays(10))
    );
}

#[test]
fn a_case_goes_from_acceptance_through_its_steps_to_delivery() {
    let mut f = CaseFacts::new(3);
    for cmd in [
        CaseCommand::Accept,
        CaseCommand::Claim { clerk: 7 },
        CaseCommand::Pass { clerk: 7 },
        CaseCommand::Claim { clerk: 8 },
        CaseCommand::Pass { clerk: 8 },
        CaseCommand::Claim { clerk: 9 },
        CaseCommand::Approve { clerk: 9 },
        CaseCommand::Deliver,
    ] {
        f = decide(&f, &cmd).unwrap_or_else(|r| panic!("{cmd:?}: {r}"));
    }
    assert_eq!(f.state, CaseState::Delivered);
}

#[test]
fn a_correction_is_requested_once_and_the_case_comes_back_to_acceptance() {
    let f = CaseFacts::new(1);
    let f = decide(
        &f,
        &CaseCommand::RequestCorrection {
            what: "缺少营业执照复印件".into(),
        },
    )
    .expect("first");
    let f = decide(&f, &CaseCommand::SupplyCorrection).expect("supplied");
    assert_eq!(f.state, CaseState::Submitted);
    assert!(
        decide(
            &f,
            &CaseCommand::RequestCorrection {
                what: "还缺".into()
            }
        )
        .is_err(),
        "only once"
    );
    assert!(
        decide(&f, &CaseCommand::NotAccept { reason: " ".into() }).is_err(),
        "a legal reason is needed"
    );
}

#[test]
fn only_the_clerk_who_signed_for_a_step_acts_on_it() {
    let f = decide(&CaseFacts::new(2), &CaseCommand::Accept).expect("accept");
    assert!(
        decide(&f, &CaseCommand::Pass { clerk: 7 }).is_err(),
        "sign first"
    );
    let f = decide(&f, &CaseCommand::Claim { clerk: 7 }).expect("claim");
    assert_eq!(
        decide(&f, &CaseCommand::Claim { clerk: 8 }).map_err(|r| r.code),
        Err("claimed_by_another")
    );
    assert!(decide(&f, &CaseCommand::Pass { clerk: 8 }).is_err());
    assert!(
        decide(&f, &CaseCommand::Approve { clerk: 7 }).is_err(),
        "not at the deciding step yet"
    );
}

#[test]
fn opinions_asked_of_other_departments_must_all_come_back_before_moving_on() {
    let f = decide(&CaseFacts::new(2), &CaseCommand::Accept).expect("accept");
    let f = decide(&f, &CaseCommand::Claim { clerk: 7 }).expect("claim");
    let orgs: Vec<String> = ["330100-012".to_string(), "330100-039".to_string()].into();
    let f = decide(&f, &CaseCommand::RequestOpinions { clerk: 7, orgs }).expect("ask");
    assert_eq!(
        decide(&f, &CaseCommand::Pass { clerk: 7 }).map_err(|r| r.code),
        Err("opinions_pending")
    );
    let agree = Opinion {
        agree: true,
        text: "同意".into(),
    };
    let f = decide(
        &f,
        &CaseCommand::GiveOpinion {
            org: "330100-012".into(),
            opinion: agree.clone(),
        },
    )
    .expect("one");
    assert!(
        decide(
            &f,
            &CaseCommand::GiveOpinion {
                org: "330100-012".into(),
                opinion: agree.clone()
            }
        )
        .is_err(),
        "once each"
    );
    let f = decide(
        &f,
        &CaseCommand::GiveOpinion {
            org: "330100-039".into(),
            opinion: agree,
        },
    )
    .expect("two");
    assert!(decide(&f, &CaseCommand::Pass { clerk: 7 }).is_ok());
}

#[test]
fn an_extension_is_granted_once_within_the_bound() {
    let f = decide(&CaseFacts::new(1), &CaseCommand::Accept).expect("accept");
    assert!(decide(&f, &CaseCommand::Extend { days: 11, max: 10 }).is_err());
    let f = decide(&f, &CaseCommand::Extend { days: 10, max: 10 }).expect("extend");
    assert!(
        decide(&f, &CaseCommand::Extend { days: 1, max: 10 }).is_err(),
        "once"
    );
}

#[test]
fn the_applicant_may_withdraw_before_a_decision_only() {
    let f = decide(&CaseFacts::new(1), &CaseCommand::Accept).expect("accept");
    assert_eq!(
        decide(&f, &CaseCommand::Withdraw).map(|f| f.state),
        Ok(CaseState::Withdrawn)
    );
    let f = decide(&f, &CaseCommand::Claim { clerk: 1 }).expect("claim");
    let f = decide(
        &f,
        &CaseCommand::Refuse {
            clerk: 1,
            reason: "不符合《行政许可法》第三十八条规定的条件".into(),
        },
    )
    .expect("refuse");
    assert!(decide(&f, &CaseCommand::Withdraw).is_err());
}

fn any_command() -> impl Strategy<Value = CaseCommand> {
    let clerk = 1i64..3;
    prop_oneof![
        Just(CaseCommand::Accept),
        Just(CaseCommand::NotAccept {
            reason: "不属于本机关职权范围".into()
        }),
        Just(CaseCommand::RequestCorrection {
            what: "缺少材料".into()
        }),
        Just(CaseCommand::SupplyCorrection),
        clerk.clone().prop_map(|clerk| CaseCommand::Claim { clerk }),
        clerk.clone().prop_map(|clerk| CaseCommand::Pass { clerk }),
        (clerk.clone(), 0usize..3).prop_map(|(clerk, step)| CaseCommand::ReturnTo {
            clerk,
            step,
            reason: "材料有误".into()
        }),
        clerk
            .clone()
            .prop_map(|clerk| CaseCommand::RequestOpinions {
                clerk,
                orgs: ["330100-001".to_string()].into()
            }),
        Just(CaseCommand::GiveOpinion {
            org: "330100-001".into(),
            opinion: Opinion {
                agree: true,
                text: "同意".into()
            }
        }),
        clerk.clone().prop_map(|clerk| CaseCommand::Suspend {
            clerk,
            procedure: SpecialProcedure::Inspection
        }),
        clerk
            .clone()
            .prop_map(|clerk| CaseCommand::Resume { clerk }),
        (0u32..12).prop_map(|days| CaseCommand::Extend { days, max: 10 }),
        clerk
            .clone()
            .prop_map(|clerk| CaseCommand::Approve { clerk }),
        clerk.prop_map(|clerk| CaseCommand::Refuse {
            clerk,
            reason: "不符合法定条件".into()
        }),
        Just(CaseCommand::Deliver),
        Just(CaseCommand::Withdraw),
    ]
}

proptest! {
    /// Whatever arrives in whatever order: a decision is made only at the last
    /// step after every earlier step was passed, final states never move, a
    /// correction and an extension happen at most once, and nothing is
    /// withdrawn after a decision.
    #[test]
    fn no_command_sequence_reaches_an_illegal_state(steps in 1usize..4, cmds in proptest::collection::vec(any_command(), 0..60)) {
        let mut f = CaseFacts::new(steps);
        let mut corrections = 0;
        let mut extensions = 0;
        let mut highest_step_passed_in_order = 0usize;
        for cmd in &cmds {
            let before = f.clone();
            let Ok(after) = decide(&f, cmd) else { continue };
            prop_assert!(!before.state.is_final(), "{:?} moved from a final state by {cmd:?}", before.state);
            if let CaseState::InProcess { step } = after.state {
                prop_assert!(step < steps);
                if let CaseState::InProcess { step: from } = before.state {
                    prop_assert!(step == from || step == from + 1 || step < from, "a step skipped: {from} -> {step}");
                }
                if step == 0 && before.state == CaseState::Submitted { highest_step_passed_in_order = 0; }
                highest_step_passed_in_order = highest_step_passed_in_order.max(step);
            }
            if matches!(after.state, CaseState::Approved | CaseState::Refused) && !before.state.is_decided() {
                prop_assert_eq!(before.state, CaseState::InProcess { step: steps - 1 });
                prop_assert!(before.pending_opinions.is_empty());
                prop_assert_eq!(highest_step_passed_in_order, steps - 1);
            }
            if after.state == CaseState::Withdrawn {
                prop_assert!(!before.state.is_decided());
            }
            if after.correction_used && !before.correction_used { corrections += 1; }
            if after.extension_used && !before.extension_used { extensions += 1; }
            f = after;
        }
        prop_assert!(corrections <= 1 && extensions <= 1);
    }
}

#[test]
fn a_case_is_rated_once_after_its_decision_from_one_to_five() {
    assert!(
        check_rating(&CaseState::InProcess { step: 0 }, false, 5, "").is_err(),
        "not before the decision"
    );
    assert!(check_rating(&CaseState::Delivered, false, 5, "办事很快").is_ok());
    assert!(
        check_rating(&CaseState::Refused, false, 1, "").is_ok(),
        "a refused applicant may rate too"
    );
    assert!(
        check_rating(&CaseState::Delivered, true, 4, "").is_err(),
        "once"
    );
    assert!(check_rating(&CaseState::Delivered, false, 6, "").is_err());
    assert!(check_rating(&CaseState::Delivered, false, 0, "").is_err());
}

#[test]
fn a_case_is_on_time_when_done_by_its_promised_date_or_not_yet_past_it() {
    let due = Some("2026-12-10");
    assert_eq!(
        on_time("delivered", due, Some("2026-12-10"), "2026-12-20"),
        Some(true)
    );
    assert_eq!(
        on_time("delivered", due, Some("2026-12-11"), "2026-12-20"),
        Some(false)
    );
    assert_eq!(
        on_time("in_process", due, None, "2026-12-10"),
        Some(true),
        "still within"
    );
    assert_eq!(
        on_time("in_process", due, None, "2026-12-11"),
        Some(false),
        "late while open"
    );
    assert_eq!(
        on_time("submitted", None, None, "2026-12-11"),
        None,
        "not accepted yet"
    );
    for closed in ["withdrawn", "not_accepted"] {
        assert_eq!(
            on_time(closed, due, Some("2026-12-12"), "2026-12-20"),
            None,
            "{closed}"
        );
    }
}

#[test]
fn every_state_name_is_listed_once() {
    let states = [
        CaseState::Submitted,
        CaseState::CorrectionRequested,
        CaseState::NotAccepted,
        CaseState::InProcess { step: 0 },
        CaseState::Suspended {
            step: 0,
            procedure: SpecialProcedure::Hearing,
        },
        CaseState::Approved,
        CaseState::Refused,
        CaseState::Delivered,
        CaseState::Withdrawn,
    ];
    let names: Vec<&str> = states.iter().map(CaseState::name).collect();
    assert_eq!(names, CaseState::NAMES);
}

#[test]
fn a_command_reads_as_the_api_sends_it_and_journals_its_details() {
    let cmd: CaseCommand = serde_json::from_value(serde_json::json!(
        {"command": "give_opinion", "org": "330100-012", "agree": true, "text": "同意"}
    ))
    .expect("give_opinion");
    assert_eq!(cmd.event_type(), "hall.case_opinion_given");
    assert_eq!(
        cmd.details(),
        serde_json::json!({"org": "330100-012", "agree": true, "text": "同意"})
    );
    let claim: CaseCommand =
        serde_json::from_value(serde_json::json!({"command": "claim", "clerk": 99}))
            .expect("claim");
    assert_eq!(
        claim.by(7),
        CaseCommand::Claim { clerk: 7 },
        "the clerk is the actor"
    );
    let extend: CaseCommand =
        serde_json::from_value(serde_json::json!({"command": "extend", "days": 3}))
            .expect("extend");
    assert_eq!(
        extend,
        CaseCommand::Extend {
            days: 3,
            max: MAX_EXTENSION
        }
    );
}

#[test]
fn deciding_a_command_says_what_it_does_to_the_clock() {
    let accepted = super::decide(&CaseFacts::new(1), &CaseCommand::Accept).expect("accept");
    assert_eq!(accepted.clock, ClockChange::Start);
    assert_eq!(accepted.milestone, Some(Milestone::Accepted));
    let extended = super::decide(
        &accepted.facts,
        &CaseCommand::Extend {
            days: 4,
            max: MAX_EXTENSION,
        },
    )
    .expect("extend");
    assert_eq!(extended.clock, ClockChange::Extend(WorkingDays(4)));
}
