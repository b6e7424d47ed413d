//! `/staff/sharing`: resource sharing (资源共享) for staff — the catalogue
//! searched by name, department and class; registering a resource; a
//! resource's page with its fields, class, subscribers and the subscribe
//! form; the owner's approvals queue and the department's subscriptions; a
//! subscription's page with its decisions, keys (a new secret shown once)
//! and read log; and enterprise basic information's conflicts to resolve.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::sharing::enterprise::{EnterpriseView, ResolveForm};
use sunshine_app::sharing::subscriptions::{
    IssuedKey, Queue, ReadView, SubscribeForm, SubscriptionView,
};
use sunshine_app::sharing::{CatalogueQuery, NewResource, ResourceLine, ResourceView};
use sunshine_app::AppError;
use sunshine_domain::sharing::enterprise::Feed;
use sunshine_domain::sharing::subscription::{SubscriptionCommand, SubscriptionState};
use sunshine_domain::sharing::{FieldSpec, FieldType, ResourceSpec, SharingClass, UpdateCycle};

use super::{bad_token, error_page, flash, fmt, refusal_message, render, Chrome, Opt};
use crate::auth::{csrf_ok, StaffSession};
use crate::i18n::Lang;
use crate::AppState;

const HOME: &str = "/staff/sharing";

/// The words of sharing's enums and moments, in the page's language.
pub struct Words {
    lang: Lang,
}

impl Words {
    fn new(lang: Lang) -> Words {
        Words { lang }
    }
    pub fn class(&self, c: &SharingClass) -> String {
        c.label().get(self.lang.code()).to_string()
    }
    pub fn cycle(&self, c: &UpdateCycle) -> String {
        c.label().get(self.lang.code()).to_string()
    }
    pub fn kind(&self, k: &FieldType) -> String {
        k.label().get(self.lang.code()).to_string()
    }
    pub fn state(&self, s: &SubscriptionState) -> String {
        s.label().get(self.lang.code()).to_string()
    }
    pub fn feed(&self, f: &Feed) -> String {
        f.label().get(self.lang.code()).to_string()
    }
    pub fn when(&self, us: &i64) -> String {
        fmt::when(self.lang, *us)
    }
    pub fn maybe_when(&self, us: &Option<i64>) -> String {
        us.map(|us| fmt::when(self.lang, us)).unwrap_or_default()
    }
    pub fn outcome(&self, o: &str) -> String {
        let (zh, en) = match o {
            "read" => ("已读取", "read"),
            "key_revoked" => ("拒绝：密钥已撤销", "refused: the key was revoked"),
            "subscription_not_approved" => (
                "拒绝：订阅未批准或已撤销",
                "refused: the subscription is not approved",
            ),
            "key_for_another_resource" => (
                "拒绝：密钥不属于该资源",
                "refused: a key for another resource",
            ),
            _ => ("拒绝", "refused"),
        };
        self.lang.pick(zh, en).to_string()
    }
    pub fn command(&self, c: &str) -> String {
        let (zh, en) = match c {
            "approve" => ("批准", "Approve"),
            "refuse" => ("不予批准", "Refuse"),
            _ => ("撤销订阅", "Revoke"),
        };
        self.lang.pick(zh, en).to_string()
    }
    pub fn org(&self, zh: &str, en: &str) -> String {
        self.lang.pick(zh, en).to_string()
    }
}

/// Department options, by name in the page's language.
fn org_options(s: &AppState, lang: Lang, codes: &[String], selected: &str) -> Vec<Opt> {
    let orgs = s.app.orgs();
    super::opts(
        codes
            .iter()
            .map(|c| (c.clone(), orgs.name(c, lang.code())))
            .collect(),
        selected,
    )
}

/// A refused form's message and status, or the page for anything else.
fn refused(c: &Chrome, e: &AppError) -> Option<(StatusCode, String)> {
    match e {
        AppError::Refused(r) => Some((
            crate::error::status_of(r.kind),
            refusal_message(c, e).unwrap_or_default(),
        )),
        AppError::Internal(_) => None,
    }
}

#[derive(Template)]
#[template(path = "sharing/catalogue.html")]
struct CataloguePage {
    c: Chrome,
    /// The conflicts tab: for the staff who may see enterprise records.
    conflicts_tab: bool,
    w: Words,
    lines: Vec<ResourceLine>,
    q: String,
    owners: Vec<Opt>,
    classes: Vec<Opt>,
    may_register: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    class: String,
}

