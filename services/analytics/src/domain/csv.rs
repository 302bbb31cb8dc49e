//! RFC 4180 CSV lines: fields separated by commas, quoted when they hold a comma, a quote or a
//! line break (quotes doubled), lines ended by CRLF.

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
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
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

/// The CSV text of a JSON value: empty for `null`, a money's amount, text as is.
pub fn json_field(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(o) if o.contains_key("amount") => json_field(&o["amount"]),
        serde_json::Value::Array(items) => {
            items.iter().map(json_field).collect::<Vec<_>>().join(";")
        }
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
            "\"x,y\",,1.50,0.25,p;q\r\n"
        );
    }
}
