//! Bulk scan ingestion load (SPEC §9): batches of 1000 events through the gateway's
//! `POST /api/v1/tracking-events:batch`, from `concurrency` clients, for `seconds`; prints the
//! sustained accepted events/s as JSON.
//!
//! Usage: kuaidi-bench-ingest <gateway url> <token> <tracking numbers file> <seconds> <concurrency>

use chrono::{Duration, Utc};
use serde_json::json;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// The statuses each shipment's scans cycle through, as a parcel's scans do: mostly hub scans
/// that change nothing, then out for delivery and a failed attempt (each a status change and a
/// customer notification), then back in transit — three status changes and two notifications
/// in every ten scans, about the share of a real parcel's life (info received, picked up, four
/// to eight hub scans, out for delivery, delivered).
const CYCLE: [&str; 10] = [
    "in_transit",
    "in_transit",
    "in_transit",
    "in_transit",
    "in_transit",
    "in_transit",
    "in_transit",
    "in_transit",
    "out_for_delivery",
    "attempt_fail",
];
const HUBS: [&str; 4] = ["SHA01", "HGH02", "NKG03", "PEK02"];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args =
        kuaidi_bench::args("<gateway> <token> <tracking-numbers-file> <seconds> <concurrency>")?;
    let (gateway, token) = (args[0].clone(), args[1].clone());
    // Quoted as JSON strings once: each batch's body is written as text, not built as a tree
    // of values and serialised (that cost the load generator ~5 % of the machine's CPU).
    let numbers: Vec<String> = kuaidi_bench::lines(&args[2])?
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    let numbers = Arc::new(numbers);
    anyhow::ensure!(!numbers.is_empty(), "no tracking numbers");
    let seconds: u64 = args[3].parse()?;
    let concurrency: usize = args[4].parse()?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let accepted = Arc::new(AtomicU64::new(0));
    let rejected = Arc::new(AtomicU64::new(0));
    // Event ids unique to this run, so a second run is not answered `duplicate`.
    let run = Utc::now().timestamp_millis();
    let started = Instant::now();
    let deadline = started + std::time::Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, gateway, token, numbers) = (
            client.clone(),
            gateway.clone(),
            token.clone(),
            numbers.clone(),
        );
        let (accepted, rejected) = (accepted.clone(), rejected.clone());
        tasks.push(tokio::spawn(async move {
            let mut round = 0u64;
            while Instant::now() < deadline {
                round += 1;
                let base = Utc::now() - Duration::hours(1);
                let mut body = String::with_capacity(1000 * 220);
                body.push_str(r#"{"events":["#);
                for i in 0..1000 {
                    // Each client works on its own share of shipments, as scanners of
                    // different hubs would: no two batches wait on the same rows.
                    let share = (numbers.len() / concurrency).max(1);
                    let n = round as usize * 1000 + i;
                    // The shipment, and how many times this client has scanned it before.
                    let (k, pass) = (n % share, n / share);
                    let tn = &numbers[(worker * share + k) % numbers.len()];
                    let at = (base + Duration::milliseconds(i as i64)).to_rfc3339();
                    let (status, hub) = (CYCLE[(pass + k) % CYCLE.len()], HUBS[(pass + k) % HUBS.len()]);
                    let comma = if i == 0 { "" } else { "," };
                    let _ = write!(
                        body,
                        r#"{comma}{{"tracking_number":{tn},"event_id":"b{run}-{worker}-{round}-{i}","status":"{status}","occurred_at":"{at}","location":{{"hub_code":"{hub}","city":"上海"}},"description":"load"}}"#
                    );
                }
                body.push_str("]}");
                let resp = client
                    .post(format!("{gateway}/api/v1/tracking-events:batch"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                let Ok(resp) = resp else { continue };
                let Ok(text) = resp.text().await else {
                    continue;
                };
                // Counted in the answer's text: parsing it into a tree cost the load
                // generator more CPU than it is worth, on the machine it shares with the system
                // it measures.
                let results = text.matches(r#""result":"#).count() as u64;
                let ok = text.matches(r#""result":"accepted""#).count() as u64;
                accepted.fetch_add(ok, Ordering::Relaxed);
                rejected.fetch_add(results - ok, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = accepted.load(Ordering::Relaxed);
    println!(
        "{}",
        json!({"accepted": n, "not_accepted": rejected.load(Ordering::Relaxed), "seconds": elapsed, "events_per_second": (n as f64 / elapsed).round()})
    );
    Ok(())
}
