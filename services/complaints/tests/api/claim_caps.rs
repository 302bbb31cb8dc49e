//! A parcel's caps are shared by all its claims (SPEC §6: "uninsured loss/damage → up to 3 ×
//! freight", per parcel, not per claim): one open claim per parcel and kind, each claim payable
//! only what the others leave, a rejected claim's share free again, and concurrent filings and
//! approvals never spending the same room twice.

use futures_util::future::join_all;
use kuaidi_shared::auth::Role;
use kuaidi_shared::money::Money;
use kuaidi_shared::testing::expect_problem;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{json_of, refused_fields, shipment, time, Desk};

fn cny(a: &str) -> Value {
    json!({"amount": a, "currency": "CNY"})
}

/// A published express shipment with freight 20.00 CNY and no declared value (goods cap 60.00,
/// freight cap 20.00), promised for 2026-11-21 08:00 UTC and not delivered.
async fn parcel(t: &Desk, tn: &str) {
    let mut s = shipment(tn, Uuid::now_v7(), Uuid::now_v7());
    s.freight = Money {
        amount: "20.00".into(),
        currency: "CNY".into(),
    };
    s.promised_at = Some(time("2026-11-21T08:00:00Z"));
    t.shipment_created(&s).await;
}

fn claim_body(tn: &str, kind: &str, amount: &str) -> Value {
    json!({"tracking_number": tn, "kind": kind, "amount_claimed": cny(amount)})
}

async fn file(t: &Desk, tn: &str, kind: &str, amount: &str) -> reqwest::Response {
    t.post(&t.admin(), "/api/v1/claims", &claim_body(tn, kind, amount))
        .await
}

/// Files a claim that must be accepted; the claim.
async fn filed(t: &Desk, tn: &str, kind: &str, amount: &str) -> Value {
    json_of(file(t, tn, kind, amount).await, 201).await
}

async fn act(t: &Desk, claim: &Value, action: &str, body: Value) -> reqwest::Response {
    let id = claim["id"].as_str().expect("id");
    let path = format!("/api/v1/claims/{id}/actions/{action}");
    t.post(&t.token(Role::Manager), &path, &body).await
}

async fn acted(t: &Desk, claim: &Value, action: &str, body: Value) -> Value {
    json_of(act(t, claim, action, body).await, 200).await
}

/// Assesses, approves (`amount`, or the payable amount) and pays a claim; the claim paid.
async fn paid(t: &Desk, claim: &Value, amount: Option<&str>) -> Value {
    acted(t, claim, "assess", json!({})).await;
    let approval = amount.map_or(json!({}), |a| json!({"amount": cny(a)}));
    acted(t, claim, "approve", approval).await;
    acted(t, claim, "pay", json!({"reference": "WX-1"})).await
}

