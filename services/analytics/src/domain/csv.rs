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
