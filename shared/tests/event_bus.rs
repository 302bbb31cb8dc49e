//! The event bus end to end against the real PostgreSQL and RabbitMQ: the transactional outbox,
//! the relay, idempotent consumers, retries into the DLQ, a broker outage and competing replicas.
//!
//! Every test has its own database, its own broker namespace (exchange `kt.<ns>.events`, queues
//! `kt.<ns>.*`) and its own service name, so the tests run in parallel and the per-service
//! metric counters belong to one test. An `effects` table without a unique key records every
//! application of an event, so a second effect would show as a second row.
#![cfg(feature = "testing")]

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use diesel_migrations::MigrationHarness;
use kuaidi_shared::db::{build_pool, PgPool, SHARED_MIGRATIONS};
use kuaidi_shared::events::catalogue::{CustomerCreatedV1, CustomerMergedV1};
use kuaidi_shared::events::consumer::{self, EventHandler, Subscription};
use kuaidi_shared::events::metrics::BUS;
use kuaidi_shared::events::relay::{self, BrokerStatus};
use kuaidi_shared::events::topology::QueueNames;
use kuaidi_shared::events::{CloudEvent, Consumers, Outbox};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::settings::AmqpSettings;
use kuaidi_shared::testing::{
    amqp_settings, bind_tap, connect, customer_created, eventually, fresh_database, namespace,
    BrokerProxy,
};
use lapin::options::BasicGetOptions;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// Longest wait for something the bus should do.
const WAIT: Duration = Duration::from_secs(15);
/// Subject of the barrier events ([`World::barrier`]): handled like any event, no effect.
const BARRIER: &str = "barrier";

// ------------------------------------------------------------------------------------------
// Fixtures
// ------------------------------------------------------------------------------------------

/// Records each applied event in `effects`; fails on purpose for subject `poison`; leaves no
/// effect for a [`BARRIER`].
#[derive(Default)]
struct Recorder {
    poison_calls: AtomicU32,
}

impl EventHandler for Recorder {
    fn event_types(&self) -> &[&'static str] {
        &["customer.created"]
    }

    fn handle(&self, conn: &mut PgConnection, event: &CloudEvent) -> anyhow::Result<()> {
        if event.subject.as_deref() == Some("poison") {
            self.poison_calls.fetch_add(1, Ordering::SeqCst);
            anyhow::bail!("poison: this event can never be handled");
        }
        if event.subject.as_deref() == Some(BARRIER) {
            return Ok(());
        }
        diesel::sql_query("INSERT INTO effects (event_id, subject) VALUES ($1, $2)")
            .bind::<diesel::sql_types::Uuid, _>(event.id)
            .bind::<Text, _>(event.subject.clone().unwrap_or_default())
            .execute(conn)?;
        Ok(())
    }
}

/// The [`Recorder`] as a batch handler ([`Consumers::on_batch`]): each run of events inserts
/// its effects in one statement, and fails whole when it holds a poison; `runs` keeps the
/// length of every run it was given.
fn batch_recorder(runs: Arc<Mutex<Vec<usize>>>) -> Consumers {
    Consumers::new().on_batch(move |conn, run: &[(&CloudEvent, CustomerCreatedV1)]| {
        runs.lock().expect("not poisoned").push(run.len());
        if run
            .iter()
            .any(|(e, _)| e.subject.as_deref() == Some("poison"))
        {
            anyhow::bail!("poison: this run can never be handled");
        }
        let (ids, subjects): (Vec<Uuid>, Vec<String>) = run
            .iter()
            .filter(|(e, _)| e.subject.as_deref() != Some(BARRIER))
            .map(|(e, _)| (e.id, e.subject.clone().unwrap_or_default()))
            .unzip();
        diesel::sql_query(
            "INSERT INTO effects (event_id, subject) SELECT * FROM unnest($1::uuid[], $2::text[])",
        )
        .bind::<Array<diesel::sql_types::Uuid>, _>(ids)
        .bind::<Array<Text>, _>(subjects)
        .execute(conn)?;
        Ok(())
    })
}

