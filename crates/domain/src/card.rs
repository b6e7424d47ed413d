//! The citizen card (市民卡): its ledger first. Pure rules; the engine that
//! keeps the ledger durable lives in the layers above.

pub mod ledger;
