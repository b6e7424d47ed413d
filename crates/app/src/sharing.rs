//! Resource sharing (资源共享): the catalogue of the departments'
//! information resources, as every member of staff reads it, and what a
//! department does with its own — register and change a resource, publish
//! its rows. Subscriptions, keys and reads are in [`subscriptions`];
//! enterprise basic information in [`enterprise`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sunshine_domain::identity::Actor;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_domain::sharing::rows::{self, Column};
use sunshine_domain::sharing::subscription::SubscriptionState;
use sunshine_domain::sharing::{FieldSpec, ResourceSpec, SharingClass, UpdateCycle};
use sunshine_store::sharing::{self as store, ResourceEntry, ResourceRow};
use sunshine_store::{Conn, WriteTx};

use crate::journal_entry::entry;
use crate::{allow, App, OrgDirectory, Result};

pub mod enterprise;
pub mod subscriptions;

/// Where a resource's rows come from.
pub(crate) const FROM_ROWS: &str = "rows";
pub(crate) const FROM_ENTERPRISES: &str = "enterprise";

/// A new resource: its owner and its entry.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewResource {
    /// The owning department's code; the actor's own organisation if left out.
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(flatten)]
    pub spec: ResourceSpec,
}

/// A resource in the catalogue's list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResourceLine {
    pub id: i64,
    pub owner: String,
    pub owner_name: String,
    pub owner_name_en: String,
    pub name: String,
    pub class: SharingClass,
    pub cycle: UpdateCycle,
    pub fields: usize,
    /// Approved subscriptions.
    pub subscribers: usize,
    pub row_count: i64,
    pub updated_at: i64,
}

/// A resource's page: its entry, its data's state, its subscribers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResourceView {
    pub id: i64,
    pub owner: String,
    pub owner_name: String,
    pub owner_name_en: String,
    #[serde(flatten)]
    pub spec: ResourceSpec,
    /// `rows` (published by the owner) or `enterprise` (assembled from feeds).
    pub source: String,
    pub row_count: i64,
    pub data_at: Option<i64>,
    pub updated_at: i64,
    /// The signed-in member of staff catalogues it for its owner.
    pub may_edit: bool,
    /// The departments the signed-in member of staff may subscribe for
    /// (none when the resource is not shared).
    pub may_subscribe_for: Vec<String>,
    /// The owner's staff see every subscription; others their own.
    pub subscriptions: Vec<subscriptions::SubscriptionView>,
    /// For the owner's staff: the latest counts of tries to read it with a
    /// key that is nobody's, one per client and hour (none for anyone else).
    pub unknown_keys: Vec<UnknownKeyTries>,
}

/// Tries to read a resource with a key that is nobody's, from one client
/// in one hour.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnknownKeyTries {
    pub client: String,
    /// The hour's start (microseconds, UTC).
    pub hour: i64,
    pub attempts: i64,
    /// The last try (microseconds, UTC).
    pub last_at: i64,
}

/// How many counts of tries with unknown keys (one per client and hour,
/// the latest first) a resource's page shows.
const UNKNOWN_KEY_COUNTS: i64 = 50;

/// Searching the catalogue.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct CatalogueQuery {
    /// Words in the name, description or owner's name.
    #[serde(default)]
    pub q: Option<String>,
    /// The owning department's code (or a region's, for all beneath it).
    #[serde(default)]
    pub owner: Option<String>,
    /// `unconditional`, `conditional` or `not_shared`.
    #[serde(default)]
    pub class: Option<String>,
}

/// What a publication of rows did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublishedRows {
    pub resource_id: i64,
    pub rows: usize,
}

/// A kept resource read back, or the fault in what was kept.
pub(crate) fn spec_of(r: &ResourceRow) -> Result<ResourceSpec> {
    let fields: Vec<FieldSpec> =
        serde_json::from_str(&r.fields).map_err(|e| anyhow::anyhow!("resource {}: {e}", r.id))?;
    Ok(ResourceSpec {
        name: r.name.clone(),
        description: r.description.clone(),
        fields,
        cycle: UpdateCycle::parse(&r.cycle)
            .ok_or_else(|| anyhow::anyhow!("resource {}: cycle {}", r.id, r.cycle))?,
        class: SharingClass::parse(&r.class)
            .ok_or_else(|| anyhow::anyhow!("resource {}: class {}", r.id, r.class))?,
        basis: r.basis.clone(),
    })
}

