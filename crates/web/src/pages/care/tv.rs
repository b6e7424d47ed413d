//! The digital-TV zone's home care, on a set-top box paired with the
//! resident's account (`app::tv`): `/tv/pair` shows the TV's code until the
//! resident confirms it on `/account/tv`, then the TV serves `/tv/care` as
//! them. The TV's secret lives in a cookie sent to the TV's pages only.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sunshine_app::tv::{TvDevice, TvState, TvWaiting};
use sunshine_domain::care::Channel;

use super::super::{bad_token, error_page, flash, render, Chrome};
use super::{act, place_own, show, CommandForm, PlaceForm, TV};
use crate::auth::{csrf_ok, MaybeSession, SignedIn, TvSession, TV_COOKIE};
use crate::cookies::cookie;
use crate::guard::ClientAddr;
use crate::i18n::Lang;
use crate::AppState;

const PAIR: &str = "/tv/pair";
const ACCOUNT_TV: &str = "/account/tv";

#[derive(Template)]
#[template(path = "care/tv_pair.html")]
struct PairPage {
    c: Chrome,
    code: String,
    until: String,
    /// The link that opens the confirmation with the code, and its QR code.
    link: String,
    qr: String,
}

impl PairPage {
    fn new(s: &AppState, headers: &HeaderMap, c: Chrome, code: String, expires_at: i64) -> Self {
        let link = format!(
            "{}{ACCOUNT_TV}?code={code}",
            crate::pages::licence::public_origin(&s.guard.config, headers)
        );
        PairPage {
            until: c.when(&expires_at),
            qr: crate::pages::licence::qr_svg(&link),
            link,
            code,
            c,
        }
    }
}

/// The cookie that holds a TV's secret: for the TV's pages, a year.
fn tv_cookie(secret: &str) -> String {
    format!("{TV_COOKIE}={secret}; Path=/tv; HttpOnly; SameSite=Strict; Max-Age=31536000")
}

/// `GET /tv/pair`: the TV's code, asked for once and shown until the
/// resident confirms it (the page looks again every five seconds); a
/// paired TV, or a signed-in visitor, goes on to the TV's home care.
pub async fn pair(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    ClientAddr(address): ClientAddr,
    session: MaybeSession,
) -> Response {
    if session.0.is_some() {
        return Redirect::to(TV).into_response();
    }
    let c = Chrome::new(lang, None, PAIR);
    let held = cookie(&headers, TV_COOKIE).filter(|v| !v.is_empty());
    let state = match &held {
        Some(secret) => s.app.tv_state(secret).await,
        None => Ok(TvState::Unpaired),
    };
    match state {
        Ok(TvState::Paired(_)) => Redirect::to(TV).into_response(),
        Ok(TvState::Waiting { code, expires_at }) => {
            render(&PairPage::new(&s, &headers, c, code, expires_at))
        }
        Ok(TvState::Unpaired) => {
            let agent = headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            match s.app.start_tv_pairing(agent, address).await {
                Ok((secret, code, expires_at)) => {
                    let code = sunshine_app::tv::shown_code(&code);
                    (
                        [(header::SET_COOKIE, tv_cookie(&secret))],
                        render(&PairPage::new(&s, &headers, c, code, expires_at)),
                    )
                        .into_response()
                }
                Err(e) => error_page(c, e),
            }
        }
        Err(e) => error_page(c, e),
    }
}

/// `GET /tv/care` on a paired TV (or signed in).
pub async fn page(
    State(s): State<AppState>,
    lang: Lang,
    TvSession(session): TvSession,
) -> Response {
    show(&s, lang, &session, TV).await
}

/// `POST /tv/care`: an order by the TV's channel.
pub async fn place(
    State(s): State<AppState>,
    lang: Lang,
    TvSession(session): TvSession,
    Form(f): Form<PlaceForm>,
) -> Response {
    place_own(&s, lang, &session, TV, Channel::Tv, f).await
}

/// `POST /tv/care/orders/{number}/{command}`: confirming and rating on the TV.
pub async fn command(
    State(s): State<AppState>,
    lang: Lang,
    TvSession(session): TvSession,
    Path((number, command)): Path<(String, String)>,
    Form(mut f): Form<CommandForm>,
) -> Response {
    f.back = TV.to_string();
    act(&s, lang, &session, &number, &command, f).await
}

#[derive(Template)]
#[template(path = "care/account_tv.html")]
struct AccountTvPage {
    c: Chrome,
    devices: Vec<TvLine>,
    /// The code a TV's QR code brought, to confirm.
    code: String,
}

#[derive(Template)]
#[template(path = "care/account_tv_confirm.html")]
struct ConfirmTvPage {
    c: Chrome,
    waiting: TvWaiting,
    shown: String,
    until: String,
    label: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    pub code: String,
}

pub struct TvLine {
    pub id: i64,
    pub label: String,
    pub paired: String,
    pub used: String,
    pub active: bool,
}

fn line(c: &Chrome, d: &TvDevice) -> TvLine {
    TvLine {
        id: d.id,
        label: d.label.clone(),
        paired: c.when(&d.paired_at),
        used: d.last_used_at.map(|u| c.when(&u)).unwrap_or_default(),
        active: d.active,
    }
}

/// `GET /account/tv`: the resident's paired TVs, and pairing another.
pub async fn account(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Query(q): Query<CodeQuery>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), ACCOUNT_TV);
    match s.app.tv_devices(&session.actor).await {
        Ok(list) => {
            let devices = list.iter().map(|d| line(&c, d)).collect();
            let code: String = q.code.chars().take(12).collect();
            render(&AccountTvPage { c, devices, code })
        }
        Err(e) => error_page(c, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PairForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub label: String,
    /// `yes` once the resident has seen which TV the code belongs to.
    #[serde(default)]
    pub confirmed: String,
}

/// `POST /account/tv`: the code a TV shows. First the TV it belongs to is
/// shown (when it asked, what it is, where from) and the resident confirms
/// it is theirs; then it is paired.
pub async fn confirm(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Form(f): Form<PairForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), ACCOUNT_TV);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    if f.confirmed != "yes" {
        return match s.app.preview_tv_pairing(&session.actor, &f.code).await {
            Ok(waiting) => {
                let (shown, until) = (c.when(&waiting.shown_at), c.when(&waiting.expires_at));
                render(&ConfirmTvPage {
                    c,
                    waiting,
                    shown,
                    until,
                    label: f.label,
                })
            }
            Err(e) => error_page(c, e),
        };
    }
    match s.app.pair_tv(&session.actor, &f.code, &f.label).await {
        Ok(d) => flash::redirect(
            ACCOUNT_TV,
            format!("已配对“{}”：电视上的养老服务页面将以您的名义使用", d.label),
            format!("“{}” is paired: its home-care page now serves you", d.label),
        ),
        Err(e) => error_page(c, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct UnpairForm {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /account/tv/{id}/unpair`.
pub async fn unpair(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
    Form(f): Form<UnpairForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), ACCOUNT_TV);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    match s.app.unpair_tv(&session.actor, id).await {
        Ok(()) => flash::redirect(
            ACCOUNT_TV,
            "已解除配对：该电视需重新配对才能使用",
            "Unpaired: the TV must be paired again to be used",
        ),
        Err(e) => error_page(c, e),
    }
}
