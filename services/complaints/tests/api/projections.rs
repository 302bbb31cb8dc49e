//! What the service does with other services' events: proactive cases for key accounts,
//! merged customers, erased customers, the merchant whose account a customer is.

use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::{PlaceV1, ShipmentExceptionRaisedV1};
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::testing::{customer_created, publish};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{complaint, events_until, json_of, merged, shipment, time, Desk};

/// A key account (owned by `owner`, if any) whose parcel `tracking_number` is reported lost
/// twice; the proactive case opened for it.
async fn key_accounts_parcel_lost(t: &Desk, tracking_number: &str, owner: Option<Uuid>) -> Value {
    let customer = Uuid::now_v7();
    t.key_account(customer, owner).await;
    let parcel = shipment(tracking_number, Uuid::now_v7(), customer);
    t.shipment_created(&parcel).await;
    let lost = ShipmentExceptionRaisedV1 {
        shipment_id: parcel.shipment_id,
        tracking_number: parcel.tracking_number.clone(),
        merchant_id: parcel.merchant_id,
        shipper_customer_id: Some(customer),
        substatus: Some("lost".into()),
        occurred_at: time("2026-11-21T08:00:00Z"),
        location: Some(PlaceV1 {
            city: "上海".into(),
            province: None,
            hub_code: Some("SHA01".into()),
        }),
        sequence: 5,
    };

    t.publish("shipments", parcel.shipment_id, &lost).await;
    t.publish(
        "shipments",
        parcel.shipment_id,
        &ShipmentExceptionRaisedV1 {
            sequence: 6,
            ..lost.clone()
        },
    )
    .await;
    t.until_db(
        "the proactive case",
        "SELECT count(*) AS n FROM complaints WHERE proactive".into(),
    )
    .await;
    t.until_db("both events handled", "SELECT count(*) - 1 AS n FROM processed_events WHERE event_type = 'shipment.exception_raised'".into()).await;

    let queue = json_of(
        t.get(
            &t.admin(),
            &format!("/api/v1/complaints?tracking_number={tracking_number}"),
        )
        .await,
        200,
    )
    .await;
    let cases = queue["data"].as_array().expect("data");
    assert_eq!(cases.len(), 1, "once per shipment");
    assert_eq!(cases[0]["proactive"], true);
    cases[0].clone()
}

