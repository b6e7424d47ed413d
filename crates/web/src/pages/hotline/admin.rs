//! The hotline's administration page, for administrators of the city: the
//! categories and their dispatch catalogue entries (each save a new
//! version), the districts' own dispatch entries, and Open311 clients' keys.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sunshine_app::AppError;
use sunshine_domain::hotline::{RequestKind, ServiceClass, Urgency};
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;

use super::org_choices;
use crate::api::hotline::{
    category_row_of, category_view, key_view, CategoryBody, CategoryView, KeyView,
};
use crate::auth::{csrf_ok, StaffSession};
use crate::i18n::Lang;
use crate::pages::{bad_token, error_page, flash, refusal_message, render, Chrome};
use crate::AppState;
use sunshine_app::identity::Session;

/// A district's own dispatch entry, as shown: names, with the codes kept
/// for the page's data attributes.
struct Override {
    code: String,
    region_code: String,
    category: String,
    region: String,
    lead_unit: String,
    assisting: String,
}

#[derive(Template)]
#[template(path = "hotline/admin.html")]
struct AdminPage {
    c: Chrome,
    categories: Vec<CategoryView>,
    overrides: Vec<Override>,
    keys: Vec<KeyView>,
    /// The category form: the one being edited, or what was typed.
    form: CategoryForm,
    editing: bool,
    dispatch: DispatchForm,
    units: Vec<(String, String)>,
    districts: Vec<(String, String)>,
    classes: Vec<(&'static str, String)>,
    kinds: Vec<(&'static str, String)>,
    urgencies: Vec<(&'static str, String)>,
    /// The units requests are dispatched to: code, name, kind, government.
    unit_rows: Vec<(String, String, String, String)>,
    governments: Vec<(String, String)>,
    unit: UnitForm,
    /// What was refused, and in which form (`category`, `dispatch`, `unit`, `key`).
    problem: Option<(String, &'static str)>,
    /// A key just issued: shown this once.
    issued: Option<(String, String)>,
}

impl AdminPage {
    /// Whether a typed name is in Chinese (and so marked as such).
    fn zh(&self, s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }
    /// A stored moment (ISO) as people read it.
    fn moment(&self, iso: &str) -> String {
        iso.parse::<jiff::Timestamp>()
            .map(|t| crate::pages::fmt::moment(self.c.lang, t))
            .unwrap_or_else(|_| iso.to_string())
    }
}

/// The category form as posted (every field text, so that a wrong number
/// is a message on the page, not a rejected request).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub class: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub urgency: String,
    #[serde(default)]
    pub dispatch_hours: String,
    #[serde(default)]
    pub sign_hours: String,
    #[serde(default)]
    pub answer_days: String,
    #[serde(default)]
    pub description: String,
    /// Separated by commas or spaces.
    #[serde(default)]
    pub keywords: String,
    /// The Open311 attributes as JSON.
    #[serde(default)]
    pub attributes: String,
    #[serde(default)]
    pub lead_unit: String,
    /// Unit codes separated by commas or spaces.
    #[serde(default)]
    pub assisting: String,
    pub active: Option<String>,
    pub personal: Option<String>,
}

impl CategoryForm {
    fn of(c: &CategoryView) -> CategoryForm {
        let b = &c.body;
        let n = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        CategoryForm {
            csrf: String::new(),
            code: c.code.clone(),
            name: b.name.clone(),
            name_en: b.name_en.clone(),
            class: b.class.clone(),
            kind: b.kind.clone(),
            urgency: b.urgency.clone(),
            dispatch_hours: n(b.dispatch_hours),
            sign_hours: n(b.sign_hours),
            answer_days: n(b.answer_days),
            description: b.description.clone(),
            keywords: b.keywords.join(" "),
            attributes: serde_json::to_string_pretty(&b.attributes).unwrap_or_default(),
            lead_unit: b.lead_unit.clone(),
            assisting: b.assisting.join(" "),
            active: b.active.then(|| "on".to_string()),
            personal: b.personal.then(|| "on".to_string()),
        }
    }

    /// The API's body, or what is wrong with the form.
    fn body(&self) -> Result<CategoryBody, Refusal> {
        let number = |field: &str, v: &str| -> Result<Option<u32>, Refusal> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            v.parse().map(Some).map_err(|_| {
                Refusal::field(field, "请填写不小于 0 的整数", "A whole number, 0 or more")
            })
        };
        let attributes = if self.attributes.trim().is_empty() {
            vec![]
        } else {
            serde_json::from_str(&self.attributes).map_err(|e| {
                Refusal::field(
                    "attributes",
                    format!("属性应为 JSON 数组：{e}"),
                    format!("Attributes are a JSON array: {e}"),
                )
            })?
        };
        Ok(CategoryBody {
            name: self.name.trim().to_string(),
            name_en: self.name_en.trim().to_string(),
            class: self.class.clone(),
            kind: self.kind.clone(),
            urgency: self.urgency.clone(),
            dispatch_hours: number("dispatch_hours", &self.dispatch_hours)?,
            sign_hours: number("sign_hours", &self.sign_hours)?,
            answer_days: number("answer_days", &self.answer_days)?,
            description: self.description.trim().to_string(),
            keywords: words(&self.keywords),
            attributes,
            lead_unit: self.lead_unit.trim().to_string(),
            assisting: words(&self.assisting),
            active: self.active.is_some(),
            personal: self.personal.is_some(),
        })
    }
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct DispatchForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub lead_unit: String,
    #[serde(default)]
    pub assisting: String,
}

/// A unit to add, or (with only the code and names) to rename.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub parent: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub client: String,
    #[serde(default)]
    pub per_minute: String,
    pub may_comment_on_all: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct AdminQuery {
    /// The category to edit.
    pub edit: Option<String>,
}

/// What the page shows besides its lists.
#[derive(Default)]
struct Shown {
    form: Option<CategoryForm>,
    edit: Option<String>,
    dispatch: DispatchForm,
    unit: UnitForm,
    problem: Option<(String, &'static str)>,
    issued: Option<(String, String)>,
}

/// An organisation's name in the page's language, or its code if it is unknown.
fn org_name(orgs: &sunshine_app::OrgDirectory, lang: Lang, code: &str) -> String {
    orgs.list
        .iter()
        .find(|o| o.code.as_str() == code)
        .map_or_else(
            || code.to_string(),
            |o| lang.pick(&o.name, &o.name_en).to_string(),
        )
}

/// The units (not governments) with their kind and parent, for the units table.
fn unit_rows(
    orgs: &sunshine_app::OrgDirectory,
    lang: Lang,
) -> Vec<(String, String, String, String)> {
    let name_of = |code: &str| org_name(orgs, lang, code);
    orgs.list
        .iter()
        .filter(|o| !o.kind.is_government())
        .map(|o| {
            let kind = match o.kind {
                sunshine_domain::identity::OrgKind::Utility => lang.pick("公用事业单位", "utility"),
                sunshine_domain::identity::OrgKind::SubDistrict => {
                    lang.pick("街道", "sub-district")
                }
                sunshine_domain::identity::OrgKind::Community => lang.pick("社区", "community"),
                _ => lang.pick("部门", "department"),
            };
            (
                o.code.to_string(),
                lang.pick(&o.name, &o.name_en).to_string(),
                kind.to_string(),
                o.parent
                    .as_ref()
                    .map(|p| name_of(p.as_str()))
                    .unwrap_or_default(),
            )
        })
        .collect()
}

async fn page(
    s: &AppState,
    lang: Lang,
    session: &Session,
    st: Shown,
    status: StatusCode,
) -> Response {
    let c = Chrome::new(lang, Some(session), "/staff/hotline/admin");
    let actor = &session.actor;
    if let Err(e) = s.app.authorize(actor, &Action::ManageHotline) {
        return error_page(c, e);
    }
    let categories = match s.app.hotline_categories(false).await {
        Ok(list) => list.into_iter().map(category_view).collect::<Vec<_>>(),
        Err(e) => return error_page(c, e),
    };
    let overrides = match s.app.dispatch_overrides(actor).await {
        Ok(list) => list,
        Err(e) => return error_page(c, e),
    };
    let keys = match s.app.open311_keys(Some(actor)).await {
        Ok(list) => list.into_iter().map(key_view).collect(),
        Err(e) => return error_page(c, e),
    };
    let editing_view = st
        .edit
        .as_deref()
        .and_then(|code| categories.iter().find(|v| v.code == code));
    let form = st.form.unwrap_or_else(|| {
        editing_view
            .map(CategoryForm::of)
            .unwrap_or_else(|| CategoryForm {
                class: "government".into(),
                kind: "consultation".into(),
                urgency: "normal".into(),
                active: Some("on".into()),
                ..CategoryForm::default()
            })
    });
    // Editing is saving a category that exists: a new version of it.
    let editing = categories.iter().any(|v| v.code == form.code);
    let orgs = s.app.orgs();
    let name_of = |code: &str| org_name(&orgs, lang, code);
    let category_name = |code: &str| {
        categories.iter().find(|v| v.code == code).map_or_else(
            || code.to_string(),
            |v| lang.pick(&v.body.name, &v.body.name_en).to_string(),
        )
    };
    let unit_rows = unit_rows(&orgs, lang);
    let overrides = overrides
        .into_iter()
        .map(|o| Override {
            category: category_name(&o.category),
            region: name_of(&o.region),
            lead_unit: name_of(&o.lead_unit),
            assisting: o
                .assisting
                .iter()
                .map(|a| name_of(a))
                .collect::<Vec<_>>()
                .join(lang.pick("、", ", ")),
            code: o.category,
            region_code: o.region,
        })
        .collect();
    let page = AdminPage {
        unit_rows,
        governments: org_choices(s, lang, |o| o.kind.is_government()),
        unit: st.unit,
        categories,
        overrides,
        keys,
        form,
        editing,
        dispatch: st.dispatch,
        units: org_choices(s, lang, |o| !o.kind.is_government() || o.parent.is_none()),
        districts: org_choices(s, lang, |o| o.kind.is_government() && o.parent.is_some()),
        classes: ServiceClass::ALL
            .iter()
            .map(|k| (k.as_str(), k.name().get(c.code()).to_string()))
            .collect(),
        kinds: RequestKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.name().get(c.code()).to_string()))
            .collect(),
        urgencies: Urgency::ALL
            .iter()
            .map(|k| (k.as_str(), k.name().get(c.code()).to_string()))
            .collect(),
        problem: st.problem,
        issued: st.issued,
        c,
    };
    (status, render(&page)).into_response()
}

/// `/staff/hotline/admin`.
pub async fn admin(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Query(q): Query<AdminQuery>,
) -> Response {
    let st = Shown {
        edit: q.edit,
        ..Shown::default()
    };
    page(&s, lang, &session, st, StatusCode::OK).await
}

/// A refused form: the page again, with what was typed and why.
async fn refused(
    s: &AppState,
    lang: Lang,
    session: &Session,
    e: AppError,
    which: &'static str,
    mut st: Shown,
) -> Response {
    let c = Chrome::new(lang, Some(session), "/staff/hotline/admin");
    let status = match &e {
        AppError::Refused(r) => crate::error::status_of(r.kind),
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let Some(m) = refusal_message(&c, &e) else {
        return error_page(c, e);
    };
    if status == StatusCode::FORBIDDEN {
        return error_page(c, e);
    }
    st.problem = Some((m, which));
    page(s, lang, session, st, status).await
}

/// `POST /staff/hotline/admin/categories`: add or edit a category.
pub async fn put_category(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<CategoryForm>,
) -> Response {
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(Chrome::new(lang, Some(&session), "/staff/hotline/admin"));
    }
    let saved = f
        .body()
        .and_then(|b| category_row_of(f.code.trim().to_string(), b));
    let result = match saved {
        Ok(row) => s.app.put_hotline_category(&session.actor, row).await,
        Err(r) => Err(r.into()),
    };
    match result {
        Ok(c) => flash::redirect(
            "/staff/hotline/admin#categories",
            format!("已保存类别「{}」（第 {} 版）", c.name, c.version),
            format!("Saved the category “{}” (version {})", c.name_en, c.version),
        ),
        Err(e) => {
            let st = Shown {
                form: Some(f),
                ..Shown::default()
            };
            refused(&s, lang, &session, e, "category", st).await
        }
    }
}

/// `POST /staff/hotline/admin/dispatch`: a district's own dispatch entry.
pub async fn put_dispatch(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<DispatchForm>,
) -> Response {
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(Chrome::new(lang, Some(&session), "/staff/hotline/admin"));
    }
    let result = s
        .app
        .put_dispatch_override(
            &session.actor,
            f.category.trim(),
            f.region.trim(),
            f.lead_unit.trim(),
            words(&f.assisting),
        )
        .await;
    match result {
        Ok(()) => flash::redirect(
            "/staff/hotline/admin#dispatch",
            "已保存区县派单目录",
            "Saved the district's own dispatch entry",
        ),
        Err(e) => {
            let st = Shown {
                dispatch: f,
                ..Shown::default()
            };
            refused(&s, lang, &session, e, "dispatch", st).await
        }
    }
}

