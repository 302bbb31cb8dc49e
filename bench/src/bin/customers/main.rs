//! The customers figures of `make bench` (issue 8): a file of `BENCH_CUSTOMERS` (*default*
//! 1 000 000) customers with 12 months of shipping activity, seeded set-based into the running
//! customers service's database, then
//!
//! * exact phone search (`GET /api/v1/customers?q=<phone>`, found through the keyed blind
//!   index) as a customer-service agent (the desk: answers masked, nothing to audit) through
//!   the gateway and direct, from 1 and from 16 clients back to back, and at a steady 100 and
//!   300 searches/s through the gateway (open loop, latency from when each search was due);
//!   as an admin (answers unmasked, so each one also writes a durable `pii.read` audit row)
//!   through the gateway from 1 and 16 clients: p50/p99 and requests/s, each answer checked to
//!   hold exactly the customer with that phone;
//! * the classification job (`POST /api/v1/customers/classification:run`, the very job code
//!   the hourly schedule runs: one transaction under the advisory lock, set-based SQL, an event
//!   per change) timed twice: the first run over the fresh file (every customer changes) and
//!   a second, steady-state run (nothing changes; what every hourly run costs).
//!
//! Prints one JSON object (the `customers` entry of `bench/results.json`).
//!
//! Usage: kuaidi-bench-customers <customers database url> <gateway url> <customers url> <admin password>
//!
//! (It signs in as `admin` before each phase: a first classification run can outlast a token.)
//!
//! The PII keys are the customers service's (`KUAIDI_CUSTOMERS__PII__…`, else the development
//! defaults), so the sealed contacts open and the blind index matches what the service computes.

use diesel::prelude::*;
use futures_util::{stream, StreamExt};
use kuaidi_bench::quantile;
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::settings::{PiiSettings, PII_DEFAULTS};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

mod seed;
use seed::{phone_of, seed, Count};

/// The customer-service agent of the desk searches (SPEC §3: customers read, PII masked
/// unless owned; the seeded customers have no owner, so no search is an audited PII read).
const AGENT: &str = "bench-agent";
const AGENT_PASSWORD: &str = "Kd-desk-2026-search";

#[derive(serde::Deserialize)]
struct Keys {
    pii: PiiSettings,
}

/// One search for customer `i`'s phone: whether the answer holds exactly that customer.
async fn search_once(client: &reqwest::Client, base: &str, token: &str, i: i64) -> bool {
    match client
        .get(format!("{base}/api/v1/customers"))
        .query(&[("q", phone_of(i))])
        .bearer_auth(token)
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => {
            let body: Value = r.json().await.unwrap_or_default();
            let data = body["data"].as_array().cloned().unwrap_or_default();
            data.len() == 1
                && data[0]["name"]
                    .as_str()
                    .is_some_and(|s| s.ends_with(&format!("客户{i}")))
        }
        _ => false,
    }
}

/// The next customer of a walk: a multiplicative step modulo `n` spreads over the whole file.
fn step(k: i64, n: i64) -> i64 {
    (k * 48_271 + 11) % n
}

/// Latencies (ms) of `GET {base}/api/v1/customers?q=<phone>` from `workers` clients, each
/// sending its next search as soon as the last is answered, for `seconds` (a closed loop: at
/// 16 clients the machine is saturated and latency is mostly queueing).
async fn search_load(
    base: &str,
    token: &str,
    n: i64,
    seconds: u64,
    workers: usize,
) -> anyhow::Result<Value> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(workers)
        .build()?;
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let results: Vec<(Vec<f64>, u64)> = stream::iter(0..workers)
        .map(|w| {
            let (client, base, token) = (client.clone(), base.to_owned(), token.to_owned());
            async move {
                let (mut lat, mut wrong) = (Vec::new(), 0u64);
                let mut k = w as i64;
                while Instant::now() < until {
                    k = step(k, n);
                    let t = Instant::now();
                    let ok = search_once(&client, &base, &token, k + 1).await;
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    wrong += u64::from(!ok);
                }
                (lat, wrong)
            }
        })
        .buffer_unordered(workers)
        .collect()
        .await;
    let wrong = results.iter().map(|r| r.1).sum();
    let lat = results.into_iter().flat_map(|r| r.0).collect();
    Ok(summary(
        lat,
        wrong,
        started.elapsed(),
        json!({"connections": workers}),
    ))
}

/// Latencies (ms) of searches sent at a steady `rate` per second for `seconds` whatever the
/// answers do (an open loop, as many agents' desks are): each measured from the moment it was
/// due, so a stall counts against every search it holds up.
async fn search_at_rate(
    base: &str,
    token: &str,
    n: i64,
    seconds: u64,
    rate: u32,
) -> anyhow::Result<Value> {
    let client = reqwest::Client::builder().build()?;
    let period = Duration::from_secs(1) / rate;
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    let mut k = 0i64;
    for due in (0..).map(|j| started + period * j) {
        if due >= started + Duration::from_secs(seconds) {
            break;
        }
        tokio::time::sleep_until(due).await;
        k = step(k, n);
        let (client, base, token, i) = (client.clone(), base.to_owned(), token.to_owned(), k + 1);
        tasks.push(tokio::spawn(async move {
            let ok = search_once(&client, &base, &token, i).await;
            (due.elapsed().as_secs_f64() * 1000.0, ok)
        }));
    }
    let (mut lat, mut wrong) = (Vec::new(), 0u64);
    for t in tasks {
        let (ms, ok) = t.await?;
        lat.push(ms);
        wrong += u64::from(!ok);
    }
    Ok(summary(
        lat,
        wrong,
        started.elapsed(),
        json!({"rate_per_second": rate}),
    ))
}

