//! One answer, two formats: the node tree written as XML or JSON, the
//! standard's errors, and the posted form's parameters.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use std::collections::BTreeMap;
use sunshine_app::AppError;

/// The two formats of the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

/// `requests.json` → ("requests", Json). An unknown format is an error,
/// written in XML, the format every client must read.
pub(super) fn split(file: &str) -> Result<(&str, Format), Open311Error> {
    let (name, ext) = file.rsplit_once('.').ok_or_else(|| {
        Open311Error::new(
            Format::Xml,
            StatusCode::NOT_FOUND,
            "the format (.xml or .json) is missing",
        )
    })?;
    let format = match ext {
        "xml" => Format::Xml,
        "json" => Format::Json,
        other => {
            return Err(Open311Error::new(
                Format::Xml,
                StatusCode::NOT_FOUND,
                format!("format {other} is not offered: use .xml or .json"),
            ))
        }
    };
    Ok((name, format))
}

/// An answer in either format.
#[derive(Debug, Clone)]
pub enum Node {
    Text(String),
    /// An absent value: `null` in JSON, an empty element in XML.
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Object(Vec<(&'static str, Node)>),
    /// A list and the XML element of each of its items.
    List(&'static str, Vec<Node>),
}

pub(super) fn text(s: impl Into<String>) -> Node {
    Node::Text(s.into())
}

pub(super) fn opt(s: Option<impl Into<String>>) -> Node {
    s.map_or(Node::Null, |s| Node::Text(s.into()))
}

impl Node {
    pub(super) fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Text(s) => Value::String(s.clone()),
            Node::Null => Value::Null,
            Node::Int(i) => Value::from(*i),
            Node::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Node::Bool(b) => Value::Bool(*b),
            Node::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), v.to_json()))
                    .collect(),
            ),
            Node::List(_, items) => Value::Array(items.iter().map(Node::to_json).collect()),
        }
    }

    pub(super) fn write_xml(&self, w: &mut Writer<Vec<u8>>, tag: &str) -> std::io::Result<()> {
        match self {
            Node::Null => {
                w.write_event(Event::Empty(BytesStart::new(tag)))?;
                return Ok(());
            }
            _ => w.write_event(Event::Start(BytesStart::new(tag)))?,
        }
        match self {
            Node::Text(s) => w.write_event(Event::Text(BytesText::new(s)))?,
            Node::Int(i) => w.write_event(Event::Text(BytesText::new(&i.to_string())))?,
            Node::Float(f) => w.write_event(Event::Text(BytesText::new(&f.to_string())))?,
            Node::Bool(b) => w.write_event(Event::Text(BytesText::new(if *b {
                "true"
            } else {
                "false"
            })))?,
            Node::Object(fields) => {
                for (k, v) in fields {
                    v.write_xml(w, k)?;
                }
            }
            Node::List(item, items) => {
                for v in items {
                    v.write_xml(w, item)?;
                }
            }
            Node::Null => {}
        }
        w.write_event(Event::End(BytesEnd::new(tag)))
    }
}

/// Write `node` as the answer, with `root` as the XML document element.
pub(super) fn respond(format: Format, status: StatusCode, root: &str, node: &Node) -> Response {
    match format {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            node.to_json().to_string(),
        )
            .into_response(),
        Format::Xml => {
            let mut w = Writer::new(Vec::new());
            let written = w
                .write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
                .and_then(|()| node.write_xml(&mut w, root));
            match written {
                Ok(()) => (
                    status,
                    [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                    w.into_inner(),
                )
                    .into_response(),
                Err(e) => {
                    tracing::error!(error = %e, "writing an Open311 answer");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
            }
        }
    }
}

/// The standard's error answer.
#[derive(Debug)]
pub struct Open311Error {
    pub(super) format: Format,
    pub(super) status: StatusCode,
    pub(super) description: String,
    /// Seconds to wait, for a client over its rate.
    pub(super) retry_after: Option<i64>,
}

impl Open311Error {
    pub(super) fn new(format: Format, status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error {
            format,
            status,
            description: description.into(),
            retry_after: None,
        }
    }

    /// An app error in the standard's codes: what the input caused is 400,
    /// what is not there 404, what the key may not do 403.
    pub(super) fn from_app(format: Format, e: AppError) -> Self {
        match e {
            AppError::Refused(r) => {
                let status = match r.kind {
                    sunshine_domain::refusal::RefusalKind::NotFound => StatusCode::NOT_FOUND,
                    sunshine_domain::refusal::RefusalKind::Forbidden
                    | sunshine_domain::refusal::RefusalKind::Unauthenticated => {
                        StatusCode::FORBIDDEN
                    }
                    _ => StatusCode::BAD_REQUEST,
                };
                let mut description = r.message.en.clone();
                if !r.fields.is_empty() {
                    let faults: Vec<String> = r
                        .fields
                        .iter()
                        .map(|(f, t)| format!("{f}: {}", t.en))
                        .collect();
                    description = faults.join("; ");
                }
                Open311Error::new(format, status, description)
            }
            AppError::Internal(cause) => {
                tracing::error!(error = %cause, "Open311 request failed");
                Open311Error::new(format, StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let code = i64::from(self.status.as_u16());
        let node = Node::List(
            "error",
            vec![Node::Object(vec![
                ("code", Node::Int(code)),
                ("description", text(self.description)),
            ])],
        );
        let mut response = respond(self.format, self.status, "errors", &node);
        if let Some(seconds) = self.retry_after {
            if let Ok(v) = header::HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

pub(super) type Answer = Result<Response, Open311Error>;

/// The parameters of a query or a form, repeated keys kept in order; an
/// empty value is the same as none.
pub(super) struct Params(pub(super) Vec<(String, String)>);

impl Params {
    pub(super) fn parse(raw: &[u8]) -> Params {
        Params(
            form_urlencoded::parse(raw)
                .map(|(k, v)| (k.into_owned(), v.trim().to_string()))
                .filter(|(_, v)| !v.is_empty())
                .collect(),
        )
    }
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    pub(super) fn owned(&self, key: &str) -> Option<String> {
        self.get(key).map(str::to_string)
    }
    /// `attribute[CODE]=v` pairs, several values per code for a multivaluelist
    /// (also written `attribute[CODE][]`).
    pub(super) fn attributes(&self) -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in &self.0 {
            let Some(rest) = k.strip_prefix("attribute[") else {
                continue;
            };
            let code = rest.trim_end_matches("[]").trim_end_matches(']');
            m.entry(code.to_string()).or_default().push(v.clone());
        }
        m
    }
}
