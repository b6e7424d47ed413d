use std::collections::BTreeMap;

use jiff::civil::date;
use jiff::Timestamp;
use proptest::prelude::*;

use super::open311::{
    check_answers, check_definition, status, Attribute, AttributeValue, Datatype,
};
use super::*;
use crate::calendar::Calendar;

fn at(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

fn cal() -> Calendar {
    Calendar::shipped()
}

fn unit(code: &str) -> OrgCode {
    OrgCode::parse(code).expect("an org code")
}

fn run(t: &Ticket, c: Command, now: &str) -> Ticket {
    decide(t, &c, at(now), &cal()).unwrap_or_else(|r| panic!("{} refused: {r}", c.name()))
}

fn consultation() -> Limits {
    Limits::default_for(Urgency::Normal, RequestKind::Consultation)
}

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

#[test]
fn requests_alike_by_caller_or_by_place_and_time() {
    let base = Likeness {
        category: "water.leak",
        point: Some((30.2741, 120.1551)),
        address: None,
        caller: None,
        at: at("2026-11-02T01:00:00Z"),
    };
    let near = Likeness {
        point: Some((30.2745, 120.1553)),
        at: at("2026-11-03T01:00:00Z"),
        ..base.clone()
    };
    assert!(alike(&near, &base), "50 m and a day apart");
    let far = Likeness {
        point: Some((30.29, 120.1551)),
        ..near.clone()
    };
    assert!(!alike(&far, &base), "nearly 2 km apart");
    let later = Likeness {
        at: at("2026-11-06T01:00:00Z"),
        ..near.clone()
    };
    assert!(!alike(&later, &base), "outside the window");
    let other = Likeness {
        category: "road.pothole",
        ..near.clone()
    };
    assert!(!alike(&other, &base));
    let caller_a = Likeness {
        caller: Some("13800000000"),
        point: None,
        at: at("2026-11-20T01:00:00Z"),
        ..base.clone()
    };
    let caller_b = Likeness {
        caller: Some("13800000000"),
        ..base.clone()
    };
    assert!(
        alike(&caller_a, &caller_b),
        "the same caller on the same matter"
    );
    let by_address_a = Likeness {
        point: None,
        address: Some("文三路 100 号"),
        ..base.clone()
    };
    let by_address_b = Likeness {
        point: None,
        address: Some("文三路100号"),
        ..base.clone()
    };
    assert!(alike(&by_address_a, &by_address_b));
    assert!((distance_m((30.0, 120.0), (30.0, 120.0)) - 0.0).abs() < 1e-6);
}

fn attrs() -> Vec<Attribute> {
    vec![
        Attribute {
            code: "floor".into(),
            variable: true,
            datatype: Datatype::Number,
            required: false,
            datatype_description: String::new(),
            order: 1,
            description: "楼层".into(),
            description_en: String::new(),
            values: vec![],
        },
        Attribute {
            code: "kind".into(),
            variable: true,
            datatype: Datatype::Singlevaluelist,
            required: true,
            datatype_description: String::new(),
            order: 2,
            description: "类型".into(),
            description_en: String::new(),
            values: vec![
                AttributeValue {
                    key: "burst".into(),
                    name: "爆管".into(),
                    name_en: String::new(),
                },
                AttributeValue {
                    key: "leak".into(),
                    name: "渗漏".into(),
                    name_en: String::new(),
                },
            ],
        },
        Attribute {
            code: "since".into(),
            variable: true,
            datatype: Datatype::Datetime,
            required: false,
            datatype_description: String::new(),
            order: 3,
            description: "开始时间".into(),
            description_en: String::new(),
            values: vec![],
        },
    ]
}

fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        m.entry((*k).to_string())
            .or_default()
            .push((*v).to_string());
    }
    m
}

