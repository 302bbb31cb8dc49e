//! The analytics service: KPIs, segments, hotspots, early-warning alerts, staff performance,
//! exports and the dashboard (SPEC §8). It owns the `kuaidi_analytics` database and consumes
//! every event into pre-aggregated rollups.

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

/// The service's name in events (`/kuaidi/analytics`), queues and metrics.
pub const SERVICE: &str = "analytics";

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        routes::kpis::get::get_kpis,
        routes::kpis::definitions::get_kpi_definitions,
        routes::segments::get::get_segments,
        routes::segments::churn_risk::get_churn_risk,
        routes::reports::hotspots::get_hotspots,
        routes::reports::staff::get_staff_performance,
        routes::reports::export::export,
        routes::alerts::list::list_alerts,
        routes::alerts::acknowledge::acknowledge_alert,
    ),
    tags((name = "analytics", description = "KPIs, segments, hotspots and alerts")),
    modifiers(&BearerByDefault)
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[test]
    fn the_openapi_document_describes_every_endpoint() {
        let doc = serde_json::to_value(super::ApiDoc::openapi()).expect("serialisable");
        for path in [
            "/api/v1/analytics/segments",
            "/api/v1/analytics/churn-risk",
            "/api/v1/analytics/complaint-hotspots",
            "/api/v1/analytics/staff-performance",
            "/api/v1/analytics/export",
            "/api/v1/analytics/alerts",
        ] {
            assert!(doc["paths"][path]["get"].is_object(), "{path}");
        }
        assert!(doc["paths"]["/api/v1/analytics/alerts/{id}:acknowledge"]["post"].is_object());
        let export = &doc["paths"]["/api/v1/analytics/export"]["get"];
        let params = kuaidi_shared::testing::strings(&export["parameters"], "name");
        for name in ["report", "format", "from", "tz", "merchant_id"] {
            assert!(params.contains(&name), "export parameter {name}");
        }
    }

    #[test]
    fn the_segments_and_the_churn_risk_document_merchant_id_and_their_refusals() {
        let doc = serde_json::to_value(super::ApiDoc::openapi()).expect("serialisable");
        for path in ["/api/v1/analytics/segments", "/api/v1/analytics/churn-risk"] {
            let op = &doc["paths"][path]["get"];
            let params = kuaidi_shared::testing::strings(&op["parameters"], "name");
            assert!(params.contains(&"merchant_id"), "{path}");
            for status in ["404", "422"] {
                assert!(op["responses"][status].is_object(), "{path} {status}");
            }
        }
    }

    #[test]
    fn the_openapi_document_describes_the_kpis_with_their_errors_and_parameters() {
        let doc = serde_json::to_value(super::ApiDoc::openapi()).expect("serialisable");
        let kpis = &doc["paths"]["/api/v1/analytics/kpis"]["get"];
        let params = kuaidi_shared::testing::strings(&kpis["parameters"], "name");
        for name in [
            "from",
            "to",
            "granularity",
            "city",
            "province",
            "service_level",
            "value_tier",
            "tz",
            "merchant_id",
        ] {
            assert!(params.contains(&name), "parameter {name} documented");
        }
        for status in ["401", "403", "422"] {
            assert!(
                kpis["responses"][status]["content"]["application/problem+json"].is_object(),
                "{status} documented as problem+json"
            );
        }
        // The enumerated filters documented with exactly the values they take.
        let pattern = |name: &str| {
            kpis["parameters"]
                .as_array()
                .and_then(|ps| ps.iter().find(|p| p["name"] == name))
                .map(|p| p["schema"]["pattern"].clone())
        };
        let values = |listed: String| format!("^({})$", listed.replace(", ", "|"));
        use crate::domain::query::{ServiceLevel, ValueTier};
        assert_eq!(
            pattern("service_level"),
            Some(values(ServiceLevel::listed()).into())
        );
        assert_eq!(
            pattern("value_tier"),
            Some(values(ValueTier::listed()).into())
        );
        let definitions = &doc["paths"]["/api/v1/analytics/kpi-definitions"]["get"];
        assert!(definitions["responses"]["200"].is_object());
        for op in [kpis, definitions] {
            assert_eq!(op["security"][0]["bearer"], serde_json::json!([]));
        }
    }
}
