//! Sunshine disclosure (阳光公示): a consumer of the journal keeps the public
//! board's projection of cases, after its own cursor, so the hall never
//! waits for it and a restart neither loses nor repeats an entry.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use futures_util::Stream;
use sunshine_domain::clock::{from_micros, local_date};
use sunshine_domain::identity::Actor;
use sunshine_store::disclosure as store;
use sunshine_store::WriteTx;
use tokio::sync::broadcast::error::RecvError;

use crate::{App, Result};

mod view;
pub use view::{BoardCase, BoardFilter, BoardStats, ExtranetCase, Facets};

/// The consumer's name in `consumer_cursors`.
pub const CONSUMER: &str = "disclosure";

/// The rows one page of the consumer changed, oldest change first.
pub type BoardChanges = Arc<Vec<store::BoardCase>>;

/// Pages of changes kept for live clients; one that falls further behind
/// catches up from the table instead, so it never holds back the consumer.
pub const LIVE_BACKLOG: usize = 64;

/// What a live client of the board is told.
#[derive(Debug, Clone)]
pub enum LiveChange {
    /// A row as it now is, for a client to add or update.
    Row(Box<BoardCase>),
    /// A row that changed to a state the client's filter does not show.
    MovedOut { number: String, seq: i64 },
}

impl LiveChange {
    /// The journal sequence of the change.
    pub fn seq(&self) -> i64 {
        match self {
            LiveChange::Row(c) => c.seq,
            LiveChange::MovedOut { seq, .. } => *seq,
        }
    }
}

/// Rows read from the table at a time when a live client catches up.
const CATCH_UP_PAGE: i64 = 500;

/// Where a process that has not yet followed the journal has told its live
/// clients of the board's changes: nowhere.
pub(crate) const NOT_YET_TOLD: i64 = -1;

impl App {
    /// Bring the board up to date with the journal; the number of entries read.
    pub async fn run_disclosure(&self) -> Result<usize> {
        self.follow_journal_for_board(&AtomicI64::new(NOT_YET_TOLD))
            .await
    }

    /// Bring the board up to date with the journal, telling this process's
    /// live clients of every change, whichever node applied it: `told` is
    /// the journal sequence they have been told of changes up to, from one
    /// round to the next ([`NOT_YET_TOLD`] at first: what is in the table
    /// then, they read from it). The number of entries read.
    pub(crate) async fn follow_journal_for_board(&self, told: &AtomicI64) -> Result<usize> {
        let mut total = 0;
        loop {
            let cursor = {
                let mut conn = self.db.read().await?;
                sunshine_store::journal::cursor(&mut conn, CONSUMER).await?
            };
            // Pages another node applied come first: a live client passes
            // a row only after the rows before it.
            self.tell_applied_elsewhere(told, cursor).await?;
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
            let applied = self
                .db
                .write(
                    async move |tx: &mut WriteTx| -> Result<Option<Vec<store::BoardCase>>> {
                        // Another runner may have moved the cursor meanwhile: then this page is theirs.
                        if sunshine_store::journal::cursor(tx.conn(), CONSUMER).await? != cursor {
                            return Ok(None);
                        }
                        let mut changed = vec![];
                        for (number, seq) in touched {
                            changed.extend(project(tx, &number, seq).await?);
                        }
                        sunshine_store::journal::set_cursor(tx.conn(), CONSUMER, last).await?;
                        Ok(Some(changed))
                    },
                )
                .await?;
            let Some(mut changed) = applied else {
                continue;
            };
            told.store(last, Ordering::SeqCst);
            if !changed.is_empty() {
                changed.sort_by_key(|c| c.seq);
                // Nobody listening is fine; a slow listener only loses its place in the backlog.
                let _ = self.board_changes.send(Arc::new(changed));
            }
        }
    }

    /// Tell this process's live clients the rows that pages another node
    /// applied after `told`, up to `cursor`, read from the table in the
    /// order of the journal. A row changed again since is told with that
    /// later change.
    async fn tell_applied_elsewhere(&self, told: &AtomicI64, cursor: i64) -> Result<()> {
        let from = told.load(Ordering::SeqCst);
        if from >= cursor {
            return Ok(());
        }
        if from != NOT_YET_TOLD {
            let mut filter = store::BoardFilter {
                after_seq: Some(from),
                limit: CATCH_UP_PAGE,
                ..Default::default()
            };
            loop {
                let rows = {
                    let mut conn = self.db.read().await?;
                    store::changes(&mut conn, &filter).await?
                };
                let rows: Vec<store::BoardCase> =
                    rows.into_iter().take_while(|r| r.seq <= cursor).collect();
                let Some(seq) = rows.last().map(|r| r.seq) else {
                    break;
                };
                filter.after_seq = Some(seq);
                // A whole page up to the cursor: there may be more.
                let whole = rows.len() as i64 == CATCH_UP_PAGE;
                let _ = self.board_changes.send(Arc::new(rows));
                if !whole {
                    break;
                }
            }
        }
        told.store(cursor, Ordering::SeqCst);
        Ok(())
    }

