//! The outbox relay: claims unpublished rows (`FOR UPDATE SKIP LOCKED`, with a lease so a
//! crashed relay's rows are taken over), publishes them with publisher confirms, then marks them
//! published. A relay stopped between publish and mark re-publishes after the lease: delivery is
//! at-least-once and consumers are idempotent.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Connection};
use secrecy::ExposeSecret;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::envelope::{BATCH_CONTENT_TYPE, CONTENT_TYPE};
use super::metrics::BUS;
use super::outbox::Outbox;
use super::{
    connect, reconnect_delay, sleep_or_shutdown, topology, within_broker_timeout, Shutdown,
    BROKER_TIMEOUT,
};
use crate::db::{statement, PgPool};
use crate::settings::AmqpSettings;

/// Most rows claimed per round.
const BATCH: i64 = 500;
/// Most rows claimed per round when the oldest unpublished row is a batch message
/// (`Outbox::enqueue_batched`, up to 500 events each): a round holds a few thousand events in
/// memory, not a few hundred thousand.
const BATCH_ROWS: i64 = 4;

#[derive(QueryableByName, Debug)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = SqlUuid)]
    event_id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    event_type: String,
    /// The JSON the writer serialised: an event, or an array of them (a batch).
    #[diesel(sql_type = diesel::sql_types::Text)]
    envelope: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    claimed_until: chrono::DateTime<chrono::Utc>,
}

/// Whether the relay currently holds a working broker connection (for `/readyz`).
#[derive(Clone, Default)]
pub struct BrokerStatus(Arc<AtomicBool>);

impl BrokerStatus {
    pub fn is_connected(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
    fn set(&self, service: &str, up: bool) {
        self.0.store(up, Ordering::Relaxed);
        BUS.broker_connected
            .with_label_values(&[service])
            .set(i64::from(up));
    }
}

/// Runs until shutdown; on shutdown it drains what is already committed (best effort) first.
pub async fn run(
    service: String,
    settings: AmqpSettings,
    pool: PgPool,
    outbox: Outbox,
    status: BrokerStatus,
    mut shutdown: Shutdown,
) {
    let wake = outbox.notified();
    let mut failures = 0u32;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let (conn, ch) = match open(&service, &settings).await {
            Ok(pair) => pair,
            Err(e) => {
                status.set(&service, false);
                tracing::warn!(service, error = %e, "relay cannot reach the broker; retrying");
                failures += 1;
                if sleep_or_shutdown(reconnect_delay(failures), &mut shutdown).await {
                    break;
                }
                continue;
            }
        };
        failures = 0;
        status.set(&service, true);
        tracing::info!(service, "relay connected to the broker");
        let stopping = loop {
            match relay_batch(&service, &settings, &pool, &ch).await {
                Ok(0) => {
                    let idle = Duration::from_millis(settings.relay_poll_ms);
                    tokio::select! {
                        _ = wake.notified() => {}
                        _ = tokio::time::sleep(idle) => {}
                        _ = shutdown.changed() => break true,
                    }
                }
                Ok(_) => {}
                Err(e @ (RelayError::Broker(_) | RelayError::Nacked | RelayError::Unconfirmed)) => {
                    tracing::warn!(service, error = %e, "relay lost the broker; reconnecting");
                    break false;
                }
                Err(RelayError::Db(e)) => {
                    tracing::warn!(service, error = %e, "relay cannot read the outbox");
                    if sleep_or_shutdown(Duration::from_secs(1), &mut shutdown).await {
                        break true;
                    }
                }
            }
        };
        if stopping {
            // Flush what was committed before the stop, then leave.
            while let Ok(n) = relay_batch(&service, &settings, &pool, &ch).await {
                if n == 0 {
                    break;
                }
            }
            let _ = conn.close(200, "shutdown".into()).await;
            break;
        }
        status.set(&service, false);
        let _ = conn.close(200, "reconnecting".into()).await;
    }
    status.set(&service, false);
}

async fn open(service: &str, settings: &AmqpSettings) -> anyhow::Result<(Connection, Channel)> {
    within_broker_timeout("relay set-up", async {
        let conn = connect(settings.url.expose_secret(), &format!("{service}-relay")).await?;
        let ch = conn.create_channel().await?;
        ch.confirm_select(ConfirmSelectOptions::default()).await?;
        // The whole topology first: an event published before its consumers' queues exist
        // would be dropped by the exchange.
        if settings.declare_topology {
            topology::declare_subscriptions(&ch, settings).await?;
        }
        Ok((conn, ch))
    })
    .await
}

