//! Credentials that end: API tokens listed and revoked, page sessions listed
//! and ended, staff accounts disabled. Every change is journaled.

use serde_json::json;
use sunshine_domain::identity::{Actor, UserKind};
use sunshine_domain::ids::OrgCode;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_store::identity::{self as store, UserRow};
use sunshine_store::WriteTx;

use crate::identity::{token_hash, Session};
use crate::journal_entry::entry;
use crate::{App, Result};

/// How many hex digits of a session's hash name it to its owner.
const SESSION_HANDLE: usize = 16;

/// A live page session, without its secret.
#[derive(Debug, Clone)]
pub struct SessionView {
    /// Names the session to end it; not its secret.
    pub id: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// The session this request came with.
    pub current: bool,
}

/// An API token as its owner and administrators see it: never its secret.
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl From<store::TokenRow> for ApiToken {
    fn from(t: store::TokenRow) -> Self {
        Self {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

fn token_not_found() -> Refusal {
    Refusal::not_found("访问令牌", "Access token")
}

impl App {
    /// Whether `actor` may manage `user`'s credentials: the user themselves,
    /// administrators over a staff account's organisation, and the root
    /// administrator for citizens and enterprises.
    fn may_manage_credentials(&self, actor: &Actor, user: &UserRow) -> Result<()> {
        if actor.user_id == user.id {
            return Ok(());
        }
        let org = self.account_org(user)?;
        self.authorize(actor, &Action::ManageStaff { org: &org })
    }

    /// The organisation an account's credentials are managed at.
    fn account_org(&self, user: &UserRow) -> Result<OrgCode> {
        let orgs = self.orgs();
        let root = || orgs.tree.root().cloned();
        match (&user.kind, &user.org) {
            (UserKind::Staff, Some(org)) => Ok(org.clone()),
            _ => root().ok_or_else(|| anyhow::anyhow!("no organisations").into()),
        }
    }

    async fn user_by_login(&self, login: &str) -> Result<UserRow> {
        let mut conn = self.db.read().await?;
        crate::identity::find_account(&mut conn, login.trim())
            .await?
            .ok_or_else(|| Refusal::not_found("账号", "Account").into())
    }

    /// A user's API tokens, newest first: their own, or, for an
    /// administrator over them, another account's by login.
    pub async fn api_tokens(&self, actor: &Actor, login: Option<&str>) -> Result<Vec<ApiToken>> {
        let user_id = match login.map(str::trim).filter(|l| !l.is_empty()) {
            Some(login) => {
                let user = self.user_by_login(login).await?;
                self.may_manage_credentials(actor, &user)?;
                user.id
            }
            None => actor.user_id,
        };
        let mut conn = self.db.read().await?;
        let tokens = store::tokens_of(&mut conn, user_id).await?;
        Ok(tokens.into_iter().map(ApiToken::from).collect())
    }

    /// Revoke an API token, as its owner or an administrator over them. A
    /// token someone may not manage is, for them, not there. Journaled.
    pub async fn revoke_api_token(&self, actor: &Actor, id: i64) -> Result<()> {
        let (token, owner) = {
            let mut conn = self.db.read().await?;
            let token = store::api_token(&mut conn, id)
                .await?
                .ok_or_else(token_not_found)?;
            let owner = store::find_user(&mut conn, token.user_id)
                .await?
                .ok_or_else(token_not_found)?;
            (token, owner)
        };
        self.may_manage_credentials(actor, &owner)
            .map_err(|_| token_not_found())?;
        if token.revoked_at.is_some() {
            return Ok(());
        }
        let (actor, now) = (actor.clone(), self.now_micros());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                if store::revoke_api_token(tx.conn(), id, now).await? {
                    let payload = json!({"token_id": id, "name": token.name});
                    tx.journal(
                        now,
                        entry(
                            &actor,
                            format!("user/{}", owner.id),
                            "identity.api_token_revoked",
                            payload,
                        ),
                    )
                    .await?;
                }
                Ok(())
            })
            .await
    }

    /// The actor's live page sessions, newest first; `current` is the one
    /// asking, if it asks through a session.
    pub async fn sessions_of(
        &self,
        actor: &Actor,
        current: Option<&Session>,
    ) -> Result<Vec<SessionView>> {
        let here = current.map(|s| token_hash(&s.token));
        let mut conn = self.db.read().await?;
        let rows = store::sessions_of(&mut conn, actor.user_id, self.now_micros()).await?;
        Ok(rows
            .into_iter()
            .map(|r| SessionView {
                id: r.token_hash.chars().take(SESSION_HANDLE).collect(),
                created_at: r.created_at,
                expires_at: r.expires_at,
                current: here.as_deref() == Some(r.token_hash.as_str()),
            })
            .collect())
    }

    /// End one of the actor's own sessions, named by its id. Journaled.
    pub async fn end_session(&self, actor: &Actor, id: &str) -> Result<()> {
        let id = id.trim().to_ascii_lowercase();
        if id.len() != SESSION_HANDLE || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Refusal::not_found("会话", "Session").into());
        }
        let (actor, now) = (actor.clone(), self.now_micros());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                let hash = store::sessions_of(tx.conn(), actor.user_id, now)
                    .await?
                    .into_iter()
                    .map(|s| s.token_hash)
                    .find(|h| h.starts_with(&id))
                    .ok_or_else(|| Refusal::not_found("会话", "Session"))?;
                store::delete_session(tx.conn(), &hash).await?;
                tx.journal(
                    now,
                    entry(
                        &actor,
                        format!("user/{}", actor.user_id),
                        "identity.session_ended",
                        json!({"session": id}),
                    ),
                )
                .await?;
                Ok(())
            })
            .await
    }

    /// Sign out everywhere: end every page session of the actor. Journaled
    /// when there was one; how many ended.
    pub async fn end_all_sessions(&self, actor: &Actor) -> Result<u64> {
        let (actor, now) = (actor.clone(), self.now_micros());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<u64> {
                let ended = store::delete_sessions_of(tx.conn(), actor.user_id).await?;
                if ended > 0 {
                    tx.journal(
                        now,
                        entry(
                            &actor,
                            format!("user/{}", actor.user_id),
                            "identity.sessions_ended",
                            json!({"sessions": ended}),
                        ),
                    )
                    .await?;
                }
                Ok(ended)
            })
            .await
    }

    /// Whether `actor` may disable or re-enable the staff account `user`:
    /// an administrator over its organisation, never themselves.
    pub(crate) fn may_disable(&self, actor: &Actor, user: &UserRow) -> bool {
        user.kind == UserKind::Staff
            && user.id != actor.user_id
            && user
                .org
                .as_ref()
                .is_some_and(|org| self.authorize(actor, &Action::ManageStaff { org }).is_ok())
    }

    /// Disable a staff account, ending its sessions and revoking its tokens
    /// at once, or enable it again. Journaled; no change is no entry.
    pub async fn set_staff_disabled(
        &self,
        actor: &Actor,
        login: &str,
        disabled: bool,
    ) -> Result<()> {
        let user = self
            .user_by_login(login)
            .await
            .ok()
            .filter(|u| u.kind == UserKind::Staff)
            .ok_or_else(|| Refusal::not_found("工作人员", "Staff member"))?;
        if user.id == actor.user_id {
            return Err(Refusal::forbidden(
                "cannot_disable_self",
                "不能停用或启用自己的账号",
                "Nobody disables or enables their own account",
            )
            .into());
        }
        let org = self.account_org(&user)?;
        self.authorize(actor, &Action::ManageStaff { org: &org })?;
        let (actor, now) = (actor.clone(), self.now_micros());
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<()> {
                    if !store::set_disabled(tx.conn(), user.id, disabled).await? {
                        return Ok(());
                    }
                    let (event, payload) = if disabled {
                        let sessions = store::delete_sessions_of(tx.conn(), user.id).await?;
                        let tokens = store::revoke_tokens_of(tx.conn(), user.id, now).await?;
                        (
                            "identity.user_disabled",
                            json!({"login": user.login, "sessions_ended": sessions, "tokens_revoked": tokens}),
                        )
                    } else {
                        ("identity.user_enabled", json!({"login": user.login}))
                    };
                    tx.journal(
                        now,
                        entry(&actor, format!("user/{}", user.id), event, payload),
                    )
                    .await?;
                    Ok(())
                })
            .await
    }
}