/// `{requests, rps, p50_ms, p99_ms, wrong_answers}` and the fields of `load`.
fn summary(mut lat: Vec<f64>, wrong: u64, elapsed: Duration, load: Value) -> Value {
    lat.sort_by(f64::total_cmp);
    let round = |v: f64| (v * 100.0).round() / 100.0;
    let mut out = json!({
        "requests": lat.len(),
        "rps": round(lat.len() as f64 / elapsed.as_secs_f64()),
        "p50_ms": round(quantile(&lat, 0.50)),
        "p99_ms": round(quantile(&lat, 0.99)),
        "wrong_answers": wrong,
    });
    if let (Some(o), Some(l)) = (out.as_object_mut(), load.as_object()) {
        o.extend(l.clone());
    }
    out
}

/// A fresh access token of `username`.
async fn login(gateway: &str, username: &str, password: &str) -> anyhow::Result<String> {
    let resp: Value = reqwest::Client::new()
        .post(format!("{gateway}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    resp["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("login of {username} failed: {resp}"))
}

/// Creates the customer-service agent the desk searches are made as (idempotent: a second
/// run finds it there).
async fn create_agent(gateway: &str, admin: &str) -> anyhow::Result<()> {
    let resp = reqwest::Client::new()
        .post(format!("{gateway}/api/v1/users"))
        .bearer_auth(admin)
        .json(
            &json!({"username": AGENT, "password": AGENT_PASSWORD, "role": "agent",
                      "display_name": "bench agent"}),
        )
        .send()
        .await?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    anyhow::ensure!(
        status.is_success() || status == reqwest::StatusCode::CONFLICT,
        "creating the agent answered {status}: {body}"
    );
    Ok(())
}

/// Runs the classification once through the service; `(seconds, customers changed)`.
async fn classify(base: &str, token: &str) -> anyhow::Result<Value> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1800))
        .build()?;
    let t = Instant::now();
    let resp = client
        .post(format!("{base}/api/v1/customers/classification:run"))
        .bearer_auth(token)
        .send()
        .await?;
    let seconds = t.elapsed().as_secs_f64();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or_default();
    anyhow::ensure!(
        status.is_success(),
        "classification answered {status}: {body}"
    );
    Ok(json!({
        "seconds": (seconds * 100.0).round() / 100.0,
        "customers_changed": body["customers_changed"],
        "status": body["status"],
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = kuaidi_bench::args(
        "<customers database url> <gateway url> <customers url> <admin password>",
    )?;
    let (db_url, gateway, direct, password) = (&args[0], &args[1], &args[2], &args[3]);
    let n: i64 = std::env::var("BENCH_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let keys: Keys = kuaidi_shared::settings::load("CUSTOMERS", &[PII_DEFAULTS])?;
    let pii = PiiCipher::new(&keys.pii)?;

    let t = Instant::now();
    let mut conn = PgConnection::establish(db_url)?;
    seed(&mut conn, &pii, n)?;
    let seed_seconds = t.elapsed().as_secs_f64();
    let days = diesel::sql_query("SELECT count(*) AS n FROM customer_shipment_days")
        .get_result::<Count>(&mut conn)?
        .n;
    drop(conn);

    // The agent's desk (masked answers) from one client and sixteen at once, through the
    // gateway and direct; then an admin, whose every answer is unmasked and so also writes a
    // durable `pii.read` audit row in the gateway before it is sent.
    create_agent(gateway, &login(gateway, "admin", password).await?).await?;
    let mut searches = serde_json::Map::new();
    let runs = [
        ("agent", "gateway", gateway, 1),
        ("agent", "direct", direct, 1),
        ("agent", "gateway", gateway, 16),
        ("agent", "direct", direct, 16),
        ("admin", "gateway", gateway, 1),
        ("admin", "gateway", gateway, 16),
    ];
    let agent = login(gateway, AGENT, AGENT_PASSWORD).await?;
    for (who, route, base, connections) in runs {
        let token = match who {
            "agent" => agent.clone(),
            _ => login(gateway, "admin", password).await?,
        };
        searches.insert(
            format!("{who}_{route}_{connections}_connections"),
            search_load(base, &token, n, seconds, connections).await?,
        );
    }
    // Many desks at once, as a steady arrival rate through the gateway (open loop).
    for rate in [100, 300] {
        searches.insert(
            format!("agent_gateway_{rate}_per_second"),
            search_at_rate(gateway, &agent, n, seconds, rate).await?,
        );
    }
    let first = classify(direct, &login(gateway, "admin", password).await?).await?;
    let steady = classify(direct, &login(gateway, "admin", password).await?).await?;
    let out = json!({
        "customers": n,
        "shipment_day_rows": days,
        "seed_seconds": (seed_seconds * 10.0).round() / 10.0,
        "phone_search": searches,
        "phone_search_p99_target_ms": 10,
        "classification_first_run": first,
        "classification_steady_run": steady,
        "classification_target_seconds": 60,
    });
    println!("{out}");
    Ok(())
}
