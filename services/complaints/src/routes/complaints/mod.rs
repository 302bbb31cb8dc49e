//! `/api/v1/complaints` handlers and the view of a case (which case a caller may see:
//! `db::complaints::visible_case`).

pub mod act;
pub mod create;
pub mod evidence;
pub mod get;
pub mod list;
pub mod survey;

use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::ApiError;

use crate::api::complaints::{Complaint, Sla};
use crate::db::complaints::ComplaintRow;

/// The case as `caller` may see it: merchants and end customers do not see the handler's
/// internal proposal (investigation report, compensation plan).
pub fn view_for(caller: &Principal, row: ComplaintRow) -> Complaint {
    let mut case = view(row, None);
    if matches!(caller.role, Role::Merchant | Role::Customer) {
        case.proposal = None;
    }
    case
}

/// Staff who work cases: admin, manager, supervisor, agent.
pub fn require_staff(caller: &Principal) -> Result<(), ApiError> {
    caller.require(&[Role::Admin, Role::Manager, Role::Supervisor, Role::Agent])
}

/// The API view of a row. `duplicate_of` names the open case an intake request repeated (that
/// case is what is returned); otherwise the row's own link, if it was merged into another.
pub fn view(row: ComplaintRow, duplicate_of: Option<uuid::Uuid>) -> Complaint {
    let (warned, breached) = (
        row.has(crate::db::complaints::WARNED),
        row.has(crate::db::complaints::BREACHED),
    );
    Complaint {
        id: row.id,
        number: row.number,
        type_: row.type_,
        channel: row.channel,
        customer_id: row.customer_id,
        tracking_number: row.tracking_number,
        merchant_id: row.merchant_id,
        category: row.category,
        priority: row.priority,
        description: row.description,
        reasonable: row.reasonable,
        department: row.department,
        assignee_id: row.assignee_id,
        escalation_level: row.escalation_level,
        status: row.status,
        sla: Sla {
            first_response_due: row.first_response_due,
            resolution_due: row.resolution_due,
            first_responded_at: row.first_responded_at,
            warned,
            breached,
        },
        root_cause: row.root_cause,
        resolution: row.resolution,
        satisfaction: row.satisfaction,
        resolution_code: row.resolution_code,
        proposal: row.proposal,
        proactive: row.proactive,
        survey_link: None,
        duplicate_of: duplicate_of.or(row.duplicate_of),
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    }
}
