//! An undone customer merge: what `customer.merged` moved goes back to the duplicate — its
//! cases and claims, and a case opened during the merge on a parcel the duplicate sent (intake
//! filed it on the survivor) — while the survivor's own case stays; a case opened after the
//! undo on the duplicate's parcel is the duplicate's again.

use kuaidi_shared::events::catalogue::{CustomerMergeUndoneV1, CustomerMergedV1};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{complaint, json_of, merged, shipment, Desk};

/// The ids of the cases `GET /complaints?customer_id=` lists for `customer`, sorted.
async fn cases_of(t: &Desk, customer: Uuid) -> Vec<String> {
    let path = format!("/api/v1/complaints?customer_id={customer}");
    let page = json_of(t.get(&t.admin(), &path).await, 200).await;
    let mut ids: Vec<String> = (page["data"].as_array().expect("data").iter())
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    ids
}

fn id(case: &Value) -> String {
    case["id"].as_str().expect("id").to_owned()
}

/// Waits until the service files `n` cases on `customer`.
async fn until_cases_on(t: &Desk, what: &str, customer: Uuid, n: usize) {
    let sql = format!(
        "SELECT (count(*) = {n})::int::bigint AS n FROM complaints WHERE customer_id = '{customer}'"
    );
    t.until_db(what, sql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undone_merge_moves_back_exactly_what_it_moved_and_what_named_the_duplicate() {
    let t = Desk::spawn().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let parcel = shipment("KD300000001CN", Uuid::now_v7(), b);
    t.shipment_created(&parcel).await;
    let mut body = complaint("delay");
    body["customer_id"] = json!(a);
    let own = id(&t.created(&t.admin(), &body).await);
    body["customer_id"] = json!(b);
    let mut moved = vec![
        id(&t.created(&t.admin(), &body).await),
        id(&t.created(&t.admin(), &body).await),
    ];
    let claim = json!({"tracking_number": "KD300000001CN", "kind": "lost",
        "amount_claimed": {"amount": "10.00", "currency": "CNY"}});
    let claim = json_of(t.post(&t.admin(), "/api/v1/claims", &claim).await, 201).await;
    assert_eq!(claim["customer_id"], json!(b), "{claim}");

    let merge = CustomerMergedV1 {
        merged_at: t.clock.now(),
        ..merged(a, b)
    };
    t.publish("customers", a, &merge).await;
    until_cases_on(&t, "the merge", a, 3).await;
    // A case naming no customer on the duplicate's parcel goes on its survivor meanwhile.
    let mut on_parcel = complaint("damaged");
    on_parcel["tracking_number"] = json!("KD300000001CN");
    let redirected = t.created(&t.admin(), &on_parcel).await;
    assert_eq!(redirected["customer_id"], json!(a), "{redirected}");
    moved.push(id(&redirected));
    assert_eq!(cases_of(&t, b).await, Vec::<String>::new());

    let undone = CustomerMergeUndoneV1 {
        merge_id: merge.merge_id,
        survivor_id: a,
        duplicate_id: b,
        undone_at: t.clock.now(),
    };
    t.publish("customers", a, &undone).await;
    t.publish("customers", a, &undone).await;
    until_cases_on(&t, "the undo", b, 3).await;
    moved.sort();
    assert_eq!(
        cases_of(&t, b).await,
        moved,
        "the duplicate's cases are back"
    );
    assert_eq!(
        cases_of(&t, a).await,
        vec![own.clone()],
        "the survivor's own case stays"
    );
    let path = format!("/api/v1/claims/{}", claim["id"].as_str().expect("id"));
    let claim = json_of(t.get(&t.admin(), &path).await, 200).await;
    assert_eq!(claim["customer_id"], json!(b), "the claim too: {claim}");
    on_parcel["category"] = json!("packaging");
    let after = t.created(&t.admin(), &on_parcel).await;
    assert_eq!(
        after["customer_id"],
        json!(b),
        "the duplicate is a file of its own again: {after}"
    );
    t.until_db(
        "the record forgotten",
        "SELECT count(*) AS n FROM customer_merges WHERE undone_at IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM merge_repoints)"
            .into(),
    )
    .await;

    // The merge once more (a retried delivery, handled after its undo) moves nothing; a merge
    // of two other files published after it says when it was handled (one queue, in order).
    t.publish("customers", a, &merge).await;
    let (x, y) = (Uuid::now_v7(), Uuid::now_v7());
    let marker = CustomerMergedV1 {
        merged_at: t.clock.now(),
        ..merged(x, y)
    };
    t.publish("customers", x, &marker).await;
    t.until_db(
        "the later merge",
        format!(
            "SELECT count(*) AS n FROM customer_merges WHERE merge_id = '{}'",
            marker.merge_id
        ),
    )
    .await;
    assert_eq!(
        cases_of(&t, a).await,
        vec![own],
        "the late merge moved nothing"
    );
    assert_eq!(cases_of(&t, b).await.len(), 4, "{:?}", moved);
    t.stop().await;
}
