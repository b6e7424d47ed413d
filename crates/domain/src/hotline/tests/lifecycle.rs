//! A ticket's life: each stage, its clocks and the refusals on the way.

use super::*;

#[test]
fn default_limits_follow_the_domain_facts() {
    let e = Limits::default_for(Urgency::Emergency, RequestKind::Help);
    assert_eq!((e.dispatch_hours, e.answer_days), (1, 3));
    let u = Limits::default_for(Urgency::Utility, RequestKind::Consultation);
    assert_eq!(u.dispatch_hours, 2);
    let c = Limits::default_for(Urgency::Normal, RequestKind::Complaint);
    assert_eq!((c.dispatch_hours, c.answer_days), (24, 15));
    assert!(Limits {
        dispatch_hours: 0,
        sign_hours: 1,
        answer_days: 3
    }
    .check()
    .is_err());
    assert!(c.check().is_ok());
}

/// 受理 → 派单 → 签收 → 办结反馈 → 审核 → 回访 (satisfied) → 归档, with each
/// clock set when its stage begins and cleared when it ends.
#[test]
fn a_ticket_goes_through_every_stage_to_the_archive() {
    let t = Ticket::accepted(consultation(), at("2026-11-02T01:00:00Z"));
    assert_eq!(
        t.next_deadline(),
        Some(to_micros(at("2026-11-03T01:00:00Z")))
    );
    let t = run(
        &t,
        Command::Dispatch {
            lead: unit("330100-U01"),
            assisting: vec![unit("330106")],
        },
        "2026-11-02T02:00:00Z",
    );
    assert_eq!(t.state, TicketState::Dispatched);
    assert_eq!(t.sign_due, Some(to_micros(at("2026-11-03T02:00:00Z"))));
    assert_eq!(t.return_until, Some(date(2026, 11, 3)));
    let t = run(&t, Command::Sign, "2026-11-02T03:00:00Z");
    // Monday + 3 working days.
    assert_eq!(t.answer_due, Some(date(2026, 11, 5)));
    let t = run(
        &t,
        Command::Answer {
            text: "已修复".into(),
        },
        "2026-11-04T03:00:00Z",
    );
    assert_eq!(t.state, TicketState::Answered);
    let t = run(
        &t,
        Command::ReviewAnswer {
            approve: true,
            note: String::new(),
        },
        "2026-11-04T04:00:00Z",
    );
    assert_eq!(t.state, TicketState::AwaitingVisit);
    assert_eq!(t.next_deadline(), None);
    let t = run(
        &t,
        Command::Visit {
            satisfied: true,
            comment: String::new(),
        },
        "2026-11-05T04:00:00Z",
    );
    assert_eq!(t.state, TicketState::Archived);
    assert_eq!(status(t.state), "closed");
    let refused = decide(&t, &Command::Sign, at("2026-11-06T00:00:00Z"), &cal());
    assert!(refused.is_err(), "an archived ticket takes no commands");
}

#[test]
fn a_direct_answer_closes_at_once_but_needs_an_answer() {
    let t = Ticket::accepted(consultation(), at("2026-11-02T01:00:00Z"));
    assert!(decide(
        &t,
        &Command::AnswerDirectly {
            answer: "  ".into()
        },
        at("2026-11-02T01:01:00Z"),
        &cal()
    )
    .is_err());
    let t = run(
        &t,
        Command::AnswerDirectly {
            answer: "办理地点在市民中心".into(),
        },
        "2026-11-02T01:01:00Z",
    );
    assert_eq!(t.state, TicketState::Archived);
    assert_eq!(t.next_deadline(), None);
}

/// A return must come within one working day of the dispatch: dispatched on
/// Wednesday 30 September 2026, before the National Day week (1–7 October
/// off), the next working day is Thursday 8 October, its last day.
#[test]
fn a_return_comes_within_one_working_day_counted_over_the_holiday() {
    let t = Ticket::accepted(consultation(), at("2026-09-30T01:00:00Z"));
    let t = run(
        &t,
        Command::Dispatch {
            lead: unit("330100-001"),
            assisting: vec![],
        },
        "2026-09-30T02:00:00Z",
    );
    let last = t.return_until.expect("a return limit");
    assert_eq!(last, date(2026, 10, 8), "the holiday week does not count");
    let in_time = run(
        &t,
        Command::Return {
            reason: "不属本单位职责".into(),
        },
        "2026-10-05T02:00:00Z",
    );
    assert_eq!(in_time.state, TicketState::ReturnRequested);
    let late = decide(
        &t,
        &Command::Return {
            reason: "不属本单位职责".into(),
        },
        at("2026-10-20T02:00:00Z"),
        &cal(),
    );
    assert!(late.is_err(), "a return after the limit is refused");
    // The hotline agrees: the ticket waits to be dispatched again (改派), and
    // the next dispatch counts as a re-dispatch.
    let back = run(
        &in_time,
        Command::ReviewReturn {
            approve: true,
            note: String::new(),
        },
        "2026-10-09T02:00:00Z",
    );
    assert_eq!(back.state, TicketState::Accepted);
    assert!(back.dispatch_due.is_some());
    let again = run(
        &back,
        Command::Dispatch {
            lead: unit("330100-002"),
            assisting: vec![],
        },
        "2026-10-09T03:00:00Z",
    );
    assert_eq!(again.redispatches, 1);
    assert!(decide(
        &back,
        &Command::AnswerDirectly { answer: "x".into() },
        at("2026-10-09T03:00:00Z"),
        &cal()
    )
    .is_err());
}

