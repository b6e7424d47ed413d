//! The categories, their cache and the dispatch catalogue.

use super::is_government;
use super::{CategoryRow, DispatchOverride};
use crate::journal_entry::entry;
use crate::{App, Result};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use sunshine_domain::hotline::open311::check_definition;
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_store::hotline as store;
use sunshine_store::WriteTx;

/// The categories as last read, by code. An edit clears it and moves its
/// generation on, so that a read begun before the edit is not kept.
#[derive(Debug, Clone, Default)]
pub struct CategoryCache(Arc<RwLock<(u64, Option<Categories>)>>);

/// Every category by code.
type Categories = Arc<BTreeMap<String, store::CategoryRow>>;

impl CategoryCache {
    fn get(&self) -> (u64, Option<Categories>) {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
    fn keep(&self, generation: u64, all: Categories) {
        let mut cache = self.0.write().unwrap_or_else(|p| p.into_inner());
        if cache.0 == generation {
            cache.1 = Some(all);
        }
    }
    fn clear(&self) {
        let mut cache = self.0.write().unwrap_or_else(|p| p.into_inner());
        *cache = (cache.0 + 1, None);
    }
}

impl App {
    /// The categories (Open311's services); the inactive ones for administrators.
    pub async fn hotline_categories(&self, active_only: bool) -> Result<Vec<CategoryRow>> {
        let all = self.all_categories().await?;
        Ok(all
            .values()
            .filter(|c| c.active || !active_only)
            .cloned()
            .map(Into::into)
            .collect())
    }

    /// Every category by code, from memory once read.
    pub(super) async fn all_categories(&self) -> Result<Categories> {
        let (generation, cached) = self.hotline_categories.get();
        if let Some(all) = cached {
            return Ok(all);
        }
        let mut conn = self.db.read().await?;
        let all: Categories = Arc::new(
            store::categories(&mut conn, false)
                .await?
                .into_iter()
                .map(|c| (c.code.clone(), c))
                .collect(),
        );
        self.hotline_categories.keep(generation, all.clone());
        Ok(all)
    }

    /// A category in force.
    pub async fn hotline_category(&self, code: &str) -> Result<CategoryRow> {
        match self.all_categories().await?.get(code) {
            Some(c) if c.active => Ok(c.clone().into()),
            _ => Err(Refusal::not_found("服务类别", "Service").into()),
        }
    }

    /// The units a category goes to in a district: the district's own entry
    /// in the dispatch catalogue, or the category's.
    pub async fn dispatch_for(
        &self,
        category: &str,
        region: &str,
    ) -> Result<(String, Vec<String>)> {
        let mut conn = self.db.read().await?;
        if let Some(found) = store::dispatch_override(&mut conn, category, region).await? {
            return Ok(found);
        }
        drop(conn);
        let c = self.hotline_category(category).await?;
        Ok((c.lead_unit, c.assisting))
    }

    /// Add or edit a category, as an administrator of the city: a new
    /// version each time, journaled.
    pub async fn put_hotline_category(&self, actor: &Actor, c: CategoryRow) -> Result<CategoryRow> {
        self.authorize(actor, &Action::ManageHotline)?;
        let mut c = store::CategoryRow::from(c);
        self.check_category(&c)?;
        c.updated_at = self.now_micros();
        let actor = actor.clone();
        let stored = self
            .db
            .write(
                async move |tx: &mut WriteTx| -> Result<store::CategoryRow> {
                    c.version = store::put_category(tx.conn(), &c).await?;
                    let payload = serde_json::to_value(&c)
                        .map_err(|e| anyhow::anyhow!("category json: {e}"))?;
                    tx.journal(
                        c.updated_at,
                        entry(
                            &actor,
                            format!("hotline-category/{}", c.code),
                            "hotline.category_put",
                            payload,
                        ),
                    )
                    .await?;
                    Ok(c)
                },
            )
            .await?;
        self.hotline_categories.clear();
        Ok(stored.into())
    }

    /// The districts' own dispatch entries, for administrators of the city.
    pub async fn dispatch_overrides(&self, actor: &Actor) -> Result<Vec<DispatchOverride>> {
        self.authorize(actor, &Action::ManageHotline)?;
        let mut conn = self.db.read().await?;
        let rows = store::dispatch_overrides(&mut conn).await?;
        Ok(rows.into_iter().map(DispatchOverride::from).collect())
    }

    /// Send a category elsewhere in one district, as an administrator of the city.
    pub async fn put_dispatch_override(
        &self,
        actor: &Actor,
        category: &str,
        region: &str,
        lead: &str,
        assisting: Vec<String>,
    ) -> Result<()> {
        self.authorize(actor, &Action::ManageHotline)?;
        let orgs = self.orgs();
        let known = |s: &str| OrgCode::parse(s).ok().filter(|c| orgs.tree.contains(c));
        if !known(region).is_some_and(|c| is_government(&orgs, &c)) {
            return Err(Refusal::field("region", "没有这个区县", "No such district").into());
        }
        if known(lead).is_none() || assisting.iter().any(|a| known(a).is_none()) {
            return Err(Refusal::field("lead", "没有这个单位", "No such unit").into());
        }
        self.hotline_category(category).await?;
        let (actor, now) = (actor.clone(), self.now_micros());
        let (category, region, lead) = (category.to_string(), region.to_string(), lead.to_string());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                store::put_dispatch_override(tx.conn(), &category, &region, &lead, &assisting)
                    .await?;
                let payload = json!({"region": region, "lead": lead, "assisting": assisting});
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("hotline-category/{category}"),
                        "hotline.dispatch_put",
                        payload,
                    ),
                )
                .await?;
                Ok(())
            })
            .await
    }

    fn check_category(&self, c: &store::CategoryRow) -> Result<()> {
        let mut e = sunshine_domain::refusal::FieldErrors::default();
        if c.code.is_empty()
            || c.code.len() > 40
            || !c
                .code
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "._-".contains(ch))
        {
            e.add(
                "code",
                "类别代码只能由字母、数字和 . _ - 组成",
                "A service code is letters, digits, . _ and -",
            );
        }
        if c.name.trim().is_empty() || c.name_en.trim().is_empty() {
            e.add(
                "name",
                "请填写中英文名称",
                "Give the name in both languages",
            );
        }
        if let Err(r) = c.limits.check() {
            e.absorb(r);
        }
        if let Err(r) = check_definition(&c.attributes) {
            e.absorb(r);
        }
        let orgs = self.orgs();
        let known = |s: &str| {
            OrgCode::parse(s)
                .ok()
                .is_some_and(|code| orgs.tree.contains(&code))
        };
        if !known(&c.lead_unit) || c.assisting.iter().any(|a| !known(a)) {
            e.add("lead_unit", "没有这个单位", "No such unit");
        }
        Ok(e.check()?)
    }
}
