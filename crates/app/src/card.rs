//! The citizen card (市民卡): every use case goes through the card engine,
//! which decides on the books in memory and stores them in batches. The
//! policy decides who may ask: card clerks serve any cardholder at a
//! counter, card operators register operators, merchants and terminals, a
//! resident sees and reports lost only their own cards, and a terminal is
//! known by its signature.

mod check;
pub mod engine;
pub mod lease;
pub use check::{check_ledger, LedgerReport};

use crate::access::{ReadOf, StaffRead};
use serde::{Deserialize, Serialize};
use sunshine_domain::access::{mask_card_number, ReadKind, ReadPurpose};
use sunshine_domain::card::book::{
    self, Balances, Book, Card, DenyChange, Doer, NewParty, NewTerminal, Party, Purse, Rules,
    TapInput, TapRecord, Terminal,
};
use sunshine_domain::card::entitlement::{Entitlement, Kind, MedicalRecord, RestFrom, Verdict};
use sunshine_domain::card::fares::Fares;
use sunshine_domain::card::ledger::Transfer;
use sunshine_domain::card::lifecycle::CardCommand;
use sunshine_domain::card::signing;
use sunshine_domain::identity::{Actor, UserKind};
use sunshine_domain::ids::ResidentId;
use sunshine_domain::refusal::Refusal;

pub use engine::Engine;

use crate::{App, Result};

mod cards;
mod entitlements;
mod operations;

pub use cards::{BuyPass, CardView, IssueCard, TapView, TopUp};
pub use entitlements::{
    Check, CounterAsk, CounterCheck, EntitlementView, Grant, Medical, MedicalCredit, MedicalView,
    RollReport,
};
pub use operations::{
    Clearing, ClearingLine, DenyEntry, DenyList, Signed, TapUpload, UploadResult,
};

/// The city's fares as shipped, in GTFS-Fares v2 files.
const FARE_FILES: [(&str, &str); 3] = [
    (
        "fare_products.txt",
        include_str!("../../../data/card/fares/fare_products.txt"),
    ),
    (
        "rider_categories.txt",
        include_str!("../../../data/card/fares/rider_categories.txt"),
    ),
    (
        "fare_leg_rules.txt",
        include_str!("../../../data/card/fares/fare_leg_rules.txt"),
    ),
];

/// The card centre's rules: the wallet's bounds and Hangzhou's fares.
pub fn city_rules() -> Rules {
    let fares = Fares::from_gtfs(|name| {
        FARE_FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| (*text).to_string())
    })
    .unwrap_or_else(|e| panic!("the shipped fares do not read: {e}"));
    Rules {
        fares,
        ..Rules::default()
    }
}

const RECENT_TAPS: usize = 20;
/// How many of a holder's medical settlements a card's view shows.
pub const RECENT_MEDICAL: i64 = 20;

/// A terminal's JSON body, or a refusal that says what is wrong with it.
fn body_of<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        Refusal::invalid(
            "bad_body",
            &format!("请求体格式不正确：{e}"),
            &format!("The body is not what this request takes: {e}"),
        )
        .into()
    })
}

/// A clerk's read of a holder's cards: one record for the holder.
fn card_read(purpose: ReadPurpose, holder: &str, numbers: &[String]) -> StaffRead {
    let masked: Vec<String> = numbers.iter().map(|n| mask_card_number(n)).collect();
    StaffRead {
        subject: format!("access/card/{}", numbers.join(",")),
        kind: ReadKind::Card,
        purpose,
        payload: serde_json::json!({"view": "card", "cards": numbers}),
        persons: vec![ReadOf {
            user: None,
            number: Some(holder.to_string()),
            what: masked.join(", "),
        }],
    }
}

fn doer(actor: &Actor) -> Doer {
    Doer {
        actor: actor.journal_name(),
        org: actor
            .org
            .as_ref()
            .map(|o| o.as_str().to_string())
            .unwrap_or_default(),
    }
}

impl App {
    pub(crate) async fn on_books<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Book, i64) -> std::result::Result<T, Refusal> + Send + 'static,
    {
        self.card_engine().await?.run(f).await
    }

    /// [`App::on_books`] for a request that names transfers by id (a
    /// retry's, a refund's purchase): those that left the engine's memory
    /// are recalled from the store first.
    pub(crate) async fn on_books_recalling<T, F>(&self, ids: Vec<u64>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Book, i64) -> std::result::Result<T, Refusal> + Send + 'static,
    {
        self.card_engine().await?.run_recalling(ids, f).await
    }

    /// The resident a citizen's account is bound to (实名), or a refusal: an
    /// account that only says it is a number sees nothing registered to it.
    async fn resident_of(&self, actor: &Actor) -> Result<String> {
        if actor.kind != UserKind::Citizen {
            return Err(Refusal::forbidden(
                "not_a_resident",
                "仅居民本人可办理",
                "Only the resident can do this",
            )
            .into());
        }
        actor
            .verified_id
            .clone()
            .ok_or_else(|| crate::identity::binding::not_bound().into())
    }

    /// Whether `actor` may see and act on `card`: its holder, or a card clerk.
    async fn may_serve(&self, actor: &Actor, holder: &str) -> Result<()> {
        if self
            .authorize_centre(actor, crate::CentreWork::ServeCardholder)
            .is_ok()
        {
            return Ok(());
        }
        match self.resident_of(actor).await {
            Ok(me) if me == holder => Ok(()),
            // Someone else's card is not there for them.
            _ => Err(Refusal::not_found("该卡", "The card").into()),
        }
    }

    /// A card's holder, the name on it and its state.
    pub(crate) async fn card_holder_and_state(
        &self,
        number: &str,
    ) -> Result<(String, String, sunshine_domain::card::lifecycle::CardState)> {
        let number = number.to_string();
        self.on_books(move |b, _| {
            b.card(&number)
                .map(|c| (c.holder.clone(), c.holder_name.clone(), c.state))
                .ok_or_else(|| Refusal::not_found("该卡", "The card"))
        })
        .await
    }

    async fn holder_of(&self, number: &str) -> Result<String> {
        let number = number.to_string();
        self.on_books(move |b, _| {
            b.card(&number)
                .map(|c| c.holder.clone())
                .ok_or_else(|| Refusal::not_found("该卡", "The card"))
        })
        .await
    }
}
