//! The personal medical account (医保个人账户) and medical settlements made
//! with the card: the fund pays into the account, and a settlement pays the
//! insured's part from it first, then from the card's real-name account or
//! in cash. The fund's own part (统筹) is recorded, and paid to the hospital
//! outside the card's ledger.

use super::*;
use crate::card::entitlement::{Kind, MedicalRecord, RestFrom, Verdict};

/// The most one payment into a personal account may be, fen.
pub const MAX_MEDICAL_CREDIT: i64 = 10_000_000;

impl Book {
    /// The holder's personal medical account, opened under their live card
    /// if they have none yet.
    fn medical_account(&mut self, holder: &str, card: u64) -> Id {
        if let Some(id) = self.medical_accounts.get(holder) {
            return *id;
        }
        let id = medical_account_of(card);
        let guarded = AccountFlags {
            debits_must_not_exceed_credits: true,
            ..AccountFlags::default()
        };
        let _ = self
            .ledger
            .create_account(Account::new(id, CNY, account_code::MEDICAL, guarded));
        self.medical_accounts.insert(holder.to_string(), id);
        id
    }

    /// The medical-insurance fund pays into the personal account of the
    /// holder of a live card. `client_id` makes it safe to retry: the same
    /// id is answered with the first payment.
    pub fn credit_medical(
        &mut self,
        number: &str,
        amount: i64,
        client_id: Id,
        now: i64,
        by: &Doer,
    ) -> Result<Transfer, Refusal> {
        check_client_id(client_id)?;
        if amount <= 0 || amount > MAX_MEDICAL_CREDIT {
            return Err(Refusal::field(
                "amount",
                format!(
                    "划入金额须大于0且不超过{}元",
                    Fen(MAX_MEDICAL_CREDIT).short()
                ),
                format!(
                    "The amount is above 0 and at most {} yuan",
                    Fen(MAX_MEDICAL_CREDIT).short()
                ),
            ));
        }
        let card = self.live_card(number)?.clone();
        if let Some(first) = self.ledger.transfer(client_id) {
            let same = first.request.code == transfer_code::MEDICAL_CREDIT
                && first.request.amount == amount
                && self.medical_accounts.get(&card.holder)
                    == Some(&first.request.credit_account_id);
            return if same {
                Ok(first.clone())
            } else {
                Err(id_reused())
            };
        }
        if card.state.is_dead() {
            return Err(Refusal::conflict(
                "card_state",
                "已作废的卡不能办理",
                "A dead card cannot be used",
            ));
        }
        let account = self.medical_account(&card.holder, card.id);
        let request = TransferRequest {
            id: client_id,
            debit_account_id: MEDICAL_FUND_ACCOUNT,
            credit_account_id: account,
            amount,
            pending_id: 0,
            timeout: 0,
            ledger: CNY,
            code: transfer_code::MEDICAL_CREDIT,
            flags: TransferFlags::default(),
        };
        let t = self.apply_one(request, now)?;
        self.journal(
            now,
            by,
            &card,
            "card.medical_credited",
            serde_json::json!({ "amount": amount }),
        );
        Ok(t)
    }

    /// Pay the fund's roll into the holders' personal accounts: every line
    /// checked first (a live card; an id paid before only with the same
    /// card and amount), and none paid unless all can be; then each paid,
    /// an id paid before answered and not paid again. How many were paid
    /// now and how many had been, or each line's fault by its index.
    pub fn credit_medical_roll(
        &mut self,
        lines: &[(u64, String, i64)],
        now: i64,
        by: &Doer,
    ) -> Result<(usize, usize), Vec<(usize, Refusal)>> {
        let mut faults = vec![];
        let mut repeats = 0;
        for (i, (id, number, amount)) in lines.iter().enumerate() {
            let checked = (|| -> Result<bool, Refusal> {
                check_client_id(*id)?;
                if *amount <= 0 || *amount > MAX_MEDICAL_CREDIT {
                    return Err(Refusal::field(
                        "amount",
                        format!(
                            "划入金额须大于0且不超过{}元",
                            Fen(MAX_MEDICAL_CREDIT).short()
                        ),
                        format!(
                            "The amount is above 0 and at most {} yuan",
                            Fen(MAX_MEDICAL_CREDIT).short()
                        ),
                    ));
                }
                let card = self.live_card(number)?;
                if let Some(first) = self.ledger.transfer(*id) {
                    let same = first.request.code == transfer_code::MEDICAL_CREDIT
                        && first.request.amount == *amount
                        && self.medical_accounts.get(&card.holder)
                            == Some(&first.request.credit_account_id);
                    return if same { Ok(true) } else { Err(id_reused()) };
                }
                if card.state.is_dead() {
                    return Err(Refusal::conflict(
                        "card_state",
                        "已作废的卡不能办理",
                        "A dead card cannot be used",
                    ));
                }
                Ok(false)
            })();
            match checked {
                Ok(true) => repeats += 1,
                Ok(false) => {}
                Err(r) => faults.push((i, r)),
            }
        }
        if !faults.is_empty() {
            return Err(faults);
        }
        for (i, (id, number, amount)) in lines.iter().enumerate() {
            if let Err(r) = self.credit_medical(number, *amount, *id, now, by) {
                // Checked above, so this does not happen; said if it does.
                return Err(vec![(i, r)]);
            }
        }
        Ok((lines.len() - repeats, repeats))
    }

