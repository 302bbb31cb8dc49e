//! RFC 4180 CSV lines: fields separated by commas, quoted when they hold a comma, a quote, a
//! semicolon (the separator of spreadsheets in many locales) or a line break (quotes doubled),
//! lines ended by CRLF. Text cells never start like a formula (OWASP "CSV Injection").

/// One CSV record.
pub fn record<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

fn field(value: &str) -> String {
    if value.contains([',', '"', ';', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// What a spreadsheet reads a cell beginning with as a formula (OWASP "CSV Injection").
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell that a spreadsheet shows and never runs: one beginning like a formula (a city
/// named `=1+1`, `@SUM(…)`, `-2+3`) gets a leading `'`, OWASP's advice. Numbers are not text
/// cells: a negative number stays a number.
pub fn text(value: &str) -> String {
    if value.starts_with(FORMULA_STARTS) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// A number as text; empty for `None` (a `null` figure).
pub fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fields_are_joined_and_the_line_ends_with_crlf() {
        assert_eq!(record(&["a", "北京", "3"]), "a,北京,3\r\n");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(
            record(&["a,b", "say \"hi\"", "two\nlines"]),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn nulls_are_empty_fields() {
        assert_eq!(record(&[opt::<f64>(None), opt(Some(0.5))]), ",0.5\r\n");
    }
}

/// The CSV text of a JSON value: empty for `null`, numbers as they are (a money's amount is
/// one), text and lists (`;`-separated) as [`text`] cells.
pub fn json_field(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => String::new(),
        Value::String(s) => text(s),
        Value::Object(o) if o.get("amount").is_some_and(Value::is_string) => {
            o["amount"].as_str().unwrap_or_default().to_owned()
        }
        Value::Array(items) => text(&items.iter().map(json_field).collect::<Vec<_>>().join(";")),
        other => other.to_string(),
    }
}

/// One record of `columns` read from a serialised row.
pub fn json_record(columns: &[&str], row: &serde_json::Value) -> String {
    let fields: Vec<String> = columns.iter().map(|c| json_field(&row[*c])).collect();
    record(&fields)
}

#[cfg(test)]
mod json_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_rows_become_records_in_the_columns_order() {
        let row = json!({"b": null, "a": "x,y", "money": {"amount": "1.50", "currency": "CNY"}, "n": 0.25, "list": ["p", "q"]});
        assert_eq!(
            json_record(&["a", "b", "money", "n", "list"], &row),
            "\"x,y\",,1.50,0.25,\"p;q\"\r\n"
        );
    }

    #[test]
    fn text_cells_beginning_like_a_formula_are_neutralised_and_numbers_are_not() {
        let row = json!({"city": "=1+1", "hub": "@SUM(A1)", "category": "-2+3", "plus": "+1",
            "tab": "\tx", "cr": "\rx", "plain": "北京 = home", "change": -3, "rate": -0.5,
            "money": {"amount": "-1.50", "currency": "CNY"}, "list": ["ok", "=cmd|' /C calc'!A0"]});
        let columns = [
            "city", "hub", "category", "plus", "tab", "cr", "plain", "change", "rate", "money",
            "list",
        ];
        assert_eq!(
            json_record(&columns, &row),
            "'=1+1,'@SUM(A1),'-2+3,'+1,'\tx,\"'\rx\",北京 = home,-3,-0.5,-1.50,\"ok;'=cmd|' /C calc'!A0\"\r\n"
        );
        assert_eq!(
            json_field(&json!(["=a", "b"])),
            "'=a;b",
            "each item of a list"
        );
    }
}
