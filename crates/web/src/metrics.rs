//! Prometheus metrics: requests by route and status, and their latency.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::i18n::Lang;
use crate::AppState;

fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // One global recorder per process; a second server in the same process shares it.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

pub async fn track(req: Request, next: Next) -> Response {
    let _ = handle();
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    response
}

/// `/metrics` on the main listener: only with `Authorization: Bearer` and
/// the configured token; without a token configured, or with a wrong one,
/// it is not there.
pub async fn render_with_token(
    State(s): State<AppState>,
    lang: Lang,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    match &s.guard.config.metrics_token {
        Some(token) if crate::auth::same_secret(given, token) => render().await.into_response(),
        _ => crate::pages::not_found(lang, uri).await,
    }
}

/// The metrics alone, for a listener of their own (`--metrics-listen`),
/// which only the monitoring network should reach.
pub fn router() -> axum::Router {
    axum::Router::new().route("/metrics", axum::routing::get(render))
}

pub async fn render() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle().render(),
    )
}
