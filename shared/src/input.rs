//! The edge guard of every process (SPEC §2 "Text input"): text PostgreSQL cannot store (NUL,
//! in JSON the escapes of unpaired UTF-16 surrogates, in the path and query percent-escapes
//! that decode to no UTF-8 text: `input/target.rs`) is refused with `422` problem+json
//! naming the field, for every field of every JSON or form body, every query parameter and the
//! path, before any handler runs; and a JSON body that is not an object (every body of the API
//! is one; `null` counts as no body) is refused with `422` instead of being read as a struct
//! (serde reads `[""]` as a one-field struct).
//!
//! Cheap on the common path: the body is scanned for `\u` escapes and parsed only when one of
//! them is unstorable. A process that streams large bodies elsewhere (the gateway's proxy)
//! registers an [`InputGuard`] with a smaller inspection window: bodies longer than it pass on
//! unchecked, to the service that reads them in full and checks them itself.
//!
//! Routes that answer the elements of a body's array one by one (batch ingestion) are declared
//! item-wise in the [`InputGuard`] of each process that serves or forwards them
//! (`input/items.rs`): unstorable text only inside those elements is rewritten, not refused, so
//! that the handler rejects those elements alone.

use actix_web::dev::{Payload, ServiceRequest};
use actix_web::http::{header, Method};
use actix_web::web::{Bytes, BytesMut};
use actix_web::HttpMessage;
use futures_util::StreamExt;

use crate::{ApiError, FieldError};

mod items;
mod target;
pub use items::{nul_fields, ItemWise};
pub(crate) use target::check_target;

/// How much of a body the guard inspects, and which routes it checks item-wise (app data;
/// without it, [`InputGuard::default`]).
#[derive(Debug, Clone, Copy)]
pub struct InputGuard {
    /// Bodies up to this many bytes are checked; longer ones pass on unchecked.
    pub inspect_up_to: usize,
    /// Routes whose body's array is answered element by element: unstorable text only inside
    /// its elements passes, written `\u0000`, for the handler to reject those elements.
    pub item_wise: &'static [ItemWise],
}

impl InputGuard {
    /// The item-wise route of `path`, if it is one.
    fn item_wise(&self, path: &str) -> Option<&'static ItemWise> {
        self.item_wise.iter().find(|route| route.path == path)
    }
}

impl Default for InputGuard {
    /// The limit of the JSON extractor (`app::serve`): every body a handler reads is checked.
    fn default() -> Self {
        Self {
            inspect_up_to: 4 << 20,
            item_wise: &[],
        }
    }
}

/// The message of a field holding unstorable text.
pub const UNSTORABLE: &str = "must not contain NUL or unpaired surrogate characters";
/// The message of a JSON body that is not an object (field `body`).
pub const NOT_AN_OBJECT: &str = "must be a JSON object";
const MAX_REPORTED: usize = 20;

/// The refusal of a request holding unstorable text in its path, query or body, or a JSON body
/// that is not an object (see the module); the body, when inspected, is put back.
pub async fn refusal(req: &mut ServiceRequest) -> Option<ApiError> {
    if let Some(errors) = check_target(req.uri().path(), req.query_string()) {
        return Some(ApiError::Validation(errors));
    }
    let kind = body_kind(req)?;
    let guard = req.app_data::<InputGuard>().copied().unwrap_or_default();
    let (head, complete, rest) = read_up_to(req.take_payload(), guard.inspect_up_to).await;
    if let (BodyKind::Json, true, Some(route)) = (kind, complete, guard.item_wise(req.path())) {
        return match items::check_items(head, route.items) {
            Ok(body) => {
                req.set_payload(Payload::from(body));
                None
            }
            Err(errors) => Some(ApiError::Validation(errors)),
        };
    }
    let refused = match (kind, complete) {
        (BodyKind::Json, true) => check_json(&head),
        (BodyKind::Json, false) => check_json_start(&head),
        (BodyKind::Form, true) => check_form(&head),
        (BodyKind::Form, false) => None,
    };
    if refused.is_none() {
        req.set_payload(reassemble(head, rest));
    }
    refused.map(ApiError::Validation)
}

#[derive(Debug, Clone, Copy)]
enum BodyKind {
    Json,
    Form,
}

fn body_kind(req: &ServiceRequest) -> Option<BodyKind> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let content_type = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        Some(BodyKind::Json)
    } else if essence == "application/x-www-form-urlencoded" {
        Some(BodyKind::Form)
    } else {
        None
    }
}

/// Reads at most `window + 1` bytes: the head, whether it is the whole body, and the rest.
async fn read_up_to(mut payload: Payload, window: usize) -> (Bytes, bool, Option<Payload>) {
    let mut head = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(chunk) => {
                head.extend_from_slice(&chunk);
                if head.len() > window {
                    return (head.freeze(), false, Some(payload));
                }
            }
            // The handler's extractor meets (and reports) the same error.
            Err(_) => return (head.freeze(), false, None),
        }
    }
    (head.freeze(), true, None)
}

