//! The digital-TV zone's home care, on a set-top box paired with the
//! resident's account (`app::tv`): `/tv/pair` shows the TV's code until the
//! resident confirms it on `/account/tv`, then the TV serves `/tv/care` as
//! them. The TV's secret lives in a cookie sent to the TV's pages only.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sunshine_app::tv::{TvDevice, TvState};
use sunshine_domain::care::Channel;

use super::super::{bad_token, error_page, flash, render, Chrome};
use super::{act, place_own, show, CommandForm, PlaceForm, TV};
use crate::auth::{csrf_ok, MaybeSession, SignedIn, TvSession, TV_COOKIE};
use crate::cookies::cookie;
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
            let until = c.when(&expires_at);
            render(&PairPage { c, code, until })
        }
        Ok(TvState::Unpaired) => match s.app.start_tv_pairing().await {
            Ok((secret, code, expires_at)) => {
                let until = c.when(&expires_at);
                let code = sunshine_app::tv::shown_code(&code);
                (
                    [(header::SET_COOKIE, tv_cookie(&secret))],
                    render(&PairPage { c, code, until }),
                )
                    .into_response()
            }
            Err(e) => error_page(c, e),
        },
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
) -> Response {
    let c = Chrome::new(lang, Some(&session), ACCOUNT_TV);
    match s.app.tv_devices(&session.actor).await {
        Ok(list) => {
            let devices = list.iter().map(|d| line(&c, d)).collect();
            render(&AccountTvPage { c, devices })
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
}

/// `POST /account/tv`: confirm the code a TV shows.
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
