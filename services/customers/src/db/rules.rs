//! Follow-up rules, set-based; each trigger has a key so a rule run any number of times
//! creates at most one task for it.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Date, Text, Timestamptz, Uuid as SqlUuid};
use kuaidi_shared::crypto::PiiCipher;
use uuid::Uuid;

use crate::domain::holidays::Occasion;
use crate::domain::new_customer::birthday_key;

/// The rule of birthday-care tasks, due on the customer's birthday (with `care_messages`
/// consent, from the birthday `profile_extras` consent keeps).
pub const BIRTHDAY_CARE: &str = "birthday_care";
/// The rule of holiday-care tasks (with `care_messages` consent).
pub const HOLIDAY_CARE: &str = "holiday_care";

/// How far ahead birthday care is planned.
pub const BIRTHDAY_LEAD_DAYS: i64 = 7;

/// A complaint that closed: whose, which, who handled it, when.
#[derive(Debug, Clone, Copy)]
pub struct ClosedComplaint {
    pub customer_id: Uuid,
    pub complaint_id: Uuid,
    pub handler: Option<Uuid>,
    pub closed_at: DateTime<Utc>,
}

/// A callback task after `closed` (to the customer's owner, else the case's handler), due
/// `callback_days` (`[follow_ups] callback_days`, SPEC §4 *default* 3) later.
pub fn complaint_callback(
    conn: &mut PgConnection,
    closed: ClosedComplaint,
    callback_days: i64,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let ClosedComplaint {
        customer_id,
        complaint_id,
        handler,
        closed_at,
    } = closed;
    diesel::sql_query(
        "INSERT INTO follow_ups (id, customer_id, assignee_id, due_at, reason, rule, trigger_key, \
           status, created_at, updated_at) \
         SELECT customers_uuid_v7($5), COALESCE(c.merged_into, c.id), COALESCE(c.owner_id, $3), \
           $4, 'complaint_callback', 'complaint_callback', 'complaint_callback:' || $2::text, \
           'open', $5, $5 \
         FROM customers c WHERE c.id = $1 AND c.erased_at IS NULL \
         ON CONFLICT (trigger_key) DO NOTHING",
    )
    .bind::<SqlUuid, _>(customer_id)
    .bind::<SqlUuid, _>(complaint_id)
    .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(handler)
    .bind::<Timestamptz, _>(closed_at + Duration::days(callback_days))
    .bind::<Timestamptz, _>(now)
    .execute(conn)
}

