//! A community's records in the city's CSV layout, checked cell by cell
//! and across rows before anything is written: every fault of the file is
//! reported at once, by line and column, and a file with one fault is not
//! imported at all.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use serde::Serialize;

use super::HEAD_OF_HOUSEHOLD;
use super::{address, household_number, name, phone, DivisionCode, Sex, Standard};
use crate::ids::ResidentId;
use crate::refusal::Text;

/// The columns of the city's layout, in the order a file is written.
pub const COLUMNS: [&str; 11] = [
    "身份证号",
    "姓名",
    "性别",
    "出生日期",
    "民族",
    "户籍地址",
    "居住地址",
    "社区代码",
    "户号",
    "与户主关系",
    "联系电话",
];

/// When a person was born, as far as the record knows: the day, or only
/// the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Birth {
    Day(Date),
    Year(i16),
}

impl Birth {
    pub fn year(self) -> i16 {
        match self {
            Birth::Day(d) => d.year(),
            Birth::Year(y) => y,
        }
    }

    /// As stored and shown: `1990-01-01`, or `1990` when only the year is known.
    pub fn text(self) -> String {
        match self {
            Birth::Day(d) => d.to_string(),
            Birth::Year(y) => y.to_string(),
        }
    }

    /// `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD` or a year alone.
    pub fn parse(cell: &str) -> Option<Birth> {
        let cell = cell.trim();
        if cell.len() == 4 && cell.bytes().all(|b| b.is_ascii_digit()) {
            return cell.parse().ok().map(Birth::Year);
        }
        let digits: String = cell.chars().filter(char::is_ascii_digit).collect();
        let separated =
            cell.len() == 10 && matches!(&cell[4..5], "-" | "/") && cell[4..5] == cell[7..8];
        if digits.len() != 8 || !(separated || cell.len() == 8) {
            return None;
        }
        Date::new(
            digits[..4].parse().ok()?,
            digits[4..6].parse().ok()?,
            digits[6..].parse().ok()?,
        )
        .ok()
        .map(Birth::Day)
    }
}

/// A row of the file, every cell to the standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The line the row starts on (the header is line 1).
    pub line: u64,
    pub id_number: Option<ResidentId>,
    pub name: String,
    pub sex: Sex,
    pub birth: Birth,
    /// GB/T 3304 code.
    pub ethnicity: String,
    /// 户籍地址
    pub registered_address: String,
    /// 居住地址
    pub residence_address: String,
    pub community: DivisionCode,
    /// 户号
    pub household: String,
    /// GB/T 4761 code of the relationship to the head of the household.
    pub relationship: String,
    pub phone: Option<String>,
}

impl Row {
    /// The record the row states.
    pub fn person(&self) -> super::Person {
        super::Person {
            id_number: self.id_number.as_ref().map(|i| i.as_str().to_string()),
            name: self.name.clone(),
            sex: self.sex.code().to_string(),
            birth: self.birth.text(),
            ethnicity: self.ethnicity.clone(),
            registered_address: self.registered_address.clone(),
            residence_address: self.residence_address.clone(),
            community: self.community.to_string(),
            household: self.household.clone(),
            relationship: self.relationship.clone(),
            phone: self.phone.clone(),
        }
    }
}

/// What is wrong with one cell, or with a row (`column` empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellError {
    pub line: u64,
    pub column: String,
    pub message: Text,
}

impl CellError {
    /// A fault of a cell of another file's layout.
    pub fn at(line: u64, column: &str, zh: String, en: String) -> CellError {
        CellError::new(line, column, Text::new(zh, en))
    }

    fn new(line: u64, column: &str, message: Text) -> CellError {
        CellError {
            line,
            column: column.to_string(),
            message,
        }
    }
}

