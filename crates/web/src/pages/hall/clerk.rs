//! The clerk's pages: the inbox of the departments' cases, a case with one
//! form per command the lifecycle allows now, fees and penalties, and
//! registering an application taken at the counter.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::hall::inbox::{state_names, InboxAsk, INBOX_PAGE};
use sunshine_app::identity::Session;
use sunshine_app::AppError;
use sunshine_domain::hall::wording::Decision;
use sunshine_domain::hall::{Applicant, CaseCommand};
use sunshine_domain::identity::OrgKind;
use sunshine_domain::ids::{CreditCode, ResidentId};
use sunshine_domain::refusal::{FieldErrors, Refusal, RefusalKind};

use super::files::FormFiles;
use super::words;
use super::{
    after, answers_of, case_detail, field_inputs, line_views, load_case, material_inputs,
    CaseDetail, CaseLineView, Done, FieldInput, Flash, MaterialInput, Refill, Side,
};
use crate::auth::{csrf_ok, StaffSession};
use crate::i18n::{t, Lang};
use crate::pages::catalog::form::{parse_yuan, FormErrors};
use crate::pages::{bad_token, error_page, flash, fmt, opts, render, Chrome, Opt};
use crate::AppState;

#[derive(Template)]
#[template(path = "hall/inbox.html")]
struct InboxPage {
    c: Chrome,
    states: Vec<Opt>,
    dues: Vec<Opt>,
    q: String,
    days: String,
    rows: Vec<CaseLineView>,
    total: i64,
    page: u32,
    pages: u32,
    /// The query string of this search without its page, for the page links.
    keep: String,
    errors: FormErrors,
}

