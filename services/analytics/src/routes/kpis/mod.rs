//! KPI handlers.

pub mod definitions;
pub mod get;
