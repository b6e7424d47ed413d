//! Rides, purchases and offline uploads: what a tap is charged.

use super::*;

#[test]
fn a_ride_costs_91_percent_rounded_half_up_and_a_double_tap_is_not_charged() {
    let (mut b, number) = books(1_000);
    let (recs, gaps) = b
        .upload(
            "V1",
            vec![
                ride(1, &number, 0),
                ride(2, &number, 3 * SECOND),
                ride(3, &number, 200 * 60 * SECOND),
            ],
            0,
        )
        .expect("uploaded");
    assert!(gaps.is_empty());
    assert_eq!(
        outcomes(&recs),
        [
            TapOutcome::Charged,
            TapOutcome::DoubleTap,
            TapOutcome::Charged
        ]
    );
    assert_eq!(
        (recs[0].full, recs[0].charged),
        (150, 137),
        "136.5 rounds up"
    );
    // On another vehicle within 90 minutes: a free transfer.
    let (recs, _) = b
        .upload("V2", vec![ride(1, &number, 201 * 60 * SECOND)], 0)
        .expect("uploaded");
    assert_eq!(
        (recs[0].outcome, recs[0].product.as_str()),
        (TapOutcome::Free, "transfer")
    );
    let id = card_id(&number).expect("id");
    assert_eq!(b.balances(id).wallet, 1_000 - 2 * 137);
    let takings = b.ledger.account(takings_of(1)).expect("takings").balance();
    assert_eq!(
        takings,
        2 * 137,
        "the operator's takings tie out to the taps"
    );
    assert_sound(&mut b);
}

#[test]
fn offline_batches_with_repeats_gaps_and_late_arrivals() {
    let (mut b, number) = books(10_000);
    let (recs, gaps) = b
        .upload(
            "V1",
            vec![
                ride(5, &number, 500 * 60 * SECOND),
                ride(1, &number, 100 * 60 * SECOND),
                ride(2, &number, 200 * 60 * SECOND),
            ],
            0,
        )
        .expect("uploaded");
    assert_eq!(
        recs.iter().map(|r| r.seq).collect::<Vec<_>>(),
        [1, 2, 5],
        "in order"
    );
    assert_eq!(gaps, [3, 4]);
    // The same batch again: nothing charged twice.
    let (recs, _) = b
        .upload(
            "V1",
            vec![ride(1, &number, 100 * 60 * SECOND), ride(2, &number, 0)],
            0,
        )
        .expect("uploaded");
    assert_eq!(outcomes(&recs), [TapOutcome::Repeat, TapOutcome::Repeat]);
    // The missing ones arrive late.
    let (recs, gaps) = b
        .upload(
            "V1",
            vec![
                ride(4, &number, 400 * 60 * SECOND),
                ride(3, &number, 300 * 60 * SECOND),
            ],
            0,
        )
        .expect("uploaded");
    assert_eq!(outcomes(&recs), [TapOutcome::Charged, TapOutcome::Charged]);
    assert!(gaps.is_empty());
    let id = card_id(&number).expect("id");
    assert_eq!(b.balances(id).wallet, 10_000 - 5 * 137);
    let stored = b
        .take_effects()
        .into_iter()
        .filter(|e| matches!(e, Effect::Tap(..)))
        .count();
    assert_eq!(stored, 5, "a repeat is not recorded again");
    assert!(b.upload("V9", vec![], 0).is_err(), "an unknown terminal");
    // A sequence number of 0 or past 2⁵³ − 1 is malformed: recorded as
    // rejected, charged nothing, and leaves no gap behind it.
    let past = crate::decimal_u64::MAX_EXACT + 1;
    let (recs, gaps) = b
        .upload(
            "V1",
            vec![ride(0, &number, 0), ride(past, &number, 600 * 60 * SECOND)],
            0,
        )
        .expect("uploaded");
    assert_eq!(
        outcomes(&recs),
        [TapOutcome::Rejected, TapOutcome::Rejected]
    );
    assert!(recs.iter().all(|r| r.charged == 0));
    assert!(gaps.is_empty(), "{gaps:?}");
    assert_eq!(b.balances(id).wallet, 10_000 - 5 * 137);
    assert_sound(&mut b);
}

