//! Request and response types of the complaints API (serde + utoipa).

pub mod claims;
pub mod complaints;
pub mod departments;
pub mod evidence;
pub mod improvements;
pub mod policies;
pub mod problems;
pub mod queue;
pub mod surveys;