    /// Settle a visit at a hospital's desk: the card must prove an insured
    /// holder. Of what the insured pays, the personal medical account pays
    /// what it can, and the rest comes from the card's real-name account
    /// (which must hold it) or is paid in cash; what the card pays is paid
    /// to the hospital's takings in one linked chain. A request id the
    /// terminal has used before answers that first settlement and records
    /// nothing (a replay, or a retry after a lost answer).
    #[allow(clippy::too_many_arguments)]
    pub fn medical_settlement(
        &mut self,
        terminal: &str,
        request_id: &str,
        number: &str,
        total: i64,
        insured: i64,
        rest_from: RestFrom,
        now: i64,
    ) -> Result<MedicalRecord, Refusal> {
        let party = self.serving_terminal(terminal)?.party;
        let request_id = request_id.trim();
        if request_id.is_empty()
            || request_id.chars().count() > 64
            || !request_id.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(Refusal::field(
                "request_id",
                "请求编号须为1至64个可见ASCII字符",
                "The request id is 1 to 64 printable ASCII characters",
            ));
        }
        let key = (terminal.to_string(), request_id.to_string());
        if let Some(first) = self.medical_requests.get(&key) {
            return Ok(first.clone());
        }
        match self.check_entitlement(number, Kind::Medical, now) {
            Verdict::Allowed => {}
            v => {
                return Err(Refusal::conflict(
                    "not_insured",
                    &format!("该卡不能用于医保结算（{v:?}）"),
                    &format!("The card cannot be used for a medical settlement ({v:?})"),
                ))
            }
        }
        if total <= 0 || insured < 0 || insured > total {
            return Err(Refusal::field(
                "insured",
                "金额须为正，医保支付不超过总额",
                "The total is positive and insurance pays at most the total",
            ));
        }
        let card = self.live_card(number)?.clone();
        let self_pay = total - insured;
        let personal = self.medical_accounts.get(&card.holder).copied();
        let in_personal = personal
            .and_then(|id| self.ledger.account(id))
            .map_or(0, Account::balance);
        let from_medical_account = self_pay.min(in_personal.max(0));
        let rest = self_pay - from_medical_account;
        let (from_account, in_cash) = match rest_from {
            RestFrom::Account => (rest, 0),
            RestFrom::Cash => (0, rest),
        };
        if from_account > 0 && self.balances(card.id).account < from_account {
            return Err(Refusal::conflict(
                "insufficient_balance",
                &format!(
                    "实名账户余额不足以支付自付部分{}元，可改为现金支付",
                    Fen(from_account).short()
                ),
                &format!(
                    "The card's account holds less than the {} yuan left to pay; pay it in cash",
                    Fen(from_account).short()
                ),
            ));
        }
        let mut legs = vec![];
        if let Some(id) = personal.filter(|_| from_medical_account > 0) {
            legs.push((
                id,
                takings_of(party),
                from_medical_account,
                transfer_code::MEDICAL_PAY,
            ));
        }
        if from_account > 0 {
            legs.push((
                account_of(card.id),
                takings_of(party),
                from_account,
                transfer_code::SELF_PAY,
            ));
        }
        if !legs.is_empty() {
            let requests = self.chain(&legs);
            let results = self.ledger.apply(&requests, now);
            if let Some(Err(why)) = results
                .iter()
                .find(|r| !matches!(r, Err(Refused::LinkedEventFailed) | Ok(_)))
            {
                return Err(ledger_refusal(*why));
            }
        }
        self.medical_seq += 1;
        let r = MedicalRecord {
            id: self.medical_seq,
            card: card.number.clone(),
            holder: card.holder.clone(),
            party,
            terminal: terminal.to_string(),
            total,
            insured,
            self_pay,
            from_medical_account,
            from_account,
            in_cash,
            at: now,
            request_id: request_id.to_string(),
        };
        self.medical_requests.insert(key, r.clone());
        self.push_effect(Effect::Medical(r.clone()));
        Ok(r)
    }
}
