//! The books' image: a start from it and the rows after it is a start from
//! the whole history.

use super::*;
use crate::card::ledger::Replayer;

const MINUTE: i64 = 60 * SECOND;

#[test]
fn books_opened_from_an_image_and_what_came_after_are_the_books_replayed_whole() {
    let (mut b, number) = books(10_000);
    let mut rows = Stored::default();
    let mut accounts = vec![];
    let mut history = vec![];
    let mut keep = |b: &mut Book, rows: &mut Stored| {
        let fresh = b.take_fresh();
        accounts.extend(fresh.accounts);
        history.extend(fresh.transfers);
        store_effects(b, rows);
    };
    b.upload(
        "V1",
        vec![ride(1, &number, 0), ride(3, &number, 5 * MINUTE)],
        0,
    )
    .expect("uploaded");
    keep(&mut b, &mut rows);
    let image = b.image(1, 10 * MINUTE);
    let (bytes, digest) = image.encode();
    let taken = image.clone();
    // After the image: more taps (one fills V1's gap), a settlement of the day.
    b.upload("V1", vec![ride(2, &number, 2 * MINUTE)], 20 * MINUTE)
        .expect("uploaded");
    b.upload("V2", vec![ride(1, &number, 200 * MINUTE)], 30 * MINUTE)
        .expect("uploaded");
    keep(&mut b, &mut rows);
    let before_settling = b.day_takings(jiff::civil::date(1970, 1, 1));
    assert!(before_settling[&1].count >= 2, "{before_settling:?}");

    // A start: the image, the transfers after it, the taps applied after it.
    let image = BookImage::decode(&bytes, &digest).expect("the image reads back");
    assert_eq!(image, taken);
    let mut r = Replayer::from_image(image.ledger.clone(), accounts.clone()).expect("opens");
    for t in history.iter().filter(|t| t.timestamp > image.ledger.clock) {
        r.push(Event::Transfer(t.clone())).expect("replays");
    }
    let mut after = Stored {
        cards: rows.cards.clone(),
        parties: rows.parties.clone(),
        terminals: rows.terminals.clone(),
        deny_log: rows.deny_log.clone(),
        ..Stored::default()
    };
    after.taps = rows
        .taps
        .iter()
        .filter(|t| t.applied_at > image.taken_at)
        .cloned()
        .collect();
    let from_image = Book::open_image(image, r, b.rules.clone(), after).expect("opens");
    let whole = Book::open(
        Ledger::replay(accounts, history.into_iter().map(Event::Transfer)).expect("replays"),
        b.rules.clone(),
        rows,
    );
    assert_eq!(
        from_image.image(2, 40 * MINUTE),
        whole.image(2, 40 * MINUTE)
    );
    assert_eq!(from_image.image(2, 40 * MINUTE), b.image(2, 40 * MINUTE));
    assert_eq!(
        from_image.day_takings(jiff::civil::date(1970, 1, 1)),
        before_settling
    );

    // A day settled is no longer carried; its takings are the settlement's.
    let day = jiff::civil::date(1970, 1, 1);
    b.settle(day, day_bounds(day).1, &clerk()).expect("settled");
    assert!(b.image(3, day_bounds(day).1).takings.is_empty());
    assert_eq!(b.day_takings(day), before_settling);

    // A byte changed is found before the image is used.
    let mut bad = bytes.clone();
    bad[bytes.len() / 2] ^= 1;
    let e = BookImage::decode(&bad, &digest).expect_err("damaged");
    assert!(e.contains("digest"), "{e}");
}
