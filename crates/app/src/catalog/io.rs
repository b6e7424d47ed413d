//! Import and export of the catalogue as CSV and JSON. An import is all or
//! nothing: every bad row is reported with its line and reason, and then
//! nothing is written.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sunshine_domain::catalog::{ItemSpec, VersionState};
use sunshine_domain::identity::Actor;
use sunshine_domain::ids::OrgCode;
use sunshine_domain::policy::Action;
use sunshine_domain::refusal::Refusal;
use sunshine_store::catalog as store;
use sunshine_store::WriteTx;

use super::{insert_new_item, insert_version_of, region_government, set_in_force_after_import};
use crate::{App, Result};

/// One item in an export: its latest version and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    #[serde(flatten)]
    pub spec: ItemSpec,
    pub state: VersionState,
    #[serde(default = "first")]
    pub version_no: i64,
    #[serde(default)]
    pub effective_date: Option<Date>,
}

fn first() -> i64 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// The CSV columns, in order. Lists are JSON inside their cell.
const CSV_COLUMNS: [&str; 27] = [
    "code",
    "name",
    "item_type",
    "level",
    "region",
    "implementing_body",
    "accepting_body",
    "deciding_body",
    "legal_basis",
    "conditions",
    "materials",
    "legal_limit_value",
    "legal_limit_unit",
    "promised_limit_value",
    "promised_limit_unit",
    "fees",
    "steps",
    "min_visits",
    "sensitive",
    "needs_real_name",
    "supervision_phone",
    "discretion",
    "form",
    "state",
    "version_no",
    "effective_date",
    "charges_fee",
];

use sunshine_domain::csv_cell::{neutralise, restore};

fn to_csv(records: &[Record]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(CSV_COLUMNS)?;
    for r in records {
        let s = &r.spec;
        let j = |v: &dyn erased::Json| v.json();
        w.write_record(
            [
                s.code.clone(),
                s.name.clone(),
                s.item_type.as_str().into(),
                s.level.as_str().into(),
                s.region.to_string(),
                s.implementing_body.to_string(),
                s.accepting_body.to_string(),
                s.deciding_body.to_string(),
                s.legal_basis.clone(),
                j(&s.conditions),
                j(&s.materials),
                s.legal_limit.value.to_string(),
                s.legal_limit.unit.as_str().into(),
                s.promised_limit.value.to_string(),
                s.promised_limit.unit.as_str().into(),
                j(&s.fees),
                j(&s.steps),
                s.min_visits.to_string(),
                s.sensitive.to_string(),
                s.needs_real_name.to_string(),
                s.supervision_phone.clone(),
                j(&s.discretion),
                j(&s.form),
                r.state.as_str().into(),
                r.version_no.to_string(),
                r.effective_date.map(|d| d.to_string()).unwrap_or_default(),
                s.charges_fee().to_string(),
            ]
            .map(|cell| neutralise(&cell).into_owned()),
        )?;
    }
    Ok(w.into_inner()?)
}

mod erased {
    /// Serialise a list column to its JSON cell.
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}

/// A row that could not be read, with where it stands in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: u64,
    pub reason: String,
    pub reason_zh: String,
}

impl RowError {
    fn new(line: u64, zh: impl Into<String>, en: impl Into<String>) -> RowError {
        RowError {
            line,
            reason_zh: zh.into(),
            reason: en.into(),
        }
    }
    /// A parser's message, which exists in English only.
    fn parse(line: u64, reason: impl Into<String>) -> RowError {
        let reason = reason.into();
        RowError {
            line,
            reason_zh: format!("无法读取：{reason}"),
            reason,
        }
    }
}

