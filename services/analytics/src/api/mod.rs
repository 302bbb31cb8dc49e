//! Request and response types of the analytics API (serde + utoipa).

pub mod kpis;
pub mod problems;
pub mod query;
pub mod reports;
pub mod segments;
