//! The complaints figures of `make bench` (issue 9, SPEC §9): the SLA sweep over 100,000 open
//! cases (target ≤ 2 s per run) and the case list at that size (target p99 < 20 ms).
//!
//! Self-contained, so `bench/run.sh` (or anything else) only runs it and keeps its JSON: it
//! recreates its own database `kb_complaints_sla`, migrates it with the service's migrations,
//! seeds the cases set-based (one `INSERT ... SELECT generate_series`), runs the service's real
//! sweep job (`workflow::sla::sweep` in the job's transaction and advisory lock) three times —
//! the catch-up of a backlog (every threshold of 48 hours of intake crossed at once: the runs
//! after an outage, one after another in batches until one falls short), the next minute (a run as it happens every minute: the per-run target),
//! an idle minute — then starts the real complaints
//! service on that database (the same `build` as the binary, on a loopback port) and measures
//! `GET /api/v1/complaints` over HTTP: per queue filter, sequentially, and a mix at 4
//! concurrent clients.
//!
//! Usage: kuaidi-bench-complaints [--write <results.json>] [cases (100000)] [requests per query (300)]
//! Prints one JSON object on stdout; with `--write`, stores it as the `complaints` entry of that
//! file (kept otherwise as it is) and prints table rows (figure, value, reference, ratio)
//! instead — what `bench/run.sh` calls after writing its own figures.
//! Needs PostgreSQL (`KUAIDI_TEST_DATABASE_SERVER`, default postgres://postgres@127.0.0.1:5432)
//! and RabbitMQ (`KUAIDI_AMQP_URL`, default guest@127.0.0.1:5672) like the services.

use chrono::{DateTime, DurationRound, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Timestamptz};
use futures_util::{stream, StreamExt};
use kuaidi_shared::auth::{Claims, Role};
use kuaidi_shared::clock::Clock;
use kuaidi_shared::jobs::{run_db_once, Job};
use kuaidi_shared::testing::{self, service_settings_on, TestEnv};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;

const DATABASE: &str = "kb_complaints_sla";

fn server() -> String {
    std::env::var("KUAIDI_TEST_DATABASE_SERVER")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Drops and creates the bench database, migrated.
fn fresh_database() -> anyhow::Result<String> {
    let mut admin = PgConnection::establish(&format!("{}/postgres", server()))?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        .execute(&mut admin)?;
    diesel::sql_query(format!("CREATE DATABASE {DATABASE}")).execute(&mut admin)?;
    let url = format!("{}/{DATABASE}", server());
    kuaidi_shared::db::migrate(
        &kuaidi_shared::db::build_pool(&url, 1),
        kuaidi_complaints::startup::MIGRATIONS,
    )?;
    Ok(url)
}

/// The 200 agents cases are spread over (as the seed's SQL spells them).
fn agent(i: i64) -> Uuid {
    Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 + i as u128)
}

/// `n` open cases received over the 48 hours before `t0`, spread over the 8 open statuses,
/// 11 categories, 4 priorities (the SLA defaults), 5 departments, 200 agents and 50 merchants;
/// each with its `receive` entry in the history, and its status move when it moved on.
fn seed(conn: &mut PgConnection, n: i32, t0: DateTime<Utc>) -> anyhow::Result<()> {
    diesel::sql_query(
        "INSERT INTO complaints (id, number, type, channel, tracking_number, merchant_id, category,
             priority, description, reasonable, department, assignee_id, escalation_level, status,
             first_response_due, resolution_due, first_responded_at, created_at, updated_at,
             version, first_response_warn_at, resolution_warn_at, sla_flags)
         SELECT gen_random_uuid(), 'B' || lpad(i::text, 9, '0'), 'complaint', 'phone',
             'KB' || lpad(i::text, 10, '0'), md5('merchant' || (i % 50))::uuid,
             (ARRAY['delay','lost','damaged','service_attitude','missorted','packaging',
                    'tracking_info','billing','legal','compliance','other'])[1 + i % 11],
             p.name, 'bench case', TRUE,
             CASE WHEN s.moved THEN (ARRAY['customer_service','operations','legal','compliance','sales'])[1 + i % 5] END,
             CASE WHEN s.moved THEN ('01930000-0000-7000-8000-' || lpad(to_hex(i % 200), 12, '0'))::uuid END, 0, s.name,
             c.at + p.fr, c.at + p.res,
             CASE WHEN s.responded THEN c.at + interval '10 minutes' END, c.at, c.at, 1,
             c.at + p.fr * 0.8, c.at + p.res * 0.8, 0
         FROM generate_series(1, $1) AS i
         CROSS JOIN LATERAL (SELECT $2 - make_interval(secs => i::float8 * 172800 / $1) AS at) c
         CROSS JOIN LATERAL (SELECT * FROM (VALUES
               (0, 'urgent', interval '30 minutes', interval '240 minutes'),
               (1, 'high', interval '120 minutes', interval '1440 minutes'),
               (2, 'normal', interval '240 minutes', interval '2880 minutes'),
               (3, 'low', interval '480 minutes', interval '4320 minutes'))
             AS p(k, name, fr, res) WHERE p.k = i % 4) p
         CROSS JOIN LATERAL (SELECT * FROM (VALUES
               (0, 'received', FALSE, FALSE), (1, 'triaged', FALSE, FALSE),
               (2, 'assigned', TRUE, TRUE), (3, 'investigating', TRUE, TRUE),
               (4, 'pending_approval', TRUE, TRUE), (5, 'resolving', TRUE, TRUE),
               (6, 'awaiting_feedback', TRUE, TRUE), (7, 'reopened', TRUE, TRUE))
             AS s(k, name, moved, responded) WHERE s.k = (i / 4) % 8) s",
    )
    .bind::<Integer, _>(n)
    .bind::<Timestamptz, _>(t0)
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO complaint_history (complaint_id, actor, action, from_status, to_status, payload, at)
         SELECT id, 'bench', 'receive', NULL, 'received', '{}'::jsonb, created_at FROM complaints
         UNION ALL
         SELECT id, 'bench', 'move', 'received', status, '{}'::jsonb, created_at + interval '10 minutes'
         FROM complaints WHERE status <> 'received'",
    )
    .execute(conn)?;
    diesel::sql_query("VACUUM ANALYZE complaints").execute(conn)?;
    diesel::sql_query("VACUUM ANALYZE complaint_history").execute(conn)?;
    Ok(())
}

