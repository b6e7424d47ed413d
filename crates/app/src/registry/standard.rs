//! The city's standard for the registry (标准统一在全市): the code lists
//! the standard ships with (`data/registry/`), as the city's registrar has
//! changed them since. Each change is kept and journaled; the lists in
//! force are the shipped ones with every change made in order
//! (`Standard::amend`), read at start and after each change.

use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::json;
use sunshine_domain::identity::Actor;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_domain::registry::named_read::text;
use sunshine_domain::registry::{CodeChange, ListName, Standard};
use sunshine_store::registry::standard as store;
use sunshine_store::WriteTx;

use crate::journal_entry::entry;
use crate::{allow, App, Result};

/// The lists in force, shared by every clone of the app, with the id of
/// the last change folded into them (0: none), so that a slower reload
/// never puts back older lists.
pub(crate) type StandardCell = Arc<RwLock<(i64, Arc<Standard>)>>;

/// The lists in force as the write's transaction sees them: commands that
/// judge a record against the standard fold it there, so that a change
/// made on another node is in force at once.
pub(crate) async fn in_force(tx: &mut WriteTx) -> Result<Standard> {
    Ok(folded(&store::changes(tx.conn()).await?))
}

/// The city's change, as asked.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CodeChangeForm {
    pub list: ListName,
    /// Two digits.
    pub code: String,
    #[serde(flatten)]
    pub change: CodeChange,
    /// Why: the standard's revision or the city's decision it follows.
    #[serde(default)]
    pub reason: String,
}

/// One code as the list in force holds it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodeView {
    pub code: String,
    pub name: String,
    /// No longer collected: records that hold it keep it.
    pub retired: bool,
}

/// A code list in force.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodeListView {
    pub list: ListName,
    /// The standard the list follows (`GB/T 3304 …`).
    pub standard: String,
    pub codes: Vec<CodeView>,
}

/// A change the city made.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodeChangeView {
    pub id: i64,
    pub list: ListName,
    pub code: String,
    /// `add`, `rename`, `retire` or `restore`.
    pub change: String,
    pub name: Option<String>,
    pub reason: String,
    /// Who made it, by name.
    pub by: String,
    pub at: i64,
}

/// The standard in force and how it came to be.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StandardView {
    pub lists: Vec<CodeListView>,
    /// The city's changes, newest first.
    pub changes: Vec<CodeChangeView>,
    /// The signed-in member of staff may change the lists.
    pub may_change: bool,
}

/// The shipped lists with the kept changes made in order. A kept change
/// that no longer applies (the shipped list gained its code) is passed
/// over: the shipped list is the later word.
pub(crate) fn folded(changes: &[store::CodeChangeRow]) -> Standard {
    let mut standard = super::city_standard();
    for c in changes {
        let (Some(list), Some(change)) = (
            ListName::parse(&c.list),
            CodeChange::from_parts(&c.change, c.name.clone()),
        ) else {
            continue;
        };
        if let Err(e) = standard.amend(list, &c.code, &change) {
            tracing::warn!(change = c.id, why = %e.en, "a kept change to the registry's code lists no longer applies");
        }
    }
    standard
}

impl App {
    /// The registry's standard in force.
    pub fn registry_standard(&self) -> Arc<Standard> {
        self.registry_standard
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clone()
    }

    /// Read the standard in force from the store again; kept unless a
    /// reload that read later got there first.
    pub(crate) async fn reload_registry_standard(&self) -> Result<Arc<Standard>> {
        let mut conn = self.db.read().await?;
        let changes = store::changes(&mut conn).await?;
        let version = changes.last().map_or(0, |c| c.id);
        let standard = Arc::new(folded(&changes));
        let mut cell = self
            .registry_standard
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if version >= cell.0 {
            *cell = (version, standard.clone());
        }
        Ok(standard)
    }

    /// The code lists in force and the city's changes to them, for any
    /// member of staff.
    pub async fn registry_standard_view(&self, actor: &Actor) -> Result<StandardView> {
        let orgs = self.orgs();
        allow(&orgs, actor, &Action::ViewStaffCatalog)?;
        let may_change = allow(&orgs, actor, &Action::DefineRegistryStandard).is_ok();
        let mut conn = self.db.read().await?;
        let rows = store::changes(&mut conn).await?;
        let standard = folded(&rows);
        let mut names = std::collections::BTreeMap::new();
        let mut changes = vec![];
        for r in rows.into_iter().rev() {
            let Some(list) = ListName::parse(&r.list) else {
                continue;
            };
            if let std::collections::btree_map::Entry::Vacant(v) = names.entry(r.actor) {
                let name = sunshine_store::identity::find_user(&mut conn, r.actor)
                    .await?
                    .map(|u| u.display_name)
                    .unwrap_or_default();
                v.insert(name);
            }
            changes.push(CodeChangeView {
                id: r.id,
                list,
                code: r.code,
                change: r.change,
                name: r.name,
                reason: r.reason,
                by: names[&r.actor].clone(),
                at: r.at,
            });
        }
        let lists = ListName::ALL
            .into_iter()
            .map(|list| {
                let l = standard.list(list);
                CodeListView {
                    list,
                    standard: l.standard.clone(),
                    codes: l
                        .entries()
                        .map(|(code, name, retired)| CodeView {
                            code: code.to_string(),
                            name: name.to_string(),
                            retired,
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(StandardView {
            lists,
            changes,
            may_change,
        })
    }

    /// The city's registrar changes a code list: judged against the lists
    /// in force as the store holds them, kept and journaled in one write,
    /// and in force for every import and correction after it.
    pub async fn change_registry_code(
        &self,
        actor: &Actor,
        form: CodeChangeForm,
    ) -> Result<CodeChangeView> {
        let orgs = self.orgs();
        allow(&orgs, actor, &Action::DefineRegistryStandard)?;
        let reason = text(&form.reason, "reason")?;
        let mut form = form;
        form.change = match form.change {
            CodeChange::Add { name } => CodeChange::Add {
                name: name.trim().to_string(),
            },
            CodeChange::Rename { name } => CodeChange::Rename {
                name: name.trim().to_string(),
            },
            other => other,
        };
        let (now, who) = (self.now_micros(), actor.clone());
        let id = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<i64> {
                let mut standard = folded(&store::changes(tx.conn()).await?);
                standard
                    .amend(form.list, &form.code, &form.change)
                    .map_err(|e| {
                        let mut r = Refusal::field("code", e.zh.clone(), e.en.clone());
                        r.code = "registry_code_change_refused";
                        r.message = e;
                        r
                    })?;
                let id = store::insert(
                    tx.conn(),
                    form.list.as_str(),
                    &form.code,
                    form.change.kind(),
                    form.change.name(),
                    &reason,
                    who.user_id,
                    now,
                )
                .await?;
                tx.journal(
                    now,
                    entry(
                        &who,
                        format!("registry/standard/{}/{}", form.list.as_str(), form.code),
                        "registry.code_changed",
                        json!({"change": form.change, "reason": reason}),
                    ),
                )
                .await?;
                Ok(id)
            })
            .await?;
        self.reload_registry_standard().await?;
        let view = self.registry_standard_view(actor).await?;
        view.changes
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| Refusal::not_found("标准变更", "The change").into())
    }
}
