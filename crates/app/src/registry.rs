//! The community population registry (社区人口基础库): imports in the city's
//! layout, by community workers for their community and by registrars for
//! their district.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sunshine_domain::identity::Actor;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{Refusal, Text};
use sunshine_domain::registry::import::{self, CellError, Row};
use sunshine_domain::registry::{CodeList, DivisionCode, Person, Standard};
use sunshine_store::registry as store;
use sunshine_store::WriteTx;

use crate::journal_entry::entry;
use crate::{App, Result};

mod corrections;
pub(crate) mod identity;
mod linkage;
mod named_reads;
mod reads;
mod standard;
mod statistics;

pub use corrections::{CorrectionForm, CorrectionView, Decision, MyRegistry};
pub use linkage::{PairDecision, PairView, Relinked};
pub use named_reads::{NamedReadDecision, NamedReadForm, NamedReadResult, NamedReadView};
pub use reads::{HouseholdSummary, HouseholdView, REGISTRY_PURPOSES};
pub(crate) use standard::StandardCell;
pub use standard::{CodeChangeForm, CodeChangeView, CodeListView, CodeView, StandardView};
pub use statistics::{Breakdown, BreakdownRow, Statistics};

/// The code lists the city's standard ships with (`data/registry/`).
pub fn city_standard() -> Standard {
    let list = |name: &str, text: &str| {
        CodeList::from_json(text).unwrap_or_else(|e| panic!("data/registry/{name}: {e}"))
    };
    Standard {
        relationships: list(
            "relationships.json",
            include_str!("../../../data/registry/relationships.json"),
        ),
        ethnicities: list(
            "ethnicities.json",
            include_str!("../../../data/registry/ethnicities.json"),
        ),
    }
}

/// What an import did, or would do on a dry run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Nothing was written: what the file would do.
    pub dry_run: bool,
    /// The import as recorded (none on a dry run).
    pub import_id: Option<i64>,
    pub rows: usize,
    /// Persons the registry did not hold.
    pub added: Vec<u64>,
    /// Persons held, whose record the file changes: the line and the columns.
    pub changed: Vec<ChangedRow>,
    /// Rows that match what is held.
    pub unchanged: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChangedRow {
    pub line: u64,
    pub columns: Vec<String>,
}

/// The person each row is, if the registry holds them: by identity
/// number, or, without one, by household, name and birth.
type Plan = Vec<(Row, Person, Option<(i64, Person)>)>;

/// The plan, and the members held in the households the file writes to.
async fn plan(
    conn: &mut sunshine_store::Conn,
    rows: Vec<Row>,
) -> Result<(Plan, Vec<import::HeldMember>)> {
    let numbers: Vec<String> = rows
        .iter()
        .filter_map(|r| r.id_number.as_ref().map(|i| i.as_str().to_string()))
        .collect();
    let by_number: BTreeMap<String, (i64, Person)> = store::persons_by_id_number(conn, &numbers)
        .await?
        .into_iter()
        .filter_map(|(id, p)| p.id_number.clone().map(|n| (n, (id, p))))
        .collect();
    let mut households: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &rows {
        households
            .entry(r.community.district().to_string())
            .or_default()
            .insert(r.household.clone());
    }
    // The members the registry holds in the households the file writes to.
    let mut members = vec![];
    for (district, numbers) in households {
        let numbers: Vec<String> = numbers.into_iter().collect();
        members.extend(store::members_of_households(conn, &district, &numbers).await?);
    }
    let unnumbered: Vec<&(i64, Person)> = members
        .iter()
        .filter(|(_, p)| p.id_number.is_none())
        .collect();
    let plan: Plan = rows
        .into_iter()
        .map(|row| {
            let person = row.person();
            let held = match &person.id_number {
                Some(n) => by_number.get(n).cloned(),
                None => unnumbered
                    .iter()
                    .find(|(_, held)| {
                        held.community.get(..6) == person.community.get(..6)
                            && held.is_same_unnumbered(&person)
                    })
                    .map(|found| (*found).clone()),
            };
            (row, person, held)
        })
        .collect();
    // And the households the persons the file restates live in now, which
    // they may be leaving.
    let mut leaving: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, found) in plan.iter().filter_map(|(_, _, h)| h.as_ref()) {
        let district = found.community.get(..6).unwrap_or_default();
        if !members
            .iter()
            .any(|(_, m)| m.household == found.household && m.community.get(..6) == Some(district))
        {
            leaving
                .entry(district.to_string())
                .or_default()
                .insert(found.household.clone());
        }
    }
    for (district, numbers) in leaving {
        let numbers: Vec<String> = numbers.into_iter().collect();
        members.extend(store::members_of_households(conn, &district, &numbers).await?);
    }
    let held: Vec<import::HeldMember> = members
        .iter()
        .map(|(id, p)| import::HeldMember {
            id: *id,
            district: p.community.get(..6).unwrap_or_default().to_string(),
            household: p.household.clone(),
            community: p.community.clone(),
            relationship: p.relationship.clone(),
        })
        .collect();
    Ok((plan, held))
}