/// `(actor, action, from, to)` of each entry of a case's history.
async fn moves(t: &Desk, case: &Value) -> Vec<(String, String, Value, Value)> {
    let id = case["id"].as_str().expect("id");
    let history = json_of(t.history(&t.admin(), id).await, 200).await;
    history["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (
                text("actor"),
                text("action"),
                e["from"].clone(),
                e["to"].clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_accounts_lost_parcel_opens_one_proactive_case_assigned_to_its_owner() {
    let t = Desk::spawn().await;
    let tap = t.env.tap().await;
    let owner = Uuid::now_v7();
    let roster = json!({"supervisor_id": null, "members": [owner]});
    json_of(
        t.put(&t.admin(), "/api/v1/departments/sales", &roster)
            .await,
        200,
    )
    .await;

    let case = key_accounts_parcel_lost(&t, "KD400000001CN", Some(owner)).await;

    assert_eq!(
        (
            case["category"].clone(),
            case["type"].clone(),
            case["channel"].clone()
        ),
        (json!("lost"), json!("complaint"), json!("api"))
    );
    assert_eq!(
        case["priority"], "urgent",
        "high, and a key account one level up"
    );
    assert_eq!(
        (
            case["status"].clone(),
            case["assignee_id"].clone(),
            case["department"].clone()
        ),
        (json!("assigned"), json!(owner), json!("sales")),
        "assigned to the owner, in the owner's department"
    );
    let system = |action: &str, from: Value, to: &str| {
        ("system".to_owned(), action.to_owned(), from, json!(to))
    };
    assert_eq!(
        moves(&t, &case).await,
        vec![
            system("receive", Value::Null, "received"),
            system("triage", json!("received"), "triaged"),
            system("assign", json!("triaged"), "assigned"),
        ],
        "through the lifecycle, by the service"
    );
    let events = events_until(&tap, &["complaint.received", "complaint.assigned"]).await;
    let of = |t: &str| -> Vec<&CloudEvent> { events.iter().filter(|e| e.type_ == t).collect() };
    assert_eq!(
        of("complaint.received")[0].data["proactive"],
        true,
        "analytics counts no complaint received for it"
    );
    let assigned = of("complaint.assigned");
    assert_eq!(assigned.len(), 1, "announced once");
    assert_eq!(
        (
            assigned[0].data["complaint_id"].clone(),
            assigned[0].data["assignee_id"].clone(),
            assigned[0].data["department"].clone()
        ),
        (case["id"].clone(), json!(owner), json!("sales"))
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_gets_the_proactive_case_even_when_the_receiving_desk_keeps_a_roster() {
    let t = Desk::spawn().await;
    let (owner, agent) = (Uuid::now_v7(), Uuid::now_v7());
    let roster = json!({"supervisor_id": null, "members": [agent]});
    let path = "/api/v1/departments/customer_service";
    json_of(t.put(&t.admin(), path, &roster).await, 200).await;

    let case = key_accounts_parcel_lost(&t, "KD400000003CN", Some(owner)).await;

    assert_eq!(
        (
            case["status"].clone(),
            case["assignee_id"].clone(),
            case["department"].clone()
        ),
        (json!("assigned"), json!(owner), json!("customer_service")),
        "the SPEC names the assignee: the roster rule of a person's assignment does not refuse it"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_account_without_an_owner_leaves_its_proactive_case_on_the_receiving_queue() {
    let t = Desk::spawn().await;

    let case = key_accounts_parcel_lost(&t, "KD400000004CN", None).await;

    assert_eq!(
        (case["status"].clone(), case["assignee_id"].clone()),
        (json!("received"), Value::Null)
    );
    let actions: Vec<String> = moves(&t, &case).await.into_iter().map(|m| m.1).collect();
    assert_eq!(actions, vec!["receive"], "nobody to assign it to");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordinary_customers_damaged_parcel_opens_nothing() {
    let t = Desk::spawn().await;
    let parcel = shipment("KD400000002CN", Uuid::now_v7(), Uuid::now_v7());
    t.shipment_created(&parcel).await;
    t.publish(
        "shipments",
        parcel.shipment_id,
        &ShipmentExceptionRaisedV1 {
            shipment_id: parcel.shipment_id,
            tracking_number: parcel.tracking_number.clone(),
            merchant_id: parcel.merchant_id,
            shipper_customer_id: parcel.shipper_customer_id,
            substatus: Some("damaged".into()),
            occurred_at: time("2026-11-21T08:00:00Z"),
            location: None,
            sequence: 2,
        },
    )
    .await;
    t.until_db(
        "the event handled",
        "SELECT count(*) AS n FROM processed_events WHERE event_type = 'shipment.exception_raised'"
            .into(),
    )
    .await;

    let queue = json_of(t.get(&t.admin(), "/api/v1/complaints").await, 200).await;
    assert_eq!(queue["data"], json!([]));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_customers_cases_move_to_the_survivor_and_erased_ones_lose_their_words() {
    let t = Desk::spawn().await;
    let (survivor, duplicate, erased) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let mut body = complaint("delay");
    body["customer_id"] = json!(duplicate);
    t.created(&t.admin(), &body).await;
    body["customer_id"] = json!(erased);
    body["description"] = json!("My name is 张伟, call 13800138000");
    let gone = t.created(&t.admin(), &body).await;

    t.publish("customers", survivor, &merged(survivor, duplicate))
        .await;
    t.erased(erased).await;
    t.until_db(
        "the merge",
        format!("SELECT count(*) AS n FROM complaints WHERE customer_id = '{survivor}'"),
    )
    .await;
    t.until_db(
        "the erasure",
        "SELECT count(*) AS n FROM complaints WHERE description = '[erased]'".into(),
    )
    .await;

    let survivors = json_of(
        t.get(
            &t.admin(),
            &format!("/api/v1/complaints?customer_id={survivor}"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(survivors["data"].as_array().expect("data").len(), 1);
    assert_eq!(
        survivors["data"][0]["version"], 2,
        "the merge is a new version of the case (its ETag changes)"
    );
    let scrubbed = json_of(
        t.case(&t.admin(), gone["id"].as_str().expect("id")).await,
        200,
    )
    .await;
    assert_eq!(scrubbed["description"], "[erased]");
    assert_eq!(scrubbed["version"], 2, "so is the erasure");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_may_name_only_its_own_customers_in_a_case() {
    let t = Desk::spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
    for (customer, merchant) in [(mine, a), (theirs, b)] {
        let created = customer_created(customer, Some(merchant), time("2026-11-01T00:00:00Z"));
        t.publish("customers", customer, &created).await;
    }
    t.until_db(
        "both merchants' customers",
        "SELECT count(*) - 1 AS n FROM customer_projection WHERE merchant_id IS NOT NULL".into(),
    )
    .await;
    t.shipment_created(&shipment("KD400000009CN", a, mine))
        .await;
    let token = t.env.token(Role::Merchant, Some(a));
    let mut body = complaint("delay");
    body["tracking_number"] = json!("KD400000009CN");

    for (other, what) in [
        (theirs, "another merchant's"),
        (Uuid::now_v7(), "an unknown"),
    ] {
        body["customer_id"] = json!(other);
        let refused = t.create(&token, &body).await;
        assert_eq!(refused.status(), 404, "{what} customer");
        let kind = refused.headers()["content-type"].to_str().expect("ascii");
        assert!(kind.starts_with("application/problem+json"), "{kind}");
    }
    let queue = json_of(t.get(&t.admin(), "/api/v1/complaints").await, 200).await;
    assert_eq!(queue["data"], json!([]), "nothing was opened");

    body["customer_id"] = json!(mine);
    let case = t.created(&token, &body).await;
    assert_eq!(case["customer_id"], json!(mine), "its own customer is fine");
    assert_eq!(
        t.created(&t.admin(), &{
            let mut b = complaint("damaged");
            b["customer_id"] = json!(theirs);
            b
        })
        .await["customer_id"],
        json!(theirs),
        "staff are no tenant"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_filed_right_after_its_shipment_still_takes_the_shipments_merchant_and_sender() {
    let t = Desk::spawn().await;
    let (merchant, sender) = (Uuid::now_v7(), Uuid::now_v7());
    let parcel = shipment("KD400000017CN", merchant, sender);
    // The shipment's event reaches the desk a little after the case names the parcel.
    let (amqp, now) = (t.env.amqp.clone(), t.clock.now());
    let late = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let event = kuaidi_shared::testing::relayed("shipments", parcel.shipment_id, &parcel, now);
        publish(&amqp, &event).await;
    });
    let mut body = complaint("delay");
    body["tracking_number"] = json!("KD400000017CN");
    let case = t.created(&t.admin(), &body).await;
    assert_eq!(case["merchant_id"], json!(merchant), "{case}");
    assert_eq!(case["customer_id"], json!(sender), "{case}");
    late.await.expect("published");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_customers_case_keeps_its_facts_but_none_of_the_words_written_about_them() {
    let t = Desk::spawn().await;
    let (erased, admin) = (Uuid::now_v7(), t.admin());
    let pii = "张伟 13800138000";
    let mut body = complaint("delay");
    body["customer_id"] = json!(erased);
    body["description"] = json!(format!("I am {pii}"));
    let id = t.created(&admin, &body).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let said = |what: &str| json!(format!("{what} {pii}"));
    let triage = json!({"category": "delay", "reasonable": true,
        "note": said("note"), "reply": said("reply")});
    t.acted(&admin, &id, "triage", triage).await;
    t.acted(&admin, &id, "comment", json!({"text": said("comment")}))
        .await;
    let proposal = |plan: &str| {
        json!({"measures": ["compensation"], "plan": said(plan),
            "compensation": {"amount": "15.00", "currency": "CNY"},
            "report": {"content": said("content"), "process": said("process"),
                "evidence_analysis": said("analysis"), "conclusion": said("conclusion")}})
    };
    let assignee = json!({"assignee_id": Uuid::now_v7(), "department": "operations"});
    t.acted(&admin, &id, "assign", assignee).await;
    t.acted(&admin, &id, "investigate", json!({})).await;
    t.acted(&admin, &id, "propose", proposal("first")).await;
    let supervisor = t.token(Role::Supervisor);
    t.acted(&supervisor, &id, "reject", json!({"reason": said("no")}))
        .await;
    t.acted(&admin, &id, "propose", proposal("second")).await;
    t.acted(&supervisor, &id, "approve", json!({"reason": said("ok")}))
        .await;
    let resolution = json!({"resolution": format!("refunded to {pii}")});
    t.acted(&admin, &id, "resolve", resolution).await;

    t.erased(erased).await;
    t.until_db(
        "the erasure",
        "SELECT count(*) AS n FROM complaints WHERE description = '[erased]'".into(),
    )
    .await;

    let case = json_of(t.case(&admin, &id).await, 200).await;
    let history = json_of(t.history(&admin, &id).await, 200).await;
    for (what, seen) in [("the case", &case), ("its history", &history)] {
        let text = seen.to_string();
        assert!(
            !text.contains("张伟") && !text.contains("13800138000"),
            "{what} keeps no word about the erased customer: {text}"
        );
    }
    assert_eq!(case["resolution"], "[erased]");
    assert_eq!(case["status"], "awaiting_feedback", "the facts stay");
    assert_eq!(
        case["proposal"],
        json!({"measures": ["compensation"], "plan": "[erased]",
            "compensation": {"amount": "15.00", "currency": "CNY"},
            "report": {"content": "[erased]", "process": "[erased]",
                "evidence_analysis": "[erased]", "conclusion": "[erased]"}}),
        "the proposal keeps its measures and compensation"
    );
    let actions: Vec<&str> = history["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        [
            "receive",
            "triage",
            "comment",
            "assign",
            "investigate",
            "propose",
            "reject",
            "propose",
            "approve",
            "resolve"
        ],
        "every step stays in the history"
    );
    let proposed = &history["data"][5]["payload"];
    assert_eq!(proposed["compensation"]["amount"], "15.00", "{proposed}");
    t.stop().await;
}
