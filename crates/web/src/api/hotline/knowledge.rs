//! The knowledge base.

use crate::views::hotline::*;

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_app::hotline::iso;
use sunshine_domain::refusal::Refusal;
use utoipa::ToSchema;

/// An article of the knowledge base.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleView {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub category: Option<String>,
    pub version: i64,
    pub updated_at: String,
    /// How well it answers the question asked (BM25), in a search.
    pub score: Option<f64>,
}

pub fn article_view(a: sunshine_app::hotline::ArticleRow, score: Option<f64>) -> ArticleView {
    ArticleView {
        id: a.id,
        title: a.title,
        body: a.body,
        category: a.category,
        version: a.version,
        updated_at: iso(a.updated_at),
        score,
    }
}

/// Search the knowledge base: articles answering a question, best first.
#[utoipa::path(get, path = "/api/v1/hotline/knowledge", tag = "hotline", params(KnowledgeQuery),
    responses((status = 200, body = [ArticleView])))]
pub async fn search_knowledge(
    State(s): State<AppState>,
    lang: Lang,
    ApiQuery(q): ApiQuery<KnowledgeQuery>,
) -> Result<Json<Vec<ArticleView>>, ApiError> {
    let found = s
        .app
        .search_knowledge(
            q.q.as_deref().unwrap_or(""),
            q.limit.unwrap_or(10).clamp(1, 50),
        )
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(
        found
            .into_iter()
            .map(|(a, score)| article_view(a, Some(score)))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ArticleBody {
    pub title: String,
    pub body: String,
    /// The category (service code) it answers.
    pub category: Option<String>,
}

fn new_article(b: ArticleBody) -> sunshine_app::hotline::NewArticle {
    sunshine_app::hotline::NewArticle {
        title: b.title,
        body: b.body,
        category: b.category,
    }
}

/// Write a new article (operators and administrators of the hotline).
#[utoipa::path(post, path = "/api/v1/hotline/knowledge", tag = "hotline", request_body = ArticleBody, security(("bearer" = [])),
    responses((status = 201, body = ArticleView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_article(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<ArticleBody>,
) -> Result<(StatusCode, Json<ArticleView>), ApiError> {
    let a = s
        .app
        .put_article(&actor, 0, new_article(b))
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok((StatusCode::CREATED, Json(article_view(a, None))))
}

/// One article.
#[utoipa::path(get, path = "/api/v1/hotline/knowledge/{id}", tag = "hotline", params(("id" = i64, Path)),
    responses((status = 200, body = ArticleView), (status = 404, body = ErrorBody)))]
pub async fn get_article(
    State(s): State<AppState>,
    lang: Lang,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ArticleView>, ApiError> {
    let a = s
        .app
        .article(id)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(article_view(a, None)))
}

/// Rewrite an article as its next version.
#[utoipa::path(put, path = "/api/v1/hotline/knowledge/{id}", tag = "hotline", params(("id" = i64, Path)), request_body = ArticleBody, security(("bearer" = [])),
    responses((status = 200, body = ArticleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_article(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ArticleBody>,
) -> Result<Json<ArticleView>, ApiError> {
    if id <= 0 {
        return Err(ApiError::from_refusal(
            &Refusal::not_found("知识库条目", "Article"),
            lang,
        ));
    }
    let a = s
        .app
        .put_article(&actor, id, new_article(b))
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(article_view(a, None)))
}
