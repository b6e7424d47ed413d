//! The platform's payouts onto cards: a household's aid and an elder's age
//! allowance, paid from civil affairs' funds into the real-name account of
//! the holder's live card. Each payout is numbered in the platform's store
//! and its transfer id follows from the number, so paying it again (after
//! a crash, on another node) answers the first transfer and moves nothing.

use super::*;

/// What a payout pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payout {
    /// A month of a household's aid (低保, 优抚), to the head.
    Aid,
    /// A month's age allowance (高龄津贴), to the elder.
    Allowance,
}

impl Payout {
    pub fn code(self) -> u16 {
        match self {
            Payout::Aid => transfer_code::AID,
            Payout::Allowance => transfer_code::ALLOWANCE,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Payout::Aid => "aid",
            Payout::Allowance => "allowance",
        }
    }

    pub fn parse(s: &str) -> Option<Payout> {
        [Payout::Aid, Payout::Allowance]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

impl Book {
    /// Pay payout `n` of `amount` fen to the live card of `holder` (an
    /// identity number): the card and the transfer, or none while the
    /// holder has no live card (the payout waits for one). Paid before,
    /// the first transfer is answered, whatever card the holder has now.
    pub fn pay_out(
        &mut self,
        holder: &str,
        what: Payout,
        amount: i64,
        n: u64,
        now: i64,
        by: &Doer,
    ) -> Result<Option<(String, Transfer)>, Refusal> {
        if amount <= 0 {
            return Err(Refusal::field(
                "amount",
                "发放金额须大于0",
                "A payout is above 0",
            ));
        }
        let id = payout_transfer_id(n);
        if let Some(first) = self.ledger.transfer(id) {
            let r = &first.request;
            if r.code != what.code()
                || r.amount != amount
                || r.debit_account_id != CIVIL_AFFAIRS_ACCOUNT
            {
                return Err(id_reused());
            }
            let card = card_number(r.credit_account_id >> 8);
            return Ok(Some((card, first.clone())));
        }
        let Some(number) = self.live_card_of(holder) else {
            return Ok(None);
        };
        let card = self.live_card(&number)?.clone();
        if card.state.is_dead() {
            return Ok(None);
        }
        let request = TransferRequest {
            id,
            debit_account_id: CIVIL_AFFAIRS_ACCOUNT,
            credit_account_id: account_of(card.id),
            amount,
            pending_id: 0,
            timeout: 0,
            ledger: CNY,
            code: what.code(),
            flags: TransferFlags::default(),
        };
        let t = self.apply_one(request, now)?;
        self.journal(
            now,
            by,
            &card,
            "card.paid_out",
            serde_json::json!({ "what": what.as_str(), "amount": amount, "payout": n }),
        );
        Ok(Some((card.number.clone(), t)))
    }
}
