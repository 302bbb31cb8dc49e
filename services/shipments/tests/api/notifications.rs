//! Proactive notifications (SPEC §5): one `notification.requested` per addressee — the
//! recipient always, the shipper customer for what concerns a sender — each saying whom it is
//! for (`addressee`, `customer_id`, the recipient's `phone_hash`) and going out on that
//! person's preferred channel, learnt from the customers service's events; SMS for anyone
//! unknown.

use chrono::{Duration, Utc};
use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::{CustomerCreatedV1, CustomerErasedV1, CustomerUpdatedV1};
use kuaidi_shared::events::EventPayload;
use kuaidi_shared::testing::{customer_created, expect_json};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{notes, shipment_body, spawn_with_database, Shipments, TestApp};
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

/// `(addressee, customer_id, channel, phone_hash)` of notifications, for comparison.
fn who(notes: &[Value]) -> Vec<(Value, Value, Value, Value)> {
    notes
        .iter()
        .map(|n| {
            let field = |k: &str| n.get(k).cloned().unwrap_or(json!("(absent)"));
            (
                field("addressee"),
                field("customer_id"),
                field("channel"),
                field("phone_hash"),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_addressee_is_notified_apart_on_their_own_channel_and_says_who_they_are() {
    let (app, url) = spawn_with_database().await;
    let (shipper, recipient) = (Uuid::now_v7(), Uuid::now_v7());
    let (recipient_phone, stranger) = ("13700007777", "13812345678");
    customer_preferring(&app, shipper, "13900006666", "email").await;
    customer_preferring(&app, recipient, recipient_phone, "app").await;
    until_handled(&url, CustomerCreatedV1::TYPE, 2).await;
    let to_customer = sent_by(&app, shipper, recipient_phone).await;
    let to_stranger = sent_by(&app, shipper, stranger).await;
    let anonymous = sent_to(&app, stranger).await;
    let (known_hash, stranger_hash) = (hash_of(&app, recipient_phone), hash_of(&app, stranger));
    let as_recipient = (
        json!("recipient"),
        json!(recipient),
        json!("app"),
        json!(known_hash),
    );
    let as_shipper = (
        json!("shipper"),
        json!(shipper),
        json!("email"),
        Value::Null,
    );
    let to_unknown = (
        json!("recipient"),
        Value::Null,
        json!("sms"),
        json!(stranger_hash),
    );

    scan(&app, &to_customer, "out_for_delivery", 1).await;
    assert_eq!(
        who(&notes(&url, &to_customer, "shipment.out_for_delivery")),
        vec![as_recipient.clone()],
        "out for delivery is the recipient's news alone"
    );
    scan(&app, &to_customer, "delivered", 2).await;
    let delivered = notes(&url, &to_customer, "shipment.delivered");
    assert_eq!(
        who(&delivered),
        vec![as_recipient.clone(), as_shipper.clone()],
        "a delivery is told to both, each on their channel"
    );
    assert_ne!(
        delivered[0]["notification_id"], delivered[1]["notification_id"],
        "each its own notification"
    );
    assert_eq!(delivered[1]["shipper_customer_id"], json!(shipper));
    assert_eq!(delivered[0]["variables"]["tracking_number"], to_customer);

    scan(&app, &anonymous, "attempt_fail", 1).await;
    assert_eq!(
        who(&notes(&url, &anonymous, "shipment.attempt_fail")),
        vec![to_unknown.clone()],
        "a recipient without a customer file: no customer, SMS, their phone's index"
    );
    scan(&app, &to_stranger, "exception", 1).await;
    assert_eq!(
        who(&notes(&url, &to_stranger, "shipment.exception")),
        vec![to_unknown.clone(), as_shipper.clone()]
    );

    let body = json!({"hub_code": "PEK02", "reason": "power outage"});
    let notify = app
        .post(&app.admin(), "/api/v1/shipments/impact:notify", &body)
        .await;
    assert_eq!(
        expect_json(notify, 202).await["notified"],
        2,
        "the two live parcels"
    );
    assert_eq!(
        who(&notes(&url, &to_stranger, "shipment.disruption")),
        vec![to_unknown.clone(), as_shipper],
        "impact:notify chooses the same way"
    );
    assert_eq!(
        who(&notes(&url, &anonymous, "shipment.disruption")),
        vec![to_unknown]
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_preference_changes_later_notifications_and_an_erasure_clears_it() {
    let (app, url) = spawn_with_database().await;
    let alice = Uuid::now_v7();
    customer_preferring(&app, alice, "13900006666", "email").await;
    until_handled(&url, CustomerCreatedV1::TYPE, 1).await;
    let mut parcels = Vec::new();
    for _ in 0..3 {
        parcels.push(sent_by(&app, alice, "13812345678").await);
    }
    // Alice's channel, told of the delivery of `parcel` as its shipper.
    let delivered = |parcel: &str| {
        let found = notes(&url, parcel, "shipment.delivered");
        assert_eq!(found.len(), 2, "recipient and shipper: {found:?}");
        assert_eq!(found[1]["addressee"], "shipper");
        assert_eq!(found[1]["customer_id"], json!(alice));
        found[1]["channel"].as_str().expect("channel").to_owned()
    };
    scan(&app, &parcels[0], "delivered", 1).await;
    assert_eq!(delivered(&parcels[0]), "email");

    publish_from_customers(&app, alice, &preference(alice, 3, "app")).await;
    publish_from_customers(&app, alice, &preference(alice, 2, "email")).await;
    until_handled(&url, CustomerUpdatedV1::TYPE, 2).await;
    scan(&app, &parcels[1], "delivered", 2).await;
    assert_eq!(
        delivered(&parcels[1]),
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
    scan(&app, &parcels[2], "delivered", 3).await;
    assert_eq!(
        delivered(&parcels[2]),
        "sms",
        "an erased customer has no preference, and takes none after"
    );
    assert_eq!(
        notes(&url, &parcels[2], "shipment.delivered")[0]["phone_hash"],
        json!(hash_of(&app, "13812345678")),
        "the erased sender's parcels keep their (other) recipient's phone index"
    );
    app.app.stop().await;
}
