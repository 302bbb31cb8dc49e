//! Lane history for the ETA (`domain::eta`): the p80 of each lane's recent transit times and
//! how many sane samples it rests on, read from the lane index `shipments_lane_delivered`
//! (`(origin_city, destination_city, service_level, delivered_at) INCLUDE (created_at)`) by an
//! index-only scan.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Integer, Text, Timestamptz};
use kuaidi_shared::db::statement;

/// A lane's transit history.
#[derive(Debug, Clone, QueryableByName)]
pub struct LaneRow {
    #[diesel(sql_type = Text)]
    pub origin_city: String,
    #[diesel(sql_type = Text)]
    pub destination_city: String,
    #[diesel(sql_type = Text)]
    pub service_level: String,
    #[diesel(sql_type = Double)]
    pub p80_secs: f64,
    #[diesel(sql_type = BigInt)]
    pub samples: i64,
}

/// The p80 transit time and sample count of each lane over deliveries since `since`, in one
/// query (lanes without deliveries are absent). A sample is `delivered_at - created_at`, and
/// only a sane one counts: above zero and at most `max_days` days (`domain::eta`); both bounds
/// read `created_at` from the lane index (`INCLUDE`), so the scan stays index-only.
pub fn lane_stats(
    conn: &mut PgConnection,
    lanes: &[crate::domain::eta::Lane],
    since: DateTime<Utc>,
    max_days: u32,
) -> QueryResult<Vec<LaneRow>> {
    if lanes.is_empty() {
        return Ok(Vec::new());
    }
    let o: Vec<&str> = lanes.iter().map(|l| l.origin_city.as_str()).collect();
    let d: Vec<&str> = lanes.iter().map(|l| l.destination_city.as_str()).collect();
    let s: Vec<&str> = lanes.iter().map(|l| l.service_level.as_str()).collect();
    diesel::sql_query(
        "SELECT s.origin_city, s.destination_city, s.service_level, \
           percentile_cont(0.8) WITHIN GROUP \
             (ORDER BY EXTRACT(EPOCH FROM s.delivered_at - s.created_at)::float8) AS p80_secs, \
           count(*) AS samples \
         FROM shipments s \
         JOIN (SELECT DISTINCT * FROM UNNEST($1::text[], $2::text[], $3::text[])) AS l(o, d, sl) \
           ON s.origin_city = l.o AND s.destination_city = l.d AND s.service_level = l.sl \
         WHERE s.delivered_at IS NOT NULL AND s.delivered_at >= $4 \
           AND s.delivered_at > s.created_at \
           AND s.delivered_at <= s.created_at + make_interval(days => $5) \
         GROUP BY 1, 2, 3",
    )
    .bind::<Array<Text>, _>(o)
    .bind::<Array<Text>, _>(d)
    .bind::<Array<Text>, _>(s)
    .bind::<Timestamptz, _>(since)
    .bind::<Integer, _>(days(max_days))
    .load(conn)
}

/// The p80 transit time and sample count of one lane over deliveries since `since` (`None`
/// without deliveries; the sane samples only, as [`lane_stats`] counts them): the
/// shipment-creation path's query, prepared once per connection —
/// scalar parameters, so PostgreSQL settles on a generic plan (the batch form above, with its
/// arrays, is planned on every call: 0.9 ms of planning against 0.2 ms of execution on the
/// bench's data).
pub fn lane_stats_one(
    conn: &mut PgConnection,
    lane: &crate::domain::eta::Lane,
    since: DateTime<Utc>,
    max_days: u32,
) -> QueryResult<Option<LaneRow>> {
    statement(
        "SELECT origin_city, destination_city, service_level, \
           percentile_cont(0.8) WITHIN GROUP \
             (ORDER BY EXTRACT(EPOCH FROM delivered_at - created_at)::float8) AS p80_secs, \
           count(*) AS samples \
         FROM shipments \
         WHERE origin_city = $1 AND destination_city = $2 AND service_level = $3 \
           AND delivered_at IS NOT NULL AND delivered_at >= $4 \
           AND delivered_at > created_at \
           AND delivered_at <= created_at + make_interval(days => $5) \
         GROUP BY 1, 2, 3",
    )
    .bind::<Text, _>(&lane.origin_city)
    .bind::<Text, _>(&lane.destination_city)
    .bind::<Text, _>(&lane.service_level)
    .bind::<Timestamptz, _>(since)
    .bind::<Integer, _>(days(max_days))
    .get_result(conn)
    .optional()
}

/// Days for `make_interval`, at most 100 000 (a configured bound beyond is no bound at all, and
/// `created_at` plus it stays a time PostgreSQL can hold).
fn days(max_days: u32) -> i32 {
    i32::try_from(max_days.min(100_000)).unwrap_or(100_000)
}
