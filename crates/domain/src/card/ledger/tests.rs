use proptest::prelude::*;

use super::*;

const FEN: u32 = 156; // the ledger of yuan, in fen
const WALLET: u16 = 1;
const CASH: u16 = 2;

fn wallet(id: Id) -> Account {
    Account::new(
        id,
        FEN,
        WALLET,
        AccountFlags {
            debits_must_not_exceed_credits: true,
            ..AccountFlags::default()
        },
    )
}

fn cash(id: Id) -> Account {
    Account::new(id, FEN, CASH, AccountFlags::default())
}

fn t(id: Id, debit: Id, credit: Id, amount: i64) -> TransferRequest {
    TransferRequest {
        id,
        debit_account_id: debit,
        credit_account_id: credit,
        amount,
        pending_id: 0,
        timeout: 0,
        ledger: FEN,
        code: 1,
        flags: TransferFlags::default(),
    }
}

fn linked(mut r: TransferRequest) -> TransferRequest {
    r.flags.linked = true;
    r
}

fn pending(mut r: TransferRequest, timeout: i64) -> TransferRequest {
    r.flags.pending = true;
    r.timeout = timeout;
    r
}

fn post(id: Id, pending_id: Id, amount: i64) -> TransferRequest {
    let mut r = t(id, 0, 0, amount);
    r.pending_id = pending_id;
    r.ledger = 0;
    r.flags.post_pending = true;
    r
}

fn void(id: Id, pending_id: Id) -> TransferRequest {
    let mut r = post(id, pending_id, 0);
    r.flags.post_pending = false;
    r.flags.void_pending = true;
    r
}

fn ledger() -> Ledger {
    let mut l = Ledger::new();
    l.create_account(cash(1)).expect("cash");
    l.create_account(wallet(2)).expect("wallet");
    l.create_account(wallet(3)).expect("another wallet");
    l
}

#[test]
fn a_wallet_cannot_spend_what_it_does_not_hold() {
    let mut l = ledger();
    let r = l.apply(
        &[t(10, 1, 2, 5_000), t(11, 2, 3, 5_001), t(12, 2, 3, 5_000)],
        1,
    );
    assert!(r[0].is_ok());
    assert_eq!(r[1], Err(Refused::ExceedsCredits));
    assert!(r[2].is_ok());
    assert_eq!(l.account(2).map(Account::balance), Some(0));
    assert_eq!(l.account(3).map(Account::balance), Some(5_000));
    l.check().expect("balanced");
}

#[test]
fn a_retry_gets_the_first_result_and_a_changed_retry_is_refused() {
    let mut l = ledger();
    let first = l.apply(&[t(10, 1, 2, 100)], 5).remove(0).expect("applied");
    let again = l.apply(&[t(10, 1, 2, 100)], 9).remove(0).expect("the same");
    assert_eq!(first, again, "the first result, its timestamp too");
    assert_eq!(l.account(2).map(Account::balance), Some(100), "moved once");
    assert_eq!(
        l.apply(&[t(10, 1, 2, 101)], 9)[0],
        Err(Refused::ExistsWithDifferentFields)
    );
    // A refused transfer is not kept: once it can succeed, it does.
    assert_eq!(
        l.apply(&[t(11, 2, 3, 500)], 10)[0],
        Err(Refused::ExceedsCredits)
    );
    l.apply(&[t(12, 1, 2, 400)], 11);
    assert!(l.apply(&[t(11, 2, 3, 500)], 12)[0].is_ok());
}

#[test]
fn linked_transfers_succeed_or_fail_together() {
    let mut l = ledger();
    l.apply(&[t(10, 1, 2, 300)], 1);
    // Pay a merchant (3) and take a fee (to 1): the fee cannot be paid.
    let r = l.apply(
        &[linked(t(20, 2, 3, 250)), t(21, 2, 1, 100), t(22, 1, 3, 7)],
        2,
    );
    assert_eq!(r[0], Err(Refused::LinkedEventFailed));
    assert_eq!(r[1], Err(Refused::ExceedsCredits));
    assert!(r[2].is_ok(), "outside the chain");
    assert_eq!(
        l.account(2).map(Account::balance),
        Some(300),
        "nothing moved"
    );
    assert!(l.transfer(20).is_none());
    // A chain left open at the end of a batch fails whole.
    let r = l.apply(&[t(30, 1, 2, 1), linked(t(31, 1, 2, 1))], 3);
    assert!(r[0].is_ok());
    assert_eq!(r[1], Err(Refused::LinkedEventChainOpen));
    l.check().expect("balanced");
}

