//! The medical-insurance fund's roll (医保个人账户划入名单): the file the
//! fund sends each month, one payment into a holder's personal account a
//! line, read and checked whole before anything is paid.

use std::collections::BTreeMap;

use crate::money::Fen;
use crate::registry::import::CellError;

/// The roll's columns, in the fund's layout.
pub const COLUMNS: [&str; 3] = ["划入编号", "卡号", "金额"];

/// One payment of the roll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollLine {
    pub line: u64,
    /// The fund's id for the payment (it makes the file safe to send again).
    pub id: u64,
    pub card: String,
    pub amount_fen: i64,
}

/// Read the roll: UTF-8 CSV with the header `划入编号,卡号,金额` (amounts
/// in yuan, at most two decimals). Every fault is named by line and column;
/// an id twice in the file is a fault.
pub fn parse(bytes: &[u8]) -> Result<Vec<RollLine>, Vec<CellError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let fault =
        |line: u64, column: &str, zh: String, en: String| CellError::at(line, column, zh, en);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![fault(
            1,
            "",
            "文件应为UTF-8编码的CSV".into(),
            "The file must be CSV in UTF-8".into(),
        )]);
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_string()).collect(),
        Err(e) => {
            return Err(vec![fault(
                1,
                "",
                format!("无法读取：{e}"),
                format!("Cannot be read: {e}"),
            )])
        }
    };
    if header != COLUMNS {
        return Err(vec![fault(
            1,
            "",
            format!("表头应为：{}", COLUMNS.join(",")),
            format!("The header is {}", COLUMNS.join(",")),
        )]);
    }
    let (mut lines, mut errors) = (vec![], vec![]);
    let mut seen: BTreeMap<u64, u64> = BTreeMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(fault(
                    line,
                    "",
                    format!("无法读取：{e}"),
                    format!("Cannot be read: {e}"),
                ));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |i: usize| record.get(i).unwrap_or("").trim();
        let id = cell(0)
            .parse::<u64>()
            .ok()
            .filter(|n| (1..1 << 62).contains(n));
        if id.is_none() {
            errors.push(fault(
                line,
                COLUMNS[0],
                "划入编号应为正整数".into(),
                "The id is a positive whole number".into(),
            ));
        }
        let card = cell(1).to_string();
        if crate::card::book::card_id(&card).is_none() {
            errors.push(fault(
                line,
                COLUMNS[1],
                "卡号应为13位市民卡号".into(),
                "A card number has 13 digits".into(),
            ));
        }
        let amount = Fen::parse(cell(2)).map(Fen::fen).filter(|f| *f > 0);
        if amount.is_none() {
            errors.push(fault(
                line,
                COLUMNS[2],
                "金额应为大于0的元数，最多两位小数".into(),
                "An amount is yuan above 0, with at most two decimals".into(),
            ));
        }
        if let (Some(id), Some(amount_fen)) = (id, amount) {
            if let Some(first) = seen.insert(id, line) {
                seen.insert(id, first);
                errors.push(fault(
                    line,
                    COLUMNS[0],
                    format!("划入编号已在第{first}行"),
                    format!("The id is on line {first} already"),
                ));
                continue;
            }
            lines.push(RollLine {
                line,
                id,
                card,
                amount_fen,
            });
        }
    }
    if lines.is_empty() && errors.is_empty() {
        errors.push(fault(
            1,
            "",
            "文件中没有划入记录".into(),
            "The file holds no payments".into(),
        ));
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> String {
        crate::card::book::card_number(7)
    }

    #[test]
    fn a_roll_is_read_whole_and_every_fault_named() {
        let good = format!(
            "划入编号,卡号,金额\n101,{},120.50\n102,{},80\n",
            card(),
            card()
        );
        let lines = parse(good.as_bytes()).expect("a good roll");
        assert_eq!(lines.len(), 2);
        assert_eq!(
            (lines[0].line, lines[0].id, lines[0].amount_fen),
            (2, 101, 12_050)
        );
        let bad = format!(
            "划入编号,卡号,金额\nx,123,-1\n101,{},1\n101,{},2\n",
            card(),
            card()
        );
        let faults: Vec<(u64, String)> = parse(bad.as_bytes())
            .unwrap_err()
            .into_iter()
            .map(|e| (e.line, e.column))
            .collect();
        assert_eq!(
            faults,
            [
                (2, "划入编号".to_string()),
                (2, "卡号".to_string()),
                (2, "金额".to_string()),
                (4, "划入编号".to_string())
            ]
        );
        assert!(parse("卡号,金额\n".as_bytes()).is_err());
        assert!(parse("划入编号,卡号,金额\n".as_bytes()).is_err());
    }
}
