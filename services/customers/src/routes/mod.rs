//! Every route of the customers service, in one place.

use actix_web::web;

pub mod customers;
pub mod follow_ups;
pub mod interactions;

use customers as c;

/// Registers the service's routes (fixed paths before `/{id}`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1/customers")
            .route("", web::post().to(c::create::create_customer))
            .route("", web::get().to(c::list::list_customers))
            .route("/me", web::get().to(c::get::get_me))
            .route("/duplicates", web::get().to(c::duplicates::list_duplicates))
            .route("/handover", web::post().to(c::owner::handover))
            .route(
                "/classification:run",
                web::post().to(c::classify::run_classification),
            )
            .route(
                "/merges/{merge_id}:undo",
                web::post().to(c::merge::undo_merge),
            )
            .route("/{id}", web::get().to(c::get::get_customer))
            .route("/{id}", web::patch().to(c::update::update_customer))
            .route("/{id}", web::delete().to(c::delete::erase_customer))
            .route("/{id}/consents", web::put().to(c::consents::put_consents))
            .route("/{id}/consents", web::get().to(c::consents::get_consents))
            .route("/{id}/owner", web::put().to(c::owner::put_owner))
            .route("/{id}/merge", web::post().to(c::merge::merge_customers))
            .route(
                "/{id}/interactions",
                web::get().to(interactions::list_interactions),
            )
            .route(
                "/{id}/interactions",
                web::post().to(interactions::create_interaction),
            )
            .route(
                "/{id}/interactions/{interaction_id}",
                web::get().to(interactions::get::get_interaction),
            )
            .route(
                "/{id}/follow-ups",
                web::get().to(follow_ups::list_customer_follow_ups),
            )
            .route(
                "/{id}/follow-ups",
                web::post().to(follow_ups::create_follow_up),
            ),
    )
    .service(
        web::scope("/api/v1/follow-ups")
            .route("", web::get().to(follow_ups::list_follow_ups))
            .route("/{id}", web::get().to(follow_ups::get::get_follow_up))
            .route(
                "/{id}",
                web::patch().to(follow_ups::update::update_follow_up),
            ),
    );
}
