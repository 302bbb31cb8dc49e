//! `Idempotency-Key` on POSTs (SPEC §2), proxied ([`keep`]) or the gateway's own
//! ([`own_creates`]): the first request with a key runs. An answer of a request that was
//! executed (below `400`, [`is_kept`]) is kept for 24 h: the same key with the same request
//! replays it; with a different request it is a `422`. A request refused before doing anything
//! (any `4xx`) or failing on the server side (`5xx`) keeps nothing: the key is released, and the
//! same key runs again, with the same request or a corrected one (Stripe's rule). While the
//! first request is still running, the key is a `409`. Keys are scoped to the caller. Kept
//! bodies (recipients, contacts, webhook secrets) are sealed with the PII key (AES-256-GCM).

use actix_web::body::BoxBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use kuaidi_shared::auth::Principal;
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::ApiError;

use crate::db::schema::idempotency_keys;

mod fingerprint;
pub use fingerprint::fingerprint;

/// Response headers worth replaying.
/// The PII-read flag is kept too, so that a replay showing PII is audited like the original.
pub const KEPT_HEADERS: [&str; 5] = [
    "content-type",
    "location",
    "etag",
    "x-duplicate-of",
    kuaidi_shared::http::PII_AUDIT_HEADER,
];

pub enum Begin {
    /// This request owns the key: forward it, then `finish` or `abandon`.
    Proceed,
    /// The stored answer of the first request.
    Replay(HttpResponse),
}

/// Validates a caller-supplied key.
pub fn parse_key(raw: &str) -> Result<String, ApiError> {
    let k = raw.trim();
    if k.is_empty() || k.len() > 255 || !k.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::validation(
            "Idempotency-Key",
            "must be 1–255 visible ASCII characters",
        ));
    }
    Ok(k.to_owned())
}

/// Whether the answer `status` is kept for replays: only a request that was executed. A refusal
/// (`4xx`: invalid, unauthorised, unknown, conflicting, too large, rate-limited) did nothing, and
/// a server error (`5xx`) may not have; a kept one would hide the answer of a retry.
pub fn is_kept(status: u16) -> bool {
    status < 400
}

/// What the database holds for a key (`HttpResponse` is not `Send`, so it is built outside).
enum Found {
    Fresh,
    Answered(i32, Option<serde_json::Value>, Vec<u8>),
}

/// Claims `key` for this request, or finds the answer of the request that claimed it first.
pub async fn begin(
    pool: &PgPool,
    pii: &PiiCipher,
    principal: String,
    key: String,
    hash: String,
) -> Result<Begin, ApiError> {
    let found = db::transaction(pool, move |conn| claim_key(conn, &principal, &key, &hash)).await?;
    let Found::Answered(status, headers, body) = found else {
        return Ok(Begin::Proceed);
    };
    let mut resp = HttpResponse::build(
        StatusCode::from_u16(u16::try_from(status).unwrap_or(500)).unwrap_or(StatusCode::OK),
    );
    if let Some(serde_json::Value::Object(h)) = headers {
        for (name, value) in h {
            if let Some(v) = value.as_str() {
                resp.insert_header((name, v.to_owned()));
            }
        }
    }
    resp.insert_header(("idempotent-replayed", "true"));
    // Records kept before bodies were sealed (at most one retention period) open as they are.
    let body = pii.open(&body).unwrap_or(body);
    Ok(Begin::Replay(resp.body(body)))
}

