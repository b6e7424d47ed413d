//! The books' image: what a start would otherwise rebuild from the whole
//! history — the ledger's balances and live pending transfers, the books'
//! own id counter, each terminal's sequence numbers seen, each card's last
//! charged tap and newest stored tap, and the takings of the days not yet
//! settled — encoded with its digest, so that a damaged image is found
//! before it is used. The rows the books keep current at every batch
//! (cards, parties, terminals, the deny list, passes, entitlements) are
//! read as they are.

use sha2::{Digest, Sha256};

use super::*;
use crate::card::ledger::{BadHistory, LedgerImage, Replayer};

/// How long a card's last charged tap is kept in an image: transfers
/// between legs and double taps look back far less than this.
const LAST_TAP_KEPT_MICROS: i64 = 86_400_000_000;

/// The books at the end of one stored batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookImage {
    /// The batch after which it was taken.
    pub batch: i64,
    /// That batch's moment (µs): taps applied after it have `applied_at`
    /// after it.
    pub taken_at: i64,
    pub ledger: LedgerImage,
    pub next_own_id: u64,
    /// Each terminal: all sequence numbers up to the first seen, and these above it.
    pub seen: Vec<(String, u64, Vec<u64>)>,
    /// Each card's last charged tap: terminal, moment, leg group.
    pub last_taps: Vec<(u64, String, i64, String)>,
    /// The takings of each day not yet settled, by party.
    pub takings: Vec<(String, u64, DayTakings)>,
    /// Each card's newest stored tap: card, terminal, sequence number.
    pub heads: Vec<(u64, String, u64)>,
}

/// What a start carries over from an image, besides the ledger.
#[derive(Debug)]
pub(super) struct Carried {
    pub next_own_id: u64,
    pub seen: HashMap<String, Seen>,
    pub last_tap: HashMap<u64, LastTap>,
    pub heads: HashMap<u64, TapKey>,
    pub takings: std::collections::BTreeMap<String, std::collections::BTreeMap<u64, DayTakings>>,
    /// Transfers at or before this are counted in `takings` already.
    pub counted_upto: i64,
}

impl Default for Carried {
    fn default() -> Self {
        Carried {
            next_own_id: 0,
            seen: HashMap::default(),
            last_tap: HashMap::default(),
            heads: HashMap::default(),
            takings: Default::default(),
            counted_upto: i64::MIN,
        }
    }
}

/// The SHA-256 of an encoded image, in hex.
pub fn digest_of(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl BookImage {
    /// The image's bytes and their digest.
    pub fn encode(&self) -> (Vec<u8>, String) {
        let bytes = postcard::to_stdvec(self).expect("an image always encodes");
        let digest = digest_of(&bytes);
        (bytes, digest)
    }

    /// An image from its bytes, if they are what the digest says.
    pub fn decode(bytes: &[u8], digest: &str) -> Result<BookImage, String> {
        let found = digest_of(bytes);
        if found != digest {
            return Err(format!(
                "its digest is {found}, not the {digest} stored with it"
            ));
        }
        postcard::from_bytes(bytes).map_err(|e| format!("it does not decode: {e}"))
    }
}

impl Book {
    /// The books' image now, as the end of `batch` at `taken_at`.
    pub fn image(&self, batch: i64, taken_at: i64) -> BookImage {
        let mut seen: Vec<(String, u64, Vec<u64>)> = self
            .seen
            .iter()
            .map(|(t, s)| (t.clone(), s.upto, s.above.iter().copied().collect()))
            .collect();
        seen.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut last_taps: Vec<(u64, String, i64, String)> = self
            .last_tap
            .iter()
            .filter(|(_, l)| l.at >= taken_at.saturating_sub(LAST_TAP_KEPT_MICROS))
            .map(|(c, l)| (*c, l.terminal.clone(), l.at, l.leg_group.clone()))
            .collect();
        last_taps.sort_unstable_by_key(|l| l.0);
        let takings = self
            .takings
            .days
            .iter()
            .flat_map(|(day, parties)| parties.iter().map(|(p, d)| (day.clone(), *p, *d)))
            .collect();
        let mut heads: Vec<(u64, String, u64)> = self
            .heads
            .iter()
            .map(|(c, k)| (*c, k.terminal.clone(), k.seq))
            .collect();
        heads.sort_unstable_by_key(|h| h.0);
        BookImage {
            heads,
            batch,
            taken_at,
            ledger: self.ledger.image(),
            next_own_id: self.next_own_id,
            seen,
            last_taps,
            takings,
        }
    }

    /// Open the books from an image, the ledger's events after it (by the
    /// replayer, started from the image and fed the events), and the stored
    /// rows — whose taps are those applied after the image was taken.
    pub fn open_image(
        image: BookImage,
        replayed: Replayer,
        rules: Rules,
        stored: Stored,
    ) -> Result<Book, BadHistory> {
        let ledger = replayed.finish()?;
        let mut carried = Carried {
            next_own_id: image.next_own_id,
            counted_upto: image.ledger.clock,
            ..Carried::default()
        };
        for (terminal, upto, above) in image.seen {
            let above = above.into_iter().collect();
            carried.seen.insert(terminal, Seen { upto, above });
        }
        for (card, terminal, at, leg_group) in image.last_taps {
            let last = LastTap {
                terminal,
                at,
                leg_group,
            };
            carried.last_tap.insert(card, last);
        }
        for (card, terminal, seq) in image.heads {
            carried.heads.insert(card, TapKey { terminal, seq });
        }
        for (day, party, d) in image.takings {
            carried.takings.entry(day).or_default().insert(party, d);
        }
        Ok(Book::assemble(ledger, rules, stored, carried))
    }

    /// How many transfers the books hold in memory.
    pub fn transfers_in_memory(&self) -> usize {
        self.ledger.remembered()
    }
}
