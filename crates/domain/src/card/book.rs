//! The card centre's books as the engine keeps them in memory: the ledger,
//! the cards, the deny list, the terminals and what each has uploaded.
//! Every operation decides here, in full, before it changes anything (a
//! refusal leaves the books as they were), and what it changes is recorded
//! as [`Effect`]s — with the ledger's own new rows — for the engine to store
//! in its next batch. Pure: no clock, no I/O; the moment is given.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::fares::{Fares, Leg};
use super::ledger::{
    Account, AccountFlags, Id, Ledger, Refused, Transfer, TransferFlags, TransferRequest,
};
use super::lifecycle::{next_state, CardCommand, CardState, WalletRules};
use crate::ids::ResidentId;
use crate::money::Fen;
use crate::journal::NewEntry;
use crate::refusal::Refusal;

/// The ledger of the yuan, in fen (ISO 4217's number for CNY).
pub const CNY: u32 = 156;

/// What an account is for (its `code`).
pub mod account_code {
    /// The card's electronic purse (电子钱包): transit and small payments.
    pub const WALLET: u16 = 1;
    /// The card's real-name account (实名账户), bank-like.
    pub const ACCOUNT: u16 = 2;
    /// What a card owes after offline taps overdrew its wallet.
    pub const CREDIT_LINE: u16 = 3;
    /// Money paid in at counters and banks, and paid back out.
    pub const CASH: u16 = 10;
    /// The card centre's fees.
    pub const FEES: u16 = 11;
    /// A transit operator's or a merchant's takings, until settled.
    pub const TAKINGS: u16 = 20;
    /// What has been paid out to operators and merchants.
    pub const SETTLED: u16 = 21;
    /// Public-bicycle deposits held.
    pub const DEPOSITS: u16 = 22;
}

/// What a transfer is (its `code`).
pub mod transfer_code {
    pub const TOP_UP: u16 = 1;
    pub const FARE: u16 = 2;
    pub const PURCHASE: u16 = 3;
    pub const REFUND: u16 = 4;
    /// Balances moved to a replacement card.
    pub const MOVE: u16 = 5;
    /// A cancelled card's balance paid back.
    pub const PAY_BACK: u16 = 6;
    pub const FEE: u16 = 7;
    /// An offline tap's shortfall, lent to the wallet.
    pub const OVERDRAFT: u16 = 8;
    /// A top-up repaying what the card owes.
    pub const REPAY: u16 = 9;
    /// Takings paid out to their operator or merchant.
    pub const SETTLEMENT: u16 = 10;
    /// The public-bicycle deposit, held in the wallet as a pending transfer.
    pub const DEPOSIT: u16 = 11;
    /// A pass (a monthly ticket) bought.
    pub const PASS: u16 = 12;
}

/// The counter's and banks' money.
pub const CASH_ACCOUNT: Id = 1;
/// The card centre's fees.
pub const FEE_ACCOUNT: Id = 2;
/// Paid out to operators and merchants.
pub const SETTLED_ACCOUNT: Id = 3;
/// Public-bicycle deposits held (pending until released).
pub const DEPOSIT_ACCOUNT: Id = 4;

/// A card's electronic purse.
pub fn wallet_of(card: u64) -> Id {
    card << 8 | 1
}
/// A card's real-name account.
pub fn account_of(card: u64) -> Id {
    card << 8 | 2
}
/// What a card owes.
pub fn credit_line_of(card: u64) -> Id {
    card << 8 | 3
}
/// An operator's or merchant's takings.
pub fn takings_of(party: u64) -> Id {
    1 << 62 | party
}

/// The most a client may choose as a transfer id; above it are the ids the
/// books make for transfers of their own.
pub const MAX_CLIENT_ID: Id = (1 << 62) - 1;
const OWN_IDS: Id = 1 << 63;

/// The seconds within which a second tap of one card on one terminal is not
/// charged again.
pub const DOUBLE_TAP_SECONDS: i64 = 10;

/// A card's number: `3301`, eight digits of its sequence, and a Luhn digit.
pub fn card_number(id: u64) -> String {
    let body = format!("3301{id:08}");
    format!("{body}{}", luhn_digit(&body))
}

fn luhn_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// The card's id from its number, if the number is well formed.
pub fn card_id(number: &str) -> Option<u64> {
    let n = number.trim();
    if n.len() != 13 || !n.bytes().all(|b| b.is_ascii_digit()) || !n.starts_with("3301") {
        return None;
    }
    let (body, check) = n.split_at(12);
    if luhn_digit(body) != u32::from(check.as_bytes()[0] - b'0') {
        return None;
    }
    body[4..].parse().ok()
}

/// A card as the books hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Card {
    pub id: u64,
    pub number: String,
    /// The holder's resident identity number.
    pub holder: String,
    pub holder_name: String,
    /// Whose fares they pay (GTFS's rider category): adult, student, senior…
    pub rider_category: String,
    #[schema(value_type = String)]
    pub state: CardState,
    /// The card this one replaced, and the one that replaced it.
    pub replaces: Option<String>,
    pub replaced_by: Option<String>,
    /// Microseconds, UTC.
    pub issued_at: i64,
    pub changed_at: i64,
}

/// Which of a card's two purses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purse {
    Wallet,
    Account,
}

impl Purse {
    pub fn of(self, card: u64) -> Id {
        match self {
            Purse::Wallet => wallet_of(card),
            Purse::Account => account_of(card),
        }
    }
}

/// What kind of terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TerminalKind {
    /// A bus validator, a water-bus gate: charges a ride by the fare rules.
    Validator,
    /// A merchant's point of sale: charges what the merchant keys in.
    Pos,
    /// A gate or a desk (a park's gate, a library's desk, a hospital's
    /// counter): checks entitlements, charges nothing.
    Gate,
    /// A public-bicycle dock: a tap takes a bicycle (the deposit must be
    /// held) or returns the one out, charged by the hours past the free one.
    Dock,
}

impl TerminalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TerminalKind::Validator => "validator",
            TerminalKind::Pos => "pos",
            TerminalKind::Gate => "gate",
            TerminalKind::Dock => "dock",
        }
    }

    pub fn parse(s: &str) -> Option<TerminalKind> {
        [
            TerminalKind::Validator,
            TerminalKind::Pos,
            TerminalKind::Gate,
            TerminalKind::Dock,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A transit operator or a merchant of the alliance: whose takings a tap credits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Party {
    pub id: u64,
    pub code: String,
    pub name: String,
    /// `operator` or `merchant`.
    pub kind: String,
    /// Which purse a payment may come from at its terminals.
    pub accepts: Vec<Purse>,
    /// What a cardholder pays of the keyed-in price, in percent (parking: 90).
    pub percent_of_price: u32,
}

/// An operator or a merchant to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewParty {
    pub code: String,
    pub name: String,
    /// `operator` or `merchant`.
    pub kind: String,
    pub accepts: Vec<Purse>,
    /// What a cardholder pays of the keyed-in price, in percent.
    #[serde(default = "full_price")]
    pub percent_of_price: u32,
}

fn full_price() -> u32 {
    100
}

/// A terminal to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewTerminal {
    pub code: String,
    #[schema(value_type = String)]
    pub kind: TerminalKind,
    /// The operator's or merchant's code.
    pub party: String,
    /// For a validator: its fare network.
    #[serde(default)]
    pub network_id: String,
    /// Its ed25519 public key, 64 hex digits.
    pub public_key: String,
}

/// A registered terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Terminal {
    pub code: String,
    #[schema(value_type = String)]
    pub kind: TerminalKind,
    /// The operator or merchant it takes money for.
    pub party: u64,
    /// For a validator: the fare network it charges (GTFS's `network_id`).
    pub network_id: String,
    /// Its ed25519 public key, hex; every upload is signed with it. A key
    /// changed replaces it: requests signed with the old one are refused.
    pub public_key: String,
    pub registered_at: i64,
    /// When it was retired (microseconds UTC): it is refused from then on.
    #[serde(default)]
    pub retired_at: Option<i64>,
}

impl Terminal {
    /// Whether it still takes requests.
    pub fn in_service(&self) -> bool {
        self.retired_at.is_none()
    }

    /// Itself if it still takes requests; a refusal if it is retired.
    pub fn serving(&self) -> Result<&Terminal, Refusal> {
        if !self.in_service() {
            return Err(Refusal::forbidden(
                "terminal_retired",
                "该终端已停用",
                "This terminal is retired",
            ));
        }
        Ok(self)
    }
}

