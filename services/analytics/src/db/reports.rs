//! Complaint hotspots and staff performance, read from the rollups (and, for medians and
//! tracking-number clusters, the case projection).

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Double, Integer, Text, Uuid as SqlUuid};
use std::collections::BTreeMap;
use uuid::Uuid;

use super::rollup::{filtered, FILTER};
use crate::api::reports::{
    Hotspot, Hotspots, HubCluster, StaffFigures, StaffPerformance, TrackingCluster,
};
use crate::domain::kpi::{mean, ratio};
use crate::domain::query::KpiRequest;

#[derive(QueryableByName)]
struct Spot {
    #[diesel(sql_type = Integer)]
    g: i32,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Text)]
    city: String,
    #[diesel(sql_type = Text)]
    hub: String,
    #[diesel(sql_type = BigInt)]
    current: i64,
    #[diesel(sql_type = BigInt)]
    previous: i64,
}

#[derive(QueryableByName)]
struct Cluster {
    #[diesel(sql_type = Text)]
    tracking_number: String,
    #[diesel(sql_type = BigInt)]
    complaints: i64,
    #[diesel(sql_type = Array<Text>)]
    categories: Vec<String>,
    #[diesel(sql_type = Text)]
    hub: String,
    #[diesel(sql_type = Text)]
    city: String,
}

/// The requested days and the previous days of equal length.
pub fn windows(request: &KpiRequest) -> ((NaiveDate, NaiveDate), (NaiveDate, NaiveDate)) {
    let (from, to) = (request.range.from, request.range.to);
    let len = u64::try_from((to - from).num_days() + 1).unwrap_or(1);
    let previous_from = from.checked_sub_days(Days::new(len)).unwrap_or(from);
    let previous_to = from.pred_opt().unwrap_or(from);
    ((from, to), (previous_from, previous_to))
}

fn some(s: String) -> Option<String> {
    Some(s).filter(|s| !s.is_empty())
}

/// Complaints by category × city and × hub with their trend, and the top clusters.
pub fn hotspots(conn: &mut PgConnection, request: &KpiRequest) -> anyhow::Result<Hotspots> {
    let ((from, to), (pfrom, pto)) = windows(request);
    let sql = format!(
        "SELECT GROUPING(category, city, hub)::int AS g, COALESCE(category, '') AS category, COALESCE(city, '') AS city, COALESCE(hub, '') AS hub, \
           COALESCE(SUM(complaints) FILTER (WHERE bucket >= ($10::date::timestamp AT TIME ZONE $1)), 0)::bigint AS current, \
           COALESCE(SUM(complaints) FILTER (WHERE bucket < ($10::date::timestamp AT TIME ZONE $1)), 0)::bigint AS previous \
         FROM kpi_rollup WHERE {FILTER} AND complaints > 0 \
         GROUP BY GROUPING SETS ((category, city), (category, hub), (hub)) \
         ORDER BY current DESC, previous DESC"
    );
    let spots: Vec<Spot> = filtered(sql, request, pfrom, to)
        .bind::<Date, _>(from)
        .load(conn)?;
    let spot = |s: &Spot, by_city: bool| Hotspot {
        category: s.category.clone(),
        city: by_city.then(|| s.city.clone()),
        hub: (!by_city).then(|| s.hub.clone()),
        complaints: s.current,
        previous: s.previous,
        change: s.current - s.previous,
        change_rate: ratio(s.current - s.previous, s.previous),
    };
    let sql = format!(
        "SELECT tracking_number, COUNT(*)::bigint AS complaints, \
                COALESCE(array_agg(DISTINCT category) FILTER (WHERE category <> ''), '{{}}') AS categories, \
                MAX(hub) AS hub, MAX(city) AS city \
         FROM cases WHERE {} AND type = 'complaint' AND tracking_number <> '' \
         GROUP BY tracking_number HAVING COUNT(*) >= 2 ORDER BY 2 DESC, 1 LIMIT 10",
        FILTER.replace("bucket", "received_at")
    );
    let clusters: Vec<Cluster> = filtered(sql, request, from, to).load(conn)?;
    Ok(Hotspots {
        from,
        to,
        previous_from: pfrom,
        previous_to: pto,
        by_city: spots
            .iter()
            .filter(|s| s.g == 1)
            .map(|s| spot(s, true))
            .collect(),
        by_hub: spots
            .iter()
            .filter(|s| s.g == 2 && !s.hub.is_empty())
            .map(|s| spot(s, false))
            .collect(),
        top_tracking_numbers: clusters
            .into_iter()
            .map(|c| TrackingCluster {
                tracking_number: c.tracking_number,
                complaints: c.complaints,
                categories: c.categories,
                hub: some(c.hub),
                city: some(c.city),
            })
            .collect(),
        top_hubs: spots
            .iter()
            .filter(|s| s.g == 6 && !s.hub.is_empty() && s.current > 0)
            .take(10)
            .map(|s| HubCluster {
                hub: s.hub.clone(),
                complaints: s.current,
                previous: s.previous,
            })
            .collect(),
    })
}

