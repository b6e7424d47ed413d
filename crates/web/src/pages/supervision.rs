//! Supervision pages: the public supervision board (cards per department,
//! no case or person on it) and the workbench where a unit answers its
//! signals and a supervisor closes, escalates or revokes them.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

use serde::Deserialize;
use sunshine_app::identity::Session;
use sunshine_app::supervision::{ComplaintRow, SignalFilter, SignalRow};
use sunshine_app::AppError;
use sunshine_domain::exchange::CardSide;
use sunshine_domain::supervision::{Level, Quarter, RuleCode, SignalState};

use super::{bad_token, error_page, flash, fmt, refusal_message, render, Chrome};
use crate::api::supervision::{
    board_of, complaint_view, evaluation_of, parse_command, parse_complaint_command, quarter_of,
    DepartmentLine, EvaluationLine,
};
use crate::auth::{csrf_ok, url_escape, MaybeSession, SignedIn, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

mod complaints;
pub use complaints::{complaints, file, handle};

#[derive(Template)]
#[template(path = "supervision/board.html")]
struct BoardPage {
    c: Chrome,
    quarter: String,
    /// The quarter as people say it: 2026年第4季度, Q4 2026.
    quarter_name: String,
    lines: Vec<DepartmentLine>,
    grades: Vec<EvaluationLine>,
}

/// A quarter as people say it.
fn quarter_name(lang: Lang, q: Quarter) -> String {
    match lang {
        Lang::Zh => format!("{}年第{}季度", q.year, q.q),
        Lang::En => format!("Q{} {}", q.q, q.year),
    }
}

#[derive(Debug, Deserialize)]
pub struct BoardForm {
    pub quarter: Option<String>,
}

/// `/supervision`: the public supervision board of a quarter.
pub async fn board(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(f): Query<BoardForm>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/supervision");
    let quarter = match quarter_of(&s, f.quarter.as_deref()) {
        Ok(q) => q,
        Err(r) => return error_page(c, r.into()),
    };
    match (
        board_of(&s, quarter, lang).await,
        evaluation_of(&s, quarter, lang).await,
    ) {
        (Ok(b), Ok(e)) => render(&BoardPage {
            quarter_name: quarter_name(lang, quarter),
            c,
            quarter: b.quarter,
            lines: b.departments,
            grades: e.departments,
        }),
        _ => error_page(
            c,
            anyhow::anyhow!("the supervision board could not be read").into(),
        ),
    }
}

/// A signal's line in the list: people's words only, its actions on its own page.
pub struct SignalLine {
    pub id: i64,
    /// The rule's and the state's codes, for scripts and tests (never shown).
    pub rule: &'static str,
    pub state: &'static str,
    pub level: &'static str,
    pub level_name: String,
    pub rule_name: String,
    pub case_number: String,
    pub link: String,
    pub department_name: String,
    pub due: String,
    pub state_name: String,
    /// A copy of the city's card (市级), answered here, decided at the city.
    pub from_city: bool,
}

fn signal_line(s: &SignalRow, orgs: &sunshine_app::OrgDirectory, c: &Chrome) -> SignalLine {
    let code = c.code();
    SignalLine {
        id: s.id,
        rule: s.rule.as_str(),
        state: s.state.as_str(),
        level: s.level.as_str(),
        level_name: s.level.name().get(code).to_string(),
        rule_name: s.rule.name().get(code).to_string(),
        case_number: s.case_number.clone(),
        link: case_link(s),
        department_name: orgs.name(&s.department, code),
        due: c.when(&s.due_at),
        state_name: s.state.name().get(code).to_string(),
        from_city: s.from_city.is_some(),
    }
}

/// The staff page of a signal's subject; none for a backup system's (its
/// page is the backup centre keepers' alone).
fn case_link(s: &SignalRow) -> String {
    if sunshine_app::backup_centre::system_of_signal(&s.case_number).is_some() {
        return String::new();
    }
    crate::api::supervision::signal_link(s)
}

/// Signals shown on one page of the list.
const PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "supervision/signals.html")]
struct SignalsPage {
    c: Chrome,
    signals: Vec<SignalLine>,
    total: i64,
    /// 1-based; the links to the pages before and after, when there are.
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
    /// The filter as asked, to fill the form again.
    f: SignalsForm,
    states: Vec<super::Opt>,
    levels: Vec<super::Opt>,
    departments: Vec<super::Opt>,
    /// A filter field's error, beside it: (field, message).
    errors: BTreeMap<&'static str, String>,
    /// Where the drill-down stands: the whole area, a region, a department.
    region: Option<String>,
    department: Option<String>,
    /// Open signals by the next level down.
    areas: Vec<AreaLine>,
}

