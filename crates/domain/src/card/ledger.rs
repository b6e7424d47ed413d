//! The citizen card's double-entry ledger, after TigerBeetle's model: pure
//! state and rules, no I/O. The engine around it (single writer, group
//! commit) keeps a `Ledger` in memory, applies each batch of requests here,
//! and stores what changed.
//!
//! - Accounts have a ledger (a currency or a kind of value) and a code (what
//!   the account is for), posted and pending debits and credits, and flags.
//! - Transfers are immutable and have client-chosen ids: a retry of a
//!   transfer that was applied is answered with the first result; the same
//!   id with a different body is refused. A refused transfer is not kept,
//!   so it may be sent again once it can succeed (after a top-up, say).
//! - Linked transfers (every one of a chain but the last has `linked`)
//!   succeed or fail together.
//! - Two-phase transfers: a pending transfer reserves the amount; a later
//!   transfer posts it (in full or in part) or voids it; a pending transfer
//!   with a timeout expires, releasing what it reserved.
//! - Money is integer fen. The invariant — total debits equal total
//!   credits, posted and pending alike, and no balance breaks its flags —
//!   is checked by [`Ledger::check`].

use super::HashMap;

use serde::{Deserialize, Serialize};

/// An account's or a transfer's id, chosen by the client; 0 is no id.
pub type Id = u64;

/// What an account may not do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFlags {
    /// Its debits (posted and pending) never exceed its posted credits: a
    /// wallet that cannot go below zero.
    pub debits_must_not_exceed_credits: bool,
    /// Its credits never exceed its posted debits.
    pub credits_must_not_exceed_debits: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: Id,
    /// Accounts trade only with accounts of the same ledger.
    pub ledger: u32,
    /// What the account is for (a wallet, a merchant's takings, cash…).
    pub code: u16,
    pub flags: AccountFlags,
    pub debits_pending: i64,
    pub debits_posted: i64,
    pub credits_pending: i64,
    pub credits_posted: i64,
}

impl Account {
    pub fn new(id: Id, ledger: u32, code: u16, flags: AccountFlags) -> Account {
        Account {
            id,
            ledger,
            code,
            flags,
            debits_pending: 0,
            debits_posted: 0,
            credits_pending: 0,
            credits_posted: 0,
        }
    }

    /// Posted credits less posted debits: what a wallet holds.
    pub fn balance(&self) -> i64 {
        self.credits_posted - self.debits_posted
    }

    /// What may still be spent: the balance less what is reserved.
    pub fn available(&self) -> i64 {
        self.balance() - self.debits_pending
    }

    fn breaks_flags(&self) -> bool {
        (self.flags.debits_must_not_exceed_credits
            && self.debits_pending + self.debits_posted > self.credits_posted)
            || (self.flags.credits_must_not_exceed_debits
                && self.credits_pending + self.credits_posted > self.debits_posted)
    }
}

/// How a transfer acts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TransferFlags {
    /// The next transfer of the batch succeeds or fails with this one.
    pub linked: bool,
    /// Reserve the amount, to post or void later.
    pub pending: bool,
    /// Post the pending transfer `pending_id` (its amount, or less).
    pub post_pending: bool,
    /// Void the pending transfer `pending_id`.
    pub void_pending: bool,
}

/// A transfer as a client asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TransferRequest {
    pub id: Id,
    pub debit_account_id: Id,
    pub credit_account_id: Id,
    /// In fen. For a post, 0 posts the whole pending amount.
    pub amount: i64,
    /// The pending transfer a post or a void acts on.
    pub pending_id: Id,
    /// For a pending transfer: microseconds until it expires; 0 never.
    pub timeout: i64,
    pub ledger: u32,
    pub code: u16,
    pub flags: TransferFlags,
}

/// A transfer as applied: the request, with the amount it moved and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub request: TransferRequest,
    /// What it moved (a post of 0 moves the whole pending amount).
    pub amount: i64,
    /// When it was applied, in microseconds; unique and increasing.
    pub timestamp: i64,
}

/// What became of a pending transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PendingState {
    Pending,
    Posted,
    Voided,
    Expired,
}

