//! Cards: their numbers, issue, life steps, and the top-ups that fill
//! their purses.

use super::*;

/// A card's number: `3301`, eight digits of its sequence, and a Luhn digit.
pub fn card_number(id: u64) -> String {
    let body = format!("3301{id:08}");
    format!("{body}{}", luhn_digit(&body))
}

pub(super) fn luhn_digit(body: &str) -> u32 {
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

impl Book {
    pub fn card(&self, number: &str) -> Option<&Card> {
        card_id(number).and_then(|id| self.cards.get(&id))
    }

    /// The holder's cards, newest first.
    pub fn cards_of(&self, holder: &str) -> Vec<&Card> {
        let mut v: Vec<&Card> = self.cards.values().filter(|c| c.holder == holder).collect();
        v.sort_by_key(|c| std::cmp::Reverse(c.id));
        v
    }

    /// The number of the holder's live card (not dead), if they hold one.
    pub fn live_card_of(&self, holder: &str) -> Option<String> {
        self.live_by_holder.get(holder).map(|id| card_number(*id))
    }

    pub fn balances(&self, card: u64) -> Balances {
        let bal = |id| self.ledger.account(id).map_or(0, Account::balance);
        Balances {
            wallet: bal(wallet_of(card)),
            account: bal(account_of(card)),
            owed: -bal(credit_line_of(card)),
            medical: self
                .cards
                .get(&card)
                .and_then(|c| self.medical_accounts.get(&c.holder))
                .map_or(0, |id| bal(*id)),
        }
    }

    pub(super) fn live_card(&self, number: &str) -> Result<&Card, Refusal> {
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

    pub(super) fn new_card(
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
    pub(super) fn open_accounts(&mut self, id: u64) {
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
        let mut payload = serde_json::json!({ "from": card.state.as_str(), "to": next.as_str() });
        if let CardCommand::Freeze { reason } = command {
            payload["reason"] = reason.trim().into();
        }
        let chain = self.moves_of(command, id, &bal, &mut payload)?;
        let mut successor = None;
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

    /// The money a card's last step moves: a cancellation pays the balances
    /// back less the fee, a replacement moves them (and the debt) to the new
    /// card; other steps move nothing.
    fn moves_of(
        &self,
        command: &CardCommand,
        id: u64,
        bal: &Balances,
        payload: &mut serde_json::Value,
    ) -> Result<Vec<(Id, Id, i64, u16)>, Refusal> {
        let mut chain = vec![];
        match command {
            CardCommand::Cancel => {
                if bal.owed > 0 {
                    return Err(Refusal::conflict(
                        "card_owes",
                        &format!("该卡欠款{}元，请先充值还款", Fen(bal.owed).short()),
                        &format!(
                            "The card owes {} yuan; top it up first",
                            Fen(bal.owed).short()
                        ),
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
        Ok(chain)
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

    pub(super) fn top_up_from(
        &mut self,
        from: Id,
        number: &str,
        purse: Purse,
        amount: i64,
        client_id: Id,
        now: i64,
    ) -> Result<Transfer, Refusal> {
        check_client_id(client_id)?;
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
                Err(id_reused())
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
            Purse::Account => self.rules.wallet.check_account_top_up(amount)?,
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
}
