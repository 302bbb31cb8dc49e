//! The case queue's filters, validated (`api::queue` parses them from the query), the caller's
//! tenant rule included; `db::queue` turns them into SQL.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Validated filters, the caller's tenant rule included.
#[derive(Debug, Default)]
pub struct Filters {
    pub status: Option<Vec<String>>,
    pub type_: Option<Vec<String>>,
    pub category: Option<Vec<String>>,
    pub priority: Option<Vec<String>>,
    pub assignee: Option<Uuid>,
    pub department: Option<Vec<String>>,
    pub customer_id: Option<Uuid>,
    pub tracking_number: Option<String>,
    pub merchant_id: Option<Uuid>,
    pub warned: bool,
    pub breached: bool,
    pub received_from: Option<DateTime<Utc>>,
    pub received_to: Option<DateTime<Utc>>,
    /// Merchants: their own cases.
    pub tenant: Option<Uuid>,
    /// End customers: the cases they opened and those the desk opened for their files (by the
    /// phone blind index in their token; `None` inside: none at all).
    pub reporter: Option<Option<String>>,
}
