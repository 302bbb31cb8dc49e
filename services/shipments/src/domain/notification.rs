//! Who a proactive notification is for and on which channel (SPEC §5 "Proactive
//! notifications": sms/app/email per the customer's preference).
//!
//! The rule: every notification is for the shipment's recipient, the person the parcel goes
//! to; the shipper customer, when the shipment names one, gets those that concern a sender too
//! ([`concerns_shipper`]: delivered, an exception, an ETA slip, a disruption — not that the
//! parcel is out for delivery or a delivery attempt failed). Each addressee gets a
//! notification of their own, on their own channel: that of their customer file (the
//! shipper's file; for the recipient, a live file holding the recipient's phone by blind
//! index, if the service knows one). A preference of `sms`, `app` or `email` is that channel;
//! any other — `phone`, `wechat`, none, no file — is `sms`, which reaches every phone. When the
//! shipper's file is also the recipient's, that person is told once, as the recipient.

use uuid::Uuid;

kuaidi_shared::vocabulary! {
// NOTE: external contract — notification senders read these values (`channel` of
// `notification.requested`).
pub enum NotificationChannel { Sms, App, Email }
// NOTE: external contract — `addressee` of `notification.requested`.
pub enum Addressee { Recipient, Shipper }
}

/// The template ids of `notification.requested` (`template_id`).
// NOTE: external contract — notification senders keep a message per template.
pub mod template {
    pub const OUT_FOR_DELIVERY: &str = "shipment.out_for_delivery";
    pub const ATTEMPT_FAIL: &str = "shipment.attempt_fail";
    pub const DELIVERED: &str = "shipment.delivered";
    pub const EXCEPTION: &str = "shipment.exception";
    /// The ETA moved later by more than [`crate::domain::eta::NOTIFY_SLIP`].
    pub const ETA_SLIPPED: &str = "shipment.eta_slipped";
    /// `POST /shipments/impact:notify`.
    pub const DISRUPTION: &str = "shipment.disruption";
}

impl NotificationChannel {
    /// The channel for a customer's preferred contact channel (`preferences.contact_channel`).
    pub fn for_preference(preference: Option<&str>) -> Self {
        preference.and_then(Self::parse).unwrap_or(Self::Sms)
    }
}

/// Whether notifications of `template` go to the shipper customer too (the recipient gets
/// every one).
pub fn concerns_shipper(template: &str) -> bool {
    matches!(
        template,
        template::DELIVERED | template::EXCEPTION | template::ETA_SLIPPED | template::DISRUPTION
    )
}

/// A customer file the service knows and its preferred contact channel, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct File {
    pub customer_id: Uuid,
    pub preference: Option<String>,
}

/// What the service knows of a shipment's two parties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addressees {
    /// The shipper customer's file when the shipment names one (its survivor when merged).
    pub shipper: Option<File>,
    /// A live customer file holding the recipient's phone, if the service knows one.
    pub recipient: Option<File>,
    /// The blind index of the recipient's normalised phone (`None` once erased).
    pub recipient_phone_hash: Option<String>,
}

/// One notification to raise: for whom, their file, their channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub addressee: Addressee,
    pub customer_id: Option<Uuid>,
    pub channel: NotificationChannel,
    /// The recipient's phone blind index (the shipper's notices carry none).
    pub phone_hash: Option<String>,
}

impl Addressees {
    /// The notifications of `template` (see the module): the recipient's first.
    pub fn notices(&self, template: &str) -> Vec<Notice> {
        let channel = |f: Option<&File>| {
            NotificationChannel::for_preference(f.and_then(|f| f.preference.as_deref()))
        };
        let recipient = self.recipient.as_ref();
        let mut out = vec![Notice {
            addressee: Addressee::Recipient,
            customer_id: recipient.map(|f| f.customer_id),
            channel: channel(recipient),
            phone_hash: self.recipient_phone_hash.clone(),
        }];
        if let Some(shipper) = &self.shipper {
            let same_person = recipient.is_some_and(|r| r.customer_id == shipper.customer_id);
            if concerns_shipper(template) && !same_person {
                out.push(Notice {
                    addressee: Addressee::Shipper,
                    customer_id: Some(shipper.customer_id),
                    channel: channel(Some(shipper)),
                    phone_hash: None,
                });
            }
        }
        out
    }
}

#[cfg(test)]
#[path = "notification_tests.rs"]
mod tests;
