//! The event bus against real PostgreSQL and RabbitMQ: outbox atomicity, at-least-once with no
//! second effect, dead-lettering without blocking, broker outages, competing replicas. Each test
//! has its own database and its own exchange and queue names.

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_migrations::MigrationHarness;
use kuaidi_shared::db::{build_pool, PgPool, SHARED_MIGRATIONS};
use kuaidi_shared::events::catalogue::CustomerCreatedV1;
use kuaidi_shared::events::consumer::{self, EventHandler, Subscription};
use kuaidi_shared::events::metrics::BUS;
use kuaidi_shared::events::relay::{self, BrokerStatus};
use kuaidi_shared::events::topology::QueueNames;
use kuaidi_shared::events::{CloudEvent, Outbox};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::settings::AmqpSettings;
use kuaidi_shared::testing::{
    amqp_settings, eventually, fresh_database, namespace, BrokerProxy, EventTap,
};
use secrecy::ExposeSecret;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(20);

/// Records each applied event in `effects`, failing on purpose for subject `poison`.
struct Recorder {
    poison_calls: AtomicU32,
}

impl EventHandler for Recorder {
    fn event_types(&self) -> &'static [&'static str] {
        &["customer.created"]
    }

    fn handle(&self, conn: &mut PgConnection, event: &CloudEvent) -> anyhow::Result<()> {
        if event.subject.as_deref() == Some("poison") {
            self.poison_calls.fetch_add(1, Ordering::SeqCst);
            anyhow::bail!("this event can never be handled");
        }
        diesel::sql_query("INSERT INTO effects (event_id, subject) VALUES ($1, $2)")
            .bind::<diesel::sql_types::Uuid, _>(event.id)
            .bind::<Text, _>(event.subject.clone().unwrap_or_default())
            .execute(conn)?;
        Ok(())
    }
}

/// One test's world: a database with the outbox and an `effects` table (no unique key, so a
/// second application would show), broker settings, and running bus tasks.
struct World {
    service: String,
    pool: PgPool,
    amqp: AmqpSettings,
    outbox: Outbox,
    handler: Arc<Recorder>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl World {
    fn new() -> Self {
        kuaidi_shared::telemetry::init_for_tests();
        let pool = build_pool(&fresh_database("bus"), 6);
        let mut conn = pool.get().expect("connection");
        conn.run_pending_migrations(SHARED_MIGRATIONS)
            .expect("migrations");
        diesel::sql_query("CREATE TABLE effects (id BIGSERIAL PRIMARY KEY, event_id UUID NOT NULL, subject TEXT NOT NULL)")
            .execute(&mut conn)
            .expect("effects table");
        let (stop, _) = watch::channel(false);
        Self {
            service: format!("bus{}", namespace()),
            pool,
            amqp: amqp_settings(&namespace()),
            outbox: Outbox::new(),
            handler: Arc::new(Recorder {
                poison_calls: AtomicU32::new(0),
            }),
            stop,
            tasks: Vec::new(),
        }
    }

    fn subscription(&self, amqp: &AmqpSettings) -> Subscription {
        Subscription {
            service: self.service.clone(),
            settings: amqp.clone(),
            pool: self.pool.clone(),
            handler: self.handler.clone(),
        }
    }

    /// Starts a relay and a consumer (one replica) talking to the broker at `amqp`.
    async fn start_replica(&mut self, amqp: &AmqpSettings) {
        consumer::declare(&self.subscription(amqp))
            .await
            .expect("queues declared");
        self.tasks.push(tokio::spawn(consumer::run(
            self.subscription(amqp),
            self.stop.subscribe(),
        )));
        self.tasks.push(self.relay(amqp));
    }

    fn relay(&self, amqp: &AmqpSettings) -> JoinHandle<()> {
        tokio::spawn(relay::run(
            self.service.clone(),
            amqp.clone(),
            self.pool.clone(),
            self.outbox.clone(),
            BrokerStatus::default(),
            self.stop.subscribe(),
        ))
    }

    fn event(subject: &str) -> CloudEvent {
        let payload = CustomerCreatedV1 {
            customer_id: Uuid::now_v7(),
            kind: "individual".into(),
            merchant_id: None,
            owner_id: None,
            city: None,
            province: None,
            value_tier: "small".into(),
            lifecycle_stage: "prospect".into(),
            created_at: Utc::now(),
        };
        CloudEvent::new(
            "customers",
            subject,
            &payload,
            &RequestContext::detached(),
            Uuid::now_v7(),
            Utc::now(),
        )
    }

    /// Writes `event` in a committed transaction and wakes the relay.
    fn commit(&self, event: &CloudEvent) {
        let mut conn = self.pool.get().expect("connection");
        conn.transaction::<_, diesel::result::Error, _>(|c| Outbox::enqueue(c, event))
            .expect("committed");
        self.outbox.wake();
    }

    fn count(&self, sql: &str) -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let mut conn = self.pool.get().expect("connection");
        diesel::sql_query(sql)
            .get_result::<N>(&mut conn)
            .expect("count")
            .n
    }

    async fn wait_for_effects(&self, n: i64) {
        eventually(WAIT, &format!("{n} applied events"), || async {
            (self.count("SELECT COUNT(*) AS n FROM effects") >= n).then_some(())
        })
        .await;
    }

