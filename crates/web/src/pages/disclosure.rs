//! Sunshine disclosure's pages (网上展示): the public board of cases with
//! its filters and live updates, and its figures per department and district.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use sunshine_app::disclosure::BoardFilter;
use sunshine_domain::access::ReadPurpose;
use sunshine_domain::hall::CaseState;
use sunshine_domain::refusal::Refusal;

use super::catalog::public::paging;
use super::{error_page, opts, render, Chrome, Opt};
use crate::api::disclosure::{board_row, figures, BoardRow, Figures};
use crate::auth::{url_escape, MaybeSession, StaffSession};
use crate::i18n::{case_state, t, Lang};
use crate::AppState;

/// Rows on one page of the board.
const PAGE: i64 = 50;

/// The board's filters as a GET form sends them: every value a string, so
/// that an empty choice is no filter and a bad one gets a readable message.
#[derive(Debug, Default, Deserialize)]
pub struct BoardForm {
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub item_id: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub offset: String,
}

impl BoardForm {
    /// The filter and the page's offset, or why the query makes no sense.
    pub fn filter(&self) -> Result<BoardFilter, Refusal> {
        let some = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        let item_id = match some(&self.item_id) {
            None => None,
            Some(v) => Some(v.parse::<i64>().map_err(|_| {
                Refusal::field("item_id", "事项应为事项编号", "The item must be an item id")
            })?),
        };
        let state = some(&self.state);
        if let Some(s) = &state {
            if !CaseState::NAMES.contains(&s.as_str()) {
                return Err(Refusal::field(
                    "state",
                    "未知的办件状态",
                    "Unknown case state",
                ));
            }
        }
        let offset = match some(&self.offset) {
            None => 0,
            Some(v) => v.parse::<i64>().ok().filter(|o| *o >= 0).ok_or_else(|| {
                Refusal::field("offset", "页码有误", "The page offset is not valid")
            })?,
        };
        Ok(BoardFilter {
            department: some(&self.department),
            region: some(&self.region),
            item_id,
            state,
            after_seq: None,
            limit: PAGE,
            offset,
        })
    }

    /// The filters as (name, value) pairs, for links and the stream's URL.
    pub fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            ("department", self.department.trim()),
            ("region", self.region.trim()),
            ("item_id", self.item_id.trim()),
            ("state", self.state.trim()),
        ]
    }
}

/// The select boxes of the board's filter form.
pub struct BoardChoices {
    pub departments: Vec<Opt>,
    pub regions: Vec<Opt>,
    pub items: Vec<Opt>,
    pub states: Vec<Opt>,
}

/// The filter form's choices, with the current ones selected.
fn choices(
    facets: &sunshine_app::disclosure::Facets,
    f: &BoardForm,
    orgs: &sunshine_app::OrgDirectory,
    lang: Lang,
) -> BoardChoices {
    let name = |code: &String| (code.clone(), orgs.name(code, lang.code()));
    BoardChoices {
        departments: opts(
            facets.departments.iter().map(name).collect(),
            f.department.trim(),
        ),
        regions: opts(facets.regions.iter().map(name).collect(), f.region.trim()),
        items: opts(
            facets
                .items
                .iter()
                .map(|(id, n)| (id.to_string(), n.clone()))
                .collect(),
            f.item_id.trim(),
        ),
        states: state_options(lang, f.state.trim()),
    }
}

pub fn state_options(lang: Lang, selected: &str) -> Vec<Opt> {
    opts(
        CaseState::NAMES
            .iter()
            .map(|s| (*s, case_state(lang, s)))
            .collect(),
        selected,
    )
}

#[derive(Template)]
#[template(path = "disclosure/board.html")]
struct BoardPage {
    c: Chrome,
    choices: BoardChoices,
    rows: Vec<BoardRow>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
    /// Where the live stream starts, with the page's filters; only the first page is live.
    stream: Option<String>,
}

