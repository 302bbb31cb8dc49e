//! What each event puts on a customer's timeline: pure functions from an event to the
//! interaction it logs (none when the event names no customer), unit-tested without a database.

use chrono::{DateTime, Utc};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::events::catalogue::{
    ComplaintClosedV1, ComplaintReceivedV1, NotificationRequestedV1, SurveySubmittedV1,
};
use kuaidi_shared::events::CloudEvent;
use std::str::FromStr;
use uuid::Uuid;

use crate::db::interactions::InteractionRow;
use crate::domain::enums::{Channel, Direction, InteractionKind};

struct Entry {
    customer_id: Uuid,
    channel: Channel,
    direction: Direction,
    kind: InteractionKind,
    occurred_at: DateTime<Utc>,
    summary: String,
}

/// The row for `entry`, sourced from event `e` (so it is logged at most once).
fn row(e: &CloudEvent, entry: Entry) -> InteractionRow {
    InteractionRow {
        id: new_id(),
        customer_id: entry.customer_id,
        channel: entry.channel.to_string(),
        direction: entry.direction.to_string(),
        kind: entry.kind.to_string(),
        summary: entry.summary,
        staff_id: None,
        occurred_at: entry.occurred_at,
        created_at: e.time,
        source: Some(format!("{}:{}", e.type_, e.id)),
    }
}

/// A complaint came in, on the channel the customer used.
pub fn complaint_received(e: &CloudEvent, c: &ComplaintReceivedV1) -> Option<InteractionRow> {
    let category = c
        .category
        .as_ref()
        .map(|k| format!(", {k}"))
        .unwrap_or_default();
    Some(row(
        e,
        Entry {
            customer_id: c.customer_id?,
            channel: Channel::from_str(&c.channel).unwrap_or(Channel::Other),
            direction: Direction::In,
            kind: InteractionKind::Complaint,
            occurred_at: c.received_at,
            summary: format!("Complaint {} received ({}{category})", c.number, c.type_),
        },
    ))
}

/// A complaint was closed by the company.
pub fn complaint_closed(e: &CloudEvent, c: &ComplaintClosedV1) -> Option<InteractionRow> {
    let resolution = c
        .resolution_code
        .as_ref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    Some(row(
        e,
        Entry {
            customer_id: c.customer_id?,
            channel: Channel::Other,
            direction: Direction::Out,
            kind: InteractionKind::Complaint,
            occurred_at: c.closed_at,
            summary: format!("Complaint {} closed{resolution}", c.number),
        },
    ))
}

/// The customer answered a satisfaction survey (in the app when they answered themselves).
pub fn survey_submitted(e: &CloudEvent, s: &SurveySubmittedV1) -> Option<InteractionRow> {
    Some(row(
        e,
        Entry {
            customer_id: s.customer_id?,
            channel: if s.via == "customer" {
                Channel::App
            } else {
                Channel::Other
            },
            direction: Direction::In,
            kind: InteractionKind::Survey,
            occurred_at: s.submitted_at,
            summary: format!("Survey on complaint {}: overall {}/5", s.number, s.overall),
        },
    ))
}

/// A shipment notification was sent to its addressee: the customer file the event names
/// (`customer_id`; none for a recipient without a file). An event raised before notifications
/// said whom they are for (no `addressee`) was the shipper's.
pub fn notification_requested(
    e: &CloudEvent,
    n: &NotificationRequestedV1,
) -> Option<InteractionRow> {
    let (customer_id, as_recipient) = match n.addressee.as_deref() {
        Some(addressee) => (n.customer_id?, addressee == "recipient"),
        None => (n.shipper_customer_id?, false),
    };
    let role = if as_recipient { " (as recipient)" } else { "" };
    Some(row(
        e,
        Entry {
            customer_id,
            channel: Channel::from_str(&n.channel).unwrap_or(Channel::Other),
            direction: Direction::Out,
            kind: InteractionKind::Notification,
            occurred_at: e.time,
            summary: format!("{} for {}{role}", n.template_id, n.tracking_number),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuaidi_shared::request::RequestContext;

    use kuaidi_shared::testing::time as at;

    fn received(customer: Option<Uuid>, channel: &str) -> ComplaintReceivedV1 {
        ComplaintReceivedV1 {
            complaint_id: Uuid::nil(),
            number: "C-7".into(),
            type_: "complaint".into(),
            channel: channel.into(),
            category: Some("delay".into()),
            priority: "normal".into(),
            customer_id: customer,
            merchant_id: None,
            tracking_number: None,
            city: None,
            received_at: at("2026-05-01T08:00:00Z"),
            proactive: false,
        }
    }

    fn envelope(p: &ComplaintReceivedV1) -> CloudEvent {
        CloudEvent::new(
            "complaints",
            "c",
            p,
            &RequestContext::detached(),
            Uuid::nil(),
            at("2026-05-01T08:00:01Z"),
        )
    }

    #[test]
    fn a_complaint_is_logged_inbound_on_its_channel_once_per_event() {
        let c = received(Some(Uuid::nil()), "wechat");
        let row = complaint_received(&envelope(&c), &c).expect("logged");
        assert_eq!(
            (
                row.channel.as_str(),
                row.direction.as_str(),
                row.kind.as_str()
            ),
            ("wechat", "in", "complaint")
        );
        assert_eq!(row.summary, "Complaint C-7 received (complaint, delay)");
        assert_eq!(row.occurred_at, c.received_at);
        assert_eq!(
            row.source.as_deref(),
            Some("complaint.received:00000000-0000-0000-0000-000000000000")
        );
    }

    #[test]
    fn unknown_channels_are_other_and_anonymous_complaints_are_not_logged() {
        let c = received(Some(Uuid::nil()), "hotline");
        assert_eq!(
            complaint_received(&envelope(&c), &c).map(|r| r.channel),
            Some("other".into())
        );
        let anonymous = received(None, "phone");
        assert!(complaint_received(&envelope(&anonymous), &anonymous).is_none());
    }

    #[test]
    fn a_notification_goes_to_its_addressees_file_and_an_older_one_to_the_shipper() {
        let (shipper, recipient) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let old = NotificationRequestedV1 {
            notification_id: Uuid::nil(),
            channel: "app".into(),
            template_id: "shipment.delivered".into(),
            variables: Default::default(),
            shipment_id: Uuid::nil(),
            tracking_number: "KD1".into(),
            merchant_id: None,
            shipper_customer_id: Some(shipper),
            addressee: None,
            customer_id: None,
            phone_hash: None,
        };
        let to = |addressee: &str, customer: Option<Uuid>| NotificationRequestedV1 {
            addressee: Some(addressee.into()),
            customer_id: customer,
            ..old.clone()
        };
        let e = CloudEvent::new(
            "shipments",
            "s",
            &old,
            &RequestContext::detached(),
            Uuid::nil(),
            at("2026-05-01T08:00:01Z"),
        );
        let logged = |n: &NotificationRequestedV1| {
            notification_requested(&e, n).map(|r| (r.customer_id, r.summary, r.channel))
        };
        let summary = "shipment.delivered for KD1".to_owned();
        assert_eq!(logged(&old), Some((shipper, summary.clone(), "app".into())));
        assert_eq!(
            logged(&to("shipper", Some(shipper))),
            Some((shipper, summary.clone(), "app".into()))
        );
        assert_eq!(
            logged(&to("recipient", Some(recipient))),
            Some((recipient, format!("{summary} (as recipient)"), "app".into()))
        );
        assert_eq!(
            logged(&to("recipient", None)),
            None,
            "a recipient without a file, never the shipper's"
        );
    }
}
