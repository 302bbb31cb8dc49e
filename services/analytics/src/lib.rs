//! The analytics service: KPIs, segments, hotspots, early-warning alerts, staff performance,
//! exports and the dashboard (SPEC §8). It owns the `kuaidi_analytics` database and consumes
//! every event into pre-aggregated rollups.

pub mod api;
pub mod configuration;
pub mod db;
pub mod domain;
pub mod events;
pub mod jobs;
pub mod routes;
pub mod startup;

pub use startup::build;

/// The service's name in events (`/kuaidi/analytics`), queues and metrics.
pub const SERVICE: &str = "analytics";

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        routes::kpis::get::get_kpis,
        routes::kpis::definitions::get_kpi_definitions,
    ),
    tags((name = "analytics", description = "KPIs, segments, hotspots and alerts"))
)]
pub struct ApiDoc;

/// The service's OpenAPI document (merged into the gateway's).
pub fn openapi() -> utoipa::openapi::OpenApi {
    <ApiDoc as utoipa::OpenApi>::openapi()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_openapi_document_describes_both_endpoints_with_their_errors_and_parameters() {
        let doc = serde_json::to_value(super::openapi()).expect("serialisable");
        let kpis = &doc["paths"]["/api/v1/analytics/kpis"]["get"];
        let params: Vec<_> = kpis["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        for name in [
            "from",
            "to",
            "granularity",
            "city",
            "province",
            "service_level",
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
        let definitions = &doc["paths"]["/api/v1/analytics/kpi-definitions"]["get"];
        assert!(definitions["responses"]["200"].is_object());
        for op in [kpis, definitions] {
            assert_eq!(op["security"][0]["bearer"], serde_json::json!([]));
        }
    }
}
