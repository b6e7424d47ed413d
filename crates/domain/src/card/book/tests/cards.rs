//! Issuing cards, their life steps, top-ups, and reopening the books.

use super::*;

#[test]
fn card_numbers_carry_a_check_digit() {
    let n = card_number(42);
    assert_eq!(n.len(), 13);
    assert_eq!(card_id(&n), Some(42));
    let mut wrong = n.clone().into_bytes();
    wrong[12] = if wrong[12] == b'9' {
        b'0'
    } else {
        wrong[12] + 1
    };
    assert_eq!(card_id(&String::from_utf8(wrong).expect("digits")), None);
    assert_eq!(card_id("12345"), None);
}

#[test]
fn a_resident_holds_one_live_card_and_each_step_is_journaled() {
    let (mut b, number) = books(0);
    let effects = b.take_effects();
    let events: Vec<&str> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Journal { entry, .. } => Some(entry.event_type),
            _ => None,
        })
        .collect();
    assert_eq!(
        events,
        [
            "card.party_added",
            "card.party_added",
            "card.terminal_added",
            "card.terminal_added",
            "card.terminal_added",
            "card.issued",
            "card.activated"
        ]
    );
    let e = b
        .issue(&resident(1), "张三", "adult", 0, &clerk())
        .expect_err("one live card");
    assert_eq!(e.code, "card_held");
    let e = b
        .issue(&resident(2), "李四", "astronaut", 0, &clerk())
        .expect_err("no such category");
    assert!(e.fields.contains_key("rider_category"));
    assert!(b.issue(&resident(2), " ", "", 0, &clerk()).is_err());
    for unclean in ["李\u{0}四", "李\n四", "李\u{202e}四", "李\u{9b}四"] {
        let e = b
            .issue(&resident(2), unclean, "", 0, &clerk())
            .expect_err("control characters are refused");
        assert!(e.fields.contains_key("holder_name"), "{unclean:?}");
    }
    b.command(&number, &CardCommand::Cancel, 0, &clerk())
        .expect("cancelled");
    b.issue(&resident(1), "张三", "adult", 0, &clerk())
        .expect("a new card once the old one is dead");
}

#[test]
fn top_ups_keep_the_wallet_rules_and_retries_get_the_first_result() {
    let (mut b, number) = books(0);
    let e = b
        .top_up(&number, Purse::Wallet, 999, 10, 0)
        .expect_err("below the least top-up");
    assert!(e.fields.contains_key("amount"));
    let first = b
        .top_up(&number, Purse::Wallet, 100_000, 11, 5)
        .expect("up to 1000 yuan");
    let again = b
        .top_up(&number, Purse::Wallet, 100_000, 11, 9)
        .expect("a retry");
    assert_eq!(first, again);
    let e = b
        .top_up(&number, Purse::Wallet, 2_000, 11, 9)
        .expect_err("the id with another amount");
    assert_eq!(e.code, "id_reused");
    assert!(
        b.top_up(&number, Purse::Wallet, 1_000, 12, 9).is_err(),
        "over 1000 yuan"
    );
    b.top_up(&number, Purse::Account, 500_000, 13, 9)
        .expect("the account has no bound on what it holds");
    let e = b
        .top_up(&number, Purse::Account, 5_000_001, 14, 9)
        .expect_err("one payment above 50,000 yuan is a bank's");
    assert!(e.fields.contains_key("amount"), "{e:?}");
    assert!(
        b.top_up(&number, Purse::Account, 999, 15, 9).is_err(),
        "below the least top-up"
    );
    assert!(
        b.top_up(&number, Purse::Wallet, 1_000, 0, 9).is_err(),
        "id 0"
    );
    assert_eq!(
        b.balances(card_id(&number).expect("id")),
        Balances {
            wallet: 100_000,
            account: 500_000,
            owed: 0,
            medical: 0,
        }
    );
    assert_sound(&mut b);
}

