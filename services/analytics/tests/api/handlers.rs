//! A case's receipt and its first response count under the case's handler of now (SPEC §8: "an
//! agent only their own case figures"; staff performance's first-response SLA rate per
//! handler): a case received, and answered at triage, before anyone was assigned is its
//! assignee's, and a reassignment moves both — whatever order the events arrive in.

use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use kuaidi_analytics::startup::MIGRATIONS;
use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::*;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{complaint, payload, revert_to_before, TestApp};

/// The 25th of November 2026 at `h`:`m` UTC.
fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0)
        .single()
        .expect("time")
}

const DAY: &str = "from=2026-11-25&to=2026-11-25";

/// The fields every later event of case `c` carries, naming `assignee` (or none).
fn case(c: &ComplaintReceivedV1, assignee: Option<Uuid>) -> Value {
    json!({"complaint_id": c.complaint_id, "number": c.number, "merchant_id": c.merchant_id,
           "category": c.category, "city": c.city, "assignee_id": assignee})
}

fn assigned(c: &ComplaintReceivedV1, to: Uuid, when: DateTime<Utc>) -> ComplaintAssignedV1 {
    payload(
        &case(c, Some(to)),
        json!({"department": "customer_service", "assigned_at": when}),
    )
}

/// The first response, by `by` or (`None`) at triage, before any assignment.
fn responded(
    c: &ComplaintReceivedV1,
    by: Option<Uuid>,
    when: DateTime<Utc>,
    within_sla: bool,
) -> ComplaintFirstRespondedV1 {
    payload(
        &case(c, by),
        json!({"received_at": c.received_at, "responded_at": when, "within_sla": within_sla}),
    )
}

