//! Event propagation (SPEC §9): a `delivered` scan is accepted through the gateway, then
//! `GET /analytics/kpis` is polled until the delivery shows; the time from the scan's
//! acknowledgement to the first answer that shows it, for one probe shipment after another, for
//! `seconds` (run beside the ingestion load). Prints rows (p50, p99, probes).
//!
//! Usage: kuaidi-bench-propagation <gateway url> <token> <probe tracking numbers file> <seconds>

use chrono::Utc;
use kuaidi_bench::{quantile, Row};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A probe that has not shown after this long counts as this long (and as missed).
const GIVE_UP: Duration = Duration::from_secs(10);
const POLL_EVERY: Duration = Duration::from_millis(20);

async fn delivered_today(client: &reqwest::Client, gateway: &str, token: &str) -> Option<i64> {
    let today = Utc::now().date_naive();
    let body: Value = client
        .get(format!(
            "{gateway}/api/v1/analytics/kpis?from={today}&to={today}&granularity=day"
        ))
        .bearer_auth(token)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    Some(
        body["data"]
            .as_array()?
            .iter()
            .filter_map(|r| r["delivered"].as_i64())
            .sum(),
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = kuaidi_bench::args("<gateway> <token> <probe-numbers-file> <seconds>")?;
    let (gateway, token) = (args[0].as_str(), args[1].as_str());
    let probes = kuaidi_bench::lines(&args[2])?;
    let deadline = Instant::now() + Duration::from_secs(args[3].parse()?);
    let client = reqwest::Client::new();
    let (mut latencies, mut missed) = (Vec::new(), 0u32);
    for (i, tn) in probes.iter().enumerate() {
        if Instant::now() >= deadline {
            break;
        }
        let Some(before) = delivered_today(&client, gateway, token).await else {
            anyhow::bail!("GET /analytics/kpis failed");
        };
        let scan = json!({
            "event_id": format!("probe-{i}-{}", Utc::now().timestamp_micros()),
            "status": "delivered", "substatus": "signed",
            "occurred_at": Utc::now().to_rfc3339(),
            "location": {"hub_code": "PEK02", "city": "北京"},
        });
        let resp = client
            .post(format!("{gateway}/api/v1/shipments/{tn}/events"))
            .bearer_auth(token)
            .json(&scan)
            .send()
            .await?;
        anyhow::ensure!(
            resp.status().is_success(),
            "probe scan refused: {}",
            resp.status()
        );
        let acknowledged = Instant::now();
        loop {
            if delivered_today(&client, gateway, token)
                .await
                .is_some_and(|now| now > before)
            {
                let ms = acknowledged.elapsed().as_secs_f64() * 1000.0;
                if std::env::var_os("BENCH_VERBOSE").is_some() {
                    eprintln!("probe {i} {tn}: {ms:.1} ms");
                }
                latencies.push(ms);
                break;
            }
            if acknowledged.elapsed() >= GIVE_UP {
                latencies.push(GIVE_UP.as_secs_f64() * 1000.0);
                missed += 1;
                break;
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    latencies.sort_by(f64::total_cmp);
    Row::new(
        "event propagation p50 (scan accepted → in /analytics/kpis)",
        quantile(&latencies, 0.5),
        "ms",
    )
    .below(200.0)
    .print();
    Row::new("event propagation p99", quantile(&latencies, 0.99), "ms")
        .below(1000.0)
        .print();
    Row::new(
        format!("propagation probes (not shown within {GIVE_UP:?}: {missed})"),
        latencies.len() as f64,
        "probes",
    )
    .print();
    Ok(())
}
