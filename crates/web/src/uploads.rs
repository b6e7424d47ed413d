//! Reading a `multipart/form-data` body with files: its text fields, and its
//! files as uploads for the item's materials. A file's part is named
//! `material.<n>`, `n` being the material's place in the item version's list
//! (0 first); a part may repeat, and an empty file input is skipped.

use std::collections::BTreeMap;

use axum::extract::Multipart;
use sunshine_app::materials::Upload;
use sunshine_domain::materials::MAX_CASE_BYTES;
use sunshine_domain::refusal::Refusal;

/// The largest body an upload route takes: a case's files and a form.
pub const UPLOAD_BODY_LIMIT: usize = MAX_CASE_BYTES as usize + 2 * 1024 * 1024;

/// A multipart body, read.
#[derive(Debug, Default)]
pub struct Parts {
    pub fields: BTreeMap<String, String>,
    pub uploads: Vec<Upload>,
}

impl Parts {
    pub fn text(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

fn too_large() -> Refusal {
    Refusal::field(
        "materials",
        format!(
            "上传内容过大：一个办件的材料合计不能超过{}MB",
            MAX_CASE_BYTES / 1024 / 1024
        ),
        format!(
            "The upload is too large: a case's materials may add up to at most {} MiB",
            MAX_CASE_BYTES / 1024 / 1024
        ),
    )
}

fn malformed() -> Refusal {
    Refusal::field("materials", "上传格式有误", "The upload is malformed")
}

/// Read every part; a body over the route's limit or a broken one is refused.
pub async fn read(mut multipart: Multipart) -> Result<Parts, Refusal> {
    let mut parts = Parts::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(too_large())
            }
            Err(_) => return Err(malformed()),
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(too_large())
            }
            Err(_) => return Err(malformed()),
        };
        match file_name {
            Some(file_name) => {
                if file_name.is_empty() && bytes.is_empty() {
                    continue; // a file input left empty
                }
                let slot = name
                    .strip_prefix("material.")
                    .and_then(|n| n.parse::<usize>().ok());
                let Some(slot) = slot else {
                    return Err(Refusal::field(
                        &name,
                        "该事项没有这项申请材料",
                        "This item has no such material",
                    ));
                };
                parts.uploads.push(Upload {
                    slot,
                    file_name,
                    bytes: bytes.to_vec(),
                });
            }
            None => {
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| malformed())?;
                parts.fields.insert(name, text);
            }
        }
    }
    Ok(parts)
}

/// The form's answers, sent as a JSON object of text values in the part `answers`.
pub fn answers(parts: &Parts) -> Result<BTreeMap<String, String>, Refusal> {
    match parts.fields.get("answers").map(|a| a.trim()) {
        None | Some("") => Ok(BTreeMap::new()),
        Some(a) => serde_json::from_str::<BTreeMap<String, String>>(a).map_err(|_| {
            Refusal::field(
                "answers",
                "表单内容应为JSON对象，值为文本",
                "The answers are a JSON object of text values",
            )
        }),
    }
}
