//! The catalogue's commands and queries.

mod across;
pub mod io;
mod view;

pub use view::{PanoramaCount, VersionFilter, VersionRow, VersionSummary};

use jiff::civil::Date;
use serde::Serialize;
use serde_json::json;
use sunshine_domain::catalog::{self as rules, ItemSpec, ItemType, VersionState, WorkflowStep};
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{FieldErrors, Refusal};
use sunshine_store::catalog as store;
use sunshine_store::WriteTx;

use crate::journal_entry::entry;
use crate::{allow, App, Result};

/// The journal subject of an item.
pub fn subject(item_id: i64) -> String {
    format!("item/{item_id}")
}

/// The government that approves items of a region: the city or the district.
pub fn region_government(spec: &ItemSpec) -> OrgCode {
    OrgCode::parse(spec.region.as_str()).unwrap_or_else(|_| spec.implementing_body.clone())
}

/// A page of results and the total.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

impl App {
    /// Check that the bodies an item names exist in the organisation tree.
    fn check_bodies(&self, spec: &ItemSpec) -> Result<()> {
        let orgs = self.orgs();
        let mut e = FieldErrors::default();
        for (field, org) in [
            ("implementing_body", &spec.implementing_body),
            ("accepting_body", &spec.accepting_body),
            ("deciding_body", &spec.deciding_body),
        ] {
            if !orgs.tree.contains(org) {
                e.add(
                    field,
                    format!("机构{org}不存在"),
                    format!("No organisation {org}"),
                );
            }
        }
        if !orgs.tree.contains(&region_government(spec)) {
            e.add(
                "region",
                "该区划没有对应的政府机构",
                "The region has no government in the platform",
            );
        }
        Ok(e.check()?)
    }

    /// Items are drafted and solidified in the city's catalogue, whose ids
    /// a district's platform keeps for the items it receives: a district
    /// drafts none of its own. (A demo's district is seeded from the same
    /// list as the city, so its ids agree with the city's.)
    pub(crate) async fn catalogue_kept_here(&self) -> Result<()> {
        let district = self.platform().is_some_and(|p| p.district().is_some());
        if district && !crate::demo::is_demo(self).await? {
            return Err(Refusal::conflict(
                "catalogued_at_city",
                "权力事项在市级平台的权力事项库编制和固化，再下发到本区县平台",
                "Power items are drafted and solidified in the city platform's catalogue, which sends them down here",
            )
            .into());
        }
        Ok(())
    }

