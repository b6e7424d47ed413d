//! Sign-in, sessions, API tokens, staff accounts, citizens and enterprises.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use sunshine_domain::identity::{
    validate_login, validate_password, Actor, Grant, Organisation, Post, Role, UserKind,
};
use sunshine_domain::ids::{CreditCode, OrgCode, ResidentId};
use sunshine_domain::journal::NewEntry;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{control_characters, is_clean_text, FieldErrors, Refusal};
use sunshine_store::identity::{self as store, NewUser, UserRow};
use sunshine_store::WriteTx;

use crate::{App, AppError, Result};

/// How long a page session lasts.
const SESSION_HOURS: i64 = 12;

pub mod binding;
/// How long an API token lasts unless it is asked for shorter: the longest it may.
pub const TOKEN_DAYS: u32 = 90;

/// The longest password worth checking: sign-up refuses longer ones
/// (`validate_password`), so a longer one can never be right, and argon2 is
/// not made to read it.
pub const MAX_PASSWORD_BYTES: usize = 256;

/// How long a sign-in waits for a free hasher before it is told to come back.
pub const DEFAULT_PASSWORD_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// A bound on argon2 work in flight (each hash takes tens of MB and a core
/// for a while): a flood of sign-ins queues for a permit instead of
/// exhausting memory and CPU, and one that waits too long is refused as busy.
#[derive(Clone)]
pub struct PasswordWork {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    wait: std::time::Duration,
}

impl Default for PasswordWork {
    /// One hash at a time per core.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PasswordWork::new(cores, DEFAULT_PASSWORD_WAIT)
    }
}

impl PasswordWork {
    pub fn new(at_once: usize, wait: std::time::Duration) -> Self {
        PasswordWork {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(at_once.max(1))),
            wait,
        }
    }

    /// Run `work` once a permit is free, or refuse as busy after the wait.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let permit =
            match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
                Ok(Ok(p)) => p,
                _ => return Err(busy().into()),
            };
        let out = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
        Ok(out)
    }
}

fn busy() -> Refusal {
    Refusal::new(
        sunshine_domain::refusal::RefusalKind::Busy,
        "busy",
        sunshine_domain::Text::new(
            "登录的人太多，请稍后再试",
            "Too many sign-ins at once; please try again shortly",
        ),
    )
}

fn argon2_hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

fn argon2_verify(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A fresh secret for a session, CSRF or API token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Secrets are stored only as their hash.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A signed-in page session.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub csrf: String,
    pub actor: Actor,
    /// The staff places the actor may open, for the menu.
    pub desks: crate::desks::Desks,
}

/// A new staff account.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NewStaff {
    pub login: String,
    pub display_name: String,
    pub org: String,
    pub password: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A citizen's or an enterprise's sign-up.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NewApplicant {
    pub login: String,
    /// The identity number (a citizen) or credit code (an enterprise) the
    /// account says it is.
    pub number: String,
    pub name: String,
    pub password: String,
}

/// The account a login names: by its login, or, for an identity number or
/// credit code, the account bound to it (closed accounts included; callers
/// that sign in filter those out).
pub(crate) async fn find_account(
    conn: &mut sunshine_store::Conn,
    login: &str,
) -> Result<Option<UserRow>> {
    match store::find_user_by_login(conn, login).await? {
        Some(u) => Ok(Some(u)),
        None => bound_by_number(conn, login).await,
    }
}

/// The account bound to the identity number or credit code typed as a login.
async fn bound_by_number(conn: &mut sunshine_store::Conn, login: &str) -> Result<Option<UserRow>> {
    let found = if let Ok(id) = ResidentId::parse(login) {
        store::find_bound_user(conn, UserKind::Citizen, id.as_str()).await?
    } else if let Ok(code) = CreditCode::parse(login) {
        store::find_bound_user(conn, UserKind::Enterprise, code.as_str()).await?
    } else {
        None
    };
    Ok(found)
}

