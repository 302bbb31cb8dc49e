//! Request and response types of the shipments API (serde + utoipa).

pub mod shipments;
