//! The web crate's one integration-test binary: the API, the pages and a
//! real browser, against SQLite by default or PostgreSQL when
//! `SUNSHINE_TEST_DATABASE_URL` is set (CI runs both).

mod abuse;
mod api_fuzz;
mod backup_centre;
mod backup_pages;
mod board_pages;
mod board_stream;
mod browser;
mod bundle_api;
mod card_api;
mod card_pages;
mod care_api;
mod catalog_api;
mod credentials;
mod exchange;
mod group_commit;
mod hall_api;
mod hall_pages;
mod hotline_api;
mod hotline_pages;
mod identity_api;
mod journal_api;
mod jurisdiction;
mod leaks;
mod licence;
mod materials_api;
mod open311;
mod open_data;
mod openapi;
mod pages;
mod personal_reads;
mod registry_api;
mod registry_named;
mod registry_reads;
mod registry_standard;
mod role_walk;
mod sharing;
mod supervision_api;
mod supervision_pages;
mod support;
