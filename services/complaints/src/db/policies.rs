//! SLA policies: category × priority → allowances and calendar, versioned by change.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::{sla_policies, sla_policy_versions};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sla_policies)]
#[diesel(check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_null = true)]
pub struct PolicyRow {
    pub category: String,
    pub priority: String,
    pub first_response_minutes: i32,
    pub resolution_minutes: i32,
    pub calendar: Option<serde_json::Value>,
    pub version: i32,
}

pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<PolicyRow>> {
    sla_policies::table
        .order((sla_policies::category.asc(), sla_policies::priority.asc()))
        .select(PolicyRow::as_select())
        .load(conn)
}

pub fn current_version(conn: &mut PgConnection) -> QueryResult<i32> {
    sla_policy_versions::table
        .select(diesel::dsl::max(sla_policy_versions::version))
        .first::<Option<i32>>(conn)
        .map(|v| v.unwrap_or(1))
}

/// Writes `rows` as a new version (the rows given replace those rows; others stay). The
/// version table's primary key serialises concurrent writers.
pub fn put(
    conn: &mut PgConnection,
    rows: &mut [PolicyRow],
    changed_by: &str,
    now: DateTime<Utc>,
) -> QueryResult<i32> {
    diesel::sql_query("LOCK TABLE sla_policy_versions IN EXCLUSIVE MODE").execute(conn)?;
    let version = current_version(conn)? + 1;
    let changes = serde_json::json!(rows
        .iter()
        .map(|r| serde_json::json!({
            "category": r.category, "priority": r.priority,
            "first_response_minutes": r.first_response_minutes,
            "resolution_minutes": r.resolution_minutes, "calendar": r.calendar,
        }))
        .collect::<Vec<_>>());
    diesel::insert_into(sla_policy_versions::table)
        .values((
            sla_policy_versions::version.eq(version),
            sla_policy_versions::changed_by.eq(changed_by),
            sla_policy_versions::changed_at.eq(now),
            sla_policy_versions::changes.eq(changes),
        ))
        .execute(conn)?;
    for row in rows.iter_mut() {
        row.version = version;
        diesel::insert_into(sla_policies::table)
            .values(&*row)
            .on_conflict((sla_policies::category, sla_policies::priority))
            .do_update()
            .set(&*row)
            .execute(conn)?;
    }
    Ok(version)
}