/// A tap as a terminal recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TapInput {
    /// The terminal's own sequence number, from 1, one per tap.
    pub seq: u64,
    pub card: String,
    /// When the card was tapped, microseconds UTC (the terminal's clock).
    pub at: i64,
    /// A ride's areas (GTFS's `from_area_id`, `to_area_id`); empty for a flat fare.
    #[serde(default)]
    pub from_area: String,
    #[serde(default)]
    pub to_area: String,
    /// A purchase's amount, fen (point-of-sale terminals only).
    #[serde(default)]
    pub amount: i64,
    /// The purse a purchase is paid from (point-of-sale terminals only).
    #[serde(default)]
    pub purse: Option<Purse>,
    /// A refund: the transfer of the purchase it gives back (its tap's
    /// `transfer`), `amount` being what is given back (at most what was paid).
    #[serde(default)]
    pub refund_of: Option<u64>,
}

/// What became of a tap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TapOutcome {
    /// Charged in full from the purse.
    Charged,
    /// Charged, the wallet overdrawn within the offline rule; the card now owes.
    Overdrawn,
    /// No charge: a free transfer, a free ride.
    Free,
    /// Its sequence number was uploaded before: nothing done again.
    Repeat,
    /// The card is on the deny list (lost, frozen, dead, owing).
    Blocked,
    /// No such card.
    UnknownCard,
    /// A second tap of the card on this terminal within seconds: not charged.
    DoubleTap,
    /// Not enough in the purse, past what the offline rule allows: recorded unpaid.
    Unpaid,
    /// No fare rule prices this ride, or the tap is malformed.
    Rejected,
    /// A purchase given back (in part or in full) to the purse it came from.
    Refunded,
}

impl TapOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            TapOutcome::Charged => "charged",
            TapOutcome::Overdrawn => "overdrawn",
            TapOutcome::Free => "free",
            TapOutcome::Repeat => "repeat",
            TapOutcome::Blocked => "blocked",
            TapOutcome::UnknownCard => "unknown_card",
            TapOutcome::DoubleTap => "double_tap",
            TapOutcome::Unpaid => "unpaid",
            TapOutcome::Rejected => "rejected",
            TapOutcome::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<TapOutcome> {
        [
            TapOutcome::Charged,
            TapOutcome::Overdrawn,
            TapOutcome::Free,
            TapOutcome::Repeat,
            TapOutcome::Blocked,
            TapOutcome::UnknownCard,
            TapOutcome::DoubleTap,
            TapOutcome::Unpaid,
            TapOutcome::Rejected,
            TapOutcome::Refunded,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// A tap as the back office recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TapRecord {
    pub terminal: String,
    pub seq: u64,
    pub card: String,
    pub at: i64,
    #[schema(value_type = String)]
    pub outcome: TapOutcome,
    /// The fare product or "purchase"; the full price and what was charged, fen.
    pub product: String,
    /// The ride's leg group, for transfers (GTFS's `leg_group_id`).
    pub leg_group: String,
    pub full: i64,
    pub charged: i64,
    /// The transfer that charged it (0: none).
    pub transfer: Id,
    pub party: u64,
    /// When the back office applied it (its transfer's day is its day in clearing).
    pub applied_at: i64,
}

/// One operator's or merchant's settlement of one day (T+1): the day's
/// takings less refunds, paid out by one transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settlement {
    /// The day settled (Asia/Shanghai), `YYYY-MM-DD`.
    pub day: String,
    pub party: u64,
    /// Fares and purchases credited that day, fen, and how many.
    pub takings: i64,
    pub count: u64,
    /// Refunds debited that day, fen.
    pub refunds: i64,
    /// Passes sold that day, fen.
    #[serde(default)]
    pub passes: i64,
    /// Paid out: takings and passes less refunds.
    pub net: i64,
    /// The payout's transfer (0 when there was nothing to pay).
    pub transfer: Id,
    pub settled_at: i64,
}

/// What the ledger credited and debited an operator's or a merchant's
/// takings with in one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DayTakings {
    /// Fares and purchases (what taps charged), and how many.
    pub takings: i64,
    pub count: u64,
    pub refunds: i64,
    /// Passes sold.
    pub passes: i64,
}

impl DayTakings {
    /// What settlement pays.
    pub fn net(&self) -> i64 {
        self.takings + self.passes - self.refunds
    }
}

/// A change of the deny list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DenyChange {
    pub version: u64,
    pub card: String,
    /// Why it is denied (`lost`, `frozen`, `owed`…); `None`: taken off the list.
    pub reason: Option<String>,
}

/// What the books changed, for the engine to store with the ledger's rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Card(Card),
    Party(Party),
    Terminal(Terminal),
    Tap(TapRecord),
    Deny(DenyChange),
    Settlement(Settlement),
    Entitlement(super::entitlement::Entitlement),
    Medical(super::entitlement::MedicalRecord),
    /// A bicycle taken (`Some((dock, at))`) or returned (`None`) by a card.
    Rental(u64, Option<(String, i64)>),
    Pass(Pass),
    Journal {
        at: i64,
        entry: NewEntry,
    },
}

/// Who does a lifecycle step, for its journal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doer {
    pub actor: String,
    pub org: String,
}

/// A card's balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Balances {
    pub wallet: i64,
    pub account: i64,
    /// What it owes after offline overdrafts.
    pub owed: i64,
}

/// The rules the books apply beyond the ledger's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub wallet: WalletRules,
    /// The most an offline tap may overdraw a wallet, fen.
    pub offline_overdraft: i64,
    pub fares: Fares,
    /// A public bicycle is free for this many seconds, then costs
    /// `bike_per_hour` fen for each hour or part of one.
    pub bike_free_seconds: i64,
    pub bike_per_hour: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            wallet: WalletRules::default(),
            offline_overdraft: 1_000,
            fares: Fares::default(),
            bike_free_seconds: 3_600,
            bike_per_hour: 100,
        }
    }
}

/// A terminal's sequence numbers seen: all up to `upto`, and those above it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Seen {
    upto: u64,
    above: BTreeSet<u64>,
}

impl Seen {
    fn contains(&self, seq: u64) -> bool {
        seq <= self.upto || self.above.contains(&seq)
    }
    fn insert(&mut self, seq: u64) {
        if seq <= self.upto {
            return;
        }
        self.above.insert(seq);
        while self.above.remove(&(self.upto + 1)) {
            self.upto += 1;
        }
    }
    /// Sequence numbers below the highest seen that never arrived.
    fn gaps(&self, most: usize) -> Vec<u64> {
        let Some(&top) = self.above.iter().next_back() else {
            return vec![];
        };
        (self.upto + 1..top)
            .filter(|s| !self.above.contains(s))
            .take(most)
            .collect()
    }
}

/// A card's last charged leg, for transfers and double taps.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LastTap {
    terminal: String,
    at: i64,
    leg_group: String,
}

/// The books.
#[derive(Debug, Clone, Default)]
pub struct Book {
    pub ledger: Ledger,
    pub rules: Rules,
    cards: HashMap<u64, Card>,
    live_by_holder: HashMap<String, u64>,
    next_card: u64,
    next_own_id: u64,
    parties: HashMap<u64, Party>,
    party_codes: HashMap<String, u64>,
    terminals: HashMap<String, Terminal>,
    seen: HashMap<String, Seen>,
    last_tap: HashMap<u64, LastTap>,
    denied: HashMap<String, String>,
    deny_log: Vec<DenyChange>,
    settlements: Vec<Settlement>,
    pub(crate) entitlements:
        HashMap<(String, super::entitlement::Kind), super::entitlement::Entitlement>,
    pub(crate) medical_seq: u64,
    /// Medical settlements by terminal and request id, to answer a replay.
    pub(crate) medical_requests: HashMap<(String, String), super::entitlement::MedicalRecord>,
    /// Cards holding the bicycle deposit: the pending transfer that holds it.
    deposits: HashMap<u64, Id>,
    /// Bicycles out: the dock and the moment each was taken.
    rentals: HashMap<u64, (String, i64)>,
    /// Passes bought, by holder.
    passes: HashMap<String, Vec<Pass>>,
    effects: Vec<Effect>,
}

