//! The rollup tables and the queries over them.

pub mod rollup;
pub mod schema;