impl InboxPage {
    fn err(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    page: String,
}

/// 办件箱: the cases of the departments the clerk may handle, searched by
/// number, applicant or item and filtered by state and due date, the most
/// urgent first, a page at a time.
pub async fn inbox(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(q): Query<InboxQuery>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/cases");
    let mut choices: Vec<(String, String)> = vec![
        ("open".into(), t(lang, "open_cases").into()),
        ("all".into(), t(lang, "all_cases").into()),
    ];
    choices.extend(
        state_names()
            .into_iter()
            .map(|n| (n.to_string(), t(lang, &format!("cs_{n}")).to_string())),
    );
    let dues = opts(
        vec![
            ("any", c.pick("不限期限", "Any due date")),
            ("overdue", c.pick("已超期", "Overdue")),
            ("within", c.pick("N 天内到期", "Due within N days")),
        ],
        if q.due.is_empty() { "any" } else { &q.due },
    );
    let states = opts(choices, if q.state.is_empty() { "open" } else { &q.state });
    let keep: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("state", &q.state)
        .append_pair("q", &q.q)
        .append_pair("due", &q.due)
        .append_pair("days", &q.days)
        .finish();
    let mut page = InboxPage {
        c,
        states,
        dues,
        q: q.q.clone(),
        days: q.days.clone(),
        rows: vec![],
        total: 0,
        page: 1,
        pages: 1,
        keep,
        errors: FormErrors::new(),
    };
    let ask = match InboxAsk::parse(&q.state, &q.q, &q.due, &q.days, &q.page) {
        Ok(ask) => ask,
        Err(AppError::Refused(r)) => {
            let (errors, _) = super::form_errors(&r, lang, &[], &[]);
            page.errors = errors;
            return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
        }
        Err(e) => return error_page(page.c, e),
    };
    match s.app.inbox_page(&session.actor, &ask).await {
        Ok(found) => {
            let mut rows = line_views(&s, lang, found.lines);
            for r in &mut rows {
                if let Some(name) = found.full_names.get(&r.number) {
                    r.applicant = name.clone();
                }
            }
            page.rows = rows;
            page.total = found.total;
            page.page = ask.page;
            page.pages = u32::try_from(
                (found.total.max(1) + i64::from(INBOX_PAGE) - 1) / i64::from(INBOX_PAGE),
            )
            .unwrap_or(1);
            render(&page)
        }
        Err(e) => error_page(page.c, e),
    }
}

/// The forms the lifecycle and the policy allow this clerk now.
#[derive(Default)]
struct Offers {
    accept: bool,
    not_accept: bool,
    request_correction: bool,
    claim: bool,
    /// 签收并办结本环节: sign for the step and complete it at once.
    claim_and_pass: bool,
    pass: bool,
    return_to: Vec<Opt>,
    request_opinions: Vec<Opt>,
    give_opinion: Vec<Opt>,
    suspend: Vec<Opt>,
    resume: bool,
    extend: bool,
    approve: bool,
    refuse: bool,
    /// The decisions' buttons, in the words of the item's kind.
    approve_label: String,
    refuse_label: String,
    deliver: bool,
    fees: Vec<Opt>,
    circumstances: Vec<Opt>,
}

impl Offers {
    fn any(&self) -> bool {
        self.accept
            || self.not_accept
            || self.request_correction
            || self.claim
            || self.pass
            || !self.return_to.is_empty()
            || !self.request_opinions.is_empty()
            || !self.give_opinion.is_empty()
            || !self.suspend.is_empty()
            || self.resume
            || self.extend
            || self.approve
            || self.refuse
            || self.deliver
            || !self.fees.is_empty()
            || !self.circumstances.is_empty()
    }
}

/// What the clerk may do on the case now, as the app's rules say
/// (`App::offers`), with each choice named for the page.
fn offers(
    s: &AppState,
    lang: Lang,
    session: &Session,
    file: &sunshine_app::hall::inbox::CaseFile,
) -> Offers {
    let may = s.app.offers(&session.actor, file);
    let orgs = s.app.orgs();
    let opt = |value: String, label: String| Opt {
        value,
        label,
        selected: false,
    };
    let (mut return_to, mut give_opinion, mut suspend) = (vec![], vec![], vec![]);
    for command in &may.commands {
        match command {
            CaseCommand::ReturnTo { step, .. } => {
                let name = file.spec.steps.get(*step).map(|st| st.name.as_str());
                return_to.push(opt(
                    step.to_string(),
                    format!("{}. {}", step + 1, name.unwrap_or("")),
                ));
            }
            CaseCommand::GiveOpinion { org, .. } => {
                give_opinion.push(opt(org.clone(), orgs.name(org, lang.code())));
            }
            CaseCommand::Suspend { procedure, .. } => {
                let code = procedure.code();
                suspend.push(opt(
                    code.to_string(),
                    t(lang, &format!("sp_{code}")).to_string(),
                ));
            }
            _ => {}
        }
    }
    let has = |pick: fn(&CaseCommand) -> bool| may.has(pick);
    let request_opinions = if has(|c| matches!(c, CaseCommand::RequestOpinions { .. })) {
        orgs.list
            .iter()
            .filter(|o| o.kind == OrgKind::Department && o.code.as_str() != file.case.department)
            .map(|o| {
                opt(
                    o.code.to_string(),
                    lang.pick(&o.name, &o.name_en).to_string(),
                )
            })
            .collect()
    } else {
        vec![]
    };
    let fees = if may.charge_fee {
        let fee = |f: &sunshine_domain::catalog::Fee| {
            let label = format!("{} {}", f.name, fmt::money(lang, f.standard_fen));
            opt(format!("{}|{}", f.name, f.standard_fen), label)
        };
        file.spec.fees.iter().map(fee).collect()
    } else {
        vec![]
    };
    let circumstances = if may.decide_penalty {
        let one = |(i, d): (usize, &sunshine_domain::catalog::Discretion)| {
            let label = format!(
                "{} — {} ({} – {})",
                d.circumstance,
                d.measure,
                fmt::money(lang, d.min_fen),
                fmt::money(lang, d.max_fen)
            );
            opt(i.to_string(), label)
        };
        file.spec.discretion.iter().enumerate().map(one).collect()
    } else {
        vec![]
    };
    let item_type = file.spec.item_type;
    Offers {
        accept: has(|c| matches!(c, CaseCommand::Accept)),
        not_accept: has(|c| matches!(c, CaseCommand::NotAccept { .. })),
        request_correction: has(|c| matches!(c, CaseCommand::RequestCorrection { .. })),
        claim: has(|c| matches!(c, CaseCommand::Claim { .. })),
        claim_and_pass: may.claim_and_pass,
        pass: has(|c| matches!(c, CaseCommand::Pass { .. })),
        return_to,
        request_opinions,
        give_opinion,
        suspend,
        resume: has(|c| matches!(c, CaseCommand::Resume { .. })),
        extend: has(|c| matches!(c, CaseCommand::Extend { .. })),
        approve: has(|c| matches!(c, CaseCommand::Approve { .. })),
        refuse: has(|c| matches!(c, CaseCommand::Refuse { .. })),
        approve_label: words::decision_act(lang, item_type, Decision::Approve),
        refuse_label: words::decision_act(lang, item_type, Decision::Refuse),
        deliver: has(|c| matches!(c, CaseCommand::Deliver)),
        fees,
        circumstances,
    }
}

#[derive(Template)]
#[template(path = "hall/clerk_case.html")]
struct StaffCasePage {
    c: Chrome,
    d: CaseDetail,
    o: Offers,
    f: Flash,
    /// Supervision's signals on the case that the actor may see.
    signals: Vec<crate::api::supervision::SignalView>,
    /// Supervision's deadlines still waiting: (what fires, when).
    timers: Vec<(String, String)>,
}

pub(super) async fn case_page(
    s: &AppState,
    c: Chrome,
    session: &Session,
    number: &str,
    f: Flash,
    status: StatusCode,
) -> Response {
    let lang = c.lang;
    let (file, history) = match load_case(s, session, number).await {
        Ok(loaded) => loaded,
        Err(e) => return error_page(c, e),
    };
    let o = offers(s, lang, session, &file);
    let d = case_detail(s, lang, file, history);
    // The case's timeline in supervision: what it raised and what is still to come.
    let orgs = s.app.orgs();
    let signals = s
        .app
        .case_signals(&session.actor, number)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|x| crate::api::supervision::signal_view(x, &orgs, lang))
        .collect();
    let timers = s
        .app
        .case_supervision_timers(number)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| {
            (
                t.rule.message().get(lang.code()).to_string(),
                fmt::when(lang, t.due_at),
            )
        })
        .collect();
    let page = StaffCasePage {
        c,
        d,
        o,
        f,
        signals,
        timers,
    };
    (status, render(&page)).into_response()
}