#[test]
fn a_pending_transfer_is_posted_in_part_voided_or_expires() {
    let mut l = ledger();
    l.apply(&[t(10, 1, 2, 1_000)], 1);
    // A bicycle deposit of 200 yuan held, then a ride of 150 fen posted.
    l.apply(&[pending(t(20, 2, 1, 800), 0)], 2)[0]
        .clone()
        .expect("held");
    assert_eq!(l.account(2).map(Account::available), Some(200));
    assert_eq!(
        l.apply(&[t(21, 2, 3, 201)], 3)[0],
        Err(Refused::ExceedsCredits)
    );
    assert_eq!(
        l.apply(&[post(22, 20, 801)], 4)[0],
        Err(Refused::ExceedsPendingTransferAmount)
    );
    let posted = l.apply(&[post(22, 20, 150)], 4).remove(0).expect("posted");
    assert_eq!(posted.amount, 150);
    assert_eq!(l.account(2).map(Account::balance), Some(850));
    assert_eq!(
        l.account(2).map(|a| a.debits_pending),
        Some(0),
        "the rest released"
    );
    assert_eq!(
        l.apply(&[void(23, 20)], 5)[0],
        Err(Refused::PendingTransferAlreadyPosted)
    );
    // Another hold, voided.
    l.apply(&[pending(t(30, 2, 1, 100), 0)], 6)[0]
        .clone()
        .expect("held");
    l.apply(&[void(31, 30)], 7)[0].clone().expect("voided");
    assert_eq!(
        l.apply(&[post(32, 30, 0)], 8)[0],
        Err(Refused::PendingTransferAlreadyVoided)
    );
    // A hold that times out: it cannot be posted after, and expiry releases it.
    l.apply(&[pending(t(40, 2, 1, 100), 1_000)], 10)[0]
        .clone()
        .expect("held");
    assert!(l.expired(500).is_empty());
    assert_eq!(
        l.apply(&[post(41, 40, 0)], 2_000)[0],
        Err(Refused::PendingTransferExpired)
    );
    assert_eq!(l.expire(2_000), vec![40]);
    assert_eq!(l.pending_state(40), Some(PendingState::Expired));
    assert_eq!(l.account(2).map(|a| a.debits_pending), Some(0));
    l.check().expect("balanced");
}

#[test]
fn requests_wrong_on_their_face_are_refused() {
    let mut l = ledger();
    let mut both = pending(t(5, 1, 2, 1), 0);
    both.flags.post_pending = true;
    let mut other_ledger = t(6, 1, 2, 1);
    other_ledger.ledger = 840;
    let cases = [
        (t(0, 1, 2, 1), Refused::IdMustNotBeZero),
        (t(1, 1, 1, 1), Refused::AccountsMustBeDifferent),
        (t(2, 1, 2, 0), Refused::AmountMustNotBeZero),
        (t(3, 1, 2, -1), Refused::AmountMustNotBeNegative),
        (t(4, 1, 99, 1), Refused::CreditAccountNotFound),
        (both, Refused::FlagsAreMutuallyExclusive),
        (
            other_ledger,
            Refused::TransferMustHaveTheSameLedgerAsAccounts,
        ),
        (post(7, 0, 0), Refused::PendingIdMustNotBeZero),
        (post(8, 99, 0), Refused::PendingTransferNotFound),
    ];
    for (r, why) in cases {
        assert_eq!(l.apply(std::slice::from_ref(&r), 1)[0], Err(why), "{r:?}");
    }
    l.apply(&[t(9, 1, 2, 5)], 1);
    assert_eq!(
        l.apply(&[post(10, 9, 0)], 2)[0],
        Err(Refused::PendingTransferNotPending)
    );
    assert_eq!(l.create_account(wallet(2)), Err(AccountRefused::Exists));
    assert_eq!(
        l.create_account(cash(2)),
        Err(AccountRefused::ExistsWithDifferentFields)
    );
    assert_eq!(
        l.create_account(cash(0)),
        Err(AccountRefused::IdMustNotBeZero)
    );
}

#[test]
fn timestamps_are_unique_and_increasing_even_when_the_clock_is_not() {
    let mut l = ledger();
    let r = l.apply(&[t(1, 1, 2, 1), t(2, 1, 2, 1)], 100);
    let r2 = l.apply(&[t(3, 1, 2, 1)], 50);
    let stamps: Vec<i64> = r
        .iter()
        .chain(r2.iter())
        .map(|x| x.as_ref().expect("ok").timestamp)
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");
}

