//! Re-sends asked for by hand (`:redeliver`, `:replay`) beside the automatic retry schedule
//! (SPEC §5, as Stripe's manual re-sends): each is one attempt more, which takes no step of the
//! schedule and moves its next attempt neither sooner nor later; the endpoint taking it makes
//! the delivery `succeeded`, and a `failed` delivery whose re-send fails stays `failed`. Time is
//! the service's manual clock, moved by the test.

use chrono::{DateTime, Duration, Utc};
use kuaidi_shared::clock::Clock;
use kuaidi_shared::testing::{body_json, eventually, expect_json, TestApp};
use kuaidi_shipments::configuration::WebhookSettings;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use uuid::Uuid;

use crate::helpers::webhook_settings;
use crate::webhook_edits::{receiver, register, WAIT};

/// SPEC §5: 1 m, 5 m, 30 m, 2 h, 6 h, 12 h.
const SCHEDULE: [u64; 6] = [
    60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 43_200_000,
];

/// The service on a manual clock, retrying on `schedule` for `retry_for_ms`.
async fn spawn(schedule: &[u64], retry_for_ms: u64) -> TestApp {
    let hooks = WebhookSettings {
        retry_schedule_ms: schedule.to_vec(),
        retry_for_ms,
        // SPEC §5: an endpoint failing for 3 days is disabled.
        disable_after_ms: 3 * 24 * 3_600_000,
        ..webhook_settings(true)
    };
    TestApp::spawn_with_clock(
        "shipments",
        kuaidi_shipments::startup::MIGRATIONS,
        Clock::manual(Utc::now()),
        move |settings| kuaidi_shipments::startup::build_with(settings, hooks),
    )
    .await
}

/// A merchant's subscription, and what the test asks of it.
struct Hook<'a> {
    t: &'a TestApp,
    token: String,
    location: String,
}

impl<'a> Hook<'a> {
    async fn register(t: &'a TestApp, url: &str) -> Self {
        let token = t.merchant(Uuid::now_v7());
        let (location, _, _) = register(t, &token, url).await;
        Self { t, token, location }
    }

    /// Queues a `:test` delivery; its id.
    async fn test(&self) -> String {
        let path = format!("{}:test", self.location);
        let queued = expect_json(self.t.post(&self.token, &path, &json!({})).await, 202).await;
        queued["id"].as_str().expect("the delivery's id").to_owned()
    }

    /// The delivery `id` as listed, once it has had `n` attempts.
    async fn attempted(&self, id: &str, n: i64) -> Value {
        let path = format!("{}/deliveries", self.location);
        eventually(WAIT, &format!("attempt {n} of {id}"), || async {
            let page = body_json(self.t.get(&self.token, &path).await).await;
            page["data"]
                .as_array()?
                .iter()
                .find(|d| d["id"] == id && d["attempts"] == n)
                .cloned()
        })
        .await
    }

    /// `:redeliver`: the 202's delivery.
    async fn redeliver(&self, id: &str) -> Value {
        let path = format!("{}/deliveries/{id}:redeliver", self.location);
        expect_json(self.t.post(&self.token, &path, &json!({})).await, 202).await
    }

    /// `:replay` of the last hour of the clock: how many deliveries it queued.
    async fn replay(&self) -> Value {
        let path = format!("{}:replay", self.location);
        let since = self.t.clock.now() - Duration::hours(1);
        let body = json!({ "since": since });
        expect_json(self.t.post(&self.token, &path, &body).await, 202).await["requeued"].clone()
    }
}

fn at(time: &Value) -> DateTime<Utc> {
    let text = time.as_str().unwrap_or_else(|| panic!("a time: {time}"));
    DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339")
        .to_utc()
}

