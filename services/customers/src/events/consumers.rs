//! The service's consumers, one handler per event type. Shipments feed each customer's
//! activity (and move a prospect, churned or newly loyal customer's stage at once); complaints,
//! surveys and shipment notifications (on the file of the person notified) become interactions
//! (the timeline is complete with no manual entry) and feed the complaint and satisfaction
//! stats. Handlers run in the transaction that records the event id, and tolerate any order.

use diesel::PgConnection;
use kuaidi_shared::events::catalogue::{
    ComplaintClosedV1, ComplaintReceivedV1, ComplaintReopenedV1, NotificationRequestedV1,
    ShipmentCreatedV1, ShipmentDeliveredV1, SurveySubmittedV1,
};
use kuaidi_shared::events::{CloudEvent, Consumers};

use super::timeline;
use crate::configuration::CustomerRules;
use crate::db::activity;
use crate::db::interactions::{self, InteractionRow};
use crate::db::rules::{self, ClosedComplaint};
use crate::workflow::lifecycle;

/// Every event type the service consumes, one handler each, under the configured `rules`.
pub fn consumers(rules: &CustomerRules) -> Consumers {
    let (thresholds, callback_days) = (rules.classification, rules.follow_ups.callback_days);
    Consumers::new()
        .on(move |conn, e, s: ShipmentCreatedV1| {
            let Some(customer) = s.shipper_customer_id else {
                return Ok(());
            };
            let spend = s.freight.to_minor().map_err(anyhow::Error::msg)?;
            activity::record_shipment(conn, customer, s.created_at, &s.freight.currency, spend)?;
            lifecycle::shipped(conn, e, customer, s.created_at, &thresholds)
        })
        .on(|conn, _, d: ShipmentDeliveredV1| {
            if let Some(customer) = d.shipper_customer_id {
                activity::record_delivery(conn, customer, d.delivered_at, d.on_time)?;
            }
            Ok(())
        })
        .on(|conn, e, c: ComplaintReceivedV1| {
            if let Some(customer) = c.customer_id {
                activity::record_complaint(conn, c.complaint_id, customer, c.received_at)?;
            }
            log(conn, timeline::complaint_received(e, &c))
        })
        .on(move |conn, e, c: ComplaintClosedV1| {
            let Some(customer) = c.customer_id else {
                return Ok(());
            };
            activity::close_complaint(conn, c.complaint_id, customer, c.received_at, c.closed_at)?;
            let closed = ClosedComplaint {
                customer_id: customer,
                complaint_id: c.complaint_id,
                handler: c.assignee_id,
                closed_at: c.closed_at,
            };
            rules::complaint_callback(conn, closed, callback_days, e.time)?;
            log(conn, timeline::complaint_closed(e, &c))
        })
        .on(|conn, _, c: ComplaintReopenedV1| Ok(activity::reopen_complaint(conn, c.complaint_id)?))
        .on(|conn, e, s: SurveySubmittedV1| {
            if let Some(customer) = s.customer_id {
                activity::record_survey(conn, s.survey_id, customer, s.overall, s.submitted_at)?;
            }
            log(conn, timeline::survey_submitted(e, &s))
        })
        // Two in every ten scans notify someone: these come by the thousand. Each goes on its
        // addressee's file (the recipient's or the shipper's), if it is one of ours.
        .on_batch(|conn, run: &[(&CloudEvent, NotificationRequestedV1)]| {
            let rows = run
                .iter()
                .filter_map(|(e, n)| timeline::notification_requested(e, n))
                .collect();
            Ok(interactions::insert_for_events(conn, rows)?)
        })
}

fn log(conn: &mut PgConnection, row: Option<InteractionRow>) -> anyhow::Result<()> {
    Ok(interactions::insert_for_events(
        conn,
        row.into_iter().collect(),
    )?)
}
