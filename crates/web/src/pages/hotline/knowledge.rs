//! The knowledge base page.

use super::*;

use crate::auth::MaybeSession;
use crate::i18n::Lang;
use crate::pages::{error_page, refusal_message, render, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sunshine_app::AppError;

#[derive(Template)]
#[template(path = "hotline/knowledge.html")]
struct KnowledgePage {
    pub(super) c: Chrome,
    pub(super) q: String,
    pub(super) problem: Option<String>,
    pub(super) answers: Vec<Article>,
}

/// `/hotline/knowledge?q=`: the knowledge base for citizens, searched by words.
pub async fn knowledge(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<crate::views::hotline::KnowledgeQuery>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/hotline/knowledge");
    let question = q.q.unwrap_or_default();
    let answers = if question.trim().is_empty() {
        Ok(vec![])
    } else {
        s.app.search_knowledge(&question, 10).await
    };
    let (answers, problem, status) = match answers {
        Ok(found) => (found, None, StatusCode::OK),
        Err(e @ AppError::Refused(_)) => {
            let m = refusal_message(&c, &e);
            (vec![], m, status_of(&e))
        }
        Err(e) => return error_page(c, e),
    };
    let page = KnowledgePage {
        answers: answers.into_iter().map(|(a, _)| article(a)).collect(),
        q: question,
        problem,
        c,
    };
    (status, render(&page)).into_response()
}
