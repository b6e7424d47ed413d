//! Who looked at a person's data (个人信息查阅记录): why a staff member read a
//! personal record, what they read, and how the person is found again
//! without the record of the read holding their identity number.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::refusal::Refusal;

/// Why a staff member reads a personal record: stated by them or given by
/// the place they read it from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadPurpose {
    /// 窗口服务: serving the person at a counter.
    CounterService,
    /// 办理办件: handling the person's case.
    HandleCase,
    /// 热线接听: taking the person's call.
    HotlineCall,
    /// 办理工单: handling the person's hotline request.
    HandleTicket,
    /// 监督检查: supervision of how cases are handled.
    Supervision,
    /// 采集核对: a community worker keeping their community's population
    /// records (collecting, checking and correcting them).
    KeepRecords,
    /// 登记审核: a district's registrar reviewing the district's records
    /// (duplicates, corrections); contact numbers are not theirs to see.
    RegistryReview,
    /// 养老服务: serving an elderly resident's home-care order, as the
    /// provider sent it, the community's worker or the hotline.
    CareService,
    /// 身份核验: a counter checking the name given for an identity number
    /// against the registry; it learns whether they agree and nothing else.
    IdentityCheck,
    /// 市级具名查阅: the city's registrar reading a named person's record,
    /// for a reason the person's district approved, the fields asked and
    /// no more, while the approval lasts.
    CityInquiry,
}

impl ReadPurpose {
    pub const ALL: [ReadPurpose; 10] = [
        ReadPurpose::CounterService,
        ReadPurpose::HandleCase,
        ReadPurpose::HotlineCall,
        ReadPurpose::HandleTicket,
        ReadPurpose::Supervision,
        ReadPurpose::KeepRecords,
        ReadPurpose::RegistryReview,
        ReadPurpose::CareService,
        ReadPurpose::IdentityCheck,
        ReadPurpose::CityInquiry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReadPurpose::CounterService => "counter_service",
            ReadPurpose::HandleCase => "handle_case",
            ReadPurpose::HotlineCall => "hotline_call",
            ReadPurpose::HandleTicket => "handle_ticket",
            ReadPurpose::Supervision => "supervision",
            ReadPurpose::KeepRecords => "keep_records",
            ReadPurpose::RegistryReview => "registry_review",
            ReadPurpose::CareService => "care_service",
            ReadPurpose::IdentityCheck => "identity_check",
            ReadPurpose::CityInquiry => "city_inquiry",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            ReadPurpose::CounterService => "窗口服务",
            ReadPurpose::HandleCase => "办理办件",
            ReadPurpose::HotlineCall => "热线接听",
            ReadPurpose::HandleTicket => "办理工单",
            ReadPurpose::Supervision => "监督检查",
            ReadPurpose::KeepRecords => "社区采集核对",
            ReadPurpose::RegistryReview => "人口登记审核",
            ReadPurpose::CareService => "居家养老服务",
            ReadPurpose::IdentityCheck => "身份核验",
            ReadPurpose::CityInquiry => "市级具名查阅（经区审批）",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            ReadPurpose::CounterService => "Serving you at a counter",
            ReadPurpose::HandleCase => "Handling your case",
            ReadPurpose::HotlineCall => "Taking your call",
            ReadPurpose::HandleTicket => "Handling your request",
            ReadPurpose::Supervision => "Supervision",
            ReadPurpose::KeepRecords => "Keeping your community's records",
            ReadPurpose::RegistryReview => "Reviewing your district's records",
            ReadPurpose::CareService => "Serving your home-care order",
            ReadPurpose::IdentityCheck => "Checking your name against your identity number",
            ReadPurpose::CityInquiry => "A city inquiry your district approved",
        }
    }

    /// The purpose an API caller names, or the place's own when they name none.
    pub fn parse_or(given: Option<&str>, default: ReadPurpose) -> Result<ReadPurpose, Refusal> {
        match given.map(str::trim).filter(|g| !g.is_empty()) {
            None => Ok(default),
            Some(g) => ReadPurpose::ALL
                .into_iter()
                .find(|p| p.as_str() == g)
                .ok_or_else(|| {
                    let names: Vec<&str> = ReadPurpose::ALL.iter().map(|p| p.as_str()).collect();
                    Refusal::field(
                        "purpose",
                        format!("查阅目的应为以下之一：{}", names.join("、")),
                        format!("A purpose is one of {}", names.join(", ")),
                    )
                }),
        }
    }
}

