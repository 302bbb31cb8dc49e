//! Shipment notifications (`notification.requested`) on the timeline of the person each is
//! for: the file the event names as its addressee's (`customer_id`), the recipient's as well as
//! the shipper's; an event raised before notifications named their addressee goes to its
//! shipper. A merged duplicate's go to its survivor; a redelivery logs nothing twice.

use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::NotificationRequestedV1;
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::testing::{eventually, expect_json, publish, publish_batch, relayed};
use serde_json::{json, Value};
use std::time::Duration as StdDuration;
use uuid::Uuid;

use crate::follow_ups::bystander;
use crate::helpers::{acme, at, create, id_of, spawn_at, TestApp};

/// The out-for-delivery SMS of a shipment of `shipper`, as raised before notifications named
/// their addressee.
pub(crate) fn notification(
    shipper: Option<Uuid>,
    tracking_number: &str,
) -> NotificationRequestedV1 {
    NotificationRequestedV1 {
        notification_id: Uuid::now_v7(),
        channel: "sms".into(),
        template_id: "shipment.out_for_delivery".into(),
        variables: Default::default(),
        shipment_id: Uuid::now_v7(),
        tracking_number: tracking_number.into(),
        merchant_id: None,
        shipper_customer_id: shipper,
        addressee: None,
        customer_id: None,
        phone_hash: None,
    }
}

/// `template` about `tracking_number` (sent by `shipper`) for the `addressee` whose file is
/// `customer`, on `channel`.
fn addressed(
    (addressee, customer): (&str, Option<Uuid>),
    shipper: Option<Uuid>,
    tracking_number: &str,
    (template, channel): (&str, &str),
) -> NotificationRequestedV1 {
    NotificationRequestedV1 {
        channel: channel.into(),
        template_id: template.into(),
        addressee: Some(addressee.into()),
        customer_id: customer,
        phone_hash: (addressee == "recipient").then(|| "c0ffee".into()),
        ..notification(shipper, tracking_number)
    }
}

/// The `(summary, channel)` of each notification on `id`'s timeline, sorted.
async fn notifications_of(app: &TestApp, id: Uuid) -> Option<Vec<(String, String)>> {
    let admin = app.token(Role::Admin);
    let c: Value = app
        .get(&admin, &format!("/api/v1/customers/{id}"))
        .await
        .json()
        .await
        .ok()?;
    let mut found: Vec<(String, String)> = c["interactions"]
        .as_array()?
        .iter()
        .filter(|i| i["kind"] == "notification")
        .map(|i| {
            let text = |k: &str| i[k].as_str().unwrap_or_default().to_owned();
            (text("summary"), text("channel"))
        })
        .collect();
    found.sort();
    Some(found)
}

/// Merges `duplicate` into `survivor` as an admin.
async fn merge(app: &TestApp, survivor: Uuid, duplicate: Uuid) {
    let path = format!("/api/v1/customers/{survivor}/merge");
    let body = json!({"duplicate_id": duplicate});
    expect_json(app.post(&app.token(Role::Admin), &path, &body).await, 200).await;
}