/// The rows of a file in the city's layout, or every fault in it. `today`
/// bounds birth dates.
pub fn parse(bytes: &[u8], standard: &Standard, today: Date) -> Result<Vec<Row>, Vec<CellError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(vec![CellError::new(
            1,
            "",
            Text::new(
                "文件应为UTF-8编码的CSV（在表格软件中另存为“CSV UTF-8”）",
                "The file must be CSV in UTF-8 (save it as \"CSV UTF-8\" from a spreadsheet)",
            ),
        )]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_string()).collect(),
        Err(e) => return Err(vec![unreadable(1, &e)]),
    };
    let positions = columns(&header)?;
    let mut rows = vec![];
    let mut errors = vec![];
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(unreadable(line, &e));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if record.len() != header.len() {
            errors.push(CellError::new(
                line,
                "",
                Text::new(
                    format!("本行有{}列，表头有{}列", record.len(), header.len()),
                    format!(
                        "The row has {} cells and the header {}",
                        record.len(),
                        header.len()
                    ),
                ),
            ));
            continue;
        }
        let cells: Vec<&str> = positions
            .iter()
            .map(|&i| crate::csv_cell::restore(record.get(i).unwrap_or("")))
            .collect();
        match row(line, &cells, standard, today) {
            Ok(r) => rows.push(r),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(CellError::new(
            1,
            "",
            Text::new("文件中没有人员记录", "The file holds no records"),
        ));
    }
    if errors.is_empty() {
        // Households and duplicates are judged on rows that are whole.
        errors.extend(across_rows(&rows));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        errors.sort_by(|a, b| {
            (a.line, column_order(&a.column)).cmp(&(b.line, column_order(&b.column)))
        });
        Err(errors)
    }
}

fn unreadable(line: u64, e: &csv::Error) -> CellError {
    CellError::new(
        line,
        "",
        Text::new(format!("无法读取：{e}"), format!("Cannot be read: {e}")),
    )
}

fn column_order(column: &str) -> usize {
    COLUMNS.iter().position(|c| *c == column).unwrap_or(0)
}

