//! Proactive cases (SPEC §6): a key account's parcel lost or damaged opens a case assigned to
//! the customer's owner before the customer calls — once per shipment.
//!
//! The case goes through the lifecycle as any other, in the consumer's one transaction: opened
//! (`receive`), triaged by the service (the category is the exception's, and a parcel the
//! company itself reports lost or damaged is a reasonable complaint), then assigned to the
//! owner with the `assign` action's own code path (history entry, `complaint.assigned`,
//! `complaint.status_changed`), all by the `system` actor. The department is the owner's own
//! (`domain::departments::home_of`), and the roster rule of a person's assignment does not
//! apply: the SPEC names the assignee, so the directory cannot refuse them. A customer without
//! an owner leaves the case `received` and unassigned, on the receiving desk's queue.

use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::events::catalogue::ShipmentExceptionRaisedV1;
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::request::RequestContext;
use serde_json::json;
use uuid::Uuid;

use super::actions::{apply, Request};
use super::intake::{open_case, Opened};
use crate::db::history::SYSTEM;
use crate::db::{complaints as repo, customers, departments};
use crate::domain::departments::home_of;
use crate::domain::intake::Intake;
use crate::domain::lifecycle::Action;
use crate::domain::vocab::Priority;

/// Opens the proactive case of a lost or damaged parcel a key account sent, unless one is open
/// for that shipment already; any other exception is no case.
pub fn on_exception(
    conn: &mut PgConnection,
    event: &CloudEvent,
    e: &ShipmentExceptionRaisedV1,
    now: chrono::DateTime<chrono::Utc>,
    rules: &crate::configuration::Rules,
) -> anyhow::Result<()> {
    let category = match e.substatus.as_deref() {
        Some(s @ ("lost" | "damaged")) => s,
        _ => return Ok(()),
    };
    let Some(customer) = e.shipper_customer_id else {
        return Ok(());
    };
    if !customers::is_key_account(conn, customer)?
        || repo::proactive_exists(conn, &e.tracking_number)?
    {
        return Ok(());
    }
    let intake = Intake {
        type_: "complaint".into(),
        channel: "api".into(),
        description: format!(
            "Proactive case: shipment {} reported {category} at {}.",
            e.tracking_number,
            e.location
                .as_ref()
                .map(|l| l.city.as_str())
                .unwrap_or("an unknown place")
        ),
        customer_id: Some(customer),
        tracking_number: Some(e.tracking_number.clone()),
        category: Some(category.into()),
        priority: Some(Priority::High),
        merchant_id: None,
        proactive: true,
    };
    let service = Principal {
        sub: SYSTEM.into(),
        role: Role::Admin,
        scopes: vec![],
        merchant_id: None,
        phone_hash: None,
        issued_at: 0,
    };
    let ctx = RequestContext {
        traceparent: event
            .traceparent
            .clone()
            .unwrap_or_else(|| RequestContext::detached().traceparent),
        ..RequestContext::detached()
    };
    let fail = |e: kuaidi_shared::ApiError| anyhow::anyhow!("{e}");
    // The customer may have called already: their open case is not assigned over their head.
    let Opened::New(case) = open_case(conn, &intake, &service, &ctx, now, rules).map_err(fail)?
    else {
        return Ok(());
    };
    let Some(owner) = customers::owner_of(conn, customer)? else {
        return Ok(());
    };
    let department = home_of(&departments::placement(conn, owner)?);
    let steps = [
        (
            Action::Triage,
            json!({"category": category, "reasonable": true,
                "note": format!("shipment exception: {category}")}),
        ),
        (
            Action::Assign,
            json!({"assignee_id": owner, "department": department.as_str()}),
        ),
    ];
    for (action, body) in steps {
        let step = system_step(case.id, action, body);
        apply(conn, &step, &service, &ctx, now, rules).map_err(fail)?;
    }
    Ok(())
}

/// An action the service takes on a case itself.
fn system_step(id: Uuid, action: Action, body: serde_json::Value) -> Request {
    Request {
        id,
        action,
        body,
        if_match: None,
        by_service: true,
    }
}
