//! The operators' console: taking a call.

use super::*;

use super::intake::{intake, Intake, Posted};
use crate::auth::{csrf_ok, StaffSession};
use crate::i18n::Lang;
use crate::pages::{bad_token, error_page, flash, render, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::hotline::Source;
use sunshine_app::hotline::TicketRow;
use sunshine_app::identity::Session;
use sunshine_app::AppError;
use sunshine_domain::refusal::Refusal;

/// A request in a list.
pub(super) struct Line {
    pub(super) id: i64,
    pub(super) href: String,
    pub(super) number: String,
    pub(super) category: String,
    pub(super) state: &'static str,
    pub(super) state_name: String,
    pub(super) deadline: Option<String>,
    pub(super) overdue: bool,
    pub(super) description: String,
}

#[derive(Template)]
#[template(path = "hotline/console.html")]
struct ConsolePage {
    pub(super) c: Chrome,
    pub(super) operator: bool,
    pub(super) unit: bool,
    pub(super) form: Intake,
    /// What the operator typed before looking up, kept in the form.
    pub(super) call: CallDraft,
    /// The caller's earlier requests, suggested categories, answers.
    pub(super) history: Vec<Line>,
    pub(super) suggested: Vec<String>,
    pub(super) answers: Vec<Article>,
    pub(super) districts: Vec<(String, String)>,
    pub(super) queue: Vec<Line>,
    pub(super) inbox: Vec<Line>,
}

/// An article of the knowledge base as shown.
pub(super) struct Article {
    pub(super) id: i64,
    pub(super) title: String,
    pub(super) body: String,
}

pub(super) fn article(a: sunshine_app::hotline::ArticleRow) -> Article {
    Article {
        id: a.id,
        title: a.title,
        body: a.body,
    }
}

/// The call form as typed, when the operator looks the caller up first.
#[derive(Debug, Default, Deserialize)]
pub struct CallDraft {
    pub phone: Option<String>,
    pub said: Option<String>,
    pub name: Option<String>,
    pub address: Option<String>,
}

/// `/staff/hotline`: for operators the form to take a call (with a look-up
/// of the caller's earlier requests, suggested categories and answers from
/// the knowledge base) and the queue of what waits on the hotline; for a
/// unit's staff, their inbox.
pub async fn console(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(call): Query<CallDraft>,
) -> Response {
    console_page(&s, lang, &session, call, None, None).await
}

async fn console_page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    call: CallDraft,
    posted: Option<&Posted>,
    refusal: Option<&Refusal>,
) -> Response {
    let c = Chrome::new(lang, Some(session), "/staff/hotline");
    let now = s.app.clock.now();
    let queue = s.app.hotline_queue(&session.actor).await;
    let inbox = s.app.unit_inbox(&session.actor).await;
    let (operator, unit) = (queue.is_ok(), inbox.is_ok());
    if !operator && !unit {
        return error_page(
            c,
            Refusal::forbidden(
                "forbidden",
                "您不是热线话务员或承办单位人员",
                "You are neither a hotline operator nor a unit's staff",
            )
            .into(),
        );
    }
    let names = match Names::load(s, lang).await {
        Ok(n) => n,
        Err(e) => return error_page(c, e),
    };
    let assist = if operator && posted.is_none() {
        match s
            .app
            .assist_call(
                &session.actor,
                call.phone.as_deref(),
                call.said.as_deref().unwrap_or(""),
            )
            .await
        {
            Ok(a) => a,
            Err(e) => return error_page(c, e),
        }
    } else {
        Default::default()
    };
    let chosen = match posted {
        Some(p) => p.category.clone(),
        None => assist.categories.first().cloned().unwrap_or_default(),
    };
    let mut form = intake(lang, &names.in_force(), posted, &chosen, refusal);
    if posted.is_none() {
        form.description = call.said.clone().unwrap_or_default();
        form.caller_phone = call.phone.clone().unwrap_or_default();
        form.caller_name = call.name.clone().unwrap_or_default();
        form.address = call.address.clone().unwrap_or_default();
    }
    let lines = |list: Vec<TicketRow>| {
        list.iter()
            .map(|t| names.line(t, now, "/staff/hotline"))
            .collect::<Vec<_>>()
    };
    let page = ConsolePage {
        operator,
        unit,
        history: lines(assist.history),
        suggested: assist
            .categories
            .iter()
            .map(|k| names.category(k))
            .collect(),
        answers: assist
            .answers
            .into_iter()
            .map(|(a, _)| article(a))
            .collect(),
        form,
        call,
        districts: org_choices(s, lang, |o| o.kind.is_government() && o.parent.is_some()),
        queue: queue.map(lines).unwrap_or_default(),
        inbox: inbox.map(lines).unwrap_or_default(),
        c,
    };
    let status = refusal.map_or(StatusCode::OK, |r| crate::error::status_of(r.kind));
    (status, render(&page)).into_response()
}

/// The flash that tells a request was taken, with its number.
pub(super) fn taken_flash(to: &str, t: &TicketRow) -> Response {
    let n = t.number();
    flash::redirect(
        to,
        format!("已受理，工单 {n}，查询码 {}", t.query_code),
        format!("Taken: request {n}, query code {}", t.query_code),
    )
}

/// `POST /staff/hotline`: an operator takes a call; a refused call comes
/// back on the desk with what was typed and each reason beside its field.
pub async fn take_call(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let p = Posted::parse(pairs);
    let c = Chrome::new(lang, Some(&session), "/staff/hotline");
    if !csrf_ok(&session, &p.csrf) {
        return bad_token(c);
    }
    let categories = match s.app.hotline_categories(true).await {
        Ok(k) => k,
        Err(e) => return error_page(c, e),
    };
    let source = Source::Operator(session.actor.clone());
    match s.app.take_request(source, p.request(&categories)).await {
        Ok(taken) => taken_flash(
            &format!("/staff/hotline/{}", taken.ticket.id),
            &taken.ticket,
        ),
        Err(AppError::Refused(r)) => {
            console_page(&s, lang, &session, CallDraft::default(), Some(&p), Some(&r)).await
        }
        Err(e) => error_page(c, e),
    }
}
