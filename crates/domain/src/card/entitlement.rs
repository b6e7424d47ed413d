//! What a card entitles its holder to beyond money: the medical-insurance
//! settlement identity (the card proves who the insured is), the park annual
//! card, the library reader card. An entitlement belongs to the holder, so a
//! replacement card carries it; it is granted (for a period or open-ended),
//! checked at a gate or desk, expires, and can be revoked with a reason. A
//! medical settlement at a hospital's desk is recorded against the insured.

use serde::{Deserialize, Serialize};

use super::book::{Book, Doer, Effect};
use crate::refusal::Refusal;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 医保结算身份: the card identifies the insured at hospitals and pharmacies.
    Medical,
    /// 公园年卡
    Park,
    /// 图书馆借书证
    Library,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Medical, Kind::Park, Kind::Library];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Medical => "medical",
            Kind::Park => "park",
            Kind::Library => "library",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Kind::Medical => "医保结算",
            Kind::Park => "公园年卡",
            Kind::Library => "图书馆借书证",
        }
    }
}

/// A holder's entitlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Entitlement {
    /// The holder's resident identity number.
    pub holder: String,
    #[schema(value_type = String)]
    pub kind: Kind,
    pub granted_at: i64,
    /// The moment it ends (microseconds), or none for open-ended.
    pub valid_until: Option<i64>,
    /// Why it was revoked, if it was.
    pub revoked: Option<String>,
    pub changed_at: i64,
}

/// What a gate or desk is told about a card and an entitlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allowed,
    /// The card itself is on the deny list (lost, frozen, dead…).
    CardDenied,
    UnknownCard,
    NotGranted,
    Expired,
    Revoked,
}

/// The verdict for an entitlement (if any) at `now`, the card being usable
/// for identity or not.
pub fn verdict(card_usable: bool, e: Option<&Entitlement>, now: i64) -> Verdict {
    if !card_usable {
        return Verdict::CardDenied;
    }
    match e {
        None => Verdict::NotGranted,
        Some(e) if e.revoked.is_some() => Verdict::Revoked,
        Some(e) if e.valid_until.is_some_and(|u| now >= u) => Verdict::Expired,
        Some(_) => Verdict::Allowed,
    }
}

/// A medical settlement made with the card as the insured's identity: what
/// the visit cost, what insurance paid, what the insured paid themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MedicalRecord {
    pub id: u64,
    pub card: String,
    pub holder: String,
    /// The hospital or pharmacy (an alliance party).
    pub party: u64,
    pub terminal: String,
    /// Fen.
    pub total: i64,
    pub insured: i64,
    pub self_pay: i64,
    pub at: i64,
    /// The desk's own id of the request: the same id from the same terminal
    /// is the same settlement, answered again and never recorded twice.
    #[serde(default)]
    pub request_id: String,
}

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

    /// Record a medical settlement at a hospital's desk: the card must prove
    /// an insured holder. A request id the terminal has used before answers
    /// that first settlement and records nothing (a replay, or a retry after
    /// a lost answer).
    pub fn medical_settlement(
        &mut self,
        terminal: &str,
        request_id: &str,
        number: &str,
        total: i64,
        insured: i64,
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
        let holder = self
            .card(number)
            .map(|c| c.holder.clone())
            .unwrap_or_default();
        self.medical_seq += 1;
        let r = MedicalRecord {
            id: self.medical_seq,
            card: number.trim().to_string(),
            holder,
            party,
            terminal: terminal.to_string(),
            total,
            insured,
            self_pay: total - insured,
            at: now,
            request_id: request_id.to_string(),
        };
        self.medical_requests.insert(key, r.clone());
        self.push_effect(Effect::Medical(r.clone()));
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(valid_until: Option<i64>, revoked: Option<&str>) -> Entitlement {
        Entitlement {
            holder: "h".into(),
            kind: Kind::Park,
            granted_at: 0,
            valid_until,
            revoked: revoked.map(str::to_string),
            changed_at: 0,
        }
    }

    #[test]
    fn an_entitlement_holds_while_granted_unexpired_unrevoked_and_the_card_usable() {
        let e = granted(Some(100), None);
        assert_eq!(verdict(true, Some(&e), 99), Verdict::Allowed);
        assert_eq!(verdict(true, Some(&e), 100), Verdict::Expired);
        assert_eq!(verdict(false, Some(&e), 0), Verdict::CardDenied);
        assert_eq!(verdict(true, None, 0), Verdict::NotGranted);
        assert_eq!(
            verdict(true, Some(&granted(None, Some("违规转借"))), 0),
            Verdict::Revoked
        );
        assert_eq!(
            verdict(true, Some(&granted(None, None)), i64::MAX),
            Verdict::Allowed
        );
        assert_eq!(Kind::parse("library"), Some(Kind::Library));
    }
}
