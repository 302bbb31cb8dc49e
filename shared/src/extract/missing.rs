//! Every missing field of a JSON body at once: serde stops at the first error, so the body is
//! read again with each missing field filled by a placeholder, until the errors are exhausted,
//! one is not a missing field, or a bound is reached (a hostile body stays cheap).

use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use serde_path_to_error::{Error, Path, Segment};
use std::collections::VecDeque;

use super::{field_of, missing_in};
use crate::problem::FieldError;

/// At most this many fields are named in one answer (as `input.rs` names at most 20).
pub(super) const MAX_NAMED: usize = 20;
/// At most this many more readings of one body, and at most this much work: readings times
/// the body's [`weight`]. Bodies are size-limited already; this bounds the repeats.
const MAX_READINGS: usize = 256;
const MAX_WORK: usize = 1 << 20;

/// Every missing field of a body whose first reading failed on one (`first`), and the number
/// of readings it took. Each missing field `x` of the object at `p` is named `p.x` and filled in
/// the body with the first [`placeholders`] `T` takes there; the body is read again for the
/// next error, until one that is not a missing field (named too: a wrong type is worth naming
/// at once), one no placeholder satisfies, [`MAX_NAMED`] fields or the bound on readings. The
/// fields inside a placeholder (of a missing object) are filled silently: the client is told
/// of the object, not of its parts.
pub(super) fn every_missing<T: DeserializeOwned>(
    body: &mut Value,
    first: Error<serde_json::Error>,
) -> (Vec<FieldError>, usize) {
    let budget = MAX_READINGS.min(MAX_WORK / weight(body));
    let (mut found, mut filled, mut readings) = (Vec::new(), Vec::<String>::new(), 0);
    let mut error = first;
    'fields: loop {
        let message = error.inner().to_string();
        let field = field_of(error.path(), &message, "body");
        // An error in or over a placeholder is about the placeholder, not the client's body.
        let inside = filled.iter().any(|f| within(&field, f));
        let over = filled.iter().any(|f| within(f, &field));
        if !inside && !over {
            found.push(FieldError::new(&field, message));
        }
        let name = match missing_in(error.inner()) {
            Some(name) if inside || !over => name,
            _ => break,
        };
        if found.len() >= MAX_NAMED || field == "body" {
            break;
        }
        let path = error.path().clone();
        filled.push(field.clone());
        let mut candidates = placeholders();
        while let Some(candidate) = candidates.pop_front() {
            let Some(object) = object_at(body, &path).filter(|_| readings < budget) else {
                break 'fields;
            };
            object.insert(name.clone(), candidate);
            readings += 1;
            let next = match serde_path_to_error::deserialize::<_, T>(&*body) {
                Ok(_) => break 'fields,
                Err(next) => next,
            };
            let message = next.inner().to_string();
            if field_of(next.path(), &message, "body") != field {
                error = next;
                continue 'fields;
            }
            // `""` is none of an enum's names: try the first one it lists.
            if let Some(names) = message.strip_prefix("unknown variant ``, expected ") {
                if let Some(variant) = names.split('`').nth(1) {
                    candidates.push_front(Value::String(variant.to_owned()));
                }
            }
        }
        break; // No placeholder satisfies `T` there: what was found is the answer.
    }
    (found, readings)
}

/// Whether `field` is `outer` or lies inside it (`outer.x`, `outer[3]`); all is in `body`.
fn within(field: &str, outer: &str) -> bool {
    outer == "body"
        || field
            .strip_prefix(outer)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// What a missing field is filled with, in turn: text (empty, then the forms of a UUID, a time,
/// a date and a decimal), a number, a boolean, a list, an object, and `null` last.
fn placeholders() -> VecDeque<Value> {
    VecDeque::from([
        json!(""),
        json!("00000000-0000-0000-0000-000000000000"),
        json!("1970-01-01T00:00:00Z"),
        json!("1970-01-01"),
        json!("0"),
        json!(0),
        json!(false),
        json!([]),
        json!({}),
        Value::Null,
    ])
}

/// The object at `path` in `body`, where serde found a field missing.
fn object_at<'v>(body: &'v mut Value, path: &Path) -> Option<&'v mut Map<String, Value>> {
    path.iter()
        .try_fold(body, |value, segment| match segment {
            Segment::Seq { index } => value.get_mut(*index),
            Segment::Map { key } | Segment::Enum { variant: key } => value.get_mut(key.as_str()),
            Segment::Unknown => None,
        })?
        .as_object_mut()
}

/// The cost of reading `body` once: its values, and one more for every 64 bytes of text.
fn weight(body: &Value) -> usize {
    1 + match body {
        Value::String(text) => text.len() / 64,
        Value::Array(items) => items.iter().map(weight).sum(),
        Value::Object(map) => map.iter().map(|(k, v)| k.len() / 64 + weight(v)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Event {
        city: String,
        phone: String,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Batch {
        events: Vec<Event>,
    }

    fn scan(mut body: Value) -> (Vec<FieldError>, usize) {
        let first = serde_path_to_error::deserialize::<_, Batch>(&body).expect_err("refused");
        every_missing::<Batch>(&mut body, first)
    }

    #[test]
    fn a_body_missing_many_fields_names_at_most_twenty_in_bounded_readings() {
        let (found, readings) = scan(json!({"events": vec![json!({}); 1000]}));
        assert_eq!(found.len(), MAX_NAMED, "capped like the edge guard's list");
        assert_eq!(found[0].field, "events[0].city");
        assert_eq!(found[1].field, "events[0].phone");
        assert_eq!(found[19].field, "events[9].phone");
        assert!(readings <= MAX_READINGS, "{readings} readings");
    }

    #[test]
    fn a_large_body_is_read_again_fewer_times() {
        let events = vec![json!({}); 200_000];
        let (found, readings) = scan(json!({ "events": events }));
        assert!(readings <= MAX_WORK / 200_000, "{readings} readings");
        assert_eq!(
            found.len(),
            readings + 1,
            "the first, then one per reading: {found:?}"
        );
        assert_eq!(found[0].field, "events[0].city");
    }

    #[test]
    fn fields_are_paths_inside_placeholders_and_lists() {
        assert!(within("recipient.phone", "recipient"));
        assert!(within("events[3]", "events"));
        assert!(within("events", "events"));
        assert!(!within("events_seen", "events"));
        assert!(within("anything", "body"));
    }
}
