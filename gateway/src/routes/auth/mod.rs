//! Authentication endpoints.

pub mod login;
pub mod refresh;
pub mod token;
