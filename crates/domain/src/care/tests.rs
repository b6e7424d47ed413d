use std::collections::BTreeMap;

use proptest::prelude::*;

use super::order::{commands_for, order_id, MAX_MINUTES};
use super::*;

fn rules() -> CareRules {
    CareRules::from_json(include_str!("../../../../data/care/rules.json")).unwrap()
}

#[test]
fn the_shipped_rules_load() {
    let r = rules();
    assert_eq!(r.care_from_age, 60);
    assert_eq!(r.allowances.len(), 3);
    assert!(r.service("clean").is_some());
    assert!(r.service("massage").is_none());
}

#[test]
fn the_highest_band_reached_applies() {
    let r = rules();
    assert_eq!(r.allowance(59), None);
    assert_eq!(r.allowance(-1), None);
    assert_eq!(r.allowance(60).unwrap().from_age, 60);
    assert_eq!(r.allowance(79).unwrap().from_age, 60);
    assert_eq!(r.allowance(80).unwrap().from_age, 80);
    assert_eq!(r.allowance(89).unwrap().from_age, 80);
    assert_eq!(r.allowance(90).unwrap().from_age, 90);
    assert_eq!(r.allowance(104).unwrap().from_age, 90);
}

#[test]
fn bad_rules_are_refused_with_the_reason() {
    let good: serde_json::Value =
        serde_json::from_str(include_str!("../../../../data/care/rules.json")).unwrap();
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        CareRules::from_json(&v.to_string()).unwrap_err()
    };
    assert!(with(&|v| v["allowances"][1]["from_age"] = 60.into()).contains("ascend"));
    assert!(with(&|v| v["allowances"] = serde_json::json!([])).contains("no allowance"));
    assert!(with(&|v| v["services"][1]["code"] = "meal".into()).contains("twice"));
    assert!(with(&|v| v["services"][0]["hourly_fen"] = 0.into()).contains("price"));
    assert!(
        with(&|v| v["subsidised_minutes"] = serde_json::json!([600, 0, 0, 0])).contains("fall")
    );
    assert!(with(&|v| v["accept_hours"] = 0.into()).contains("accept_hours"));
}

#[test]
fn adl_levels_follow_mz_t_039() {
    assert_eq!(AdlLevel::of(100), AdlLevel::Intact);
    assert_eq!(AdlLevel::of(95), AdlLevel::Mild);
    assert_eq!(AdlLevel::of(65), AdlLevel::Mild);
    assert_eq!(AdlLevel::of(60), AdlLevel::Moderate);
    assert_eq!(AdlLevel::of(45), AdlLevel::Moderate);
    assert_eq!(AdlLevel::of(40), AdlLevel::Severe);
    assert_eq!(AdlLevel::of(0), AdlLevel::Severe);
    let r = rules();
    assert!(r.minutes_for(AdlLevel::Severe) > r.minutes_for(AdlLevel::Mild));
}

fn full_marks() -> BTreeMap<String, u8> {
    ITEMS
        .iter()
        .map(|i| (i.code.to_string(), *i.scores.last().unwrap()))
        .collect()
}

#[test]
fn an_assessment_needs_every_item_with_an_allowed_score() {
    let a = Assessment::from_scores(&full_marks()).unwrap();
    assert_eq!(a.total(), 100);
    assert_eq!(a.level(), AdlLevel::Intact);
    assert_eq!(a.by_code(), full_marks());

    let mut bad = full_marks();
    bad.remove("stairs");
    bad.insert("bathing".into(), 10);
    bad.insert("juggling".into(), 5);
    let r = Assessment::from_scores(&bad).unwrap_err();
    let fields: Vec<&str> = r.fields.keys().map(String::as_str).collect();
    assert_eq!(fields, ["bathing", "juggling", "stairs"]);
}

#[test]
fn order_numbers_carry_their_id() {
    let n = order_number(jiff::civil::date(2026, 12, 4), 42);
    assert_eq!(n, "JY20261204000042");
    assert_eq!(order_id(&n), Some(42));
    assert_eq!(order_id("JY2026"), None);
    assert_eq!(order_id("HX20261204000042"), None);
}

