//! Hotline pages: the public dashboard of the three rates and overdue
//! requests per unit, district and category (no caller on it); the
//! operators' and units' workbench; a citizen's requests.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sunshine_app::hotline::{NewRequest, Source};
use sunshine_domain::hotline::{available, Party};
use sunshine_domain::identity::{Actor, Organisation};
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;

use super::{bad_token, error_page, render, Chrome};
use crate::api::hotline::{
    indicators_of, parse_command, ticket_view, update_view, IndicatorQuery, IndicatorsView,
    TicketCommandBody, TicketView, UpdateView,
};
use crate::auth::{csrf_ok, MaybeSession, SignedIn, StaffSession};
use crate::i18n::Lang;
use crate::AppState;
use sunshine_app::identity::Session;

/// One row as shown: rates as percentages, "—" where there is nothing to rate.
struct Row {
    code: String,
    name: String,
    taken: u64,
    closed: u64,
    overdue: u64,
    response: String,
    resolution: String,
    satisfaction: String,
}

fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_string(), |r| format!("{:.1}%", r * 100.0))
}

fn row(v: &IndicatorsView) -> Row {
    Row {
        code: v.code.clone(),
        name: v.name.clone(),
        taken: v.taken,
        closed: v.closed,
        overdue: v.overdue,
        response: percent(v.response_rate),
        resolution: percent(v.resolution_rate),
        satisfaction: percent(v.satisfaction_rate),
    }
}

#[derive(Template)]
#[template(path = "hotline_dashboard.html")]
struct DashboardPage {
    c: Chrome,
    from: String,
    until: String,
    all: Row,
    units: Vec<Row>,
    districts: Vec<Row>,
    categories: Vec<Row>,
}

/// `/hotline`: the hotline's indicators over a span of days (the last 30 by default).
pub async fn dashboard(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<IndicatorQuery>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/hotline");
    match indicators_of(&s, &q, lang).await {
        Ok(t) => render(&DashboardPage {
            c,
            from: t.from,
            until: t.until,
            all: row(&t.all),
            units: t.by_unit.iter().map(row).collect(),
            districts: t.by_district.iter().map(row).collect(),
            categories: t.by_category.iter().map(row).collect(),
        }),
        Err(e) => error_page(c, e),
    }
}

/// Codes and names of the categories in force, for a select.
async fn category_choices(s: &AppState, lang: Lang) -> sunshine_app::Result<Vec<(String, String)>> {
    Ok(s.app
        .hotline_categories(true)
        .await?
        .into_iter()
        .map(|c| {
            let name = format!("{} · {}", lang.pick(&c.name, &c.name_en), c.code);
            (c.code, name)
        })
        .collect())
}

/// Organisations of some kinds, for a select.
pub(super) fn org_choices(
    s: &AppState,
    lang: Lang,
    keep: impl Fn(&Organisation) -> bool,
) -> Vec<(String, String)> {
    s.app
        .orgs()
        .list
        .iter()
        .filter(|o| keep(o))
        .map(|o| {
            (
                o.code.to_string(),
                lang.pick(&o.name, &o.name_en).to_string(),
            )
        })
        .collect()
}

#[derive(Template)]
#[template(path = "hotline_console.html")]
struct ConsolePage {
    c: Chrome,
    operator: bool,
    unit: bool,
    categories: Vec<(String, String)>,
    /// What the operator typed before looking up, kept in the form.
    call: CallDraft,
    /// The caller's earlier requests, suggested categories, answers.
    history: Vec<TicketView>,
    suggested: Vec<String>,
    answers: Vec<crate::api::hotline::ArticleView>,
    districts: Vec<(String, String)>,
    queue: Vec<TicketView>,
    inbox: Vec<TicketView>,
}

/// The call form as typed, when the operator looks the caller up first.
#[derive(Debug, Default, Deserialize)]
pub struct CallDraft {
    pub phone: Option<String>,
    pub said: Option<String>,
    pub name: Option<String>,
    pub address: Option<String>,
}

