//! `/staff/exchange`: the two-level platform for the staff who read the
//! journal: which platform this is and its key, the messages waiting to be
//! published, the peers trusted, where each sender stands, the districts'
//! cases (on the city's platform), and the message log, searchable.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use sunshine_app::exchange::{DistrictAggregates, MessageLine, MessageQuery, Overview, RemoteCase};
use sunshine_app::AppError;
use sunshine_domain::exchange::RemoteCaseState;

use super::{error_page, fmt, render, Chrome};
use crate::auth::StaffSession;
use crate::AppState;

#[derive(Template)]
#[template(path = "exchange/index.html")]
struct ExchangePage {
    c: Chrome,
    overview: Overview,
    cases: Vec<RemoteCase>,
    lines: Vec<MessageLine>,
    /// The filters as given, to keep in the form.
    direction: String,
    status: String,
    peer: String,
    msg_id: String,
    problem: String,
    next_before: Option<i64>,
}

impl ExchangePage {
    fn when(&self, us: &i64) -> String {
        fmt::when(self.c.lang, *us)
    }

    fn state(&self, s: &str) -> String {
        match RemoteCaseState::parse(s) {
            Some(st) => self.c.pick(st.label_zh(), st.label_en()).to_string(),
            None => s.to_string(),
        }
    }

    /// The age bands' names, for the head of the districts' registry table.
    fn age_bands(&self) -> Vec<String> {
        sunshine_domain::registry::stats::AgeBand::ALL
            .into_iter()
            .map(|b| self.c.pick(&b.label().zh, &b.label().en).to_string())
            .collect()
    }

    /// A district's report in one row: the total, then each age band's
    /// count ("—" where the district hid a small count).
    fn registry_row(&self, d: &DistrictAggregates) -> (String, Vec<String>) {
        let shown = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_else(|| "—".into());
        let age = d
            .statistics
            .breakdowns
            .iter()
            .find(|b| b.dimension == "age");
        let total = shown(age.and_then(|b| b.total));
        let cells = age
            .map(|b| b.rows.iter().map(|r| shown(r.persons)).collect())
            .unwrap_or_default();
        (total, cells)
    }

    fn status(&self, s: &str) -> String {
        let (zh, en) = match s {
            "sent" => ("已发送", "sent"),
            "applied" => ("已生效", "applied"),
            "duplicate" => ("重复，已忽略", "duplicate, ignored"),
            "held" => ("等待前序消息", "held for an earlier one"),
            "refused" => ("已拒收", "refused"),
            other => (other, other),
        };
        self.c.pick(zh, en).to_string()
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct LogFilter {
    #[serde(default)]
    direction: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    peer: String,
    #[serde(default)]
    msg_id: String,
    before: Option<i64>,
}

fn given(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.chars().take(120).collect())
}

/// `GET /staff/exchange`.
pub async fn page(
    State(s): State<AppState>,
    lang: crate::i18n::Lang,
    StaffSession(session): StaffSession,
    Query(f): Query<LogFilter>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/exchange");
    let overview = match s.app.exchange_overview(&session.actor).await {
        Ok(o) => o,
        Err(e) => return error_page(c, e),
    };
    let cases = match s.app.district_cases(&session.actor, None, 50).await {
        Ok(cases) => cases,
        Err(e) => return error_page(c, e),
    };
    let query = MessageQuery {
        direction: given(&f.direction),
        status: given(&f.status),
        peer: given(&f.peer),
        msg_id: given(&f.msg_id),
        before: f.before,
        limit: None,
    };
    let (lines, problem, code) = match s.app.exchange_log(&session.actor, query).await {
        Ok(lines) => (lines, String::new(), axum::http::StatusCode::OK),
        Err(AppError::Refused(r)) => {
            let mut why: Vec<String> = r
                .field_messages::<Vec<(String, String)>>(lang.code())
                .into_iter()
                .map(|(_, why)| why)
                .collect();
            if why.is_empty() {
                why.push(r.message.get(lang.code()).to_string());
            }
            (
                vec![],
                why.join(" "),
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => return error_page(c, e),
    };
    let next_before = (lines.len() as i64 >= sunshine_app::exchange::LOG_PAGE)
        .then(|| lines.last().map(|l| l.id))
        .flatten();
    let page = ExchangePage {
        c,
        overview,
        cases,
        lines,
        direction: f.direction,
        status: f.status,
        peer: f.peer,
        msg_id: f.msg_id,
        problem,
        next_before,
    };
    (code, render(&page)).into_response()
}