    /// The board's rows as they change, from just after `filter.after_seq`
    /// (or from now, when it is not given), each once and in the order of the
    /// journal; with a state in the filter, also the rows that leave it.
    /// Also returns where it starts. The consumer announces each page
    /// it applies; a client that falls behind reads what it missed from the
    /// table, so a reconnect with the last sequence it saw neither loses nor
    /// repeats a row.
    pub async fn board_live(
        self: &Arc<Self>,
        filter: BoardFilter,
    ) -> Result<(i64, impl Stream<Item = Result<LiveChange>> + Send + 'static)> {
        // Listen first, then look: whatever commits in between arrives twice and is dropped once.
        let filter = store::BoardFilter::from(filter);
        let rx = self.board_changes.subscribe();
        let closing = self.live_closing.subscribe();
        let (start, catch_up) = match filter.after_seq {
            Some(after) => (after.max(0), true),
            None => {
                let mut conn = self.db.read().await?;
                (store::last_seq(&mut conn).await?, false)
            }
        };
        let live = Live {
            app: self.clone(),
            rx,
            closing,
            filter: store::BoardFilter {
                after_seq: Some(start),
                limit: CATCH_UP_PAGE,
                offset: 0,
                ..filter
            },
            pending: VecDeque::new(),
            catch_up,
        };
        let stream = futures_util::stream::unfold(live, |mut live| async move {
            match live.next().await {
                Ok(Some(row)) => Some((Ok(row), live)),
                Ok(None) => None,
                Err(e) => Some((Err(e), live)),
            }
        });
        Ok((start, stream))
    }

    /// End every live stream of the board, so that a stopping server is
    /// not held open by its listeners (who reconnect elsewhere and resume).
    pub fn close_live_streams(&self) {
        self.live_closing.send_replace(true);
    }

    /// A page of the public board, newest change first, and how many rows pass the filter.
    pub async fn board_page(&self, filter: BoardFilter) -> Result<(Vec<BoardCase>, i64)> {
        let filter = store::BoardFilter::from(filter);
        let mut conn = self.db.read().await?;
        let rows = store::list(&mut conn, &filter).await?;
        let total = store::count(&mut conn, &filter).await?;
        Ok((rows.into_iter().map(BoardCase::from).collect(), total))
    }

    /// The extranet view (政务外网): the cases of every department whose
    /// cases the actor may view, sensitive items' included, with what the
    /// public board leaves out. Read from the hall's tables, never from the
    /// public projection.
    pub async fn extranet_board(
        &self,
        actor: &Actor,
        filter: BoardFilter,
    ) -> Result<(Vec<ExtranetCase>, i64)> {
        let purpose = sunshine_domain::access::ReadPurpose::Supervision;
        self.extranet_board_for(actor, filter, purpose).await
    }

    /// The extranet view, read for `purpose`: each applicant it names is
    /// shown the read.
    pub async fn extranet_board_for(
        &self,
        actor: &Actor,
        filter: BoardFilter,
        purpose: sunshine_domain::access::ReadPurpose,
    ) -> Result<(Vec<ExtranetCase>, i64)> {
        let departments = self.viewable_departments(actor)?;
        let (rows, total) = {
            let mut conn = self.db.read().await?;
            store::extranet(&mut conn, &filter.into(), &departments).await?
        };
        // The rows name applicants with their identity numbers: a staff read.
        if !rows.is_empty() {
            let shown: Vec<&str> = rows.iter().map(|r| r.number.as_str()).collect();
            let read = crate::access::StaffRead {
                subject: "access/extranet".into(),
                kind: sunshine_domain::access::ReadKind::CaseList,
                purpose,
                payload: serde_json::json!({"view": "extranet", "cases": shown}),
                // The list holds no account: the applicant is found by their number.
                persons: rows
                    .iter()
                    .map(|r| crate::access::ReadOf::case(&r.number, None, &r.applicant))
                    .collect(),
            };
            self.record_staff_read(actor, read).await?;
        }
        Ok((rows.into_iter().map(ExtranetCase::from).collect(), total))
    }

    /// The departments, regions and items that have cases on the board.
    pub async fn board_facets(&self) -> Result<Facets> {
        let mut conn = self.db.read().await?;
        Ok(store::facets(&mut conn).await?.into())
    }

    /// The public board, newest change first.
    pub async fn board(&self, filter: BoardFilter) -> Result<Vec<BoardCase>> {
        let mut conn = self.db.read().await?;
        let rows = store::list(&mut conn, &filter.into()).await?;
        Ok(rows.into_iter().map(BoardCase::from).collect())
    }