    async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_in_a_rolled_back_transaction_is_never_published_and_a_committed_one_is_handled_once(
) {
    let mut w = World::new();
    let amqp = w.amqp.clone();
    w.start_replica(&amqp).await;
    let rolled_back = World::event("rolled-back");
    let committed = World::event("committed");

    let mut conn = w.pool.get().expect("connection");
    let result = conn.transaction::<(), diesel::result::Error, _>(|c| {
        Outbox::enqueue(c, &rolled_back)?;
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(result.is_err());
    w.commit(&committed);

    w.wait_for_effects(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // room for a wrong second effect
    assert_eq!(w.count("SELECT COUNT(*) AS n FROM effects"), 1);
    assert_eq!(
        w.count("SELECT COUNT(*) AS n FROM effects WHERE subject = 'committed'"),
        1
    );
    assert_eq!(
        w.count("SELECT COUNT(*) AS n FROM outbox"),
        1,
        "the rolled-back row never existed"
    );
    eventually(WAIT, "the row marked published", || async {
        (w.count("SELECT COUNT(*) AS n FROM outbox WHERE published_at IS NOT NULL") == 1)
            .then_some(())
    })
    .await;
    w.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_restarted_between_publish_and_mark_republishes_with_no_second_effect() {
    let mut w = World::new();
    let amqp = w.amqp.clone();
    w.start_replica(&amqp).await;
    let event = World::event("once");
    w.commit(&event);
    w.wait_for_effects(1).await;
    eventually(WAIT, "the row marked published", || async {
        (w.count("SELECT COUNT(*) AS n FROM outbox WHERE published_at IS NOT NULL") == 1)
            .then_some(())
    })
    .await;
    let duplicates_before = BUS
        .duplicates
        .with_label_values(&[w.service.as_str()])
        .get();

    // The state a relay leaves when it dies after the broker confirmed but before the mark.
    w.count("WITH u AS (UPDATE outbox SET published_at = NULL, claimed_until = NULL RETURNING 1) SELECT COUNT(*) AS n FROM u");
    w.outbox.wake();

    eventually(WAIT, "the consumer to see the redelivery", || async {
        (BUS.duplicates
            .with_label_values(&[w.service.as_str()])
            .get()
            > duplicates_before)
            .then_some(())
    })
    .await;
    assert_eq!(
        w.count("SELECT COUNT(*) AS n FROM effects"),
        1,
        "a duplicate must have no second effect"
    );
    assert_eq!(w.count("SELECT COUNT(*) AS n FROM processed_events"), 1);
    assert_eq!(
        w.count("SELECT COUNT(*) AS n FROM outbox WHERE published_at IS NOT NULL"),
        1
    );
    w.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_keeps_failing_ends_in_the_dlq_while_later_messages_flow() {
    let mut w = World::new();
    let amqp = w.amqp.clone();
    w.start_replica(&amqp).await;

    w.commit(&World::event("poison"));
    for i in 0..20 {
        w.commit(&World::event(&format!("good-{i}")));
    }

    w.wait_for_effects(20).await;
    let names = QueueNames::new(&w.amqp, &w.service);
    let conn = lapin::Connection::connect(w.amqp.url.expose_secret(), Default::default())
        .await
        .expect("connect");
    let ch = conn.create_channel().await.expect("channel");
    let dead = eventually(WAIT, "the poison message in the DLQ", || async {
        let msg = ch
            .basic_get(
                names.dlq.as_str().into(),
                lapin::options::BasicGetOptions { no_ack: true },
            )
            .await
            .ok()??;
        serde_json::from_slice::<CloudEvent>(&msg.delivery.data).ok()
    })
    .await;
    assert_eq!(dead.subject.as_deref(), Some("poison"));
    assert_eq!(
        w.handler.poison_calls.load(Ordering::SeqCst),
        w.amqp.max_attempts,
        "tried exactly max_attempts times"
    );
    assert_eq!(
        w.count("SELECT COUNT(*) AS n FROM effects WHERE subject = 'poison'"),
        0
    );
    assert_eq!(w.count("SELECT COUNT(*) AS n FROM effects"), 20);
    let _ = conn.close(200, "done".into()).await;
    w.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_going_away_mid_stream_loses_no_event() {
    let mut w = World::new();
    let proxy = BrokerProxy::start().await;
    let mut through_proxy = w.amqp.clone();
    through_proxy.url = proxy.url().into();
    w.start_replica(&through_proxy).await;

    for i in 0..50 {
        w.commit(&World::event(&format!("before-{i}")));
    }
    w.wait_for_effects(10).await;
    proxy.cut().await;
    for i in 0..50 {
        w.commit(&World::event(&format!("during-{i}")));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.restore().await;

    w.wait_for_effects(100).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.count("SELECT COUNT(*) AS n FROM effects"), 100);
    assert_eq!(
        w.count("SELECT COUNT(DISTINCT event_id) AS n FROM effects"),
        100
    );
    w.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_publish_and_handle_every_event_exactly_once() {
    let mut w = World::new();
    let tap = EventTap::bind(&w.amqp).await;
    let amqp = w.amqp.clone();
    w.start_replica(&amqp).await;
    w.start_replica(&amqp).await;

    let mut ids = std::collections::HashSet::new();
    for i in 0..200 {
        let e = World::event(&format!("e{i}"));
        ids.insert(e.id);
        w.commit(&e);
    }

    w.wait_for_effects(200).await;
    let mut published = Vec::new();
    while published.len() < 200 {
        published.push(tap.next_of_type("customer.created", WAIT).await.id);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        tap.try_next().await.is_none(),
        "an event was published twice"
    );
    assert_eq!(
        published
            .iter()
            .copied()
            .collect::<std::collections::HashSet<_>>(),
        ids
    );
    assert_eq!(w.count("SELECT COUNT(*) AS n FROM effects"), 200);
    assert_eq!(
        w.count("SELECT COUNT(DISTINCT event_id) AS n FROM effects"),
        200
    );
    w.shutdown().await;
}
