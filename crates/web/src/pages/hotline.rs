//! Hotline pages: the public dashboard of the three rates and overdue
//! requests per unit, district and category (no caller on it); the
//! operators' and units' workbench; a citizen's requests; the kiosk; the
//! knowledge base and the services near a home. Every page says what people
//! say: names, not codes; moments and distances as people read them.

mod intake;

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::hotline::Source;
use sunshine_app::{AppError, OrgDirectory};
use sunshine_domain::hotline::{available, Party};
use sunshine_domain::identity::{Actor, Organisation};
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{Refusal, RefusalKind};
use sunshine_store::hotline::{CategoryRow, TicketRow, UpdateRow};

use self::intake::{intake, Intake, Posted};
use super::{bad_token, error_page, flash, fmt, refusal_message, render, Chrome};
use crate::api::hotline::{indicators_of, parse_command, IndicatorQuery, IndicatorsView};
use crate::auth::{csrf_ok, MaybeSession, SignedIn, StaffSession};
use crate::i18n::Lang;
use crate::AppState;
use sunshine_app::identity::Session;

/// The status a refusal answers with.
fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Refused(r) => crate::error::status_of(r.kind),
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

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
    /// The span shown, as people read it.
    span: String,
    problem: Option<String>,
    all: Row,
    units: Vec<Row>,
    districts: Vec<Row>,
    categories: Vec<Row>,
}

/// `/hotline`: the hotline's indicators over a span of days (the last 30 by
/// default); a wrong span comes back on the form with the reason.
pub async fn dashboard(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<IndicatorQuery>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/hotline");
    let (found, problem, status) = match indicators_of(&s, &q, lang).await {
        Ok(t) => (t, None, StatusCode::OK),
        Err(e) => {
            let Some(m) = refusal_message(&c, &e) else {
                return error_page(c, e);
            };
            let status = status_of(&e);
            match indicators_of(&s, &IndicatorQuery::default(), lang).await {
                Ok(t) => (t, Some(m), status),
                Err(e) => return error_page(c, e),
            }
        }
    };
    let span = format!(
        "{} – {}",
        fmt::day_str(lang, &found.from),
        fmt::day_str(lang, &found.until)
    );
    let page = DashboardPage {
        from: q.from.clone().unwrap_or(found.from),
        until: q.until.clone().unwrap_or(found.until),
        span,
        problem,
        all: row(&found.all),
        units: found.by_unit.iter().map(row).collect(),
        districts: found.by_district.iter().map(row).collect(),
        categories: found.by_category.iter().map(row).collect(),
        c,
    };
    (status, render(&page)).into_response()
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

/// What a page needs to name things: categories and organisations.
struct Names {
    lang: Lang,
    categories: Vec<CategoryRow>,
    orgs: Arc<OrgDirectory>,
}

impl Names {
    async fn load(s: &AppState, lang: Lang) -> sunshine_app::Result<Names> {
        Ok(Names {
            lang,
            categories: s.app.hotline_categories(false).await?,
            orgs: s.app.orgs(),
        })
    }
    fn category_row(&self, code: &str) -> Option<&CategoryRow> {
        self.categories.iter().find(|k| k.code == code)
    }
    fn category(&self, code: &str) -> String {
        self.category_row(code).map_or_else(
            || self.lang.pick("其他", "Other").to_string(),
            |k| self.lang.pick(&k.name, &k.name_en).to_string(),
        )
    }
    fn unit(&self, code: &str) -> String {
        self.orgs.get(code).map_or_else(
            || self.lang.pick("未知单位", "Unknown unit").to_string(),
            |o| self.lang.pick(&o.name, &o.name_en).to_string(),
        )
    }
    fn in_force(&self) -> Vec<CategoryRow> {
        self.categories
            .iter()
            .filter(|k| k.active)
            .cloned()
            .collect()
    }
    fn line(&self, t: &TicketRow, now: jiff::Timestamp, href: &str) -> Line {
        let l = &t.lifecycle;
        Line {
            id: t.id,
            href: format!("{href}/{}", t.id),
            number: number_of(t),
            category: self.category(&t.category),
            state: l.state.as_str(),
            state_name: l.state.label().get(self.code()).to_string(),
            deadline: l.next_deadline().map(|us| fmt::when(self.lang, us)),
            overdue: l.is_overdue(now),
            description: t.description.clone(),
        }
    }
    fn code(&self) -> &'static str {
        if self.lang.is_en() {
            "en"
        } else {
            "zh-CN"
        }
    }
}

