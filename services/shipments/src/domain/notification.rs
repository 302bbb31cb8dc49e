//! On which channel a proactive notification goes out (SPEC §5 "Proactive notifications":
//! sms/app/email per the customer's preference).
//!
//! The rule: a notification is for the shipment's shipper when the shipment names a shipper
//! customer (the customers service records it on that customer's timeline), else for its
//! recipient. The shipper's channel is the preference of their customer file; the recipient's,
//! that of a customer file holding the recipient's phone (by blind index), if the service knows
//! one. A preference of `sms`, `app` or `email` is that channel; any other — `phone`, `wechat`,
//! none, an unknown customer — is `sms`, which reaches every phone.

kuaidi_shared::vocabulary! {
// NOTE: external contract — notification senders read these values (`channel` of
// `notification.requested`).
pub enum NotificationChannel { Sms, App, Email }
}

impl NotificationChannel {
    /// The channel for a customer's preferred contact channel (`preferences.contact_channel`).
    pub fn for_preference(preference: Option<&str>) -> Self {
        preference.and_then(Self::parse).unwrap_or(Self::Sms)
    }
}

/// What the service knows of the preferences of a shipment's customers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addressees {
    /// Whether the shipment names a shipper customer (then the notification is theirs).
    pub names_shipper: bool,
    /// The shipper customer's preferred contact channel, if known.
    pub shipper: Option<String>,
    /// The preferred contact channel of a customer holding the recipient's phone, if known.
    pub recipient: Option<String>,
}

impl Addressees {
    /// The channel of a notification about the shipment (see the module).
    pub fn channel(&self) -> NotificationChannel {
        let preference = if self.names_shipper {
            &self.shipper
        } else {
            &self.recipient
        };
        NotificationChannel::for_preference(preference.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(names_shipper: bool, shipper: Option<&str>, recipient: Option<&str>) -> &'static str {
        Addressees {
            names_shipper,
            shipper: shipper.map(str::to_owned),
            recipient: recipient.map(str::to_owned),
        }
        .channel()
        .as_str()
    }

    #[test]
    fn sms_app_and_email_are_kept_and_anything_else_is_sms() {
        for (preference, channel) in [
            (Some("sms"), "sms"),
            (Some("app"), "app"),
            (Some("email"), "email"),
            (Some("phone"), "sms"),
            (Some("wechat"), "sms"),
            (Some("EMAIL"), "sms"),
            (None, "sms"),
        ] {
            assert_eq!(
                NotificationChannel::for_preference(preference).as_str(),
                channel,
                "{preference:?}"
            );
        }
    }

    #[test]
    fn the_shipper_is_notified_when_named_else_the_recipient() {
        assert_eq!(to(true, Some("email"), Some("app")), "email");
        assert_eq!(
            to(true, None, Some("app")),
            "sms",
            "the shipper's, even when they have none"
        );
        assert_eq!(to(false, None, Some("app")), "app");
        assert_eq!(to(false, None, None), "sms", "an unknown recipient");
    }
}