    /// The board's figures by department and by region.
    pub async fn board_stats(&self) -> Result<(Vec<BoardStats>, Vec<BoardStats>)> {
        let mut conn = self.db.read().await?;
        let by_department = store::stats(&mut conn, false).await?;
        let by_region = store::stats(&mut conn, true).await?;
        let ours = |rows: Vec<store::BoardStats>| rows.into_iter().map(BoardStats::from).collect();
        Ok((ours(by_department), ours(by_region)))
    }
}

/// A live client of the board: where it stands and what it has yet to send.
struct Live {
    app: Arc<App>,
    rx: tokio::sync::broadcast::Receiver<BoardChanges>,
    closing: tokio::sync::watch::Receiver<bool>,
    /// Its `after_seq` is the last change this client has passed.
    filter: store::BoardFilter,
    pending: VecDeque<LiveChange>,
    /// Read the table before listening again (at the start, and after lagging).
    catch_up: bool,
}

impl Live {
    async fn next(&mut self) -> Result<Option<LiveChange>> {
        loop {
            if let Some(row) = self.pending.pop_front() {
                return Ok(Some(row));
            }
            if self.catch_up {
                let rows = {
                    let mut conn = self.app.db.read().await?;
                    store::changes(&mut conn, &self.filter).await?
                };
                self.catch_up = rows.len() as i64 == CATCH_UP_PAGE;
                self.pass(
                    rows.into_iter()
                        .map(|r| LiveChange::Row(Box::new(r.into())))
                        .collect(),
                );
                continue;
            }
            let received = tokio::select! {
                r = self.rx.recv() => r,
                _ = self.closing.wait_for(|closing| *closing) => return Ok(None),
            };
            match received {
                Ok(changes) => {
                    let f = &self.filter;
                    let rows = changes
                        .iter()
                        .filter_map(|c| {
                            if f.matches(c) {
                                Some(LiveChange::Row(Box::new(c.clone().into())))
                            } else if f.moved_out(c) {
                                Some(LiveChange::MovedOut {
                                    number: c.number.clone(),
                                    seq: c.seq,
                                })
                            } else {
                                None
                            }
                        })
                        .collect();
                    self.pass(rows);
                }
                Err(RecvError::Lagged(_)) => self.catch_up = true,
                Err(RecvError::Closed) => return Ok(None),
            }
        }
    }

    /// Queue rows (in journal order) and move past them.
    fn pass(&mut self, rows: Vec<LiveChange>) {
        if let Some(last) = rows.last() {
            self.filter.after_seq = Some(last.seq());
        }
        self.pending.extend(rows);
    }
}

/// Write one case's public row, unless its item is sensitive; the row written.
async fn project(tx: &mut WriteTx, number: &str, seq: i64) -> Result<Option<store::BoardCase>> {
    let Some(case) = sunshine_store::hall::case_by_number(tx.conn(), number).await? else {
        return project_districts(tx, number, seq).await;
    };
    let Some(version) = sunshine_store::catalog::get_version(tx.conn(), case.version_id).await?
    else {
        return Ok(None);
    };
    if version.spec.sensitive {
        // Cases of sensitive items are never shown publicly.
        return Ok(None);
    }
    let rating = sunshine_store::hall::rating(tx.conn(), &case.number).await?;
    let row = store::BoardCase {
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
    Ok(Some(row))
}

/// At the city, the public row of a district's own case, from what the
/// district's messages said of it (the case is the district's; the city
/// holds no case of it), unless its item is sensitive or not known here.
async fn project_districts(
    tx: &mut WriteTx,
    number: &str,
    seq: i64,
) -> Result<Option<store::BoardCase>> {
    let Some(c) = sunshine_store::exchange::district_case_for_board(tx.conn(), number).await?
    else {
        return Ok(None);
    };
    let (Some(item_id), Some(version_id)) = (c.item_id, c.version_id) else {
        return Ok(None);
    };
    let Some(version) = sunshine_store::catalog::get_version(tx.conn(), version_id).await? else {
        return Ok(None);
    };
    if version.spec.sensitive || version.item_id != item_id {
        return Ok(None);
    }
    let row = store::BoardCase {
        rating: None,
        number: c.number,
        item_id,
        item_name: version.spec.name,
        department: c.department,
        region: c.district,
        applicant_public: c.applicant_public.unwrap_or_default(),
        channel: c.channel.unwrap_or_else(|| "online".into()),
        state: c.state.board_state().into(),
        submitted_at: c.submitted_at.unwrap_or_default(),
        accepted_at: c.accepted_at,
        promised_due: c.promised_due,
        completed_at: c.decided_at,
        completed_on: c.decided_at.map(|t| local_date(from_micros(t)).to_string()),
        seq,
    };
    store::upsert(tx.conn(), &row).await?;
    Ok(Some(row))
}
