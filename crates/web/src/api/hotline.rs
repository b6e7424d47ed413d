//! `/api/v1/hotline`: the 96345 hotline for operators, units and citizens —
//! taking requests, the lifecycle commands, merging, inboxes, the
//! categories and their dispatch catalogue, and the Open311 clients' keys.
//! Other systems use the standard interface at `/open311/v2` instead.

mod categories;
mod community;
mod indicators;
mod keys;
mod knowledge;
mod tickets;

pub use categories::*;
pub use community::*;
pub use indicators::*;
pub use keys::*;
pub use knowledge::*;
pub use tickets::*;
