//! Abuse limits: failed sign-ins per login and per client address with a
//! growing back-off, and per-address limits on sign-up, tracking, claims,
//! kiosk posts and public aggregates. The counting is `governor`'s (GCRA
//! token buckets, one per key); this module decides what is counted, who the
//! client is, and how a refusal reads.
//!
//! To limit a new route per client address, layer its handler with
//! [`PerClient`]:
//!
//! ```ignore
//! .route("/signup", get(signup_form).post(signup.layer(PerClient(Bucket::SignUps))))
//! ```

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::{Rate, WebConfig};
use crate::i18n::Lang;
use crate::AppState;

/// What a per-address limit counts: each bucket is limited on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Accounts made (citizens, enterprises).
    SignUps,
    /// Case tracking and hotline request claims.
    Lookups,
    /// Requests posted at a kiosk.
    Kiosk,
    /// Public aggregates: board figures, supervision board, indicators.
    Aggregates,
}

/// Whose sign-in failures are counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Who {
    Login(String),
    Client(IpAddr),
}

/// A key that met its limit: refused until `until`, and each attempt while
/// refused doubles the wait.
#[derive(Debug, Clone, Copy)]
struct Lockout {
    until: Instant,
    strikes: u32,
}

type Keyed<K> = DefaultKeyedRateLimiter<K>;

/// The limits in force, and what they have counted so far.
pub struct Guard {
    pub config: Arc<WebConfig>,
    failures_per_login: Keyed<String>,
    failures_per_client: Keyed<IpAddr>,
    buckets: HashMap<Bucket, Keyed<IpAddr>>,
    lockouts: Mutex<HashMap<Who, Lockout>>,
    checks: AtomicU64,
}

fn quota(rate: Rate) -> Quota {
    let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(rate.every)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
        .allow_burst(burst)
}

/// Keys seen so many checks apart are forgotten once they are back to a
/// fresh state, so that the counters' memory stays bounded.
const PRUNE_EVERY: u64 = 4096;

impl Guard {
    pub fn new(config: Arc<WebConfig>) -> Guard {
        let l = config.limits;
        let buckets = [
            (Bucket::SignUps, l.sign_ups),
            (Bucket::Lookups, l.lookups),
            (Bucket::Kiosk, l.kiosk),
            (Bucket::Aggregates, l.aggregates),
        ]
        .into_iter()
        .map(|(b, r)| (b, RateLimiter::keyed(quota(r))))
        .collect();
        Guard {
            failures_per_login: RateLimiter::keyed(quota(l.sign_in_failures_per_login)),
            failures_per_client: RateLimiter::keyed(quota(l.sign_in_failures_per_client)),
            buckets,
            lockouts: Mutex::default(),
            checks: AtomicU64::new(0),
            config,
        }
    }

    /// Count a request of `bucket` from `client`; the wait if it is one too many.
    pub fn admit(&self, bucket: Bucket, client: IpAddr) -> Result<(), Duration> {
        self.prune();
        let Some(limiter) = self.buckets.get(&bucket) else {
            return Ok(());
        };
        limiter
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))
    }

    /// May `login` try to sign in from `client` now? If not, how long to
    /// wait; asking while refused lengthens the wait.
    pub fn admit_sign_in(&self, login: &str, client: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let mut lockouts = self.lockouts.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = Duration::ZERO;
        for who in [Who::Login(login_key(login)), Who::Client(client)] {
            if let Some(l) = lockouts.get_mut(&who).filter(|l| l.until > now) {
                l.strikes = l.strikes.saturating_add(1);
                l.until = now + self.back_off(l.strikes);
                wait = wait.max(l.until - now);
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait)
        }
    }

    /// A wrong password (or unknown login): count it against the login and
    /// the client, and lock whichever met its limit.
    pub fn sign_in_failed(&self, login: &str, client: IpAddr) {
        self.prune();
        let login = login_key(login);
        let met_login = self
            .failures_per_login
            .check_key(&login)
            .err()
            .map(|n| n.wait_time_from(self.failures_per_login.clock().now()));
        let met_client = self
            .failures_per_client
            .check_key(&client)
            .err()
            .map(|n| n.wait_time_from(self.failures_per_client.clock().now()));
        let now = Instant::now();
        let mut lockouts = self.lockouts.lock().unwrap_or_else(|p| p.into_inner());
        for (who, met) in [
            (Who::Login(login), met_login),
            (Who::Client(client), met_client),
        ] {
            let Some(wait) = met else { continue };
            // A lockout long over starts again from the first strike.
            let strikes = lockouts
                .get(&who)
                .filter(|l| l.until + self.config.limits.max_back_off > now)
                .map_or(1, |l| l.strikes.saturating_add(1));
            let until = now + wait.max(self.back_off(strikes));
            lockouts.insert(who, Lockout { until, strikes });
        }
    }

    /// A right password: the login's own lockout history is forgiven.
    pub fn sign_in_succeeded(&self, login: &str) {
        let mut lockouts = self.lockouts.lock().unwrap_or_else(|p| p.into_inner());
        lockouts.remove(&Who::Login(login_key(login)));
    }

    /// The wait after `strikes` refusals: the login limit's period, doubled
    /// for each further strike, up to the longest back-off.
    fn back_off(&self, strikes: u32) -> Duration {
        let l = &self.config.limits;
        let base = l.sign_in_failures_per_login.every;
        base.saturating_mul(1u32 << strikes.saturating_sub(1).min(20))
            .min(l.max_back_off)
    }

    fn prune(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY != PRUNE_EVERY - 1 {
            return;
        }
        self.failures_per_login.retain_recent();
        self.failures_per_client.retain_recent();
        for b in self.buckets.values() {
            b.retain_recent();
        }
        let now = Instant::now();
        let keep = self.config.limits.max_back_off;
        self.lockouts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, l| l.until + keep > now);
    }

    /// Who is asking: the socket's peer, or when that peer is a trusted
    /// proxy, the last address it put in `X-Forwarded-For`. IPv6 clients
    /// count by their /64, which one household or machine holds whole.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> IpAddr {
        let peer = peer.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let ip = if self.config.trusted_proxies.contains(&peer) {
            forwarded_for(headers).unwrap_or(peer)
        } else {
            peer
        };
        per_household(ip)
    }
}