/// What the claims on `tn` were paid in all, in minor units.
async fn paid_on(t: &Desk, tn: &str) -> i64 {
    let path = format!("/api/v1/claims?tracking_number={tn}&status=paid&limit=200");
    let page = json_of(t.get(&t.admin(), &path).await, 200).await;
    let data = page["data"].as_array().expect("data").clone();
    data.iter()
        .map(|c| {
            let amount = c["amount_approved"]["amount"].as_str().expect("approved");
            Money {
                amount: amount.into(),
                currency: "CNY".into(),
            }
            .to_minor()
            .expect("money")
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_on_one_parcel_are_paid_at_most_its_cap_in_total() {
    let t = Desk::at("2026-11-25T08:00:00Z").await;
    let tn = "KD400000001CN";
    parcel(&t, tn).await;

    let first = filed(&t, tn, "lost", "60.00").await;
    assert_eq!(first["amount_payable"], cny("60.00"), "3 × freight");
    let again = expect_problem(file(&t, tn, "lost", "60.00").await, 409).await;
    assert_eq!(again["code"], "duplicate_claim", "{again}");
    assert_eq!(again["claim_id"], first["id"], "it names the open claim");
    let damaged = filed(&t, tn, "damaged", "60.00").await;
    assert_eq!(
        damaged["amount_payable"],
        cny("0.00"),
        "loss and damage share one cap, all held by the open loss claim"
    );

    paid(&t, &first, Some("45.00")).await;
    let second = filed(&t, tn, "lost", "60.00").await;
    assert_eq!(
        second["amount_payable"],
        cny("15.00"),
        "once the first is paid, only what it left of the cap"
    );
    paid(&t, &second, None).await;
    let third = filed(&t, tn, "lost", "60.00").await;
    assert_eq!(third["amount_payable"], cny("0.00"), "the cap is spent");
    let assessed = acted(&t, &damaged, "assess", json!({})).await;

    assert_eq!(assessed["amount_payable"], cny("0.00"), "assessed again");
    acted(&t, &third, "assess", json!({})).await;
    let over = act(&t, &third, "approve", json!({"amount": cny("0.01")})).await;
    assert_eq!(refused_fields(over).await, vec!["amount"]);
    assert_eq!(
        paid_on(&t, tn).await,
        6_000,
        "60.00 paid on a parcel capped at 60.00"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_claim_frees_its_share_and_an_approval_for_less_gives_the_rest_back() {
    let t = Desk::at("2026-11-25T08:00:00Z").await;
    let tn = "KD400000002CN";
    parcel(&t, tn).await;
    let lost = filed(&t, tn, "lost", "60.00").await;
    let damaged = filed(&t, tn, "damaged", "50.00").await;
    assert_eq!(damaged["amount_payable"], cny("0.00"));

    acted(&t, &lost, "assess", json!({})).await;
    acted(&t, &lost, "reject", json!({"reason": "found at the hub"})).await;
    let damaged = acted(&t, &damaged, "assess", json!({})).await;
    assert_eq!(
        damaged["amount_payable"],
        cny("50.00"),
        "the rejected claim holds nothing"
    );
    acted(&t, &damaged, "approve", json!({"amount": cny("30.00")})).await;
    let lost_again = filed(&t, tn, "lost", "60.00").await;

    assert_eq!(
        lost_again["amount_payable"],
        cny("30.00"),
        "the damage approved for 30.00 of its 50.00 holds 30.00"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_refund_draws_on_a_cap_of_its_own_the_freight() {
    let t = Desk::at("2026-11-25T08:00:00Z").await;
    let tn = "KD400000003CN";
    parcel(&t, tn).await;
    let lost = filed(&t, tn, "lost", "60.00").await;
    let late = filed(&t, tn, "late", "30.00").await;

    assert_eq!(lost["amount_payable"], cny("60.00"));
    assert_eq!(
        late["amount_payable"],
        cny("20.00"),
        "past its promise: the freight, whatever the loss claim holds"
    );
    let again = expect_problem(file(&t, tn, "late", "5.00").await, 409).await;
    assert_eq!(again["claim_id"], late["id"], "{again}");
    paid(&t, &late, Some("5.00")).await;
    let late_again = filed(&t, tn, "late", "30.00").await;
    assert_eq!(late_again["amount_payable"], cny("15.00"), "what is left");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_filings_on_one_parcel_hold_at_most_its_cap() {
    let t = Desk::at("2026-11-25T08:00:00Z").await;
    let tn = "KD400000004CN";
    parcel(&t, tn).await;
    let kinds = ["lost", "damaged"].repeat(4);

    let answers = join_all(kinds.iter().map(|k| file(&t, tn, k, "60.00"))).await;

    let mut filed = Vec::new();
    for (kind, resp) in kinds.iter().zip(answers) {
        match resp.status().as_u16() {
            201 => filed.push((*kind, json_of(resp, 201).await)),
            _ => assert_eq!(expect_problem(resp, 409).await["code"], "duplicate_claim"),
        }
    }
    let mut kinds_filed: Vec<&str> = filed.iter().map(|(k, _)| *k).collect();
    kinds_filed.sort_unstable();
    assert_eq!(kinds_filed, ["damaged", "lost"], "one open claim per kind");
    let mut payables: Vec<Value> = filed
        .iter()
        .map(|(_, c)| c["amount_payable"].clone())
        .collect();
    payables.sort_by_key(|p| p["amount"].as_str().map(str::to_owned));
    assert_eq!(
        payables,
        [cny("0.00"), cny("60.00")],
        "the first filed holds the cap, the other is payable what is left"
    );
    t.stop().await;
}

/// A claim as it was stored before caps were kept per parcel: `status`, payable and approved
/// for `amount` (minor units) whatever the others held.
fn stored_before_caps(t: &Desk, tn: &str, status: &str, minor: i64) -> Value {
    let id = Uuid::now_v7();
    let approved = if status == "approved" {
        minor.to_string()
    } else {
        "NULL".into()
    };
    t.execute(&format!(
        "INSERT INTO claims (id, tracking_number, kind, status, currency, amount_claimed_minor, \
         amount_payable_minor, amount_approved_minor, filed_by, filed_at, updated_at) \
         VALUES ('{id}', '{tn}', 'lost', '{status}', 'CNY', {minor}, {minor}, {approved}, \
         'probe', '2026-11-24T08:00:00Z', '2026-11-24T08:00:00Z')"
    ))
    .expect("a claim stored before caps");
    json!({"id": id})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_approvals_of_claims_filed_before_caps_approve_at_most_the_cap() {
    let t = Desk::at("2026-11-25T08:00:00Z").await;
    let tn = "KD400000005CN";
    parcel(&t, tn).await;
    let claims: Vec<Value> = (0..3)
        .map(|_| stored_before_caps(&t, tn, "assessing", 6_000))
        .collect();

    let answers = join_all(claims.iter().map(|c| act(&t, c, "approve", json!({})))).await;

    let mut approved = 0;
    for resp in answers {
        if resp.status() == 200 {
            approved += 1;
        } else {
            assert_eq!(refused_fields(resp).await, vec!["amount"], "over the cap");
        }
    }
    assert_eq!(approved, 1, "one approval of 60.00 spends the cap of 60.00");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_approved_before_caps_are_paid_at_most_the_cap_even_concurrently() {
    let t = Desk::at("2026-11-25T08:00:00Z").await;
    let tn = "KD400000006CN";
    parcel(&t, tn).await;
    let claims: Vec<Value> = (0..3)
        .map(|_| stored_before_caps(&t, tn, "approved", 4_000))
        .collect();

    let answers = join_all(
        claims
            .iter()
            .map(|c| act(&t, c, "pay", json!({"reference": "WX-2"}))),
    )
    .await;

    let mut refused = 0;
    for resp in answers {
        if resp.status() != 200 {
            let problem = expect_problem(resp, 409).await;
            assert_eq!(problem["code"], "over_cap", "{problem}");
            refused += 1;
        }
    }
    assert_eq!(
        refused, 2,
        "40.00 paid; another 40.00 would pass the cap of 60.00"
    );
    assert_eq!(paid_on(&t, tn).await, 4_000);
    t.stop().await;
}
