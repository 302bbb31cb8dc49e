//! Scale-out on one machine (SPEC §1): two replicas of every backend service on the same
//! databases and the same broker namespace, a round-robin in front of each service, load of
//! shipment creation, complaints and scan ingestion. Every event is published, consumed and
//! delivered to webhooks once (competing consumers, claimed outbox rows and deliveries), and
//! killing one replica of each service right after it acknowledged writes loses nothing.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use futures_util::future::join_all;
use kuaidi_shared::app::{Application, RunningApp};
use kuaidi_shared::auth::Role;
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::settings::ServiceSettings;
use kuaidi_shared::testing::{eventually, migrated_database, stub_server, EventTap, TestEnv};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The replicas of one service and a round-robin over those still in rotation, as a load
/// balancer in front of a Deployment.
struct Replicas {
    apps: Vec<Option<RunningApp>>,
    in_rotation: Mutex<Vec<String>>,
    next: AtomicUsize,
}

impl Replicas {
    /// `count` replicas of one service, all on the same database (`settings`).
    async fn start<F, Fut>(count: usize, settings: ServiceSettings, build: F) -> Self
    where
        F: Fn(ServiceSettings) -> Fut,
        Fut: Future<Output = anyhow::Result<Application>>,
    {
        let mut apps = Vec::new();
        for _ in 0..count {
            apps.push(Some(
                build(settings.clone()).await.expect("replica").spawn(),
            ));
        }
        let urls = apps.iter().flatten().map(RunningApp::url).collect();
        Self {
            apps,
            in_rotation: Mutex::new(urls),
            next: AtomicUsize::new(0),
        }
    }

    /// No replica (a service a test does not need).
    fn empty() -> Self {
        Self {
            apps: Vec::new(),
            in_rotation: Mutex::default(),
            next: AtomicUsize::new(0),
        }
    }

    /// The next replica in turn.
    fn url(&self, path: &str) -> String {
        let urls = self.in_rotation.lock().expect("rotation");
        let i = self.next.fetch_add(1, Ordering::Relaxed) % urls.len();
        format!("{}{path}", urls[i])
    }

    /// Takes replica `i` out of rotation, then kills it like a lost pod: no drain, no outbox
    /// flush, its unacknowledged deliveries left to the broker.
    async fn kill(&mut self, i: usize) {
        let app = self.apps[i].take().expect("replica still running");
        self.in_rotation
            .lock()
            .expect("rotation")
            .retain(|u| *u != app.url());
        app.kill().await;
    }

    async fn stop(self) {
        for app in self.apps.into_iter().flatten() {
            app.stop().await;
        }
    }
}

struct Cluster {
    env: TestEnv,
    customers: Replicas,
    shipments: Replicas,
    complaints: Replicas,
    analytics: Replicas,
}

impl Cluster {
    /// Two replicas of each backend service; each service's replicas share its database.
    async fn start() -> Self {
        let env = TestEnv::new();
        let on = |label, migrations| env.settings_with(migrated_database(label, migrations));
        let customers = on("customers", kuaidi_customers::startup::MIGRATIONS);
        let shipments = on("shipments", kuaidi_shipments::startup::MIGRATIONS);
        let complaints = on("complaints", kuaidi_complaints::startup::MIGRATIONS);
        let analytics = on("analytics", kuaidi_analytics::startup::MIGRATIONS);
        Self {
            customers: Replicas::start(2, customers, kuaidi_customers::build).await,
            shipments: Replicas::start(2, shipments, kuaidi_shipments::build).await,
            complaints: Replicas::start(2, complaints, kuaidi_complaints::build).await,
            analytics: Replicas::start(2, analytics, kuaidi_analytics::build).await,
            env,
        }
    }

