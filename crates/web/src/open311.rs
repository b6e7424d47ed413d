//! Open311 GeoReport v2 at `/open311/v2`: discovery, services and their
//! definitions, posting and reading service requests, tokens, and
//! mySociety's `servicerequestupdates`, each as `.xml` (mandatory) or
//! `.json`. Errors are the standard's: `<errors><error><code/><description/>`
//! or `[{"code", "description"}]`, with 400, 403 or 404.
//!
//! Every answer is built once as a [`Node`] tree and written in either
//! format, so the two can never say different things.

mod format;
mod requests;
mod services;

use format::*;
use requests::*;
use services::*;

use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;
use jiff::Timestamp;
use sunshine_app::hotline::KeyRow;

/// The one jurisdiction this endpoint serves.
pub const JURISDICTION: &str = "hangzhou.gov.cn";
/// The most requests one answer lists.
const MAX_PAGE: i64 = 1000;
/// With no dates, a list covers this many days back.
const DEFAULT_DAYS: i64 = 90;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(top).post(post_top))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
}

/// A jurisdiction other than ours is not found; none is ours.
fn check_jurisdiction(format: Format, p: &Params) -> Result<(), Open311Error> {
    match p.get("jurisdiction_id") {
        Some(j) if j != JURISDICTION => Err(Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("jurisdiction_id {j} not found"),
        )),
        _ => Ok(()),
    }
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/open311/v2/")
}

async fn top(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let (name, format) = split(&file)?;
    let p = Params::parse(query.unwrap_or_default().as_bytes());
    check_jurisdiction(format, &p)?;
    match name {
        "discovery" => Ok(discovery(format, &headers)),
        "services" => services(&state, format).await,
        "requests" => list_requests(&state, format, &p).await,
        "servicerequestupdates" => list_updates(&state, format, &p).await,
        _ => Err(Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("no resource {name}"),
        )),
    }
}

async fn post_top(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (name, format) = split(&file)?;
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(Open311Error::new(
            format,
            StatusCode::BAD_REQUEST,
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    // A key in the query string counts as well as one in the form.
    let mut p = Params::parse(&body);
    p.0.extend(Params::parse(query.unwrap_or_default().as_bytes()).0);
    check_jurisdiction(format, &p)?;
    let client = client(&state, format, &p).await?;
    match name {
        "requests" => post_request(&state, format, &p, client.client).await,
        "servicerequestupdates" => post_update(&state, format, &p, client).await,
        _ => Err(Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("no resource {name} takes a POST"),
        )),
    }
}

/// Each key's count of POSTs in the current minute, in this process.
static WINDOWS: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<i64, (i64, i64)>>> =
    std::sync::LazyLock::new(Default::default);

/// Whether a key has room for one more POST this minute; if not, the
/// seconds until the next minute begins.
fn admit(key: &KeyRow, now: Timestamp) -> Result<(), i64> {
    let second = now.as_second();
    let minute = second.div_euclid(60);
    let mut windows = WINDOWS.lock().unwrap_or_else(|p| p.into_inner());
    let window = windows.entry(key.id).or_insert((minute, 0));
    if window.0 != minute {
        *window = (minute, 0);
    }
    if window.1 >= key.per_minute {
        return Err(60 - second.rem_euclid(60));
    }
    window.1 += 1;
    Ok(())
}

/// The client system a valid `api_key` belongs to, if its rate allows one
/// more request now.
async fn client(state: &AppState, format: Format, p: &Params) -> Result<KeyRow, Open311Error> {
    let Some(key) = p.get("api_key") else {
        return Err(Open311Error::new(
            format,
            StatusCode::FORBIDDEN,
            "api_key was not provided",
        ));
    };
    match state.app.open311_client(key).await {
        Ok(Some(k)) => match admit(&k, state.app.clock.now()) {
            Ok(()) => Ok(k),
            Err(retry_after) => Err(Open311Error {
                retry_after: Some(retry_after),
                ..Open311Error::new(
                    format,
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("this api_key may make {} requests a minute; please try again in {retry_after} s", k.per_minute),
                )
            }),
        },
        Ok(None) => Err(Open311Error::new(
            format,
            StatusCode::FORBIDDEN,
            "api_key is invalid",
        )),
        Err(e) => Err(Open311Error::from_app(format, e)),
    }
}

#[cfg(test)]
mod form_fuzz {
    //! The Open311 form parser, fed any bytes a client might post: it never
    //! panics, keeps no empty value, and reads back every well-formed pair.
    use super::Params;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_bytes_parse_and_no_empty_value_is_kept(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
            let p = Params::parse(&raw);
            prop_assert!(p.0.iter().all(|(_, v)| !v.is_empty()));
            let _ = p.attributes();
        }

        #[test]
        fn encoded_pairs_read_back_as_given(
            pairs in proptest::collection::vec(("[a-z_]{1,12}|attribute\\[[a-z]{1,6}\\](\\[\\])?", "\\PC{1,20}"), 0..8),
        ) {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                form.append_pair(k, v);
            }
            let p = Params::parse(form.finish().as_bytes());
            for (k, v) in pairs.iter().filter(|(_, v)| !v.trim().is_empty()) {
                prop_assert!(p.0.iter().any(|(pk, pv)| pk == k && pv == v.trim()), "{} = {:?}", k, v);
            }
            let attributes = p.attributes();
            for (k, _) in pairs.iter().filter(|(k, v)| k.starts_with("attribute[") && !v.trim().is_empty()) {
                let code = k.trim_start_matches("attribute[").trim_end_matches("[]").trim_end_matches(']');
                prop_assert!(attributes.contains_key(code), "{}", code);
            }
        }
    }
}
