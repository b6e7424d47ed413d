//! The card centre's books as the engine keeps them in memory: the ledger,
//! the cards, the deny list, the terminals and what each has uploaded.
//! Every operation decides here, in full, before it changes anything (a
//! refusal leaves the books as they were), and what it changes is recorded
//! as [`Effect`]s — with the ledger's own new rows — for the engine to store
//! in its next batch. Pure: no clock, no I/O; the moment is given.

use std::collections::BTreeSet;

use super::HashMap;

use serde::{Deserialize, Serialize};

use super::fares::{Fares, Leg};
use super::ledger::{
    Account, AccountFlags, Id, Ledger, Refused, Transfer, TransferFlags, TransferRequest,
};
use super::lifecycle::{next_state, CardCommand, CardState, WalletRules};
use crate::ids::ResidentId;
use crate::journal::NewEntry;
use crate::money::Fen;
use crate::refusal::Refusal;

mod bicycles;
mod cards;
mod entitlements;
mod image;
mod medical;
mod passes;
mod payouts;
mod settlement;
mod taps;
mod terminals;

pub use bicycles::{BIKE_RETURN, BIKE_TAKE};
pub use cards::{card_id, card_number, Card, Purse};
pub use image::BookImage;
pub use passes::Pass;
pub use payouts::Payout;
pub use settlement::{day_bounds, DayTakings, Settlement, TakingsByDay};
pub use taps::{DenyChange, NewestTaps, TapInput, TapKey, TapOutcome, TapRecord};
pub use terminals::{NewParty, NewTerminal, Party, Terminal, TerminalKind};

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
    /// The holder's personal medical-insurance account (医保个人账户),
    /// one a holder whatever card they carry.
    pub const MEDICAL: u16 = 4;
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
    /// The medical-insurance fund that pays into personal accounts.
    pub const MEDICAL_FUND: u16 = 23;
    /// Civil affairs' funds (民政资金) that pay aid and age allowances
    /// into holders' real-name accounts.
    pub const CIVIL_AFFAIRS_FUND: u16 = 24;
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
    /// The medical-insurance fund's payment into a personal account (划入).
    pub const MEDICAL_CREDIT: u16 = 13;
    /// A medical settlement's part paid from the personal medical account.
    pub const MEDICAL_PAY: u16 = 14;
    /// A medical settlement's self-paid part, paid from the card's account.
    pub const SELF_PAY: u16 = 15;
    /// A month of a household's aid (低保, 优抚) paid to the head's card.
    pub const AID: u16 = 16;
    /// A month's age allowance (高龄津贴) paid to the elder's card.
    pub const ALLOWANCE: u16 = 17;
}

/// The counter's and banks' money.
pub const CASH_ACCOUNT: Id = 1;
/// The card centre's fees.
pub const FEE_ACCOUNT: Id = 2;
/// Paid out to operators and merchants.
pub const SETTLED_ACCOUNT: Id = 3;
/// Public-bicycle deposits held (pending until released).
pub const DEPOSIT_ACCOUNT: Id = 4;
/// The medical-insurance fund.
pub const MEDICAL_FUND_ACCOUNT: Id = 5;
/// Civil affairs' funds for aid and age allowances.
pub const CIVIL_AFFAIRS_ACCOUNT: Id = 6;

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
/// A personal medical account, opened under the holder's card of the day
/// it was first needed and kept by the holder through every card after.
pub fn medical_account_of(card: u64) -> Id {
    card << 8 | 4
}
/// An operator's or merchant's takings.
pub fn takings_of(party: u64) -> Id {
    1 << 62 | party
}

/// The most a client may choose as a transfer id; above it are the ids the
/// books make for transfers of their own.
pub const MAX_CLIENT_ID: Id = (1 << 62) - 1;
const OWN_IDS: Id = 1 << 63;
/// A refund's id is its purchase's with this bit set.
pub const REFUND_BIT: Id = 1 << 62;
/// The platform's payouts (aid, allowances) take ids above the refunds of
/// the books' own transfers, whose numbers never reach bit 61: a payout's
/// id is this with its number in the platform's store, so that paying it
/// again finds the first.
const PAYOUT_IDS: Id = OWN_IDS | REFUND_BIT | (1 << 61);

/// The transfer id of the platform's payout number `n` (from 1).
pub fn payout_transfer_id(n: u64) -> Id {
    PAYOUT_IDS | (n & ((1 << 61) - 1))
}

/// A client's transfer id is from 1 to [`MAX_CLIENT_ID`].
pub(crate) fn check_client_id(client_id: Id) -> Result<(), Refusal> {
    if client_id == 0 || client_id > MAX_CLIENT_ID {
        return Err(Refusal::field(
            "id",
            format!("请求编号须在1到{MAX_CLIENT_ID}之间"),
            format!("The request id must be from 1 to {MAX_CLIENT_ID}"),
        ));
    }
    Ok(())
}

/// A client's transfer id sent again with another transfer.
pub(crate) fn id_reused() -> Refusal {
    Refusal::conflict(
        "id_reused",
        "该请求编号已用于另一笔交易",
        "That request id was used for another transfer",
    )
}

