//! HTTP helpers shared by handlers: conditional GETs with `ETag` / `If-None-Match`.

use actix_web::http::header::{self, EntityTag, IfNoneMatch};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use serde::Serialize;

/// Answers `body` with a strong `ETag` of `tag`, or `304 Not Modified` when the caller's
/// `If-None-Match` already names it.
pub fn respond_with_etag<T: Serialize>(req: &HttpRequest, tag: &str, body: &T) -> HttpResponse {
    let etag = EntityTag::new_strong(tag.to_owned());
    let fresh = match req.get_header::<IfNoneMatch>() {
        Some(IfNoneMatch::Any) => true,
        Some(IfNoneMatch::Items(items)) => items.iter().any(|t| t.weak_eq(&etag)),
        None => false,
    };
    if fresh {
        return HttpResponse::NotModified()
            .insert_header(header::ETag(etag))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header(header::ETag(etag))
        .json(body)
}