    async fn post(&self, to: &Replicas, path: &str, body: Value) -> (u16, Value) {
        let token = self.env.token(Role::Admin, None);
        let resp = self
            .env
            .http
            .post(to.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request sent");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, from: &Replicas, path: &str) -> Option<Value> {
        let token = self.env.token(Role::Admin, None);
        let resp = self
            .env
            .http
            .get(from.url(path))
            .bearer_auth(token)
            .send()
            .await
            .ok()?;
        resp.json().await.ok()
    }

    /// Creates `count` shipments of `customer` at once, spread over the shipments replicas;
    /// returns their tracking numbers.
    async fn ship(&self, customer: &str, count: usize) -> Vec<String> {
        let creations = (0..count).map(|i| {
            self.post(
                &self.shipments,
                "/api/v1/shipments",
                json!({
                    "recipient": {"name": "张三", "phone": format!("138{:08}", i), "address": "建国路 88 号", "city": "北京"},
                    "origin": {"city": "上海"}, "destination": {"city": "北京"},
                    "service_level": "express", "weight_kg": 1.5,
                    "freight": {"amount": "20.00", "currency": "CNY"},
                    "shipper_customer_id": customer,
                    "merchant_id": "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01"
                }),
            )
        });
        let mut numbers = Vec::new();
        for (status, body) in join_all(creations).await {
            assert_eq!(status, 201, "shipment created: {body}");
            numbers.push(body["tracking_number"].as_str().expect("tn").to_owned());
        }
        numbers
    }

    /// Opens `count` complaints at once, spread over the complaints replicas.
    async fn complain(&self, count: usize) {
        let openings = (0..count).map(|i| {
            self.post(
                &self.complaints,
                "/api/v1/complaints",
                json!({"type": "complaint", "channel": "phone", "description": format!("parcel {i} late"), "category": "delay"}),
            )
        });
        for (status, body) in join_all(openings).await {
            assert_eq!(status, 201, "complaint opened: {body}");
        }
    }

    /// Scans every parcel in transit, out for delivery and delivered, in batches spread over
    /// the shipments replicas; every batch is sent twice (a client retry landing on another
    /// replica). Returns how many scans were accepted and how many were duplicates.
    async fn scan(&self, numbers: &[String]) -> (usize, usize) {
        let t0 = Utc::now() - chrono::Duration::minutes(30);
        let steps = [
            ("in_transit", 0),
            ("out_for_delivery", 10),
            ("delivered", 20),
        ];
        let events: Vec<Value> = numbers
            .iter()
            .flat_map(|tn| {
                steps.iter().map(move |(status, minutes)| {
                    json!({
                        "tracking_number": tn, "event_id": format!("{tn}-{status}"), "status": status,
                        "occurred_at": (t0 + chrono::Duration::minutes(*minutes)).to_rfc3339(),
                        "location": {"city": "北京"}
                    })
                })
            })
            .collect();
        let (mut accepted, mut duplicates) = (0, 0);
        for batch in events.chunks(30) {
            for _ in 0..2 {
                let (status, body) = self
                    .post(
                        &self.shipments,
                        "/api/v1/tracking-events:batch",
                        json!({ "events": batch }),
                    )
                    .await;
                assert_eq!(status, 200, "batch ingested: {body}");
                for r in body["results"].as_array().expect("results") {
                    match r["result"].as_str() {
                        Some("accepted") => accepted += 1,
                        Some("duplicate") => duplicates += 1,
                        other => panic!("scan {r} answered {other:?}"),
                    }
                }
            }
        }
        (accepted, duplicates)
    }

    /// One wave of load: `shipments` shipments of `customer` and `complaints` complaints at
    /// once, then every parcel scanned to delivery (each batch sent twice). Returns the
    /// tracking numbers.
    async fn load(&self, customer: &str, shipments: usize, complaints: usize) -> Vec<String> {
        let numbers = self.ship(customer, shipments).await;
        self.complain(complaints).await;
        let (accepted, duplicates) = self.scan(&numbers).await;
        let scans = 3 * shipments;
        assert_eq!(
            (accepted, duplicates),
            (scans, scans),
            "each scan accepted once, its retry a duplicate"
        );
        numbers
    }

    async fn stop(self) {
        self.customers.stop().await;
        self.shipments.stop().await;
        self.complaints.stop().await;
        self.analytics.stop().await;
    }
}

/// A merchant's webhook endpoint: records the event id of every request it gets.
struct Receiver {
    got: Arc<Mutex<Vec<String>>>,
    url: String,
}

impl Receiver {
    async fn start() -> Self {
        let got = Arc::new(Mutex::new(Vec::new()));
        let (port, _) = stub_server(web::Data::from(got.clone()), receive);
        let url = format!("http://127.0.0.1:{port}/hook");
        Self { got, url }
    }