pub(crate) fn resource_not_found() -> Refusal {
    Refusal::not_found("信息资源", "The resource")
}

/// A resource that must be there.
pub(crate) async fn resource_row(conn: &mut Conn, id: i64) -> Result<ResourceRow> {
    store::resource(conn, id)
        .await?
        .ok_or_else(|| resource_not_found().into())
}

/// A department named by code, which must be one.
pub(crate) fn department(orgs: &OrgDirectory, code: &str) -> Result<sunshine_domain::ids::OrgCode> {
    orgs.get(code.trim())
        .map(|o| o.code.clone())
        .ok_or_else(|| {
            Refusal::field("owner", "没有这个单位", "There is no such organisation").into()
        })
}

/// The organisations `actor` may subscribe for: those where it uses resources.
pub(crate) fn subscribing_orgs(orgs: &OrgDirectory, actor: &Actor) -> Vec<String> {
    orgs.list
        .iter()
        .filter(|o| {
            allow(
                orgs,
                actor,
                &Action::UseResources {
                    subscriber: &o.code,
                },
            )
            .is_ok()
        })
        .map(|o| o.code.to_string())
        .collect()
}

fn entry_of<'a>(owner: &'a str, spec: &'a ResourceSpec, fields: &'a str) -> ResourceEntry<'a> {
    ResourceEntry {
        owner,
        name: &spec.name,
        description: &spec.description,
        fields,
        cycle: spec.cycle.as_str(),
        class: spec.class.as_str(),
        basis: &spec.basis,
    }
}

/// A journal entry about a resource.
pub(crate) fn on_resource(
    who: &Actor,
    id: i64,
    event_type: &'static str,
    payload: serde_json::Value,
) -> sunshine_domain::journal::NewEntry {
    entry(who, format!("sharing/resource/{id}"), event_type, payload)
}

fn duplicate_name(e: crate::AppError) -> crate::AppError {
    match e.kind() {
        Some(sunshine_domain::refusal::RefusalKind::Conflict) => Refusal::field(
            "name",
            "本单位已有同名的信息资源",
            "The department already has a resource of this name",
        )
        .into(),
        _ => e,
    }
}