#[test]
fn the_happy_path_and_who_may_do_what() {
    use OrderState as S;
    let serve = OrderCommand::Serve {
        minutes: 90,
        note: "打扫厨房".into(),
    };
    let confirm = OrderCommand::Confirm {
        rating: 5,
        comment: String::new(),
    };
    assert_eq!(
        next_order_state(S::Placed, Party::Provider, &OrderCommand::Accept).unwrap(),
        S::Accepted
    );
    assert_eq!(
        next_order_state(S::Accepted, Party::Provider, &serve).unwrap(),
        S::Served
    );
    assert_eq!(
        next_order_state(S::Served, Party::Resident, &confirm).unwrap(),
        S::Confirmed
    );
    // The worker does not rate for the resident; the provider does not accept its own work.
    assert_eq!(
        next_order_state(S::Served, Party::ForResident, &confirm)
            .unwrap_err()
            .code,
        "not_your_part"
    );
    assert_eq!(
        next_order_state(S::Served, Party::Provider, &confirm)
            .unwrap_err()
            .code,
        "not_your_part"
    );
    assert_eq!(
        next_order_state(S::Placed, Party::Resident, &OrderCommand::Accept)
            .unwrap_err()
            .code,
        "not_your_part"
    );
    // Served work is not cancelled.
    let cancel = OrderCommand::Cancel {
        reason: "不需要了".into(),
    };
    assert_eq!(
        next_order_state(S::Served, Party::Resident, &cancel)
            .unwrap_err()
            .code,
        "order_state"
    );
    assert_eq!(
        commands_for(S::Placed, Party::Provider),
        ["accept", "decline"]
    );
    assert_eq!(commands_for(S::Accepted, Party::Resident), ["cancel"]);
    assert_eq!(commands_for(S::Served, Party::Resident), ["confirm"]);
    // For a resident without an account, the worker's return visit confirms.
    assert_eq!(commands_for(S::Served, Party::ReturnVisit), ["confirm"]);
    assert!(commands_for(S::Served, Party::ForResident).is_empty());
    assert!(commands_for(S::Confirmed, Party::Resident).is_empty());
}

#[test]
fn commands_check_what_they_carry() {
    use OrderState as S;
    let f = |c: OrderCommand| {
        next_order_state(S::Accepted, Party::Provider, &c)
            .unwrap_err()
            .fields
            .into_keys()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        f(OrderCommand::Serve {
            minutes: 0,
            note: "x".into()
        }),
        ["minutes"]
    );
    assert_eq!(
        f(OrderCommand::Serve {
            minutes: MAX_MINUTES + 1,
            note: "x".into()
        }),
        ["minutes"]
    );
    assert_eq!(
        f(OrderCommand::Serve {
            minutes: 30,
            note: " ".into()
        }),
        ["note"]
    );
    assert_eq!(
        f(OrderCommand::Serve {
            minutes: 30,
            note: "a\u{202e}b".into()
        }),
        ["note"]
    );
    let r = next_order_state(
        S::Served,
        Party::Resident,
        &OrderCommand::Confirm {
            rating: 6,
            comment: String::new(),
        },
    );
    assert!(r.unwrap_err().fields.contains_key("rating"));
}

#[test]
fn a_charge_at_the_standard_price() {
    // 90 minutes at 40 yuan an hour, 60 of them subsidised.
    let c = charge(4000, 90, 60, 0);
    assert_eq!(
        c,
        Charge {
            total_fen: 6000,
            subsidy_fen: 4000,
            bank_fen: 0,
            own_fen: 2000,
            subsidised_minutes: 60,
            banked_minutes: 0,
        }
    );
    // Nothing left: the resident pays it all; plenty left: nothing.
    assert_eq!(charge(4000, 90, 0, 0).own_fen, 6000);
    assert_eq!(charge(4000, 90, 600, 0).own_fen, 0);
    // 7 minutes at 30 yuan an hour is 3.50 yuan.
    assert_eq!(charge(3000, 7, 0, 0).total_fen, 350);
    // The time bank pays after the subsidy: 60 subsidised, 20 banked, 10 paid.
    let c = charge(4000, 90, 60, 20);
    assert_eq!((c.subsidy_fen, c.bank_fen, c.own_fen), (4000, 1333, 667));
    assert_eq!((c.subsidised_minutes, c.banked_minutes), (60, 20));
}

fn command() -> impl Strategy<Value = OrderCommand> {
    prop_oneof![
        Just(OrderCommand::Accept),
        Just(OrderCommand::Decline {
            reason: "忙".into()
        }),
        (0u32..700).prop_map(|m| OrderCommand::Serve {
            minutes: m,
            note: "做了".into()
        }),
        (0u8..8).prop_map(|r| OrderCommand::Confirm {
            rating: r,
            comment: String::new()
        }),
        Just(OrderCommand::Cancel {
            reason: "不要了".into()
        }),
    ]
}

fn party() -> impl Strategy<Value = Party> {
    prop_oneof![
        Just(Party::Resident),
        Just(Party::ForResident),
        Just(Party::Provider)
    ]
}