/// One run of the real sweep job at `now`: seconds and cases touched.
fn sweep_once(conn: &mut PgConnection, now: DateTime<Utc>) -> anyhow::Result<Value> {
    let job = Job::new("complaints.sla_sweep", Duration::from_secs(60)).exclusive();
    let started = Instant::now();
    let ran = run_db_once(conn, &job, now, &kuaidi_complaints::workflow::sla::sweep)?;
    let seconds = started.elapsed().as_secs_f64();
    let touched = match ran {
        kuaidi_shared::jobs::Ran::Done(n) => n,
        kuaidi_shared::jobs::Ran::Busy => anyhow::bail!("the sweep lock was taken"),
    };
    Ok(json!({"seconds": round(seconds), "cases_marked": touched}))
}

/// The catch-up after an outage: runs of the job one after another (as the scheduler does with
/// a job in batches) until one falls short of its batch.
fn drain(conn: &mut PgConnection, now: DateTime<Utc>) -> anyhow::Result<Value> {
    let batch = kuaidi_complaints::workflow::sla::SWEEP_BATCH as u64;
    let (mut runs, mut longest, mut total, mut marked) = (0, 0.0_f64, 0.0, 0);
    loop {
        let run = sweep_once(conn, now)?;
        let (seconds, n) = (
            run["seconds"].as_f64().unwrap_or(0.0),
            run["cases_marked"].as_u64().unwrap_or(0),
        );
        runs += 1;
        longest = longest.max(seconds);
        total += seconds;
        marked += n;
        if n < batch {
            break;
        }
    }
    Ok(
        json!({"runs": runs, "seconds": round(longest), "total_seconds": round(total),
              "cases_marked": marked}),
    )
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// p50 and p99 (ms) of latencies.
fn percentiles(mut ms: Vec<f64>) -> Value {
    ms.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1];
    json!({"requests": ms.len(), "p50_ms": round(at(0.50)), "p99_ms": round(at(0.99)), "max_ms": round(at(1.0))})
}

fn token(env: &TestEnv, sub: Uuid) -> anyhow::Result<String> {
    let claims = testing::claims(Role::Supervisor, &sub.to_string());
    env.key.sign(&Claims {
        exp: claims.iat + 3600,
        ..claims
    })
}

