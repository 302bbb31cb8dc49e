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

/// The strong entity tag of what `body` shows, for a resource with no version of its own (or
/// beside its version): a digest of its JSON, the same on every replica and build.
pub fn content_tag<T: Serialize>(body: &T) -> String {
    use sha2::Digest;
    let json = serde_json::to_vec(body).unwrap_or_default();
    hex::encode(&sha2::Sha256::digest(&json)[..16])
}

/// [`respond_with_etag`] for a resource without a version: its tag is the [`content_tag`] of
/// what it shows, encoded once for the tag and the body.
pub fn respond_with_content_tag<T: Serialize>(req: &HttpRequest, body: &T) -> HttpResponse {
    use sha2::Digest;
    let json = match serde_json::to_vec(body) {
        Ok(json) => json,
        Err(e) => return HttpResponse::from_error(crate::ApiError::Internal(e.into())),
    };
    let tag = hex::encode(&sha2::Sha256::digest(&json)[..16]);
    match Encoded::new(&tag, json.into()) {
        Ok(encoded) => encoded.respond(req, &[]),
        Err(e) => HttpResponse::from_error(crate::ApiError::Internal(e.into())),
    }
}

/// A JSON answer encoded once and its strong `ETag`, served again and again as they are: no
/// serialisation, no formatting and no allocation per request (e.g. a cache's entry).
#[derive(Debug, Clone)]
pub struct Encoded {
    /// The `ETag` header value, quoted.
    etag: header::HeaderValue,
    json: actix_web::web::Bytes,
}

impl Encoded {
    /// `json` with the strong entity tag `tag` (unquoted; no `"`).
    pub fn new(tag: &str, json: actix_web::web::Bytes) -> Result<Self, header::InvalidHeaderValue> {
        Ok(Self {
            etag: header::HeaderValue::from_str(&format!("\"{tag}\""))?,
            json,
        })
    }

    /// The `ETag` header value (quoted).
    pub fn etag(&self) -> &header::HeaderValue {
        &self.etag
    }

    /// The encoded body.
    pub fn json(&self) -> &actix_web::web::Bytes {
        &self.json
    }

    /// `200` with the body and its `ETag` (and `extra` headers), or `304 Not Modified` when the
    /// caller's `If-None-Match` names the tag — as [`respond_with_etag`] answers.
    pub fn respond(
        &self,
        req: &HttpRequest,
        extra: &[(header::HeaderName, header::HeaderValue)],
    ) -> HttpResponse {
        let mut resp = if if_none_match_names(req, &self.etag) {
            HttpResponse::NotModified().finish()
        } else {
            let mut ok = HttpResponse::Ok().body(self.json.clone());
            ok.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            ok
        };
        let headers = resp.headers_mut();
        headers.insert(header::ETAG, self.etag.clone());
        for (name, value) in extra {
            headers.insert(name.clone(), value.clone());
        }
        resp
    }
}

/// Whether an `If-None-Match` of `req` names the quoted tag `etag` (weak comparison, `*`
/// included), read from the raw header values without parsing them into entity tags. An item
/// that is not well formed never matches, so the answer is at worst a `200`.
fn if_none_match_names(req: &HttpRequest, etag: &header::HeaderValue) -> bool {
    let tag = etag.as_bytes();
    req.headers().get_all(header::IF_NONE_MATCH).any(|value| {
        value.as_bytes().split(|&b| b == b',').any(|item| {
            let item = item.trim_ascii();
            item == b"*" || item.strip_prefix(b"W/").unwrap_or(item) == tag
        })
    })
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
    fn an_encoded_answer_is_served_whole_or_not_modified_when_its_tag_is_named() {
        use actix_web::test::TestRequest;
        let answer = Encoded::new(
            "KD1-2-in_transit",
            actix_web::web::Bytes::from_static(b"{}"),
        )
        .expect("a valid tag");
        let cache = (
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("public, max-age=2"),
        );
        let naming = |tag: &str| {
            TestRequest::default()
                .insert_header((header::IF_NONE_MATCH, tag))
                .to_http_request()
        };
        let header = |resp: &HttpResponse, name: header::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let fresh = answer.respond(
            &TestRequest::default().to_http_request(),
            std::slice::from_ref(&cache),
        );
        assert_eq!(fresh.status(), 200);
        assert_eq!(header(&fresh, header::ETAG), "\"KD1-2-in_transit\"");
        assert_eq!(header(&fresh, header::CONTENT_TYPE), "application/json");
        assert_eq!(header(&fresh, header::CACHE_CONTROL), "public, max-age=2");
        for named in [
            "\"KD1-2-in_transit\"",
            "W/\"KD1-2-in_transit\"",
            "\"other\", \"KD1-2-in_transit\"",
            "*",
        ] {
            let resp = answer.respond(&naming(named), std::slice::from_ref(&cache));
            assert_eq!(resp.status(), 304, "{named} names the answer");
            assert_eq!(header(&resp, header::ETAG), "\"KD1-2-in_transit\"");
        }
        for other in [
            "\"KD1-1-pending\"",
            "KD1-2-in_transit",
            "\"KD1-2-in_transit",
        ] {
            let resp = answer.respond(&naming(other), &[]);
            assert_eq!(resp.status(), 200, "{other} does not");
        }
    }

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
