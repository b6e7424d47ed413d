//! Posting and reading service requests, tokens, and mySociety's updates.

use super::*;

use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use std::collections::BTreeMap;
use sunshine_app::hotline::{iso, NewRequest, Source};
use sunshine_app::hotline::{CategoryRow, KeyRow, TicketFilter, TicketRow, UpdateRow};
use sunshine_app::AppError;
use sunshine_domain::clock::to_micros;
use sunshine_domain::hotline::open311::{public_place, public_text, states_for_status, status};
use sunshine_domain::hotline::{TicketState, MAX_DESCRIPTION};

pub(super) fn bad(format: Format, description: impl Into<String>) -> Open311Error {
    Open311Error::new(format, StatusCode::BAD_REQUEST, description)
}

pub(super) fn number(format: Format, p: &Params, key: &str) -> Result<Option<f64>, Open311Error> {
    p.get(key)
        .map(|v| {
            v.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| bad(format, format!("{key} is not a number")))
        })
        .transpose()
}

pub(super) async fn post_request(
    state: &AppState,
    format: Format,
    p: &Params,
    client: String,
) -> Answer {
    let Some(service_code) = p.owned("service_code") else {
        return Err(bad(format, "service_code was not provided"));
    };
    let (lat, long) = (number(format, p, "lat")?, number(format, p, "long")?);
    let address = p.owned("address_string").or_else(|| p.owned("address_id"));
    if (lat.is_none() || long.is_none()) && address.is_none() {
        return Err(bad(
            format,
            "a location is required: lat and long, address_string or address_id",
        ));
    }
    let description = p.owned("description").unwrap_or_default();
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(bad(
            format,
            format!("description is longer than {MAX_DESCRIPTION} characters"),
        ));
    }
    let Ok(category) = state.app.hotline_category(&service_code).await else {
        return Err(Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("service_code {service_code} not found"),
        ));
    };
    let name = [p.get("first_name"), p.get("last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let request = NewRequest {
        category: service_code,
        description,
        lat: lat.filter(|_| long.is_some()),
        lon: long.filter(|_| lat.is_some()),
        address,
        district: None,
        caller_name: Some(name).filter(|n| !n.is_empty()),
        caller_phone: p.owned("phone"),
        email: p.owned("email"),
        device_id: p.owned("device_id"),
        account_id: p.owned("account_id"),
        media_url: p.owned("media_url"),
        answers: p.attributes(),
    };
    let taken = state
        .app
        .take_request(Source::Client(client), request)
        .await
        .map_err(|e| Open311Error::from_app(format, e))?;
    let t = &taken.ticket;
    let node = Node::List(
        "request",
        vec![Node::Object(vec![
            ("service_request_id", text(t.id.to_string())),
            ("token", text(&t.token)),
            ("service_notice", text(service_notice(&category))),
            ("account_id", opt(t.account_id.clone())),
        ])],
    );
    Ok(respond(
        format,
        StatusCode::CREATED,
        "service_requests",
        &node,
    ))
}

pub(super) async fn token(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let (token, format) = split(&file)?;
    check_jurisdiction(format, &Params::parse(query.unwrap_or_default().as_bytes()))?;
    let t = state
        .app
        .ticket_by_token(token)
        .await
        .map_err(|_| Open311Error::new(format, StatusCode::NOT_FOUND, "token not found"))?;
    let node = Node::List(
        "request",
        vec![Node::Object(vec![
            ("service_request_id", text(t.id.to_string())),
            ("token", text(token)),
        ])],
    );
    Ok(respond(format, StatusCode::OK, "service_requests", &node))
}

pub(super) fn parse_time(
    format: Format,
    p: &Params,
    key: &str,
) -> Result<Option<Timestamp>, Open311Error> {
    p.get(key)
        .map(|v| {
            v.parse::<Timestamp>().map_err(|_| {
                bad(
                    format,
                    format!("{key} is not an ISO 8601 date and time with a zone"),
                )
            })
        })
        .transpose()
}

