//! The citizen card (市民卡): its ledger, its life and its wallet's rules,
//! and fares. Pure rules; the engine that keeps the ledger durable and the
//! terminals, merchants and settlement live in the layers above.

/// The maps the card's books keep: they are looked up several times a tap,
/// and foldhash's seeded hash costs a fraction of the standard SipHash.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

pub mod book;
pub mod entitlement;
pub mod fares;
pub mod ledger;
pub mod lifecycle;
pub mod roll;
pub mod signing;
