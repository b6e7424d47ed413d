//! The citizen card (市民卡): every use case goes through the card engine,
//! which decides on the books in memory and stores them in batches. The
//! policy decides who may ask: card clerks serve any cardholder at a
//! counter, card operators register operators, merchants and terminals, a
//! resident sees and reports lost only their own cards, and a terminal is
//! known by its signature.

pub mod engine;

use crate::access::{ReadOf, StaffRead};
use serde::{Deserialize, Serialize};
use sunshine_domain::access::{mask_card_number, ReadKind, ReadPurpose};
use sunshine_domain::card::book::{
    self, Balances, Book, Card, DenyChange, Doer, NewParty, NewTerminal, Party, Purse, Rules,
    TapInput, TapRecord, Terminal,
};
use sunshine_domain::card::entitlement::{Entitlement, Kind, MedicalRecord, Verdict};
use sunshine_domain::card::fares::Fares;
use sunshine_domain::card::ledger::Transfer;
use sunshine_domain::card::lifecycle::CardCommand;
use sunshine_domain::card::signing;
use sunshine_domain::identity::{Actor, UserKind};
use sunshine_domain::ids::ResidentId;
use sunshine_domain::refusal::Refusal;

pub use engine::Engine;

use crate::{App, Result};

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

/// What `sunshine ledger check` found.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerReport {
    pub accounts: usize,
    pub transfers: usize,
    /// Posted debits, which equal posted credits, fen.
    pub posted: i128,
    pub taps: usize,
}

impl LedgerReport {
    /// One line for people: what was checked and that it balanced.
    pub fn summary(&self) -> String {
        format!(
            "{} accounts, {} transfers, {} taps; debits = credits = {} fen",
            self.accounts, self.transfers, self.taps, self.posted
        )
    }
}

/// Check the stored books without the engine: replay the ledger's whole
/// history under every rule (each transfer as applied, no chain cut short),
/// check the invariant (debits equal credits, no flag broken), and tie every
/// charged tap out to its transfer. Works on a store no process is serving,
/// and on one that is (it reads what is committed).
pub async fn check_ledger(db: &sunshine_store::Db) -> std::result::Result<LedgerReport, String> {
    let mut conn = db.read_bulk().await.map_err(|e| e.to_string())?;
    let loaded = sunshine_store::card::load(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    let transfers = loaded
        .events
        .iter()
        .filter(|e| matches!(e, sunshine_domain::card::ledger::Event::Transfer(_)))
        .count();
    let ledger = sunshine_domain::card::ledger::Ledger::replay(loaded.accounts, loaded.events)
        .map_err(|e| format!("the history does not replay: {e}"))?;
    ledger
        .check()
        .map_err(|e| format!("the invariant is broken: {e:?}"))?;
    let (taps, wrong) = sunshine_store::card::taps_against_ledger(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(first) = wrong.first() {
        return Err(format!("{first} ({} such taps at least)", wrong.len()));
    }
    let posted = ledger.accounts().map(|a| i128::from(a.debits_posted)).sum();
    Ok(LedgerReport {
        accounts: ledger.accounts().count(),
        transfers,
        posted,
        taps: usize::try_from(taps).unwrap_or(0),
    })
}

/// One operator's or merchant's line in a day's clearing report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClearingLine {
    pub party: String,
    pub name: String,
    pub kind: String,
    /// Charged taps applied that day, and what they charged, fen.
    pub taps: u64,
    pub tapped: i64,
    /// What the ledger credited to the party's takings that day, and debited back as refunds.
    pub ledger_takings: i64,
    pub refunds: i64,
    /// Passes sold that day.
    pub passes: i64,
    /// Takings less refunds: what settlement pays.
    pub net: i64,
    /// The taps and the ledger agree to the fen.
    pub ties_out: bool,
    /// The settlement made, if the day is settled.
    pub settled: Option<book::Settlement>,
}

/// A day's clearing report (T+1).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Clearing {
    pub day: String,
    pub lines: Vec<ClearingLine>,
    /// Totals, fen.
    pub tapped: i64,
    pub ledger_takings: i64,
    pub net: i64,
    /// Every line ties out.
    pub ties_out: bool,
    pub settled: bool,
}

/// A card to issue.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct IssueCard {
    /// The resident's identity number.
    pub holder: String,
    pub holder_name: String,
    /// `adult`, `student`, `senior`… (the fares' rider categories); empty: full fare.
    #[serde(default)]
    pub rider_category: String,
}

