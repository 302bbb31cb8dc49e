//! Integration tests of the complaints service: the real service on port 0 with its own fresh
//! database and its own broker namespace.

mod actions;
mod app;
mod claim_caps;
mod claim_rules;
mod claims;
mod complaints;
mod departments;
mod evidence;
mod helpers;
mod improvements;
mod input;
mod intake;
mod late_claims;
mod lifecycle;
mod merge_undo;
mod paging;
mod probe_fixes;
mod projections;
mod queues;
mod recipients;
mod sla;
mod sla_recompute;
mod survey_once;
mod surveys;
