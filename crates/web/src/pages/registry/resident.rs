//! `/account/registry`: a resident's own population record, a request to
//! correct it, and what became of their requests.

use askama::Template;
use axum::extract::{Form, State};
use axum::response::Response;
use serde::Deserialize;
use sunshine_app::registry::CorrectionForm;

use super::super::{bad_token, error_page, flash, render, Chrome};
use super::records::{correctable, shown_value};
use crate::auth::{csrf_ok, SignedIn};
use crate::i18n::Lang;
use crate::AppState;

const PLACE: &str = "/account/registry";

pub struct AskedLine {
    pub asked: String,
    pub changes: String,
    pub reason: String,
    pub state: String,
    pub answer: String,
}

#[derive(Template)]
#[template(path = "registry/mine.html")]
struct MinePage {
    c: Chrome,
    /// (label, value) of each field, or none when the registry holds no record.
    fields: Vec<(String, String)>,
    held: bool,
    asked: Vec<AskedLine>,
    correctable: Vec<(String, String)>,
}

pub async fn page(State(s): State<AppState>, lang: Lang, SignedIn(session): SignedIn) -> Response {
    let c = Chrome::new(lang, Some(&session), PLACE);
    let mine = match s.app.my_registry(&session.actor).await {
        Ok(m) => m,
        Err(e) => return error_page(c, e),
    };
    let (fields, asked) = match &mine {
        None => (vec![], vec![]),
        Some(m) => (
            m.person
                .fields
                .iter()
                .map(|(f, v)| {
                    (
                        f.label().get(lang.code()).to_string(),
                        shown_value(&s, lang, *f, v),
                    )
                })
                .collect(),
            m.corrections
                .iter()
                .map(|r| AskedLine {
                    asked: c.when(&r.asked_at),
                    changes: r
                        .changes
                        .iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                    reason: r.reason.clone(),
                    state: match r.state.as_str() {
                        "accepted" => c.pick("已更正", "Corrected"),
                        "refused" => c.pick("未予更正", "Not corrected"),
                        _ => c.pick("待社区处理", "With your community"),
                    }
                    .to_string(),
                    answer: r.answer.clone().unwrap_or_default(),
                })
                .collect(),
        ),
    };
    render(&MinePage {
        held: mine.is_some(),
        correctable: correctable(lang),
        c,
        fields,
        asked,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct AskForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub column: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn ask(
    State(s): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    Form(f): Form<AskForm>,
) -> Response {
    let c = Chrome::new(lang, Some(&session), PLACE);
    if !csrf_ok(&session, &f.csrf) {
        return bad_token(c);
    }
    let form = CorrectionForm {
        changes: [(f.column, f.value)].into_iter().collect(),
        reason: f.reason,
    };
    match s.app.ask_registry_correction(&session.actor, form).await {
        Ok(_) => flash::redirect(
            PLACE,
            "更正申请已提交，社区工作者处理后您会在此看到结果",
            "Your request is sent: you will see your community's answer here",
        ),
        Err(e) => error_page(c, e),
    }
}
