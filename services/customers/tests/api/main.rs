//! Integration tests of the customers service: the real service on port 0 with its own fresh
//! database and its own broker namespace.

mod birthdays;
mod care;
mod channels;
mod classification;
mod classified_events;
mod consent_records;
mod consents;
mod customers;
mod duplicate_matches;
mod erasure;
mod follow_ups;
mod helpers;
mod input;
mod lifecycle;
mod masked_schema;
mod merge_masking;
mod merges;
mod notifications;
mod ownership;
mod search;
mod single_reads;
mod stages;
mod timeline;
mod undo;
