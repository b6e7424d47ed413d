//! Discovery, the services and their definitions.

use super::*;

use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use sunshine_app::hotline::CategoryRow;

pub(super) fn discovery(format: Format, headers: &HeaderMap) -> Response {
    let changeset = "2026-11-29T00:00:00+08:00";
    let endpoint = Node::Object(vec![
        (
            "specification",
            text("http://wiki.open311.org/GeoReport_v2"),
        ),
        ("url", text(base_url(headers))),
        ("changeset", text(changeset)),
        ("type", text("production")),
        (
            "formats",
            Node::List("format", vec![text("text/xml"), text("application/json")]),
        ),
    ]);
    let node = Node::Object(vec![
        ("changeset", text(changeset)),
        (
            "contact",
            text("96345 杭州市民服务热线 (Hangzhou citizens' service hotline), tel. 96345"),
        ),
        (
            "key_service",
            text("API keys are issued to client systems by the city's administrators"),
        ),
        ("endpoints", Node::List("endpoint", vec![endpoint])),
    ]);
    respond(format, StatusCode::OK, "discovery", &node)
}

pub(super) fn service_node(c: &CategoryRow) -> Node {
    Node::Object(vec![
        ("service_code", text(&c.code)),
        ("service_name", text(&c.name)),
        ("description", text(&c.description)),
        (
            "metadata",
            Node::Bool(c.attributes.iter().any(|a| a.variable)),
        ),
        ("type", text("realtime")),
        ("keywords", text(c.keywords.join(","))),
        ("group", text(c.class.as_str())),
    ])
}

pub(super) async fn services(state: &AppState, format: Format) -> Answer {
    let list = state
        .app
        .hotline_categories(true)
        .await
        .map_err(|e| Open311Error::from_app(format, e))?;
    let node = Node::List("service", list.iter().map(service_node).collect());
    Ok(respond(format, StatusCode::OK, "services", &node))
}

pub(super) async fn service_definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let (code, format) = split(&file)?;
    check_jurisdiction(format, &Params::parse(query.unwrap_or_default().as_bytes()))?;
    let c = state.app.hotline_category(code).await.map_err(|_| {
        Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("service_code {code} not found"),
        )
    })?;
    let attributes = c
        .attributes
        .iter()
        .map(|a| {
            let mut fields = vec![
                ("variable", Node::Bool(a.variable)),
                ("code", text(&a.code)),
                ("datatype", text(a.datatype.as_str())),
                ("required", Node::Bool(a.required)),
                ("datatype_description", text(&a.datatype_description)),
                ("order", Node::Int(i64::from(a.order))),
                ("description", text(&a.description)),
            ];
            if a.datatype.is_list() {
                let values = a
                    .values
                    .iter()
                    .map(|v| Node::Object(vec![("key", text(&v.key)), ("name", text(&v.name))]))
                    .collect();
                fields.push(("values", Node::List("value", values)));
            }
            Node::Object(fields)
        })
        .collect();
    let node = Node::Object(vec![
        ("service_code", text(&c.code)),
        ("attributes", Node::List("attribute", attributes)),
    ]);
    Ok(respond(format, StatusCode::OK, "service_definition", &node))
}

/// What a requester is told to expect of a category.
pub(super) fn service_notice(c: &CategoryRow) -> String {
    format!(
        "{} 小时内派单，签收后 {} 个工作日内答复。Dispatched within {} hours, answered within {} working days of the unit's signature.",
        c.limits.dispatch_hours, c.limits.answer_days, c.limits.dispatch_hours, c.limits.answer_days
    )
}