/// What the books hold, as stored, to start from.
#[derive(Debug, Default)]
pub struct Stored {
    pub cards: Vec<Card>,
    pub parties: Vec<Party>,
    pub terminals: Vec<Terminal>,
    /// Each terminal's sequence numbers seen: all up to the first number,
    /// and the second's above it.
    pub seen: Vec<(String, u64, Vec<u64>)>,
    /// The taps recent enough to matter for transfers and double taps, in
    /// the order recorded (their sequence numbers are counted as seen too).
    pub taps: Vec<TapRecord>,
    /// Bicycles out: card, dock, since when.
    pub rentals: Vec<(u64, String, i64)>,
    pub passes: Vec<Pass>,
    pub deny_log: Vec<DenyChange>,
    pub settlements: Vec<Settlement>,
    pub entitlements: Vec<super::entitlement::Entitlement>,
    /// The last medical settlement's number.
    pub medical_seq: u64,
    /// The medical settlements made with a request id.
    pub medical: Vec<super::entitlement::MedicalRecord>,
}

/// A name: one line, no control characters.
fn is_one_clean_line(s: &str) -> bool {
    crate::refusal::is_clean_text(s) && !s.contains(['\n', '\r', '\t'])
}

/// The moments a day (Asia/Shanghai) runs between, microseconds: `[from, to)`.
pub fn day_bounds(day: jiff::civil::Date) -> (i64, i64) {
    let from = crate::clock::start_of_local_day(day).as_microsecond();
    let to = day
        .tomorrow()
        .map(|d| crate::clock::start_of_local_day(d).as_microsecond())
        .unwrap_or(i64::MAX);
    (from, to)
}

impl Book {
    /// Open books around a replayed ledger and the stored rows. The card
    /// centre's own accounts are opened if they are not there.
    pub fn open(mut ledger: Ledger, rules: Rules, stored: Stored) -> Book {
        for (id, code) in [
            (CASH_ACCOUNT, account_code::CASH),
            (FEE_ACCOUNT, account_code::FEES),
            (SETTLED_ACCOUNT, account_code::SETTLED),
            (DEPOSIT_ACCOUNT, account_code::DEPOSITS),
        ] {
            let _ = ledger.create_account(Account::new(id, CNY, code, AccountFlags::default()));
        }
        // Refunds' ids (bit 62 set) are not the counter's.
        let next_own_id = ledger
            .max_id_between(OWN_IDS, OWN_IDS | (1 << 62))
            .map_or(0, |id| id - OWN_IDS);
        let deposits = ledger
            .transfers()
            .filter(|t| t.request.code == transfer_code::DEPOSIT && t.request.flags.pending)
            .filter(|t| {
                ledger.pending_state(t.request.id) == Some(super::ledger::PendingState::Pending)
            })
            .map(|t| (t.request.debit_account_id >> 8, t.request.id))
            .collect();
        let mut b = Book {
            ledger,
            rules,
            next_own_id,
            deposits,
            ..Book::default()
        };
        for c in stored.cards {
            b.next_card = b.next_card.max(c.id);
            if !c.state.is_dead() {
                b.live_by_holder.insert(c.holder.clone(), c.id);
            }
            b.cards.insert(c.id, c);
        }
        for p in stored.parties {
            b.party_codes.insert(p.code.clone(), p.id);
            b.parties.insert(p.id, p);
        }
        for t in stored.terminals {
            b.terminals.insert(t.code.clone(), t);
        }
        for (terminal, upto, above) in stored.seen {
            b.seen.insert(
                terminal,
                Seen {
                    upto,
                    above: above.into_iter().collect(),
                },
            );
        }
        for (card, dock, at) in stored.rentals {
            b.rentals.insert(card, (dock, at));
        }
        for p in stored.passes {
            b.passes.entry(p.holder.clone()).or_default().push(p);
        }
        for tap in stored.taps {
            b.seen
                .entry(tap.terminal.clone())
                .or_default()
                .insert(tap.seq);
            if matches!(
                tap.outcome,
                TapOutcome::Charged | TapOutcome::Overdrawn | TapOutcome::Free
            ) {
                if let Some(id) = card_id(&tap.card) {
                    b.last_tap.insert(
                        id,
                        LastTap {
                            terminal: tap.terminal.clone(),
                            at: tap.at,
                            leg_group: tap.leg_group.clone(),
                        },
                    );
                }
            }
        }
        b.settlements = stored.settlements;
        b.medical_seq = stored.medical_seq;
        for m in stored.medical {
            b.medical_requests
                .insert((m.terminal.clone(), m.request_id.clone()), m);
        }
        for e in stored.entitlements {
            b.entitlements.insert((e.holder.clone(), e.kind), e);
        }
        for change in stored.deny_log {
            match &change.reason {
                Some(r) => b.denied.insert(change.card.clone(), r.clone()),
                None => b.denied.remove(&change.card),
            };
            b.deny_log.push(change);
        }
        b
    }

    /// What changed since the last call: the books' effects (the ledger's
    /// rows are taken from `ledger` separately).
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    pub(crate) fn push_effect(&mut self, e: Effect) {
        self.effects.push(e);
    }

    fn own_id(&mut self) -> Id {
        self.next_own_id += 1;
        OWN_IDS | self.next_own_id
    }

    pub fn card(&self, number: &str) -> Option<&Card> {
        card_id(number).and_then(|id| self.cards.get(&id))
    }

    /// The holder's cards, newest first.
    pub fn cards_of(&self, holder: &str) -> Vec<&Card> {
        let mut v: Vec<&Card> = self.cards.values().filter(|c| c.holder == holder).collect();
        v.sort_by_key(|c| std::cmp::Reverse(c.id));
        v
    }

    pub fn balances(&self, card: u64) -> Balances {
        let bal = |id| self.ledger.account(id).map_or(0, Account::balance);
        Balances {
            wallet: bal(wallet_of(card)),
            account: bal(account_of(card)),
            owed: -bal(credit_line_of(card)),
        }
    }

    pub fn party(&self, code: &str) -> Option<&Party> {
        self.party_codes
            .get(code)
            .and_then(|id| self.parties.get(id))
    }

    pub fn parties(&self) -> Vec<&Party> {
        let mut v: Vec<&Party> = self.parties.values().collect();
        v.sort_by_key(|p| p.id);
        v
    }

    pub fn terminal(&self, code: &str) -> Option<&Terminal> {
        self.terminals.get(code)
    }

    /// A registered terminal, retired or not; an unknown one is refused.
    fn known_terminal(&self, code: &str) -> Result<&Terminal, Refusal> {
        self.terminal(code)
            .ok_or_else(|| Refusal::not_found("该终端", "The terminal"))
    }

    /// A terminal that still takes requests: unknown and retired ones are refused.
    pub fn serving_terminal(&self, code: &str) -> Result<&Terminal, Refusal> {
        self.known_terminal(code)?.serving()
    }

    /// Every terminal, retired ones too, by code.
    pub fn terminals(&self) -> Vec<&Terminal> {
        let mut v: Vec<&Terminal> = self.terminals.values().collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }

    fn live_card(&self, number: &str) -> Result<&Card, Refusal> {
        self.card(number)
            .ok_or_else(|| Refusal::not_found("该卡", "The card"))
    }

    /// Issue a card to a resident, who may hold one live card.
    pub fn issue(
        &mut self,
        holder: &ResidentId,
        holder_name: &str,
        rider_category: &str,
        now: i64,
        by: &Doer,
    ) -> Result<Card, Refusal> {
        let name = holder_name.trim();
        if name.is_empty() || name.chars().count() > 40 || !is_one_clean_line(name) {
            return Err(Refusal::field(
                "holder_name",
                "请填写持卡人姓名（不超过40字）",
                "Give the holder's name (at most 40 characters)",
            ));
        }
        let category = rider_category.trim();
        if !category.is_empty()
            && !self
                .rules
                .fares
                .rider_categories
                .iter()
                .any(|c| c.rider_category_id == category)
        {
            return Err(Refusal::field(
                "rider_category",
                "未知的乘客类别",
                "No such rider category",
            ));
        }
        if let Some(id) = self.live_by_holder.get(holder.as_str()) {
            let number = card_number(*id);
            return Err(Refusal::conflict(
                "card_held",
                &format!("该居民已持有市民卡 {number}"),
                &format!("The resident already holds card {number}"),
            ));
        }
        let card = self.new_card(
            holder.as_str(),
            name,
            category,
            None,
            CardState::Issued,
            now,
        );
        self.journal(
            now,
            by,
            &card,
            "card.issued",
            serde_json::json!({
                "holder": holder.masked(),
                "rider_category": card.rider_category,
            }),
        );
        Ok(card)
    }

