//! Request and response types of the gateway's own API (serde + utoipa), and its documented
//! problem responses.

pub mod auth;
pub mod problems;