proptest! {
    /// Whatever is tried in whatever order: a final state never changes,
    /// an order is confirmed only by its resident after it was served, and
    /// it is served only by the provider after accepting it.
    #[test]
    fn orders_move_only_as_the_rules_say(steps in prop::collection::vec((party(), command()), 0..40)) {
        let mut state = OrderState::Placed;
        let mut accepted = false;
        let mut served = false;
        for (p, c) in steps {
            let before = state;
            match next_order_state(state, p, &c) {
                Ok(next) => {
                    prop_assert!(!before.is_final());
                    match next {
                        OrderState::Accepted => { prop_assert_eq!(p, Party::Provider); accepted = true; }
                        OrderState::Served => { prop_assert!(accepted); prop_assert_eq!(p, Party::Provider); served = true; }
                        OrderState::Confirmed => { prop_assert!(served); prop_assert!(matches!(p, Party::Resident | Party::ReturnVisit)); }
                        OrderState::Cancelled => { prop_assert!(!served); prop_assert_ne!(p, Party::Provider); }
                        OrderState::Declined => { prop_assert!(!accepted); }
                        OrderState::Placed => prop_assert!(false, "nothing leads back to placed"),
                    }
                    state = next;
                }
                Err(_) => prop_assert_eq!(state, before),
            }
        }
    }

    /// Over a month's orders the subsidy never uses more minutes than the
    /// month allows, and each order's parts add up to its whole.
    #[test]
    fn subsidies_add_up_and_stay_within_the_month(
        allowance in 0u32..3000,
        bank in 0u32..3000,
        price in 1u64..20_000,
        orders in prop::collection::vec(1u32..=MAX_MINUTES, 0..30),
    ) {
        let (mut left, mut banked) = (allowance, bank);
        let (mut used, mut spent) = (0u32, 0u32);
        for m in orders {
            let c = charge(price, m, left, banked);
            prop_assert_eq!(c.subsidy_fen + c.bank_fen + c.own_fen, c.total_fen);
            prop_assert!(c.subsidised_minutes <= m && c.subsidised_minutes <= left);
            prop_assert!(c.subsidised_minutes + c.banked_minutes <= m && c.banked_minutes <= banked);
            // The bank pays only what the subsidy does not.
            prop_assert!(c.banked_minutes == 0 || c.subsidised_minutes == left);
            // Subsidised time is charged at the same price as the rest.
            prop_assert!(c.subsidy_fen <= charge(price, c.subsidised_minutes, 0, 0).total_fen);
            left -= c.subsidised_minutes;
            banked -= c.banked_minutes;
            used += c.subsidised_minutes;
            spent += c.banked_minutes;
        }
        prop_assert!(used <= allowance && spent <= bank);
    }
}

mod time_bank {
    use super::super::timebank::*;
    use jiff::civil::date;

    #[test]
    fn time_given_is_checked_then_confirmed_or_refused_once() {
        let today = date(2026, 12, 4);
        assert!(check_claim(120, "陪老人聊天", date(2026, 12, 1), today).is_ok());
        let r = check_claim(0, " ", date(2026, 12, 9), today).unwrap_err();
        let fields: Vec<&str> = r.fields.keys().map(String::as_str).collect();
        assert_eq!(fields, ["activity", "minutes", "note"]);
        assert!(check_claim(MAX_CLAIM_MINUTES + 1, "x", today, today).is_err());
        assert_eq!(
            decide_claim(ClaimState::Recorded, true, "").unwrap(),
            ClaimState::Confirmed
        );
        assert!(decide_claim(ClaimState::Recorded, false, " ").is_err());
        assert_eq!(
            decide_claim(ClaimState::Recorded, false, "未到场").unwrap(),
            ClaimState::Refused
        );
        assert_eq!(
            decide_claim(ClaimState::Confirmed, true, "")
                .unwrap_err()
                .code,
            "claim_state"
        );
    }

    #[test]
    fn an_activity_has_a_title_a_place_and_a_day_within_a_year() {
        let today = date(2026, 12, 4);
        assert_eq!(
            check_activity("助老义剪", "2026-12-10", "社区活动室", today).unwrap(),
            date(2026, 12, 10)
        );
        let r = check_activity("", "2030-01-01", "", today).unwrap_err();
        let fields: Vec<&str> = r.fields.keys().map(String::as_str).collect();
        assert_eq!(fields, ["day", "place", "title"]);
    }
}

#[test]
fn allowances_are_paid_for_this_month_and_a_year_of_arrears() {
    let today: jiff::civil::Date = "2026-12-05".parse().expect("a day");
    let month = |m: &str| allowance_month(m, today).map(|d| d.to_string());
    assert_eq!(month("2026-12"), Ok("2026-12-01".to_string()));
    assert_eq!(month(" 2025-12 "), Ok("2025-12-01".to_string()));
    for wrong in ["2025-11", "2027-01", "2026-13", "December", ""] {
        assert!(month(wrong).is_err(), "{wrong}");
    }
}
