//! Following the customers service: a merge re-points shipments to the surviving customer (its
//! undo points back exactly those), an
//! erasure anonymises the recipients behind the erased phones but not the recipients of the
//! parcels the erased customer sent (events published on the bus, as the customers service
//! would).

use chrono::Utc;
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::events::catalogue::{CustomerErasedV1, CustomerMergeUndoneV1, CustomerMergedV1};
use kuaidi_shared::events::{CloudEvent, EventPayload};
use kuaidi_shared::testing::{customer_created, eventually, expect_json, publish, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn, spawn_with_database};
use crate::senders::until_handled;

fn from_customers<P: EventPayload>(payload: &P) -> CloudEvent {
    let now = kuaidi_shared::clock::Clock::system().now();
    kuaidi_shared::testing::relayed("customers", Uuid::now_v7(), payload, now)
}

async fn create(app: &TestApp, body: Value) -> String {
    let created = expect_json(app.post(&admin(app), "/api/v1/shipments", &body).await, 201).await;
    created["tracking_number"].as_str().expect("tn").to_owned()
}

async fn shipment(app: &TestApp, tn: &str) -> Value {
    expect_json(
        app.get(&admin(app), &format!("/api/v1/shipments/{tn}"))
            .await,
        200,
    )
    .await
}

fn admin(app: &TestApp) -> String {
    app.token(kuaidi_shared::auth::Role::Admin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_merge_re_points_the_duplicates_shipments_to_the_survivor() {
    let app = spawn().await;
    let (survivor, duplicate, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let mut body = shipment_body(Uuid::now_v7());
    body["shipper_customer_id"] = json!(duplicate);
    let of_duplicate = create(&app, body.clone()).await;
    body["shipper_customer_id"] = json!(other);
    let of_other = create(&app, body).await;

    let merged = from_customers(&CustomerMergedV1 {
        merge_id: Uuid::now_v7(),
        survivor_id: survivor,
        duplicate_id: duplicate,
        merged_at: Utc::now(),
    });
    publish(&app.env.amqp, &merged).await;
    publish(&app.env.amqp, &merged).await;

    eventually(
        Duration::from_secs(10),
        "the shipment names the survivor",
        || async {
            let s = shipment(&app, &of_duplicate).await;
            (s["shipper_customer_id"] == json!(survivor)).then_some(())
        },
    )
    .await;
    let untouched = shipment(&app, &of_other).await;
    assert_eq!(
        untouched["shipper_customer_id"],
        json!(other),
        "other shippers keep theirs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_anonymises_the_recipients_behind_the_erased_phones_not_those_the_customer_sent_to(
) {
    let app = spawn().await;
    let erased_customer = Uuid::now_v7();
    // Sent to the erased person's phone (13812345678), by someone else.
    let erased_phone = create(&app, shipment_body(Uuid::now_v7())).await;
    let mut kept = shipment_body(Uuid::now_v7());
    kept["recipient"]["phone"] = json!("13900001111");
    let kept = create(&app, kept).await;
    // Sent by the erased customer to another person, still pending: it must stay deliverable.
    let mut sent = shipment_body(Uuid::now_v7());
    sent["shipper_customer_id"] = json!(erased_customer);
    sent["recipient"] = json!({
        "name": "李四", "phone": "13900002222", "address": "浦东新区世纪大道 1 号", "city": "上海"
    });
    let sent = create(&app, sent).await;
    let cipher = PiiCipher::new(&app.env.settings_with("unused".into()).pii).expect("cipher");
    let phone_hash = cipher.blind_index("13812345678");

    publish(
        &app.env.amqp,
        &from_customers(&CustomerErasedV1 {
            customer_id: erased_customer,
            phone_hashes: vec![phone_hash.clone()],
            email_hashes: vec![],
            erased_at: Utc::now(),
        }),
    )
    .await;

    let anonymised = eventually(
        Duration::from_secs(10),
        "the recipient is erased",
        || async {
            let s = shipment(&app, &erased_phone).await;
            (s["recipient"]["name"] == "(erased)").then_some(s)
        },
    )
    .await;
    assert_eq!(anonymised["recipient"]["phone"], "", "{anonymised}");
    assert!(
        !anonymised.to_string().contains("张三丰"),
        "no trace of the name: {anonymised}"
    );
    let customer = app.env.customer_token(&phone_hash);
    let theirs = expect_json(app.get(&customer, "/api/v1/shipments").await, 200).await;
    assert_eq!(theirs["data"], json!([]), "the phone index is cleared");
    let other = shipment(&app, &kept).await;
    assert_eq!(
        other["recipient"]["name"], "张三丰",
        "other recipients are untouched"
    );

    // The erasure was handled (one transaction): the erased customer's own parcel keeps the
    // third party's recipient block, its phone index, and its shipper id.
    let by_erased = shipment(&app, &sent).await;
    assert_eq!(
        (
            &by_erased["recipient"]["name"],
            &by_erased["recipient"]["phone"],
            &by_erased["recipient"]["address"],
            &by_erased["recipient"]["city"],
        ),
        (
            &json!("李四"),
            &json!("13900002222"),
            &json!("浦东新区世纪大道 1 号"),
            &json!("上海"),
        ),
        "a parcel the erased customer sent keeps its (someone else's) recipient: {by_erased}"
    );
    assert_eq!(by_erased["status"], "pending", "{by_erased}");
    assert_eq!(
        by_erased["shipper_customer_id"],
        json!(erased_customer),
        "the shipper stays an opaque id"
    );
    let recipient = app.env.customer_token(&cipher.blind_index("13900002222"));
    let listed = expect_json(app.get(&recipient, "/api/v1/shipments").await, 200).await;
    let listed: Vec<_> = listed["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|s| s["tracking_number"].clone())
        .collect();
    assert_eq!(
        listed,
        vec![json!(sent)],
        "its recipient still finds the parcel by their phone"
    );
}

fn customer_of(customer: Uuid, merchant: Uuid) -> CloudEvent {
    from_customers(&customer_created(customer, Some(merchant), Utc::now()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_may_name_only_its_own_customers_as_shipper() {
    let app = spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
    publish(&app.env.amqp, &customer_of(mine, a)).await;
    publish(&app.env.amqp, &customer_of(theirs, b)).await;
    // Each merchant's own customer is accepted once the projection knows it.
    let own = |merchant: Uuid, customer: Uuid| {
        let mut body = shipment_body(merchant);
        body["shipper_customer_id"] = json!(customer);
        let (app, token) = (&app, app.merchant(merchant));
        async move {
            eventually(Duration::from_secs(10), "the customer is known", || {
                let (body, token) = (body.clone(), token.clone());
                async move {
                    let r = app.post(&token, "/api/v1/shipments", &body).await;
                    (r.status() == 201).then_some(())
                }
            })
            .await
        }
    };
    own(a, mine).await;
    own(b, theirs).await;

    let token = app.merchant(a);
    let mut body = shipment_body(a);
    for (other, what) in [
        (theirs, "another merchant's"),
        (Uuid::now_v7(), "an unknown"),
    ] {
        body["shipper_customer_id"] = json!(other);
        let refused = app.post(&token, "/api/v1/shipments", &body).await;
        assert_eq!(refused.status(), 404, "{what} customer");
        let kind = refused.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(kind.starts_with("application/problem+json"), "{kind}");
    }
    let listed = expect_json(app.get(&token, "/api/v1/shipments").await, 200).await;
    assert_eq!(
        listed["data"].as_array().map(Vec::len),
        Some(1),
        "nothing was created for the refused ones"
    );
    body["shipper_customer_id"] = json!(theirs);
    body["merchant_id"] = json!(b);
    assert_eq!(
        app.post(&admin(&app), "/api/v1/shipments", &body)
            .await
            .status(),
        201,
        "staff are no tenant"
    );
    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_opened_a_moment_ago_may_be_named_before_its_event_arrives() {
    let app = spawn().await;
    let (merchant, fresh) = (Uuid::now_v7(), Uuid::now_v7());
    // The customer's event reaches the service a little after the shipment names it.
    let amqp = app.env.amqp.clone();
    let late = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        publish(&amqp, &customer_of(fresh, merchant)).await;
    });
    let mut body = shipment_body(merchant);
    body["shipper_customer_id"] = json!(fresh);
    let created = app
        .post(&app.merchant(merchant), "/api/v1/shipments", &body)
        .await;
    assert_eq!(created.status(), 201, "waited for the customer file");
    late.await.expect("published");
    app.app.stop().await;
}

/// A count the service's database answers (`SELECT … AS n`).
fn count(url: &str, sql: &str) -> i64 {
    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = diesel::PgConnection::establish(url).expect("test database");
    let n: N = diesel::sql_query(sql).get_result(&mut conn).expect("query");
    n.n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undone_merge_points_back_exactly_the_shipments_the_merge_moved() {
    let (app, url) = spawn_with_database().await;
    let (survivor, duplicate) = (Uuid::now_v7(), Uuid::now_v7());
    let mut body = shipment_body(Uuid::now_v7());
    body["shipper_customer_id"] = json!(survivor);
    let own = create(&app, body.clone()).await;
    body["shipper_customer_id"] = json!(duplicate);
    let moved = [
        create(&app, body.clone()).await,
        create(&app, body.clone()).await,
    ];
    let merge_id = Uuid::now_v7();
    let merged = CustomerMergedV1 {
        merge_id,
        survivor_id: survivor,
        duplicate_id: duplicate,
        merged_at: Utc::now(),
    };
    publish(&app.env.amqp, &from_customers(&merged)).await;
    until_handled(&url, CustomerMergedV1::TYPE, 1).await;
    for tn in &moved {
        assert_eq!(
            shipment(&app, tn).await["shipper_customer_id"],
            json!(survivor)
        );
    }
    // Created while the merge stood, it names the duplicate as asked: nothing redirects it.
    let later = create(&app, body).await;

    let undone = from_customers(&CustomerMergeUndoneV1 {
        merge_id,
        survivor_id: survivor,
        duplicate_id: duplicate,
        undone_at: Utc::now(),
    });
    publish(&app.env.amqp, &undone).await;
    publish(&app.env.amqp, &undone).await;
    until_handled(&url, CustomerMergeUndoneV1::TYPE, 1).await;
    for tn in moved.iter().chain([&later]) {
        let s = shipment(&app, tn).await;
        assert_eq!(s["shipper_customer_id"], json!(duplicate), "{s}");
    }
    for tn in &moved {
        assert_eq!(shipment(&app, tn).await["version"], json!(3), "moved twice");
    }
    let kept = shipment(&app, &own).await;
    assert_eq!(
        (&kept["shipper_customer_id"], &kept["version"]),
        (&json!(survivor), &json!(1)),
        "the survivor's own shipment stays"
    );
    let sql = format!(
        "SELECT count(*) AS n FROM customer_tenants WHERE customer_id = '{duplicate}' \
         AND merged_into IS NULL"
    );
    assert_eq!(
        count(&url, &sql),
        1,
        "the duplicate is a file of its own again"
    );
    let sql = "SELECT count(*) AS n FROM merge_repoints";
    assert_eq!(count(&url, sql), 0, "the record is forgotten");
    app.app.stop().await;
}
