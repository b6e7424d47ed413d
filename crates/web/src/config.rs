//! How the web face is deployed: the address people reach it at, which
//! proxies to believe, who may read the metrics, and the abuse limits.

use std::net::IpAddr;
use std::time::Duration;

/// The web face's deployment settings. `WebConfig::default()` suits a
/// server reached directly over plain HTTP, with production limits.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// The address people reach the site at (`--public-url`), e.g.
    /// `https://zwfw.example.cn`: links printed in QR codes start with it,
    /// state-changing requests must come from its origin, and when it is
    /// https cookies are `Secure` and responses carry HSTS. Without it the
    /// request's `Host` is the site, never an `X-Forwarded-*` header.
    pub public_url: Option<url::Url>,
    /// Reverse proxies (`--trusted-proxy`) whose `X-Forwarded-For` names the
    /// client; from anyone else the header is ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// A bearer token that opens `/metrics` on the main listener
    /// (`--metrics-token`); without it `/metrics` is not there.
    pub metrics_token: Option<String>,
    pub limits: Limits,
}

impl WebConfig {
    /// Whether the site is reached over https, so cookies must be `Secure`.
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }

    /// The configured site's `scheme://host[:port]`, if one is configured.
    pub fn public_origin(&self) -> Option<String> {
        self.public_url
            .as_ref()
            .map(|u| u.origin().ascii_serialization())
            .filter(|o| o != "null")
    }
}

/// So many requests at once, then one more each `every`: a token bucket
/// (GCRA), as `governor` keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub every: Duration,
}

impl Rate {
    pub const fn new(burst: u32, every: Duration) -> Rate {
        Rate { burst, every }
    }

    /// `n` a minute, all of them at once if need be.
    pub const fn per_minute(n: u32) -> Rate {
        Rate::new(
            n,
            Duration::from_millis(60_000 / if n == 0 { 1 } else { n as u64 }),
        )
    }
}

/// Abuse limits, per login and per client address. The defaults suit
/// production; a test server that signs in many times from one address
/// loosens them with [`Limits::generous`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failed sign-ins one login may have before it must wait; one is
    /// forgiven each `every`.
    pub sign_in_failures_per_login: Rate,
    /// Failed sign-ins one client address may have, over all logins.
    pub sign_in_failures_per_client: Rate,
    /// The longest a refused sign-in is told to wait; each attempt while
    /// waiting doubles the wait up to this.
    pub max_back_off: Duration,
    /// Sign-ups (citizens, enterprises) from one client address.
    pub sign_ups: Rate,
    /// Case tracking, hotline request claims, account binding and TV
    /// pairing codes (secrets which must not be guessed at speed) from one
    /// client address.
    pub lookups: Rate,
    /// Requests posted at a kiosk, per client address.
    pub kiosk: Rate,
    /// Anonymous reads of public aggregates (board figures, supervision
    /// board and evaluation, hotline indicators), per client address.
    pub aggregates: Rate,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sign_in_failures_per_login: Rate::new(10, Duration::from_secs(60)),
            sign_in_failures_per_client: Rate::new(30, Duration::from_secs(20)),
            max_back_off: Duration::from_secs(3600),
            sign_ups: Rate::new(10, Duration::from_secs(360)),
            lookups: Rate::per_minute(30),
            kiosk: Rate::per_minute(20),
            aggregates: Rate::per_minute(120),
        }
    }
}

impl Limits {
    /// Limits a test suite's shared server, signing in thousands of times
    /// from one address, never meets.
    pub fn generous() -> Limits {
        let wide = Rate::new(1_000_000, Duration::from_millis(1));
        Limits {
            sign_in_failures_per_login: wide,
            sign_in_failures_per_client: wide,
            max_back_off: Duration::from_secs(1),
            sign_ups: wide,
            lookups: wide,
            kiosk: wide,
            aggregates: wide,
        }
    }
}