/// One test's world: a fresh database with the shared tables and `effects`, a broker
/// namespace, a service name of its own, and the bus tasks it started.
struct World {
    service: String,
    pool: PgPool,
    amqp: AmqpSettings,
    handler: Arc<Recorder>,
    /// A handler that takes the place of `handler`, when set.
    with: Option<Arc<dyn EventHandler>>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl World {
    fn new(label: &str) -> Self {
        kuaidi_shared::telemetry::init_for_tests();
        let pool = build_pool(&fresh_database(label), 8);
        let mut conn = pool.get().expect("a database connection");
        conn.run_pending_migrations(SHARED_MIGRATIONS)
            .expect("shared migrations");
        // No unique key on purpose: applying an event twice leaves two rows. `xact`: the
        // transaction that applied it.
        diesel::sql_query(
            "CREATE TABLE effects (id BIGSERIAL PRIMARY KEY, event_id UUID NOT NULL, \
             subject TEXT NOT NULL, xact BIGINT NOT NULL DEFAULT txid_current())",
        )
        .execute(&mut conn)
        .expect("effects table");
        let (stop, _) = watch::channel(false);
        Self {
            service: format!("eb{}", namespace()),
            pool,
            amqp: amqp_settings(&namespace()),
            handler: Arc::new(Recorder::default()),
            with: None,
            stop,
            tasks: Vec::new(),
        }
    }

    fn subscription(&self, amqp: &AmqpSettings) -> Subscription {
        Subscription {
            service: self.service.clone(),
            settings: amqp.clone(),
            pool: self.pool.clone(),
            handler: match &self.with {
                Some(with) => with.clone(),
                None => self.handler.clone(),
            },
        }
    }

    /// Declares the service's queues (as a service does before it reports started), then
    /// runs a consumer talking to the broker at `amqp`.
    async fn start_consumer(&mut self, amqp: &AmqpSettings) {
        consumer::declare(&self.subscription(amqp))
            .await
            .expect("queues declared");
        let task = tokio::spawn(consumer::run(
            self.subscription(amqp),
            self.stop.subscribe(),
        ));
        self.tasks.push(task);
    }

    /// Spawns a relay; the handle is returned (not kept) so a test can abort it as a crash.
    fn spawn_relay(
        &self,
        amqp: &AmqpSettings,
        outbox: &Outbox,
        status: &BrokerStatus,
    ) -> JoinHandle<()> {
        tokio::spawn(relay::run(
            self.service.clone(),
            amqp.clone(),
            self.pool.clone(),
            outbox.clone(),
            status.clone(),
            self.stop.subscribe(),
        ))
    }

    fn start_relay(&mut self, amqp: &AmqpSettings, outbox: &Outbox) {
        let task = self.spawn_relay(amqp, outbox, &BrokerStatus::default());
        self.tasks.push(task);
    }

    /// Writes `event` to the outbox in a committed transaction and wakes `outbox`'s relay.
    fn commit(&self, outbox: &Outbox, event: &CloudEvent) {
        let mut conn = self.pool.get().expect("a database connection");
        conn.transaction::<_, diesel::result::Error, _>(|c| Outbox::enqueue(c, event))
            .expect("transaction committed");
        outbox.wake();
    }

    /// Writes `events` to the outbox as batch messages (`Outbox::enqueue_batched`) in one
    /// committed transaction and wakes `outbox`'s relay.
    fn commit_batched(&self, outbox: &Outbox, events: &[CloudEvent]) {
        let mut conn = self.pool.get().expect("a database connection");
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            Outbox::enqueue_batched(c, events, Uuid::now_v7)
        })
        .expect("committed");
        outbox.wake();
    }

    /// The first message dead-lettered (taken off the DLQ), once there is one.
    async fn dead_letter(&self) -> lapin::message::BasicGetMessage {
        let names = QueueNames::new(&self.amqp, &self.service);
        let (conn, ch) = connect(&self.amqp).await;
        let dead = eventually(WAIT, "a message in the DLQ", || async {
            ch.basic_get(names.dlq.as_str().into(), BasicGetOptions { no_ack: true })
                .await
                .expect("basic.get on the DLQ")
        })
        .await;
        let _ = conn.close(200, "done".into()).await;
        dead
    }

    fn count(&self, sql: &str) -> i64 {
        count(&self.pool, sql)
    }

    fn effects(&self) -> i64 {
        self.count("SELECT COUNT(*) AS n FROM effects")
    }

    fn distinct_effects(&self) -> i64 {
        self.count("SELECT COUNT(DISTINCT event_id) AS n FROM effects")
    }

    fn effect_ids(&self) -> HashSet<Uuid> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            event_id: Uuid,
        }
        let mut conn = self.pool.get().expect("a database connection");
        diesel::sql_query("SELECT event_id FROM effects")
            .load::<Row>(&mut conn)
            .expect("effects")
            .into_iter()
            .map(|r| r.event_id)
            .collect()
    }

    /// Waits for `n` effects; a timeout says where the events stood (applied, still in the
    /// outbox), so a failure on a loaded machine tells a slow bus from a lost event.
    async fn wait_for_effects(&self, n: i64) {
        let seen = std::sync::Mutex::new((0, 0));
        let waited = tokio::time::timeout(WAIT * kuaidi_shared::testing::patience(), async {
            loop {
                let now = (
                    self.effects(),
                    self.count("SELECT COUNT(*) AS n FROM outbox WHERE published_at IS NULL"),
                );
                *seen.lock().expect("not poisoned") = now;
                if now.0 >= n {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        let (effects, unpublished) = *seen.lock().expect("not poisoned");
        assert!(
            waited.is_ok(),
            "timed out waiting for {n} effects: {effects} applied, {unpublished} outbox rows unpublished"
        );
    }

    /// Publishes a barrier event straight to the exchange, behind everything published so far,
    /// and waits until the consumer has handled it. The consumer handles one delivery at a
    /// time in queue order, so whatever was queued before — a duplicate, a stray — has been
    /// handled by then: "it did not happen" is then a fact, not a guess after a sleep. The
    /// barrier counts as one handled event (metric and `processed_events`), never as an effect.
    async fn barrier(&self) {
        let barrier = event(BARRIER);
        kuaidi_shared::testing::publish(&self.amqp, &barrier).await;
        let sql = format!(
            "SELECT COUNT(*) AS n FROM processed_events WHERE event_id = '{}'",
            barrier.id
        );
        eventually(WAIT, "the barrier handled", || async {
            (self.count(&sql) == 1).then_some(())
        })
        .await;
    }

    async fn wait_until_all_published(&self) {
        eventually(WAIT, "every outbox row marked published", || async {
            (self.count("SELECT COUNT(*) AS n FROM outbox WHERE published_at IS NULL") == 0)
                .then_some(())
        })
        .await;
    }

    fn metric(&self, counter: &prometheus::IntCounterVec) -> u64 {
        counter.with_label_values(&[self.service.as_str()]).get()
    }

    /// Waits until `counter` reaches `n`: a consumer counts an event once its transaction has
    /// committed, so a moment after the barrier's record is visible.
    async fn until_metric(&self, counter: &prometheus::IntCounterVec, n: u64) {
        eventually(WAIT, "the consumer's counts", || async {
            (self.metric(counter) >= n).then_some(())
        })
        .await;
    }

    /// Signals shutdown and waits for every task; a bus task that does not stop fails the test.
    async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("a bus task did not stop on shutdown")
                .expect("a bus task panicked");
        }
    }
}

fn count(pool: &PgPool, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = pool.get().expect("a database connection");
    diesel::sql_query(sql)
        .get_result::<N>(&mut conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

fn event(subject: &str) -> CloudEvent {
    let payload = customer_created(Uuid::now_v7(), None, Utc::now());
    CloudEvent::new(
        "customers",
        subject,
        &payload,
        &RequestContext::detached(),
        Uuid::now_v7(),
        Utc::now(),
    )
}

/// 700 good events of one type with a poison at place 600: as batch messages (500 a message),
/// the poison lands in the second.
fn good_and_a_poison() -> Vec<CloudEvent> {
    let mut events: Vec<CloudEvent> = (0..700).map(|i| event(&format!("good-{i}"))).collect();
    events.insert(600, event("poison"));
    events
}

/// A private queue bound with `#` to the test exchange: it receives one copy of every
/// message published there, so it counts publishes.
struct Tap {
    _conn: lapin::Connection,
    ch: lapin::Channel,
    queue: String,
}

impl Tap {
    /// Must be bound before the events are written, or it misses them.
    async fn bind(amqp: &AmqpSettings) -> Self {
        let (conn, ch) = connect(amqp).await;
        let queue = format!("{}tap", amqp.queue_prefix);
        bind_tap(&ch, amqp, &queue).await;
        Self {
            _conn: conn,
            ch,
            queue,
        }
    }

    /// Takes every message waiting now; returns their message ids (the event ids) and
    /// whether each is a barrier.
    async fn drain(&self) -> Vec<(String, bool)> {
        let mut ids = Vec::new();
        while let Some(msg) = self
            .ch
            .basic_get(self.queue.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .expect("basic.get on the tap")
        {
            let id = msg
                .delivery
                .properties
                .message_id()
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default();
            let event: Option<CloudEvent> = serde_json::from_slice(&msg.delivery.data).ok();
            let barrier = event.is_some_and(|e| e.subject.as_deref() == Some(BARRIER));
            ids.push((id, barrier));
        }
        ids
    }

    /// Collects what was published until a barrier published now (an event no consumer of
    /// the test binds) comes through: every publish confirmed before it is in the tap ahead of
    /// it, strays included. Returns the ids before the barrier.
    async fn collect(&self, amqp: &AmqpSettings) -> Vec<String> {
        let payload = CustomerMergedV1 {
            merge_id: Uuid::now_v7(),
            survivor_id: Uuid::now_v7(),
            duplicate_id: Uuid::now_v7(),
            merged_at: Utc::now(),
        };
        let barrier = CloudEvent::new(
            "customers",
            BARRIER,
            &payload,
            &RequestContext::detached(),
            Uuid::now_v7(),
            Utc::now(),
        );
        kuaidi_shared::testing::publish(amqp, &barrier).await;
        let barrier = barrier.id.to_string();
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        while !seen.iter().any(|(id, _)| *id == barrier) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the tap's barrier never came"
            );
            seen.extend(self.drain().await);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Barriers (the tap's own and the consumer's) are not what the test published.
        seen.into_iter()
            .filter(|(_, barrier)| !barrier)
            .map(|(id, _)| id)
            .collect()
    }
}

// ------------------------------------------------------------------------------------------
// 1. The outbox is transactional
// ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_in_a_rolled_back_transaction_is_never_published() {
    let mut w = World::new("ebrollback");
    let tap = Tap::bind(&w.amqp).await;
    let outbox = Outbox::new();
    let amqp = w.amqp.clone();
    w.start_consumer(&amqp).await;
    w.start_relay(&amqp, &outbox);

    let rolled_back = event("rolled-back");
    let committed = event("committed");
    let mut conn = w.pool.get().expect("a database connection");
    // The business write fails after the event was written: the transaction rolls back (what
    // that leaves — no outbox row, no publish, no effect — is asserted below).
    let _ = conn.transaction::<(), anyhow::Error, _>(|c| {
        Outbox::enqueue(c, &rolled_back)?;
        anyhow::bail!("the business write failed after the event was written")
    });
    outbox.wake(); // a careless caller waking the relay anyway must not matter
    w.commit(&outbox, &committed);

    w.wait_for_effects(1).await;
    w.wait_until_all_published().await;
    w.barrier().await;

    assert_eq!(
        w.effect_ids(),
        HashSet::from([committed.id]),
        "only the committed event has an effect"
    );
    assert_eq!(w.effects(), 1);
    assert_eq!(
        w.count("SELECT COUNT(*) AS n FROM outbox"),
        1,
        "the rolled-back outbox row must not exist"
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) AS n FROM outbox WHERE event_id = '{}'",
            rolled_back.id
        )),
        0
    );
    let published = tap.collect(&w.amqp).await;
    assert_eq!(
        published,
        vec![committed.id.to_string()],
        "the exchange saw exactly the committed event"
    );
    w.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_event_is_published_and_handled_once() {
    let mut w = World::new("ebcommitted");
    let tap = Tap::bind(&w.amqp).await;
    let outbox = Outbox::new();
    let amqp = w.amqp.clone();
    w.start_consumer(&amqp).await;
    w.start_relay(&amqp, &outbox);

    let committed = event("committed");
    w.commit(&outbox, &committed);

    w.wait_for_effects(1).await;
    w.wait_until_all_published().await;
    w.barrier().await;

    assert_eq!(w.effects(), 1, "applied exactly once");
    assert_eq!(w.effect_ids(), HashSet::from([committed.id]));
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) AS n FROM processed_events WHERE event_id = '{}' AND consumer = '{}'",
            committed.id, w.service
        )),
        1,
        "the consumer recorded the event as processed"
    );
    assert_eq!(
        w.count(
            "SELECT COUNT(*) AS n FROM outbox \
             WHERE published_at IS NOT NULL AND claimed_until IS NULL"
        ),
        1,
        "the outbox row is marked published and its claim released"
    );
    assert_eq!(
        tap.collect(&w.amqp).await,
        vec![committed.id.to_string()],
        "published once"
    );
    assert_eq!(w.metric(&BUS.published), 1);
    w.until_metric(&BUS.handled, 1 + 1).await;
    assert_eq!(w.metric(&BUS.handled), 1 + 1, "the event and the barrier");
    assert_eq!(w.metric(&BUS.duplicates), 0);
    w.shutdown().await;
}

