//! What a customer merge moved here, kept so that its undo moves back exactly that (SPEC §4: a
//! merge can be undone). A merge ([`super::customers::merge`]) adds the duplicate's days and
//! activity to the survivor's and deletes the duplicate's row; [`remember`] keeps those rows as
//! they were first, in `merge_moves`. [`undo`] takes them from the survivor again (a row left
//! with nothing is deleted: it would count the survivor active where only the duplicate was),
//! gives them back to the duplicate (added to what it did since: later shipments naming it were
//! never redirected), restores its row (its dimensions and stage as they were, its shipments
//! since added), raises the activity versions of the days concerned, and forgets the rows.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Timestamptz, Uuid as SqlUuid};
use kuaidi_shared::events::catalogue::{CustomerMergeUndoneV1, CustomerMergedV1};

#[derive(QueryableByName)]
struct Merged {
    #[diesel(sql_type = Bool)]
    merged: bool,
}

/// `customer.merged`, before anything moves: the duplicate's rows as they are. `false` when
/// the merge was undone already (or followed before): nothing is to move.
pub fn remember(conn: &mut PgConnection, m: &CustomerMergedV1) -> QueryResult<bool> {
    let kept = diesel::sql_query(
        "INSERT INTO merge_moves (merge_id, survivor_id, duplicate_id, merged, customer, days, activity) \
         SELECT $1, $2, $3, true, \
           (SELECT to_jsonb(c) FROM customers c WHERE c.customer_id = $3), \
           COALESCE((SELECT jsonb_agg(to_jsonb(d)) FROM customer_days d WHERE d.customer_id = $3), '[]'), \
           COALESCE((SELECT jsonb_agg(to_jsonb(a)) FROM customer_activity a WHERE a.customer_id = $3), '[]') \
         ON CONFLICT (merge_id) DO NOTHING",
    )
    .bind::<SqlUuid, _>(m.merge_id)
    .bind::<SqlUuid, _>(m.survivor_id)
    .bind::<SqlUuid, _>(m.duplicate_id)
    .execute(conn)?;
    Ok(kept == 1)
}

