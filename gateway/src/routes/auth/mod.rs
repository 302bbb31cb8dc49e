//! Authentication endpoints.

pub mod customer_token;
pub mod login;
pub mod refresh;
pub mod token;
