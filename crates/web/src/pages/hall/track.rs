//! 办件查询: following a case or a bundle with its number and query code,
//! without signing in.

use super::*;

#[derive(Template)]
#[template(path = "hall/track.html")]
struct TrackPage {
    c: Chrome,
    number: String,
    code: String,
    error: String,
    found: Option<CaseLineView>,
    bundle: Option<TrackedBundle>,
}

/// A one-stop application followed with its number and query code.
pub struct TrackedBundle {
    pub outcome_code: &'static str,
    pub outcome: &'static str,
    pub rows: Vec<CaseLineView>,
}

#[derive(Deserialize)]
pub struct TrackQuery {
    number: Option<String>,
    code: Option<String>,
}

/// 办件查询: anyone with a case's number and query code sees its state,
/// with the applicant masked.
pub async fn track(
    State(s): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<TrackQuery>,
) -> Response {
    let c = Chrome::new(lang, session.as_ref(), "/hall/track");
    let (number, code) = (
        q.number.unwrap_or_default().trim().to_string(),
        q.code.unwrap_or_default().trim().to_string(),
    );
    if number.is_empty() && code.is_empty() {
        return render(&TrackPage {
            c,
            number,
            code,
            error: String::new(),
            found: None,
            bundle: None,
        });
    }
    if number.starts_with("YJS-") {
        // A one-stop application: its combined result and each case.
        let tracked = match s.app.track_bundle(&number, &code).await {
            Ok(a) => {
                let (outcome_code, outcome) = (
                    a.outcome.name(),
                    crate::pages::bundle::outcome_label(lang, a.outcome),
                );
                s.app
                    .with_item_names(a.cases)
                    .await
                    .map(|lines| TrackedBundle {
                        outcome_code,
                        outcome,
                        rows: line_views(&s, lang, lines),
                    })
            }
            Err(e) => Err(e),
        };
        return match tracked {
            Ok(b) => render(&TrackPage {
                c,
                number,
                code,
                error: String::new(),
                found: None,
                bundle: Some(b),
            }),
            Err(AppError::Refused(_)) => {
                let error = t(lang, "not_found_case").to_string();
                let page = TrackPage {
                    c,
                    number,
                    code,
                    error,
                    found: None,
                    bundle: None,
                };
                (StatusCode::NOT_FOUND, render(&page)).into_response()
            }
            Err(e) => error_page(c, e),
        };
    }
    let found = match s.app.track(&number, &code).await {
        Ok(case) => s.app.with_item_names(vec![case]).await,
        Err(e) => Err(e),
    };
    match found {
        Ok(lines) => {
            let found = line_views(&s, lang, lines).into_iter().next();
            render(&TrackPage {
                c,
                number,
                code,
                error: String::new(),
                found,
                bundle: None,
            })
        }
        Err(AppError::Refused(_)) => {
            let error = t(lang, "not_found_case").to_string();
            (
                StatusCode::NOT_FOUND,
                render(&TrackPage {
                    c,
                    number,
                    code,
                    error,
                    found: None,
                    bundle: None,
                }),
            )
                .into_response()
        }
        Err(e) => error_page(c, e),
    }
}