/// Whether `gap` is `minutes` within the schedule's ±10 % jitter.
fn about(gap: Duration, minutes: i64) -> bool {
    let exact = Duration::minutes(minutes);
    gap >= exact * 9 / 10 && gap <= exact * 11 / 10
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_of_a_pending_delivery_leaves_its_retry_schedule_where_it_was() {
    let t = spawn(&SCHEDULE, 24 * 3_600_000).await;
    let (received, url) = receiver();
    received.failing.store(true, Ordering::SeqCst);
    let hook = Hook::register(&t, &url).await;
    let sent_at = t.clock.now();
    let id = hook.test().await;
    let first = hook.attempted(&id, 1).await;
    let due = at(&first["next_attempt_at"]);
    assert!(
        about(due - sent_at, 1),
        "the first retry 1 m later: {first}"
    );

    let answered = hook.redeliver(&id).await;
    let resent = hook.attempted(&id, 2).await;

    assert_eq!(
        answered["next_attempt_at"], first["next_attempt_at"],
        "asking for a re-send moves no automatic attempt: {answered}"
    );
    assert_eq!(resent["last_status_code"], 500, "the re-send was made");
    assert_eq!(
        (resent["status"].clone(), resent["next_attempt_at"].clone()),
        (json!("pending"), first["next_attempt_at"].clone()),
        "a failed re-send leaves the next automatic attempt where it was"
    );
    t.clock.set(due);
    let retried = hook.attempted(&id, 3).await;
    let gap = at(&retried["next_attempt_at"]) - due;
    assert!(
        about(gap, 5),
        "the automatic retry was the schedule's first, the next waits its second delay (5 m), \
         not a step further: {gap}"
    );
    received.failing.store(false, Ordering::SeqCst);
    hook.redeliver(&id).await;
    let taken = hook.attempted(&id, 4).await;
    assert_eq!(
        (taken["status"].clone(), taken["next_attempt_at"].clone()),
        (json!("succeeded"), Value::Null),
        "a re-send the endpoint takes delivers it"
    );
    assert_eq!(received.got.lock().expect("lock").len(), 4);
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_resent_by_hand_stays_failed_unless_the_endpoint_takes_it() {
    // One retry 1 m after the first attempt, and none after 2 m.
    let t = spawn(&[60_000], 120_000).await;
    let (received, url) = receiver();
    received.failing.store(true, Ordering::SeqCst);
    let hook = Hook::register(&t, &url).await;
    let id = hook.test().await;
    hook.attempted(&id, 1).await;
    t.clock.advance(Duration::minutes(2));
    let failed = hook.attempted(&id, 2).await;
    assert_eq!(failed["status"], "failed", "its retries are over: {failed}");

    hook.redeliver(&id).await;
    let resent = hook.attempted(&id, 3).await;

    assert_eq!(
        (resent["status"].clone(), resent["next_attempt_at"].clone()),
        (json!("failed"), Value::Null),
        "a failed re-send does not put the delivery back on the schedule: {resent}"
    );
    t.clock.advance(Duration::days(1));
    // Once the worker has sent another delivery of the endpoint a day later, it has passed
    // over this one.
    let later = hook.test().await;
    hook.attempted(&later, 1).await;
    hook.attempted(&id, 3).await;
    received.failing.store(false, Ordering::SeqCst);
    hook.redeliver(&id).await;
    let taken = hook.attempted(&id, 4).await;
    assert_eq!(taken["status"], "succeeded", "a re-send taken delivers it");
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_resends_each_delivery_once_and_moves_no_retry_schedule() {
    let t = spawn(&[60_000], 120_000).await;
    let (received, url) = receiver();
    received.failing.store(true, Ordering::SeqCst);
    let hook = Hook::register(&t, &url).await;
    let old = hook.test().await;
    hook.attempted(&old, 1).await;
    t.clock.advance(Duration::minutes(2));
    assert_eq!(hook.attempted(&old, 2).await["status"], "failed");
    let recent = hook.test().await;
    let first = hook.attempted(&recent, 1).await;
    assert_eq!(first["status"], "pending", "{first}");

    let requeued = hook.replay().await;
    let (old_now, recent_now) = (
        hook.attempted(&old, 3).await,
        hook.attempted(&recent, 2).await,
    );

    assert_eq!(requeued, 2, "both deliveries that did not succeed");
    assert_eq!(
        (
            old_now["status"].clone(),
            old_now["next_attempt_at"].clone()
        ),
        (json!("failed"), Value::Null),
        "the failed delivery, re-sent and refused again, stays failed: {old_now}"
    );
    assert_eq!(
        (
            recent_now["status"].clone(),
            recent_now["next_attempt_at"].clone()
        ),
        (json!("pending"), first["next_attempt_at"].clone()),
        "the pending one keeps its next automatic attempt: {recent_now}"
    );
    received.failing.store(false, Ordering::SeqCst);
    assert_eq!(hook.replay().await, 2);
    for (id, attempts) in [(&old, 4), (&recent, 3)] {
        let taken = hook.attempted(id, attempts).await;
        assert_eq!(taken["status"], "succeeded", "{taken}");
    }
    t.app.stop().await;
}
