//! `/account`: one's own sessions and API tokens, ended and revoked here,
//! and who among the staff read one's data, and why.

use askama::Template;
use axum::extract::{Form, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::identity::Session;

use super::fmt::when;
use super::hotline::admin::CsrfForm;
use super::{bad_token, error_page, flash, refusal_message, render, Chrome};
use crate::auth::{clear_session_cookie, csrf_ok, SignedIn};
use crate::error::status_of;
use crate::i18n::Lang;
use crate::AppState;

pub struct SessionLine {
    pub id: String,
    pub created: String,
    pub expires: String,
    pub current: bool,
}

pub struct TokenLine {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub expires: String,
    /// Live, expired or revoked, in words.
    pub state: String,
    pub live: bool,
}

pub struct ReadLine {
    pub at: String,
    pub reader: String,
    pub org: String,
    /// The kind of record, in the page's language.
    pub what: String,
    /// Which record (a case number, a masked card, a request with its
    /// reason), as written.
    pub detail: String,
    pub purpose: String,
}

#[derive(Template)]
#[template(path = "account/index.html")]
struct AccountPage {
    c: Chrome,
    sessions: Vec<SessionLine>,
    tokens: Vec<TokenLine>,
    reads: Vec<ReadLine>,
    /// A token just issued, shown this once.
    new_token: String,
    message: String,
    errors: std::collections::BTreeMap<String, String>,
}

impl AccountPage {
    fn err(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

async fn page(s: &AppState, lang: Lang, session: &Session, shown: Shown) -> Response {
    let c = Chrome::new(lang, Some(session), "/account");
    let actor = &session.actor;
    let (sessions, tokens, reads) = match (
        s.app.sessions_of(actor, Some(session)).await,
        s.app.api_tokens(actor, None).await,
        s.app.reads_of_me(actor).await,
    ) {
        (Ok(a), Ok(b), Ok(r)) => (a, b, r),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return error_page(c, e),
    };
    let now = s.app.now_micros();
    let orgs = s.app.orgs();
    let sessions = sessions
        .into_iter()
        .map(|v| SessionLine {
            id: v.id,
            created: when(lang, v.created_at),
            expires: when(lang, v.expires_at),
            current: v.current,
        })
        .collect();
    let tokens = tokens
        .into_iter()
        .map(|t| {
            let expired = t.expires_at.is_some_and(|e| e <= now);
            let state = match (t.revoked_at, expired) {
                (Some(_), _) => c.pick("已撤销", "Revoked"),
                (None, true) => c.pick("已过期", "Expired"),
                (None, false) => c.pick("有效", "Live"),
            };
            TokenLine {
                id: t.id,
                name: t.name,
                created: when(lang, t.created_at),
                expires: t.expires_at.map(|e| when(lang, e)).unwrap_or_default(),
                state: state.to_string(),
                live: t.revoked_at.is_none() && !expired,
            }
        })
        .collect();
    let reads = reads
        .into_iter()
        .map(|r| ReadLine {
            at: when(lang, r.at),
            org: orgs.name(&r.reader_org, lang.code()),
            reader: r.reader,
            what: c.pick(r.kind.name_zh(), r.kind.name_en()).to_string(),
            detail: r.what,
            purpose: c.pick(r.purpose.name_zh(), r.purpose.name_en()).to_string(),
        })
        .collect();
    let status = shown.status;
    let page = render(&AccountPage {
        c,
        sessions,
        tokens,
        reads,
        new_token: shown.new_token,
        message: shown.message,
        errors: shown.errors,
    });
    (status, page).into_response()
}

/// What a page shows after a form: a new token, or what was wrong.
struct Shown {
    status: axum::http::StatusCode,
    new_token: String,
    message: String,
    errors: std::collections::BTreeMap<String, String>,
}

impl Default for Shown {
    fn default() -> Self {
        Shown {
            status: axum::http::StatusCode::OK,
            new_token: String::new(),
            message: String::new(),
            errors: Default::default(),
        }
    }
}

pub async fn show(State(s): State<AppState>, lang: Lang, SignedIn(session): SignedIn) -> Response {
    page(&s, lang, &session, Shown::default()).await
}

/// The page again with a refusal, or back to it saying what was `done`.
async fn after(
    s: &AppState,
    lang: Lang,
    session: &Session,
    result: sunshine_app::Result<()>,
    done: (&str, &str),
) -> Response {
    match result {
        Ok(()) => flash::redirect("/account", done.0, done.1),
        Err(sunshine_app::AppError::Refused(r)) => {
            let c = Chrome::new(lang, Some(session), "/account");
            let e = sunshine_app::AppError::Refused(r.clone());
            let shown = Shown {
                status: status_of(r.kind),
                message: refusal_message(&c, &e).unwrap_or_default(),
                errors: r.field_messages(lang.code()),
                ..Shown::default()
            };
            page(s, lang, session, shown).await
        }
        Err(e) => error_page(Chrome::new(lang, Some(session), "/account"), e),
    }
}

pub async fn end_session(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    axum::extract::Path(id): axum::extract::Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(Chrome::new(lang, Some(&session), "/account"));
    }
    let result = s.app.end_session(&session.actor, &id).await;
    let done = ("该设备已退出登录", "That browser is signed out");
    after(&s, lang, &session, result, done).await
}

/// Sign out everywhere, this browser too.
pub async fn end_all(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Form(f): Form<CsrfForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/account");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    if let Err(e) = s.app.end_all_sessions(&session.actor).await {
        return error_page(c, e);
    }
    let mut resp = flash::redirect("/login", "已退出所有设备", "You are signed out everywhere");
    if let Ok(v) = clear_session_cookie().parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

pub async fn revoke_token(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(Chrome::new(lang, Some(&session), "/account"));
    }
    let result = s.app.revoke_api_token(&session.actor, id).await;
    let done = (
        "令牌已撤销，不能再用",
        "The token is revoked and no longer works",
    );
    after(&s, lang, &session, result, done).await
}

#[derive(Debug, Default, Deserialize)]
pub struct NewTokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    days: String,
}

/// Issue a token for oneself, shown once on the page.
pub async fn issue_token(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Form(f): Form<NewTokenForm>,
) -> Response {
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(Chrome::new(lang, Some(&session), "/account"));
    }
    let days = match f.days.trim() {
        "" => Ok(None),
        d => d.parse::<u32>().map(Some).map_err(|_| {
            sunshine_domain::Refusal::field(
                "expires_in_days",
                "有效期应为天数",
                "Give the lifetime in days",
            )
            .into()
        }),
    };
    let issued = match days {
        Ok(days) => s.app.issue_own_token(&session.actor, &f.name, days).await,
        Err(e) => Err(e),
    };
    match issued {
        Ok(token) => {
            let shown = Shown {
                new_token: token,
                ..Shown::default()
            };
            page(&s, lang, &session, shown).await
        }
        Err(e) => after(&s, lang, &session, Err(e), ("", "")).await,
    }
}
