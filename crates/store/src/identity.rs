//! Organisations, users, grants, sessions and API tokens.

pub mod binding;

use sqlx::{AnyConnection, Row};
use sunshine_domain::identity::{Grant, OrgKind, Organisation, Post, Role, UserKind};
use sunshine_domain::ids::OrgCode;

use crate::{Result, StoreError};

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: {value:?}"))
}

fn org_code(s: &str) -> Result<OrgCode> {
    OrgCode::parse(s).map_err(|_| corrupt("organisation code", s))
}

pub async fn insert_org(conn: &mut AnyConnection, org: &Organisation, at: i64) -> Result<()> {
    sqlx::query("INSERT INTO organisations (code, name, name_en, kind, parent, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(org.code.as_str())
        .bind(&org.name)
        .bind(&org.name_en)
        .bind(org.kind.as_str())
        .bind(org.parent.as_ref().map(|p| p.as_str().to_string()))
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Rename an organisation; false when there is none by that code.
pub async fn rename_org(
    conn: &mut AnyConnection,
    code: &OrgCode,
    name: &str,
    name_en: &str,
) -> Result<bool> {
    let done = sqlx::query("UPDATE organisations SET name = $1, name_en = $2 WHERE code = $3")
        .bind(name)
        .bind(name_en)
        .bind(code.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

fn org_row(row: &sqlx::any::AnyRow) -> Result<Organisation> {
    let kind: String = row.try_get("kind")?;
    let parent: Option<String> = row.try_get("parent")?;
    Ok(Organisation {
        code: org_code(&row.try_get::<String, _>("code")?)?,
        name: row.try_get("name")?,
        name_en: row.try_get("name_en")?,
        kind: OrgKind::parse(&kind).ok_or_else(|| corrupt("organisation kind", &kind))?,
        parent: parent.as_deref().map(org_code).transpose()?,
    })
}

pub async fn list_orgs(conn: &mut AnyConnection) -> Result<Vec<Organisation>> {
    let rows =
        sqlx::query("SELECT code, name, name_en, kind, parent FROM organisations ORDER BY code")
            .fetch_all(&mut *conn)
            .await?;
    rows.iter().map(org_row).collect()
}

pub async fn get_org(conn: &mut AnyConnection, code: &OrgCode) -> Result<Option<Organisation>> {
    let row =
        sqlx::query("SELECT code, name, name_en, kind, parent FROM organisations WHERE code = $1")
            .bind(code.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    row.as_ref().map(org_row).transpose()
}

/// A user as stored.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub kind: UserKind,
    pub login: String,
    pub display_name: String,
    pub org: Option<OrgCode>,
    pub id_number: Option<String>,
    pub credit_code: Option<String>,
    pub password_hash: String,
    pub disabled: bool,
    /// The identity number or credit code an applicant's account says it is;
    /// `id_number` / `credit_code` hold it only once the account is bound.
    pub claimed_id: Option<String>,
    /// Closed when another account was bound to the number it claimed.
    pub closed: bool,
}

impl UserRow {
    /// The number the account is bound to (实名), if it is.
    pub fn verified_id(&self) -> Option<&str> {
        self.id_number.as_deref().or(self.credit_code.as_deref())
    }
    /// Whether it may sign in and act: neither disabled nor closed.
    pub fn is_open(&self) -> bool {
        !self.disabled && !self.closed
    }
}

pub struct NewUser {
    pub kind: UserKind,
    pub login: String,
    pub display_name: String,
    pub org: Option<OrgCode>,
    pub id_number: Option<String>,
    pub credit_code: Option<String>,
    pub password_hash: String,
    /// What an applicant's account says it is, until bound.
    pub claimed_id: Option<String>,
}

pub async fn insert_user(conn: &mut AnyConnection, u: &NewUser, at: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO users (kind, login, display_name, org, id_number, credit_code, password_hash, created_at, claimed_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(u.kind.as_str())
    .bind(&u.login)
    .bind(&u.display_name)
    .bind(u.org.as_ref().map(|o| o.as_str().to_string()))
    .bind(u.id_number.clone())
    .bind(u.credit_code.clone())
    .bind(&u.password_hash)
    .bind(at)
    .bind(u.claimed_id.clone())
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

const USER_COLUMNS: &str =
    "id, kind, login, display_name, org, id_number, credit_code, password_hash, disabled, claimed_id, closed_at";

fn user_row(row: &sqlx::any::AnyRow) -> Result<UserRow> {
    let kind: String = row.try_get("kind")?;
    let org: Option<String> = row.try_get("org")?;
    Ok(UserRow {
        id: row.try_get("id")?,
        kind: UserKind::parse(&kind).ok_or_else(|| corrupt("user kind", &kind))?,
        login: row.try_get("login")?,
        display_name: row.try_get("display_name")?,
        org: org.as_deref().map(org_code).transpose()?,
        id_number: row.try_get("id_number")?,
        credit_code: row.try_get("credit_code")?,
        password_hash: row.try_get("password_hash")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        claimed_id: row.try_get("claimed_id")?,
        closed: row.try_get::<Option<i64>, _>("closed_at")?.is_some(),
    })
}

/// The account bound to an identity number (a citizen) or a credit code
/// (an enterprise), if one is.
pub async fn find_bound_user(
    conn: &mut AnyConnection,
    kind: UserKind,
    number: &str,
) -> Result<Option<UserRow>> {
    let column = match kind {
        UserKind::Enterprise => "credit_code",
        _ => "id_number",
    };
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE {column} = $1 AND kind = $2"
    ))
    .bind(number)
    .bind(kind.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(user_row).transpose()
}

pub async fn find_user_by_login(conn: &mut AnyConnection, login: &str) -> Result<Option<UserRow>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE login = $1"
    ))
    .bind(login)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(user_row).transpose()
}

pub async fn find_user(conn: &mut AnyConnection, id: i64) -> Result<Option<UserRow>> {
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(user_row).transpose()
}

pub async fn list_staff(conn: &mut AnyConnection) -> Result<Vec<UserRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE kind = 'staff' ORDER BY login"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(user_row).collect()
}

pub async fn insert_grant(conn: &mut AnyConnection, user_id: i64, grant: &Grant) -> Result<()> {
    sqlx::query("INSERT INTO grants (user_id, role, org) VALUES ($1, $2, $3)")
        .bind(user_id)
        .bind(grant.role.as_str())
        .bind(grant.org.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn grants_of(conn: &mut AnyConnection, user_id: i64) -> Result<Vec<Grant>> {
    let rows = sqlx::query("SELECT role, org FROM grants WHERE user_id = $1 ORDER BY role, org")
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            Ok(Grant {
                role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
                org: org_code(&r.try_get::<String, _>("org")?)?,
            })
        })
        .collect()
}

pub async fn insert_post(conn: &mut AnyConnection, user_id: i64, post: &Post) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO staff_posts (user_id, org, post) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(user_id)
    .bind(post.org.as_str())
    .bind(&post.name)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn posts_of(conn: &mut AnyConnection, user_id: i64) -> Result<Vec<Post>> {
    let rows =
        sqlx::query("SELECT org, post FROM staff_posts WHERE user_id = $1 ORDER BY org, post")
            .bind(user_id)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(Post {
                org: org_code(&r.try_get::<String, _>("org")?)?,
                name: r.try_get("post")?,
            })
        })
        .collect()
}

