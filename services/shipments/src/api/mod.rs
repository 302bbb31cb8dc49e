//! Request and response types of the shipments API (serde + utoipa).

pub mod path;
pub mod problems;
pub mod shipments;
pub mod tracking_events;
pub mod validation;
pub mod webhooks;