/// Each household as the file leaves it has one head and one community,
/// with the members the registry holds that the file does not restate.
fn whole_households(plan: &Plan, held: &[import::HeldMember]) -> Result<()> {
    let paired: Vec<(&Row, Option<i64>)> = plan
        .iter()
        .map(|(row, _, found)| (row, found.as_ref().map(|(id, _)| *id)))
        .collect();
    let errors = import::check_households(&paired, held);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(refused(errors).into())
    }
}

fn report(plan: &Plan, dry_run: bool) -> ImportReport {
    let mut r = ImportReport {
        dry_run,
        import_id: None,
        rows: plan.len(),
        added: vec![],
        changed: vec![],
        unchanged: 0,
    };
    for (row, person, held) in plan {
        match held {
            None => r.added.push(row.line),
            Some((_, held)) => {
                let columns = held.changed_columns(person);
                if columns.is_empty() {
                    r.unchanged += 1;
                } else {
                    r.changed.push(ChangedRow {
                        line: row.line,
                        columns: columns.into_iter().map(str::to_string).collect(),
                    });
                }
            }
        }
    }
    r
}

fn refused(errors: Vec<CellError>) -> Refusal {
    let mut r = Refusal::invalid(
        "registry_import_rejected",
        "导入被拒绝：以下单元格有误，未导入任何记录",
        "Import rejected: the cells below are wrong, and nothing was imported",
    );
    for e in errors.into_iter().take(500) {
        let key = if e.column.is_empty() {
            format!("line {}", e.line)
        } else {
            format!("line {} {}", e.line, e.column)
        };
        match r.fields.entry(key) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(e.message);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                let t = o.get_mut();
                t.zh.push_str(&format!("；{}", e.message.zh));
                t.en.push_str(&format!("; {}", e.message.en));
            }
        }
    }
    r
}

/// Whether `actor` collects the records of `community`.
pub(crate) fn collects(
    orgs: &crate::OrgDirectory,
    actor: &Actor,
    community: &DivisionCode,
) -> bool {
    let (org, district) = (community.org(), community.district_org());
    crate::allow(
        orgs,
        actor,
        &Action::CollectResidents {
            community: &org,
            district: &district,
        },
    )
    .is_ok()
}

