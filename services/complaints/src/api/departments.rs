//! The department directory and the staff inbox.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A department of the complaint desk: who supervises it and who works in it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "legal", "supervisor_id": "01936f9e-7c1a-7d30-9a0e-5b6c7d8e9f00",
    "members": ["01936f9e-7c1a-7d30-9a0e-5b6c7d8e9f01"], "version": 2,
    "updated_by": "01936f9e-7c1a-7d30-9a0e-5b6c7d8e9f02", "updated_at": "2026-12-02T09:00:00Z"}))]
pub struct DepartmentView {
    /// `customer_service` | `operations` | `legal` | `compliance` | `sales`.
    pub name: String,
    /// Told of the department's SLA breaches and automatic escalations.
    pub supervisor_id: Option<Uuid>,
    /// Who may be given the department's cases (user ids of the gateway's users). An empty
    /// roster without a supervisor takes anyone not placed in another department.
    pub members: Vec<Uuid>,
    pub version: i32,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// `GET /api/v1/departments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DepartmentList {
    pub data: Vec<DepartmentView>,
}

/// Body of `PUT /api/v1/departments/{name}`: the supervisor and the whole roster. People listed
/// leave any other department's roster (one department per person).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"supervisor_id": "01936f9e-7c1a-7d30-9a0e-5b6c7d8e9f00",
    "members": ["01936f9e-7c1a-7d30-9a0e-5b6c7d8e9f01"]}))]
pub struct PutDepartment {
    pub supervisor_id: Option<Uuid>,
    pub members: Vec<Uuid>,
}

/// A notification in a supervisor's inbox.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StaffNotification {
    pub id: Uuid,
    /// The person addressed; `null`: the department had no supervisor, every supervisor sees it.
    pub recipient_id: Option<Uuid>,
    pub department: String,
    pub complaint_id: Uuid,
    /// `escalated` (an SLA breach or an aged claim escalated the case) | `sla_breached` (an SLA
    /// breach on a case already at the top level: nothing left to escalate).
    pub kind: String,
    /// Case number, reason, escalation level, priority, status, assignee.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A page of notifications, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StaffNotificationPage {
    pub data: Vec<StaffNotification>,
    pub next_cursor: Option<String>,
}

/// Filters of `GET /api/v1/notifications`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// `true`: only unread; `false`: only read.
    pub unread: Option<bool>,
    /// Admins and managers: one person's inbox (default: everyone's).
    pub recipient_id: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}
