//! The gateway's own tables: users, refresh tokens, development signing keys.

pub mod schema;
pub mod users;