    /// 编制: a new item, as version 1 in draft.
    pub async fn create_item(&self, actor: &Actor, spec: ItemSpec) -> Result<VersionRow> {
        self.catalogue_kept_here().await?;
        spec.validate()?;
        self.check_bodies(&spec)?;
        self.authorize(
            actor,
            &Action::DraftItem {
                implementing_body: &spec.implementing_body,
            },
        )?;
        let now = self.now_micros();
        let actor = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<store::VersionRow> {
                let (_, version_id, _) =
                    insert_new_item(tx, &actor, &spec, VersionState::Draft, 1, None, now).await?;
                load(tx, version_id).await
            })
            .await
            .map(VersionRow::from)
    }

    /// Edit a draft. The code and region identify the item and stay as they are.
    pub async fn update_draft(
        &self,
        actor: &Actor,
        version_id: i64,
        spec: ItemSpec,
    ) -> Result<VersionRow> {
        spec.validate()?;
        self.check_bodies(&spec)?;
        let now = self.now_micros();
        let (actor, orgs) = (actor.clone(), self.orgs());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<store::VersionRow> {
                    let current = load(tx, version_id).await?;
                    allow(&orgs, &actor, &Action::DraftItem { implementing_body: &current.spec.implementing_body })?;
                    allow(&orgs, &actor, &Action::DraftItem { implementing_body: &spec.implementing_body })?;
                    rules::may_edit(current.state)?;
                    if spec.code != current.spec.code || spec.region != current.spec.region {
                        return Err(Refusal::field("code", "事项编码和区划不能修改；请新建事项", "The code and region of an item cannot change; create a new item").into());
                    }
                    store::update_spec(tx.conn(), version_id, &spec, now).await?;
                    let payload = json!({"version_id": version_id, "version_no": current.version_no, "name": spec.name});
                    tx.journal(now, entry(&actor, subject(current.item_id), "catalog.draft_updated", payload)).await?;
                    load(tx, version_id).await
                })
            .await
            .map(VersionRow::from)
    }

    /// The workflow steps `actor` may take on `version` now: allowed by the
    /// policy for its item and by the workflow from its state.
    pub fn steps_open_to(&self, actor: &Actor, version: &VersionRow) -> Vec<WorkflowStep> {
        let today = self.clock.today();
        let government = region_government(&version.spec);
        [
            WorkflowStep::Declare,
            WorkflowStep::Review,
            WorkflowStep::Approve,
            WorkflowStep::Publish { effective: today },
            WorkflowStep::Return {
                reason: String::new(),
            },
        ]
        .into_iter()
        .filter(|step| {
            self.authorize(actor, &step_action(&version.spec, &government, step))
                .is_ok()
                && rules::next_state(version.state, step, today).is_ok()
        })
        .collect()
    }

    /// One step of the solidification workflow, by whoever the policy allows.
    pub async fn workflow_step(
        &self,
        actor: &Actor,
        version_id: i64,
        step: WorkflowStep,
    ) -> Result<VersionRow> {
        let now = self.now_micros();
        let today = self.clock.today();
        let (actor, orgs) = (actor.clone(), self.orgs());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<store::VersionRow> {
                    let current = load(tx, version_id).await?;
                    let spec = &current.spec;
                    let government = region_government(spec);
                    allow(&orgs, &actor, &step_action(spec, &government, &step))?;
                    let next = rules::next_state(current.state, &step, today)?;
                    apply_state(tx, &current, next, &step, today, now).await?;
                    let mut payload = json!({"version_id": version_id, "version_no": current.version_no, "from": current.state.as_str(), "to": next.as_str()});
                    match &step {
                        WorkflowStep::Publish { effective } => payload["effective_date"] = json!(effective.to_string()),
                        WorkflowStep::Return { reason } => payload["reason"] = json!(reason),
                        _ => {}
                    }
                    let e = tx.journal(now, entry(&actor, subject(current.item_id), step.event_type(), payload)).await?;
                    if sunshine_domain::exchange::in_library(next) {
                        across::send_down(tx, &e, current.item_id).await?;
                    }
                    load(tx, version_id).await
                })
            .await
            .map(VersionRow::from)
    }

    /// Open a new draft of an item beside its published version.
    pub async fn open_new_version(&self, actor: &Actor, item_id: i64) -> Result<VersionRow> {
        self.catalogue_kept_here().await?;
        let now = self.now_micros();
        let (actor, orgs) = (actor.clone(), self.orgs());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<store::VersionRow> {
                    let versions = store::versions_of(tx.conn(), item_id).await?;
                    let Some(latest) = versions.last() else {
                        return Err(Refusal::not_found("事项", "Item").into());
                    };
                    allow(&orgs, &actor, &Action::DraftItem { implementing_body: &latest.spec.implementing_body })?;
                    let states: Vec<VersionState> = versions.iter().map(|v| v.state).collect();
                    rules::may_open_new_version(&states)?;
                    let version_no = latest.version_no + 1;
                    let id = store::insert_version(tx.conn(), item_id, version_no, VersionState::Draft, &latest.spec, now).await?;
                    let payload = json!({"version_id": id, "version_no": version_no, "from_version": latest.version_no});
                    tx.journal(now, entry(&actor, subject(item_id), "catalog.version_opened", payload)).await?;
                    load(tx, id).await
                })
            .await
            .map(VersionRow::from)
    }

    /// A version, for staff.
    pub async fn version(&self, actor: &Actor, version_id: i64) -> Result<VersionRow> {
        self.authorize(actor, &Action::ViewStaffCatalog)?;
        let mut conn = self.db.read().await?;
        store::get_version(&mut conn, version_id)
            .await?
            .map(VersionRow::from)
            .ok_or_else(|| Refusal::not_found("事项版本", "Item version").into())
    }

    /// Every version of an item, for staff.
    pub async fn item_versions(&self, actor: &Actor, item_id: i64) -> Result<Vec<VersionRow>> {
        self.authorize(actor, &Action::ViewStaffCatalog)?;
        let mut conn = self.db.read().await?;
        let versions = store::versions_of(&mut conn, item_id).await?;
        Ok(versions.into_iter().map(VersionRow::from).collect())
    }

    /// Versions for the staff workbench (any state, sensitive included).
    pub async fn staff_versions(
        &self,
        actor: &Actor,
        mut filter: VersionFilter,
    ) -> Result<Page<VersionSummary>> {
        self.authorize(actor, &Action::ViewStaffCatalog)?;
        filter.public_only = false;
        self.list(filter).await
    }

    /// The public catalogue: items in the library, never sensitive ones.
    pub async fn public_items(&self, mut filter: VersionFilter) -> Result<Page<VersionSummary>> {
        filter.public_only = true;
        filter.state = None;
        self.list(filter).await
    }

    async fn list(&self, filter: VersionFilter) -> Result<Page<VersionSummary>> {
        let mut conn = self.db.read().await?;
        let (limit, offset) = (filter.limit, filter.offset);
        let (items, total) = store::list_versions(&mut conn, &filter.into()).await?;
        Ok(Page {
            items: items.into_iter().map(VersionSummary::from).collect(),
            total,
            limit,
            offset,
        })
    }

    /// The public guide of an item: its version in the library, unless sensitive.
    pub async fn public_item(&self, item_id: i64) -> Result<VersionRow> {
        let mut conn = self.db.read().await?;
        match store::current_version(&mut conn, item_id).await? {
            Some(v) if !v.spec.sensitive && v.state == VersionState::InLibrary => Ok(v.into()),
            _ => Err(Refusal::not_found("事项", "Item").into()),
        }
    }

    /// 全景视图: counts of every item's latest version by region, department, type and state.
    pub async fn panorama(&self, actor: &Actor) -> Result<Panorama> {
        self.authorize(actor, &Action::ViewStaffCatalog)?;
        let mut conn = self.db.read().await?;
        let cells = store::panorama(&mut conn).await?;
        Ok(Panorama::from_cells(
            cells.into_iter().map(PanoramaCount::from).collect(),
        ))
    }
}

