//! Claims: the payable amount by rule, approval within it, settlement, ageing past 30 days.

use chrono::Duration as Days;
use kuaidi_shared::auth::Role;
use kuaidi_shared::money::Money;
use kuaidi_shared::testing::expect_problem;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{complaint, json_of, refused_fields, shipment, time, Desk};

fn cny(a: &str) -> Value {
    json!({"amount": a, "currency": "CNY"})
}

/// A published shipment (freight 15.00 CNY) of `level`, insured for `declared` when given,
/// promised for 2026-11-21 08:00 UTC and not delivered.
async fn parcel(t: &Desk, tn: &str, level: &str, declared: Option<&str>) {
    let mut s = shipment(tn, Uuid::now_v7(), Uuid::now_v7());
    s.service_level = level.into();
    s.promised_at = Some(time("2026-11-21T08:00:00Z"));
    s.declared_value = declared.map(|d| Money {
        amount: d.into(),
        currency: "CNY".into(),
    });
    t.shipment_created(&s).await;
}

async fn file(t: &Desk, tn: &str, kind: &str, amount: &str) -> Value {
    let body = json!({"tracking_number": tn, "kind": kind, "amount_claimed": cny(amount)});
    json_of(t.post(&t.admin(), "/api/v1/claims", &body).await, 201).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payable_amount_follows_insurance_freight_and_service_level() {
    let t = Desk::at("2026-11-25T08:00:00Z").await;
    let tap = t.env.tap().await;
    parcel(&t, "KD200000001CN", "standard", Some("200.00")).await;
    parcel(&t, "KD200000002CN", "standard", None).await;
    parcel(&t, "KD200000003CN", "express", None).await;
    parcel(&t, "KD200000008CN", "standard", None).await;

    let insured = file(&t, "KD200000001CN", "lost", "500.00").await;
    assert_eq!(
        insured["amount_payable"],
        cny("200.00"),
        "insured: the declared value"
    );
    assert_eq!(insured["status"], "filed");
    assert_eq!(
        file(&t, "KD200000002CN", "damaged", "100").await["amount_payable"],
        cny("45.00"),
        "3 × freight"
    );
    assert_eq!(
        file(&t, "KD200000008CN", "damaged", "20.50").await["amount_payable"],
        cny("20.50"),
        "never more than claimed"
    );
    assert_eq!(
        file(&t, "KD200000003CN", "late", "30.00").await["amount_payable"],
        cny("15.00"),
        "express, past its promise: the freight"
    );
    assert_eq!(
        file(&t, "KD200000002CN", "late", "30.00").await["amount_payable"],
        cny("0.00"),
        "standard is not time-definite"
    );
    let filed = tap
        .next_of_type("claim.filed", Duration::from_secs(10))
        .await;
    assert_eq!(filed.data["amount_payable"], cny("200.00"));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_is_assessed_approved_within_the_limit_and_paid() {
    let t = Desk::spawn().await;
    let tap = t.env.tap().await;
    parcel(&t, "KD200000004CN", "standard", None).await;
    let claim = file(&t, "KD200000004CN", "lost", "100.00").await;
    let id = claim["id"].as_str().expect("id");
    let act = |action: &'static str, body: Value, role: Role| {
        let t = &t;
        async move {
            t.post(
                &t.token(role),
                &format!("/api/v1/claims/{id}/actions/{action}"),
                &body,
            )
            .await
        }
    };

    let early = json_of(
        act("pay", json!({"reference": "x"}), Role::Admin).await,
        409,
    )
    .await;
    assert_eq!(
        early["allowed_actions"],
        json!(["assess"]),
        "not approved yet"
    );
    json_of(act("assess", json!({}), Role::Agent).await, 200).await;
    assert_eq!(
        act("approve", json!({"amount": cny("45.00")}), Role::Agent)
            .await
            .status(),
        403
    );
    let over = act("approve", json!({"amount": cny("45.01")}), Role::Supervisor).await;
    assert_eq!(
        refused_fields(over).await,
        vec!["amount"],
        "above the payable amount"
    );
    let approved = json_of(
        act("approve", json!({"amount": cny("40.00")}), Role::Supervisor).await,
        200,
    )
    .await;
    assert_eq!(approved["amount_approved"], cny("40.00"));
    let paid = json_of(
        act("pay", json!({"reference": "WX-778812"}), Role::Manager).await,
        200,
    )
    .await;

    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["reference"], "WX-778812");
    assert!(paid["settled_at"].is_string());
    let settled = tap
        .next_of_type("claim.settled", Duration::from_secs(10))
        .await;
    assert_eq!(
        (
            settled.data["outcome"].clone(),
            settled.data["amount_paid"].clone()
        ),
        (json!("paid"), cny("40.00"))
    );
    let read = json_of(
        t.get(&t.admin(), &format!("/api/v1/claims/{id}")).await,
        200,
    )
    .await;
    assert_eq!(read["status"], "paid");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_is_decided_only_once_assessed_and_only_an_approved_one_is_paid() {
    let t = Desk::spawn().await;
    parcel(&t, "KD200000007CN", "standard", None).await;
    let claim = file(&t, "KD200000007CN", "damaged", "30.00").await;
    let id = claim["id"].as_str().expect("id");
    let act = |action: &'static str, body: Value| {
        let t = &t;
        async move {
            t.post(
                &t.admin(),
                &format!("/api/v1/claims/{id}/actions/{action}"),
                &body,
            )
            .await
        }
    };
    let refused = |state: &'static str, allowed: Value| {
        move |problem: Value| {
            assert_eq!(problem["code"], "illegal_transition", "{problem}");
            assert_eq!(problem["current_status"], state, "{problem}");
            assert_eq!(problem["allowed_actions"], allowed, "{problem}");
            assert!(
                problem["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains(state)),
                "the detail names the state: {problem}"
            );
        }
    };
    let reject = || json!({"reason": "no proof of damage"});

    let check = refused("filed", json!(["assess"]));
    check(expect_problem(act("reject", reject()).await, 409).await);
    check(expect_problem(act("approve", json!({})).await, 409).await);
    check(expect_problem(act("pay", json!({"reference": "x"})).await, 409).await);
    let assessing = json_of(act("assess", json!({})).await, 200).await;
    assert_eq!(assessing["status"], "assessing");
    refused("assessing", json!(["approve", "reject"]))(
        expect_problem(act("pay", json!({"reference": "x"})).await, 409).await,
    );
    let rejected = json_of(act("reject", reject()).await, 200).await;

    assert_eq!(rejected["status"], "rejected");
    let check = refused("rejected", json!([]));
    check(expect_problem(act("pay", json!({"reference": "x"})).await, 409).await);
    check(expect_problem(act("approve", json!({})).await, 409).await);
    check(expect_problem(act("reject", reject()).await, 409).await);
    let read = json_of(
        t.get(&t.admin(), &format!("/api/v1/claims/{id}")).await,
        200,
    )
    .await;
    assert_eq!(
        read["status"], "rejected",
        "a refused action changes nothing"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_amounts_unknown_shipments_and_unrelated_cases_are_422() {
    let t = Desk::spawn().await;
    parcel(&t, "KD200000005CN", "standard", None).await;
    let case = t.created(&t.admin(), &complaint("lost")).await;

    for amount in [cny("0"), cny("-5.00"), cny("ten"), json!(12.5)] {
        let body =
            json!({"tracking_number": "KD200000005CN", "kind": "lost", "amount_claimed": amount});
        assert_eq!(
            refused_fields(t.post(&t.admin(), "/api/v1/claims", &body).await).await,
            vec!["amount_claimed"],
            "{amount}"
        );
    }
    let bad =
        json!({"tracking_number": "KD200000005CN", "kind": "stolen", "amount_claimed": cny("1")});
    assert_eq!(
        refused_fields(t.post(&t.admin(), "/api/v1/claims", &bad).await).await,
        vec!["kind"]
    );
    let unrelated = json!({"complaint_id": case["id"], "tracking_number": "KD200000005CN", "kind": "lost", "amount_claimed": cny("10")});
    assert_eq!(
        refused_fields(t.post(&t.admin(), "/api/v1/claims", &unrelated).await).await,
        vec!["tracking_number"]
    );
    let unknown =
        json!({"tracking_number": "KD999999999CN", "kind": "lost", "amount_claimed": cny("10")});
    assert_eq!(
        refused_fields(t.post(&t.admin(), "/api/v1/claims", &unknown).await).await,
        vec!["tracking_number"]
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_unsettled_for_30_days_is_escalated_with_its_case_and_listed_as_overdue() {
    let t = Desk::at("2026-11-25T08:00:00Z").await;
    let tap = t.env.tap().await;
    parcel(&t, "KD200000006CN", "express", None).await;
    let mut body = complaint("lost");
    body["tracking_number"] = json!("KD200000006CN");
    let case = t.created(&t.admin(), &body).await;
    let claim = json_of(
        t.post(
            &t.admin(),
            "/api/v1/claims",
            &json!({"complaint_id": case["id"],
        "tracking_number": "KD200000006CN", "kind": "lost", "amount_claimed": cny("30")}),
        )
        .await,
        201,
    )
    .await;
    let overdue = json_of(t.get(&t.admin(), "/api/v1/claims?overdue=true").await, 200).await;
    assert_eq!(overdue["data"], json!([]), "not yet");

    t.clock.advance(Days::days(31));
    // The case's SLA breaches escalate it too; the claim's escalation names the claim.
    let mut escalated = tap
        .next_of_type("complaint.escalated", Duration::from_secs(10))
        .await;
    while !escalated.data["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("claim")
    {
        escalated = tap
            .next_of_type("complaint.escalated", Duration::from_secs(10))
            .await;
    }

    assert_eq!(escalated.data["complaint_id"], case["id"]);
    let overdue = json_of(t.get(&t.admin(), "/api/v1/claims?overdue=true").await, 200).await;
    assert_eq!(overdue["data"][0]["id"], claim["id"]);
    assert_eq!(overdue["data"][0]["escalated"], true);
    assert_eq!(overdue["data"][0]["overdue"], true);
    t.stop().await;
}

/// Erasure (SPEC §4): a rejected claim's reason may quote the customer; it is scrubbed with
/// their cases, the claim's facts kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_customers_claim_keeps_its_facts_but_not_its_reason() {
    let t = Desk::spawn().await;
    let customer = Uuid::now_v7();
    t.shipment_created(&shipment("KD200000099CN", Uuid::now_v7(), customer))
        .await;
    let claim = file(&t, "KD200000099CN", "damaged", "30.00").await;
    let path = format!("/api/v1/claims/{}", claim["id"].as_str().expect("id"));
    for (action, body) in [
        ("assess", json!({})),
        (
            "reject",
            json!({"reason": "张伟 13800138000 sent no photos"}),
        ),
    ] {
        let acted = t
            .post(&t.admin(), &format!("{path}/actions/{action}"), &body)
            .await;
        json_of(acted, 200).await;
    }
    t.erased(customer).await;
    t.until_db(
        "the erasure",
        "SELECT count(*) AS n FROM claims WHERE reason = '[erased]'".into(),
    )
    .await;
    let read = json_of(t.get(&t.admin(), &path).await, 200).await;
    assert_eq!(read["reason"], "[erased]", "{read}");
    assert_eq!(read["status"], "rejected");
    assert_eq!(read["amount_claimed"], cny("30.00"));
}