    fn new_card(
        &mut self,
        holder: &str,
        name: &str,
        category: &str,
        replaces: Option<String>,
        state: CardState,
        now: i64,
    ) -> Card {
        self.next_card += 1;
        let id = self.next_card;
        self.open_accounts(id);
        let card = Card {
            id,
            number: card_number(id),
            holder: holder.to_string(),
            holder_name: name.to_string(),
            rider_category: category.to_string(),
            state,
            replaces,
            replaced_by: None,
            issued_at: now,
            changed_at: now,
        };
        self.cards.insert(id, card.clone());
        self.live_by_holder.insert(holder.to_string(), id);
        self.effects.push(Effect::Card(card.clone()));
        self.refresh_deny(id);
        card
    }

    /// A card's three accounts (opening them again changes nothing).
    fn open_accounts(&mut self, id: u64) {
        let guarded = AccountFlags {
            debits_must_not_exceed_credits: true,
            ..AccountFlags::default()
        };
        for (account, code, flags) in [
            (wallet_of(id), account_code::WALLET, guarded),
            (account_of(id), account_code::ACCOUNT, guarded),
            (
                credit_line_of(id),
                account_code::CREDIT_LINE,
                AccountFlags::default(),
            ),
        ] {
            let _ = self
                .ledger
                .create_account(Account::new(account, CNY, code, flags));
        }
    }

    pub(crate) fn journal(
        &mut self,
        at: i64,
        by: &Doer,
        card: &Card,
        event: &'static str,
        payload: serde_json::Value,
    ) {
        self.effects.push(Effect::Journal {
            at,
            entry: NewEntry {
                actor: by.actor.clone(),
                org: by.org.clone(),
                subject: format!("card/{}", card.number),
                event_type: event,
                payload,
            },
        });
    }

    /// A step of a card's life. Replacing issues the new card, active, and
    /// moves the balances and any debt to it; cancelling pays the balances
    /// back less the fee (a card that owes must repay first). The card as it
    /// now is, and the new card of a replacement.
    pub fn command(
        &mut self,
        number: &str,
        command: &CardCommand,
        now: i64,
        by: &Doer,
    ) -> Result<(Card, Option<Card>), Refusal> {
        let card = self.live_card(number)?.clone();
        let next = next_state(card.state, command)?;
        let id = card.id;
        let bal = self.balances(id);
        let mut chain = vec![];
        let mut payload = serde_json::json!({ "from": card.state.as_str(), "to": next.as_str() });
        if let CardCommand::Freeze { reason } = command {
            payload["reason"] = reason.trim().into();
        }
        let mut successor = None;
        match command {
            CardCommand::Cancel => {
                if bal.owed > 0 {
                    return Err(Refusal::conflict(
                        "card_owes",
                        &format!("该卡欠款{}元，请先充值还款", Fen(bal.owed).short()),
                        &format!("The card owes {} yuan; top it up first", Fen(bal.owed).short()),
                    ));
                }
                let fee = self.rules.wallet.cancel_fee.min(bal.wallet + bal.account);
                let fee_w = fee.min(bal.wallet);
                let fee_a = fee - fee_w;
                for (from, amount, to, code) in [
                    (wallet_of(id), fee_w, FEE_ACCOUNT, transfer_code::FEE),
                    (account_of(id), fee_a, FEE_ACCOUNT, transfer_code::FEE),
                    (
                        wallet_of(id),
                        bal.wallet - fee_w,
                        CASH_ACCOUNT,
                        transfer_code::PAY_BACK,
                    ),
                    (
                        account_of(id),
                        bal.account - fee_a,
                        CASH_ACCOUNT,
                        transfer_code::PAY_BACK,
                    ),
                ] {
                    if amount > 0 {
                        chain.push((from, to, amount, code));
                    }
                }
                payload["refund"] = (bal.wallet + bal.account - fee).into();
                payload["fee"] = fee.into();
            }
            CardCommand::Replace => {
                let new_id = self.next_card + 1;
                for (from, to, amount) in [
                    (wallet_of(id), wallet_of(new_id), bal.wallet),
                    (account_of(id), account_of(new_id), bal.account),
                    // The debt moves too: the new card's line lends to the old one's.
                    (credit_line_of(new_id), credit_line_of(id), bal.owed),
                ] {
                    if amount > 0 {
                        chain.push((from, to, amount, transfer_code::MOVE));
                    }
                }
                payload["moved"] = serde_json::json!(bal);
            }
            _ => {}
        }
        // A card that ends gives its bicycle deposit back first, in the same chain.
        let ends = matches!(command, CardCommand::Replace | CardCommand::Cancel);
        let deposit = self.deposits.get(&id).copied().filter(|_| ends);
        if ends && self.rentals.contains_key(&id) {
            return Err(Refusal::conflict(
                "bike_out",
                "请先归还自行车",
                "Return the bicycle first",
            ));
        }
        if !chain.is_empty() || deposit.is_some() {
            if let CardCommand::Replace = command {
                self.open_accounts(self.next_card + 1);
            }
            let mut requests = self.chain(&chain);
            if let Some(pending) = deposit {
                let mut void = self.void_of(pending);
                void.flags.linked = !requests.is_empty();
                requests.insert(0, void);
            }
            let results = self.ledger.apply(&requests, now);
            if let Some(Err(why)) = results.into_iter().find(Result::is_err) {
                // A chain fails whole: nothing has moved.
                return Err(ledger_refusal(why));
            }
            self.deposits.remove(&id);
        }
        if let CardCommand::Replace = command {
            self.live_by_holder.remove(&card.holder);
            let new = self.new_card(
                &card.holder,
                &card.holder_name,
                &card.rider_category,
                Some(card.number.clone()),
                CardState::Active,
                now,
            );
            payload["replaced_by"] = new.number.clone().into();
            successor = Some(new);
        }
        let c = self.cards.get_mut(&id).expect("the card was found above");
        c.state = next;
        c.changed_at = now;
        c.replaced_by = successor.as_ref().map(|n| n.number.clone());
        if next.is_dead() && self.live_by_holder.get(&c.holder) == Some(&id) {
            self.live_by_holder.remove(&c.holder);
        }
        let card = c.clone();
        self.effects.push(Effect::Card(card.clone()));
        self.refresh_deny(id);
        let event = match command {
            CardCommand::Activate => "card.activated",
            CardCommand::ReportLoss => "card.lost",
            CardCommand::CancelLoss => "card.found",
            CardCommand::Freeze { .. } => "card.frozen",
            CardCommand::Unfreeze => "card.unfrozen",
            CardCommand::Replace => "card.replaced",
            CardCommand::Cancel => "card.cancelled",
        };
        self.journal(now, by, &card, event, payload);
        Ok((card, successor))
    }

    /// Linked requests for `(debit, credit, amount, code)` legs, ids of the books' own.
    fn chain(&mut self, legs: &[(Id, Id, i64, u16)]) -> Vec<TransferRequest> {
        let n = legs.len();
        legs.iter()
            .enumerate()
            .map(|(i, (d, c, amount, code))| TransferRequest {
                id: self.own_id(),
                debit_account_id: *d,
                credit_account_id: *c,
                amount: *amount,
                pending_id: 0,
                timeout: 0,
                ledger: CNY,
                code: *code,
                flags: TransferFlags {
                    linked: i + 1 < n,
                    ..TransferFlags::default()
                },
            })
            .collect()
    }

    /// Put money on a card's purse. `client_id` makes it safe to retry: the
    /// same id is answered with the first top-up. What the card owes is
    /// repaid from a wallet top-up first.
    pub fn top_up(
        &mut self,
        number: &str,
        purse: Purse,
        amount: i64,
        client_id: Id,
        now: i64,
    ) -> Result<Transfer, Refusal> {
        self.top_up_from(CASH_ACCOUNT, number, purse, amount, client_id, now)
    }

    /// The holder moves money from the card's real-name account (paid in at
    /// a counter or by bank) into its wallet: the same rules as a top-up,
    /// and the account must hold it.
    pub fn top_up_from_account(
        &mut self,
        number: &str,
        amount: i64,
        client_id: Id,
        now: i64,
    ) -> Result<Transfer, Refusal> {
        let id = self
            .card(number)
            .ok_or_else(|| Refusal::not_found("该卡", "The card"))?
            .id;
        self.top_up_from(
            account_of(id),
            number,
            Purse::Wallet,
            amount,
            client_id,
            now,
        )
    }

