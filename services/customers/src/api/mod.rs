//! Request and response types of the customers API (serde + utoipa).

pub mod care;
pub mod customers;
pub mod follow_ups;
pub mod interactions;
pub mod problems;
pub mod search;
