//! `alerts`: early-warning conditions found in the rollups, one per condition per day, each
//! announced by `analytics.alert_raised` (`events::alerts`) in the same transaction.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Jsonb, Text};
use kuaidi_shared::clock::new_id;
use kuaidi_shared::pagination::Cursor;
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

use super::schema::alerts as a;
use crate::domain::alerts::{AlertKind, AlertRules, AlertStatus, Breach};

/// One stored alert.
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = a)]
pub struct AlertRow {
    pub id: Uuid,
    pub kind: String,
    pub city: String,
    pub category: String,
    pub hub: String,
    pub day: NaiveDate,
    pub observed: f64,
    pub threshold: f64,
    pub status: String,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
}

#[derive(QueryableByName)]
struct DailyCount {
    #[diesel(sql_type = Text)]
    key_a: String,
    #[diesel(sql_type = Text)]
    key_b: String,
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    numerator: i64,
    #[diesel(sql_type = BigInt)]
    denominator: i64,
}

/// An alert to raise.
#[derive(Debug, Clone, Serialize)]
struct NewAlert {
    id: Uuid,
    kind: String,
    city: String,
    category: String,
    hub: String,
    day: NaiveDate,
    observed: f64,
    threshold: f64,
    raised_at: DateTime<Utc>,
}

/// Daily sums over the local days `today - history_days ..= today` of the rules' zone, of the
/// rollups grouped by `keys` (two text columns).
fn daily(
    conn: &mut PgConnection,
    keys: &str,
    (numerator, denominator): (&str, &str),
    rules: &AlertRules,
    today: NaiveDate,
) -> QueryResult<Vec<DailyCount>> {
    diesel::sql_query(format!(
        "SELECT {keys}, (bucket AT TIME ZONE $3)::date AS day, \
                SUM({numerator})::bigint AS numerator, SUM({denominator})::bigint AS denominator \
         FROM kpi_rollup \
         WHERE bucket >= ($1::date - $2::int)::timestamp AT TIME ZONE $3 \
           AND bucket < ($1::date + 1)::timestamp AT TIME ZONE $3 AND {denominator} > 0 \
         GROUP BY 1, 2, 3"
    ))
    .bind::<Date, _>(today)
    .bind::<diesel::sql_types::Integer, _>(i32::try_from(rules.history_days).unwrap_or(28))
    .bind::<Text, _>(rules.time_zone.name())
    .load(conn)
}

type Series = BTreeMap<(String, String), (Option<DailyCount>, Vec<DailyCount>)>;

fn by_key(rows: Vec<DailyCount>, today: NaiveDate) -> Series {
    let mut out: Series = BTreeMap::new();
    for r in rows {
        let entry = out.entry((r.key_a.clone(), r.key_b.clone())).or_default();
        if r.day == today {
            entry.0 = Some(r);
        } else {
            entry.1.push(r);
        }
    }
    out
}

/// Checks today's figures (the business day of the rules' zone) against the rules and raises
/// what is new; returns the alerts raised.
pub fn raise(
    conn: &mut PgConnection,
    rules: &AlertRules,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<AlertRow>> {
    let today = rules.today(now);
    let mut found = Vec::new();
    let complaints = daily(
        conn,
        "city AS key_a, category AS key_b",
        ("complaints", "complaints"),
        rules,
        today,
    )?;
    for ((city, category), (today_row, history)) in by_key(complaints, today) {
        let history: Vec<i64> = history.iter().map(|d| d.numerator).collect();
        let n = today_row.map_or(0, |t| t.numerator);
        if let Some(b) = rules.complaint_spike(n, &history) {
            found.push((AlertKind::ComplaintSpike, city, category, String::new(), b));
        }
    }
    let on_time = daily(
        conn,
        "hub AS key_a, ''::text AS key_b",
        ("delivered_on_time", "delivered"),
        rules,
        today,
    )?;
    for ((hub, _), (today_row, history)) in by_key(on_time, today) {
        let rate = |d: &DailyCount| d.numerator as f64 / d.denominator as f64;
        let history: Vec<f64> = history.iter().map(rate).collect();
        if let Some(b) = today_row.and_then(|t| rules.on_time_drop(rate(&t), &history)) {
            found.push((AlertKind::OnTimeDrop, String::new(), String::new(), hub, b));
        }
    }
    let rows: Vec<NewAlert> = found
        .into_iter()
        .filter(|(kind, city, category, hub, _)| {
            // Unknown places cannot be acted upon.
            match kind {
                AlertKind::ComplaintSpike => !city.is_empty() && !category.is_empty(),
                AlertKind::OnTimeDrop => !hub.is_empty(),
            }
        })
        .map(
            |(
                kind,
                city,
                category,
                hub,
                Breach {
                    observed,
                    threshold,
                },
            )| NewAlert {
                id: new_id(),
                kind: kind.to_string(),
                city,
                category,
                hub,
                day: today,
                observed,
                threshold,
                raised_at: now,
            },
        )
        .collect();
    insert_new(conn, &rows)
}

/// Inserts the alerts not raised yet today (one statement); answers those inserted.
fn insert_new(conn: &mut PgConnection, rows: &[NewAlert]) -> anyhow::Result<Vec<AlertRow>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let raised: Vec<AlertRow> = diesel::sql_query(
        "INSERT INTO alerts (id, kind, city, category, hub, day, observed, threshold, raised_at) \
         SELECT id, kind, city, category, hub, day, observed, threshold, raised_at \
         FROM jsonb_populate_recordset(NULL::alerts, $1) \
         ON CONFLICT (kind, city, category, hub, day) DO NOTHING RETURNING *",
    )
    .bind::<Jsonb, _>(serde_json::to_value(rows)?)
    .load(conn)?;
    Ok(raised)
}

/// A page of alerts, newest first, optionally of one status.
pub fn list(
    conn: &mut PgConnection,
    status: Option<AlertStatus>,
    limit: i64,
    after: Option<Cursor>,
) -> QueryResult<Vec<AlertRow>> {
    let mut q = a::table.select(AlertRow::as_select()).into_boxed();
    if let Some(s) = status {
        q = q.filter(a::status.eq(s.to_string()));
    }
    if let Some(c) = after {
        q = q.filter(
            a::raised_at
                .lt(c.at)
                .or(a::raised_at.eq(c.at).and(a::id.lt(c.id))),
        );
    }
    q.order((a::raised_at.desc(), a::id.desc()))
        .limit(limit + 1)
        .load(conn)
}

/// Acknowledges an open alert: `Ok(None)` when there is no such alert, `Err(status)` when it
/// is not open.
pub fn acknowledge(
    conn: &mut PgConnection,
    id: Uuid,
    by: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<Result<AlertRow, String>>> {
    let Some(current) = a::table
        .find(id)
        .select(AlertRow::as_select())
        .for_update()
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    if current.status != AlertStatus::Open.to_string() {
        return Ok(Some(Err(current.status)));
    }
    diesel::update(a::table.find(id))
        .set((
            a::status.eq(AlertStatus::Acknowledged.to_string()),
            a::acknowledged_at.eq(now),
            a::acknowledged_by.eq(by),
        ))
        .returning(AlertRow::as_returning())
        .get_result(conn)
        .map(|r| Some(Ok(r)))
}
