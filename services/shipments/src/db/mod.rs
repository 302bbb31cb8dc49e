//! Rows and repository functions; every function takes `&mut PgConnection` so calls compose in
//! one transaction.

pub mod customers;
pub mod impact;
pub mod lanes;
pub mod merges;
pub mod public;
pub mod pull;
pub mod schema;
pub mod shipments;
pub mod tracking_cache;
pub mod tracking_events;
pub mod webhook_attempts;
pub mod webhook_claims;
pub mod webhook_endpoints;
pub mod webhooks;
