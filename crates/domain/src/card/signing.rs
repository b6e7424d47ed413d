//! How a terminal signs what it sends: ed25519 over the request's method,
//! path with query, the terminal's timestamp and the SHA-256 of the body,
//! each on a line of its own. The back office checks the signature with the
//! terminal's registered key and refuses a timestamp more than
//! [`SKEW_SECONDS`] from its own clock, so a request cannot be replayed
//! later (an upload replayed within the window changes nothing: repeats are
//! answered as repeats).

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::refusal::{Refusal, RefusalKind, Text};

/// How far a terminal's clock may be from the back office's, in seconds.
pub const SKEW_SECONDS: i64 = 300;

/// What a terminal signs.
pub fn message(method: &str, path_and_query: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    format!(
        "{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        path_and_query,
        timestamp,
        hex::encode(Sha256::digest(body))
    )
    .into_bytes()
}

/// Sign as a terminal does (its own software, and the tests and benchmarks).
pub fn sign(key: &SigningKey, message: &[u8]) -> String {
    hex::encode(key.sign(message).to_bytes())
}

fn refused(en: &str, zh: &str) -> Refusal {
    Refusal::new(
        RefusalKind::Unauthenticated,
        "bad_signature",
        Text::new(zh, en),
    )
}

/// Check a terminal's signature (hex) over `message` with its public key
/// (hex), and its timestamp against `now` (seconds).
pub fn verify(
    public_key: &str,
    message: &[u8],
    signature: &str,
    timestamp: i64,
    now: i64,
) -> Result<(), Refusal> {
    // Checked: a timestamp is whatever the request says, i64::MIN included.
    if timestamp.abs_diff(now) > SKEW_SECONDS.unsigned_abs() {
        return Err(refused(
            "The terminal's timestamp is too far from the back office's clock",
            "终端时间与后台时间相差过大",
        ));
    }
    let key = hex::decode(public_key)
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
        .and_then(|k| VerifyingKey::from_bytes(&k).ok())
        .ok_or_else(|| refused("The terminal's key is unusable", "终端公钥不可用"))?;
    let sig = hex::decode(signature.trim())
        .ok()
        .and_then(|s| <[u8; 64]>::try_from(s.as_slice()).ok())
        .map(|s| Signature::from_bytes(&s))
        .ok_or_else(|| {
            refused(
                "The signature is not 128 hex digits",
                "签名须为128位十六进制",
            )
        })?;
    key.verify(message, &sig).map_err(|_| {
        refused(
            "The signature does not match the terminal's key",
            "签名与终端公钥不符",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_only_for_what_was_signed_by_that_key_in_time() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let public = hex::encode(key.verifying_key().to_bytes());
        let m = message("post", "/api/v1/card/terminals/V1/taps", 1_000, b"{}");
        let sig = sign(&key, &m);
        verify(&public, &m, &sig, 1_000, 1_100).expect("valid");
        let other = message("post", "/api/v1/card/terminals/V1/taps", 1_000, b"{ }");
        assert!(
            verify(&public, &other, &sig, 1_000, 1_000).is_err(),
            "another body"
        );
        let stranger = hex::encode(SigningKey::from_bytes(&[8; 32]).verifying_key().to_bytes());
        assert!(
            verify(&stranger, &m, &sig, 1_000, 1_000).is_err(),
            "another key"
        );
        assert!(
            verify(&public, &m, &sig, 1_000, 1_000 + SKEW_SECONDS + 1).is_err(),
            "too late"
        );
        assert!(verify(&public, &m, "zz", 1_000, 1_000).is_err(), "not hex");
    }
}
