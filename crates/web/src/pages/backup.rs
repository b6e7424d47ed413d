//! The platform's own backup, for its administrators: the last good
//! backup, the recovery point achieved, the generations kept and the last
//! restore drill, with a button to drill now.

use askama::Template;
use axum::extract::{Form, State};
use axum::response::Response;
use sunshine_app::backup::service::BackupStatus;

use super::{bad_token, error_page, fmt, render, Chrome};
use crate::auth::{csrf_ok, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

pub struct GenerationLine {
    pub id: String,
    pub from: String,
    pub until: String,
    pub size: String,
    pub continuous: bool,
}

#[derive(Template)]
#[template(path = "backup/index.html")]
struct BackupPage {
    c: Chrome,
    status: Option<BackupStatus>,
    last_good: String,
    behind: String,
    rpo_recent: String,
    rpo_worst: String,
    drill_at: String,
    drill_as_of: String,
    drill_seconds: String,
    generations: Vec<GenerationLine>,
}

fn seconds(lang: Lang, ms: i64) -> String {
    if ms < 1000 {
        format!("{ms} {}", lang.pick("毫秒", "ms"))
    } else {
        format!("{:.1} {}", ms as f64 / 1000.0, lang.pick("秒", "s"))
    }
}

fn moment(lang: Lang, t: jiff::Timestamp) -> String {
    fmt::when(lang, t.as_microsecond())
}

pub async fn page(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/backup");
    let status = match s.app.backup_status(&session.actor) {
        Ok(st) => st,
        Err(e) => return error_page(c, e),
    };
    let none = || lang.pick("尚无", "none yet").to_string();
    let (mut last_good, mut behind, mut rpo_recent, mut rpo_worst) =
        (none(), none(), none(), none());
    let (mut drill_at, mut drill_seconds, mut generations) = (none(), String::new(), vec![]);
    let mut drill_as_of = String::new();
    if let Some(st) = &status {
        if let Some(t) = st.last_good {
            last_good = moment(lang, t);
        }
        if let Some(ms) = st.behind_ms {
            behind = seconds(lang, ms);
        }
        rpo_recent = seconds(lang, st.rpo_recent_ms);
        rpo_worst = seconds(lang, st.rpo_worst_ms);
        if let Some(d) = &st.last_drill {
            drill_at = moment(lang, d.at);
            drill_as_of = d.as_of.map(|t| moment(lang, t)).unwrap_or_default();
            drill_seconds = format!("{:.1}", d.seconds);
        }
        generations = st
            .generations
            .iter()
            .rev()
            .map(|g| GenerationLine {
                id: g.id.clone(),
                from: moment(lang, g.taken_at),
                until: moment(lang, g.until),
                size: fmt::size(lang, i64::try_from(g.bytes).unwrap_or(i64::MAX)),
                continuous: g.continuous,
            })
            .collect();
    }
    render(&BackupPage {
        c,
        status,
        last_good,
        behind,
        rpo_recent,
        rpo_worst,
        drill_at,
        drill_as_of,
        drill_seconds,
        generations,
    })
}

/// Run the restore drill now.
pub async fn drill(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<super::hotline::admin::CsrfForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/backup");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    if let Err(e) = s.app.backup_status(&session.actor) {
        return error_page(c, e);
    }
    match s.app.backup_drill().await {
        Ok(d) if d.ok => super::flash::redirect(
            "/staff/backup",
            format!("恢复演练通过（{:.1} 秒）", d.seconds),
            format!("Restore drill passed ({:.1} s)", d.seconds),
        ),
        Ok(d) => super::flash::redirect(
            "/staff/backup",
            format!("恢复演练未通过：{}", d.message),
            format!("Restore drill FAILED: {}", d.message),
        ),
        Err(e) => error_page(c, e),
    }
}