/// What the policy is asked before `step` on an item of `spec`.
fn step_action<'a>(spec: &'a ItemSpec, government: &'a OrgCode, step: &WorkflowStep) -> Action<'a> {
    let body = &spec.implementing_body;
    match step {
        WorkflowStep::Declare => Action::DeclareItem {
            implementing_body: body,
        },
        WorkflowStep::Review => Action::ReviewItem {
            implementing_body: body,
        },
        WorkflowStep::Approve => Action::ApproveItem {
            region_government: government,
        },
        WorkflowStep::Publish { .. } => Action::PublishItem {
            region_government: government,
        },
        WorkflowStep::Return { .. } => Action::ReturnItem {
            implementing_body: body,
            region_government: government,
        },
    }
}

/// The panoramic view with its totals.
#[derive(Debug, Clone, Serialize)]
pub struct Panorama {
    pub cells: Vec<PanoramaCount>,
    pub total: i64,
    pub by_state: Vec<(String, i64)>,
    pub by_type: Vec<(String, i64)>,
    pub by_region: Vec<(String, i64)>,
    pub by_department: Vec<(String, i64)>,
}

impl Panorama {
    fn from_cells(cells: Vec<PanoramaCount>) -> Panorama {
        let sum = |key: &dyn Fn(&PanoramaCount) -> String| {
            let mut m = std::collections::BTreeMap::<String, i64>::new();
            for c in &cells {
                *m.entry(key(c)).or_default() += c.count;
            }
            m.into_iter().collect::<Vec<_>>()
        };
        Panorama {
            total: cells.iter().map(|c| c.count).sum(),
            by_state: sum(&|c| c.state.clone()),
            by_type: sum(&|c| c.item_type.clone()),
            by_region: sum(&|c| c.region.clone()),
            by_department: sum(&|c| c.implementing_body.clone()),
            cells,
        }
    }
}

async fn load(tx: &mut WriteTx, version_id: i64) -> Result<store::VersionRow> {
    store::get_version(tx.conn(), version_id)
        .await?
        .ok_or_else(|| Refusal::not_found("事项版本", "Item version").into())
}

/// Write the new state. A version that enters the library in force today
/// supersedes the one it replaces; one with a later effective date waits in
/// the library and is put in force on its date by [`App::put_due_versions_in_force`].
async fn apply_state(
    tx: &mut WriteTx,
    current: &store::VersionRow,
    next: VersionState,
    step: &WorkflowStep,
    today: Date,
    now: i64,
) -> Result<()> {
    let (effective, reason) = match step {
        WorkflowStep::Publish { effective } => (Some(*effective), None),
        WorkflowStep::Return { reason } => (None, Some(reason.as_str())),
        _ => (None, None),
    };
    store::set_state(tx.conn(), current.id, next, effective, reason, now).await?;
    if next == VersionState::InLibrary && effective.is_some_and(|d| d <= today) {
        put_in_force(
            tx,
            current.item_id,
            current.id,
            current.current_version,
            now,
        )
        .await?;
    }
    Ok(())
}

/// After an import: the newest version in the library whose date has come is in force.
pub(crate) async fn set_in_force_after_import(
    tx: &mut WriteTx,
    item_id: i64,
    versions: &[(i64, i64, VersionState, Option<Date>)],
    today: Date,
) -> Result<()> {
    let in_force = versions
        .iter()
        .filter(|(_, _, state, eff)| {
            *state == VersionState::InLibrary && eff.is_some_and(|d| d <= today)
        })
        .max_by_key(|(_, no, _, _)| *no);
    if let Some((id, _, _, _)) = in_force {
        store::set_current_version(tx.conn(), item_id, *id).await?;
    }
    Ok(())
}