/// Claims `key` in one transaction: a fresh key, or one whose record holds a refusal (kept by a
/// version that kept them: at most one retention period, or a replica not yet upgraded), is this
/// request's; otherwise the record says what the first request left.
fn claim_key(
    conn: &mut PgConnection,
    principal: &str,
    key: &str,
    hash: &str,
) -> Result<Found, ApiError> {
    let now = diesel::dsl::now;
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::principal.eq(principal),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(hash),
            idempotency_keys::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    if inserted == 1 {
        return Ok(Found::Fresh);
    }
    type Stored = (
        String,
        Option<i32>,
        Option<serde_json::Value>,
        Option<Vec<u8>>,
    );
    let record = idempotency_keys::table.find((principal, key));
    // Locked: of two requests finding a kept refusal, one takes the key over, the other waits
    // and finds it running.
    let (stored_hash, status, headers, body): Stored = record
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::headers,
            idempotency_keys::body,
        ))
        .for_update()
        .first(conn)?;
    if status.is_some_and(|s| !u16::try_from(s).is_ok_and(is_kept)) {
        diesel::update(record)
            .set((
                idempotency_keys::request_hash.eq(hash),
                idempotency_keys::status.eq(None::<i32>),
                idempotency_keys::headers.eq(None::<serde_json::Value>),
                idempotency_keys::body.eq(None::<Vec<u8>>),
                idempotency_keys::created_at.eq(now),
            ))
            .execute(conn)?;
        return Ok(Found::Fresh);
    }
    if stored_hash != hash {
        return Err(ApiError::Unprocessable {
            code: "idempotency_key_reused",
            detail: "this Idempotency-Key was used with a different request".into(),
        });
    }
    let Some(status) = status else {
        return Err(ApiError::conflict(
            "idempotency_key_in_use",
            "a request with this Idempotency-Key is still being processed; retry later",
        ));
    };
    Ok(Found::Answered(status, headers, body.unwrap_or_default()))
}

/// Keeps the answer of the request that owned the key.
pub async fn finish(
    pool: &PgPool,
    principal: String,
    key: String,
    status: u16,
    headers: serde_json::Value,
    body: Vec<u8>,
) -> Result<(), ApiError> {
    db::run(pool, move |conn| {
        diesel::update(idempotency_keys::table.find((&principal, &key)))
            .set((
                idempotency_keys::status.eq(Some(i32::from(status))),
                idempotency_keys::headers.eq(Some(headers)),
                idempotency_keys::body.eq(Some(body)),
            ))
            .execute(conn)?;
        Ok(())
    })
    .await
}

/// Releases a key whose request was not executed or failed ([`is_kept`]), so the client may
/// send it again.
pub async fn abandon(pool: &PgPool, principal: String, key: String) {
    let _ = db::run(pool, move |conn| {
        diesel::delete(idempotency_keys::table.find((&principal, &key))).execute(conn)?;
        Ok(())
    })
    .await;
}

/// What [`claim`] found: the key claimed for this request (its caller, key, pool and cipher),
/// or the answer of the request that claimed it first.
enum Claimed {
    Fresh((String, String, PgPool, web::Data<PiiCipher>)),
    Replay(HttpResponse),
}

/// Claims the key `raw` of a keyed create for its verified caller, the body fingerprinted and
/// put back for the handler.
async fn claim(
    req: &mut ServiceRequest,
    raw: &actix_web::http::header::HeaderValue,
) -> Result<Claimed, actix_web::Error> {
    let key = parse_key(raw.to_str().unwrap_or(""))?;
    let who = req.extract::<Principal>().await?.sub;
    let body = req.extract::<web::Bytes>().await?;
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let hash = fingerprint("POST", req.uri().path(), content_type, &body);
    req.set_payload(bytes_payload(body));
    let (Some(auditor), Some(pii)) = (
        req.app_data::<web::Data<crate::audit::Auditor>>().cloned(),
        req.app_data::<web::Data<PiiCipher>>().cloned(),
    ) else {
        return Err(ApiError::Internal(anyhow::anyhow!("idempotency is not configured")).into());
    };
    let pool = auditor.pool().clone();
    Ok(
        match begin(&pool, &pii, who.clone(), key.clone(), hash).await? {
            Begin::Replay(resp) => Claimed::Replay(resp),
            _ => Claimed::Fresh((who, key, pool, pii)),
        },
    )
}

