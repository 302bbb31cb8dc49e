//! The delivery worker: claims due deliveries (`FOR UPDATE SKIP LOCKED`, leased, so replicas
//! never double-send and a crashed worker's claims expire), checks the resolved address, POSTs
//! the signed event and records the attempt. It keeps a fixed number of sends in flight, a few
//! at most to any one endpoint, and claims the next as soon as one finishes: an endpoint that is
//! slow or down holds its own few slots until its timeout, never the other endpoints' deliveries. Failures are retried on the configured schedule
//! with ±10 % jitter inside the retry window, then `failed`; a re-send asked for by hand is one
//! attempt beside that schedule, which it leaves where it was (`crate::db::webhook_attempts`).
//! An attempt that got no HTTP answer records why, in words fit for the endpoint's owner
//! (`super::failure`). An endpoint failing without a
//! success for the configured period is disabled and `webhook.endpoint_disabled` is emitted,
//! and queued for the owner's other endpoints that subscribed to it.

use chrono::{DateTime, Duration as Span, Utc};
use diesel::Connection;
use kuaidi_shared::clock::Clock;
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::db::{self, PgPool};
use kuaidi_shared::events::{Outbox, Shutdown};
use kuaidi_shared::request::RequestContext;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use uuid::Uuid;

use super::failure::Failure;
use super::in_flight::InFlight;
use super::{signature, target};
use crate::configuration::WebhookSettings;
use crate::db::webhook_attempts::{self as attempts, AttemptOutcome};
use crate::db::webhook_claims::{self, Claimed};
use crate::db::webhook_endpoints as endpoints;
use crate::db::webhooks::{self as repo, DeliveryRow, SubscriptionRow};
use crate::events::Emitter;

/// Wakes the worker when a delivery was made due (`:test`, `:redeliver`, `:replay`).
#[derive(Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    /// What the delivery job waits on besides its period.
    pub fn notify(&self) -> Arc<Notify> {
        self.0.clone()
    }
}

/// The delivery work, run by the service's scheduler (every `poll_ms`, or when woken).
pub struct Worker {
    pub pool: PgPool,
    pub settings: WebhookSettings,
    /// Also heard while sends are in flight.
    pub wake: Wake,
    pub outbox: Outbox,
    /// Opens the sealed signing secrets.
    pub pii: Arc<PiiCipher>,
    pub clock: Clock,
}

impl Worker {
    /// Sends due deliveries until none is due and none is in flight; returns how many it claimed.
    /// At most `batch_size` are in flight, at most `per_endpoint` of them to one endpoint; each
    /// that finishes makes room for a claim at once, and while sends are in flight the worker
    /// also looks for newly due deliveries every `poll_ms` (or when woken). Once `stopping`, it
    /// claims nothing more and returns when what it sends has finished.
    pub async fn drain(self: Arc<Self>, stopping: Shutdown) -> anyhow::Result<usize> {
        let mut flight = InFlight::default();
        let mut claimed = 0;
        let poll = Duration::from_millis(self.settings.poll_ms.max(1));
        loop {
            if !*stopping.borrow() {
                match self.claim(&flight).await {
                    Ok(due) => {
                        claimed += due.len();
                        for (claim, sub) in due {
                            let this = self.clone();
                            flight.spawn(sub.id, async move {
                                if let Err(e) = this.attempt(claim, sub).await {
                                    tracing::warn!(error = %e, "recording a webhook attempt failed");
                                }
                            });
                        }
                    }
                    Err(e) if flight.is_empty() => return Err(e),
                    Err(e) => tracing::warn!(error = %e, "claiming webhook deliveries failed"),
                }
            }
            if flight.is_empty() {
                return Ok(claimed);
            }
            tokio::select! {
                _ = flight.settle() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = self.wake.0.notified() => {}
            }
        }
    }

