//! Terminals rekeyed and retired.

use super::*;

#[test]
fn a_terminal_s_key_is_changed_and_a_retired_terminal_takes_nothing_more() {
    let (mut b, number) = books(1_000);
    b.take_effects();
    // A key that is not an ed25519 key, or the one in use, is refused.
    for bad in ["", "zz", &"ab".repeat(32)] {
        let e = b
            .change_terminal_key("V1", bad, 0, &clerk())
            .expect_err("not a key");
        assert!(e.fields.contains_key("public_key"), "{bad}: {e:?}");
    }
    let e = b
        .change_terminal_key("V1", &public_key(7).to_uppercase(), 0, &clerk())
        .expect_err("the same key");
    assert!(e.fields.contains_key("public_key"));
    let e = b
        .change_terminal_key("V9", &public_key(8), 0, &clerk())
        .expect_err("no such terminal");
    assert_eq!(e.kind, RefusalKind::NotFound);
    assert!(b.take_effects().is_empty(), "refusals change nothing");

    let t = b
        .change_terminal_key(
            "V1",
            &format!(" {} ", public_key(8).to_uppercase()),
            5,
            &clerk(),
        )
        .expect("a new key");
    assert_eq!(t.public_key, public_key(8));
    assert_eq!(
        b.terminal("V1").map(|t| t.public_key.clone()),
        Some(public_key(8))
    );

    // Retired: a reason is required, and from then on it takes nothing.
    for reason in ["", "  ", &"停".repeat(201)] {
        let e = b
            .retire_terminal("V1", reason, 9, &clerk())
            .expect_err("a reason");
        assert!(e.fields.contains_key("reason"));
    }
    let t = b
        .retire_terminal("V1", "被盗", 9, &clerk())
        .expect("retired");
    assert_eq!(t.retired_at, Some(9));
    assert!(!t.in_service());
    let e = b
        .retire_terminal("V1", "again", 10, &clerk())
        .expect_err("once");
    assert_eq!(e.kind, RefusalKind::Conflict);
    let e = b
        .change_terminal_key("V1", &public_key(9), 10, &clerk())
        .expect_err("a retired terminal keeps its key");
    assert_eq!(e.code, "terminal_retired");
    let e = b
        .upload("V1", vec![ride(1, &number, 10)], 10)
        .expect_err("a retired terminal's taps");
    assert_eq!(
        (e.kind, e.code),
        (RefusalKind::Forbidden, "terminal_retired")
    );
    assert_eq!(
        b.balances(card_id(&number).expect("id")).wallet,
        1_000,
        "nothing charged"
    );
    // Its sibling goes on.
    let (recs, _) = b
        .upload("V2", vec![ride(1, &number, 10)], 10)
        .expect("V2 takes taps");
    assert_eq!(outcomes(&recs), [TapOutcome::Charged]);

    let events: Vec<&str> = b
        .take_effects()
        .iter()
        .filter_map(|e| match e {
            Effect::Journal { entry, .. } => Some(entry.event_type),
            _ => None,
        })
        .collect();
    assert!(
        events.starts_with(&["card.terminal_key_changed", "card.terminal_retired"]),
        "{events:?}"
    );
    assert_eq!(
        b.terminals()
            .iter()
            .map(|t| (t.code.as_str(), t.in_service()))
            .collect::<Vec<_>>(),
        [("P1", true), ("V1", false), ("V2", true)]
    );
}

#[test]
fn a_retired_terminal_and_a_changed_key_are_kept_when_the_books_reopen() {
    let (mut b, _) = books(0);
    b.change_terminal_key("V1", &public_key(8), 1, &clerk())
        .expect("new key");
    b.retire_terminal("P1", "商户退出", 2, &clerk())
        .expect("retired");
    let again = reopened(&mut b);
    assert_eq!(
        again.terminal("V1").map(|t| t.public_key.clone()),
        Some(public_key(8))
    );
    assert_eq!(again.terminal("P1").and_then(|t| t.retired_at), Some(2));
    assert_eq!(
        again
            .serving_terminal("P1")
            .map(|t| t.code.clone())
            .map_err(|e| e.code),
        Err("terminal_retired")
    );
}