    fn top_up_from(
        &mut self,
        from: Id,
        number: &str,
        purse: Purse,
        amount: i64,
        client_id: Id,
        now: i64,
    ) -> Result<Transfer, Refusal> {
        if client_id == 0 || client_id > MAX_CLIENT_ID {
            return Err(Refusal::field(
                "id",
                format!("请求编号须在1到{MAX_CLIENT_ID}之间"),
                format!("The request id must be from 1 to {MAX_CLIENT_ID}"),
            ));
        }
        let card = self.live_card(number)?;
        let id = card.id;
        let request = TransferRequest {
            id: client_id,
            debit_account_id: from,
            credit_account_id: purse.of(id),
            amount,
            pending_id: 0,
            timeout: 0,
            ledger: CNY,
            code: transfer_code::TOP_UP,
            flags: TransferFlags::default(),
        };
        if let Some(first) = self.ledger.transfer(client_id) {
            return if first.request.code == transfer_code::TOP_UP
                && first.request.debit_account_id == request.debit_account_id
                && first.request.credit_account_id == request.credit_account_id
                && first.request.amount == amount
            {
                Ok(first.clone())
            } else {
                Err(Refusal::conflict(
                    "id_reused",
                    "该请求编号已用于另一笔交易",
                    "That request id was used for another transfer",
                ))
            };
        }
        if card.state != CardState::Active {
            return Err(Refusal::conflict(
                "card_state",
                &format!("卡片当前状态（{}）不能充值", card.state.as_str()),
                &format!("A card that is {} cannot be topped up", card.state.as_str()),
            ));
        }
        let bal = self.balances(id);
        let repay = match purse {
            Purse::Wallet => bal.owed.min(amount),
            Purse::Account => 0,
        };
        match purse {
            // What is repaid does not stay in the wallet.
            Purse::Wallet => self.rules.wallet.check_top_up(bal.wallet - repay, amount)?,
            Purse::Account => {
                if amount < self.rules.wallet.min_top_up {
                    return Err(Refusal::field(
                        "amount",
                        format!("每次充值不少于{}元", Fen(self.rules.wallet.min_top_up).short()),
                        format!(
                            "A top-up is at least {} yuan",
                            Fen(self.rules.wallet.min_top_up).short()
                        ),
                    ));
                }
            }
        }
        let mut requests = vec![request];
        if repay > 0 {
            requests[0].flags.linked = true;
            let r = self.chain(&[(
                wallet_of(id),
                credit_line_of(id),
                repay,
                transfer_code::REPAY,
            )]);
            requests.extend(r);
        }
        let results = self.ledger.apply(&requests, now);
        // The first refusal of a chain says why it failed.
        if let Some(Err(why)) = results
            .iter()
            .find(|r| !matches!(r, Err(Refused::LinkedEventFailed) | Ok(_)))
        {
            return Err(ledger_refusal(*why));
        }
        let first = results.into_iter().next().expect("one result a request");
        let t = first.map_err(ledger_refusal)?;
        self.refresh_deny(id);
        Ok(t)
    }

    /// Register an operator or a merchant.
    pub fn add_party(&mut self, new: &NewParty, now: i64, by: &Doer) -> Result<Party, Refusal> {
        let NewParty {
            code,
            name,
            kind,
            accepts,
            percent_of_price,
        } = new;
        let (kind, percent_of_price) = (kind.as_str(), *percent_of_price);
        let code = check_code(code)?;
        if name.trim().is_empty() || !is_one_clean_line(name) {
            return Err(Refusal::field(
                "name",
                "请填写名称（一行，不含控制字符）",
                "Give the name (one line, no control characters)",
            ));
        }
        if !matches!(kind, "operator" | "merchant" | "institution") {
            return Err(Refusal::field(
                "kind",
                "类别为 operator（交通运营）、merchant（商户）或 institution（医院、公园、图书馆）",
                "The kind is operator, merchant or institution (a hospital, a park, a library)",
            ));
        }
        if !(1..=100).contains(&percent_of_price) {
            return Err(Refusal::field(
                "percent_of_price",
                "持卡优惠比例为1到100",
                "The cardholder's share of the price is from 1 to 100 percent",
            ));
        }
        if accepts.is_empty() {
            return Err(Refusal::field(
                "accepts",
                "至少接受一种支付方式",
                "Accept at least one purse",
            ));
        }
        if self.party_codes.contains_key(code) {
            return Err(Refusal::conflict(
                "party_exists",
                "该编码已登记",
                "That code is registered already",
            ));
        }
        let id = self.parties.keys().max().copied().unwrap_or(0) + 1;
        let party = Party {
            id,
            code: code.to_string(),
            name: name.trim().to_string(),
            kind: kind.to_string(),
            accepts: accepts.to_vec(),
            percent_of_price,
        };
        let _ = self.ledger.create_account(Account::new(
            takings_of(id),
            CNY,
            account_code::TAKINGS,
            AccountFlags::default(),
        ));
        self.parties.insert(id, party.clone());
        self.party_codes.insert(party.code.clone(), id);
        self.effects.push(Effect::Party(party.clone()));
        self.effects.push(Effect::Journal {
            at: now,
            entry: NewEntry {
                actor: by.actor.clone(),
                org: by.org.clone(),
                subject: format!("card-party/{}", party.code),
                event_type: "card.party_added",
                payload: serde_json::json!({
                    "name": party.name,
                    "kind": party.kind,
                    "percent_of_price": percent_of_price,
                }),
            },
        });
        Ok(party)
    }

    /// Register a terminal of an operator or a merchant, with its public key.
    pub fn add_terminal(
        &mut self,
        new: &NewTerminal,
        now: i64,
        by: &Doer,
    ) -> Result<Terminal, Refusal> {
        let NewTerminal {
            code,
            kind,
            party: party_code,
            network_id,
            public_key,
        } = new;
        let kind = *kind;
        let code = check_code(code)?;
        let party = self
            .party(party_code)
            .ok_or_else(|| {
                Refusal::field(
                    "party",
                    "未登记的运营单位或商户",
                    "No such operator or merchant",
                )
            })?
            .id;
        let public_key = check_public_key(public_key)?;
        if kind == TerminalKind::Validator && network_id.trim().is_empty() {
            return Err(Refusal::field(
                "network_id",
                "验票机须指定线网",
                "A validator charges on a fare network: name it",
            ));
        }
        if self.terminals.contains_key(code) {
            return Err(Refusal::conflict(
                "terminal_exists",
                "该终端已登记",
                "That terminal is registered already",
            ));
        }
        let t = Terminal {
            code: code.to_string(),
            kind,
            party,
            network_id: network_id.trim().to_string(),
            public_key,
            registered_at: now,
            retired_at: None,
        };
        self.terminal_changed(
            &t,
            now,
            by,
            "card.terminal_added",
            serde_json::json!({ "kind": kind.as_str(), "party": party_code, "network": t.network_id }),
        );
        Ok(t)
    }

    /// Give a terminal a new public key (its old one lost, leaked or due for
    /// rotation): requests signed with the old key are refused from now on.
    pub fn change_terminal_key(
        &mut self,
        code: &str,
        public_key: &str,
        now: i64,
        by: &Doer,
    ) -> Result<Terminal, Refusal> {
        let public_key = check_public_key(public_key)?;
        let mut t = self.serving_terminal(code)?.clone();
        if t.public_key == public_key {
            return Err(Refusal::field(
                "public_key",
                "新公钥与现用公钥相同",
                "The new key is the one in use",
            ));
        }
        t.public_key = public_key;
        self.terminal_changed(
            &t,
            now,
            by,
            "card.terminal_key_changed",
            serde_json::json!({ "public_key": t.public_key }),
        );
        Ok(t)
    }

