//! Cells of the CSV files the platform writes, safe to open in a
//! spreadsheet (OWASP "CSV injection"): a cell that begins with `=`, `+`,
//! `-`, `@`, a tab or a carriage return would be read as a formula, so it is
//! written with a single quote before it. A cell that begins with a quote
//! gets one more, so that reading strips exactly one and every value comes
//! back as it was.

/// The cell as written to a file.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\'') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// The value a written cell holds: [`neutralise`] undone.
pub fn restore(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn csv_cells_that_would_be_formulas_are_quoted() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("'quoted"), "''quoted");
        assert_eq!(neutralise("杭州市"), "杭州市");
        assert_eq!(neutralise(""), "");
    }

    proptest! {
        #[test]
        fn csv_cells_round_trip(cell in "\\PC{0,12}|[=+\\-@'\t\r]\\PC{0,8}") {
            let written = neutralise(&cell);
            prop_assert_eq!(restore(&written), cell.as_str());
        }
    }
}