/// `POST /staff/hotline/admin/keys`: issue a key, shown this once.
pub async fn issue_key(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<KeyForm>,
) -> Response {
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(Chrome::new(lang, Some(&session), "/staff/hotline/admin"));
    }
    let per_minute = match f.per_minute.trim() {
        "" => Ok(sunshine_app::hotline::DEFAULT_PER_MINUTE),
        n => n.parse::<i64>().map_err(|_| {
            AppError::from(Refusal::field(
                "per_minute",
                "每分钟请求数应为整数",
                "Requests a minute is a whole number",
            ))
        }),
    };
    let result = match per_minute {
        Ok(n) => {
            s.app
                .issue_open311_key(
                    Some(&session.actor),
                    &f.client,
                    n,
                    f.may_comment_on_all.is_some(),
                )
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok((row, key)) => {
            let st = Shown {
                issued: Some((row.client, key)),
                ..Shown::default()
            };
            page(&s, lang, &session, st, StatusCode::CREATED).await
        }
        Err(e) => refused(&s, lang, &session, e, "key", Shown::default()).await,
    }
}

/// `POST /staff/hotline/admin/keys/{id}/revoke`.
pub async fn revoke_key(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(Chrome::new(lang, Some(&session), "/staff/hotline/admin"));
    }
    match s.app.revoke_open311_key(Some(&session.actor), id).await {
        Ok(()) => flash::redirect(
            "/staff/hotline/admin#keys",
            "密钥已吊销",
            "The key is revoked",
        ),
        Err(e) => refused(&s, lang, &session, e, "key", Shown::default()).await,
    }
}