    /// Retire a terminal (taken out of use, broken, stolen): it is refused
    /// from now on, and what it recorded but has not uploaded is not taken.
    pub fn retire_terminal(
        &mut self,
        code: &str,
        reason: &str,
        now: i64,
        by: &Doer,
    ) -> Result<Terminal, Refusal> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(Refusal::field(
                "reason",
                "请说明停用原因（200字以内）",
                "Say why it is retired (at most 200 characters)",
            ));
        }
        let mut t = self.known_terminal(code)?.clone();
        if !t.in_service() {
            return Err(Refusal::conflict(
                "terminal_retired",
                "该终端已停用",
                "This terminal is retired already",
            ));
        }
        t.retired_at = Some(now);
        self.terminal_changed(
            &t,
            now,
            by,
            "card.terminal_retired",
            serde_json::json!({ "reason": reason }),
        );
        Ok(t)
    }

    /// Keep a new or changed terminal, to be stored and journaled.
    fn terminal_changed(
        &mut self,
        t: &Terminal,
        now: i64,
        by: &Doer,
        event_type: &'static str,
        payload: serde_json::Value,
    ) {
        self.terminals.insert(t.code.clone(), t.clone());
        self.effects.push(Effect::Terminal(t.clone()));
        self.effects.push(Effect::Journal {
            at: now,
            entry: NewEntry {
                actor: by.actor.clone(),
                org: by.org.clone(),
                subject: format!("card-terminal/{}", t.code),
                event_type,
                payload,
            },
        });
    }

    /// Apply a terminal's uploaded taps, in order of their sequence numbers,
    /// at the back office's moment `now`.
    /// Repeats of taps already uploaded are answered `Repeat` and change
    /// nothing. Returns each tap's record, and the sequence numbers still
    /// missing below the highest one seen.
    pub fn upload(
        &mut self,
        terminal: &str,
        mut taps: Vec<TapInput>,
        now: i64,
    ) -> Result<(Vec<TapRecord>, Vec<u64>), Refusal> {
        let t = self.serving_terminal(terminal)?.clone();
        taps.sort_by_key(|t| t.seq);
        let mut out = Vec::with_capacity(taps.len());
        for tap in taps {
            out.push(self.tap(&t, tap, now));
        }
        let gaps = self
            .seen
            .get(terminal)
            .map(|s| s.gaps(1_000))
            .unwrap_or_default();
        Ok((out, gaps))
    }

    fn tap(&mut self, t: &Terminal, tap: TapInput, now: i64) -> TapRecord {
        let mut rec = TapRecord {
            terminal: t.code.clone(),
            seq: tap.seq,
            card: tap.card.trim().to_string(),
            at: tap.at,
            outcome: TapOutcome::Rejected,
            product: String::new(),
            leg_group: String::new(),
            full: 0,
            charged: 0,
            transfer: 0,
            party: t.party,
            applied_at: now,
        };
        let seen = self.seen.entry(t.code.clone()).or_default();
        if tap.seq == 0 || seen.contains(tap.seq) {
            rec.outcome = if tap.seq == 0 {
                TapOutcome::Rejected
            } else {
                TapOutcome::Repeat
            };
            return rec;
        }
        seen.insert(tap.seq);
        rec.outcome = self.charge_tap(t, &tap, &mut rec, now);
        self.effects.push(Effect::Tap(rec.clone()));
        rec
    }

    /// Charge a tap. The ledger's timestamp is the back office's `now`;
    /// the terminal's own moment (`tap.at`) decides transfers and double taps.
    fn charge_tap(
        &mut self,
        t: &Terminal,
        tap: &TapInput,
        rec: &mut TapRecord,
        now: i64,
    ) -> TapOutcome {
        let Some(card) = self.card(&rec.card).cloned() else {
            return TapOutcome::UnknownCard;
        };
        // A bicycle out comes back even on a card denied since it was taken.
        let returning = t.kind == TerminalKind::Dock && self.rentals.contains_key(&card.id);
        if self.denied.contains_key(&card.number) && !returning {
            return TapOutcome::Blocked;
        }
        let last = self.last_tap.get(&card.id).cloned();
        if let Some(l) = &last {
            if tap.refund_of.is_none()
                && l.terminal == t.code
                && tap.at.abs_diff(l.at) < DOUBLE_TAP_SECONDS.unsigned_abs() * 1_000_000
            {
                return TapOutcome::DoubleTap;
            }
        }
        let (full, charged, product, purse, code) = match t.kind {
            // A gate checks entitlements; it has nothing to charge.
            TerminalKind::Gate => return TapOutcome::Rejected,
            TerminalKind::Dock => match self.rentals.get(&card.id).cloned() {
                None => {
                    if !self.deposits.contains_key(&card.id) {
                        return TapOutcome::Rejected;
                    }
                    self.rentals.insert(card.id, (t.code.clone(), tap.at));
                    self.effects
                        .push(Effect::Rental(card.id, Some((t.code.clone(), tap.at))));
                    rec.product = BIKE_TAKE.into();
                    (0, 0, String::new(), Purse::Wallet, transfer_code::FARE)
                }
                Some((_, taken)) => {
                    self.rentals.remove(&card.id);
                    self.effects.push(Effect::Rental(card.id, None));
                    rec.product = BIKE_RETURN.into();
                    let seconds = (tap.at - taken).max(0) / 1_000_000;
                    let fee = super::fares::bicycle_rental(
                        seconds,
                        self.rules.bike_free_seconds,
                        self.rules.bike_per_hour,
                    );
                    (fee, fee, String::new(), Purse::Wallet, transfer_code::FARE)
                }
            },
            TerminalKind::Validator => {
                // A terminal's clock is whatever it says: a gap too wide to
                // count is no transfer.
                let after = last.as_ref().and_then(|l| {
                    tap.at
                        .checked_sub(l.at)
                        .filter(|gap| *gap >= 0)
                        .map(|gap| (gap / 1_000_000, l.leg_group.as_str()))
                });
                let leg = Leg {
                    network_id: &t.network_id,
                    from_area_id: &tap.from_area,
                    to_area_id: &tap.to_area,
                    rider_category_id: &card.rider_category,
                    after,
                };
                let Some(charge) = self.rules.fares.charge(&leg) else {
                    return TapOutcome::Rejected;
                };
                rec.product = if charge.transfer && charge.fare_product_id.is_empty() {
                    "transfer".into()
                } else {
                    charge.fare_product_id.clone()
                };
                rec.leg_group = charge.leg_group_id.clone();
                let charged = match self.live_pass(&card.holder, &leg, tap.at) {
                    // A pass rides free: the fare it saved shows as its discount.
                    Some(product) => {
                        rec.product = product;
                        0
                    }
                    None => charge.charged,
                };
                (
                    charge.full,
                    charged,
                    charge.leg_group_id,
                    Purse::Wallet,
                    transfer_code::FARE,
                )
            }
            TerminalKind::Pos if tap.refund_of.is_some() => {
                return self.refund(t, tap, rec, now);
            }
            TerminalKind::Pos => {
                let purse = tap.purse.unwrap_or(Purse::Wallet);
                let Some(party) = self.parties.get(&t.party) else {
                    return TapOutcome::Rejected;
                };
                if tap.amount <= 0 || !party.accepts.contains(&purse) {
                    return TapOutcome::Rejected;
                }
                rec.product = "purchase".into();
                let charged = super::fares::percent_of(tap.amount, party.percent_of_price);
                (
                    tap.amount,
                    charged,
                    String::new(),
                    purse,
                    transfer_code::PURCHASE,
                )
            }
        };
        rec.full = full;
        // The card's latest tap by the terminal's moment (a late upload of an
        // older tap does not replace it), as a restart rebuilds it.
        let remember = |b: &mut Book| {
            if b.last_tap.get(&card.id).is_some_and(|l| l.at > tap.at) {
                return;
            }
            b.last_tap.insert(
                card.id,
                LastTap {
                    terminal: t.code.clone(),
                    at: tap.at,
                    leg_group: product.clone(),
                },
            );
        };
        if charged == 0 {
            remember(self);
            return TapOutcome::Free;
        }
        let from = purse.of(card.id);
        let available = self.ledger.account(from).map_or(0, Account::available);
        let (legs, outcome) = if available >= charged {
            (
                vec![(from, takings_of(t.party), charged, code)],
                TapOutcome::Charged,
            )
        } else if t.kind != TerminalKind::Pos
            && charged - available <= self.rules.offline_overdraft - self.balances(card.id).owed
        {
            let short = charged - available;
            (
                vec![
                    (
                        credit_line_of(card.id),
                        from,
                        short,
                        transfer_code::OVERDRAFT,
                    ),
                    (from, takings_of(t.party), charged, code),
                ],
                TapOutcome::Overdrawn,
            )
        } else {
            return TapOutcome::Unpaid;
        };
        let requests = self.chain(&legs);
        let results = self.ledger.apply(&requests, now);
        match results.last() {
            Some(Ok(tr)) => {
                rec.charged = charged;
                rec.transfer = tr.request.id;
                remember(self);
                if outcome == TapOutcome::Overdrawn {
                    self.refresh_deny(card.id);
                }
                outcome
            }
            _ => TapOutcome::Unpaid,
        }
    }

    /// Put a card on the deny list, or take it off, as its state and debt say.
    fn refresh_deny(&mut self, card: u64) {
        let Some(c) = self.cards.get(&card) else {
            return;
        };
        let reason = if c.state.is_denied() {
            Some(c.state.as_str().to_string())
        } else if self.balances(card).owed > 0 {
            Some("owed".to_string())
        } else {
            None
        };
        let number = c.number.clone();
        if self.denied.get(&number) == reason.as_ref() {
            return;
        }
        match &reason {
            Some(r) => self.denied.insert(number.clone(), r.clone()),
            None => self.denied.remove(&number),
        };
        let change = DenyChange {
            version: self.deny_log.len() as u64 + 1,
            card: number,
            reason,
        };
        self.deny_log.push(change.clone());
        self.effects.push(Effect::Deny(change));
    }

    /// The deny list's version.
    pub fn deny_version(&self) -> u64 {
        self.deny_log.len() as u64
    }

    /// Every card denied now, with why.
    pub fn deny_list(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .denied
            .iter()
            .map(|(k, r)| (k.clone(), r.clone()))
            .collect();
        v.sort();
        v
    }

    /// The changes after version `since`.
    pub fn deny_changes(&self, since: u64) -> &[DenyChange] {
        let from = usize::try_from(since)
            .unwrap_or(usize::MAX)
            .min(self.deny_log.len());
        &self.deny_log[from..]
    }
}

