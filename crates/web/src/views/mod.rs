//! View models that the pages and the JSON API share, one module per subsystem.

pub mod hotline;
pub mod licence;