#[test]
fn a_lost_card_is_denied_at_once_and_its_taps_recorded_unpaid() {
    let (mut b, number) = books(1_000);
    let v0 = b.deny_version();
    b.command(&number, &CardCommand::ReportLoss, SECOND, &clerk())
        .expect("reported");
    assert_eq!(
        b.deny_changes(v0),
        [DenyChange {
            version: v0 + 1,
            card: number.clone(),
            reason: Some("lost".into())
        }]
    );
    assert!(b.deny_list().contains(&(number.clone(), "lost".into())));
    let (recs, _) = b
        .upload(
            "V1",
            vec![ride(1, &number, 2 * SECOND), ride(2, "3301999999990", 0)],
            0,
        )
        .expect("uploaded");
    assert_eq!(
        outcomes(&recs),
        [TapOutcome::Blocked, TapOutcome::UnknownCard]
    );
    assert_eq!(recs[0].charged, 0);
    b.command(&number, &CardCommand::CancelLoss, 3 * SECOND, &clerk())
        .expect("found again");
    assert_eq!(b.deny_changes(v0 + 1)[0].reason, None, "off the list");
    assert!(b.deny_list().is_empty());
}

#[test]
fn an_offline_tap_may_overdraw_a_little_and_the_card_owes_until_topped_up() {
    let (mut b, number) = books(0);
    let id = card_id(&number).expect("id");
    let (recs, _) = b
        .upload("V1", vec![ride(1, &number, 0)], 0)
        .expect("uploaded");
    assert_eq!(recs[0].outcome, TapOutcome::Overdrawn);
    assert_eq!(
        b.balances(id),
        Balances {
            wallet: 0,
            account: 0,
            owed: 137,
            medical: 0,
        }
    );
    assert_eq!(b.deny_list(), [(number.clone(), "owed".to_string())]);
    let (recs, _) = b
        .upload("V2", vec![ride(1, &number, 3_600 * SECOND)], 0)
        .expect("uploaded");
    assert_eq!(recs[0].outcome, TapOutcome::Blocked, "owing: denied");
    b.top_up(&number, Purse::Wallet, 1_000, 20, 0)
        .expect("a top-up repays first");
    assert_eq!(
        b.balances(id),
        Balances {
            wallet: 1_000 - 137,
            account: 0,
            owed: 0,
            medical: 0,
        }
    );
    assert!(b.deny_list().is_empty());
    // Past the offline rule: recorded, unpaid.
    let mut b2 = books(0).0;
    b2.rules.offline_overdraft = 100;
    let (recs, _) = b2
        .upload("V1", vec![ride(1, &number, 0)], 0)
        .expect("uploaded");
    assert_eq!(recs[0].outcome, TapOutcome::Unpaid);
    assert_sound(&mut b);
}

#[test]
fn a_merchant_takes_its_share_from_the_purse_it_accepts() {
    let (mut b, number) = books(1_000);
    let buy = |seq, amount, purse| TapInput {
        amount,
        purse: Some(purse),
        ..ride(seq, &number, seq as i64 * 60 * SECOND)
    };
    let (recs, _) = b
        .upload(
            "P1",
            vec![
                buy(1, 1_000, Purse::Wallet),
                buy(2, 1_000, Purse::Account),
                buy(3, 0, Purse::Wallet),
            ],
            0,
        )
        .expect("uploaded");
    assert_eq!(
        outcomes(&recs),
        [
            TapOutcome::Charged,
            TapOutcome::Unpaid,
            TapOutcome::Rejected
        ]
    );
    assert_eq!(
        (recs[0].full, recs[0].charged),
        (1_000, 900),
        "parking 10% off"
    );
    assert_sound(&mut b);
}

#[test]
fn a_late_upload_of_an_older_tap_does_not_change_the_next_transfer() {
    let (mut b, number) = books(10_000);
    let hour = 3_600 * SECOND;
    b.upload("V1", vec![ride(1, &number, 10 * hour)], 0)
        .expect("a ride at ten");
    let (late, _) = b
        .upload("V2", vec![ride(1, &number, 5 * hour)], 0)
        .expect("the morning's ride, uploaded late");
    assert_eq!(late[0].outcome, TapOutcome::Charged);
    let (recs, _) = b
        .upload(
            "V2",
            vec![ride(2, &number, 10 * hour + 30 * 60 * SECOND)],
            0,
        )
        .expect("half an hour after ten");
    assert_eq!(
        recs[0].outcome,
        TapOutcome::Free,
        "a transfer from the ten o'clock ride"
    );
}

