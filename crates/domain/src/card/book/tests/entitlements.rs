//! Entitlements at gates and desks.

use super::*;

#[test]
fn entitlements_follow_the_holder_and_stop_with_a_lost_card_expiry_or_revocation() {
    use crate::card::entitlement::{Kind, RestFrom, Verdict};
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
        .medical_settlement("H1", "r1", &number, 10_000, 7_000, RestFrom::Cash, 5)
        .expect("recorded");
    assert_eq!((r.self_pay, r.id), (3_000, 1));
    b.take_effects();
    assert_eq!(
        b.medical_settlement("H1", "r1", &number, 10_000, 7_000, RestFrom::Cash, 9),
        Ok(r.clone()),
        "a replayed request id answers the first settlement"
    );
    assert!(b.take_effects().is_empty(), "and records nothing");
    assert!(
        b.medical_settlement("H1", "r2", &number, 100, 200, RestFrom::Cash, 5)
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
        b.medical_settlement("H1", "r3", &number, 100, 50, RestFrom::Cash, 5)
            .is_err(),
        "the old card is dead"
    );
}
