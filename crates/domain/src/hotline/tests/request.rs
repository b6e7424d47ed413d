//! A request as it comes in: its checks and its likeness to an open one.

use super::*;

#[test]
fn requests_alike_by_caller_or_by_place_and_time() {
    let base = Likeness {
        category: "water.leak",
        point: Some((30.2741, 120.1551)),
        address: None,
        caller: None,
        at: at("2026-11-02T01:00:00Z"),
    };
    let near = Likeness {
        point: Some((30.2745, 120.1553)),
        at: at("2026-11-03T01:00:00Z"),
        ..base.clone()
    };
    assert!(alike(&near, &base), "50 m and a day apart");
    let far = Likeness {
        point: Some((30.29, 120.1551)),
        ..near.clone()
    };
    assert!(!alike(&far, &base), "nearly 2 km apart");
    let later = Likeness {
        at: at("2026-11-06T01:00:00Z"),
        ..near.clone()
    };
    assert!(!alike(&later, &base), "outside the window");
    let other = Likeness {
        category: "road.pothole",
        ..near.clone()
    };
    assert!(!alike(&other, &base));
    let caller_a = Likeness {
        caller: Some("13800000000"),
        point: None,
        at: at("2026-11-20T01:00:00Z"),
        ..base.clone()
    };
    let caller_b = Likeness {
        caller: Some("13800000000"),
        ..base.clone()
    };
    assert!(
        alike(&caller_a, &caller_b),
        "the same caller on the same matter"
    );
    let by_address_a = Likeness {
        point: None,
        address: Some("文三路 100 号"),
        ..base.clone()
    };
    let by_address_b = Likeness {
        point: None,
        address: Some("文三路100号"),
        ..base.clone()
    };
    assert!(alike(&by_address_a, &by_address_b));
    assert!((distance_m((30.0, 120.0), (30.0, 120.0)) - 0.0).abs() < 1e-6);
}

#[test]
fn control_characters_are_refused_in_requests_and_in_commands_texts() {
    let r = check_request(&RequestText {
        description: "多行\n描述\t可以",
        address: Some("文三路\u{7}"),
        lines: vec![("name", "王\u{202e}五"), ("device_id", "a\nb")],
        ..Default::default()
    })
    .expect_err("faults");
    for field in ["address_string", "name", "device_id"] {
        assert!(r.fields.contains_key(field), "{field} is reported: {r:?}");
    }
    assert!(
        !r.fields.contains_key("description"),
        "line breaks and tabs are fine"
    );
    for bad in ["\u{0}", "\u{1b}[31m", "\u{85}", "\u{2066}"] {
        let c = Command::Urge {
            note: format!("快{bad}点"),
        };
        assert!(
            Command::texts(&c)
                .iter()
                .any(|(_, t)| !crate::refusal::is_clean_text(t)),
            "{bad:?} is unclean"
        );
    }
}

#[test]
fn a_new_request_is_checked_all_at_once() {
    let long = "字".repeat(4001);
    let r = check_request(&RequestText {
        description: &long,
        point: Some((10.0, 10.0)),
        phone: Some("abc"),
        email: Some("nobody"),
        media_url: Some("ftp://x"),
        ..Default::default()
    })
    .expect_err("faults");
    for field in ["description", "lat", "phone", "email", "media_url"] {
        assert!(r.fields.contains_key(field), "{field} is reported: {r:?}");
    }
    let ok = RequestText {
        description: "<script>alert(1)</script> 路灯不亮",
        point: Some((30.27, 120.15)),
        phone: Some("0571-96345"),
        email: Some("a@b.cn"),
        media_url: Some("https://x.cn/a.jpg"),
        address: None,
        lines: vec![("name", "王五")],
        channel: Some(Channel::Web),
    };
    check_request(&ok).expect("a good request, HTML and all: it is stored as given");
    assert_eq!(
        ticket_number(at("2026-12-31T17:00:00Z"), 42),
        "96345-2027-0000042"
    );
    assert_eq!(ticket_id("96345-2027-0000042"), Some(42));
    assert_eq!(ticket_id("96345-2027-12345678"), Some(12_345_678));
    for not_one in [
        "2026-330100-0000042",
        "96345-27-0000042",
        "96345-2027-",
        "96345-2027-00x1",
        "96345-2027-0000000",
    ] {
        assert_eq!(ticket_id(not_one), None, "{not_one}");
    }
}

#[test]
fn a_request_that_says_nothing_is_refused_on_every_channel_a_person_fills_in() {
    for channel in [Channel::Phone, Channel::Web, Channel::Kiosk, Channel::Tv] {
        for said in ["", "   ", "\n\t"] {
            let r = check_request(&RequestText {
                description: said,
                address: Some("文三路 100 号"),
                channel: Some(channel),
                ..Default::default()
            })
            .expect_err("an empty request");
            assert!(r.fields.contains_key("description"), "{r:?}");
            assert_eq!(r.fields["description"].en, "Say what the request is about");
        }
    }
    // GeoReport v2: a client's service code and place are a report.
    check_request(&RequestText {
        address: Some("文一路 2 号"),
        channel: Some(Channel::Open311),
        ..Default::default()
    })
    .expect("an Open311 request without words");
}

#[test]
fn the_box_around_a_point_meets_a_block_of_four_squares() {
    let own = place_cell(30.2741, 120.1551);
    let around = cells_around(30.2741, 120.1551);
    assert!(around.contains(&own), "{around:?} holds {own}");
    let [south_west, south_east, north_west, north_east] = around;
    assert_eq!((south_east - south_west, north_east - north_west), (1, 1));
    assert_eq!(north_west - south_west, 100_000);
    let rows = around.map(|c| c / 100_000);
    let columns = around.map(|c| c % 100_000);
    assert_eq!(rows.iter().max().unwrap() - rows.iter().min().unwrap(), 1);
    assert_eq!(
        columns.iter().max().unwrap() - columns.iter().min().unwrap(),
        1
    );
    assert_eq!(
        around
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        4,
        "{around:?}"
    );
    assert_eq!(
        own - place_cell(30.2741 - PLACE_CELL_DEG, 120.1551),
        100_000,
        "a square to the south is a row down"
    );
}

proptest! {
    /// However two points fall, when the second is within the box around the
    /// first, its square is one of the first's four: the index never misses a
    /// request the duplicate check would have found by its coordinates.
    #[test]
    fn a_point_within_the_box_lies_in_a_cell_around(
        lat in 29.0f64..31.0,
        long in 118.0f64..121.0,
        dlat in -ALIKE_BOX_DEG..=ALIKE_BOX_DEG,
        dlong in -ALIKE_BOX_DEG..=ALIKE_BOX_DEG,
    ) {
        let around = cells_around(lat, long);
        let cell = place_cell(lat + dlat, long + dlong);
        prop_assert!((around[0]..=around[1]).contains(&cell) || (around[2]..=around[3]).contains(&cell));
        prop_assert!(around.contains(&place_cell(lat, long)));
    }
}
