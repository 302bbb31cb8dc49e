//! Analytics rules, free of I/O: reporting periods and the KPI catalogue.

pub mod definitions;
pub mod periods;
