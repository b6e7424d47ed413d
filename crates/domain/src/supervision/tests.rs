use jiff::civil::date;
use jiff::Timestamp;
use proptest::prelude::*;

use super::*;
use crate::calendar::Calendar;

fn at(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

fn cal() -> Calendar {
    Calendar::shipped()
}

#[test]
fn rule_codes_round_trip_and_every_rule_has_both_languages() {
    for rule in RuleCode::ALL {
        assert_eq!(RuleCode::parse(rule.as_str()), Some(rule));
        let json = serde_json::to_string(&rule).expect("serializes");
        assert_eq!(json, format!("\"{}\"", rule.as_str()));
        let m = rule.message();
        assert!(!m.zh.is_empty() && !m.en.is_empty());
    }
    assert_eq!(RuleCode::parse("time.nonsense"), None);
}

/// Over the 2026 National Day week (1–7 October off, Saturday 10 October a
/// working day): the warning comes on the last working day before the
/// promised deadline, the yellow card when that day is over, and the red
/// when the yellow has gone three working days unrectified.
#[test]
fn time_rules_fire_at_the_right_moments_over_a_holiday_week() {
    let rules = RuleSet::default();
    let deadlines = CaseDeadlines {
        promised: Some(date(2026, 10, 8)),
        legal: Some(date(2026, 10, 20)),
        step: Some((0, date(2026, 9, 30))),
    };
    let timers = case_timers(&rules, "330106", &cal(), &deadlines).expect("in the calendar");
    let got: Vec<(RuleCode, Option<usize>, Timestamp)> =
        timers.iter().map(|t| (t.rule, t.step, t.due)).collect();
    assert_eq!(
        got,
        vec![
            // Wednesday 30 September begins (Shanghai midnight is 16:00 UTC the day before).
            (RuleCode::DueSoon, None, at("2026-09-29T16:00:00Z")),
            // The step's last day, 30 September, is over.
            (RuleCode::StepOverdue, Some(0), at("2026-09-30T16:00:00Z")),
            (RuleCode::PromisedOverdue, None, at("2026-10-08T16:00:00Z")),
            (RuleCode::LegalOverdue, None, at("2026-10-20T16:00:00Z")),
        ]
    );
    // A yellow card issued on Friday 9 October: Saturday 10 (a working
    // day), Monday 12 and Tuesday 13 to rectify it.
    let red = rectification_due(&rules, "330106", &cal(), date(2026, 10, 9)).expect("in range");
    assert_eq!(red, at("2026-10-13T16:00:00Z"));
}

#[test]
fn an_area_sets_its_own_thresholds_and_a_rule_can_be_switched_off() {
    let mut rules = RuleSet::default();
    rules.areas.insert(
        "330106".into(),
        Thresholds {
            warning_days: 3,
            rectify_days: 5,
            after_the_fact_minutes: 10,
        },
    );
    rules.disabled.insert(RuleCode::StepOverdue);
    rules.levels.insert(RuleCode::PromisedOverdue, Level::Red);
    rules.validate().expect("valid");
    let d = CaseDeadlines {
        promised: Some(date(2026, 12, 4)),
        legal: None,
        step: Some((1, date(2026, 12, 1))),
    };
    let xihu = case_timers(&rules, "330106", &cal(), &d).expect("ok");
    let city = case_timers(&rules, "330100", &cal(), &d).expect("ok");
    // Friday 4 December: three working days before is Tuesday 1st, one is Thursday 3rd.
    assert_eq!(xihu[0].due, at("2026-11-30T16:00:00Z"));
    assert_eq!(city[0].due, at("2026-12-02T16:00:00Z"));
    assert!(xihu.iter().all(|t| t.rule != RuleCode::StepOverdue));
    assert_eq!(rules.level(RuleCode::PromisedOverdue), Some(Level::Red));
    assert_eq!(rules.level(RuleCode::StepOverdue), None);
    assert_eq!(rules.level(RuleCode::DueSoon), Some(Level::Warning));
}

#[test]
fn a_rule_set_reports_every_fault_at_once() {
    let mut rules = RuleSet::default();
    rules.thresholds.warning_days = 0;
    rules.areas.insert(
        "xihu".into(),
        Thresholds {
            warning_days: 1,
            rectify_days: 100,
            after_the_fact_minutes: 5000,
        },
    );
    let err = rules.validate().expect_err("invalid");
    let keys: Vec<&str> = err.fields.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        vec![
            "areas.xihu",
            "areas.xihu.after_the_fact_minutes",
            "areas.xihu.rectify_days",
            "thresholds.warning_days"
        ]
    );
    let json = r#"{"thresholds":{"warning_days":2,"rectify_days":3,"after_the_fact_minutes":10},"levels":{"time.step_overdue":"warning"},"disabled":["fee.above_standard"]}"#;
    let parsed: RuleSet = serde_json::from_str(json).expect("parses");
    assert_eq!(parsed.level(RuleCode::StepOverdue), Some(Level::Warning));
    assert_eq!(parsed.level(RuleCode::FeeAboveStandard), None);
}

