//! Proactive cases (SPEC §6): a key account's parcel lost or damaged opens a case assigned to
//! the customer's owner before the customer calls — once per shipment.

use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::events::catalogue::ShipmentExceptionRaisedV1;
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::request::RequestContext;

use super::intake::open_case;
use crate::db::{complaints as repo, customers};
use crate::domain::intake::Intake;
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
        assignee_id: customers::owner_of(conn, customer)?,
    };
    let service = Principal {
        sub: "system".into(),
        role: Role::Admin,
        scopes: vec![],
        merchant_id: None,
        phone_hash: None,
    };
    let ctx = RequestContext {
        traceparent: event
            .traceparent
            .clone()
            .unwrap_or_else(|| RequestContext::detached().traceparent),
        ..RequestContext::detached()
    };
    open_case(conn, &intake, &service, &ctx, now, rules).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}
