//! Intake bodies (SPEC §2.1): everything besides `type`, `channel` and `description` is optional
//! on create, so other fields of a case are accepted (never a 422 for a valid §6 field), and
//! `merchant_id` says whose a case without a known shipment is.

use serde_json::json;
use uuid::Uuid;

use crate::helpers::{complaint, json_of, shipment, Desk};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_may_name_the_merchant_and_other_case_fields_are_accepted() {
    let t = Desk::spawn().await;
    let merchant = Uuid::now_v7();
    let mut body = complaint("billing");
    body["merchant_id"] = json!(merchant);
    body["department"] = json!("operations");
    body["assignee_id"] = json!(Uuid::now_v7());
    body["reasonable"] = json!(true);
    body["escalation_level"] = json!(2);
    body["status"] = json!("closed");
    body["root_cause"] = json!("training");

    let case = t.created(&t.admin(), &body).await;

    assert_eq!(case["merchant_id"], json!(merchant));
    assert_eq!(case["status"], "received", "a new case starts at the start");
    assert_eq!(
        (
            case["department"].clone(),
            case["assignee_id"].clone(),
            case["reasonable"].clone(),
            case["escalation_level"].clone()
        ),
        (json!(null), json!(null), json!(null), json!(0)),
        "what the lifecycle sets is set by its actions"
    );
    let id = case["id"].as_str().expect("id");
    let theirs = json_of(t.case(&t.merchant(merchant), id).await, 200).await;
    assert_eq!(theirs["id"], case["id"], "the named merchant's case");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_shipments_merchant_wins_and_a_merchant_names_only_itself() {
    let t = Desk::spawn().await;
    let (own, other) = (Uuid::now_v7(), Uuid::now_v7());
    t.shipment_created(&shipment("KD600000001CN", own, Uuid::now_v7()))
        .await;
    let mut body = complaint("delay");
    body["tracking_number"] = json!("KD600000001CN");
    body["merchant_id"] = json!(other);

    let by_staff = t.created(&t.admin(), &body).await;
    body["channel"] = json!("api");
    body["category"] = json!("lost");
    let naming_another = t.create(&t.merchant(own), &body).await;
    body["merchant_id"] = json!(own);
    let naming_itself = t.created(&t.merchant(own), &body).await;

    assert_eq!(
        by_staff["merchant_id"],
        json!(own),
        "the shipment says whose"
    );
    assert_eq!(
        naming_another.status(),
        404,
        "a merchant's case is its own; another merchant is not there for it"
    );
    assert_eq!(naming_itself["merchant_id"], json!(own));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_earlier_complaint_makes_a_repeat_not_praise_or_an_inquiry() {
    let t = Desk::spawn().await;
    // Each report on another problem with the parcel: the same one within 24 h would be the
    // open case again, whatever its type.
    let on = |type_: &str, tn: &str, category: &str| {
        let mut b = complaint(category);
        b["type"] = json!(type_);
        b["tracking_number"] = json!(tn);
        b
    };
    t.created(&t.admin(), &on("praise", "SF2000000001", "delay"))
        .await;
    t.created(&t.admin(), &on("inquiry", "SF2000000001", "tracking_info"))
        .await;
    t.created(&t.admin(), &on("complaint", "SF2000000002", "delay"))
        .await;

    let after_praise = t
        .created(&t.admin(), &on("complaint", "SF2000000001", "billing"))
        .await;
    let after_complaint = t
        .created(&t.admin(), &on("complaint", "SF2000000002", "billing"))
        .await;
    let inquiry_after_complaint = t
        .created(&t.admin(), &on("inquiry", "SF2000000002", "tracking_info"))
        .await;

    assert_eq!(
        after_praise["priority"], "normal",
        "praise and an inquiry on the parcel are no earlier complaint"
    );
    assert_eq!(
        after_complaint["priority"], "high",
        "normal + an earlier complaint on the parcel within 30 days"
    );
    assert_eq!(
        inquiry_after_complaint["priority"], "normal",
        "an inquiry is no repeat complaint"
    );
    t.stop().await;
}