/// A case for the staff: its answers, files and history, and the forms of
/// the commands allowed now.
pub async fn case(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(number): Path<String>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), &format!("/staff/cases/{number}"));
    case_page(&s, c, &session, &number, Flash::default(), StatusCode::OK).await
}

/// The frame of a case form's answer, and whether its CSRF token is the session's.
fn form_chrome(
    lang: Lang,
    session: &Session,
    number: &str,
    f: &BTreeMap<String, String>,
) -> (Chrome, bool) {
    let c = Chrome::new(lang, Some(session), &format!("/staff/cases/{number}"));
    let ok = csrf_ok(session, f.get("csrf").map(String::as_str).unwrap_or(""));
    (c, ok)
}

/// The command a case form posts: its fields as the API's JSON body, the
/// departments asked as `org.<code>` checkboxes, whole numbers checked here.
fn command_of(f: &BTreeMap<String, String>) -> Result<CaseCommand, Refusal> {
    let mut body = serde_json::Map::new();
    for (k, v) in f {
        let value = match k.as_str() {
            "csrf" => continue,
            "step" | "days" => v
                .trim()
                .parse::<u32>()
                .map(serde_json::Value::from)
                .map_err(|_| Refusal::field(k, "应为整数", "A whole number is expected"))?,
            _ if k.starts_with("org.") => continue,
            _ => serde_json::Value::String(v.clone()),
        };
        body.insert(k.clone(), value);
    }
    let orgs: Vec<String> = f
        .keys()
        .filter_map(|k| k.strip_prefix("org."))
        .map(str::to_string)
        .collect();
    body.insert("orgs".into(), orgs.into());
    body.insert(
        "agree".into(),
        (f.get("agree").map(String::as_str) == Some("true")).into(),
    );
    // A text a form leaves out is empty; the lifecycle says whether it may be.
    for text in ["reason", "what", "text", "org"] {
        body.entry(text).or_insert_with(|| "".into());
    }
    serde_json::from_value(serde_json::Value::Object(body)).map_err(|e| {
        let e = e.to_string();
        if e.contains("`step`") || e.contains("`days`") {
            let field = if e.contains("`step`") { "step" } else { "days" };
            Refusal::field(field, "应为整数", "A whole number is expected")
        } else if f.get("command").map(String::as_str) == Some("suspend") {
            Refusal::field("procedure", "请选择特别程序", "Choose the procedure")
        } else {
            Refusal::field("command", "未知操作", "Unknown action")
        }
    })
}

/// One command on a case, from its form.
pub async fn command(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(number): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let (c, token_ok) = form_chrome(lang, &session, &number, &f);
    if !token_ok {
        return bad_token(c);
    }
    let form = f.get("command").cloned().unwrap_or_default();
    let result = if form == "claim_and_pass" {
        match s.app.claim_and_pass(&session.actor, &number).await {
            Ok(case) => done(&s, case, "hall.case_passed").await,
            Err(e) => Err(e),
        }
    } else {
        match command_of(&f) {
            Ok(command) => match s
                .app
                .case_command(&session.actor, &number, command.clone())
                .await
            {
                Ok(case) => done(&s, case, command.event_type()).await,
                Err(e) => Err(e),
            },
            Err(r) => Err(r.into()),
        }
    };
    after(&s, c, &session, Side::Clerk, &number, &form, f, result).await
}

