//! Complaint hotspots, staff performance and CSV exports.

pub mod export;
pub mod hotspots;
pub mod staff;
