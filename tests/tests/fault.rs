//! Whole-system faults (SPEC §10, issue 12): the five real processes, each on its own database,
//! RabbitMQ and PostgreSQL behind proxies the test cuts. Nothing accepted is lost when every
//! service is killed with `kill -9` and the broker is cut under load; PostgreSQL down answers
//! 503 problem+json and recovers without a restart; RabbitMQ down at start-up leaves the
//! services up, not ready, and catching up when it comes.
//!
//! Size: `KUAIDI_FAULT_SHIPMENTS` shipments at least (default 60, what `make test` runs;
//! `make fault` runs more). Run alone: `bash fault/run.sh`.

use chrono::{Days, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use kuaidi_tests::processes::{Options, System, PROCESSES, SERVICES};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const MERCHANT: &str = "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01";

fn size() -> usize {
    std::env::var("KUAIDI_FAULT_SHIPMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
}

fn shipment(customer: &str, i: usize) -> Value {
    json!({
        "recipient": {"name": "张三", "phone": format!("138{:08}", i % 100_000_000), "address": "建国路 88 号", "city": "北京"},
        "origin": {"city": "上海"}, "destination": {"city": "北京"},
        "service_level": "express", "weight_kg": 1.5,
        "freight": {"amount": "20.00", "currency": "CNY"},
        "shipper_customer_id": customer, "merchant_id": MERCHANT
    })
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Shipments committed in the shipments database: the truth the projections must match.
fn committed_shipments(system: &System) -> i64 {
    let mut conn = PgConnection::establish(&system.shipments.database_url).expect("shipments db");
    diesel::sql_query("SELECT count(*) AS n FROM shipments")
        .get_result::<Count>(&mut conn)
        .expect("count")
        .n
}

async fn create_customer(system: &System, token: &str) -> String {
    let (status, _, body) = system
        .call(
            Method::POST,
            "/api/v1/customers",
            token,
            Some(&json!({"kind": "business", "name": "Acme Trading", "merchant_id": MERCHANT})),
        )
        .await
        .expect("customer created");
    assert_eq!(status, 201, "customer created: {body}");
    body["id"].as_str().expect("id").to_owned()
}

async fn create_shipment(system: &System, token: &str, customer: &str, i: usize, what: &str) {
    let body = shipment(customer, i);
    let (status, _, body) = system
        .call(Method::POST, "/api/v1/shipments", token, Some(&body))
        .await
        .expect(what);
    assert_eq!(status, 201, "{what}: {body}");
}

/// Signs in, creates a shipper and `n` of its shipments while the broker is cut; the token and
/// the customer's id.
async fn ship_while_broker_down(system: &System, n: usize) -> (String, String) {
    let token = system.admin_token().await;
    let customer = create_customer(system, &token).await;
    for i in 0..n {
        let what = "shipment created with the broker down";
        create_shipment(system, &token, &customer, i, what).await;
    }
    (token, customer)
}

/// What the projections say: analytics' KPIs (summed over yesterday..tomorrow) and the
/// shipper's `stats.shipments_12m`.
async fn projections(system: &System, token: &str, customer: &str) -> Option<(i64, i64)> {
    let today = Utc::now().date_naive();
    let (from, to) = (today - Days::new(1), today + Days::new(1));
    let path = format!("/api/v1/analytics/kpis?from={from}&to={to}&granularity=day");
    let (status, _, kpis) = system.call(Method::GET, &path, token, None).await.ok()?;
    if status != 200 {
        return None;
    }
    let counted: i64 = kpis["data"]
        .as_array()?
        .iter()
        .filter_map(|d| d["shipments"].as_i64())
        .sum();
    let path = format!("/api/v1/customers/{customer}");
    let (status, _, c) = system.call(Method::GET, &path, token, None).await.ok()?;
    if status != 200 {
        return None;
    }
    Some((counted, c["stats"]["shipments_12m"].as_i64()?))
}

/// One writer of the load: creates shipments (each retried with its idempotency key until
/// answered 201) and scans each one in transit, until `stop` is set and at least `at_least`
/// were created by all writers.
struct Writer {
    http: reqwest::Client,
    gateway: String,
    token: String,
    customer: String,
    stop: Arc<AtomicBool>,
    created: Arc<AtomicUsize>,
}

impl Writer {
    async fn post(&self, path: &str, key: Option<&str>, body: &Value) -> Option<(u16, Value)> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.gateway))
            .bearer_auth(&self.token);
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let r = req.json(body).send().await.ok()?;
        let status = r.status().as_u16();
        Some((status, r.json().await.unwrap_or(Value::Null)))
    }

    async fn run(self, id: usize, at_least: usize) {
        let mut i = 0;
        while !(self.stop.load(Ordering::SeqCst) && self.created.load(Ordering::SeqCst) >= at_least)
        {
            i += 1;
            let key = format!("fault-{id}-{i}");
            let body = shipment(&self.customer, id * 1_000_000 + i);
            let tn = loop {
                if let Some((status, body)) =
                    self.post("/api/v1/shipments", Some(&key), &body).await
                {
                    assert!(
                        !(500..=501).contains(&status),
                        "shipment creation answered {status}: {body}"
                    );
                    if status == 201 {
                        break body["tracking_number"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned();
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            self.created.fetch_add(1, Ordering::SeqCst);
            let scan = json!({"events": [{
                "tracking_number": tn, "event_id": format!("{tn}-in-transit"), "status": "in_transit",
                "occurred_at": Utc::now().to_rfc3339(), "location": {"city": "北京"}
            }]});
            // Ingestion load; a scan lost to a killed shipments process is not what is counted.
            let _ = self
                .post("/api/v1/tracking-events:batch", None, &scan)
                .await;
        }
    }
}

const WRITERS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shipment_is_counted_once_after_kills_and_a_broker_cut_under_load() {
    let mut system = System::start(Options::default()).await;
    let token = system.admin_token().await;
    let customer = create_customer(&system, &token).await;
    let (stop, created) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
    );
    let n = size();
    let writers: Vec<_> = (0..WRITERS)
        .map(|id| {
            let w = Writer {
                http: system.http.clone(),
                gateway: system.gateway_url(""),
                token: token.clone(),
                customer: customer.clone(),
                stop: stop.clone(),
                created: created.clone(),
            };
            tokio::spawn(w.run(id, n))
        })
        .collect();

    // Each fault after some load has gone through, while the writers keep writing: every
    // consumer and the producer killed with `kill -9` and restarted once, then the broker cut
    // for 4 s.
    let step = (n / 6).max(1);
    let mut next = step;
    for name in [
        "customers",
        "analytics",
        "complaints",
        "shipments",
        "broker",
    ] {
        while created.load(Ordering::SeqCst) < next {
            assert!(
                writers.iter().all(|w| !w.is_finished()),
                "a writer stopped early"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        next += step;
        if name == "broker" {
            system.broker.cut().await;
            tokio::time::sleep(Duration::from_secs(4)).await;
            system.broker.restore();
        } else {
            system.kill_and_restart(name).await;
        }
    }
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.expect("writer ran");
    }

    let committed = committed_shipments(&system);
    let acknowledged = created.load(Ordering::SeqCst) as i64;
    assert!(
        committed >= acknowledged,
        "{committed} committed < {acknowledged} answered 201"
    );
    let counted = kuaidi_shared::testing::eventually(
        Duration::from_secs(120),
        "analytics and the customer's stats to count every committed shipment",
        || async {
            let (kpis, stats) = projections(&system, &token, &customer).await?;
            assert!(
                kpis <= committed && stats <= committed,
                "a shipment counted twice: kpis {kpis}, stats {stats}, committed {committed}"
            );
            (kpis == committed && stats == committed).then_some((kpis, stats))
        },
    )
    .await;
    assert_eq!(counted, (committed, committed));
    for service in SERVICES {
        assert_eq!(
            system.dlq_depth(service).await,
            0,
            "{service}'s DLQ is empty"
        );
    }
}

/// 503 problem+json, answered within the client's timeout (a hang fails the request).
async fn assert_unavailable(what: &str, got: (u16, String, Value)) {
    let (status, ctype, body) = got;
    assert_eq!(status, 503, "{what} while PostgreSQL is down: {body}");
    assert!(
        ctype.starts_with("application/problem+json"),
        "{what}: {ctype}"
    );
    assert_eq!(body["status"], 503, "{what}: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_answers_503_problem_json_and_recovers_without_a_restart() {
    let mut system = System::start(Options {
        pg_proxy: true,
        ..Options::default()
    })
    .await;
    let token = system.admin_token().await;
    let customer = create_customer(&system, &token).await;

    system.pg.as_ref().expect("pg proxy").cut().await;
    for name in PROCESSES {
        let got = system.readyz(name).await;
        assert_unavailable(&format!("{name} /readyz"), got).await;
    }
    let affected = [
        "/api/v1/shipments".to_owned(),
        format!("/api/v1/customers/{customer}"),
        "/api/v1/analytics/kpis".to_owned(),
    ];
    for path in &affected {
        let got = system.call(Method::GET, path, &token, None).await;
        assert_unavailable(
            path,
            got.unwrap_or_else(|e| panic!("{path} hung or failed: {e}")),
        )
        .await;
    }

    system.pg.as_ref().expect("pg proxy").restore();
    for name in PROCESSES {
        system.await_ready(name, 30).await;
    }
    for path in &affected {
        let (status, _, body) = system
            .call(Method::GET, path, &token, None)
            .await
            .expect(path);
        assert_eq!(status, 200, "{path} after PostgreSQL came back: {body}");
    }
    create_shipment(
        &system,
        &token,
        &customer,
        1,
        "a write after PostgreSQL came back",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_rabbitmq_down_at_start_up_services_run_unready_and_catch_up_when_it_comes() {
    // A deployment that ran before (its queues exist on the broker), restarted while the broker
    // is unreachable.
    let mut system = System::start(Options::default()).await;
    for name in SERVICES {
        system.await_ready(name, 30).await;
    }
    system.stop().await;
    system.broker.cut().await;
    system.start_all().await;
    for name in SERVICES {
        let (status, ctype, body) = system.readyz(name).await;
        assert_eq!(
            status, 503,
            "{name} is not ready without the broker: {body}"
        );
        assert!(
            ctype.starts_with("application/problem+json"),
            "{name}: {ctype}"
        );
        assert_eq!(body["checks"]["broker"], "down", "{name}: {body}");
    }
    // Writes are accepted meanwhile (the outbox keeps the events).
    let (token, customer) = ship_while_broker_down(&system, 3).await;

    system.broker.restore();
    for name in SERVICES {
        system.await_ready(name, 30).await;
    }
    let counted = kuaidi_shared::testing::eventually(
        Duration::from_secs(60),
        "the shipments made while the broker was down counted",
        || async {
            let (kpis, stats) = projections(&system, &token, &customer).await?;
            (kpis == 3 && stats == 3).then_some((kpis, stats))
        },
    )
    .await;
    assert_eq!(counted, (3, 3));
}

/// A brand-new deployment whose broker is unreachable when it first starts: no consumer queue
/// exists yet. A relay that connected before the consumers declared their queues used to
/// publish into an exchange with no queue bound, where RabbitMQ dropped the events (found by
/// this test); every relay now declares the whole topology (`topology::SUBSCRIPTIONS`) first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_deployment_started_without_rabbitmq_loses_no_event_when_it_comes() {
    let system = System::start(Options {
        broker_down: true,
        ..Options::default()
    })
    .await;
    let (token, customer) = ship_while_broker_down(&system, 1).await;
    system.broker.restore();
    kuaidi_shared::testing::eventually(Duration::from_secs(60), "the shipment counted", || async {
        let (kpis, stats) = projections(&system, &token, &customer).await?;
        (kpis == 1 && stats == 1).then_some(())
    })
    .await;
}
