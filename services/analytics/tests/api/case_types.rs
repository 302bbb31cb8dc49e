//! Cases of every type (inquiries, suggestions, praise as well as complaints) count in the
//! case-handling figures; only complaints count as complaints, in the hotspots and the
//! complaint-spike alert. Closings of other types stored before the change are backfilled.

use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use kuaidi_analytics::startup::MIGRATIONS;
use kuaidi_shared::auth::Role;
use kuaidi_shared::events::catalogue::*;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{complaint, payload, revert_to_before, shipment, TestApp};

/// `day` of November 2026 at `h`:`m` UTC.
pub fn at(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, h, m, 0)
        .single()
        .expect("time")
}

/// One case's life after its receipt on the 24th at noon, by `handler`.
pub struct Handled {
    pub within_sla: bool,
    pub breached: bool,
    pub closed_at: DateTime<Utc>,
    pub overall: i16,
    pub reopened: bool,
}

/// Publishes `c` and its life (first response at 13:00 on the 24th, breach, closing, reopening,
/// survey), each event naming `handler` as the assignee.
pub async fn handle(t: &TestApp, c: &ComplaintReceivedV1, handler: Uuid, h: Handled) {
    let base = json!({
        "complaint_id": c.complaint_id, "number": c.number, "merchant_id": c.merchant_id,
        "tracking_number": c.tracking_number, "category": c.category, "city": c.city,
        "assignee_id": handler,
    });
    t.emit(c, c.received_at).await;
    let first: ComplaintFirstRespondedV1 = payload(
        &base,
        json!({"received_at": c.received_at, "responded_at": at(24, 13, 0),
            "within_sla": h.within_sla}),
    );
    t.emit(&first, at(24, 13, 0)).await;
    if h.breached {
        let breach: ComplaintSlaBreachedV1 = payload(
            &base,
            json!({"clock": "resolution", "due_at": at(25, 10, 0), "elapsed_ratio": 1.0,
                "occurred_at": at(25, 10, 0)}),
        );
        t.emit(&breach, at(25, 10, 0)).await;
    }
    let closed: ComplaintClosedV1 = payload(
        &base,
        json!({"received_at": c.received_at, "closed_at": h.closed_at, "type": c.type_}),
    );
    t.emit(&closed, h.closed_at).await;
    if h.reopened {
        let reopened: ComplaintReopenedV1 = payload(
            &base,
            json!({"reason": "still no answer", "reopened_at": at(25, 20, 0)}),
        );
        t.emit(&reopened, at(25, 20, 0)).await;
    }
    let survey: SurveySubmittedV1 = payload(
        &base,
        json!({"survey_id": Uuid::now_v7(), "overall": h.overall, "via": "agent",
            "submitted_at": at(25, 21, 0)}),
    );
    t.emit(&survey, at(25, 21, 0)).await;
}

/// The service at 23:00 on the 25th, with a parcel of a merchant (answered) shipped at 08:00 on
/// the 24th.
pub async fn a_parcel_shipped_on_the_24th() -> (TestApp, Uuid, ShipmentCreatedV1) {
    let t = TestApp::spawn_at(at(25, 23, 0)).await;
    let merchant = Uuid::now_v7();
    let parcel = shipment(merchant, at(24, 8, 0));
    t.emit(&parcel, parcel.created_at).await;
    (t, merchant, parcel)
}

/// The row of `handler` in a staff-performance report.
fn staff_row(staff: &Value, handler: Uuid) -> Value {
    staff["data"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["handler_id"] == json!(handler)))
        .cloned()
        .unwrap_or_else(|| panic!("a row for {handler}: {staff}"))
}

