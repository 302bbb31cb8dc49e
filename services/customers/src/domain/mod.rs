//! Customer rules, free of I/O: validation of new and edited customers, vocabularies, city
//! tiers, the classification rules and the holidays of holiday care.

pub mod city_tier;
pub mod classification;
pub mod enums;
pub mod holidays;
pub mod new_customer;
pub mod profile;
pub mod search;
