//! Customer rules, free of I/O: validation of new and edited customers, vocabularies, city
//! tiers, classification rules and merges.

pub mod city_tier;
pub mod classification;
pub mod enums;
pub mod merge;
pub mod new_customer;
pub mod patch;
