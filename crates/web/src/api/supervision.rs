//! `/api/v1/supervision`: signals for units and supervisors, the rules in
//! force, and the public supervision board (no case, no person on it).

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_app::supervision::{SignalFilter, SignalRow};
use sunshine_app::OrgDirectory;
use sunshine_domain::clock::{from_micros, local_display, to_micros};
use sunshine_domain::refusal::Refusal;
use sunshine_domain::supervision::{
    Cap, ComplaintCommand, Grade, Level, Quarter, QuarterFigures, RuleCode, RuleSet, SignalCommand,
};
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

/// A signal as units and supervisors see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignalView {
    pub id: i64,
    /// The case's number, or a hotline request's (96345-YEAR-ID).
    pub case_number: String,
    /// The staff page of the case or the request; empty for a district's
    /// own case, which is on the district's platform only.
    pub link: String,
    /// The rule's code, e.g. `time.promised_overdue`.
    pub rule: String,
    /// What the rule says, in the language asked for.
    pub message: String,
    /// `warning`, `yellow` or `red`.
    pub level: String,
    pub level_name: String,
    /// The process step (from 0), for a step's rule.
    pub step: Option<i64>,
    /// The yellow card this red card follows up.
    pub follows_up: Option<i64>,
    /// The complaint this signal was raised on.
    pub complaint: Option<i64>,
    pub rules_version: i64,
    pub department: String,
    pub department_name: String,
    pub region: String,
    /// The login of the clerk responsible, when one had signed for the case.
    pub responsible: Option<String>,
    /// The journal entries (sequence numbers) behind it.
    pub evidence: Vec<i64>,
    /// `issued`, `notified`, `responded`, `escalated`, `closed`, `revoked`.
    pub state: String,
    pub state_name: String,
    /// The moment the rule fired for (RFC 3339, UTC), and in Shanghai time.
    pub due_at: String,
    pub due_local: String,
    pub issued_at: String,
    pub updated_at: String,
    /// The last response, escalation or reason.
    pub last_text: Option<String>,
    /// For a copy of the city's card on a unit of this district: the
    /// card's id at the city, whose supervisors decide it (the unit
    /// answers it here).
    pub from_city: Option<i64>,
    /// At the city: the card is on a unit of a district that runs a
    /// platform of its own, where the unit answers it.
    pub answered_below: bool,
}

pub fn signal_view(s: SignalRow, orgs: &OrgDirectory, lang: Lang) -> SignalView {
    let code = lang.code();
    let link = signal_link(&s);
    SignalView {
        message: s.rule.message().get(code).to_string(),
        rule: s.rule.as_str().to_string(),
        level: s.level.as_str().to_string(),
        level_name: s.level.name().get(code).to_string(),
        // A hotline card's key is not a process step.
        step: (s.step >= 0 && s.rule.has_process_step()).then_some(s.step),
        follows_up: (s.rule == RuleCode::YellowUnrectified).then_some(s.cause),
        // A copy of the city's card names the city's complaint: not one here.
        complaint: (s.rule == RuleCode::ComplaintUpheld && s.from_city.is_none())
            .then_some(s.cause),
        rules_version: s.rules_version,
        department_name: orgs.name(&s.department, code),
        department: s.department,
        region: s.region,
        responsible: s.responsible,
        evidence: s.evidence,
        state: s.state.as_str().to_string(),
        state_name: s.state.name().get(code).to_string(),
        due_at: from_micros(s.due_at).to_string(),
        due_local: local_display(from_micros(s.due_at)),
        issued_at: from_micros(s.issued_at).to_string(),
        updated_at: from_micros(s.updated_at).to_string(),
        last_text: s.last_text,
        from_city: s.from_city,
        answered_below: s.answered_below,
        id: s.id,
        link,
        case_number: s.case_number,
    }
}

/// The staff page of what a signal is about, as this platform holds it:
/// none for a case only a district's platform holds; for a copy of the
/// city's card on a hotline request, this district's copy of the request
/// (the card names the city's number).
pub fn signal_link(s: &SignalRow) -> String {
    if s.case_held_below() {
        return String::new();
    }
    match (
        s.from_city,
        sunshine_domain::hotline::ticket_id(&s.case_number),
    ) {
        (Some(_), Some(city_ticket)) => format!("/staff/hotline/from-city/{city_ticket}"),
        _ => subject_link(&s.case_number),
    }
}

