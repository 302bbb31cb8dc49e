//! `/api/v1/complaints` handlers and the view of a case.

pub mod create;
pub mod get;

use kuaidi_shared::auth::{Principal, Role};

use crate::api::complaints::{Complaint, Sla};
use crate::db::complaints::ComplaintRow;

/// Whether `caller` (already holding `ComplaintsRead`) may see `row`; another tenant's case is
/// a 404.
pub fn visible_to(caller: &Principal, row: &ComplaintRow) -> bool {
    match caller.role {
        Role::Merchant => caller.merchant_id.is_some() && caller.merchant_id == row.merchant_id,
        // NOTE: an end customer's own cases need the phone → customer mapping (a projection
        // of customer events); until then they see none.
        Role::Customer => false,
        _ => true,
    }
}

/// The API view of a row. `duplicate_of` names the open case an intake request repeated (that
/// case is what is returned); otherwise the row's own link, if it was merged into another.
pub fn view(row: ComplaintRow, duplicate_of: Option<uuid::Uuid>) -> Complaint {
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
            warned: row.sla_warned,
            breached: row.sla_breached,
        },
        root_cause: row.root_cause,
        resolution: row.resolution,
        satisfaction: row.satisfaction,
        duplicate_of: duplicate_of.or(row.duplicate_of),
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    }
}
