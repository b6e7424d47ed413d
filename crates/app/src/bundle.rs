//! One-stop bundles (一件事一次办): administrators configure which items a
//! bundle covers; an applicant fills the shared form once; each item becomes
//! a case of its department, all opened in one transaction and handled in
//! parallel; the applicant follows one combined result.

use std::collections::BTreeMap;

use serde_json::json;
use sunshine_domain::bundle::{
    self as rules, bundle_outcome, BundleItem, BundleOutcome, BundleSpec, ConfiguredBundle,
    OneStopApplication,
};
use sunshine_domain::catalog::{FormField, ItemSpec, Material, VersionState};
use sunshine_domain::hall::Case;
use sunshine_domain::hall::Channel;
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{FieldErrors, Refusal};
use sunshine_store::bundle as store;
use sunshine_store::WriteTx;

use crate::hall::{new_query_code, open_case, NewCase};
use crate::journal_entry::entry;
use crate::materials::Upload;
use crate::{App, AppError, Result};

/// An item of a bundle as it stands in the library now.
#[derive(Debug, Clone)]
pub struct OfferedItem {
    pub item: BundleItem,
    /// The item and its version in force, when the library has it.
    pub current: Option<(i64, i64, ItemSpec)>,
}

/// A bundle with its items looked up in the library.
#[derive(Debug, Clone)]
pub struct BundleOffer {
    pub bundle: ConfiguredBundle,
    pub items: Vec<OfferedItem>,
}

impl BundleOffer {
    /// Open for applications: active, and every item in force and public.
    pub fn available(&self) -> bool {
        self.bundle.active
            && self
                .items
                .iter()
                .all(|i| matches!(&i.current, Some((_, _, spec)) if !spec.sensitive))
    }

    /// Every item's material once by name, required when any item requires
    /// it: one file serves every item that asks for it.
    pub fn materials(&self) -> Vec<Material> {
        let mut out: Vec<Material> = vec![];
        for (_, _, spec) in self.items.iter().filter_map(|i| i.current.as_ref()) {
            for m in &spec.materials {
                match out.iter_mut().find(|o| o.name == m.name) {
                    Some(o) => o.required |= m.required,
                    None => out.push(m.clone()),
                }
            }
        }
        out
    }

    /// Every item's form field once, in the order the items ask for them.
    pub fn form(&self) -> Vec<FormField> {
        let mut out: Vec<FormField> = vec![];
        for (_, _, spec) in self.items.iter().filter_map(|i| i.current.as_ref()) {
            for f in &spec.form {
                if !out.iter().any(|o| o.key == f.key) {
                    out.push(f.clone());
                }
            }
        }
        out
    }
}

/// A one-stop application with its cases and their combined result.
#[derive(Debug, Clone)]
pub struct BundleApplication {
    pub application: OneStopApplication,
    pub cases: Vec<Case>,
    pub outcome: BundleOutcome,
}

fn not_found() -> crate::AppError {
    Refusal::not_found("一件事", "Bundle").into()
}

fn application_not_found() -> crate::AppError {
    Refusal::not_found("一件事申请", "Bundle application").into()
}