/// The rows that would change a person held in a community `actor` does
/// not collect for: another community's record is not changed, or moved,
/// from here.
fn held_elsewhere(plan: &Plan, orgs: &crate::OrgDirectory, actor: &Actor) -> Result<()> {
    let mut errors = vec![];
    for (row, _, held) in plan {
        let Some((_, held)) = held else { continue };
        let theirs = DivisionCode::parse(&held.community).is_ok_and(|c| collects(orgs, actor, &c));
        if !theirs {
            errors.push(CellError {
                line: row.line,
                column: import::COLUMNS[0].to_string(),
                message: Text::new(
                    "此人登记在您不采集的社区，迁入须由其所在区的登记员办理",
                    "This person is registered in a community you do not collect for; a move is for the registrar of their district",
                ),
            });
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    let mut r = refused(errors);
    r.kind = sunshine_domain::refusal::RefusalKind::Forbidden;
    r.code = "registry_held_elsewhere";
    r.message = Text::new(
        "导入被拒绝：以下行的人员登记在其他社区，未导入任何记录",
        "Import rejected: the persons on the rows below are registered in other communities, and nothing was imported",
    );
    Err(r.into())
}

/// No row takes a code the city has retired, unless it restates the
/// record that holds it (`import::retired_cells`).
fn no_retired_codes(plan: &Plan, standard: &Standard) -> Result<()> {
    let errors: Vec<CellError> = plan
        .iter()
        .flat_map(|(row, person, held)| {
            import::retired_cells(standard, row.line, person, held.as_ref().map(|(_, h)| h))
        })
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    Err(refused(errors).into())
}

impl App {
    /// Import a file in the city's layout: every row to the standard and
    /// for a community the actor collects for, or nothing written. A dry
    /// run says what the file would add and change, and writes nothing.
    pub async fn import_registry(
        &self,
        actor: &Actor,
        bytes: &[u8],
        dry_run: bool,
    ) -> Result<ImportReport> {
        let today = self.clock.today();
        let standard = self.reload_registry_standard().await?;
        let rows = import::parse(bytes, &standard, today).map_err(refused)?;
        let orgs = self.orgs();
        let mut not_theirs = vec![];
        let mut checked = BTreeMap::new();
        for r in &rows {
            let allowed = *checked
                .entry(r.community.clone())
                .or_insert_with(|| collects(&orgs, actor, &r.community));
            if !allowed {
                not_theirs.push(CellError {
                    line: r.line,
                    column: import::COLUMNS[7].to_string(),
                    message: Text::new(
                        format!("您不采集社区{}的记录", r.community),
                        format!(
                            "You do not collect the records of community {}",
                            r.community
                        ),
                    ),
                });
            }
        }
        if !not_theirs.is_empty() {
            let mut r = refused(not_theirs);
            r.kind = sunshine_domain::refusal::RefusalKind::Forbidden;
            r.code = "registry_not_your_community";
            r.message = Text::new(
                "导入被拒绝：以下行的社区不在您的采集范围内，未导入任何记录",
                "Import rejected: the rows below are for communities you do not collect for, and nothing was imported",
            );
            return Err(r.into());
        }
        if dry_run {
            let mut conn = self.db.read().await?;
            let (plan, held) = plan(&mut conn, rows).await?;
            no_retired_codes(&plan, &standard)?;
            held_elsewhere(&plan, &orgs, actor)?;
            whole_households(&plan, &held)?;
            return Ok(report(&plan, true));
        }
        let sha256 = hex::encode(Sha256::digest(bytes));
        let (now, today) = (self.now_micros(), today.to_string());
        let actor = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<ImportReport> {
                let (plan, held) = plan(tx.conn(), rows).await?;
                let standard = standard::folded(
                    &sunshine_store::registry::standard::changes(tx.conn()).await?,
                );
                no_retired_codes(&plan, &standard)?;
                held_elsewhere(&plan, &orgs, &actor)?;
                whole_households(&plan, &held)?;
                let summary = report(&plan, false);
                let import_id = store::insert_import(
                    tx.conn(),
                    actor.user_id,
                    now,
                    &sha256,
                    plan.len() as i64,
                    summary.added.len() as i64,
                    summary.changed.len() as i64,
                )
                .await?;
                let mut communities = BTreeSet::new();
                let mut written = vec![];
                for (row, person, held) in &plan {
                    communities.insert(row.community.to_string());
                    let district = row.community.district();
                    let household = store::household(
                        tx.conn(),
                        district,
                        &row.household,
                        row.community.as_str(),
                        &today,
                        now,
                    )
                    .await?;
                    let year = i64::from(row.birth.year());
                    match held {
                        None => {
                            let id = store::insert_person(
                                tx.conn(),
                                person,
                                year,
                                household,
                                import_id,
                                &today,
                                now,
                            )
                            .await?;
                            written.push((id, person.clone()));
                        }
                        Some((id, held)) if held != person => {
                            store::update_person(
                                tx.conn(),
                                *id,
                                held,
                                person,
                                year,
                                household,
                                Some(import_id),
                                &today,
                                now,
                            )
                            .await?;
                            written.push((*id, person.clone()));
                        }
                        Some(_) => {}
                    }
                }
                let pairs = linkage::link_arrivals(tx, &written, now).await?;
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("registry/import/{import_id}"),
                        "registry.imported",
                        json!({"sha256": sha256, "rows": plan.len(), "added": summary.added.len(),
                            "changed": summary.changed.len(), "unchanged": summary.unchanged,
                            "communities": communities, "pairs_for_review": pairs}),
                    ),
                )
                .await?;
                Ok(ImportReport {
                    import_id: Some(import_id),
                    ..summary
                })
            })
            .await
    }
}