// ------------------------------------------------------------------------------------------
// 2. At-least-once publishing, exactly-once effects
// ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_restarted_between_publish_and_mark_causes_no_second_effect() {
    let mut w = World::new("ebrestart");
    let tap = Tap::bind(&w.amqp).await;
    let outbox = Outbox::new();
    let amqp = w.amqp.clone();
    w.start_consumer(&amqp).await;
    let status = BrokerStatus::default();
    let first_relay = w.spawn_relay(&amqp, &outbox, &status);

    let once = event("once");
    w.commit(&outbox, &once);
    w.wait_for_effects(1).await;
    w.wait_until_all_published().await;
    assert_eq!(w.metric(&BUS.published), 1);

    // The relay dies (no flush, no goodbye) ...
    first_relay.abort();
    assert!(first_relay.await.expect_err("aborted").is_cancelled());
    // ... and leaves the state it would leave had it died after the broker confirmed the
    // publish but before it marked the row: unpublished and unclaimed.
    let reset = w.count(
        "WITH u AS (UPDATE outbox SET published_at = NULL, claimed_until = NULL RETURNING 1) \
         SELECT COUNT(*) AS n FROM u",
    );
    assert_eq!(reset, 1);
    let duplicates_before = w.metric(&BUS.duplicates);
    let deliveries = |w: &World| w.metric(&BUS.handled) + w.metric(&BUS.duplicates);
    let deliveries_before = deliveries(&w);

    // The restarted relay publishes the event a second time.
    let status = BrokerStatus::default();
    w.tasks.push(w.spawn_relay(&amqp, &outbox, &status));
    w.wait_until_all_published().await;
    eventually(WAIT, "the consumer to receive the event again", || async {
        (deliveries(&w) > deliveries_before).then_some(())
    })
    .await;
    w.barrier().await;

    assert_eq!(w.effects(), 1, "the duplicate had no second effect");
    assert_eq!(
        w.metric(&BUS.published),
        2,
        "the restarted relay published again"
    );
    assert_eq!(
        tap.collect(&w.amqp).await,
        vec![once.id.to_string(), once.id.to_string()],
        "the exchange saw the same event twice"
    );
    assert_eq!(w.metric(&BUS.duplicates), duplicates_before + 1);
    assert_eq!(
        w.metric(&BUS.handled),
        1 + 1,
        "handled once, acknowledged twice (and the barrier handled)"
    );
    assert_eq!(w.effect_ids(), HashSet::from([once.id]));
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) AS n FROM processed_events WHERE event_id = '{}'",
            once.id
        )),
        1
    );
    assert_eq!(
        w.count("SELECT COUNT(*) AS n FROM outbox WHERE published_at IS NOT NULL"),
        1,
        "the row is marked published again"
    );
    w.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_claimed_by_a_dead_relay_is_taken_over_when_its_lease_runs_out() {
    let mut w = World::new("eblease");
    let outbox = Outbox::new();
    let amqp = w.amqp.clone();
    w.start_consumer(&amqp).await;

    // A relay claimed this row and died before publishing it; its lease is still running.
    let orphan = event("orphan");
    w.commit(&outbox, &orphan);
    let claimed = w.count(
        "WITH u AS (UPDATE outbox SET claimed_until = now() + interval '1 hour' RETURNING 1) \
         SELECT COUNT(*) AS n FROM u",
    );
    assert_eq!(claimed, 1);

    // Another relay publishes what is free at once ...
    w.start_relay(&amqp, &outbox);
    let free = event("free");
    w.commit(&outbox, &free);
    eventually(WAIT, "the free row published", || async {
        (w.count(&format!(
            "SELECT COUNT(*) AS n FROM outbox WHERE event_id = '{}' AND published_at IS NOT NULL",
            free.id
        )) == 1)
            .then_some(())
    })
    .await;
    // ... and leaves the row under the dead relay's lease alone, however often it polls.
    w.wait_for_effects(1).await;
    w.barrier().await;
    assert_eq!(
        w.effect_ids(),
        HashSet::from([free.id]),
        "a live lease is respected"
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) AS n FROM outbox WHERE event_id = '{}' AND published_at IS NULL",
            orphan.id
        )),
        1,
        "a live lease is respected"
    );

    // The lease runs out (moved into the past rather than slept through).
    w.count(
        "WITH u AS (UPDATE outbox SET claimed_until = now() - interval '1 second' \
         WHERE published_at IS NULL RETURNING 1) SELECT COUNT(*) AS n FROM u",
    );
    // Once the lease runs out, the living relay takes the row over.
    w.wait_until_all_published().await;
    w.wait_for_effects(2).await;
    assert_eq!(w.effect_ids(), HashSet::from([orphan.id, free.id]));
    w.shutdown().await;
}