/// `/board`: the public board of cases.
pub async fn board(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(f): Query<BoardForm>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/board");
    let filter = match f.filter() {
        Ok(filter) => filter,
        Err(r) => return error_page(c, r.into()),
    };
    let offset = filter.offset;
    let (rows, total, facets) = match (s.app.board_page(filter).await, s.app.board_facets().await) {
        (Ok((rows, total)), Ok(facets)) => (rows, total, facets),
        (Err(e), _) | (_, Err(e)) => return error_page(c, e),
    };
    let orgs = s.app.orgs();
    let today = s.app.clock.today().to_string();
    let rows: Vec<BoardRow> = rows
        .into_iter()
        .map(|r| board_row(r, &orgs, &today, lang))
        .collect();
    let (prev, next) = paging("/board", &f.pairs(), offset, PAGE, total);
    let stream = (offset == 0).then(|| {
        let mut url = String::from("/api/v1/disclosure/stream?");
        for (k, v) in f.pairs().iter().filter(|(_, v)| !v.is_empty()) {
            url.push_str(&format!("{k}={}&", url_escape(v)));
        }
        // Everything up to the newest row shown is on the page; the stream brings what follows.
        url.push_str(&format!(
            "lang={}&after={}",
            if lang.is_en() { "en" } else { "zh" },
            rows.first().map_or(0, |r| r.seq)
        ));
        url
    });
    let choices = choices(&facets, &f, &orgs, lang);
    render(&BoardPage {
        c,
        choices,
        rows,
        total,
        prev,
        next,
        stream,
    })
}

/// A line of figures as shown.
pub struct FigureLine {
    pub name: String,
    pub cases: i64,
    pub accepted: i64,
    pub done: i64,
    pub on_time: i64,
    pub online_rate: String,
    pub average_days: String,
    pub average_rating: String,
    pub ratings: i64,
}

fn lines(figures: Vec<Figures>) -> Vec<FigureLine> {
    let one_decimal = |v: Option<f64>| v.map_or_else(|| "—".to_string(), |v| format!("{v:.1}"));
    figures
        .into_iter()
        .map(|f| FigureLine {
            online_rate: format!("{:.0}%", f.online_rate * 100.0),
            average_days: one_decimal(f.average_days),
            average_rating: one_decimal(f.average_rating),
            name: f.name,
            cases: f.cases,
            accepted: f.accepted,
            done: f.done,
            on_time: f.on_time,
            ratings: f.ratings,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "disclosure/stats.html")]
struct StatsPage {
    c: Chrome,
    /// (heading, table id, lines): by department, then by district.
    tables: Vec<(&'static str, &'static str, Vec<FigureLine>)>,
}

/// `/board/stats`: the board's figures per department and per district.
pub async fn stats(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/board/stats");
    match s.app.board_stats().await {
        Ok((by_department, by_region)) => {
            let orgs = s.app.orgs();
            render(&StatsPage {
                tables: vec![
                    (
                        c.t("by_department"),
                        "by-department",
                        lines(figures(by_department, &orgs, lang)),
                    ),
                    (
                        c.t("by_district"),
                        "by-district",
                        lines(figures(by_region, &orgs, lang)),
                    ),
                ],
                c,
            })
        }
        Err(e) => error_page(c, e),
    }
}

/// `/static/page.js`: the pages' small behaviours (confirm before a form is
/// sent, a "back" link), which the CSP forbids writing inline.
pub async fn page_script() -> Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/page.js"),
    )
        .into_response()
}

/// `/static/board.js`: the board's live updates, our own small script.
pub async fn script() -> Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/board.js"),
    )
        .into_response()
}

/// A case on the extranet view, ready to show.
pub struct ExtranetRow {
    pub number: String,
    pub sensitive: bool,
    pub item_name: String,
    pub department_name: String,
    pub region_name: String,
    pub applicant: String,
    /// The full identity number or credit code: staff only.
    pub applicant_id: String,
    pub channel: &'static str,
    pub state: &'static str,
    pub state_label: &'static str,
    /// The current step's number and name, while handled.
    pub step: String,
    pub claimed_by: String,
    pub accepted_local: String,
    pub promised_due: String,
    pub legal_due: String,
    pub completed_local: String,
    pub on_time: Option<bool>,
    /// A penalty case's circumstance, measure and amount.
    pub enforcement: String,
    pub fees: Vec<String>,
}