fn wrong_credentials() -> Refusal {
    let mut r = Refusal::unauthenticated();
    r.code = "wrong_credentials";
    r.message = sunshine_domain::Text::new("登录名或密码不正确", "Wrong login or password");
    r
}

impl App {
    /// Bound the password hashing in flight: at most `at_once` hashes, and a
    /// sign-in waits at most `wait` for one before it is refused as busy.
    pub fn bound_password_work(&self, at_once: usize, wait: std::time::Duration) {
        *self
            .password_work
            .write()
            .unwrap_or_else(|p| p.into_inner()) = PasswordWork::new(at_once, wait);
    }

    fn password_work(&self) -> PasswordWork {
        self.password_work
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Hash a password with argon2id, off the async threads, within the bound.
    pub async fn hash_password(&self, password: String) -> Result<String> {
        self.password_work()
            .run(move || argon2_hash(&password))
            .await?
            .map_err(AppError::Internal)
    }

    pub(crate) async fn verify_password(&self, password: String, hash: String) -> Result<bool> {
        self.password_work()
            .run(move || argon2_verify(&password, &hash))
            .await
    }

    /// The user behind a login and password, or the same refusal whatever was wrong.
    async fn check_credentials(&self, login: &str, password: &str) -> Result<UserRow> {
        if password.len() > MAX_PASSWORD_BYTES {
            // No account has such a password; refuse before any argon2 work.
            tracing::info!("sign-in refused: password longer than any account's");
            return Err(wrong_credentials().into());
        }
        let login = normalise_login(login);
        let user = if is_clean_text(&login) && login.len() <= 64 {
            let mut conn = self.db.read().await?;
            match store::find_user_by_login(&mut conn, &login)
                .await?
                .filter(UserRow::is_open)
            {
                Some(u) => Some(u),
                // An identity number or credit code signs in only the account bound to it.
                None => bound_by_number(&mut conn, &login).await?,
            }
        } else {
            None
        };
        let Some(user) = user.filter(UserRow::is_open) else {
            // Spend the same time on an unknown login, so timing does not tell which logins exist.
            self.hash_password(password.to_string()).await?;
            tracing::info!(login = %masked_login(&login), "sign-in refused: unknown login");
            return Err(wrong_credentials().into());
        };
        if !self
            .verify_password(password.to_string(), user.password_hash.clone())
            .await?
        {
            tracing::info!(login = %masked_login(&login), "sign-in refused: wrong password");
            return Err(wrong_credentials().into());
        }
        Ok(user)
    }

    /// Check a login and password and open a page session.
    pub async fn sign_in(&self, login: &str, password: &str) -> Result<Session> {
        let user = self.check_credentials(login, password).await?;
        let token = random_token();
        let csrf = random_token();
        let now = self.now_micros();
        let (t, c) = (token.clone(), csrf.clone());
        let actor = self
            .db
            .write(async move |tx: &mut WriteTx| -> Result<Actor> {
                let expires = now + SESSION_HOURS * 3_600_000_000;
                store::insert_session(tx.conn(), &token_hash(&t), user.id, &c, now, expires)
                    .await?;
                let actor = actor_of(tx.conn(), user).await?;
                let subject = format!("user/{}", actor.user_id);
                tx.journal(now, entry(&actor, subject, "identity.signed_in", json!({})))
                    .await?;
                Ok(actor)
            })
            .await?;
        let desks = self.desks(&actor);
        Ok(Session {
            token,
            csrf,
            actor,
            desks,
        })
    }

    /// A program exchanges a login and password for an API token, in one step.
    pub async fn issue_token_for_credentials(
        &self,
        login: &str,
        password: &str,
        name: &str,
    ) -> Result<String> {
        let name = check_token_name(name)?;
        let lifetime = token_lifetime(None)?;
        let user = self.check_credentials(login, password).await?;
        let now = self.now_micros();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<String> {
                let actor = actor_of(tx.conn(), user).await?;
                insert_token(tx, &actor, &name, now, lifetime).await
            })
            .await
    }

