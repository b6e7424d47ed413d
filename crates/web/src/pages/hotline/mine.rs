//! A citizen's requests: claiming one taken by phone, and filing a new one.

use super::*;

use super::intake::{intake, Intake, Posted};
use crate::auth::{csrf_ok, SignedIn};
use crate::i18n::Lang;
use crate::pages::{bad_token, error_page, flash, refusal_message, render, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::hotline::Source;
use sunshine_app::identity::Session;
use sunshine_app::AppError;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{Refusal, RefusalKind};

#[derive(Template)]
#[template(path = "hotline/my.html")]
struct MyPage {
    pub(super) c: Chrome,
    /// Whether this person may make a request online (a bound citizen or
    /// enterprise): the form is shown only then.
    pub(super) may_apply: bool,
    pub(super) form: Intake,
    pub(super) mine: Vec<Line>,
    /// Why a request could not be added, with what was typed.
    pub(super) claim_problem: Option<String>,
    pub(super) claim: ClaimForm,
}

/// A request taken by phone, kiosk or TV, to add to one's account.
#[derive(Debug, Default, Deserialize)]
pub struct ClaimForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub query_code: String,
}

pub(super) async fn my_page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    claim: ClaimForm,
    claim_problem: Option<(String, StatusCode)>,
    posted: Option<(&Posted, &Refusal)>,
) -> Response {
    let c = Chrome::new(lang, Some(session), "/hotline/my");
    let now = s.app.clock.now();
    let (mine, names) = match (
        s.app.my_tickets(&session.actor).await,
        Names::load(s, lang).await,
    ) {
        (Ok(m), Ok(n)) => (m, n),
        (Err(e), _) | (_, Err(e)) => return error_page(c, e),
    };
    let chosen = posted.map(|(p, _)| p.category.clone()).unwrap_or_default();
    let form = intake(
        lang,
        &names.in_force(),
        posted.map(|(p, _)| p),
        &chosen,
        posted.map(|(_, r)| r),
    );
    let status = match (&claim_problem, posted) {
        (Some((_, st)), _) => *st,
        (_, Some((_, r))) => crate::error::status_of(r.kind),
        _ => StatusCode::OK,
    };
    let page = MyPage {
        may_apply: s
            .app
            .authorize(&session.actor, &Action::ApplyOnline)
            .is_ok(),
        mine: mine
            .iter()
            .map(|t| names.line(t, now, "/hotline/my"))
            .collect(),
        form,
        claim_problem: claim_problem.map(|(m, _)| m),
        claim,
        c,
    };
    (status, render(&page)).into_response()
}

/// `POST /hotline/my/claim`: add a request taken by phone, kiosk or TV to
/// one's account by its number and query code.
pub async fn claim_request(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Form(f): Form<ClaimForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/hotline/my");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    match s
        .app
        .claim_ticket(&session.actor, &f.number, &f.query_code)
        .await
    {
        Ok(t) => {
            let n = t.number();
            flash::redirect(
                &format!("/hotline/my/{}", t.id),
                format!("工单 {n} 已添加到我的诉求"),
                format!("Request {n} is now among your requests"),
            )
        }
        Err(AppError::Refused(r)) if r.kind == RefusalKind::NotFound => {
            let problem = c
                .pick(
                    "工单号与查询码不符，或该工单已归入其他账户",
                    "The number and query code do not match, or the request is on another account",
                )
                .to_string();
            my_page(
                &s,
                lang,
                &session,
                f,
                Some((problem, StatusCode::NOT_FOUND)),
                None,
            )
            .await
        }
        Err(e @ AppError::Refused(_)) => {
            let m = refusal_message(&c, &e).unwrap_or_default();
            let status = status_of(&e);
            my_page(&s, lang, &session, f, Some((m, status)), None).await
        }
        Err(e) => error_page(c, e),
    }
}

/// `/hotline/my`: a citizen's or an enterprise's requests and the form to make one.
pub async fn my_requests(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
) -> Response {
    my_page(&s, lang, &session, ClaimForm::default(), None, None).await
}

/// `POST /hotline/my`: a request made on the web; a refused one comes back
/// on the form with what was typed and the reasons beside the fields.
pub async fn new_request(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let p = Posted::parse(pairs);
    let c = Chrome::new(lang, Some(&session), "/hotline/my");
    if !csrf_ok(&session, &p.csrf) {
        return bad_token(c);
    }
    let categories = match s.app.hotline_categories(true).await {
        Ok(k) => k,
        Err(e) => return error_page(c, e),
    };
    // The web form asks no caller's phone or name: the account says who.
    let request = p.request_without_caller(&categories);
    match s
        .app
        .take_request(Source::Citizen(session.actor.clone()), request)
        .await
    {
        Ok(taken) => taken_flash(&format!("/hotline/my/{}", taken.ticket.id), &taken.ticket),
        Err(AppError::Refused(r)) => {
            my_page(
                &s,
                lang,
                &session,
                ClaimForm::default(),
                None,
                Some((&p, &r)),
            )
            .await
        }
        Err(e) => error_page(c, e),
    }
}