impl App {
    /// The catalogue, searched: for any member of staff.
    pub async fn sharing_catalogue(
        &self,
        actor: &Actor,
        query: &CatalogueQuery,
    ) -> Result<Vec<ResourceLine>> {
        let orgs = self.orgs();
        allow(&orgs, actor, &Action::ViewStaffCatalog)?;
        let class = match query
            .class
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => None,
            Some(c) => Some(SharingClass::parse(c).ok_or_else(|| {
                Refusal::field(
                    "class",
                    "没有这种共享类型",
                    "There is no such sharing class",
                )
            })?),
        };
        let words: Vec<String> = query
            .q
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let owner = query.owner.as_deref().map(str::trim).unwrap_or("");
        let mut conn = self.db.read().await?;
        let approved: BTreeMap<i64, usize> = store::subscriptions(&mut conn)
            .await?
            .into_iter()
            .filter(|s| s.state == SubscriptionState::Approved.as_str())
            .fold(BTreeMap::new(), |mut m, s| {
                *m.entry(s.resource_id).or_default() += 1;
                m
            });
        let mut lines = vec![];
        for r in store::resources(&mut conn).await? {
            let spec = spec_of(&r)?;
            let (owner_name, owner_name_en) =
                (orgs.name(&r.owner, "zh"), orgs.name(&r.owner, "en"));
            let haystack = format!(
                "{} {} {} {}",
                spec.name, spec.description, owner_name, owner_name_en
            )
            .to_lowercase();
            let wanted = words.iter().all(|w| haystack.contains(w.as_str()))
                && (owner.is_empty()
                    || r.owner == owner
                    || r.owner.starts_with(&format!("{owner}-")))
                && class.is_none_or(|c| c == spec.class);
            if !wanted {
                continue;
            }
            lines.push(ResourceLine {
                id: r.id,
                owner_name,
                owner_name_en,
                owner: r.owner,
                name: spec.name,
                class: spec.class,
                cycle: spec.cycle,
                fields: spec.fields.len(),
                subscribers: approved.get(&r.id).copied().unwrap_or(0),
                row_count: r.row_count,
                updated_at: r.updated_at,
            });
        }
        Ok(lines)
    }

    /// A resource with what the actor may do with it and the subscriptions
    /// it may see.
    pub async fn sharing_resource(&self, actor: &Actor, id: i64) -> Result<ResourceView> {
        let orgs = self.orgs();
        allow(&orgs, actor, &Action::ViewStaffCatalog)?;
        let mut conn = self.db.read().await?;
        let r = resource_row(&mut conn, id).await?;
        let spec = spec_of(&r)?;
        let owner = department(&orgs, &r.owner)?;
        let may_edit = allow(&orgs, actor, &Action::CatalogueResources { owner: &owner }).is_ok();
        let may_subscribe_for = if spec.class == SharingClass::NotShared {
            vec![]
        } else {
            subscribing_orgs(&orgs, actor)
                .into_iter()
                .filter(|o| *o != r.owner)
                .collect()
        };
        let rows = store::subscriptions_of(&mut conn, id).await?;
        let subscriptions = self
            .subscription_views(&mut conn, &orgs, actor, rows, &[(r.clone(), spec.clone())])
            .await?;
        let unknown_keys = if may_edit {
            store::unknown_keys_of(&mut conn, id, UNKNOWN_KEY_COUNTS)
                .await?
                .into_iter()
                .map(|u| UnknownKeyTries {
                    client: u.client,
                    hour: u.hour,
                    attempts: u.attempts,
                    last_at: u.last_at,
                })
                .collect()
        } else {
            vec![]
        };
        Ok(ResourceView {
            id: r.id,
            owner_name: orgs.name(&r.owner, "zh"),
            owner_name_en: orgs.name(&r.owner, "en"),
            owner: r.owner,
            spec,
            source: r.source,
            row_count: r.row_count,
            data_at: r.data_at,
            updated_at: r.updated_at,
            may_edit,
            may_subscribe_for,
            subscriptions,
            unknown_keys,
        })
    }

    /// A department registers a resource in the catalogue.
    pub async fn register_resource(
        &self,
        actor: &Actor,
        form: NewResource,
    ) -> Result<ResourceView> {
        let orgs = self.orgs();
        let owner_code = form
            .owner
            .clone()
            .or_else(|| actor.org.as_ref().map(ToString::to_string))
            .unwrap_or_default();
        let owner = department(&orgs, &owner_code)?;
        allow(&orgs, actor, &Action::CatalogueResources { owner: &owner })?;
        let spec = form.spec.check()?;
        let (now, who) = (self.now_micros(), actor.clone());
        let id = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<i64> {
                let fields = serde_json::to_string(&spec.fields).map_err(anyhow::Error::from)?;
                let owner = owner.to_string();
                let e = entry_of(&owner, &spec, &fields);
                let id = store::insert_resource(tx.conn(), &e, FROM_ROWS, who.user_id, now)
                    .await
                    .map_err(|e| duplicate_name(e.into()))?;
                tx.journal(
                    now,
                    on_resource(
                        &who,
                        id,
                        "sharing.resource_registered",
                        json!({"owner": owner, "spec": spec}),
                    ),
                )
                .await?;
                Ok(id)
            })
            .await?;
        self.sharing_resource(actor, id).await
    }

    /// The owner changes a resource's entry. A field that subscriptions
    /// read stays: a change that drops one is refused.
    pub async fn change_resource(
        &self,
        actor: &Actor,
        id: i64,
        spec: ResourceSpec,
    ) -> Result<ResourceView> {
        let orgs = self.orgs();
        allow(&orgs, actor, &Action::ViewStaffCatalog)?;
        let spec = spec.check()?;
        let (now, who, tree) = (self.now_micros(), actor.clone(), orgs.clone());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                let r = resource_row(tx.conn(), id).await?;
                let owner = department(&tree, &r.owner)?;
                allow(&tree, &who, &Action::CatalogueResources { owner: &owner })?;
                if r.source == FROM_ENTERPRISES && spec.fields != spec_of(&r)?.fields {
                    return Err(Refusal::field(
                        "fields",
                        "企业基础信息的信息项由三个部门的数据组成，不能更改",
                        "Enterprise basic information's fields are those of the three feeds and cannot change",
                    )
                    .into());
                }
                for s in store::subscriptions_of(tx.conn(), id).await? {
                    if s.state != SubscriptionState::Approved.as_str()
                        && s.state != SubscriptionState::Requested.as_str()
                    {
                        continue;
                    }
                    let read: Vec<String> =
                        serde_json::from_str(&s.fields).map_err(anyhow::Error::from)?;
                    if let Some(f) = read.iter().find(|f| !spec.fields.iter().any(|x| &x.name == *f)) {
                        return Err(Refusal::field(
                            "fields",
                            format!("信息项“{f}”已被订阅，不能删除"),
                            format!("The field \"{f}\" is subscribed to and cannot be dropped"),
                        )
                        .into());
                    }
                }
                let fields = serde_json::to_string(&spec.fields).map_err(anyhow::Error::from)?;
                let e = entry_of(&r.owner, &spec, &fields);
                store::update_resource(tx.conn(), id, &e, now)
                    .await
                    .map_err(|e| duplicate_name(e.into()))?;
                tx.journal(
                    now,
                    on_resource(&who, id,
                        "sharing.resource_changed",
                        json!({"spec": spec}),
                    ),
                )
                .await?;
                Ok(())
            })
            .await?;
        self.sharing_resource(actor, id).await
    }

    /// The owner publishes a resource's rows (JSON or CSV, checked against
    /// its fields), replacing the rows before: all or nothing.
    pub async fn publish_rows(&self, actor: &Actor, id: i64, body: &[u8]) -> Result<PublishedRows> {
        let orgs = self.orgs();
        let r = resource_row(&mut *self.db.read().await?, id).await?;
        let owner = department(&orgs, &r.owner)?;
        allow(&orgs, actor, &Action::CatalogueResources { owner: &owner })?;
        if r.source != FROM_ROWS {
            return Err(Refusal::conflict(
                "rows_from_feeds",
                "该资源的数据来自各部门报送，请通过报送接口提交",
                "This resource's rows come from the departments' feeds: submit a feed instead",
            )
            .into());
        }
        let spec = spec_of(&r)?;
        let columns: Vec<Column> = spec
            .fields
            .iter()
            .map(|f| Column::new(&f.name, &f.description, f.kind, false))
            .collect();
        let parsed = rows::parse(body, &columns).map_err(|e| rows::refused("rows_rejected", e))?;
        let data: Vec<String> = parsed
            .iter()
            .map(|r| serde_json::to_string(&r.values))
            .collect::<std::result::Result<_, _>>()
            .map_err(anyhow::Error::from)?;
        let n = data.len();
        let (now, who) = (self.now_micros(), actor.clone());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                store::replace_rows(tx.conn(), id, &data, now).await?;
                tx.journal(
                    now,
                    on_resource(
                        &who,
                        id,
                        "sharing.rows_published",
                        json!({"rows": data.len()}),
                    ),
                )
                .await?;
                Ok(())
            })
            .await?;
        Ok(PublishedRows {
            resource_id: id,
            rows: n,
        })
    }
}