/// Where each of [`COLUMNS`] is in the header; every column there, none
/// twice, none else.
fn columns(header: &[String]) -> Result<Vec<usize>, Vec<CellError>> {
    let mut errors = vec![];
    let mut positions = vec![];
    for column in COLUMNS {
        match header.iter().filter(|h| *h == column).count() {
            0 => errors.push(CellError::new(
                1,
                column,
                Text::new(
                    format!("表头缺少“{column}”列"),
                    format!("The header has no column \"{column}\""),
                ),
            )),
            1 => positions.push(header.iter().position(|h| h == column).unwrap_or(0)),
            _ => errors.push(CellError::new(
                1,
                column,
                Text::new(
                    format!("表头中“{column}”列出现多次"),
                    format!("The header names \"{column}\" more than once"),
                ),
            )),
        }
    }
    for h in header {
        if !COLUMNS.contains(&h.as_str()) {
            errors.push(CellError::new(
                1,
                h,
                Text::new(
                    format!("表头中的“{h}”不是标准中的列"),
                    format!("\"{h}\" in the header is not a column of the standard"),
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(positions)
    } else {
        Err(errors)
    }
}

/// One row's cells, in the order of [`COLUMNS`].
fn row(line: u64, cells: &[&str], standard: &Standard, today: Date) -> Result<Row, Vec<CellError>> {
    let mut errors = vec![];
    let mut fault = |column: usize, message: Text| {
        errors.push(CellError::new(line, COLUMNS[column], message));
    };
    let cell = |i: usize| cells.get(i).copied().unwrap_or("").trim();
    let id_number = match cell(0) {
        "" => None,
        c => match ResidentId::parse(c) {
            Ok(id) => Some(id),
            Err(e) => {
                fault(0, Text::new(e.zh, e.en));
                None
            }
        },
    };
    let name = name(cell(1)).map_err(|e| fault(1, e)).ok();
    let sex = Sex::parse(cell(2));
    if sex.is_none() {
        fault(
            2,
            Text::new(
                "性别应为0、1、2、9或“男”“女”（GB/T 2261.1）",
                "Sex is 0, 1, 2 or 9, or 男 or 女 (GB/T 2261.1)",
            ),
        );
    }
    let birth = match Birth::parse(cell(3)) {
        Some(b)
            if b.year() < 1880
                || matches!(b, Birth::Day(d) if d > today)
                || b.year() > today.year() =>
        {
            fault(
                3,
                Text::new(
                    "出生日期不应早于1880年或晚于今天",
                    "A birth date lies between 1880 and today",
                ),
            );
            None
        }
        Some(b) => Some(b),
        None if cell(3).is_empty() && id_number.is_some() => {
            id_number.as_ref().map(|id| Birth::Day(id.birth_date()))
        }
        None => {
            fault(
                3,
                Text::new(
                    "出生日期应为YYYY-MM-DD，仅知年份时为YYYY",
                    "A birth date is YYYY-MM-DD, or YYYY when only the year is known",
                ),
            );
            None
        }
    };
    if let (Some(id), Some(b)) = (&id_number, birth) {
        let agrees = match b {
            Birth::Day(d) => d == id.birth_date(),
            Birth::Year(y) => y == id.birth_date().year(),
        };
        if !agrees {
            fault(
                3,
                Text::new(
                    format!("出生日期与身份证号中的{}不符", id.birth_date()),
                    format!(
                        "The birth date differs from the identity number's {}",
                        id.birth_date()
                    ),
                ),
            );
        }
    }
    if let (Some(id), Some(s @ (Sex::Male | Sex::Female))) = (&id_number, sex) {
        if (s == Sex::Male) != id.is_male() {
            fault(
                2,
                Text::new(
                    "性别与身份证号第17位不符",
                    "The sex differs from the 17th digit of the identity number",
                ),
            );
        }
    }
    let ethnicity = standard.ethnicities.code_of(cell(4)).map(str::to_string);
    if ethnicity.is_none() {
        fault(
            4,
            Text::new(
                format!("民族应为{}中的代码或名称", standard.ethnicities.standard),
                format!(
                    "Ethnicity is a code or a name of {}",
                    standard.ethnicities.standard
                ),
            ),
        );
    }
    let registered_address = address(cell(5)).map_err(|e| fault(5, e)).ok();
    let residence_address = address(cell(6)).map_err(|e| fault(6, e)).ok();
    let community = DivisionCode::community(cell(7))
        .map_err(|e| fault(7, Text::new(e.zh, e.en)))
        .ok();
    let household = household_number(cell(8)).map_err(|e| fault(8, e)).ok();
    let relationship = standard.relationships.code_of(cell(9)).map(str::to_string);
    if relationship.is_none() {
        fault(
            9,
            Text::new(
                format!(
                    "与户主关系应为{}中的代码或名称",
                    standard.relationships.standard
                ),
                format!(
                    "The relationship to the head is a code or a name of {}",
                    standard.relationships.standard
                ),
            ),
        );
    }
    let phone = match cell(10) {
        "" => Some(None),
        c => phone(c).map(Some).map_err(|e| fault(10, e)).ok(),
    };
    match (
        name,
        sex,
        birth,
        ethnicity,
        registered_address,
        residence_address,
        community,
        household,
        relationship,
        phone,
    ) {
        (
            Some(name),
            Some(sex),
            Some(birth),
            Some(ethnicity),
            Some(registered_address),
            Some(residence_address),
            Some(community),
            Some(household),
            Some(relationship),
            Some(phone),
        ) if errors.is_empty() => Ok(Row {
            line,
            id_number,
            name,
            sex,
            birth,
            ethnicity,
            registered_address,
            residence_address,
            community,
            household,
            relationship,
            phone,
        }),
        _ => Err(errors),
    }
}

/// The faults only rows together show: one person twice, or a household's
/// members in two communities. Heads are judged with the registry's
/// households ([`check_households`]).
fn across_rows(rows: &[Row]) -> Vec<CellError> {
    let mut errors = vec![];
    let mut seen: BTreeMap<&str, u64> = BTreeMap::new();
    for r in rows {
        if let Some(id) = &r.id_number {
            if let Some(first) = seen.insert(id.as_str(), r.line) {
                seen.insert(id.as_str(), first);
                errors.push(CellError::new(
                    r.line,
                    COLUMNS[0],
                    Text::new(
                        format!("此人已在第{first}行"),
                        format!("The same person is on line {first}"),
                    ),
                ));
            }
        }
    }
    let mut households: BTreeMap<(&str, &str), Vec<&Row>> = BTreeMap::new();
    for r in rows {
        households
            .entry((r.community.district(), r.household.as_str()))
            .or_default()
            .push(r);
    }
    for ((_, number), members) in households {
        let first = members[0];
        for r in &members {
            if r.community != first.community {
                errors.push(CellError::new(
                    r.line,
                    COLUMNS[7],
                    Text::new(
                        format!(
                            "户号{number}的成员应在同一社区（第{}行为{}）",
                            first.line, first.community
                        ),
                        format!(
                            "The members of household {number} live in one community ({} on line {})",
                            first.community, first.line
                        ),
                    ),
                ));
            }
        }
    }
    errors
}

/// The columns a correction may change. A community's code and a household
/// number are where a person lives and with whom: changing them is a move,
/// not a correction.
pub const CORRECTABLE: [&str; 9] = [
    COLUMNS[0],
    COLUMNS[1],
    COLUMNS[2],
    COLUMNS[3],
    COLUMNS[4],
    COLUMNS[5],
    COLUMNS[6],
    COLUMNS[9],
    COLUMNS[10],
];

/// A held record with `changes` (column → new cell) made, checked cell by
/// cell like a row of a file, or every fault (line 0). The whole record is
/// checked, not only the cells changed: a new identity number must agree
/// with the birth date and sex held, unless those are corrected with it.
pub fn correct(
    held: &super::Person,
    changes: &BTreeMap<String, String>,
    standard: &Standard,
    today: Date,
) -> Result<super::Person, Vec<CellError>> {
    let mut errors = vec![];
    if changes.is_empty() {
        errors.push(CellError::new(
            0,
            "",
            Text::new("请至少更正一项", "Correct at least one column"),
        ));
    }
    let mut cells = held.cells();
    for (column, value) in changes {
        match COLUMNS.iter().position(|c| c == column) {
            Some(i) if CORRECTABLE.contains(&COLUMNS[i]) => cells[i] = value.clone(),
            Some(_) => errors.push(CellError::new(
                0,
                column,
                Text::new(
                    "社区代码和户号的变化是迁移，不是更正",
                    "A change of community or household is a move, not a correction",
                ),
            )),
            None => errors.push(CellError::new(
                0,
                column,
                Text::new(
                    format!("“{column}”不是标准中的列"),
                    format!("\"{column}\" is not a column of the standard"),
                ),
            )),
        }
    }
    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    match row(0, &refs, standard, today) {
        Ok(r) => {
            let person = r.person();
            errors.extend(retired_cells(standard, 0, &person, Some(held)));
            if errors.is_empty() {
                Ok(person)
            } else {
                Err(errors)
            }
        }
        Err(mut e) => {
            errors.append(&mut e);
            Err(errors)
        }
    }
}

/// The cells of a row that take a code the city has retired. A record
/// keeps a retired code it holds (`held`, the record the row restates);
/// no record takes one anew.
pub fn retired_cells(
    standard: &Standard,
    line: u64,
    person: &super::Person,
    held: Option<&super::Person>,
) -> Vec<CellError> {
    let mut errors = vec![];
    for (column, list, code, kept) in [
        (
            4,
            &standard.ethnicities,
            &person.ethnicity,
            held.map(|h| &h.ethnicity),
        ),
        (
            9,
            &standard.relationships,
            &person.relationship,
            held.map(|h| &h.relationship),
        ),
    ] {
        if list.is_retired(code) && kept != Some(code) {
            let name = list.name(code).unwrap_or_default();
            errors.push(CellError::new(
                line,
                COLUMNS[column],
                Text::new(
                    format!("代码{code}（{name}）已由全市标准停用，新记录和更改不能使用"),
                    format!(
                        "The code {code} ({name}) is retired from the city's standard: no new or changed record takes it"
                    ),
                ),
            ));
        }
    }
    errors
}

/// A member of a household the registry holds, as an import sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldMember {
    pub id: i64,
    /// The household's district and number.
    pub district: String,
    pub household: String,
    pub community: String,
    pub relationship: String,
}

/// Each household the file writes to, as it will be: the file's rows and
/// the members the registry holds that the file does not restate (`rows`
/// pair each row with the held person it restates, if any). It has exactly
/// one head, so a newborn joins the household without the head's row; and
/// its members stay in one community, so a household moves whole.
pub fn check_households(rows: &[(&Row, Option<i64>)], held: &[HeldMember]) -> Vec<CellError> {
    let restated: BTreeSet<i64> = rows.iter().filter_map(|(_, id)| *id).collect();
    let mut households: BTreeMap<(&str, &str), Vec<&Row>> = BTreeMap::new();
    for (r, _) in rows {
        households
            .entry((r.community.district(), r.household.as_str()))
            .or_default()
            .push(r);
    }
    let mut errors = vec![];
    for ((district, number), members) in households {
        let first = members[0];
        let staying: Vec<&HeldMember> = held
            .iter()
            .filter(|m| m.district == district && m.household == number)
            .filter(|m| !restated.contains(&m.id))
            .collect();
        let held_heads = staying
            .iter()
            .filter(|m| m.relationship == HEAD_OF_HOUSEHOLD)
            .count();
        let file_heads: Vec<&&Row> = members
            .iter()
            .filter(|r| r.relationship == HEAD_OF_HOUSEHOLD)
            .collect();
        if held_heads + file_heads.len() == 0 {
            errors.push(CellError::new(
                first.line,
                COLUMNS[9],
                Text::new(
                    format!("户号{number}没有户主（与户主关系为02的人），登记中也没有"),
                    format!("Household {number} has no head (relationship 02), in the file or the registry"),
                ),
            ));
        }
        for (i, extra) in file_heads.iter().enumerate() {
            if i + held_heads == 0 {
                continue;
            }
            let (zh, en) = if held_heads > 0 {
                (
                    format!("户号{number}在登记中已有户主：更换户主时，请在本文件中一并写明原户主的新关系"),
                    format!("Household {number} has a head in the registry: to change the head, give the old head's new relationship in this file too"),
                )
            } else {
                (
                    format!("户号{number}已有户主"),
                    format!("Household {number} already has a head"),
                )
            };
            errors.push(CellError::new(extra.line, COLUMNS[9], Text::new(zh, en)));
        }
        if let Some(elsewhere) = staying
            .iter()
            .find(|m| m.community != first.community.to_string())
        {
            errors.push(CellError::new(
                first.line,
                COLUMNS[7],
                Text::new(
                    format!(
                        "户号{number}的其他成员登记在社区{}：整户迁移时，请在本文件中写明全部成员",
                        elsewhere.community
                    ),
                    format!(
                        "The other members of household {number} are held in community {}: to move the household, give all its members in this file",
                        elsewhere.community
                    ),
                ),
            ));
        }
    }
    // A household a restated person leaves keeps a head if anyone stays.
    let written: BTreeSet<(String, String)> = rows
        .iter()
        .map(|(r, _)| (r.community.district().to_string(), r.household.clone()))
        .collect();
    for (r, id) in rows {
        let Some(from) = id.and_then(|id| held.iter().find(|m| m.id == id)) else {
            continue;
        };
        let key = (from.district.clone(), from.household.clone());
        if written.contains(&key) {
            continue;
        }
        let staying: Vec<&HeldMember> = held
            .iter()
            .filter(|m| {
                (m.district.as_str(), m.household.as_str()) == (key.0.as_str(), key.1.as_str())
            })
            .filter(|m| !restated.contains(&m.id))
            .collect();
        if !staying.is_empty() && !staying.iter().any(|m| m.relationship == HEAD_OF_HOUSEHOLD) {
            errors.push(CellError::new(
                r.line,
                COLUMNS[8],
                Text::new(
                    format!("此人迁出后，户号{}没有户主：请在本文件中为留下的成员写明新户主", key.1),
                    format!("Once this person leaves, household {} has no head: give the members who stay a new head in this file", key.1),
                ),
            ));
        }
    }
    errors.sort_by_key(|e| (e.line, column_order(&e.column)));
    errors
}
