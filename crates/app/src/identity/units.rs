//! The organisation tree: units added and renamed, and the tree and the
//! first administrator set up at bootstrap.

use super::*;

impl App {
    /// Add a unit (a department or a public utility) under a government, as
    /// an administrator of that government: it can then be dispatched
    /// requests, hold staff and implement items. Journaled.
    pub async fn add_unit(&self, actor: &Actor, unit: Organisation) -> Result<Organisation> {
        let orgs = self.orgs();
        let parent = unit
            .parent
            .as_ref()
            .and_then(|p| orgs.list.iter().find(|o| &o.code == p))
            .cloned()
            .ok_or_else(|| {
                Refusal::field("parent", "没有这个上级机构", "No such parent organisation")
            })?;
        self.authorize(actor, &Action::ManageStaff { org: &parent.code })?;
        sunshine_domain::identity::check_new_unit(&unit, &parent)?;
        if orgs.tree.contains(&unit.code) {
            return Err(Refusal::conflict(
                "org_exists",
                "该机构代码已被使用",
                "That organisation code is taken",
            )
            .into());
        }
        let (actor, now, stored) = (actor.clone(), self.now_micros(), unit.clone());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                    if store::get_org(tx.conn(), &unit.code).await?.is_some() {
                        return Err(Refusal::conflict("org_exists", "该机构代码已被使用", "That organisation code is taken").into());
                    }
                    store::insert_org(tx.conn(), &unit, now).await?;
                    let payload = json!({"name": unit.name, "name_en": unit.name_en, "kind": unit.kind.as_str(), "parent": unit.parent.as_ref().map(|p| p.as_str())});
                    tx.journal(now, entry(&actor, format!("org/{}", unit.code), "identity.org_added", payload)).await?;
                    Ok(())
                })
            .await?;
        self.reload_orgs().await?;
        Ok(stored)
    }

    /// Rename a unit, as an administrator of its government. Journaled.
    pub async fn rename_unit(
        &self,
        actor: &Actor,
        code: &OrgCode,
        name: &str,
        name_en: &str,
    ) -> Result<Organisation> {
        let orgs = self.orgs();
        let mut unit = orgs
            .list
            .iter()
            .find(|o| &o.code == code && !o.kind.is_government())
            .cloned()
            .ok_or_else(|| Refusal::not_found("单位", "unit"))?;
        let parent = unit
            .parent
            .clone()
            .ok_or_else(|| Refusal::not_found("单位", "unit"))?;
        self.authorize(actor, &Action::ManageStaff { org: &parent })?;
        let (name, name_en) = (name.trim().to_string(), name_en.trim().to_string());
        if name.is_empty() || name_en.is_empty() {
            return Err(Refusal::field(
                "name",
                "请填写中英文名称",
                "Give the name in both languages",
            )
            .into());
        }
        let (actor, now) = (actor.clone(), self.now_micros());
        let (code, n, ne) = (code.clone(), name.clone(), name_en.clone());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                store::rename_org(tx.conn(), &code, &n, &ne).await?;
                let payload = json!({"name": n, "name_en": ne});
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("org/{code}"),
                        "identity.org_renamed",
                        payload,
                    ),
                )
                .await?;
                Ok(())
            })
            .await?;
        self.reload_orgs().await?;
        unit.name = name;
        unit.name_en = name_en;
        Ok(unit)
    }

    /// Set up the organisation tree of a new platform: allowed only while it has none.
    /// Parents must come before their children.
    pub async fn bootstrap_orgs(&self, orgs: &[Organisation]) -> Result<()> {
        if !self.orgs().list.is_empty() {
            return Err(Refusal::conflict(
                "already_set_up",
                "机构已初始化",
                "The organisations are already set up",
            )
            .into());
        }
        let system = system_actor();
        let now = self.now_micros();
        let orgs = orgs.to_vec();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                    for org in &orgs {
                        store::insert_org(tx.conn(), org, now).await?;
                        let payload = json!({"name": org.name, "kind": org.kind.as_str(), "parent": org.parent.as_ref().map(|p| p.as_str())});
                        tx.journal(now, entry(&system, format!("org/{}", org.code), "identity.org_added", payload)).await?;
                    }
                    Ok(())
                })
            .await?;
        self.reload_orgs().await
    }

    /// The first administrator of a new platform: allowed only while no staff exists.
    pub async fn bootstrap_admin(
        &self,
        login: &str,
        name: &str,
        org: &OrgCode,
        password: &str,
    ) -> Result<Actor> {
        {
            let mut conn = self.db.read().await?;
            if !store::list_staff(&mut conn).await?.is_empty() {
                return Err(Refusal::conflict(
                    "already_set_up",
                    "已有管理员",
                    "An administrator already exists",
                )
                .into());
            }
        }
        if let Err((zh, en)) = validate_password(password) {
            return Err(Refusal::field("password", zh, en).into());
        }
        // The first administrator is where delegation starts: it holds every
        // role of its organisation, since nobody hands on a role they lack.
        let grants: Vec<Grant> = Role::ALL
            .into_iter()
            .map(|role| Grant {
                role,
                org: org.clone(),
            })
            .collect();
        let user = NewUser {
            kind: UserKind::Staff,
            login: login.to_string(),
            display_name: name.to_string(),
            org: Some(org.clone()),
            id_number: None,
            credit_code: None,
            password_hash: String::new(),
            claimed_id: None,
        };
        let id = self
            .insert_user(&system_actor(), user, password.to_string(), grants.clone())
            .await?;
        Ok(Actor {
            user_id: id,
            login: login.into(),
            display_name: name.into(),
            kind: UserKind::Staff,
            org: Some(org.clone()),
            grants,
            posts: vec![],
            verified_id: None,
        })
    }
}
