//! The citizen card's demo: the card centre's staff, two transit operators
//! and two merchants with their terminals, and the demo citizen's card with
//! money on it and a few rides. The terminals' keys are derived from their
//! codes ([`demo_terminal_key`]) so that anyone can drive the demo's
//! terminal API; they are for the demo only.

use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};
use sunshine_domain::card::book::{Card, NewParty, NewTerminal, Purse, TapInput, TerminalKind};
use sunshine_domain::card::lifecycle::CardCommand;
use sunshine_domain::identity::Actor;

use crate::card::{Grant, IssueCard, MedicalCredit, TopUp};
use crate::{App, Result};
use sunshine_domain::card::entitlement::{Kind, RestFrom};

/// The demo terminals: code, kind, operator or merchant, fare network.
pub const DEMO_TERMINALS: [(&str, TerminalKind, &str, &str); 10] = [
    ("BUS-B1-01", TerminalKind::Validator, "hz-bus", "bus"),
    (
        "BUS-K155-01",
        TerminalKind::Validator,
        "hz-bus",
        "bus_aircon",
    ),
    (
        "BOAT-01",
        TerminalKind::Validator,
        "hz-waterbus",
        "water_bus",
    ),
    ("PARK-WULIN-01", TerminalKind::Pos, "wulin-parking", ""),
    ("TAXI-A12345", TerminalKind::Pos, "hz-taxi", ""),
    ("HOSP-DESK-01", TerminalKind::Gate, "zj-hospital", ""),
    ("PARK-GATE-01", TerminalKind::Gate, "hz-parks", ""),
    ("LIB-DESK-01", TerminalKind::Gate, "hz-library", ""),
    ("BIKE-WULIN-01", TerminalKind::Dock, "hz-bikes", ""),
    ("BIKE-HUBIN-01", TerminalKind::Dock, "hz-bikes", ""),
];

/// A demo terminal's signing key, derived from its code. Demo only: a real
/// terminal makes its key itself and registers the public half.
pub fn demo_terminal_key(code: &str) -> SigningKey {
    let seed: [u8; 32] = Sha256::digest(format!("sunshine demo terminal {code}")).into();
    SigningKey::from_bytes(&seed)
}

/// The card centre's parties and terminals, the demo citizen's card with
/// its entitlements, and a morning's rides on it.
pub(super) async fn load(app: &App, clerk: &Actor, operator: &Actor) -> Result<()> {
    add_parties(app, operator).await?;
    add_terminals(app, operator).await?;
    let card = issue_citizen_card(app, clerk).await?;
    grant_entitlements(app, clerk, &card).await?;
    // The medical-insurance fund's payments into the personal account, as
    // its file would give them: 1,200 yuan.
    app.credit_medical(
        operator,
        MedicalCredit {
            // The fund's ids are its own; a counter's top-ups count from 1.
            id: 4_000_000_000_000_000_001,
            card: card.number.clone(),
            amount: 120_000,
        },
    )
    .await?;
    morning_rides(app, &card).await
}

/// The transit operators, merchants and institutions that take the card.
async fn add_parties(app: &App, operator: &Actor) -> Result<()> {
    let party = |code: &str, name: &str, kind: &str, accepts: &[Purse], percent| NewParty {
        code: code.into(),
        name: name.into(),
        kind: kind.into(),
        accepts: accepts.to_vec(),
        percent_of_price: percent,
    };
    for p in [
        party("hz-bus", "杭州公交集团", "operator", &[Purse::Wallet], 100),
        party(
            "hz-waterbus",
            "杭州水上巴士",
            "operator",
            &[Purse::Wallet],
            100,
        ),
        party(
            "wulin-parking",
            "武林广场停车场（持卡九折）",
            "merchant",
            &[Purse::Wallet, Purse::Account],
            90,
        ),
        party(
            "hz-taxi",
            "杭州出租车",
            "merchant",
            &[Purse::Wallet, Purse::Account],
            100,
        ),
        party(
            "zj-hospital",
            "浙江省人民医院",
            "institution",
            &[Purse::Account],
            100,
        ),
        party(
            "hz-parks",
            "杭州市园林文物局公园",
            "institution",
            &[Purse::Wallet],
            100,
        ),
        party(
            "hz-library",
            "杭州图书馆",
            "institution",
            &[Purse::Wallet],
            100,
        ),
        party(
            "hz-bikes",
            "杭州公共自行车",
            "operator",
            &[Purse::Wallet],
            100,
        ),
    ] {
        app.add_card_party(operator, p).await?;
    }
    Ok(())
}

/// The demo terminals ([`DEMO_TERMINALS`]), with keys from their codes.
async fn add_terminals(app: &App, operator: &Actor) -> Result<()> {
    for (code, kind, party, network) in DEMO_TERMINALS {
        app.add_terminal(
            operator,
            NewTerminal {
                code: code.into(),
                kind,
                party: party.into(),
                network_id: network.into(),
                public_key: hex::encode(demo_terminal_key(code).verifying_key().to_bytes()),
            },
        )
        .await?;
    }
    Ok(())
}

/// The demo citizen's card, issued, activated and topped up.
async fn issue_citizen_card(app: &App, clerk: &Actor) -> Result<Card> {
    let card = app
        .issue_card(
            clerk,
            IssueCard {
                holder: super::DEMO_CITIZEN_ID.into(),
                holder_name: "王小明".into(),
                rider_category: "adult".into(),
            },
        )
        .await?;
    app.card_command(clerk, &card.number, CardCommand::Activate)
        .await?;
    app.top_up(
        clerk,
        &card.number,
        TopUp {
            id: 1,
            purse: Purse::Wallet,
            amount: 30_000,
        },
    )
    .await?;
    Ok(card)
}

async fn grant_entitlements(app: &App, clerk: &Actor, card: &Card) -> Result<()> {
    // Insured, with a park annual card to the end of next year and a library card.
    let next_year = sunshine_domain::clock::local_date(app.clock.now()).year() + 1;
    for (kind, until) in [
        (Kind::Medical, None),
        (Kind::Park, Some(format!("{next_year}-12-31"))),
        (Kind::Library, None),
    ] {
        app.grant_entitlement(
            clerk,
            &card.number,
            Grant {
                kind,
                valid_until: until,
            },
        )
        .await?;
    }
    Ok(())
}

async fn morning_rides(app: &App, card: &Card) -> Result<()> {
    // A morning's rides and a parking fee, uploaded as the terminals would.
    let now = app.now_micros();
    let hour = 3_600_000_000;
    let number = card.number.clone();
    let ride = move |seq, at| TapInput {
        seq,
        card: number.clone(),
        at,
        from_area: String::new(),
        to_area: String::new(),
        amount: 0,
        purse: None,
        refund_of: None,
    };
    let number_b = card.number.clone();
    app.on_books(move |b, now_b| {
        b.upload("BUS-B1-01", vec![ride(1, now - 5 * hour)], now_b)?;
        b.upload("BUS-K155-01", vec![ride(1, now - 3 * hour)], now_b)?;
        b.upload(
            "PARK-WULIN-01",
            vec![TapInput {
                amount: 1_500,
                purse: Some(Purse::Wallet),
                ..ride(1, now - 2 * hour)
            }],
            now_b,
        )?;
        // A visit to the hospital: 250 yuan, 200 of it paid by the fund and
        // 50 from the personal medical account.
        b.medical_settlement(
            "HOSP-DESK-01",
            "demo-1",
            &number_b,
            25_000,
            20_000,
            RestFrom::Account,
            now_b,
        )?;
        Ok(())
    })
    .await
}
