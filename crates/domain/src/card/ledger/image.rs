//! The ledger without its history: an image of its state at one moment (to
//! snapshot and to start from), forgetting transfers that are stored and no
//! longer needed in memory, recalling one from the store when a request
//! names it, and replaying a stored history event by event.
//!
//! What a ledger must keep in memory to decide is small: every account's
//! balances, the pending transfers still pending, and its clock. A transfer
//! that is done matters again only when a request names its id (a retry,
//! a refund of a purchase); the engine recalls those from the store before
//! it applies the request, so they need not stay.

use serde::{Deserialize, Serialize};

use super::{Account, BadHistory, Event, Id, Ledger, PendingState, Transfer};

/// Entries a forgetting ledger's maps keep room for at least.
const KEEP_ROOM: usize = 1 << 16;

/// A ledger's state at one moment: what a start needs besides the
/// transfers after it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerImage {
    /// The last timestamp given (every transfer of the image is at or before it).
    pub clock: i64,
    /// Every account, by id.
    pub accounts: Vec<Account>,
    /// The pending transfers still pending, by id.
    pub pending: Vec<Transfer>,
}

impl Ledger {
    /// The ledger's state now, without its history.
    pub fn image(&self) -> LedgerImage {
        let mut accounts: Vec<Account> = self.accounts.values().cloned().collect();
        accounts.sort_unstable_by_key(|a| a.id);
        let mut pending: Vec<Transfer> = self
            .pending
            .iter()
            .filter(|(_, s)| **s == PendingState::Pending)
            .filter_map(|(id, _)| self.transfers.get(id).cloned())
            .collect();
        pending.sort_unstable_by_key(|t| t.request.id);
        LedgerImage {
            clock: self.clock,
            accounts,
            pending,
        }
    }

    /// A ledger in the state of `image`. An image that no ledger could be in
    /// (an account or a pending transfer twice, a pending transfer that is
    /// not one, or one after the image's clock) is refused.
    pub fn from_image(image: LedgerImage) -> Result<Ledger, BadHistory> {
        let bad = |id: Id, why: &str| BadHistory {
            id,
            why: why.to_string(),
        };
        let mut l = Ledger {
            clock: image.clock,
            ..Ledger::default()
        };
        for a in image.accounts {
            if l.accounts.insert(a.id, a.clone()).is_some() {
                return Err(bad(0, &format!("account {} is in the image twice", a.id)));
            }
        }
        for t in image.pending {
            let id = t.request.id;
            if !t.request.flags.pending || t.timestamp > l.clock {
                return Err(bad(id, "not a pending transfer of the image"));
            }
            l.pending.insert(id, PendingState::Pending);
            if l.transfers.insert(id, t).is_some() {
                return Err(bad(id, "in the image twice"));
            }
        }
        Ok(l)
    }

    /// Forget the transfers applied before `ts` — all but the pending ones
    /// still pending — and what became of the pending ones among them. The
    /// caller forgets only what is stored. The number forgotten.
    pub fn forget_before(&mut self, ts: i64) -> usize {
        let before = self.transfers.len();
        let pending = &mut self.pending;
        self.transfers.retain(|id, t| {
            let keep = t.timestamp >= ts || pending.get(id).copied() == Some(PendingState::Pending);
            if !keep {
                pending.remove(id);
            }
            keep
        });
        // The maps keep their room: the next interval fills it again, and
        // growing back would move every entry (and fault in fresh memory)
        // once an interval. Only room far beyond what is held goes back.
        if self.transfers.capacity() > 4 * self.transfers.len().max(KEEP_ROOM) {
            self.transfers
                .shrink_to(self.transfers.len().max(KEEP_ROOM) * 2);
        }
        if self.pending.capacity() > 4 * self.pending.len().max(KEEP_ROOM) {
            self.pending
                .shrink_to(self.pending.len().max(KEEP_ROOM) * 2);
        }
        before - self.transfers.len()
    }

    /// Whether a transfer with this id is in memory.
    pub fn remembers(&self, id: Id) -> bool {
        self.transfers.contains_key(&id)
    }

    /// Take back a stored transfer that was forgotten, so that a request
    /// naming its id sees it (a retry is answered with it; a refund finds
    /// its purchase). It is not stored again, and is forgotten again with
    /// the others of its time. A pending transfer recalled is done (only
    /// those are forgotten): it cannot be posted or voided.
    pub fn recall(&mut self, t: Transfer) {
        self.transfers.entry(t.request.id).or_insert(t);
    }

    /// How many transfers are in memory.
    pub fn remembered(&self) -> usize {
        self.transfers.len()
    }

