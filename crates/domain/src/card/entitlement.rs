//! What a card entitles its holder to beyond money: the medical-insurance
//! settlement identity (the card proves who the insured is), the park annual
//! card, the library reader card. An entitlement belongs to the holder, so a
//! replacement card carries it; it is granted (for a period or open-ended),
//! checked at a gate or desk, expires, and can be revoked with a reason. A
//! medical settlement at a hospital's desk is recorded against the insured.

use serde::{Deserialize, Serialize};

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