/// A request drawn over five accounts (a cash account, wallets, a
/// merchant), with ids that collide so that retries happen.
fn request() -> impl Strategy<Value = TransferRequest> {
    (
        1u64..60,
        1u64..6,
        1u64..6,
        prop_oneof![Just(0i64), 1i64..2_000, Just(-3)],
        0u8..8,
        1u64..60,
        any::<bool>(),
    )
        .prop_map(|(id, d, c, amount, kind, pending_id, link)| {
            let mut r = t(id, d, c, amount);
            r.flags.linked = link;
            match kind {
                0 => {
                    r.flags.pending = true;
                    r.timeout = if pending_id % 2 == 0 { 0 } else { 50 };
                }
                1 => {
                    r.flags.post_pending = true;
                    r.pending_id = pending_id;
                }
                2 => {
                    r.flags.void_pending = true;
                    r.pending_id = pending_id;
                    r.amount = 0;
                }
                _ => {}
            }
            r
        })
}

fn five() -> Ledger {
    let mut l = Ledger::new();
    l.create_account(cash(1)).expect("cash");
    for id in 2..=4 {
        l.create_account(wallet(id)).expect("wallet");
    }
    l.create_account(Account::new(
        5,
        FEN,
        3,
        AccountFlags {
            credits_must_not_exceed_debits: true,
            ..AccountFlags::default()
        },
    ))
    .expect("a refund account");
    l
}

proptest! {
    /// Random batches never break the invariant; a transfer applied is
    /// never changed; and every chain is all or nothing.
    #[test]
    fn random_batches_keep_the_books_balanced(
        batches in proptest::collection::vec(proptest::collection::vec(request(), 1..12), 1..12)
    ) {
        let mut l = five();
        let mut applied: HashMap<Id, Transfer> = HashMap::default();
        let mut now = 0;
        for batch in &batches {
            now += 20;
            l.expire(now);
            let results = l.apply(batch, now);
            prop_assert_eq!(results.len(), batch.len());
            if let Err(broken) = l.check() {
                return Err(TestCaseError::fail(format!("{broken:?} after {batch:?}")));
            }
            // Chains: all applied or none.
            let mut start = 0;
            for (i, r) in batch.iter().enumerate() {
                if !r.flags.linked || i + 1 == batch.len() {
                    let chain = &results[start..=i];
                    if chain.len() > 1 {
                        let oks = chain.iter().filter(|x| x.is_ok()).count();
                        prop_assert!(oks == 0 || oks == chain.len(), "{:?}", chain);
                    }
                    start = i + 1;
                }
            }
            for r in results.into_iter().flatten() {
                let id = r.request.id;
                if let Some(first) = applied.get(&id) {
                    prop_assert_eq!(first, &r, "a transfer never changes");
                }
                prop_assert_eq!(l.transfer(id), Some(&r));
                applied.insert(id, r);
            }
        }
        // What the engine would have stored, replayed, gives the same books.
        let fresh = l.take_fresh();
        let mut events: Vec<(i64, Event)> = fresh
            .transfers
            .iter()
            .map(|t| (t.timestamp, Event::Transfer(t.clone())))
            .collect();
        events.extend(fresh.expired.iter().map(|(id, at)| (*at, Event::Expired(*id, *at))));
        events.sort_by_key(|(k, _)| *k);
        let replayed = Ledger::replay(fresh.accounts.clone(), events.into_iter().map(|(_, e)| e))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for a in l.accounts() {
            prop_assert_eq!(replayed.account(a.id), Some(a));
        }
        prop_assert!(l.take_fresh().is_empty(), "taken once");
    }
}

