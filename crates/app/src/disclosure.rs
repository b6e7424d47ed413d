//! Sunshine disclosure (阳光公示): a consumer of the journal keeps the public
//! board's projection of cases, after its own cursor, so the hall never
//! waits for it and a restart neither loses nor repeats an entry.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use sunshine_domain::clock::{from_micros, local_date};
use sunshine_store::disclosure::{self as store, BoardCase, BoardFilter, BoardStats};
use sunshine_store::WriteTx;

use crate::{App, Result};

/// The consumer's name in `consumer_cursors`.
pub const CONSUMER: &str = "disclosure";

impl App {
    /// Bring the board up to date with the journal; the number of entries read.
    pub async fn run_disclosure(&self) -> Result<usize> {
        let mut total = 0;
        loop {
            let cursor = {
                let mut conn = self.db.read().await?;
                sunshine_store::journal::cursor(&mut conn, CONSUMER).await?
            };
            let page = self.read_journal_after(cursor, 500).await?;
            let Some(last) = page.last().map(|e| e.seq) else {
                return Ok(total);
            };
            // Each case once per page, at its latest entry: the projection shows its current state.
            let mut touched: BTreeMap<String, i64> = BTreeMap::new();
            for e in &page {
                if let Some(number) = e.subject.strip_prefix("case/") {
                    touched.insert(number.to_string(), e.seq);
                }
            }
            total += page.len();
            self.db
                .write(move |tx: &mut WriteTx| -> BoxFuture<'_, Result<()>> {
                    Box::pin(async move {
                        // Another runner may have moved the cursor meanwhile: then this page is theirs.
                        if sunshine_store::journal::cursor(tx.conn(), CONSUMER).await? != cursor {
                            return Ok(());
                        }
                        for (number, seq) in touched {
                            project(tx, &number, seq).await?;
                        }
                        sunshine_store::journal::set_cursor(tx.conn(), CONSUMER, last).await?;
                        Ok(())
                    })
                })
                .await?;
        }
    }

    /// The public board, newest change first.
    pub async fn board(&self, filter: BoardFilter) -> Result<Vec<BoardCase>> {
        let mut conn = self.db.read().await?;
        Ok(store::list(&mut conn, &filter).await?)
    }

    /// The board's figures by department and by region.
    pub async fn board_stats(&self) -> Result<(Vec<BoardStats>, Vec<BoardStats>)> {
        let mut conn = self.db.read().await?;
        Ok((
            store::stats(&mut conn, false).await?,
            store::stats(&mut conn, true).await?,
        ))
    }

    /// The background work of a serving process: versions coming into force,
    /// and the disclosure board following the journal.
    pub fn spawn_workers(self: &Arc<Self>) {
        let app = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                match app.put_due_versions_in_force().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        versions = n,
                        "versions put in force on their effective date"
                    ),
                    Err(e) => tracing::error!(error = %e, "putting due versions in force failed"),
                }
            }
        });
        let app = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
            loop {
                tick.tick().await;
                if let Err(e) = app.run_disclosure().await {
                    tracing::error!(error = %e, "the disclosure board could not follow the journal");
                }
            }
        });
    }
}

/// Write one case's public row, unless its item is sensitive.
async fn project(tx: &mut WriteTx, number: &str, seq: i64) -> Result<()> {
    let Some(case) = sunshine_store::hall::case_by_number(tx.conn(), number).await? else {
        return Ok(());
    };
    let Some(version) = sunshine_store::catalog::get_version(tx.conn(), case.version_id).await?
    else {
        return Ok(());
    };
    if version.spec.sensitive {
        // Cases of sensitive items are never shown publicly.
        return Ok(());
    }
    let rating = sunshine_store::hall::rating(tx.conn(), &case.number).await?;
    let row = BoardCase {
        rating,
        number: case.number,
        item_id: case.item_id,
        item_name: version.spec.name,
        department: case.department,
        region: case.region,
        applicant_public: case.applicant_public,
        channel: match case.channel {
            sunshine_domain::hall::Channel::Online => "online".into(),
            sunshine_domain::hall::Channel::Counter => "counter".into(),
        },
        state: case.facts.state.name().into(),
        submitted_at: case.submitted_at,
        accepted_at: case.accepted_at,
        promised_due: case.promised_due,
        completed_at: case.completed_at,
        completed_on: case
            .completed_at
            .map(|t| local_date(from_micros(t)).to_string()),
        seq,
    };
    store::upsert(tx.conn(), &row).await?;
    Ok(())
}
