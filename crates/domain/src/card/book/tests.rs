use super::*;
use crate::card::fares::{FareLegRule, FareProduct, FareTransferRule, RiderCategory};
use crate::card::ledger::Event;
use crate::refusal::RefusalKind;

const SECOND: i64 = 1_000_000;

fn fares() -> Fares {
    let product = |id: &str, amount| FareProduct {
        fare_product_id: id.into(),
        fare_product_name: id.into(),
        rider_category_id: String::new(),
        fare_media_id: String::new(),
        amount,
        duration_days: 0,
    };
    let leg = |group: &str, network: &str, product: &str| FareLegRule {
        leg_group_id: group.into(),
        network_id: network.into(),
        from_area_id: String::new(),
        to_area_id: String::new(),
        fare_product_id: product.into(),
        rule_priority: 0,
    };
    let mut month = product("bus_month", 6_000);
    month.duration_days = 30;
    Fares {
        products: vec![product("bus", 150), product("water", 300), month],
        rider_categories: vec![
            RiderCategory {
                rider_category_id: "adult".into(),
                rider_category_name: "市民卡".into(),
                percent_of_fare: 91,
            },
            RiderCategory {
                rider_category_id: "senior".into(),
                rider_category_name: "老年卡".into(),
                percent_of_fare: 0,
            },
        ],
        leg_rules: vec![
            leg("bus", "bus", "bus"),
            leg("water", "water_bus", "water"),
            leg("bus", "bus", "bus_month"),
        ],
        transfer_rules: vec![FareTransferRule {
            from_leg_group_id: "bus".into(),
            to_leg_group_id: "bus".into(),
            duration_limit: 90 * 60,
            fare_product_id: String::new(),
        }],
    }
}

fn clerk() -> Doer {
    Doer {
        actor: "clerk".into(),
        org: "330100-card".into(),
    }
}

fn resident(n: u32) -> ResidentId {
    let first = format!("3301061980{:02}01{:03}", 1 + n / 1000, n % 1000);
    let check = ResidentId::check_char(&first).expect("17 digits");
    ResidentId::parse(&format!("{first}{check}")).expect("valid")
}

/// Books with a bus operator and its validator, a parking operator's POS,
/// and one active card holding `wallet` fen.
fn books(wallet: i64) -> (Book, String) {
    let mut b = Book::open(
        Ledger::new(),
        Rules {
            fares: fares(),
            wallet: WalletRules {
                cancel_fee: 500,
                ..WalletRules::default()
            },
            ..Rules::default()
        },
        Stored::default(),
    );
    let key = hex::encode(
        ed25519_dalek::SigningKey::from_bytes(&[7; 32])
            .verifying_key()
            .to_bytes(),
    );
    let party = |code: &str, kind: &str, accepts: &[Purse], percent| NewParty {
        code: code.into(),
        name: code.into(),
        kind: kind.into(),
        accepts: accepts.to_vec(),
        percent_of_price: percent,
    };
    b.add_party(
        &party("bus-1", "operator", &[Purse::Wallet], 100),
        0,
        &clerk(),
    )
    .expect("operator");
    b.add_party(
        &party("park-1", "merchant", &[Purse::Wallet, Purse::Account], 90),
        0,
        &clerk(),
    )
    .expect("merchant");
    for (code, kind, party, network) in [
        ("V1", TerminalKind::Validator, "bus-1", "bus"),
        ("V2", TerminalKind::Validator, "bus-1", "bus"),
        ("P1", TerminalKind::Pos, "park-1", ""),
    ] {
        let t = NewTerminal {
            code: code.into(),
            kind,
            party: party.into(),
            network_id: network.into(),
            public_key: key.clone(),
        };
        b.add_terminal(&t, 0, &clerk()).expect("terminal");
    }
    let card = b
        .issue(&resident(1), "张三", "adult", 0, &clerk())
        .expect("issued");
    b.command(&card.number, &CardCommand::Activate, 0, &clerk())
        .expect("activated");
    if wallet > 0 {
        b.top_up(&card.number, Purse::Wallet, wallet, 1, 0)
            .expect("topped up");
    }
    (b, card.number)
}

fn ride(seq: u64, card: &str, at: i64) -> TapInput {
    TapInput {
        seq,
        card: card.into(),
        at,
        from_area: String::new(),
        to_area: String::new(),
        amount: 0,
        purse: None,
        refund_of: None,
    }
}

fn outcomes(recs: &[TapRecord]) -> Vec<TapOutcome> {
    recs.iter().map(|r| r.outcome).collect()
}

