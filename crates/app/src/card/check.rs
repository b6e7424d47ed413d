//! `sunshine ledger check`: the stored books proven without the engine, in
//! bounded memory however long the history.

use std::collections::VecDeque;

use serde::Serialize;
use sunshine_domain::card::book::{own_number, BookImage, NewestTaps, TakingsByDay, TapKey};
use sunshine_domain::card::ledger::{Event, LedgerImage, Replayer};
use sunshine_store::card::SnapshotMeta;
use sunshine_store::Db;

/// Transfers read and replayed at a time.
const PAGE: i64 = 50_000;

/// What `sunshine ledger check` found.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerReport {
    pub accounts: usize,
    pub transfers: usize,
    /// Posted debits, which equal posted credits, fen.
    pub posted: i128,
    pub taps: usize,
    /// Snapshots proven equal to the replay up to their point.
    pub snapshots: usize,
}

impl LedgerReport {
    /// One line for people: what was checked and that it balanced.
    pub fn summary(&self) -> String {
        format!(
            "{} accounts, {} transfers, {} taps; debits = credits = {} fen; {} snapshots equal to the replay",
            self.accounts, self.transfers, self.taps, self.posted, self.snapshots
        )
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Check the stored books without the engine: replay the ledger's whole
/// history under every rule (each transfer as applied, no chain cut
/// short), page by page and forgetting as it goes; prove each snapshot
/// equal to the replay up to its point (balances, pending transfers, clock,
/// the books' id counter, each unsettled day's takings, each terminal's
/// sequence numbers seen and each card's newest tap); check the invariant
/// (debits equal credits, no flag broken); and tie every charged tap out to
/// its transfer. A transfer
/// id stored twice is refused by the store's unique index. Works on a store
/// no process is serving, and on one that is (it reads what is committed).
pub async fn check_ledger(db: &Db) -> Result<LedgerReport, String> {
    let mut conn = db.read_bulk().await.map_err(err)?;
    let accounts = sunshine_store::card::all_accounts(&mut conn)
        .await
        .map_err(err)?;
    let mut snapshots: VecDeque<SnapshotMeta> = sunshine_store::card::snapshots(&mut conn)
        .await
        .map_err(err)?
        .into();
    let mut walk = Walk {
        replayer: Replayer::new(accounts)
            .map_err(|e| format!("the history does not replay: {e}"))?,
        takings: TakingsByDay::default(),
        own: 0,
        transfers: 0,
        proven: 0,
        heads: vec![],
    };
    let mut after = i64::MIN;
    loop {
        let (page, last) = sunshine_store::card::events_page(&mut conn, after, PAGE)
            .await
            .map_err(err)?;
        for event in page {
            let at = match &event {
                Event::Transfer(t) => t.timestamp,
                Event::Expired(_, at) => *at,
            };
            while snapshots.front().is_some_and(|s| s.clock < at) {
                let s = snapshots.pop_front().expect("just looked");
                walk.prove(db, &s).await?;
            }
            if let Event::Transfer(t) = &event {
                walk.transfers += 1;
                if let Some(n) = own_number(t.request.id) {
                    walk.own = walk.own.max(n);
                }
            }
            walk.replayer
                .push(event)
                .map_err(|e| format!("the history does not replay: {e}"))?;
        }
        for t in walk.replayer.take_replayed() {
            walk.takings.count(&t);
        }
        match last {
            Some(last) => {
                // What a later request could name is stored; memory holds a page.
                walk.replayer.forget_before(after);
                after = last;
            }
            None => break,
        }
    }
    while let Some(s) = snapshots.pop_front() {
        walk.prove(db, &s).await?;
    }
    let proven = walk.proven;
    let transfers = walk.transfers;
    let ledger = walk
        .replayer
        .finish()
        .map_err(|e| format!("the history does not replay: {e}"))?;
    ledger
        .check()
        .map_err(|e| format!("the invariant is broken: {e:?}"))?;
    newest_taps_proven(&mut conn, walk.heads).await?;
    let (taps, wrong) = sunshine_store::card::taps_against_ledger(&mut conn)
        .await
        .map_err(err)?;
    if let Some(first) = wrong.first() {
        return Err(format!("{first} ({} such taps at least)", wrong.len()));
    }
    let posted = ledger.accounts().map(|a| i128::from(a.debits_posted)).sum();
    Ok(LedgerReport {
        accounts: ledger.accounts().count(),
        transfers,
        posted,
        taps: usize::try_from(taps).unwrap_or(0),
        snapshots: proven,
    })
}

/// The replay as it goes, with what it counts besides the ledger.
struct Walk {
    replayer: Replayer,
    takings: TakingsByDay,
    /// The highest of the books' own ids stored so far.
    own: u64,
    transfers: usize,
    proven: usize,
    /// Each proven snapshot's moment, batch and newest taps, for
    /// [`newest_taps_proven`].
    heads: Vec<HeldHeads>,
}

/// A proven snapshot's moment, batch, and each card's newest tap in it
/// (card, terminal, number).
type HeldHeads = (i64, i64, Vec<(u64, String, u64)>);

impl Walk {
    /// Prove snapshot `s` equal to the replay so far (every event up to its clock).
    async fn prove(&mut self, db: &Db, s: &SnapshotMeta) -> Result<(), String> {
        let wrong = |why: String| format!("snapshot {}: {why}", s.batch);
        for t in self.replayer.take_replayed() {
            self.takings.count(&t);
        }
        let mut conn = db.read().await.map_err(err)?;
        let row = sunshine_store::card::snapshot(&mut conn, s.batch)
            .await
            .map_err(err)?
            .ok_or_else(|| wrong("removed while being checked".into()))?;
        let image = BookImage::decode(&row.image, &row.digest).map_err(wrong)?;
        if (image.batch, image.taken_at, image.ledger.clock) != (s.batch, s.taken_at, s.clock) {
            return Err(wrong("its image is not the one its row names".into()));
        }
        same_ledger(&image.ledger, &self.replayer.ledger().image()).map_err(wrong)?;
        if image.next_own_id < self.own {
            return Err(wrong(format!(
                "its id counter is at {}, below the {} stored",
                image.next_own_id, self.own
            )));
        }
        for (day, party, d) in &image.takings {
            let counted = self
                .takings
                .days
                .get(day)
                .and_then(|p| p.get(party))
                .copied()
                .unwrap_or_default();
            if counted != *d {
                return Err(wrong(format!(
                    "party {party}'s takings of {day} are {d:?}, the history gives {counted:?}"
                )));
            }
        }
        let mut seen = sunshine_store::card::seen_of_taps(&mut conn, Some(s.taken_at))
            .await
            .map_err(err)?;
        let mut held = image.seen.clone();
        held.retain(|(_, upto, above)| *upto > 0 || !above.is_empty());
        seen.retain(|(_, upto, above)| *upto > 0 || !above.is_empty());
        if held != seen {
            let first = held
                .iter()
                .zip(&seen)
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("{a:?} against {b:?}"))
                .unwrap_or_else(|| format!("{} terminals against {}", held.len(), seen.len()));
            return Err(wrong(format!(
                "the sequence numbers it saw are not the taps stored by then: {first}"
            )));
        }
        self.heads.push((s.taken_at, s.batch, image.heads));
        self.proven += 1;
        Ok(())
    }
}

/// Prove each snapshot's newest tap of every card (where its chain of taps
/// starts) against the taps stored up to its moment: one pass over the
/// taps, a page at a time, holding one head a card for each snapshot.
async fn newest_taps_proven(
    conn: &mut sunshine_store::Conn,
    heads: Vec<HeldHeads>,
) -> Result<(), String> {
    if heads.is_empty() {
        return Ok(());
    }
    let mut proofs: Vec<(HeldHeads, NewestTaps)> = heads
        .into_iter()
        .map(|h| (h, NewestTaps::default()))
        .collect();
    let mut after = None;
    loop {
        let page = sunshine_store::card::taps_page(conn, after.as_ref(), PAGE)
            .await
            .map_err(err)?;
        for tap in &page {
            for ((taken_at, _, _), newest) in &mut proofs {
                if tap.applied_at <= *taken_at {
                    newest.offer(tap);
                }
            }
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after = Some(TapKey::of(last)),
            _ => break,
        }
    }
    for ((_, batch, held), newest) in proofs {
        if let Some(why) = newest.first_difference(&held) {
            return Err(format!(
                "snapshot {batch}: its newest taps are not the taps stored by then: {why}"
            ));
        }
    }
    Ok(())
}

/// The snapshot's ledger against the replay's at the same point: the same
/// clock, pending transfers and balances; accounts the replay has that the
/// snapshot lacks were opened after it, so nothing has moved on them.
fn same_ledger(held: &LedgerImage, replayed: &LedgerImage) -> Result<(), String> {
    if held.clock != replayed.clock {
        return Err(format!(
            "its clock is {}, the replay's {}",
            held.clock, replayed.clock
        ));
    }
    if held.pending != replayed.pending {
        return Err(format!(
            "it holds {} pending transfers, the replay {}",
            held.pending.len(),
            replayed.pending.len()
        ));
    }
    let mut mine = held.accounts.iter().peekable();
    for a in &replayed.accounts {
        match mine.next_if(|m| m.id == a.id) {
            Some(m) if m == a => {}
            Some(m) => {
                return Err(format!(
                    "account {} holds {:?}, the replay gives {:?}",
                    a.id, m, a
                ))
            }
            None if a.debits_posted == 0
                && a.credits_posted == 0
                && a.debits_pending == 0
                && a.credits_pending == 0 => {}
            None => return Err(format!("account {} is missing", a.id)),
        }
    }
    match mine.next() {
        Some(extra) => Err(format!("account {} is not in the history", extra.id)),
        None => Ok(()),
    }
}