fn envelope(n: &NotificationRequestedV1) -> CloudEvent {
    relayed("shipments", n.shipment_id, n, at("2026-05-10T08:00:00Z"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_is_logged_on_its_addressees_file_the_recipients_as_the_shippers() {
    let app = spawn_at(at("2026-05-10T08:00:00Z")).await;
    let shipper = id_of(&create(&app, &acme()).await);
    let recipient = bystander(&app).await;
    let second_file = json!({"kind": "individual", "name": "旁人", "phones": ["13700002222"]});
    let duplicate = id_of(&create(&app, &second_file).await);
    merge(&app, recipient, duplicate).await;
    let (out, delivered, failed) = (
        ("shipment.out_for_delivery", "app"),
        ("shipment.delivered", "app"),
        ("shipment.attempt_fail", "sms"),
    );
    let to_recipient = ("recipient", Some(recipient));
    let run = [
        addressed(to_recipient, Some(shipper), "KD1", out),
        addressed(to_recipient, Some(shipper), "KD1", delivered),
        addressed(
            ("shipper", Some(shipper)),
            Some(shipper),
            "KD1",
            ("shipment.delivered", "email"),
        ),
        // A recipient without a customer file: on no one's timeline, not the shipper's.
        addressed(("recipient", None), Some(shipper), "KD2", delivered),
        addressed(("recipient", Some(duplicate)), None, "KD3", failed),
    ]
    .map(|n| envelope(&n));
    publish_batch(&app.env.amqp, &run).await;

    let as_recipient =
        |what: &str, channel: &str| (format!("{what} (as recipient)"), channel.into());
    let expected = vec![
        as_recipient("shipment.attempt_fail for KD3", "sms"),
        as_recipient("shipment.delivered for KD1", "app"),
        as_recipient("shipment.out_for_delivery for KD1", "app"),
    ];
    let theirs = until_logged(&app, recipient, expected.len()).await;
    assert_eq!(
        theirs, expected,
        "the recipient's, a merged duplicate's included"
    );
    assert_eq!(
        notifications_of(&app, shipper).await.expect("the shipper"),
        vec![("shipment.delivered for KD1".into(), "email".into())],
        "only what was addressed to the shipper"
    );

    // Redelivered, then a later event as a barrier: nothing is logged twice.
    publish(&app.env.amqp, &run[0]).await;
    let marker = notification(Some(shipper), "KD4");
    publish(&app.env.amqp, &envelope(&marker)).await;
    until_logged(&app, shipper, 2).await;
    assert_eq!(
        notifications_of(&app, recipient).await.expect("again"),
        expected
    );
    app.app.stop().await;
}

/// The summaries of `logged` notifications, in their order.
fn summaries(logged: Vec<(String, String)>) -> Vec<String> {
    logged.into_iter().map(|(summary, _)| summary).collect()
}

/// Waits until `id`'s timeline holds `count` notifications; answers them.
async fn until_logged(app: &TestApp, id: Uuid, count: usize) -> Vec<(String, String)> {
    eventually(
        StdDuration::from_secs(10),
        "the notifications logged",
        || async { notifications_of(app, id).await.filter(|n| n.len() >= count) },
    )
    .await
}

/// Shipment notifications come by the thousand, as batch messages: a run of them is logged at
/// once, each on its shipper's timeline — a merged duplicate's on its survivor's — and one for
/// a customer unknown here is skipped without holding back the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_arriving_together_reach_each_shipper_and_a_merged_ones_survivor() {
    let app = spawn_at(at("2026-05-10T08:00:00Z")).await;
    let survivor = id_of(&create(&app, &acme()).await);
    let duplicate = id_of(
        &create(
            &app,
            &json!({"kind": "business", "name": "ACME Trading Ltd", "phones": ["13812345678"]}),
        )
        .await,
    );
    let other = bystander(&app).await;
    merge(&app, survivor, duplicate).await;
    let notice =
        |shipper: Option<Uuid>, n: &str| envelope(&notification(shipper, &format!("KD{n}")));
    let run = [
        notice(Some(survivor), "1"),
        notice(Some(Uuid::now_v7()), "2"),
        notice(Some(duplicate), "3"),
        notice(None, "4"),
        notice(Some(other), "5"),
    ];
    publish_batch(&app.env.amqp, &run).await;

    let theirs = until_logged(&app, other, 1).await;
    assert_eq!(summaries(theirs), vec!["shipment.out_for_delivery for KD5"]);
    assert_eq!(
        summaries(
            notifications_of(&app, survivor)
                .await
                .expect("the survivor")
        ),
        vec![
            "shipment.out_for_delivery for KD1",
            "shipment.out_for_delivery for KD3"
        ],
        "its own and its merged duplicate's, nothing else"
    );
    app.app.stop().await;
}