fn number_of(t: &TicketRow) -> String {
    sunshine_domain::hotline::ticket_number(
        sunshine_domain::clock::from_micros(t.requested_at),
        t.id,
    )
}

/// A request in a list.
struct Line {
    id: i64,
    href: String,
    number: String,
    category: String,
    state: &'static str,
    state_name: String,
    deadline: Option<String>,
    overdue: bool,
    description: String,
}

#[derive(Template)]
#[template(path = "hotline_console.html")]
struct ConsolePage {
    c: Chrome,
    operator: bool,
    unit: bool,
    form: Intake,
    /// What the operator typed before looking up, kept in the form.
    call: CallDraft,
    /// The caller's earlier requests, suggested categories, answers.
    history: Vec<Line>,
    suggested: Vec<String>,
    answers: Vec<Article>,
    districts: Vec<(String, String)>,
    queue: Vec<Line>,
    inbox: Vec<Line>,
}

/// An article of the knowledge base as shown.
struct Article {
    id: i64,
    title: String,
    body: String,
}

fn article(a: sunshine_store::hotline::knowledge::ArticleRow) -> Article {
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
fn taken_flash(to: &str, t: &TicketRow) -> Response {
    let n = number_of(t);
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

#[derive(Template)]
#[template(path = "hotline_ticket.html")]
struct TicketPage {
    c: Chrome,
    t: Detail,
    steps: Vec<Step>,
    /// Staff see the caller and the internal steps.
    staff: bool,
    commands: Vec<&'static str>,
    action: String,
    units: Vec<(String, String)>,
    suggested: String,
    /// A refused command: which, and why.
    problem: Option<(String, String)>,
}

impl TicketPage {
    fn is(&self, a: &str, b: &str) -> bool {
        a == b
    }
    /// A command's button, by its dictionary key.
    fn label(&self, cmd: &str) -> &'static str {
        self.c.t(command_key(cmd))
    }
    /// A refusal of a command this person has no form for (sent from an
    /// old page, or not theirs to give): said above the forms.
    fn other_problem(&self) -> Option<&String> {
        self.problem
            .as_ref()
            .filter(|(which, _)| !self.commands.contains(&which.as_str()))
            .map(|(_, m)| m)
    }
    fn problem_for(&self, cmd: &str) -> Option<&String> {
        self.problem
            .as_ref()
            .filter(|(which, _)| which == cmd)
            .map(|(_, m)| m)
    }
}

fn command_key(cmd: &str) -> &str {
    if cmd == "return" {
        "ticket_return"
    } else {
        cmd
    }
}

/// A request as its page shows it.
struct Detail {
    number: String,
    state: &'static str,
    state_name: String,
    overdue: bool,
    escalated: bool,
    category: String,
    channel: String,
    requested: String,
    description: String,
    address: Option<String>,
    query_code: Option<String>,
    caller_phone: Option<String>,
    caller_name: Option<String>,
    unit: Option<String>,
    deadline: Option<String>,
    answer_due: Option<String>,
    answer: Option<String>,
    /// The category's questions and their answers: (question, its text is
    /// Chinese on an English page, answer, the answer is Chinese there).
    answers: Vec<(String, bool, String, bool)>,
}

fn channel_name(lang: Lang, ch: &str) -> &'static str {
    match ch {
        "phone" => lang.pick("电话", "Phone"),
        "web" => lang.pick("网站", "Web"),
        "kiosk" => lang.pick("社区终端", "Community kiosk"),
        "tv" => lang.pick("数字电视", "Digital TV"),
        _ => lang.pick("外部系统", "Another system"),
    }
}

