//! The filters of `GET /api/v1/shipments` an ops integration lists by — one merchant's
//! shipments, one shipper's — which narrow the caller's scope and never widen it.

use kuaidi_shared::auth::Role;
use kuaidi_shared::testing::{expect_json, refused_fields, strings};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{shipment_body, spawn, Shipments, TestApp};

/// Creates a shipment of `merchant` (sent by `shipper` when given); its tracking number.
async fn of(t: &TestApp, merchant: Uuid, shipper: Option<Uuid>) -> String {
    let mut body = shipment_body(merchant);
    if let Some(s) = shipper {
        body["shipper_customer_id"] = json!(s);
    }
    let created = expect_json(t.create(&t.admin(), &body).await, 201).await;
    created["tracking_number"].as_str().expect("tn").to_owned()
}

/// The tracking numbers `token` lists with `query`, sorted.
async fn listed(t: &TestApp, token: &str, query: &str) -> Vec<String> {
    let page: Value = expect_json(
        t.get(token, &format!("/api/v1/shipments?{query}")).await,
        200,
    )
    .await;
    let mut tns: Vec<String> = strings(&page["data"], "tracking_number")
        .into_iter()
        .map(str::to_owned)
        .collect();
    tns.sort();
    tns
}

fn sorted(mut tns: Vec<String>) -> Vec<String> {
    tns.sort();
    tns
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_list_one_merchants_shipments() {
    let t = spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let a_first = of(&t, a, None).await;
    let b_only = of(&t, b, None).await;
    let a_second = of(&t, a, None).await;

    for role in [Role::Admin, Role::Agent, Role::Analyst] {
        let token = t.token(role);
        assert_eq!(
            listed(&t, &token, &format!("merchant_id={a}")).await,
            sorted(vec![a_first.clone(), a_second.clone()]),
            "{role:?}"
        );
        assert_eq!(
            listed(&t, &token, &format!("merchant_id={b}")).await,
            [b_only.as_str()]
        );
    }
    let paged = format!("merchant_id={a}&limit=1");
    let first = expect_json(
        t.get(&t.admin(), &format!("/api/v1/shipments?{paged}"))
            .await,
        200,
    )
    .await;
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let rest = listed(&t, &t.admin(), &format!("{paged}&cursor={cursor}")).await;
    assert_eq!(rest.len(), 1, "the cursor walks the merchant's shipments");
    let bad = t
        .get(&t.admin(), "/api/v1/shipments?merchant_id=nope")
        .await;
    assert_eq!(refused_fields(bad).await, ["merchant_id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_filter_never_widens_a_merchants_scope() {
    let t = spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let a_tn = of(&t, a, None).await;
    of(&t, b, None).await;
    let merchant_a = t.merchant(a);

    assert_eq!(
        listed(&t, &merchant_a, &format!("merchant_id={a}")).await,
        [a_tn]
    );
    assert!(
        listed(&t, &merchant_a, &format!("merchant_id={b}"))
            .await
            .is_empty(),
        "another merchant's shipments are not there for a merchant"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_and_merchants_list_one_shippers_shipments() {
    let t = spawn().await;
    let (a, shipper, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let sent = of(&t, a, Some(shipper)).await;
    of(&t, a, Some(other)).await;
    of(&t, a, None).await;

    let by_shipper = format!("shipper_customer_id={shipper}");
    assert_eq!(listed(&t, &t.admin(), &by_shipper).await, [sent.as_str()]);
    assert_eq!(
        listed(&t, &t.merchant(a), &by_shipper).await,
        [sent.as_str()]
    );
    let both = format!("{by_shipper}&merchant_id={a}");
    assert_eq!(listed(&t, &t.admin(), &both).await, [sent]);
    let elsewhere = format!("{by_shipper}&merchant_id={other}");
    assert!(listed(&t, &t.admin(), &elsewhere).await.is_empty());
}