/// Why a transfer was refused (TigerBeetle's result codes, where they apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refused {
    LinkedEventFailed,
    LinkedEventChainOpen,
    IdMustNotBeZero,
    FlagsAreMutuallyExclusive,
    AccountsMustBeDifferent,
    AmountMustNotBeNegative,
    AmountMustNotBeZero,
    PendingIdMustBeZero,
    PendingIdMustNotBeZero,
    TimeoutReservedForPendingTransfer,
    DebitAccountNotFound,
    CreditAccountNotFound,
    AccountsMustHaveTheSameLedger,
    TransferMustHaveTheSameLedgerAsAccounts,
    PendingTransferNotFound,
    PendingTransferNotPending,
    PendingTransferHasDifferentAccounts,
    PendingTransferExpired,
    PendingTransferAlreadyPosted,
    PendingTransferAlreadyVoided,
    ExceedsPendingTransferAmount,
    ExistsWithDifferentFields,
    ExceedsCredits,
    ExceedsDebits,
    Overflow,
}

/// A refused account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountRefused {
    IdMustNotBeZero,
    FlagsAreMutuallyExclusive,
    BalancesMustBeZero,
    Exists,
    ExistsWithDifferentFields,
}

/// A break of the ledger's invariant, found by [`Ledger::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    Unbalanced {
        debits_posted: i128,
        credits_posted: i128,
        debits_pending: i128,
        credits_pending: i128,
    },
    FlagsBroken(Id),
    Negative(Id),
    PendingTotals(Id),
}

/// The ledger's state: accounts, applied transfers, and the pending ones
/// with what became of them.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    accounts: HashMap<Id, Account>,
    transfers: HashMap<Id, Transfer>,
    pending: HashMap<Id, PendingState>,
    /// The last timestamp given.
    clock: i64,
    /// What changed since the engine last took it to store.
    fresh: Fresh,
}

/// What a ledger gained since it was last asked: the rows to store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fresh {
    pub accounts: Vec<Account>,
    /// In the order applied (timestamps increasing).
    pub transfers: Vec<Transfer>,
    /// Pending transfers released by their timeout, each with a timestamp
    /// of its own from the same clock as the transfers'.
    pub expired: Vec<(Id, i64)>,
}

impl Fresh {
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.transfers.is_empty() && self.expired.is_empty()
    }
}

/// Why a stored history is not a ledger's (see [`Ledger::replay`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadHistory {
    /// The transfer (or pending transfer, for an expiry) where it breaks; 0 for the accounts.
    pub id: Id,
    pub why: String,
}

impl std::fmt::Display for BadHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "transfer {}: {}", self.id, self.why)
    }
}

/// One stored event of a ledger's history, for [`Ledger::replay`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Transfer(Transfer),
    /// A pending transfer released by its timeout, at its timestamp.
    Expired(Id, i64),
}

