//! The department directory: rosters and supervisors (kept through `/api/v1/departments`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;
use uuid::Uuid;

use super::schema::{department_members, departments};
use crate::domain::departments::Placement;
use crate::domain::vocab::Department;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = departments)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct DepartmentRow {
    pub name: String,
    pub supervisor_id: Option<Uuid>,
    pub version: i32,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// A department with its roster (sorted).
pub struct Roster {
    pub row: DepartmentRow,
    pub members: Vec<Uuid>,
}

/// Every department with its roster, by name.
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<Roster>> {
    let rows: Vec<DepartmentRow> = departments::table
        .order(departments::name.asc())
        .select(DepartmentRow::as_select())
        .load(conn)?;
    let mut members: HashMap<String, Vec<Uuid>> = HashMap::new();
    for (d, u) in department_members::table
        .order(department_members::user_id.asc())
        .select((department_members::department, department_members::user_id))
        .load::<(String, Uuid)>(conn)?
    {
        members.entry(d).or_default().push(u);
    }
    Ok(rows
        .into_iter()
        .map(|row| Roster {
            members: members.remove(&row.name).unwrap_or_default(),
            row,
        })
        .collect())
}

/// One department with its roster (locked for a change when `lock`).
pub fn find(conn: &mut PgConnection, name: Department, lock: bool) -> QueryResult<Option<Roster>> {
    let q = departments::table
        .find(name.as_ref())
        .select(DepartmentRow::as_select());
    let row = if lock {
        q.for_update().first(conn).optional()?
    } else {
        q.first(conn).optional()?
    };
    let Some(row) = row else {
        return Ok(None);
    };
    let members = department_members::table
        .filter(department_members::department.eq(name.as_ref()))
        .order(department_members::user_id.asc())
        .select(department_members::user_id)
        .load(conn)?;
    Ok(Some(Roster { row, members }))
}

/// A new roster and supervisor for a locked department: people listed here leave any other
/// roster (one department per person); those not listed leave this one.
pub fn replace(
    conn: &mut PgConnection,
    name: Department,
    supervisor_id: Option<Uuid>,
    members: &[Uuid],
    who: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(departments::table.find(name.as_ref()))
        .set((
            departments::supervisor_id.eq(supervisor_id),
            departments::version.eq(departments::version + 1),
            departments::updated_by.eq(who),
            departments::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::delete(
        department_members::table
            .filter(department_members::department.eq(name.as_ref()))
            .filter(department_members::user_id.ne_all(members)),
    )
    .execute(conn)?;
    let rows: Vec<_> = members
        .iter()
        .map(|u| {
            (
                department_members::user_id.eq(*u),
                department_members::department.eq(name.as_ref()),
                department_members::added_at.eq(now),
            )
        })
        .collect();
    diesel::insert_into(department_members::table)
        .values(&rows)
        .on_conflict(department_members::user_id)
        .do_update()
        .set(department_members::department.eq(name.as_ref()))
        .execute(conn)?;
    Ok(())
}

/// Where the directory places `user`.
pub fn placement(conn: &mut PgConnection, user: Uuid) -> QueryResult<Placement> {
    let member_of: Option<String> = department_members::table
        .find(user)
        .select(department_members::department)
        .first(conn)
        .optional()?;
    let supervises: Vec<String> = departments::table
        .filter(departments::supervisor_id.eq(user))
        .select(departments::name)
        .load(conn)?;
    Ok(Placement {
        member_of: member_of.and_then(|d| d.parse().ok()),
        supervises: supervises.iter().filter_map(|d| d.parse().ok()).collect(),
    })
}

/// Whether anyone is on `department`'s roster or supervises it.
pub fn staffed(conn: &mut PgConnection, department: Department) -> QueryResult<bool> {
    let supervised: bool = departments::table
        .find(department.as_ref())
        .select(departments::supervisor_id.is_not_null())
        .first(conn)
        .optional()?
        .unwrap_or(false);
    if supervised {
        return Ok(true);
    }
    diesel::select(diesel::dsl::exists(
        department_members::table.filter(department_members::department.eq(department.as_ref())),
    ))
    .get_result(conn)
}

/// The supervisor of each department (`None`: nobody named).
pub fn supervisors(conn: &mut PgConnection) -> QueryResult<HashMap<String, Option<Uuid>>> {
    Ok(departments::table
        .select((departments::name, departments::supervisor_id))
        .load::<(String, Option<Uuid>)>(conn)?
        .into_iter()
        .collect())
}
