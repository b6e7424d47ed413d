use super::*;
use crate::card::fares::{FareLegRule, FareProduct, FareTransferRule, RiderCategory};
use crate::card::ledger::Event;
use crate::refusal::RefusalKind;

mod bicycles;
mod cards;
mod entitlements;
mod image;
mod medical;
mod passes;
mod payouts;
mod settlement;
mod taps;
mod terminals;

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

/// The books as a restart opens them from all they have stored (every
/// effect and ledger row since they were made).
fn reopened(b: &mut Book) -> Book {
    let fresh = b.ledger.take_fresh();
    let mut stored = Stored::default();
    store_effects(b, &mut stored);
    let ledger = Ledger::replay(
        fresh.accounts,
        fresh.transfers.into_iter().map(Event::Transfer),
    )
    .expect("replays");
    Book::open(ledger, b.rules.clone(), stored)
}

/// `b`'s effects since the last call, kept in `stored` as a store keeps them.
fn store_effects(b: &mut Book, stored: &mut Stored) {
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
            Effect::Tap(t, _) => stored.taps.push(t),
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
}

/// The public key of the test key made from `seed`, hex.
fn public_key(seed: u8) -> String {
    hex::encode(
        ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
            .verifying_key()
            .to_bytes(),
    )
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
