//! Webhooks end to end: a real receiver (actix-web on 127.0.0.1:0) gets signed events fanned out
//! from the bus, with retries, restarts, SSRF refusals and per-merchant isolation.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use hmac::{Hmac, Mac};
use kuaidi_shared::app::RunningApp;
use kuaidi_shared::auth::Role;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::events::catalogue::{PlaceV1, ShipmentCreatedV1};
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::money::Money;
use kuaidi_shared::settings::ServiceSettings;
use kuaidi_shared::testing::{body_json, eventually, publish, stub_server, TestApp, TestEnv};
use kuaidi_shipments::configuration::WebhookSettings;
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

use crate::helpers::webhook_settings;

const WAIT: Duration = Duration::from_secs(20);

/// The service under test with the settings it was started with, to start it again.
struct Hooks {
    t: TestApp,
    settings: ServiceSettings,
}

impl std::ops::Deref for Hooks {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.t
    }
}

impl Hooks {
    async fn spawn(hooks: WebhookSettings) -> Self {
        let env = TestEnv::new();
        let settings = env.settings("shipments");
        let app = start(&settings, hooks).await;
        let t = TestApp {
            env,
            app,
            clock: Clock::system(),
        };
        Self { t, settings }
    }

    /// Registers `url` for `events`; returns (id, secret).
    async fn register(&self, token: &str, url: &str, events: Value) -> (String, String) {
        let resp = self
            .post(
                token,
                "/api/v1/webhooks",
                &json!({"url": url, "events": events}),
            )
            .await;
        assert_eq!(resp.status(), 201, "registration of {url} must succeed");
        let body: Value = resp.json().await.expect("json");
        (
            body["id"].as_str().expect("id").to_owned(),
            body["secret"].as_str().expect("secret").to_owned(),
        )
    }

