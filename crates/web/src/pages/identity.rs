//! Who may enter: signing in and out, and staff accounts (who works in the
//! platform with which roles, and the form with which an administrator adds
//! one).

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sunshine_app::identity::NewStaff;
use sunshine_app::AppError;
use sunshine_domain::identity::Role;

use super::{bad_token, error_page, flash, opts, render, Chrome, Opt};
use crate::auth::{
    clear_session_cookie, csrf_ok, safe_path, session_cookie, FormToken, MaybeSession, StaffSession,
};
use crate::guard::ClientAddr;
use crate::i18n::Lang;
use crate::AppState;

pub struct StaffRow {
    pub login: String,
    pub name: String,
    pub org: String,
    pub roles: Vec<String>,
    pub disabled: bool,
    /// Whether the one looking may disable or enable it.
    pub can_change: bool,
}

pub struct RoleBox {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "identity/users.html")]
struct UsersPage {
    c: Chrome,
    rows: Vec<StaffRow>,
    f: StaffForm,
    orgs: Vec<Opt>,
    roles: Vec<RoleBox>,
    errors: std::collections::BTreeMap<String, String>,
    message: String,
}

impl UsersPage {
    fn err(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    password: String,
    /// Checked role boxes arrive as `role_<name>=on`.
    #[serde(default)]
    role_catalog_editor: Option<String>,
    #[serde(default)]
    role_legal_reviewer: Option<String>,
    #[serde(default)]
    role_approver: Option<String>,
    #[serde(default)]
    role_administrator: Option<String>,
}

impl StaffForm {
    fn roles(&self) -> Vec<Role> {
        [
            (Role::CatalogEditor, &self.role_catalog_editor),
            (Role::LegalReviewer, &self.role_legal_reviewer),
            (Role::Approver, &self.role_approver),
            (Role::Administrator, &self.role_administrator),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(r, _)| r)
        .collect()
    }
}

async fn page(
    s: &AppState,
    c: Chrome,
    actor: &sunshine_domain::identity::Actor,
    f: StaffForm,
    errors: std::collections::BTreeMap<String, String>,
    message: String,
) -> Response {
    let lang = c.lang;
    let list = match s.app.list_staff(actor).await {
        Ok(l) => l,
        Err(e) => return error_page(c, e),
    };
    let dir = s.app.orgs();
    let rows = list
        .into_iter()
        .map(|u| StaffRow {
            can_change: u.may_disable,
            disabled: u.disabled,
            org: dir.name(u.org.as_str(), lang.code()),
            roles: u
                .grants
                .iter()
                .map(|g| {
                    format!(
                        "{} · {}",
                        lang.pick(g.role.name_zh(), g.role.name_en()),
                        dir.name(g.org.as_str(), lang.code())
                    )
                })
                .collect(),
            login: u.login,
            name: u.display_name,
        })
        .collect();
    let checked = f.roles();
    let roles = Role::ALL
        .iter()
        .map(|r| RoleBox {
            value: r.as_str(),
            label: lang.pick(r.name_zh(), r.name_en()),
            checked: checked.contains(r),
        })
        .collect();
    let orgs = opts(
        dir.list
            .iter()
            .map(|o| {
                (
                    o.code.to_string(),
                    lang.pick(&o.name, &o.name_en).to_string(),
                )
            })
            .collect(),
        &f.org,
    );
    render(&UsersPage {
        c,
        rows,
        f,
        orgs,
        roles,
        errors,
        message,
    })
}

pub async fn list(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/users");
    let f = StaffForm {
        org: session
            .actor
            .org
            .as_ref()
            .map(|o| o.to_string())
            .unwrap_or_default(),
        ..StaffForm::default()
    };
    page(&s, c, &session.actor, f, Default::default(), String::new()).await
}

pub async fn create(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<StaffForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/users");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let new = NewStaff {
        login: f.login.trim().to_string(),
        display_name: f.display_name.clone(),
        org: f.org.clone(),
        password: f.password.clone(),
        roles: f.roles().iter().map(|r| r.as_str().to_string()).collect(),
    };
    let login = new.login.clone();
    match s.app.create_staff(&session.actor, new).await {
        Ok(_) => flash::redirect(
            "/staff/users",
            format!("已新增工作人员 {login}"),
            format!("Staff member {login} added"),
        ),
        Err(AppError::Refused(r)) => {
            let errors = r.field_messages(lang.code());
            let status = crate::error::status_of(r.kind);
            let message = r.message.get(lang.code()).to_string();
            let f = StaffForm {
                password: String::new(),
                ..f
            };
            (
                status,
                page(&s, c, &session.actor, f, errors, message).await,
            )
                .into_response()
        }
        Err(e) => error_page(c, e),
    }
}

