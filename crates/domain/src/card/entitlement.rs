//! What a card entitles its holder to beyond money: the medical-insurance
//! settlement identity (the card proves who the insured is), the social
//! security the card is the credential for (collecting a pension, the
//! minimum living allowance, the housing fund, affordable housing), the
//! park annual card, the library reader card. An entitlement belongs to the holder, so a
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
    /// 养老金领取资格: the holder collects a pension.
    Pension,
    /// 最低生活保障: the holder's household receives the minimum living allowance.
    Dibao,
    /// 住房公积金: the holder contributes to the housing fund.
    HousingFund,
    /// 保障性住房资格: the holder may rent or buy affordable housing.
    AffordableHousing,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Medical,
        Kind::Park,
        Kind::Library,
        Kind::Pension,
        Kind::Dibao,
        Kind::HousingFund,
        Kind::AffordableHousing,
    ];

    /// The social-security entitlements (大社保), which the hall's counters
    /// check on the card.
    pub const SOCIAL_SECURITY: [Kind; 5] = [
        Kind::Medical,
        Kind::Pension,
        Kind::Dibao,
        Kind::HousingFund,
        Kind::AffordableHousing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Medical => "medical",
            Kind::Park => "park",
            Kind::Library => "library",
            Kind::Pension => "pension",
            Kind::Dibao => "dibao",
            Kind::HousingFund => "housing_fund",
            Kind::AffordableHousing => "affordable_housing",
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
            Kind::Pension => "养老金领取",
            Kind::Dibao => "最低生活保障",
            Kind::HousingFund => "住房公积金",
            Kind::AffordableHousing => "保障性住房",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Kind::Medical => "Medical insurance settlement",
            Kind::Park => "Park annual card",
            Kind::Library => "Library card",
            Kind::Pension => "Pension collection",
            Kind::Dibao => "Minimum living allowance",
            Kind::HousingFund => "Housing fund",
            Kind::AffordableHousing => "Affordable housing",
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
    /// What the insurance fund pays (统筹), outside the card's ledger.
    pub insured: i64,
    /// What the insured pays: the three parts below.
    pub self_pay: i64,
    /// Of the self-paid part, what the personal medical account paid.
    #[serde(default)]
    pub from_medical_account: i64,
    /// Of the rest, what the card's real-name account paid.
    #[serde(default)]
    pub from_account: i64,
    /// Of the rest, what was paid in cash at the desk.
    #[serde(default)]
    pub in_cash: i64,
    pub at: i64,
    /// The desk's own id of the request: the same id from the same terminal
    /// is the same settlement, answered again and never recorded twice.
    #[serde(default)]
    pub request_id: String,
}

/// Where the part of a settlement the personal medical account does not
/// cover is paid from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestFrom {
    /// The card's real-name account, which must hold it.
    #[default]
    Account,
    /// Cash at the desk: recorded, not posted to the card's ledger.
    Cash,
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
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k), "{k:?} reads back");
            assert_eq!(
                serde_json::to_value(k).expect("json"),
                serde_json::json!(k.as_str())
            );
        }
    }
}