    /// Every request so far, once `n` distinct events have arrived.
    async fn distinct(&self, n: usize) -> Vec<String> {
        let what = format!("{n} distinct events at the webhook receiver");
        eventually(Duration::from_secs(30), &what, || async {
            let got = self.got.lock().expect("lock").clone();
            (got.iter().collect::<HashSet<_>>().len() >= n).then_some(got)
        })
        .await
    }
}

async fn receive(req: HttpRequest, got: web::Data<Mutex<Vec<String>>>) -> HttpResponse {
    let id = req
        .headers()
        .get("kuaidi-event-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    got.lock().expect("lock").push(id.to_owned());
    HttpResponse::Ok().finish()
}

/// The events waiting on the tap: (type, id).
async fn drain(tap: &EventTap) -> Vec<(String, String)> {
    let mut events = Vec::new();
    while let Some(CloudEvent { type_, id, .. }) = tap.try_next().await {
        events.push((type_, id.to_string()));
    }
    events
}

const MERCHANT: &str = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_of_every_service_handle_each_event_once_and_losing_one_loses_nothing() {
    // Webhook endpoints on loopback (the receiver below); set before the replicas read it.
    std::env::set_var("KUAIDI_SHIPMENTS__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true");
    let mut cluster = Cluster::start().await;
    let tap = cluster.env.tap().await;
    let receiver = Receiver::start().await;
    let merchant = cluster
        .env
        .token(Role::Merchant, Some(MERCHANT.parse().expect("uuid")));
    let hook = cluster
        .env
        .http
        .post(cluster.shipments.url("/api/v1/webhooks"))
        .bearer_auth(merchant)
        .json(&json!({"url": receiver.url, "events": ["shipment.delivered"]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(hook.status(), 201, "webhook registered");
    let (status, customer) = cluster
        .post(
            &cluster.customers,
            "/api/v1/customers",
            json!({"kind": "business", "name": "Acme Trading", "phones": ["13900001111"]}),
        )
        .await;
    assert_eq!(status, 201, "customer created: {customer}");
    let customer = customer["id"].as_str().expect("id").to_owned();

    // Both replicas of everything serve, relay, consume and deliver webhooks: each event is
    // handled by one of them, each webhook delivery claimed and sent by one of them.
    cluster.load(&customer, 20, 6).await;
    let delivered = receiver.distinct(20).await;
    assert_eq!(delivered.len(), 20, "no event delivered by both replicas");

    // More load, and right after it is acknowledged one replica of each service is lost, like
    // a pod on a failed node: no drain, no outbox flush, its unacknowledged deliveries left to
    // the broker, its claims on outbox rows and webhook deliveries left to expire.
    cluster.load(&customer, 10, 3).await;
    cluster.shipments.kill(1).await;
    cluster.customers.kill(0).await;
    cluster.complaints.kill(1).await;
    cluster.analytics.kill(0).await;
    cluster.load(&customer, 10, 3).await;

    eventually(
        Duration::from_secs(30),
        "the customer's stats to count the 40 shipments",
        || async {
            let path = format!("/api/v1/customers/{customer}");
            let n =
                cluster.get(&cluster.customers, &path).await?["stats"]["shipments_12m"].as_i64()?;
            assert!(n <= 40, "a shipment.created counted twice: {n}");
            (n == 40).then_some(())
        },
    )
    .await;
    let today = Utc::now().date_naive().to_string();
    let kpis = format!("/api/v1/analytics/kpis?from={today}&to={today}&granularity=day");
    eventually(
        Duration::from_secs(30),
        "today's KPIs to count 40 shipments and 12 complaints",
        || async {
            let k = cluster.get(&cluster.analytics, &kpis).await?;
            let (shipments, complaints) = (
                k["data"][0]["shipments"].as_i64()?,
                k["data"][0]["complaints"].as_i64()?,
            );
            assert!(
                shipments <= 40 && complaints <= 12,
                "an event counted twice: {k}"
            );
            (shipments == 40 && complaints == 12).then_some(())
        },
    )
    .await;
    // Distinct ids by type: a relay may publish a row twice after a lost claim (consumers
    // dedupe), but every event written must be published.
    let seen: Mutex<HashMap<String, HashSet<String>>> = Mutex::default();
    eventually(Duration::from_secs(30), "every event published", || async {
        let fresh = drain(&tap).await;
        let mut seen = seen.lock().expect("seen");
        for (event_type, id) in fresh {
            seen.entry(event_type).or_default().insert(id);
        }
        let count = |t: &str| seen.get(t).map_or(0, HashSet::len);
        let expected = [
            ("shipment.created", 40),
            ("shipment.status_changed", 120),
            ("shipment.delivered", 40),
            ("complaint.received", 12),
            ("customer.created", 1),
        ];
        expected.iter().all(|(t, n)| count(t) == *n).then_some(())
    })
    .await;
    // At least once: a delivery in flight on the killed replica may be sent again.
    receiver.distinct(40).await;
    cluster.stop().await;
}

/// The first install of a Deployment starts its replicas together on an empty database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_starting_together_on_an_empty_database_migrate_it_once_and_all_come_up() {
    let env = TestEnv::new();
    let settings = env.settings_with(kuaidi_shared::testing::fresh_database("shipments"));
    let (a, b, c) = tokio::join!(
        kuaidi_shipments::build(settings.clone()),
        kuaidi_shipments::build(settings.clone()),
        kuaidi_shipments::build(settings),
    );
    for app in [a, b, c] {
        app.expect("every replica starts").spawn().stop().await;
    }
}

/// SPEC §1: scheduled sweeps run on one replica at a time. Two shipments replicas on a manual
/// clock (every job ticking each 100 ms) both try the expiry sweep once the clock passes 30
/// idle days: each idle shipment is expired once, with one `shipment.status_changed` event.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_expiry_sweep_on_two_replicas_expires_each_idle_shipment_once() {
    let env = TestEnv::new();
    let clock = kuaidi_shared::clock::Clock::manual(Utc::now());
    let mut settings = env.settings_with(migrated_database(
        "shipments",
        kuaidi_shipments::startup::MIGRATIONS,
    ));
    settings.clock = clock.clone();
    settings.jobs.tick_ms = Some(100);
    let shipments = Replicas::start(2, settings, kuaidi_shipments::build).await;
    let cluster = Cluster {
        customers: Replicas::empty(),
        complaints: Replicas::empty(),
        analytics: Replicas::empty(),
        shipments,
        env,
    };
    let tap = cluster.env.tap().await;
    let numbers = cluster.ship(&uuid::Uuid::now_v7().to_string(), 10).await;

    clock.advance(chrono::Duration::days(31));
    let expired: Mutex<HashMap<String, HashSet<String>>> = Mutex::default();
    eventually(Duration::from_secs(30), "10 shipments expired", || async {
        let mut fresh = Vec::new();
        while let Some(event) = tap.try_next().await {
            if event.type_ == "shipment.status_changed" && event.data["to"] == "expired" {
                let tn = event.data["tracking_number"].as_str().unwrap_or_default();
                fresh.push((tn.to_owned(), event.id.to_string()));
            }
        }
        let mut expired = expired.lock().expect("expired");
        for (tn, id) in fresh {
            expired.entry(tn).or_default().insert(id);
        }
        (expired.len() == numbers.len()).then_some(())
    })
    .await;
    let expired = expired.into_inner().expect("expired");
    for tn in &numbers {
        assert_eq!(expired[tn].len(), 1, "{tn} expired once");
        let shipment = cluster
            .get(&cluster.shipments, &format!("/api/v1/shipments/{tn}"))
            .await
            .expect("shipment");
        assert_eq!(shipment["status"], "expired");
    }
    cluster.stop().await;
}
