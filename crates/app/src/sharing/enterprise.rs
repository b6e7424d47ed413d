//! Enterprise basic information (企业基础信息交换), the first shared
//! resource: the registering, tax and quality departments each submit their
//! feed; each enterprise's record is assembled again in the same write,
//! with the conflicts where feeds disagree; the feeds' departments resolve
//! them; subscribers read the records through keys like any resource's
//! rows; and an enterprise applying online finds its own record in the
//! form.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sunshine_domain::identity::{Actor, UserKind};
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_domain::sharing::enterprise::{
    self as rules, EnterpriseRecord, Feed, Resolution, Source,
};
use sunshine_domain::sharing::rows;
use sunshine_domain::sharing::{ResourceSpec, SharingClass, UpdateCycle};
use sunshine_store::sharing::enterprise::{self as store, ResolutionRow};
use sunshine_store::{Conn, WriteTx};

use super::{department, spec_of, FROM_ENTERPRISES};
use crate::journal_entry::entry;
use crate::{allow, App, OrgDirectory, Result};

/// The root administrator sets the resource up: its owner and the
/// department that submits each feed.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct EnterpriseSetup {
    /// The owning department (the registering one, as a rule).
    pub owner: String,
    pub registration: String,
    pub tax: String,
    pub quality: String,
    pub class: SharingClass,
    pub cycle: UpdateCycle,
    #[serde(default)]
    pub basis: String,
}

/// What a feed's submission did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedReport {
    pub feed: Feed,
    /// Rows taken.
    pub rows: usize,
    /// Enterprises held now, from every feed.
    pub enterprises: i64,
    /// Of the enterprises this submission touched, those with an open conflict.
    pub conflicted: Vec<String>,
}

/// One feed's value in a conflict, with the department that gave it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedValue {
    pub feed: Feed,
    pub department: String,
    pub department_name: String,
    pub department_name_en: String,
    pub value: String,
}

/// A disagreement, and whether the actor may settle it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConflictView {
    pub field: String,
    /// What the field is, in words (Chinese, as the feeds' departments write it).
    pub label: String,
    pub values: Vec<FeedValue>,
    pub may_resolve: bool,
}

/// An enterprise's record for the departments that feed or own it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnterpriseView {
    pub credit_code: String,
    pub values: BTreeMap<String, String>,
    pub conflicts: Vec<ConflictView>,
    pub feeds: Vec<Feed>,
}

/// An owner's choice between disagreeing values.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ResolveForm {
    pub field: String,
    pub value: String,
    pub reason: String,
}

/// Values for an application form from the enterprise's own record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Prefill {
    pub item_id: i64,
    /// The enterprise's credit code, when it is one bound to its account
    /// and the platform holds its record.
    pub credit_code: Option<String>,
    /// By the form's field keys; every value stays editable.
    pub values: BTreeMap<String, String>,
}

pub(crate) fn record_of(data: &str) -> Result<EnterpriseRecord> {
    Ok(serde_json::from_str(data).map_err(anyhow::Error::from)?)
}

fn not_set_up() -> Refusal {
    Refusal::conflict(
        "enterprise_sharing_not_set_up",
        "企业基础信息尚未设置报送部门",
        "Enterprise basic information has no feeds set up yet",
    )
}

/// Where the feeds come from and who owns the resource.
struct Setup {
    owner: String,
    feeds: BTreeMap<Feed, String>,
}

async fn setup_of(conn: &mut Conn) -> Result<Setup> {
    let resource = sunshine_store::sharing::enterprise_resource(conn)
        .await?
        .ok_or_else(not_set_up)?;
    let feeds = store::feed_orgs(conn)
        .await?
        .into_iter()
        .filter_map(|(f, org)| Some((Feed::parse(&f)?, org)))
        .collect();
    Ok(Setup {
        owner: resource.owner,
        feeds,
    })
}

