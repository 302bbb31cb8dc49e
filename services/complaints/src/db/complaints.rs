//! Cases, their numbers, history and SLA policies, and which case a caller may see.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use super::schema::{complaint_history, complaint_numbers, complaints, sla_policies};
use crate::domain::vocab::{COMPLAINT, OPEN_STATUSES};

#[derive(
    Debug, Clone, Queryable, QueryableByName, Selectable, Insertable, AsChangeset, Identifiable,
)]
#[diesel(table_name = complaints)]
#[diesel(check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_null = true)]
pub struct ComplaintRow {
    pub id: Uuid,
    pub number: String,
    pub type_: String,
    pub channel: String,
    pub customer_id: Option<Uuid>,
    pub tracking_number: Option<String>,
    pub merchant_id: Option<Uuid>,
    pub category: Option<String>,
    pub priority: String,
    pub description: String,
    pub reasonable: Option<bool>,
    pub department: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub escalation_level: i32,
    pub status: String,
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub root_cause: Option<String>,
    pub resolution: Option<String>,
    pub satisfaction: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    /// The case this one repeats (set when cases are merged; intake never stores a duplicate).
    pub duplicate_of: Option<Uuid>,
    /// Opened by the service itself on a key account's lost or damaged parcel.
    pub proactive: bool,
    /// Blind index of the phone of the end customer who opened it in the app.
    pub reporter_phone_hash: Option<String>,
    pub resolution_code: Option<String>,
    /// The handler's proposal (measures, plan, compensation, investigation report).
    pub proposal: Option<serde_json::Value>,
    pub first_response_warn_at: DateTime<Utc>,
    pub resolution_warn_at: DateTime<Utc>,
    /// SLA events had, once each (see [`SlaFlag`]).
    pub sla_flags: i32,
}

pub use crate::domain::sla::SlaFlag;

/// Any warning / any breach.
pub const WARNED: i32 = SlaFlag::FirstResponseWarned as i32 | SlaFlag::ResolutionWarned as i32;
pub const BREACHED: i32 =
    SlaFlag::FirstResponseBreached as i32 | SlaFlag::ResolutionBreached as i32;

impl ComplaintRow {
    pub fn has(&self, flags: i32) -> bool {
        self.sla_flags & flags != 0
    }
}

/// Whose reports intake folds together: a customer file's; for an end customer no file holds,
/// the reports the same phone made without a file; for a report naming no customer (none known
/// either), anyone's — the same parcel and the same problem are the same case.
#[derive(Debug, Clone, Copy)]
pub enum Reporter<'a> {
    File(Uuid),
    Phone(&'a str),
    Anyone,
}

/// Serialises intakes on the same tracking number and category (whoever reports) until the end
/// of the transaction, so two simultaneous reports cannot both miss the other and open two
/// cases.
pub fn lock_intake(
    conn: &mut PgConnection,
    tracking_number: &str,
    category: &str,
) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<diesel::sql_types::Text, _>(format!(
            "complaints.intake:{tracking_number}:{category}"
        ))
        .execute(conn)
        .map(drop)
}

/// The next number of `day` (serialised by the row lock of the upsert).
pub fn next_number(conn: &mut PgConnection, day: NaiveDate) -> QueryResult<i32> {
    diesel::insert_into(complaint_numbers::table)
        .values((
            complaint_numbers::day.eq(day),
            complaint_numbers::last.eq(1),
        ))
        .on_conflict(complaint_numbers::day)
        .do_update()
        .set(complaint_numbers::last.eq(complaint_numbers::last + 1))
        .returning(complaint_numbers::last)
        .get_result(conn)
}

/// `(first_response_minutes, resolution_minutes, calendar)` for a category × priority.
pub fn policy(
    conn: &mut PgConnection,
    category: &str,
    priority: &str,
) -> QueryResult<Option<(i32, i32, Option<serde_json::Value>)>> {
    sla_policies::table
        .find((category, priority))
        .select((
            sla_policies::first_response_minutes,
            sla_policies::resolution_minutes,
            sla_policies::calendar,
        ))
        .first(conn)
        .optional()
}

/// A case, locked until the end of the transaction.
pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<ComplaintRow>> {
    complaints::table
        .find(id)
        .select(ComplaintRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Writes the whole row back.
pub fn save(conn: &mut PgConnection, row: &ComplaintRow) -> QueryResult<()> {
    super::save(conn, row)
}

/// The statuses a case moved through, oldest first, with when (for SLA pauses).
pub fn moves(conn: &mut PgConnection, id: Uuid) -> QueryResult<Vec<(String, DateTime<Utc>)>> {
    complaint_history::table
        .filter(complaint_history::complaint_id.eq(id))
        .order(complaint_history::id.asc())
        .select((complaint_history::to_status, complaint_history::at))
        .load(conn)
}

/// Whether a case of type `complaint` on `tracking_number` was received after `since` (praise,
/// suggestions and inquiries on the parcel make no repeat complaint).
pub fn complaint_on_tracking_number_since(
    conn: &mut PgConnection,
    tracking_number: &str,
    since: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        complaints::table
            .filter(complaints::tracking_number.eq(tracking_number))
            .filter(complaints::type_.eq(COMPLAINT))
            .filter(complaints::created_at.gt(since)),
    ))
    .get_result(conn)
}