    /// Rebuild a ledger from its whole stored history (see [`Replayer`]).
    /// The result's invariant still wants [`Ledger::check`].
    pub fn replay(
        accounts: impl IntoIterator<Item = Account>,
        events: impl IntoIterator<Item = Event>,
    ) -> Result<Ledger, BadHistory> {
        let mut r = Replayer::new(accounts)?;
        for e in events {
            r.push(e)?;
        }
        r.finish()
    }
}

/// Replays a stored history event by event — the accounts as opened (zero
/// balances), then every transfer and expiry in the order of their
/// timestamps — applying each under every rule, as the engine did. A
/// history that a ledger could not have made (a transfer that breaks a
/// flag, a post of nothing pending, an amount or a moment that differs from
/// what applying gives, a linked chain cut short) is reported with the
/// transfer where it breaks. It may start from an image, and may forget as
/// it goes, so a history of any length replays in bounded memory.
#[derive(Debug)]
pub struct Replayer {
    ledger: Ledger,
    open_chain: Option<Id>,
}

impl Replayer {
    /// Start from nothing: the accounts opened, no transfer.
    pub fn new(accounts: impl IntoIterator<Item = Account>) -> Result<Replayer, BadHistory> {
        let mut r = Replayer {
            ledger: Ledger::default(),
            open_chain: None,
        };
        r.open_accounts(accounts, false)?;
        Ok(r)
    }

    /// Start from an image, with the accounts opened after it (those in the
    /// image already are passed over, if they were opened the same).
    pub fn from_image(
        image: LedgerImage,
        accounts: impl IntoIterator<Item = Account>,
    ) -> Result<Replayer, BadHistory> {
        let mut r = Replayer {
            ledger: Ledger::from_image(image)?,
            open_chain: None,
        };
        r.open_accounts(accounts, true)?;
        Ok(r)
    }

    fn open_accounts(
        &mut self,
        accounts: impl IntoIterator<Item = Account>,
        known: bool,
    ) -> Result<(), BadHistory> {
        for a in accounts {
            let id = a.id;
            match self.ledger.create_account(a) {
                Ok(()) => {}
                Err(super::AccountRefused::Exists) if known => {}
                Err(e) => {
                    return Err(BadHistory {
                        id,
                        why: format!("account {id}: {e:?}"),
                    })
                }
            }
        }
        self.ledger.fresh = super::Fresh::default();
        Ok(())
    }

    /// Apply the next stored event.
    pub fn push(&mut self, event: Event) -> Result<(), BadHistory> {
        let l = &mut self.ledger;
        match event {
            Event::Transfer(t) => {
                let id = t.request.id;
                if l.transfers.contains_key(&id) {
                    return Err(BadHistory {
                        id,
                        why: "stored twice".into(),
                    });
                }
                if t.timestamp <= l.clock {
                    return Err(BadHistory {
                        id,
                        why: "its timestamp does not come after the one before".into(),
                    });
                }
                let applied =
                    l.apply_one(&t.request, t.timestamp, None)
                        .map_err(|e| BadHistory {
                            id,
                            why: format!("refused on replay: {e:?}"),
                        })?;
                if applied.amount != t.amount || applied.timestamp != t.timestamp {
                    return Err(BadHistory {
                        id,
                        why: format!(
                            "stored amount {} at {}, replay gives {} at {}",
                            t.amount, t.timestamp, applied.amount, applied.timestamp
                        ),
                    });
                }
                self.open_chain = t.request.flags.linked.then_some(id);
            }
            Event::Expired(id, at) => {
                if let Some(open) = self.open_chain {
                    return Err(BadHistory {
                        id: open,
                        why: "a linked chain is cut short".into(),
                    });
                }
                if at <= l.clock {
                    return Err(BadHistory {
                        id,
                        why: "its expiry's timestamp does not come after the one before".into(),
                    });
                }
                if !l.expired(at).contains(&id) {
                    return Err(BadHistory {
                        id,
                        why: "stored as expired, but it was not pending past its timeout".into(),
                    });
                }
                l.release(id, at);
            }
        }
        Ok(())
    }

    /// The transfers replayed since the last call, in order (to fold into
    /// what is counted per day, say); the ledger does not keep them as new.
    pub fn take_replayed(&mut self) -> Vec<Transfer> {
        std::mem::take(&mut self.ledger.fresh).transfers
    }

    /// The ledger as replayed so far.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Forget what was replayed before `ts` (see [`Ledger::forget_before`]).
    pub fn forget_before(&mut self, ts: i64) -> usize {
        self.ledger.forget_before(ts)
    }

    /// The ledger, once the history has ended where a history may end.
    pub fn finish(mut self) -> Result<Ledger, BadHistory> {
        if let Some(id) = self.open_chain {
            return Err(BadHistory {
                id,
                why: "a linked chain is cut short".into(),
            });
        }
        self.ledger.fresh = super::Fresh::default();
        Ok(self.ledger)
    }
}
