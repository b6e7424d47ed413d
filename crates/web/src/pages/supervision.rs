//! Supervision pages: the public supervision board (cards per department,
//! no case or person on it) and the workbench where a unit answers its
//! signals and a supervisor closes, escalates or revokes them.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::BTreeMap;

use serde::Deserialize;
use sunshine_domain::supervision::{Level, Quarter};
use sunshine_store::supervision::SignalFilter;

use super::{bad_token, error_page, render, Chrome};
use crate::api::supervision::{
    board_of, complaint_view, evaluation_of, parse_command, parse_complaint_command, quarter_of,
    signal_view, ComplaintView, DepartmentLine, EvaluationLine, SignalView,
};
use crate::auth::{csrf_ok, url_escape, MaybeSession, SignedIn, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

#[derive(Template)]
#[template(path = "supervision_board.html")]
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

#[derive(Template)]
#[template(path = "staff/signals.html")]
struct SignalsPage {
    c: Chrome,
    signals: Vec<SignalView>,
    open_only: bool,
    /// Where the drill-down stands: the whole area, a region, a department.
    region: Option<String>,
    department: Option<String>,
    /// Open signals by the next level down: (link, name, warnings, yellow, red).
    areas: Vec<AreaLine>,
}

pub struct AreaLine {
    pub href: String,
    pub name: String,
    pub warnings: i64,
    pub yellow: i64,
    pub red: i64,
}

#[derive(Debug, Deserialize)]
pub struct SignalsForm {
    /// `all` shows closed and revoked signals too.
    pub show: Option<String>,
    /// Drill down to a region (the city's own code, or a district's).
    pub region: Option<String>,
    /// And to one department in it.
    pub department: Option<String>,
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

/// `/staff/signals`: the workbench, open signals by age and level, with a
/// drill-down from the whole area to a district to a department.
pub async fn workbench(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(f): Query<SignalsForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/signals");
    let open_only = f.show.as_deref() != Some("all");
    let region = f.region.clone().filter(|r| !r.is_empty());
    let department = f.department.clone().filter(|d| !d.is_empty());
    let filter = SignalFilter {
        open_only,
        region: region.clone(),
        departments: department.clone().map(|d| vec![d]),
        limit: 500,
        ..SignalFilter::default()
    };
    let (rows, counts) = match (
        s.app.signals(&session.actor, filter).await,
        s.app.open_signal_counts(&session.actor).await,
    ) {
        (Ok(rows), Ok(counts)) => (rows, counts),
        (Err(e), _) | (_, Err(e)) => return error_page(c, e),
    };
    let orgs = s.app.orgs();
    render(&SignalsPage {
        signals: rows
            .into_iter()
            .map(|r| signal_view(r, &orgs, lang))
            .collect(),
        open_only,
        areas: if department.is_some() {
            vec![]
        } else {
            areas(counts, region.as_deref(), &orgs, lang)
        },
        region: region.map(|r| orgs.name(&r, lang.code())),
        department: department.map(|d| orgs.name(&d, lang.code())),
        c,
    })
}

#[derive(Debug, Deserialize)]
pub struct CommandForm {
    pub csrf: String,
    pub command: String,
    #[serde(default)]
    pub text: String,
}

/// `POST /staff/signals/{id}`: respond, close, escalate or revoke.
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
    let command = match parse_command(&f.command, f.text) {
        Ok(cmd) => cmd,
        Err(r) => return error_page(c, r.into()),
    };
    match s.app.signal_command(&session.actor, id, command).await {
        Ok(_) => Redirect::to(&format!("/staff/signals#signal-{id}")).into_response(),
        Err(e) => error_page(c, e),
    }
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct ComplaintsPage {
    c: Chrome,
    complaints: Vec<ComplaintView>,
    /// Whether the visitor handles complaints (a supervisor) or files them.
    handles: bool,
    /// The case the form is about, when it came from a case's page.
    case: String,
}

#[derive(Debug, Deserialize)]
pub struct ComplaintsQuery {
    pub case: Option<String>,
}

/// `/complaints`: a citizen's or an enterprise's complaints with the form to
/// file one (网上监督); for a supervisor, the complaints of their area with
/// the forms to handle them.
pub async fn complaints(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Query(q): Query<ComplaintsQuery>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/complaints");
    match s.app.complaints(&session.actor).await {
        Ok(rows) => render(&ComplaintsPage {
            handles: session.actor.kind == sunshine_domain::identity::UserKind::Staff,
            complaints: rows
                .into_iter()
                .map(|x| complaint_view(x, &s, lang))
                .collect(),
            case: q.case.unwrap_or_default(),
            c,
        }),
        Err(e) => error_page(c, e),
    }
}

#[derive(Debug, Deserialize)]
pub struct FileForm {
    pub csrf: String,
    #[serde(default)]
    pub case_number: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub text: String,
}

/// `POST /complaints`: file a complaint.
pub async fn file(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Form(f): Form<FileForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/complaints");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let new = sunshine_app::supervision::NewComplaint {
        case_number: Some(f.case_number),
        department: Some(f.department),
        text: f.text,
    };
    match s.app.file_complaint(&session.actor, new).await {
        Ok(x) => Redirect::to(&format!("/complaints#complaint-{}", x.id)).into_response(),
        Err(e) => error_page(c, e),
    }
}

#[derive(Debug, Deserialize)]
pub struct HandleForm {
    pub csrf: String,
    pub command: String,
    #[serde(default)]
    pub text: String,
    /// A checkbox: present when ticked.
    pub raise_signal: Option<String>,
}

/// `POST /complaints/{id}`: accept, refuse or answer (a supervisor).
pub async fn handle(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<HandleForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/complaints");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let command = match parse_complaint_command(&f.command, f.text) {
        Ok(cmd) => cmd,
        Err(r) => return error_page(c, r.into()),
    };
    match s
        .app
        .complaint_command(&session.actor, id, command, f.raise_signal.is_some())
        .await
    {
        Ok(_) => Redirect::to(&format!("/complaints#complaint-{id}")).into_response(),
        Err(e) => error_page(c, e),
    }
}
