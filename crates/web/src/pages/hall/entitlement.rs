//! 社保资格核验 at a hall counter: the clerk reads the card and is told
//! whether its holder has a social-security entitlement, and the name on
//! it; the holder sees the read on their account.

use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::card::{CounterAsk, CounterCheck};
use sunshine_domain::card::entitlement::{Kind, Verdict};

use crate::auth::{csrf_ok, StaffSession};
use crate::i18n::Lang;
use crate::pages::{bad_token, error_page, refusal_message, render, Chrome};
use crate::AppState;

#[derive(Template)]
#[template(path = "hall/entitlement.html")]
struct CheckPage {
    c: Chrome,
    kinds: [Kind; 5],
    card: String,
    kind: String,
    result: Option<CounterCheck>,
    problem: String,
}

impl CheckPage {
    /// The verdict in words.
    fn verdict(&self, v: &Verdict) -> &'static str {
        match v {
            Verdict::Allowed => self.c.pick("具备资格", "Entitled"),
            Verdict::CardDenied => self.c.pick(
                "该卡已挂失、冻结或注销",
                "The card is lost, frozen or cancelled",
            ),
            Verdict::UnknownCard => self.c.pick("没有这张卡", "No such card"),
            Verdict::NotGranted => self.c.pick("未开通该资格", "Not entitled"),
            Verdict::Expired => self.c.pick("资格已过期", "The entitlement has expired"),
            Verdict::Revoked => self.c.pick("资格已撤销", "The entitlement was revoked"),
        }
    }
}

fn page(c: Chrome, card: String, kind: String) -> CheckPage {
    CheckPage {
        c,
        kinds: Kind::SOCIAL_SECURITY,
        card,
        kind,
        result: None,
        problem: String::new(),
    }
}

/// The form.
pub async fn form(lang: Lang, StaffSession(session): StaffSession) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/cases/new");
    render(&page(c, String::new(), String::new()))
}

#[derive(Deserialize)]
pub struct CheckForm {
    csrf: String,
    card: String,
    kind: String,
}

/// Check the card.
pub async fn check(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<CheckForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/cases/new");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let mut p = page(c, f.card.trim().to_string(), f.kind.clone());
    let Some(kind) = Kind::parse(&f.kind) else {
        p.problem =
            p.c.pick("请选择要核验的资格", "Choose what to check")
                .to_string();
        return (StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response();
    };
    let ask = CounterAsk { card: f.card, kind };
    match s.app.check_at_hall_counter(&session.actor, ask).await {
        Ok(r) => {
            p.result = Some(r);
            render(&p)
        }
        Err(e @ sunshine_app::AppError::Refused(_)) => {
            let Some(message) = refusal_message(&p.c, &e) else {
                return error_page(p.c, e);
            };
            if matches!(&e, sunshine_app::AppError::Refused(r) if r.kind == sunshine_domain::refusal::RefusalKind::Forbidden)
            {
                return error_page(p.c, e);
            }
            p.problem = message;
            (StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response()
        }
        Err(e) => error_page(p.c, e),
    }
}
