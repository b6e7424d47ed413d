//! The public-bicycle deposit held in the wallet, and what a card has out.

use super::*;

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
    pub(super) fn void_of(&mut self, pending: Id) -> TransferRequest {
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
