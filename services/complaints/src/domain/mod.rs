//! Complaint rules, free of I/O: the vocabularies of SPEC §6, priority derivation, case numbers
//! and SLA deadlines.

pub mod intake;
pub mod vocab;
