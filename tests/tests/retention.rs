//! Bounded tables (SPEC §10, issue 12): every backend service purges published outbox rows
//! after 7 days and processed-event records after 30; shipments its finished webhook deliveries
//! after 30 days; the gateway idempotency records after 24 h and audit-log entries after its
//! configured retention (1 year) — in batches, keeping young rows. The process runs on a manual
//! clock; the test moves it and polls until the purge is seen. Under a week, a month and a year
//! of simulated time, with rows written at every step, each table holds only its window.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use kuaidi_shared::clock::Clock;
use kuaidi_shared::jobs::JOBS;
use kuaidi_shared::testing::{eventually, migrated_database, TestEnv};
use std::time::Duration as Wait;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(db: &str, sql: &str) -> i64 {
    let mut conn = PgConnection::establish(db).expect("test database");
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .expect("count")
        .n
}

/// `n` outbox rows published at `published` (None: not yet published, and claimed by no relay
/// we run, so the relay leaves them alone), tagged `tag` in their event type.
fn outbox_rows(db: &str, n: i64, published: Option<DateTime<Utc>>, tag: &str) {
    let mut conn = PgConnection::establish(db).expect("test database");
    diesel::sql_query(
        "INSERT INTO outbox (event_id, event_type, envelope, created_at, published_at, claimed_until) \
         SELECT gen_random_uuid(), $1, '{}', COALESCE($2, now()), $2, \
                CASE WHEN $2 IS NULL THEN 'infinity'::timestamptz END \
         FROM generate_series(1, $3)",
    )
    .bind::<Text, _>(tag)
    .bind::<diesel::sql_types::Nullable<Timestamptz>, _>(published)
    .bind::<BigInt, _>(n)
    .execute(&mut conn)
    .expect("outbox rows");
}

fn processed_rows(db: &str, n: i64, at: DateTime<Utc>, tag: &str) {
    let mut conn = PgConnection::establish(db).expect("test database");
    diesel::sql_query(
        "INSERT INTO processed_events (event_id, consumer, event_type, processed_at) \
         SELECT gen_random_uuid(), 'retention-test', $1, $2 FROM generate_series(1, $3)",
    )
    .bind::<Text, _>(tag)
    .bind::<Timestamptz, _>(at)
    .bind::<BigInt, _>(n)
    .execute(&mut conn)
    .expect("processed rows");
}