// ------------------------------------------------------------------------------------------
// 3. Retries and the DLQ
// ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_that_keeps_failing_ends_in_the_dlq_while_later_messages_flow() {
    let mut w = World::new("ebdlq");
    // Backoffs long enough (~1 s, then ~2 s) that the good events demonstrably overtake the
    // poison while it waits in the retry queue, instead of queueing behind its retries.
    w.amqp.retry_base_ms = 1_000;
    let outbox = Outbox::new();
    let amqp = w.amqp.clone();
    w.start_consumer(&amqp).await;
    w.start_relay(&amqp, &outbox);

    let poison = event("poison");
    w.commit(&outbox, &poison);
    let good: Vec<CloudEvent> = (0..20).map(|i| event(&format!("good-{i}"))).collect();
    for e in &good {
        w.commit(&outbox, e);
    }

    w.wait_for_effects(20).await;
    let calls_when_good_were_done = w.handler.poison_calls.load(Ordering::SeqCst);
    assert!(
        (1..w.amqp.max_attempts).contains(&calls_when_good_were_done),
        "the 20 later events were applied while the poison waited for a retry \
         (poison attempts by then: {calls_when_good_were_done})"
    );

    let names = QueueNames::new(&w.amqp, &w.service);
    let (conn, ch) = connect(&w.amqp).await;
    let dead = eventually(WAIT, "the poison message in the DLQ", || async {
        ch.basic_get(names.dlq.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .expect("basic.get on the DLQ")
    })
    .await;
    let dead_event: CloudEvent =
        serde_json::from_slice(&dead.delivery.data).expect("a CloudEvent in the DLQ");
    assert_eq!(dead_event.id, poison.id);
    assert_eq!(dead_event.subject.as_deref(), Some("poison"));
    assert_eq!(
        dead.delivery
            .properties
            .message_id()
            .as_ref()
            .map(|s| s.as_str().to_owned()),
        Some(poison.id.to_string())
    );
    assert_eq!(dead.message_count, 0, "only the poison is dead-lettered");

    w.barrier().await;
    assert_eq!(
        w.handler.poison_calls.load(Ordering::SeqCst),
        w.amqp.max_attempts,
        "attempted exactly max_attempts times"
    );
    assert_eq!(w.metric(&BUS.retried), u64::from(w.amqp.max_attempts - 1));
    assert_eq!(w.metric(&BUS.dead_lettered), 1);
    assert_eq!(w.effects(), 20);
    assert_eq!(
        w.effect_ids(),
        good.iter().map(|e| e.id).collect::<HashSet<_>>(),
        "every good event applied once, the poison not at all"
    );
    assert_eq!(w.distinct_effects(), 20);
    assert_eq!(
        w.count("SELECT COUNT(*) AS n FROM processed_events"),
        20 + 1,
        "the failed handling left no processed record behind (the 20 and the barrier)"
    );
    let after = ch
        .basic_get(names.dlq.as_str().into(), BasicGetOptions { no_ack: true })
        .await
        .expect("basic.get on the DLQ");
    assert!(after.is_none(), "nothing else reached the DLQ");
    let _ = conn.close(200, "done".into()).await;
    w.shutdown().await;
}

