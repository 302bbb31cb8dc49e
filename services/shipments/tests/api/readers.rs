//! What each reader of a shipment is shown, and that each of those views is a representation of
//! its own: an end customer does not see the merchant's commercial terms (nor, on a parcel sent
//! to them, the sender's customer file), a reader who sees the recipient masked sees the phone
//! numbers in scan descriptions masked too, and an `ETag` one reader got never revalidates what
//! another is shown.

use kuaidi_shared::auth::Role;
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::testing::{customer_created, eventually, expect_json};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn, Shipments, TestApp};
use crate::senders::{hash_of, publish_from_customers, sent_by};

/// A courier's note naming the recipient's phone, as scanners send them.
const NOTE: &str = "已签收, 签收人 张三丰 电话13812345678";

/// A shipment of a new merchant sent by a customer file, scanned delivered with [`NOTE`].
async fn delivered_with_a_note(t: &TestApp) -> String {
    let mut body = shipment_body(Uuid::now_v7());
    body["shipper_customer_id"] = json!(Uuid::now_v7());
    let created = expect_json(t.create(&t.admin(), &body).await, 201).await;
    let tn = created["tracking_number"].as_str().expect("tn").to_owned();
    let scan = json!({
        "event_id": "signed-1", "status": "delivered",
        "occurred_at": chrono::Utc::now().to_rfc3339(), "description": NOTE,
    });
    let path = format!("/api/v1/shipments/{tn}/events");
    expect_json(t.post(&t.token(Role::Operator), &path, &scan).await, 201).await;
    tn
}

/// The token of the end customer whose phone is the recipient's of `shipment_body`.
fn recipient_token(t: &TestApp) -> String {
    let cipher = PiiCipher::new(&t.env.settings("unused-pii-probe").pii).expect("cipher");
    t.env.customer_token(&cipher.blind_index("13812345678"))
}

fn etag(resp: &reqwest::Response) -> String {
    resp.headers()["etag"].to_str().expect("ascii").to_owned()
}

fn description(shipment: &Value) -> &str {
    shipment["timeline"][0]["description"]
        .as_str()
        .unwrap_or_else(|| panic!("a described scan: {shipment}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_end_customer_does_not_see_the_merchants_commercial_fields() {
    let t = spawn().await;
    let tn = delivered_with_a_note(&t).await;
    let customer = recipient_token(&t);

    let theirs = expect_json(t.shipment(&customer, &tn).await, 200).await;
    let listed = expect_json(t.get(&customer, "/api/v1/shipments").await, 200).await;

    let staff = expect_json(t.shipment(&t.admin(), &tn).await, 200).await;
    for field in ["merchant_id", "shipper_customer_id", "freight"] {
        assert!(!staff[field].is_null(), "staff see {field}: {staff}");
        assert_eq!(theirs[field], Value::Null, "{field} hidden: {theirs}");
        assert_eq!(
            listed["data"][0][field],
            Value::Null,
            "{field} hidden in lists"
        );
    }
    assert_eq!(
        theirs["recipient"]["phone"], "13812345678",
        "their own parcel's recipient is theirs to see"
    );
    assert_eq!(description(&theirs), NOTE, "their own phone, unmasked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_end_customer_sees_their_own_file_as_the_sender_but_not_the_merchants_terms() {
    let t = spawn().await;
    let (file, phone) = (Uuid::now_v7(), "13900002222");
    let mut created = customer_created(file, Some(Uuid::now_v7()), chrono::Utc::now());
    created.phone_hashes = vec![hash_of(&t, phone)];
    publish_from_customers(&t, file, &created).await;
    let sent = sent_by(&t, file, "13812345678").await;
    let sender = t.env.customer_token(&hash_of(&t, phone));

    let theirs = eventually(
        Duration::from_secs(10),
        "the sender's file known",
        || async {
            let resp = t.shipment(&sender, &sent).await;
            if resp.status() == 200 {
                Some(resp.json::<Value>().await.expect("json"))
            } else {
                None
            }
        },
    )
    .await;

    assert_eq!(theirs["shipper_customer_id"], json!(file), "their own file");
    assert_eq!(theirs["merchant_id"], Value::Null, "{theirs}");
    assert_eq!(theirs["freight"], Value::Null, "{theirs}");
    assert_eq!(
        theirs["recipient"]["phone"], "138****5678",
        "someone else's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_who_see_the_recipient_masked_see_phones_in_scan_notes_masked() {
    let t = spawn().await;
    let tn = delivered_with_a_note(&t).await;

    let whole = expect_json(t.shipment(&t.admin(), &tn).await, 200).await;
    assert_eq!(description(&whole), NOTE, "an admin reads the note as sent");
    for role in [Role::Agent, Role::Analyst, Role::Operator] {
        let token = t.token(role);
        let one = expect_json(t.shipment(&token, &tn).await, 200).await;
        assert_eq!(one["recipient"]["phone"], "138****5678", "{role:?}");
        assert_eq!(
            description(&one),
            "已签收, 签收人 张三丰 电话138****5678",
            "{role:?}"
        );
        let page = expect_json(t.get(&token, "/api/v1/shipments").await, 200).await;
        assert!(
            !page.to_string().contains("13812345678"),
            "{role:?}'s list shows no phone: {page}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_etag_of_one_view_never_revalidates_another() {
    let t = spawn().await;
    let tn = delivered_with_a_note(&t).await;
    let path = format!("/api/v1/shipments/{tn}");
    let (admin, agent) = (t.admin(), t.token(Role::Agent));
    let customer = recipient_token(&t);

    let whole = t.shipment(&admin, &tn).await;
    let whole_tag = etag(&whole);
    let masked = t.shipment(&agent, &tn).await;
    let masked_tag = etag(&masked);
    let theirs = t.shipment(&customer, &tn).await;
    let their_tag = etag(&theirs);
    assert_ne!(
        whole_tag, masked_tag,
        "whole and masked are two representations"
    );
    assert_ne!(whole_tag, their_tag, "an end customer's is another");

    let agent_with_admins = t.revalidate(&agent, &path, &whole_tag).await;
    assert_eq!(
        agent_with_admins.status(),
        200,
        "the admin's tag is not the agent's"
    );
    assert_eq!(etag(&agent_with_admins), masked_tag);
    let body: Value = agent_with_admins.json().await.expect("json");
    assert_eq!(body["recipient"]["phone"], "138****5678");
    let customer_with_admins = t.revalidate(&customer, &path, &whole_tag).await;
    assert_eq!(customer_with_admins.status(), 200);

    for (token, tag) in [
        (&admin, &whole_tag),
        (&agent, &masked_tag),
        (&customer, &their_tag),
    ] {
        let again = t.revalidate(token, &path, tag).await;
        assert_eq!(
            again.status(),
            304,
            "each reader's own tag still revalidates"
        );
        assert_eq!(&etag(&again), tag);
    }
}
