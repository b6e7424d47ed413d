//! The services near a home.

use crate::auth::MaybeSession;
use crate::i18n::Lang;
use crate::pages::{error_page, fmt, render, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use sunshine_app::AppError;

/// A service near a home, as shown.
pub(super) struct Service {
    pub(super) name: String,
    pub(super) kind: &'static str,
    pub(super) kind_name: &'static str,
    pub(super) address: String,
    pub(super) phone: String,
    pub(super) hours: String,
    pub(super) distance: String,
}

#[derive(Template)]
#[template(path = "hotline/nearby.html")]
struct NearbyPage {
    pub(super) c: Chrome,
    pub(super) address: String,
    pub(super) kind: String,
    pub(super) kinds: Vec<(&'static str, &'static str)>,
    /// What was refused, by field (`address`, `kind`), and the whole reason.
    pub(super) problems: BTreeMap<String, String>,
    pub(super) found: Option<Vec<Service>>,
}

impl NearbyPage {
    pub(super) fn is(&self, a: &str, b: &str) -> bool {
        a == b
    }
}

/// `/hotline/nearby?address=`: the services around a home, nearest first;
/// an address the gazetteer does not know is said beside the field.
pub async fn nearby(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<crate::views::hotline::NearbyQuery>,
) -> Response {
    use sunshine_domain::hotline::community::ServiceKind;
    let c = Chrome::new(lang, session.as_ref(), "/hotline/nearby");
    let address = q.address.clone().unwrap_or_default();
    let mut problems = BTreeMap::new();
    let mut status = StatusCode::OK;
    let found = if address.trim().is_empty() && q.lat.is_none() {
        None
    } else {
        match crate::views::hotline::nearby_of(&s, &q).await {
            Ok(v) => Some(
                v.services
                    .into_iter()
                    .map(|sv| {
                        let kind = ServiceKind::parse(&sv.kind);
                        Service {
                            kind: kind.map_or("", |k| k.as_str()),
                            kind_name: kind.map_or("", |k| lang.pick(k.label_zh(), k.label_en())),
                            name: sv.name,
                            address: sv.address,
                            phone: sv.phone,
                            hours: sv.hours,
                            distance: fmt::distance(lang, sv.distance_m),
                        }
                    })
                    .collect(),
            ),
            Err(AppError::Refused(r)) => {
                status = crate::error::status_of(r.kind);
                let code = c.code();
                for (field, text) in &r.fields {
                    let on = if field == "kind" { "kind" } else { "address" };
                    problems.insert(on.to_string(), text.get(code).to_string());
                }
                if problems.is_empty() {
                    problems.insert("address".into(), r.message.get(code).to_string());
                }
                None
            }
            Err(e) => return error_page(c, e),
        }
    };
    let page = NearbyPage {
        address,
        kind: q.kind.unwrap_or_default(),
        kinds: ServiceKind::ALL
            .iter()
            .map(|k| (k.as_str(), lang.pick(k.label_zh(), k.label_en())))
            .collect(),
        problems,
        found,
        c,
    };
    (status, render(&page)).into_response()
}