fn extranet_row(
    c: sunshine_app::disclosure::ExtranetCase,
    orgs: &sunshine_app::OrgDirectory,
    today: &str,
    lang: Lang,
) -> ExtranetRow {
    use sunshine_domain::clock::{from_micros, local_date, local_display};
    use sunshine_domain::hall::Applicant;
    let state = c.facts.state.name();
    let step = match &c.facts.state {
        CaseState::InProcess { step } | CaseState::Suspended { step, .. } => c
            .spec
            .steps
            .get(*step)
            .map(|s| format!("{}/{} {}", step + 1, c.spec.steps.len(), s.name))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let (applicant, applicant_id) = match &c.applicant {
        Applicant::Person { name, id_number } => (name.clone(), id_number.as_str().to_string()),
        Applicant::Enterprise { name, credit_code } => {
            (name.clone(), credit_code.as_str().to_string())
        }
    };
    let enforcement = c
        .penalty
        .as_ref()
        .map(|p| {
            let amount = super::yuan(&p["amount_fen"].as_i64().unwrap_or(0));
            let (circumstance, measure) = (
                p["circumstance"].as_str().unwrap_or(""),
                p["measure"].as_str().unwrap_or(""),
            );
            if lang.is_en() {
                format!("{circumstance}: {measure}, fine {amount} yuan")
            } else {
                format!("{circumstance}：{measure}，罚款{amount}元")
            }
        })
        .unwrap_or_default();
    let completed_on = c
        .completed_at
        .map(|t| local_date(from_micros(t)).to_string());
    ExtranetRow {
        on_time: sunshine_domain::hall::on_time(
            state,
            c.promised_due.as_deref(),
            completed_on.as_deref(),
            today,
        ),
        sensitive: c.spec.sensitive,
        item_name: c.spec.name.clone(),
        department_name: orgs.name(&c.department, lang.code()),
        region_name: orgs.name(&c.region, lang.code()),
        applicant,
        applicant_id,
        channel: if c.channel == "counter" {
            t(lang, "counter")
        } else {
            t(lang, "online")
        },
        state,
        state_label: case_state(lang, state),
        step,
        claimed_by: c.claimed_by.unwrap_or_default(),
        accepted_local: c
            .accepted_at
            .map(|t| local_display(from_micros(t)))
            .unwrap_or_default(),
        promised_due: c.promised_due.unwrap_or_default(),
        legal_due: c.legal_due.unwrap_or_default(),
        completed_local: c
            .completed_at
            .map(|t| local_display(from_micros(t)))
            .unwrap_or_default(),
        enforcement,
        fees: c
            .charges
            .iter()
            .map(|(name, fen)| format!("{name} {}", super::yuan(fen)))
            .collect(),
        number: c.number,
    }
}

#[derive(Template)]
#[template(path = "disclosure/extranet.html")]
struct ExtranetPage {
    c: Chrome,
    choices: BoardChoices,
    rows: Vec<ExtranetRow>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
}

/// `/staff/board`: the extranet view of the cases the signed-in staff may see.
pub async fn extranet(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(f): Query<BoardForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/board");
    let filter = match f.filter() {
        Ok(filter) => filter,
        Err(r) => return error_page(c, r.into()),
    };
    let offset = filter.offset;
    let ((cases, total), facets) = match (
        s.app
            .extranet_board_for(&session.actor, filter, ReadPurpose::Supervision)
            .await,
        s.app.board_facets().await,
    ) {
        (Ok(page), Ok(facets)) => (page, facets),
        (Err(e), _) | (_, Err(e)) => return error_page(c, e),
    };
    let orgs = s.app.orgs();
    let today = s.app.clock.today().to_string();
    let (prev, next) = paging("/staff/board", &f.pairs(), offset, PAGE, total);
    render(&ExtranetPage {
        rows: cases
            .into_iter()
            .map(|x| extranet_row(x, &orgs, &today, lang))
            .collect(),
        choices: choices(&facets, &f, &orgs, lang),
        total,
        prev,
        next,
        c,
    })
}
