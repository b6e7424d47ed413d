//! The public-bicycle deposit and rentals.

use super::*;

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