/// People's names by account, looked up once each.
pub(crate) struct Names(BTreeMap<i64, String>);

impl Names {
    pub(crate) fn new() -> Names {
        Names(BTreeMap::new())
    }
    pub(crate) async fn of(&mut self, conn: &mut Conn, id: i64) -> Result<String> {
        if let Some(n) = self.0.get(&id) {
            return Ok(n.clone());
        }
        let name = sunshine_store::identity::find_user(conn, id)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        self.0.insert(id, name.clone());
        Ok(name)
    }
    pub(crate) async fn maybe(
        &mut self,
        conn: &mut Conn,
        id: Option<i64>,
    ) -> Result<Option<String>> {
        match id {
            Some(id) => Ok(Some(self.of(conn, id).await?)),
            None => Ok(None),
        }
    }
}

impl App {
    /// The organisations `actor` may register resources for, and those it
    /// may subscribe for: what the pages offer in their forms.
    pub fn sharing_orgs(&self, actor: &Actor) -> (Vec<String>, Vec<String>) {
        let orgs = self.orgs();
        let catalogues = self
            .departments_where(
                actor,
                &[|o| Action::CatalogueResources { owner: o }],
                resource_not_found,
            )
            .unwrap_or_default();
        (catalogues, subscribing_orgs(&orgs, actor))
    }
}