pub struct AreaLine {
    pub href: String,
    pub name: String,
    pub warnings: i64,
    pub yellow: i64,
    pub red: i64,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct SignalsForm {
    /// `open` (the default), `all`, or one state (`issued`, `responded`, …).
    #[serde(default)]
    pub state: String,
    /// The old switch: `all` shows closed and revoked signals too.
    #[serde(default)]
    pub show: String,
    /// `warning`, `yellow` or `red`.
    #[serde(default)]
    pub level: String,
    /// Drill down to a region (the city's own code, or a district's).
    #[serde(default)]
    pub region: String,
    /// And to one department.
    #[serde(default)]
    pub department: String,
    /// Due on or after this day, and on or before that one (YYYY-MM-DD).
    #[serde(default)]
    pub due_from: String,
    #[serde(default)]
    pub due_to: String,
    #[serde(default)]
    pub page: String,
}

impl SignalsForm {
    /// The query string of this filter on another page.
    fn href(&self, page: i64) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("state", &self.state),
            ("level", &self.level),
            ("region", &self.region),
            ("department", &self.department),
            ("due_from", &self.due_from),
            ("due_to", &self.due_to),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        q.append_pair("page", &page.to_string());
        format!("/staff/signals?{}", q.finish())
    }

    /// The store's filter, or each field's error.
    fn filter(&self, lang: Lang) -> Result<(SignalFilter, i64), BTreeMap<&'static str, String>> {
        let mut errors = BTreeMap::new();
        let mut f = SignalFilter {
            limit: PAGE,
            open_only: true,
            ..SignalFilter::default()
        };
        match self.state.as_str() {
            "" | "open" if self.show != "all" => {}
            "" | "open" | "all" => f.open_only = false,
            other => match SignalState::ALL.into_iter().find(|s| s.as_str() == other) {
                Some(state) => {
                    f.open_only = false;
                    f.state = Some(state);
                }
                None => {
                    errors.insert("state", lang.pick("没有这个状态", "No such state").into());
                }
            },
        }
        if !self.level.is_empty() {
            match Level::parse(&self.level) {
                Some(l) => f.level = Some(l),
                None => {
                    errors.insert("level", lang.pick("没有这个级别", "No such level").into());
                }
            }
        }
        f.region = Some(self.region.clone()).filter(|r| !r.is_empty());
        f.departments = Some(self.department.clone())
            .filter(|d| !d.is_empty())
            .map(|d| vec![d]);
        let day = |text: &str, field: &'static str, errors: &mut BTreeMap<&'static str, String>| {
            if text.trim().is_empty() {
                return None;
            }
            match text.trim().parse::<jiff::civil::Date>() {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.insert(
                        field,
                        lang.pick("日期格式为 年-月-日", "A day is year-month-day")
                            .into(),
                    );
                    None
                }
            }
        };
        let start_of = |d: jiff::civil::Date| local_start(d);
        if let Some(d) = day(&self.due_from, "due_from", &mut errors) {
            f.due_from = start_of(d);
        }
        if let Some(d) = day(&self.due_to, "due_to", &mut errors) {
            f.due_to = d.tomorrow().ok().and_then(start_of);
        }
        let page = match self.page.trim() {
            "" => 1,
            p => match p.parse::<i64>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    errors.insert("page", lang.pick("页码有误", "No such page").into());
                    1
                }
            },
        };
        f.offset = (page - 1).saturating_mul(PAGE);
        if errors.is_empty() {
            Ok((f, page))
        } else {
            Err(errors)
        }
    }
}

/// The first moment (µs) of a day in Hangzhou.
fn local_start(d: jiff::civil::Date) -> Option<i64> {
    d.to_zoned(sunshine_domain::clock::shanghai())
        .ok()
        .map(|z| sunshine_domain::clock::to_micros(z.timestamp()))
}

/// Group open-signal counts by region, or by department within `region`.
fn areas(
    counts: Vec<(String, String, Level, i64)>,
    region: Option<&str>,
    orgs: &sunshine_app::OrgDirectory,
    lang: Lang,
) -> Vec<AreaLine> {
    let mut by: BTreeMap<String, AreaLine> = BTreeMap::new();
    for (r, d, level, n) in counts {
        let (key, href) = match region {
            None => (
                r.clone(),
                format!("/staff/signals?region={}", url_escape(&r)),
            ),
            Some(want) if want == r => (
                d.clone(),
                format!(
                    "/staff/signals?region={}&department={}",
                    url_escape(&r),
                    url_escape(&d)
                ),
            ),
            Some(_) => continue,
        };
        let line = by.entry(key.clone()).or_insert_with(|| AreaLine {
            href,
            name: orgs.name(&key, lang.code()),
            warnings: 0,
            yellow: 0,
            red: 0,
        });
        match level {
            Level::Warning => line.warnings += n,
            Level::Yellow => line.yellow += n,
            Level::Red => line.red += n,
        }
    }
    by.into_values().collect()
}

