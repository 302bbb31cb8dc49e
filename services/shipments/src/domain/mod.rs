//! Shipment rules, free of I/O: tracking numbers, service levels and their transit times,
//! statuses, notification channels, what the public may read of a scan's description, places as
//! stored and compared (`location`).

pub mod eta;
pub mod ingestion;
pub mod location;
pub mod masking;
pub mod new_shipment;
pub mod notification;
pub mod service_level;
pub mod status;
pub mod tracking;
pub mod tracking_number;

pub use service_level::ServiceLevel;
pub use status::{ShipmentStatus, Substatus};
pub use tracking_number::TrackingNumber;
