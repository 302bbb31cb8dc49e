//! Rows and repository functions; every function takes `&mut PgConnection` so calls compose in
//! one transaction.

pub mod activity;
pub mod classification;
pub mod consents;
pub mod customers;
pub mod duplicates;
pub mod erasure;
pub mod follow_ups;
pub mod interactions;
pub mod merges;
pub mod rules;
pub mod schema;
pub mod search;
