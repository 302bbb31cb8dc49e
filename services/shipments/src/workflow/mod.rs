//! Use cases and job bodies that span domain rules, storage and the events they emit: called
//! by routes, consumers and the scheduler.
//!
//! * `ingest` — tracking-event ingestion (domain input, `domain::ingestion` outcomes, a fixed
//!   number of statements per batch) and the initial ETA of a new shipment;
//! * `expiry` — the `expired` sweep (hourly, one replica);
//! * `impact` — `impact:notify`: the notifications of a disruption's shipments, chunk by chunk;
//! * `numbering` — a new waybill stored under its supplied number, or a random one of Kuaidi's
//!   series, drawn again while taken;
//! * `webhooks` — subscriptions' target checks (SSRF), signatures, the fan-out of the service's
//!   events into deliveries and the delivery `Worker` the scheduler runs;
//! * `notifications` — the default (logging) sender of `notification.requested`.

pub mod expiry;
pub mod impact;
pub mod ingest;
pub mod notifications;
pub mod numbering;
pub mod webhooks;