impl Book {
    /// What the ledger credited and debited each party's takings with in
    /// `day` (by when the back office applied each transfer).
    pub fn day_takings(
        &self,
        day: jiff::civil::Date,
    ) -> std::collections::BTreeMap<u64, DayTakings> {
        let (from, to) = day_bounds(day);
        let mut out: std::collections::BTreeMap<u64, DayTakings> = Default::default();
        for t in self.ledger.transfers() {
            if t.timestamp < from || t.timestamp >= to {
                continue;
            }
            let r = &t.request;
            let party_of =
                |id: Id| (id & (1 << 62) != 0 && id & (1 << 63) == 0).then_some(id & !(1 << 62));
            match r.code {
                transfer_code::FARE | transfer_code::PURCHASE => {
                    if let Some(p) = party_of(r.credit_account_id) {
                        let d = out.entry(p).or_default();
                        d.takings += t.amount;
                        d.count += 1;
                    }
                }
                transfer_code::REFUND => {
                    if let Some(p) = party_of(r.debit_account_id) {
                        out.entry(p).or_default().refunds += t.amount;
                    }
                }
                transfer_code::PASS => {
                    if let Some(p) = party_of(r.credit_account_id) {
                        out.entry(p).or_default().passes += t.amount;
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// The settlements made, of one day or all.
    pub fn settlements(&self, day: Option<&str>) -> Vec<Settlement> {
        self.settlements
            .iter()
            .filter(|s| day.is_none_or(|d| s.day == d))
            .cloned()
            .collect()
    }

    /// Settle a day that has ended (T+1): pay each party its takings less
    /// refunds from its takings account, one transfer each, all or none. A
    /// day is settled once.
    pub fn settle(
        &mut self,
        day: jiff::civil::Date,
        now: i64,
        by: &Doer,
    ) -> Result<Vec<Settlement>, Refusal> {
        let (_, end) = day_bounds(day);
        if now < end {
            return Err(Refusal::conflict(
                "day_not_over",
                "只能结算已结束的日期（T+1）",
                "Only a day that has ended can be settled (T+1)",
            ));
        }
        let key = day.to_string();
        if self.settlements.iter().any(|s| s.day == key) {
            return Err(Refusal::conflict(
                "already_settled",
                &format!("{key} 已结算"),
                &format!("{key} is settled already"),
            ));
        }
        let takings = self.day_takings(day);
        let mut rows = vec![];
        let mut legs = vec![];
        for (party, d) in &takings {
            // A deficit (refunds above takings) is recovered from later
            // payouts: never pay more than the takings account holds.
            let held = self
                .ledger
                .account(takings_of(*party))
                .map_or(0, Account::balance);
            let net = d.net().min(held).max(0);
            if net > 0 {
                legs.push((
                    takings_of(*party),
                    SETTLED_ACCOUNT,
                    net,
                    transfer_code::SETTLEMENT,
                ));
            }
            rows.push(Settlement {
                day: key.clone(),
                party: *party,
                takings: d.takings,
                count: d.count,
                refunds: d.refunds,
                passes: d.passes,
                net,
                transfer: 0,
                settled_at: now,
            });
        }
        if !legs.is_empty() {
            let requests = self.chain(&legs);
            let results = self.ledger.apply(&requests, now);
            let mut paid = results.into_iter();
            for row in rows.iter_mut().filter(|r| r.net > 0) {
                match paid.next() {
                    Some(Ok(t)) => row.transfer = t.request.id,
                    Some(Err(why)) => return Err(ledger_refusal(why)),
                    None => {}
                }
            }
        }
        let total: i64 = rows.iter().map(|r| r.net).sum();
        for r in &rows {
            self.effects.push(Effect::Settlement(r.clone()));
        }
        self.settlements.extend(rows.iter().cloned());
        self.effects.push(Effect::Journal {
            at: now,
            entry: NewEntry {
                actor: by.actor.clone(),
                org: by.org.clone(),
                subject: format!("card-settlement/{key}"),
                event_type: "card.settled",
                payload: serde_json::json!({ "parties": rows.len(), "net": total }),
            },
        });
        Ok(rows)
    }
}

impl Book {
    /// A merchant gives a purchase back: once, at most what was paid, to
    /// the purse it came from, from the merchant's takings. The refund's
    /// transfer id is the purchase's with bit 62 set, so a purchase can be
    /// refunded only once, and a stored refund names its purchase.
    fn refund(
        &mut self,
        t: &Terminal,
        tap: &TapInput,
        rec: &mut TapRecord,
        now: i64,
    ) -> TapOutcome {
        rec.product = "refund".into();
        let Some(original) = tap.refund_of else {
            return TapOutcome::Rejected;
        };
        let Some(p) = self.ledger.transfer(original).cloned() else {
            return TapOutcome::Rejected;
        };
        let r = &p.request;
        let card = card_id(&rec.card);
        let purse_ok = card.is_some_and(|c| {
            r.debit_account_id == wallet_of(c) || r.debit_account_id == account_of(c)
        });
        if r.code != transfer_code::PURCHASE
            || r.credit_account_id != takings_of(t.party)
            || !purse_ok
            || tap.amount <= 0
            || tap.amount > p.amount
            || original & OWN_IDS == 0
        {
            return TapOutcome::Rejected;
        }
        let id = original | (1 << 62);
        if self.ledger.transfer(id).is_some() {
            return TapOutcome::Repeat;
        }
        let request = TransferRequest {
            id,
            debit_account_id: takings_of(t.party),
            credit_account_id: r.debit_account_id,
            amount: tap.amount,
            pending_id: 0,
            timeout: 0,
            ledger: CNY,
            code: transfer_code::REFUND,
            flags: TransferFlags::default(),
        };
        match self.ledger.apply(&[request], now).pop() {
            Some(Ok(done)) => {
                rec.full = tap.amount;
                rec.transfer = done.request.id;
                if let Some(c) = card {
                    self.refresh_deny(c);
                }
                TapOutcome::Refunded
            }
            _ => TapOutcome::Rejected,
        }
    }
}

/// A pass (月票) bought for a card's holder: a fare product with a duration,
/// riding free the legs its leg rules name, from its first day to the end
/// of its last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Pass {
    pub holder: String,
    pub product: String,
    pub valid_from: i64,
    pub valid_until: i64,
    /// The transfer that paid for it.
    pub transfer: Id,
    pub bought_at: i64,
}

impl Book {
    /// The pass product the holder holds for a leg at `at`, if any.
    fn live_pass(&self, holder: &str, leg: &Leg<'_>, at: i64) -> Option<String> {
        let held = self.passes.get(holder)?;
        let covering = self.rules.fares.passes_for(leg);
        held.iter()
            .find(|p| {
                covering.contains(&p.product.as_str()) && p.valid_from <= at && at < p.valid_until
            })
            .map(|p| p.product.clone())
    }

    /// A holder's passes, newest first.
    pub fn passes_of(&self, holder: &str) -> Vec<Pass> {
        let mut v = self.passes.get(holder).cloned().unwrap_or_default();
        v.sort_by_key(|p| std::cmp::Reverse(p.valid_from));
        v
    }

    /// Buy a pass from the card's wallet, its first day `first_day`: the
    /// operator running the pass's network (its validators' operator) is
    /// paid. A second pass of the same product may not overlap the first.
    pub fn buy_pass(
        &mut self,
        number: &str,
        product_id: &str,
        first_day: jiff::civil::Date,
        now: i64,
        by: &Doer,
    ) -> Result<Pass, Refusal> {
        let card = self
            .card(number)
            .ok_or_else(|| Refusal::not_found("该卡", "The card"))?
            .clone();
        if card.state != CardState::Active {
            return Err(Refusal::conflict(
                "card_state",
                "卡片须为正常状态",
                "The card must be active",
            ));
        }
        let product = self
            .rules
            .fares
            .product_by_id(product_id)
            .filter(|p| p.duration_days > 0)
            .cloned()
            .ok_or_else(|| Refusal::field("product", "没有这种月票", "No such pass"))?;
        let (valid_from, _) = day_bounds(first_day);
        let last = first_day
            .checked_add(jiff::Span::new().days(i64::from(product.duration_days) - 1))
            .map_err(|_| Refusal::field("first_day", "日期超出范围", "The day is out of range"))?;
        let (_, valid_until) = day_bounds(last);
        if valid_until <= now {
            return Err(Refusal::field(
                "first_day",
                "月票须在今后有效",
                "The pass must hold in the future",
            ));
        }
        if self.passes.get(&card.holder).is_some_and(|v| {
            v.iter().any(|p| {
                p.product == product.fare_product_id
                    && p.valid_from < valid_until
                    && valid_from < p.valid_until
            })
        }) {
            return Err(Refusal::conflict(
                "pass_held",
                "该时段已有同种月票",
                "A pass of this kind already holds then",
            ));
        }
        let networks: Vec<&str> = self
            .rules
            .fares
            .leg_rules
            .iter()
            .filter(|r| r.fare_product_id == product.fare_product_id)
            .map(|r| r.network_id.as_str())
            .collect();
        let mut runners: Vec<&Terminal> = self
            .terminals
            .values()
            .filter(|t| {
                t.kind == TerminalKind::Validator
                    && t.in_service()
                    && networks.contains(&t.network_id.as_str())
            })
            .collect();
        runners.sort_by(|a, b| a.code.cmp(&b.code));
        let party = runners.first().map(|t| t.party).ok_or_else(|| {
            Refusal::conflict(
                "no_operator",
                "没有运营单位经营该线网",
                "No operator runs this pass's network",
            )
        })?;
        let request = self.chain(&[(
            wallet_of(card.id),
            takings_of(party),
            product.amount,
            transfer_code::PASS,
        )]);
        let t = self
            .ledger
            .apply(&request, now)
            .pop()
            .expect("one result a request")
            .map_err(ledger_refusal)?;
        let pass = Pass {
            holder: card.holder.clone(),
            product: product.fare_product_id.clone(),
            valid_from,
            valid_until,
            transfer: t.request.id,
            bought_at: now,
        };
        self.passes
            .entry(card.holder.clone())
            .or_default()
            .push(pass.clone());
        self.effects.push(Effect::Pass(pass.clone()));
        self.journal(
            now,
            by,
            &card,
            "card.pass_bought",
            serde_json::json!({
                "product": pass.product,
                "first_day": first_day.to_string(),
                "last_day": last.to_string(),
                "price": product.amount,
            }),
        );
        Ok(pass)
    }
}

/// A tap that took a public bicycle, and one that returned it (`product`).
pub const BIKE_TAKE: &str = "bike_take";
pub const BIKE_RETURN: &str = "bike_return";

impl Book {
    /// Hold the public-bicycle deposit in a card's wallet (a pending
    /// transfer), or release it (void it) when no bicycle is out. The
    /// holder or a clerk does this; it is journaled.
    pub fn bike_deposit(
        &mut self,
        number: &str,
        hold: bool,
        now: i64,
        by: &Doer,
    ) -> Result<Transfer, Refusal> {
        let card = self
            .card(number)
            .ok_or_else(|| Refusal::not_found("该卡", "The card"))?
            .clone();
        let held = self.deposits.get(&card.id).copied();
        let request = match (hold, held) {
            (true, Some(_)) => {
                return Err(Refusal::conflict(
                    "deposit_held",
                    "押金已缴纳",
                    "The deposit is held already",
                ))
            }
            (false, None) => {
                return Err(Refusal::conflict(
                    "no_deposit",
                    "未缴纳押金",
                    "No deposit is held",
                ))
            }
            (true, None) => {
                if card.state != CardState::Active {
                    return Err(Refusal::conflict(
                        "card_state",
                        "卡片须为正常状态",
                        "The card must be active",
                    ));
                }
                TransferRequest {
                    id: self.own_id(),
                    debit_account_id: wallet_of(card.id),
                    credit_account_id: DEPOSIT_ACCOUNT,
                    amount: self.rules.wallet.bike_deposit,
                    pending_id: 0,
                    timeout: 0,
                    ledger: CNY,
                    code: transfer_code::DEPOSIT,
                    flags: TransferFlags {
                        pending: true,
                        ..TransferFlags::default()
                    },
                }
            }
            (false, Some(pending)) => {
                if self.rentals.contains_key(&card.id) {
                    return Err(Refusal::conflict(
                        "bike_out",
                        "请先归还自行车",
                        "Return the bicycle first",
                    ));
                }
                self.void_of(pending)
            }
        };
        let result = self
            .ledger
            .apply(std::slice::from_ref(&request), now)
            .pop()
            .expect("one result a request");
        let deposit = self.rules.wallet.bike_deposit;
        let t = result.map_err(|e| match e {
            Refused::ExceedsCredits => Refusal::conflict(
                "insufficient_balance",
                &format!("钱包余额不足以缴纳押金{}元", Fen(deposit).short()),
                &format!(
                    "The wallet does not hold the {} yuan deposit",
                    Fen(deposit).short()
                ),
            ),
            other => ledger_refusal(other),
        })?;
        if hold {
            self.deposits.insert(card.id, t.request.id);
        } else {
            self.deposits.remove(&card.id);
        }
        let event = if hold {
            "card.bike_deposit_held"
        } else {
            "card.bike_deposit_released"
        };
        self.journal(
            now,
            by,
            &card,
            event,
            serde_json::json!({ "amount": t.amount }),
        );
        Ok(t)
    }

    /// A void of a pending transfer, an id of the books' own.
    fn void_of(&mut self, pending: Id) -> TransferRequest {
        TransferRequest {
            id: self.own_id(),
            debit_account_id: 0,
            credit_account_id: 0,
            amount: 0,
            pending_id: pending,
            timeout: 0,
            ledger: 0,
            code: transfer_code::DEPOSIT,
            flags: TransferFlags {
                void_pending: true,
                ..TransferFlags::default()
            },
        }
    }

    /// Whether a card holds the deposit, and the dock and moment of a bicycle out.
    pub fn bike_state(&self, card: u64) -> (bool, Option<(String, i64)>) {
        (
            self.deposits.contains_key(&card),
            self.rentals.get(&card).cloned(),
        )
    }
}

/// A terminal's ed25519 public key in 64 hex digits, as it is kept: lower case.
fn check_public_key(public_key: &str) -> Result<String, Refusal> {
    let key = public_key.trim().to_ascii_lowercase();
    let valid = hex::decode(&key).is_ok_and(|k| {
        <[u8; 32]>::try_from(k.as_slice())
            .ok()
            .and_then(|k| ed25519_dalek::VerifyingKey::from_bytes(&k).ok())
            .is_some()
    });
    if !valid {
        return Err(Refusal::field(
            "public_key",
            "公钥须为64位十六进制的 ed25519 公钥",
            "The public key is an ed25519 key in 64 hex digits",
        ));
    }
    Ok(key)
}

/// An operator's, merchant's or terminal's code: 1 to 32 letters, digits,
/// hyphens or underscores.
fn check_code(code: &str) -> Result<&str, Refusal> {
    let code = code.trim();
    let fine = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    if code.is_empty() || code.len() > 32 || !code.bytes().all(fine) {
        return Err(Refusal::field(
            "code",
            "编码为1到32位字母、数字、连字符",
            "A code is 1 to 32 letters, digits or hyphens",
        ));
    }
    Ok(code)
}

/// The ledger's refusal as the books say it.
fn ledger_refusal(r: Refused) -> Refusal {
    match r {
        Refused::ExceedsCredits => {
            Refusal::conflict("insufficient_balance", "余额不足", "Not enough on the card")
        }
        other => Refusal::conflict(
            "ledger_refused",
            &format!("账务拒绝：{other:?}"),
            &format!("The ledger refused it: {other:?}"),
        ),
    }
}

#[cfg(test)]
mod tests;