#[derive(QueryableByName)]
struct HandlerSums {
    #[diesel(sql_type = SqlUuid)]
    handler_id: Uuid,
    #[diesel(sql_type = BigInt)]
    closed: i64,
    #[diesel(sql_type = BigInt)]
    first_responses: i64,
    #[diesel(sql_type = BigInt)]
    in_sla: i64,
    #[diesel(sql_type = BigInt)]
    surveys: i64,
    #[diesel(sql_type = BigInt)]
    overall: i64,
    #[diesel(sql_type = BigInt)]
    reopened: i64,
}

#[derive(QueryableByName)]
struct Median {
    #[diesel(sql_type = SqlUuid)]
    handler_id: Uuid,
    #[diesel(sql_type = Double)]
    hours: f64,
}

/// Per handler: cases closed, median resolution time, first-response SLA rate, CSAT and
/// reopen rate over the requested days.
pub fn staff(conn: &mut PgConnection, request: &KpiRequest) -> anyhow::Result<StaffPerformance> {
    let (from, to) = (request.range.from, request.range.to);
    let sql = format!(
        "SELECT handler_id, SUM(closed)::bigint AS closed, SUM(first_responses)::bigint AS first_responses, \
                SUM(first_responses_in_sla)::bigint AS in_sla, SUM(surveys)::bigint AS surveys, \
                SUM(survey_overall_sum)::bigint AS overall, SUM(reopened)::bigint AS reopened \
         FROM kpi_rollup WHERE {FILTER} AND handler_id <> '00000000-0000-0000-0000-000000000000' \
         GROUP BY handler_id"
    );
    let sums: Vec<HandlerSums> = filtered(sql, request, from, to).load(conn)?;
    let sql = format!(
        "SELECT handler_id, (percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_seconds) / 3600.0)::float8 AS hours \
         FROM cases WHERE {} AND resolution_seconds IS NOT NULL AND type = 'complaint' \
           AND handler_id <> '00000000-0000-0000-0000-000000000000' GROUP BY handler_id",
        FILTER.replace("bucket", "closed_at")
    );
    let medians: BTreeMap<Uuid, f64> = filtered(sql, request, from, to)
        .load::<Median>(conn)?
        .into_iter()
        .map(|m| (m.handler_id, m.hours))
        .collect();
    let mut data: Vec<StaffFigures> = sums
        .into_iter()
        .map(|s| StaffFigures {
            handler_id: s.handler_id,
            cases_closed: s.closed,
            median_resolution_hours: medians
                .get(&s.handler_id)
                .map(|h| (h * 100.0).round() / 100.0),
            first_responses: s.first_responses,
            first_response_sla_rate: ratio(s.in_sla, s.first_responses),
            surveys: s.surveys,
            csat_avg: mean(s.overall as f64, s.surveys),
            reopened: s.reopened,
            reopen_rate: ratio(s.reopened, s.closed),
        })
        .collect();
    data.sort_by(|a, b| {
        b.cases_closed
            .cmp(&a.cases_closed)
            .then(a.handler_id.cmp(&b.handler_id))
    });
    Ok(StaffPerformance { from, to, data })
}
