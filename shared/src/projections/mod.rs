//! Projections of another service's data that several consuming services keep alike, each in
//! its own database: the logic lives here once, the table in each service's migrations.

pub mod customer_merges;
pub mod customer_phones;
pub mod customer_tenants;
