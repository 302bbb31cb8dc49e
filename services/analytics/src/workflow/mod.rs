//! What the service does beyond a single query or a single event: use cases and job bodies
//! that span domain rules, storage and events.

pub mod alerts;
