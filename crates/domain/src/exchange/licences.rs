//! E-licences across the two levels: a licence that a district's
//! department issues on an application the city's portal handed down goes
//! up to the city, which keeps it beside its copy of the case. The
//! resident finds it on the city's page, where they applied, and anyone
//! checks it there against the key it was signed with. Its revocation at
//! the district follows it up; the city neither issues nor revokes it.
//!
//! A licence on a case the district numbered itself stays below: the city
//! holds no applicant for such a case.

use serde::{Deserialize, Serialize};

use super::{numbered_below, Platform};
use crate::hall::CaseNumber;
use crate::licence::{self, IssuedLicence, LicencePayload};
use crate::refusal::Refusal;

/// The events of a licence that go up: its issue and its revocation.
pub const LICENCE_EVENTS: [&str; 2] = ["hall.licence_issued", "hall.licence_revoked"];

/// A licence as it stands at the district after each of [`LICENCE_EVENTS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Licence {
    pub number: String,
    pub case: String,
    pub issuer: String,
    /// The signed text: the canonical form of the licence's payload.
    pub payload: String,
    pub signature: String,
    /// The issuer's public key (hex) at the district's platform, which the
    /// platform vouches for by signing the message.
    pub public_key: String,
    pub issued_at: i64,
    /// When and why it was revoked, once it is.
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
}

/// Whether a licence on `case` goes up from `platform`: a district's
/// licence on one of its cases that the city's portal numbered and handed
/// down.
pub fn goes_up(platform: &Platform, case: &str) -> bool {
    let Some(district) = platform.district() else {
        return false;
    };
    CaseNumber::parse(case).is_ok_and(|n| n.region.as_str() == district && !numbered_below(case))
}

/// Whether a licence may be revoked here: one kept from the district that
/// issued it is revoked there, by its issuer's approvers, and the
/// revocation follows it up.
pub fn revoked_where_issued(l: &IssuedLicence) -> Result<(), Refusal> {
    if l.issuer_key.is_none() {
        return Ok(());
    }
    Err(Refusal::conflict(
        "revoked_on_district_platform",
        "该证照由签发它的区县平台撤销",
        "The licence is revoked on the district platform that issued it",
    ))
}

