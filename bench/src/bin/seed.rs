//! Creates shipments through the gateway for the benchmarks and prints their tracking numbers.
//!
//! Usage: kuaidi-bench-seed <gateway url> <token> <count> <concurrency>

use futures_util::{stream, StreamExt};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = kuaidi_bench::args("<gateway> <token> <count> <concurrency>")?;
    let (gateway, token) = (args[0].clone(), args[1].clone());
    let count: usize = args[2].parse()?;
    let concurrency: usize = args[3].parse()?;
    let client = reqwest::Client::new();
    let cities = ["北京", "上海", "广州", "深圳", "杭州", "成都"];
    let numbers: Vec<String> = stream::iter(0..count)
        .map(|i| {
            let (client, gateway, token) = (client.clone(), gateway.clone(), token.clone());
            async move {
                let body = json!({
                    "recipient": {"name": "张三", "phone": format!("138{:08}", i), "address": "建国路 88 号", "city": cities[i % 6]},
                    "origin": {"city": cities[(i + 1) % 6], "hub_code": "SHA01"},
                    "destination": {"city": cities[i % 6], "hub_code": "PEK02"},
                    "service_level": "express", "weight_kg": 1.0,
                    "freight": {"amount": "12.00", "currency": "CNY"},
                    "merchant_id": "0193a0c4-8a6e-7c1a-9a51-5f0c2b1d7e01"
                });
                let resp = client
                    .post(format!("{gateway}/api/v1/shipments"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .ok()?;
                let created: Value = resp.json().await.ok()?;
                created["tracking_number"].as_str().map(str::to_owned)
            }
        })
        .buffer_unordered(concurrency)
        .filter_map(|tn| async move { tn })
        .collect()
        .await;
    for tn in numbers {
        println!("{tn}");
    }
    Ok(())
}
