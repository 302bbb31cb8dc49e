//! Customer segments and churn risk.

pub mod churn_risk;
pub mod get;