/// `POST /staff/hotline/admin/units`: add a unit under a government.
pub async fn add_unit(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<UnitForm>,
) -> Response {
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(Chrome::new(lang, Some(&session), "/staff/hotline/admin"));
    }
    let body = crate::api::identity::NewUnitBody {
        code: f.code.clone(),
        name: f.name.clone(),
        name_en: f.name_en.clone(),
        kind: f.kind.clone(),
        parent: f.parent.clone(),
    };
    let result = match crate::api::identity::unit_of(&body) {
        Ok(unit) => s.app.add_unit(&session.actor, unit).await,
        Err(r) => Err(r.into()),
    };
    match result {
        Ok(u) => flash::redirect(
            "/staff/hotline/admin#units",
            format!("已添加单位「{}」", u.name),
            format!("Added the unit “{}”", u.name_en),
        ),
        Err(e) => {
            let st = Shown {
                unit: f,
                ..Shown::default()
            };
            refused(&s, lang, &session, e, "unit", st).await
        }
    }
}

/// `POST /staff/hotline/admin/units/rename`: rename a unit.
pub async fn rename_unit(
    State(s): State<AppState>,
    lang: Lang,
    StaffSession(session): StaffSession,
    Form(f): Form<UnitForm>,
) -> Response {
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(Chrome::new(lang, Some(&session), "/staff/hotline/admin"));
    }
    let result = match sunshine_domain::ids::OrgCode::parse(&f.code) {
        Ok(code) => {
            s.app
                .rename_unit(&session.actor, &code, &f.name, &f.name_en)
                .await
        }
        Err(_) => Err(Refusal::not_found("单位", "unit").into()),
    };
    match result {
        Ok(u) => flash::redirect(
            "/staff/hotline/admin#units",
            format!("单位已改名为「{}」", u.name),
            format!("The unit is now called “{}”", u.name_en),
        ),
        Err(e) => refused(&s, lang, &session, e, "rename", Shown::default()).await,
    }
}
