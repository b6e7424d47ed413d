//! The worker's page of aid to vulnerable households (`/staff/care/aid`).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use sunshine_app::care::{AidForm, AidPayment, AidReview};
use sunshine_domain::refusal::Refusal;

use super::super::{bad_token, error_page, flash, render, Chrome};
use super::{Choice, StaffQuery, STAFF};
use crate::auth::{csrf_ok, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

/// A record of aid on the page.
pub struct AidLine {
    pub id: i64,
    pub number: String,
    pub kind: String,
    pub amount: String,
    pub household: String,
    pub members: String,
    pub since: String,
    pub last_review: String,
    pub next_review: String,
    pub overdue: bool,
    pub active: bool,
    pub paid: String,
    /// The amount's changes, when it has changed.
    pub amounts: String,
}

#[derive(Template)]
#[template(path = "care/aid.html")]
struct AidPage {
    c: Chrome,
    community: String,
    kinds: Vec<Choice>,
    records: Vec<AidLine>,
    this_month: String,
}

/// `/staff/care/aid`: a community's records of aid, for its worker.
pub async fn aid(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(q): Query<StaffQuery>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), STAFF);
    let mine = s.app.care_communities(&session.actor);
    if mine.is_empty() {
        return error_page(
            c,
            Refusal::forbidden(
                "forbidden",
                "您不负责任何社区的帮扶工作",
                "You serve no community's households",
            )
            .into(),
        );
    }
    let community = if mine.contains(&q.community) {
        q.community.clone()
    } else {
        mine.first().cloned().unwrap_or_default()
    };
    let views = match s.app.community_aid(&session.actor, &community).await {
        Ok(v) => v,
        Err(e) => return error_page(c, e),
    };
    let rules = s.app.care_rules();
    let kind_name = |k: &str| {
        rules
            .aid_rule(k)
            .map(|r| r.name().get(c.code()).to_string())
            .unwrap_or_else(|| k.to_string())
    };
    let records = views
        .iter()
        .map(|a| AidLine {
            id: a.id,
            number: a.number.clone(),
            kind: kind_name(&a.kind),
            amount: c.money(&a.monthly_fen),
            household: a.household.clone(),
            members: a.members.join("、"),
            since: c.day(&a.since),
            last_review: c.day(&a.last_review),
            next_review: c.day(&a.next_review),
            overdue: a.overdue,
            active: a.active,
            amounts: if a.amounts.len() > 1 {
                a.amounts
                    .iter()
                    .map(|(from, fen)| format!("{from}{} {}", c.pick("起", " on:"), c.money(fen)))
                    .collect::<Vec<_>>()
                    .join(" · ")
            } else {
                String::new()
            },
            paid: a
                .payments
                .iter()
                .map(|(m, fen)| {
                    let card = a.to_card.iter().find(|p| &p.month == m);
                    let to = match card {
                        Some(p) if p.state == "paid" => format!(
                            "{}{}",
                            c.pick("已到卡 ", "on card "),
                            p.card.clone().unwrap_or_default()
                        ),
                        Some(_) => c
                            .pick("待户主市民卡到账", "waiting for the head's card")
                            .to_string(),
                        None => c.pick("未经市民卡", "not through the card").to_string(),
                    };
                    format!(
                        "{m} {}{}{to}{}",
                        c.money(fen),
                        c.pick("（", " ("),
                        c.pick("）", ")")
                    )
                })
                .collect::<Vec<_>>()
                .join(" · "),
        })
        .collect();
    render(&AidPage {
        kinds: rules
            .aid
            .iter()
            .map(|r| (r.kind.clone(), r.name().get(c.code()).to_string()))
            .collect(),
        records,
        community,
        this_month: s.app.clock.today().strftime("%Y-%m").to_string(),
        c,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct AidPageForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub community: String,
    #[serde(default)]
    pub household: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub yuan: String,
    #[serde(default)]
    pub since: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub month: String,
}

/// An amount in yuan as typed (`1200`, `1200.5`), in fen.
fn fen_of(yuan: &str) -> Result<u64, Refusal> {
    sunshine_domain::money::Fen::parse(yuan)
        .and_then(|f| u64::try_from(f.fen()).ok())
        .ok_or_else(|| {
            Refusal::field(
                "monthly_fen",
                "金额应为元，最多两位小数",
                "An amount in yuan, at most two decimals",
            )
        })
}

fn aid_back(community: &str, anchor: &str) -> String {
    let page = super::staff_page_of(community).replacen(STAFF, &format!("{STAFF}/aid"), 1);
    format!("{page}#{anchor}")
}

/// `POST /staff/care/aid`: record a household's aid.
pub async fn record_aid(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<AidPageForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), STAFF);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let monthly_fen = match fen_of(&f.yuan) {
        Ok(v) => v,
        Err(r) => return error_page(c, r.into()),
    };
    let form = AidForm {
        district: f.community.get(..6).unwrap_or_default().to_string(),
        household: f.household,
        kind: f.kind,
        monthly_fen,
        since: f.since,
    };
    match s.app.record_aid(&session.actor, form).await {
        Ok(a) => flash::redirect(
            &aid_back(&f.community, &a.number),
            format!("已登记救助 {}", a.number),
            format!("Aid recorded: {}", a.number),
        ),
        Err(e) => error_page(c, e),
    }
}

/// `POST /staff/care/aid/{id}/reviews`: review a record.
pub async fn review_aid(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<AidPageForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), STAFF);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let outcome = match f.outcome.as_str() {
        "adjust" => sunshine_domain::care::aid::ReviewOutcome::Adjust,
        "end" => sunshine_domain::care::aid::ReviewOutcome::End,
        _ => sunshine_domain::care::aid::ReviewOutcome::Continue,
    };
    let monthly_fen = if f.yuan.trim().is_empty() {
        None
    } else {
        match fen_of(&f.yuan) {
            Ok(v) => Some(v),
            Err(r) => return error_page(c, r.into()),
        }
    };
    let review = AidReview {
        outcome,
        monthly_fen,
        note: f.note,
    };
    match s.app.review_aid(&session.actor, id, review).await {
        Ok(a) => flash::redirect(
            &aid_back(&f.community, &a.number),
            format!("已复核 {}，下次复核 {}", a.number, a.next_review),
            format!("{} reviewed; next review {}", a.number, a.next_review),
        ),
        Err(e) => error_page(c, e),
    }
}

/// `POST /staff/care/aid/{id}/payments`: record a month paid.
pub async fn pay_aid(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<AidPageForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), STAFF);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let month = f.month.trim().to_string();
    let payment = AidPayment { month: f.month };
    match s.app.pay_aid(&session.actor, id, payment).await {
        Ok(a) => {
            let on_card = a
                .to_card
                .iter()
                .find(|p| p.month == month)
                .is_some_and(|p| p.state == "paid");
            let (zh, en) = if on_card {
                ("已发放到户主市民卡", "paid onto the head's citizen card")
            } else {
                (
                    "已记录，户主办理市民卡后自动到账",
                    "recorded: it reaches the head's card once they hold one",
                )
            };
            flash::redirect(
                &aid_back(&f.community, &a.number),
                format!("{} {zh}", a.number),
                format!("{}: {en}", a.number),
            )
        }
        Err(e) => error_page(c, e),
    }
}