/// The flash after a command on a case: what it did, named for the item's kind.
async fn done(s: &AppState, case: sunshine_app::hall::Case, event: &str) -> Result<Done, AppError> {
    let item_type = s.app.item_type_of(case.version_id).await?;
    Ok(Done::event(event, item_type, &case.number))
}

/// Charge one of the item's catalogued fees.
pub async fn charge_fee(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(number): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let (c, token_ok) = form_chrome(lang, &session, &number, &f);
    if !token_ok {
        return bad_token(c);
    }
    let fee = f.get("fee").cloned().unwrap_or_default();
    let result = match fee
        .rsplit_once('|')
        .and_then(|(n, a)| Some((n, a.parse::<i64>().ok()?)))
    {
        Some((name, fen)) => s
            .app
            .charge_fee(&session.actor, &number, name, fen)
            .await
            .map(|_| {
                Done(
                    format!("已收取{name} {}", fmt::money(Lang::Zh, fen)),
                    format!("Charged {}", fmt::money(Lang::En, fen)),
                )
            }),
        None => Err(Refusal::field("fee", "请选择收费项目", "Choose a fee").into()),
    };
    after(&s, c, &session, Side::Clerk, &number, "fee", f, result).await
}

/// Decide a penalty case's circumstance and amount.
pub async fn decide_penalty(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(number): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let (c, token_ok) = form_chrome(lang, &session, &number, &f);
    if !token_ok {
        return bad_token(c);
    }
    let text = |k: &str| f.get(k).cloned().unwrap_or_default();
    let mut e = FieldErrors::default();
    let circumstance = text("circumstance").parse::<usize>().ok();
    if circumstance.is_none() {
        e.add(
            "circumstance",
            "请从裁量基准中选择违法情形",
            "Choose the circumstance from the discretion standard",
        );
    }
    let amount = parse_yuan(&text("amount"));
    if amount.is_none() {
        e.add(
            "amount",
            "金额应为元，最多两位小数",
            "An amount in yuan, with at most two decimals",
        );
    }
    let result = match (e.into_refusal(), circumstance, amount) {
        (None, Some(i), Some(fen)) => s
            .app
            .decide_penalty(&session.actor, &number, i, fen)
            .await
            .map(|_| {
                Done(
                    format!("已确定处罚，罚款 {}", fmt::money(Lang::Zh, fen)),
                    format!("Penalty set: a fine of {}", fmt::money(Lang::En, fen)),
                )
            }),
        (Some(r), _, _) => Err(r.into()),
        _ => Err(Refusal::field("amount", "输入有误", "The input is not valid").into()),
    };
    after(&s, c, &session, Side::Clerk, &number, "penalty", f, result).await
}

#[derive(Template)]
#[template(path = "hall/counter.html")]
struct CounterPage {
    c: Chrome,
    items: Vec<Opt>,
    item_id: i64,
    item_name: String,
    kinds: Vec<Opt>,
    applicant_name: String,
    applicant_id: String,
    fields: Vec<FieldInput>,
    materials: Vec<MaterialInput>,
    errors: FormErrors,
    general: String,
}