#[test]
fn a_refused_return_leaves_the_unit_handling_it_on_a_running_clock() {
    let t = Ticket::accepted(consultation(), at("2026-11-02T01:00:00Z"));
    let t = run(
        &t,
        Command::Dispatch {
            lead: unit("330100-001"),
            assisting: vec![],
        },
        "2026-11-02T02:00:00Z",
    );
    let t = run(
        &t,
        Command::Return {
            reason: "不是我们的".into(),
        },
        "2026-11-02T03:00:00Z",
    );
    let t = run(
        &t,
        Command::ReviewReturn {
            approve: false,
            note: "属本单位职责".into(),
        },
        "2026-11-02T04:00:00Z",
    );
    assert_eq!(t.state, TicketState::Signed);
    assert_eq!(t.answer_due, Some(date(2026, 11, 5)));
}

#[test]
fn an_extension_is_granted_once_and_adds_working_days_to_the_due_day() {
    let t = Ticket::accepted(consultation(), at("2026-11-02T01:00:00Z"));
    let t = run(
        &t,
        Command::Dispatch {
            lead: unit("330100-001"),
            assisting: vec![],
        },
        "2026-11-02T02:00:00Z",
    );
    let t = run(&t, Command::Sign, "2026-11-02T03:00:00Z");
    assert!(decide(
        &t,
        &Command::RequestExtension {
            days: 16,
            reason: "需现场勘查".into()
        },
        at("2026-11-03T00:00:00Z"),
        &cal()
    )
    .is_err());
    let t = run(
        &t,
        Command::RequestExtension {
            days: 2,
            reason: "需现场勘查".into(),
        },
        "2026-11-03T00:00:00Z",
    );
    assert_eq!(t.state, TicketState::ExtensionRequested);
    let t = run(
        &t,
        Command::ReviewExtension {
            approve: true,
            note: String::new(),
        },
        "2026-11-03T01:00:00Z",
    );
    // Thursday 5 November + 2 working days = Monday 9 November.
    assert_eq!(t.answer_due, Some(date(2026, 11, 9)));
    assert!(decide(
        &t,
        &Command::RequestExtension {
            days: 1,
            reason: "再延".into()
        },
        at("2026-11-04T00:00:00Z"),
        &cal()
    )
    .is_err());
}

#[test]
fn an_unsatisfied_visit_sends_it_back_to_be_done_again_and_it_cannot_then_be_returned() {
    let t = Ticket::accepted(consultation(), at("2026-11-02T01:00:00Z"));
    let t = run(
        &t,
        Command::Dispatch {
            lead: unit("330100-001"),
            assisting: vec![],
        },
        "2026-11-02T02:00:00Z",
    );
    let t = run(&t, Command::Sign, "2026-11-02T03:00:00Z");
    let t = run(
        &t,
        Command::Answer {
            text: "已处理".into(),
        },
        "2026-11-02T04:00:00Z",
    );
    let rejected = decide(
        &t,
        &Command::ReviewAnswer {
            approve: false,
            note: String::new(),
        },
        at("2026-11-02T05:00:00Z"),
        &cal(),
    );
    assert!(rejected.is_err(), "sending an answer back needs a reason");
    let t = run(
        &t,
        Command::ReviewAnswer {
            approve: true,
            note: String::new(),
        },
        "2026-11-02T05:00:00Z",
    );
    let t = run(
        &t,
        Command::Visit {
            satisfied: false,
            comment: "没有解决".into(),
        },
        "2026-11-03T05:00:00Z",
    );
    assert_eq!(
        (t.state, t.redos, t.satisfied),
        (TicketState::Signed, 1, Some(false))
    );
    assert_eq!(t.answer_due, Some(date(2026, 11, 6)));
    assert!(decide(
        &t,
        &Command::Return { reason: "x".into() },
        at("2026-11-03T06:00:00Z"),
        &cal()
    )
    .is_err());
}

#[test]
fn urging_counts_and_escalates_from_the_second_time() {
    let t = Ticket::accepted(consultation(), at("2026-11-02T01:00:00Z"));
    let t = run(
        &t,
        Command::Urge {
            note: "请尽快派单".into(),
        },
        "2026-11-02T01:30:00Z",
    );
    assert!(!escalated(t.urges));
    let t = run(
        &t,
        Command::Urge {
            note: "群众再次来电".into(),
        },
        "2026-11-02T02:30:00Z",
    );
    assert!(escalated(t.urges));
    assert_eq!(t.state, TicketState::Accepted);
}