/// The staff page of what a signal is about: a case, a hotline request, a
/// care order, a household's aid or a backup centre's system.
pub fn subject_link(number: &str) -> String {
    if let Some(ticket) = sunshine_domain::hotline::ticket_id(number) {
        format!("/staff/hotline/{ticket}")
    } else if let Some(system) = sunshine_app::backup_centre::system_of_signal(number) {
        format!("/staff/backup-centre/systems/{system}")
    } else if sunshine_domain::care::order::order_id(number).is_some() {
        format!("/staff/care/orders/{number}")
    } else if sunshine_app::care::aid_id(number).is_some() {
        format!("/staff/care/aid#{number}")
    } else {
        format!("/staff/cases/{number}")
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SignalQuery {
    /// Only signals still open (default true).
    pub open: Option<bool>,
    /// `warning`, `yellow` or `red`.
    pub level: Option<String>,
    /// One case's signals.
    pub case: Option<String>,
    /// Only this region's departments (the city's own code, or a district's).
    pub region: Option<String>,
    /// Only this department's signals.
    pub department: Option<String>,
    /// At most this many (default 200, at most 1000).
    pub limit: Option<i64>,
}

impl SignalQuery {
    pub fn filter(&self) -> Result<SignalFilter, Refusal> {
        let level = match self.level.as_deref().filter(|l| !l.is_empty()) {
            None => None,
            Some(l) => Some(Level::parse(l).ok_or_else(|| {
                Refusal::field(
                    "level",
                    "级别应为 warning、yellow 或 red",
                    "The level is warning, yellow or red",
                )
            })?),
        };
        Ok(SignalFilter {
            departments: self
                .department
                .clone()
                .filter(|d| !d.is_empty())
                .map(|d| vec![d]),
            region: self.region.clone().filter(|r| !r.is_empty()),
            open_only: self.open.unwrap_or(true),
            case_number: self.case.clone().filter(|c| !c.is_empty()),
            level,
            limit: self.limit.unwrap_or(200),
            ..SignalFilter::default()
        })
    }
}

/// The signals the caller may see — a supervisor's area, a unit's own —
/// open ones first, the oldest first.
#[utoipa::path(get, path = "/api/v1/supervision/signals", tag = "supervision", params(SignalQuery), security(("bearer" = [])),
    responses((status = 200, body = [SignalView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SignalQuery>,
) -> Result<Json<Vec<SignalView>>, ApiError> {
    let filter = q.filter().map_err(|r| ApiError::from_refusal(&r, lang))?;
    let rows = s
        .app
        .signals(&actor, filter)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let orgs = s.app.orgs();
    Ok(Json(
        rows.into_iter()
            .map(|r| signal_view(r, &orgs, lang))
            .collect(),
    ))
}

/// One signal.
#[utoipa::path(get, path = "/api/v1/supervision/signals/{id}", tag = "supervision", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = SignalView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SignalView>, ApiError> {
    let row = s
        .app
        .signal(&actor, id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(signal_view(row, &s.app.orgs(), lang)))
}

/// A command on a signal.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignalCommandRequest {
    /// `respond` (回告, by the unit), `close`, `escalate` (督办) or `revoke` (by a supervisor).
    pub command: String,
    /// What the unit did, why it is closed or escalated, why it is revoked.
    pub text: String,
}

/// Respond to, close, escalate or revoke a signal; every command is journaled.
#[utoipa::path(post, path = "/api/v1/supervision/signals/{id}/commands", tag = "supervision", params(("id" = i64, Path)), security(("bearer" = [])),
    request_body = SignalCommandRequest,
    responses((status = 200, body = SignalView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn command(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<SignalCommandRequest>,
) -> Result<Json<SignalView>, ApiError> {
    let command =
        parse_command(&r.command, r.text).map_err(|e| ApiError::from_refusal(&e, lang))?;
    let row = s
        .app
        .signal_command(&actor, id, command)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(signal_view(row, &s.app.orgs(), lang)))
}

/// A command by its name, as forms and the API send it.
pub fn parse_command(name: &str, text: String) -> Result<SignalCommand, Refusal> {
    SignalCommand::named(name, text).ok_or_else(|| {
        Refusal::field(
            "command",
            "操作应为 respond、close、escalate 或 revoke",
            "The command is respond, close, escalate or revoke",
        )
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RulesView {
    /// 0 for the built-in defaults.
    pub version: i64,
    pub rules: RuleSet,
}

/// The supervision rules in force.
#[utoipa::path(get, path = "/api/v1/supervision/rules", tag = "supervision", responses((status = 200, body = RulesView)))]
pub async fn rules(State(s): State<AppState>, lang: Lang) -> Result<Json<RulesView>, ApiError> {
    let (version, rules) = s
        .app
        .supervision_rules()
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(RulesView { version, rules }))
}

/// Put a new version of the rules in force (a supervisor of the city).
#[utoipa::path(put, path = "/api/v1/supervision/rules", tag = "supervision", request_body = RuleSet, security(("bearer" = [])),
    responses((status = 200, body = RulesView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_rules(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(rules): ApiJson<RuleSet>,
) -> Result<Json<RulesView>, ApiError> {
    let version = s
        .app
        .set_supervision_rules(&actor, rules.clone())
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(RulesView { version, rules }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// The quarter, e.g. `2026Q4` (default: the current one).
    pub quarter: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentLine {
    pub department: String,
    pub department_name: String,
    pub region: String,
    pub region_name: String,
    pub warnings: i64,
    pub yellow_cards: i64,
    pub red_cards: i64,
    /// Yellow and red cards the unit has rectified.
    pub rectified: i64,
    pub open: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupervisionBoard {
    pub quarter: String,
    pub departments: Vec<DepartmentLine>,
}

/// A department's grade for a quarter, with the figures behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationLine {
    pub department: String,
    pub department_name: String,
    pub region: String,
    pub region_name: String,
    pub figures: QuarterFigures,
    /// The share of completed cases done on time, 0 to 1.
    pub on_time_rate: f64,
    /// 0 to 100 (one decimal), by the formula of the rules in force, held
    /// below the next grade's threshold by a card; none when the quarter
    /// had nothing to judge.
    pub score: Option<f64>,
    /// None when the quarter had nothing to judge.
    pub grade: Option<Grade>,
    /// 优秀, 良好, 合格, 不合格 (or in English), or 本季度无可评价办件.
    pub grade_name: String,
    /// The card that held the grade down: `red_card` (at best 合格) or
    /// `yellow_card` (at best 良好).
    pub capped_by: Option<Cap>,
    /// Why the grade is held down, for people.
    pub cap_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationView {
    pub quarter: String,
    pub departments: Vec<EvaluationLine>,
}

/// Departments' grades for a quarter (优秀, 良好, 合格, 不合格) with the
/// figures behind each: public, and with no case or person in it.
#[utoipa::path(get, path = "/api/v1/supervision/evaluation", tag = "supervision", params(BoardQuery),
    responses((status = 200, body = EvaluationView), (status = 422, body = ErrorBody)))]
pub async fn evaluation(
    State(s): State<AppState>,
    lang: Lang,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Json<EvaluationView>, ApiError> {
    let quarter =
        quarter_of(&s, q.quarter.as_deref()).map_err(|r| ApiError::from_refusal(&r, lang))?;
    Ok(Json(evaluation_of(&s, quarter, lang).await?))
}

/// The quarter asked for, or the current one.
pub fn quarter_of(s: &AppState, asked: Option<&str>) -> Result<Quarter, Refusal> {
    match asked.filter(|q| !q.is_empty()) {
        Some(text) => Quarter::parse(text),
        None => Ok(Quarter::of(s.app.clock.today())),
    }
}

pub async fn evaluation_of(
    s: &AppState,
    quarter: Quarter,
    lang: Lang,
) -> Result<EvaluationView, ApiError> {
    let rows = s
        .app
        .evaluate_quarter(quarter)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let orgs = s.app.orgs();
    Ok(EvaluationView {
        quarter: quarter.to_string(),
        departments: rows
            .into_iter()
            .map(|e| EvaluationLine {
                department_name: orgs.name(&e.department, lang.code()),
                region_name: orgs.name(&e.region, lang.code()),
                on_time_rate: e.figures.on_time_rate(),
                grade_name: e.verdict.name().get(lang.code()).to_string(),
                cap_reason: e
                    .verdict
                    .cap()
                    .map(|c| c.reason().get(lang.code()).to_string()),
                capped_by: e.verdict.cap(),
                score: e.verdict.score(),
                grade: e.verdict.grade(),
                department: e.department,
                region: e.region,
                figures: e.figures,
            })
            .collect(),
    })
}

/// The public supervision board: warnings and cards issued and rectified
/// per department in a quarter. No case and no person appears on it.
#[utoipa::path(get, path = "/api/v1/supervision/board", tag = "supervision", params(BoardQuery),
    responses((status = 200, body = SupervisionBoard), (status = 400, body = ErrorBody)))]
pub async fn board(
    State(s): State<AppState>,
    lang: Lang,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Json<SupervisionBoard>, ApiError> {
    let quarter =
        quarter_of(&s, q.quarter.as_deref()).map_err(|r| ApiError::from_refusal(&r, lang))?;
    Ok(Json(board_of(&s, quarter, lang).await?))
}

/// The board's figures for a quarter, named in the language asked for.
pub async fn board_of(
    s: &AppState,
    quarter: Quarter,
    lang: Lang,
) -> Result<SupervisionBoard, ApiError> {
    let (from, to) = quarter.span();
    let rows = s
        .app
        .supervision_board(to_micros(from), to_micros(to))
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let orgs = s.app.orgs();
    Ok(SupervisionBoard {
        quarter: quarter.to_string(),
        departments: rows
            .into_iter()
            .map(|r| DepartmentLine {
                department_name: orgs.name(&r.department, lang.code()),
                region_name: orgs.name(&r.region, lang.code()),
                department: r.department,
                region: r.region,
                warnings: r.warnings,
                yellow_cards: r.yellow_cards,
                red_cards: r.red_cards,
                rectified: r.rectified,
                open: r.open,
            })
            .collect(),
    })
}

/// A complaint as its complainant and the supervisors see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintView {
    pub id: i64,
    pub case_number: Option<String>,
    pub department: String,
    pub department_name: String,
    pub text: String,
    /// `received`, `investigating`, `refused`, `answered`.
    pub state: String,
    pub received_at: String,
    /// The last day to accept or refuse it.
    pub accept_due: String,
    /// Past its deadline and still not accepted or refused.
    pub overdue: bool,
    pub reason: Option<String>,
    pub answer: Option<String>,
    /// The signal it raised.
    pub signal_id: Option<i64>,
}

pub fn complaint_view(
    c: sunshine_app::supervision::ComplaintRow,
    s: &AppState,
    lang: Lang,
) -> ComplaintView {
    let today = s.app.clock.today().to_string();
    ComplaintView {
        department_name: s.app.orgs().name(&c.department, lang.code()),
        overdue: c.state == sunshine_domain::supervision::ComplaintState::Received
            && today > c.accept_due,
        state: c.state.as_str().to_string(),
        received_at: from_micros(c.received_at).to_string(),
        id: c.id,
        case_number: c.case_number,
        department: c.department,
        text: c.text,
        accept_due: c.accept_due,
        reason: c.reason,
        answer: c.answer,
        signal_id: c.signal_id,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewComplaintRequest {
    /// One of your own cases…
    pub case_number: Option<String>,
    /// …or a department (organisation code).
    pub department: Option<String>,
    pub text: String,
}

/// File a complaint (网上监督) about one of your cases or a department.
#[utoipa::path(post, path = "/api/v1/supervision/complaints", tag = "supervision", request_body = NewComplaintRequest, security(("bearer" = [])),
    responses((status = 201, body = ComplaintView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn file_complaint(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(r): ApiJson<NewComplaintRequest>,
) -> Result<(axum::http::StatusCode, Json<ComplaintView>), ApiError> {
    let new = sunshine_app::supervision::NewComplaint {
        case_number: r.case_number,
        department: r.department,
        text: r.text,
    };
    let c = s
        .app
        .file_complaint(&actor, new)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(complaint_view(c, &s, lang)),
    ))
}

/// Complaints: a complainant's own, or those of a supervisor's area, open first by deadline.
#[utoipa::path(get, path = "/api/v1/supervision/complaints", tag = "supervision", security(("bearer" = [])),
    responses((status = 200, body = [ComplaintView]), (status = 403, body = ErrorBody)))]
pub async fn complaints(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<ComplaintView>>, ApiError> {
    let rows = s
        .app
        .complaints(&actor)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(
        rows.into_iter()
            .map(|c| complaint_view(c, &s, lang))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ComplaintCommandRequest {
    /// `accept`, `refuse` (with `text`, the reason) or `answer` (with `text`).
    pub command: String,
    #[serde(default)]
    pub text: String,
    /// Raise a signal on the case complained about (an upheld complaint).
    #[serde(default)]
    pub raise_signal: bool,
}

/// A supervisor accepts, refuses or answers a complaint, and may raise a signal on its case.
#[utoipa::path(post, path = "/api/v1/supervision/complaints/{id}/commands", tag = "supervision", params(("id" = i64, Path)), request_body = ComplaintCommandRequest, security(("bearer" = [])),
    responses((status = 200, body = ComplaintView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complaint_command(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<ComplaintCommandRequest>,
) -> Result<Json<ComplaintView>, ApiError> {
    let command = parse_complaint_command(&r.command, r.text)
        .map_err(|e| ApiError::from_refusal(&e, lang))?;
    let c = s
        .app
        .complaint_command(&actor, id, command, r.raise_signal)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(complaint_view(c, &s, lang)))
}

/// A complaint command by its name, as forms and the API send it.
pub fn parse_complaint_command(name: &str, text: String) -> Result<ComplaintCommand, Refusal> {
    Ok(match name {
        "accept" => ComplaintCommand::Accept,
        "refuse" => ComplaintCommand::Refuse { reason: text },
        "answer" => ComplaintCommand::Answer { text },
        _ => {
            return Err(Refusal::field(
                "command",
                "操作应为 accept、refuse 或 answer",
                "The command is accept, refuse or answer",
            ))
        }
    })
}
