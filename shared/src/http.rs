//! HTTP helpers shared by handlers: conditional GETs with `ETag` / `If-None-Match`.

use actix_web::http::header::{self, EntityTag, IfNoneMatch};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use serde::Serialize;

/// Answers `body` with a strong `ETag` of `tag`, or `304 Not Modified` when the caller's
/// `If-None-Match` already names it.
pub fn respond_with_etag<T: Serialize>(req: &HttpRequest, tag: &str, body: &T) -> HttpResponse {
    let etag = EntityTag::new_strong(tag.to_owned());
    if names(req, &etag) {
        return not_modified(etag);
    }
    HttpResponse::Ok()
        .insert_header(header::ETag(etag))
        .json(body)
}

/// Like [`respond_with_etag`] for a body already encoded as JSON (e.g. a cached answer).
pub fn respond_encoded_with_etag(
    req: &HttpRequest,
    tag: &str,
    json: actix_web::web::Bytes,
) -> HttpResponse {
    let etag = EntityTag::new_strong(tag.to_owned());
    if names(req, &etag) {
        return not_modified(etag);
    }
    HttpResponse::Ok()
        .insert_header(header::ETag(etag))
        .insert_header(header::ContentType::json())
        .body(json)
}

/// Whether the caller's `If-None-Match` names `etag`.
fn names(req: &HttpRequest, etag: &EntityTag) -> bool {
    match req.get_header::<IfNoneMatch>() {
        Some(IfNoneMatch::Any) => true,
        Some(IfNoneMatch::Items(items)) => items.iter().any(|t| t.weak_eq(etag)),
        None => false,
    }
}

fn not_modified(etag: EntityTag) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header(header::ETag(etag))
        .finish()
}

/// Response header by which a service tells the gateway that this answer shows PII unmasked;
/// the gateway writes it to the audit log and strips it.
pub const PII_AUDIT_HEADER: &str = "kuaidi-audit-pii";

/// Marks `resp` as an unmasked read of `target` (e.g. `customer:<id>`), for the audit log — but
/// not a `304 Not Modified`, which shows nothing.
pub fn mark_pii_read(resp: &mut HttpResponse, target: &str) {
    if resp.status() == actix_web::http::StatusCode::NOT_MODIFIED {
        return;
    }
    if let Ok(v) = header::HeaderValue::from_str(target) {
        resp.headers_mut()
            .insert(header::HeaderName::from_static(PII_AUDIT_HEADER), v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_showing_pii_is_flagged_and_a_304_is_not() {
        let mut shown = HttpResponse::Ok().finish();
        mark_pii_read(&mut shown, "customer:1");
        let flag = shown.headers().get(PII_AUDIT_HEADER);
        assert_eq!(flag.map(|v| v.as_bytes()), Some(&b"customer:1"[..]));
        let mut unchanged = HttpResponse::NotModified().finish();
        mark_pii_read(&mut unchanged, "customer:1");
        assert!(unchanged.headers().get(PII_AUDIT_HEADER).is_none());
    }
}
