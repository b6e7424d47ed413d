//! Who is asking: bearer API tokens for programs, cookie sessions with CSRF
//! tokens for pages.

use axum::extract::FromRequestParts;
use axum::http::header::{self, HeaderMap};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use sunshine_app::identity::Session;
use sunshine_domain::identity::Actor;
use sunshine_domain::refusal::Refusal;

use crate::error::ApiError;
use crate::i18n::Lang;
use crate::AppState;

pub const SESSION_COOKIE: &str = "sunshine_session";

pub use crate::cookies::cookie;

/// The `Set-Cookie` value of a new session: HttpOnly, SameSite, whole site.
pub fn session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200")
}

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// A program's identity, from `Authorization: Bearer <token>`.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let lang = Lang::of(parts);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err(ApiError::from_refusal(&Refusal::unauthenticated(), lang));
        };
        match state.app.token_actor(token).await {
            Ok(Some(actor)) => Ok(ApiActor(actor)),
            Ok(None) => {
                let mut r = Refusal::unauthenticated();
                r.code = "bad_token";
                r.message = sunshine_domain::Text::new(
                    "访问令牌无效或已撤销",
                    "The access token is invalid or revoked",
                );
                Err(ApiError::from_refusal(&r, lang))
            }
            Err(e) => Err(ApiError::from_app(e, lang)),
        }
    }
}

/// A program's identity when it sent one: `None` without an
/// `Authorization` header; a header that does not name a live token is
/// refused as [`ApiActor`] refuses it.
pub struct MaybeApiActor(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeApiActor {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(MaybeApiActor(None));
        }
        let ApiActor(actor) = ApiActor::from_request_parts(parts, state).await?;
        Ok(MaybeApiActor(Some(actor)))
    }
}

/// The page session, if the visitor is signed in.
pub struct MaybeSession(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
            return Ok(MaybeSession(None));
        };
        match state.app.session(&token).await {
            Ok(s) => Ok(MaybeSession(s)),
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                Ok(MaybeSession(None))
            }
        }
    }
}

/// Anyone signed in; a visitor is sent to the sign-in page and back.
pub struct SignedIn(pub Session);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let MaybeSession(session) = MaybeSession::from_request_parts(parts, state)
            .await
            .unwrap_or(MaybeSession(None));
        session.map(SignedIn).ok_or_else(|| {
            let here = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            Redirect::to(&format!("/login?next={}", url_escape(here))).into_response()
        })
    }
}

/// The cookie a paired TV holds its secret in (sent to `/tv` pages only).
pub const TV_COOKIE: &str = "sunshine_tv";

/// Who a digital-TV page serves: the signed-in visitor, or the resident a
/// set-top box is paired with (`app::tv`); an unpaired TV is sent to pair.
/// Only the TV's pages take this, so a paired TV opens nothing else.
pub struct TvSession(pub Session);

impl FromRequestParts<AppState> for TvSession {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let MaybeSession(session) = MaybeSession::from_request_parts(parts, state)
            .await
            .unwrap_or(MaybeSession(None));
        if let Some(s) = session {
            return Ok(TvSession(s));
        }
        let pair = || Redirect::to("/tv/pair").into_response();
        let Some(secret) = cookie(&parts.headers, TV_COOKIE).filter(|t| !t.is_empty()) else {
            return Err(pair());
        };
        match state.app.tv_state(&secret).await {
            Ok(sunshine_app::tv::TvState::Paired(s)) => Ok(TvSession(*s)),
            Ok(_) => Err(pair()),
            Err(e) => {
                tracing::error!(error = %e, "TV lookup failed");
                Err(pair())
            }
        }
    }
}

/// A signed-in staff member; anyone else is sent to the sign-in page.
pub struct StaffSession(pub Session);

impl FromRequestParts<AppState> for StaffSession {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let MaybeSession(session) = MaybeSession::from_request_parts(parts, state)
            .await
            .unwrap_or(MaybeSession(None));
        match session {
            Some(s) if s.actor.kind == sunshine_domain::identity::UserKind::Staff => {
                Ok(StaffSession(s))
            }
            _ => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/staff/");
                let target = format!("/login?next={}", url_escape(next));
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

/// Percent-encode a value for a query string.
pub fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A form's CSRF token must be the session's; compared in constant time.
pub fn csrf_ok(session: &Session, token: &str) -> bool {
    same_secret(token, &session.csrf)
}

/// Two secrets are the same, compared in constant time; an empty one never is.
pub fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    !a.is_empty()
        && a.len() == b.len()
        && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The cookie that carries a visitor's form token before there is a session.
pub const FORM_COOKIE: &str = "sunshine_form";

/// A CSRF token for a form a visitor fills in before signing in (sign-in,
/// sign-up): without it another site could post its own credentials and
/// sign the visitor's browser in as someone else ("login CSRF"). The token
/// lives in a SameSite=Strict, HttpOnly cookie and in the form's hidden
/// `csrf` field; a post is accepted only when the two are the same.
///
/// On the page that shows the form:
///
/// ```ignore
/// let form = FormToken::for_visitor(&headers);
/// // the template: <input type="hidden" name="csrf" value="{{ form_token }}">
/// (form.set_cookie(), render(&Page { form_token: form.token.clone(), .. }))
/// ```
///
/// On the post, before any other work (and re-issue it when the form is shown again):
///
/// ```ignore
/// if !FormToken::accepts(&headers, &f.csrf) {
///     return crate::pages::bad_token(c);
/// }
/// ```
pub struct FormToken {
    pub token: String,
}

impl FormToken {
    /// The visitor's token: the one its cookie already holds (so that two
    /// open forms both stay valid), else a fresh one.
    pub fn for_visitor(headers: &HeaderMap) -> FormToken {
        let token = cookie(headers, FORM_COOKIE)
            .filter(|t| {
                t.len() == 43
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            .unwrap_or_else(sunshine_app::identity::random_token);
        FormToken { token }
    }

    /// The cookie to send with the form (`Secure` is added over https).
    pub fn set_cookie(&self) -> [(header::HeaderName, String); 1] {
        [(
            header::SET_COOKIE,
            format!(
                "{FORM_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=7200",
                self.token
            ),
        )]
    }

    /// Whether a posted form's token is the one in the visitor's cookie.
    pub fn accepts(headers: &HeaderMap, submitted: &str) -> bool {
        cookie(headers, FORM_COOKIE).is_some_and(|t| same_secret(submitted, &t))
    }
}

/// The path itself if it is a plain local path, else `None`. Only these are
/// followed after sign-in or a language switch: a leading `/`, no second `/`
/// or `\\` after it, and only characters that cannot turn into a scheme, a
/// host or a header break.
pub fn safe_path(n: &str) -> Option<String> {
    let ok = |n: &str| {
        n.starts_with('/')
            && !n[1..].starts_with(['/', '\\'])
            && n.len() <= 512
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_.~%?=&-+,:".contains(&b))
    };
    ok(n).then(|| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::safe_path;

    #[test]
    fn only_plain_local_paths_are_followed() {
        assert_eq!(
            safe_path("/staff/versions/3?lang=en").as_deref(),
            Some("/staff/versions/3?lang=en")
        );
        for evil in [
            "//evil.com",
            "/\\evil.com",
            "/\t/evil.com",
            "/\n",
            "https://evil.com",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_path(evil), None, "{evil:?} must not be followed");
        }
    }
}