/// Two cases about the same parcel, in the same city and `category`, received on the 24th at
/// noon: Alice's, a complaint made `what` by `other`, which she answers in SLA, breaches, closes
/// after 30 h (within 48, not 24), is rated 5 and reopened; and a customer's complaint Bob
/// answers late and closes after 20 h, rated 2. Alice's case counts in every case-handling
/// figure (the week's, her own, the staff's) but not as a complaint, nor in the hotspots.
pub async fn counts_in_case_handling_but_not_as_a_complaint(
    what: &str,
    category: &str,
    other: impl Fn(ComplaintReceivedV1) -> ComplaintReceivedV1,
) {
    let (t, merchant, parcel) = a_parcel_shipped_on_the_24th().await;
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let case = || ComplaintReceivedV1 {
        category: Some(category.into()),
        tracking_number: Some(parcel.tracking_number.clone()),
        ..complaint(merchant, at(24, 12, 0))
    };
    let alices_life = Handled {
        within_sla: true,
        breached: true,
        closed_at: at(25, 18, 0),
        overall: 5,
        reopened: true,
    };
    handle(&t, &other(case()), alice, alices_life).await;
    let bobs_life = Handled {
        within_sla: false,
        breached: false,
        closed_at: at(25, 8, 0),
        overall: 2,
        reopened: false,
    };
    handle(&t, &case(), bob, bobs_life).await;

    // Events may be applied in any order: wait until the last of each kind has counted (both
    // surveys, both closings, the reopening), then check every figure.
    let week = "from=2026-11-24&to=2026-11-25&granularity=week";
    let report = t
        .kpis_when(&t.admin(), week, "every event of both cases", |r| {
            let row = &r["data"][0];
            row["complaints"] == 1
                && row["csat_avg"] == 3.5
                && row["resolved_within_48h_rate"] == 1.0
                && row["reopen_rate"] == 0.5
                && row["first_response_sla_rate"] == 0.5
                && row["sla_breaches"] == 1
        })
        .await;
    let row = &report["data"][0];
    assert_eq!(row["complaints"], 1, "{what} is no complaint: {row}");
    assert_eq!(
        row["complaint_rate_per_10k"], 10_000.0,
        "1 complaint, 1 shipment: {row}"
    );
    assert_eq!(
        row["first_response_sla_rate"], 0.5,
        "both first responses: {row}"
    );
    assert_eq!(row["sla_breaches"], 1, "the breach of {what}: {row}");
    assert_eq!(row["resolved_within_24h_rate"], 0.5, "both closings: {row}");
    assert_eq!(row["resolved_within_48h_rate"], 1.0);
    assert_eq!(row["csat_avg"], 3.5, "both surveys: {row}");
    assert_eq!(row["satisfied_rate"], 0.5, "both surveys: {row}");
    assert_eq!(row["reopen_rate"], 0.5, "{what} reopened of two closed");
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
        "Alice's own case figures are those of {what}, and she received no complaint: {own}"
    );

    let spots = t
        .get_json(
            &t.admin(),
            "/api/v1/analytics/complaint-hotspots?from=2026-11-24&to=2026-11-25",
        )
        .await;
    assert_eq!(
        spots["by_city"],
        json!([{"category": category, "city": "北京", "complaints": 1, "previous": 0,
            "change": 1, "change_rate": null}]),
        "hotspots count the customer's complaint only"
    );
    assert_eq!(
        spots["top_tracking_numbers"],
        json!([]),
        "one complaint about the parcel is no cluster, whatever {what}"
    );

    let two_days = "/api/v1/analytics/staff-performance?from=2026-11-24&to=2026-11-25";
    let staff = t.get_json(&t.token(Role::Supervisor), two_days).await;
    assert_eq!(
        staff_row(&staff, alice),
        json!({"handler_id": alice, "cases_closed": 1, "median_resolution_hours": 30.0,
            "first_responses": 1, "first_response_sla_rate": 1.0, "surveys": 1,
            "csat_avg": 5.0, "reopened": 1, "reopen_rate": 1.0}),
        "{what} is its handler's work"
    );
    let bobs = staff_row(&staff, bob);
    assert_eq!(bobs["cases_closed"], 1);
    assert_eq!(bobs["median_resolution_hours"], 20.0);
    assert_eq!(bobs["first_response_sla_rate"], 0.0);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inquiry_counts_in_case_handling_and_staff_figures_but_not_as_a_complaint() {
    counts_in_case_handling_but_not_as_a_complaint("the inquiry", "delay", |c| {
        ComplaintReceivedV1 {
            type_: "inquiry".into(),
            ..c
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inquiries_raise_no_complaint_spike_where_as_many_complaints_do() {
    only_the_complaints_spike("inquiries", |mut c| {
        c.type_ = "inquiry".into();
        c
    })
    .await;
}

/// Five cases made `other` in Shanghai, then five customers' complaints in Beijing, handled in
/// that order, at 23:00 on the 25th in Shanghai (the business day of the rules): only Beijing
/// spikes.
pub async fn only_the_complaints_spike(
    what: &str,
    other: impl Fn(ComplaintReceivedV1) -> ComplaintReceivedV1,
) {
    let t = TestApp::spawn_at(at(25, 15, 0)).await;
    let merchant = Uuid::now_v7();
    for i in 0..5 {
        let c = other(ComplaintReceivedV1 {
            city: Some("上海".into()),
            ..complaint(merchant, at(25, 10, i))
        });
        t.emit(&c, c.received_at).await;
    }
    for i in 0..5 {
        let c = complaint(merchant, at(25, 10, i));
        t.emit(&c, c.received_at).await;
    }

    let open = t
        .get_when(
            &t.admin(),
            "/api/v1/analytics/alerts?status=open",
            "the Beijing spike",
            |p| p["data"].as_array().is_some_and(|d| !d.is_empty()),
        )
        .await;

    let alerts = open["data"].as_array().expect("data");
    assert_eq!(alerts.len(), 1, "no spike of {what}: {open}");
    assert_eq!(
        (
            &alerts[0]["kind"],
            &alerts[0]["city"],
            &alerts[0]["observed"]
        ),
        (&json!("complaint_spike"), &json!("北京"), &json!(5.0))
    );
    t.stop().await;
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Closings {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    closed: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    closed_24h: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    closed_48h: i64,
}

fn closings(conn: &mut PgConnection, from_where: &str) -> Closings {
    diesel::sql_query(format!(
        "SELECT COALESCE(SUM(closed), 0)::bigint AS closed, \
                COALESCE(SUM(closed_24h), 0)::bigint AS closed_24h, \
                COALESCE(SUM(closed_48h), 0)::bigint AS closed_48h FROM {from_where}"
    ))
    .get_result(conn)
    .expect("the sums")
}

#[test]
fn the_migration_counts_the_stored_closings_of_cases_of_other_types_in_every_rollup() {
    let url = kuaidi_shared::testing::migrated_database("analytics", MIGRATIONS);
    let mut conn = PgConnection::establish(&url).expect("a connection");
    revert_to_before(&mut conn, "2026120500002");
    // As the release before kept them: an inquiry closed after 30 h and a praise after 2 h by
    // Alice, a complaint (its closing already counted then), an open suggestion.
    let alice = Uuid::now_v7();
    diesel::sql_query(
        "INSERT INTO cases (complaint_id, type, city, province, handler_id, received_at, \
                            closed_at, resolution_seconds) VALUES \
         (gen_random_uuid(), 'inquiry', '北京', '北京', $1, '2026-11-24T12:00:00Z', \
          '2026-11-25T18:00:00Z', 108000), \
         (gen_random_uuid(), 'praise', '北京', '北京', $1, '2026-11-25T16:00:00Z', \
          '2026-11-25T18:10:00Z', 7800), \
         (gen_random_uuid(), 'complaint', '北京', '北京', $1, '2026-11-25T10:00:00Z', \
          '2026-11-25T12:00:00Z', 7200), \
         (gen_random_uuid(), 'suggestion', '北京', '北京', $1, '2026-11-25T10:00:00Z', \
          NULL, NULL)",
    )
    .bind::<diesel::sql_types::Uuid, _>(alice)
    .execute(&mut conn)
    .expect("cases of the release before");

    conn.run_pending_migrations(MIGRATIONS).expect("migrated");

    let both = Closings {
        closed: 2,
        closed_24h: 1,
        closed_48h: 2,
    };
    assert_eq!(
        closings(
            &mut conn,
            &format!("kpi_rollup WHERE handler_id = '{alice}' AND bucket = '2026-11-25T18:00:00Z'")
        ),
        both,
        "both closings in the 18:00 bucket under Alice"
    );
    let all = "merchant_id = 'ffffffff-ffff-ffff-ffff-ffffffffffff'";
    assert_eq!(
        closings(&mut conn, &format!("kpi_hourly WHERE {all} AND dim = ''")),
        both
    );
    assert_eq!(
        closings(
            &mut conn,
            &format!("kpi_hourly WHERE {all} AND dim = 'city' AND value = '北京'")
        ),
        both
    );
    assert_eq!(
        closings(
            &mut conn,
            &format!(
                "kpi_days WHERE {all} AND dim = '' AND utc_offset = 480 AND day = '2026-11-26'"
            )
        ),
        both,
        "18:00 UTC is the 26th in UTC+8"
    );
    assert_eq!(
        closings(
            &mut conn,
            "kpi_days WHERE merchant_id = '00000000-0000-0000-0000-000000000000' \
             AND dim = 'province' AND utc_offset = 0"
        ),
        both
    );
    assert_eq!(
        closings(
            &mut conn,
            "kpi_rollup WHERE bucket <> '2026-11-25T18:00:00Z'"
        ),
        Closings {
            closed: 0,
            closed_24h: 0,
            closed_48h: 0
        },
        "nothing for the complaint, counted before, or the open suggestion"
    );
}
