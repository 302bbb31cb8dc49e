//! The customers benchmark's file: `n` customers with sealed contacts, the phone's blind index
//! and 12 months of activity, inserted set-based, then left as autovacuum and the checkpointer
//! would leave them before anything is timed.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bytea, Text};
use kuaidi_shared::crypto::PiiCipher;
use serde_json::json;

/// Customers sealed and inserted per statement.
const BATCH: i64 = 50_000;
/// The deterministic id of seeded customer `i` (a v7-shaped UUID).
const ID_OF: &str = "('01900000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid";

#[derive(QueryableByName)]
pub struct Count {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

pub fn phone_of(i: i64) -> String {
    format!("139{i:08}")
}

/// Inserts customers `1..=n` (those not there yet) with sealed contacts and the phone's blind
/// index, then their activity over the last 12 months, all in SQL except the sealing.
pub fn seed(conn: &mut PgConnection, pii: &PiiCipher, n: i64) -> anyhow::Result<()> {
    let have = diesel::sql_query("SELECT count(*) AS n FROM customers")
        .get_result::<Count>(conn)?
        .n;
    for start in (have + 1..=n).step_by(BATCH as usize) {
        let ids: Vec<i64> = (start..(start + BATCH).min(n + 1)).collect();
        let sealed: Vec<Vec<u8>> = ids
            .iter()
            .map(|&i| {
                pii.seal_json(&json!({
                    "phones": [phone_of(i)],
                    "emails": [format!("c{i}@example.com")],
                    "addresses": []
                }))
            })
            .collect();
        let digests: Vec<String> = ids.iter().map(|&i| pii.blind_index(&phone_of(i))).collect();
        conn.transaction(|conn| {
            diesel::sql_query(format!(
                "INSERT INTO customers (id, kind, name, contacts_sealed, industry, size, \
                   region_city, region_province, city_tier, created_at, updated_at) \
                 SELECT {ID_OF}, CASE WHEN i % 5 = 0 THEN 'business' ELSE 'individual' END, \
                   (ARRAY['张','王','李','赵','陈','刘'])[1 + i % 6] || '客户' || i, s, \
                   (ARRAY['retail','ecommerce','manufacturing','food_service'])[1 + i % 4], \
                   (ARRAY['large','medium','small','sole_proprietor'])[1 + i % 4], \
                   '上海', '上海', 'tier1', now() - make_interval(mins => i::int), now() \
                 FROM unnest($1::bigint[], $2::bytea[]) AS u(i, s)"
            ))
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Array<Bytea>, _>(&sealed)
            .execute(conn)?;
            diesel::sql_query(format!(
                "INSERT INTO customer_identities (kind, digest, customer_id) \
                 SELECT 'phone', d, {ID_OF} FROM unnest($1::bigint[], $2::text[]) AS u(i, d)"
            ))
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Array<Text>, _>(&digests)
            .execute(conn)
        })?;
    }
    let days = diesel::sql_query("SELECT count(*) AS n FROM customer_shipment_days")
        .get_result::<Count>(conn)?
        .n;
    if days == 0 {
        // Profiles by `h`: 10 % prospects (no shipment), 5 % churned (nothing for 120+ days),
        // 5 % slipping away (a steady 90 days, nothing in the last 30), 10 % loyal (every 12
        // days for 6 months), 5 % new (first shipment 40 days ago), the rest active (1–8 days
        // over the year). Every 20th customer ships 40 times the value: the Pareto head.
        diesel::sql_query(format!(
            "INSERT INTO customer_shipment_days \
               (customer_id, day, currency, shipments, spend_minor, last_shipment_at) \
             SELECT {ID_OF}, current_date - d.ago, 'CNY', 1 + (i % 3)::int, \
                    (1 + (i % 3)) * (800 + (i * 37) % 1200) * CASE WHEN i % 20 = 0 THEN 40 ELSE 1 END, \
                    (current_date - d.ago) + time '10:00' \
             FROM (SELECT i, (i * 7919) % 100 AS h FROM generate_series($1::bigint, $2::bigint) AS i) c \
             CROSS JOIN LATERAL ( \
               SELECT DISTINCT CASE \
                 WHEN c.h < 15 THEN 120 + j * 40 \
                 WHEN c.h < 20 THEN 35 + j * 9 \
                 WHEN c.h < 30 THEN j * 12 \
                 WHEN c.h < 35 THEN 5 + j * 35 \
                 ELSE (j * 47 + c.i) % 360 END::int AS ago \
               FROM generate_series(0, CASE \
                 WHEN c.h < 10 THEN -1 WHEN c.h < 15 THEN 3 WHEN c.h < 20 THEN 5 \
                 WHEN c.h < 30 THEN 13 WHEN c.h < 35 THEN 1 ELSE (c.i % 8)::int END) AS j \
             ) d"
        ))
        .bind::<BigInt, _>(1)
        .bind::<BigInt, _>(n)
        .execute(conn)?;
    }
    // What autovacuum would do after a load of this size, and the writes of the load itself
    // flushed to disk, before anything is timed: the searches measure the steady state, not a
    // gigabyte of dirty pages being written back under them (a full run once saw open-loop
    // p99s of 67 and 87 ms against 7 ms with the section alone).
    for table in ["customers", "customer_identities", "customer_shipment_days"] {
        diesel::sql_query(format!("VACUUM (ANALYZE) {table}")).execute(conn)?;
    }
    diesel::sql_query("CHECKPOINT").execute(conn)?;
    Ok(())
}
