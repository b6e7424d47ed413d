//! The 96345 service hotline (统一服务热线): a request from any channel is
//! accepted once (受理), answered at once from the knowledge base (直办) or
//! dispatched (派单) to a lead unit, signed for (签收), possibly returned
//! (退单) and re-dispatched (改派) or extended (延期), answered (办结反馈),
//! checked (审核), followed by a return visit (回访) and archived (归档);
//! an unsatisfied citizen sends it back to be done again (重办).
//!
//! `decide` is the whole lifecycle and its clocks; `open311` is how the
//! GeoReport v2 interface sees it.

pub mod community;
pub mod indicators;
pub mod knowledge;
pub mod lifecycle;
pub mod open311;
pub mod request;
#[cfg(test)]
mod tests;

pub use indicators::*;
pub use lifecycle::*;
pub use request::*;