#[derive(Debug, thiserror::Error)]
enum RelayError {
    #[error(transparent)]
    Broker(#[from] lapin::Error),
    #[error("the broker refused a publish")]
    Nacked,
    #[error("the broker confirmed no publish within {BROKER_TIMEOUT:?}")]
    Unconfirmed,
    #[error(transparent)]
    Db(#[from] anyhow::Error),
}

/// Claims, publishes and marks one batch; returns how many rows it published.
async fn relay_batch(
    service: &str,
    settings: &AmqpSettings,
    pool: &PgPool,
    ch: &Channel,
) -> Result<usize, RelayError> {
    let lease_ms = i64::try_from(settings.relay_lease_ms).unwrap_or(30_000);
    let claimed = blocking(pool, move |conn| {
        statement(
            "UPDATE outbox SET claimed_until = now() + make_interval(secs => $1::bigint / 1000.0), \
                    attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox \
                          WHERE published_at IS NULL \
                            AND (claimed_until IS NULL OR claimed_until < now()) \
                          ORDER BY id \
                          LIMIT (SELECT CASE WHEN o.events > 1 THEN $3 ELSE $2 END FROM outbox o \
                                 WHERE o.published_at IS NULL ORDER BY o.id LIMIT 1) \
                          FOR UPDATE SKIP LOCKED) \
             RETURNING id, event_id, event_type, envelope, claimed_until",
        )
        .bind::<BigInt, _>(lease_ms)
        .bind::<BigInt, _>(BATCH)
        .bind::<BigInt, _>(BATCH_ROWS)
        .load::<Claimed>(conn)
    })
    .await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let mut ids: Vec<i64> = claimed.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    let result = publish_all(settings, ch, &claimed).await;
    if let Err(e) = result {
        // Hand the rows back at once rather than waiting for the lease to run out — only those
        // still under this relay's claim (another relay may have taken over an expired lease).
        let ours = claimed[0].claimed_until;
        let _ = blocking(pool, move |conn| {
            statement(
                "UPDATE outbox SET claimed_until = NULL WHERE id = ANY($1) AND claimed_until = $2",
            )
            .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
            .bind::<diesel::sql_types::Timestamptz, _>(ours)
            .execute(conn)
        })
        .await;
        return Err(e);
    }
    let n = claimed.len();
    blocking(pool, move |conn| {
        statement("UPDATE outbox SET published_at = now(), claimed_until = NULL WHERE id = ANY($1)")
            .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
            .execute(conn)
    })
    .await?;
    BUS.published.with_label_values(&[service]).inc_by(n as u64);
    Ok(n)
}

async fn publish_all(
    settings: &AmqpSettings,
    ch: &Channel,
    rows: &[Claimed],
) -> Result<(), RelayError> {
    let mut confirms = Vec::with_capacity(rows.len());
    for row in rows {
        // A row holding an array is a batch of events of its type (`Outbox::enqueue_batched`).
        let content_type = if row.envelope.starts_with('[') {
            BATCH_CONTENT_TYPE
        } else {
            CONTENT_TYPE
        };
        let props = BasicProperties::default()
            .with_delivery_mode(2)
            .with_message_id(row.event_id.to_string().into())
            .with_content_type(content_type.into())
            .with_type(row.event_type.as_str().into());
        confirms.push(
            ch.basic_publish(
                settings.exchange.as_str().into(),
                row.event_type.as_str().into(),
                BasicPublishOptions::default(),
                row.envelope.as_bytes(),
                props,
            )
            .await?,
        );
    }
    let confirmed = async {
        for confirm in confirms {
            if confirm.await?.is_nack() {
                return Err(RelayError::Nacked);
            }
        }
        Ok(())
    };
    tokio::time::timeout(BROKER_TIMEOUT, confirmed)
        .await
        .unwrap_or(Err(RelayError::Unconfirmed))
}

async fn blocking<T, F>(pool: &PgPool, f: F) -> anyhow::Result<T>
where
    F: FnOnce(&mut PgConnection) -> QueryResult<T> + Send + 'static,
    T: Send + 'static,
{
    crate::db::work(pool, move |conn| Ok(f(conn)?)).await
}
