//! `/api/v1/customers` handlers, the entity tags and PII-read marks of customer views.

pub mod classify;
pub mod consents;
pub mod create;
pub mod delete;
pub mod duplicates;
pub mod get;
pub mod list;
pub mod merge;
pub mod owner;
pub mod patch;
pub mod update;
pub mod view;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use kuaidi_shared::auth::Principal;
use kuaidi_shared::http::{mark_pii_read, respond_with_etag};
use kuaidi_shared::ApiError;
use std::hash::{Hash, Hasher};
use uuid::Uuid;

use crate::api::customers::Customer;

/// The entity tag of a customer view: its version, then a digest of everything shown (stats
/// and timeline change without the version moving).
pub fn etag(body: &Customer) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(body).unwrap_or_default().hash(&mut h);
    format!("{}.{:016x}", body.version, h.finish())
}

/// Answers a customer view with its `ETag` (or `304`, which shows nothing), flagged for the
/// audit log when it shows PII unmasked.
pub fn respond(req: &HttpRequest, body: &Customer, caller: &Principal) -> HttpResponse {
    let mut resp = respond_with_etag(req, &etag(body), body);
    mark_unmasked(&mut resp, caller, &[body]);
    resp
}

/// Flags `resp` for the gateway's audit log (SPEC §3) with the customers among `shown` whose
/// PII `caller` sees unmasked: every answer that carries a customer view goes through here —
/// single reads, lists, creation, edits, merges.
pub fn mark_unmasked(resp: &mut HttpResponse, caller: &Principal, shown: &[&Customer]) {
    let ids: Vec<Uuid> = shown
        .iter()
        .filter(|c| crate::workflow::access::sees_pii_of(caller, c.owner_id, c.merchant_id))
        .map(|c| c.id)
        .collect();
    mark_read(resp, &ids);
}

/// Flags `resp` for the gateway's audit log with the customers `ids` it shows unmasked (none:
/// no flag), for an answer whose rights are not those of the views it shows (a dry-run merge).
pub fn mark_read(resp: &mut HttpResponse, ids: &[Uuid]) {
    if !ids.is_empty() {
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        mark_pii_read(resp, &format!("customer:{}", ids.join(",")));
    }
}

/// `412` when the request's `If-Match` names another version than `version` (`*` and a
/// missing header match). Tags are read leniently: `"3.abc"`, `W/"3"`, `3`.
pub fn check_if_match(if_match: Option<&str>, version: i32) -> Result<(), ApiError> {
    let Some(raw) = if_match else {
        return Ok(());
    };
    let current = version.to_string();
    let fresh = raw.split(',').any(|t| {
        let t = t.trim().trim_start_matches("W/").trim_matches('"');
        t == "*" || t.split('.').next() == Some(current.as_str())
    });
    if fresh {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed)
    }
}

/// The request's `If-Match` header, if any.
pub fn if_match(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::IF_MATCH)
        .map(|v| v.to_str().unwrap_or_default().to_owned())
}

/// The `ETag` header value for a view (for answers that are not conditional GETs).
pub fn etag_header(body: &Customer) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{}\"", etag(body)))
}

/// Answers an edited customer with its `ETag` (not a conditional GET), flagged for the audit
/// log when it shows PII unmasked.
pub fn respond_edited(body: &Customer, caller: &Principal) -> HttpResponse {
    let mut resp = HttpResponse::Ok()
        .insert_header(etag_header(body))
        .json(body);
    mark_unmasked(&mut resp, caller, &[body]);
    resp
}

/// Writes an edited customer as a new version and announces the changed fields with
/// `customer.updated` (and the blind indexes of its phones: write the identities first), in
/// the caller's transaction.
pub fn commit_edit(
    conn: &mut diesel::PgConnection,
    row: &mut crate::db::customers::CustomerRow,
    changed: Vec<String>,
    ctx: &kuaidi_shared::request::RequestContext,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    row.version += 1;
    row.updated_at = now;
    crate::db::customers::save(conn, row)?;
    let phones = crate::db::customers::phone_hashes(conn, row.id)?;
    let event = crate::events::emit::Emitter { ctx, now }.updated(row, changed, phones);
    Ok(kuaidi_shared::events::Outbox::enqueue(conn, &event)?)
}