/// What applying one request changed, to undo it if its chain fails.
enum Undo {
    Account(Account),
    Transfer(Id),
    Pending(Id, Option<PendingState>),
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger::default()
    }

    pub fn account(&self, id: Id) -> Option<&Account> {
        self.accounts.get(&id)
    }

    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    pub fn transfer(&self, id: Id) -> Option<&Transfer> {
        self.transfers.get(&id)
    }

    /// Every transfer applied, in no order.
    pub fn transfers(&self) -> impl Iterator<Item = &Transfer> {
        self.transfers.values()
    }

    /// The highest transfer id in `[from, to)`, if any.
    pub fn max_id_between(&self, from: Id, to: Id) -> Option<Id> {
        self.transfers
            .keys()
            .filter(|id| (from..to).contains(*id))
            .max()
            .copied()
    }

    pub fn pending_state(&self, id: Id) -> Option<PendingState> {
        self.pending.get(&id).copied()
    }

    /// Open an account with zero balances. Opening the same account again
    /// is answered `Exists`; the same id with other fields is refused.
    pub fn create_account(&mut self, a: Account) -> Result<(), AccountRefused> {
        if a.id == 0 {
            return Err(AccountRefused::IdMustNotBeZero);
        }
        if a.flags.debits_must_not_exceed_credits && a.flags.credits_must_not_exceed_debits {
            return Err(AccountRefused::FlagsAreMutuallyExclusive);
        }
        if a.debits_pending != 0
            || a.debits_posted != 0
            || a.credits_pending != 0
            || a.credits_posted != 0
        {
            return Err(AccountRefused::BalancesMustBeZero);
        }
        match self.accounts.get(&a.id) {
            Some(old) if old.ledger == a.ledger && old.code == a.code && old.flags == a.flags => {
                Err(AccountRefused::Exists)
            }
            Some(_) => Err(AccountRefused::ExistsWithDifferentFields),
            None => {
                self.fresh.accounts.push(a.clone());
                self.accounts.insert(a.id, a);
                Ok(())
            }
        }
    }

    /// A timestamp after every one given, at or after `now`.
    fn tick(&mut self, now: i64) -> i64 {
        self.clock = (self.clock + 1).max(now);
        self.clock
    }

    /// Apply a batch in order at `now` (microseconds): each request's
    /// result, the applied transfer (a retry's first result) or why it was
    /// refused. A chain of linked requests is applied whole or not at all.
    pub fn apply(&mut self, batch: &[TransferRequest], now: i64) -> Vec<Result<Transfer, Refused>> {
        let mut results: Vec<Result<Transfer, Refused>> = Vec::with_capacity(batch.len());
        let mut chain_start: Option<usize> = None;
        let mut undo: Vec<Undo> = Vec::new();
        let mut chain_failed = false;
        for (i, r) in batch.iter().enumerate() {
            let in_chain = chain_start.is_some() || r.flags.linked;
            if in_chain && chain_start.is_none() {
                chain_start = Some(i);
                undo.clear();
                chain_failed = false;
            }
            let result = if chain_failed {
                Err(Refused::LinkedEventFailed)
            } else {
                let result = self.apply_one(r, now, in_chain.then_some(&mut undo));
                if result.is_err() && in_chain {
                    chain_failed = true;
                }
                result
            };
            results.push(result);
            if in_chain && !r.flags.linked {
                // The chain ends here.
                if let Some(start) = chain_start.take() {
                    if chain_failed {
                        self.roll_back(&mut undo);
                        fail_chain(&mut results[start..]);
                    }
                }
                undo.clear();
                chain_failed = false;
            }
        }
        // A chain left open at the end of the batch fails whole.
        if let Some(start) = chain_start {
            self.roll_back(&mut undo);
            for r in &mut results[start..] {
                *r = Err(Refused::LinkedEventChainOpen);
            }
        }
        results
    }

    fn roll_back(&mut self, undo: &mut Vec<Undo>) {
        while let Some(u) = undo.pop() {
            match u {
                Undo::Account(a) => {
                    self.accounts.insert(a.id, a);
                }
                Undo::Transfer(id) => {
                    self.transfers.remove(&id);
                    if self.fresh.transfers.last().map(|t| t.request.id) == Some(id) {
                        self.fresh.transfers.pop();
                    }
                }
                Undo::Pending(id, before) => match before {
                    Some(s) => {
                        self.pending.insert(id, s);
                    }
                    None => {
                        self.pending.remove(&id);
                    }
                },
            }
        }
    }

    fn apply_one(
        &mut self,
        r: &TransferRequest,
        now: i64,
        mut undo: Option<&mut Vec<Undo>>,
    ) -> Result<Transfer, Refused> {
        check_shape(r)?;
        if let Some(first) = self.transfers.get(&r.id) {
            return if first.request == *r {
                Ok(first.clone())
            } else {
                Err(Refused::ExistsWithDifferentFields)
            };
        }
        let two_phase_end = r.flags.post_pending || r.flags.void_pending;
        let (debit_id, credit_id, amount, ledger) = if two_phase_end {
            self.pending_terms(r, now)?
        } else {
            (r.debit_account_id, r.credit_account_id, r.amount, r.ledger)
        };
        let debit = self
            .accounts
            .get(&debit_id)
            .ok_or(Refused::DebitAccountNotFound)?;
        let credit = self
            .accounts
            .get(&credit_id)
            .ok_or(Refused::CreditAccountNotFound)?;
        if debit.ledger != credit.ledger {
            return Err(Refused::AccountsMustHaveTheSameLedger);
        }
        if debit.ledger != ledger {
            return Err(Refused::TransferMustHaveTheSameLedgerAsAccounts);
        }
        let (before_d, before_c) = (debit.clone(), credit.clone());
        let (mut d, mut c) = (before_d.clone(), before_c.clone());
        let add = |x: i64, y: i64| x.checked_add(y).ok_or(Refused::Overflow);
        if two_phase_end {
            let reserved = self.transfers[&r.pending_id].amount;
            d.debits_pending -= reserved;
            c.credits_pending -= reserved;
            if r.flags.post_pending {
                d.debits_posted = add(d.debits_posted, amount)?;
                c.credits_posted = add(c.credits_posted, amount)?;
            }
        } else if r.flags.pending {
            d.debits_pending = add(d.debits_pending, amount)?;
            c.credits_pending = add(c.credits_pending, amount)?;
        } else {
            d.debits_posted = add(d.debits_posted, amount)?;
            c.credits_posted = add(c.credits_posted, amount)?;
        }
        // Only what grows can break a flag (a post or a void never does).
        if !two_phase_end || r.flags.post_pending {
            add(add(d.debits_pending, d.debits_posted)?, 0)?;
            if d.flags.debits_must_not_exceed_credits
                && d.debits_pending + d.debits_posted > d.credits_posted
            {
                return Err(Refused::ExceedsCredits);
            }
            if c.flags.credits_must_not_exceed_debits
                && c.credits_pending + c.credits_posted > c.debits_posted
            {
                return Err(Refused::ExceedsDebits);
            }
        }
        let timestamp = self.tick(now);
        let transfer = Transfer {
            request: r.clone(),
            amount,
            timestamp,
        };
        if let Some(u) = &mut undo {
            u.push(Undo::Account(before_d));
            u.push(Undo::Account(before_c));
            u.push(Undo::Transfer(r.id));
        }
        self.accounts.insert(d.id, d);
        self.accounts.insert(c.id, c);
        self.transfers.insert(r.id, transfer.clone());
        self.fresh.transfers.push(transfer.clone());
        if r.flags.pending {
            if let Some(u) = &mut undo {
                u.push(Undo::Pending(r.id, None));
            }
            self.pending.insert(r.id, PendingState::Pending);
        }
        if two_phase_end {
            if let Some(u) = &mut undo {
                u.push(Undo::Pending(
                    r.pending_id,
                    self.pending.get(&r.pending_id).copied(),
                ));
            }
            let state = if r.flags.post_pending {
                PendingState::Posted
            } else {
                PendingState::Voided
            };
            self.pending.insert(r.pending_id, state);
        }
        Ok(transfer)
    }

    /// The accounts, amount and ledger a post or void of a pending transfer
    /// acts on, or why it cannot: the pending transfer must exist, still be
    /// pending and unexpired, and match what the request names.
    #[inline]
    fn pending_terms(&self, r: &TransferRequest, now: i64) -> Result<(Id, Id, i64, u32), Refused> {
        let p = self
            .transfers
            .get(&r.pending_id)
            .ok_or(Refused::PendingTransferNotFound)?;
        if !p.request.flags.pending {
            return Err(Refused::PendingTransferNotPending);
        }
        let pr = &p.request;
        let different = |given: Id, theirs: Id| given != 0 && given != theirs;
        if different(r.debit_account_id, pr.debit_account_id)
            || different(r.credit_account_id, pr.credit_account_id)
            || (r.ledger != 0 && r.ledger != pr.ledger)
        {
            return Err(Refused::PendingTransferHasDifferentAccounts);
        }
        match self.pending.get(&r.pending_id) {
            Some(PendingState::Posted) => return Err(Refused::PendingTransferAlreadyPosted),
            Some(PendingState::Voided) => return Err(Refused::PendingTransferAlreadyVoided),
            Some(PendingState::Expired) => return Err(Refused::PendingTransferExpired),
            Some(PendingState::Pending) => {}
            // Recalled from the store after it was forgotten: it is done.
            None => return Err(Refused::PendingTransferNotFound),
        }
        if pr.timeout > 0 && now >= p.timestamp.saturating_add(pr.timeout) {
            return Err(Refused::PendingTransferExpired);
        }
        if r.amount > p.amount {
            return Err(Refused::ExceedsPendingTransferAmount);
        }
        let amount = if r.flags.void_pending || r.amount == 0 {
            p.amount
        } else {
            r.amount
        };
        Ok((pr.debit_account_id, pr.credit_account_id, amount, pr.ledger))
    }

    /// Pending transfers whose timeout has run out by `now`, oldest first:
    /// what [`Ledger::expire`] releases.
    pub fn expired(&self, now: i64) -> Vec<Id> {
        let mut ids: Vec<(i64, Id)> = self
            .pending
            .iter()
            .filter(|(_, s)| **s == PendingState::Pending)
            .filter_map(|(id, _)| self.transfers.get(id))
            .filter(|t| {
                t.request.timeout > 0 && now >= t.timestamp.saturating_add(t.request.timeout)
            })
            .map(|t| (t.timestamp, t.request.id))
            .collect();
        ids.sort_unstable();
        ids.into_iter().map(|(_, id)| id).collect()
    }

    /// Release what expired pending transfers reserved; the ids released.
    pub fn expire(&mut self, now: i64) -> Vec<Id> {
        let ids = self.expired(now);
        for id in &ids {
            self.release(*id, now);
        }
        ids
    }

    /// Release what one pending transfer reserved, as expired at `now`.
    fn release(&mut self, id: Id, now: i64) {
        let Some(t) = self.transfers.get(&id) else {
            return;
        };
        let (d, c, amount) = (
            t.request.debit_account_id,
            t.request.credit_account_id,
            t.amount,
        );
        if let Some(a) = self.accounts.get_mut(&d) {
            a.debits_pending -= amount;
        }
        if let Some(a) = self.accounts.get_mut(&c) {
            a.credits_pending -= amount;
        }
        self.pending.insert(id, PendingState::Expired);
        let at = self.tick(now);
        self.fresh.expired.push((id, at));
    }

    /// Take what changed since the last call, to store it.
    pub fn take_fresh(&mut self) -> Fresh {
        std::mem::take(&mut self.fresh)
    }

    /// The transfers applied since the last [`Ledger::take_fresh`].
    pub fn fresh_transfers(&self) -> &[Transfer] {
        &self.fresh.transfers
    }

    /// The invariant: debits equal credits, posted and pending; no balance
    /// is negative or breaks its flags; each account's pending totals are
    /// what its live pending transfers reserve.
    pub fn check(&self) -> Result<(), Broken> {
        let (mut dp, mut cp, mut dq, mut cq) = (0i128, 0i128, 0i128, 0i128);
        let mut reserved: HashMap<Id, (i64, i64)> = HashMap::default();
        for (id, state) in &self.pending {
            if *state != PendingState::Pending {
                continue;
            }
            if let Some(t) = self.transfers.get(id) {
                reserved.entry(t.request.debit_account_id).or_default().0 += t.amount;
                reserved.entry(t.request.credit_account_id).or_default().1 += t.amount;
            }
        }
        for a in self.accounts.values() {
            if a.debits_pending < 0
                || a.debits_posted < 0
                || a.credits_pending < 0
                || a.credits_posted < 0
            {
                return Err(Broken::Negative(a.id));
            }
            if a.breaks_flags() {
                return Err(Broken::FlagsBroken(a.id));
            }
            let (d, c) = reserved.get(&a.id).copied().unwrap_or_default();
            if (d, c) != (a.debits_pending, a.credits_pending) {
                return Err(Broken::PendingTotals(a.id));
            }
            dp += i128::from(a.debits_posted);
            cp += i128::from(a.credits_posted);
            dq += i128::from(a.debits_pending);
            cq += i128::from(a.credits_pending);
        }
        if dp != cp || dq != cq {
            return Err(Broken::Unbalanced {
                debits_posted: dp,
                credits_posted: cp,
                debits_pending: dq,
                credits_pending: cq,
            });
        }
        Ok(())
    }
}

