//! Reading the journal: by cursor for consumers, whole for verification.

use sunshine_domain::identity::Actor;
use sunshine_domain::journal::Entry;
use sunshine_domain::policy::Action;
use sunshine_store::journal::{self as store, Verification};

use crate::{App, Result};

/// At most this many entries in one read.
pub const MAX_PAGE: i64 = 1000;

impl App {
    /// Entries after `cursor`, in order: how supervision, disclosure,
    /// statistics and the exchange relay follow what happens.
    pub async fn journal_after(
        &self,
        actor: &Actor,
        cursor: i64,
        limit: i64,
    ) -> Result<Vec<Entry>> {
        self.authorize(actor, &Action::ReadJournal)?;
        self.read_journal_after(cursor, limit).await
    }

    /// The same read for in-process consumers, which are part of the platform.
    pub async fn read_journal_after(&self, cursor: i64, limit: i64) -> Result<Vec<Entry>> {
        let mut conn = self.db.read().await?;
        Ok(store::read_after(&mut conn, cursor.max(0), limit.clamp(1, MAX_PAGE)).await?)
    }

    /// Walk the whole chain and report the first broken link.
    pub async fn verify_journal(&self) -> Result<Verification> {
        let mut conn = self.db.read().await?;
        Ok(store::verify(&mut conn).await?)
    }

    /// The history of one subject, for the staff pages.
    pub async fn history(&self, subject: &str) -> Result<Vec<Entry>> {
        let mut conn = self.db.read().await?;
        Ok(store::by_subject(&mut conn, subject).await?)
    }
}
