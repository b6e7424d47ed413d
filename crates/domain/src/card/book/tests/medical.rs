//! The personal medical account and medical settlements on the ledger.

use super::*;
use crate::card::entitlement::{Kind, RestFrom};
use proptest::prelude::*;

/// Books with an insured holder's card (a wallet of `wallet` fen and an
/// account of `account`), and a hospital with a desk `H1`.
fn insured(account: i64) -> (Book, String, u64) {
    let (mut b, number) = books(0);
    if account > 0 {
        b.top_up(&number, Purse::Account, account, 2, 0)
            .expect("paid into the account");
    }
    b.grant(&number, Kind::Medical, None, 0, &clerk())
        .expect("insured");
    let hospital = b
        .add_party(
            &NewParty {
                code: "hospital-1".into(),
                name: "第一医院".into(),
                kind: "institution".into(),
                accepts: vec![Purse::Account],
                percent_of_price: 100,
            },
            0,
            &clerk(),
        )
        .expect("a hospital")
        .id;
    let desk = NewTerminal {
        code: "H1".into(),
        kind: TerminalKind::Gate,
        party: "hospital-1".into(),
        network_id: String::new(),
        public_key: public_key(7),
    };
    b.add_terminal(&desk, 0, &clerk()).expect("a desk");
    (b, number, hospital)
}

fn balance(b: &Book, id: Id) -> i64 {
    b.ledger.account(id).map_or(0, Account::balance)
}

#[test]
fn the_personal_account_pays_first_then_the_cards_account_or_cash() {
    let (mut b, number, hospital) = insured(5_000);
    let id = card_id(&number).expect("id");
    b.credit_medical(&number, 2_000, 100, 1, &clerk())
        .expect("the fund pays in");
    assert_eq!(b.balances(id).medical, 2_000);
    assert_eq!(
        b.credit_medical(&number, 2_000, 100, 2, &clerk())
            .expect("a retry")
            .request
            .id,
        100,
        "the same id answers the first payment"
    );
    assert_eq!(b.balances(id).medical, 2_000, "and pays nothing again");
    assert_eq!(
        b.credit_medical(&number, 3_000, 100, 2, &clerk())
            .expect_err("another amount")
            .code,
        "id_reused"
    );
    assert!(b
        .credit_medical(&number, 0, 101, 2, &clerk())
        .expect_err("nothing")
        .fields
        .contains_key("amount"));

    // 100 yuan, 70 of it the fund's: the personal account's 20 and 10 from
    // the card's account.
    let r = b
        .medical_settlement("H1", "v1", &number, 10_000, 7_000, RestFrom::Account, 3)
        .expect("settled");
    assert_eq!(
        (
            r.self_pay,
            r.from_medical_account,
            r.from_account,
            r.in_cash
        ),
        (3_000, 2_000, 1_000, 0)
    );
    assert_eq!(b.balances(id).medical, 0);
    assert_eq!(b.balances(id).account, 4_000);
    assert_eq!(balance(&b, takings_of(hospital)), 3_000);
    assert_eq!(balance(&b, MEDICAL_FUND_ACCOUNT), -2_000);

    // More than the account holds is refused whole; in cash it is recorded.
    let e = b
        .medical_settlement("H1", "v2", &number, 10_000, 5_000, RestFrom::Account, 4)
        .expect_err("the account holds 40 yuan");
    assert_eq!(e.code, "insufficient_balance");
    assert_eq!(b.balances(id).account, 4_000, "nothing moved");
    let r = b
        .medical_settlement("H1", "v2", &number, 10_000, 5_000, RestFrom::Cash, 4)
        .expect("paid in cash");
    assert_eq!((r.from_account, r.in_cash), (0, 5_000));
    assert_eq!(balance(&b, takings_of(hospital)), 3_000);

    // The hospital is paid what the card paid when its day is settled.
    let day = b.day_takings(jiff::civil::date(1970, 1, 1));
    assert_eq!(day.get(&hospital).map(|d| d.takings), Some(3_000));
    assert_sound(&mut b);
}

#[test]
fn the_personal_account_stays_with_the_holder_through_a_new_card_and_a_restart() {
    let (mut b, number, _) = insured(0);
    b.credit_medical(&number, 8_000, 100, 1, &clerk())
        .expect("paid in");
    b.command(&number, &CardCommand::ReportLoss, 2, &clerk())
        .expect("lost");
    let (_, new) = b
        .command(&number, &CardCommand::Replace, 3, &clerk())
        .expect("replaced");
    let new = new.expect("a new card").number;
    let new_id = card_id(&new).expect("id");
    assert_eq!(
        b.balances(new_id).medical,
        8_000,
        "the holder's, not the card's"
    );
    b.command(&new, &CardCommand::Cancel, 4, &clerk())
        .expect("cancelled");
    let again = b
        .issue(&resident(1), "张三", "adult", 5, &clerk())
        .expect("a card again");
    assert_eq!(
        b.balances(again.id).medical,
        8_000,
        "a cancelled card pays nothing of it back in cash"
    );
    b.command(&again.number, &CardCommand::Activate, 6, &clerk())
        .expect("active");
    let mut reopened = reopened(&mut b);
    assert_eq!(reopened.balances(again.id).medical, 8_000);
    let r = reopened
        .medical_settlement("H1", "v1", &again.number, 1_000, 0, RestFrom::Account, 7)
        .expect("settled after a restart");
    assert_eq!(r.from_medical_account, 1_000);
    assert_eq!(reopened.balances(again.id).medical, 7_000);
    assert_sound(&mut reopened);
}

