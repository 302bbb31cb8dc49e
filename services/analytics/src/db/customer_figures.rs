//! Customer figures per period — distinct active customers, repeaters, customers retained from
//! the period before — computed from `customer_activity` and remembered in `customer_figures`
//! per zone, granularity and filter. Distinct counts cannot be summed from smaller rows, so a
//! year by day would otherwise read every activity row of the year on every request.
//!
//! A remembered period is used while nothing changed in the UTC days it read: every write to
//! `customer_activity` raises its UTC day's `activity_versions.version`, and a remembered row
//! holds the sum of its days' versions from before it was computed (versions only grow, so an
//! equal sum means no change; a change committed meanwhile only makes the row recomputed).

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Jsonb, Text};
use serde::Serialize;
use std::collections::BTreeMap;

use super::rollup::{filtered, FILTER};
use crate::domain::kpi::CustomerFigures;
use crate::domain::periods::{periods, Granularity};
use crate::domain::query::KpiRequest;

/// What is remembered of one period (its previous period's `active` is that period's own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, QueryableByName, Serialize)]
struct Figures {
    #[diesel(sql_type = Date)]
    period_start: NaiveDate,
    #[diesel(sql_type = BigInt)]
    active: i64,
    #[diesel(sql_type = BigInt)]
    repeaters: i64,
    #[diesel(sql_type = BigInt)]
    retained: i64,
}

/// The customer figures of every period of the request, remembered ones reused.
pub fn customer_figures(
    conn: &mut PgConnection,
    request: &KpiRequest,
) -> anyhow::Result<BTreeMap<NaiveDate, CustomerFigures>> {
    let g = request.range.granularity;
    let rows = request.range.periods();
    // Agents' own figures have no customers.
    let (Some(first), Some(last), None) = (rows.first(), rows.last(), request.filter.handler_id)
    else {
        return Ok(rows
            .iter()
            .map(|p| (p.start, CustomerFigures::default()))
            .collect());
    };
    let before = g.start_of(first.start.pred_opt().unwrap_or(first.start));
    let mut known = remembered(conn, request, before, last.start)?;
    let needed = periods(before, last.end, g);
    let missing: Vec<NaiveDate> = needed
        .iter()
        .map(|p| p.start)
        .filter(|p| !known.contains_key(p))
        .collect();
    if let (Some(lo), Some(hi)) = (missing.first(), missing.last()) {
        let versions = versions(conn, g, *lo, g.end_of(*hi))?;
        let computed = compute(conn, request, *lo, *hi)?;
        remember(conn, request, &computed, &versions)?;
        known.extend(computed.into_iter().map(|f| (f.period_start, f)));
    }
    Ok(rows
        .iter()
        .map(|p| {
            let previous = g.start_of(p.start.pred_opt().unwrap_or(p.start));
            let this = known.get(&p.start).copied().unwrap_or_default();
            let figures = CustomerFigures {
                active: this.active,
                repeaters: this.repeaters,
                retained: this.retained,
                previous_active: known.get(&previous).map_or(0, |f| f.active),
            };
            (p.start, figures)
        })
        .collect())
}

/// The UTC days a period's figures read: its previous period and itself, a day either side
/// (a local day of any zone lies within the UTC days before and after it).
fn days_read(g: Granularity, start: NaiveDate) -> (NaiveDate, NaiveDate) {
    let previous = g.start_of(start.pred_opt().unwrap_or(start));
    (
        previous.pred_opt().unwrap_or(previous),
        g.end_of(start).succ_opt().unwrap_or(start),
    )
}

