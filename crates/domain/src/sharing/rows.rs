//! Rows as a department sends them: a JSON array of objects, or CSV with a
//! header line (UTF-8, columns in any order, by key or by Chinese label).
//! Every row is checked against the columns before any is taken; a fault
//! is named by where it is (`line 3` of a CSV file, `row 2` of a JSON
//! array, counted from 1) and the column.

use std::collections::{BTreeMap, BTreeSet};

use super::FieldType;
use crate::ids::CreditCode;
use crate::refusal::{is_clean_text, Refusal};
use crate::Text;

/// The most rows one upload carries.
pub const MAX_ROWS: usize = 20_000;
/// The longest value a cell holds.
pub const MAX_CELL: usize = 500;

/// A column rows must fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub key: String,
    /// The Chinese heading a spreadsheet may use instead of the key.
    pub label: String,
    pub kind: FieldType,
    pub required: bool,
    /// The values it may hold, when a list says (empty: any of its type).
    pub choices: Vec<String>,
}

impl Column {
    pub fn new(key: &str, label: &str, kind: FieldType, required: bool) -> Column {
        Column {
            key: key.into(),
            label: label.into(),
            kind,
            required,
            choices: vec![],
        }
    }

    /// The column, holding one of `choices` only.
    pub fn one_of(mut self, choices: &[&str]) -> Column {
        self.choices = choices.iter().map(|c| c.to_string()).collect();
        self
    }
}

/// A row that passed its columns' checks: values by key, normalised (a
/// credit code in capitals, a number without spaces), absent ones left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `line N` or `row N`.
    pub at: String,
    pub values: BTreeMap<String, String>,
}

/// A fault in a row, or in the whole upload (`field` empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub at: String,
    pub field: String,
    pub message: Text,
}

impl RowError {
    pub fn new(at: &str, field: &str, zh: impl Into<String>, en: impl Into<String>) -> RowError {
        RowError {
            at: at.into(),
            field: field.into(),
            message: Text::new(zh, en),
        }
    }
}

/// The rows of an upload, JSON when it starts with `[`, CSV otherwise, or
/// every fault found in it.
pub fn parse(bytes: &[u8], columns: &[Column]) -> Result<Vec<Row>, Vec<RowError>> {
    let (rows, errors) = parse_all(bytes, columns);
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// The rows that pass their columns' checks, and the faults of the rest
/// (and of the upload as a whole), so that later checks see every good row.
pub fn parse_all(bytes: &[u8], columns: &[Column]) -> (Vec<Row>, Vec<RowError>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        let e = RowError::new(
            "line 1",
            "",
            "数据应为UTF-8编码的JSON或CSV",
            "The data must be JSON or CSV in UTF-8",
        );
        return (vec![], vec![e]);
    };
    let read = if text.trim_start().starts_with('[') {
        json_rows(text)
    } else {
        csv_rows(text, columns)
    };
    let (raw, mut errors) = match read {
        Ok(r) => r,
        Err(e) => return (vec![], e),
    };
    if raw.is_empty() && errors.is_empty() {
        errors.push(RowError::new(
            "line 1",
            "",
            "没有数据行",
            "There are no rows",
        ));
    }
    if raw.len() > MAX_ROWS {
        let e = RowError::new(
            "line 1",
            "",
            format!("一次最多{MAX_ROWS}行"),
            format!("At most {MAX_ROWS} rows at once"),
        );
        return (vec![], vec![e]);
    }
    let mut rows = vec![];
    for (at, cells) in raw {
        match row(&at, cells, columns) {
            Ok(values) => rows.push(Row { at, values }),
            Err(mut e) => errors.append(&mut e),
        }
    }
    (rows, errors)
}

/// A refusal naming each fault as `"<line N> <column>"`.
pub fn refused(code: &'static str, errors: Vec<RowError>) -> Refusal {
    let mut r = Refusal::invalid(
        code,
        "数据被拒绝：以下各行有误，未写入任何数据",
        "The data was refused: the rows below are wrong, and nothing was written",
    );
    for e in errors.into_iter().take(500) {
        let key = if e.field.is_empty() {
            e.at
        } else {
            format!("{} {}", e.at, e.field)
        };
        r.fields.entry(key).or_insert(e.message);
    }
    r
}

type RawRow = (String, BTreeMap<String, String>);
/// The rows read, and the faults of those that could not be.
type Read = Result<(Vec<RawRow>, Vec<RowError>), Vec<RowError>>;

fn json_rows(text: &str) -> Read {
    let list: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|e| {
        vec![RowError::new(
            &format!("line {}", e.line()),
            "",
            format!("不是有效的JSON：{e}"),
            format!("Not valid JSON: {e}"),
        )]
    })?;
    let mut rows = vec![];
    let mut errors = vec![];
    for (i, v) in list.into_iter().enumerate() {
        let at = format!("row {}", i + 1);
        let serde_json::Value::Object(map) = v else {
            errors.push(RowError::new(
                &at,
                "",
                "每行应为一个对象",
                "Each row must be an object",
            ));
            continue;
        };
        let mut cells = BTreeMap::new();
        for (k, v) in map {
            let cell = match v {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => {
                    errors.push(RowError::new(
                        &at,
                        &k,
                        "值应为文本或数字",
                        "The value must be text or a number",
                    ));
                    continue;
                }
            };
            cells.insert(k, cell);
        }
        rows.push((at, cells));
    }
    Ok((rows, errors))
}