/// `(complaints, first_response_sla_rate)` of the day as `token` sees it, once `ready`.
async fn own(t: &TestApp, token: &str, ready: (i64, Value)) -> (Value, Value) {
    let report = t
        .kpis_when(token, DAY, "the case figures", |r| {
            r["data"][0]["complaints"] == ready.0
                && r["data"][0]["first_response_sla_rate"] == ready.1
        })
        .await;
    let row = &report["data"][0];
    (
        row["complaints"].clone(),
        row["first_response_sla_rate"].clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assignee_has_the_complaint_and_the_first_response_made_at_triage() {
    let t = TestApp::spawn_at(at(23, 0)).await;
    let merchant = Uuid::now_v7();
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    // Received, answered in SLA at triage, then assigned to Alice.
    let first = complaint(merchant, at(8, 0));
    t.emit(&first, first.received_at).await;
    t.emit(&responded(&first, None, at(8, 20), true), at(8, 20))
        .await;
    t.emit(&assigned(&first, alice, at(9, 0)), at(9, 0)).await;
    // Received, answered late at triage, assigned to Alice, then to Bob.
    let second = complaint(merchant, at(8, 30));
    t.emit(&second, second.received_at).await;
    t.emit(&responded(&second, None, at(11, 0), false), at(11, 0))
        .await;
    t.emit(&assigned(&second, alice, at(11, 30)), at(11, 30))
        .await;
    t.emit(&assigned(&second, bob, at(12, 0)), at(12, 0)).await;

    assert_eq!(
        own(&t, &t.agent(alice), (1, json!(1.0))).await,
        (json!(1), json!(1.0)),
        "Alice's complaint and its triage reply"
    );
    assert_eq!(
        own(&t, &t.agent(bob), (1, json!(0.0))).await,
        (json!(1), json!(0.0)),
        "Bob took over the second case"
    );
    assert_eq!(
        own(&t, &t.admin(), (2, json!(0.5))).await,
        (json!(2), json!(0.5)),
        "the totals are the same"
    );
    let staff = t
        .get_json(
            &t.token(Role::Supervisor),
            &format!("/api/v1/analytics/staff-performance?{DAY}"),
        )
        .await;
    let of = |handler: Uuid| {
        let rows = staff["data"].as_array().expect("data");
        let row = rows
            .iter()
            .find(|r| r["handler_id"] == json!(handler))
            .unwrap_or_else(|| panic!("a row for {handler}: {staff}"));
        (
            row["first_responses"].clone(),
            row["first_response_sla_rate"].clone(),
        )
    };
    assert_eq!(of(alice), (json!(1), json!(1.0)));
    assert_eq!(of(bob), (json!(1), json!(0.0)));
    assert_eq!(
        staff["data"].as_array().map(Vec::len),
        Some(2),
        "no one else: {staff}"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handler_of_now_has_them_whatever_order_the_events_arrive_in() {
    let t = TestApp::spawn_at(at(23, 0)).await;
    let merchant = Uuid::now_v7();
    let (carol, dave, erin, frank) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    // Carol's assignment arrives before the receipt, the triage reply after both.
    let c = complaint(merchant, at(8, 0));
    t.emit(&assigned(&c, carol, at(9, 0)), at(9, 0)).await;
    t.emit(&c, c.received_at).await;
    t.emit(&responded(&c, None, at(8, 30), true), at(8, 30))
        .await;
    // The triage reply first, then the receipt, then Dave's assignment.
    let d = complaint(merchant, at(8, 0));
    t.emit(&responded(&d, None, at(8, 30), true), at(8, 30))
        .await;
    t.emit(&d, d.received_at).await;
    t.emit(&assigned(&d, dave, at(9, 0)), at(9, 0)).await;
    // Erin's assignment, then an older one to Frank arriving late: the case stays Erin's. Her
    // reply names her; the category given at triage moves the complaint, not its handler.
    let e = complaint(merchant, at(8, 0));
    t.emit(&e, e.received_at).await;
    t.emit(&assigned(&e, erin, at(10, 0)), at(10, 0)).await;
    t.emit(&assigned(&e, frank, at(9, 0)), at(9, 0)).await;
    t.emit(&responded(&e, Some(erin), at(10, 30), false), at(10, 30))
        .await;
    let triaged: ComplaintStatusChangedV1 = payload(
        &json!({"complaint_id": e.complaint_id, "merchant_id": merchant, "category": "damage",
                "city": e.city, "assignee_id": erin}),
        json!({"from": "assigned", "to": "in_progress", "action": "triage",
               "occurred_at": at(10, 40)}),
    );
    t.emit(&triaged, at(10, 40)).await;

    for (who, figures) in [
        (carol, (1, json!(1.0))),
        (dave, (1, json!(1.0))),
        (erin, (1, json!(0.0))),
    ] {
        assert_eq!(
            own(&t, &t.agent(who), figures.clone()).await,
            (json!(figures.0), figures.1),
            "{who}"
        );
    }
    let hotspots = t
        .get_json(
            &t.admin(),
            &format!("/api/v1/analytics/complaint-hotspots?{DAY}"),
        )
        .await;
    let damage: Vec<_> = hotspots["by_city"]
        .as_array()
        .expect("by_city")
        .iter()
        .filter(|r| r["category"] == "damage")
        .map(|r| r["complaints"].clone())
        .collect();
    assert_eq!(damage, [json!(1)], "Erin's complaint moved: {hotspots}");
    let franks = t.kpis_as(&t.agent(frank), DAY).await;
    assert_eq!(
        (
            &franks["data"][0]["complaints"],
            &franks["data"][0]["first_response_sla_rate"]
        ),
        (&json!(0), &Value::Null),
        "nothing for Frank"
    );
    assert_eq!(own(&t, &t.admin(), (3, json!(0.6667))).await.0, json!(3));
    t.stop().await;
}

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    handler_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    complaints: i64,
}

#[test]
fn the_migration_moves_the_receipts_of_assigned_complaints_to_their_handler() {
    let url = kuaidi_shared::testing::migrated_database("analytics", MIGRATIONS);
    let mut conn = PgConnection::establish(&url).expect("a connection");
    revert_to_before(&mut conn, "2026120500003");
    // As the release before kept them: Alice's complaint and an unassigned one, both received
    // under no handler, and Alice's inquiry (no complaint).
    let alice = Uuid::now_v7();
    diesel::sql_query(
        "INSERT INTO cases (complaint_id, type, city, category, handler_id, received_at) VALUES \
         (gen_random_uuid(), 'complaint', '北京', 'delay', $1, '2026-11-25T10:05:00Z'), \
         (gen_random_uuid(), 'complaint', '北京', 'delay', \
          '00000000-0000-0000-0000-000000000000', '2026-11-25T10:10:00Z'), \
         (gen_random_uuid(), 'inquiry', '北京', 'delay', $1, '2026-11-25T10:10:00Z')",
    )
    .bind::<diesel::sql_types::Uuid, _>(alice)
    .execute(&mut conn)
    .expect("cases of the release before");
    diesel::sql_query(
        "INSERT INTO kpi_rollup (bucket, city, category, complaints) \
         VALUES ('2026-11-25T10:00:00Z', '北京', 'delay', 2)",
    )
    .execute(&mut conn)
    .expect("their receipts");

    conn.run_pending_migrations(MIGRATIONS).expect("migrated");

    let held: Vec<Held> = diesel::sql_query(
        "SELECT handler_id, SUM(complaints)::bigint AS complaints FROM kpi_rollup \
         WHERE bucket = '2026-11-25T10:00:00Z' AND city = '北京' AND category = 'delay' \
         GROUP BY handler_id ORDER BY handler_id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(alice)
    .load(&mut conn)
    .expect("the receipts");
    let held: Vec<_> = held.iter().map(|h| (h.handler_id, h.complaints)).collect();
    assert_eq!(held, [(Uuid::nil(), 1), (alice, 1)]);
}