#[test]
fn a_cards_taps_are_chained_newest_first_in_an_order_the_rows_give_again() {
    let (mut b, number) = books(10_000);
    let id = card_id(&number).expect("id");
    // One batch: V2's tap comes first but its moment is later than V1's two.
    b.upload("V2", vec![ride(1, &number, 300 * 60 * SECOND)], 10)
        .expect("uploaded");
    b.upload(
        "V1",
        vec![
            ride(2, &number, 100 * 60 * SECOND),
            ride(1, &number, 50 * 60 * SECOND),
        ],
        10,
    )
    .expect("uploaded");
    let links = |b: &mut Book| -> Vec<(String, u64, Option<TapKey>)> {
        b.take_effects()
            .into_iter()
            .filter_map(|e| match e {
                Effect::Tap(t, prev) => Some((t.terminal, t.seq, prev)),
                _ => None,
            })
            .collect()
    };
    let key = |t: &str, seq| TapKey {
        terminal: t.into(),
        seq,
    };
    let mut first = links(&mut b);
    first.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    assert_eq!(
        first,
        [
            ("V1".into(), 1, None),
            ("V1".into(), 2, Some(key("V1", 1))),
            ("V2".into(), 1, Some(key("V1", 2))),
        ],
        "by moment within the batch"
    );
    // A later batch: an older moment still comes after, by the batch.
    b.upload("V1", vec![ride(3, &number, 60 * 60 * SECOND)], 20)
        .expect("uploaded");
    assert_eq!(
        links(&mut b),
        [("V1".into(), 3, Some(key("V2", 1)))],
        "by batch first"
    );
    assert_eq!(b.newest_tap(id), Some(&key("V1", 3)));
    // An unknown card's number that is no card's is not chained.
    b.upload("V1", vec![ride(4, "not a card", 61 * 60 * SECOND)], 30)
        .expect("uploaded");
    assert_eq!(links(&mut b), [("V1".into(), 4, None)]);
    // Nor is a well-formed number no card was issued with.
    let never = card_number(999);
    b.upload("V1", vec![ride(5, &never, 62 * 60 * SECOND)], 40)
        .expect("uploaded");
    assert_eq!(links(&mut b), [("V1".into(), 5, None)]);
    assert_eq!(b.newest_tap(card_id(&never).expect("well-formed")), None);
}

#[test]
fn books_replayed_whole_find_each_cards_newest_tap_again() {
    let (mut b, number) = books(10_000);
    b.upload("V2", vec![ride(1, &number, 300 * 60 * SECOND)], 10)
        .expect("uploaded");
    b.upload("V1", vec![ride(1, &number, 50 * 60 * SECOND)], 10)
        .expect("uploaded");
    b.upload("V1", vec![ride(2, &number, 20 * 60 * SECOND)], 20)
        .expect("uploaded");
    let id = card_id(&number).expect("id");
    // The books link a batch's taps as its effects are taken to be stored.
    let again = reopened(&mut b);
    let newest = b.newest_tap(id);
    assert_eq!(
        newest.map(|k| (k.terminal.as_str(), k.seq)),
        Some(("V1", 2))
    );
    assert_eq!(again.newest_tap(id), newest);
}

#[test]
fn an_images_newest_taps_are_proven_against_the_taps_stored_up_to_it() {
    let (mut b, number) = books(10_000);
    let (mut recs, _) = b
        .upload(
            "V1",
            vec![
                ride(1, &number, 50 * 60 * SECOND),
                ride(2, &number, 60 * 60 * SECOND),
            ],
            10,
        )
        .expect("uploaded");
    let (later, _) = b
        .upload("V2", vec![ride(1, &number, 20 * 60 * SECOND)], 20)
        .expect("uploaded");
    recs.extend(later);
    b.take_effects();
    let held = b.image(1, 20).heads;
    assert_eq!(held.len(), 1);
    let offered = |upto: i64| {
        let mut newest = NewestTaps::default();
        for r in recs.iter().filter(|r| r.applied_at <= upto) {
            newest.offer(r);
        }
        newest
    };
    let all = offered(20);
    assert_eq!(all.first_difference(&held), None);
    // The taps stored up to an earlier moment end the chain elsewhere.
    let early = offered(10).first_difference(&held);
    assert!(
        early.as_deref().is_some_and(|d| d.contains("V1 #2")),
        "{early:?}"
    );
    // A head the taps never reached, and a card's head left out.
    let mut extra = held.clone();
    extra.push((u64::MAX, "V9".into(), 1));
    assert!(all.first_difference(&extra).is_some());
    assert!(all.first_difference(&[]).is_some());
    assert!(offered(0).first_difference(&held).is_some());
}
