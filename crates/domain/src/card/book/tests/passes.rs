//! Period passes.

use super::*;

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
