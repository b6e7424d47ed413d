//! Finding the same person twice, in the store: each record written is
//! blocked and scored against its district's records as it arrives
//! (`domain::registry::linkage`), pairs at or above the threshold wait for
//! a district registrar, who merges them or keeps them apart; either can
//! be undone, and each is journaled.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sunshine_domain::access::{ReadKind, ReadPurpose};
use sunshine_domain::identity::{Actor, OrgKind};
use sunshine_domain::ids::OrgCode;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_domain::registry::linkage::{
    blocking_keys, comparable, compare, compare_within, weight_with, Comparison, Linker, Record,
    REVIEW_THRESHOLD,
};
use sunshine_domain::registry::view::PersonView;
use sunshine_domain::registry::Person;
use sunshine_store::registry as store;
use sunshine_store::WriteTx;

use crate::access::{ReadOf, StaffRead};
use crate::journal_entry::entry;
use crate::{App, OrgDirectory, Result};

/// Block the persons just written and score each against the records of
/// its district it shares a block with; pairs at or above the threshold
/// are kept for review. Inside the write that wrote them.
pub(crate) async fn link_arrivals(
    tx: &mut WriteTx,
    written: &[(i64, Person)],
    now: i64,
) -> Result<usize> {
    if written.len() >= BULK {
        return link_in_memory(tx, written, now).await;
    }
    let mut found = 0;
    for (id, person) in written {
        let record = Record::of(person);
        let own_name = blocking_keys(&record)[0];
        let keys: Vec<u64> = blocking_keys(&record).into_iter().flatten().collect();
        store::set_blocks(tx.conn(), *id, &keys).await?;
        for (other, held) in store::block_mates(tx.conn(), &keys, *id).await? {
            let held = Record::of(&held);
            if !comparable(&record, &held) {
                continue;
            }
            let Some(comparison) = compare_within(&record, &held, REVIEW_THRESHOLD) else {
                continue;
            };
            if comparison.weight() < REVIEW_THRESHOLD {
                continue;
            }
            // A common name counts for less (the adjustment only lowers).
            let mut namesakes = 2;
            for key in [own_name, blocking_keys(&held)[0]].into_iter().flatten() {
                namesakes = namesakes.max(store::block_size(tx.conn(), key).await? as usize);
            }
            let score = weight_with(&comparison, namesakes);
            if score >= REVIEW_THRESHOLD {
                let text = serde_json::to_string(&comparison).unwrap_or_default();
                let district = person.community.get(..6).unwrap_or_default();
                store::insert_pair(tx.conn(), district, *id, other, score, &text, now).await?;
                found += 1;
            }
        }
    }
    Ok(found)
}

/// From this many records written at once, they are scored against their
/// districts held in memory (read once) rather than block by block in the
/// store: a city's first import writes a district's million records.
const BULK: usize = 2_000;