/// Make a version the item's version in force, superseding the one before.
async fn put_in_force(
    tx: &mut WriteTx,
    item_id: i64,
    version_id: i64,
    previous: Option<i64>,
    now: i64,
) -> Result<()> {
    if let Some(old) = previous.filter(|old| *old != version_id) {
        store::set_state(tx.conn(), old, VersionState::Superseded, None, None, now).await?;
    }
    store::set_current_version(tx.conn(), item_id, version_id).await?;
    Ok(())
}

impl App {
    /// Put in force every version whose effective date has come: run at start
    /// and by the serving process once a minute. Each is one journaled change.
    pub async fn put_due_versions_in_force(&self) -> Result<usize> {
        let today = self.clock.today();
        let due = {
            let mut conn = self.db.read().await?;
            store::due_versions(&mut conn, today).await?
        };
        let mut done = 0;
        for (item_id, version_id) in due {
            let now = self.now_micros();
            let put = self
                .db
                .write(async move |tx: &mut WriteTx| -> Result<bool> {
                        // Look again inside the transaction: another process may have done it.
                        let Some(v) = store::get_version(tx.conn(), version_id).await? else { return Ok(false) };
                        let newer_in_force = match v.current_version {
                            Some(c) => store::get_version(tx.conn(), c).await?.is_some_and(|c| c.version_no >= v.version_no),
                            None => false,
                        };
                        if v.state != VersionState::InLibrary || newer_in_force || v.effective_date.is_none_or(|d| d > today) {
                            return Ok(false);
                        }
                        put_in_force(tx, item_id, version_id, v.current_version, now).await?;
                        let payload = json!({"version_id": version_id, "version_no": v.version_no, "effective_date": v.effective_date.map(|d| d.to_string())});
                        let e = tx.journal(now, entry(&crate::journal_entry::system_actor(), subject(item_id), "catalog.version_in_force", payload)).await?;
                        across::send_down(tx, &e, item_id).await?;
                        Ok(true)
                    })
                .await?;
            done += usize::from(put);
        }
        Ok(done)
    }
}

/// Insert an item and its first version in a given state (draft for the
/// editor; any state for an import), with its journal entry. Which version
/// is in force is the caller's to set. Returns (item, version, its entry).
pub(crate) async fn insert_new_item(
    tx: &mut WriteTx,
    actor: &Actor,
    spec: &ItemSpec,
    state: VersionState,
    version_no: i64,
    effective: Option<Date>,
    now: i64,
) -> Result<(i64, i64, sunshine_domain::journal::Entry)> {
    let item_id = match store::insert_item(tx.conn(), &spec.code, spec.region.as_str(), now).await {
        Err(sunshine_store::StoreError::Duplicate(_)) => {
            return Err(Refusal::field(
                "code",
                format!("事项编码{}在该区划已存在", spec.code),
                format!("The code {} already exists in this region", spec.code),
            )
            .into())
        }
        other => other?,
    };
    let event = if state == VersionState::Draft && version_no == 1 {
        "catalog.item_created"
    } else {
        "catalog.item_imported"
    };
    let (version_id, e) = insert_version_of(
        tx, actor, item_id, spec, state, version_no, effective, event, now,
    )
    .await?;
    Ok((item_id, version_id, e))
}

/// Insert a version of an item in a given state, with its journal entry.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_version_of(
    tx: &mut WriteTx,
    actor: &Actor,
    item_id: i64,
    spec: &ItemSpec,
    state: VersionState,
    version_no: i64,
    effective: Option<Date>,
    event: &'static str,
    now: i64,
) -> Result<(i64, sunshine_domain::journal::Entry)> {
    let version_id =
        store::insert_version(tx.conn(), item_id, version_no, state, spec, now).await?;
    if state != VersionState::Draft {
        store::set_state(tx.conn(), version_id, state, effective, None, now).await?;
    }
    let mut payload = json!({"version_id": version_id, "version_no": version_no, "code": spec.code, "name": spec.name, "state": state.as_str()});
    if let Some(d) = effective {
        payload["effective_date"] = json!(d.to_string());
    }
    let e = tx
        .journal(now, entry(actor, subject(item_id), event, payload))
        .await?;
    Ok((version_id, e))
}

/// Parse the query-string words of a filter, refusing unknown values.
pub fn parse_filter(
    state: Option<&str>,
    item_type: Option<&str>,
) -> Result<(Option<VersionState>, Option<ItemType>)> {
    let mut e = FieldErrors::default();
    let state = match state.filter(|s| !s.is_empty()) {
        Some(s) => VersionState::parse(s).or_else(|| {
            e.add("state", "未知的状态", "Unknown state");
            None
        }),
        None => None,
    };
    let item_type = match item_type.filter(|s| !s.is_empty()) {
        Some(s) => ItemType::parse(s).or_else(|| {
            e.add("type", "未知的事项类型", "Unknown item type");
            None
        }),
        None => None,
    };
    e.check()?;
    Ok((state, item_type))
}
