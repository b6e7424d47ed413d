//! Day settlement and merchant refunds.

use super::*;

#[test]
fn a_day_is_settled_once_after_it_ends_and_ties_out_to_its_taps() {
    let (mut b, number) = books(10_000);
    let (recs, _) = b
        .upload(
            "V1",
            vec![ride(1, &number, 0), ride(2, &number, 200 * 60 * SECOND)],
            0,
        )
        .expect("uploaded");
    let tapped: i64 = recs.iter().map(|r| r.charged).sum();
    let day = jiff::civil::date(1970, 1, 1);
    let (_, end) = day_bounds(day);
    let e = b.settle(day, end - 1, &clerk()).expect_err("not over yet");
    assert_eq!(e.code, "day_not_over");
    let rows = b.settle(day, end, &clerk()).expect("settled");
    let bus = rows.iter().find(|r| r.party == 1).expect("the operator");
    assert_eq!((bus.takings, bus.count, bus.net), (tapped, 2, tapped));
    assert_ne!(bus.transfer, 0);
    assert_eq!(
        b.ledger.account(takings_of(1)).map(Account::balance),
        Some(0),
        "paid out"
    );
    assert_eq!(
        b.ledger.account(SETTLED_ACCOUNT).map(Account::balance),
        Some(tapped)
    );
    assert_eq!(
        b.settle(day, end, &clerk()).expect_err("once").code,
        "already_settled"
    );
    assert!(b
        .take_effects()
        .iter()
        .any(|e| matches!(e, Effect::Settlement(s) if s.party == 1)));
    assert_sound(&mut b);
}

#[test]
fn a_merchant_refunds_a_purchase_once_at_most_what_was_paid() {
    let (mut b, number) = books(5_000);
    let id = card_id(&number).expect("id");
    let buy = TapInput {
        amount: 1_000,
        purse: Some(Purse::Wallet),
        ..ride(1, &number, 0)
    };
    let (recs, _) = b.upload("P1", vec![buy], 0).expect("bought");
    let purchase = recs[0].transfer;
    assert_eq!(recs[0].charged, 900);
    let refund = |seq: u64, of: u64, amount: i64| TapInput {
        amount,
        refund_of: Some(of),
        ..ride(seq, &number, 1)
    };
    let (recs, _) = b
        .upload(
            "P1",
            vec![
                refund(2, purchase, 901),
                refund(3, purchase, 500),
                refund(4, purchase, 100),
            ],
            0,
        )
        .expect("uploaded");
    assert_eq!(
        outcomes(&recs),
        [
            TapOutcome::Rejected,
            TapOutcome::Refunded,
            TapOutcome::Repeat
        ],
        "more than was paid; a refund; a second refund of it"
    );
    assert_eq!(b.balances(id).wallet, 5_000 - 900 + 500);
    let (rides, _) = b
        .upload("V1", vec![ride(1, &number, 0)], 0)
        .expect("a ride");
    let (recs, _) = b
        .upload("P1", vec![refund(5, rides[0].transfer, 10)], 0)
        .expect("uploaded");
    assert_eq!(
        recs[0].outcome,
        TapOutcome::Rejected,
        "not this merchant's purchase"
    );
    let day = b.day_takings(jiff::civil::date(1970, 1, 1));
    assert_eq!(
        day.get(&2).map(|d| (d.takings, d.refunds)),
        Some((900, 500))
    );
    assert_sound(&mut b);
}

#[test]
fn refunds_keep_working_after_a_restart() {
    let (mut b, number) = books(5_000);
    let buy = |seq: u64| TapInput {
        amount: 1_000,
        purse: Some(Purse::Wallet),
        ..ride(seq, &number, seq as i64 * 60 * SECOND)
    };
    let refund = |seq: u64, of: u64| TapInput {
        amount: 100,
        refund_of: Some(of),
        ..ride(seq, &number, seq as i64 * 60 * SECOND)
    };
    let (first, _) = b.upload("P1", vec![buy(1), buy(2)], 0).expect("bought");
    let (recs, _) = b
        .upload("P1", vec![refund(3, first[0].transfer)], 0)
        .expect("refunded");
    assert_eq!(recs[0].outcome, TapOutcome::Refunded);
    let mut again = reopened(&mut b);
    let (later, _) = again
        .upload("P1", vec![buy(4)], 0)
        .expect("bought after the restart");
    assert_eq!(later[0].outcome, TapOutcome::Charged);
    let (recs, _) = again
        .upload(
            "P1",
            vec![refund(5, later[0].transfer), refund(6, first[1].transfer)],
            0,
        )
        .expect("refunded");
    assert_eq!(
        outcomes(&recs),
        [TapOutcome::Refunded, TapOutcome::Refunded],
        "a purchase after the restart, and one before it"
    );
    // The books' own ids go on without meeting a refund's.
    again
        .top_up(&number, Purse::Account, 2_000, 99, 0)
        .expect("a top-up");
    again
        .command(&number, &CardCommand::Cancel, 0, &clerk())
        .expect("cancelled");
    assert_sound(&mut again);
}

#[test]
fn a_day_of_refunds_is_recovered_from_the_next_payouts_not_paid_twice() {
    let (mut b, number) = books(10_000);
    let day = |d: i8| jiff::civil::date(1970, 1, d);
    let at = |d: i8| day_bounds(day(d)).0 + 3_600 * SECOND;
    let buy = TapInput {
        amount: 1_000,
        purse: Some(Purse::Wallet),
        ..ride(1, &number, 0)
    };
    let (bought, _) = b.upload("P1", vec![buy], at(1)).expect("day 1");
    b.settle(day(1), at(2), &clerk()).expect("day 1 settled");
    let refund = TapInput {
        amount: 900,
        refund_of: Some(bought[0].transfer),
        ..ride(2, &number, 0)
    };
    b.upload("P1", vec![refund], at(2))
        .expect("day 2: refunded");
    let rows = b.settle(day(2), at(3), &clerk()).expect("day 2 settled");
    assert_eq!(rows.iter().find(|r| r.party == 2).map(|r| r.net), Some(0));
    let again = TapInput {
        amount: 1_000,
        purse: Some(Purse::Wallet),
        ..ride(3, &number, at(3))
    };
    b.upload("P1", vec![again], at(3)).expect("day 3");
    let rows = b.settle(day(3), at(4), &clerk()).expect("day 3 settled");
    assert_eq!(
        rows.iter().find(|r| r.party == 2).map(|r| r.net),
        Some(0),
        "day 3's 900 makes up day 2's refund"
    );
    assert_eq!(
        b.ledger.account(takings_of(2)).map(Account::balance),
        Some(0)
    );
    assert_eq!(
        b.ledger.account(SETTLED_ACCOUNT).map(Account::balance),
        Some(900),
        "paid once for one sale kept"
    );
    assert_sound(&mut b);
}
