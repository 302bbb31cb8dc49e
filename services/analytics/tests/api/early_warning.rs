//! The early-warning check runs soon after the facts its rules read change, not only every
//! `[alerts] interval_secs`: an integrator who files complaints sees the alert within seconds.

use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{complaint, TestApp};

/// Well under the job's default period (a minute), well over its debounce (a second).
const SOON: Duration = Duration::from_secs(6);

async fn open_alerts(t: &TestApp) -> Vec<Value> {
    let open = t
        .get_json(&t.admin(), "/api/v1/analytics/alerts?status=open")
        .await;
    open["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaints_crossing_the_threshold_raise_the_alert_within_seconds_at_the_default_interval()
{
    // The system clock, and every job at its configured period.
    let t = TestApp::spawn().await;
    let merchant = Uuid::now_v7();
    let now = t.clock.now();
    let filed = |_| {
        let mut c = complaint(merchant, now);
        c.city = Some("拉萨".into());
        c
    };
    let complaints: Vec<_> = (0..5).map(filed).collect();
    for c in &complaints {
        t.emit(c, now).await;
    }
    let raised = kuaidi_shared::testing::eventually(SOON, "the spike's alert", || async {
        let alerts = open_alerts(&t).await;
        (!alerts.is_empty()).then_some(alerts)
    })
    .await;
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(
        (
            &raised[0]["kind"],
            &raised[0]["city"],
            &raised[0]["observed"]
        ),
        (
            &Value::from("complaint_spike"),
            &Value::from("拉萨"),
            &Value::from(5.0)
        )
    );
    // A sixth complaint wakes the check again: still one alert for the day.
    t.emit(&filed(5), now).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let alerts = open_alerts(&t).await;
    assert_eq!(alerts.len(), 1, "one alert per condition a day: {alerts:?}");
    t.stop().await;
}
