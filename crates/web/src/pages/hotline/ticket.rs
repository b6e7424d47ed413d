//! One ticket as staff and its requester see it, and the commands given on it.

use super::*;

use crate::auth::{csrf_ok, SignedIn, StaffSession};
use crate::i18n::Lang;
use crate::pages::{bad_token, error_page, flash, fmt, refusal_message, render, Chrome};
use crate::views::hotline::parse_command;
use crate::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::hotline::{TicketRow, UpdateRow};
use sunshine_app::identity::Session;
use sunshine_app::AppError;
use sunshine_domain::exchange::{ticket_step_here, TicketSide};
use sunshine_domain::hotline::{available, Party};
use sunshine_domain::identity::Actor;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::{Refusal, RefusalKind};

#[derive(Template)]
#[template(path = "hotline/ticket.html")]
struct TicketPage {
    pub(super) c: Chrome,
    pub(super) t: Detail,
    pub(super) steps: Vec<Step>,
    /// Staff see the caller and the internal steps.
    pub(super) staff: bool,
    pub(super) commands: Vec<&'static str>,
    pub(super) action: String,
    pub(super) units: Vec<(String, String)>,
    pub(super) suggested: String,
    /// A refused command: which, and why.
    pub(super) problem: Option<(String, String)>,
    /// Where the steps this platform does not take are taken.
    pub(super) across: Option<&'static str>,
}

impl TicketPage {
    pub(super) fn is(&self, a: &str, b: &str) -> bool {
        a == b
    }
    /// A command's button, by its dictionary key.
    pub(super) fn label(&self, cmd: &str) -> &'static str {
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
pub(super) struct Detail {
    pub(super) number: String,
    pub(super) state: &'static str,
    pub(super) state_name: String,
    pub(super) overdue: bool,
    pub(super) escalated: bool,
    pub(super) category: String,
    pub(super) channel: String,
    pub(super) requested: String,
    pub(super) description: String,
    pub(super) address: Option<String>,
    pub(super) query_code: Option<String>,
    pub(super) caller_phone: Option<String>,
    pub(super) caller_name: Option<String>,
    pub(super) unit: Option<String>,
    pub(super) deadline: Option<String>,
    pub(super) answer_due: Option<String>,
    pub(super) answer: Option<String>,
    /// The category's questions and their answers: (question, its text is
    /// Chinese on an English page, answer, the answer is Chinese there).
    pub(super) answers: Vec<(String, bool, String, bool)>,
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

pub(super) fn detail(names: &Names, t: TicketRow, now: jiff::Timestamp) -> Detail {
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
        number: t.number(),
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
pub(super) struct Step {
    pub(super) at: String,
    pub(super) what: String,
    /// What a person wrote in the step (an answer, a reason, a note).
    pub(super) said: Option<String>,
    pub(super) who: Option<String>,
    pub(super) internal: bool,
}

/// A step's name in the page's language, from its journal event.
pub(super) fn event_name(lang: Lang, event: &str) -> &'static str {
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
        "reply_not_taken" => ("市级热线未采纳", "Not taken by the city's hotline"),
        _ => ("处理", "Step"),
    };
    lang.pick(zh, en)
}

/// Who took a step, as people say it (staff by their sign-in name).
pub(super) fn who(lang: Lang, actor: &str) -> String {
    match actor.split_once(':') {
        Some(("staff", login)) => login.to_string(),
        Some(("open311", client)) => client.to_string(),
        Some(("citizen" | "enterprise", _)) => lang.pick("诉求人", "The requester").into(),
        Some(("platform", "city")) => lang.pick("市级平台", "The city's platform").into(),
        Some(("platform", _)) => lang.pick("区县平台", "The district's platform").into(),
        _ => match actor {
            "kiosk" => lang.pick("社区终端", "Community kiosk").into(),
            "tv" => lang.pick("数字电视", "Digital TV").into(),
            _ => lang.pick("系统", "The system").into(),
        },
    }
}

pub(super) fn step(lang: Lang, u: UpdateRow, staff: bool) -> Step {
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
    let side = s.app.ticket_side(t);
    available(&t.lifecycle, s.app.clock.now(), &s.app.calendar)
        .into_iter()
        .filter(|(_, party)| match party {
            Party::Hotline => operator,
            Party::Unit => unit,
            Party::Requester => operator || own,
        })
        .filter(|(_, party)| ticket_step_here(side, *party).is_ok())
        .map(|(name, _)| name)
        .collect()
}

pub(super) async fn ticket_page(
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
    let across = match s.app.ticket_side(&t) {
        TicketSide::Own => None,
        TicketSide::CopyOfCitys => Some(lang.pick(
            "这是市级 96345 热线派来的工单：签收、退单、延期申请和办结反馈在本平台办理；审核、回访和督办由市级热线办理。",
            "This request was dispatched by the city's 96345 hotline: the unit signs, returns, asks for time and answers here; the hotline reviews, visits and urges on the city's platform.",
        )),
        TicketSide::HandledBelow => Some(lang.pick(
            "承办单位在其区县平台签收和办理此工单，办理情况回传本平台。",
            "The lead unit signs and handles this request on its district's platform; its steps come back here.",
        )),
    };
    let page = TicketPage {
        across,
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

/// `/staff/hotline/from-city/{city_id}`: at a district's platform, its copy
/// of the city's request, which the city's cards on it name by the
/// city's number.
pub async fn copy_of_citys(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(city_ticket): Path<i64>,
) -> Response {
    match s
        .app
        .copy_of_citys_request(&session.actor, city_ticket)
        .await
    {
        Ok(id) => axum::response::Redirect::to(&format!("/staff/hotline/{id}")).into_response(),
        Err(e) => error_page(Chrome::new(lang, Some(&session), "/staff/hotline"), e),
    }
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
pub(super) fn done(cmd: &str) -> (&'static str, &'static str) {
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
    let body = days.map(|days| crate::views::hotline::TicketCommandBody {
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
            let n = t.number();
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
