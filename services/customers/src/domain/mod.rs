//! Customer rules, free of I/O: validation of new customers, city tiers, 12-month windows.

pub mod city_tier;
pub mod new_customer;
