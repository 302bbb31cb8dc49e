//! The request target's part of the edge guard ([`super`]): NUL in the path or a query
//! parameter (`%00`), and bytes that are no UTF-8 text once percent-decoded (`%FF`, or
//! `%ED%A0%80`: an unpaired surrogate written as UTF-8), which PostgreSQL cannot store either.

use super::{check_form, MAX_REPORTED, UNSTORABLE};
use crate::FieldError;

/// NUL in the path (`%00`) or in a query parameter, or bytes that are no UTF-8 text once
/// percent-decoded.
pub(crate) fn check_target(path: &str, query: &str) -> Option<Vec<FieldError>> {
    if path.contains("%00") || !decodes_to_text(path) {
        return Some(vec![FieldError::new("path", UNSTORABLE)]);
    }
    if query.contains("%00") {
        return check_form(query.as_bytes());
    }
    if !decodes_to_text(query) {
        return check_query_text(query);
    }
    None
}

/// Whether `encoded` is UTF-8 text once percent-decoded; cheap when it escapes no byte past
/// ASCII (the common case: nothing is decoded).
fn decodes_to_text(encoded: &str) -> bool {
    let escapes_non_ascii = encoded
        .as_bytes()
        .windows(2)
        .any(|w| w[0] == b'%' && matches!(w[1], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'));
    !escapes_non_ascii || std::str::from_utf8(&percent_decoded(encoded.as_bytes())).is_ok()
}

/// `encoded` with its `%XX` escapes decoded (a `%` not followed by two hex digits is kept).
fn percent_decoded(encoded: &[u8]) -> Vec<u8> {
    let hex = |at: usize| encoded.get(at).and_then(|&b| (b as char).to_digit(16));
    let mut out = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while i < encoded.len() {
        let escaped = (encoded[i] == b'%')
            .then(|| Some(hex(i + 1)? * 16 + hex(i + 2)?))
            .flatten();
        match escaped {
            Some(byte) => {
                out.push(byte as u8);
                i += 3;
            }
            None => {
                out.push(encoded[i]);
                i += 1;
            }
        }
    }
    out
}

/// The query parameters whose value (or name: `query`) is no UTF-8 text once decoded.
fn check_query_text(query: &str) -> Option<Vec<FieldError>> {
    let errors: Vec<FieldError> = query
        .split('&')
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !decodes_to_text(name) {
                Some(FieldError::new("query", UNSTORABLE))
            } else if !decodes_to_text(value) {
                let name =
                    String::from_utf8_lossy(&percent_decoded(name.as_bytes())).replace('+', " ");
                Some(FieldError::new(name, UNSTORABLE))
            } else {
                None
            }
        })
        .take(MAX_REPORTED)
        .collect();
    (!errors.is_empty()).then_some(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::tests::{fields, fields_of};

    #[test]
    fn nul_in_the_query_or_path_is_named() {
        assert_eq!(
            fields(check_target("/api/v1/customers", "limit=5&q=a%00b")),
            ["q"]
        );
        assert_eq!(fields(check_target("/api/v1/tracking/KD%00", "")), ["path"]);
        assert_eq!(
            check_target("/api/v1/tracking/KD100", "q=%25001").map(fields_of),
            None
        );
    }

    #[test]
    fn query_text_that_is_no_utf8_once_decoded_is_named() {
        // An unpaired surrogate (U+D800 written as UTF-8) and a byte no UTF-8 text holds.
        assert_eq!(
            fields(check_target("/api/v1/customers", "q=%ED%A0%80")),
            ["q"]
        );
        assert_eq!(
            fields(check_target(
                "/api/v1/customers",
                "limit=5&q=%FF&city=%E5%8C%97"
            )),
            ["q"]
        );
        assert_eq!(
            fields(check_target("/api/v1/customers", "%C3=1")),
            ["query"]
        );
        assert_eq!(fields(check_target("/api/v1/tracking/KD%FF", "")), ["path"]);
    }

    #[test]
    fn encoded_text_passes() {
        for (path, query) in [
            ("/api/v1/customers", "q=%E5%8C%97%E4%BA%AC&x=%F0%9F%98%80"),
            ("/api/v1/customers", "q=%e5%8c%97+1&r=100%&s=%%41"),
            ("/api/v1/tracking/%E5%8C%97", "q=plain"),
        ] {
            assert_eq!(
                check_target(path, query).map(fields_of),
                None,
                "{path}?{query}"
            );
        }
    }
}