/// `GET /staff/sharing`: the catalogue, searched.
pub async fn catalogue(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(f): Query<Search>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), HOME);
    let actor = &session.actor;
    let query = CatalogueQuery {
        q: Some(f.q.clone()),
        owner: Some(f.owner.clone()),
        class: Some(f.class.clone()),
    };
    let lines = match s.app.sharing_catalogue(actor, &query).await {
        Ok(l) => l,
        Err(e) => return error_page(c, e),
    };
    let all = s
        .app
        .sharing_catalogue(actor, &CatalogueQuery::default())
        .await
        .unwrap_or_default();
    let mut owners: Vec<String> = all.iter().map(|l| l.owner.clone()).collect();
    owners.dedup();
    let mut owner_opts = vec![Opt {
        value: String::new(),
        label: lang.pick("全部单位", "Every department").into(),
        selected: f.owner.is_empty(),
    }];
    owner_opts.extend(org_options(&s, lang, &owners, &f.owner));
    let w = Words::new(lang);
    let mut classes = vec![(
        String::new(),
        lang.pick("全部类型", "Every class").to_string(),
    )];
    classes.extend(
        SharingClass::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), w.class(k))),
    );
    let page = CataloguePage {
        conflicts_tab: s.app.sees_enterprise_records(actor).await,
        may_register: !s.app.sharing_orgs(actor).0.is_empty(),
        w,
        lines,
        q: f.q,
        owners: owner_opts,
        classes: super::opts(classes, &f.class),
        c,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "sharing/new.html")]
struct NewPage {
    c: Chrome,
    /// The conflicts tab: for the staff who may see enterprise records.
    conflicts_tab: bool,
    owners: Vec<Opt>,
    classes: Vec<Opt>,
    cycles: Vec<Opt>,
    form: ResourcePosted,
    problem: String,
}

/// The registration form as posted; fields one a line, `name | type |
/// description`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResourcePosted {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    fields: String,
    #[serde(default)]
    cycle: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    basis: String,
}

async fn new_page(
    s: &AppState,
    c: Chrome,
    actor: &sunshine_domain::identity::Actor,
    form: ResourcePosted,
    problem: String,
) -> NewPage {
    let lang = c.lang;
    let w = Words::new(lang);
    let owners = s.app.sharing_orgs(actor).0;
    let own = actor
        .org
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let selected = if form.owner.is_empty() {
        own
    } else {
        form.owner.clone()
    };
    NewPage {
        conflicts_tab: s.app.sees_enterprise_records(actor).await,
        owners: org_options(s, lang, &owners, &selected),
        classes: super::opts(
            SharingClass::ALL
                .iter()
                .map(|k| (k.as_str().to_string(), w.class(k)))
                .collect(),
            &form.class,
        ),
        cycles: super::opts(
            UpdateCycle::ALL
                .iter()
                .map(|k| (k.as_str().to_string(), w.cycle(k)))
                .collect(),
            &form.cycle,
        ),
        form,
        problem,
        c,
    }
}

/// `GET /staff/sharing/new`: the registration form.
pub async fn new_form(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/sharing/new");
    let form = ResourcePosted {
        fields: "credit_code | credit_code | 统一社会信用代码\nname | text | 名称".into(),
        ..Default::default()
    };
    render(&new_page(&s, c, &session.actor, form, String::new()).await)
}

/// The posted form as a resource, or what is wrong with its fields' lines.
fn resource_of(f: &ResourcePosted) -> Result<NewResource, String> {
    let mut fields = vec![];
    for (i, line) in f.fields.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut parts = line.split('|').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let kind = parts.next().unwrap_or("text");
        let Some(kind) = FieldType::parse(kind) else {
            return Err(format!("{}: {kind}", i + 1));
        };
        fields.push(FieldSpec {
            name: name.to_string(),
            kind,
            description: parts.collect::<Vec<_>>().join("|"),
        });
    }
    Ok(NewResource {
        owner: Some(f.owner.clone()).filter(|o| !o.is_empty()),
        spec: ResourceSpec {
            name: f.name.clone(),
            description: f.description.clone(),
            fields,
            cycle: UpdateCycle::parse(&f.cycle).unwrap_or(UpdateCycle::Monthly),
            class: SharingClass::parse(&f.class).unwrap_or(SharingClass::Conditional),
            basis: f.basis.clone(),
        },
    })
}

/// `POST /staff/sharing/new`.
pub async fn register(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<ResourcePosted>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/sharing/new");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let result = match resource_of(&f) {
        Ok(form) => s.app.register_resource(&session.actor, form).await,
        Err(line) => {
            let problem = format!(
                "{} {line}",
                lang.pick(
                    "信息项的类型应为 text、number、date 或 credit_code：第",
                    "A field's type is text, number, date or credit_code: line"
                )
            );
            let page = new_page(&s, c, &session.actor, f, problem).await;
            return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
        }
    };
    match result {
        Ok(r) => flash::redirect(
            &format!("{HOME}/resources/{}", r.id),
            format!("已登记信息资源“{}”", r.spec.name),
            format!("Registered the resource \"{}\"", r.spec.name),
        ),
        Err(e) => match refused(&c, &e) {
            Some((status, problem)) => {
                let page = new_page(&s, c, &session.actor, f, problem).await;
                (status, render(&page)).into_response()
            }
            None => error_page(c, e),
        },
    }
}