    async fn deliveries(&self, token: &str, id: &str) -> Vec<Value> {
        let resp = self
            .get(token, &format!("/api/v1/webhooks/{id}/deliveries"))
            .await;
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.expect("json");
        body["data"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until the subscription's only delivery has `status`; returns it.
    async fn delivery_with_status(&self, token: &str, id: &str, status: &str) -> Value {
        eventually(WAIT, &format!("a {status} delivery"), || async {
            self.deliveries(token, id)
                .await
                .into_iter()
                .find(|d| d["status"] == status)
        })
        .await
    }
}

async fn start(settings: &ServiceSettings, hooks: WebhookSettings) -> RunningApp {
    kuaidi_shipments::startup::build_with(settings.clone(), hooks)
        .await
        .expect("shipments service builds")
        .spawn()
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    event_id: String,
    event_type: String,
    signature: String,
    body: Vec<u8>,
}

#[derive(Default)]
struct ReceiverState {
    got: Mutex<Vec<Received>>,
    /// Answer 500 to this many requests first.
    fail_first: AtomicUsize,
    /// Answer 500 to everything while set.
    failing: AtomicBool,
    /// Answer each request only after this many milliseconds (a stalled endpoint).
    stall_ms: AtomicU64,
    /// Requests being answered now, and the most there were at once.
    answering: AtomicUsize,
    most_at_once: AtomicUsize,
}

struct Receiver {
    state: Arc<ReceiverState>,
    port: u16,
    _server: actix_web::dev::ServerHandle,
}

impl Receiver {
    async fn start() -> Self {
        let state = Arc::new(ReceiverState::default());
        let (port, handle) = stub_server(web::Data::from(state.clone()), receive);
        Self {
            state,
            port,
            _server: handle,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn got(&self) -> Vec<Received> {
        self.state.got.lock().expect("lock").clone()
    }

    async fn received(&self, n: usize) -> Vec<Received> {
        eventually(WAIT, &format!("{n} requests at the receiver"), || async {
            let got = self.got();
            (got.len() >= n).then_some(got)
        })
        .await
    }
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<ReceiverState>,
) -> HttpResponse {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    state.got.lock().expect("lock").push(Received {
        event_id: header("kuaidi-event-id"),
        event_type: header("kuaidi-event-type"),
        signature: header("kuaidi-signature"),
        body: body.to_vec(),
    });
    let stall = state.stall_ms.load(Ordering::SeqCst);
    if stall > 0 {
        let now = state.answering.fetch_add(1, Ordering::SeqCst) + 1;
        state.most_at_once.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(stall)).await;
        state.answering.fetch_sub(1, Ordering::SeqCst);
    }
    let fail_first = state
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if fail_first || state.failing.load(Ordering::SeqCst) {
        HttpResponse::InternalServerError().finish()
    } else {
        HttpResponse::Ok().finish()
    }
}

/// What a receiver does: recompute the HMAC over "t.body" and refuse old timestamps.
fn verify(secret: &str, r: &Received) -> bool {
    let Some((t, v1)) = r
        .signature
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
    else {
        return false;
    };
    let Ok(t) = t.parse::<i64>() else {
        return false;
    };
    if (Utc::now().timestamp() - t).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(&r.body);
    hex::encode(mac.finalize().into_bytes()) == v1
}

pub(crate) fn created_event(merchant_id: Uuid) -> CloudEvent {
    let now = Utc::now();
    let place = |city: &str| PlaceV1 {
        city: city.into(),
        province: None,
        hub_code: None,
    };
    let payload = ShipmentCreatedV1 {
        shipment_id: Uuid::now_v7(),
        tracking_number: "KD000000019CN".into(),
        merchant_id: Some(merchant_id),
        shipper_customer_id: None,
        service_level: "express".into(),
        origin: place("上海"),
        destination: place("北京"),
        weight_kg: 1.0,
        freight: Money::from_minor(1850, "CNY"),
        declared_value: None,
        cod_amount: None,
        promised_at: None,
        created_at: now,
        sequence: 1,
        recipient_phone_hash: None,
    };
    kuaidi_shared::testing::relayed("shipments", payload.shipment_id, &payload, now)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipment_events_arrive_signed_with_the_subscription_secret() {
    let t = Hooks::spawn(webhook_settings(true)).await;
    let receiver = Receiver::start().await;
    let merchant = Uuid::now_v7();
    let token = t.env.token(Role::Merchant, Some(merchant));
    let (id, secret) = t
        .register(&token, &receiver.url(), json!(["shipment.created"]))
        .await;
    let event = created_event(merchant);

    publish(&t.env.amqp, &event).await;

    let got = receiver.received(1).await;
    assert_eq!(got[0].event_id, event.id.to_string());
    assert_eq!(got[0].event_type, "shipment.created");
    assert!(
        verify(&secret, &got[0]),
        "the signature verifies with the secret"
    );
    assert!(!verify("whsec_wrong", &got[0]), "and only with the secret");
    let body: CloudEvent = serde_json::from_slice(&got[0].body).expect("the body is the event");
    assert_eq!(body, event);
    let d = t.delivery_with_status(&token, &id, "succeeded").await;
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["last_status_code"], 200);
    assert!(d["last_latency_ms"].is_number(), "latency is recorded");
    t.t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_secret_of_the_callers_choice_signs_the_deliveries() {
    let t = Hooks::spawn(webhook_settings(true)).await;
    let receiver = Receiver::start().await;
    let merchant = Uuid::now_v7();
    let token = t.env.token(Role::Merchant, Some(merchant));
    let register = |secret: &str| json!({"url": receiver.url(), "events": ["shipment.created"], "secret": secret});
    for bad in [String::new(), "x".repeat(257)] {
        let resp = t.post(&token, "/api/v1/webhooks", &register(&bad)).await;
        assert_eq!(resp.status(), 422, "secret of {} characters", bad.len());
    }

    let resp = t
        .post(&token, "/api/v1/webhooks", &register("s3cret"))
        .await;

    assert_eq!(resp.status(), 201, "a 6-character secret is accepted");
    assert_eq!(body_json(resp).await["secret"], "s3cret");
    publish(&t.env.amqp, &created_event(merchant)).await;
    let got = receiver.received(1).await;
    assert!(verify("s3cret", &got[0]), "signed with the caller's secret");
    t.t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_failing_twice_gets_the_event_on_the_third_attempt() {
    let t = Hooks::spawn(webhook_settings(true)).await;
    let receiver = Receiver::start().await;
    receiver.state.fail_first.store(2, Ordering::SeqCst);
    let token = t.env.token(Role::App, None);
    let (id, secret) = t.register(&token, &receiver.url(), json!(["*"])).await;

    publish(&t.env.amqp, &created_event(Uuid::now_v7())).await;

    let d = t.delivery_with_status(&token, &id, "succeeded").await;
    assert_eq!(d["attempts"], 3, "two failures, then success");
    let got = receiver.got();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter()
            .all(|r| r.event_id == got[0].event_id && verify(&secret, r)),
        "every attempt carries the same event id and a valid signature"
    );
    t.t.app.stop().await;
}

/// An endpoint that answers only after a long while, with 40 deliveries queued, holds a few of
/// the worker's slots until it answers — not all of them, round after round: another
/// merchant's delivery, queued behind all of its, arrives at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_endpoint_does_not_hold_up_another_endpoints_deliveries() {
    const STALL: Duration = Duration::from_secs(6);
    let mut hooks = webhook_settings(true);
    hooks.request_timeout_ms = 10_000;
    let share = usize::try_from(hooks.per_endpoint).expect("a small share");
    let t = Hooks::spawn(hooks).await;
    let (stalled, healthy) = (Receiver::start().await, Receiver::start().await);
    let stall_ms = u64::try_from(STALL.as_millis()).expect("ms");
    stalled.state.stall_ms.store(stall_ms, Ordering::SeqCst);
    let staff = t.env.token(Role::App, None);
    t.register(&staff, &stalled.url(), json!(["shipment.created"]))
        .await;
    for _ in 0..40 {
        publish(&t.env.amqp, &created_event(Uuid::now_v7())).await;
    }
    stalled.received(share).await;
    let merchant = Uuid::now_v7();
    let token = t.env.token(Role::Merchant, Some(merchant));
    t.register(&token, &healthy.url(), json!(["shipment.created"]))
        .await;

    let published = Instant::now();
    publish(&t.env.amqp, &created_event(merchant)).await;

    healthy.received(1).await;
    let waited = published.elapsed();
    assert!(
        waited < STALL / 2,
        "the healthy endpoint's delivery arrives at once, not behind the stalled one's: {waited:?}"
    );
    assert!(
        stalled.state.most_at_once.load(Ordering::SeqCst) <= share,
        "the stalled endpoint never had more than its share in flight: {}",
        stalled.state.most_at_once.load(Ordering::SeqCst)
    );
    t.t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_deliveries_are_sent_after_the_service_restarts() {
    let mut hooks = webhook_settings(true);
    hooks.retry_schedule_ms = vec![300];
    let t = Hooks::spawn(hooks.clone()).await;
    let receiver = Receiver::start().await;
    receiver.state.failing.store(true, Ordering::SeqCst);
    let token = t.env.token(Role::App, None);
    let (id, _) = t
        .register(&token, &receiver.url(), json!(["shipment.created"]))
        .await;
    publish(&t.env.amqp, &created_event(Uuid::now_v7())).await;
    receiver.received(1).await;
    t.t.app.stop().await;

    receiver.state.failing.store(false, Ordering::SeqCst);
    let app = start(&t.settings, hooks).await;
    let t = Hooks {
        t: TestApp { app, ..t.t },
        ..t
    };

    let d = t.delivery_with_status(&token, &id, "succeeded").await;
    assert!(
        d["attempts"].as_i64().unwrap_or(0) >= 2,
        "failed before the restart, sent after: {d}"
    );
    t.t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_and_metadata_addresses_are_refused() {
    let strict = Hooks::spawn(webhook_settings(false)).await;
    let token = strict.env.token(Role::Admin, None);
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/hook",
        "http://[::1]/hook",
        "http://localhost/hook",
        "ftp://example.com/hook",
    ] {
        let resp = strict
            .post(
                &token,
                "/api/v1/webhooks",
                &json!({"url": url, "events": ["*"]}),
            )
            .await;
        assert_eq!(resp.status(), 422, "{url} must be refused by default");
        let problem: Value = resp.json().await.expect("json");
        assert_eq!(problem["errors"][0]["field"], "url", "for {url}");
    }
    strict.t.app.stop().await;

    let lax = Hooks::spawn(webhook_settings(true)).await;
    let token = lax.env.token(Role::Admin, None);
    for metadata in [
        "http://169.254.169.254/latest/meta-data",
        "http://100.100.100.200/latest/meta-data",
        "http://[fd00:ec2::254]/latest/meta-data",
    ] {
        let resp = lax
            .post(
                &token,
                "/api/v1/webhooks",
                &json!({"url": metadata, "events": ["*"]}),
            )
            .await;
        assert_eq!(
            resp.status(),
            422,
            "{metadata}: cloud metadata is refused even when private targets are allowed"
        );
    }
    lax.register(&token, "http://127.0.0.1:9/hook", json!(["*"]))
        .await;
    lax.t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_resolving_to_loopback_is_refused_at_delivery_time() {
    let lax = Hooks::spawn(webhook_settings(true)).await;
    let receiver = Receiver::start().await;
    let token = lax.env.token(Role::App, None);
    let url = format!("http://localhost:{}/hook", receiver.port);
    let (id, _) = lax.register(&token, &url, json!(["*"])).await;
    lax.t.app.stop().await;
    // The same database, now without private targets: the name resolves to loopback.
    let app = start(&lax.settings, webhook_settings(false)).await;
    let t = Hooks {
        t: TestApp { app, ..lax.t },
        ..lax
    };

    publish(&t.env.amqp, &created_event(Uuid::now_v7())).await;

    let d = eventually(WAIT, "an attempt", || async {
        t.deliveries(&token, &id)
            .await
            .into_iter()
            .find(|d| d["attempts"].as_i64().unwrap_or(0) >= 1)
    })
    .await;
    assert!(d["last_status_code"].is_null(), "nothing was sent: {d}");
    assert_eq!(
        d["last_error"], "target address not allowed",
        "the owner is told why, without the address: {d}"
    );
    assert!(receiver.got().is_empty(), "the receiver was never called");
    t.t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchants_see_and_receive_only_their_own_webhooks() {
    let t = Hooks::spawn(webhook_settings(true)).await;
    let (rx_a, rx_b) = (Receiver::start().await, Receiver::start().await);
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let (token_a, token_b) = (
        t.env.token(Role::Merchant, Some(a)),
        t.env.token(Role::Merchant, Some(b)),
    );
    let (id_a, _) = t.register(&token_a, &rx_a.url(), json!(["*"])).await;
    let (id_b, _) = t.register(&token_b, &rx_b.url(), json!(["*"])).await;

    let list = body_json(t.get(&token_b, "/api/v1/webhooks").await).await;
    let ids = kuaidi_shared::testing::strings(&list["data"], "id");
    assert_eq!(ids, vec![id_b.as_str()], "B lists only its own webhook");
    for (method, path) in [
        ("GET", format!("/api/v1/webhooks/{id_a}/deliveries")),
        ("POST", format!("/api/v1/webhooks/{id_a}:test")),
        ("DELETE", format!("/api/v1/webhooks/{id_a}")),
    ] {
        let resp = t
            .env
            .http
            .request(method.parse().expect("method"), t.url(&path))
            .bearer_auth(&token_b)
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), 404, "{method} {path} by another merchant");
    }

    publish(&t.env.amqp, &created_event(b)).await;

    rx_b.received(1).await;
    t.delivery_with_status(&token_b, &id_b, "succeeded").await;
    assert!(
        t.deliveries(&token_a, &id_a).await.is_empty(),
        "A gets nothing of B's"
    );
    assert!(rx_a.got().is_empty());
    let deleted = t
        .env
        .http
        .delete(t.url(&format!("/api/v1/webhooks/{id_a}")))
        .bearer_auth(&token_a)
        .send()
        .await
        .expect("sent");
    assert_eq!(deleted.status(), 204, "the owner may delete it");
    let listed = body_json(t.get(&token_a, "/api/v1/webhooks").await).await;
    assert_eq!(listed["data"], json!([]), "the deleted webhook is gone");
    assert_eq!(
        t.get(&token_a, &format!("/api/v1/webhooks/{id_a}/deliveries"))
            .await
            .status(),
        404,
        "and so are its deliveries"
    );
    publish(&t.env.amqp, &created_event(a)).await;
    publish(&t.env.amqp, &created_event(b)).await;
    rx_b.received(2).await;
    assert!(
        rx_a.got().is_empty(),
        "A's later event (published first) went nowhere"
    );
    t.t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_action_sends_a_signed_sample_event() {
    let t = Hooks::spawn(webhook_settings(true)).await;
    let receiver = Receiver::start().await;
    let token = t.env.token(Role::Merchant, Some(Uuid::now_v7()));
    let (id, secret) = t
        .register(&token, &receiver.url(), json!(["shipment.delivered"]))
        .await;

    let resp = t
        .post(&token, &format!("/api/v1/webhooks/{id}:test"), &json!({}))
        .await;

    assert_eq!(resp.status(), 202);
    let got = receiver.received(1).await;
    assert_eq!(got[0].event_type, "webhook.test");
    assert!(verify(&secret, &got[0]), "the sample is signed");
    let body: Value = serde_json::from_slice(&got[0].body).expect("json");
    assert_eq!(body["type"], "webhook.test");
    assert_eq!(body["data"]["webhook_id"], id);
    t.t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_resends_what_failed_and_redeliver_sends_again() {
    let mut hooks = webhook_settings(true);
    hooks.retry_schedule_ms = vec![50];
    hooks.retry_for_ms = 300;
    let t = Hooks::spawn(hooks).await;
    let receiver = Receiver::start().await;
    receiver.state.failing.store(true, Ordering::SeqCst);
    let token = t.env.token(Role::App, None);
    let (id, _) = t.register(&token, &receiver.url(), json!(["*"])).await;
    publish(&t.env.amqp, &created_event(Uuid::now_v7())).await;
    let failed = t.delivery_with_status(&token, &id, "failed").await;
    let tried = receiver.got().len();
    receiver.state.failing.store(false, Ordering::SeqCst);

    let resp = t
        .post(
            &token,
            &format!("/api/v1/webhooks/{id}:replay"),
            &json!({"since": (Utc::now() - chrono::Duration::hours(1)).to_rfc3339()}),
        )
        .await;

    assert_eq!(resp.status(), 202);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["requeued"], 1);
    let ok = t.delivery_with_status(&token, &id, "succeeded").await;
    assert_eq!(ok["id"], failed["id"], "the same delivery, sent again");
    receiver.received(tried + 1).await;

    let again = t
        .post(
            &token,
            &format!(
                "/api/v1/webhooks/{id}/deliveries/{}:redeliver",
                ok["id"].as_str().expect("id")
            ),
            &json!({}),
        )
        .await;
    assert_eq!(again.status(), 202);
    receiver.received(tried + 2).await;
    t.t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_failing_for_the_configured_period_is_disabled_and_its_owner_notified() {
    let mut hooks = webhook_settings(true);
    hooks.retry_schedule_ms = vec![50];
    hooks.disable_after_ms = 300;
    let t = Hooks::spawn(hooks).await;
    let tap = t.env.tap().await;
    let receiver = Receiver::start().await;
    receiver.state.failing.store(true, Ordering::SeqCst);
    let merchant = Uuid::now_v7();
    let token = t.env.token(Role::Merchant, Some(merchant));
    let (id, _) = t.register(&token, &receiver.url(), json!(["*"])).await;

    publish(&t.env.amqp, &created_event(merchant)).await;

    let event = tap.next_of_type("webhook.endpoint_disabled", WAIT).await;
    assert_eq!(event.data["webhook_id"], id);
    assert_eq!(event.data["merchant_id"], json!(merchant));
    let list = body_json(t.get(&token, "/api/v1/webhooks").await).await;
    assert!(
        list["data"][0]["disabled_at"].is_string(),
        "the endpoint is shown disabled: {list}"
    );
    // A healthy endpoint registered now gets the next event in the same fan-out: once it has
    // it, the worker has passed over the disabled endpoint's delivery (the barrier).
    let healthy = Receiver::start().await;
    t.register(&token, &healthy.url(), json!(["*"])).await;
    let tried = receiver.got().len();
    publish(&t.env.amqp, &created_event(merchant)).await;
    eventually(WAIT, "the second event kept for the endpoint", || async {
        (t.deliveries(&token, &id).await.len() == 2).then_some(())
    })
    .await;
    healthy.received(1).await;
    assert_eq!(
        receiver.got().len(),
        tried,
        "a disabled endpoint is not called"
    );

    receiver.state.failing.store(false, Ordering::SeqCst);
    let replay = t
        .post(
            &token,
            &format!("/api/v1/webhooks/{id}:replay"),
            &json!({"since": (Utc::now() - chrono::Duration::days(60)).to_rfc3339()}),
        )
        .await;
    assert_eq!(replay.status(), 202);
    eventually(WAIT, "both events delivered after the replay", || async {
        let d = t.deliveries(&token, &id).await;
        d.iter().all(|d| d["status"] == "succeeded").then_some(())
    })
    .await;
    let list = body_json(t.get(&token, "/api/v1/webhooks").await).await;
    assert!(
        list["data"][0]["disabled_at"].is_null(),
        "the replay enabled the endpoint again: {list}"
    );
    t.t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_receives_only_the_event_types_it_asked_for() {
    let t = Hooks::spawn(webhook_settings(true)).await;
    let (wanted, unwanted) = (Receiver::start().await, Receiver::start().await);
    let merchant = Uuid::now_v7();
    let token = t.env.token(Role::Merchant, Some(merchant));
    let (created_id, _) = t
        .register(&token, &wanted.url(), json!(["shipment.created"]))
        .await;
    let (delivered_id, _) = t
        .register(&token, &unwanted.url(), json!(["shipment.delivered"]))
        .await;

    publish(&t.env.amqp, &created_event(merchant)).await;

    let got = wanted.received(1).await;
    assert_eq!(got[0].event_type, "shipment.created");
    t.delivery_with_status(&token, &created_id, "succeeded")
        .await;
    // Both subscriptions were considered in the one fan-out that queued the wanted delivery.
    assert!(t.deliveries(&token, &delivered_id).await.is_empty());
    assert!(unwanted.got().is_empty());
    t.t.app.stop().await;
}

/// The fan-out keeps no `processed_events` row (a delivery is unique by subscription and event):
/// an event the broker hands over twice is still sent once, and leaves nothing in the inbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_handed_over_twice_is_sent_to_the_webhook_once() {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    use secrecy::ExposeSecret;
    let t = Hooks::spawn(webhook_settings(true)).await;
    let receiver = Receiver::start().await;
    let merchant = Uuid::now_v7();
    let token = t.env.token(Role::Merchant, Some(merchant));
    let (id, _) = t
        .register(&token, &receiver.url(), json!(["shipment.created"]))
        .await;
    let (twice, after) = (created_event(merchant), created_event(merchant));

    publish(&t.env.amqp, &twice).await;
    publish(&t.env.amqp, &twice).await;
    // One queue, one consumer: once the later event is sent, both copies were handled.
    publish(&t.env.amqp, &after).await;
    receiver.received(2).await;
    eventually(WAIT, "every delivery succeeded", || async {
        let d = t.deliveries(&token, &id).await;
        d.iter().all(|d| d["status"] == "succeeded").then_some(d)
    })
    .await;
    let mut sent: Vec<String> = receiver.got().into_iter().map(|r| r.event_id).collect();
    sent.sort();
    let mut want = vec![twice.id.to_string(), after.id.to_string()];
    want.sort();
    assert_eq!(sent, want, "each event sent once");
    assert_eq!(t.deliveries(&token, &id).await.len(), 2);

    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(t.settings.database_url.expose_secret())
        .expect("the service's database");
    let inbox: N = diesel::sql_query("SELECT count(*) AS n FROM processed_events")
        .get_result(&mut conn)
        .expect("count");
    assert_eq!(inbox.n, 0, "the fan-out records no event");
    t.t.app.stop().await;
}

/// SPEC §5: a disabled endpoint's owner is "notified by event" — through the owner's other
/// endpoints that subscribed to `webhook.endpoint_disabled`, signed like any delivery; no other
/// tenant (another merchant, staff seeing every shipment event) hears of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_of_a_disabled_endpoint_is_told_through_its_other_endpoints_only() {
    let mut hooks = webhook_settings(true);
    hooks.retry_schedule_ms = vec![50];
    hooks.disable_after_ms = 300;
    let t = Hooks::spawn(hooks).await;
    let (failing, told, other, staff) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    failing.state.failing.store(true, Ordering::SeqCst);
    let (merchant, stranger) = (Uuid::now_v7(), Uuid::now_v7());
    let token = t.env.token(Role::Merchant, Some(merchant));
    let stranger_token = t.env.token(Role::Merchant, Some(stranger));
    let admin = t.env.token(Role::Admin, None);
    let (a, _) = t
        .register(&token, &failing.url(), json!(["shipment.created"]))
        .await;
    let (b, b_secret) = t
        .register(&token, &told.url(), json!(["webhook.endpoint_disabled"]))
        .await;
    let (c, _) = t
        .register(
            &stranger_token,
            &other.url(),
            json!(["webhook.endpoint_disabled"]),
        )
        .await;
    let (d, _) = t.register(&admin, &staff.url(), json!(["*"])).await;

    publish(&t.env.amqp, &created_event(merchant)).await;

    let got = told.received(1).await;
    assert_eq!(got[0].event_type, "webhook.endpoint_disabled");
    assert!(verify(&b_secret, &got[0]), "signed with B's secret");
    let body: Value = serde_json::from_slice(&got[0].body).expect("json");
    assert_eq!(
        body["data"]["webhook_id"], a,
        "it names the disabled endpoint"
    );
    assert_eq!(body["data"]["merchant_id"], json!(merchant));
    assert_eq!(got[0].event_id, body["id"].as_str().expect("id"));
    let list = body_json(t.get(&token, "/api/v1/webhooks").await).await;
    let a_row = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|w| w["id"] == a)
        .cloned()
        .expect("A listed");
    assert!(a_row["disabled_at"].is_string(), "A was disabled: {list}");
    t.delivery_with_status(&token, &b, "succeeded").await;
    // The deliveries of one disabling are queued in the transaction that disabled A: B's was
    // there, so nothing else is still to come.
    assert!(t.deliveries(&stranger_token, &c).await.is_empty());
    let staffs = t.deliveries(&admin, &d).await;
    assert!(
        staffs.iter().all(|x| x["event_type"] == "shipment.created"),
        "staff's `*` endpoint gets the shipment, not the merchant's disabling: {staffs:?}"
    );
    assert!(other.got().is_empty());
    assert!(staff
        .got()
        .iter()
        .all(|r| r.event_type != "webhook.endpoint_disabled"));
    t.t.app.stop().await;
}