impl Setup {
    /// Whether `actor` catalogues for one of `orgs`.
    fn catalogues_any<'a>(
        orgs: &OrgDirectory,
        actor: &Actor,
        mut codes: impl Iterator<Item = &'a String>,
    ) -> bool {
        codes.any(|c| {
            orgs.get(c).is_some_and(|o| {
                allow(orgs, actor, &Action::CatalogueResources { owner: &o.code }).is_ok()
            })
        })
    }

    /// The owner's staff and the feeding departments' see the records.
    fn may_see(&self, orgs: &OrgDirectory, actor: &Actor) -> bool {
        Self::catalogues_any(
            orgs,
            actor,
            std::iter::once(&self.owner).chain(self.feeds.values()),
        )
    }

    /// [`Setup::may_see`], or the policy's refusal.
    fn check_sees(&self, orgs: &OrgDirectory, actor: &Actor) -> Result<()> {
        if self.may_see(orgs, actor) {
            return Ok(());
        }
        let owner = department(orgs, &self.owner)?;
        allow(orgs, actor, &Action::CatalogueResources { owner: &owner })
    }

    /// The owner's staff and those of a department whose feed is in it.
    fn may_resolve(&self, orgs: &OrgDirectory, actor: &Actor, feeds: &[Feed]) -> bool {
        Self::catalogues_any(
            orgs,
            actor,
            std::iter::once(&self.owner).chain(feeds.iter().filter_map(|f| self.feeds.get(f))),
        )
    }

    fn view(&self, orgs: &OrgDirectory, actor: &Actor, r: EnterpriseRecord) -> EnterpriseView {
        let conflicts = r
            .conflicts
            .into_iter()
            .map(|c| {
                let feeds: Vec<Feed> = c.values.iter().map(|(f, _)| *f).collect();
                ConflictView {
                    may_resolve: self.may_resolve(orgs, actor, &feeds),
                    label: rules::fields()
                        .into_iter()
                        .find(|f| f.name == c.field)
                        .map(|f| f.description)
                        .unwrap_or_default(),
                    field: c.field,
                    values: c
                        .values
                        .into_iter()
                        .map(|(feed, value)| {
                            let d = self.feeds.get(&feed).cloned().unwrap_or_default();
                            FeedValue {
                                feed,
                                department_name: orgs.name(&d, "zh"),
                                department_name_en: orgs.name(&d, "en"),
                                department: d,
                                value,
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        EnterpriseView {
            credit_code: r.credit_code,
            values: r.values,
            conflicts,
            feeds: r.feeds,
        }
    }
}

/// What the feeds say of an enterprise now.
async fn sources(conn: &mut Conn, code: &str) -> Result<Vec<Source>> {
    let mut v = vec![];
    for (feed, data) in store::sources_of(conn, code).await? {
        let Some(feed) = Feed::parse(&feed) else {
            continue;
        };
        let values = serde_json::from_str(&data).map_err(anyhow::Error::from)?;
        v.push(Source { feed, values });
    }
    Ok(v)
}

/// Assemble an enterprise's record again from what is kept, and keep it.
async fn reassemble(conn: &mut Conn, code: &str, now: i64) -> Result<EnterpriseRecord> {
    let sources = sources(conn, code).await?;
    let mut resolutions = vec![];
    for r in store::resolutions_of(conn, code).await? {
        resolutions.push(Resolution {
            seen: serde_json::from_str(&r.seen).map_err(anyhow::Error::from)?,
            field: r.field,
            value: r.value,
            reason: r.reason,
        });
    }
    let record = rules::assemble(code, &sources, &resolutions);
    let data = serde_json::to_string(&record).map_err(anyhow::Error::from)?;
    store::put_record(conn, code, &data, record.conflicts.len() as i64, now).await?;
    Ok(record)
}

impl App {
    /// Set up enterprise basic information: the resource, owned by
    /// `owner`, and the department of each feed (a root administrator).
    pub async fn setup_enterprise_sharing(
        &self,
        actor: &Actor,
        setup: EnterpriseSetup,
    ) -> Result<super::ResourceView> {
        let orgs = self.orgs();
        allow(&orgs, actor, &Action::ConfigurePlatform)?;
        let owner = department(&orgs, &setup.owner)?;
        let mut feeds = vec![];
        for (feed, code) in [
            (Feed::Registration, &setup.registration),
            (Feed::Tax, &setup.tax),
            (Feed::Quality, &setup.quality),
        ] {
            let org = department(&orgs, code).map_err(|_| {
                Refusal::field(
                    feed.as_str(),
                    "没有这个单位",
                    "There is no such organisation",
                )
            })?;
            feeds.push((feed, org.to_string()));
        }
        let spec = ResourceSpec {
            name: "企业基础信息".into(),
            description: "以统一社会信用代码为标识，汇集市场监管部门的登记信息、税务部门的纳税信息和质监部门的组织机构代码与质量证书信息。".into(),
            fields: rules::fields(),
            cycle: setup.cycle,
            class: setup.class,
            basis: setup.basis,
        }
        .check()?;
        let (now, who) = (self.now_micros(), actor.clone());
        let id = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<i64> {
                let fields = serde_json::to_string(&spec.fields).map_err(anyhow::Error::from)?;
                let owner = owner.to_string();
                let e = super::entry_of(&owner, &spec, &fields);
                let id = match sunshine_store::sharing::enterprise_resource(tx.conn()).await? {
                    Some(r) if r.owner == owner => {
                        sunshine_store::sharing::update_resource(tx.conn(), r.id, &e, now).await?;
                        r.id
                    }
                    Some(_) => {
                        return Err(Refusal::conflict(
                            "enterprise_owner_fixed",
                            "企业基础信息已由另一部门负责",
                            "Enterprise basic information is owned by another department already",
                        )
                        .into())
                    }
                    None => {
                        sunshine_store::sharing::insert_resource(
                            tx.conn(),
                            &e,
                            FROM_ENTERPRISES,
                            who.user_id,
                            now,
                        )
                        .await?
                    }
                };
                for (feed, org) in &feeds {
                    store::set_feed_org(tx.conn(), feed.as_str(), org).await?;
                }
                let count = store::record_count(tx.conn()).await?;
                sunshine_store::sharing::set_row_count(tx.conn(), id, count, now).await?;
                tx.journal(
                    now,
                    super::on_resource(&who, id,
                        "sharing.enterprise_set_up",
                        json!({"owner": owner, "feeds": feeds.iter().map(|(f, o)| (f.as_str(), o)).collect::<BTreeMap<_, _>>(),
                            "class": spec.class, "cycle": spec.cycle}),
                    ),
                )
                .await?;
                Ok(id)
            })
            .await?;
        self.sharing_resource(actor, id).await
    }

    /// A department submits its feed (JSON or CSV rows): every row checked
    /// first, then each enterprise's source kept and its record assembled
    /// again, all in one write.
    pub async fn submit_enterprise_feed(
        &self,
        actor: &Actor,
        feed: &str,
        body: &[u8],
    ) -> Result<FeedReport> {
        let feed = Feed::parse(feed)
            .ok_or_else(|| Refusal::field("feed", "没有这种报送数据", "There is no such feed"))?;
        let orgs = self.orgs();
        let setup = setup_of(&mut *self.db.read().await?).await?;
        let org = setup.feeds.get(&feed).ok_or_else(not_set_up)?;
        let org = department(&orgs, org)?;
        allow(&orgs, actor, &Action::CatalogueResources { owner: &org })?;
        let parsed = rules::parse_feed(feed, body)
            .map_err(|e| rows::refused("enterprise_feed_rejected", e))?;
        let (now, who) = (self.now_micros(), actor.clone());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<FeedReport> {
                let mut conflicted = vec![];
                for row in &parsed {
                    let code = row.values.get("credit_code").cloned().unwrap_or_default();
                    let data = serde_json::to_string(&row.values).map_err(anyhow::Error::from)?;
                    store::put_source(tx.conn(), &code, feed.as_str(), &data, who.user_id, now)
                        .await?;
                    if !reassemble(tx.conn(), &code, now)
                        .await?
                        .conflicts
                        .is_empty()
                    {
                        conflicted.push(code);
                    }
                }
                let enterprises = store::record_count(tx.conn()).await?;
                if let Some(r) = sunshine_store::sharing::enterprise_resource(tx.conn()).await? {
                    sunshine_store::sharing::set_row_count(tx.conn(), r.id, enterprises, now)
                        .await?;
                }
                tx.journal(
                    now,
                    entry(
                        &who,
                        format!("sharing/enterprise/feed/{}", feed.as_str()),
                        "sharing.enterprise_feed_submitted",
                        json!({"rows": parsed.len(), "conflicted": conflicted}),
                    ),
                )
                .await?;
                Ok(FeedReport {
                    feed,
                    rows: parsed.len(),
                    enterprises,
                    conflicted,
                })
            })
            .await
    }

    /// The records whose feeds disagree, for the owner's and the feeding
    /// departments' staff.
    pub async fn enterprise_conflicts(&self, actor: &Actor) -> Result<Vec<EnterpriseView>> {
        let orgs = self.orgs();
        let mut conn = self.db.read().await?;
        let setup = setup_of(&mut conn).await?;
        setup.check_sees(&orgs, actor)?;
        store::conflicted(&mut conn, 500)
            .await?
            .iter()
            .map(|d| Ok(setup.view(&orgs, actor, record_of(d)?)))
            .collect()
    }

    /// Whether `actor` may see enterprise records and their conflicts: the
    /// pages offer the place only then.
    pub async fn sees_enterprise_records(&self, actor: &Actor) -> bool {
        let Ok(mut conn) = self.db.read().await else {
            return false;
        };
        match setup_of(&mut conn).await {
            Ok(setup) => setup.may_see(&self.orgs(), actor),
            Err(_) => false,
        }
    }

    /// One enterprise's record, for the same staff.
    pub async fn enterprise_record(&self, actor: &Actor, code: &str) -> Result<EnterpriseView> {
        let orgs = self.orgs();
        let mut conn = self.db.read().await?;
        let setup = setup_of(&mut conn).await?;
        setup.check_sees(&orgs, actor)?;
        let code = code.trim().to_ascii_uppercase();
        let data = store::record(&mut conn, &code)
            .await?
            .ok_or_else(|| Refusal::not_found("企业", "The enterprise"))?;
        Ok(setup.view(&orgs, actor, record_of(&data)?))
    }

    /// Settle a disagreement by choosing one feed's value, with a reason.
    pub async fn resolve_enterprise_conflict(
        &self,
        actor: &Actor,
        code: &str,
        form: ResolveForm,
    ) -> Result<EnterpriseView> {
        let code = code.trim().to_ascii_uppercase();
        let (now, who, orgs) = (self.now_micros(), actor.clone(), self.orgs());
        let key = code.clone();
        self.db
            .write_decided(async move |tx: &mut WriteTx| -> Result<()> {
                let setup = setup_of(tx.conn()).await?;
                let sources = sources(tx.conn(), &key).await?;
                if sources.is_empty() {
                    return Err(Refusal::not_found("企业", "The enterprise").into());
                }
                let feeds = rules::feeds_giving(&sources, form.field.trim());
                if !setup.may_resolve(&orgs, &who, &feeds) {
                    let owner = department(&orgs, &setup.owner)?;
                    allow(&orgs, &who, &Action::CatalogueResources { owner: &owner })?;
                }
                let r = rules::resolve(&sources, form.field.trim(), &form.value, &form.reason)?;
                let seen = serde_json::to_string(&r.seen).map_err(anyhow::Error::from)?;
                store::put_resolution(
                    tx.conn(),
                    &key,
                    &ResolutionRow {
                        field: r.field.clone(),
                        value: r.value.clone(),
                        seen,
                        reason: r.reason.clone(),
                        actor: who.user_id,
                        at: now,
                    },
                )
                .await?;
                reassemble(tx.conn(), &key, now).await?;
                tx.journal(
                    now,
                    entry(
                        &who,
                        format!("sharing/enterprise/{key}"),
                        "sharing.enterprise_conflict_resolved",
                        json!({"field": r.field, "value": r.value, "among": r.seen, "reason": r.reason}),
                    ),
                )
                .await?;
                Ok(())
            })
            .await?;
        self.enterprise_record(actor, &code).await
    }

    /// What an enterprise's application form for `item_id` can be filled
    /// with from its own record: only for the enterprise whose account is
    /// bound to the credit code, never another's.
    pub async fn enterprise_prefill(&self, actor: &Actor, item_id: i64) -> Result<Prefill> {
        self.authorize(actor, &Action::ApplyOnline)?;
        let spec = self.public_item(item_id).await?.spec;
        let empty = Prefill {
            item_id,
            credit_code: None,
            values: BTreeMap::new(),
        };
        let Some(code) = actor
            .verified_id
            .as_ref()
            .filter(|_| actor.kind == UserKind::Enterprise)
        else {
            return Ok(empty);
        };
        let mut conn = self.db.read().await?;
        let Some(data) = store::record(&mut conn, code).await? else {
            return Ok(empty);
        };
        let record = record_of(&data)?;
        Ok(Prefill {
            item_id,
            values: rules::prefill(&spec.form, &record),
            credit_code: Some(record.credit_code),
        })
    }

    /// The enterprise resource's id and owner, when set up.
    pub async fn enterprise_resource(&self) -> Result<Option<(i64, ResourceSpec)>> {
        let mut conn = self.db.read().await?;
        match sunshine_store::sharing::enterprise_resource(&mut conn).await? {
            Some(r) => Ok(Some((r.id, spec_of(&r)?))),
            None => Ok(None),
        }
    }
}
