//! Administration (role `admin` only): users, system clients, API keys, the audit log. Every
//! change is audited.

pub mod api_keys;
pub mod audit_log;
pub mod clients;
pub mod users;

/// Pages over `(created_at, id)` like every list of the API.
pub use kuaidi_shared::pagination::{Cursor, Page, PageParams};