/// Remembered figures of the periods starting in `from..=to` whose days are unchanged.
fn remembered(
    conn: &mut PgConnection,
    request: &KpiRequest,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<BTreeMap<NaiveDate, Figures>> {
    let rows: Vec<Figures> = diesel::sql_query(
        "SELECT m.period_start, m.active, m.repeaters, m.retained FROM customer_figures m \
         WHERE m.time_zone = $1 AND m.granularity = $2 AND m.filter_key = $3 \
           AND m.period_start BETWEEN $4 AND $5 \
           AND m.version = (SELECT COALESCE(SUM(v.version), 0)::bigint FROM activity_versions v \
                            WHERE v.day BETWEEN m.first_day AND m.last_day)",
    )
    .bind::<Text, _>(request.tz.name())
    .bind::<Text, _>(request.range.granularity.as_str())
    .bind::<Text, _>(request.filter_key())
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(conn)?;
    Ok(rows.into_iter().map(|f| (f.period_start, f)).collect())
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    version: i64,
}

/// The versions of the days the periods `lo..=hi` read, taken before computing them.
fn versions(
    conn: &mut PgConnection,
    g: Granularity,
    lo: NaiveDate,
    hi: NaiveDate,
) -> QueryResult<BTreeMap<NaiveDate, i64>> {
    let (first, _) = days_read(g, lo);
    let (_, last) = days_read(g, g.start_of(hi));
    let rows: Vec<Version> =
        diesel::sql_query("SELECT day, version FROM activity_versions WHERE day BETWEEN $1 AND $2")
            .bind::<Date, _>(first)
            .bind::<Date, _>(last)
            .load(conn)?;
    Ok(rows.into_iter().map(|v| (v.day, v.version)).collect())
}

/// Figures of every period from `lo` to `hi` (zeros where nobody was active), from the
/// activity rows of those periods and the one before.
fn compute(
    conn: &mut PgConnection,
    request: &KpiRequest,
    lo: NaiveDate,
    hi: NaiveDate,
) -> anyhow::Result<Vec<Figures>> {
    let g = request.range.granularity;
    let before = g.start_of(lo.pred_opt().unwrap_or(lo));
    let sql = format!(
        "WITH act AS ( \
           SELECT date_trunc($10, bucket AT TIME ZONE $1) AS p, customer_id, SUM(shipments) AS n \
           FROM customer_activity WHERE {} AND $9::uuid IS NULL GROUP BY 1, 2) \
         SELECT a.p::date AS period_start, COUNT(*)::bigint AS active, \
                COUNT(*) FILTER (WHERE a.n >= 2)::bigint AS repeaters, \
                COUNT(b.customer_id)::bigint AS retained \
         FROM act a LEFT JOIN act b \
           ON b.customer_id = a.customer_id AND b.p = a.p - ('1 ' || $10)::interval \
         GROUP BY a.p",
        FILTER.replace(" AND ($9::uuid IS NULL OR handler_id = $9)", "")
    );
    let rows: Vec<Figures> = filtered(sql, request, before, g.end_of(hi))
        .bind::<Text, _>(g.as_str())
        .load(conn)?;
    let found: BTreeMap<NaiveDate, Figures> =
        rows.into_iter().map(|f| (f.period_start, f)).collect();
    Ok(periods(lo, g.end_of(hi), g)
        .into_iter()
        .map(|p| {
            found.get(&p.start).copied().unwrap_or(Figures {
                period_start: p.start,
                ..Figures::default()
            })
        })
        .collect())
}

#[derive(Serialize)]
struct Remembered {
    period_start: NaiveDate,
    first_day: NaiveDate,
    last_day: NaiveDate,
    version: i64,
    active: i64,
    repeaters: i64,
    retained: i64,
}

/// Remembers `computed` with the versions its days had before it was computed.
fn remember(
    conn: &mut PgConnection,
    request: &KpiRequest,
    computed: &[Figures],
    versions: &BTreeMap<NaiveDate, i64>,
) -> anyhow::Result<()> {
    let g = request.range.granularity;
    let rows: Vec<Remembered> = computed
        .iter()
        .map(|f| {
            let (first_day, last_day) = days_read(g, f.period_start);
            Remembered {
                period_start: f.period_start,
                first_day,
                last_day,
                version: versions.range(first_day..=last_day).map(|(_, v)| v).sum(),
                active: f.active,
                repeaters: f.repeaters,
                retained: f.retained,
            }
        })
        .collect();
    diesel::sql_query(
        "INSERT INTO customer_figures (time_zone, granularity, filter_key, period_start, \
           first_day, last_day, version, active, repeaters, retained) \
         SELECT $1, $2, $3, r.period_start, r.first_day, r.last_day, r.version, r.active, \
           r.repeaters, r.retained \
         FROM jsonb_to_recordset($4) AS r(period_start date, first_day date, last_day date, \
           version bigint, active bigint, repeaters bigint, retained bigint) \
         ON CONFLICT (time_zone, granularity, filter_key, period_start) DO UPDATE SET \
           first_day = EXCLUDED.first_day, last_day = EXCLUDED.last_day, \
           version = EXCLUDED.version, active = EXCLUDED.active, \
           repeaters = EXCLUDED.repeaters, retained = EXCLUDED.retained",
    )
    .bind::<Text, _>(request.tz.name())
    .bind::<Text, _>(g.as_str())
    .bind::<Text, _>(request.filter_key())
    .bind::<Jsonb, _>(serde_json::to_value(rows)?)
    .execute(conn)?;
    Ok(())
}

/// A change of the activity in `day` (UTC): figures that read it are computed again.
pub const BUMP: &str = "INSERT INTO activity_versions (day, version) VALUES ($1, 1) \
     ON CONFLICT (day) DO UPDATE SET version = activity_versions.version + 1";

/// Raises the version of the UTC day of `bucket`.
pub fn changed(conn: &mut PgConnection, day: NaiveDate) -> QueryResult<()> {
    diesel::sql_query(BUMP)
        .bind::<Date, _>(day)
        .execute(conn)
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn a_period_reads_itself_its_previous_period_and_a_day_either_side() {
        assert_eq!(
            days_read(Granularity::Day, d("2026-03-01")),
            (d("2026-02-27"), d("2026-03-02"))
        );
        assert_eq!(
            days_read(Granularity::Month, d("2026-03-01")),
            (d("2026-01-31"), d("2026-04-01"))
        );
    }
}