/// Whether a licence message from `from` is one it may send: an issue or
/// a revocation, on `case/<its case>`, of a case the city handed down to
/// that district, issued by one of its departments, whole, and signed by
/// the key it comes with. What it says of the holder is checked against
/// the city's own case where it arrives.
pub(super) fn districts_licence(
    from: &Platform,
    subject: &str,
    event_type: &str,
    facts: &serde_json::Value,
) -> Result<(Licence, LicencePayload), String> {
    if !LICENCE_EVENTS.contains(&event_type) {
        return Err(format!("{event_type} is not a licence's event"));
    }
    let l: Licence = serde_json::from_value(facts.clone())
        .map_err(|e| format!("the licence is not whole: {e}"))?;
    if subject != format!("case/{}", l.case) {
        return Err(format!("{subject} is not the case {}", l.case));
    }
    let district = from.district().unwrap_or_default();
    if !goes_up(from, &l.case) || !l.issuer.starts_with(district) {
        return Err(format!(
            "{} by {} is not a case the city handed down to {from}",
            l.case, l.issuer
        ));
    }
    if l.number != licence::licence_number(&l.case) {
        return Err(format!("{} is not the licence of {}", l.number, l.case));
    }
    if !licence::verify(&l.public_key, &l.payload, &l.signature) {
        return Err(format!("{} is not signed by the key it names", l.number));
    }
    let payload: LicencePayload = serde_json::from_str(&l.payload)
        .map_err(|e| format!("the licence's text is not a licence: {e}"))?;
    if payload.number != l.number || payload.case_number != l.case || payload.issuer != l.issuer {
        return Err(format!(
            "the licence's text names {} of {} by {}",
            payload.number, payload.case_number, payload.issuer
        ));
    }
    let revoked = event_type == "hall.licence_revoked";
    if revoked != l.revoked_at.is_some() || l.revoked_at.is_some() != l.revoked_reason.is_some() {
        return Err("a revocation comes with its moment and reason, and only then".into());
    }
    Ok((l, payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::licence::{canonical, licence_number, public_key_hex, sign};
    use ed25519_dalek::SigningKey;
    use serde_json::json;

    const CASE: &str = "2026-330106-900001";

    fn xihu() -> Platform {
        Platform::District("330106".into())
    }

    fn signed(case: &str, issuer: &str, key: &SigningKey) -> Licence {
        let payload = LicencePayload {
            number: licence_number(case),
            case_number: case.into(),
            item_code: "330106-XK-001".into(),
            item_name: "某许可".into(),
            holder: "王小明".into(),
            holder_id: "330106********123X".into(),
            issuer: issuer.into(),
            issuer_name: "西湖区某局".into(),
            decided_on: "2026-12-02".into(),
        };
        let text = canonical(&payload);
        Licence {
            number: payload.number,
            case: case.into(),
            issuer: issuer.into(),
            signature: sign(key, &text),
            payload: text,
            public_key: public_key_hex(key),
            issued_at: 1,
            revoked_at: None,
            revoked_reason: None,
        }
    }

    fn check(l: &Licence, event: &str) -> Result<(Licence, LicencePayload), String> {
        let facts = serde_json::to_value(l).unwrap();
        districts_licence(&xihu(), &format!("case/{}", l.case), event, &facts)
    }

    #[test]
    fn only_a_licence_on_a_case_the_city_handed_down_goes_up() {
        assert!(goes_up(&xihu(), CASE));
        assert!(!goes_up(&xihu(), "2026-330106-000012"), "numbered below");
        assert!(
            !goes_up(&xihu(), "2026-330108-900001"),
            "another district's"
        );
        assert!(!goes_up(&Platform::City, CASE), "the city's own");
    }

    #[test]
    fn a_licence_comes_up_whole_signed_and_of_the_senders_case() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let l = signed(CASE, "330106-012", &key);
        let (taken, payload) = check(&l, "hall.licence_issued").expect("taken");
        assert_eq!(taken, l);
        assert_eq!(payload.holder, "王小明");

        let other_district = signed("2026-330108-900001", "330108-012", &key);
        assert!(check(&other_district, "hall.licence_issued").is_err());
        let own_case = signed("2026-330106-000012", "330106-012", &key);
        assert!(check(&own_case, "hall.licence_issued").is_err());
        let outside = signed(CASE, "330108-012", &key);
        assert!(check(&outside, "hall.licence_issued").is_err());
        assert!(check(&l, "hall.case_approved").is_err());
        let facts = serde_json::to_value(&l).unwrap();
        assert!(districts_licence(
            &xihu(),
            "case/2026-330106-900002",
            "hall.licence_issued",
            &facts
        )
        .is_err());

        // Signed by another key than the one it names, or altered after.
        let mut forged = l.clone();
        forged.public_key = public_key_hex(&SigningKey::from_bytes(&[8; 32]));
        assert!(check(&forged, "hall.licence_issued").is_err());
        let mut altered = l.clone();
        altered.payload = altered.payload.replace("王小明", "李四");
        assert!(check(&altered, "hall.licence_issued").is_err());
        let mut renumbered = l.clone();
        renumbered.number = "ZZ-2026-330106-900002".into();
        assert!(check(&renumbered, "hall.licence_issued").is_err());

        // A revocation says when and why; an issue says neither.
        let mut revoked = l.clone();
        revoked.revoked_at = Some(2);
        revoked.revoked_reason = Some("以欺骗手段取得".into());
        assert!(check(&revoked, "hall.licence_revoked").is_ok());
        assert!(check(&revoked, "hall.licence_issued").is_err());
        assert!(check(&l, "hall.licence_revoked").is_err());
        let mut half = revoked.clone();
        half.revoked_reason = None;
        assert!(check(&half, "hall.licence_revoked").is_err());
        assert!(districts_licence(
            &xihu(),
            &format!("case/{CASE}"),
            "hall.licence_issued",
            &json!({})
        )
        .is_err());
    }
}
