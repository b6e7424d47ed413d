//! A licence as the API returns it and the licence pages download it.

use serde::Serialize;
use sunshine_app::licence::LicenceAnswer;
use sunshine_domain::clock::from_micros;
use sunshine_domain::licence::Verdict;
use utoipa::ToSchema;

/// A licence as its reader may see it. With the number alone: what the
/// public board shows (the masked holder, the item, the issuer, the dates,
/// the verdict). For its holder, the issuer's staff, or with its QR code's
/// token: also every signed field, the signed text and the signature.
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenceView {
    pub number: String,
    pub case_number: String,
    pub item_code: String,
    pub item_name: String,
    /// The holder: surname + 某 or the enterprise's name, unless in full.
    pub holder: String,
    pub issuer: String,
    pub issuer_name: String,
    /// The day of the decision.
    pub decided_on: String,
    pub issued_at: String,
    pub revoked_at: Option<String>,
    /// `valid`, `revoked` or `forged`.
    pub verdict: String,
    /// Why it was revoked (in full only).
    pub reason: Option<String>,
    /// Whether the rest is shown.
    pub full: bool,
    /// The signed fields.
    #[schema(value_type = Option<Object>)]
    pub payload: Option<serde_json::Value>,
    /// The exact text that was signed.
    pub canonical: Option<String>,
    /// ed25519 signature of `canonical`, hex.
    pub signature: Option<String>,
    /// The issuer's ed25519 public key, hex.
    pub public_key: Option<String>,
    /// The licence in one string, as its QR code carries it.
    pub token: Option<String>,
}

pub fn verdict_parts(v: &Verdict) -> (String, Option<String>) {
    match v {
        Verdict::Valid => ("valid".into(), None),
        Verdict::Revoked { reason } => ("revoked".into(), Some(reason.clone())),
        Verdict::Forged => ("forged".into(), None),
    }
}

/// A licence as the API shows it and as its file is downloaded.
pub fn licence_view(answer: LicenceAnswer) -> LicenceView {
    let time = |t: i64| from_micros(t).to_string();
    match answer {
        LicenceAnswer::Full(r) => {
            let (verdict, reason) = verdict_parts(&r.verdict);
            LicenceView {
                verdict,
                reason,
                full: true,
                payload: Some(serde_json::to_value(&r.payload).unwrap_or_default()),
                item_code: r.payload.item_code,
                item_name: r.payload.item_name,
                holder: r.payload.holder,
                issuer_name: r.payload.issuer_name,
                decided_on: r.payload.decided_on,
                number: r.row.number,
                case_number: r.row.case_number,
                canonical: Some(r.row.payload),
                signature: Some(r.row.signature),
                issuer: r.row.issuer,
                public_key: Some(r.public_key),
                token: Some(r.token),
                issued_at: time(r.row.issued_at),
                revoked_at: r.row.revoked_at.map(time),
            }
        }
        LicenceAnswer::Public(p) => LicenceView {
            verdict: verdict_parts(&p.verdict).0,
            reason: None,
            full: false,
            payload: None,
            canonical: None,
            signature: None,
            public_key: None,
            token: None,
            number: p.number,
            case_number: p.case_number,
            item_code: p.item_code,
            item_name: p.item_name,
            holder: p.holder,
            issuer: p.issuer,
            issuer_name: p.issuer_name,
            decided_on: p.decided_on,
            issued_at: time(p.issued_at),
            revoked_at: p.revoked_at.map(time),
        },
    }
}