pub async fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: i64,
    csrf: &str,
    at: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(at)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The session's user id and CSRF token, if it exists and has not expired.
pub async fn find_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<Option<(i64, String)>> {
    let row =
        sqlx::query("SELECT user_id, csrf FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|r| Ok((r.try_get("user_id")?, r.try_get("csrf")?)))
        .transpose()
}

/// Remove a session; whether there was one.
pub async fn delete_session(conn: &mut AnyConnection, token_hash: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn insert_api_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: i64,
    name: &str,
    at: i64,
    expires_at: i64,
) -> Result<i64> {
    let row = sqlx::query("INSERT INTO api_tokens (token_hash, user_id, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(token_hash)
        .bind(user_id)
        .bind(name)
        .bind(at)
        .bind(expires_at)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("id")?)
}

/// What a bearer token is, looked up by its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Live {
        user_id: i64,
    },
    Expired,
    /// Revoked or never issued: the same to whoever holds it.
    Unknown,
}

/// The state of an API token at `now`.
pub async fn find_api_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<TokenState> {
    let row =
        sqlx::query("SELECT user_id, expires_at, revoked_at FROM api_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(row) = row else {
        return Ok(TokenState::Unknown);
    };
    let revoked: Option<i64> = row.try_get("revoked_at")?;
    let expires: Option<i64> = row.try_get("expires_at")?;
    Ok(match (revoked, expires) {
        (Some(_), _) => TokenState::Unknown,
        (None, Some(e)) if e <= now => TokenState::Expired,
        _ => TokenState::Live {
            user_id: row.try_get("user_id")?,
        },
    })
}

/// An API token as its owner and administrators see it: never its secret.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

fn token_row(r: &sqlx::any::AnyRow) -> Result<TokenRow> {
    Ok(TokenRow {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        name: r.try_get("name")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

const TOKEN_COLUMNS: &str = "id, user_id, name, created_at, expires_at, revoked_at";

/// A user's API tokens, newest first.
pub async fn tokens_of(conn: &mut AnyConnection, user_id: i64) -> Result<Vec<TokenRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC"
    ))
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(token_row).collect()
}

pub async fn api_token(conn: &mut AnyConnection, id: i64) -> Result<Option<TokenRow>> {
    let row = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(token_row).transpose()
}

/// Revoke one token; whether it was live until now.
pub async fn revoke_api_token(conn: &mut AnyConnection, id: i64, at: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Revoke every token of a user still unrevoked; how many.
pub async fn revoke_tokens_of(conn: &mut AnyConnection, user_id: i64, at: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(at)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// A page session as its owner sees it: the hash of its secret is its key,
/// and only a short prefix of that hash leaves the store, as its handle.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub token_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A user's live sessions, newest first.
pub async fn sessions_of(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> Result<Vec<SessionRow>> {
    let rows = sqlx::query("SELECT token_hash, created_at, expires_at FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, token_hash")
        .bind(user_id)
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(SessionRow {
                token_hash: r.try_get("token_hash")?,
                created_at: r.try_get("created_at")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .collect()
}

/// End every session of a user; how many there were.
pub async fn delete_sessions_of(conn: &mut AnyConnection, user_id: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Disable or re-enable an account; whether that changed anything.
pub async fn set_disabled(conn: &mut AnyConnection, user_id: i64, disabled: bool) -> Result<bool> {
    let done = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2 AND disabled <> $1")
        .bind(i64::from(disabled))
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