/// The statements of an undo, in order; `$1` the merge, `$2` the survivor, `$3` the duplicate.
const UNDO: &[&str] = &[
    "UPDATE customer_days s SET shipments = s.shipments - m.shipments, \
       spend_minor = s.spend_minor - m.spend_minor \
     FROM jsonb_populate_recordset(NULL::customer_days, (SELECT days FROM merge_moves WHERE merge_id = $1)) m \
     WHERE s.customer_id = $2 AND s.day = m.day AND $3 = m.customer_id",
    "DELETE FROM customer_days WHERE customer_id = $2 AND shipments <= 0 AND spend_minor <= 0 \
     AND EXISTS (SELECT 1 FROM merge_moves WHERE merge_id = $1 AND duplicate_id = $3)",
    "INSERT INTO customer_days (customer_id, day, shipments, spend_minor) \
     SELECT $3, m.day, m.shipments, m.spend_minor \
     FROM jsonb_populate_recordset(NULL::customer_days, (SELECT days FROM merge_moves WHERE merge_id = $1 AND survivor_id = $2)) m \
     ON CONFLICT (customer_id, day) DO UPDATE SET shipments = customer_days.shipments + EXCLUDED.shipments, \
       spend_minor = customer_days.spend_minor + EXCLUDED.spend_minor",
    "UPDATE customer_activity s SET shipments = s.shipments - m.shipments \
     FROM jsonb_populate_recordset(NULL::customer_activity, (SELECT activity FROM merge_moves WHERE merge_id = $1)) m \
     WHERE s.customer_id = $2 AND $3 = m.customer_id AND (s.bucket, s.city, s.province, s.service_level, s.value_tier, s.merchant_id) \
       = (m.bucket, m.city, m.province, m.service_level, m.value_tier, m.merchant_id)",
    "DELETE FROM customer_activity WHERE customer_id = $2 AND shipments <= 0 \
     AND EXISTS (SELECT 1 FROM merge_moves WHERE merge_id = $1 AND duplicate_id = $3)",
    "INSERT INTO customer_activity (bucket, customer_id, city, province, service_level, value_tier, merchant_id, shipments) \
     SELECT m.bucket, $3, m.city, m.province, m.service_level, m.value_tier, m.merchant_id, m.shipments \
     FROM jsonb_populate_recordset(NULL::customer_activity, (SELECT activity FROM merge_moves WHERE merge_id = $1 AND survivor_id = $2)) m \
     ON CONFLICT (bucket, customer_id, city, province, service_level, value_tier, merchant_id) \
     DO UPDATE SET shipments = customer_activity.shipments + EXCLUDED.shipments",
    // Both files' distinct counts change wherever the duplicate was active.
    "INSERT INTO activity_versions (day, version) \
     SELECT DISTINCT (m.bucket AT TIME ZONE 'UTC')::date, 1 \
     FROM jsonb_populate_recordset(NULL::customer_activity, (SELECT activity FROM merge_moves WHERE merge_id = $1 AND survivor_id = $2 AND duplicate_id = $3)) m \
     ON CONFLICT (day) DO UPDATE SET version = activity_versions.version + 1",
    "INSERT INTO customers SELECT (jsonb_populate_record(NULL::customers, mm.customer)).* \
     FROM merge_moves mm WHERE mm.merge_id = $1 AND mm.survivor_id = $2 AND mm.duplicate_id = $3 \
       AND mm.customer IS NOT NULL \
     ON CONFLICT (customer_id) DO UPDATE SET merchant_id = EXCLUDED.merchant_id, city = EXCLUDED.city, \
       province = EXCLUDED.province, value_tier = EXCLUDED.value_tier, \
       lifecycle_stage = EXCLUDED.lifecycle_stage, created_at = EXCLUDED.created_at, \
       tier_changed_at = EXCLUDED.tier_changed_at, stage_changed_at = EXCLUDED.stage_changed_at, \
       shipments = customers.shipments + EXCLUDED.shipments, \
       last_shipment_at = GREATEST(customers.last_shipment_at, EXCLUDED.last_shipment_at), \
       churn_baseline_monthly = EXCLUDED.churn_baseline_monthly, churn_last_30d = EXCLUDED.churn_last_30d, \
       churn_drop_ratio = EXCLUDED.churn_drop_ratio, churn_detected_at = EXCLUDED.churn_detected_at",
    "UPDATE merge_moves SET customer = NULL, days = '[]', activity = '[]' \
     WHERE merge_id = $1 AND survivor_id = $2 AND duplicate_id = $3",
];

/// `customer.merge_undone`: what the merge moved goes back to the duplicate (see the module).
pub fn undo(conn: &mut PgConnection, u: &CustomerMergeUndoneV1) -> QueryResult<()> {
    let (merge, survivor, duplicate) = (u.merge_id, u.survivor_id, u.duplicate_id);
    let marked: Option<Merged> = diesel::sql_query(
        "INSERT INTO merge_moves (merge_id, survivor_id, duplicate_id, undone_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (merge_id) DO UPDATE SET undone_at = EXCLUDED.undone_at \
         WHERE merge_moves.undone_at IS NULL \
         RETURNING merged",
    )
    .bind::<SqlUuid, _>(merge)
    .bind::<SqlUuid, _>(survivor)
    .bind::<SqlUuid, _>(duplicate)
    .bind::<Timestamptz, DateTime<Utc>>(u.undone_at)
    .get_result(conn)
    .optional()?;
    // Undone before, or the merge not followed yet (it will do nothing).
    if !marked.is_some_and(|m| m.merged) {
        return Ok(());
    }
    for sql in UNDO {
        diesel::sql_query(*sql)
            .bind::<SqlUuid, _>(merge)
            .bind::<SqlUuid, _>(survivor)
            .bind::<SqlUuid, _>(duplicate)
            .execute(conn)?;
    }
    Ok(())
}