/// A backlog is handled in batches — far fewer transactions than events, one multiple-ack each —
/// and a poison in the middle of a batch costs only itself: the events before and after it are
/// applied once, the poison is attempted exactly `max_attempts` times and dead-lettered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_is_handled_in_batches_and_a_poison_in_one_costs_only_itself() {
    let mut w = World::new("ebbatch");
    w.amqp.retry_base_ms = 200;
    let outbox = Outbox::new();
    let amqp = w.amqp.clone();
    consumer::declare(&w.subscription(&amqp))
        .await
        .expect("queues declared");
    w.start_relay(&amqp, &outbox);
    let mut events: Vec<CloudEvent> = (0..120).map(|i| event(&format!("good-{i}"))).collect();
    events.insert(60, event("poison"));
    for e in &events {
        w.commit(&outbox, e);
    }
    // The whole backlog waits in the queue before the consumer starts.
    w.wait_until_all_published().await;
    w.start_consumer(&amqp).await;

    w.wait_for_effects(120).await;
    w.dead_letter().await;
    // Behind everything: once the barrier is handled, nothing else is still on its way.
    w.barrier().await;
    assert_eq!(w.effects(), 120, "every good event applied once");
    assert_eq!(w.distinct_effects(), 120);
    let transactions = w.count("SELECT COUNT(DISTINCT xact) AS n FROM effects");
    assert!(
        transactions <= 30,
        "120 queued events took {transactions} transactions: not batched"
    );
    assert_eq!(
        w.handler.poison_calls.load(Ordering::SeqCst),
        w.amqp.max_attempts,
        "the poison's handler ran once per delivery, not again for its batch"
    );
    assert_eq!(w.metric(&BUS.dead_lettered), 1);
    w.until_metric(&BUS.handled, 120 + 1).await;
    assert_eq!(w.metric(&BUS.handled), 120 + 1, "the 120 and the barrier");
    assert_eq!(
        w.count("SELECT COUNT(*) AS n FROM processed_events"),
        120 + 1,
        "the poison left no processed record behind (the 120 and the barrier)"
    );
    w.shutdown().await;
}