/// The books' ledger, stored and replayed, balances and gives the same accounts.
fn assert_sound(b: &mut Book) {
    b.ledger.check().expect("the invariant holds");
}

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
        .expect("the account has no bound");
    assert!(
        b.top_up(&number, Purse::Wallet, 1_000, 0, 9).is_err(),
        "id 0"
    );
    assert_eq!(
        b.balances(card_id(&number).expect("id")),
        Balances {
            wallet: 100_000,
            account: 500_000,
            owed: 0
        }
    );
    assert_sound(&mut b);
}

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
        .filter(|e| matches!(e, Effect::Tap(_)))
        .count();
    assert_eq!(stored, 5, "a repeat is not recorded again");
    assert!(b.upload("V9", vec![], 0).is_err(), "an unknown terminal");
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
            owed: 137
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
            owed: 0
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
            owed: 0
        }
    );
    assert_eq!(
        b.balances(n),
        Balances {
            wallet: 5_000,
            account: 2_000,
            owed: 0
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
            owed: 0
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

/// The books as a restart opens them from all they have stored (every
/// effect and ledger row since they were made).
fn reopened(b: &mut Book) -> Book {
    let fresh = b.ledger.take_fresh();
    let mut stored = Stored::default();
    for e in b.take_effects() {
        match e {
            Effect::Card(c) => {
                stored.cards.retain(|x| x.id != c.id);
                stored.cards.push(c);
            }
            Effect::Party(p) => stored.parties.push(p),
            Effect::Terminal(t) => {
                stored.terminals.retain(|x| x.code != t.code);
                stored.terminals.push(t);
            }
            Effect::Tap(t) => stored.taps.push(t),
            Effect::Deny(d) => stored.deny_log.push(d),
            Effect::Settlement(x) => stored.settlements.push(x),
            Effect::Entitlement(e) => stored.entitlements.push(e),
            Effect::Medical(m) => stored.medical_seq = m.id,
            Effect::Rental(card, Some((dock, at))) => stored.rentals.push((card, dock, at)),
            Effect::Rental(card, None) => stored.rentals.retain(|r| r.0 != card),
            Effect::Pass(p) => stored.passes.push(p),
            Effect::Journal { .. } => {}
        }
    }
    let ledger = Ledger::replay(
        fresh.accounts,
        fresh.transfers.into_iter().map(Event::Transfer),
    )
    .expect("replays");
    Book::open(ledger, b.rules.clone(), stored)
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

/// The public key of the test key made from `seed`, hex.
fn public_key(seed: u8) -> String {
    hex::encode(
        ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
            .verifying_key()
            .to_bytes(),
    )
}

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
fn entitlements_follow_the_holder_and_stop_with_a_lost_card_expiry_or_revocation() {
    use crate::card::entitlement::{Kind, Verdict};
    let (mut b, number) = books(0);
    assert_eq!(
        b.check_entitlement(&number, Kind::Park, 0),
        Verdict::NotGranted
    );
    b.grant(&number, Kind::Park, Some(1_000), 0, &clerk())
        .expect("a park annual card");
    b.grant(&number, Kind::Medical, None, 0, &clerk())
        .expect("insured");
    assert!(
        b.grant(&number, Kind::Library, Some(0), 5, &clerk())
            .is_err(),
        "in the past"
    );
    assert_eq!(
        b.check_entitlement(&number, Kind::Park, 999),
        Verdict::Allowed
    );
    assert_eq!(
        b.check_entitlement(&number, Kind::Park, 1_000),
        Verdict::Expired
    );
    assert_eq!(
        b.check_entitlement("3301000000999", Kind::Park, 0),
        Verdict::UnknownCard
    );
    let key = hex::encode(
        ed25519_dalek::SigningKey::from_bytes(&[7; 32])
            .verifying_key()
            .to_bytes(),
    );
    let desk = NewTerminal {
        code: "H1".into(),
        kind: TerminalKind::Gate,
        party: "park-1".into(),
        network_id: String::new(),
        public_key: key,
    };
    b.add_terminal(&desk, 0, &clerk()).expect("a desk");
    let r = b
        .medical_settlement("H1", "r1", &number, 10_000, 7_000, 5)
        .expect("recorded");
    assert_eq!((r.self_pay, r.id), (3_000, 1));
    b.take_effects();
    assert_eq!(
        b.medical_settlement("H1", "r1", &number, 10_000, 7_000, 9),
        Ok(r.clone()),
        "a replayed request id answers the first settlement"
    );
    assert!(b.take_effects().is_empty(), "and records nothing");
    assert!(
        b.medical_settlement("H1", "r2", &number, 100, 200, 5)
            .is_err(),
        "insurance pays at most the total"
    );
    let (recs, _) = b
        .upload("H1", vec![ride(1, &number, 0)], 0)
        .expect("uploaded");
    assert_eq!(
        recs[0].outcome,
        TapOutcome::Rejected,
        "a desk charges nothing"
    );
    b.command(&number, &CardCommand::ReportLoss, 0, &clerk())
        .expect("lost");
    assert_eq!(
        b.check_entitlement(&number, Kind::Park, 0),
        Verdict::CardDenied
    );
    let (_, new) = b
        .command(&number, &CardCommand::Replace, 0, &clerk())
        .expect("replaced");
    let new = new.expect("a new card").number;
    assert_eq!(
        b.check_entitlement(&new, Kind::Park, 0),
        Verdict::Allowed,
        "it goes with the holder"
    );
    assert!(
        b.revoke(&new, Kind::Park, " ", 1, &clerk()).is_err(),
        "a reason"
    );
    b.revoke(&new, Kind::Park, "转借他人", 1, &clerk())
        .expect("revoked");
    assert_eq!(b.check_entitlement(&new, Kind::Park, 2), Verdict::Revoked);
    assert!(
        b.medical_settlement("H1", "r3", &number, 100, 50, 5)
            .is_err(),
        "the old card is dead"
    );
}

#[test]
fn a_bicycle_needs_the_deposit_is_free_for_an_hour_and_the_deposit_comes_back() {
    let (mut b, number) = books(30_000);
    let id = card_id(&number).expect("id");
    let key = hex::encode(
        ed25519_dalek::SigningKey::from_bytes(&[7; 32])
            .verifying_key()
            .to_bytes(),
    );
    for code in ["D1", "D2"] {
        let dock = NewTerminal {
            code: code.into(),
            kind: TerminalKind::Dock,
            party: "bus-1".into(),
            network_id: String::new(),
            public_key: key.clone(),
        };
        b.add_terminal(&dock, 0, &clerk()).expect("a dock");
    }
    let (recs, _) = b
        .upload("D1", vec![ride(1, &number, 0)], 0)
        .expect("uploaded");
    assert_eq!(
        recs[0].outcome,
        TapOutcome::Rejected,
        "no deposit, no bicycle"
    );
    b.bike_deposit(&number, true, 0, &clerk()).expect("held");
    assert!(
        b.bike_deposit(&number, true, 0, &clerk()).is_err(),
        "held once"
    );
    let a = b.ledger.account(wallet_of(id)).cloned().expect("wallet");
    assert_eq!(
        (a.balance(), a.available()),
        (30_000, 10_000),
        "held in the wallet"
    );
    // Out for 59 minutes: free. Out for 2 hours and a second: 2 yuan.
    let hour = 3_600 * SECOND;
    let (recs, _) = b
        .upload(
            "D1",
            vec![
                ride(2, &number, hour),
                ride(3, &number, hour + 59 * 60 * SECOND),
            ],
            0,
        )
        .expect("uploaded");
    assert_eq!(
        recs.iter()
            .map(|r| (r.outcome, r.product.as_str()))
            .collect::<Vec<_>>(),
        [
            (TapOutcome::Free, BIKE_TAKE),
            (TapOutcome::Free, BIKE_RETURN)
        ]
    );
    let (recs, _) = b
        .upload("D2", vec![ride(1, &number, 3 * hour)], 0)
        .expect("uploaded");
    assert_eq!(recs[0].product, BIKE_TAKE);
    assert!(
        b.bike_deposit(&number, false, 0, &clerk()).is_err(),
        "a bicycle is out"
    );
    assert!(
        b.command(&number, &CardCommand::Cancel, 0, &clerk())
            .is_err(),
        "return it first"
    );
    let (recs, _) = b
        .upload("D1", vec![ride(4, &number, 5 * hour + SECOND)], 0)
        .expect("uploaded");
    assert_eq!(
        (recs[0].outcome, recs[0].charged),
        (TapOutcome::Charged, 200)
    );
    // Replacing the card gives the deposit back and moves the whole balance.
    let (_, new) = b
        .command(&number, &CardCommand::Replace, 0, &clerk())
        .expect("replaced");
    let new = new.expect("a new card");
    assert_eq!(b.balances(new.id).wallet, 30_000 - 200);
    assert_eq!(b.bike_state(id), (false, None));
    assert_eq!(
        b.ledger.account(DEPOSIT_ACCOUNT).map(|a| a.credits_pending),
        Some(0)
    );
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
fn a_monthly_pass_rides_its_network_free_for_its_days_and_pays_its_operator() {
    let (mut b, number) = books(10_000);
    let id = card_id(&number).expect("id");
    let day = jiff::civil::date(1970, 1, 2);
    assert!(
        b.buy_pass(&number, "bus", day, 0, &clerk()).is_err(),
        "not a pass"
    );
    let pass = b
        .buy_pass(&number, "bus_month", day, 0, &clerk())
        .expect("bought");
    assert_eq!(b.balances(id).wallet, 4_000);
    assert_eq!(
        b.ledger.account(takings_of(1)).map(Account::balance),
        Some(6_000),
        "the bus company"
    );
    assert!(
        b.buy_pass(&number, "bus_month", day, 0, &clerk()).is_err(),
        "overlapping"
    );
    let inside = pass.valid_from + 3 * 3_600 * SECOND;
    let (recs, _) = b
        .upload(
            "V1",
            vec![
                ride(1, &number, pass.valid_from - SECOND),
                ride(2, &number, inside),
            ],
            0,
        )
        .expect("uploaded");
    assert_eq!(
        (recs[0].charged, recs[1].charged),
        (137, 0),
        "before it, and within it"
    );
    assert_eq!((recs[1].product.as_str(), recs[1].full), ("bus_month", 150));
    let (recs, _) = b
        .upload("V1", vec![ride(3, &number, pass.valid_until)], 0)
        .expect("uploaded");
    assert_eq!(recs[0].charged, 137, "after its last day");
    assert_eq!(pass.valid_until - pass.valid_from, 30 * 86_400 * SECOND);
    let d = b.day_takings(jiff::civil::date(1970, 1, 1));
    assert_eq!(d.get(&1).map(|d| d.passes), Some(6_000));
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
            owed: 0
        }
    );
    assert_eq!(
        b.ledger.account(CASH_ACCOUNT).map(Account::balance),
        Some(-5_000),
        "only the counter's cash came in"
    );
    assert_sound(&mut b);
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

#[test]
fn a_bicycle_taken_on_a_card_lost_since_comes_back() {
    let (mut b, number) = books(30_000);
    let key = hex::encode(
        ed25519_dalek::SigningKey::from_bytes(&[7; 32])
            .verifying_key()
            .to_bytes(),
    );
    let dock = NewTerminal {
        code: "D1".into(),
        kind: TerminalKind::Dock,
        party: "bus-1".into(),
        network_id: String::new(),
        public_key: key,
    };
    b.add_terminal(&dock, 0, &clerk()).expect("a dock");
    b.bike_deposit(&number, true, 0, &clerk()).expect("held");
    b.upload("D1", vec![ride(1, &number, 0)], 0).expect("taken");
    b.command(&number, &CardCommand::ReportLoss, 0, &clerk())
        .expect("lost");
    let (recs, _) = b
        .upload("D1", vec![ride(2, &number, 600 * SECOND)], 0)
        .expect("returned");
    assert_eq!(
        (recs[0].outcome, recs[0].product.as_str()),
        (TapOutcome::Free, BIKE_RETURN)
    );
    let (recs, _) = b
        .upload("D1", vec![ride(3, &number, 3_600 * SECOND)], 0)
        .expect("uploaded");
    assert_eq!(
        recs[0].outcome,
        TapOutcome::Blocked,
        "but no second bicycle"
    );
    let (_, new) = b
        .command(&number, &CardCommand::Replace, 0, &clerk())
        .expect("replaced: nothing is out");
    assert_eq!(b.balances(new.expect("new").id).wallet, 30_000);
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

mod batch_fuzz {
    //! The terminal batch decoder and the books behind it, fed what a broken
    //! or hostile terminal might send: any JSON decodes or is refused, and
    //! any batch of taps is decided without a panic and leaves the ledger
    //! balanced.
    use super::*;
    use proptest::prelude::*;

    fn any_tap(card: String) -> impl Strategy<Value = TapInput> {
        (
            0u64..40,
            prop_oneof![Just(card), "[0-9]{0,20}", ".{0,8}"],
            prop_oneof![
                Just(i64::MIN),
                Just(i64::MAX),
                Just(0i64),
                -1_000_000_000_000i64..4_000_000_000_000_000i64
            ],
            prop_oneof![Just(i64::MIN), Just(i64::MAX), -1_000i64..100_000i64],
            prop_oneof![
                Just(None),
                Just(Some(Purse::Wallet)),
                Just(Some(Purse::Account))
            ],
            prop_oneof![Just(None), any::<u64>().prop_map(Some)],
        )
            .prop_map(|(seq, card, at, amount, purse, refund_of)| TapInput {
                seq,
                card,
                at,
                from_area: String::new(),
                to_area: String::new(),
                amount,
                purse,
                refund_of,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_body_decodes_or_is_refused(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = serde_json::from_slice::<Vec<TapInput>>(&bytes);
        }

        #[test]
        fn any_batch_is_decided_without_a_panic_and_the_ledger_balances(
            seed_taps in proptest::collection::vec(any_tap(String::new()), 0..24),
            terminal in prop_oneof![Just("V1"), Just("P1"), Just("nobody")],
        ) {
            let (mut b, card) = books(5_000);
            let taps: Vec<TapInput> = seed_taps
                .into_iter()
                .map(|mut t| {
                    if t.card.is_empty() {
                        t.card = card.clone();
                    }
                    t
                })
                .collect();
            let _ = b.upload(terminal, taps, 10 * SECOND);
            assert_sound(&mut b);
        }
    }
}
