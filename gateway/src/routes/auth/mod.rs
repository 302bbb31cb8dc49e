//! Authentication endpoints.

pub mod login;
