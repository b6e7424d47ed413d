//! Pure rules of Sunshine: types that cannot hold bad values, state machines,
//! calculations and validation. No I/O, no SQL, no HTTP, no async.
//!
//! One module per subsystem (the names of DESIGN.md), plus the pieces every
//! subsystem shares: refusals, the clock, the working-day calendar.

pub mod access;
pub mod backup;
pub mod backup_centre;
pub mod bundle;
pub mod calendar;
pub mod card;
pub mod care;
pub mod catalog;
pub mod clock;
pub mod csv_cell;
pub mod decimal_u64;
pub mod exchange;
pub mod hall;
pub mod hotline;
pub mod identity;
pub mod ids;
pub mod journal;
pub mod licence;
pub mod materials;
pub mod money;
pub mod opendata;
pub mod policy;
pub mod refusal;
pub mod registry;
pub mod scrub;
pub mod sharing;
pub mod supervision;

#[cfg(test)]
mod fuzz_tests;

pub use refusal::{Refusal, Text};
