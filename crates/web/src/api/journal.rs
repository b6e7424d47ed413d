//! `/api/v1/journal`: consumers read after their cursor; administrators verify the chain.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sunshine_app::journal::Verification;
use sunshine_domain::journal::Entry;
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiQuery, ErrorBody};
use crate::i18n::Lang;
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CursorQuery {
    /// Read the entries after this sequence number (0 for the start).
    pub after: Option<i64>,
    /// At most this many, 1 to 1000 (default 100).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JournalEntry {
    pub seq: i64,
    /// Microseconds since the Unix epoch, UTC.
    pub at: i64,
    pub actor: String,
    pub org: String,
    pub subject: String,
    pub event_type: String,
    /// The payload as stored (JSON text), so that hashes can be recomputed.
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JournalPage {
    pub entries: Vec<JournalEntry>,
    /// Pass as `after` to read on.
    pub next_cursor: i64,
}

/// Read the journal after a cursor, in order.
#[utoipa::path(get, path = "/api/v1/journal", tag = "journal", params(CursorQuery), security(("bearer" = [])),
    responses((status = 200, body = JournalPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn read(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<CursorQuery>,
) -> Result<Json<JournalPage>, ApiError> {
    let after = q.after.unwrap_or(0);
    let entries = s
        .app
        .journal_after(&actor, after, q.limit.unwrap_or(100))
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    let next_cursor = entries.last().map(|e| e.seq).unwrap_or(after);
    Ok(Json(JournalPage {
        entries: entries
            .into_iter()
            .map(|e: Entry| JournalEntry {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                org: e.org,
                subject: e.subject,
                event_type: e.event_type,
                payload: e.payload,
                prev_hash: e.prev_hash,
                hash: e.hash,
            })
            .collect(),
        next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyReport {
    pub intact: bool,
    pub entries: u64,
    /// The first entry whose link does not hold.
    pub broken_at: Option<i64>,
    pub reason: Option<String>,
}

/// Walk the hash chain and report the first broken link.
#[utoipa::path(get, path = "/api/v1/journal/verify", tag = "journal", security(("bearer" = [])),
    responses((status = 200, body = VerifyReport), (status = 403, body = ErrorBody)))]
pub async fn verify(
    State(s): State<AppState>,
    lang: Lang,
    ApiActor(actor): ApiActor,
) -> Result<Json<VerifyReport>, ApiError> {
    s.app
        .authorize(&actor, &sunshine_domain::policy::Action::ReadJournal)
        .map_err(|e| ApiError::from_app(e, lang))?;
    let v = s
        .app
        .verify_journal()
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(match v {
        Verification::Intact { entries } => VerifyReport {
            intact: true,
            entries,
            broken_at: None,
            reason: None,
        },
        Verification::Broken(b) => VerifyReport {
            intact: false,
            entries: 0,
            broken_at: Some(b.seq),
            reason: Some(b.reason),
        },
    }))
}
