//! Cells of the CSV files people open in a spreadsheet.

/// Text from outside (a name, a label, an address) for a CSV cell: one
/// starting like a formula (`= + - @`, tab, carriage return) gets a leading
/// `'`, so that a spreadsheet shows it and never evaluates it.
pub fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formulas_are_defused_and_plain_text_kept() {
        for f in ["=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(cell(f), format!("'{f}"));
        }
        assert_eq!(cell("Lycée Ampère; Lyon"), "Lycée Ampère; Lyon");
        assert_eq!(cell(""), "");
    }
}
