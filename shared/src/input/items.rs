//! The guard's item-wise mode ([`super`]): a route that answers each element of an array of its
//! body on its own (SPEC §5: "one bad event never rejects the batch") refuses no body for
//! unstorable text that is only inside elements of that array. Their escapes are written
//! `\u0000` so the body parses; the handler finds them ([`nul_fields`]) and rejects those
//! elements alone. Unstorable text anywhere else is refused as on every other route.

use actix_web::web::Bytes;
use serde_json::Value;

use super::{check_json, check_json_start, collect_nul_fields, mark_unstorable_escapes};
use crate::FieldError;

/// A route whose body's `items` array is answered element by element. The process that
/// serves (or forwards) the route declares it in its [`super::InputGuard`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemWise {
    /// The request path (bodies are checked on methods that carry one; these routes are POSTs).
    pub path: &'static str,
    /// The top-level member holding the items (`events`).
    pub items: &'static str,
}

/// The strings of `value` holding NUL (a `\u0000` or an unstorable escape the guard rewrote),
/// named under `at` (`events[3].description`), for a handler of an item-wise route to reject
/// its item.
pub fn nul_fields(value: &Value, at: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    collect_nul_fields(value, at.to_owned(), &mut errors);
    errors
}

/// The body to pass on, or the refusal: unstorable text only inside elements of `items` passes
/// rewritten; anywhere else (or in a body that does not parse) it is refused naming every field
/// that holds it. A rewritten body keeps its length (an escape for an escape): its
/// `Content-Length` stays true.
pub(super) fn check_items(body: Bytes, items: &str) -> Result<Bytes, Vec<FieldError>> {
    if let Some(errors) = check_json_start(&body) {
        return Err(errors);
    }
    let Some(marked) = mark_unstorable_escapes(&body) else {
        return Ok(body);
    };
    match serde_json::from_slice::<Value>(&marked) {
        Ok(value) if only_in_items(&value, items) => Ok(Bytes::from(marked)),
        _ => Err(check_json(&body).unwrap_or_default()),
    }
}

/// Whether every NUL of `value` (an object) is inside an element of its `items` array.
fn only_in_items(value: &Value, items: &str) -> bool {
    let Value::Object(members) = value else {
        return false;
    };
    members.iter().all(|(key, member)| match member {
        Value::Array(_) if key == items => true,
        _ => !key.contains('\0') && !holds_nul(member),
    })
}

fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(members) => members
            .iter()
            .any(|(key, member)| key.contains('\0') || holds_nul(member)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::fields;
    use super::*;

    fn passed(body: &[u8]) -> Result<Vec<u8>, Vec<String>> {
        check_items(Bytes::copy_from_slice(body), "events")
            .map(|b| b.to_vec())
            .map_err(|e| fields(Some(e)))
    }

    #[test]
    fn unstorable_text_inside_items_passes_with_its_escapes_written_nul() {
        let body =
            br#"{"events":[{"d":"ok"},{"d":"a\u0000b"},{"event_id":"\ud800","x":["\udc00"]}]}"#;
        let rewritten = passed(body).expect("passed on");
        assert_eq!(
            rewritten,
            br#"{"events":[{"d":"ok"},{"d":"a\u0000b"},{"event_id":"\u0000","x":["\u0000"]}]}"#
        );
        let value: Value = serde_json::from_slice(&rewritten).expect("the rewritten body parses");
        let named: Vec<String> = (0..3)
            .flat_map(|i| nul_fields(&value["events"][i], &format!("events[{i}]")))
            .map(|e| e.field)
            .collect();
        assert_eq!(
            named,
            ["events[1].d", "events[2].event_id", "events[2].x[0]"]
        );
    }

    #[test]
    fn a_key_or_a_whole_item_may_be_unstorable_too() {
        for body in [
            &br#"{"events":["\u0000"]}"#[..],
            br#"{"events":[{"k\ud800":1}]}"#,
        ] {
            assert!(passed(body).is_ok(), "{body:?}");
        }
    }

    #[test]
    fn storable_bodies_pass_unchanged() {
        let body = br#"{"events":[{"d":"\ud83d\ude00 \\u0000"}]}"#;
        assert_eq!(passed(body).expect("passed"), body.to_vec());
    }

    #[test]
    fn unstorable_text_outside_the_items_is_refused_naming_every_field() {
        for (body, named) in [
            (
                &br#"{"note":"\u0000","events":[{"d":"\ud800"}]}"#[..],
                &["events[0].d", "note"][..],
            ),
            (br#"{"events":"\u0000"}"#, &["events"]),
            (br#"{"events":[],"meta":{"a":["\udc00"]}}"#, &["meta.a[0]"]),
            (br#"{"other":[{"d":"\u0000"}]}"#, &["other[0].d"]),
            (br#"{"ev\u0000ents":[]}"#, &["body"]),
        ] {
            assert_eq!(
                passed(body).map(|_| ()),
                Err(named.iter().map(|s| s.to_string()).collect()),
                "{body:?}"
            );
        }
    }

    #[test]
    fn bodies_other_than_objects_are_still_refused() {
        assert_eq!(passed(br#"[{"events":[]}]"#), Err(vec!["body".to_owned()]));
    }
}

#[cfg(test)]
mod guard_tests {
    use actix_web::test::TestRequest;
    use actix_web::web::Bytes;
    use actix_web::HttpMessage;
    use futures_util::StreamExt;

    use super::super::{refusal, InputGuard};
    use super::ItemWise;

    const BATCH: ItemWise = ItemWise {
        path: "/api/v1/batch",
        items: "events",
    };

    async fn guarded(path: &str, body: &'static str) -> Result<Bytes, Vec<String>> {
        let mut req = TestRequest::post()
            .uri(path)
            .insert_header(("content-type", "application/json"))
            .app_data(InputGuard {
                item_wise: &[BATCH],
                ..InputGuard::default()
            })
            .set_payload(body)
            .to_srv_request();
        if let Some(refused) = refusal(&mut req).await {
            let crate::ApiError::Validation(errors) = refused else {
                panic!("a validation problem, got {refused:?}");
            };
            return Err(errors.into_iter().map(|e| e.field).collect());
        }
        let mut payload = req.take_payload();
        let mut body = Vec::new();
        while let Some(chunk) = payload.next().await {
            body.extend_from_slice(&chunk.expect("a chunk"));
        }
        Ok(Bytes::from(body))
    }

    #[actix_web::test]
    async fn a_declared_route_passes_bad_items_on_rewritten_and_others_refuse_them() {
        let body = r#"{"events":[{"d":"ok"},{"d":"\u0000"},{"event_id":"\ud800"}]}"#;
        let rewritten = r#"{"events":[{"d":"ok"},{"d":"\u0000"},{"event_id":"\u0000"}]}"#;
        assert_eq!(
            guarded("/api/v1/batch", body).await,
            Ok(Bytes::from(rewritten)),
            "the item-wise route gets the body, its escapes written NUL"
        );
        assert_eq!(
            guarded("/api/v1/other", body).await,
            Err(vec![
                "events[1].d".to_owned(),
                "events[2].event_id".to_owned()
            ]),
            "any other route refuses it"
        );
        assert_eq!(
            guarded("/api/v1/batch", r#"{"note":"\u0000","events":[]}"#).await,
            Err(vec!["note".to_owned()]),
            "text outside the items is refused on the item-wise route too"
        );
    }
}