#[test]
fn a_replacement_takes_the_balances_and_debt_and_a_cancellation_pays_back_less_the_fee() {
    let (mut b, number) = books(5_000);
    b.top_up(&number, Purse::Account, 2_000, 30, 0)
        .expect("account");
    b.command(&number, &CardCommand::ReportLoss, 0, &clerk())
        .expect("lost");
    let (old, new) = b
        .command(&number, &CardCommand::Replace, 0, &clerk())
        .expect("replaced");
    let new = new.expect("a new card");
    assert_eq!(old.state, CardState::Replaced);
    assert_eq!(old.replaced_by.as_deref(), Some(new.number.as_str()));
    assert_eq!(new.replaces.as_deref(), Some(number.as_str()));
    assert_eq!(new.state, CardState::Active);
    let (o, n) = (old.id, new.id);
    assert_eq!(
        b.balances(o),
        Balances {
            wallet: 0,
            account: 0,
            owed: 0,
            medical: 0,
        }
    );
    assert_eq!(
        b.balances(n),
        Balances {
            wallet: 5_000,
            account: 2_000,
            owed: 0,
            medical: 0,
        }
    );
    assert_eq!(b.deny_list(), [(number.clone(), "replaced".to_string())]);
    assert!(
        b.top_up(&number, Purse::Wallet, 1_000, 31, 0).is_err(),
        "dead"
    );
    let (cancelled, _) = b
        .command(&new.number, &CardCommand::Cancel, 0, &clerk())
        .expect("cancelled");
    assert_eq!(cancelled.state, CardState::Cancelled);
    assert_eq!(
        b.balances(n),
        Balances {
            wallet: 0,
            account: 0,
            owed: 0,
            medical: 0,
        }
    );
    assert_eq!(
        b.ledger.account(FEE_ACCOUNT).map(Account::balance),
        Some(500)
    );
    // Every cent came from and went back to cash, less the fee.
    assert_eq!(
        b.ledger.account(CASH_ACCOUNT).map(Account::balance),
        Some(-500)
    );
    assert_sound(&mut b);
}

#[test]
fn the_books_reopen_from_what_they_stored() {
    let (mut b, number) = books(1_000);
    b.upload(
        "V1",
        vec![ride(1, &number, 0), ride(3, &number, 500 * 60 * SECOND)],
        0,
    )
    .expect("uploaded");
    b.command(&number, &CardCommand::ReportLoss, 0, &clerk())
        .expect("lost");
    let mut again = reopened(&mut b);
    let id = card_id(&number).expect("id");
    assert_eq!(again.balances(id), b.balances(id));
    assert_eq!(again.deny_list(), b.deny_list());
    assert_eq!(again.deny_version(), b.deny_version());
    again
        .command(&number, &CardCommand::CancelLoss, 0, &clerk())
        .expect("found");
    let (recs, gaps) = again
        .upload(
            "V1",
            vec![ride(1, &number, 0), ride(2, &number, 400 * 60 * SECOND)],
            0,
        )
        .expect("uploaded");
    assert_eq!(outcomes(&recs), [TapOutcome::Repeat, TapOutcome::Charged]);
    assert!(gaps.is_empty());
    // The books' own transfer ids go on from where they were.
    let before = b.ledger.max_id_between(OWN_IDS, OWN_IDS | (1 << 62));
    assert!(again.ledger.max_id_between(OWN_IDS, OWN_IDS | (1 << 62)) > before);
    assert_sound(&mut again);
}

#[test]
fn a_holder_moves_money_from_the_account_to_the_wallet_and_no_further() {
    let (mut b, number) = books(0);
    let id = card_id(&number).expect("id");
    let e = b
        .top_up_from_account(&number, 1_000, 40, 0)
        .expect_err("an empty account");
    assert_eq!(e.code, "insufficient_balance");
    b.top_up(&number, Purse::Account, 5_000, 41, 0)
        .expect("paid in at a counter");
    b.top_up_from_account(&number, 3_000, 42, 0).expect("moved");
    assert_eq!(
        b.balances(id),
        Balances {
            wallet: 3_000,
            account: 2_000,
            owed: 0,
            medical: 0,
        }
    );
    assert_eq!(
        b.ledger.account(CASH_ACCOUNT).map(Account::balance),
        Some(-5_000),
        "only the counter's cash came in"
    );
    assert_sound(&mut b);
}