async fn timed_get(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> anyhow::Result<(f64, Value)> {
    let started = Instant::now();
    let resp = client.get(url).bearer_auth(token).send().await?;
    anyhow::ensure!(resp.status() == 200, "{url}: {}", resp.status());
    let body: Value = resp.json().await?;
    Ok((started.elapsed().as_secs_f64() * 1000.0, body))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kuaidi_shared::telemetry::init_on_stderr();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let write = match args.iter().position(|a| a == "--write") {
        Some(i) if i + 1 < args.len() => Some(args.drain(i..i + 2).nth(1).unwrap_or_default()),
        Some(_) => anyhow::bail!("--write needs a file"),
        None => None,
    };
    let cases: i32 = args
        .first()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let per_query: usize = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(300);
    let t0 = Clock::system()
        .now()
        .duration_trunc(chrono::Duration::seconds(1))?;

    let url = fresh_database()?;
    let mut conn = PgConnection::establish(&url)?;
    let started = Instant::now();
    seed(&mut conn, cases, t0)?;
    let seed_seconds = started.elapsed().as_secs_f64();
    let backlog = drain(&mut conn, t0)?;
    // What autovacuum does after a change of this size (the old row versions of the backlog
    // would otherwise still sit in the sweep's indexes).
    diesel::sql_query("VACUUM ANALYZE complaints").execute(&mut conn)?;
    let next_minute = sweep_once(&mut conn, t0 + chrono::Duration::minutes(1))?;
    let idle = sweep_once(&mut conn, t0 + chrono::Duration::minutes(1))?;
    let (outbox, history): (i64, i64) = (
        diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM outbox")
            .get_result(&mut conn)?,
        diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM complaint_history")
            .get_result(&mut conn)?,
    );
    // What the sweeps enqueued is not this benchmark's load: the relay would publish it while
    // the list is measured.
    diesel::sql_query("TRUNCATE outbox").execute(&mut conn)?;
    diesel::sql_query("VACUUM ANALYZE complaints").execute(&mut conn)?;

    let env = TestEnv::new();
    let settings = service_settings_on(url, &env.amqp, &env.key);
    let app = kuaidi_complaints::build(settings).await?.spawn();
    let base = format!("http://127.0.0.1:{}", app.port);
    let me = token(&env, agent(7))?;
    let client = reqwest::Client::new();
    let head = format!("{base}/api/v1/complaints?limit=50");
    let (_, first) = timed_get(&client, &head, &me).await?;
    let cursor = first["next_cursor"].as_str().unwrap_or_default().to_owned();
    let queries: Vec<(&str, String)> = vec![
        ("queue_head", head.clone()),
        ("queue_page_2", format!("{head}&cursor={cursor}")),
        ("status_assigned", format!("{head}&status=assigned")),
        ("assignee_me", format!("{head}&assignee=me")),
        ("sla_breached", format!("{head}&sla=breached")),
        (
            "department_priority",
            format!("{head}&department=legal&priority=urgent"),
        ),
        (
            "merchant",
            format!(
                "{head}&merchant_id={}",
                first["data"][0]["merchant_id"].as_str().unwrap_or_default()
            ),
        ),
        (
            "tracking_number",
            format!("{head}&tracking_number=KB0000004242"),
        ),
    ];
    let mut per = serde_json::Map::new();
    for (name, url) in &queries {
        for _ in 0..20 {
            timed_get(&client, url, &me).await?;
        }
        let mut ms = Vec::with_capacity(per_query);
        for _ in 0..per_query {
            ms.push(timed_get(&client, url, &me).await?.0);
        }
        per.insert((*name).into(), percentiles(ms));
    }
    let mixed: Vec<f64> = stream::iter(0..per_query * queries.len())
        .map(|i| {
            let (client, me, url) = (
                client.clone(),
                me.clone(),
                queries[i % queries.len()].1.clone(),
            );
            async move { timed_get(&client, &url, &me).await.map(|r| r.0) }
        })
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    app.stop().await;

    let result = json!({
        "cases": cases,
        "seed_seconds": round(seed_seconds),
        "sla_sweep": {
            "target_seconds": 2.0,
            "backlog": backlog,
            "next_minute": next_minute,
            "idle": idle,
            "outbox_events_written": outbox,
            "history_rows": history,
        },
        "case_list": {
            "target_p99_ms": 20.0,
            "page_size": 50,
            "sequential": per,
            "mixed_4_clients": percentiles(mixed),
        },
    });
    match write {
        None => println!("{}", serde_json::to_string_pretty(&result)?),
        Some(path) => {
            let mut all: Value = std::fs::read_to_string(&path)
                .ok()
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_else(|| json!({}));
            all["complaints"] = result.clone();
            std::fs::write(&path, serde_json::to_string_pretty(&all)? + "\n")?;
            table(&result);
        }
    }
    Ok(())
}

/// The rows of `make bench`'s table.
fn table(r: &Value) {
    let row = |figure: &str, value: &Value, reference: &str, ratio: String| {
        println!(
            "{figure:<48} {:>14} {reference:>14} {ratio:>8}",
            value.to_string()
        );
    };
    let ratio = |v: &Value, target: f64| format!("{:.3}", v.as_f64().unwrap_or(0.0) / target);
    let sweep = &r["sla_sweep"];
    for (name, run) in [
        ("backlog, longest run", "backlog"),
        ("next minute", "next_minute"),
        ("idle", "idle"),
    ] {
        let s = &sweep[run]["seconds"];
        row(
            &format!("complaints SLA sweep, 100k open, {name} (s)"),
            s,
            "2",
            ratio(s, 2.0),
        );
    }
    let mixed = &r["case_list"]["mixed_4_clients"]["p99_ms"];
    row(
        "complaints case list p99, 100k cases (ms)",
        mixed,
        "20",
        ratio(mixed, 20.0),
    );
    let worst = r["case_list"]["sequential"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(|q| q["p99_ms"].as_f64())
        .fold(0.0, f64::max);
    row(
        "complaints case list p99, worst filter (ms)",
        &json!(worst),
        "20",
        ratio(&json!(worst), 20.0),
    );
}
