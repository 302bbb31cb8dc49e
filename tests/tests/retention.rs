//! Bounded bus tables (SPEC §10, issue 12): every backend service purges published outbox rows
//! after 7 days and processed-event records after 30, in batches, keeping recent and unpublished
//! rows. The service runs on a manual clock; the test moves it and polls until the purge is seen.

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
         SELECT gen_random_uuid(), $1, '{}'::jsonb, COALESCE($2, now()), $2, \
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
    assert_eq!(
        count(&db, kept),
        2,
        "the unpublished rows outlive every retention; the recent ones are now old"
    );
    app.stop().await;
}
