//! Proactive notifications go out on the channel their customer prefers (SPEC §5 "channel
//! sms/app/email per the customer's preference"), learnt from the customers service's events:
//! the shipper's when the shipment names one, else that of a customer file holding the
//! recipient's phone; SMS for anyone unknown.

use chrono::{Duration, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::{CustomerCreatedV1, CustomerErasedV1, CustomerUpdatedV1};
use kuaidi_shared::events::EventPayload;
use kuaidi_shared::testing::{customer_created, expect_json, EventTap};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn_with_database, Shipments, TestApp};
use crate::senders::{hash_of, publish_from_customers, sent_by, until_handled};

/// `customer.created` of `customer` holding `phone`, preferring `channel`.
async fn customer_preferring(app: &TestApp, customer: Uuid, phone: &str, channel: &str) {
    let mut created = customer_created(customer, None, Utc::now());
    created.phone_hashes = vec![hash_of(app, phone)];
    created.contact_channel = Some(channel.to_owned());
    publish_from_customers(app, customer, &created).await;
}

/// `customer.updated` of `customer` at `version`, preferring `channel`.
fn preference(customer: Uuid, version: i64, channel: &str) -> CustomerUpdatedV1 {
    CustomerUpdatedV1 {
        customer_id: customer,
        changed: vec!["preferences".into()],
        version,
        updated_at: Utc::now(),
        phone_hashes: None,
        contact_channel: Some(channel.to_owned()),
    }
}

/// A parcel no customer file names as shipper, to `phone`; its tracking number.
async fn sent_to(app: &TestApp, phone: &str) -> String {
    let mut body = shipment_body(Uuid::now_v7());
    body["recipient"]["phone"] = json!(phone);
    let created = expect_json(app.create(&app.admin(), &body).await, 201).await;
    created["tracking_number"].as_str().expect("tn").to_owned()
}

/// A scan moving `tracking_number` to `status` (`minutes` after now, so scans stay in order).
async fn scan(app: &TestApp, tracking_number: &str, status: &str, minutes: i64) {
    let at = Utc::now() + Duration::minutes(minutes);
    let event = json!({"event_id": format!("{tracking_number}-{status}"), "status": status,
        "occurred_at": at.to_rfc3339(), "location": {"hub_code": "PEK02", "city": "北京"}});
    let path = format!("/api/v1/shipments/{tracking_number}/events");
    let operator = app.env.token(Role::Operator, None);
    let resp = expect_json(app.post(&operator, &path, &event).await, 201).await;
    assert_eq!(resp["result"], "accepted", "{resp}");
}

/// The channel of the notification with `template` about `tracking_number` (others are
/// passed over).
async fn channel_of(tap: &EventTap, tracking_number: &str, template: &str) -> String {
    loop {
        let event = tap
            .next_of_type("notification.requested", std::time::Duration::from_secs(10))
            .await;
        if event.data["tracking_number"] == tracking_number && event.data["template_id"] == template
        {
            return event.data["channel"]
                .as_str()
                .expect("a channel")
                .to_owned();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipper_is_notified_on_their_channel_a_known_recipient_on_theirs_others_by_sms() {
    let (app, url) = spawn_with_database().await;
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    customer_preferring(&app, alice, "13900006666", "email").await;
    customer_preferring(&app, bob, "13700007777", "app").await;
    until_handled(&url, CustomerCreatedV1::TYPE, 2).await;
    // Alice sends a parcel to Bob's phone: the notification is hers, the shipper's.
    let alices = sent_by(&app, alice, "13700007777").await;
    let to_bob = sent_to(&app, "13700007777").await;
    let to_stranger = sent_to(&app, "13812345678").await;
    let tap = app.env.tap().await;

    for (tn, expected) in [(&alices, "email"), (&to_bob, "app"), (&to_stranger, "sms")] {
        scan(&app, tn, "out_for_delivery", 1).await;
        assert_eq!(
            channel_of(&tap, tn, "shipment.out_for_delivery").await,
            expected,
            "{tn}"
        );
    }

    let body = json!({"hub_code": "PEK02", "reason": "power outage"});
    let notify = app
        .post(&app.admin(), "/api/v1/shipments/impact:notify", &body)
        .await;
    assert_eq!(notify.status(), 202);
    assert_eq!(
        channel_of(&tap, &alices, "shipment.disruption").await,
        "email",
        "impact:notify chooses the same way"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_preference_changes_later_notifications_and_an_erasure_clears_it() {
    let (app, url) = spawn_with_database().await;
    let alice = Uuid::now_v7();
    customer_preferring(&app, alice, "13900006666", "email").await;
    until_handled(&url, CustomerCreatedV1::TYPE, 1).await;
    let sent = sent_by(&app, alice, "13812345678").await;
    let tap = app.env.tap().await;
    scan(&app, &sent, "out_for_delivery", 1).await;
    assert_eq!(
        channel_of(&tap, &sent, "shipment.out_for_delivery").await,
        "email"
    );

    publish_from_customers(&app, alice, &preference(alice, 3, "app")).await;
    publish_from_customers(&app, alice, &preference(alice, 2, "email")).await;
    until_handled(&url, CustomerUpdatedV1::TYPE, 2).await;
    scan(&app, &sent, "attempt_fail", 2).await;
    assert_eq!(
        channel_of(&tap, &sent, "shipment.attempt_fail").await,
        "app",
        "the newer preference, a late older update notwithstanding"
    );

    let erased = CustomerErasedV1 {
        customer_id: alice,
        phone_hashes: vec![hash_of(&app, "13900006666")],
        email_hashes: vec![],
        erased_at: Utc::now(),
    };
    publish_from_customers(&app, alice, &erased).await;
    publish_from_customers(&app, alice, &preference(alice, 4, "email")).await;
    until_handled(&url, CustomerErasedV1::TYPE, 1).await;
    until_handled(&url, CustomerUpdatedV1::TYPE, 3).await;
    scan(&app, &sent, "delivered", 3).await;
    assert_eq!(
        channel_of(&tap, &sent, "shipment.delivered").await,
        "sms",
        "an erased customer has no preference, and takes none after"
    );
    app.app.stop().await;
}