#[test]
fn legal_reasons_cite_a_law_or_an_article() {
    assert!(cites_law("不符合《中华人民共和国行政许可法》的规定"));
    assert!(cites_law("依据第三十二条，材料不齐全"));
    assert!(cites_law("Refused under Article 38 of the Licensing Law"));
    assert!(!cites_law("材料不全"));
    assert!(!cites_law("not eligible"));
    assert!(!cites_law("《未闭合"));
}

fn fees() -> Vec<Fee> {
    vec![Fee {
        name: "工本费".into(),
        standard_fen: 1500,
        basis: "价费字〔2009〕1号".into(),
    }]
}

fn rules_of(trace: &mut CaseTrace, fact: HallFact, steps: usize) -> Vec<RuleCode> {
    check_fact(&RuleSet::default(), "330106", trace, &fact, steps, &fees())
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

#[test]
fn a_case_handled_by_the_book_raises_nothing() {
    let mut t = CaseTrace::default();
    let submitted = at("2026-11-02T01:00:00Z");
    assert!(rules_of(
        &mut t,
        HallFact::Submitted {
            at: submitted,
            at_counter: true
        },
        2
    )
    .is_empty());
    assert!(rules_of(&mut t, HallFact::Accepted, 2).is_empty());
    assert!(rules_of(&mut t, HallFact::AtStep { step: 0 }, 2).is_empty());
    assert!(rules_of(&mut t, HallFact::AtStep { step: 1 }, 2).is_empty());
    // Returned to the first step and passed on again: not out of order.
    assert!(rules_of(&mut t, HallFact::AtStep { step: 0 }, 2).is_empty());
    assert!(rules_of(&mut t, HallFact::AtStep { step: 1 }, 2).is_empty());
    let fee = HallFact::FeeCharged {
        name: "工本费".into(),
        amount_fen: 1500,
    };
    assert!(rules_of(&mut t, fee, 2).is_empty());
    let decided = at("2026-11-03T01:00:00Z");
    assert!(rules_of(&mut t, HallFact::Approved { at: decided }, 2).is_empty());
}

#[test]
fn process_faults_are_each_caught() {
    // A decision on a case never accepted.
    let mut t = CaseTrace::default();
    assert_eq!(
        rules_of(
            &mut t,
            HallFact::Approved {
                at: at("2026-11-03T01:00:00Z")
            },
            1
        ),
        vec![RuleCode::DecisionWithoutAcceptance]
    );
    // A step jumped over, and a decision before the last step.
    let mut t = CaseTrace {
        accepted: true,
        ..Default::default()
    };
    assert_eq!(
        rules_of(&mut t, HallFact::AtStep { step: 1 }, 3),
        vec![RuleCode::StepOutOfOrder]
    );
    let mut t = CaseTrace {
        accepted: true,
        furthest_step: Some(0),
        ..Default::default()
    };
    let faults = check_fact(
        &RuleSet::default(),
        "330106",
        &mut t,
        &HallFact::Refused {
            at: at("2026-11-03T01:00:00Z"),
            reason: "材料不全".into(),
        },
        3,
        &fees(),
    );
    assert_eq!(
        faults,
        vec![
            Fault {
                rule: RuleCode::StepOutOfOrder,
                step: Some(1)
            },
            Fault {
                rule: RuleCode::NoLegalReason,
                step: None
            },
        ]
    );
    // A non-acceptance without a legal reason.
    let mut t = CaseTrace::default();
    assert_eq!(
        rules_of(
            &mut t,
            HallFact::NotAccepted {
                reason: "不符合条件".into()
            },
            1
        ),
        vec![RuleCode::NoLegalReason]
    );
}

/// A case decided minutes after it came in was entered after the fact when
/// registered at the counter, not when the applicant submitted it online.
#[test]
fn a_counter_case_decided_at_once_is_entered_after_the_fact() {
    // Registered at the counter and decided five minutes later.
    let mut t = CaseTrace::default();
    rules_of(
        &mut t,
        HallFact::Submitted {
            at: at("2026-11-02T01:00:00Z"),
            at_counter: true,
        },
        1,
    );
    rules_of(&mut t, HallFact::Accepted, 1);
    rules_of(&mut t, HallFact::AtStep { step: 0 }, 1);
    assert_eq!(
        rules_of(
            &mut t,
            HallFact::Approved {
                at: at("2026-11-02T01:05:00Z")
            },
            1
        ),
        vec![RuleCode::EnteredAfterTheFact]
    );
    // The same speed online is not after the fact: the applicant submitted it.
    let mut t = CaseTrace::default();
    rules_of(
        &mut t,
        HallFact::Submitted {
            at: at("2026-11-02T01:00:00Z"),
            at_counter: false,
        },
        1,
    );
    rules_of(&mut t, HallFact::Accepted, 1);
    rules_of(&mut t, HallFact::AtStep { step: 0 }, 1);
    assert!(rules_of(
        &mut t,
        HallFact::Approved {
            at: at("2026-11-02T01:05:00Z")
        },
        1
    )
    .is_empty());
}

#[test]
fn fee_faults_are_each_caught() {
    // Fees: outside the catalogue, above the standard; below it the hall refuses, supervision does not flag.
    let mut t = CaseTrace::default();
    let charge = |name: &str, amount_fen| HallFact::FeeCharged {
        name: name.into(),
        amount_fen,
    };
    assert_eq!(
        rules_of(&mut t, charge("加急费", 100), 1),
        vec![RuleCode::FeeNotCatalogued]
    );
    assert_eq!(
        rules_of(&mut t, charge("工本费", 2000), 1),
        vec![RuleCode::FeeAboveStandard]
    );
    assert!(rules_of(&mut t, charge("工本费", 1000), 1).is_empty());
}

#[test]
fn a_signal_goes_from_issue_to_close_and_can_be_escalated_or_revoked() {
    use SignalState as S;
    let respond = SignalCommand::Respond {
        text: "已整改".into(),
    };
    let close = SignalCommand::Close {
        text: "整改到位".into(),
    };
    let escalate = SignalCommand::Escalate {
        text: "请于三日内办结".into(),
    };
    let mut s = S::Issued;
    for (cmd, next) in [
        (&SignalCommand::Notify, S::Notified),
        (&respond, S::Responded),
        (&escalate, S::Escalated),
        (&respond, S::Responded),
        (&close, S::Closed),
    ] {
        s = next_signal_state(s, cmd).expect("allowed");
        assert_eq!(s, next);
    }
    assert!(next_signal_state(
        S::Closed,
        &SignalCommand::Revoke {
            reason: "误报".into()
        }
    )
    .is_err());
    assert_eq!(
        next_signal_state(
            S::Notified,
            &SignalCommand::Revoke {
                reason: "误报".into()
            }
        ),
        Ok(S::Revoked)
    );
    assert!(
        next_signal_state(S::Notified, &close).is_err(),
        "closing needs a response first"
    );
    let empty = next_signal_state(S::Issued, &SignalCommand::Respond { text: "  ".into() })
        .expect_err("a response says something");
    assert!(empty.fields.contains_key("text"));
}

#[test]
fn complaints_are_accepted_or_refused_then_answered_within_five_working_days() {
    use ComplaintState as S;
    let s = next_complaint_state(S::Received, &ComplaintCommand::Accept).expect("ok");
    assert_eq!(s, S::Investigating);
    assert_eq!(
        next_complaint_state(
            s,
            &ComplaintCommand::Answer {
                text: "已核实并答复".into()
            }
        ),
        Ok(S::Answered)
    );
    assert!(
        next_complaint_state(S::Received, &ComplaintCommand::Answer { text: "x".into() }).is_err()
    );
    assert!(
        next_complaint_state(S::Received, &ComplaintCommand::Refuse { reason: "".into() }).is_err()
    );
    // Received on Wednesday 30 September 2026: after the holiday week,
    // Thursday 8, Friday 9, Saturday 10 (a working day), Monday 12 and Tuesday 13 October.
    assert_eq!(
        complaint_answer_due(&cal(), date(2026, 9, 30)),
        Ok(date(2026, 10, 13))
    );
}

#[test]
fn the_formula_grades_a_quarter_and_refuses_nonsense() {
    let f = GradeFormula::default();
    f.validate().expect("the default is valid");
    let perfect = QuarterFigures {
        completed: 100,
        on_time: 100,
        ratings: 10,
        rating_sum: 50,
        ..Default::default()
    };
    assert_eq!(f.score(&perfect), 100.0);
    assert_eq!(f.grade(f.score(&perfect)), Grade::Excellent);
    let late = QuarterFigures {
        completed: 100,
        on_time: 80,
        yellow_cards: 3,
        red_cards: 1,
        ratings: 10,
        rating_sum: 40,
        ..Default::default()
    };
    // 70 × 0.8 + 30 × 0.75 − 6 − 5 = 67.5
    assert!((f.score(&late) - 67.5).abs() < 1e-9);
    assert_eq!(f.grade(f.score(&late)), Grade::Pass);
    let awful = QuarterFigures {
        completed: 10,
        on_time: 0,
        red_cards: 30,
        ..Default::default()
    };
    assert_eq!(f.score(&awful), 0.0);
    assert_eq!(f.grade(0.0), Grade::Fail);
    let bad = GradeFormula {
        good_from: 95.0,
        ..GradeFormula::default()
    };
    assert!(bad.validate().is_err());
}

fn any_signal_command() -> impl Strategy<Value = SignalCommand> {
    let text = prop_oneof![Just(String::new()), Just("说明".to_string())];
    prop_oneof![
        Just(SignalCommand::Notify),
        text.clone()
            .prop_map(|text| SignalCommand::Respond { text }),
        text.clone().prop_map(|text| SignalCommand::Close { text }),
        text.clone()
            .prop_map(|text| SignalCommand::Escalate { text }),
        text.prop_map(|reason| SignalCommand::Revoke { reason }),
    ]
}

proptest! {
    /// Whatever is tried, a final signal stays final, a signal is closed
    /// only after a response, and a command without its text changes nothing.
    #[test]
    fn no_command_sequence_breaks_a_signal(cmds in proptest::collection::vec(any_signal_command(), 0..40)) {
        let mut s = SignalState::Issued;
        for cmd in &cmds {
            let textless = match cmd {
                SignalCommand::Notify => false,
                SignalCommand::Respond { text }
                | SignalCommand::Close { text }
                | SignalCommand::Escalate { text } => text.is_empty(),
                SignalCommand::Revoke { reason } => reason.is_empty(),
            };
            let result = next_signal_state(s, cmd);
            if textless {
                prop_assert!(result.is_err(), "{cmd:?} without its text");
            }
            if let Ok(next) = result {
                prop_assert!(s.is_open(), "{s:?} is final");
                if next == SignalState::Closed {
                    prop_assert_eq!(s, SignalState::Responded);
                }
                if next == SignalState::Notified {
                    prop_assert_eq!(s, SignalState::Issued);
                }
                s = next;
            }
        }
    }

    /// Timers come sorted, the warning never after the promised deadline
    /// passes, and every deadline fires after its own day has begun.
    #[test]
    fn timers_are_ordered_and_after_their_days(promised in 0i64..700, legal_extra in 0i64..40, warn in 1u32..10) {
        let start = date(2026, 1, 5);
        let promised = start.checked_add(jiff::Span::new().days(promised)).expect("in range");
        let legal = promised.checked_add(jiff::Span::new().days(legal_extra)).expect("in range");
        let mut rules = RuleSet::default();
        rules.thresholds.warning_days = warn;
        let d = CaseDeadlines { promised: Some(promised), legal: Some(legal), step: None };
        let timers = case_timers(&rules, "330100", &cal(), &d).expect("in the calendar");
        prop_assert!(timers.windows(2).all(|w| w[0].due <= w[1].due));
        let warning = timers.iter().find(|t| t.rule == RuleCode::DueSoon).expect("a warning");
        let yellow = timers.iter().find(|t| t.rule == RuleCode::PromisedOverdue).expect("a yellow");
        prop_assert!(warning.due < yellow.due);
        prop_assert!(yellow.due > crate::clock::start_of_local_day(promised));
    }
}

#[test]
fn quarters_parse_and_bound_their_days() {
    let q = Quarter::parse("2026Q4").expect("valid");
    assert_eq!(
        (q.first_day(), q.end()),
        (date(2026, 10, 1), date(2027, 1, 1))
    );
    assert_eq!(Quarter::of(date(2026, 5, 31)).to_string(), "2026Q2");
    assert_eq!(
        Quarter::parse("2026q1").map(|q| q.end()),
        Ok(date(2026, 4, 1))
    );
    for bad in ["2026Q5", "2026", "Q4", "26Q1", "2026Q0"] {
        assert!(Quarter::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_grade_is_never_better_than_its_cards_allow() {
    let f = GradeFormula::default();
    // Nothing finished, a yellow and a red card: once graded 优秀 (91).
    let carded = QuarterFigures {
        yellow_cards: 2,
        red_cards: 1,
        ..Default::default()
    };
    match f.evaluate(&carded) {
        Verdict::Graded { score, grade, cap } => {
            assert_eq!(cap, Some(Cap::RedCard));
            assert_eq!(grade, Grade::Pass, "a red card holds the grade at 合格");
            assert!(
                score < f.good_from,
                "the score agrees with the grade: {score}"
            );
        }
        v => panic!("cards are something to judge: {v:?}"),
    }
    let yellow = QuarterFigures {
        completed: 10,
        on_time: 10,
        yellow_cards: 1,
        ..Default::default()
    };
    let v = f.evaluate(&yellow);
    assert_eq!(
        v.grade(),
        Some(Grade::Good),
        "a yellow card holds it at 良好"
    );
    assert_eq!(v.score(), Some(89.9));
    assert_eq!(v.cap(), Some(Cap::YellowCard));
    // A clean quarter is graded by its figures alone.
    let clean = QuarterFigures {
        completed: 10,
        on_time: 10,
        warnings: 3,
        ..Default::default()
    };
    assert_eq!(
        f.evaluate(&clean),
        Verdict::Graded {
            score: 99.4,
            grade: Grade::Excellent,
            cap: None
        }
    );
}

#[test]
fn a_quarter_with_nothing_to_judge_has_no_score() {
    let f = GradeFormula::default();
    assert_eq!(
        f.evaluate(&QuarterFigures::default()),
        Verdict::NothingToJudge
    );
    let reminded = QuarterFigures {
        warnings: 4,
        ..Default::default()
    };
    let v = f.evaluate(&reminded);
    assert_eq!(
        v,
        Verdict::NothingToJudge,
        "warnings alone are not a finding"
    );
    assert_eq!(v.score(), None);
    assert_eq!(v.name().zh, "本季度无可评价办件");
}

fn any_figures() -> impl Strategy<Value = QuarterFigures> {
    (
        0u64..50,
        0u64..50,
        0u64..20,
        0u64..5,
        0u64..4,
        0u64..6,
        0u64..30,
    )
        .prop_flat_map(
            |(completed, late, warnings, yellow_cards, red_cards, complaints, ratings)| {
                (0..=ratings * 5).prop_map(move |extra| QuarterFigures {
                    completed: completed + late,
                    on_time: completed,
                    warnings,
                    yellow_cards,
                    red_cards,
                    complaints,
                    ratings,
                    rating_sum: ratings + extra.min(ratings * 4),
                })
            },
        )
}

fn any_formula() -> impl Strategy<Value = GradeFormula> {
    (0u32..=200, 1u32..=60, 1u32..=40, 1u32..=40).prop_map(|(w, pass, good, excellent)| {
        let pass = f64::from(pass);
        let good = pass + f64::from(good) / 2.0;
        GradeFormula {
            on_time_weight: f64::from(w) / 2.0,
            satisfaction_weight: 100.0 - f64::from(w) / 2.0,
            pass_from: pass,
            good_from: good,
            excellent_from: (good + f64::from(excellent) / 2.0).min(100.0),
            ..GradeFormula::default()
        }
    })
}

proptest! {
    /// Whatever the figures and the formula: a grade is never better than
    /// the cards allow, the shown score is the one the grade follows from,
    /// and a quarter is unjudged exactly when there is nothing to judge.
    #[test]
    fn grades_agree_with_their_figures(f in any_figures(), formula in any_formula()) {
        prop_assume!(formula.validate().is_ok() && formula.excellent_from > formula.good_from);
        match formula.evaluate(&f) {
            Verdict::NothingToJudge => {
                prop_assert!(f.completed == 0 && f.ratings == 0 && f.yellow_cards == 0 && f.red_cards == 0 && f.complaints == 0);
            }
            Verdict::Graded { score, grade, cap } => {
                prop_assert!((0.0..=100.0).contains(&score));
                prop_assert_eq!(grade, formula.grade(score), "score {} shows another grade", score);
                prop_assert_eq!(cap, Cap::of(&f));
                if f.red_cards > 0 {
                    prop_assert!(grade >= Grade::Pass, "a red card graded {:?}", grade);
                } else if f.yellow_cards > 0 {
                    prop_assert!(grade >= Grade::Good, "a yellow card graded {:?}", grade);
                }
            }
        }
    }
}

#[test]
fn the_commands_a_signal_offers_are_the_ones_its_state_accepts() {
    use SignalState as S;
    assert_eq!(
        commands_allowed_in(S::Issued),
        ["respond", "escalate", "revoke"]
    );
    assert_eq!(
        commands_allowed_in(S::Responded),
        ["close", "escalate", "revoke"]
    );
    assert_eq!(commands_allowed_in(S::Escalated), ["respond", "revoke"]);
    assert!(commands_allowed_in(S::Closed).is_empty());
    assert!(commands_allowed_in(S::Revoked).is_empty());
    for rule in RuleCode::ALL {
        assert!(!rule.name().zh.is_empty() && !rule.name().en.is_empty());
    }
}
