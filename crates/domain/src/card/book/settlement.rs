//! What each party took in a day, its settlement, and merchants' refunds.

use super::*;

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
    /// The payout's transfer (`"0"` when there was nothing to pay).
    /// A decimal string: it can exceed 2⁵³ − 1.
    #[serde(with = "crate::decimal_u64")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$", example = "9223372036854775809")]
    pub transfer: Id,
    pub settled_at: i64,
}

/// What the ledger credited and debited an operator's or a merchant's
/// takings with in one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DayTakings {
    /// Fares and purchases (what taps charged, and what cards paid at
    /// hospitals' desks), and how many taps.
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
    /// What the ledger credited and debited each party's takings with in
    /// `day` (by when the back office applied each transfer): as settled,
    /// or as counted so far.
    pub fn day_takings(
        &self,
        day: jiff::civil::Date,
    ) -> std::collections::BTreeMap<u64, DayTakings> {
        let key = day.to_string();
        let settled: std::collections::BTreeMap<u64, DayTakings> = self
            .settlements
            .iter()
            .filter(|s| s.day == key)
            .map(|s| {
                let d = DayTakings {
                    takings: s.takings,
                    count: s.count,
                    refunds: s.refunds,
                    passes: s.passes,
                };
                (s.party, d)
            })
            .collect();
        if !settled.is_empty() {
            return settled;
        }
        let mut out = self.takings.days.get(&key).cloned().unwrap_or_default();
        // What this batch applied is counted when the batch is taken to store.
        let (from, to) = day_bounds(day);
        for t in self.ledger.fresh_transfers() {
            if (from..to).contains(&t.timestamp) {
                if let Some((party, add)) = takings_moved(t) {
                    add.to(out.entry(party).or_default());
                }
            }
        }
        out
    }

    /// What changed since the last call, to store: the ledger's new rows,
    /// whose takings are counted in their day as they are taken.
    pub fn take_fresh(&mut self) -> super::super::ledger::Fresh {
        let fresh = self.ledger.take_fresh();
        self.count_takings(&fresh.transfers);
        fresh
    }

    /// Count transfers in the takings of the day each was applied in.
    pub(super) fn count_takings(&mut self, transfers: &[Transfer]) {
        for t in transfers {
            self.takings.count(t);
        }
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
        self.takings.days.remove(&key);
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

    /// A merchant gives a purchase back: once, at most what was paid, to
    /// the purse it came from, from the merchant's takings. The refund's
    /// transfer id is the purchase's with bit 62 set, so a purchase can be
    /// refunded only once, and a stored refund names its purchase.
    pub(super) fn refund(
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
        let id = original | REFUND_BIT;
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

/// What one transfer adds to one party's takings of its day.
enum Takings {
    Fare(i64),
    /// What a card paid at a hospital's desk: takings, but not a tap.
    Medical(i64),
    Refund(i64),
    Pass(i64),
}

impl Takings {
    fn to(self, d: &mut DayTakings) {
        match self {
            Takings::Fare(n) => {
                d.takings += n;
                d.count += 1;
            }
            Takings::Medical(n) => d.takings += n,
            Takings::Refund(n) => d.refunds += n,
            Takings::Pass(n) => d.passes += n,
        }
    }
}

/// The party whose takings a transfer moves, and how: fares, purchases and
/// what a card paid at a hospital's desk credit them, refunds debit them,
/// passes sold credit them apart.
fn takings_moved(t: &Transfer) -> Option<(u64, Takings)> {
    let r = &t.request;
    let party_of = |id: Id| (id & (1 << 62) != 0 && id & (1 << 63) == 0).then_some(id & !(1 << 62));
    match r.code {
        transfer_code::FARE | transfer_code::PURCHASE => {
            party_of(r.credit_account_id).map(|p| (p, Takings::Fare(t.amount)))
        }
        transfer_code::MEDICAL_PAY | transfer_code::SELF_PAY => {
            party_of(r.credit_account_id).map(|p| (p, Takings::Medical(t.amount)))
        }
        transfer_code::REFUND => {
            party_of(r.debit_account_id).map(|p| (p, Takings::Refund(t.amount)))
        }
        transfer_code::PASS => party_of(r.credit_account_id).map(|p| (p, Takings::Pass(t.amount))),
        _ => None,
    }
}

/// What each party took, by day (Asia/Shanghai, `YYYY-MM-DD`), counted
/// transfer by transfer.
#[derive(Debug, Clone, Default)]
pub struct TakingsByDay {
    pub days: std::collections::BTreeMap<String, std::collections::BTreeMap<u64, DayTakings>>,
    /// The day the last transfer counted fell in: `[from, to)` and its name.
    counting_day: Option<(i64, i64, String)>,
}

impl TakingsByDay {
    pub fn from_days(
        days: std::collections::BTreeMap<String, std::collections::BTreeMap<u64, DayTakings>>,
    ) -> TakingsByDay {
        TakingsByDay {
            days,
            counting_day: None,
        }
    }

    /// Count one transfer in its day, if it moves a party's takings.
    pub fn count(&mut self, t: &Transfer) {
        let Some((party, add)) = takings_moved(t) else {
            return;
        };
        let day = match &self.counting_day {
            Some((from, to, day)) if (*from..*to).contains(&t.timestamp) => day.clone(),
            _ => {
                let date = jiff::Timestamp::from_microsecond(t.timestamp)
                    .map(crate::clock::local_date)
                    .unwrap_or_default();
                let (from, to) = day_bounds(date);
                let day = date.to_string();
                self.counting_day = Some((from, to, day.clone()));
                day
            }
        };
        add.to(self.days.entry(day).or_default().entry(party).or_default());
    }
}
