//! Supervision pages: the public supervision board (cards per department,
//! no case or person on it) and the workbench where a unit answers its
//! signals and a supervisor closes, escalates or revokes them.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sunshine_store::supervision::SignalFilter;

use super::{bad_token, error_page, render, Chrome};
use crate::api::supervision::{
    board_of, evaluation_of, parse_command, quarter_of, signal_view, DepartmentLine,
    EvaluationLine, SignalView,
};
use crate::auth::{csrf_ok, MaybeSession, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

#[derive(Template)]
#[template(path = "supervision_board.html")]
struct BoardPage {
    c: Chrome,
    quarter: String,
    lines: Vec<DepartmentLine>,
    grades: Vec<EvaluationLine>,
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
}

#[derive(Debug, Deserialize)]
pub struct SignalsForm {
    /// `all` shows closed and revoked signals too.
    pub show: Option<String>,
}

/// `/staff/signals`: the workbench, open signals by age and level.
pub async fn workbench(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(f): Query<SignalsForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/signals");
    let open_only = f.show.as_deref() != Some("all");
    let filter = SignalFilter {
        open_only,
        limit: 500,
        ..SignalFilter::default()
    };
    match s.app.signals(&session.actor, filter).await {
        Ok(rows) => {
            let orgs = s.app.orgs();
            render(&SignalsPage {
                signals: rows
                    .into_iter()
                    .map(|r| signal_view(r, &orgs, lang))
                    .collect(),
                open_only,
                c,
            })
        }
        Err(e) => error_page(c, e),
    }
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
