//! Request and response types of the customers API (serde + utoipa).

pub mod customers;
