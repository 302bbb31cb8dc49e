//! The gateway's own tables: users, refresh tokens, development signing keys.

pub mod api_keys;
pub mod clients;
pub mod lockout;
pub mod refresh_tokens;
pub mod schema;
pub mod users;
