//! `GET /api/v1/complaints`: work queues, filters, order by SLA due, pages, tenants.

use kuaidi_shared::auth::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{complaint, json_of, refused_fields, shipment, Desk};

fn numbers(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["priority"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_puts_the_nearest_deadline_first_and_pages_with_a_cursor() {
    let t = Desk::spawn().await;
    let admin = t.admin();
    for priority in ["low", "urgent", "normal"] {
        let mut body = complaint("delay");
        body["priority"] = json!(priority);
        t.created(&admin, &body).await;
    }

    let all = json_of(t.get(&admin, "/api/v1/complaints").await, 200).await;
    assert_eq!(numbers(&all), vec!["urgent", "normal", "low"]);
    assert_eq!(all["next_cursor"], Value::Null);

    let first = json_of(t.get(&admin, "/api/v1/complaints?limit=2").await, 200).await;
    assert_eq!(numbers(&first), vec!["urgent", "normal"]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = json_of(
        t.get(
            &admin,
            &format!("/api/v1/complaints?limit=2&cursor={cursor}"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(numbers(&second), vec!["low"]);
    assert_eq!(second["next_cursor"], Value::Null);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queues_filter_by_status_priority_assignee_department_and_receipt() {
    let t = Desk::spawn().await;
    let admin = t.admin();
    let me = Uuid::now_v7();
    let mine = t.created(&admin, &complaint("damaged")).await;
    let id = mine["id"].as_str().expect("id");
    t.created(&admin, &complaint("delay")).await;
    t.triaged(id, "damaged").await;
    t.acted(
        &admin,
        id,
        "assign",
        json!({"assignee_id": me, "department": "operations"}),
    )
    .await;

    let agent = t.user(Role::Agent, me);
    let by = |q: &'static str| {
        let agent = agent.clone();
        let t = &t;
        async move {
            json_of(t.get(&agent, &format!("/api/v1/complaints?{q}")).await, 200).await["data"]
                .as_array()
                .expect("data")
                .len()
        }
    };
    assert_eq!(by("assignee=me").await, 1);
    assert_eq!(by("status=assigned").await, 1);
    assert_eq!(by("status=received,assigned").await, 2);
    assert_eq!(by("department=operations&category=damaged").await, 1);
    assert_eq!(by("priority=high").await, 1, "damaged is high");
    assert_eq!(by("type=complaint").await, 2);
    assert_eq!(by("received_to=2000-01-01T00:00:00Z").await, 0);
    assert_eq!(by("received_from=2000-01-01T00:00:00Z").await, 2);
    assert_eq!(by("sla=breached").await, 0);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_are_422_naming_each() {
    let t = Desk::spawn().await;

    let resp = t.get(&t.admin(), "/api/v1/complaints?status=lost&sla=late&assignee=bob&received_from=yesterday&priority=asap").await;

    assert_eq!(
        refused_fields(resp).await,
        vec!["status", "priority", "received_from", "assignee", "sla"]
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchants_list_their_own_cases_and_customers_the_ones_they_opened() {
    let t = Desk::spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let mut parcel = shipment("KD100000001CN", a, Uuid::now_v7());
    parcel.recipient_phone_hash = Some("phone-hash-of-li".into());
    t.shipment_created(&parcel).await;
    let mut body = complaint("delay");
    body["tracking_number"] = json!("KD100000001CN");
    t.created(&t.admin(), &body).await;
    t.created(&t.admin(), &complaint("delay")).await;
    let li = t.env.customer_token("phone-hash-of-li");
    let mut app = body.clone();
    app["channel"] = json!("app");
    app["category"] = json!("damaged");
    let opened = t.created(&li, &app).await;

    let count = |token: String| {
        let t = &t;
        async move {
            json_of(t.get(&token, "/api/v1/complaints").await, 200).await["data"]
                .as_array()
                .expect("data")
                .len()
        }
    };
    assert_eq!(count(t.merchant(a)).await, 2);
    assert_eq!(count(t.merchant(b)).await, 0);
    assert_eq!(count(li.clone()).await, 1);
    assert_eq!(count(t.env.customer_token("someone-else")).await, 0);
    assert_eq!(
        t.case(&li, opened["id"].as_str().expect("id"))
            .await
            .status(),
        200
    );
    assert_eq!(opened["channel"], "app");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_open_cases_only_in_the_app_and_only_on_their_own_parcels() {
    let t = Desk::spawn().await;
    let mut parcel = shipment("KD100000002CN", Uuid::now_v7(), Uuid::now_v7());
    parcel.recipient_phone_hash = Some("phone-hash-of-wang".into());
    t.shipment_created(&parcel).await;
    let wang = t.env.customer_token("phone-hash-of-wang");
    let mut body = complaint("delay");
    body["tracking_number"] = json!("KD100000002CN");

    let by_phone = t.create(&wang, &body).await;
    assert_eq!(
        refused_fields(by_phone).await,
        vec!["channel"],
        "end customers use the app"
    );
    body["channel"] = json!("app");
    let stranger = t
        .create(&t.env.customer_token("phone-hash-of-zhao"), &body)
        .await;
    assert_eq!(stranger.status(), 404, "not their parcel");
    assert_eq!(t.create(&wang, &body).await.status(), 201);
    t.stop().await;
}
