//! Request and response types of the complaints API (serde + utoipa).

pub mod complaints;