#[derive(Template)]
#[template(path = "sharing/resource.html")]
struct ResourcePage {
    c: Chrome,
    w: Words,
    r: ResourceView,
    subscribers: Vec<Opt>,
    form: SubscribePosted,
    problem: String,
}

impl ResourcePage {
    fn checked(&self, field: &str) -> bool {
        self.form.fields.is_empty() || self.form.fields.iter().any(|f| f == field)
    }
}

/// The subscribe form as posted.
#[derive(Debug, Clone, Default)]
pub struct SubscribePosted {
    csrf: String,
    subscriber: String,
    fields: Vec<String>,
    purpose: String,
    basis: String,
}

impl SubscribePosted {
    /// From the form's pairs: `field` repeats, one per box ticked.
    fn of(pairs: Vec<(String, String)>) -> SubscribePosted {
        let mut f = SubscribePosted::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "subscriber" => f.subscriber = v,
                "field" => f.fields.push(v),
                "purpose" => f.purpose = v,
                "basis" => f.basis = v,
                _ => {}
            }
        }
        f
    }
}

async fn resource_page(
    s: &AppState,
    c: Chrome,
    actor: &sunshine_domain::identity::Actor,
    id: i64,
    form: SubscribePosted,
    problem: String,
    status: StatusCode,
) -> Response {
    let r = match s.app.sharing_resource(actor, id).await {
        Ok(r) => r,
        Err(e) => return error_page(c, e),
    };
    let subscribers = org_options(s, c.lang, &r.may_subscribe_for, &form.subscriber);
    let page = ResourcePage {
        w: Words::new(c.lang),
        r,
        subscribers,
        form,
        problem,
        c,
    };
    (status, render(&page)).into_response()
}

