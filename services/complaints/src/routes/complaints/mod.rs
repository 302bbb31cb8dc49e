//! `/api/v1/complaints` handlers and the view of a case, with what handlers of cases (and of
//! claims) share: the checks on a named action (`staff_action`) and reads of what a case holds
//! through the case a caller may see (`read_of_case`, over `db::complaints::visible_case`).

pub mod act;
pub mod create;
pub mod evidence;
pub mod get;
pub mod list;
pub mod survey;

use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::capabilities::Capability;
use kuaidi_shared::db;
use kuaidi_shared::deps::Deps;
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::complaints::{Complaint, Sla};
use crate::db::complaints::ComplaintRow;

/// Whether `caller` reads a case from outside (a merchant, an end customer): not the handlers'
/// internal work on it (proposal, notes, who on the staff did what).
pub fn outsider(caller: &Principal) -> bool {
    matches!(caller.role, Role::Merchant | Role::Customer)
}

/// The case as `caller` may see it: merchants and end customers do not see the handler's
/// internal proposal (investigation report, compensation plan) nor which staff member has it.
pub fn view_for(caller: &Principal, row: ComplaintRow) -> Complaint {
    let mut case = view(row, None);
    if outsider(caller) {
        case.proposal = None;
        case.assignee_id = None;
    }
    case
}

/// Staff who work cases: admin, manager, supervisor, agent.
pub fn require_staff(caller: &Principal) -> Result<(), ApiError> {
    caller.require(&[Role::Admin, Role::Manager, Role::Supervisor, Role::Agent])
}

/// The action named by the path of `…/{id}/actions/{action}` (a case's or a claim's): an unknown
/// name is a 404 (before any other check), the caller must be staff, and an action for which
/// `for_supervisors` holds needs `ComplaintsApprove`.
pub fn staff_action<A: std::str::FromStr>(
    caller: &Principal,
    name: &str,
    for_supervisors: impl FnOnce(&A) -> bool,
) -> Result<A, ApiError> {
    let action: A = name.parse().map_err(|_| ApiError::NotFound("action"))?;
    require_staff(caller)?;
    if for_supervisors(&action) {
        caller.require_capability(Capability::ComplaintsApprove)?;
    }
    Ok(action)
}

/// Runs `read` on a pooled connection once case `id` is known to be one `caller` may see
/// (`db::complaints::visible_case`; else the case's 404): what a case holds (history,
/// evidence, surveys) is read only through the case.
pub async fn read_of_case<T, F>(
    deps: &Deps,
    caller: &Principal,
    id: Uuid,
    read: F,
) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let who = caller.clone();
    db::run(&deps.pool, move |conn| {
        crate::db::complaints::visible_case(conn, &who, id, false)?;
        read(conn)
    })
    .await
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