#[test]
fn overdue_is_past_the_running_limit() {
    let t = Ticket::accepted(
        Limits::default_for(Urgency::Emergency, RequestKind::Help),
        at("2026-11-02T01:00:00Z"),
    );
    assert!(!t.is_overdue(at("2026-11-02T01:59:00Z")));
    assert!(t.is_overdue(at("2026-11-02T02:00:01Z")));
}

fn command() -> impl Strategy<Value = Command> {
    let u = prop_oneof![
        Just(unit("330100-001")),
        Just(unit("330100-U01")),
        Just(unit("330106"))
    ];
    prop_oneof![
        Just(Command::AnswerDirectly {
            answer: "答复".into()
        }),
        (u.clone(), proptest::collection::vec(u, 0..2))
            .prop_map(|(lead, assisting)| Command::Dispatch { lead, assisting }),
        Just(Command::Sign),
        Just(Command::Return {
            reason: "非本单位".into()
        }),
        any::<bool>().prop_map(|approve| Command::ReviewReturn {
            approve,
            note: "意见".into()
        }),
        (0u32..20).prop_map(|days| Command::RequestExtension {
            days,
            reason: "需要时间".into()
        }),
        any::<bool>().prop_map(|approve| Command::ReviewExtension {
            approve,
            note: String::new()
        }),
        Just(Command::Answer {
            text: "已办理".into()
        }),
        any::<bool>().prop_map(|approve| Command::ReviewAnswer {
            approve,
            note: "不完整".into()
        }),
        any::<bool>().prop_map(|satisfied| Command::Visit {
            satisfied,
            comment: String::new()
        }),
        Just(Command::Urge {
            note: "催办".into()
        }),
    ]
}

proptest! {
    /// Whatever commands come, in whatever order and at whatever pace, a
    /// ticket's clocks match its state: waiting to be dispatched it has a
    /// dispatch limit, with the unit it has a lead unit and its limit,
    /// handled it has an answer day; one extension at most; final is final.
    #[test]
    fn no_command_sequence_reaches_an_illegal_ticket(commands in proptest::collection::vec((command(), 0i64..72), 1..40)) {
        let calendar = cal();
        let mut now = at("2026-03-02T01:00:00Z");
        let mut t = Ticket::accepted(consultation(), now);
        let mut extensions = 0;
        for (c, hours) in commands {
            now = now.saturating_add(jiff::SignedDuration::from_hours(hours)).expect("in range");
            let before = t.clone();
            match decide(&t, &c, now, &calendar) {
                Ok(next) => {
                    prop_assert!(!before.state.is_final() || matches!(c, Command::Urge { .. }), "a final ticket changed");
                    if next.extended && !before.extended { extensions += 1; }
                    t = next;
                }
                Err(_) => prop_assert_eq!(&t, &before),
            }
            match t.state {
                TicketState::Accepted => prop_assert!(t.dispatch_due.is_some()),
                TicketState::Dispatched => prop_assert!(t.lead.is_some() && t.sign_due.is_some()),
                TicketState::Signed | TicketState::ExtensionRequested => prop_assert!(t.lead.is_some() && t.answer_due.is_some()),
                _ => {}
            }
            prop_assert_eq!(t.state == TicketState::ExtensionRequested, t.pending_extension.is_some());
            if let Some(lead) = &t.lead { prop_assert!(!t.assisting.contains(lead)); }
            prop_assert!(extensions <= t.redispatches + 1);
        }
    }
}

#[test]
fn merging_takes_an_open_ticket_and_its_primary_closes_it() {
    let t = Ticket::accepted(consultation(), at("2026-11-02T01:00:00Z"));
    let m = merge(&t).expect("open");
    assert_eq!((m.state, m.next_deadline()), (TicketState::Merged, None));
    assert!(merge(&m).is_err());
    assert_eq!(close_merged(&m).state, TicketState::Archived);
}

#[test]
fn the_forms_offered_are_exactly_what_decide_allows() {
    let available = |t: &Ticket, now| -> Vec<&str> {
        available(t, now, &cal())
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    };
    let t = Ticket::accepted(consultation(), at("2026-11-02T01:00:00Z"));
    let now = at("2026-11-02T02:00:00Z");
    assert_eq!(available(&t, now), ["answer_directly", "dispatch", "urge"]);
    let t = run(
        &t,
        Command::Dispatch {
            lead: unit("330100-001"),
            assisting: vec![],
        },
        "2026-11-02T02:00:00Z",
    );
    assert_eq!(available(&t, now), ["sign", "return", "urge"]);
    // A week later the return is too late; signing is still possible.
    assert_eq!(available(&t, at("2026-11-09T02:00:00Z")), ["sign", "urge"]);
}