fn csv_rows(text: &str, columns: &[Column]) -> Read {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|c| {
                let c = c.trim();
                // A Chinese heading stands for its column's key.
                columns
                    .iter()
                    .find(|col| col.label == c)
                    .map_or_else(|| c.to_string(), |col| col.key.clone())
            })
            .collect(),
        Err(e) => return Err(vec![unreadable(1, &e)]),
    };
    let mut rows = vec![];
    let mut errors = vec![];
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(unreadable(e.position().map_or(0, |p| p.line()), &e));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let at = format!("line {line}");
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if record.len() != header.len() {
            errors.push(RowError::new(
                &at,
                "",
                format!("本行有{}列，表头有{}列", record.len(), header.len()),
                format!(
                    "The row has {} cells and the header {}",
                    record.len(),
                    header.len()
                ),
            ));
            continue;
        }
        let cells = header
            .iter()
            .zip(record.iter())
            .map(|(h, c)| (h.clone(), crate::csv_cell::restore(c).to_string()))
            .collect();
        rows.push((at, cells));
    }
    Ok((rows, errors))
}

fn unreadable(line: u64, e: &csv::Error) -> RowError {
    RowError::new(
        &format!("line {line}"),
        "",
        format!("无法读取：{e}"),
        format!("Cannot be read: {e}"),
    )
}

/// One row's values against the columns: none unknown, every required one
/// there, each of its type.
fn row(
    at: &str,
    cells: BTreeMap<String, String>,
    columns: &[Column],
) -> Result<BTreeMap<String, String>, Vec<RowError>> {
    let mut errors = vec![];
    let known: BTreeSet<&str> = columns.iter().map(|c| c.key.as_str()).collect();
    for k in cells.keys() {
        if !known.contains(k.as_str()) {
            errors.push(RowError::new(
                at,
                k,
                "没有这一列",
                "There is no such column",
            ));
        }
    }
    let mut values = BTreeMap::new();
    for col in columns {
        let cell = cells.get(&col.key).map_or("", |c| c.trim());
        if cell.is_empty() {
            if col.required {
                errors.push(RowError::new(at, &col.key, "不能为空", "Must not be empty"));
            }
            continue;
        }
        if !col.choices.is_empty() && !col.choices.iter().any(|c| c == cell) {
            errors.push(RowError::new(
                at,
                &col.key,
                format!("应为{}之一", col.choices.join("、")),
                format!("Must be one of {}", col.choices.join(", ")),
            ));
            continue;
        }
        match value(col.kind, cell) {
            Ok(v) => {
                values.insert(col.key.clone(), v);
            }
            Err(t) => errors.push(RowError {
                at: at.into(),
                field: col.key.clone(),
                message: t,
            }),
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// A cell as its type holds it.
pub fn value(kind: FieldType, cell: &str) -> Result<String, Text> {
    if cell.chars().count() > MAX_CELL {
        return Err(Text::new(
            format!("不能超过{MAX_CELL}个字符"),
            format!("At most {MAX_CELL} characters"),
        ));
    }
    if !is_clean_text(cell) {
        return Err(Text::new(
            "不能包含控制字符",
            "Control characters are not allowed",
        ));
    }
    match kind {
        FieldType::Text => Ok(cell.to_string()),
        FieldType::Number => {
            let plain: String = cell.chars().filter(|c| *c != ',').collect();
            let digits = plain.strip_prefix('-').unwrap_or(&plain);
            let mut parts = digits.splitn(2, '.');
            let whole = parts.next().unwrap_or("");
            let frac = parts.next();
            let ok = !whole.is_empty()
                && whole.len() <= 15
                && whole.chars().all(|c| c.is_ascii_digit())
                && frac.is_none_or(|f| {
                    !f.is_empty() && f.len() <= 6 && f.chars().all(|c| c.is_ascii_digit())
                });
            if ok {
                Ok(plain)
            } else {
                Err(Text::new("应为数值", "Must be a number"))
            }
        }
        FieldType::Date => cell
            .parse::<jiff::civil::Date>()
            .map(|d| d.to_string())
            .map_err(|_| Text::new("应为日期，如2026-03-01", "Must be a date, like 2026-03-01")),
        FieldType::CreditCode => CreditCode::parse(cell)
            .map(|c| c.as_str().to_string())
            .map_err(|b| Text::new(b.zh, b.en)),
    }
}

/// A row with only the fields asked for.
pub fn project(
    values: &BTreeMap<String, String>,
    fields: &[String],
) -> serde_json::Map<String, serde_json::Value> {
    fields
        .iter()
        .map(|f| {
            let v = values.get(f).map_or(serde_json::Value::Null, |v| {
                serde_json::Value::String(v.clone())
            });
            (f.clone(), v)
        })
        .collect()
}