impl ConsolePage {
    fn picked(&self, code: &str) -> bool {
        self.suggested.first().is_some_and(|s| s == code)
    }
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
    let c = Chrome::new(lang, Some(&session), "/staff/hotline");
    let now = s.app.clock.now();
    let views = |list: Vec<sunshine_store::hotline::TicketRow>| {
        list.into_iter()
            .map(|t| ticket_view(t, now))
            .collect::<Vec<_>>()
    };
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
    let categories = match category_choices(&s, lang).await {
        Ok(c) => c,
        Err(e) => return error_page(c, e),
    };
    let assist = if operator {
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
    render(&ConsolePage {
        operator,
        unit,
        categories,
        history: views(assist.history),
        suggested: assist.categories,
        answers: assist
            .answers
            .into_iter()
            .map(|(a, score)| crate::api::hotline::article_view(a, Some(score)))
            .collect(),
        call,
        districts: org_choices(&s, lang, |o| o.kind.is_government() && o.parent.is_some()),
        queue: queue.map(views).unwrap_or_default(),
        inbox: inbox.map(views).unwrap_or_default(),
        c,
    })
}

#[derive(Debug, Deserialize)]
pub struct CallForm {
    pub csrf: String,
    pub category: String,
    #[serde(default)]
    pub description: String,
    pub caller_phone: Option<String>,
    pub caller_name: Option<String>,
    pub address: Option<String>,
    pub district: Option<String>,
}

fn request_of(f: CallForm) -> NewRequest {
    NewRequest {
        category: f.category,
        description: f.description,
        caller_phone: f.caller_phone,
        caller_name: f.caller_name,
        address: f.address,
        district: f.district,
        ..NewRequest::default()
    }
}

/// `POST /staff/hotline`: an operator takes a call.
pub async fn take_call(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<CallForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/hotline");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    match s
        .app
        .take_request(Source::Operator(session.actor.clone()), request_of(f))
        .await
    {
        Ok(taken) => Redirect::to(&format!("/staff/hotline/{}", taken.ticket.id)).into_response(),
        Err(e) => error_page(c, e),
    }
}

#[derive(Template)]
#[template(path = "hotline_ticket.html")]
struct TicketPage {
    c: Chrome,
    t: TicketView,
    updates: Vec<UpdateView>,
    /// Staff see the caller and the internal steps.
    staff: bool,
    commands: Vec<&'static str>,
    action: String,
    units: Vec<(String, String)>,
    suggested: String,
}

impl TicketPage {
    fn is(&self, a: &str, b: &str) -> bool {
        a == b
    }
    /// A command's button, by its dictionary key.
    fn label(&self, cmd: &str) -> &'static str {
        let key = if cmd == "return" {
            "ticket_return"
        } else {
            cmd
        };
        self.c.t(key)
    }
}

/// The commands this actor may give on this ticket now.
fn commands_for(
    s: &AppState,
    actor: &Actor,
    t: &sunshine_store::hotline::TicketRow,
) -> Vec<&'static str> {
    let operator = s
        .app
        .authorize_centre(actor, sunshine_app::CentreWork::OperateHotline)
        .is_ok();
    let unit = t.lifecycle.lead.as_ref().is_some_and(|u| {
        s.app
            .authorize(actor, &Action::HandleTicket { unit: u })
            .is_ok()
    });
    let own = t.requester_user == Some(actor.user_id);
    available(&t.lifecycle, s.app.clock.now(), &s.app.calendar)
        .into_iter()
        .filter(|(_, party)| match party {
            Party::Hotline => operator,
            Party::Unit => unit,
            Party::Requester => operator || own,
        })
        .map(|(name, _)| name)
        .collect()
}

async fn ticket_page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    id: i64,
    staff: bool,
) -> Response {
    let here = if staff {
        format!("/staff/hotline/{id}")
    } else {
        format!("/hotline/my/{id}")
    };
    let c = Chrome::new(lang, Some(session), &here);
    let (t, updates) = match s.app.ticket_for(&session.actor, id).await {
        Ok(found) => found,
        Err(e) => return error_page(c, e),
    };
    let commands = commands_for(s, &session.actor, &t);
    let suggested = s
        .app
        .dispatch_for(&t.category, &t.region)
        .await
        .map(|d| d.0)
        .unwrap_or_default();
    let units = if commands.contains(&"dispatch") {
        org_choices(s, lang, |o| o.parent.is_some())
    } else {
        vec![]
    };
    render(&TicketPage {
        t: ticket_view(t, s.app.clock.now()),
        updates: updates.into_iter().map(update_view).collect(),
        staff,
        commands,
        action: here,
        units,
        suggested,
        c,
    })
}

