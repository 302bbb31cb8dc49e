//! A proactive case (SPEC §6: the complaints service opens it itself when a key account's
//! parcel is lost or damaged, before the customer calls) is no complaint received: not in
//! `complaints`, the complaint rate, the hotspots or the complaint-spike alert, nor an agent's
//! own `complaints`, whatever order its events arrive in. Its handling counts as every case's.

use kuaidi_shared::events::catalogue::*;
use serde_json::json;
use uuid::Uuid;

use crate::case_types::{
    a_parcel_shipped_on_the_24th, at, counts_in_case_handling_but_not_as_a_complaint,
    only_the_complaints_spike,
};
use crate::helpers::{complaint, payload};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proactive_case_counts_in_case_handling_but_not_as_a_complaint_received() {
    // The same damaged parcel, the same day: the case the service opened for Alice, and the
    // customer's own complaint Bob handles.
    counts_in_case_handling_but_not_as_a_complaint("the proactive case", "damaged", |c| {
        ComplaintReceivedV1 {
            proactive: true,
            ..c
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proactive_case_assigned_before_its_receipt_arrives_counts_no_complaint_for_anyone() {
    let (t, merchant, _) = a_parcel_shipped_on_the_24th().await;
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let case = ComplaintReceivedV1 {
        proactive: true,
        ..complaint(merchant, at(24, 12, 0))
    };
    let base = json!({"complaint_id": case.complaint_id, "number": case.number,
        "merchant_id": case.merchant_id, "category": case.category, "city": case.city});
    let assigned = |to: Uuid, when| -> ComplaintAssignedV1 {
        payload(
            &base,
            json!({"assignee_id": to, "department": "customer_service", "assigned_at": when}),
        )
    };
    // Out of order: the assignment to Alice before the receipt, then Bob takes the case over
    // and answers it in SLA.
    t.emit(&assigned(alice, at(24, 12, 1)), at(24, 12, 1)).await;
    t.emit(&case, case.received_at).await;
    t.emit(&assigned(bob, at(24, 14, 0)), at(24, 14, 0)).await;
    let first: ComplaintFirstRespondedV1 = payload(
        &base,
        json!({"assignee_id": bob, "received_at": case.received_at,
            "responded_at": at(24, 14, 30), "within_sla": true}),
    );
    t.emit(&first, at(24, 14, 30)).await;
    // Last, a customer's complaint in Shanghai: the queue is handled in order, so once it
    // counts, so has everything before it.
    let shanghai = ComplaintReceivedV1 {
        city: Some("上海".into()),
        ..complaint(merchant, at(24, 15, 0))
    };
    t.emit(&shanghai, shanghai.received_at).await;

    let day = "from=2026-11-24&to=2026-11-24";
    t.kpis_when(
        &t.admin(),
        &format!("{day}&city=上海"),
        "the Shanghai complaint",
        |r| r["data"][0]["complaints"] == 1,
    )
    .await;
    let report = t.kpis_json(day).await;
    let row = &report["data"][0];
    assert_eq!(row["complaints"], 1, "Shanghai's only: {row}");
    assert_eq!(row["complaint_rate_per_10k"], 10_000.0, "{row}");
    assert_eq!(row["first_response_sla_rate"], 1.0, "Bob's answer: {row}");
    for (agent, name) in [(alice, "Alice"), (bob, "Bob")] {
        let own = t.kpis_as(&t.agent(agent), day).await;
        assert_eq!(
            own["data"][0]["complaints"], 0,
            "{name} received no complaint: {own}"
        );
    }
    let bobs = t.kpis_as(&t.agent(bob), day).await;
    assert_eq!(
        bobs["data"][0]["first_response_sla_rate"], 1.0,
        "the first response is Bob's: {bobs}"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proactive_cases_raise_no_complaint_spike_where_as_many_complaints_do() {
    only_the_complaints_spike("proactive cases", |c| ComplaintReceivedV1 {
        proactive: true,
        ..c
    })
    .await;
}