/// Read a CSV export back into records; every bad row is reported.
fn from_csv(bytes: &[u8]) -> std::result::Result<Vec<(u64, Record)>, Vec<RowError>> {
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![RowError::parse(
                1,
                format!("cannot read the header: {e}"),
            )])
        }
    };
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    let missing: Vec<&str> = CSV_COLUMNS
        .iter()
        .copied()
        .filter(|c| *c != "charges_fee" && col(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(vec![RowError::new(
            1,
            format!("缺少列：{}", missing.join(", ")),
            format!("missing columns: {}", missing.join(", ")),
        )]);
    }
    let mut out = vec![];
    let mut errors = vec![];
    for result in rdr.records() {
        let rec = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(RowError::parse(line, e.to_string()));
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |name: &str| {
            col(name)
                .and_then(|i| rec.get(i))
                .map_or("", restore)
                .to_string()
        };
        match csv_record(&get) {
            Ok(r) => out.push((line, r)),
            Err(reason) => errors.push(RowError::parse(line, reason)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn csv_record(get: &dyn Fn(&str) -> String) -> std::result::Result<Record, String> {
    let list = |name: &str| -> std::result::Result<serde_json::Value, String> {
        let cell = get(name);
        if cell.trim().is_empty() {
            return Ok(serde_json::Value::Array(vec![]));
        }
        serde_json::from_str(&cell).map_err(|e| format!("column {name}: not a JSON list ({e})"))
    };
    let number = |name: &str| -> std::result::Result<serde_json::Value, String> {
        get(name)
            .trim()
            .parse::<u64>()
            .map(serde_json::Value::from)
            .map_err(|_| format!("column {name}: not a whole number"))
    };
    let limit = |prefix: &str| -> std::result::Result<serde_json::Value, String> {
        Ok(
            serde_json::json!({"value": number(&format!("{prefix}_value"))?, "unit": get(&format!("{prefix}_unit"))}),
        )
    };
    let sensitive = match get("sensitive").trim() {
        "true" | "1" | "是" => true,
        "false" | "0" | "否" | "" => false,
        other => return Err(format!("column sensitive: {other:?} is not true or false")),
    };
    // Absent in files made before the column existed: every item then needed a bound account.
    let needs_real_name = match get("needs_real_name").trim() {
        "true" | "1" | "是" | "" => true,
        "false" | "0" | "否" => false,
        other => {
            return Err(format!(
                "column needs_real_name: {other:?} is not true or false"
            ))
        }
    };
    let effective = get("effective_date");
    let version_no = get("version_no");
    let value = serde_json::json!({
        "code": get("code"), "name": get("name"), "item_type": get("item_type"), "level": get("level"),
        "region": get("region"), "implementing_body": get("implementing_body"), "accepting_body": get("accepting_body"),
        "deciding_body": get("deciding_body"), "legal_basis": get("legal_basis"), "conditions": list("conditions")?,
        "materials": list("materials")?, "legal_limit": limit("legal_limit")?, "promised_limit": limit("promised_limit")?,
        "fees": list("fees")?, "steps": list("steps")?, "min_visits": number("min_visits")?, "sensitive": sensitive, "needs_real_name": needs_real_name,
        "supervision_phone": get("supervision_phone"), "discretion": list("discretion")?, "form": list("form")?,
        "state": get("state"),
        "version_no": if version_no.trim().is_empty() { serde_json::Value::from(1) } else { number("version_no")? },
        "effective_date": if effective.trim().is_empty() { serde_json::Value::Null } else { serde_json::Value::from(effective) },
    });
    serde_json::from_value(value).map_err(|e| e.to_string())
}

fn from_json(bytes: &[u8]) -> std::result::Result<Vec<(u64, Record)>, Vec<RowError>> {
    let values: Vec<serde_json::Value> = match serde_json::from_slice(bytes) {
        Ok(serde_json::Value::Array(v)) => v,
        Ok(_) => {
            return Err(vec![RowError::new(
                1,
                "文件应为事项的JSON数组",
                "the file must hold a JSON array of items",
            )])
        }
        Err(e) => {
            return Err(vec![RowError::parse(
                e.line() as u64,
                format!("not valid JSON: {e}"),
            )])
        }
    };
    let mut out = vec![];
    let mut errors = vec![];
    for (i, v) in values.into_iter().enumerate() {
        // For JSON the "line" is the item's position in the array, from 1.
        let n = i as u64 + 1;
        match serde_json::from_value::<Record>(v) {
            Ok(r) => out.push((n, r)),
            Err(e) => errors.push(RowError::parse(n, e.to_string())),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn refusal(errors: Vec<RowError>) -> Refusal {
    let mut r = Refusal::invalid(
        "import_rejected",
        "导入被拒绝：以下行有误，未导入任何事项",
        "Import rejected: the rows below are wrong, and nothing was imported",
    );
    for e in errors.into_iter().take(200) {
        match r.fields.entry(format!("line {}", e.line)) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(sunshine_domain::Text::new(e.reason_zh, e.reason));
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                let t = o.get_mut();
                t.zh.push_str(&format!("；{}", e.reason_zh));
                t.en.push_str(&format!("; {}", e.reason));
            }
        }
    }
    r
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub imported: usize,
}

/// What importing an item in a state takes: every step's permission up to it.
fn actions_for<'a>(
    state: VersionState,
    spec: &'a ItemSpec,
    government: &'a OrgCode,
) -> Vec<Action<'a>> {
    let body = &spec.implementing_body;
    let mut actions = vec![
        Action::ImportCatalog {
            region_government: government,
        },
        Action::DraftItem {
            implementing_body: body,
        },
    ];
    if state >= VersionState::Declared {
        actions.push(Action::DeclareItem {
            implementing_body: body,
        });
    }
    if state >= VersionState::Reviewed {
        actions.push(Action::ReviewItem {
            implementing_body: body,
        });
    }
    if state >= VersionState::Approved {
        actions.push(Action::ApproveItem {
            region_government: government,
        });
    }
    if state >= VersionState::InLibrary {
        actions.push(Action::PublishItem {
            region_government: government,
        });
    }
    actions
}

fn both(r: &Refusal) -> (String, String) {
    let mut zh = r.message.zh.clone();
    let mut en = r.message.en.clone();
    for (k, v) in &r.fields {
        zh.push_str(&format!("；{k}：{}", v.zh));
        en.push_str(&format!("; {k}: {}", v.en));
    }
    (zh, en)
}

impl App {
    /// Export every item's live versions (the one in force, one waiting for
    /// its date, the one on its way), for staff. History stays behind.
    pub async fn export_catalog(&self, actor: &Actor, format: Format) -> Result<Vec<u8>> {
        self.authorize(actor, &Action::ViewStaffCatalog)?;
        let mut conn = self.db.read().await?;
        let records: Vec<Record> = store::live_versions(&mut conn)
            .await?
            .into_iter()
            .map(|row| Record {
                spec: row.spec,
                state: row.state,
                version_no: row.version_no,
                effective_date: row.effective_date,
            })
            .collect();
        Ok(match format {
            Format::Json => serde_json::to_vec_pretty(&records).map_err(anyhow::Error::from)?,
            Format::Csv => to_csv(&records)?,
        })
    }

    /// Import items: all rows valid, or nothing written. Rows with the same
    /// code and region are versions of one item.
    pub async fn import_catalog(
        &self,
        actor: &Actor,
        format: Format,
        bytes: &[u8],
    ) -> Result<ImportReport> {
        self.catalogue_kept_here().await?;
        let parsed = match format {
            Format::Json => from_json(bytes),
            Format::Csv => from_csv(bytes),
        };
        let records = parsed.map_err(refusal)?;
        if records.is_empty() {
            return Err(refusal(vec![RowError::new(
                1,
                "文件中没有事项",
                "the file holds no items",
            )])
            .into());
        }
        let today = self.clock.today();
        let mut errors = vec![];
        let mut groups: BTreeMap<(String, String), Vec<(u64, Record)>> = BTreeMap::new();
        for (line, r) in records {
            match self.check_record(actor, &r) {
                Ok(()) => groups
                    .entry((r.spec.code.clone(), r.spec.region.to_string()))
                    .or_default()
                    .push((line, r)),
                Err((zh, en)) => errors.push(RowError::new(line, zh, en)),
            }
        }
        for rows in groups.values_mut() {
            rows.sort_by_key(|(_, r)| r.version_no);
            errors.extend(check_versions(rows, today));
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            return Err(refusal(errors).into());
        }
        let now = self.now_micros();
        let actor = actor.clone();
        self.db
            .write(async move |tx: &mut WriteTx| -> Result<ImportReport> {
                let mut imported = 0;
                for rows in groups.values() {
                    let (first_line, first) = &rows[0];
                    if store::find_item(tx.conn(), &first.spec.code, first.spec.region.as_str())
                        .await?
                        .is_some()
                    {
                        errors.push(RowError::new(
                            *first_line,
                            format!(
                                "事项编码{}在区划{}已存在",
                                first.spec.code, first.spec.region
                            ),
                            format!(
                                "the code {} already exists in region {}",
                                first.spec.code, first.spec.region
                            ),
                        ));
                        continue;
                    }
                    let mut written = vec![];
                    let mut item_id = None;
                    let mut last = None;
                    for (_, r) in rows {
                        let effective = match r.state {
                            // An item in the library without a date takes effect on the day of import.
                            VersionState::InLibrary => Some(r.effective_date.unwrap_or(today)),
                            _ => r.effective_date,
                        };
                        let version_id = match item_id {
                            None => {
                                let (item, id, e) = insert_new_item(
                                    tx,
                                    &actor,
                                    &r.spec,
                                    r.state,
                                    r.version_no,
                                    effective,
                                    now,
                                )
                                .await?;
                                item_id = Some(item);
                                last = Some(e);
                                id
                            }
                            Some(item) => {
                                let (id, e) = insert_version_of(
                                    tx,
                                    &actor,
                                    item,
                                    &r.spec,
                                    r.state,
                                    r.version_no,
                                    effective,
                                    "catalog.item_imported",
                                    now,
                                )
                                .await?;
                                last = Some(e);
                                id
                            }
                        };
                        written.push((version_id, r.version_no, r.state, effective));
                        imported += 1;
                    }
                    if let Some(item) = item_id {
                        set_in_force_after_import(tx, item, &written, today).await?;
                        if let Some(e) = &last {
                            super::across::send_down(tx, e, item).await?;
                        }
                    }
                }
                if !errors.is_empty() {
                    // The command's savepoint is rolled back: every row written so far goes with it.
                    return Err(refusal(errors).into());
                }
                Ok(ImportReport { imported })
            })
            .await
    }

    fn check_record(&self, actor: &Actor, r: &Record) -> std::result::Result<(), (String, String)> {
        r.spec.validate().map_err(|r| both(&r))?;
        self.check_bodies(&r.spec).map_err(|e| match e {
            crate::AppError::Refused(r) => both(&r),
            other => (other.to_string(), other.to_string()),
        })?;
        if r.state == VersionState::Superseded {
            return Err((
                "已废止的版本不能导入".into(),
                "a superseded version is history and is not imported".into(),
            ));
        }
        if !(1..=9999).contains(&r.version_no) {
            return Err((
                "版本号应在1至9999之间".into(),
                "version_no must be between 1 and 9999".into(),
            ));
        }
        let government = region_government(&r.spec);
        for action in actions_for(r.state, &r.spec, &government) {
            self.authorize(actor, &action).map_err(|e| match e {
                crate::AppError::Refused(r) => both(&r),
                other => (other.to_string(), other.to_string()),
            })?;
        }
        Ok(())
    }
}

/// The versions of one item in a file must make sense together: distinct
/// numbers, at most one on its way and it the newest, at most one in force.
fn check_versions(rows: &[(u64, Record)], today: Date) -> Vec<RowError> {
    let mut errors = vec![];
    for pair in rows.windows(2) {
        if pair[0].1.version_no == pair[1].1.version_no {
            errors.push(RowError::new(
                pair[1].0,
                "同一事项的版本号重复",
                "the same version number appears twice for this item",
            ));
        }
    }
    let open: Vec<&(u64, Record)> = rows.iter().filter(|(_, r)| r.state.is_open()).collect();
    if open.len() > 1 {
        errors.push(RowError::new(
            open[1].0,
            "同一事项只能有一个在编或审批中的版本",
            "an item can have only one version in draft or under approval",
        ));
    }
    if let Some((line, r)) = open.first() {
        if rows
            .last()
            .is_some_and(|(_, last)| last.version_no != r.version_no)
        {
            errors.push(RowError::new(
                *line,
                "在编版本应为该事项的最新版本",
                "the version in draft or under approval must be the item's newest",
            ));
        }
    }
    let in_force = rows
        .iter()
        .filter(|(_, r)| {
            r.state == VersionState::InLibrary && r.effective_date.is_none_or(|d| d <= today)
        })
        .count();
    if in_force > 1 {
        let line = rows
            .iter()
            .rev()
            .find(|(_, r)| r.state == VersionState::InLibrary)
            .map(|(l, _)| *l)
            .unwrap_or(0);
        errors.push(RowError::new(
            line,
            "同一事项只能有一个现行有效的版本",
            "only one version of an item can be in force",
        ));
    }
    errors
}

#[cfg(test)]
mod csv_tests {
    use super::*;

    fn record() -> Record {
        serde_json::from_value(serde_json::json!({
            "code": "XK-00012-000",
            "name": "=HYPERLINK(\"http://evil.example\",\"点此\")",
            "item_type": "licensing",
            "level": "city",
            "region": "330100",
            "implementing_body": "330100-002",
            "accepting_body": "330100-040",
            "deciding_body": "330100-002",
            "legal_basis": "-2+3",
            "conditions": ["@SUM(A1)"],
            "materials": [],
            "legal_limit": {"value": 20, "unit": "working_days"},
            "promised_limit": {"value": 10, "unit": "working_days"},
            "fees": [],
            "steps": [],
            "min_visits": 0,
            "sensitive": false,
            "supervision_phone": "+86 571 85254030",
            "discretion": [],
            "form": [],
            "state": "draft"
        }))
        .expect("a record")
    }

    #[test]
    fn csv_export_neutralises_formula_cells_and_import_reads_them_back() {
        let original = record();
        let file = to_csv(std::slice::from_ref(&original)).expect("written");
        let text = String::from_utf8(file.clone()).expect("UTF-8");
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        for row in rdr.records() {
            for cell in row.expect("a row").iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "a cell a spreadsheet would run: {cell:?}"
                );
            }
        }
        let back = from_csv(&file).expect("read back");
        let spec = &back[0].1.spec;
        assert_eq!(
            (
                spec.name.as_str(),
                spec.legal_basis.as_str(),
                spec.supervision_phone.as_str()
            ),
            (
                original.spec.name.as_str(),
                original.spec.legal_basis.as_str(),
                original.spec.supervision_phone.as_str()
            )
        );
        assert_eq!(spec.conditions, original.spec.conditions);
    }
}
