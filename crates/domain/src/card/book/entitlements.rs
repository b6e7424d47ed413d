//! Entitlements granted to a card's holder, checked at gates and desks.

use super::*;
use crate::card::entitlement::{verdict, Entitlement, Kind, Verdict};

impl Book {
    /// Grant an entitlement to a card's holder, until `valid_until` (or
    /// open-ended). Granting again renews it, and undoes a revocation.
    pub fn grant(
        &mut self,
        number: &str,
        kind: Kind,
        valid_until: Option<i64>,
        now: i64,
        by: &Doer,
    ) -> Result<Entitlement, Refusal> {
        let card = self
            .card(number)
            .ok_or_else(|| Refusal::not_found("该卡", "The card"))?
            .clone();
        if card.state.is_dead() {
            return Err(Refusal::conflict(
                "card_state",
                "已作废的卡不能办理",
                "A dead card cannot be given entitlements",
            ));
        }
        if valid_until.is_some_and(|u| u <= now) {
            return Err(Refusal::field(
                "valid_until",
                "有效期须晚于现在",
                "The end must be in the future",
            ));
        }
        let e = Entitlement {
            holder: card.holder.clone(),
            kind,
            granted_at: now,
            valid_until,
            revoked: None,
            changed_at: now,
        };
        self.entitlements
            .insert((e.holder.clone(), kind), e.clone());
        self.push_effect(Effect::Entitlement(e.clone()));
        self.journal(
            now,
            by,
            &card,
            "card.entitlement_granted",
            serde_json::json!({ "kind": kind.as_str(), "valid_until": valid_until }),
        );
        Ok(e)
    }

    /// Revoke a holder's entitlement, with the reason.
    pub fn revoke(
        &mut self,
        number: &str,
        kind: Kind,
        reason: &str,
        now: i64,
        by: &Doer,
    ) -> Result<Entitlement, Refusal> {
        if reason.trim().is_empty() {
            return Err(Refusal::field(
                "reason",
                "请填写撤销原因",
                "Give the reason",
            ));
        }
        let card = self
            .card(number)
            .ok_or_else(|| Refusal::not_found("该卡", "The card"))?
            .clone();
        let e = self
            .entitlements
            .get_mut(&(card.holder.clone(), kind))
            .filter(|e| e.revoked.is_none())
            .ok_or_else(|| Refusal::not_found("该权益", "The entitlement"))?;
        e.revoked = Some(reason.trim().to_string());
        e.changed_at = now;
        let e = e.clone();
        self.push_effect(Effect::Entitlement(e.clone()));
        self.journal(
            now,
            by,
            &card,
            "card.entitlement_revoked",
            serde_json::json!({ "kind": kind.as_str(), "reason": reason.trim() }),
        );
        Ok(e)
    }

    /// What a gate or desk is told for a card and an entitlement at `now`.
    /// A wallet's debt does not stop a card proving who its holder is.
    pub fn check_entitlement(&self, number: &str, kind: Kind, now: i64) -> Verdict {
        let Some(card) = self.card(number) else {
            return Verdict::UnknownCard;
        };
        let e = self.entitlements.get(&(card.holder.clone(), kind));
        verdict(!card.state.is_denied(), e, now)
    }

    /// A holder's entitlements.
    pub fn entitlements_of(&self, holder: &str) -> Vec<Entitlement> {
        let mut v: Vec<Entitlement> = Kind::ALL
            .iter()
            .filter_map(|k| self.entitlements.get(&(holder.to_string(), *k)).cloned())
            .collect();
        v.sort_by_key(|e| e.kind);
        v
    }
}