    /// Claims as many due deliveries as there is room for in `flight`, each endpoint within its
    /// share, with the subscriptions they go to.
    async fn claim(&self, flight: &InFlight) -> anyhow::Result<Vec<(Claimed, SubscriptionRow)>> {
        let room = self.settings.batch_size - i64::try_from(flight.len()).unwrap_or(i64::MAX);
        if room <= 0 {
            return Ok(Vec::new());
        }
        let (lease, per_endpoint) = (
            i64::try_from(self.settings.lease_ms).unwrap_or(i64::MAX),
            self.settings.per_endpoint.max(1),
        );
        let mut busy: HashMap<Uuid, i64> = flight.busy().into_iter().collect();
        let now = self.clock.now_micros();
        let (claimed, subs) = db::work(&self.pool, move |conn| {
            let mut claimed: Vec<Claimed> = Vec::new();
            // Endpoints at their share are left out of the next claim, which may find others.
            while (claimed.len() as i64) < room {
                let shares: Vec<(Uuid, i64)> = busy.iter().map(|(e, n)| (*e, *n)).collect();
                let left = room - claimed.len() as i64;
                let rows = conn.transaction(|c| {
                    webhook_claims::claim_due(c, now, left, lease, per_endpoint, &shares)
                })?;
                if rows.is_empty() {
                    break;
                }
                for r in &rows {
                    *busy.entry(r.delivery.subscription_id).or_default() += 1;
                }
                claimed.extend(rows);
            }
            let ids: Vec<Uuid> = claimed.iter().map(|c| c.delivery.subscription_id).collect();
            let subs = repo::list_subscriptions_by_id(conn, &ids)?;
            Ok((claimed, subs))
        })
        .await?;
        let subs: HashMap<Uuid, SubscriptionRow> = subs.into_iter().map(|s| (s.id, s)).collect();
        // A subscription deleted since the claim: its deliveries went with it.
        Ok(claimed
            .into_iter()
            .filter_map(|c| {
                let sub = subs.get(&c.delivery.subscription_id)?.clone();
                Some((c, sub))
            })
            .collect())
    }

