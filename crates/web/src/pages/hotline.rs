//! Hotline pages: the public dashboard of the three rates and overdue
//! requests per unit, district and category (no caller on it); the
//! operators' and units' workbench; a citizen's requests; the kiosk; the
//! knowledge base and the services near a home. Every page says what people
//! say: names, not codes; moments and distances as people read them.

pub mod admin;
mod community;
mod console;
mod dashboard;
mod intake;
mod kiosk;
mod knowledge;
mod mine;
mod ticket;

pub use community::*;
pub use console::*;
pub use dashboard::*;
pub use kiosk::*;
pub use knowledge::*;
pub use mine::*;
pub use ticket::*;

use super::fmt;
use crate::i18n::Lang;
use crate::AppState;
use axum::http::StatusCode;
use std::sync::Arc;
use sunshine_app::hotline::{CategoryRow, TicketRow};
use sunshine_app::{AppError, OrgDirectory};
use sunshine_domain::identity::Organisation;

/// The status a refusal answers with.
fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Refused(r) => crate::error::status_of(r.kind),
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Organisations of some kinds, for a select.
pub(super) fn org_choices(
    s: &AppState,
    lang: Lang,
    keep: impl Fn(&Organisation) -> bool,
) -> Vec<(String, String)> {
    s.app
        .orgs()
        .list
        .iter()
        .filter(|o| keep(o))
        .map(|o| {
            (
                o.code.to_string(),
                lang.pick(&o.name, &o.name_en).to_string(),
            )
        })
        .collect()
}

/// What a page needs to name things: categories and organisations.
struct Names {
    lang: Lang,
    categories: Vec<CategoryRow>,
    orgs: Arc<OrgDirectory>,
}

impl Names {
    async fn load(s: &AppState, lang: Lang) -> sunshine_app::Result<Names> {
        Ok(Names {
            lang,
            categories: s.app.hotline_categories(false).await?,
            orgs: s.app.orgs(),
        })
    }
    fn category_row(&self, code: &str) -> Option<&CategoryRow> {
        self.categories.iter().find(|k| k.code == code)
    }
    fn category(&self, code: &str) -> String {
        self.category_row(code).map_or_else(
            || self.lang.pick("其他", "Other").to_string(),
            |k| self.lang.pick(&k.name, &k.name_en).to_string(),
        )
    }
    fn unit(&self, code: &str) -> String {
        self.orgs.get(code).map_or_else(
            || self.lang.pick("未知单位", "Unknown unit").to_string(),
            |o| self.lang.pick(&o.name, &o.name_en).to_string(),
        )
    }
    fn in_force(&self) -> Vec<CategoryRow> {
        self.categories
            .iter()
            .filter(|k| k.active)
            .cloned()
            .collect()
    }
    fn line(&self, t: &TicketRow, now: jiff::Timestamp, href: &str) -> Line {
        let l = &t.lifecycle;
        Line {
            id: t.id,
            href: format!("{href}/{}", t.id),
            number: t.number(),
            category: self.category(&t.category),
            state: l.state.as_str(),
            state_name: l.state.label().get(self.code()).to_string(),
            deadline: l.next_deadline().map(|us| fmt::when(self.lang, us)),
            overdue: l.is_overdue(now),
            description: t.description.clone(),
        }
    }
    fn code(&self) -> &'static str {
        if self.lang.is_en() {
            "en"
        } else {
            "zh-CN"
        }
    }
}