impl CounterPage {
    fn err(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

#[derive(Deserialize)]
pub struct CounterQuery {
    item_id: Option<String>,
}

async fn counter_page(
    s: &AppState,
    c: Chrome,
    session: &Session,
    item_id: Option<i64>,
    form: Refill,
    status: StatusCode,
) -> Response {
    let lang = c.lang;
    let Refill {
        values,
        errors,
        general,
        kept,
    } = form;
    let handled = match s.app.counter_items(&session.actor).await {
        Ok(items) => items,
        Err(e) => return error_page(c, e),
    };
    let orgs = s.app.orgs();
    let chosen = item_id.map(|i| i.to_string()).unwrap_or_default();
    let items = opts(
        handled
            .iter()
            .map(|v| {
                (
                    v.item_id.to_string(),
                    format!(
                        "{} · {}",
                        v.name,
                        orgs.name(&v.implementing_body, lang.code())
                    ),
                )
            })
            .collect(),
        &chosen,
    );
    let (item_name, fields, materials) = match item_id {
        Some(id) => match s.app.item_in_force(&session.actor, id).await {
            Ok(v) => (
                v.spec.name.clone(),
                field_inputs(lang, &v.spec.form, &values, &errors),
                material_inputs(lang, &v.spec.materials, &errors, &kept),
            ),
            Err(e) => return error_page(c, e),
        },
        None => (String::new(), vec![], vec![]),
    };
    let value = |k: &str| values.get(k).cloned().unwrap_or_default();
    let kinds = opts(
        vec![
            ("person", t(lang, "person")),
            ("enterprise", t(lang, "enterprise")),
        ],
        &value("applicant_kind"),
    );
    let page = CounterPage {
        items,
        item_id: item_id.unwrap_or(0),
        item_name,
        kinds,
        applicant_name: value("applicant_name"),
        applicant_id: value("applicant_id"),
        fields,
        materials,
        errors,
        general,
        c,
    };
    (status, render(&page)).into_response()
}

/// 窗口登记: choose the item, then fill in the applicant, the form and the files.
pub async fn counter_form(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(q): Query<CounterQuery>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/cases/new");
    let item_id = match q
        .item_id
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => None,
        Some(v) => match v.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => return error_page(c, Refusal::not_found("事项", "Item").into()),
        },
    };
    counter_page(&s, c, &session, item_id, Refill::default(), StatusCode::OK).await
}

/// The applicant as the counter form gives it, or the fields at fault.
fn applicant_of(f: &BTreeMap<String, String>) -> Result<Applicant, Refusal> {
    let text = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let name = text("applicant_name");
    let id = text("applicant_id");
    match text("applicant_kind").as_str() {
        "enterprise" => CreditCode::parse(&id)
            .map(|credit_code| Applicant::Enterprise { name, credit_code })
            .map_err(|b| Refusal::field("applicant_id", b.zh, b.en)),
        _ => ResidentId::parse(&id)
            .map(|id_number| Applicant::Person { name, id_number })
            .map_err(|b| Refusal::field("applicant_id", b.zh, b.en)),
    }
}

/// Register the application with what was handed in; the case's page follows.
pub async fn register(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    multipart: Multipart,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/cases/new");
    let parts = match crate::uploads::read(multipart).await {
        Ok(p) => p,
        Err(r) => {
            let form = Refill::refused(&r, lang, &[], &[], BTreeMap::new(), vec![]);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return counter_page(&s, c, &session, None, form, status).await;
        }
    };
    if !csrf_ok(&session, &parts.text("csrf")) {
        return bad_token(c);
    }
    let Ok(item_id) = parts.text("item_id").trim().parse::<i64>() else {
        let r = Refusal::field("item_id", "请选择事项", "Choose the item");
        let form = Refill::refused(&r, lang, &[], &[], BTreeMap::new(), vec![]);
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return counter_page(&s, c, &session, None, form, status).await;
    };
    let crate::uploads::Parts { fields, uploads } = parts;
    let actor = &session.actor;
    let files = match FormFiles::gather(&s, actor, &fields, uploads).await {
        Ok(f) => f,
        Err(e) => return error_page(c, e),
    };
    let result = match applicant_of(&fields) {
        Ok(applicant) => {
            s.app
                .register_at_counter(actor, item_id, applicant, answers_of(&fields), files.all())
                .await
        }
        Err(r) => Err(r.into()),
    };
    match result {
        Ok(case) => {
            super::forget_kept(&s, actor).await;
            flash::redirect(
                &format!("/staff/cases/{}", case.number),
                format!("已登记 {}，查询码 {}", case.number, case.query_code),
                format!(
                    "Registered {}; its query code is {}",
                    case.number, case.query_code
                ),
            )
        }
        Err(AppError::Refused(r)) => {
            let spec = match s.app.item_in_force(&session.actor, item_id).await {
                Ok(v) => v.spec,
                Err(e) => return error_page(c, e),
            };
            let kept = if r.kind == RefusalKind::Invalid {
                files.keep(&s, actor, &spec.materials).await
            } else {
                files.kept_only()
            };
            let rename = [
                ("applicant.name", "applicant_name"),
                ("applicant", "applicant_id"),
            ];
            let form = Refill::refused(&r, lang, &spec.form, &rename, fields, kept);
            let status = crate::error::status_of(r.kind);
            counter_page(&s, c, &session, Some(item_id), form, status).await
        }
        Err(e) => error_page(c, e),
    }
}