/// The number of one of the books' own transfer ids (not a refund's), if it is one.
pub fn own_number(id: Id) -> Option<u64> {
    (OWN_IDS..OWN_IDS | REFUND_BIT)
        .contains(&id)
        .then(|| id - OWN_IDS)
}

/// The seconds within which a second tap of one card on one terminal is not
/// charged again.
pub const DOUBLE_TAP_SECONDS: i64 = 10;

/// What the books changed, for the engine to store with the ledger's rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Card(Card),
    Party(Party),
    Terminal(Terminal),
    /// A tap stored, and the card's tap stored before it, which the
    /// books link when the batch's effects are taken.
    Tap(TapRecord, Option<TapKey>),
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
    /// The holder's personal medical account.
    #[serde(default)]
    pub medical: i64,
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Each holder's personal medical account, once opened.
    medical_accounts: HashMap<String, Id>,
    next_card: u64,
    next_own_id: u64,
    parties: HashMap<u64, Party>,
    party_codes: HashMap<String, u64>,
    terminals: HashMap<String, Terminal>,
    seen: HashMap<String, Seen>,
    last_tap: HashMap<u64, LastTap>,
    /// Each card's newest stored tap: its taps are a chain back from it.
    heads: HashMap<u64, TapKey>,
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
    /// What each party took, by day, for the days not yet settled.
    takings: settlement::TakingsByDay,
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
    /// Each card's newest stored tap, when the books are replayed whole
    /// (an image carries them otherwise).
    pub heads: Vec<(u64, TapKey)>,
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

impl Book {
    /// Open books around a ledger replayed from the whole history and the
    /// stored rows. The card centre's own accounts are opened if they are
    /// not there.
    pub fn open(ledger: Ledger, rules: Rules, stored: Stored) -> Book {
        Book::assemble(ledger, rules, stored, image::Carried::default())
    }

    /// The books from their parts: a ledger (replayed whole, or from an
    /// image and the transfers after it), what the image carried, and the
    /// stored rows.
    fn assemble(mut ledger: Ledger, rules: Rules, stored: Stored, carried: image::Carried) -> Book {
        for (id, code) in [
            (CASH_ACCOUNT, account_code::CASH),
            (FEE_ACCOUNT, account_code::FEES),
            (SETTLED_ACCOUNT, account_code::SETTLED),
            (DEPOSIT_ACCOUNT, account_code::DEPOSITS),
            (MEDICAL_FUND_ACCOUNT, account_code::MEDICAL_FUND),
            (CIVIL_AFFAIRS_ACCOUNT, account_code::CIVIL_AFFAIRS_FUND),
        ] {
            let _ = ledger.create_account(Account::new(id, CNY, code, AccountFlags::default()));
        }
        // Refunds' ids (bit 62 set) are not the counter's.
        let next_own_id = ledger
            .max_id_between(OWN_IDS, OWN_IDS | REFUND_BIT)
            .and_then(own_number)
            .unwrap_or(0)
            .max(carried.next_own_id);
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
            seen: carried.seen,
            last_tap: carried.last_tap,
            heads: carried.heads,
            takings: TakingsByDay::from_days(carried.takings),
            ..Book::default()
        };
        // What the ledger replayed after the image is counted in its day.
        let after: Vec<Transfer> = b
            .ledger
            .transfers()
            .filter(|t| t.timestamp > carried.counted_upto)
            .cloned()
            .collect();
        b.count_takings(&after);
        for c in stored.cards {
            b.next_card = b.next_card.max(c.id);
            if !c.state.is_dead() {
                b.live_by_holder.insert(c.holder.clone(), c.id);
            }
            if b.ledger.account(medical_account_of(c.id)).is_some() {
                b.medical_accounts
                    .insert(c.holder.clone(), medical_account_of(c.id));
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
        b.heads.extend(stored.heads);
        let mut newest = NewestTaps::default();
        stored.taps.iter().for_each(|t| newest.offer(t));
        b.heads.extend(newest.into_heads());
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
                    if b.last_tap.get(&id).is_some_and(|l| l.at > tap.at) {
                        continue;
                    }
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
        // A settled day's takings are its settlement's; only open days are counted.
        for settled in &b.settlements {
            b.takings.days.remove(&settled.day);
        }
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
        let mut effects = std::mem::take(&mut self.effects);
        self.link_taps(&mut effects);
        effects
    }

    pub(crate) fn push_effect(&mut self, e: Effect) {
        self.effects.push(e);
    }

    fn own_id(&mut self) -> Id {
        self.next_own_id += 1;
        OWN_IDS | self.next_own_id
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

    /// One transfer applied alone: the transfer, or the ledger's refusal
    /// (nothing moved).
    fn apply_one(&mut self, request: TransferRequest, now: i64) -> Result<Transfer, Refusal> {
        self.ledger
            .apply(&[request], now)
            .pop()
            .expect("one result a request")
            .map_err(ledger_refusal)
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