/// `GET /staff/sharing/resources/{id}`.
pub async fn resource(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), &format!("{HOME}/resources/{id}"));
    let form = SubscribePosted {
        subscriber: session
            .actor
            .org
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        ..Default::default()
    };
    resource_page(
        &s,
        c,
        &session.actor,
        id,
        form,
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /staff/sharing/resources/{id}/subscribe`.
pub async fn subscribe(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let here = format!("{HOME}/resources/{id}");
    let c = Chrome::new(lang, Some(&session), &here);
    let f = SubscribePosted::of(pairs);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let form = SubscribeForm {
        subscriber: Some(f.subscriber.clone()).filter(|s| !s.is_empty()),
        fields: f.fields.clone(),
        purpose: f.purpose.clone(),
        basis: f.basis.clone(),
    };
    match s.app.subscribe(&session.actor, id, form).await {
        Ok(sub) => flash::redirect(
            &format!("{HOME}/subscriptions/{}", sub.id),
            format!("已申请订阅，{}", sub.state.label().zh),
            format!(
                "Subscription asked for: {}",
                sub.state.label().en.to_lowercase()
            ),
        ),
        Err(e) => match refused(&c, &e) {
            Some((status, problem)) => {
                resource_page(&s, c, &session.actor, id, f, problem, status).await
            }
            None => error_page(c, e),
        },
    }
}

#[derive(Template)]
#[template(path = "sharing/subscriptions.html")]
struct QueuePage {
    c: Chrome,
    /// The conflicts tab: for the staff who may see enterprise records.
    conflicts_tab: bool,
    w: Words,
    owned: Vec<SubscriptionView>,
    subscribed: Vec<SubscriptionView>,
}

/// `GET /staff/sharing/subscriptions`: the approvals queue and the
/// department's own subscriptions.
pub async fn queue(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/sharing/subscriptions");
    let actor = &session.actor;
    let owned = match s.app.subscriptions(actor, Queue::Owned).await {
        Ok(v) => v,
        Err(e) => return error_page(c, e),
    };
    let subscribed = match s.app.subscriptions(actor, Queue::Subscribed).await {
        Ok(v) => v,
        Err(e) => return error_page(c, e),
    };
    render(&QueuePage {
        conflicts_tab: s.app.sees_enterprise_records(actor).await,
        w: Words::new(lang),
        owned,
        subscribed,
        c,
    })
}

#[derive(Template)]
#[template(path = "sharing/subscription.html")]
struct SubscriptionPage {
    c: Chrome,
    w: Words,
    s: SubscriptionView,
    reads: Vec<ReadView>,
    issued: Option<IssuedKey>,
    problem: String,
}

async fn subscription_page(
    s: &AppState,
    c: Chrome,
    actor: &sunshine_domain::identity::Actor,
    id: i64,
    issued: Option<IssuedKey>,
    problem: String,
    status: StatusCode,
) -> Response {
    let log = match s.app.sharing_reads(actor, id, None).await {
        Ok(l) => l,
        Err(e) => return error_page(c, e),
    };
    let page = SubscriptionPage {
        w: Words::new(c.lang),
        s: log.subscription,
        reads: log.reads,
        issued,
        problem,
        c,
    };
    (status, render(&page)).into_response()
}

/// `GET /staff/sharing/subscriptions/{id}`: the subscription, its keys and
/// its read log.
pub async fn subscription(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), &format!("{HOME}/subscriptions/{id}"));
    subscription_page(
        &s,
        c,
        &session.actor,
        id,
        None,
        String::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct CommandPosted {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    command: String,
    #[serde(default)]
    reason: String,
    /// Where to come back to: the queue or the subscription's page.
    #[serde(default)]
    back: String,
}

/// `POST /staff/sharing/subscriptions/{id}/command`.
pub async fn command(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<CommandPosted>,
) -> Response {
    let here = format!("{HOME}/subscriptions/{id}");
    let c = Chrome::new(lang, Some(&session), &here);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let reason = f.reason.clone();
    let command = match f.command.as_str() {
        "approve" => SubscriptionCommand::Approve { reason },
        "refuse" => SubscriptionCommand::Refuse { reason },
        _ => SubscriptionCommand::Revoke { reason },
    };
    let w = Words::new(lang);
    let done = w.command(command.name());
    match s
        .app
        .subscription_command(&session.actor, id, command)
        .await
    {
        Ok(sub) => {
            let back = if f.back == "queue" {
                "/staff/sharing/subscriptions".to_string()
            } else {
                here
            };
            flash::redirect(
                &back,
                format!("已{done}：{}", sub.resource_name),
                format!("{done}: done"),
            )
        }
        Err(e) => match refused(&c, &e) {
            Some((status, problem)) => {
                subscription_page(&s, c, &session.actor, id, None, problem, status).await
            }
            None => error_page(c, e),
        },
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct KeyPosted {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// `POST /staff/sharing/subscriptions/{id}/keys`: the page again, with the
/// new key's secret shown this once.
pub async fn issue_key(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<KeyPosted>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), &format!("{HOME}/subscriptions/{id}"));
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let actor = &session.actor;
    match s.app.issue_sharing_key(actor, id, &f.name).await {
        Ok(key) => {
            subscription_page(
                &s,
                c,
                actor,
                id,
                Some(key),
                String::new(),
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) => match refused(&c, &e) {
            Some((status, problem)) => {
                subscription_page(&s, c, actor, id, None, problem, status).await
            }
            None => error_page(c, e),
        },
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /staff/sharing/keys/{id}/revoke`.
pub async fn revoke_key(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), HOME);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    match s.app.revoke_sharing_key(&session.actor, id).await {
        Ok(sub) => flash::redirect(
            &format!("{HOME}/subscriptions/{}", sub.id),
            "已撤销访问密钥",
            "Access key revoked",
        ),
        Err(e) => error_page(c, e),
    }
}

#[derive(Template)]
#[template(path = "sharing/conflicts.html")]
struct ConflictsPage {
    c: Chrome,
    conflicts_tab: bool,
    w: Words,
    records: Vec<EnterpriseView>,
    problem: String,
}

async fn conflicts_page(
    s: &AppState,
    c: Chrome,
    actor: &sunshine_domain::identity::Actor,
    problem: String,
    status: StatusCode,
) -> Response {
    match s.app.enterprise_conflicts(actor).await {
        Ok(records) => {
            let page = ConflictsPage {
                conflicts_tab: true,
                w: Words::new(c.lang),
                records,
                problem,
                c,
            };
            (status, render(&page)).into_response()
        }
        Err(e) => error_page(c, e),
    }
}

/// `GET /staff/sharing/conflicts`: where enterprise feeds disagree.
pub async fn conflicts(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/sharing/conflicts");
    conflicts_page(&s, c, &session.actor, String::new(), StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ResolvePosted {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    reason: String,
}

/// `POST /staff/sharing/conflicts/{credit_code}`.
pub async fn resolve(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(code): Path<String>,
    Form(f): Form<ResolvePosted>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), "/staff/sharing/conflicts");
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let form = ResolveForm {
        field: f.field,
        value: f.value,
        reason: f.reason,
    };
    match s
        .app
        .resolve_enterprise_conflict(&session.actor, &code, form)
        .await
    {
        Ok(_) => flash::redirect(
            "/staff/sharing/conflicts",
            "已处理信息不一致",
            "The disagreement is resolved",
        ),
        Err(e) => match refused(&c, &e) {
            Some((status, problem)) => conflicts_page(&s, c, &session.actor, problem, status).await,
            None => error_page(c, e),
        },
    }
}
