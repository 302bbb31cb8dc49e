//! Complaint hotspots and staff performance, read from the rollups (and, for medians and
//! tracking-number clusters, the case projection), as rows: `routes::reports` builds the
//! answers.

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Double, Integer, Text, Uuid as SqlUuid};
use std::collections::BTreeMap;
use uuid::Uuid;

use super::rollup::{filtered, FILTER};
use crate::domain::query::KpiRequest;

/// Complaints of one grouping (`grouping`: 1 category × city, 2 category × hub, 6 hub) now
/// and in the previous period.
#[derive(QueryableByName)]
pub struct Spot {
    #[diesel(sql_type = Integer)]
    #[diesel(column_name = g)]
    pub grouping: i32,
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = Text)]
    pub city: String,
    #[diesel(sql_type = Text)]
    pub hub: String,
    #[diesel(sql_type = BigInt)]
    pub current: i64,
    #[diesel(sql_type = BigInt)]
    pub previous: i64,
}

/// A tracking number complained about more than once (`hub`, `city`: empty when unknown):
/// complaints received from customers only (type complaint, not proactive), like every hotspot.
#[derive(QueryableByName)]
pub struct Cluster {
    #[diesel(sql_type = Text)]
    pub tracking_number: String,
    #[diesel(sql_type = BigInt)]
    pub complaints: i64,
    #[diesel(sql_type = Array<Text>)]
    pub categories: Vec<String>,
    #[diesel(sql_type = Text)]
    pub hub: String,
    #[diesel(sql_type = Text)]
    pub city: String,
}

/// The requested days and the previous days of equal length.
pub fn windows(request: &KpiRequest) -> ((NaiveDate, NaiveDate), (NaiveDate, NaiveDate)) {
    let (from, to) = (request.range.from, request.range.to);
    let len = u64::try_from((to - from).num_days() + 1).unwrap_or(1);
    let previous_from = from.checked_sub_days(Days::new(len)).unwrap_or(from);
    let previous_to = from.pred_opt().unwrap_or(from);
    ((from, to), (previous_from, previous_to))
}

/// The rows of the hotspots: the windows compared, the groupings, the top clusters.
pub struct HotspotRows {
    /// The requested days, then the previous days of equal length.
    pub windows: ((NaiveDate, NaiveDate), (NaiveDate, NaiveDate)),
    pub spots: Vec<Spot>,
    pub clusters: Vec<Cluster>,
}

/// Complaints received (the rollups' `complaints`: no proactive case, `domain::cases`) by
/// category × city and × hub with their trend, and the top clusters, in a total order (most complaints first, ties by their keys), the same in every answer.
pub fn hotspots(conn: &mut PgConnection, request: &KpiRequest) -> anyhow::Result<HotspotRows> {
    let ((from, to), (pfrom, pto)) = windows(request);
    let sql = format!(
        "SELECT GROUPING(category, city, hub)::int AS g, COALESCE(category, '') AS category, COALESCE(city, '') AS city, COALESCE(hub, '') AS hub, \
           COALESCE(SUM(complaints) FILTER (WHERE bucket >= ($10::date::timestamp AT TIME ZONE $1)), 0)::bigint AS current, \
           COALESCE(SUM(complaints) FILTER (WHERE bucket < ($10::date::timestamp AT TIME ZONE $1)), 0)::bigint AS previous \
         FROM kpi_rollup WHERE {FILTER} AND complaints > 0 \
         GROUP BY GROUPING SETS ((category, city), (category, hub), (hub)) \
         ORDER BY current DESC, previous DESC, g, category, city, hub"
    );
    let spots: Vec<Spot> = filtered(sql, request, pfrom, to)
        .bind::<Date, _>(from)
        .load(conn)?;
    let sql = format!(
        "SELECT tracking_number, COUNT(*)::bigint AS complaints, \
                COALESCE(array_agg(DISTINCT category) FILTER (WHERE category <> ''), '{{}}') AS categories, \
                MAX(hub) AS hub, MAX(city) AS city \
         FROM cases WHERE {} AND type = 'complaint' AND NOT proactive AND tracking_number <> '' \
         GROUP BY tracking_number HAVING COUNT(*) >= 2 ORDER BY 2 DESC, 1 LIMIT 10",
        FILTER.replace("bucket", "received_at")
    );
    let clusters: Vec<Cluster> = filtered(sql, request, from, to).load(conn)?;
    Ok(HotspotRows {
        windows: ((from, to), (pfrom, pto)),
        spots,
        clusters,
    })
}