impl App {
    /// Configure a bundle, or change one (administrators of its government).
    pub async fn define_bundle(&self, actor: &Actor, spec: BundleSpec, active: bool) -> Result<()> {
        spec.validate()?;
        let government = OrgCode::parse(spec.region.as_str())
            .ok()
            .filter(|o| self.orgs().tree.contains(o))
            .ok_or_else(|| Refusal::field("region", "区划不存在", "No such region"))?;
        self.authorize(
            actor,
            &Action::DefineBundle {
                region_government: &government,
            },
        )?;
        let now = self.now_micros();
        let actor = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                for i in &spec.items {
                    let found =
                        sunshine_store::catalog::find_item(tx.conn(), &i.code, i.region.as_str())
                            .await?;
                    if found.is_none() {
                        return Err(Refusal::field(
                            "items",
                            format!("事项库中没有{}（{}）", i.code, i.region),
                            format!("The catalogue has no {} in {}", i.code, i.region),
                        )
                        .into());
                    }
                }
                let code = spec.code.clone();
                let payload = json!({"spec": spec, "active": active});
                let row = ConfiguredBundle {
                    spec,
                    active,
                    updated_at: now,
                };
                let created = store::upsert_bundle(tx.conn(), &row).await?;
                let event = if created {
                    "hall.bundle_defined"
                } else {
                    "hall.bundle_changed"
                };
                tx.journal(
                    now,
                    entry(&actor, format!("bundle-config/{code}"), event, payload),
                )
                .await?;
                Ok(())
            })
            .await
    }

    async fn offer_of(&self, bundle: ConfiguredBundle) -> Result<BundleOffer> {
        let mut conn = self.db.read().await?;
        let mut items = Vec::with_capacity(bundle.spec.items.len());
        for item in &bundle.spec.items {
            let mut current = None;
            if let Some(id) =
                sunshine_store::catalog::find_item(&mut conn, &item.code, item.region.as_str())
                    .await?
            {
                if let Some(v) = sunshine_store::catalog::current_version(&mut conn, id).await? {
                    if v.state == VersionState::InLibrary {
                        current = Some((id, v.id, v.spec));
                    }
                }
            }
            items.push(OfferedItem {
                item: item.clone(),
                current,
            });
        }
        Ok(BundleOffer { bundle, items })
    }

    /// Every configured bundle, active or not, with its items.
    pub async fn bundles(&self) -> Result<Vec<BundleOffer>> {
        let rows = {
            let mut conn = self.db.read().await?;
            store::list_bundles(&mut conn).await?
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.offer_of(row).await?);
        }
        Ok(out)
    }

    pub async fn bundle(&self, code: &str) -> Result<BundleOffer> {
        let row = {
            let mut conn = self.db.read().await?;
            store::get_bundle(&mut conn, code).await?
        };
        self.offer_of(row.ok_or_else(not_found)?).await
    }

    /// 一件事一次办: apply for every item of a bundle at once. The shared form
    /// is checked against every item's form, the files (their slots are
    /// places in `BundleOffer::materials`) against every item's materials;
    /// every case is opened with its files, or none.
    pub async fn apply_bundle(
        &self,
        actor: &Actor,
        code: &str,
        answers: BTreeMap<String, String>,
        uploads: Vec<Upload>,
    ) -> Result<BundleApplication> {
        self.authorize(actor, &Action::ApplyOnline)?;
        let offer = self.bundle(code).await?;
        if !offer.available() {
            return Err(Refusal::conflict(
                "bundle_unavailable",
                "该一件事暂不受理申请",
                "This bundle is not open for applications",
            )
            .into());
        }
        let parts: Vec<(i64, i64, ItemSpec)> = offer
            .items
            .iter()
            .filter_map(|i| i.current.clone())
            .collect();
        let forms: Vec<&[FormField]> = parts.iter().map(|(_, _, s)| s.form.as_slice()).collect();
        let union = offer.materials();
        // Every fault of the form and of the files at once.
        let mut faults = FieldErrors::default();
        let typed = rules::check_bundle_answers(&forms, &answers).map_err(|r| faults.absorb(r));
        // Checked and hashed once, against every item's materials together.
        let prepared = match crate::materials::prepare(&union, uploads, Channel::Online) {
            Ok(p) => p,
            Err(AppError::Refused(r)) => {
                faults.absorb(r);
                vec![]
            }
            Err(other) => return Err(other),
        };
        faults.check()?;
        let Ok(typed) = typed else {
            return Err(anyhow::anyhow!("checked above").into());
        };
        // Each item takes the files of its own materials (files are named by
        // material, so the bundle's list and the item's agree).
        let files: Vec<Vec<crate::materials::Prepared>> = parts
            .iter()
            .map(|(_, _, spec)| {
                prepared
                    .iter()
                    .filter(|p| spec.materials.iter().any(|m| m.name == p.material()))
                    .cloned()
                    .collect()
            })
            .collect();
        for (_, _, spec) in &parts {
            crate::hall::require_real_name(actor, spec)?;
        }
        let applicant = self.applicant_of(actor).await?;
        let now = self.now_micros();
        let year = self.clock.today().year();
        let region = offer.bundle.spec.region.clone();
        let query_code = new_query_code();
        let (actor, bundle_code) = (actor.clone(), offer.bundle.spec.code.clone());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<BundleApplication> {
                    let key = rules::bundle_sequence_key(&region);
                    let seq = sunshine_store::hall::next_sequence(tx.conn(), &key, year).await?;
                    let number = rules::bundle_number(year, &region, seq);
                    let application = OneStopApplication {
                        number: number.clone(),
                        query_code: query_code.as_str().to_string(),
                        bundle_code: bundle_code.clone(),
                        applicant_user: Some(actor.user_id),
                        applicant_public: applicant.public_name(),
                        channel: "online".into(),
                        submitted_at: now,
                    };
                    store::insert_application(tx.conn(), &application).await?;
                    let mut cases = Vec::with_capacity(parts.len());
                    for (((item_id, version_id, spec), answers), files) in
                        parts.into_iter().zip(typed).zip(files)
                    {
                        let new = NewCase {
                            item_id,
                            version_id,
                            spec,
                            applicant: applicant.clone(),
                            applicant_user: Some(actor.user_id),
                            channel: Channel::Online,
                            answers,
                            query_code: new_query_code(),
                            bundle_number: Some(number.clone()),
                            files,
                        };
                        cases.push(open_case(tx, &actor, new, now, year).await?);
                    }
                    let payload = json!({"bundle": bundle_code, "applicant": application.applicant_public,
                        "cases": cases.iter().map(|c| c.number.clone()).collect::<Vec<_>>()});
                    tx.journal(now, entry(&actor, format!("bundle/{number}"), "hall.bundle_submitted", payload))
                        .await?;
                    let outcome = bundle_outcome(&cases.iter().map(|c| c.facts.state).collect::<Vec<_>>());
                    Ok(BundleApplication {
                        application,
                        cases,
                        outcome,
                    })
                })
            .await
    }

    async fn bundle_application(&self, number: &str) -> Result<Option<BundleApplication>> {
        let mut conn = self.db.read().await?;
        let Some(application) = store::application(&mut conn, number.trim()).await? else {
            return Ok(None);
        };
        let cases = sunshine_store::hall::cases_in_bundle(&mut conn, &application.number).await?;
        let outcome = bundle_outcome(&cases.iter().map(|c| c.facts.state).collect::<Vec<_>>());
        Ok(Some(BundleApplication {
            application,
            cases,
            outcome,
        }))
    }

    /// A one-stop application, for its applicant.
    pub async fn bundle_application_for(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<BundleApplication> {
        match self.bundle_application(number).await? {
            Some(a)
                if a.application.applicant_user == Some(actor.user_id)
                    && actor.kind != sunshine_domain::identity::UserKind::Staff =>
            {
                Ok(a)
            }
            _ => Err(application_not_found()),
        }
    }

    /// Follow a one-stop application without signing in: its number and query code.
    pub async fn track_bundle(&self, number: &str, query_code: &str) -> Result<BundleApplication> {
        let code = sunshine_domain::hall::QueryCode::parse(query_code)
            .ok_or_else(application_not_found)?;
        match self.bundle_application(number).await? {
            Some(a) if a.application.query_code == code.as_str() => Ok(a),
            _ => Err(application_not_found()),
        }
    }

    /// A citizen's or enterprise's own one-stop applications, newest first.
    pub async fn my_bundle_applications(&self, actor: &Actor) -> Result<Vec<BundleApplication>> {
        let rows = {
            let mut conn = self.db.read().await?;
            store::applications_of(&mut conn, actor.user_id, 100).await?
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(a) = self.bundle_application(&row.number).await? {
                out.push(a);
            }
        }
        Ok(out)
    }
}
