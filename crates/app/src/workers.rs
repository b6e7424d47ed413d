//! The background work of a serving process, in one place: what runs, how
//! often, and how a failed round is reported.

use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::Duration;

use crate::{App, Result};

impl App {
    /// The background work of a serving process: versions coming into force
    /// and the organisation tree reloaded (each minute), the disclosure board
    /// and supervision following the journal, and supervision's timers. Each
    /// ends once the store is closed.
    pub fn spawn_workers(self: &Arc<Self>) {
        // The card engine opens now (or when this node takes its lease).
        tokio::spawn(self.clone().hold_card_lease());
        self.every(Duration::from_secs(60), |app| async move {
            if let Some(n) = app.report(
                "putting due versions in force failed",
                app.put_due_versions_in_force().await,
            ) {
                if n > 0 {
                    tracing::info!(
                        versions = n,
                        "versions put in force on their effective date"
                    );
                }
            }
            // What approved cases grant on the card and the books could not take yet.
            let delivered = app.deliver_grants().await;
            app.report("approved cases' grants could not be carried out", delivered);
            // Aid and allowances the books could not take yet.
            let paid = app.deliver_payouts().await;
            app.report("payouts could not be paid onto cards", paid);
            // Units another process added or renamed.
            let reloaded = app.reload_orgs().await;
            app.report("the organisation tree could not be reloaded", reloaded);
        });
        // How far this node's live clients of the board have been told, from round to round.
        let told = Arc::new(AtomicI64::new(crate::disclosure::NOT_YET_TOLD));
        self.every(Duration::from_millis(250), move |app| {
            let told = told.clone();
            async move {
                let followed = app.follow_journal_for_board(&told).await;
                app.report(
                    "the disclosure board could not follow the journal",
                    followed,
                );
            }
        });
        // Supervision follows the journal and fires what is due: a signal
        // comes within a quarter of a second of its moment.
        self.every(Duration::from_millis(250), |app| async move {
            let followed = app.run_supervision().await;
            app.report("supervision could not follow the journal", followed);
            let fired = app.run_supervision_timers().await;
            app.report("supervision's timers could not fire", fired);
            let told = app.deliver_signals().await;
            app.report("supervision's signals could not be delivered", told);
        });
        // A district's platform reports its registry's aggregates to the
        // city at start and each hour, when they have changed.
        self.every(Duration::from_secs(3600), |app| async move {
            let reported = app.report_registry_aggregates().await;
            app.report("the registry's aggregates could not be reported", reported);
        });
        // The backup centre: abandoned uploads, re-verification, overdue systems.
        self.every(Duration::from_secs(60), |app| async move {
            let kept = app.run_backup_centre().await;
            app.report("the backup centre's round failed", kept);
        });
    }

    /// Post new signals to the webhook, one node at a time: two nodes
    /// posting the same signal at once would tell the gateway twice.
    async fn deliver_signals(&self) -> Result<usize> {
        if self.webhook.get().is_none() {
            return Ok(0);
        }
        let Some(turn) =
            sunshine_store::journal::take_turn(&self.db, "supervision.webhook").await?
        else {
            return Ok(0);
        };
        let told = self.notify_signals().await;
        turn.end().await?;
        told
    }

    /// Run `round` every `period` until the store is closed.
    fn every<F, Fut>(self: &Arc<Self>, period: Duration, round: F)
    where
        F: Fn(Arc<App>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let app = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                if app.db.is_closed() {
                    return;
                }
                round(app.clone()).await;
            }
        });
    }

    /// Log what a background round could not do, unless the store was
    /// closed under it (the process is stopping); its value if it could.
    pub(crate) fn report<T>(&self, what: &str, result: Result<T>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                if !self.db.is_closed() {
                    tracing::error!(error = %e, "{what}");
                }
                None
            }
        }
    }
}