#[test]
fn open311_answers_are_checked_against_the_service_definition() {
    check_definition(&attrs()).expect("a good definition");
    let ok = check_answers(
        &attrs(),
        &given(&[
            ("kind", "burst"),
            ("floor", "3"),
            ("since", "2026-11-02T08:00:00+08:00"),
        ]),
    )
    .expect("good answers");
    assert_eq!(ok["kind"], vec!["burst"]);
    let r = check_answers(&attrs(), &given(&[("floor", "three")])).expect_err("bad answers");
    assert!(
        r.fields.contains_key("attribute[kind]"),
        "the required one is missing: {r:?}"
    );
    assert!(
        r.fields.contains_key("attribute[floor]"),
        "not a number: {r:?}"
    );
    let r = check_answers(&attrs(), &given(&[("kind", "flood")])).expect_err("not a key");
    assert!(r.fields.contains_key("attribute[kind]"));
    let r = check_answers(&attrs(), &given(&[("kind", "leak"), ("colour", "red")]))
        .expect_err("unknown");
    assert!(r.fields.contains_key("attribute[colour]"));
    let r = check_answers(&attrs(), &given(&[("kind", "leak"), ("kind", "burst")]))
        .expect_err("two values");
    assert!(r.fields.contains_key("attribute[kind]"));
    let r = check_answers(
        &attrs(),
        &given(&[("kind", "leak"), ("since", "yesterday")]),
    )
    .expect_err("no datetime");
    assert!(r.fields.contains_key("attribute[since]"));
    let mut bad = attrs();
    bad[1].values.clear();
    assert!(check_definition(&bad).is_err(), "a list with no values");
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
fn control_characters_are_refused_in_requests_and_in_commands_texts() {
    let r = check_request(&RequestText {
        description: "多行\n描述\t可以",
        address: Some("文三路\u{7}"),
        lines: vec![("name", "王\u{202e}五"), ("device_id", "a\nb")],
        ..Default::default()
    })
    .expect_err("faults");
    for field in ["address_string", "name", "device_id"] {
        assert!(r.fields.contains_key(field), "{field} is reported: {r:?}");
    }
    assert!(
        !r.fields.contains_key("description"),
        "line breaks and tabs are fine"
    );
    for bad in ["\u{0}", "\u{1b}[31m", "\u{85}", "\u{2066}"] {
        let c = Command::Urge {
            note: format!("快{bad}点"),
        };
        assert!(
            Command::texts(&c)
                .iter()
                .any(|(_, t)| !crate::refusal::is_clean_text(t)),
            "{bad:?} is unclean"
        );
    }
}

#[test]
fn a_new_request_is_checked_all_at_once() {
    let long = "字".repeat(4001);
    let r = check_request(&RequestText {
        description: &long,
        point: Some((10.0, 10.0)),
        phone: Some("abc"),
        email: Some("nobody"),
        media_url: Some("ftp://x"),
        ..Default::default()
    })
    .expect_err("faults");
    for field in ["description", "lat", "phone", "email", "media_url"] {
        assert!(r.fields.contains_key(field), "{field} is reported: {r:?}");
    }
    let ok = RequestText {
        description: "<script>alert(1)</script> 路灯不亮",
        point: Some((30.27, 120.15)),
        phone: Some("0571-96345"),
        email: Some("a@b.cn"),
        media_url: Some("https://x.cn/a.jpg"),
        address: None,
        lines: vec![("name", "王五")],
        channel: Some(Channel::Web),
    };
    check_request(&ok).expect("a good request, HTML and all: it is stored as given");
    assert_eq!(
        ticket_number(at("2026-12-31T17:00:00Z"), 42),
        "96345-2027-0000042"
    );
    assert_eq!(ticket_id("96345-2027-0000042"), Some(42));
    assert_eq!(ticket_id("96345-2027-12345678"), Some(12_345_678));
    for not_one in [
        "2026-330100-0000042",
        "96345-27-0000042",
        "96345-2027-",
        "96345-2027-00x1",
        "96345-2027-0000000",
    ] {
        assert_eq!(ticket_id(not_one), None, "{not_one}");
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

/// A ticket dispatched on 2 November, signed at `signed`, then answered,
/// approved and visited an hour apart each.
fn visited(l: Limits, signed: &str, satisfied: bool) -> Ticket {
    let hour = |n: i64| (at(signed) + jiff::SignedDuration::from_hours(n)).to_string();
    let t = Ticket::accepted(l, at("2026-11-02T01:00:00Z"));
    let lead = unit("330100-U01");
    let t = run(
        &t,
        Command::Dispatch {
            lead,
            assisting: vec![],
        },
        "2026-11-02T02:00:00Z",
    );
    let t = run(&t, Command::Sign, signed);
    let t = run(&t, Command::Answer { text: "好".into() }, &hour(1));
    let review = Command::ReviewAnswer {
        approve: true,
        note: String::new(),
    };
    let t = run(&t, review, &hour(2));
    run(
        &t,
        Command::Visit {
            satisfied,
            comment: String::new(),
        },
        &hour(3),
    )
}

/// Four tickets: one signed late and answered and visited satisfied, one
/// signed in time and visited unsatisfied, one never dispatched and overdue,
/// one merged (counted in its primary, not again).
#[test]
fn indicators_count_the_three_rates_and_what_is_overdue() {
    let l = consultation();
    let late = visited(l, "2026-11-04T02:00:00Z", true);
    assert_eq!(
        (late.signed_in_time, late.answered_in_time),
        (Some(false), Some(true))
    );
    let unhappy = visited(l, "2026-11-02T03:00:00Z", false);
    let waiting = Ticket::accepted(l, at("2026-11-02T01:00:00Z"));
    let merged = merge(&Ticket::accepted(l, at("2026-11-02T01:00:00Z"))).expect("open");
    let counted = [
        Counted {
            ticket: &late,
            unit: Some("330100-U01"),
            district: "330106",
            category: "water",
        },
        Counted {
            ticket: &unhappy,
            unit: Some("330100-U01"),
            district: "330106",
            category: "water",
        },
        Counted {
            ticket: &waiting,
            unit: None,
            district: "330102",
            category: "power",
        },
        Counted {
            ticket: &merged,
            unit: None,
            district: "330102",
            category: "power",
        },
    ];
    let table = indicators(counted, at("2026-11-10T00:00:00Z"));
    let all = &table.all;
    assert_eq!(
        (
            all.taken,
            all.signed,
            all.signed_in_time,
            all.closed,
            all.visits,
            all.satisfied,
            all.overdue
        ),
        (3, 2, 1, 1, 2, 1, 2)
    );
    assert_eq!(all.response_rate(), Some(0.5));
    assert_eq!(all.satisfaction_rate(), Some(0.5));
    assert!((all.resolution_rate().expect("some taken") - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(table.by_unit["330100-U01"].taken, 2);
    assert_eq!(
        table.by_district["330102"].overdue, 1,
        "the one never dispatched"
    );
    assert_eq!(
        table.by_category["power"].taken, 1,
        "the merged one is not counted again"
    );
    assert_eq!(
        Indicators::default().response_rate(),
        None,
        "no rate of nothing"
    );
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

#[test]
fn a_request_that_says_nothing_is_refused_on_every_channel_a_person_fills_in() {
    for channel in [Channel::Phone, Channel::Web, Channel::Kiosk, Channel::Tv] {
        for said in ["", "   ", "\n\t"] {
            let r = check_request(&RequestText {
                description: said,
                address: Some("文三路 100 号"),
                channel: Some(channel),
                ..Default::default()
            })
            .expect_err("an empty request");
            assert!(r.fields.contains_key("description"), "{r:?}");
            assert_eq!(r.fields["description"].en, "Say what the request is about");
        }
    }
    // GeoReport v2: a client's service code and place are a report.
    check_request(&RequestText {
        address: Some("文一路 2 号"),
        channel: Some(Channel::Open311),
        ..Default::default()
    })
    .expect("an Open311 request without words");
}

#[test]
fn a_question_and_its_refusal_speak_the_pages_language() {
    let mut a = attrs();
    a[1].description_en = "Kind".into();
    a[1].values[0].name_en = "Burst main".into();
    assert_eq!(a[1].question().en, "Kind");
    assert_eq!(a[1].values[0].label().en, "Burst main");
    assert_eq!(
        a[1].values[1].label().en,
        "渗漏",
        "no English: the Chinese name"
    );
    let r = check_answers(&a, &given(&[("floor", "three")])).expect_err("faults");
    assert_eq!(r.fields["attribute[kind]"].en, "Please answer: Kind");
    assert_eq!(r.fields["attribute[kind]"].zh, "请回答：类型");
    assert_eq!(r.fields["attribute[floor]"].en, "Give a number");
    let r = check_answers(&a, &given(&[("kind", "flood")])).expect_err("not a key");
    assert_eq!(
        r.fields["attribute[kind]"].en,
        "Choose one of the options given"
    );
    assert_eq!(
        TicketState::AwaitingVisit.label().en,
        "Awaiting the return visit"
    );
}
