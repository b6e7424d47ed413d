//! View models that both the pages and the JSON API show.

pub mod licence;