/// `/staff/signals`: the workbench, one page of signals at a time, filtered
/// by state, level, department and due day, with a drill-down from the
/// whole area to a district to a department. No forms: each signal's
/// actions are on its own page.
pub async fn workbench(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(f): Query<SignalsForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/signals");
    let (filter, page, errors) = match f.filter(lang) {
        Ok((filter, page)) => (filter, page, BTreeMap::new()),
        Err(errors) => (
            SignalFilter {
                limit: PAGE,
                open_only: true,
                ..SignalFilter::default()
            },
            1,
            errors,
        ),
    };
    let (rows, total, counts) = match (
        s.app.signal_page(&session.actor, filter).await,
        s.app.open_signal_counts(&session.actor).await,
    ) {
        (Ok((rows, total)), Ok(counts)) => (rows, total, counts),
        (Err(e), _) | (_, Err(e)) => return error_page(c, e),
    };
    let orgs = s.app.orgs();
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let region = Some(f.region.clone()).filter(|r| !r.is_empty());
    let department = Some(f.department.clone()).filter(|d| !d.is_empty());
    let mut seen: Vec<String> = counts.iter().map(|(_, d, _, _)| d.clone()).collect();
    if let Some(d) = &department {
        seen.push(d.clone());
    }
    seen.sort();
    seen.dedup();
    let mut departments = super::opts(
        seen.iter()
            .map(|d| (d.clone(), orgs.name(d, lang.code())))
            .collect::<Vec<_>>(),
        &f.department,
    );
    departments.sort_by(|a, b| a.label.cmp(&b.label));
    let state_now = if f.state.is_empty() && f.show == "all" {
        "all"
    } else {
        f.state.as_str()
    };
    let mut states = vec![
        ("open".to_string(), lang.pick("未办结", "Open").to_string()),
        ("all".to_string(), lang.pick("全部", "All").to_string()),
    ];
    states.extend(SignalState::ALL.into_iter().map(|st| {
        (
            st.as_str().to_string(),
            st.name().get(lang.code()).to_string(),
        )
    }));
    let levels = std::iter::once((
        "".to_string(),
        lang.pick("全部级别", "Every level").to_string(),
    ))
    .chain(
        [Level::Warning, Level::Yellow, Level::Red]
            .into_iter()
            .map(|l| {
                (
                    l.as_str().to_string(),
                    l.name().get(lang.code()).to_string(),
                )
            }),
    )
    .collect::<Vec<_>>();
    let page_html = SignalsPage {
        signals: rows.iter().map(|r| signal_line(r, &orgs, &c)).collect(),
        total,
        page,
        pages,
        prev: (page > 1).then(|| f.href(page - 1)),
        next: (page < pages).then(|| f.href(page + 1)),
        states: super::opts(states, state_now),
        levels: super::opts(levels, &f.level),
        departments,
        areas: if department.is_some() {
            vec![]
        } else {
            areas(counts, region.as_deref(), &orgs, lang)
        },
        region: region.map(|r| orgs.name(&r, lang.code())),
        department: department.map(|d| orgs.name(&d, lang.code())),
        errors,
        f,
        c,
    };
    let status = if page_html.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, render(&page_html)).into_response()
}

/// An action offered on a signal's page.
pub struct Offer {
    pub command: &'static str,
    pub title: String,
    pub hint: String,
    pub label: String,
}

fn offer(c: &Chrome, command: &'static str) -> Offer {
    let (title, hint, label) = match command {
        "respond" => (
            c.pick("回告整改", "Report rectification"),
            c.pick(
                "写明本单位已如何整改；监察人员核实后办结。",
                "Say what your unit has done to put it right; a supervisor checks it and closes the signal.",
            ),
            c.pick("整改情况", "What was done"),
        ),
        "close" => (
            c.pick("办结", "Close"),
            c.pick("整改已核实，办结此信号。", "The rectification is checked: close the signal."),
            c.pick("办结意见", "Why it is closed"),
        ),
        "escalate" => (
            c.pick("督办", "Escalate"),
            c.pick(
                "整改不到位或未回告：督促该单位再次整改回告。",
                "Not put right, or not answered: the unit must rectify and report again.",
            ),
            c.pick("督办意见", "What must be done"),
        ),
        _ => (
            c.pick("撤销", "Revoke"),
            c.pick(
                "信号不应发出（例如误报）：撤销并说明理由。",
                "The signal should not have been raised (e.g. in error): revoke it and say why.",
            ),
            c.pick("撤销理由", "Why it is revoked"),
        ),
    };
    Offer {
        command,
        title: title.into(),
        hint: hint.into(),
        label: label.into(),
    }
}

