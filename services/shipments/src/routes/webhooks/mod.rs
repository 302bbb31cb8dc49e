//! `/api/v1/webhooks`: subscriptions (create, list, read, edit, delete), their deliveries, and
//! the `:test`, `:replay` and `:redeliver` actions. A merchant's subscriptions belong to its
//! merchant id, an app's or admin's to the token subject. An admin sees and manages every
//! subscription (SPEC §3, webhooks: admin ✓); for anyone else, another's subscription is a 404.

use actix_web::http::header;
use actix_web::HttpRequest;
use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::db::webhook_endpoints as endpoints;
use crate::db::webhooks::{self as repo, Owner, Scope, SubscriptionRow};

pub mod actions;
pub mod create;
pub mod delete;
pub mod deliveries;
pub mod get;
pub mod list;
pub mod update;
pub mod view;

/// Who owns the subscriptions the caller registers.
pub(crate) fn owner_of(caller: &Principal) -> Result<Owner, ApiError> {
    match caller.role {
        Role::Merchant => caller
            .merchant_id
            .map(Owner::Merchant)
            .ok_or_else(|| ApiError::Forbidden("the merchant token names no merchant".into())),
        _ => Ok(Owner::Subject(caller.sub.clone())),
    }
}

/// Which subscriptions the caller sees and manages: an admin every one, anyone else (a merchant,
/// an app) only its own.
pub(crate) fn scope_of(caller: &Principal) -> Result<Scope, ApiError> {
    match caller.role {
        Role::Admin => Ok(Scope::All),
        _ => owner_of(caller).map(Scope::Owned),
    }
}

/// The subscription `id` if it is in the caller's scope, or 404.
pub(crate) fn visible(
    conn: &mut PgConnection,
    id: Uuid,
    scope: &Scope,
) -> Result<SubscriptionRow, ApiError> {
    repo::find_subscription(conn, id, scope)?.ok_or(ApiError::NotFound("webhook"))
}

/// The subscription `id` if it is in the caller's scope, locked for an edit, or 404.
pub(crate) fn visible_for_update(
    conn: &mut PgConnection,
    id: Uuid,
    scope: &Scope,
) -> Result<SubscriptionRow, ApiError> {
    endpoints::lock_in_scope(conn, id, scope)?.ok_or(ApiError::NotFound("webhook"))
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

    fn caller(role: Role, merchant_id: Option<Uuid>) -> Principal {
        Principal {
            sub: "subject-1".into(),
            role,
            scopes: vec![],
            merchant_id,
            phone_hash: None,
            issued_at: 0,
        }
    }

    #[test]
    fn an_admin_reaches_every_subscription_and_others_only_their_own() {
        let merchant = new_id();
        let (of_merchant, mut of_app) = (sub(1), sub(1));
        let of_merchant = SubscriptionRow {
            merchant_id: Some(merchant),
            ..of_merchant
        };
        (of_app.merchant_id, of_app.owner_sub) = (None, Some("subject-1".into()));

        let admin = scope_of(&caller(Role::Admin, None)).expect("admin");
        let shop = scope_of(&caller(Role::Merchant, Some(merchant))).expect("merchant");
        let app = scope_of(&caller(Role::App, None)).expect("app");

        assert_eq!(admin, Scope::All);
        assert!(admin.covers(&of_merchant) && admin.covers(&of_app));
        assert!(shop.covers(&of_merchant) && !shop.covers(&of_app));
        assert!(app.covers(&of_app) && !app.covers(&of_merchant));
        let elsewhere = scope_of(&caller(Role::Merchant, Some(new_id()))).expect("merchant");
        assert!(
            !elsewhere.covers(&of_merchant),
            "another merchant's is out of reach"
        );
        // A merchant's subscription is the merchant's, whoever's subject is stored beside it.
        let mixed = SubscriptionRow {
            owner_sub: Some("subject-1".into()),
            ..of_merchant.clone()
        };
        assert!(!app.covers(&mixed));
        assert!(matches!(
            scope_of(&caller(Role::Merchant, None)),
            Err(ApiError::Forbidden(_))
        ));
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

    #[test]
    fn the_list_documents_its_owner_filters_and_each_subscription_its_owner() {
        let doc =
            serde_json::to_value(<crate::ApiDoc as utoipa::OpenApi>::openapi()).expect("document");
        let params = doc["paths"]["/api/v1/webhooks"]["get"]["parameters"].to_string();
        for name in ["merchant_id", "owner_sub", "limit", "cursor"] {
            assert!(params.contains(&format!("\"{name}\"")), "{name}: {params}");
        }
        let schemas = &doc["components"]["schemas"];
        for schema in ["Webhook", "CreatedWebhook", "UpdatedWebhook"] {
            let owner = &schemas[schema]["properties"]["owner"];
            assert!(owner.is_object(), "{schema}.owner");
        }
        let owner = schemas["WebhookOwner"].to_string();
        assert!(
            owner.contains("kind") && owner.contains("\"id\""),
            "{owner}"
        );
    }
}
