//! What the service does, beyond a single query: each function is one transaction's work,
//! called by a handler, a consumer or a job.

pub mod actions;
pub mod claims;
pub mod escalation;
pub mod evidence;
pub mod intake;
pub mod proactive;
pub mod sla;
pub mod surveys;
