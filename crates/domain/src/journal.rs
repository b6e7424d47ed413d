//! The journal (运行数据): an append-only, hash-chained record of every state
//! change. Each entry's hash covers its fields and the previous entry's hash,
//! so changing or removing any row breaks every link after it.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: i64,
    /// Microseconds since the Unix epoch, UTC.
    pub at: i64,
    pub actor: String,
    pub org: String,
    pub subject: String,
    pub event_type: String,
    /// The payload exactly as stored (JSON text), so the hash is reproducible.
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

/// What a command asks the journal to record; the store adds seq, time and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub actor: String,
    pub org: String,
    pub subject: String,
    pub event_type: &'static str,
    pub payload: serde_json::Value,
}

/// The hash of an entry: SHA-256 over every field, each prefixed by its length
/// so that no two different entries can be written the same way.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    seq: i64,
    at: i64,
    actor: &str,
    org: &str,
    subject: &str,
    event_type: &str,
    payload: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        &seq.to_string(),
        &at.to_string(),
        actor,
        org,
        subject,
        event_type,
        payload,
        prev_hash,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

impl Entry {
    pub fn computed_hash(&self) -> String {
        entry_hash(
            self.seq,
            self.at,
            &self.actor,
            &self.org,
            &self.subject,
            &self.event_type,
            &self.payload,
            &self.prev_hash,
        )
    }
}

/// The first link that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    pub seq: i64,
    pub reason: String,
}

/// Walks the chain in pages: feed entries in order, it remembers where it is.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
    pub checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    pub fn feed(&mut self, e: &Entry) -> Result<(), BrokenLink> {
        let broken = |reason: String| Err(BrokenLink { seq: e.seq, reason });
        if e.seq != self.expected_seq {
            return broken(format!(
                "expected entry {} but found {} (an entry is missing)",
                self.expected_seq, e.seq
            ));
        }
        if e.prev_hash != self.prev_hash {
            return broken("its previous-hash does not match the entry before it".into());
        }
        if e.computed_hash() != e.hash {
            return broken("its contents do not match its hash (the entry was altered)".into());
        }
        self.expected_seq += 1;
        self.prev_hash = e.hash.clone();
        self.checked += 1;
        Ok(())
    }

    /// After the last entry: the head the store records must be where the walk ended.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(), BrokenLink> {
        if head_seq != self.expected_seq - 1 || head_hash != self.prev_hash {
            return Err(BrokenLink {
                seq: self.expected_seq,
                reason: format!("the journal head says entry {head_seq} but the chain ends at {} (entries were removed)", self.expected_seq - 1),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let payload = format!("{{\"n\":{seq}}}");
                let hash = entry_hash(
                    seq,
                    seq * 10,
                    "staff:a",
                    "330100",
                    "item/1",
                    "t",
                    &payload,
                    &prev,
                );
                let e = Entry {
                    seq,
                    at: seq * 10,
                    actor: "staff:a".into(),
                    org: "330100".into(),
                    subject: "item/1".into(),
                    event_type: "t".into(),
                    payload,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn verify(entries: &[Entry]) -> Result<u64, BrokenLink> {
        let mut v = ChainVerifier::default();
        for e in entries {
            v.feed(e)?;
        }
        Ok(v.checked)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
    }

    #[test]
    fn an_altered_payload_is_caught_at_its_entry() {
        let mut c = chain(5);
        c[2].payload = "{\"n\":99}".into();
        assert_eq!(verify(&c).map_err(|b| b.seq), Err(3));
    }

    #[test]
    fn a_removed_entry_is_caught() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify(&c).map_err(|b| b.seq), Err(3));
    }

    #[test]
    fn a_rehashed_forgery_still_breaks_the_next_link() {
        let mut c = chain(5);
        c[2].actor = "staff:mallory".into();
        c[2].hash = c[2].computed_hash();
        assert_eq!(verify(&c).map_err(|b| b.seq), Err(4));
    }

    #[test]
    fn the_fields_are_length_prefixed() {
        assert_ne!(
            entry_hash(1, 1, "ab", "c", "", "", "", ""),
            entry_hash(1, 1, "a", "bc", "", "", "", "")
        );
    }
}