    /// Sends one delivery and records the outcome: an automatic attempt takes a step of the
    /// schedule, a re-send alone leaves it as it is.
    async fn attempt(&self, claim: Claimed, sub: SubscriptionRow) -> anyhow::Result<()> {
        let Claimed {
            delivery,
            automatic,
        } = claim;
        let started = Instant::now();
        let sent = self.send(&delivery, &sub).await;
        let latency_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        // To the microsecond stored: `webhook.endpoint_disabled` tells the `disabled_at` that
        // `GET /webhooks/{id}` shows.
        let now = self.clock.now_micros();
        let (code, error) = match sent {
            Ok(code) => (Some(i32::from(code)), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let ok = code.is_some_and(|c| (200..300).contains(&c));
        let next_attempt_at = (automatic && !ok)
            .then(|| {
                next_attempt(
                    &self.settings,
                    delivery.schedule_step + 1,
                    delivery.retry_started_at,
                    now,
                    rand::random::<f64>(),
                )
            })
            .flatten();
        let outcome = AttemptOutcome {
            automatic,
            resent: delivery.resend_due_at.is_some(),
            delivered: ok,
            status_code: code,
            latency_ms,
            error,
            next_attempt_at,
        };
        let disable_after = Span::milliseconds(
            i64::try_from(self.settings.disable_after_ms).unwrap_or(i64::MAX / 2),
        );
        let disabled = db::work(&self.pool, move |conn| {
            conn.transaction::<_, anyhow::Error, _>(|c| {
                attempts::record_attempt(c, delivery.id, &outcome, now)?;
                if ok {
                    endpoints::mark_endpoint_healthy(c, sub.id)?;
                    return Ok(false);
                }
                let Some(s) = endpoints::mark_endpoint_failing(c, sub.id, now)? else {
                    return Ok(false);
                };
                let since = s.failing_since.unwrap_or(now);
                if now - since < disable_after || !endpoints::disable_endpoint(c, s.id, now)? {
                    return Ok(false);
                }
                tracing::warn!(webhook_id = %s.id, url = %s.url, "webhook endpoint disabled after failing continuously");
                let ctx = RequestContext::detached();
                let event = Emitter { ctx: &ctx, now }.endpoint_disabled(&s, since);
                Outbox::enqueue(c, &event)?;
                super::notify_owner(c, &event, &s, now)?;
                Ok(true)
            })
        })
        .await?;
        if disabled {
            self.outbox.wake();
        }
        Ok(())
    }

    /// POSTs the event to the endpoint; the HTTP status, or why nothing was received (the cause
    /// in the log, what the owner may read in the answer).
    async fn send(&self, delivery: &DeliveryRow, sub: &SubscriptionRow) -> Result<u16, Failure> {
        let allow_private = self.settings.allow_private_targets;
        let timeout = Duration::from_millis(self.settings.request_timeout_ms);
        let failed = |why: &dyn std::fmt::Debug, failure: Failure| {
            tracing::info!(error = ?why, subscription = %sub.id, "webhook delivery failed");
            failure
        };
        let url =
            target::parse(&sub.url, allow_private).map_err(|e| failed(&e, e.clone().into()))?;
        // A resolver that does not answer must not hold the send past its timeout either.
        let addr = match tokio::time::timeout(timeout, target::resolve(&url, allow_private)).await {
            Ok(resolved) => resolved.map_err(|e| failed(&e, e.clone().into()))?,
            Err(elapsed) => return Err(failed(&elapsed, Failure::Unresolvable)),
        };
        let mut client = reqwest::Client::builder()
            // A proxy from HTTP(S)_PROXY would connect instead of the address just checked.
            .no_proxy()
            .timeout(timeout)
            // A redirect could lead anywhere, including an internal address.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(host) = url.host_str() {
            // Connect to the address just checked, not to whatever DNS answers next.
            client = client.resolve(host, addr);
        }
        let client = client.build().map_err(|e| failed(&e, Failure::Internal))?;
        let secret = self
            .pii
            .open(&sub.secret_sealed)
            .ok()
            .and_then(|s| String::from_utf8(s).ok())
            .ok_or_else(|| failed(&"the signing secret could not be opened", Failure::Internal))?;
        let body =
            serde_json::to_vec(&delivery.payload).map_err(|e| failed(&e, Failure::Internal))?;
        let t = self.clock.now().timestamp();
        let https = url.scheme() == "https";
        let resp = client
            .post(url)
            .header("content-type", "application/json")
            .header("user-agent", "Kuaidi-Webhooks/1")
            .header("kuaidi-event-id", delivery.event_id.to_string())
            .header("kuaidi-event-type", delivery.event_type.as_str())
            .header("kuaidi-signature", signature::header(&secret, t, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| failed(&e, Failure::of_request(&e, timeout, https)))?;
        Ok(resp.status().as_u16())
    }
}

/// When to try again after failed automatic attempt number `attempts` (1-based: the step of
/// the schedule; re-sends asked for by hand are not counted), or `None` when the retry window
/// that began at `window_start` is over. `jitter` in [0, 1) spreads ±10 %.
pub fn next_attempt(
    settings: &WebhookSettings,
    attempts: i32,
    window_start: DateTime<Utc>,
    now: DateTime<Utc>,
    jitter: f64,
) -> Option<DateTime<Utc>> {
    let window_end = window_start
        + Span::milliseconds(i64::try_from(settings.retry_for_ms).unwrap_or(i64::MAX / 2));
    if now >= window_end {
        return None;
    }
    let idx = usize::try_from(attempts.max(1) - 1).unwrap_or(0);
    let base = settings
        .retry_schedule_ms
        .get(idx)
        .or(settings.retry_schedule_ms.last())
        .copied()
        .unwrap_or(60_000);
    let factor = 0.9 + 0.2 * jitter.clamp(0.0, 1.0);
    let delay = Span::milliseconds(((base as f64) * factor).round() as i64);
    Some((now + delay).min(window_end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> WebhookSettings {
        WebhookSettings {
            allow_private_targets: false,
            retry_schedule_ms: vec![
                60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 43_200_000,
            ],
            retry_for_ms: 86_400_000,
            disable_after_ms: 259_200_000,
            request_timeout_ms: 10_000,
            poll_ms: 1_000,
            lease_ms: 60_000,
            batch_size: 20,
            per_endpoint: 4,
            retention_days: 30,
        }
    }

    #[test]
    fn retries_follow_the_schedule_within_ten_percent() {
        let s = settings();
        let t0 = Clock::system().now();
        let at = |n, j| next_attempt(&s, n, t0, t0, j).expect("within the window") - t0;
        assert_eq!(at(1, 0.5), Span::minutes(1));
        assert_eq!(at(2, 0.5), Span::minutes(5));
        assert_eq!(at(6, 0.5), Span::hours(12));
        assert_eq!(at(9, 0.5), Span::hours(12), "the last delay repeats");
        assert_eq!(at(1, 0.0), Span::seconds(54));
        assert_eq!(at(1, 1.0), Span::seconds(66));
    }

    #[test]
    fn nothing_is_retried_after_the_window() {
        let s = settings();
        let t0 = Clock::system().now();
        assert_eq!(next_attempt(&s, 3, t0, t0 + Span::hours(24), 0.5), None);
        assert_eq!(
            next_attempt(&s, 7, t0, t0 + Span::hours(20), 0.5),
            Some(t0 + Span::hours(24)),
            "the last retry happens at the end of the window"
        );
    }
}
