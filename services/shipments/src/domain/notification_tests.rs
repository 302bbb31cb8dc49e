use super::*;

fn file(id: u128, preference: Option<&str>) -> File {
    File {
        customer_id: Uuid::from_u128(id),
        preference: preference.map(str::to_owned),
    }
}

/// `(addressee, customer id, channel, phone hash)` of each notice of `template`.
fn told(a: &Addressees, template: &str) -> Vec<(&'static str, Option<u128>, &'static str, bool)> {
    a.notices(template)
        .into_iter()
        .map(|n| {
            (
                n.addressee.as_str(),
                n.customer_id.map(|id| id.as_u128()),
                n.channel.as_str(),
                n.phone_hash.is_some(),
            )
        })
        .collect()
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
fn the_recipient_gets_every_notification_and_the_shipper_those_about_the_outcome() {
    let both = Addressees {
        shipper: Some(file(1, Some("email"))),
        recipient: Some(file(2, Some("sms"))),
        recipient_phone_hash: Some("h".into()),
    };
    for template in [template::OUT_FOR_DELIVERY, template::ATTEMPT_FAIL] {
        assert_eq!(
            told(&both, template),
            vec![("recipient", Some(2), "sms", true)],
            "{template}"
        );
    }
    for template in [
        template::DELIVERED,
        template::EXCEPTION,
        template::ETA_SLIPPED,
        template::DISRUPTION,
    ] {
        assert_eq!(
            told(&both, template),
            vec![
                ("recipient", Some(2), "sms", true),
                ("shipper", Some(1), "email", false)
            ],
            "{template}"
        );
    }
}

#[test]
fn a_recipient_without_a_file_is_told_by_sms_and_a_shipper_without_preference_too() {
    let strangers = Addressees {
        shipper: Some(file(1, None)),
        recipient: None,
        recipient_phone_hash: Some("h".into()),
    };
    assert_eq!(
        told(&strangers, template::DELIVERED),
        vec![
            ("recipient", None, "sms", true),
            ("shipper", Some(1), "sms", false)
        ]
    );
    let erased = Addressees::default();
    assert_eq!(
        told(&erased, template::EXCEPTION),
        vec![("recipient", None, "sms", false)],
        "no shipper named, the recipient's phone erased"
    );
}

#[test]
fn a_shipper_sending_to_their_own_phone_is_told_once_as_the_recipient() {
    let self_sent = Addressees {
        shipper: Some(file(1, Some("email"))),
        recipient: Some(file(1, Some("email"))),
        recipient_phone_hash: Some("h".into()),
    };
    assert_eq!(
        told(&self_sent, template::DELIVERED),
        vec![("recipient", Some(1), "email", true)]
    );
}
