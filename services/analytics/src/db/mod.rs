//! Rows and repository functions, each taking `&mut PgConnection`.

pub mod alerts;
pub mod cases;
pub mod customer_figures;
pub mod customers;
pub mod merges;
pub mod reports;
pub mod rollup;
pub mod schema;
pub mod segments;
pub mod shipments;
