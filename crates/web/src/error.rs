//! Errors as the client sees them: `{"error": {"code", "message", "fields"}}`
//! with a 4xx status for anything the input caused, and a bare 500 with a
//! logged cause for anything else.

use std::collections::BTreeMap;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sunshine_app::AppError;
use sunshine_domain::refusal::{Refusal, RefusalKind};

use crate::i18n::Lang;

/// An API error, already in the client's language.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, for programs.
    pub code: String,
    /// For people, in the language asked for.
    pub message: String,
    /// The inputs at fault, each with its reason.
    pub fields: BTreeMap<String, String>,
}

pub fn status_of(kind: RefusalKind) -> StatusCode {
    match kind {
        RefusalKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        RefusalKind::Forbidden => StatusCode::FORBIDDEN,
        RefusalKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        RefusalKind::NotFound => StatusCode::NOT_FOUND,
        RefusalKind::Conflict => StatusCode::CONFLICT,
        RefusalKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl ApiError {
    pub fn from_refusal(r: &Refusal, lang: Lang) -> Self {
        ApiError {
            status: status_of(r.kind),
            body: ErrorBody {
                error: ErrorDetail {
                    code: r.code.to_string(),
                    message: r.message.get(lang.code()).to_string(),
                    fields: r.field_messages(lang.code()),
                },
            },
        }
    }

    pub fn from_app(e: AppError, lang: Lang) -> Self {
        match e {
            AppError::Refused(r) => Self::from_refusal(&r, lang),
            AppError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                Self::internal(lang)
            }
        }
    }

    pub fn internal(lang: Lang) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            body: ErrorBody {
                error: ErrorDetail {
                    code: "internal".into(),
                    message: lang
                        .pick(
                            "系统内部错误，请稍后再试",
                            "Internal error; please try again later",
                        )
                        .into(),
                    fields: BTreeMap::new(),
                },
            },
        }
    }

    /// A malformed request: 400 with the parser's reason.
    pub fn bad_request(code: &str, message: String) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: ErrorBody {
                error: ErrorDetail {
                    code: code.into(),
                    message,
                    fields: BTreeMap::new(),
                },
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let busy = self.status == StatusCode::SERVICE_UNAVAILABLE;
        let mut response = (self.status, Json(self.body)).into_response();
        if busy {
            // Busy, or served by another node for now: worth asking again soon.
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let mut e = ApiError::bad_request("bad_json", r.body_text());
        if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            e.status = status;
            e.body.error.code = "unsupported_media_type".into();
        } else if status == StatusCode::PAYLOAD_TOO_LARGE {
            e.status = status;
            e.body.error.code = "too_large".into();
        }
        e
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(r: axum::extract::rejection::BytesRejection) -> Self {
        let mut e = ApiError::bad_request("bad_body", r.body_text());
        e.status = r.status();
        if e.status == StatusCode::PAYLOAD_TOO_LARGE {
            e.body.error.code = "too_large".into();
        }
        e
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::bad_request("bad_query", r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::bad_request("bad_path", r.body_text())
    }
}

/// `axum::Json`, answering a bad body with our error shape.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// `axum::extract::Query`, answering a bad query with our error shape.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `axum::extract::Path`, answering a bad path with our error shape.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);
