//! Rows and repository functions; every function takes `&mut PgConnection` so calls compose in
//! one transaction.

pub mod claims;
pub mod complaints;
pub mod customers;
pub mod departments;
pub mod evidence;
pub mod history;
pub mod improvements;
pub mod notifications;
pub mod policies;
pub mod queue;
pub mod schema;
pub mod shipments;
pub mod surveys;