/// A group of events records its ids in one statement and still applies each event once: an
/// event already recorded and an event that comes twice in the same group are duplicates, and a
/// failing event rolls back the whole group's records with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_records_its_ids_at_once_and_applies_each_event_once() {
    use kuaidi_shared::events::consumer::{apply, apply_all, Handled};
    let w = World::new("ebgroup");
    let sub = w.subscription(&w.amqp);
    let (seen, twice, fresh) = (event("seen"), event("twice"), event("fresh"));
    assert_eq!(
        apply(&sub, seen.clone()).await.expect("applied"),
        Handled::Applied
    );

    let group = vec![seen.clone(), twice.clone(), fresh.clone(), twice.clone()];
    let outcomes = apply_all(&sub, group).await.expect("the group applied");
    assert_eq!(
        outcomes,
        vec![
            Handled::Duplicate,
            Handled::Applied,
            Handled::Applied,
            Handled::Duplicate
        ],
        "recorded before, new, new, and the same id again in the group"
    );
    assert_eq!(w.effects(), 3, "seen, twice and fresh, each applied once");
    assert_eq!(w.effect_ids(), HashSet::from([seen.id, twice.id, fresh.id]));

    let (good, poison) = (event("good"), event("poison"));
    let failed = apply_all(&sub, vec![good.clone(), poison])
        .await
        .expect_err("the poison fails the group");
    assert_eq!(failed.index, Some(1), "the failing event is named");
    assert_eq!(
        w.effects(),
        3,
        "the good event of the failed group left no effect"
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) AS n FROM processed_events WHERE event_id = '{}'",
            good.id
        )),
        0,
        "nor a processed record: it is handled again when retried"
    );
    assert_eq!(
        apply_all(&sub, vec![good.clone()]).await.expect("retried"),
        vec![Handled::Applied]
    );
}