#[derive(Template)]
#[template(path = "supervision/signal.html")]
struct SignalPage {
    c: Chrome,
    s: SignalLine,
    message: String,
    step: Option<i64>,
    follows_up: Option<i64>,
    complaint: Option<i64>,
    responsible: Option<String>,
    issued: String,
    updated: String,
    last_text: Option<String>,
    /// The actions this person may take now, each its own form.
    offers: Vec<Offer>,
    /// A refused form: its command, its text, and the reason beside the field.
    refused: Option<(String, String, String)>,
    /// A refused command with no form on the page, and why.
    refused_elsewhere: Option<String>,
    /// Where the rest of a card that crosses the two levels is done.
    across: Option<String>,
}

async fn signal_page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    id: i64,
    refused: Option<(String, String, String)>,
) -> Response {
    let c = Chrome::new(lang, Some(session), &format!("/staff/signals/{id}"));
    let row = match s.app.signal(&session.actor, id).await {
        Ok(r) => r,
        Err(e) => return error_page(c, e),
    };
    let orgs = s.app.orgs();
    let offers: Vec<Offer> = s
        .app
        .signal_commands(&session.actor, &row)
        .into_iter()
        .map(|cmd| offer(&c, cmd))
        .collect();
    let across = match sunshine_app::supervision::card_side(&row) {
        CardSide::Own => None,
        CardSide::CopyOfCitys => Some(c.pick(
            "此为市级电子监察签发的监察信号：本单位在此回告，办结、督办或撤销由市级监察人员决定。",
            "The city's supervision issued this card: the unit answers it here; the city's supervisors close, escalate or revoke it.",
        )),
        CardSide::AnsweredBelow => Some(c.pick(
            "该单位所在区县运行自己的平台：本信号已发至该平台，单位在那里回告，回告将传回本平台。",
            "The unit's district runs a platform of its own: this card went there, the unit answers it there, and the answer comes back here.",
        )),
    }
    .map(str::to_string);
    // A refusal of a command with no form here (no longer allowed, or never
    // offered) is said at the top of the page.
    let refused_elsewhere = refused
        .as_ref()
        .filter(|(cmd, _, _)| !offers.iter().any(|o| o.command == cmd))
        .map(|(_, _, why)| why.clone());
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = SignalPage {
        s: signal_line(&row, &orgs, &c),
        message: row.rule.message().get(c.code()).to_string(),
        step: (row.step >= 0 && row.rule.has_process_step()).then_some(row.step + 1),
        follows_up: (row.rule == RuleCode::YellowUnrectified).then_some(row.cause),
        complaint: (row.rule == RuleCode::ComplaintUpheld).then_some(row.cause),
        responsible: row.responsible.clone(),
        issued: c.when(&row.issued_at),
        updated: c.when(&row.updated_at),
        last_text: row.last_text.clone(),
        offers,
        refused,
        refused_elsewhere,
        across,
        c,
    };
    (status, render(&page)).into_response()
}

/// `GET /staff/signals/{id}`: one signal, and the actions this person may take on it.
pub async fn signal(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
) -> Response {
    signal_page(&s, lang, &session, id, None).await
}

#[derive(Debug, Deserialize)]
pub struct CommandForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub command: String,
    #[serde(default)]
    pub text: String,
}

/// `POST /staff/signals/{id}`: respond, close, escalate or revoke; back to
/// the signal's page with what was done, or to its form with the reason.
pub async fn command(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<CommandForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/signals");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let result = match parse_command(&f.command, f.text.clone()) {
        Ok(cmd) => s.app.signal_command(&session.actor, id, cmd).await,
        Err(r) => Err(r.into()),
    };
    match result {
        Ok(row) => {
            let (zh, en) = match f.command.as_str() {
                "respond" => (
                    "已回告整改，等待监察人员核实",
                    "Rectification reported; a supervisor will check it",
                ),
                "close" => ("信号已办结", "The signal is closed"),
                "escalate" => (
                    "已督办，该单位须再次整改回告",
                    "Escalated: the unit must rectify and report again",
                ),
                _ => ("信号已撤销", "The signal is revoked"),
            };
            let state = row.state.name();
            flash::redirect(
                &format!("/staff/signals/{id}"),
                format!("监察信号 #{id}：{zh}（{}）", state.zh),
                format!("Signal #{id}: {en} ({})", state.en),
            )
        }
        Err(e) => match refusal_message(&c, &e) {
            Some(m) if !matches!(&e, AppError::Refused(r) if r.kind == sunshine_domain::refusal::RefusalKind::NotFound) => {
                signal_page(&s, lang, &session, id, Some((f.command, f.text, m))).await
            }
            _ => error_page(c, e),
        },
    }
}