/// The open cases of the same reporter, tracking number and category received after `since`,
/// earliest first (intake takes the first its caller may see).
pub fn open_duplicates(
    conn: &mut PgConnection,
    reporter: Reporter<'_>,
    tracking_number: &str,
    category: &str,
    since: DateTime<Utc>,
) -> QueryResult<Vec<ComplaintRow>> {
    let query = complaints::table
        .filter(complaints::tracking_number.eq(tracking_number))
        .filter(complaints::category.eq(category))
        .filter(complaints::created_at.gt(since))
        .filter(complaints::status.eq_any(OPEN_STATUSES))
        .order((complaints::created_at.asc(), complaints::id.asc()))
        .select(ComplaintRow::as_select())
        .into_boxed();
    match reporter {
        Reporter::File(customer_id) => query.filter(complaints::customer_id.eq(customer_id)),
        Reporter::Phone(hash) => query
            .filter(complaints::customer_id.is_null())
            .filter(complaints::reporter_phone_hash.eq(hash)),
        Reporter::Anyone => query,
    }
    .load(conn)
}

pub fn insert(conn: &mut PgConnection, row: &ComplaintRow) -> QueryResult<()> {
    super::insert(conn, complaints::table, row)
}

/// One history entry to append.
#[derive(Insertable)]
#[diesel(table_name = complaint_history)]
pub struct Entry<'a> {
    pub complaint_id: Uuid,
    pub actor: &'a str,
    /// The role the actor acted in ([`super::history::role_of`]).
    pub actor_role: &'a str,
    pub action: &'a str,
    #[diesel(column_name = from_status)]
    pub from: Option<&'a str>,
    #[diesel(column_name = to_status)]
    pub to: &'a str,
    pub payload: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// Appends to a case's history.
pub fn record(conn: &mut PgConnection, e: Entry<'_>) -> QueryResult<()> {
    super::insert(conn, complaint_history::table, e)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<ComplaintRow>> {
    complaints::table
        .find(id)
        .select(ComplaintRow::as_select())
        .first(conn)
        .optional()
}

/// Writes recomputed deadlines of many cases in one statement (`c.id = ANY($1)`: the rows by
/// primary key, never a hash join over the whole table), each with the SLA marks it may keep
/// (`sla_flags` ANDed with the mask computed with it, `domain::sla::marks_reached`: a mark the
/// sweep makes meanwhile is never lost, only one the new deadlines no longer reach). A case
/// whose deadlines or marks change gets a new version (its ETag changes) and `updated_at =
/// now`; the others are left alone.
pub fn set_deadlines(
    conn: &mut PgConnection,
    computed: &[(Uuid, crate::domain::sla::Deadlines, i32)],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    use diesel::sql_types::{Array, Integer, Timestamptz, Uuid as SqlUuid};
    if computed.is_empty() {
        return Ok(0);
    }
    let column = |f: fn(&crate::domain::sla::Deadlines) -> DateTime<Utc>| -> Vec<DateTime<Utc>> {
        computed.iter().map(|(_, d, _)| f(d)).collect()
    };
    diesel::sql_query(
        "UPDATE complaints c SET first_response_due = d.frd, first_response_warn_at = d.frw, \
                resolution_due = d.rd, resolution_warn_at = d.rw, \
                sla_flags = c.sla_flags & d.keep, version = c.version + 1, updated_at = $6 \
         FROM UNNEST($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[], \
                     $5::timestamptz[], $7::int4[]) AS d(id, frd, frw, rd, rw, keep) \
         WHERE c.id = d.id AND c.id = ANY($1) \
           AND (c.first_response_due, c.first_response_warn_at, c.resolution_due, \
                c.resolution_warn_at, c.sla_flags) \
               IS DISTINCT FROM (d.frd, d.frw, d.rd, d.rw, c.sla_flags & d.keep)",
    )
    .bind::<Array<SqlUuid>, _>(computed.iter().map(|(id, _, _)| *id).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(column(|d| d.first_response_due))
    .bind::<Array<Timestamptz>, _>(column(|d| d.first_response_warn_at))
    .bind::<Array<Timestamptz>, _>(column(|d| d.resolution_due))
    .bind::<Array<Timestamptz>, _>(column(|d| d.resolution_warn_at))
    .bind::<Timestamptz, _>(now)
    .bind::<Array<Integer>, _>(
        computed
            .iter()
            .map(|(_, _, keep)| *keep)
            .collect::<Vec<_>>(),
    )
    .execute(conn)
}

/// Whether a proactive case was already opened for this shipment.
pub fn proactive_exists(conn: &mut PgConnection, tracking_number: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        complaints::table
            .filter(complaints::proactive.eq(true))
            .filter(complaints::tracking_number.eq(tracking_number)),
    ))
    .get_result(conn)
}

/// Whether `caller` (already holding `ComplaintsRead`) may see `row`; another tenant's case is
/// a 404.
pub fn visible_to(
    conn: &mut PgConnection,
    caller: &Principal,
    row: &ComplaintRow,
) -> QueryResult<bool> {
    Ok(match caller.role {
        Role::Merchant => caller.merchant_id.is_some() && caller.merchant_id == row.merchant_id,
        // An end customer sees the cases they opened in the app, and those opened for one of
        // their customer files by the desk (not another app user's case on a parcel they sent).
        Role::Customer => match caller.phone_hash.as_deref() {
            Some(hash) if row.reporter_phone_hash.as_deref() == Some(hash) => true,
            Some(hash) if row.reporter_phone_hash.is_none() => match row.customer_id {
                Some(c) => super::customers::PHONES
                    .ids_by_phone(conn, hash)?
                    .contains(&c),
                None => false,
            },
            _ => false,
        },
        _ => true,
    })
}

/// The case `id` if `caller` may see it (locked when `lock`), else a 404.
pub fn visible_case(
    conn: &mut PgConnection,
    caller: &Principal,
    id: Uuid,
    lock: bool,
) -> Result<ComplaintRow, ApiError> {
    let row = if lock {
        find_for_update(conn, id)?
    } else {
        find(conn, id)?
    };
    match row {
        Some(r) if visible_to(conn, caller, &r)? => Ok(r),
        _ => Err(ApiError::NotFound("complaint")),
    }
}
