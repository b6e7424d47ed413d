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
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{control_characters, is_clean_text, FieldErrors, Refusal};
use sunshine_store::identity::{self as store, NewUser, UserRow};
use sunshine_store::WriteTx;

use crate::journal_entry::{entry, system_actor};
use crate::{App, AppError, Result};

/// How long a page session lasts.
const SESSION_HOURS: i64 = 12;

pub mod binding;
mod staff;
pub use staff::StaffAccount;
mod units;
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