/// `Idempotency-Key` on the gateway's own creates (users, clients, API keys), as the proxy does
/// for the services' (a middleware on those resources): a keyed POST by a verified caller runs
/// once; the same key and body replay its answer, sealed at rest like every kept answer (a
/// credential's secret is shown again only to the caller who created it, with the same key).
pub async fn own_creates(
    mut req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let raw = req.headers().get("idempotency-key").cloned();
    let (Some(raw), true) = (raw, req.method() == actix_web::http::Method::POST) else {
        return next.call(req).await;
    };
    // Refusals before the create are answered as the app answers errors (problem+json with
    // `instance` and `request_id`), not returned past it.
    let (who, key, pool, pii) = match claim(&mut req, &raw).await {
        Ok(Claimed::Fresh(claimed)) => claimed,
        Ok(Claimed::Replay(resp)) => return Ok(req.into_response(resp)),
        Err(e) => return Ok(req.error_response(e)),
    };
    let res = match next.call(req).await {
        Ok(res) => res,
        Err(e) => {
            abandon(&pool, who, key).await;
            return Err(e);
        }
    };
    let (req, resp) = res.into_parts();
    let (head, body) = resp.into_parts();
    let bytes = match actix_web::body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(e) => {
            abandon(&pool, who, key).await;
            return Err(ApiError::Internal(anyhow::anyhow!("reading an answer: {e}")).into());
        }
    };
    let kept = kept_headers(|name| head.headers().get(name).and_then(|v| v.to_str().ok()));
    let answer = (head.status().as_u16(), kept, &bytes[..]);
    settle(&pool, &pii, (who, key), answer).await?;
    Ok(ServiceResponse::new(
        req,
        head.set_body(BoxBody::new(bytes)),
    ))
}

/// The [`KEPT_HEADERS`] of an answer, by a lookup of its headers.
fn kept_headers<'a>(get: impl Fn(&str) -> Option<&'a str>) -> serde_json::Value {
    let kept = KEPT_HEADERS
        .iter()
        .filter_map(|&name| Some((name.to_owned(), get(name)?.into())));
    serde_json::Value::Object(kept.collect())
}

/// Keeps the answer `(status, headers, body)` of the request that owned the key, sealed, if it
/// is kept ([`is_kept`]); any other answer releases the key, so the client may send it again.
async fn settle(
    pool: &PgPool,
    pii: &PiiCipher,
    (who, key): (String, String),
    (status, headers, body): (u16, serde_json::Value, &[u8]),
) -> Result<(), ApiError> {
    if is_kept(status) {
        finish(pool, who, key, status, headers, pii.seal(body)).await
    } else {
        abandon(pool, who, key).await;
        Ok(())
    }
}

/// A request body read before the handler, given back to it.
fn bytes_payload(body: web::Bytes) -> Payload {
    let once = futures_util::stream::once(async move { Ok(body) });
    Payload::Stream {
        payload: Box::pin(once),
    }
}

/// Keeps the service's answer `resp` for the key if it is kept ([`is_kept`]; any other answer,
/// or one that cannot be read, releases the key, so the client may send it again) and relays it.
pub async fn keep(
    pool: &PgPool,
    pii: &PiiCipher,
    who: String,
    key: String,
    resp: crate::proxy::upstream::Answer,
) -> Result<HttpResponse, ApiError> {
    let (parts, body) = resp.into_parts();
    let status = parts.status.as_u16();
    let kept = kept_headers(|name| parts.headers.get(name).and_then(|v| v.to_str().ok()));
    let bytes = match crate::proxy::upstream::read_all(body).await {
        Ok(bytes) => bytes,
        Err(e) => {
            abandon(pool, who, key).await;
            return Err(e);
        }
    };
    settle(pool, pii, (who, key), (status, kept, &bytes)).await?;
    Ok(crate::proxy::upstream::buffered_response(
        status,
        &parts.headers,
        bytes,
    ))
}

/// Deletes one batch of records older than `$1` (at most `$2`): the gateway's retention job.
pub const PURGE_SQL: &str = "DELETE FROM idempotency_keys WHERE (principal, key) IN (\
    SELECT principal, key FROM idempotency_keys WHERE created_at < $1 \
    ORDER BY created_at LIMIT $2)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_up_to_255_characters() {
        assert!(parse_key("order-123").is_ok());
        assert!(parse_key("").is_err());
        assert!(parse_key("has space").is_err());
        assert!(parse_key(&"x".repeat(256)).is_err());
    }

    #[test]
    fn only_the_answers_of_executed_requests_are_kept() {
        let kept = [200, 201, 202, 204, 303];
        let refused = [
            400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 500, 502, 503,
        ];
        assert!(kept.into_iter().all(is_kept), "executed: kept, replayed");
        assert!(!refused.into_iter().any(is_kept), "the key runs again");
    }
}
