//! The complaints service: the feedback-case lifecycle with SLA clocks, escalation, evidence,
//! approval, claims, surveys, root causes and improvement actions (SPEC §6). It owns the
//! `kuaidi_complaints` database and keeps a projection of shipments from events.

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

/// The service's name in events (`/kuaidi/complaints`), queues and metrics.
pub const SERVICE: &str = "complaints";

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        routes::complaints::create::create_complaint,
        routes::complaints::list::list_complaints,
        routes::complaints::get::get_complaint,
        routes::complaints::get::get_history,
        routes::complaints::act::act,
        routes::complaints::survey::submit_survey,
        routes::complaints::survey::get_case_survey,
        routes::complaints::evidence::add_evidence,
        routes::complaints::evidence::list_evidence,
        routes::complaints::evidence::get_evidence,
        routes::complaints::evidence::download_evidence,
        routes::complaints::survey::survey_link,
        routes::surveys::get_survey,
        routes::surveys::answer_survey,
        routes::policies::get_policies,
        routes::policies::put_policies,
        routes::claims::create_claim,
        routes::claims::list_claims,
        routes::claims::get_claim,
        routes::claims::act_on_claim,
        routes::improvements::list_improvements,
        routes::improvements::create_improvement,
        routes::improvements::get_improvement,
        routes::improvements::patch_improvement,
        routes::departments::list_departments,
        routes::departments::get_department,
        routes::departments::put_department,
        routes::notifications::list_notifications,
        routes::notifications::read_notification,
    ),
    tags(
        (name = "complaints", description = "Feedback cases, their lifecycle, SLA policies, evidence and surveys"),
        (name = "claims", description = "Compensation claims and their ageing"),
        (name = "improvement-actions", description = "Root causes turned into fixes with an owner and a deadline"),
    ),
    modifiers(&BearerByDefault)
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[test]
    fn the_openapi_document_names_every_path_the_service_serves() {
        let doc = super::ApiDoc::openapi();
        let paths: Vec<&String> = doc.paths.paths.keys().collect();
        for path in [
            "/api/v1/complaints",
            "/api/v1/complaints/{id}",
            "/api/v1/complaints/{id}/history",
            "/api/v1/complaints/{id}/actions/{action}",
            "/api/v1/complaints/{id}/evidence",
            "/api/v1/complaints/{id}/evidence/{evidence_id}/content",
            "/api/v1/complaints/{id}/survey",
            "/api/v1/complaints/{id}/surveys/{survey_id}",
            "/api/v1/complaints/{id}/survey-link",
            "/api/v1/surveys/{token}",
            "/api/v1/sla-policies",
            "/api/v1/claims",
            "/api/v1/claims/{id}",
            "/api/v1/claims/{id}/actions/{action}",
            "/api/v1/improvement-actions",
            "/api/v1/improvement-actions/{id}",
            "/api/v1/departments",
            "/api/v1/departments/{name}",
            "/api/v1/notifications",
            "/api/v1/notifications/{id}/read",
        ] {
            assert!(paths.iter().any(|p| *p == path), "{path} is documented");
        }
        let schemas = doc.components.expect("components").schemas;
        for schema in [
            "Complaint",
            "Claim",
            "SlaPolicies",
            "Evidence",
            "Survey",
            "Improvement",
        ] {
            assert!(schemas.contains_key(schema), "{schema} has a schema");
        }
    }
}
