//! `GET /api/v1/analytics/kpis` for a year by day over a million shipments (SPEC §9), for the
//! filters of SPEC §8. Starts its own analytics service on a fresh database (`kb_analytics_kpis`,
//! migrated by the service), seeds it set-based with `analytics_seed.sql` (the rows the
//! consumers would have written for `shipments` shipments), then for each filter measures the
//! first request (customer figures not yet remembered) and `requests` more, sequentially, over
//! HTTP straight to the service. Prints the figures as one line of JSON (the `analytics` entry
//! of `bench/results.json`, which `make bench` writes).
//!
//! Usage: kuaidi-bench-analytics <kuaidi-analytics binary> <token> [shipments] [requests]
//! `BENCH_ANALYTICS_SEEDED=1` keeps a `kb_analytics_kpis` an earlier run seeded with the same
//! `shipments` (seeding takes minutes; the requests can then be timed again on a quiet machine).
//! The token is any staff token of the gateway whose JWKS the service reads (the default
//! `http://127.0.0.1:8080/.well-known/jwks.json`); needs `psql`, `createdb`, `dropdb`.

use serde_json::{json, Value};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SEED: &str = include_str!("../analytics_seed.sql");
const DB: &str = "kb_analytics_kpis";
const PORT: u16 = 18094;
const PG: [&str; 4] = ["-h", "127.0.0.1", "-U", "postgres"];

/// The service, stopped when dropped.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let out = cmd.output()?;
    anyhow::ensure!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(
        (3..=5).contains(&args.len()),
        "usage: {} <kuaidi-analytics binary> <token> [shipments] [requests]",
        args[0]
    );
    let token = args[2].clone();
    let shipments: u64 = args.get(3).map_or(Ok(1_000_000), |s| s.parse())?;
    let requests: usize = args.get(4).map_or(Ok(200), |s| s.parse())?;

    let seeded = std::env::var("BENCH_ANALYTICS_SEEDED").is_ok_and(|v| v == "1");
    if !seeded {
        run(Command::new("dropdb")
            .args(PG)
            .args(["--if-exists", "--force", DB]))?;
        run(Command::new("createdb").args(PG).arg(DB))?;
    }
    let service = Service(
        Command::new(&args[1])
            .env(
                "KUAIDI_ANALYTICS__DATABASE_URL",
                format!("postgres://postgres@127.0.0.1:5432/{DB}"),
            )
            .env("KUAIDI_ANALYTICS__HTTP__PORT", PORT.to_string())
            // Its own exchange and queues: no one else's events, no one else's queue.
            .env(
                "KUAIDI_ANALYTICS__AMQP__EXCHANGE",
                "kb.analytics-kpis.events",
            )
            .env("KUAIDI_ANALYTICS__AMQP__QUEUE_PREFIX", "kb-analytics-kpis-")
            .env("KUAIDI_ANALYTICS__AMQP__EXCHANGE_AUTO_DELETE", "true")
            .env("KUAIDI_ANALYTICS__AMQP__QUEUE_EXPIRES_MS", "60000")
            .env("KUAIDI_ANALYTICS__HTTP__METRICS_PORT", "0")
            .env("KUAIDI_DEV_MODE", "1")
            .env("RUST_LOG", "warn")
            // Its log stays off the figures printed on stdout.
            .stdout(Stdio::null())
            .spawn()?,
    );
    let base = format!("http://127.0.0.1:{PORT}");
    let client = reqwest::Client::new();
    let ready = Instant::now() + Duration::from_secs(60);
    while !client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        anyhow::ensure!(
            Instant::now() < ready,
            "the analytics service did not start"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let seeding = Instant::now();
    if !seeded {
        seed(shipments)?;
    }
    let seed_seconds = (!seeded).then(|| seeding.elapsed().as_secs_f64());

    let big_merchant = "00000000-0000-0000-0000-000000000001";
    let filters = [
        ("none", String::new()),
        ("tz=Asia/Shanghai", "&tz=Asia/Shanghai".to_owned()),
        ("city", "&city=city0".to_owned()),
        ("province", "&province=prov1".to_owned()),
        ("service_level", "&service_level=express".to_owned()),
        ("value_tier", "&value_tier=key".to_owned()),
        ("merchant_id", format!("&merchant_id={big_merchant}")),
        (
            "merchant_id+city",
            format!("&merchant_id={big_merchant}&city=city0"),
        ),
        (
            "city+service_level (15-minute rows)",
            "&city=city0&service_level=express".to_owned(),
        ),
    ];
    let mut figures = serde_json::Map::new();
    let mut single = Vec::new();
    for (name, filter) in &filters {
        let url = format!("{base}/api/v1/analytics/kpis?from=2025-01-01&to=2025-12-31{filter}");
        let mut timed = Vec::with_capacity(requests + 1);
        for _ in 0..=requests {
            let started = Instant::now();
            let resp = client.get(&url).bearer_auth(&token).send().await?;
            anyhow::ensure!(resp.status().is_success(), "{name}: {}", resp.status());
            let body: Value = resp.json().await?;
            timed.push(started.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(
                body["data"].as_array().map(Vec::len) == Some(365),
                "{name}: 365 rows"
            );
        }
        let first = timed.remove(0);
        timed.sort_by(f64::total_cmp);
        let (p50, p99) = (percentile(&timed, 0.5), percentile(&timed, 0.99));
        eprintln!(
            "bench: kpis {name:<38} first {first:>8.1} ms  p50 {p50:>6.1} ms  p99 {p99:>6.1} ms"
        );
        if !name.contains("15-minute") {
            single.extend(timed.iter().copied());
        }
        figures.insert(
            (*name).to_owned(),
            json!({"first_ms": round(first), "p50_ms": round(p50), "p99_ms": round(p99)}),
        );
    }
    drop(service);
    single.sort_by(f64::total_cmp);
    let result = json!({
        "kpis_year_by_day": {
            "shipments": shipments,
            "requests_per_filter": requests,
            "seed_seconds": seed_seconds.map(round),
            "p50_ms": round(percentile(&single, 0.5)),
            "p99_ms": round(percentile(&single, 0.99)),
            "target_p99_ms": 50,
            "by_filter": figures,
        }
    });
    println!("{result}");
    Ok(())
}

/// Seeds the rollups of `shipments` shipments, set-based.
fn seed(shipments: u64) -> anyhow::Result<()> {
    eprintln!("bench: seeding {shipments} shipments' rollups (set-based)...");
    // A script on stdin (psql substitutes `:n` there, not in `-c`).
    let mut psql = Command::new("psql")
        .args(PG)
        .args(["-d", DB, "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"])
        .arg("-v")
        .arg(format!("n={shipments}"))
        .stdin(Stdio::piped())
        .spawn()?;
    psql.stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("psql stdin"))?
        .write_all(SEED.as_bytes())?;
    anyhow::ensure!(psql.wait()?.success(), "seeding failed");
    Ok(())
}

fn round(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
}
