//! `/staff/registry/named-reads`: the city's named reads (市级具名查阅).
//! The city's registrar asks with a reason and the fields needed, and
//! reads while an approval lasts; a district's registrar approves or
//! refuses the requests addressed to the district.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::registry::{NamedReadDecision, NamedReadForm, NamedReadView};
use sunshine_app::AppError;
use sunshine_domain::access::ReadPurpose;
use sunshine_domain::identity::{Actor, OrgKind};
use sunshine_domain::registry::view::{fields_for, Field};

use super::super::{bad_token, error_page, flash, render, Chrome};
use super::records::shown_value;
use crate::auth::{csrf_ok, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

const PLACE: &str = "/staff/registry/named-reads";

pub struct RequestLine {
    pub id: i64,
    pub district: String,
    pub id_number: String,
    pub fields: String,
    pub reason: String,
    pub state: String,
    pub state_code: String,
    pub requester: String,
    pub asked: String,
    pub answer: String,
    pub until: String,
    pub yours_to_decide: bool,
    pub may_read: bool,
    pub may_withdraw: bool,
}

#[derive(Template)]
#[template(path = "registry/named_reads.html")]
struct NamedReadsPage {
    c: Chrome,
    asks: bool,
    /// (code, name) of the districts a request may go to.
    districts: Vec<(String, String)>,
    /// (field, label, checked).
    fields: Vec<(String, String, bool)>,
    form_district: String,
    form_number: String,
    form_reason: String,
    message: String,
    errors: Vec<(String, String)>,
    waiting: Vec<RequestLine>,
    requests: Vec<RequestLine>,
}

#[derive(Template)]
#[template(path = "registry/named_read_person.html")]
struct PersonPage {
    c: Chrome,
    request: RequestLine,
    cells: Vec<(String, String)>,
}

fn field_name(f: Field) -> String {
    serde_json::to_value(f)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn state_words(c: &Chrome, state: &str) -> String {
    match state {
        "asked" => c.pick("待区审批", "Waiting for the district"),
        "approved" => c.pick("已批准", "Approved"),
        "expired" => c.pick("批准已过期", "Approval expired"),
        "refused" => c.pick("已拒绝", "Refused"),
        _ => c.pick("已撤回", "Withdrawn"),
    }
    .to_string()
}

fn line(c: &Chrome, lang: Lang, r: &NamedReadView) -> RequestLine {
    RequestLine {
        id: r.id,
        district: format!("{} {}", r.district, r.district_name),
        id_number: r.id_number.clone(),
        fields: r
            .fields
            .iter()
            .map(|f| f.label().get(lang.code()).to_string())
            .collect::<Vec<_>>()
            .join(c.pick("、", ", ")),
        reason: r.reason.clone(),
        state: state_words(c, &r.state),
        state_code: r.state.clone(),
        requester: r.requester.clone(),
        asked: c.when(&r.asked_at),
        answer: r.answer.clone().unwrap_or_default(),
        until: r.expires_at.map(|e| c.when(&e)).unwrap_or_default(),
        yours_to_decide: r.yours_to_decide,
        may_read: r.yours && r.state == "approved",
        may_withdraw: r.yours && matches!(r.state.as_str(), "asked" | "approved"),
    }
}

fn page_of(
    s: &AppState,
    c: Chrome,
    actor: &Actor,
    form: &NamedReadForm,
    list: &[NamedReadView],
) -> NamedReadsPage {
    let lang = c.lang;
    let (asks, _) = s.app.named_read_desk(actor);
    let districts = s
        .app
        .orgs()
        .list
        .iter()
        .filter(|o| matches!(o.kind, OrgKind::District | OrgKind::County | OrgKind::Zone))
        .map(|o| {
            let name = if lang.is_en() { &o.name_en } else { &o.name };
            (o.code.as_str().to_string(), name.clone())
        })
        .collect();
    let fields = fields_for(ReadPurpose::CityInquiry)
        .iter()
        .map(|f| {
            (
                field_name(*f),
                f.label().get(lang.code()).to_string(),
                form.fields.contains(f),
            )
        })
        .collect();
    let lines: Vec<RequestLine> = list.iter().map(|r| line(&c, lang, r)).collect();
    let (waiting, requests) = lines.into_iter().partition(|l| l.yours_to_decide);
    NamedReadsPage {
        asks,
        districts,
        fields,
        form_district: form.district.clone(),
        form_number: form.id_number.clone(),
        form_reason: form.reason.clone(),
        message: String::new(),
        errors: vec![],
        waiting,
        requests,
        c,
    }
}

pub async fn page(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
) -> Response {
    let c = Chrome::new(lang, Some(&session), PLACE);
    match s.app.named_reads(&session.actor).await {
        Ok(list) => render(&page_of(
            &s,
            c,
            &session.actor,
            &NamedReadForm::default(),
            &list,
        )),
        Err(e) => error_page(c, e),
    }
}

pub async fn ask(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(posted): Form<Vec<(String, String)>>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), PLACE);
    let value = |k: &str| {
        posted
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if !csrf_ok(&session, &value("csrf")) {
        return bad_token(c);
    }
    let form = NamedReadForm {
        district: value("district"),
        id_number: value("id_number"),
        fields: posted
            .iter()
            .filter(|(k, _)| k == "field")
            .filter_map(|(_, v)| serde_json::from_value(serde_json::json!(v)).ok())
            .collect(),
        reason: value("reason"),
    };
    match s.app.ask_named_read(&session.actor, form.clone()).await {
        Ok(r) => flash::redirect(
            PLACE,
            format!("已提交查阅申请 #{}，待区人口登记部门审批", r.id),
            format!(
                "Request #{} sent: it waits for the district's approval",
                r.id
            ),
        ),
        Err(AppError::Refused(r)) => {
            let list = match s.app.named_reads(&session.actor).await {
                Ok(list) => list,
                Err(e) => return error_page(c, e),
            };
            let mut page = page_of(&s, c, &session.actor, &form, &list);
            page.message = r.message.get(lang.code()).to_string();
            page.errors = r.field_messages(lang.code());
            (crate::error::status_of(r.kind), render(&page)).into_response()
        }
        Err(e) => error_page(c, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub answer: String,
}

pub async fn decide(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), PLACE);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let (zh, en) = match f.decision.as_str() {
        "withdraw" => ("已撤回该申请", "Withdrawn"),
        "approve" => (
            "已批准：市里可在七日内查阅所申请的项目",
            "Approved: the city may read the fields asked for seven days",
        ),
        _ => ("已拒绝该申请", "Refused"),
    };
    let done = match f.decision.as_str() {
        "withdraw" => s.app.withdraw_named_read(&session.actor, id).await,
        d => {
            let decision = NamedReadDecision {
                approve: d == "approve",
                answer: f.answer,
            };
            s.app.decide_named_read(&session.actor, id, decision).await
        }
    };
    match done {
        Ok(_) => flash::redirect(PLACE, zh, en),
        Err(e) => error_page(c, e),
    }
}

pub async fn person(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), PLACE);
    match s.app.read_named(&session.actor, id).await {
        Ok(read) => {
            let cells = read
                .person
                .fields
                .iter()
                .map(|(f, v)| {
                    (
                        f.label().get(lang.code()).to_string(),
                        shown_value(&s, lang, *f, v),
                    )
                })
                .collect();
            let request = line(&c, lang, &read.request);
            render(&PersonPage { c, request, cells })
        }
        Err(e) => error_page(c, e),
    }
}