#[test]
fn a_history_the_ledger_could_not_have_made_is_refused_on_replay() {
    let mut l = ledger();
    l.apply(
        &[t(1, 1, 2, 500), linked(t(2, 2, 3, 200)), t(3, 2, 3, 100)],
        10,
    );
    let fresh = l.take_fresh();
    let ok = Ledger::replay(
        fresh.accounts.clone(),
        fresh.transfers.iter().cloned().map(Event::Transfer),
    )
    .expect("the stored history replays");
    assert_eq!(ok.account(2).map(Account::balance), Some(200));
    // A chain cut short.
    let cut = Ledger::replay(
        fresh.accounts.clone(),
        fresh.transfers[..2].iter().cloned().map(Event::Transfer),
    )
    .expect_err("half a chain");
    assert_eq!(cut.id, 2);
    // A wallet that pays before it is paid.
    let mut overdrawn = fresh.transfers.clone();
    overdrawn.swap(0, 1);
    let (a, b) = (overdrawn[0].timestamp, overdrawn[1].timestamp);
    overdrawn[0].timestamp = b;
    overdrawn[1].timestamp = a;
    overdrawn.sort_by_key(|t| t.timestamp);
    let e = Ledger::replay(
        fresh.accounts.clone(),
        overdrawn.into_iter().map(Event::Transfer),
    )
    .expect_err("overdrawn");
    assert!(e.why.contains("ExceedsCredits"), "{e}");
    // An amount changed in storage.
    let mut forged = fresh.transfers.clone();
    forged[2].amount = 150;
    let e = Ledger::replay(fresh.accounts, forged.into_iter().map(Event::Transfer))
        .expect_err("forged");
    assert!(e.why.contains("stored amount"), "{e}");
}

proptest! {
    /// A ledger that forgets what is stored, restarts from its image and
    /// recalls from the store each transfer a request names decides every
    /// request as one that keeps its whole history: the same transfers
    /// applied, refused where it refuses, and the same image at the end.
    #[test]
    fn forgetting_and_restarting_from_images_changes_no_decision(
        batches in proptest::collection::vec(
            (proptest::collection::vec(request(), 1..10), 0u8..4),
            1..14,
        )
    ) {
        let mut whole = five();
        let mut lean = five();
        let mut store: HashMap<Id, Transfer> = HashMap::default();
        let mut now = 0;
        for (batch, what_then) in &batches {
            now += 20;
            whole.expire(now);
            lean.expire(now);
            for r in batch {
                if !lean.remembers(r.id) {
                    if let Some(t) = store.get(&r.id) {
                        lean.recall(t.clone());
                    }
                }
            }
            let expected = whole.apply(batch, now);
            let got = lean.apply(batch, now);
            for (e, g) in expected.iter().zip(&got) {
                match (e, g) {
                    (Ok(e), Ok(g)) => prop_assert_eq!(e, g),
                    (Err(_), Err(_)) => {}
                    _ => return Err(TestCaseError::fail(format!("{e:?} but {g:?} for {batch:?}"))),
                }
            }
            for t in lean.take_fresh().transfers {
                store.insert(t.request.id, t);
            }
            whole.take_fresh();
            match what_then {
                1 => {
                    lean.forget_before(now + 1);
                }
                2 => {
                    lean = Ledger::from_image(lean.image())
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                }
                _ => {}
            }
            prop_assert_eq!(whole.image(), lean.image());
            prop_assert!(lean.check().is_ok());
        }
    }
}

#[test]
fn a_replay_from_an_image_and_forgetting_as_it_goes_ends_where_the_whole_one_does() {
    let mut l = ledger();
    let mut pending = t(4, 1, 2, 300);
    pending.flags.pending = true;
    let mut post = t(5, 0, 0, 0);
    post.pending_id = 4;
    post.flags.post_pending = true;
    l.apply(&[t(1, 1, 2, 500), t(2, 2, 3, 200)], 10);
    let half = l.image();
    l.apply(&[t(3, 2, 3, 100), pending], 20);
    l.apply(&[post], 30);
    let fresh = l.take_fresh();
    let accounts = fresh.accounts.clone();
    let after_half = fresh.transfers.iter().filter(|t| t.timestamp > half.clock);
    let mut r = Replayer::from_image(half.clone(), accounts.clone()).expect("the image opens");
    for t in after_half {
        r.push(Event::Transfer(t.clone())).expect("replays");
        r.forget_before(t.timestamp);
    }
    assert_eq!(r.finish().expect("ends").image(), l.image());
    // An image that names an account twice is no ledger's.
    let mut twice = half;
    twice.accounts.push(twice.accounts[0].clone());
    assert!(Ledger::from_image(twice).is_err());
    // A recalled pending transfer is done: it cannot be posted again.
    let mut lean = Ledger::from_image(l.image()).expect("opens");
    lean.recall(fresh.transfers[3].clone());
    let mut again = t(6, 0, 0, 0);
    again.pending_id = 4;
    again.flags.post_pending = true;
    assert_eq!(
        lean.apply(&[again], 40).pop(),
        Some(Err(Refused::PendingTransferNotFound))
    );
}
