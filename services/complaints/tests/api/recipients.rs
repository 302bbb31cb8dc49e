//! An end customer's own case is on their own customer file (SPEC §4: complaints reach the
//! customer's timeline by event), also when it names a parcel sent to them by someone else —
//! never on the shipper's file; the shipment still says whose merchant the case is.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::app::{report, CHEN};
use crate::helpers::{complaint, json_of, Desk};

const LI: &str = "phone-hash-of-li";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipients_report_is_on_their_own_file_with_the_parcels_merchant() {
    let (t, merchant, chen) = Desk::chen_sent("KD500000021CN", Some(LI)).await;
    let li = Uuid::now_v7();
    t.customer_with_phones(li, Uuid::now_v7(), &[LI]).await;
    let token = t.env.customer_token(LI);

    let opened = json_of(t.create(&token, &report("KD500000021CN")).await, 201).await;
    let again = json_of(t.create(&token, &report("KD500000021CN")).await, 200).await;
    let mut by_phone = report("KD500000021CN");
    by_phone["channel"] = json!("phone");
    let desk = t.created(&t.admin(), &by_phone).await;

    assert_eq!(opened["customer_id"], json!(li), "the reporter's own file");
    assert_eq!(
        opened["merchant_id"],
        json!(merchant),
        "the parcel's merchant"
    );
    assert_eq!(again["duplicate_of"], opened["id"], "folded on li's file");
    assert_eq!(
        desk["customer_id"],
        json!(chen),
        "the desk's case on the parcel is still the shipper's"
    );
    let id = opened["id"].as_str().expect("id");
    let filed = json_of(
        t.get(&t.admin(), &format!("/api/v1/complaints?customer_id={li}"))
            .await,
        200,
    )
    .await;
    let ids: Vec<&Value> = filed["data"].as_array().expect("data").iter().collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0]["id"], json!(id), "listed under li's file");
    assert_eq!(
        t.case(&t.env.customer_token(CHEN), id).await.status(),
        404,
        "nor does the shipper read it"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_no_file_holds_reports_on_no_file_and_repeats_fold() {
    let (t, merchant, _) = Desk::chen_sent("KD500000022CN", Some("phone-hash-of-a-newcomer")).await;
    let token = t.env.customer_token("phone-hash-of-a-newcomer");

    let opened = json_of(t.create(&token, &report("KD500000022CN")).await, 201).await;
    let again = json_of(t.create(&token, &report("KD500000022CN")).await, 200).await;
    let mut other = report("KD500000022CN");
    other["category"] = json!("packaging");
    let another_category = t.create(&token, &other).await;

    assert_eq!(opened["customer_id"], Value::Null, "not the shipper's file");
    assert_eq!(opened["merchant_id"], json!(merchant));
    assert_eq!(again["id"], opened["id"], "the same phone's open report");
    assert_eq!(
        another_category.status(),
        201,
        "another category is a new case"
    );
    let mut staff = complaint("delay");
    staff["tracking_number"] = json!("KD500000022CN");
    let desk = t.created(&t.admin(), &staff).await;
    assert_ne!(
        desk["id"], opened["id"],
        "no desk case folds into an app report"
    );
    t.stop().await;
}
