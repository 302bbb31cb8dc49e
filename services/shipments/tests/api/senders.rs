//! End customers read the parcels they sent as well as those sent to them (SPEC §3 "shipments
//! read: sent to or by the customer"): "by" is known from the customer files holding the
//! token's phone hash, learnt from the customers service's events (published on the bus as
//! that service would). The recipient of a parcel they sent is someone else's PII: masked.

use chrono::Utc;
use diesel::{Connection, PgConnection, RunQueryDsl};
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::events::catalogue::{
    CustomerCreatedV1, CustomerErasedV1, CustomerMergedV1, CustomerUpdatedV1,
};
use kuaidi_shared::events::EventPayload;
use kuaidi_shared::http::PII_AUDIT_HEADER;
use kuaidi_shared::testing::{customer_created, eventually, expect_json, publish, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn, spawn_with_database, Shipments};

/// Chen's phone; the parcels' other recipient is `shipment_body`'s 13812345678.
const CHEN_PHONE: &str = "13900002222";

pub(crate) fn hash_of(app: &TestApp, phone: &str) -> String {
    PiiCipher::new(&app.env.settings_with("unused".into()).pii)
        .expect("cipher")
        .blind_index(phone)
}

pub(crate) async fn publish_from_customers<P: EventPayload>(
    app: &TestApp,
    subject: Uuid,
    payload: &P,
) {
    let now = kuaidi_shared::clock::Clock::system().now();
    let event = kuaidi_shared::testing::relayed("customers", subject, payload, now);
    publish(&app.env.amqp, &event).await;
}

/// `customer.created` of `customer` (a merchant's file) holding the phones `hashes`.
async fn customer_with_phones(app: &TestApp, customer: Uuid, hashes: &[String]) {
    let mut created = customer_created(customer, Some(Uuid::now_v7()), Utc::now());
    created.phone_hashes = hashes.to_vec();
    publish_from_customers(app, customer, &created).await;
}

/// A parcel sent by `shipper` to `phone`; its tracking number.
pub(crate) async fn sent_by(app: &TestApp, shipper: Uuid, phone: &str) -> String {
    let mut body = shipment_body(Uuid::now_v7());
    body["shipper_customer_id"] = json!(shipper);
    body["recipient"]["phone"] = json!(phone);
    let created = expect_json(app.create(&app.admin(), &body).await, 201).await;
    created["tracking_number"].as_str().expect("tn").to_owned()
}

/// Waits until `token` reads the parcel `tracking_number` (the projection caught up).
async fn until_seen(app: &TestApp, token: &str, tracking_number: &str) {
    eventually(Duration::from_secs(10), "the parcel is theirs", || async {
        (app.shipment(token, tracking_number).await.status() == 200).then_some(())
    })
    .await;
}

/// The status of `token`'s read of `tracking_number`.
async fn status(app: &TestApp, token: &str, tracking_number: &str) -> u16 {
    app.shipment(token, tracking_number).await.status().as_u16()
}

