//! The three rates and what is overdue.

use crate::views::hotline::*;

use crate::error::{ApiError, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;
use axum::extract::State;
use axum::Json;

/// The hotline's indicators (三率 and overdue counts) over a span of days,
/// in all and per unit, district and category. Public: no request or
/// person is named.
#[utoipa::path(get, path = "/api/v1/hotline/indicators", tag = "hotline", params(IndicatorQuery),
    responses((status = 200, body = IndicatorTableView), (status = 422, body = ErrorBody)))]
pub async fn indicators(
    State(s): State<AppState>,
    lang: Lang,
    ApiQuery(q): ApiQuery<IndicatorQuery>,
) -> Result<Json<IndicatorTableView>, ApiError> {
    indicators_of(&s, &q, lang)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_app(e, lang))
}
