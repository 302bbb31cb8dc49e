//! `/api/v1/webhooks`: subscriptions (create, list, read, edit, delete), their deliveries, and
//! the `:test`, `:replay` and `:redeliver` actions. A merchant's subscriptions belong to its
//! merchant id, an app's or admin's to the token subject; anyone else's subscription is a 404.

use actix_web::http::header;
use actix_web::HttpRequest;
use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::db::webhook_endpoints as endpoints;
use crate::db::webhooks::{self as repo, Owner, SubscriptionRow};

pub mod actions;
pub mod create;
pub mod delete;
pub mod deliveries;
pub mod get;
pub mod list;
pub mod update;
pub mod view;

/// Whose subscriptions the caller manages.
pub(crate) fn owner_of(caller: &Principal) -> Result<Owner, ApiError> {
    match caller.role {
        Role::Merchant => caller
            .merchant_id
            .map(Owner::Merchant)
            .ok_or_else(|| ApiError::Forbidden("the merchant token names no merchant".into())),
        _ => Ok(Owner::Subject(caller.sub.clone())),
    }
}

/// The caller's subscription `id`, or 404.
pub(crate) fn owned(
    conn: &mut PgConnection,
    id: Uuid,
    owner: &Owner,
) -> Result<SubscriptionRow, ApiError> {
    repo::find_subscription(conn, id, owner)?.ok_or(ApiError::NotFound("webhook"))
}

/// The caller's subscription `id`, locked for an edit, or 404.
pub(crate) fn owned_for_update(
    conn: &mut PgConnection,
    id: Uuid,
    owner: &Owner,
) -> Result<SubscriptionRow, ApiError> {
    endpoints::lock_owned(conn, id, owner)?.ok_or(ApiError::NotFound("webhook"))
}

/// The request's `If-Match` (its values joined, when it came more than once), if any.
pub(crate) fn if_match(req: &HttpRequest) -> Option<String> {
    let values: Vec<&str> = req
        .headers()
        .get_all(header::IF_MATCH)
        .map(|v| v.to_str().unwrap_or_default())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// `412` unless `if_match` (absent: no condition) names the subscription's current version:
/// its `ETag` (`"<id>-<version>"`, quoted or not, `W/` tolerated), its bare version, or `*`.
pub(crate) fn check_if_match(
    if_match: Option<&str>,
    sub: &SubscriptionRow,
) -> Result<(), ApiError> {
    let Some(raw) = if_match else {
        return Ok(());
    };
    let (tag, version) = (view::etag(sub), sub.version.to_string());
    let fresh = raw.split(',').any(|item| {
        let item = item.trim();
        let item = item.strip_prefix("W/").unwrap_or(item).trim_matches('"');
        item == "*" || item == tag || item == version
    });
    if fresh {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuaidi_shared::clock::{new_id, Clock};

    fn sub(version: i32) -> SubscriptionRow {
        SubscriptionRow {
            id: new_id(),
            merchant_id: Some(new_id()),
            owner_sub: None,
            url: "https://hooks.example.com/k".into(),
            events: vec!["*".into()],
            secret_sealed: Vec::new(),
            failing_since: None,
            disabled_at: None,
            created_at: Clock::system().now_micros(),
            version,
        }
    }

    #[test]
    fn if_match_names_the_current_version_or_refuses() {
        let s = sub(3);
        let tag = view::etag(&s);
        for fresh in [
            None,
            Some(format!("\"{tag}\"")),
            Some(format!("W/\"{tag}\"")),
            Some(format!("\"other\", \"{tag}\"")),
            Some("3".to_owned()),
            Some("*".to_owned()),
        ] {
            assert!(check_if_match(fresh.as_deref(), &s).is_ok(), "{fresh:?}");
        }
        let stale = format!("\"{}\"", view::etag(&sub(2)));
        for stale in [stale.as_str(), "\"2\"", "", "garbage"] {
            assert!(
                matches!(
                    check_if_match(Some(stale), &s),
                    Err(ApiError::PreconditionFailed)
                ),
                "{stale:?}"
            );
        }
    }

    #[test]
    fn reading_and_editing_one_subscription_are_documented() {
        let doc =
            serde_json::to_value(<crate::ApiDoc as utoipa::OpenApi>::openapi()).expect("document");
        let one = &doc["paths"]["/api/v1/webhooks/{id}"];
        for verb in ["get", "patch", "delete"] {
            assert!(one[verb].is_object(), "{verb} /api/v1/webhooks/{{id}}");
        }
        for status in ["200", "304", "401", "404"] {
            assert!(one["get"]["responses"][status].is_object(), "GET {status}");
        }
        for status in ["200", "401", "404", "412", "422"] {
            assert!(
                one["patch"]["responses"][status].is_object(),
                "PATCH {status}"
            );
        }
        assert!(
            one["patch"].to_string().contains("If-Match"),
            "If-Match documented"
        );
    }
}
