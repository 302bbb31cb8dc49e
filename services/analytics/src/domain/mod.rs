//! Analytics rules, free of I/O: rollup facts, which case counts in which figure, KPI
//! formulas, reporting periods, the parsed query and the rows that answer it, the
//! early-warning rules, CSV encoding and the KPI catalogue.

pub mod alerts;
pub mod cases;
pub mod csv;
pub mod definitions;
pub mod facts;
pub mod kpi;
pub mod periods;
pub mod plan;
pub mod query;
pub mod shipment;
