//! A flash: the one-line confirmation of what an action did ("已受理
//! 2026-330100-000123"), carried across the redirect that follows the
//! action, shown once at the top of the next page, then gone.
//!
//! The action answers with `flash::redirect(to, zh, en)`: a 303 and a
//! short-lived cookie holding both languages. The `layer` reads the cookie
//! on the next request and keeps it for the request's task, where
//! `Chrome::new` picks it up; a page that shows it clears the cookie. The
//! text is always rendered escaped: a forged cookie can only put words on
//! its own owner's page.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::i18n::Lang;

const COOKIE: &str = "flash";
/// Longest text kept, per language, in bytes.
const MAX: usize = 400;

tokio::task_local! {
    static FLASH: Option<(String, String)>;
}

/// Redirect (303) to `to`, and show `zh` / `en` there once.
pub fn redirect(to: &str, zh: impl AsRef<str>, en: impl AsRef<str>) -> Response {
    let value = encode(zh.as_ref(), en.as_ref());
    let mut resp = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
    )) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// The flash waiting for this request's page, in its language.
pub fn current(lang: Lang) -> Option<String> {
    FLASH
        .try_with(|f| f.clone())
        .ok()
        .flatten()
        .map(|(zh, en)| lang.pick(&zh, &en).to_string())
}

/// The middleware: hands the flash cookie to the request's page and clears
/// it once a page (not another redirect) has been answered.
pub async fn layer(req: Request, next: Next) -> Response {
    let found = crate::cookies::cookie(req.headers(), COOKIE).and_then(|v| decode(&v));
    if found.is_none() {
        return next.run(req).await;
    }
    let mut resp = FLASH.scope(found, next.run(req)).await;
    if !resp.status().is_redirection() && resp.status() != StatusCode::NOT_MODIFIED {
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        )) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

fn encode(zh: &str, en: &str) -> String {
    let cut = |s: &str| -> String {
        let mut end = s.len().min(MAX);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        form_urlencoded::byte_serialize(&s.as_bytes()[..end]).collect()
    };
    // `byte_serialize` escapes every `!`, so it can part the two texts.
    format!("{}!{}", cut(zh), cut(en))
}

fn decode(v: &str) -> Option<(String, String)> {
    let (zh, en) = v.split_once('!')?;
    let text = |s: &str| -> String {
        form_urlencoded::parse(format!("t={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let (zh, en) = (text(zh), text(en));
    (!zh.is_empty() && !en.is_empty()).then_some((zh, en))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_survives_its_cookie() {
        let v = encode(
            "已受理 2026-330100-000123；请留意 & 短信!",
            "Accepted; see & wait!",
        );
        assert!(!v.contains(';') && !v.contains(' ') && !v.contains(','));
        assert_eq!(
            decode(&v),
            Some((
                "已受理 2026-330100-000123；请留意 & 短信!".into(),
                "Accepted; see & wait!".into()
            ))
        );
        assert_eq!(decode("garbage"), None);
        let long = "长".repeat(1000);
        let (zh, _) = decode(&encode(&long, "x")).unwrap();
        assert!(zh.len() <= MAX);
    }
}
