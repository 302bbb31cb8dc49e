//! The default notification sender: until an SMS/app-push/email gateway is configured, every
//! `notification.requested` is written to the log (what would be sent, to which channel), so
//! the proactive updates of SPEC §5 are observable end to end.

use kuaidi_shared::events::catalogue::NotificationRequestedV1;
use kuaidi_shared::events::CloudEvent;

/// "Sends" a requested notification by logging it; returns what was logged.
pub fn log_sender(event: &CloudEvent) -> anyhow::Result<NotificationRequestedV1> {
    let n: NotificationRequestedV1 = event.decode()?;
    tracing::info!(
        notification_id = %n.notification_id,
        channel = %n.channel,
        addressee = n.addressee.as_deref().unwrap_or("-"),
        customer_id = ?n.customer_id,
        template = %n.template_id,
        tracking_number = %n.tracking_number,
        variables = %serde_json::Value::Object(n.variables.clone()),
        "notification sent by the logging sender"
    );
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuaidi_shared::request::RequestContext;
    use uuid::Uuid;

    #[test]
    fn the_logging_sender_reads_what_would_be_sent_and_refuses_other_events() {
        let n = NotificationRequestedV1 {
            notification_id: Uuid::now_v7(),
            channel: "sms".into(),
            template_id: "shipment.out_for_delivery".into(),
            variables: serde_json::Map::new(),
            shipment_id: Uuid::now_v7(),
            tracking_number: "KD473124829CN".into(),
            merchant_id: None,
            shipper_customer_id: None,
            addressee: Some("recipient".into()),
            customer_id: None,
            phone_hash: Some("c2b1".into()),
        };
        let event = CloudEvent::new(
            "shipments",
            "s",
            &n,
            &RequestContext::detached(),
            Uuid::now_v7(),
            kuaidi_shared::clock::Clock::system().now(),
        );
        assert_eq!(log_sender(&event).expect("sent"), n);
        let mut other = event.clone();
        other.type_ = "shipment.created".into();
        assert!(log_sender(&other).is_err());
    }
}