    /// A staff member as an actor, by login: for set-up, the CLI and benchmarks
    /// that act inside the process, never for requests.
    pub async fn staff_actor(&self, login: &str) -> Result<Actor> {
        let mut conn = self.db.read().await?;
        let user = store::find_user_by_login(&mut conn, login)
            .await?
            .filter(|u| u.kind == UserKind::Staff)
            .ok_or_else(|| anyhow::anyhow!("no staff account {login}"))?;
        actor_of(&mut conn, user).await
    }

    /// Any account by login, as an actor (the demo acts for its citizens).
    pub async fn account_actor(&self, login: &str) -> Result<Actor> {
        let mut conn = self.db.read().await?;
        let user = find_account(&mut conn, login)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no account {login}"))?;
        actor_of(&mut conn, user).await
    }

    /// The session behind a cookie, if it is live.
    pub async fn session(&self, token: &str) -> Result<Option<Session>> {
        let mut conn = self.db.read().await?;
        let Some((user_id, csrf)) =
            store::find_session(&mut conn, &token_hash(token), self.now_micros()).await?
        else {
            return Ok(None);
        };
        let Some(user) = store::find_user(&mut conn, user_id)
            .await?
            .filter(UserRow::is_open)
        else {
            return Ok(None);
        };
        let actor = actor_of(&mut conn, user).await?;
        Ok(Some(Session {
            token: token.to_string(),
            csrf,
            desks: self.desks(&actor),
            actor,
        }))
    }

