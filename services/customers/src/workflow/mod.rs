//! The use cases and job bodies that span domain rules, storage and events: each function is
//! one transaction's work, called by a handler or a job.

pub mod access;
pub mod classify;
pub mod handover;
pub mod lifecycle;
pub mod merging;
pub mod ownership;
pub mod profile;
pub mod search;