/// A retention task for the owner of each customer that just got the churn warning.
pub fn churn_retention(
    conn: &mut PgConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO follow_ups (id, customer_id, assignee_id, due_at, reason, rule, trigger_key, \
           status, created_at, updated_at) \
         SELECT customers_uuid_v7($2), c.id, c.owner_id, $2, 'churn_retention', 'churn_retention', \
           'churn_retention:' || c.id::text || ':' || to_char($2::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD'), \
           'open', $2, $2 \
         FROM customers c WHERE c.id = ANY($1) \
         ON CONFLICT (trigger_key) DO NOTHING",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
}

/// Monthly care for key accounts (one task per customer and month); birthday care for
/// customers who consented to care messages (one per customer and birthday: `birthday_care`,
/// and [`plan_birthday_care`] when a birthday changes); holiday care for them too, for the
/// `holidays` now within their lead (see [`holiday_care`]); and the callbacks, due
/// `callback_days` after the close, of complaints whose event came before the customer's file.
pub fn care(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    pii: &PiiCipher,
    callback_days: i64,
    holidays: &[Occasion],
) -> QueryResult<usize> {
    let monthly = diesel::sql_query(
        "INSERT INTO follow_ups (id, customer_id, assignee_id, due_at, reason, rule, trigger_key, \
           status, created_at, updated_at) \
         SELECT customers_uuid_v7($1), c.id, c.owner_id, $1, 'key_account_care', 'key_account_care', \
           'key_account_care:' || c.id::text || ':' || to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM'), \
           'open', $1, $1 \
         FROM customers c \
         WHERE c.value_tier = 'key' AND c.merged_into IS NULL AND c.erased_at IS NULL \
         ON CONFLICT (trigger_key) DO NOTHING",
    )
    .bind::<Timestamptz, _>(now)
    .execute(conn)?;
    let birthdays = birthday_care(conn, now, pii)?;
    // Callbacks for complaints closed in the last 30 days that have none yet (the event may
    // have come before the customer's file existed).
    let callbacks = diesel::sql_query(
        "INSERT INTO follow_ups (id, customer_id, assignee_id, due_at, reason, rule, trigger_key, \
           status, created_at, updated_at) \
         SELECT customers_uuid_v7($1), COALESCE(c.merged_into, c.id), c.owner_id, \
           cc.closed_at + make_interval(days => $2::int), 'complaint_callback', \
           'complaint_callback', 'complaint_callback:' || cc.complaint_id::text, 'open', $1, $1 \
         FROM customer_complaints cc JOIN customers c ON c.id = cc.customer_id \
         WHERE cc.closed_at > $1::timestamptz - interval '30 days' AND NOT cc.is_open \
           AND c.erased_at IS NULL \
         ON CONFLICT (trigger_key) DO NOTHING",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<diesel::sql_types::Integer, _>(callback_days as i32)
    .execute(conn)?;
    Ok(monthly + birthdays + holiday_care(conn, now, holidays)? + callbacks)
}

/// The days of birthday care's lead from `today` (today included), each with the keyed index
/// of its month and day: what birthdays are looked up by.
fn birthday_lead(today: NaiveDate, pii: &PiiCipher) -> (Vec<NaiveDate>, Vec<String>) {
    (0..=BIRTHDAY_LEAD_DAYS)
        .map(|d| today + Duration::days(d))
        .map(|day| (day, pii.blind_index(&birthday_key(day))))
        .unzip()
}

/// The day within birthday care's lead from `today` on which the birthday indexed `index`
/// falls (the task the care rule plans for it is due then), if any.
pub fn birthday_within_lead(index: &str, today: NaiveDate, pii: &PiiCipher) -> Option<NaiveDate> {
    let (days, digests) = birthday_lead(today, pii);
    days.into_iter()
        .zip(digests)
        .find_map(|(day, digest)| (digest == index).then_some(day))
}

/// The trigger key of `customer`'s birthday care on `day` (as the care job writes it).
pub fn birthday_trigger(customer: Uuid, day: NaiveDate) -> String {
    format!("{BIRTHDAY_CARE}:{customer}:{day}")
}

/// Birthday care for customers who consented to care messages (one task per customer and
/// birthday, due on the day, 00:00 UTC), found through the keyed index of the next
/// `BIRTHDAY_LEAD_DAYS` days' month and day.
fn birthday_care(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    pii: &PiiCipher,
) -> QueryResult<usize> {
    let (days, digests) = birthday_lead(now.date_naive(), pii);
    diesel::sql_query(
        "INSERT INTO follow_ups (id, customer_id, assignee_id, due_at, reason, rule, trigger_key, \
           status, created_at, updated_at) \
         SELECT customers_uuid_v7($1), c.id, c.owner_id, o.day::timestamp AT TIME ZONE 'UTC', \
           'birthday_care', 'birthday_care', 'birthday_care:' || c.id::text || ':' || o.day::text, \
           'open', $1, $1 \
         FROM customers c \
         JOIN LATERAL ( \
           SELECT b.day FROM unnest($2::text[], $3::date[]) AS b(digest, day) \
           WHERE b.digest = c.birthday_index ORDER BY b.day LIMIT 1) o ON TRUE \
         WHERE c.birthday_index = ANY($2) AND c.merged_into IS NULL AND c.erased_at IS NULL \
           AND (c.consents -> 'care_messages' ->> 'granted')::boolean IS TRUE \
         ON CONFLICT (trigger_key) DO NOTHING",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<Array<Text>, _>(digests)
    .bind::<Array<Date>, _>(days)
    .execute(conn)
}

/// When birthday care on `day` is due: the day, 00:00 UTC.
pub fn birthday_due(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// Plans the birthday care of `customer_id` (for `assignee`) on `day` at once, as the care job
/// would, unless a task for that day is open: under the rule's trigger key, or — when a task
/// cancelled for a reason that no longer holds (the birthday had moved away from `day`, or the
/// consent was withdrawn and is given again) holds that key (its outcome one of `replaceable`)
/// — as a new task without one. That key stays taken, so a care run that read the birthday
/// before it moved cannot plan the old day again. A task done (or cancelled by hand) for the
/// day is not planned again.
pub fn plan_birthday_care(
    conn: &mut PgConnection,
    customer_id: Uuid,
    assignee: Option<Uuid>,
    day: NaiveDate,
    now: DateTime<Utc>,
    replaceable: &[&str],
) -> QueryResult<()> {
    use super::follow_ups::{self as tasks, FollowUpRow};
    use super::schema::follow_ups as f;
    let due = birthday_due(day);
    let open = f::table
        .filter(f::customer_id.eq(customer_id))
        .filter(f::rule.eq(BIRTHDAY_CARE))
        .filter(f::status.eq("open"))
        .filter(f::due_at.eq(due));
    if diesel::select(diesel::dsl::exists(open)).get_result(conn)? {
        return Ok(());
    }
    let key = birthday_trigger(customer_id, day);
    let mut task = FollowUpRow {
        id: kuaidi_shared::clock::new_id(),
        customer_id,
        assignee_id: assignee,
        due_at: due,
        reason: BIRTHDAY_CARE.into(),
        rule: Some(BIRTHDAY_CARE.into()),
        trigger_key: Some(key.clone()),
        status: "open".into(),
        outcome: None,
        created_at: now,
        updated_at: now,
        closed_at: None,
        version: 1,
    };
    if tasks::insert(conn, &task)? == 1 {
        return Ok(());
    }
    let holder: Option<(String, Option<String>)> = f::table
        .filter(f::trigger_key.eq(&key))
        .select((f::status, f::outcome))
        .first(conn)
        .optional()?;
    if let Some((status, Some(outcome))) = holder {
        if status == "cancelled" && replaceable.contains(&outcome.as_str()) {
            task.trigger_key = None;
            tasks::insert(conn, &task)?;
        }
    }
    Ok(())
}

/// Plans again, for `customer_id`, the holiday care cancelled with `outcome` (a withdrawn
/// consent) whose holiday is still ahead (due today or later), as new tasks without a trigger
/// key (the cancelled task keeps it: the job does not plan the holiday a second time), for the
/// customer's owner; one per holiday, none where one is open. Answers how many.
pub fn restore_holiday_care(
    conn: &mut PgConnection,
    customer_id: Uuid,
    outcome: &str,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO follow_ups (id, customer_id, assignee_id, due_at, reason, rule, trigger_key, \
           status, created_at, updated_at) \
         SELECT DISTINCT ON (f.due_at) customers_uuid_v7($3), c.id, c.owner_id, f.due_at, \
           f.reason, f.rule, NULL, 'open', $3, $3 \
         FROM follow_ups f JOIN customers c ON c.id = f.customer_id \
         WHERE f.customer_id = $1 AND f.rule = 'holiday_care' AND f.status = 'cancelled' \
           AND f.outcome = $2 AND f.due_at >= date_trunc('day', $3 AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' \
           AND NOT EXISTS (SELECT 1 FROM follow_ups o WHERE o.customer_id = f.customer_id \
             AND o.rule = f.rule AND o.due_at = f.due_at AND o.status = 'open')",
    )
    .bind::<SqlUuid, _>(customer_id)
    .bind::<Text, _>(outcome)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
}

/// One task per customer who consented to care messages and holiday date (the key holds the
/// date, year included: once per holiday and year however many runs and replicas), due on the
/// day (00:00 UTC), for the customer's owner (none when unowned), its reason naming the holiday.
pub fn holiday_care(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    holidays: &[Occasion],
) -> QueryResult<usize> {
    if holidays.is_empty() {
        return Ok(0);
    }
    let days: Vec<NaiveDate> = holidays.iter().map(|h| h.day).collect();
    let names: Vec<&str> = holidays.iter().map(|h| h.names.as_str()).collect();
    // NOTE: the partial index `customers_care_consent` has this very predicate.
    diesel::sql_query(
        "INSERT INTO follow_ups (id, customer_id, assignee_id, due_at, reason, rule, trigger_key, \
           status, created_at, updated_at) \
         SELECT customers_uuid_v7($1), c.id, c.owner_id, h.day::timestamp AT TIME ZONE 'UTC', \
           'holiday_care: ' || h.names, 'holiday_care', \
           'holiday_care:' || c.id::text || ':' || h.day::text, 'open', $1, $1 \
         FROM customers c CROSS JOIN unnest($2::date[], $3::text[]) AS h(day, names) \
         WHERE (c.consents -> 'care_messages' ->> 'granted')::boolean IS TRUE \
           AND c.merged_into IS NULL AND c.erased_at IS NULL \
         ON CONFLICT (trigger_key) DO NOTHING",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<Array<Date>, _>(days)
    .bind::<Array<Text>, _>(names)
    .execute(conn)
}
