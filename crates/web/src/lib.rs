//! The web face: the JSON API under `/api/v1` with its OpenAPI document,
//! server-rendered pages (zh-CN by default, English on request) for the
//! public portal at `/` and the staff workbench under `/staff/`,
//! `/healthz` and `/metrics`. Handlers parse, call one app function, render.

pub mod api;
pub mod auth;
pub mod config;
pub mod cookies;
pub mod error;
pub mod guard;
pub mod i18n;
pub mod metrics;
pub mod open311;
pub mod pages;
pub mod shield;
pub mod uploads;
pub mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use sunshine_app::App;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use config::{Limits, Rate, WebConfig};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    /// The deployment's settings and the abuse limits' counters.
    pub guard: Arc<guard::Guard>,
}

/// Largest request body an extractor reads, unless its route says more (the
/// routes that take files allow `uploads::UPLOAD_BODY_LIMIT`): a catalogue
/// import of a few thousand items.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The whole HTTP surface, with the default settings.
pub fn router(app: Arc<App>) -> Router {
    router_with(app, WebConfig::default())
}

/// The whole HTTP surface, as `config` deploys it.
pub fn router_with(app: Arc<App>, config: WebConfig) -> Router {
    let guard = Arc::new(guard::Guard::new(Arc::new(config)));
    let state = AppState {
        app,
        guard: guard.clone(),
    };
    let (api, _openapi) = api::router();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render_with_token))
        .route("/static/app.css", get(stylesheet))
        .route("/static/board.js", get(pages::disclosure::script))
        .route("/static/page.js", get(pages::disclosure::page_script))
        .merge(api)
        .merge(open311::router())
        .merge(api::ckan::router())
        .merge(pages::router())
        .fallback(pages::not_found)
        .method_not_allowed_fallback(pages::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            guard.clone(),
            shield::same_origin_writes,
        ))
        .layer(axum::Extension(guard.clone()))
        .layer(axum::middleware::from_fn_with_state(
            guard,
            shield::security_headers,
        ))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::from_fn(
            refuse_control_characters_in_paths,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(uploads::UPLOAD_BODY_LIMIT))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A path with a control character (`%00`, `%0A`, …) names nothing we
/// serve: it is answered "not found" before any handler, so no store ever
/// sees it (PostgreSQL refuses a NUL in text, which would be a 500).
async fn refuse_control_characters_in_paths(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let encoded_control = path.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && matches!((w[1], w[2].to_ascii_lowercase()), (b'0' | b'1', b'0'..=b'9' | b'a'..=b'f') | (b'7', b'f'))
    });
    if encoded_control || path.bytes().any(|b| b.is_ascii_control()) {
        let lang = i18n::Lang::of(&parts);
        return pages::not_found(lang, parts.uri.clone()).await;
    }
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.app.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
}

/// Serve until the process is told to stop, with the default settings.
pub async fn serve(app: Arc<App>, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    serve_with(app, listener, WebConfig::default()).await
}

/// Serve as `config` deploys it until the process is told to stop. Each
/// request knows its socket peer, which the abuse limits count by.
pub async fn serve_with(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    config: WebConfig,
) -> anyhow::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    let stopping = {
        let app = app.clone();
        async move {
            shutdown_signal().await;
            // Live streams never end by themselves; end them so the shutdown can finish.
            app.close_live_streams();
        }
    };
    axum::serve(
        listener,
        router_with(app.clone(), config).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stopping)
    .await?;
    // The next start then replays nothing of the card ledger, and another
    // node takes the card engine's lease at once.
    if let Err(e) = app.stop_card_engine().await {
        tracing::error!(error = %e, "the card engine did not stop cleanly");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
