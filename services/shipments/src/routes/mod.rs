//! Every route of the shipments service, in one place.

use actix_web::web;

pub mod shipments;
pub mod tracking;
pub mod tracking_events;
pub mod webhooks;

/// Registers the service's routes. actix-web tries them in order, each miss costing a
/// comparison or a pattern match: the two polled reads come first (public tracking, then the
/// shipments scope with the authenticated read as early in it as its neighbours allow).
pub fn configure(cfg: &mut web::ServiceConfig) {
    // In a scope, so that a request for another prefix is told apart by a string comparison,
    // not by the regex of a dynamic pattern. A scope matches whole segments only: it does not
    // take `/api/v1/tracking:batch-get` or `/api/v1/tracking-events:batch`.
    cfg.service(web::scope("/api/v1/tracking").route(
        "/{tracking_number}",
        web::get().to(tracking::public::public_tracking),
    ));
    cfg.service(
        web::scope("/api/v1/shipments")
            .route("", web::post().to(shipments::create::create_shipment))
            .route("", web::get().to(shipments::list::list_shipments))
            // Before `/{tracking_number}`, which would also match them.
            .route("/impact", web::get().to(shipments::impact::get_impact))
            .route(
                "/impact:notify",
                web::post().to(shipments::impact::notify_impact),
            )
            .route(
                "/{tracking_number}",
                web::get().to(shipments::get::get_shipment),
            )
            .route(
                "/{tracking_number}/events",
                web::post().to(tracking_events::create::create_tracking_event),
            ),
    );
    cfg.route(
        "/api/v1/tracking:batch-get",
        web::post().to(tracking::batch_get::batch_get),
    );
    cfg.route(
        tracking_events::batch::ITEM_WISE.path,
        web::post().to(tracking_events::batch::ingest_tracking_events),
    );
    // The edge guard answers the batch's events one by one (`tracking_events::batch`).
    cfg.app_data(kuaidi_shared::input::InputGuard {
        item_wise: &[tracking_events::batch::ITEM_WISE],
        ..Default::default()
    });
    // Action routes (`{id}:test`) come before `/{id}`, which would also match them.
    cfg.service(
        web::scope("/api/v1/webhooks")
            .route("", web::post().to(webhooks::create::create_webhook))
            .route("", web::get().to(webhooks::list::list_webhooks))
            .route(
                "/{id}:test",
                web::post().to(webhooks::actions::test_webhook),
            )
            .route(
                "/{id}:replay",
                web::post().to(webhooks::actions::replay_webhook),
            )
            .route(
                "/{id}/deliveries",
                web::get().to(webhooks::deliveries::list_deliveries),
            )
            .route(
                "/{id}/deliveries/{delivery_id}:redeliver",
                web::post().to(webhooks::deliveries::redeliver),
            )
            .route("/{id}", web::get().to(webhooks::get::get_webhook))
            .route("/{id}", web::patch().to(webhooks::update::update_webhook))
            .route("/{id}", web::delete().to(webhooks::delete::delete_webhook)),
    );
}
