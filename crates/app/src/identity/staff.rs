//! Staff accounts: creating them, granting roles and posts within the
//! organisation subtree where the granting role is held, listing them.

use super::*;

/// A staff account as its administrator sees it in the list: never its
/// password's hash.
#[derive(Debug, Clone)]
pub struct StaffAccount {
    pub login: String,
    pub display_name: String,
    pub org: OrgCode,
    pub disabled: bool,
    /// The roles it holds, each at an organisation.
    pub grants: Vec<Grant>,
    /// Whether the administrator who listed it may disable or enable it.
    pub may_disable: bool,
}

impl App {
    /// Create a staff account with its roles, held at its organisation.
    pub async fn create_staff(&self, actor: &Actor, new: NewStaff) -> Result<i64> {
        let mut e = FieldErrors::default();
        if let Err((zh, en)) = validate_login(&new.login) {
            e.add("login", zh, en);
        }
        if !is_clean_text(&new.display_name) {
            control_characters(&mut e, "display_name");
        } else if new.display_name.trim().is_empty() || new.display_name.chars().count() > 50 {
            e.add(
                "display_name",
                "姓名应为1至50个字符",
                "A name has 1 to 50 characters",
            );
        }
        if let Err((zh, en)) = validate_password(&new.password) {
            e.add("password", zh, en);
        }
        let org = self.known_org(&mut e, &new.org);
        let mut roles = vec![];
        for r in &new.roles {
            match Role::parse(r) {
                Some(role) if roles.contains(&role) => {}
                Some(role) => roles.push(role),
                None => e.add(
                    "roles",
                    format!("未知角色：{r}"),
                    format!("Unknown role: {r}"),
                ),
            }
        }
        e.check()?;
        let org = org.ok_or_else(|| anyhow::anyhow!("checked above"))?;
        self.authorize(actor, &Action::ManageStaff { org: &org })?;
        for role in &roles {
            self.authorize(
                actor,
                &Action::GrantRole {
                    role: *role,
                    org: &org,
                },
            )?;
        }
        self.insert_user(
            actor,
            NewUser {
                kind: UserKind::Staff,
                login: new.login.clone(),
                display_name: new.display_name.trim().to_string(),
                org: Some(org.clone()),
                id_number: None,
                credit_code: None,
                password_hash: String::new(),
                claimed_id: None,
            },
            new.password,
            roles
                .into_iter()
                .map(|role| Grant {
                    role,
                    org: org.clone(),
                })
                .collect(),
        )
        .await
    }

    /// Grant a staff member one more role, held at an organisation.
    pub async fn grant_role(
        &self,
        actor: &Actor,
        login: &str,
        role: &str,
        org: &str,
    ) -> Result<()> {
        let mut e = FieldErrors::default();
        let role = Role::parse(role).or_else(|| {
            e.add(
                "role",
                format!("未知角色：{role}"),
                format!("Unknown role: {role}"),
            );
            None
        });
        let org = self.known_org(&mut e, org);
        e.check()?;
        let (Some(role), Some(org)) = (role, org) else {
            return Err(anyhow::anyhow!("checked above").into());
        };
        self.authorize(actor, &Action::ManageStaff { org: &org })?;
        self.authorize(actor, &Action::GrantRole { role, org: &org })?;
        let now = self.now_micros();
        let (actor, login) = (actor.clone(), login.to_string());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                let user = staff_member(tx, &login).await?;
                let grant = Grant {
                    role,
                    org: org.clone(),
                };
                if store::grants_of(tx.conn(), user.id).await?.contains(&grant) {
                    return Err(Refusal::conflict(
                        "already_granted",
                        "该角色已授予",
                        "The role is already granted",
                    )
                    .into());
                }
                store::insert_grant(tx.conn(), user.id, &grant).await?;
                let payload = json!({"role": role.as_str(), "org": org.as_str()});
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("user/{}", user.id),
                        "identity.role_granted",
                        payload,
                    ),
                )
                .await?;
                Ok(())
            })
            .await
    }

    /// An organisation code that names one in the tree, or a field error.
    fn known_org(&self, e: &mut FieldErrors, org: &str) -> Option<OrgCode> {
        let org = OrgCode::parse(org)
            .ok()
            .filter(|o| self.orgs().tree.contains(o));
        if org.is_none() {
            e.add("org", "机构不存在", "No such organisation");
        }
        org
    }

    /// Give a staff member a post (岗位) in an organisation, so that they can
    /// sign for the process steps of that post. Holding it twice is no change.
    pub async fn assign_post(
        &self,
        actor: &Actor,
        login: &str,
        org: &str,
        post: &str,
    ) -> Result<()> {
        let mut e = FieldErrors::default();
        let org = self.known_org(&mut e, org);
        let name = sunshine_domain::identity::validate_post_name(post)
            .map_err(|(zh, en)| e.add("post", zh, en))
            .ok();
        e.check()?;
        let (Some(org), Some(name)) = (org, name) else {
            return Err(anyhow::anyhow!("checked above").into());
        };
        self.authorize(actor, &Action::ManageStaff { org: &org })?;
        let now = self.now_micros();
        let (actor, login) = (actor.clone(), login.to_string());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                let user = staff_member(tx, &login).await?;
                let post = Post { org, name };
                if store::insert_post(tx.conn(), user.id, &post).await? {
                    let payload = json!({"org": post.org.as_str(), "post": post.name});
                    tx.journal(
                        now,
                        entry(
                            &actor,
                            format!("user/{}", user.id),
                            "identity.post_assigned",
                            payload,
                        ),
                    )
                    .await?;
                }
                Ok(())
            })
            .await
    }

    /// The staff accounts an administrator manages: those of the
    /// organisations beneath their grant. Nobody else lists staff.
    pub async fn list_staff(&self, actor: &Actor) -> Result<Vec<StaffAccount>> {
        if !self.manages_staff(actor) {
            return Err(Refusal::forbidden(
                "forbidden",
                "只有系统管理员可以查看工作人员",
                "Only an administrator may list staff accounts",
            )
            .into());
        }
        let mut conn = self.db.read().await?;
        let mut out = vec![];
        for u in store::list_staff(&mut conn).await? {
            let Some(org) = u.org.clone() else { continue };
            if self
                .authorize(actor, &Action::ManageStaff { org: &org })
                .is_ok()
            {
                let grants = store::grants_of(&mut conn, u.id).await?;
                out.push(StaffAccount {
                    may_disable: self.may_disable(actor, &u),
                    login: u.login,
                    display_name: u.display_name,
                    org,
                    disabled: u.disabled,
                    grants,
                });
            }
        }
        Ok(out)
    }

    /// Whether `actor` manages the staff of any organisation.
    pub fn manages_staff(&self, actor: &Actor) -> bool {
        self.orgs().list.iter().any(|o| {
            self.authorize(actor, &Action::ManageStaff { org: &o.code })
                .is_ok()
        })
    }
}