/// Disable (or enable again) a staff account from its row: administrators
/// over its organisation, never their own.
pub async fn change(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    axum::extract::Path((login, change)): axum::extract::Path<(String, String)>,
    Form(f): Form<super::hotline::admin::CsrfForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/users");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let disabled = match change.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return super::not_found(lang, axum::http::Uri::from_static("/staff/users")).await,
    };
    match s
        .app
        .set_staff_disabled(&session.actor, &login, disabled)
        .await
    {
        Ok(()) if disabled => flash::redirect(
            "/staff/users",
            format!("已停用 {login}，其会话随即失效"),
            format!("{login} disabled; their sessions have ended"),
        ),
        Ok(()) => flash::redirect(
            "/staff/users",
            format!("已启用 {login}"),
            format!("{login} enabled"),
        ),
        Err(AppError::Refused(r)) => {
            let status = crate::error::status_of(r.kind);
            let message = r.message.get(lang.code()).to_string();
            let f = StaffForm::default();
            (
                status,
                page(&s, c, &session.actor, f, Default::default(), message).await,
            )
                .into_response()
        }
        Err(e) => error_page(c, e),
    }
}

#[derive(Template)]
#[template(path = "identity/login.html")]
struct LoginPage {
    c: Chrome,
    next: String,
    login: String,
    error: String,
    /// The visitor's pre-session CSRF token (login CSRF).
    form_token: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(
    lang: Lang,
    MaybeSession(session): MaybeSession,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/login");
    let form = FormToken::for_visitor(&headers);
    (
        form.set_cookie(),
        render(&LoginPage {
            c,
            next: q.next.as_deref().and_then(safe_path).unwrap_or_default(),
            login: String::new(),
            error: String::new(),
            form_token: form.token,
        }),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
    #[serde(default)]
    csrf: String,
}

pub async fn login(
    State(s): State<AppState>,
    lang: Lang,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let c = Chrome::new(lang, None, "/login");
    // Another site's form must not sign this browser in as someone else.
    if !FormToken::accepts(&headers, &f.csrf) {
        return super::bad_token(c);
    }
    if let Err(wait) = s.guard.admit_sign_in(&f.login, client) {
        return crate::guard::too_many("/login", lang, wait);
    }
    match s.app.sign_in(&f.login, &f.password).await {
        Ok(session) => {
            s.guard.sign_in_succeeded(&f.login);
            let mut headers = HeaderMap::new();
            if let Ok(v) = session_cookie(&session.token).parse() {
                headers.insert(header::SET_COOKIE, v);
            }
            // Back to the page that sent them (applicants only to the hall,
            // the catalogue, their account or the TV and kiosk pages of
            // their own services), else to their own work.
            let staff = session.actor.kind == sunshine_domain::identity::UserKind::Staff;
            let target = f
                .next
                .as_deref()
                .and_then(safe_path)
                .filter(|n| {
                    staff
                        || n.starts_with("/hall/")
                        || n.starts_with("/catalog")
                        || n.starts_with("/account")
                        || n.starts_with("/tv/")
                        || n.starts_with("/kiosk/")
                })
                .unwrap_or_else(|| s.app.home(&session.actor).to_string());
            (headers, Redirect::to(&target)).into_response()
        }
        Err(e) => {
            let error = match &e {
                sunshine_app::AppError::Refused(r) => {
                    if r.kind == sunshine_domain::refusal::RefusalKind::Unauthenticated {
                        s.guard.sign_in_failed(&f.login, client);
                    }
                    r.message.get(c.code()).to_string()
                }
                sunshine_app::AppError::Internal(_) => return error_page(c, e),
            };
            let status = match &e {
                sunshine_app::AppError::Refused(r) => crate::error::status_of(r.kind),
                sunshine_app::AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (
                status,
                render(&LoginPage {
                    c,
                    next: f.next.as_deref().and_then(safe_path).unwrap_or_default(),
                    login: f.login,
                    error,
                    form_token: f.csrf,
                }),
            )
                .into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(s): State<AppState>,
    MaybeSession(session): MaybeSession,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(session) = session {
        if !csrf_ok(&session, &f.csrf) {
            return (StatusCode::FORBIDDEN, "invalid form token").into_response();
        }
        if let Err(e) = s.app.sign_out(&session).await {
            tracing::error!(error = %e, "sign-out failed");
        }
    }
    let mut headers = HeaderMap::new();
    if let Ok(v) = clear_session_cookie().parse() {
        headers.insert(header::SET_COOKIE, v);
    }
    (headers, Redirect::to("/")).into_response()
}
