//! A proactive case (SPEC §6: the complaints service opens it itself when a key account's
//! parcel is lost or damaged, before the customer calls) is no complaint received: not in
//! `complaints`, the complaint rate, the hotspots or the complaint-spike alert, nor an agent's
//! own `complaints`, whatever order its events arrive in. Its handling counts as every case's.

use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::*;
use serde_json::json;
use uuid::Uuid;

use crate::case_types::{at, handle, Handled};
use crate::helpers::{complaint, payload, shipment, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proactive_case_counts_in_case_handling_but_not_as_a_complaint_received() {
    let t = TestApp::spawn_at(at(25, 23, 0)).await;
    let merchant = Uuid::now_v7();
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let parcel = shipment(merchant, at(24, 8, 0));
    t.emit(&parcel, parcel.created_at).await;
    // The same damaged parcel, the same day: the case the service opened for Alice, who answers
    // in SLA, breaches, closes after 30 h (within 48, not 24), is rated 5 and reopened; the
    // customer's own complaint Bob answers late and closes after 20 h, rated 2.
    let received = at(24, 12, 0);
    let damaged = |proactive| ComplaintReceivedV1 {
        category: Some("damaged".into()),
        tracking_number: Some(parcel.tracking_number.clone()),
        proactive,
        ..complaint(merchant, received)
    };
    let proactive_life = Handled {
        within_sla: true,
        breached: true,
        closed_at: at(25, 18, 0),
        overall: 5,
        reopened: true,
    };
    handle(&t, &damaged(true), alice, proactive_life).await;
    let complaint_life = Handled {
        within_sla: false,
        breached: false,
        closed_at: at(25, 8, 0),
        overall: 2,
        reopened: false,
    };
    handle(&t, &damaged(false), bob, complaint_life).await;

    // Wait until the last of each kind of handling has counted (its receipt was before).
    let week = "from=2026-11-24&to=2026-11-25&granularity=week";
    let report = t
        .kpis_when(&t.admin(), week, "every event of both cases", |r| {
            let row = &r["data"][0];
            row["csat_avg"] == 3.5
                && row["resolved_within_48h_rate"] == 1.0
                && row["reopen_rate"] == 0.5
                && row["first_response_sla_rate"] == 0.5
                && row["sla_breaches"] == 1
        })
        .await;
    let row = &report["data"][0];
    assert_eq!(row["complaints"], 1, "the customer's complaint only: {row}");
    assert_eq!(
        row["complaint_rate_per_10k"], 10_000.0,
        "1 complaint, 1 shipment: {row}"
    );
    assert_eq!(row["resolved_within_24h_rate"], 0.5, "both closings: {row}");
    assert_eq!(row["satisfied_rate"], 0.5, "both surveys: {row}");
    assert_eq!(report["definitions_version"], "2026-12-06.1");

    let own = t.kpis_as(&t.agent(alice), week).await;
    let own = &own["data"][0];
    assert_eq!(
        (
            &own["complaints"],
            &own["first_response_sla_rate"],
            &own["sla_breaches"],
            &own["csat_avg"],
            &own["reopen_rate"]
        ),
        (&json!(0), &json!(1.0), &json!(1), &json!(5.0), &json!(1.0)),
        "Alice handled the proactive case, received no complaint: {own}"
    );
    let staff = t
        .get_json(
            &t.token(Role::Supervisor),
            "/api/v1/analytics/staff-performance?from=2026-11-24&to=2026-11-25",
        )
        .await;
    let of_alice = staff["data"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["handler_id"] == json!(alice)))
        .unwrap_or_else(|| panic!("a row for Alice: {staff}"));
    assert_eq!(
        of_alice,
        &json!({"handler_id": alice, "cases_closed": 1, "median_resolution_hours": 30.0,
            "first_responses": 1, "first_response_sla_rate": 1.0, "surveys": 1,
            "csat_avg": 5.0, "reopened": 1, "reopen_rate": 1.0}),
        "the proactive case is Alice's work"
    );

    let spots = t
        .get_json(
            &t.admin(),
            "/api/v1/analytics/complaint-hotspots?from=2026-11-24&to=2026-11-25",
        )
        .await;
    assert_eq!(
        spots["by_city"],
        json!([{"category": "damaged", "city": "北京", "complaints": 1, "previous": 0,
            "change": 1, "change_rate": null}]),
        "hotspots count the customer's complaint only"
    );
    assert_eq!(
        spots["top_tracking_numbers"],
        json!([]),
        "one complaint about the parcel is no cluster, whatever the proactive case"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proactive_case_assigned_before_its_receipt_arrives_counts_no_complaint_for_anyone() {
    let t = TestApp::spawn_at(at(25, 23, 0)).await;
    let merchant = Uuid::now_v7();
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let parcel = shipment(merchant, at(24, 8, 0));
    t.emit(&parcel, parcel.created_at).await;
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
    crate::case_types::only_the_complaints_spike("proactive cases", |c| ComplaintReceivedV1 {
        proactive: true,
        ..c
    })
    .await;
}
