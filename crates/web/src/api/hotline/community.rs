//! The services near a home, and what helps an operator take a call.

use super::*;
use crate::views::hotline::*;

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Community services, housekeeping-alliance providers and elderly care
/// around a home address or a point, nearest first (within 5 km).
#[utoipa::path(get, path = "/api/v1/hotline/nearby", tag = "hotline", params(NearbyQuery),
    responses((status = 200, body = NearbyView), (status = 422, body = ErrorBody)))]
pub async fn nearby(
    State(s): State<AppState>,
    lang: Lang,
    ApiQuery(q): ApiQuery<NearbyQuery>,
) -> Result<Json<NearbyView>, ApiError> {
    nearby_of(&s, &q)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct AssistQuery {
    /// The caller's phone number.
    pub phone: Option<String>,
    /// What the caller says.
    pub said: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssistView {
    /// The caller's earlier requests, newest first.
    pub history: Vec<TicketView>,
    /// Categories their words suggest, best first.
    pub categories: Vec<String>,
    /// Answers from the knowledge base, best first.
    pub answers: Vec<ArticleView>,
}

/// Help with a call (operators): the caller's earlier requests by phone,
/// the categories their words suggest, and answers from the knowledge base.
#[utoipa::path(get, path = "/api/v1/hotline/assist", tag = "hotline", params(AssistQuery), security(("bearer" = [])),
    responses((status = 200, body = AssistView), (status = 403, body = ErrorBody)))]
pub async fn assist(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<AssistQuery>,
) -> Result<Json<AssistView>, ApiError> {
    let a = s
        .app
        .assist_call(&actor, q.phone.as_deref(), q.said.as_deref().unwrap_or(""))
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let now = s.app.clock.now();
    Ok(Json(AssistView {
        history: a.history.into_iter().map(|t| ticket_view(t, now)).collect(),
        categories: a.categories,
        answers: a
            .answers
            .into_iter()
            .map(|(x, score)| article_view(x, Some(score)))
            .collect(),
    }))
}
