//! Taps uploaded by terminals: checked, charged (or recorded unpaid), and
//! the deny list they are checked against.

use super::*;

/// A tap as a terminal recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TapInput {
    /// The terminal's own sequence number, from 1 to 2⁵³ − 1, one per tap.
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
    /// A decimal string: it can exceed 2⁵³ − 1.
    #[serde(default, with = "crate::decimal_u64::option")]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{1,20}$", example = "9223372036854775809")]
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
    /// The transfer that charged it (`"0"`: none). A decimal string: it can exceed 2⁵³ − 1.
    #[serde(with = "crate::decimal_u64")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$", example = "9223372036854775809")]
    pub transfer: Id,
    pub party: u64,
    /// When the back office applied it (its transfer's day is its day in clearing).
    pub applied_at: i64,
}

/// A stored tap's key: its terminal and sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TapKey {
    pub terminal: String,
    pub seq: u64,
}

impl TapKey {
    pub fn of(tap: &TapRecord) -> TapKey {
        TapKey {
            terminal: tap.terminal.clone(),
            seq: tap.seq,
        }
    }
}

/// The order a card's taps are chained in: by the batch that applied them,
/// then by the terminal's moment, terminal and number — an order the
/// stored rows alone give again, so a start without an image finds each
/// card's newest tap as the running books had it.
fn chain_order(t: &TapRecord) -> (i64, i64, &str, u64) {
    (t.applied_at, t.at, t.terminal.as_str(), t.seq)
}

/// The card a stored tap is chained to: one the books knew when it was
/// applied (a number no card has is not, so made-up numbers cost no memory).
fn chained_card(t: &TapRecord) -> Option<u64> {
    if t.outcome == TapOutcome::UnknownCard {
        return None;
    }
    card_id(&t.card)
}

/// Each card's newest of the taps offered, in the chain's order, whatever
/// the order they are offered in: how a start finds the chains' heads from
/// stored rows.
#[derive(Debug, Default)]
pub struct NewestTaps(HashMap<u64, (i64, i64, TapKey)>);

impl NewestTaps {
    pub fn offer(&mut self, t: &TapRecord) {
        let Some(card) = chained_card(t) else { return };
        let newer = self.0.get(&card).is_none_or(|(applied, at, k)| {
            (*applied, *at, k.terminal.as_str(), k.seq) < chain_order(t)
        });
        if newer {
            self.0.insert(card, (t.applied_at, t.at, TapKey::of(t)));
        }
    }

    pub fn into_heads(self) -> Vec<(u64, TapKey)> {
        self.0
            .into_iter()
            .map(|(card, (_, _, k))| (card, k))
            .collect()
    }

