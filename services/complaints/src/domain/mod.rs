//! Complaint rules, free of I/O: the vocabularies of SPEC §6, intake and priority derivation,
//! the lifecycle table, action bodies, SLA arithmetic, evidence references, surveys and claims.

pub mod claims;
pub mod commands;
pub mod departments;
pub mod evidence;
pub mod fields;
pub mod history;
pub mod improvement;
pub mod intake;
pub mod lifecycle;
pub mod queue;
pub mod sla;
pub mod survey;
pub mod vocab;
