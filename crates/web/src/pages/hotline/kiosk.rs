//! The kiosk: a request filed at a street terminal.

use super::intake::{intake, Intake, Posted};
use crate::i18n::Lang;
use crate::pages::{error_page, render, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::hotline::Source;
use sunshine_app::AppError;

#[derive(Template)]
#[template(path = "hotline/kiosk.html")]
struct KioskPage {
    pub(super) c: Chrome,
    /// `kiosk` or `tv`.
    pub(super) channel: String,
    /// Where the kiosk stands (its community), which a request is about by default.
    pub(super) at: String,
    pub(super) form: Intake,
    pub(super) taken: Option<Taken>,
}

/// A request just taken at the kiosk, to show in large type.
pub(super) struct Taken {
    pub(super) number: String,
    pub(super) query_code: String,
    pub(super) state_name: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct KioskQuery {
    pub channel: Option<String>,
    pub at: Option<String>,
}

fn kiosk_channel(c: Option<&str>) -> &'static str {
    if c == Some("tv") {
        "tv"
    } else {
        "kiosk"
    }
}

/// `/kiosk?channel=tv&at=…`: a request from a community kiosk or the
/// digital-TV zone, without signing in: large type, the categories as one
/// group of choices that the arrow keys move through, Enter to send.
pub async fn kiosk(State(s): State<AppState>, lang: Lang, Query(q): Query<KioskQuery>) -> Response {
    let c = Chrome::new(lang, None, "/kiosk");
    let categories = match s.app.hotline_categories(true).await {
        Ok(k) => k,
        Err(e) => return error_page(c, e),
    };
    let first = categories
        .first()
        .map(|k| k.code.clone())
        .unwrap_or_default();
    let at = q.at.unwrap_or_default();
    let mut form = intake(lang, &categories, None, &first, None);
    form.address = at.clone();
    render(&KioskPage {
        channel: kiosk_channel(q.channel.as_deref()).into(),
        at,
        form,
        taken: None,
        c,
    })
}

/// `POST /kiosk`: the request is taken and its number shown, to follow it
/// by phone or at the kiosk; a refused one comes back on the form with the
/// reason beside the field.
///
/// The number and query code are shown in the answer itself rather than
/// after a redirect: on a terminal that many people share, they must not
/// be left in an address the next person can open again.
pub async fn kiosk_request(
    State(s): State<AppState>,
    lang: Lang,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let p = Posted::parse(pairs);
    let c = Chrome::new(lang, None, "/kiosk");
    let channel = kiosk_channel(Some(p.channel.as_str()));
    let source = if channel == "tv" {
        Source::Tv
    } else {
        Source::Kiosk
    };
    let categories = match s.app.hotline_categories(true).await {
        Ok(k) => k,
        Err(e) => return error_page(c, e),
    };
    let request = p.request_without_caller(&categories);
    match s.app.take_request(source, request).await {
        Ok(taken) => {
            let t = taken.ticket;
            render(&KioskPage {
                channel: channel.into(),
                at: p.address.clone(),
                form: Intake::default(),
                taken: Some(Taken {
                    number: t.number(),
                    query_code: t.query_code.clone(),
                    state_name: t.state().label().get(c.code()).to_string(),
                }),
                c,
            })
        }
        Err(AppError::Refused(r)) => {
            let form = intake(lang, &categories, Some(&p), &p.category, Some(&r));
            let page = KioskPage {
                channel: channel.into(),
                at: p.address.clone(),
                form,
                taken: None,
                c,
            };
            (crate::error::status_of(r.kind), render(&page)).into_response()
        }
        Err(e) => error_page(c, e),
    }
}