fn detail(names: &Names, t: TicketRow, now: jiff::Timestamp) -> Detail {
    let lang = names.lang;
    let code = names.code();
    let l = &t.lifecycle;
    let mut answers = vec![];
    if let Some(k) = names.category_row(&t.category) {
        for (q, given) in &t.answers {
            let Some(a) = k.attributes.iter().find(|a| &a.code == q) else {
                continue;
            };
            let q_zh = lang.is_en() && a.description_en.trim().is_empty();
            let mut zh = false;
            let said: Vec<String> = given
                .iter()
                .map(|v| match a.values.iter().find(|x| &x.key == v) {
                    Some(x) => {
                        zh |= lang.is_en() && x.name_en.trim().is_empty();
                        x.label().get(code).to_string()
                    }
                    None if a.datatype == sunshine_domain::hotline::open311::Datatype::Datetime => {
                        v.parse::<jiff::Timestamp>()
                            .map(|m| fmt::moment(lang, m))
                            .unwrap_or_else(|_| v.clone())
                    }
                    None => {
                        zh = true;
                        v.clone()
                    }
                })
                .collect();
            answers.push((
                a.question().get(code).to_string(),
                q_zh,
                said.join(lang.pick("、", ", ")),
                zh,
            ));
        }
    }
    Detail {
        number: number_of(&t),
        state: l.state.as_str(),
        state_name: l.state.label().get(code).to_string(),
        overdue: l.is_overdue(now),
        escalated: sunshine_domain::hotline::escalated(l.urges),
        category: names.category(&t.category),
        channel: channel_name(lang, t.channel.as_str()).to_string(),
        requested: fmt::when(lang, t.requested_at),
        unit: l.lead.as_ref().map(|u| names.unit(u.as_str())),
        deadline: l.next_deadline().map(|us| fmt::when(lang, us)),
        answer_due: l.answer_due.map(|d| fmt::day(lang, d)),
        query_code: Some(t.query_code).filter(|c| !c.is_empty()),
        description: t.description,
        address: t.address,
        caller_phone: t.caller_phone,
        caller_name: t.caller_name,
        answer: t.answer,
        answers,
    }
}

/// One step of a request as shown.
struct Step {
    at: String,
    what: String,
    /// What a person wrote in the step (an answer, a reason, a note).
    said: Option<String>,
    who: Option<String>,
    internal: bool,
}

/// A step's name in the page's language, from its journal event.
fn event_name(lang: Lang, event: &str) -> &'static str {
    let (zh, en) = match event.strip_prefix("hotline.").unwrap_or(event) {
        "accepted" => ("受理", "Taken"),
        "answered_directly" => ("直接答复", "Answered directly"),
        "dispatched" => ("派单", "Dispatched"),
        "signed" => ("签收", "Signed for"),
        "returned" => ("申请退单", "Return asked"),
        "return_reviewed" => ("审核退单", "Return reviewed"),
        "extension_requested" => ("申请延期", "More time asked"),
        "extension_reviewed" => ("审核延期", "Extension reviewed"),
        "answered" => ("办结反馈", "Answer sent"),
        "answer_reviewed" => ("审核办结", "Answer reviewed"),
        "visited" => ("回访", "Return visit"),
        "urged" => ("催办", "Urged"),
        "merged" => ("合并", "Merged"),
        "merged_answered" => ("随主工单答复", "Answered with the request it joined"),
        "claimed" => ("归入账户", "Added to an account"),
        "commented" => ("外部系统留言", "Comment from another system"),
        _ => ("处理", "Step"),
    };
    lang.pick(zh, en)
}

/// Who took a step, as people say it (staff by their sign-in name).
fn who(lang: Lang, actor: &str) -> String {
    match actor.split_once(':') {
        Some(("staff", login)) => login.to_string(),
        Some(("open311", client)) => client.to_string(),
        Some(("citizen" | "enterprise", _)) => lang.pick("诉求人", "The requester").into(),
        _ => match actor {
            "kiosk" => lang.pick("社区终端", "Community kiosk").into(),
            "tv" => lang.pick("数字电视", "Digital TV").into(),
            _ => lang.pick("系统", "The system").into(),
        },
    }
}

fn step(lang: Lang, u: UpdateRow, staff: bool) -> Step {
    let event = u.event.strip_prefix("hotline.").unwrap_or(&u.event);
    // The words a person wrote: the whole text of an answer or a comment,
    // the part after the platform's own prefix (退单：…) of a staff note.
    let said = match event {
        "answered_directly" | "commented" | "merged_answered" => Some(u.text.clone()),
        "accepted" | "dispatched" | "signed" | "claimed" | "merged" => None,
        _ if !u.public => u.text.split_once('：').map(|(_, w)| w.to_string()),
        _ => None,
    }
    .filter(|w| !w.trim().is_empty());
    Step {
        at: fmt::when(lang, u.at),
        what: event_name(lang, &u.event).to_string(),
        said,
        who: staff.then(|| who(lang, &u.actor)),
        internal: !u.public,
    }
}