/// What kind of record was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadKind {
    /// A citizen card with its rides and medical records.
    Card,
    Case,
    Ticket,
    /// A caller's earlier requests, found by their phone number.
    CallerHistory,
    /// The extranet list, which names applicants.
    CaseList,
    /// A proof of identity a counter issued for the person's number after
    /// checking papers (a binding code, a card's PIN): whoever holds it can
    /// bind an account to the number, so the person is shown who issued it.
    IdentityProof,
    /// The population registry's record of the person and their household.
    RegistryRecord,
    /// A home-care order, with the name, address and phone it is served at.
    CareOrder,
}

impl ReadKind {
    pub const ALL: [ReadKind; 8] = [
        ReadKind::Card,
        ReadKind::Case,
        ReadKind::Ticket,
        ReadKind::CallerHistory,
        ReadKind::CaseList,
        ReadKind::IdentityProof,
        ReadKind::RegistryRecord,
        ReadKind::CareOrder,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ReadKind::Card => "card",
            ReadKind::Case => "case",
            ReadKind::Ticket => "ticket",
            ReadKind::CallerHistory => "caller_history",
            ReadKind::CaseList => "case_list",
            ReadKind::IdentityProof => "identity_proof",
            ReadKind::RegistryRecord => "registry_record",
            ReadKind::CareOrder => "care_order",
        }
    }
    pub fn parse(s: &str) -> Option<ReadKind> {
        ReadKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            ReadKind::Card => "市民卡及乘车、医疗记录",
            ReadKind::Case => "办件",
            ReadKind::Ticket => "热线工单",
            ReadKind::CallerHistory => "来电历史",
            ReadKind::CaseList => "政务外网办件列表",
            ReadKind::IdentityProof => "实名核验凭证（核验码或市民卡密码）",
            ReadKind::RegistryRecord => "人口基础信息（本人及同户成员）",
            ReadKind::CareOrder => "居家养老服务工单（姓名、地址、电话）",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            ReadKind::Card => "Citizen card, its rides and medical records",
            ReadKind::Case => "Case",
            ReadKind::Ticket => "Hotline request",
            ReadKind::CallerHistory => "Your earlier calls",
            ReadKind::CaseList => "Case list (extranet)",
            ReadKind::IdentityProof => "A proof of identity (a binding code or a card PIN)",
            ReadKind::RegistryRecord => "Your population record (with your household's)",
            ReadKind::CareOrder => "A home-care order (your name, address and phone)",
        }
    }
}

/// How a person is found among the reads by their identity number or
/// credit code: a hash of it, so that the list of reads does not hold the
/// numbers themselves.
pub fn person_ref(number: &str) -> String {
    let digest = Sha256::digest(format!("sunshine-person:{}", number.trim()).as_bytes());
    hex::encode(&digest[..16])
}

/// A card number as a read record shows it: its first and last four.
pub fn mask_card_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purpose_not_named_is_the_places_own_and_a_wrong_one_is_refused() {
        assert_eq!(
            ReadPurpose::parse_or(None, ReadPurpose::HandleCase),
            Ok(ReadPurpose::HandleCase)
        );
        assert_eq!(
            ReadPurpose::parse_or(Some("supervision"), ReadPurpose::HandleCase),
            Ok(ReadPurpose::Supervision)
        );
        let refused = ReadPurpose::parse_or(Some("curiosity"), ReadPurpose::HandleCase);
        assert!(refused.is_err_and(|r| r.fields.contains_key("purpose")));
    }

    #[test]
    fn a_person_is_found_again_without_their_number_being_kept() {
        let id = "33010619900101123X";
        assert_eq!(person_ref(id), person_ref(" 33010619900101123X "));
        assert_ne!(person_ref(id), person_ref("330106199001011238"));
        assert!(!person_ref(id).contains("3301061990"));
    }

    #[test]
    fn a_card_number_shows_only_its_ends() {
        assert_eq!(mask_card_number("3301000012345678"), "3301…5678");
        assert_eq!(mask_card_number("1234"), "****");
    }
}
