//! A card's life: issued to a resident, activated, reported lost (挂失),
//! frozen and unfrozen, replaced (补卡: the balances move to the new card and
//! the old number is dead), cancelled (the balance refunded less the stated
//! fee). And the wallet's rules: the least top-up, the most it may hold, the
//! bicycle deposit held in it.

use serde::{Deserialize, Serialize};

use crate::money::Fen;
use crate::refusal::Refusal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardState {
    /// Made and handed over, not yet in use.
    Issued,
    Active,
    /// Reported lost: blocked everywhere at once.
    Lost,
    /// Frozen by the card centre (a dispute, a court order).
    Frozen,
    /// Replaced by a new card: dead, its balances moved.
    Replaced,
    /// Cancelled: dead, its balance refunded.
    Cancelled,
}

impl CardState {
    pub const ALL: [CardState; 6] = [
        CardState::Issued,
        CardState::Active,
        CardState::Lost,
        CardState::Frozen,
        CardState::Replaced,
        CardState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CardState::Issued => "issued",
            CardState::Active => "active",
            CardState::Lost => "lost",
            CardState::Frozen => "frozen",
            CardState::Replaced => "replaced",
            CardState::Cancelled => "cancelled",
        }
    }

    /// Whether a terminal must refuse the card (it is on the deny list).
    pub fn is_denied(self) -> bool {
        !matches!(self, CardState::Active)
    }

    /// A card that can never be used again.
    pub fn is_dead(self) -> bool {
        matches!(self, CardState::Replaced | CardState::Cancelled)
    }
}

/// What the card centre or the holder does to a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum CardCommand {
    Activate,
    /// The holder (or a clerk for them) reports it lost.
    ReportLoss,
    /// Found again before it was replaced.
    CancelLoss,
    Freeze {
        reason: String,
    },
    Unfreeze,
    /// A new card takes its place.
    Replace,
    Cancel,
}

/// The state a command leads to, or why it may not be done now.
pub fn next_state(state: CardState, command: &CardCommand) -> Result<CardState, Refusal> {
    use CardCommand as C;
    use CardState as S;
    let next = match (state, command) {
        (S::Issued, C::Activate) => S::Active,
        (S::Issued | S::Active | S::Frozen, C::ReportLoss) => S::Lost,
        (S::Lost, C::CancelLoss) => S::Active,
        (S::Active, C::Freeze { reason }) => {
            if reason.trim().is_empty() {
                return Err(Refusal::field(
                    "reason",
                    "请填写冻结原因",
                    "Give the reason for freezing",
                ));
            }
            S::Frozen
        }
        (S::Frozen, C::Unfreeze) => S::Active,
        // A frozen card's money stays frozen: unfreeze before replacing it.
        (S::Active | S::Lost, C::Replace) => S::Replaced,
        (S::Issued | S::Active | S::Lost, C::Cancel) => S::Cancelled,
        _ => {
            return Err(Refusal::conflict(
                "card_state",
                &format!("卡片当前状态（{}）不允许此操作", state.as_str()),
                &format!("Not allowed while the card is {}", state.as_str()),
            ))
        }
    };
    Ok(next)
}

impl CardCommand {
    /// A command by its name, as forms and the API send it (`reason` for freezing).
    pub fn named(name: &str, reason: String) -> Option<CardCommand> {
        Some(match name {
            "activate" => CardCommand::Activate,
            "report_loss" => CardCommand::ReportLoss,
            "cancel_loss" => CardCommand::CancelLoss,
            "freeze" => CardCommand::Freeze { reason },
            "unfreeze" => CardCommand::Unfreeze,
            "replace" => CardCommand::Replace,
            "cancel" => CardCommand::Cancel,
            _ => return None,
        })
    }
}

/// The steps of a card's life a state allows, what it most likely needs
/// first: an issued card is activated, a lost one found again (or
/// replaced), a frozen one unfrozen. Asked of `next_state` itself, so a
/// page never offers what would be refused; a replaced or cancelled card
/// has none.
pub fn steps_allowed_in(state: CardState) -> Vec<&'static str> {
    const LIKELIEST_FIRST: [&str; 7] = [
        "activate",
        "cancel_loss",
        "unfreeze",
        "report_loss",
        "replace",
        "freeze",
        "cancel",
    ];
    LIKELIEST_FIRST
        .into_iter()
        .filter(|name| {
            CardCommand::named(name, "-".into()).is_some_and(|c| next_state(state, &c).is_ok())
        })
        .collect()
}

/// Whether money and services (top-up, passes, the bicycle deposit, a PIN)
/// are offered on a card in this state: only a card in use or about to be.
pub fn in_service(state: CardState) -> bool {
    matches!(state, CardState::Issued | CardState::Active)
}

/// The wallet's rules, in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletRules {
    /// The least one top-up.
    pub min_top_up: i64,
    /// The most the wallet may hold (the prepaid-card bound).
    pub max_balance: i64,
    /// The most one payment into the real-name account at a counter: cash
    /// above 50,000 yuan is large-value cash (大额现金), reported and
    /// handled by a bank, not taken at a card counter.
    pub max_account_top_up: i64,
    /// The public-bicycle deposit, held in the wallet while borrowing is on.
    pub bike_deposit: i64,
    /// What cancelling a card costs, taken from its refund.
    pub cancel_fee: i64,
}

impl Default for WalletRules {
    fn default() -> Self {
        WalletRules {
            min_top_up: 1_000,
            max_balance: 100_000,
            max_account_top_up: 5_000_000,
            bike_deposit: 20_000,
            cancel_fee: 0,
        }
    }
}