/// The commands this actor may give on this ticket now.
fn commands_for(s: &AppState, actor: &Actor, t: &TicketRow) -> Vec<&'static str> {
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
    problem: Option<(String, String, StatusCode)>,
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
    let names = match Names::load(s, lang).await {
        Ok(n) => n,
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
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.2);
    let page = TicketPage {
        t: detail(&names, t, s.app.clock.now()),
        steps: updates
            .into_iter()
            .filter(|u| staff || u.public)
            .map(|u| step(lang, u, staff))
            .collect(),
        staff,
        commands,
        action: here,
        units,
        suggested,
        problem: problem.map(|(cmd, m, _)| (cmd, m)),
        c,
    };
    (status, render(&page)).into_response()
}

/// `/staff/hotline/{id}`: a request with its steps and the forms its handlers may use now.
pub async fn staff_ticket(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
) -> Response {
    ticket_page(&s, lang, &session, id, true, None).await
}

/// `/hotline/my/{id}`: the requester's own request, its public steps, and the return visit.
pub async fn my_ticket(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
) -> Response {
    ticket_page(&s, lang, &session, id, false, None).await
}

#[derive(Debug, Deserialize)]
pub struct TicketCommandForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
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
    #[serde(default)]
    pub approve: String,
    #[serde(default)]
    pub satisfied: String,
    #[serde(default)]
    pub days: String,
}

/// What a command did, for the flash after it.
fn done(cmd: &str) -> (&'static str, &'static str) {
    match cmd {
        "answer_directly" => ("已直接答复", "Answered directly"),
        "dispatch" => ("已派单", "Dispatched"),
        "sign" => ("已签收", "Signed for"),
        "return" => ("已申请退单", "Return asked"),
        "review_return" => ("已审核退单", "Return reviewed"),
        "request_extension" => ("已申请延期", "More time asked"),
        "review_extension" => ("已审核延期", "Extension reviewed"),
        "answer" => ("已提交办结反馈", "Answer sent"),
        "review_answer" => ("已审核办结", "Answer reviewed"),
        "visit" => ("已记录回访", "Return visit recorded"),
        "urge" => ("已催办", "Urged"),
        _ => ("已办理", "Done"),
    }
}

/// A form's yes or no (`true`/`false`), or `None` when it said neither.
fn yes_no(v: &str) -> Option<bool> {
    match v.trim() {
        "true" | "on" | "yes" => Some(true),
        "false" | "no" => Some(false),
        _ => None,
    }
}

