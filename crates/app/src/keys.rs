//! Organisations' signing keys, sealed at rest with the key-encryption key
//! from configuration (ChaCha20-Poly1305, bound to the organisation's code).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use ed25519_dalek::SigningKey;
use rand::RngCore;

/// The key that seals every signing key. Never logged, never stored beside the database in production.
#[derive(Clone)]
pub struct Kek([u8; 32]);

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(…)")
    }
}

impl Kek {
    pub fn from_bytes(bytes: [u8; 32]) -> Kek {
        Kek(bytes)
    }

    /// 64 hex characters.
    pub fn from_hex(s: &str) -> anyhow::Result<Kek> {
        let bytes = hex::decode(s.trim())
            .map_err(|_| anyhow::anyhow!("the key-encryption key must be 64 hex characters"))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
            anyhow::anyhow!("the key-encryption key must be 32 bytes (64 hex characters)")
        })?;
        Ok(Kek(bytes))
    }

    pub fn random() -> Kek {
        let mut b = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut b);
        Kek(b)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Seal a signing key for an organisation: `nonce:ciphertext`, hex.
    pub fn seal(&self, org: &str, key: &SigningKey) -> anyhow::Result<String> {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.0));
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: key.to_bytes().as_slice(),
                    aad: org.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing a signing key failed"))?;
        Ok(format!("{}:{}", hex::encode(nonce), hex::encode(sealed)))
    }

    /// Open a sealed signing key; fails with another key or another organisation.
    pub fn open(&self, org: &str, sealed: &str) -> anyhow::Result<SigningKey> {
        let (nonce, body) = sealed
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("a sealed key is nonce:ciphertext"))?;
        let (nonce, body) = (hex::decode(nonce)?, hex::decode(body)?);
        if nonce.len() != 12 {
            anyhow::bail!("a sealed key's nonce is 12 bytes");
        }
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.0));
        let secret = cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &body,
                    aad: org.as_bytes(),
                },
            )
            .map_err(|_| {
                anyhow::anyhow!(
                    "the signing key of {org} does not open with this key-encryption key"
                )
            })?;
        let secret: [u8; 32] = secret
            .try_into()
            .map_err(|_| anyhow::anyhow!("a signing key is 32 bytes"))?;
        Ok(SigningKey::from_bytes(&secret))
    }
}

/// A new signing key.
pub fn new_signing_key() -> SigningKey {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    SigningKey::from_bytes(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_its_kek_and_for_its_organisation() {
        let kek = Kek::from_bytes([3; 32]);
        let key = new_signing_key();
        let sealed = kek.seal("330100-012", &key).expect("seal");
        assert!(
            !sealed.contains(&hex::encode(key.to_bytes())),
            "the secret is not stored in the clear"
        );
        assert_eq!(
            kek.open("330100-012", &sealed).expect("open").to_bytes(),
            key.to_bytes()
        );
        assert!(
            Kek::from_bytes([4; 32])
                .open("330100-012", &sealed)
                .is_err(),
            "another KEK"
        );
        assert!(
            kek.open("330100-013", &sealed).is_err(),
            "another organisation"
        );
        assert!(Kek::from_hex("abc").is_err());
        assert_eq!(
            Kek::from_hex(&kek.to_hex()).map(|k| k.0).ok(),
            Some([3; 32])
        );
    }
}
