//! What the customers service consumes and how it writes its own events. Shipments feed each
//! customer's activity; complaints, surveys and shipment notifications become interactions (the
//! timeline is complete with no manual entry) and feed the complaint and satisfaction stats.
//! Handlers run in the transaction that records the event id, and tolerate any order.

use chrono::{DateTime, Utc};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::events::catalogue::{
    ComplaintClosedV1, ComplaintReceivedV1, ComplaintReopenedV1, EventPayload,
    NotificationRequestedV1, ShipmentCreatedV1, ShipmentDeliveredV1, SurveySubmittedV1,
};
use kuaidi_shared::events::{CloudEvent, Consumers};
use kuaidi_shared::request::RequestContext;
use std::str::FromStr;
use uuid::Uuid;

use crate::db::interactions::{self, InteractionRow};
use crate::db::{activity, rules};
use crate::domain::enums::{Channel, Direction, InteractionKind};

/// Wraps one of our payloads about customer `subject` for the outbox.
pub fn event<P: EventPayload>(
    subject: Uuid,
    payload: &P,
    ctx: &RequestContext,
    now: DateTime<Utc>,
) -> CloudEvent {
    CloudEvent::new(
        crate::SERVICE,
        subject.to_string(),
        payload,
        ctx,
        new_id(),
        now,
    )
}

/// Every event type the service consumes, one handler each.
pub fn consumers() -> Consumers {
    Consumers::new()
        .on(|conn, _, s: ShipmentCreatedV1| {
            let Some(customer) = s.shipper_customer_id else {
                return Ok(());
            };
            let spend = s.freight.to_minor().map_err(anyhow::Error::msg)?;
            activity::record_shipment(conn, customer, s.created_at, &s.freight.currency, spend)?;
            Ok(())
        })
        .on(|conn, _, d: ShipmentDeliveredV1| {
            if let Some(customer) = d.shipper_customer_id {
                activity::record_delivery(conn, customer, d.delivered_at, d.on_time)?;
            }
            Ok(())
        })
        .on(|conn, e, c: ComplaintReceivedV1| {
            let Some(customer) = c.customer_id else {
                return Ok(());
            };
            activity::record_complaint(conn, c.complaint_id, customer, c.received_at)?;
            let channel = Channel::from_str(&c.channel).unwrap_or(Channel::Other);
            let summary = format!(
                "Complaint {} received ({}{})",
                c.number,
                c.type_,
                c.category.map(|k| format!(", {k}")).unwrap_or_default()
            );
            let row = logged(e, customer, channel, Direction::In, c.received_at, summary);
            Ok(interactions::insert_for_event(conn, row)?)
        })
        .on(|conn, e, c: ComplaintClosedV1| {
            let Some(customer) = c.customer_id else {
                return Ok(());
            };
            activity::close_complaint(conn, c.complaint_id, customer, c.received_at, c.closed_at)?;
            let summary = format!(
                "Complaint {} closed{}",
                c.number,
                c.resolution_code
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            );
            let row = logged(
                e,
                customer,
                Channel::Other,
                Direction::Out,
                c.closed_at,
                summary,
            );
            interactions::insert_for_event(conn, row)?;
            rules::complaint_callback(
                conn,
                customer,
                c.complaint_id,
                c.assignee_id,
                c.closed_at,
                e.time,
            )?;
            Ok(())
        })
        .on(|conn, _, c: ComplaintReopenedV1| Ok(activity::reopen_complaint(conn, c.complaint_id)?))
        .on(|conn, e, s: SurveySubmittedV1| {
            let Some(customer) = s.customer_id else {
                return Ok(());
            };
            activity::record_survey(conn, s.survey_id, customer, s.overall, s.submitted_at)?;
            let channel = if s.via == "customer" {
                Channel::App
            } else {
                Channel::Other
            };
            let summary = format!("Survey on complaint {}: overall {}/5", s.number, s.overall);
            let mut row = logged(e, customer, channel, Direction::In, s.submitted_at, summary);
            row.kind = InteractionKind::Survey.to_string();
            Ok(interactions::insert_for_event(conn, row)?)
        })
        .on(|conn, e, n: NotificationRequestedV1| {
            let Some(customer) = n.shipper_customer_id else {
                return Ok(());
            };
            let channel = Channel::from_str(&n.channel).unwrap_or(Channel::Other);
            let summary = format!("{} for {}", n.template_id, n.tracking_number);
            let mut row = logged(e, customer, channel, Direction::Out, e.time, summary);
            row.kind = InteractionKind::Notification.to_string();
            Ok(interactions::insert_for_event(conn, row)?)
        })
}

/// An interaction logged from event `e` (kind `complaint` unless changed).
fn logged(
    e: &CloudEvent,
    customer_id: Uuid,
    channel: Channel,
    direction: Direction,
    occurred_at: DateTime<Utc>,
    summary: String,
) -> InteractionRow {
    InteractionRow {
        id: new_id(),
        customer_id,
        channel: channel.to_string(),
        direction: direction.to_string(),
        kind: InteractionKind::Complaint.to_string(),
        summary,
        staff_id: None,
        occurred_at,
        created_at: e.time,
        source: Some(format!("{}:{}", e.type_, e.id)),
    }
}