async fn command_on(
    s: &AppState,
    lang: Lang,
    session: &Session,
    id: i64,
    f: TicketCommandForm,
    staff: bool,
) -> Response {
    let back = if staff {
        format!("/staff/hotline/{id}")
    } else {
        format!("/hotline/my/{id}")
    };
    let c = Chrome::new(lang, Some(session), &back);
    if !csrf_ok(session, &f.csrf) {
        return bad_token(c);
    }
    let cmd = f.command.clone();
    let days = match f.days.trim() {
        "" => Ok(None),
        d => d.parse::<u32>().map(Some).map_err(|_| {
            Refusal::field(
                "days",
                "请填写天数（整数）",
                "Give the days as a whole number",
            )
        }),
    };
    let body = days.map(|days| crate::api::hotline::TicketCommandBody {
        command: f.command,
        lead: f.lead,
        assisting: vec![],
        answer: f.answer,
        text: f.text,
        reason: f.reason,
        note: f.note,
        comment: f.comment,
        approve: yes_no(&f.approve),
        satisfied: yes_no(&f.satisfied),
        days,
    });
    let result = match body.and_then(parse_command) {
        Ok(command) => s.app.ticket_command(&session.actor, id, command).await,
        Err(r) => Err(r.into()),
    };
    match result {
        Ok(t) => {
            let (zh, en) = done(&cmd);
            let n = number_of(&t);
            flash::redirect(
                &back,
                format!("{zh}：工单 {n}"),
                format!("{en}: request {n}"),
            )
        }
        // A refusal is said beside the command's form; a ticket this reader
        // may not see stays "not found".
        Err(e @ AppError::Refused(_)) if !matches!(&e, AppError::Refused(r) if r.kind == RefusalKind::NotFound) =>
        {
            let m = refusal_message(&c, &e).unwrap_or_default();
            let status = status_of(&e);
            ticket_page(s, lang, session, id, staff, Some((cmd, m, status))).await
        }
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
    command_on(&s, lang, &session, id, f, true).await
}

/// `POST /hotline/my/{id}`: the requester's return visit.
pub async fn my_command(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
    Form(f): Form<TicketCommandForm>,
) -> Response {
    command_on(&s, lang, &session, id, f, false).await
}

#[derive(Template)]
#[template(path = "hotline_my.html")]
struct MyPage {
    c: Chrome,
    /// Whether this person may make a request online (a bound citizen or
    /// enterprise): the form is shown only then.
    may_apply: bool,
    form: Intake,
    mine: Vec<Line>,
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
            let n = number_of(&t);
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

#[derive(Template)]
#[template(path = "hotline_knowledge.html")]
struct KnowledgePage {
    c: Chrome,
    q: String,
    problem: Option<String>,
    answers: Vec<Article>,
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
    let (answers, problem, status) = match answers {
        Ok(found) => (found, None, StatusCode::OK),
        Err(e @ AppError::Refused(_)) => {
            let m = refusal_message(&c, &e);
            (vec![], m, status_of(&e))
        }
        Err(e) => return error_page(c, e),
    };
    let page = KnowledgePage {
        answers: answers.into_iter().map(|(a, _)| article(a)).collect(),
        q: question,
        problem,
        c,
    };
    (status, render(&page)).into_response()
}

/// A service near a home, as shown.
struct Service {
    name: String,
    kind: &'static str,
    kind_name: &'static str,
    address: String,
    phone: String,
    hours: String,
    distance: String,
}

#[derive(Template)]
#[template(path = "hotline_nearby.html")]
struct NearbyPage {
    c: Chrome,
    address: String,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    /// What was refused, by field (`address`, `kind`), and the whole reason.
    problems: BTreeMap<String, String>,
    found: Option<Vec<Service>>,
}

impl NearbyPage {
    fn is(&self, a: &str, b: &str) -> bool {
        a == b
    }
}

/// `/hotline/nearby?address=`: the services around a home, nearest first;
/// an address the gazetteer does not know is said beside the field.
pub async fn nearby(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<crate::api::hotline::NearbyQuery>,
) -> Response {
    use sunshine_domain::hotline::community::ServiceKind;
    let c = Chrome::new(lang, session.as_ref(), "/hotline/nearby");
    let address = q.address.clone().unwrap_or_default();
    let mut problems = BTreeMap::new();
    let mut status = StatusCode::OK;
    let found = if address.trim().is_empty() && q.lat.is_none() {
        None
    } else {
        match crate::api::hotline::nearby_of(&s, &q).await {
            Ok(v) => Some(
                v.services
                    .into_iter()
                    .map(|sv| {
                        let kind = ServiceKind::parse(&sv.kind);
                        Service {
                            kind: kind.map_or("", |k| k.as_str()),
                            kind_name: kind.map_or("", |k| lang.pick(k.label_zh(), k.label_en())),
                            name: sv.name,
                            address: sv.address,
                            phone: sv.phone,
                            hours: sv.hours,
                            distance: fmt::distance(lang, sv.distance_m),
                        }
                    })
                    .collect(),
            ),
            Err(AppError::Refused(r)) => {
                status = crate::error::status_of(r.kind);
                let code = c.code();
                for (field, text) in &r.fields {
                    let on = if field == "kind" { "kind" } else { "address" };
                    problems.insert(on.to_string(), text.get(code).to_string());
                }
                if problems.is_empty() {
                    problems.insert("address".into(), r.message.get(code).to_string());
                }
                None
            }
            Err(e) => return error_page(c, e),
        }
    };
    let page = NearbyPage {
        address,
        kind: q.kind.unwrap_or_default(),
        kinds: ServiceKind::ALL
            .iter()
            .map(|k| (k.as_str(), lang.pick(k.label_zh(), k.label_en())))
            .collect(),
        problems,
        found,
        c,
    };
    (status, render(&page)).into_response()
}

#[derive(Template)]
#[template(path = "kiosk.html")]
struct KioskPage {
    c: Chrome,
    /// `kiosk` or `tv`.
    channel: String,
    /// Where the kiosk stands (its community), which a request is about by default.
    at: String,
    form: Intake,
    taken: Option<Taken>,
}

/// A request just taken at the kiosk, to show in large type.
struct Taken {
    number: String,
    query_code: String,
    state_name: String,
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
                    number: number_of(&t),
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
