//! The three rates and what is overdue.

use super::*;

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