/// `/staff/hotline/{id}`: a request with its steps and the forms its handlers may use now.
pub async fn staff_ticket(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
) -> Response {
    ticket_page(&s, lang, &session, id, true).await
}

/// `/hotline/my/{id}`: the requester's own request, its public steps, and the return visit.
pub async fn my_ticket(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
) -> Response {
    ticket_page(&s, lang, &session, id, false).await
}

#[derive(Debug, Deserialize)]
pub struct TicketCommandForm {
    pub csrf: String,
    pub command: String,
    pub lead: Option<String>,
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub comment: String,
    pub approve: Option<bool>,
    pub satisfied: Option<bool>,
    pub days: Option<u32>,
}

async fn command_on(
    s: &AppState,
    lang: Lang,
    session: &Session,
    id: i64,
    f: TicketCommandForm,
    back: String,
) -> Response {
    let c = Chrome::new(lang, Some(session), &back);
    if !csrf_ok(session, &f.csrf) {
        return bad_token(c);
    }
    let body = TicketCommandBody {
        command: f.command,
        lead: f.lead,
        assisting: vec![],
        answer: f.answer,
        text: f.text,
        reason: f.reason,
        note: f.note,
        comment: f.comment,
        approve: f.approve,
        satisfied: f.satisfied,
        days: f.days,
    };
    let command = match parse_command(body) {
        Ok(cmd) => cmd,
        Err(r) => return error_page(c, r.into()),
    };
    match s.app.ticket_command(&session.actor, id, command).await {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(e) => error_page(c, e),
    }
}

/// `POST /staff/hotline/{id}`: a command by an operator or the unit.
pub async fn staff_command(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<TicketCommandForm>,
) -> Response {
    command_on(&s, lang, &session, id, f, format!("/staff/hotline/{id}")).await
}

/// `POST /hotline/my/{id}`: the requester's return visit.
pub async fn my_command(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
    Form(f): Form<TicketCommandForm>,
) -> Response {
    command_on(&s, lang, &session, id, f, format!("/hotline/my/{id}")).await
}

