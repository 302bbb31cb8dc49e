//! SLA clocks on a manual clock: policies, warnings at 80 %, breaches at 100 % that escalate,
//! pauses while awaiting feedback, and policy changes recomputing open deadlines.

use chrono::Duration as Minutes;
use kuaidi_shared::auth::Role;
use serde_json::{json, Value};
use std::time::Duration;

use crate::helpers::{complaint, events_until, json_of, refused_fields, time, Desk};

const START: &str = "2026-11-25T08:00:00Z";

fn urgent() -> Value {
    let mut body = complaint("delay");
    body["priority"] = json!("urgent");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_urgent_case_is_warned_at_80_percent_and_escalated_when_breached() {
    let t = Desk::at(START).await;
    let tap = t.env.tap().await;
    let case = t.created(&t.admin(), &urgent()).await;
    let id = case["id"].as_str().expect("id");
    assert_eq!(case["sla"]["first_response_due"], "2026-11-25T08:30:00Z");

    t.clock.advance(Minutes::minutes(25));
    let warning = tap
        .next_of_type("complaint.sla_warning", Duration::from_secs(10))
        .await;
    assert_eq!(warning.data["clock"], "first_response");
    assert_eq!(warning.data["complaint_id"], id);
    let warned = json_of(t.case(&t.admin(), id).await, 200).await;
    assert_eq!(
        (
            warned["sla"]["warned"].clone(),
            warned["sla"]["breached"].clone()
        ),
        (json!(true), json!(false))
    );

    t.clock.advance(Minutes::minutes(6));
    let events = events_until(&tap, &["complaint.sla_breached", "complaint.escalated"]).await;
    let of = |ty: &str| events.iter().find(|e| e.type_ == ty).expect("seen");
    assert_eq!(of("complaint.sla_breached").data["clock"], "first_response");
    let escalated = of("complaint.escalated");
    assert_eq!(escalated.data["automatic"], true);
    assert_eq!(escalated.data["to_level"], 1);
    let breached = json_of(t.case(&t.admin(), id).await, 200).await;
    assert_eq!(breached["sla"]["breached"], true);
    assert_eq!(
        breached["escalation_level"], 1,
        "a breach escalates one level"
    );
    let queue = json_of(
        t.get(&t.admin(), "/api/v1/complaints?sla=breached").await,
        200,
    )
    .await;
    assert_eq!(queue["data"][0]["id"], id);
    let history = json_of(t.history(&t.admin(), id).await, 200).await;
    let actions = kuaidi_shared::testing::strings(&history["data"], "action");
    assert_eq!(
        actions,
        vec!["receive", "sla_warning", "sla_breached", "escalate"],
        "each once"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_resolution_clock_stands_still_while_awaiting_feedback() {
    let t = Desk::at(START).await;
    let case = t.created(&t.admin(), &urgent()).await;
    let id = case["id"].as_str().expect("id");
    t.to_resolving(id).await;
    t.clock.advance(Minutes::minutes(60));
    t.refunded(id).await;

    t.clock.advance(Minutes::hours(10));
    let reopened = t
        .acted(&t.admin(), id, "reopen", json!({"reason": "still broken"}))
        .await;

    assert_eq!(
        time(reopened["sla"]["resolution_due"].as_str().expect("due")),
        time("2026-11-25T12:00:00Z") + Minutes::hours(10),
        "4 h allowance plus the 10 h paused"
    );
    assert_eq!(
        reopened["sla"]["breached"], false,
        "no breach was counted while paused"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_have_the_specs_defaults_and_a_change_recomputes_open_deadlines() {
    let t = Desk::at(START).await;
    let policies = json_of(t.get(&t.admin(), "/api/v1/sla-policies").await, 200).await;
    let cell = |p: &Value, cat: &str, pri: &str| -> Value {
        p["policies"]
            .as_array()
            .expect("policies")
            .iter()
            .find(|r| r["category"] == cat && r["priority"] == pri)
            .cloned()
            .expect("cell")
    };
    for (pri, fr, res) in [
        ("urgent", 30, 240),
        ("high", 120, 1440),
        ("normal", 240, 2880),
        ("low", 480, 4320),
    ] {
        let c = cell(&policies, "delay", pri);
        assert_eq!(
            (
                c["first_response_minutes"].clone(),
                c["resolution_minutes"].clone()
            ),
            (json!(fr), json!(res)),
            "{pri}"
        );
    }
    let case = t.created(&t.admin(), &complaint("delay")).await;
    let id = case["id"].as_str().expect("id");

    let body = json!({"policies": [{"category": "delay", "priority": "normal",
        "first_response_minutes": 60, "resolution_minutes": 600}]});
    assert_eq!(
        t.put(&t.token(Role::Supervisor), "/api/v1/sla-policies", &body)
            .await
            .status(),
        403
    );
    let changed = json_of(
        t.put(&t.token(Role::Manager), "/api/v1/sla-policies", &body)
            .await,
        200,
    )
    .await;

    assert_eq!(
        changed["version"],
        policies["version"].as_i64().expect("version") + 1
    );
    assert_eq!(
        cell(&changed, "delay", "normal")["first_response_minutes"],
        60
    );
    assert_eq!(
        cell(&changed, "delay", "high")["first_response_minutes"],
        120,
        "other rows stay"
    );
    let recomputed = json_of(t.case(&t.admin(), id).await, 200).await;
    assert_eq!(
        recomputed["sla"]["first_response_due"],
        "2026-11-25T09:00:00Z"
    );
    assert_eq!(recomputed["sla"]["resolution_due"], "2026-11-25T18:00:00Z");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_business_calendar_moves_deadlines_into_working_hours() {
    let t = Desk::at("2026-11-25T14:00:00Z").await; // Wednesday 22:00 in Beijing
    let body = json!({"policies": [{"category": "billing", "priority": "normal",
        "first_response_minutes": 60, "resolution_minutes": 540,
        "calendar": {"utc_offset_minutes": 480, "working_hours": {"start": "09:00", "end": "18:00"},
                     "working_days": [1, 2, 3, 4, 5]}}]});
    json_of(t.put(&t.admin(), "/api/v1/sla-policies", &body).await, 200).await;

    let case = t.created(&t.admin(), &complaint("billing")).await;

    assert_eq!(
        case["sla"]["first_response_due"], "2026-11-26T02:00:00Z",
        "Thursday 10:00 Beijing"
    );
    assert_eq!(
        case["sla"]["resolution_due"], "2026-11-26T10:00:00Z",
        "Thursday 18:00 Beijing"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_of_24x7_in_words_is_the_whole_week() {
    let t = Desk::at(START).await;
    let body = json!({"policies": [{"category": "billing", "priority": "normal",
        "first_response_minutes": 60, "resolution_minutes": 540, "calendar": "24x7"}]});
    let changed = json_of(t.put(&t.admin(), "/api/v1/sla-policies", &body).await, 200).await;
    let row = changed["policies"]
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["category"] == "billing" && r["priority"] == "normal")
        })
        .cloned()
        .expect("the row");
    assert_eq!(row["calendar"], Value::Null, "no calendar: the whole week");
    assert_eq!(row["first_response_minutes"], 60);
    let body = json!({"policies": [{"category": "billing", "priority": "normal",
        "first_response_minutes": 60, "resolution_minutes": 540, "calendar": "weekdays"}]});
    let resp = t.put(&t.admin(), "/api/v1/sla-policies", &body).await;
    assert_eq!(refused_fields(resp).await, vec!["policies[0].calendar"]);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_policy_rows_are_422_naming_each_field() {
    let t = Desk::at(START).await;
    let body = json!({"policies": [
        {"category": "delay", "priority": "normal", "first_response_minutes": 60, "resolution_minutes": 600},
        {"category": "moods", "priority": "asap", "first_response_minutes": 0, "resolution_minutes": "x",
         "calendar": {"working_days": [9]}}]});

    let resp = t.put(&t.admin(), "/api/v1/sla-policies", &body).await;

    assert_eq!(
        refused_fields(resp).await,
        vec![
            "policies[1].category",
            "policies[1].priority",
            "policies[1].first_response_minutes",
            "policies[1].resolution_minutes",
            "policies[1].calendar"
        ]
    );
    t.stop().await;
}

/// Inserts received cases straight into the table, numbered `<prefix><g>`, each received at
/// `t` with a normal priority's deadlines; `source` (a FROM list) yields `g` and `t`.
fn received_cases(prefix: &str, description: &str, source: &str) -> String {
    format!(
        "INSERT INTO complaints (id, number, type, channel, priority, description, status, \
           first_response_due, resolution_due, first_response_warn_at, resolution_warn_at, \
           created_at, updated_at) \
         SELECT gen_random_uuid(), '{prefix}' || g, 'complaint', 'phone', 'normal', '{description}', \
           'received', t + interval '4 hours', t + interval '48 hours', \
           t + interval '192 minutes', t + interval '2304 minutes', t, t \
         FROM {source}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sweep_handles_thousands_of_cases_falling_due_together() {
    let t = Desk::at(START).await;
    let at_start = format!("generate_series(1, 6000) g, (SELECT '{START}'::timestamptz AS t) s");
    t.execute(&received_cases("B", "bulk", &at_start))
        .expect("bulk cases");

    t.clock.advance(Minutes::hours(5));

    t.until_db_within(
        Duration::from_secs(60),
        "every case warned and breached once",
        "SELECT (count(*) = 6000)::int::int8 AS n FROM complaints WHERE sla_flags = 3 AND escalation_level = 1".into(),
    )
    .await;
    t.until_db(
        "three history entries each",
        "SELECT (count(*) = 18000)::int::int8 AS n FROM complaint_history".into(),
    )
    .await;
    t.stop().await;
}

/// After an outage every threshold of a backlog is crossed at once: one run marks at most its
/// batch per clock and threshold, the most overdue cases first, and a case's breach only after
/// its warning — so the backlog drains in short transactions, in the order it fell due.
#[test]
fn a_sweep_run_marks_at_most_its_batch_most_overdue_first_warning_before_breach() {
    use diesel::prelude::*;
    use kuaidi_complaints::workflow::sla::sweep_at_most;
    let db = kuaidi_shared::testing::migrated_database(
        "complaints_batch",
        kuaidi_complaints::startup::MIGRATIONS,
    );
    let mut conn = PgConnection::establish(&db).expect("test database");
    // Five cases an hour apart, every deadline long past at `now`.
    let hourly = format!(
        "generate_series(1, 5) g, \
         LATERAL (SELECT '{START}'::timestamptz + (g - 1) * interval '1 hour' AS t) s"
    );
    diesel::sql_query(received_cases("C", "backlog", &hourly))
        .execute(&mut conn)
        .expect("backlog");
    let now = time(START) + Minutes::days(10);
    let flags = |conn: &mut PgConnection| -> Vec<(String, i32)> {
        use diesel::sql_types::{Integer, Text};
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            number: String,
            #[diesel(sql_type = Integer)]
            sla_flags: i32,
        }
        diesel::sql_query("SELECT number, sla_flags FROM complaints ORDER BY number")
            .load::<Row>(conn)
            .expect("flags")
            .into_iter()
            .map(|r| (r.number, r.sla_flags))
            .collect()
    };

    let first = sweep_at_most(&mut conn, now, 2).expect("first run");
    assert_eq!(first, 8, "two cases, four thresholds each");
    assert_eq!(
        flags(&mut conn),
        [("C1", 15), ("C2", 15), ("C3", 0), ("C4", 0), ("C5", 0)].map(|(n, f)| (n.into(), f))
    );
    assert_eq!(sweep_at_most(&mut conn, now, 2).expect("second run"), 8);
    assert_eq!(sweep_at_most(&mut conn, now, 2).expect("third run"), 4);
    assert!(flags(&mut conn).iter().all(|(_, f)| *f == 15));
    assert_eq!(sweep_at_most(&mut conn, now, 2).expect("an idle run"), 0);
    // The trail: each case warned before it breached, on both clocks.
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let out_of_order = diesel::sql_query(
        "SELECT count(*) AS n FROM complaint_history b JOIN complaint_history w \
           ON w.complaint_id = b.complaint_id AND w.action = 'sla_warning' \
          AND w.payload->>'clock' = b.payload->>'clock' \
         WHERE b.action = 'sla_breached' AND w.id > b.id",
    )
    .get_result::<N>(&mut conn)
    .expect("history");
    assert_eq!(out_of_order.n, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warning_or_a_recomputed_deadline_is_a_new_version_with_a_new_etag() {
    let t = Desk::at(START).await;
    let case = t.created(&t.admin(), &urgent()).await;
    let id = case["id"].as_str().expect("id");
    let etag = |r: &reqwest::Response| r.headers().get("etag").cloned().expect("an ETag");
    let before = t.case(&t.admin(), id).await;
    let first = etag(&before);

    t.clock.advance(Minutes::minutes(25));
    let warned = kuaidi_shared::testing::poll_json(
        Duration::from_secs(10),
        "the warning",
        || {
            let (desk, admin) = (&t, t.admin());
            async move { desk.case(&admin, id).await }
        },
        |c| (c["sla"]["warned"] == true).then_some(c),
    )
    .await;
    let after = t.case(&t.admin(), id).await;

    assert_eq!(warned["version"], 2, "the warning is a change of the case");
    assert_ne!(
        etag(&after),
        first,
        "a cached copy is stale after the warning"
    );
    let cached = t
        .env
        .http
        .get(t.url(&format!("/api/v1/complaints/{id}")))
        .bearer_auth(t.admin())
        .header("if-none-match", first)
        .send()
        .await
        .expect("sent");
    assert_eq!(cached.status(), 200, "not a 304 for the old ETag");
    let body = json!({"policies": [{"category": "delay", "priority": "urgent",
        "first_response_minutes": 60, "resolution_minutes": 600}]});
    json_of(t.put(&t.admin(), "/api/v1/sla-policies", &body).await, 200).await;
    let recomputed = json_of(t.case(&t.admin(), id).await, 200).await;
    assert_eq!(
        recomputed["sla"]["first_response_due"],
        "2026-11-25T09:00:00Z"
    );
    assert_eq!(
        recomputed["version"], 3,
        "moved deadlines are a new version"
    );
    json_of(t.put(&t.admin(), "/api/v1/sla-policies", &body).await, 200).await;
    let unchanged = json_of(t.case(&t.admin(), id).await, 200).await;
    assert_eq!(unchanged["version"], 3, "the same deadlines are no change");
    t.stop().await;
}

/// A breach on a case already with the director (level 3) has nothing left to escalate: it is
/// recorded and the supervisor told, but no `escalate` entry or `complaint.escalated` claims a
/// move from 2 to 3.
#[test]
fn a_breach_at_the_top_level_is_recorded_and_notified_but_not_escalated() {
    use diesel::prelude::*;
    use kuaidi_complaints::workflow::sla::sweep_at_most;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let db = kuaidi_shared::testing::migrated_database(
        "complaints_top",
        kuaidi_complaints::startup::MIGRATIONS,
    );
    let mut conn = PgConnection::establish(&db).expect("test database");
    let once = format!("generate_series(1, 2) g, (SELECT '{START}'::timestamptz AS t) s");
    diesel::sql_query(received_cases("T", "at the top", &once))
        .execute(&mut conn)
        .expect("cases");
    diesel::sql_query("UPDATE complaints SET escalation_level = 3 WHERE number = 'T1'")
        .execute(&mut conn)
        .expect("T1 with the director");
    let count = |conn: &mut PgConnection, sql: &str| -> i64 {
        diesel::sql_query(sql).get_result::<N>(conn).expect(sql).n
    };

    sweep_at_most(&mut conn, time(START) + Minutes::days(10), 10).expect("sweep");

    let top = "(SELECT id FROM complaints WHERE number = 'T1')";
    // The rows of `table` about the case at the top that `filter` keeps.
    let of_top = |conn: &mut PgConnection, table: &str, filter: &str| -> i64 {
        count(
            conn,
            &format!("SELECT count(*) AS n FROM {table} WHERE complaint_id = {top} AND {filter}"),
        )
    };
    assert_eq!(
        count(
            &mut conn,
            "SELECT escalation_level::int8 AS n FROM complaints WHERE number = 'T1'"
        ),
        3
    );
    assert_eq!(
        of_top(&mut conn, "complaint_history", "action = 'escalate'"),
        0,
        "nothing was escalated"
    );
    assert_eq!(
        of_top(&mut conn, "complaint_history", "action = 'sla_breached'"),
        2,
        "both breaches are recorded"
    );
    assert_eq!(
        of_top(&mut conn, "staff_notifications", "kind = 'sla_breached'"),
        2,
        "the supervisor is told of each"
    );
    let escalated_events = |conn: &mut PgConnection, number: &str| -> i64 {
        count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM outbox, \
                   jsonb_array_elements(CASE jsonb_typeof(envelope::jsonb) WHEN 'array' \
                     THEN envelope::jsonb ELSE jsonb_build_array(envelope::jsonb) END) e \
                 WHERE e->>'type' = 'complaint.escalated' AND e->'data'->>'complaint_id' = \
                   (SELECT id::text FROM complaints WHERE number = '{number}')"
            ),
        )
    };
    assert_eq!(
        escalated_events(&mut conn, "T1"),
        0,
        "no complaint.escalated for the case at the top"
    );
    assert_eq!(
        (
            escalated_events(&mut conn, "T2"),
            count(
                &mut conn,
                "SELECT escalation_level::int8 AS n FROM complaints WHERE number = 'T2'"
            )
        ),
        (2, 2),
        "a case below the top still escalates, once per breached clock"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policies_carry_an_etag_that_a_change_moves_and_an_unchanged_one_is_304() {
    let t = Desk::at(START).await;
    let etag = |resp: &reqwest::Response| -> String {
        resp.headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .expect("an ETag")
            .to_owned()
    };
    let first = etag(&t.get(&t.admin(), "/api/v1/sla-policies").await);

    let unchanged = t
        .revalidate(&t.token(Role::Analyst), "/api/v1/sla-policies", &first)
        .await;
    let body = json!({"policies": [{"category": "delay", "priority": "low",
        "first_response_minutes": 600, "resolution_minutes": 6000}]});
    let put = t.put(&t.admin(), "/api/v1/sla-policies", &body).await;
    assert_eq!(put.status(), 200);
    let changed = etag(&put);

    assert_eq!(unchanged.status(), 304);
    assert_eq!(etag(&unchanged), first);
    assert_ne!(changed, first, "a change moves the tag");
    let read = t.get(&t.admin(), "/api/v1/sla-policies").await;
    assert_eq!(
        etag(&read),
        changed,
        "the PUT answers the tag a GET then gives"
    );
    assert_eq!(
        t.revalidate(&t.admin(), "/api/v1/sla-policies", &first)
            .await
            .status(),
        200,
        "the old tag names the old policies"
    );
    t.stop().await;
}