    /// Where `held` (an image's heads: card, terminal, number) differs
    /// from the newest taps offered so far: the first difference found, or
    /// `None` when they are the same.
    pub fn first_difference(&self, held: &[(u64, String, u64)]) -> Option<String> {
        for (card, terminal, seq) in held {
            match self.0.get(card) {
                Some((_, _, k)) if k.terminal == *terminal && k.seq == *seq => {}
                Some((_, _, k)) => {
                    return Some(format!(
                        "card {card}'s newest tap is {terminal} #{seq} in it, {} #{} in the taps stored",
                        k.terminal, k.seq
                    ))
                }
                None => {
                    return Some(format!(
                        "card {card}'s newest tap is {terminal} #{seq} in it, and the taps stored have none"
                    ))
                }
            }
        }
        (self.0.len() != held.len()).then(|| {
            format!(
                "it names the newest taps of {} cards, the taps stored give {}",
                held.len(),
                self.0.len()
            )
        })
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

impl Book {
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

    pub(super) fn tap(&mut self, t: &Terminal, tap: TapInput, now: i64) -> TapRecord {
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
        if !self.seen.contains_key(&t.code) {
            self.seen.insert(t.code.clone(), Seen::default());
        }
        let seen = self.seen.get_mut(&t.code).expect("just made");
        // A sequence number past what every JSON reader keeps exactly could
        // not be told back to the terminal as the number it sent.
        let malformed = tap.seq == 0 || tap.seq > crate::decimal_u64::MAX_EXACT;
        if malformed || seen.contains(tap.seq) {
            rec.outcome = if malformed {
                TapOutcome::Rejected
            } else {
                TapOutcome::Repeat
            };
            return rec;
        }
        seen.insert(tap.seq);
        rec.outcome = self.charge_tap(t, &tap, &mut rec, now);
        self.effects.push(Effect::Tap(rec.clone(), None));
        rec
    }

    /// Link each card's taps stored in this batch, in the chain's order, to
    /// the card's tap stored before: a card's taps are read back along the
    /// chain from its newest, so the rows need no index by card (one would
    /// take a random page of the disk for every tap).
    pub(super) fn link_taps(&mut self, effects: &mut [Effect]) {
        let mut taps: Vec<(u64, usize)> = effects
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e {
                Effect::Tap(t, _) => chained_card(t).map(|id| (id, i)),
                _ => None,
            })
            .collect();
        let order = |i: usize| match &effects[i] {
            Effect::Tap(t, _) => chain_order(t),
            _ => unreachable!("only taps are linked"),
        };
        taps.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| order(a.1).cmp(&order(b.1))));
        for (card, i) in taps {
            if let Effect::Tap(t, prev) = &mut effects[i] {
                *prev = self.heads.insert(card, TapKey::of(t));
            }
        }
    }

    /// The key of a card's newest stored tap, where its chain starts.
    pub fn newest_tap(&self, card: u64) -> Option<&TapKey> {
        self.heads.get(&card)
    }

    /// Charge a tap. The ledger's timestamp is the back office's `now`;
    /// the terminal's own moment (`tap.at`) decides transfers and double taps.
    pub(super) fn charge_tap(
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
        let (full, charged, product, purse, code) =
            match self.price_tap(t, tap, &card, last.as_ref(), rec, now) {
                Ok(priced) => priced,
                Err(outcome) => return outcome,
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

    /// What a tap costs by its terminal's kind — the full price, the charge,
    /// the leg group or product, the purse and the transfer code — or the
    /// outcome when it ends there.
    fn price_tap(
        &mut self,
        t: &Terminal,
        tap: &TapInput,
        card: &Card,
        last: Option<&LastTap>,
        rec: &mut TapRecord,
        now: i64,
    ) -> Result<(i64, i64, String, Purse, u16), TapOutcome> {
        Ok(match t.kind {
            // A gate checks entitlements; it has nothing to charge.
            TerminalKind::Gate => return Err(TapOutcome::Rejected),
            TerminalKind::Dock => match self.rentals.get(&card.id).cloned() {
                None => {
                    if !self.deposits.contains_key(&card.id) {
                        return Err(TapOutcome::Rejected);
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
                    let fee = crate::card::fares::bicycle_rental(
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
                let after = last.and_then(|l| {
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
                    return Err(TapOutcome::Rejected);
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
                return Err(self.refund(t, tap, rec, now));
            }
            TerminalKind::Pos => {
                let purse = tap.purse.unwrap_or(Purse::Wallet);
                let Some(party) = self.parties.get(&t.party) else {
                    return Err(TapOutcome::Rejected);
                };
                if tap.amount <= 0 || !party.accepts.contains(&purse) {
                    return Err(TapOutcome::Rejected);
                }
                rec.product = "purchase".into();
                let charged = crate::card::fares::percent_of(tap.amount, party.percent_of_price);
                (
                    tap.amount,
                    charged,
                    String::new(),
                    purse,
                    transfer_code::PURCHASE,
                )
            }
        })
    }

    /// Put a card on the deny list, or take it off, as its state and debt say.
    pub(super) fn refresh_deny(&mut self, card: u64) {
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
