//! Analytics rules, free of I/O: reporting periods, the parsed KPI query, zero-filled figure
//! rows and the KPI catalogue.

pub mod definitions;
pub mod periods;
pub mod query;
pub mod report;
