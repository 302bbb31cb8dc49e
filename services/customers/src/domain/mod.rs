//! Customer rules, free of I/O: validation of new and edited customers, vocabularies, city
//! tiers and the classification rules.

pub mod city_tier;
pub mod classification;
pub mod enums;
pub mod new_customer;
pub mod profile;
pub mod search;
