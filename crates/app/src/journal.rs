//! Reading the journal: by cursor for consumers, whole for verification.

use std::collections::HashMap;

use sunshine_domain::identity::Actor;
use sunshine_domain::journal::{BrokenLink, Entry};
use sunshine_domain::policy::Action;
use sunshine_domain::Text;
use sunshine_store::journal as store;

use crate::{App, Result};

/// What a walk of the journal's chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact { entries: u64 },
    Broken(BrokenLink),
}

impl From<store::Verification> for Verification {
    fn from(v: store::Verification) -> Self {
        match v {
            store::Verification::Intact { entries } => Verification::Intact { entries },
            store::Verification::Broken(b) => Verification::Broken(b),
        }
    }
}

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
        Ok(store::verify(&mut conn).await?.into())
    }

    /// The history of one subject, for the staff pages.
    pub async fn history(&self, subject: &str) -> Result<Vec<Entry>> {
        let mut conn = self.db.read().await?;
        Ok(store::by_subject(&mut conn, subject).await?)
    }

    /// Who each journal actor (`staff:clerk`, `citizen:#34`, `system`) is,
    /// for a staff page's history: a staff member by name and organisation,
    /// an applicant or the platform in words; never an applicant's name or
    /// number, which the history does not need.
    pub async fn journal_actors(&self, entries: &[Entry]) -> Result<HashMap<String, Text>> {
        let orgs = self.orgs();
        let mut names = HashMap::new();
        let mut conn = self.db.read().await?;
        for e in entries {
            if names.contains_key(&e.actor) {
                continue;
            }
            let (kind, rest) = e.actor.split_once(':').unwrap_or((e.actor.as_str(), ""));
            let name = match kind {
                "system" => Text::new("平台自动", "The platform"),
                "staff" if rest == "system" => Text::new("平台自动", "The platform"),
                "staff" => {
                    match sunshine_store::identity::find_user_by_login(&mut conn, rest).await? {
                        Some(u) => {
                            let org = u.org.as_ref().map(|o| o.as_str()).unwrap_or("");
                            Text::new(
                                format!("{}（{}）", u.display_name, orgs.name(org, "zh")),
                                format!("{} ({})", u.display_name, orgs.name(org, "en")),
                            )
                        }
                        None => Text::new("工作人员", "A staff member"),
                    }
                }
                "citizen" => Text::new("申请人（个人）", "The applicant (a person)"),
                "enterprise" => Text::new("申请人（企业）", "The applicant (an enterprise)"),
                _ => Text::new("其他", "Other"),
            };
            names.insert(e.actor.clone(), name);
        }
        Ok(names)
    }
}