pub(super) fn positive(format: Format, p: &Params, key: &str) -> Result<Option<i64>, Open311Error> {
    p.get(key)
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| bad(format, format!("{key} is not a positive whole number")))
        })
        .transpose()
}

pub(super) async fn list_requests(state: &AppState, format: Format, p: &Params) -> Answer {
    let (page, page_size) = (
        positive(format, p, "page")?.unwrap_or(1),
        positive(format, p, "page_size")?.unwrap_or(MAX_PAGE),
    );
    if page_size > MAX_PAGE {
        return Err(bad(format, format!("page_size is at most {MAX_PAGE}")));
    }
    let mut filter = TicketFilter {
        own_only: true,
        limit: page_size,
        offset: (page - 1).saturating_mul(page_size),
        ..Default::default()
    };
    if let Some(ids) = p.get("service_request_id") {
        // Ids given override every other filter.
        filter.ids = ids
            .split(',')
            .map(|s| {
                s.trim().parse::<i64>().map_err(|_| {
                    bad(
                        format,
                        format!("service_request_id {s} is not a request id"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
    } else {
        if let Some(codes) = p.get("service_code") {
            filter.categories = codes
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(statuses) = p.get("status") {
            for s in statuses.split(',') {
                let states = states_for_status(s.trim())
                    .ok_or_else(|| bad(format, format!("status {s} is neither open nor closed")))?;
                filter.states.extend(states);
            }
        }
        let (start, end) = (
            parse_time(format, p, "start_date")?,
            parse_time(format, p, "end_date")?,
        );
        let span = jiff::SignedDuration::from_hours(24 * DEFAULT_DAYS);
        let now = state.app.clock.now();
        let (from, until) = match (start, end) {
            (Some(s), Some(e)) => (s, e),
            (Some(s), None) => (s, now),
            (None, Some(e)) => (e.saturating_sub(span).unwrap_or(e), e),
            (None, None) => (now.saturating_sub(span).unwrap_or(now), now),
        };
        if from > until {
            return Err(bad(format, "start_date is after end_date"));
        }
        filter.from = Some(to_micros(from));
        filter.until = Some(to_micros(until));
    }
    let list = state
        .app
        .tickets(filter)
        .await
        .map_err(|e| Open311Error::from_app(format, e))?;
    let node = requests_node(state, &list)
        .await
        .map_err(|e| Open311Error::from_app(format, e))?;
    Ok(respond(format, StatusCode::OK, "service_requests", &node))
}

pub(super) async fn one_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let (id, format) = split(&file)?;
    check_jurisdiction(format, &Params::parse(query.unwrap_or_default().as_bytes()))?;
    let not_found = || {
        Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("service_request_id {id} not found"),
        )
    };
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let t = state.app.ticket(id).await.map_err(|_| not_found())?;
    let node = requests_node(&state, std::slice::from_ref(&t))
        .await
        .map_err(|e| Open311Error::from_app(format, e))?;
    Ok(respond(format, StatusCode::OK, "service_requests", &node))
}

/// Requests as the public may see them: never the caller's name, phone,
/// e-mail or account.
pub(super) async fn requests_node(state: &AppState, list: &[TicketRow]) -> Result<Node, AppError> {
    let categories: BTreeMap<String, CategoryRow> = state
        .app
        .hotline_categories(false)
        .await?
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect();
    let orgs = state.app.orgs();
    let ids: Vec<i64> = list.iter().map(|t| t.id).collect();
    let notes = state.app.ticket_status_notes(&ids).await?;
    let mut items = Vec::with_capacity(list.len());
    for t in list {
        let category = categories.get(&t.category);
        // A category that cannot be found is treated as about a person.
        let place = public_place(
            category.is_none_or(|c| c.personal),
            t.lat,
            t.lon,
            t.address.as_deref(),
        );
        let lead = t.lifecycle.lead.as_ref().map(|u| {
            orgs.get(u.as_str())
                .map_or(u.to_string(), |o| o.name.clone())
        });
        let expected = t.lifecycle.next_deadline().or(t
            .lifecycle
            .answer_due
            .map(sunshine_domain::hotline::answer_deadline));
        let shown_state = if t.state() == TicketState::Merged {
            TicketState::Accepted
        } else {
            t.state()
        };
        items.push(Node::Object(vec![
            ("service_request_id", text(t.id.to_string())),
            ("status", text(status(shown_state))),
            (
                "status_notes",
                opt(notes.get(&t.id).map(|n| public_text(n).into_owned())),
            ),
            ("service_name", opt(category.map(|c| c.name.clone()))),
            ("service_code", text(&t.category)),
            ("description", text(public_text(&t.description))),
            ("agency_responsible", opt(lead)),
            ("service_notice", opt(category.map(service_notice))),
            ("requested_datetime", text(iso(t.requested_at))),
            ("updated_datetime", text(iso(t.updated_at))),
            ("expected_datetime", opt(expected.map(iso))),
            ("address", opt(place.address)),
            ("address_id", Node::Null),
            ("zipcode", Node::Null),
            ("lat", place.lat.map_or(Node::Null, Node::Float)),
            ("long", place.long.map_or(Node::Null, Node::Float)),
            ("media_url", opt(t.media_url.clone())),
        ]));
    }
    Ok(Node::List("request", items))
}

pub(super) fn update_node(u: &UpdateRow) -> Node {
    Node::Object(vec![
        ("update_id", text(u.id.to_string())),
        ("service_request_id", text(u.ticket_id.to_string())),
        ("status", text(status(u.state))),
        ("updated_datetime", text(iso(u.at))),
        ("description", text(public_text(&u.text))),
        ("media_url", Node::Null),
    ])
}

pub(super) async fn list_updates(state: &AppState, format: Format, p: &Params) -> Answer {
    let now = state.app.clock.now();
    let (start, end) = (
        parse_time(format, p, "start_date")?,
        parse_time(format, p, "end_date")?,
    );
    let until = end.unwrap_or(now);
    let from = start.unwrap_or(
        until
            .saturating_sub(jiff::SignedDuration::from_hours(24))
            .unwrap_or(until),
    );
    if from > until {
        return Err(bad(format, "start_date is after end_date"));
    }
    let list = state
        .app
        .ticket_updates_between(to_micros(from), to_micros(until), MAX_PAGE)
        .await
        .map_err(|e| Open311Error::from_app(format, e))?;
    let node = Node::List("request_update", list.iter().map(update_node).collect());
    Ok(respond(
        format,
        StatusCode::OK,
        "service_request_updates",
        &node,
    ))
}

pub(super) async fn post_update(
    state: &AppState,
    format: Format,
    p: &Params,
    client: KeyRow,
) -> Answer {
    let id = p
        .get("service_request_id")
        .ok_or_else(|| bad(format, "service_request_id was not provided"))?
        .parse::<i64>()
        .map_err(|_| {
            Open311Error::new(
                format,
                StatusCode::NOT_FOUND,
                "service_request_id not found",
            )
        })?;
    let description = p
        .get("description")
        .ok_or_else(|| bad(format, "description was not provided"))?;
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(bad(
            format,
            format!("description is longer than {MAX_DESCRIPTION} characters"),
        ));
    }
    let u = state
        .app
        .comment_on_ticket(&client, id, description, p.get("media_url"))
        .await
        .map_err(|e| Open311Error::from_app(format, e))?;
    let node = Node::List(
        "request_update",
        vec![Node::Object(vec![("update_id", text(u.id.to_string()))])],
    );
    Ok(respond(
        format,
        StatusCode::OK,
        "service_request_updates",
        &node,
    ))
}
