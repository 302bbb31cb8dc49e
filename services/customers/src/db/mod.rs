//! Rows and repository functions; every function takes `&mut PgConnection` so calls compose in
//! one transaction.

pub mod activity;
pub mod customers;
pub mod schema;