    pub async fn sign_out(&self, session: &Session) -> Result<()> {
        let hash = token_hash(&session.token);
        let actor = session.actor.clone();
        let now = self.now_micros();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                if !store::delete_session(tx.conn(), &hash).await? {
                    // Already signed out: nothing changed, so nothing to record.
                    return Ok(());
                }
                let subject = format!("user/{}", actor.user_id);
                tx.journal(
                    now,
                    entry(&actor, subject, "identity.signed_out", json!({})),
                )
                .await?;
                Ok(())
            })
            .await
    }

    /// The user of a bearer API token.
    pub async fn token_actor(&self, token: &str) -> Result<Option<Actor>> {
        let mut conn = self.db.read().await?;
        let user_id =
            match store::find_api_token(&mut conn, &token_hash(token), self.now_micros()).await? {
                store::TokenState::Live { user_id } => user_id,
                store::TokenState::Unknown => return Ok(None),
                store::TokenState::Expired => return Err(token_expired().into()),
            };
        match store::find_user(&mut conn, user_id).await? {
            Some(user) if user.is_open() => Ok(Some(actor_of(&mut conn, user).await?)),
            _ => Ok(None),
        }
    }

    /// Issue an API token for a program acting as `actor`, for the longest
    /// a token lasts. The token is shown once.
    pub async fn issue_api_token(&self, actor: &Actor, name: &str) -> Result<String> {
        self.issue_own_token(actor, name, None).await
    }

    /// Issue an API token for oneself that ends after `days` (at most, and
    /// by default, [`TOKEN_DAYS`]). The token is shown once.
    pub async fn issue_own_token(
        &self,
        actor: &Actor,
        name: &str,
        days: Option<u32>,
    ) -> Result<String> {
        let name = check_token_name(name)?;
        let lifetime = token_lifetime(days)?;
        let actor = actor.clone();
        let now = self.now_micros();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<String> {
                insert_token(tx, &actor, &name, now, lifetime).await
            })
            .await
    }

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

    /// A citizen signs up online: a login of their choosing, the identity
    /// number they say is theirs, their name and a password. The account is
    /// not bound to that number (实名) until a counter code or the citizen
    /// card binds it, so any number of accounts may claim one number, and
    /// the answer is the same whether the number has an account or not.
    pub async fn register_citizen(&self, new: NewApplicant) -> Result<i64> {
        self.register_applicant(UserKind::Citizen, new).await
    }

    /// An enterprise signs up online as a citizen does, with its unified
    /// social credit code; its legal representative binds it at a counter.
    pub async fn register_enterprise(&self, new: NewApplicant) -> Result<i64> {
        self.register_applicant(UserKind::Enterprise, new).await
    }

    async fn register_applicant(&self, kind: UserKind, new: NewApplicant) -> Result<i64> {
        let mut e = FieldErrors::default();
        let login = new.login.trim().to_string();
        if let Err((zh, en)) = sunshine_domain::identity::validate_applicant_login(&login) {
            e.add("login", zh, en);
        }
        let number = match kind {
            UserKind::Enterprise => CreditCode::parse(new.number.trim())
                .map(|c| c.to_string())
                .map_err(|b| e.add("credit_code", b.zh, b.en))
                .ok(),
            _ => ResidentId::parse(new.number.trim())
                .map(|i| i.to_string())
                .map_err(|b| e.add("id_number", b.zh, b.en))
                .ok(),
        };
        check_person(&mut e, &new.name, &new.password);
        e.check()?;
        let number = number.ok_or_else(|| anyhow::anyhow!("checked above"))?;
        self.insert_user(
            &system_actor(),
            NewUser {
                kind,
                login,
                display_name: new.name.trim().to_string(),
                org: None,
                id_number: None,
                credit_code: None,
                password_hash: String::new(),
                claimed_id: Some(number),
            },
            new.password,
            vec![],
        )
        .await
    }

    async fn insert_user(
        &self,
        actor: &Actor,
        mut user: NewUser,
        password: String,
        grants: Vec<Grant>,
    ) -> Result<i64> {
        user.password_hash = self.hash_password(password).await?;
        let now = self.now_micros();
        let actor = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<i64> {
                let id = match store::insert_user(tx.conn(), &user, now).await {
                    // Only the login is unique: a taken login says nothing of any number.
                    Err(sunshine_store::StoreError::Duplicate(_)) => {
                        return Err(Refusal::field(
                            "login",
                            "该登录名已被使用，请换一个",
                            "This login is taken; choose another",
                        )
                        .into())
                    }
                    other => other?,
                };
                for g in &grants {
                    store::insert_grant(tx.conn(), id, g).await?;
                }
                // The journal is internal, yet it records only what it needs: no identity number.
                let login = match user.kind {
                    UserKind::Citizen => masked_login(&user.login),
                    _ => user.login.clone(),
                };
                let payload = json!({
                    "kind": user.kind.as_str(),
                    "login": login,
                    "org": user.org.as_ref().map(|o| o.as_str().to_string()),
                    "roles": grants.iter().map(|g| g.role.as_str()).collect::<Vec<_>>(),
                });
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("user/{id}"),
                        "identity.user_created",
                        payload,
                    ),
                )
                .await?;
                Ok(id)
            })
            .await
    }

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

    /// The staff accounts an administrator manages: those of the
    /// organisations beneath their grant. Nobody else lists staff.
    pub async fn list_staff(&self, actor: &Actor) -> Result<Vec<(UserRow, Vec<Grant>)>> {
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
            let managed = u
                .org
                .as_ref()
                .is_some_and(|org| self.authorize(actor, &Action::ManageStaff { org }).is_ok());
            if managed {
                let grants = store::grants_of(&mut conn, u.id).await?;
                out.push((u, grants));
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

/// Logins are typed as people write them; identity numbers and credit codes
/// are stored upper-case.
fn normalise_login(login: &str) -> String {
    let login = login.trim();
    if login.len() == 18 && login.is_ascii() {
        login.to_ascii_uppercase()
    } else {
        login.to_string()
    }
}

/// A login fit for a log line: identity numbers masked.
fn masked_login(login: &str) -> String {
    ResidentId::parse(login)
        .map(|id| id.masked())
        .unwrap_or_else(|_| login.chars().take(40).collect())
}

fn check_token_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || !is_clean_text(name) {
        return Err(Refusal::field(
            "name",
            "令牌名称应为1至100个字符",
            "A token name has 1 to 100 characters",
        )
        .into());
    }
    Ok(name.to_string())
}

/// A token's lifetime in microseconds: `days` from 1 to [`TOKEN_DAYS`], that by default.
pub(crate) fn token_lifetime(days: Option<u32>) -> Result<i64> {
    let days = days.unwrap_or(TOKEN_DAYS);
    if !(1..=TOKEN_DAYS).contains(&days) {
        return Err(Refusal::field(
            "expires_in_days",
            format!("有效期应为1至{TOKEN_DAYS}天"),
            format!("A token lasts 1 to {TOKEN_DAYS} days"),
        )
        .into());
    }
    Ok(i64::from(days) * 86_400_000_000)
}

/// A token past its end is refused as a revoked one is, saying why.
fn token_expired() -> Refusal {
    let mut r = Refusal::unauthenticated();
    r.code = "token_expired";
    r.message = sunshine_domain::Text::new(
        "访问令牌已过期，请重新申请",
        "The access token has expired; ask for a new one",
    );
    r
}

async fn insert_token(
    tx: &mut WriteTx,
    actor: &Actor,
    name: &str,
    now: i64,
    lifetime: i64,
) -> Result<String> {
    let token = random_token();
    let expires = now + lifetime;
    let id = store::insert_api_token(
        tx.conn(),
        &token_hash(&token),
        actor.user_id,
        name,
        now,
        expires,
    )
    .await?;
    tx.journal(
        now,
        entry(
            actor,
            format!("user/{}", actor.user_id),
            "identity.api_token_issued",
            json!({"token_id": id, "name": name, "expires_at": expires}),
        ),
    )
    .await?;
    Ok(token)
}

/// A staff account by login, inside a write.
async fn staff_member(tx: &mut WriteTx, login: &str) -> Result<UserRow> {
    store::find_user_by_login(tx.conn(), login)
        .await?
        .filter(|u| u.kind == UserKind::Staff)
        .ok_or_else(|| Refusal::not_found("工作人员", "Staff member").into())
}

/// A user with their grants and posts, as an actor.
pub(crate) async fn actor_of(conn: &mut sunshine_store::Conn, user: UserRow) -> Result<Actor> {
    let grants = store::grants_of(conn, user.id).await?;
    let posts = store::posts_of(conn, user.id).await?;
    let verified_id = user.verified_id().map(str::to_string);
    Ok(Actor {
        verified_id,
        user_id: user.id,
        login: user.login,
        display_name: user.display_name,
        kind: user.kind,
        org: user.org,
        grants,
        posts,
    })
}

fn check_person(e: &mut FieldErrors, name: &str, password: &str) {
    if !is_clean_text(name) {
        control_characters(e, "name");
    } else if name.trim().is_empty() || name.chars().count() > 100 {
        e.add(
            "name",
            "名称应为1至100个字符",
            "A name has 1 to 100 characters",
        );
    }
    if let Err((zh, en)) = validate_password(password) {
        e.add("password", zh, en);
    }
}

/// The platform itself, as the actor of what nobody signed in does (sign-up, set-up).
pub fn system_actor() -> Actor {
    Actor {
        user_id: 0,
        login: "system".into(),
        display_name: "系统".into(),
        kind: UserKind::Staff,
        org: None,
        grants: vec![],
        posts: vec![],
        verified_id: None,
    }
}

/// A journal entry by `actor`, in the actor's organisation.
pub fn entry(
    actor: &Actor,
    subject: String,
    event_type: &'static str,
    payload: serde_json::Value,
) -> NewEntry {
    NewEntry {
        actor: actor.journal_name(),
        org: actor
            .org
            .as_ref()
            .map(|o| o.as_str().to_string())
            .unwrap_or_default(),
        subject,
        event_type,
        payload,
    }
}
