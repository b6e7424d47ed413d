//! Browser protections for every response and every state-changing request:
//! security headers (a CSP without inline script, no framing, no referrer
//! leaving the site, no sniffing, HSTS and `Secure` cookies over https), and
//! a refusal of state-changing requests another site's page sent.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::WebConfig;
use crate::guard::Guard;
use crate::i18n::Lang;

/// The default policy: scripts and styles only from the site's own files.
/// A route that sets its own (material downloads sandbox theirs) keeps it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A year, subdomains included: set only when the site is configured as https.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Adds the security headers a handler has not set itself.
pub async fn security_headers(
    State(guard): State<Arc<Guard>>,
    req: Request,
    next: Next,
) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    let defaults: [(HeaderName, &'static str); 4] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if guard.config.is_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
        secure_cookies(headers);
    }
    response
}

/// Every cookie set over https is sent back only over https.
fn secure_cookies(headers: &mut HeaderMap) {
    let cookies: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    if cookies.is_empty() {
        return;
    }
    headers.remove(header::SET_COOKIE);
    for c in cookies {
        let secured = match c.to_str() {
            Ok(s) if !s.to_ascii_lowercase().contains("; secure") => {
                HeaderValue::from_str(&format!("{s}; Secure")).unwrap_or(c)
            }
            _ => c,
        };
        headers.append(header::SET_COOKIE, secured);
    }
}

/// Refuses a state-changing request (POST, PUT, PATCH, DELETE) that a page
/// of another site sent: `Sec-Fetch-Site: cross-site`, or an `Origin` that
/// is not this site's. A request with neither header (a program, a
/// terminal, curl) passes: it carries no browser's ambient cookies.
pub async fn same_origin_writes(
    State(guard): State<Arc<Guard>>,
    req: Request,
    next: Next,
) -> Response {
    let writes = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if writes && from_another_site(&guard.config, req.headers()) {
        let (parts, _) = req.into_parts();
        tracing::info!(path = %parts.uri.path(), "refused a state-changing request from another site");
        return cross_site_refusal(parts.uri.path(), Lang::of(&parts));
    }
    next.run(req).await
}

/// Whether the browser says this request came from another site's page.
pub fn from_another_site(config: &WebConfig, headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if text("sec-fetch-site").is_some_and(|v| v.eq_ignore_ascii_case("cross-site")) {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    match config.public_origin() {
        Some(site) => !origin.eq_ignore_ascii_case(&site),
        None => match (authority_of(origin), text("host")) {
            (Some(origin), Some(host)) => !origin.eq_ignore_ascii_case(without_default_port(host)),
            _ => true,
        },
    }
}

/// `host[:port]` of an origin, the port left out when it is the scheme's own.
fn authority_of(origin: &str) -> Option<String> {
    let u = url::Url::parse(origin).ok()?;
    let host = u.host_str()?;
    Some(match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    })
}

fn without_default_port(host: &str) -> &str {
    host.strip_suffix(":80")
        .or_else(|| host.strip_suffix(":443"))
        .unwrap_or(host)
}

fn cross_site_refusal(path: &str, lang: Lang) -> Response {
    let r = sunshine_domain::Refusal::forbidden(
        "cross_site",
        "该请求来自其他网站，已拒绝。请在本站页面上操作",
        "This request came from another site and was refused; please act from this site's pages",
    );
    if path.starts_with("/api/") || path.starts_with("/open311/") {
        crate::error::ApiError::from_refusal(&r, lang).into_response()
    } else {
        let c = crate::pages::Chrome::new(lang, None, "/");
        let mut page = crate::pages::error_page(c, r.into());
        *page.status_mut() = StatusCode::FORBIDDEN;
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_this_sites_pages_may_change_state() {
        let direct = WebConfig::default();
        let host = ("host", "127.0.0.1:8080");
        assert!(!from_another_site(&direct, &headers(&[host])));
        assert!(!from_another_site(
            &direct,
            &headers(&[host, ("origin", "http://127.0.0.1:8080")])
        ));
        assert!(from_another_site(
            &direct,
            &headers(&[host, ("origin", "https://evil.example")])
        ));
        assert!(from_another_site(
            &direct,
            &headers(&[host, ("origin", "null")])
        ));
        assert!(from_another_site(
            &direct,
            &headers(&[host, ("sec-fetch-site", "cross-site")])
        ));
        let public = WebConfig {
            public_url: url::Url::parse("https://zwfw.example.cn/").ok(),
            ..WebConfig::default()
        };
        assert!(!from_another_site(
            &public,
            &headers(&[host, ("origin", "https://zwfw.example.cn")])
        ));
        assert!(from_another_site(
            &public,
            &headers(&[
                ("host", "zwfw.example.cn"),
                ("origin", "http://zwfw.example.cn")
            ])
        ));
    }
}