/// Money put on a card.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct TopUp {
    /// The client's id for this top-up, 1 to 2⁶²−1: a retry with the same id
    /// is answered with the first top-up and adds nothing.
    pub id: u64,
    #[schema(value_type = String)]
    pub purse: Purse,
    /// Fen.
    pub amount: i64,
}

/// A card as its holder or a clerk sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CardView {
    pub card: Card,
    pub balances: Balances,
    /// Why terminals refuse it, if they do.
    pub denied: Option<String>,
    /// The newest taps first.
    pub taps: Vec<TapView>,
    /// What the card entitles its holder to, with whether it holds now.
    pub entitlements: Vec<EntitlementView>,
    /// The public-bicycle deposit is held in the wallet.
    pub bike_deposit: bool,
    /// A bicycle is out: from which dock, since when (microseconds).
    pub bike_out: Option<(String, i64)>,
    /// Passes (月票) bought, newest first.
    pub passes: Vec<book::Pass>,
    /// The holder's medical settlements, newest first (the last
    /// [`RECENT_MEDICAL`]): they follow the holder to a replacement card.
    pub medical: Vec<MedicalView>,
}

/// A medical settlement as its holder and the counter see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MedicalView {
    #[serde(flatten)]
    pub record: MedicalRecord,
    /// The hospital or pharmacy.
    pub place: String,
}

/// A pass to buy.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct BuyPass {
    /// The pass's fare product (one with a duration), e.g. `bus_month`.
    pub product: String,
    /// Its first day, `YYYY-MM-DD`.
    pub first_day: String,
}

/// An entitlement with what a gate would say now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntitlementView {
    #[serde(flatten)]
    pub entitlement: Entitlement,
    #[schema(value_type = String)]
    pub verdict: Verdict,
}

/// An entitlement to grant.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Grant {
    #[schema(value_type = String)]
    pub kind: Kind,
    /// The last day it holds (`YYYY-MM-DD`, Asia/Shanghai); none: open-ended.
    #[serde(default)]
    pub valid_until: Option<String>,
}

/// What a gate or desk asks.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Check {
    pub card: String,
    #[schema(value_type = String)]
    pub kind: Kind,
}

/// A medical settlement at a hospital's desk.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Medical {
    /// The desk's own id of this request (1 to 64 printable ASCII
    /// characters): sent again, it answers the first settlement.
    pub request_id: String,
    pub card: String,
    /// What the visit cost, and what insurance pays, fen.
    pub total: i64,
    pub insured: i64,
}

/// A tap, with where it was.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TapView {
    #[serde(flatten)]
    pub tap: TapRecord,
    /// The operator or merchant.
    pub place: String,
    /// The fare product's name (or what was bought).
    pub product_name: String,
}

/// What an upload of taps did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UploadResult {
    pub taps: Vec<TapRecord>,
    /// Sequence numbers below the highest seen that have not arrived.
    pub missing: Vec<u64>,
    /// The deny list's version now, so the terminal knows to fetch changes.
    pub deny_version: u64,
}

/// The deny list for a terminal: the full list, or the changes since a version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DenyList {
    pub version: u64,
    /// Set for the full list: every card denied now, with why.
    pub cards: Option<Vec<DenyEntry>>,
    /// Set for changes: each change after the version asked for, in order.
    pub changes: Option<Vec<DenyChange>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DenyEntry {
    pub card: String,
    pub reason: String,
}

/// A terminal's signed request, as it came.
pub struct Signed<'a> {
    pub terminal: &'a str,
    pub method: &'a str,
    pub path_and_query: &'a str,
    /// Seconds since the epoch, the terminal's clock.
    pub timestamp: i64,
    pub signature: &'a str,
    pub body: &'a [u8],
}