/// Events written as batch messages (`Outbox::enqueue_batched`, CloudEvents batch format) are
/// published as few messages and handled one by one: each good event applied exactly once, a
/// good event that also came alone deduplicated by its id, and a poison in a batch holding back
/// only itself — the batch's other events are applied, the message is retried and finally
/// dead-lettered whole (its good events then come back as duplicates, with no second effect).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_messages_are_handled_event_by_event_and_a_poison_costs_only_itself() {
    let mut w = World::new("ebbatchmsg");
    w.amqp.retry_base_ms = 200;
    let outbox = Outbox::new();
    let amqp = w.amqp.clone();
    w.start_consumer(&amqp).await;
    w.start_relay(&amqp, &outbox);
    let events = good_and_a_poison();
    w.commit(&outbox, &events[10]);
    w.commit_batched(&outbox, &events);
    assert_eq!(
        w.count("SELECT COUNT(*) AS n FROM outbox WHERE events > 1"),
        2,
        "701 events of one type in two messages"
    );
    assert_eq!(w.count("SELECT SUM(events) AS n FROM outbox"), 702);

    w.wait_for_effects(700).await;
    let dead = w.dead_letter().await;
    let dead = CloudEvent::from_message(&dead.delivery.data).expect("a batch in the DLQ");
    assert_eq!(dead.len(), 201, "the second batch: events 500 to 700");
    assert!(dead.iter().any(|e| e.subject.as_deref() == Some("poison")));
    w.barrier().await;
    assert_eq!(w.effects(), 700, "every good event applied once");
    assert_eq!(
        w.effect_ids(),
        events
            .iter()
            .filter(|e| e.subject.as_deref() != Some("poison"))
            .map(|e| e.id)
            .collect::<HashSet<_>>()
    );
    assert_eq!(w.metric(&BUS.dead_lettered), 1);
    assert_eq!(
        w.count("SELECT COUNT(*) AS n FROM processed_events"),
        700 + 1,
        "the 700 and the barrier; the poison left no record"
    );
    w.shutdown().await;
}

/// A batch handler (`Consumers::on_batch`) is given the events that arrived together in one
/// call. A poison among them fails the whole run; the consumer then handles the message's
/// events one at a time, so every good event is applied exactly once and only the poison's
/// message is dead-lettered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_handler_takes_runs_of_events_and_a_poison_costs_only_itself() {
    let mut w = World::new("ebonbatch");
    w.amqp.retry_base_ms = 200;
    let runs = Arc::new(Mutex::new(Vec::new()));
    w.with = Some(Arc::new(batch_recorder(runs.clone())));
    let outbox = Outbox::new();
    let amqp = w.amqp.clone();
    w.start_consumer(&amqp).await;
    w.start_relay(&amqp, &outbox);
    w.commit_batched(&outbox, &good_and_a_poison());

    w.wait_for_effects(700).await;
    let dead = w.dead_letter().await;
    let dead = CloudEvent::from_message(&dead.delivery.data).expect("a batch in the DLQ");
    assert!(dead.iter().any(|e| e.subject.as_deref() == Some("poison")));
    w.barrier().await;
    assert_eq!(w.effects(), 700, "every good event applied once");
    assert_eq!(w.distinct_effects(), 700);
    assert_eq!(
        w.count("SELECT COUNT(*) AS n FROM processed_events"),
        700 + 1,
        "the 700 and the barrier; the poison left no record"
    );
    let runs = runs.lock().expect("not poisoned").clone();
    assert!(
        runs.iter().any(|&n| n >= 200),
        "a batch message's events came to the handler together: runs {runs:?}"
    );
    w.shutdown().await;
}

