//! Electronic licences (电子证照): a decision's fields in a canonical form,
//! signed with the issuing organisation's ed25519 key, so that anyone with
//! the organisation's public key can check it. Keys are made and kept by the
//! app layer; here is only what a licence is and how it is checked.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

/// What a licence says. The field order is the canonical order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicencePayload {
    /// 证照编号.
    pub number: String,
    pub case_number: String,
    pub item_code: String,
    pub item_name: String,
    /// The holder's name (a person's full name, an enterprise's name).
    pub holder: String,
    /// A person's masked identity number, or an enterprise's credit code.
    pub holder_id: String,
    /// The issuing organisation's code and name.
    pub issuer: String,
    pub issuer_name: String,
    /// The day of the decision (Shanghai date).
    pub decided_on: String,
}

/// The holder a licence names for `applicant`: the name, and a person's
/// masked identity number or an enterprise's credit code.
pub fn holder_of(applicant: &crate::hall::Applicant) -> (String, String) {
    use crate::hall::Applicant;
    match applicant {
        Applicant::Person { name, id_number } => (name.clone(), id_number.masked()),
        Applicant::Enterprise { name, credit_code } => (name.clone(), credit_code.to_string()),
    }
}

/// The licence number of a case's licence.
pub fn licence_number(case_number: &str) -> String {
    format!("ZZ-{case_number}")
}

/// The canonical text that is signed: compact JSON in field order.
pub fn canonical(p: &LicencePayload) -> String {
    serde_json::to_string(p).unwrap_or_default()
}

/// Sign the canonical text; the signature in hex.
pub fn sign(key: &SigningKey, canonical: &str) -> String {
    hex::encode(key.sign(canonical.as_bytes()).to_bytes())
}

/// A public key as published: hex.
pub fn public_key_hex(key: &SigningKey) -> String {
    hex::encode(key.verifying_key().to_bytes())
}

/// Whether `signature` (hex) is the key's signature of `canonical`.
pub fn verify(public_key_hex: &str, canonical: &str, signature_hex: &str) -> bool {
    let Some(key) = hex::decode(public_key_hex)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
    else {
        return false;
    };
    let Some(sig) = hex::decode(signature_hex)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
    else {
        return false;
    };
    key.verify(canonical.as_bytes(), &sig).is_ok()
}

/// The licence as one string for a QR code: the canonical text and the
/// signature, each base64url, joined by a dot.
pub fn token(canonical: &str, signature_hex: &str) -> String {
    let sig = hex::decode(signature_hex).unwrap_or_default();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(canonical),
        URL_SAFE_NO_PAD.encode(sig)
    )
}

/// Split a token back into the canonical text, its payload and the signature (hex).
pub fn parse_token(token: &str) -> Option<(String, LicencePayload, String)> {
    let (body, sig) = token.trim().split_once('.')?;
    let canonical = String::from_utf8(URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
    let payload: LicencePayload = serde_json::from_str(&canonical).ok()?;
    let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
    Some((canonical, payload, hex::encode(sig)))
}

/// A licence as issued: its signed payload and signature, and its
/// revocation when it is revoked.
#[derive(Debug, Clone)]
pub struct IssuedLicence {
    pub number: String,
    pub case_number: String,
    pub issuer: String,
    pub payload: String,
    pub signature: String,
    pub issued_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
    /// For a licence issued on another platform (a district's, on an
    /// application the city handed down), the key its issuer signed it
    /// with, as that platform sent it; none for one issued here.
    pub issuer_key: Option<String>,
}

/// What a check of a licence concludes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Signed by its issuer and in force.
    Valid,
    /// Genuine, but revoked.
    Revoked { reason: String },
    /// Not what the issuer signed, or no such licence.
    Forged,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> LicencePayload {
        LicencePayload {
            number: licence_number("2026-330100-000001"),
            case_number: "2026-330100-000001".into(),
            item_code: "XK-00103-000".into(),
            item_name: "建设工程规划许可证核发".into(),
            holder: "杭州云栖数据科技有限公司".into(),
            holder_id: "91350100M000100Y43".into(),
            issuer: "330100-012".into(),
            issuer_name: "杭州市规划局".into(),
            decided_on: "2026-11-27".into(),
        }
    }

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn a_signed_licence_verifies_with_the_issuers_public_key_only() {
        let text = canonical(&payload());
        let sig = sign(&key(7), &text);
        assert!(verify(&public_key_hex(&key(7)), &text, &sig));
        assert!(
            !verify(&public_key_hex(&key(8)), &text, &sig),
            "another organisation's key"
        );
    }

    #[test]
    fn a_changed_field_breaks_the_signature() {
        let text = canonical(&payload());
        let sig = sign(&key(7), &text);
        let mut forged = payload();
        forged.holder = "别人的公司".into();
        assert!(!verify(&public_key_hex(&key(7)), &canonical(&forged), &sig));
    }

    #[test]
    fn the_token_round_trips_and_garbage_is_no_token() {
        let text = canonical(&payload());
        let sig = sign(&key(7), &text);
        let (c, p, s) = parse_token(&token(&text, &sig)).expect("token");
        assert_eq!(
            (c.as_str(), p, s.as_str()),
            (text.as_str(), payload(), sig.as_str())
        );
        assert!(parse_token("not-a-token").is_none());
        assert!(parse_token("abc.def").is_none());
    }
}
