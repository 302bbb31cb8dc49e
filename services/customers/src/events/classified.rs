//! The events of a classification run, built set-based: one `INSERT INTO outbox … SELECT` over
//! the run's changes (`db::classification`) writes a `customer.tier_changed` per tier change,
//! a `customer.stage_changed` per stage change and a `customer.churn_risk_detected` per new
//! warning, as batch messages (`Outbox::enqueue_batched`'s rows: per type, a JSON array of up
//! to `BATCH_EVENTS` envelopes, one batch per `chunk` of changes). A first run over a large file
//! changes nearly every customer: a million envelopes built one by one in Rust cost minutes,
//! a million outbox rows a minute; a few thousand batch rows built in SQL cost seconds. Each
//! envelope is [`CloudEvent::head`] (what the Rust constructor writes) with the id (UUID v7),
//! subject and payload added per event; a test decodes these batches and compares every event
//! with what [`CloudEvent::new`] builds from the same payload.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use kuaidi_shared::events::catalogue::{
    CustomerChurnRiskDetectedV1, CustomerStageChangedV1, CustomerTierChangedV1,
};
use kuaidi_shared::events::{CloudEvent, EventPayload};
use kuaidi_shared::request::RequestContext;

/// The payloads, field by field as their Rust types serialise (`Money` as `{amount, currency}`
/// with two decimals; times as the bound JSON of `now`; the ratios as `f64` arithmetic), built
/// as JSON text and stored as that text, as the outbox keeps every envelope (building `jsonb`
/// objects, merging them into the head and aggregating them re-encodes every event three
/// times; parsing each batch into `jsonb` only to store it as text cost a third of the write).
/// One chunk of changes at a time (an index scan each), so no step holds more than a batch.
const WRITE: &str = "
INSERT INTO outbox (event_id, event_type, envelope, events)
SELECT customers_uuid_v7(clock_timestamp()), b.type, b.batch, b.events
FROM generate_series(0, (SELECT max(chunk) FROM classification_changes)) AS k(chunk)
CROSS JOIN LATERAL (
 SELECT e.type,
        '[' || string_agg(e.head || ',\"id\":\"' || e.id::text || '\",\"subject\":\"'
                          || c.id::text || '\",\"data\":' || e.data::text || '}', ',') || ']'
          AS batch,
        count(*)::int AS events
 FROM classification_changes c
 CROSS JOIN LATERAL (
  SELECT customers_uuid_v7(clock_timestamp()) AS id, v.type, v.head, v.data
  FROM (VALUES
    ($5::text, $1::text, CASE WHEN c.old_tier <> c.tier THEN json_build_object(
        'customer_id', c.id, 'merchant_id', c.merchant_id, 'owner_id', c.owner_id,
        'from', c.old_tier, 'to', c.tier,
        'spend_12m', json_build_object(
          'amount', CASE WHEN c.spend < 0 THEN '-' ELSE '' END || (abs(c.spend) / 100)::text
                    || '.' || lpad((abs(c.spend) % 100)::text, 2, '0'),
          'currency', 'CNY'),
        'changed_at', $4::json) END),
    ($6::text, $2::text, CASE WHEN c.old_stage <> c.stage THEN json_build_object(
        'customer_id', c.id, 'merchant_id', c.merchant_id, 'owner_id', c.owner_id,
        'from', c.old_stage, 'to', c.stage, 'changed_at', $4::json) END),
    ($7::text, $3::text, CASE WHEN c.old_stage <> c.stage AND c.stage = 'at_risk' THEN json_build_object(
        'customer_id', c.id, 'merchant_id', c.merchant_id, 'owner_id', c.owner_id,
        'baseline_monthly', c.s90::float8 / 3,
        'last_30d', c.s30,
        'drop_ratio', CASE WHEN c.s90 > 0 THEN 1 - c.s30::float8 / (c.s90::float8 / 3)
                           ELSE 0::float8 END,
        'detected_at', $4::json) END)
  ) AS v(type, head, data)
  WHERE v.data IS NOT NULL
 ) e
 WHERE c.chunk = k.chunk
 GROUP BY e.type
) b";

/// Writes the events of the run's changes to the outbox in the caller's transaction; returns
/// how many batch messages.
pub fn write(
    conn: &mut PgConnection,
    ctx: &RequestContext,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    // The envelope every event of a type shares, as JSON text open for the per-event fields.
    let head_of = |h: fn(&str, &RequestContext, DateTime<Utc>) -> serde_json::Value| {
        let head = h(crate::SERVICE, ctx, now).to_string();
        head.strip_suffix('}').unwrap_or(&head).to_owned()
    };
    diesel::sql_query(WRITE)
        .bind::<Text, _>(head_of(CloudEvent::head::<CustomerTierChangedV1>))
        .bind::<Text, _>(head_of(CloudEvent::head::<CustomerStageChangedV1>))
        .bind::<Text, _>(head_of(CloudEvent::head::<CustomerChurnRiskDetectedV1>))
        .bind::<Text, _>(serde_json::to_string(&now).unwrap_or_default())
        .bind::<Text, _>(CustomerTierChangedV1::TYPE)
        .bind::<Text, _>(CustomerStageChangedV1::TYPE)
        .bind::<Text, _>(CustomerChurnRiskDetectedV1::TYPE)
        .execute(conn)
}