#[test]
fn a_holder_without_a_personal_account_pays_from_the_cards_account() {
    let (mut b, number, hospital) = insured(1_000);
    let r = b
        .medical_settlement("H1", "v1", &number, 900, 400, RestFrom::Account, 1)
        .expect("settled");
    assert_eq!((r.from_medical_account, r.from_account), (0, 500));
    assert_eq!(balance(&b, takings_of(hospital)), 500);
    assert_sound(&mut b);
}

#[derive(Debug, Clone)]
enum Step {
    Credit(i64),
    Settle {
        total: i64,
        insured: i64,
        cash: bool,
    },
    TopUp(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1i64..50_000).prop_map(Step::Credit),
        (1i64..50_000, 0u8..=100, any::<bool>()).prop_map(|(total, pct, cash)| Step::Settle {
            total,
            insured: total * i64::from(pct) / 100,
            cash
        }),
        (1i64..50_000).prop_map(Step::TopUp),
    ]
}

proptest! {
    /// Whatever the fund pays in and the desks settle: every settlement's
    /// parts add up to what the insured paid, no account goes below zero,
    /// the hospital holds exactly what the cards paid, the fund has paid
    /// out exactly what was credited, and the ledger balances.
    #[test]
    fn medical_money_is_never_made_or_lost(steps in prop::collection::vec(step(), 1..40)) {
        let (mut b, number, hospital) = insured(0);
        let id = card_id(&number).expect("id");
        let (mut credited, mut paid_by_card) = (0i64, 0i64);
        for (n, s) in steps.into_iter().enumerate() {
            let n = n as u64 + 10;
            let at = n as i64;
            match s {
                Step::Credit(amount) => {
                    b.credit_medical(&number, amount, n, at, &clerk()).expect("credited");
                    credited += amount;
                }
                Step::TopUp(amount) => {
                    let _ = b.top_up(&number, Purse::Account, amount, n, at);
                }
                Step::Settle { total, insured, cash } => {
                    let before = b.balances(id);
                    let rest = if cash { RestFrom::Cash } else { RestFrom::Account };
                    match b.medical_settlement("H1", &format!("v{n}"), &number, total, insured, rest, at) {
                        Ok(r) => {
                            prop_assert_eq!(r.from_medical_account + r.from_account + r.in_cash, r.self_pay);
                            prop_assert_eq!(r.self_pay, total - insured);
                            prop_assert_eq!(r.from_medical_account, r.self_pay.min(before.medical));
                            paid_by_card += r.from_medical_account + r.from_account;
                        }
                        Err(e) => {
                            prop_assert_eq!(e.code, "insufficient_balance");
                            prop_assert!(!cash);
                            prop_assert_eq!(b.balances(id), before, "a refusal moves nothing");
                        }
                    }
                }
            }
            let now = b.balances(id);
            prop_assert!(now.medical >= 0 && now.account >= 0);
        }
        prop_assert_eq!(balance(&b, takings_of(hospital)), paid_by_card);
        prop_assert_eq!(-balance(&b, MEDICAL_FUND_ACCOUNT), credited);
        b.ledger.check().expect("the invariant holds");
    }
}

#[test]
fn the_funds_roll_is_paid_whole_or_not_at_all_and_once() {
    let (mut b, number, _) = insured(0);
    let id = card_id(&number).expect("id");
    let bad = vec![(501, number.clone(), 1_000), (502, card_number(999), 2_000)];
    let faults = b.credit_medical_roll(&bad, 1, &clerk()).unwrap_err();
    assert_eq!(faults.len(), 1);
    assert_eq!(faults[0].0, 1, "the unknown card's line");
    assert_eq!(b.balances(id).medical, 0, "nothing paid");
    let good = vec![(501, number.clone(), 1_000), (503, number.clone(), 500)];
    assert_eq!(b.credit_medical_roll(&good, 2, &clerk()), Ok((2, 0)));
    assert_eq!(b.balances(id).medical, 1_500);
    // Sent again: answered, not paid twice; an id with another amount is refused.
    assert_eq!(b.credit_medical_roll(&good, 3, &clerk()), Ok((0, 2)));
    assert_eq!(b.balances(id).medical, 1_500);
    let changed = vec![(501, number.clone(), 9_999)];
    assert_eq!(
        b.credit_medical_roll(&changed, 4, &clerk()).unwrap_err()[0]
            .1
            .code,
        "id_reused"
    );
    b.ledger.check().expect("the invariant holds");
}
