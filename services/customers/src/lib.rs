//! The customers service: customer files with encrypted PII, classification, consent, dedup,
//! interactions, follow-ups and churn warning (SPEC §4). It owns the `kuaidi_customers`
//! database and keeps each customer's activity from shipment and complaint events.

pub mod api;
pub mod configuration;
pub mod db;
pub mod domain;
pub mod events;
pub mod routes;
pub mod startup;
pub mod workflow;

pub use startup::build;

use kuaidi_shared::openapi::BearerByDefault;

/// The service's name in events (`/kuaidi/customers`), queues and metrics.
pub const SERVICE: &str = "customers";

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        routes::customers::create::create_customer,
        routes::customers::list::list_customers,
        routes::customers::get::get_me,
        routes::customers::duplicates::list_duplicates,
        routes::customers::owner::handover,
        routes::customers::classify::run_classification,
        routes::customers::merge::undo_merge,
        routes::customers::get::get_customer,
        routes::customers::update::update_customer,
        routes::customers::delete::erase_customer,
        routes::customers::consents::put_consents,
        routes::customers::consents::get_consents,
        routes::customers::owner::put_owner,
        routes::customers::merge::merge_customers,
        routes::interactions::list_interactions,
        routes::interactions::create_interaction,
        routes::interactions::get::get_interaction,
        routes::follow_ups::list_customer_follow_ups,
        routes::follow_ups::create_follow_up,
        routes::follow_ups::list_follow_ups,
        routes::follow_ups::get::get_follow_up,
        routes::follow_ups::update::update_follow_up,
    ),
    tags((name = "customers", description = "Customer files, classification and care")),
    modifiers(&BearerByDefault)
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[test]
    fn every_path_is_documented() {
        let doc = super::ApiDoc::openapi();
        let paths: Vec<&str> = doc.paths.paths.keys().map(String::as_str).collect();
        for p in [
            "/api/v1/customers",
            "/api/v1/customers/me",
            "/api/v1/customers/duplicates",
            "/api/v1/customers/handover",
            "/api/v1/customers/classification:run",
            "/api/v1/customers/merges/{merge_id}:undo",
            "/api/v1/customers/{id}",
            "/api/v1/customers/{id}/consents",
            "/api/v1/customers/{id}/owner",
            "/api/v1/customers/{id}/merge",
            "/api/v1/customers/{id}/interactions",
            "/api/v1/customers/{id}/interactions/{interaction_id}",
            "/api/v1/customers/{id}/follow-ups",
            "/api/v1/follow-ups",
            "/api/v1/follow-ups/{id}",
        ] {
            assert!(paths.contains(&p), "{p} is documented");
        }
        let single = &doc.paths.paths["/api/v1/follow-ups/{id}"];
        assert!(
            single.get.is_some() && single.patch.is_some(),
            "GET and PATCH"
        );
        let patch = serde_json::to_value(&single.patch).expect("patch");
        assert!(
            patch.to_string().contains("If-Match") && patch["responses"]["412"].is_object(),
            "If-Match and its 412 are documented: {patch}"
        );
    }

    #[test]
    fn the_required_body_fields_are_marked_required() {
        let doc = serde_json::to_value(super::ApiDoc::openapi()).expect("document");
        let schemas = &doc["components"]["schemas"];
        for (schema, fields) in [
            ("CreateCustomer", &["kind", "name"][..]),
            (
                "CreateInteraction",
                &["channel", "direction", "kind", "summary"][..],
            ),
            ("CreateFollowUp", &["due_at", "reason"][..]),
        ] {
            let required = &schemas[schema]["required"];
            for field in fields {
                assert!(
                    required
                        .as_array()
                        .is_some_and(|r| r.contains(&serde_json::json!(field))),
                    "{schema}.{field} is required: {required}"
                );
            }
        }
        let due_at = serde_json::to_string(&schemas["CreateFollowUp"]["properties"]["due_at"])
            .expect("text");
        assert!(!due_at.contains("null"), "due_at is not nullable: {due_at}");
    }
}