/// The tracking numbers `token` lists.
async fn listed(app: &TestApp, token: &str) -> Vec<String> {
    let page = expect_json(app.get(token, "/api/v1/shipments").await, 200).await;
    let mut tns: Vec<String> = page["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|s| s["tracking_number"].as_str().map(str::to_owned))
        .collect();
    tns.sort();
    tns
}

/// Waits until the service has handled `count` events of type `event_type`: a barrier for an
/// event that, rightly, changes nothing visible.
pub(crate) async fn until_handled(url: &str, event_type: &str, count: i64) {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    eventually(
        Duration::from_secs(10),
        &format!("{count} {event_type} handled"),
        || {
            let (url, event_type) = (url.to_owned(), event_type.to_owned());
            async move {
                tokio::task::spawn_blocking(move || {
                    let mut conn = PgConnection::establish(&url).expect("test database");
                    let n: N = diesel::sql_query(
                        "SELECT count(*) AS n FROM processed_events WHERE event_type = $1",
                    )
                    .bind::<diesel::sql_types::Text, _>(event_type)
                    .get_result(&mut conn)
                    .expect("query");
                    (n.n >= count).then_some(())
                })
                .await
                .expect("probe ran")
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_reads_the_parcels_they_sent_with_the_recipient_masked() {
    let app = spawn().await;
    let chen = hash_of(&app, CHEN_PHONE);
    let (chens_file, strangers_file) = (Uuid::now_v7(), Uuid::now_v7());
    customer_with_phones(&app, chens_file, std::slice::from_ref(&chen)).await;
    customer_with_phones(&app, strangers_file, &[hash_of(&app, "13700003333")]).await;
    let sent = sent_by(&app, chens_file, "13812345678").await;
    let to_chen = sent_by(&app, strangers_file, CHEN_PHONE).await;
    let strangers = sent_by(&app, strangers_file, "13812345678").await;
    let token = app.env.customer_token(&chen);

    until_seen(&app, &token, &sent).await;

    let mut expected = vec![sent.clone(), to_chen.clone()];
    expected.sort();
    assert_eq!(listed(&app, &token).await, expected, "sent to or by chen");
    assert_eq!(status(&app, &token, &strangers).await, 404);
    let resp = app.shipment(&token, &sent).await;
    assert!(
        resp.headers().get(PII_AUDIT_HEADER).is_none(),
        "nothing unmasked to audit"
    );
    let theirs = expect_json(resp, 200).await;
    assert_eq!(theirs["shipper_customer_id"], json!(chens_file));
    assert_eq!(theirs["recipient"]["address"], "***", "{theirs}");
    let text = theirs.to_string();
    for pii in ["13812345678", "张三丰", "建国路"] {
        assert!(
            !text.contains(pii),
            "the recipient's {pii} is not chen's: {text}"
        );
    }
    let own = expect_json(app.shipment(&token, &to_chen).await, 200).await;
    assert_eq!(own["recipient"]["phone"], CHEN_PHONE, "chen's own phone");
    let list = app.get(&token, "/api/v1/shipments").await;
    assert_eq!(
        list.headers()[PII_AUDIT_HEADER],
        format!("shipment:{to_chen}").as_str(),
        "only the parcel sent to chen is read unmasked"
    );
    let batch = app
        .post(
            &token,
            "/api/v1/tracking:batch-get",
            &json!({"tracking_numbers": [sent, strangers]}),
        )
        .await;
    let batch: Value = expect_json(batch, 200).await;
    assert_eq!(batch["data"][0]["tracking_number"], json!(sent));
    assert_eq!(batch["data"][0]["recipient"]["address"], "***");
    assert_eq!(batch["not_found"], json!([strangers]));
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_phone_moves_the_sent_parcels_and_a_late_older_change_is_ignored() {
    let (app, url) = spawn_with_database().await;
    let (old, new) = (hash_of(&app, CHEN_PHONE), hash_of(&app, "13900004444"));
    let chens_file = Uuid::now_v7();
    customer_with_phones(&app, chens_file, std::slice::from_ref(&old)).await;
    let sent = sent_by(&app, chens_file, "13812345678").await;
    until_seen(&app, &app.env.customer_token(&old), &sent).await;
    let updated = |version: i64, hash: &str| CustomerUpdatedV1 {
        customer_id: chens_file,
        changed: vec!["phones".into()],
        version,
        updated_at: Utc::now(),
        phone_hashes: Some(vec![hash.to_owned()]),
        contact_channel: None,
    };

    publish_from_customers(&app, chens_file, &updated(3, &new)).await;
    until_seen(&app, &app.env.customer_token(&new), &sent).await;
    publish_from_customers(&app, chens_file, &updated(2, &old)).await;
    until_handled(&url, CustomerUpdatedV1::TYPE, 2).await;

    let old_token = app.env.customer_token(&old);
    assert_eq!(
        status(&app, &old_token, &sent).await,
        404,
        "the old phone is no longer chen's, a late older update notwithstanding"
    );
    assert!(listed(&app, &old_token).await.is_empty());
    assert_eq!(
        status(&app, &app.env.customer_token(&new), &sent).await,
        200
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_unites_the_senders_phones_and_an_erasure_forgets_them_for_good() {
    let (app, url) = spawn_with_database().await;
    let (first, second) = (hash_of(&app, CHEN_PHONE), hash_of(&app, "13900005555"));
    let (survivor, duplicate) = (Uuid::now_v7(), Uuid::now_v7());
    customer_with_phones(&app, survivor, std::slice::from_ref(&first)).await;
    customer_with_phones(&app, duplicate, std::slice::from_ref(&second)).await;
    let of_survivor = sent_by(&app, survivor, "13812345678").await;
    let of_duplicate = sent_by(&app, duplicate, "13812345678").await;
    until_seen(&app, &app.env.customer_token(&second), &of_duplicate).await;

    let merged = CustomerMergedV1 {
        merge_id: Uuid::now_v7(),
        survivor_id: survivor,
        duplicate_id: duplicate,
        merged_at: Utc::now(),
    };
    publish_from_customers(&app, survivor, &merged).await;
    until_seen(&app, &app.env.customer_token(&first), &of_duplicate).await;
    until_seen(&app, &app.env.customer_token(&second), &of_survivor).await;

    let erased = CustomerErasedV1 {
        customer_id: survivor,
        phone_hashes: vec![first.clone(), second.clone()],
        email_hashes: vec![],
        erased_at: Utc::now(),
    };
    publish_from_customers(&app, survivor, &erased).await;
    until_handled(&url, CustomerErasedV1::TYPE, 1).await;
    for phone in [&first, &second] {
        let token = app.env.customer_token(phone);
        for tn in [&of_survivor, &of_duplicate] {
            assert_eq!(
                status(&app, &token, tn).await,
                404,
                "an erased sender's phone"
            );
        }
        assert!(listed(&app, &token).await.is_empty());
    }

    let mut late = customer_created(survivor, None, Utc::now());
    late.phone_hashes = vec![first.clone()];
    publish_from_customers(&app, survivor, &late).await;
    until_handled(&url, CustomerCreatedV1::TYPE, 3).await;
    assert_eq!(
        status(&app, &app.env.customer_token(&first), &of_survivor).await,
        404,
        "a late creation brings no phone back after the erasure"
    );
    app.app.stop().await;
}