#[derive(Template)]
#[template(path = "hotline_my.html")]
struct MyPage {
    c: Chrome,
    categories: Vec<(String, String)>,
    mine: Vec<TicketView>,
    /// Why a request could not be added, with what was typed.
    claim_problem: Option<String>,
    claim: ClaimForm,
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

async fn my_page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    claim: ClaimForm,
    claim_problem: Option<String>,
) -> Response {
    let c = Chrome::new(lang, Some(session), "/hotline/my");
    let now = s.app.clock.now();
    match (
        s.app.my_tickets(&session.actor).await,
        category_choices(s, lang).await,
    ) {
        (Ok(mine), Ok(categories)) => {
            let status = if claim_problem.is_some() {
                axum::http::StatusCode::NOT_FOUND
            } else {
                axum::http::StatusCode::OK
            };
            let page = MyPage {
                mine: mine.into_iter().map(|t| ticket_view(t, now)).collect(),
                categories,
                claim_problem,
                claim,
                c,
            };
            (status, render(&page)).into_response()
        }
        (Err(e), _) | (_, Err(e)) => error_page(c, e),
    }
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
        Ok(t) => Redirect::to(&format!("/hotline/my/{}", t.id)).into_response(),
        Err(sunshine_app::AppError::Refused(r))
            if r.kind == sunshine_domain::refusal::RefusalKind::NotFound =>
        {
            let problem = c
                .pick(
                    "工单号与查询码不符，或该工单已归入其他账户",
                    "The number and query code do not match, or the request is on another account",
                )
                .to_string();
            my_page(&s, lang, &session, f, Some(problem)).await
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
    my_page(&s, lang, &session, ClaimForm::default(), None).await
}

/// `POST /hotline/my`: a request made on the web.
pub async fn new_request(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Form(f): Form<CallForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/hotline/my");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    match s
        .app
        .take_request(Source::Citizen(session.actor.clone()), request_of(f))
        .await
    {
        Ok(taken) => Redirect::to(&format!("/hotline/my/{}", taken.ticket.id)).into_response(),
        Err(e) => error_page(c, e),
    }
}

#[derive(Template)]
#[template(path = "hotline_knowledge.html")]
struct KnowledgePage {
    c: Chrome,
    q: String,
    answers: Vec<crate::api::hotline::ArticleView>,
}

/// `/hotline/knowledge?q=`: the knowledge base for citizens, searched by words.
pub async fn knowledge(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<crate::api::hotline::KnowledgeQuery>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/hotline/knowledge");
    let question = q.q.unwrap_or_default();
    let answers = if question.trim().is_empty() {
        Ok(vec![])
    } else {
        s.app.search_knowledge(&question, 10).await
    };
    match answers {
        Ok(found) => render(&KnowledgePage {
            answers: found
                .into_iter()
                .map(|(a, score)| crate::api::hotline::article_view(a, Some(score)))
                .collect(),
            q: question,
            c,
        }),
        Err(e) => error_page(c, e),
    }
}

#[derive(Template)]
#[template(path = "hotline_nearby.html")]
struct NearbyPage {
    c: Chrome,
    address: String,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    found: Option<crate::api::hotline::NearbyView>,
}

impl NearbyPage {
    fn is(&self, a: &str, b: &str) -> bool {
        a == b
    }
}

/// `/hotline/nearby?address=`: the services around a home, nearest first.
pub async fn nearby(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<crate::api::hotline::NearbyQuery>,
) -> Response {
    use sunshine_domain::hotline::community::ServiceKind;
    let c = Chrome::new(lang, session.as_ref(), "/hotline/nearby");
    let address = q.address.clone().unwrap_or_default();
    let found = if address.trim().is_empty() && q.lat.is_none() {
        None
    } else {
        match crate::api::hotline::nearby_of(&s, &q).await {
            Ok(v) => Some(v),
            Err(e) => return error_page(c, e),
        }
    };
    render(&NearbyPage {
        address,
        kind: q.kind.unwrap_or_default(),
        kinds: ServiceKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label_zh()))
            .collect(),
        found,
        c,
    })
}

#[derive(Template)]
#[template(path = "kiosk.html")]
struct KioskPage {
    c: Chrome,
    /// `kiosk` or `tv`.
    channel: String,
    /// Where the kiosk stands (its community), which a request is about by default.
    at: String,
    categories: Vec<(String, String)>,
    taken: Option<TicketView>,
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
    // Names only: large type has no room for codes.
    let names = s.app.hotline_categories(true).await.map(|list| {
        list.into_iter()
            .map(|k| {
                let name = lang.pick(&k.name, &k.name_en).to_string();
                (k.code, name)
            })
            .collect::<Vec<_>>()
    });
    match names {
        Ok(categories) => render(&KioskPage {
            channel: kiosk_channel(q.channel.as_deref()).into(),
            at: q.at.unwrap_or_default(),
            categories,
            taken: None,
            c,
        }),
        Err(e) => error_page(c, e),
    }
}

#[derive(Debug, Deserialize)]
pub struct KioskForm {
    pub channel: Option<String>,
    pub category: String,
    #[serde(default)]
    pub description: String,
    pub address: Option<String>,
}

/// `POST /kiosk`: the request is taken and its number shown, to follow it
/// by phone or at the kiosk.
pub async fn kiosk_request(
    State(s): State<AppState>,
    lang: Lang,
    Form(f): Form<KioskForm>,
) -> Response {
    let c = Chrome::new(lang, None, "/kiosk");
    let channel = kiosk_channel(f.channel.as_deref());
    let source = if channel == "tv" {
        Source::Tv
    } else {
        Source::Kiosk
    };
    let at = f.address.clone().unwrap_or_default();
    let request = NewRequest {
        category: f.category,
        description: f.description,
        address: f.address,
        ..NewRequest::default()
    };
    match s.app.take_request(source, request).await {
        Ok(taken) => render(&KioskPage {
            channel: channel.into(),
            at,
            categories: vec![],
            taken: Some(ticket_view(taken.ticket, s.app.clock.now())),
            c,
        }),
        Err(e) => error_page(c, e),
    }
}
