//! Rows and repository functions; every function takes `&mut PgConnection` so calls compose in
//! one transaction.

pub mod pull;
pub mod schema;
pub mod shipments;