/// The address the nearest proxy appended to `X-Forwarded-For`.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    // Only the last entry: the ones before it are whatever the client sent.
    headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|a| a.trim().parse::<IpAddr>().ok())
}

fn per_household(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Logins are compared as the app does (trimmed, case-folded), and a login
/// longer than any account's is counted by its first 64 characters.
fn login_key(login: &str) -> String {
    login.trim().to_lowercase().chars().take(64).collect()
}

fn peer_of(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip())
}

/// The client's address, as [`Guard::client`] decides it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Infallible> {
        Ok(ClientAddr(
            s.guard.client(peer_of(&parts.extensions), &parts.headers),
        ))
    }
}

/// A 429 that says when to come back: the API's error shape under `/api/`,
/// a readable page elsewhere.
pub fn too_many(path: &str, lang: Lang, wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let r = sunshine_domain::Refusal::new(
        sunshine_domain::refusal::RefusalKind::Busy,
        "too_many_attempts",
        sunshine_domain::Text::new(
            format!("尝试过于频繁，请{seconds}秒后再试"),
            format!("Too many attempts; please try again in {seconds} s"),
        ),
    );
    let mut response = if path.starts_with("/api/") || path.starts_with("/open311/") {
        let mut e = crate::error::ApiError::from_refusal(&r, lang);
        e.status = StatusCode::TOO_MANY_REQUESTS;
        e.into_response()
    } else {
        let c = crate::pages::Chrome::new(lang, None, "/");
        let mut page = crate::pages::error_page(c, r.into());
        *page.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        page
    };
    if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// A layer that limits a route per client address in one [`Bucket`]. It
/// needs the router's [`Guard`] in the request's extensions, which
/// [`crate::router_with`] puts there for every request.
#[derive(Debug, Clone, Copy)]
pub struct PerClient(pub Bucket);

impl<S> tower::Layer<S> for PerClient {
    type Service = PerClientService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        PerClientService {
            inner,
            bucket: self.0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PerClientService<S> {
    inner: S,
    bucket: Bucket,
}

impl<S> tower::Service<Request> for PerClientService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let refused = req.extensions().get::<Arc<Guard>>().and_then(|guard| {
            let client = guard.client(peer_of(req.extensions()), req.headers());
            guard.admit(self.bucket, client).err()
        });
        match refused {
            Some(wait) => {
                let (parts, _) = req.into_parts();
                let response = too_many(parts.uri.path(), Lang::of(&parts), wait);
                Box::pin(async move { Ok(response) })
            }
            None => Box::pin(self.inner.call(req)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;

    fn guard(limits: Limits) -> Guard {
        Guard::new(Arc::new(WebConfig {
            limits,
            ..WebConfig::default()
        }))
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.2.3.4, 5.6.7.8"),
        );
        let peer: IpAddr = "10.0.0.1".parse().expect("ip");
        assert_eq!(guard(Limits::default()).client(Some(peer), &headers), peer);
        let trusting = Guard::new(Arc::new(WebConfig {
            trusted_proxies: vec![peer],
            ..WebConfig::default()
        }));
        let nearest: IpAddr = "5.6.7.8".parse().expect("ip");
        assert_eq!(trusting.client(Some(peer), &headers), nearest);
    }

    #[test]
    fn each_attempt_while_locked_out_lengthens_the_wait() {
        let g = guard(Limits::default());
        let ip: IpAddr = "192.0.2.1".parse().expect("ip");
        for _ in 0..10 {
            assert!(g.admit_sign_in("admin", ip).is_ok());
            g.sign_in_failed("admin", ip);
        }
        g.sign_in_failed("admin", ip);
        let first = g.admit_sign_in("Admin ", ip).expect_err("locked");
        let second = g.admit_sign_in("admin", ip).expect_err("locked");
        assert!(second > first, "{second:?} after {first:?}");
        assert!(g
            .admit_sign_in("editor", "192.0.2.2".parse().expect("ip"))
            .is_ok());
    }
}