const RECENT_TAPS: i64 = 20;
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
    /// The card engine, started on first use (the server starts it at once).
    pub async fn card_engine(&self) -> Result<&Engine> {
        self.card
            .get_or_try_init(|| Engine::start(self.db.clone(), self.clock.clone(), city_rules()))
            .await
    }

    pub(crate) async fn on_books<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Book, i64) -> std::result::Result<T, Refusal> + Send + 'static,
    {
        self.card_engine().await?.run(f).await
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

    /// Issue a card at a counter.
    pub async fn issue_card(&self, actor: &Actor, input: IssueCard) -> Result<Card> {
        self.authorize_centre(actor, crate::CentreWork::ServeCardholder)?;
        let holder = ResidentId::parse(input.holder.trim()).map_err(|e| {
            Refusal::field(
                "holder",
                e.to_string(),
                "Not a valid resident identity number",
            )
        })?;
        let by = doer(actor);
        self.on_books(move |b, now| {
            b.issue(&holder, &input.holder_name, &input.rider_category, now, &by)
        })
        .await
    }

    /// A step of a card's life. A holder may report their own card lost
    /// (and cancel the report); every other step is a clerk's.
    pub async fn card_command(
        &self,
        actor: &Actor,
        number: &str,
        command: CardCommand,
    ) -> Result<(Card, Option<Card>)> {
        let holder = self.holder_of(number).await?;
        let own = matches!(command, CardCommand::ReportLoss | CardCommand::CancelLoss);
        self.may_serve(actor, &holder).await?;
        if !own {
            self.authorize_centre(actor, crate::CentreWork::ServeCardholder)?;
        }
        let (by, number) = (doer(actor), number.to_string());
        self.on_books(move |b, now| b.command(&number, &command, now, &by))
            .await
    }

    /// Put money on a card: at a counter, or online by its holder.
    pub async fn top_up(&self, actor: &Actor, number: &str, input: TopUp) -> Result<Transfer> {
        let holder = self.holder_of(number).await?;
        self.may_serve(actor, &holder).await?;
        let number = number.to_string();
        // A clerk takes cash (or a bank's payment) at the counter; a holder
        // online moves money from the card's account, which is paid into at
        // a counter or by bank, to its wallet.
        if self
            .authorize_centre(actor, crate::CentreWork::ServeCardholder)
            .is_ok()
        {
            return self
                .on_books(move |b, now| b.top_up(&number, input.purse, input.amount, input.id, now))
                .await;
        }
        if input.purse != Purse::Wallet {
            return Err(Refusal::field(
                "purse",
                "实名账户请在服务网点或通过银行存入",
                "Money goes into the account at a service hall or by bank",
            )
            .into());
        }
        self.on_books(move |b, now| b.top_up_from_account(&number, input.amount, input.id, now))
            .await
    }

    /// Hold the public-bicycle deposit in a card's wallet, or release it
    /// (its holder, or a card clerk).
    pub async fn bike_deposit(&self, actor: &Actor, number: &str, hold: bool) -> Result<Transfer> {
        let holder = self.holder_of(number).await?;
        self.may_serve(actor, &holder).await?;
        let (by, number) = (doer(actor), number.to_string());
        self.on_books(move |b, now| b.bike_deposit(&number, hold, now, &by))
            .await
    }

    /// The passes on sale: product id, name, price in fen, days.
    pub async fn pass_products(&self) -> Result<Vec<(String, String, i64, u32)>> {
        self.on_books(|b, _| {
            Ok(b.rules
                .fares
                .products
                .iter()
                .filter(|p| p.duration_days > 0)
                .map(|p| {
                    (
                        p.fare_product_id.clone(),
                        p.fare_product_name.clone(),
                        p.amount,
                        p.duration_days,
                    )
                })
                .collect())
        })
        .await
    }

    /// Buy a pass from the card's wallet (its holder, or a card clerk).
    pub async fn buy_pass(
        &self,
        actor: &Actor,
        number: &str,
        input: BuyPass,
    ) -> Result<book::Pass> {
        let holder = self.holder_of(number).await?;
        self.may_serve(actor, &holder).await?;
        let day = input
            .first_day
            .trim()
            .parse::<jiff::civil::Date>()
            .map_err(|_| {
                Refusal::field("first_day", "日期格式为 YYYY-MM-DD", "A day is YYYY-MM-DD")
            })?;
        let (by, number) = (doer(actor), number.to_string());
        self.on_books(move |b, now| b.buy_pass(&number, &input.product, day, now, &by))
            .await
    }

    /// A card with its balances and recent taps.
    pub async fn card_view(&self, actor: &Actor, number: &str) -> Result<CardView> {
        self.read_card(actor, number, ReadPurpose::CounterService)
            .await
    }

    /// A card with its balances, rides and medical records, for its holder
    /// or a clerk; a clerk's read is journaled and shown to the holder.
    pub async fn read_card(
        &self,
        actor: &Actor,
        number: &str,
        purpose: ReadPurpose,
    ) -> Result<CardView> {
        let holder = self.holder_of(number).await?;
        self.may_serve(actor, &holder).await?;
        if actor.kind == UserKind::Staff {
            let read = card_read(purpose, &holder, &[number.to_string()]);
            self.record_staff_read(actor, read).await?;
        }
        self.view_of(number).await
    }

    async fn view_of(&self, number: &str) -> Result<CardView> {
        let n = number.to_string();
        let (
            card,
            balances,
            denied,
            (places, products, entitlements, (bike_deposit, bike_out), passes),
        ) = self
            .on_books(move |b, now| {
                let card = b
                    .card(&n)
                    .cloned()
                    .ok_or_else(|| Refusal::not_found("该卡", "The card"))?;
                let denied = b
                    .deny_list()
                    .into_iter()
                    .find(|(c, _)| *c == n)
                    .map(|(_, r)| r);
                let places: Vec<(u64, String)> = b
                    .parties()
                    .into_iter()
                    .map(|p| (p.id, p.name.clone()))
                    .collect();
                let products: Vec<(String, String)> = b
                    .rules
                    .fares
                    .products
                    .iter()
                    .map(|p| (p.fare_product_id.clone(), p.fare_product_name.clone()))
                    .collect();
                let entitlements = b
                    .entitlements_of(&card.holder)
                    .into_iter()
                    .map(|e| EntitlementView {
                        verdict: b.check_entitlement(&n, e.kind, now),
                        entitlement: e,
                    })
                    .collect::<Vec<_>>();
                Ok((
                    card.clone(),
                    b.balances(card.id),
                    denied,
                    (
                        places,
                        products,
                        entitlements,
                        b.bike_state(card.id),
                        b.passes_of(&card.holder),
                    ),
                ))
            })
            .await?;
        let (taps, medical) = {
            let mut conn = self.db.read().await?;
            (
                sunshine_store::card::taps_of(&mut conn, number, RECENT_TAPS).await?,
                sunshine_store::card::medical_of(&mut conn, &card.holder, RECENT_MEDICAL).await?,
            )
        };
        let place_of = |party: u64| {
            places
                .iter()
                .find(|(id, _)| *id == party)
                .map(|(_, n)| n.clone())
                .unwrap_or_default()
        };
        let medical = medical
            .into_iter()
            .map(|record| MedicalView {
                place: place_of(record.party),
                record,
            })
            .collect();
        let taps = taps
            .into_iter()
            .map(|tap| TapView {
                product_name: products
                    .iter()
                    .find(|(id, _)| *id == tap.product)
                    .map_or_else(|| tap.product.clone(), |(_, n)| n.clone()),
                place: place_of(tap.party),
                tap,
            })
            .collect();
        Ok(CardView {
            card,
            balances,
            denied,
            taps,
            entitlements,
            bike_deposit,
            bike_out,
            passes,
            medical,
        })
    }

    /// The signed-in resident's cards, newest first.
    pub async fn my_cards(&self, actor: &Actor) -> Result<Vec<CardView>> {
        let me = self.resident_of(actor).await?;
        let numbers = self
            .on_books(move |b, _| {
                Ok(b.cards_of(&me)
                    .into_iter()
                    .map(|c| c.number.clone())
                    .collect::<Vec<_>>())
            })
            .await?;
        let mut out = Vec::with_capacity(numbers.len());
        for n in numbers {
            out.push(self.view_of(&n).await?);
        }
        Ok(out)
    }

    /// A resident's cards, for a clerk.
    pub async fn cards_of(&self, actor: &Actor, holder: &str) -> Result<Vec<Card>> {
        self.cards_of_for(actor, holder, ReadPurpose::CounterService)
            .await
    }

    /// A resident's cards, for a clerk: a read journaled and shown to them.
    pub async fn cards_of_for(
        &self,
        actor: &Actor,
        holder: &str,
        purpose: ReadPurpose,
    ) -> Result<Vec<Card>> {
        self.authorize_centre(actor, crate::CentreWork::ServeCardholder)?;
        let holder = holder.trim().to_string();
        let h = holder.clone();
        let cards: Vec<Card> = self
            .on_books(move |b, _| Ok(b.cards_of(&h).into_iter().cloned().collect()))
            .await?;
        if !cards.is_empty() {
            let numbers: Vec<String> = cards.iter().map(|c| c.number.clone()).collect();
            self.record_staff_read(actor, card_read(purpose, &holder, &numbers))
                .await?;
        }
        Ok(cards)
    }

    /// Register a transit operator or a merchant.
    pub async fn add_card_party(&self, actor: &Actor, input: NewParty) -> Result<Party> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let by = doer(actor);
        self.on_books(move |b, now| b.add_party(&input, now, &by))
            .await
    }

    /// Register a terminal.
    pub async fn add_terminal(&self, actor: &Actor, input: NewTerminal) -> Result<Terminal> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let by = doer(actor);
        self.on_books(move |b, now| b.add_terminal(&input, now, &by))
            .await
    }

    /// Every terminal, retired ones too, for operators.
    pub async fn card_terminals(&self, actor: &Actor) -> Result<Vec<Terminal>> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        self.on_books(|b, _| Ok(b.terminals().into_iter().cloned().collect()))
            .await
    }

    /// Give a terminal a new public key; the old one is refused from now on.
    pub async fn change_terminal_key(
        &self,
        actor: &Actor,
        code: &str,
        public_key: &str,
    ) -> Result<Terminal> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let (by, code, key) = (doer(actor), code.to_string(), public_key.to_string());
        self.on_books(move |b, now| b.change_terminal_key(&code, &key, now, &by))
            .await
    }

    /// Retire a terminal: it is refused from now on.
    pub async fn retire_terminal(
        &self,
        actor: &Actor,
        code: &str,
        reason: &str,
    ) -> Result<Terminal> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let (by, code, reason) = (doer(actor), code.to_string(), reason.to_string());
        self.on_books(move |b, now| b.retire_terminal(&code, &reason, now, &by))
            .await
    }

    /// The operators and merchants, for operators.
    pub async fn card_parties(&self, actor: &Actor) -> Result<Vec<Party>> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        self.on_books(|b, _| Ok(b.parties().into_iter().cloned().collect()))
            .await
    }

    /// A day's clearing report: per operator and merchant, the charged taps
    /// against what the ledger credited, refunds, what settlement pays, and
    /// whether the day is settled.
    pub async fn clearing(&self, actor: &Actor, day: jiff::civil::Date) -> Result<Clearing> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let (from, to) = book::day_bounds(day);
        let tapped = {
            let mut conn = self.db.read().await?;
            sunshine_store::card::tapped_between(&mut conn, from, to).await?
        };
        let key = day.to_string();
        let (takings, settlements, parties) = self
            .on_books(move |b, _| {
                Ok((
                    b.day_takings(day),
                    b.settlements(Some(&key)),
                    b.parties().into_iter().cloned().collect::<Vec<_>>(),
                ))
            })
            .await?;
        let mut lines = vec![];
        for p in parties {
            let d = takings.get(&p.id).copied().unwrap_or_default();
            let (taps, tapped_fen) = tapped
                .iter()
                .find(|(id, _, _)| *id == p.id)
                .map_or((0, 0), |(_, n, s)| (*n, *s));
            let settled = settlements.iter().find(|s| s.party == p.id).cloned();
            if taps == 0 && d == book::DayTakings::default() && settled.is_none() {
                continue;
            }
            lines.push(ClearingLine {
                party: p.code,
                name: p.name,
                kind: p.kind,
                taps,
                tapped: tapped_fen,
                ledger_takings: d.takings,
                refunds: d.refunds,
                passes: d.passes,
                net: d.net(),
                ties_out: taps == d.count && tapped_fen == d.takings,
                settled,
            });
        }
        Ok(Clearing {
            day: day.to_string(),
            tapped: lines.iter().map(|l| l.tapped).sum(),
            ledger_takings: lines.iter().map(|l| l.ledger_takings).sum(),
            net: lines.iter().map(|l| l.net).sum(),
            ties_out: lines.iter().all(|l| l.ties_out),
            settled: !settlements.is_empty(),
            lines,
        })
    }

    /// Settle a day that has ended: each party is paid its net.
    pub async fn settle(
        &self,
        actor: &Actor,
        day: jiff::civil::Date,
    ) -> Result<Vec<book::Settlement>> {
        self.authorize_centre(actor, crate::CentreWork::OperateCards)?;
        let by = doer(actor);
        self.on_books(move |b, now| b.settle(day, now, &by)).await
    }

    /// Grant an entitlement (a card clerk).
    pub async fn grant_entitlement(
        &self,
        actor: &Actor,
        number: &str,
        g: Grant,
    ) -> Result<Entitlement> {
        self.authorize_centre(actor, crate::CentreWork::ServeCardholder)?;
        let until = match g
            .valid_until
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(d) => {
                let day = d.parse::<jiff::civil::Date>().map_err(|_| {
                    Refusal::field(
                        "valid_until",
                        "日期格式为 YYYY-MM-DD",
                        "A day is YYYY-MM-DD",
                    )
                })?;
                // It holds to the end of its last day.
                Some(book::day_bounds(day).1)
            }
        };
        let (by, number) = (doer(actor), number.to_string());
        self.on_books(move |b, now| b.grant(&number, g.kind, until, now, &by))
            .await
    }

    /// Revoke an entitlement with the reason (a card clerk).
    pub async fn revoke_entitlement(
        &self,
        actor: &Actor,
        number: &str,
        kind: Kind,
        reason: &str,
    ) -> Result<Entitlement> {
        self.authorize_centre(actor, crate::CentreWork::ServeCardholder)?;
        let (by, number, reason) = (doer(actor), number.to_string(), reason.to_string());
        self.on_books(move |b, now| b.revoke(&number, kind, &reason, now, &by))
            .await
    }

    /// A gate or desk checks a card's entitlement (signed).
    pub async fn check_entitlement(&self, s: &Signed<'_>) -> Result<Verdict> {
        self.signed_by(s).await?;
        let c: Check = body_of(s.body)?;
        self.on_books(move |b, now| Ok(b.check_entitlement(&c.card, c.kind, now)))
            .await
    }

    /// A hospital's desk records a medical settlement (signed).
    pub async fn medical_settlement(&self, s: &Signed<'_>) -> Result<MedicalRecord> {
        let terminal = self.signed_by(s).await?;
        let m: Medical = body_of(s.body)?;
        self.on_books(move |b, now| {
            b.medical_settlement(
                &terminal.code,
                &m.request_id,
                &m.card,
                m.total,
                m.insured,
                now,
            )
        })
        .await
    }

    /// Check a terminal's signature; the terminal, if it holds.
    async fn signed_by(&self, s: &Signed<'_>) -> Result<Terminal> {
        let code = s.terminal.to_string();
        let terminal = self
            .on_books(move |b, _| {
                b.terminal(&code)
                    .cloned()
                    .ok_or_else(Refusal::unauthenticated)
            })
            .await?;
        let message = signing::message(s.method, s.path_and_query, s.timestamp, s.body);
        let now = self.now_micros().div_euclid(1_000_000);
        signing::verify(
            &terminal.public_key,
            &message,
            s.signature,
            s.timestamp,
            now,
        )?;
        // Only a request signed with its key learns that it is retired.
        terminal.serving()?;
        Ok(terminal)
    }

    /// A terminal uploads taps it recorded (online or after working offline).
    pub async fn upload_taps(&self, s: &Signed<'_>) -> Result<UploadResult> {
        let terminal = self.signed_by(s).await?;
        #[derive(Deserialize)]
        struct Body {
            taps: Vec<TapInput>,
        }
        let body: Body = body_of(s.body)?;
        if body.taps.len() > 10_000 {
            return Err(Refusal::invalid(
                "too_many_taps",
                "每批最多10000条",
                "At most 10,000 taps a batch",
            )
            .into());
        }
        self.on_books(move |b, now| {
            let (taps, missing) = b.upload(&terminal.code, body.taps, now)?;
            Ok(UploadResult {
                taps,
                missing,
                deny_version: b.deny_version(),
            })
        })
        .await
    }

    /// The deny list for a terminal: all of it, or the changes after `since`.
    pub async fn deny_list(&self, s: &Signed<'_>, since: Option<u64>) -> Result<DenyList> {
        self.signed_by(s).await?;
        self.on_books(move |b, _| {
            let version = b.deny_version();
            Ok(match since {
                Some(v) if v <= version => DenyList {
                    version,
                    cards: None,
                    changes: Some(b.deny_changes(v).to_vec()),
                },
                _ => DenyList {
                    version,
                    cards: Some(
                        b.deny_list()
                            .into_iter()
                            .map(|(card, reason)| DenyEntry { card, reason })
                            .collect(),
                    ),
                    changes: None,
                },
            })
        })
        .await
    }
}
