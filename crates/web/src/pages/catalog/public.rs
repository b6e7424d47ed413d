//! The public portal: the catalogue and each item's guide.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use sunshine_app::catalog::VersionSummary;
use sunshine_domain::catalog::{ItemSpec, ItemType};

use crate::api::catalog::ListQuery;
use crate::auth::MaybeSession;
use crate::i18n::Lang;
use crate::pages::{error_page, opts, render, Chrome, Opt};
use crate::AppState;

/// A row of a catalogue list, ready to show.
pub struct Row {
    pub item_id: i64,
    pub id: i64,
    pub code: String,
    pub name: String,
    pub type_name: &'static str,
    pub department: String,
    pub region: String,
    pub state: String,
    pub state_code: &'static str,
    pub version_no: i64,
    pub effective_date: String,
}

pub fn rows(state: &AppState, lang: Lang, list: Vec<VersionSummary>) -> Vec<Row> {
    let orgs = state.app.orgs();
    list.into_iter()
        .map(|v| Row {
            item_id: v.item_id,
            id: v.id,
            type_name: lang.pick(v.item_type.name_zh(), v.item_type.name_en()),
            department: orgs.name(&v.implementing_body, lang.code()),
            region: orgs.name(&v.region, lang.code()),
            state: lang.pick(v.state.name_zh(), v.state.name_en()).to_string(),
            state_code: v.state.as_str(),
            code: v.code,
            name: v.name,
            version_no: v.version_no,
            effective_date: v.effective_date.unwrap_or_default(),
        })
        .collect()
}

/// Item types for a select box: (value, label).
pub fn type_options(lang: Lang) -> Vec<(&'static str, &'static str)> {
    ItemType::ALL
        .iter()
        .map(|t| (t.as_str(), lang.pick(t.name_zh(), t.name_en())))
        .collect()
}

#[derive(Template)]
#[template(path = "catalog/index.html")]
struct IndexPage {
    c: Chrome,
    types: Vec<Opt>,
    total: i64,
    latest: Vec<Row>,
}

pub async fn index(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/");
    let filter = sunshine_app::catalog::VersionFilter {
        limit: 8,
        ..Default::default()
    };
    match s.app.public_items(filter).await {
        Ok(p) => render(&IndexPage {
            types: opts(type_options(lang), ""),
            total: p.total,
            latest: rows(&s, lang, p.items),
            c,
        }),
        Err(e) => error_page(c, e),
    }
}

#[derive(Template)]
#[template(path = "catalog/list.html")]
struct CatalogPage {
    c: Chrome,
    q: String,
    types: Vec<Opt>,
    regions: Vec<Opt>,
    rows: Vec<Row>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
}

/// Links to the previous and next page of a list, keeping its filters.
pub fn paging(
    base: &str,
    query: &[(&str, &str)],
    offset: i64,
    limit: i64,
    total: i64,
) -> (Option<String>, Option<String>) {
    let qs: String = query
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}&", crate::auth::url_escape(v)))
        .collect();
    let link = |o: i64| format!("{base}?{qs}offset={o}");
    let prev = (offset > 0).then(|| link((offset - limit).max(0)));
    let next = (offset.saturating_add(limit) < total).then(|| link(offset.saturating_add(limit)));
    (prev, next)
}

/// Regions for a select box: the city and its districts and counties.
pub fn region_options(s: &AppState, lang: Lang) -> Vec<(String, String)> {
    s.app
        .orgs()
        .list
        .iter()
        .filter(|o| o.kind.is_government())
        .map(|o| {
            (
                o.code.to_string(),
                lang.pick(&o.name, &o.name_en).to_string(),
            )
        })
        .collect()
}

pub async fn catalog(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<ListQuery>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/catalog");
    let filter = match q.filter() {
        Ok(f) => f,
        Err(r) => return error_page(c, r.into()),
    };
    let (offset, limit) = (filter.offset, filter.limit);
    match s.app.public_items(filter).await {
        Ok(p) => {
            let qv = q.q.clone().unwrap_or_default();
            let tv = q.item_type.clone().unwrap_or_default();
            let rv = q.region.clone().unwrap_or_default();
            let (prev, next) = paging(
                "/catalog",
                &[("q", &qv), ("type", &tv), ("region", &rv)],
                offset,
                limit,
                p.total,
            );
            render(&CatalogPage {
                types: opts(type_options(lang), &tv),
                regions: opts(region_options(&s, lang), &rv),
                rows: rows(&s, lang, p.items),
                total: p.total,
                q: qv,
                prev,
                next,
                c,
            })
        }
        Err(e) => error_page(c, e),
    }
}

/// An item's contents, ready to show on a guide or a staff page.
pub struct SpecView {
    pub spec: ItemSpec,
    pub type_name: &'static str,
    pub level_name: &'static str,
    pub implementing: String,
    pub accepting: String,
    pub deciding: String,
    pub legal_limit: String,
    pub promised_limit: String,
}

impl SpecView {
    pub fn new(s: &AppState, lang: Lang, spec: ItemSpec) -> SpecView {
        let orgs = s.app.orgs();
        let limit = |l: sunshine_domain::catalog::TimeLimit| crate::pages::fmt::limit(lang, &l);
        SpecView {
            type_name: lang.pick(spec.item_type.name_zh(), spec.item_type.name_en()),
            level_name: match spec.level {
                sunshine_domain::catalog::Level::City => lang.pick("市级", "City"),
                sunshine_domain::catalog::Level::District => lang.pick("区县级", "District/county"),
            },
            implementing: orgs.name(spec.implementing_body.as_str(), lang.code()),
            accepting: orgs.name(spec.accepting_body.as_str(), lang.code()),
            deciding: orgs.name(spec.deciding_body.as_str(), lang.code()),
            legal_limit: limit(spec.legal_limit),
            promised_limit: limit(spec.promised_limit),
            spec,
        }
    }
    pub fn step_limit(&self, st: &sunshine_domain::catalog::Step, lang: &Lang) -> String {
        crate::pages::fmt::limit(*lang, &st.limit)
    }
}

#[derive(Template)]
#[template(path = "catalog/item.html")]
struct ItemPage {
    c: Chrome,
    item_id: i64,
    v: SpecView,
    version_no: i64,
    effective_date: String,
}

pub async fn item(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Path(item_id): Path<String>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), &format!("/catalog/{item_id}"));
    let Ok(item_id) = item_id.parse::<i64>() else {
        return error_page(
            c,
            sunshine_domain::Refusal::not_found("事项", "Item").into(),
        );
    };
    match s.app.public_item(item_id).await {
        Ok(v) => render(&ItemPage {
            item_id,
            version_no: v.version_no,
            effective_date: v.effective_date.map(|d| d.to_string()).unwrap_or_default(),
            v: SpecView::new(&s, lang, v.spec),
            c,
        }),
        Err(e) => error_page(c, e),
    }
}
