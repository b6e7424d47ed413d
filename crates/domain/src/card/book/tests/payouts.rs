//! Aid and allowances paid onto holders' cards from civil affairs' funds.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn balance(b: &Book, id: Id) -> i64 {
    b.ledger.account(id).map_or(0, Account::balance)
}

#[test]
fn a_payout_reaches_the_holders_account_once() {
    let (mut b, number) = books(0);
    let holder = resident(1);
    let id = card_id(&number).expect("id");
    let (card, t) = b
        .pay_out(holder.as_str(), Payout::Aid, 127_000, 1, 5, &clerk())
        .expect("paid")
        .expect("to a card");
    assert_eq!(card, number);
    assert_eq!(t.request.id, payout_transfer_id(1));
    assert_eq!(b.balances(id).account, 127_000);
    // Paid again (a crash before the platform marked it done): the first.
    let (_, again) = b
        .pay_out(holder.as_str(), Payout::Aid, 127_000, 1, 9, &clerk())
        .expect("answered")
        .expect("the first");
    assert_eq!(again.request.id, t.request.id);
    assert_eq!(b.balances(id).account, 127_000);
    // The same number with another amount or kind is refused.
    for (what, amount) in [(Payout::Aid, 1), (Payout::Allowance, 127_000)] {
        let refused = b
            .pay_out(holder.as_str(), what, amount, 1, 9, &clerk())
            .unwrap_err();
        assert_eq!(refused.code, "id_reused");
    }
    assert_eq!(balance(&b, CIVIL_AFFAIRS_ACCOUNT), -127_000);
    assert!(b
        .pay_out(holder.as_str(), Payout::Allowance, 0, 2, 9, &clerk())
        .is_err());
    b.ledger.check().expect("the invariant holds");
}

#[test]
fn a_payout_waits_while_the_holder_has_no_live_card_and_follows_a_replacement() {
    let (mut b, number) = books(0);
    let holder = resident(1);
    let stranger = resident(2);
    assert_eq!(
        b.pay_out(stranger.as_str(), Payout::Allowance, 10_000, 1, 1, &clerk()),
        Ok(None),
        "no card: it waits"
    );
    assert_eq!(balance(&b, CIVIL_AFFAIRS_ACCOUNT), 0);
    b.pay_out(holder.as_str(), Payout::Allowance, 10_000, 2, 1, &clerk())
        .expect("paid");
    b.command(&number, &CardCommand::ReportLoss, 2, &clerk())
        .expect("lost");
    let (_, new) = b
        .command(&number, &CardCommand::Replace, 3, &clerk())
        .expect("replaced");
    let new = new.expect("a new card");
    let new_id = card_id(&new.number).expect("id");
    assert_eq!(b.balances(new_id).account, 10_000, "moved with the card");
    // The first payout, asked again, is still the old card's transfer.
    let (card, _) = b
        .pay_out(holder.as_str(), Payout::Allowance, 10_000, 2, 4, &clerk())
        .expect("answered")
        .expect("the first");
    assert_eq!(card, number);
    // The next goes to the new card.
    let (card, _) = b
        .pay_out(holder.as_str(), Payout::Allowance, 10_000, 3, 4, &clerk())
        .expect("paid")
        .expect("to the new card");
    assert_eq!(card, new.number);
    assert_eq!(b.balances(new_id).account, 20_000);
    b.command(&new.number, &CardCommand::Cancel, 5, &clerk())
        .expect("cancelled");
    assert_eq!(
        b.pay_out(holder.as_str(), Payout::Aid, 5_000, 4, 6, &clerk()),
        Ok(None),
        "a cancelled card takes nothing: the payout waits for a new one"
    );
    b.ledger.check().expect("the invariant holds");
}

proptest! {
    /// Payouts sent in any order, each any number of times, with the card
    /// lost, replaced or cancelled between: each payout moves its amount
    /// once or not at all, the funds have paid exactly what the payouts
    /// that reached a card hold, and the ledger's invariant holds.
    #[test]
    fn each_payout_moves_its_amount_at_most_once(
        steps in proptest::collection::vec((0..6u64, 1..50_000i64, 0..8u8), 1..40)
    ) {
        let (mut b, mut number) = books(0);
        let holder = resident(1);
        let mut amounts: BTreeMap<u64, i64> = BTreeMap::new();
        let mut paid: BTreeMap<u64, i64> = BTreeMap::new();
        for (i, (n, amount, act)) in steps.into_iter().enumerate() {
            let now = i as i64;
            match act {
                0 => {
                    if let Ok((_, Some(new))) = b.command(&number, &CardCommand::Replace, now, &clerk()) {
                        number = new.number;
                    }
                }
                1 => {
                    let _ = b.command(&number, &CardCommand::ReportLoss, now, &clerk());
                }
                _ => {
                    let n = n + 1;
                    let amount = *amounts.entry(n).or_insert(amount);
                    match b.pay_out(holder.as_str(), Payout::Aid, amount, n, now, &clerk()) {
                        Ok(Some((_, t))) => {
                            prop_assert_eq!(t.request.amount, amount);
                            paid.insert(n, amount);
                        }
                        Ok(None) => prop_assert!(!paid.contains_key(&n) || b.ledger.transfer(payout_transfer_id(n)).is_some()),
                        Err(e) => prop_assert!(false, "refused {:?}", e),
                    }
                }
            }
        }
        prop_assert_eq!(-balance(&b, CIVIL_AFFAIRS_ACCOUNT), paid.values().sum::<i64>());
        b.ledger.check().expect("the invariant holds");
    }
}
