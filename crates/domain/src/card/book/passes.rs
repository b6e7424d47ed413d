//! Period passes bought with the wallet that ride a network free.

use super::*;

/// A pass (月票) bought for a card's holder: a fare product with a duration,
/// riding free the legs its leg rules name, from its first day to the end
/// of its last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Pass {
    pub holder: String,
    pub product: String,
    pub valid_from: i64,
    pub valid_until: i64,
    /// The transfer that paid for it. A decimal string: it can exceed 2⁵³ − 1.
    #[serde(with = "crate::decimal_u64")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$", example = "9223372036854775809")]
    pub transfer: Id,
    pub bought_at: i64,
}

impl Book {
    /// The pass product the holder holds for a leg at `at`, if any.
    pub(super) fn live_pass(&self, holder: &str, leg: &Leg<'_>, at: i64) -> Option<String> {
        let held = self.passes.get(holder)?;
        let covering = self.rules.fares.passes_for(leg);
        held.iter()
            .find(|p| {
                covering.contains(&p.product.as_str()) && p.valid_from <= at && at < p.valid_until
            })
            .map(|p| p.product.clone())
    }

    /// A holder's passes, newest first.
    pub fn passes_of(&self, holder: &str) -> Vec<Pass> {
        let mut v = self.passes.get(holder).cloned().unwrap_or_default();
        v.sort_by_key(|p| std::cmp::Reverse(p.valid_from));
        v
    }

    /// Buy a pass from the card's wallet, its first day `first_day`: the
    /// operator running the pass's network (its validators' operator) is
    /// paid. A second pass of the same product may not overlap the first.
    pub fn buy_pass(
        &mut self,
        number: &str,
        product_id: &str,
        first_day: jiff::civil::Date,
        now: i64,
        by: &Doer,
    ) -> Result<Pass, Refusal> {
        let card = self
            .card(number)
            .ok_or_else(|| Refusal::not_found("该卡", "The card"))?
            .clone();
        if card.state != CardState::Active {
            return Err(Refusal::conflict(
                "card_state",
                "卡片须为正常状态",
                "The card must be active",
            ));
        }
        let product = self
            .rules
            .fares
            .product_by_id(product_id)
            .filter(|p| p.duration_days > 0)
            .cloned()
            .ok_or_else(|| Refusal::field("product", "没有这种月票", "No such pass"))?;
        let (valid_from, _) = day_bounds(first_day);
        let last = first_day
            .checked_add(jiff::Span::new().days(i64::from(product.duration_days) - 1))
            .map_err(|_| Refusal::field("first_day", "日期超出范围", "The day is out of range"))?;
        let (_, valid_until) = day_bounds(last);
        if valid_until <= now {
            return Err(Refusal::field(
                "first_day",
                "月票须在今后有效",
                "The pass must hold in the future",
            ));
        }
        if self.passes.get(&card.holder).is_some_and(|v| {
            v.iter().any(|p| {
                p.product == product.fare_product_id
                    && p.valid_from < valid_until
                    && valid_from < p.valid_until
            })
        }) {
            return Err(Refusal::conflict(
                "pass_held",
                "该时段已有同种月票",
                "A pass of this kind already holds then",
            ));
        }
        let networks: Vec<&str> = self
            .rules
            .fares
            .leg_rules
            .iter()
            .filter(|r| r.fare_product_id == product.fare_product_id)
            .map(|r| r.network_id.as_str())
            .collect();
        let mut runners: Vec<&Terminal> = self
            .terminals
            .values()
            .filter(|t| {
                t.kind == TerminalKind::Validator
                    && t.in_service()
                    && networks.contains(&t.network_id.as_str())
            })
            .collect();
        runners.sort_by(|a, b| a.code.cmp(&b.code));
        let party = runners.first().map(|t| t.party).ok_or_else(|| {
            Refusal::conflict(
                "no_operator",
                "没有运营单位经营该线网",
                "No operator runs this pass's network",
            )
        })?;
        let request = self.chain(&[(
            wallet_of(card.id),
            takings_of(party),
            product.amount,
            transfer_code::PASS,
        )]);
        let t = self
            .ledger
            .apply(&request, now)
            .pop()
            .expect("one result a request")
            .map_err(ledger_refusal)?;
        let pass = Pass {
            holder: card.holder.clone(),
            product: product.fare_product_id.clone(),
            valid_from,
            valid_until,
            transfer: t.request.id,
            bought_at: now,
        };
        self.passes
            .entry(card.holder.clone())
            .or_default()
            .push(pass.clone());
        self.effects.push(Effect::Pass(pass.clone()));
        self.journal(
            now,
            by,
            &card,
            "card.pass_bought",
            serde_json::json!({
                "product": pass.product,
                "first_day": first_day.to_string(),
                "last_day": last.to_string(),
                "price": product.amount,
            }),
        );
        Ok(pass)
    }
}