/// Every request of a failed chain is refused; the one that failed keeps its reason.
fn fail_chain(results: &mut [Result<Transfer, Refused>]) {
    for r in results {
        if r.is_ok() {
            *r = Err(Refused::LinkedEventFailed);
        }
    }
}

/// What is wrong with a request on its face, before any account is looked at.
fn check_shape(r: &TransferRequest) -> Result<(), Refused> {
    if r.id == 0 {
        return Err(Refused::IdMustNotBeZero);
    }
    let f = r.flags;
    if [f.pending, f.post_pending, f.void_pending]
        .iter()
        .filter(|x| **x)
        .count()
        > 1
    {
        return Err(Refused::FlagsAreMutuallyExclusive);
    }
    if r.amount < 0 {
        return Err(Refused::AmountMustNotBeNegative);
    }
    if f.post_pending || f.void_pending {
        if r.pending_id == 0 {
            return Err(Refused::PendingIdMustNotBeZero);
        }
        if r.timeout != 0 {
            return Err(Refused::TimeoutReservedForPendingTransfer);
        }
        return Ok(());
    }
    if r.pending_id != 0 {
        return Err(Refused::PendingIdMustBeZero);
    }
    if !f.pending && r.timeout != 0 {
        return Err(Refused::TimeoutReservedForPendingTransfer);
    }
    if r.amount == 0 {
        return Err(Refused::AmountMustNotBeZero);
    }
    if r.debit_account_id == r.credit_account_id {
        return Err(Refused::AccountsMustBeDifferent);
    }
    Ok(())
}

mod image;
pub use image::{LedgerImage, Replayer};

#[cfg(test)]
mod tests;