impl WalletRules {
    /// Whether the real-name account may take a payment of `amount`.
    pub fn check_account_top_up(&self, amount: i64) -> Result<(), Refusal> {
        if amount < self.min_top_up {
            return Err(Refusal::field(
                "amount",
                format!("每次充值不少于{}元", Fen(self.min_top_up).short()),
                format!("A top-up is at least {} yuan", Fen(self.min_top_up).short()),
            ));
        }
        if amount > self.max_account_top_up {
            return Err(Refusal::field(
                "amount",
                format!(
                    "每笔存入不超过{}元，大额请通过银行办理",
                    Fen(self.max_account_top_up).short()
                ),
                format!(
                    "One payment is at most {} yuan; larger sums go through a bank",
                    Fen(self.max_account_top_up).short()
                ),
            ));
        }
        Ok(())
    }

    /// Whether a wallet holding `balance` may take a top-up of `amount`.
    pub fn check_top_up(&self, balance: i64, amount: i64) -> Result<(), Refusal> {
        if amount < self.min_top_up {
            return Err(Refusal::field(
                "amount",
                format!("每次充值不少于{}元", Fen(self.min_top_up).short()),
                format!("A top-up is at least {} yuan", Fen(self.min_top_up).short()),
            ));
        }
        if balance.saturating_add(amount) > self.max_balance {
            return Err(Refusal::field(
                "amount",
                format!(
                    "充值后余额不能超过{}元（还可充值{}元）",
                    Fen(self.max_balance).short(),
                    Fen((self.max_balance - balance).max(0)).short()
                ),
                format!(
                    "The wallet holds at most {} yuan ({} more can be added)",
                    Fen(self.max_balance).short(),
                    Fen((self.max_balance - balance).max(0)).short()
                ),
            ));
        }
        Ok(())
    }

    /// What a cancelled card's holder gets back from `balance`.
    pub fn refund(&self, balance: i64) -> i64 {
        (balance - self.cancel_fee).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_goes_through_its_life_and_dead_cards_stay_dead() {
        use CardCommand as C;
        let mut s = CardState::Issued;
        for (command, expected) in [
            (C::Activate, CardState::Active),
            (
                C::Freeze {
                    reason: "司法冻结".into(),
                },
                CardState::Frozen,
            ),
            (C::Unfreeze, CardState::Active),
            (C::ReportLoss, CardState::Lost),
            (C::CancelLoss, CardState::Active),
            (C::ReportLoss, CardState::Lost),
            (C::Replace, CardState::Replaced),
        ] {
            s = next_state(s, &command).expect("allowed");
            assert_eq!(s, expected, "{command:?}");
        }
        assert!(s.is_dead() && s.is_denied());
        for command in [
            C::Activate,
            C::ReportLoss,
            C::Unfreeze,
            C::Replace,
            C::Cancel,
        ] {
            assert!(next_state(s, &command).is_err(), "{command:?}");
        }
        let r = next_state(
            CardState::Active,
            &C::Freeze {
                reason: "  ".into(),
            },
        )
        .expect_err("a reason is needed");
        assert!(r.fields.contains_key("reason"));
        assert!(
            next_state(CardState::Frozen, &C::Replace).is_err(),
            "a frozen card's money stays frozen"
        );
        assert!(!CardState::Active.is_denied());
        for s in [CardState::Issued, CardState::Lost, CardState::Frozen] {
            assert!(s.is_denied(), "{s:?} is on the deny list");
        }
    }

    #[test]
    fn the_wallet_takes_top_ups_within_its_bounds() {
        let w = WalletRules::default();
        w.check_top_up(0, 1_000).expect("the least");
        assert!(w.check_top_up(0, 999).is_err());
        w.check_top_up(90_000, 10_000)
            .expect("up to 1000 yuan exactly");
        let r = w.check_top_up(90_001, 10_000).expect_err("over 1000 yuan");
        assert!(r.fields["amount"].zh.contains("99.99"), "{r:?}");
        assert_eq!(w.refund(5_000), 5_000);
        let fee = WalletRules {
            cancel_fee: 500,
            ..w
        };
        assert_eq!((fee.refund(5_000), fee.refund(300)), (4_500, 0));
        let fen_of = |s: &str| Fen::parse(s).map(Fen::fen);
        let yuan = |fen: i64| Fen(fen).short().to_string();
        assert_eq!(
            [
                fen_of("10"),
                fen_of("1.5"),
                fen_of(" 0.91 "),
                fen_of("2.005"),
                fen_of("-1"),
                fen_of("1e3"),
                fen_of("")
            ],
            [Some(1_000), Some(150), Some(91), None, None, None, None]
        );
        assert_eq!(
            [yuan(1_000), yuan(1_050), yuan(1_005), yuan(-250)],
            ["10", "10.5", "10.05", "-2.5"]
        );
    }
}

#[cfg(test)]
mod offered_steps {
    use super::*;

    #[test]
    fn each_state_offers_only_the_steps_it_accepts_likeliest_first() {
        assert_eq!(
            steps_allowed_in(CardState::Lost),
            ["cancel_loss", "replace", "cancel"]
        );
        assert_eq!(
            steps_allowed_in(CardState::Issued),
            ["activate", "report_loss", "cancel"]
        );
        assert_eq!(
            steps_allowed_in(CardState::Frozen),
            ["unfreeze", "report_loss"]
        );
        assert!(steps_allowed_in(CardState::Cancelled).is_empty());
        assert!(steps_allowed_in(CardState::Replaced).is_empty());
        for state in CardState::ALL {
            for step in steps_allowed_in(state) {
                let cmd = CardCommand::named(step, "遗失".into()).expect("named");
                assert!(
                    next_state(state, &cmd).is_ok(),
                    "{step} offered on {state:?}"
                );
            }
        }
    }
}