async fn until_count(db: &str, sql: &str, want: i64, what: &str) {
    eventually(Wait::from_secs(20), what, || async {
        (count(db, sql) == want).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_week_later_published_outbox_rows_are_gone_and_a_month_later_processed_events_too() {
    let t0 = Utc::now();
    let clock = Clock::manual(t0);
    let db = migrated_database("retention", kuaidi_analytics::startup::MIGRATIONS);
    let env = TestEnv::new();
    let mut settings = env.settings_with(db.clone());
    settings.jobs.tick_ms = Some(100);
    // Small batches, so one purge run needs several statements.
    settings.jobs.retention.batch_size = 10;
    settings.clock = clock.clone();
    let app = kuaidi_analytics::build(settings)
        .await
        .expect("analytics builds")
        .spawn();

    outbox_rows(&db, 25, Some(t0 - Duration::hours(1)), "old");
    outbox_rows(&db, 3, Some(t0 + Duration::days(2)), "recent");
    outbox_rows(&db, 2, None, "unpublished");
    processed_rows(&db, 25, t0 - Duration::hours(1), "old");
    processed_rows(&db, 3, t0 + Duration::days(9), "recent");
    let outbox_purged_before = JOBS.items.with_label_values(&["outbox_purge"]).get();

    clock.advance(Duration::days(7) + Duration::hours(1));
    until_count(
        &db,
        "SELECT count(*) AS n FROM outbox WHERE event_type = 'old'",
        0,
        "published outbox rows older than 7 days purged",
    )
    .await;
    let kept = "SELECT count(*) AS n FROM outbox WHERE event_type <> 'old'";
    assert_eq!(count(&db, kept), 5, "recent and unpublished rows stay");
    let processed = "SELECT count(*) AS n FROM processed_events";
    assert_eq!(
        count(&db, processed),
        28,
        "processed events stay for 30 days"
    );
    // The run's count is added when the run ends, just after its last statement.
    eventually(
        Wait::from_secs(5),
        "the job metrics to count the rows removed",
        || async {
            let purged = JOBS.items.with_label_values(&["outbox_purge"]).get();
            (purged >= outbox_purged_before + 25).then_some(())
        },
    )
    .await;

    clock.advance(Duration::days(23));
    until_count(
        &db,
        "SELECT count(*) AS n FROM processed_events WHERE event_type = 'old'",
        0,
        "processed events older than 30 days purged",
    )
    .await;
    assert_eq!(count(&db, processed), 3, "recent processed events stay");
    // The outbox purge runs on its own tick: it may come after the processed-events purge.
    until_count(
        &db,
        kept,
        2,
        "the unpublished rows outlive every retention; the recent ones are now old",
    )
    .await;
    app.stop().await;
}

/// Which purge a [`stays_bounded`] run watches: its job's metric label and the count of the
/// rows it purges.
struct Purge<'a> {
    db: &'a str,
    clock: &'a Clock,
    job: &'a str,
    count_sql: &'a str,
}

/// How a [`stays_bounded`] run moves time: `steps` moves of `step`, `per_step` rows written
/// before each, rows younger than `keep` kept.
struct Schedule {
    per_step: i64,
    step: Duration,
    steps: i64,
    keep: Duration,
}

/// Moves the clock by `step`, `steps` times, writing rows stamped "now" before each move
/// (`write(now, step_index)`); after each move waits until the purged table holds exactly the
/// rows still younger than `keep`, and asserts the metrics counted the removed rows.
async fn stays_bounded(purge: &Purge<'_>, write: impl Fn(DateTime<Utc>, i64), plan: Schedule) {
    let Purge {
        db,
        clock,
        job,
        count_sql,
    } = *purge;
    let Schedule {
        per_step,
        step,
        steps,
        keep,
    } = plan;
    let purged_before = JOBS.items.with_label_values(&[job]).get();
    let start = clock.now();
    let mut written = 0;
    for i in 0..steps {
        write(clock.now(), i);
        written += per_step;
        clock.advance(step);
        let now = clock.now();
        // Rows written at start + k·step are kept while younger than `keep`.
        let young = (0..=i)
            .filter(|k| now - (start + step * (*k as i32)) <= keep)
            .count() as i64;
        until_count(
            db,
            count_sql,
            young * per_step,
            &format!("{job}: only the rows younger than {keep} after step {i}"),
        )
        .await;
    }
    let removed = written - count(db, count_sql);
    eventually(Wait::from_secs(5), "the purge counted", || async {
        let purged = JOBS.items.with_label_values(&[job]).get();
        (purged >= purged_before + removed as u64).then_some(())
    })
    .await;
}

#[tokio::test]
async fn finished_webhook_deliveries_are_purged_after_30_days_and_the_table_stays_bounded() {
    let clock = Clock::manual(Utc::now());
    let db = migrated_database("retention_shipments", kuaidi_shipments::startup::MIGRATIONS);
    let env = TestEnv::new();
    let mut settings = env.settings_with(db.clone());
    settings.jobs.tick_ms = Some(100);
    settings.jobs.retention.batch_size = 10;
    settings.clock = clock.clone();
    let hooks = kuaidi_shipments::configuration::load_webhooks().expect("webhook settings");
    assert_eq!(hooks.retention_days, 30, "the default retention");
    let app = kuaidi_shipments::startup::build_with(settings, hooks)
        .await
        .expect("shipments builds")
        .spawn();
    let mut conn = PgConnection::establish(&db).expect("test database");
    let subscription = uuid::Uuid::now_v7();
    diesel::sql_query(
        "INSERT INTO webhook_subscriptions (id, owner_sub, url, events, secret_sealed, created_at) \
         VALUES ($1, 'retention-test', 'https://example.com/hook', '{*}', '\\x00', now())",
    )
    .bind::<diesel::sql_types::Uuid, _>(subscription)
    .execute(&mut conn)
    .expect("subscription");
    let deliveries = |status: &'static str| {
        let db = db.clone();
        move |at: DateTime<Utc>, n: i64| {
            let mut conn = PgConnection::establish(&db).expect("test database");
            diesel::sql_query(
                "INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, payload, \
                   status, next_attempt_at, retry_started_at, created_at, updated_at) \
                 SELECT gen_random_uuid(), $1, gen_random_uuid(), 'shipment.created', '{}', \
                   $2, $3 + interval '100 years', $3, $3, $3 FROM generate_series(1, $4)",
            )
            .bind::<diesel::sql_types::Uuid, _>(subscription)
            .bind::<Text, _>(status)
            .bind::<Timestamptz, _>(at)
            .bind::<BigInt, _>(n)
            .execute(&mut conn)
            .expect("deliveries");
        }
    };
    // A pending delivery (its next attempt far away) outlives the retention: it is not finished.
    deliveries("pending")(clock.now() - Duration::days(40), 2);
    let (succeeded, failed) = (deliveries("succeeded"), deliveries("failed"));
    stays_bounded(
        &Purge {
            db: &db,
            clock: &clock,
            job: "webhook_deliveries_purge",
            count_sql: "SELECT count(*) AS n FROM webhook_deliveries WHERE status <> 'pending'",
        },
        |at, i| {
            if i % 2 == 0 {
                succeeded(at, 12)
            } else {
                failed(at, 12)
            }
        },
        Schedule {
            per_step: 12,
            step: Duration::days(7),
            steps: 8,
            keep: Duration::days(30),
        },
    )
    .await;
    let pending = "SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending'";
    assert_eq!(count(&db, pending), 2, "pending deliveries stay");
    app.stop().await;
}

#[tokio::test]
async fn the_gateway_purges_idempotency_records_after_a_day_and_the_audit_log_after_a_year() {
    let clock = Clock::manual(Utc::now());
    let db = migrated_database("retention_gateway", kuaidi_gateway::startup::MIGRATIONS);
    let env = TestEnv::new();
    let defaults = kuaidi_gateway::configuration::defaults().expect("gateway defaults");
    assert_eq!(
        defaults.audit.retention_days, 365,
        "the default audit retention"
    );
    assert_eq!(defaults.idempotency.retention_hours, 24);
    let mut s = kuaidi_gateway::testing::settings_on(&env, db.clone());
    s.http.metrics_port = Some(0);
    s.http.workers = Some(1);
    s.bootstrap_admin_password = None;
    s.jobs.tick_ms = Some(100);
    s.jobs.retention.batch_size = 10;
    s.clock = clock.clone();
    let app = kuaidi_gateway::build(s)
        .await
        .expect("gateway builds")
        .spawn();

    let idempotency = |at: DateTime<Utc>, i: i64| {
        let mut conn = PgConnection::establish(&db).expect("test database");
        diesel::sql_query(
            "INSERT INTO idempotency_keys (principal, key, request_hash, status, created_at) \
             SELECT 'retention-test', $1 || '-' || g, 'h', 201, $2 FROM generate_series(1, 15) g",
        )
        .bind::<Text, _>(format!("step{i}"))
        .bind::<Timestamptz, _>(at)
        .execute(&mut conn)
        .expect("idempotency records");
    };
    // A week in steps of 6 hours: only the last day's records stay.
    stays_bounded(
        &Purge {
            db: &db,
            clock: &clock,
            job: "idempotency_purge",
            count_sql: "SELECT count(*) AS n FROM idempotency_keys",
        },
        idempotency,
        Schedule {
            per_step: 15,
            step: Duration::hours(6),
            steps: 28,
            keep: Duration::hours(24),
        },
    )
    .await;

    let audit = |at: DateTime<Utc>, _| {
        let mut conn = PgConnection::establish(&db).expect("test database");
        diesel::sql_query(
            "INSERT INTO audit_log (at, principal, action, outcome) \
             SELECT $1, 'retention-test', 'test', 'success' FROM generate_series(1, 25)",
        )
        .bind::<Timestamptz, _>(at)
        .execute(&mut conn)
        .expect("audit entries");
    };
    // Two years in steps of two months: only the last year's entries stay.
    stays_bounded(
        &Purge {
            db: &db,
            clock: &clock,
            job: "audit_log_purge",
            count_sql: "SELECT count(*) AS n FROM audit_log WHERE principal = 'retention-test'",
        },
        audit,
        Schedule {
            per_step: 25,
            step: Duration::days(61),
            steps: 12,
            keep: Duration::days(365),
        },
    )
    .await;
    app.stop().await;
}