/// One handler's sums over the period.
#[derive(QueryableByName)]
pub struct HandlerSums {
    #[diesel(sql_type = SqlUuid)]
    pub handler_id: Uuid,
    #[diesel(sql_type = BigInt)]
    pub closed: i64,
    #[diesel(sql_type = BigInt)]
    pub first_responses: i64,
    #[diesel(sql_type = BigInt)]
    pub in_sla: i64,
    #[diesel(sql_type = BigInt)]
    pub surveys: i64,
    #[diesel(sql_type = BigInt)]
    pub overall: i64,
    #[diesel(sql_type = BigInt)]
    pub reopened: i64,
}

#[derive(QueryableByName)]
struct Median {
    #[diesel(sql_type = SqlUuid)]
    handler_id: Uuid,
    #[diesel(sql_type = Double)]
    hours: f64,
}

/// The rows of staff performance: each handler's sums, and the median resolution hours of
/// those who closed a case (of any type, like every figure of case handling).
pub struct StaffRows {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub sums: Vec<HandlerSums>,
    pub medians: BTreeMap<Uuid, f64>,
}

/// Per handler: cases closed (of every type), median resolution time (of the cases they
/// closed, as `cases_closed` counts them: a case reassigned after its closing stays theirs),
/// first-response SLA
/// rate, CSAT and reopen rate over the requested days — of the handlers with a figure of case
/// handling then (not one whose cases all moved on to another, before anything was done).
pub fn staff(conn: &mut PgConnection, request: &KpiRequest) -> anyhow::Result<StaffRows> {
    let (from, to) = (request.range.from, request.range.to);
    let sql = format!(
        "SELECT handler_id, SUM(closed)::bigint AS closed, SUM(first_responses)::bigint AS first_responses, \
                SUM(first_responses_in_sla)::bigint AS in_sla, SUM(surveys)::bigint AS surveys, \
                SUM(survey_overall_sum)::bigint AS overall, SUM(reopened)::bigint AS reopened \
         FROM kpi_rollup WHERE {FILTER} AND handler_id <> '00000000-0000-0000-0000-000000000000' \
         GROUP BY handler_id \
         HAVING SUM(closed) <> 0 OR SUM(first_responses) <> 0 OR SUM(surveys) <> 0 \
             OR SUM(reopened) <> 0 OR SUM(sla_breaches) <> 0"
    );
    let sums: Vec<HandlerSums> = filtered(sql, request, from, to).load(conn)?;
    let sql = format!(
        "SELECT handler_id, (percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_seconds) / 3600.0)::float8 AS hours \
         FROM (SELECT COALESCE(closed_by, handler_id) AS handler_id, closed_at, resolution_seconds, \
                 merchant_id, city, province, service_level, value_tier FROM cases) closings \
         WHERE {} AND resolution_seconds IS NOT NULL \
           AND handler_id <> '00000000-0000-0000-0000-000000000000' GROUP BY handler_id",
        FILTER.replace("bucket", "closed_at")
    );
    let medians: BTreeMap<Uuid, f64> = filtered(sql, request, from, to)
        .load::<Median>(conn)?
        .into_iter()
        .map(|m| (m.handler_id, m.hours))
        .collect();
    Ok(StaffRows {
        from,
        to,
        sums,
        medians,
    })
}