/// As [`link_arrivals`], for many records at once: each district's records
/// held before the write are read once into a [`Linker`], and each record
/// written is blocked in the store, scored in memory against those held and
/// those written before it, and then held itself. The same rule and score
/// as the store's path (`Linker::score`).
async fn link_in_memory(tx: &mut WriteTx, written: &[(i64, Person)], now: i64) -> Result<usize> {
    let mut by_district: BTreeMap<String, Vec<&(i64, Person)>> = BTreeMap::new();
    for w in written {
        let district = w.1.community.get(..6).unwrap_or_default().to_string();
        by_district.entry(district).or_default().push(w);
    }
    let mut found_pairs = 0;
    for (district, arrivals) in by_district {
        let fresh: std::collections::HashSet<i64> = arrivals.iter().map(|(id, _)| *id).collect();
        let mut linker = Linker::new();
        let mut ids = vec![];
        for (id, p) in store::persons_of_district(tx.conn(), &district).await? {
            if !fresh.contains(&id) {
                linker.add(Record::of(&p));
                ids.push(id);
            }
        }
        // Scored a batch at a time on every core, each record as if those
        // before it were held (`Linker::score_batch`), then written in order.
        for batch in arrivals.chunks(SCORED_TOGETHER) {
            let records: Vec<Record> = batch.iter().map(|(_, p)| Record::of(p)).collect();
            let scored = linker.score_batch(&records, REVIEW_THRESHOLD);
            let base = ids.len();
            let batch_ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
            for (i, found) in scored.into_iter().enumerate() {
                let (id, record) = (batch_ids[i], &records[i]);
                let keys: Vec<u64> = blocking_keys(record).into_iter().flatten().collect();
                store::set_blocks(tx.conn(), id, &keys).await?;
                for (place, score) in found {
                    let place = place as usize;
                    let (other_id, other) = if place < base {
                        (ids[place], linker.record(place as u32))
                    } else {
                        (batch_ids[place - base], &records[place - base])
                    };
                    let comparison = compare(record, other);
                    let text = serde_json::to_string(&comparison).unwrap_or_default();
                    store::insert_pair(tx.conn(), &district, id, other_id, score, &text, now)
                        .await?;
                    found_pairs += 1;
                }
            }
            for (record, id) in records.into_iter().zip(batch_ids) {
                linker.add(record);
                ids.push(id);
            }
        }
    }
    Ok(found_pairs)
}

/// How many arrivals are scored together, on every core, before they are
/// written and held.
const SCORED_TOGETHER: usize = 4_096;

/// What a full re-link of a district did.
#[derive(Debug, Clone, Serialize)]
pub struct Relinked {
    pub records: usize,
    /// Pairs at or above the threshold.
    pub pairs: usize,
    /// Of them, pairs not found before (those found before keep their
    /// state: a pair kept apart is not put again).
    pub new_pairs: usize,
}

/// A pair as a registrar reviews it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PairView {
    pub id: i64,
    pub district: String,
    /// The Fellegi–Sunter score (log₂ of the odds the two are one person).
    pub score: f64,
    pub comparison: Comparison,
    /// `open`, `merged` or `apart`.
    pub state: String,
    pub a: PersonView,
    pub b: PersonView,
    /// Which of the two the other was merged into, once merged.
    pub merged_into: Option<i64>,
    pub found_at: i64,
    pub decided_at: Option<i64>,
}

/// What a registrar decides of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum PairDecision {
    /// One person: the record without an identity number (or the newer)
    /// is merged into the other.
    Merge,
    /// Two persons: the pair is not put again.
    KeepApart,
    /// Undo a merge or a keeping apart: the pair is open again.
    Reopen,
}

/// The districts whose pairs `actor` reviews.
fn reviewed_districts(orgs: &OrgDirectory, actor: &Actor) -> Vec<OrgCode> {
    orgs.list
        .iter()
        .filter(|o| matches!(o.kind, OrgKind::District | OrgKind::County | OrgKind::Zone))
        .filter(|o| reviews(orgs, actor, &o.code))
        .map(|o| o.code.clone())
        .collect()
}

fn reviews(orgs: &OrgDirectory, actor: &Actor, district: &OrgCode) -> bool {
    crate::allow(
        orgs,
        actor,
        &Action::ReadResidents {
            community: district,
            district,
            purpose: ReadPurpose::RegistryReview,
        },
    )
    .is_ok()
}

fn no_pair() -> Refusal {
    Refusal::not_found("该候选对", "The pair")
}

async fn pair_view(
    conn: &mut sunshine_store::Conn,
    row: store::PairRow,
) -> Result<Option<(PairView, [Option<String>; 2])>> {
    let (Some((a, pa)), Some((b, pb))) = (
        store::person(conn, row.a).await?,
        store::person(conn, row.b).await?,
    ) else {
        return Ok(None);
    };
    let merged_into = match (
        store::merged_into(conn, a).await?,
        store::merged_into(conn, b).await?,
    ) {
        (Some(x), _) | (_, Some(x)) => Some(x),
        _ => None,
    };
    let numbers = [pa.id_number.clone(), pb.id_number.clone()];
    Ok(Some((
        PairView {
            id: row.id,
            district: row.district,
            score: row.score,
            comparison: serde_json::from_str(&row.comparison)
                .unwrap_or_else(|_| compare(&Record::of(&pa), &Record::of(&pb))),
            state: row.state,
            a: PersonView::of(a, &pa, ReadPurpose::RegistryReview),
            b: PersonView::of(b, &pb, ReadPurpose::RegistryReview),
            merged_into,
            found_at: row.found_at,
            decided_at: row.decided_at,
        },
        numbers,
    )))
}