// ------------------------------------------------------------------------------------------
// 4. A broker outage
// ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_going_away_mid_stream_loses_no_event() {
    let mut w = World::new("eboutage");
    let proxy = BrokerProxy::start().await;
    let mut through_proxy = w.amqp.clone();
    through_proxy.url = proxy.url().into();
    let outbox = Outbox::new();
    w.start_consumer(&through_proxy).await;
    let status = BrokerStatus::default();
    w.tasks
        .push(w.spawn_relay(&through_proxy, &outbox, &status));
    eventually(WAIT, "the relay connected through the proxy", || async {
        status.is_connected().then_some(())
    })
    .await;

    let mut ids = HashSet::new();
    for i in 0..100 {
        if i == 50 {
            proxy.cut().await;
        }
        let e = event(&format!("e{i}"));
        ids.insert(e.id);
        w.commit(&outbox, &e);
    }
    // The outage is real: the relay noticed it while trying to publish the later events.
    eventually(WAIT, "the relay to notice the broker is gone", || async {
        (!status.is_connected()).then_some(())
    })
    .await;
    let unpublished = w.count("SELECT COUNT(*) AS n FROM outbox WHERE published_at IS NULL");
    assert!(
        unpublished >= 50,
        "events written during the outage wait in the outbox ({unpublished})"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.restore().await;

    w.wait_for_effects(100).await;
    w.wait_until_all_published().await;
    w.barrier().await;
    assert!(status.is_connected(), "the relay reconnected");
    assert_eq!(w.effects(), 100, "every event applied exactly once");
    assert_eq!(w.distinct_effects(), 100);
    assert_eq!(w.effect_ids(), ids);
    w.shutdown().await;
}

/// The consumer's reconnect backoff starts over once it is connected again: an outage late in a
/// service's life is not paid for with the maximum delay because of the outages before it. The
/// backoff grows with the losses in a row, which the consumer reports
/// (`kuaidi_consumer_broker_failures`): no stopwatch needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_backoff_starts_over_after_every_broker_outage() {
    let mut w = World::new("ebrepeat");
    let proxy = BrokerProxy::start().await;
    let mut through_proxy = w.amqp.clone();
    through_proxy.url = proxy.url().into();
    w.start_consumer(&through_proxy).await;
    let failures = || {
        BUS.consumer_failures
            .with_label_values(&[w.service.as_str()])
            .get()
    };

    let first = event("before");
    kuaidi_shared::testing::publish(&w.amqp, &first).await;
    w.wait_for_effects(1).await;
    for outage in 1..=5 {
        proxy.cut().await;
        eventually(WAIT, "the consumer to notice the outage", || async {
            (failures() >= 1).then_some(())
        })
        .await;
        proxy.restore().await;
        // Straight to the broker: only the consumer's way to it goes through the proxy.
        kuaidi_shared::testing::publish(&w.amqp, &event(&format!("after-{outage}"))).await;
        w.wait_for_effects(1 + outage).await;
        assert_eq!(
            failures(),
            0,
            "after outage {outage} the next one starts from the shortest backoff"
        );
    }
    assert_eq!(w.effects(), 6);
    assert_eq!(w.distinct_effects(), 6);
    w.shutdown().await;
}

// ------------------------------------------------------------------------------------------
// 5. Competing replicas
// ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_publish_and_handle_every_event_once() {
    let mut w = World::new("ebreplicas");
    let tap = Tap::bind(&w.amqp).await;
    let amqp = w.amqp.clone();
    // Two replicas of one service: one database, one queue, one outbox table; each replica
    // has its own in-process wake handle, as separate processes would.
    let outboxes = [Outbox::new(), Outbox::new()];
    for outbox in &outboxes {
        w.start_consumer(&amqp).await;
        w.start_relay(&amqp, outbox);
    }

    let mut ids = HashSet::new();
    for i in 0..200 {
        let e = event(&format!("e{i}"));
        ids.insert(e.id);
        w.commit(&outboxes[i % 2], &e);
    }

    w.wait_for_effects(200).await;
    w.wait_until_all_published().await;
    let published = tap.collect(&w.amqp).await;

    assert_eq!(w.effects(), 200, "every event applied exactly once");
    assert_eq!(w.distinct_effects(), 200);
    assert_eq!(w.effect_ids(), ids);
    assert_eq!(published.len(), 200, "every event published exactly once");
    let published: HashSet<Uuid> = published
        .iter()
        .map(|id| id.parse().expect("message id is the event id"))
        .collect();
    assert_eq!(published, ids);
    assert_eq!(w.metric(&BUS.published), 200);
    assert_eq!(w.metric(&BUS.handled), 200);
    assert_eq!(w.metric(&BUS.duplicates), 0);
    w.shutdown().await;
}