fn reassemble(head: Bytes, rest: Option<Payload>) -> Payload {
    match rest {
        None => Payload::from(head),
        Some(rest) => {
            let stream = futures_util::stream::once(async move { Ok(head) }).chain(rest);
            Payload::Stream {
                payload: Box::pin(stream),
            }
        }
    }
}

/// NUL in a urlencoded form (or query string): the names of the fields holding it.
fn check_form(body: &[u8]) -> Option<Vec<FieldError>> {
    let errors: Vec<FieldError> = form_urlencoded::parse(body)
        .filter(|(k, v)| k.contains('\0') || v.contains('\0'))
        .take(MAX_REPORTED)
        .map(|(k, _)| {
            let field = if k.contains('\0') { "body" } else { &k };
            FieldError::new(field, UNSTORABLE)
        })
        .collect();
    (!errors.is_empty()).then_some(errors)
}

/// A JSON body that is neither an object nor `null` (which bodiless actions accept as "no
/// body", like an empty one).
fn check_json_start(body: &[u8]) -> Option<Vec<FieldError>> {
    let text = body.trim_ascii_start();
    match text.first() {
        None | Some(b'{') => None,
        Some(b'n') if text.trim_ascii_end() == b"null" => None,
        Some(_) => Some(vec![FieldError::new("body", NOT_AN_OBJECT)]),
    }
}

fn check_json(body: &[u8]) -> Option<Vec<FieldError>> {
    if let Some(errors) = check_json_start(body) {
        return Some(errors);
    }
    let marked = mark_unstorable_escapes(body)?;
    // The unstorable escapes are all `\u0000` now: find the strings holding them.
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&marked) else {
        return Some(vec![FieldError::new("body", UNSTORABLE)]);
    };
    let mut errors = Vec::new();
    collect_nul_fields(&value, String::new(), &mut errors);
    if errors.is_empty() {
        errors.push(FieldError::new("body", UNSTORABLE));
    }
    Some(errors)
}

/// A copy of `body` with every unstorable `\u` escape (NUL, an unpaired surrogate) written as
/// `\u0000`, or `None` when it has none.
fn mark_unstorable_escapes(body: &[u8]) -> Option<Vec<u8>> {
    let mut marked: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'\\' {
            i += 1;
            continue;
        }
        if body.get(i + 1) != Some(&b'u') {
            i += 2; // `\\`, `\"`, `\n`: never the start of another escape
            continue;
        }
        let Some(unit) = hex4(body, i + 2) else {
            i += 2;
            continue;
        };
        let unstorable = match unit {
            0 => true,
            0xD800..=0xDBFF => {
                let low = (body.get(i + 6) == Some(&b'\\') && body.get(i + 7) == Some(&b'u'))
                    .then(|| hex4(body, i + 8))
                    .flatten();
                match low {
                    Some(0xDC00..=0xDFFF) => {
                        i += 12; // a pair: one storable character
                        continue;
                    }
                    _ => true,
                }
            }
            0xDC00..=0xDFFF => true,
            _ => false,
        };
        if unstorable {
            let out = marked.get_or_insert_with(|| body.to_vec());
            out[i + 2..i + 6].copy_from_slice(b"0000");
        }
        i += 6;
    }
    marked
}

fn hex4(body: &[u8], at: usize) -> Option<u32> {
    let digits = std::str::from_utf8(body.get(at..at + 4)?).ok()?;
    u32::from_str_radix(digits, 16).ok()
}

/// The dotted paths (`events[2].tracking_number`) of the strings holding NUL.
fn collect_nul_fields(value: &serde_json::Value, path: String, out: &mut Vec<FieldError>) {
    if out.len() >= MAX_REPORTED {
        return;
    }
    let here = |path: &str| {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }
    };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => {
            out.push(FieldError::new(here(&path), UNSTORABLE));
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_nul_fields(item, format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Object(members) => {
            for (key, member) in members {
                if key.contains('\0') {
                    out.push(FieldError::new(here(&path), UNSTORABLE));
                    continue;
                }
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                collect_nul_fields(member, child, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn fields(errors: Option<Vec<FieldError>>) -> Vec<String> {
        let mut fields: Vec<String> = errors
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect();
        fields.sort();
        fields
    }

    #[test]
    fn nul_and_lone_surrogates_are_named_by_their_field() {
        let body = br#"{"name":"a\u0000b","recipient":{"city":"x\ud800"},"events":[{"n":"ok"},{"n":"\udc00"}]}"#;
        assert_eq!(
            fields(check_json(body)),
            ["events[1].n", "name", "recipient.city"]
        );
    }

    #[test]
    fn storable_text_passes() {
        for body in [
            &br#"{"name":"\ud83d\ude00 \u00e9 \\u0000 plain"}"#[..],
            br#"{"a":[1,2,{"b":null}]}"#,
            b"  {}",
            b" null ",
            b"",
        ] {
            assert_eq!(check_json(body).map(fields_of), None, "{body:?}");
        }
    }

    pub(super) fn fields_of(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn bodies_other_than_objects_are_refused() {
        for body in [&br#"[""]"#[..], b"\"x\"", b"1", b"nul", b" true"] {
            assert_eq!(fields(check_json(body)), ["body"], "{body:?}");
        }
    }
}