impl App {
    /// Score every pair of a district's records again (after the weights or
    /// the threshold change, or records written before linkage): all
    /// records held in memory by block, the pairs kept in one write and
    /// journaled. For the district's registrar.
    pub async fn relink_registry(&self, actor: &Actor, district: &str) -> Result<Relinked> {
        let code = OrgCode::parse(district).map_err(|e| Refusal::field("district", e.zh, e.en))?;
        if !reviews(&self.orgs(), actor, &code) {
            return Err(Refusal::forbidden(
                "forbidden",
                "只有该区的人口登记员可以重新比对",
                "Only the district's registrar re-links its records",
            )
            .into());
        }
        let persons = {
            let mut conn = self.db.read().await?;
            store::persons_of_district(&mut conn, district).await?
        };
        let mut linker = Linker::new();
        for (_, p) in &persons {
            linker.add(Record::of(p));
        }
        let pairs = linker.relink(REVIEW_THRESHOLD);
        let found: Vec<(i64, i64, f64, String)> = pairs
            .iter()
            .map(|p| {
                let (a, b) = (&persons[p.a as usize], &persons[p.b as usize]);
                let comparison = compare(&Record::of(&a.1), &Record::of(&b.1));
                (
                    a.0,
                    b.0,
                    p.score,
                    serde_json::to_string(&comparison).unwrap_or_default(),
                )
            })
            .collect();
        let (now, actor, district) = (self.now_micros(), actor.clone(), district.to_string());
        let records = persons.len();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<Relinked> {
                let before = store::pair_count(tx.conn(), &district).await?;
                for (a, b, score, comparison) in &found {
                    store::insert_pair(tx.conn(), &district, *a, *b, *score, comparison, now)
                        .await?;
                }
                let after = store::pair_count(tx.conn(), &district).await?;
                let report = Relinked {
                    records,
                    pairs: found.len(),
                    new_pairs: (after - before).max(0) as usize,
                };
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("registry/district/{district}"),
                        "registry.relinked",
                        json!(report),
                    ),
                )
                .await?;
                Ok(report)
            })
            .await
    }

    /// The pairs of the districts `actor` reviews as a registrar: `open`
    /// ones, the likeliest first, or the `decided` ones, the latest first.
    /// Both records of each pair are shown for review, a journaled read.
    pub async fn registry_pairs(&self, actor: &Actor, decided: bool) -> Result<Vec<PairView>> {
        let orgs = self.orgs();
        let districts = reviewed_districts(&orgs, actor);
        if districts.is_empty() {
            return Err(Refusal::forbidden(
                "forbidden",
                "只有区人口登记员审核疑似重复的人员",
                "Only a district's registrar reviews persons who may be recorded twice",
            )
            .into());
        }
        let mut views = vec![];
        let mut persons = vec![];
        {
            let mut conn = self.db.read().await?;
            for d in &districts {
                let states: &[&str] = if decided {
                    &["merged", "apart"]
                } else {
                    &["open"]
                };
                for state in states {
                    for row in store::pairs(&mut conn, d.as_str(), state, 100).await? {
                        if let Some((view, numbers)) = pair_view(&mut conn, row).await? {
                            for number in numbers {
                                persons.push(ReadOf {
                                    user: None,
                                    number,
                                    what: format!("#{}", view.id),
                                });
                            }
                            views.push(view);
                        }
                    }
                }
            }
        }
        if !views.is_empty() {
            let read = StaffRead {
                subject: "registry/pairs".into(),
                kind: ReadKind::RegistryRecord,
                purpose: ReadPurpose::RegistryReview,
                payload: json!({"pairs": views.iter().map(|v| v.id).collect::<Vec<_>>()}),
                persons,
            };
            self.record_staff_read(actor, read).await?;
        }
        if decided {
            views.sort_by_key(|v| std::cmp::Reverse(v.decided_at));
        }
        Ok(views)
    }

    /// Merge a pair, keep it apart, or undo either; journaled.
    pub async fn decide_registry_pair(
        &self,
        actor: &Actor,
        id: i64,
        decision: PairDecision,
    ) -> Result<PairView> {
        let (orgs, now, actor) = (self.orgs(), self.now_micros(), actor.clone());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<PairView> {
                let row = store::pair(tx.conn(), id).await?.ok_or_else(no_pair)?;
                let district = OrgCode::parse(&row.district).map_err(|_| no_pair())?;
                if !reviews(&orgs, &actor, &district) {
                    return Err(no_pair().into());
                }
                let stale = || {
                    Refusal::conflict(
                        "pair_decided",
                        "该候选对已被处理，请刷新后再试",
                        "The pair has been decided meanwhile: look again",
                    )
                };
                let (event, details) = match decision {
                    PairDecision::Merge => {
                        let (a, b) = (
                            store::person(tx.conn(), row.a).await?.ok_or_else(no_pair)?,
                            store::person(tx.conn(), row.b).await?.ok_or_else(no_pair)?,
                        );
                        if store::merged_into(tx.conn(), a.0).await?.is_some()
                            || store::merged_into(tx.conn(), b.0).await?.is_some()
                        {
                            return Err(Refusal::conflict(
                                "already_merged",
                                "其中一条记录已并入其他记录",
                                "One of the records has been merged into another already",
                            )
                            .into());
                        }
                        // The record with a number stands; else the older.
                        let (into, from) = match (&a.1.id_number, &b.1.id_number) {
                            (None, Some(_)) => (b.0, a.0),
                            _ => (a.0.min(b.0), a.0.max(b.0)),
                        };
                        if !store::set_pair_state(
                            tx.conn(),
                            id,
                            "open",
                            "merged",
                            actor.user_id,
                            now,
                        )
                        .await?
                        {
                            return Err(stale().into());
                        }
                        store::set_merged(tx.conn(), from, Some(into), now).await?;
                        (
                            "registry.merged",
                            json!({"pair": id, "from": from, "into": into}),
                        )
                    }
                    PairDecision::KeepApart => {
                        if !store::set_pair_state(
                            tx.conn(),
                            id,
                            "open",
                            "apart",
                            actor.user_id,
                            now,
                        )
                        .await?
                        {
                            return Err(stale().into());
                        }
                        ("registry.kept_apart", json!({"pair": id}))
                    }
                    PairDecision::Reopen => {
                        let from = row.state.as_str();
                        if from == "open" {
                            return Err(Refusal::conflict(
                                "pair_open",
                                "该候选对尚未处理，无需撤销",
                                "The pair is open: there is nothing to undo",
                            )
                            .into());
                        }
                        if from == "merged" {
                            for (p, other) in [(row.a, row.b), (row.b, row.a)] {
                                if store::merged_into(tx.conn(), p).await? == Some(other) {
                                    store::set_merged(tx.conn(), p, None, now).await?;
                                }
                            }
                        }
                        if !store::set_pair_state(tx.conn(), id, from, "open", actor.user_id, now)
                            .await?
                        {
                            return Err(stale().into());
                        }
                        ("registry.pair_reopened", json!({"pair": id, "was": from}))
                    }
                };
                tx.journal(
                    now,
                    entry(&actor, format!("registry/pair/{id}"), event, details),
                )
                .await?;
                let row = store::pair(tx.conn(), id).await?.ok_or_else(no_pair)?;
                let (view, _) = pair_view(tx.conn(), row).await?.ok_or_else(no_pair)?;
                Ok(view)
            })
            .await
    }
}
