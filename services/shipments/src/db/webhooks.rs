//! The `webhook_subscriptions` and `webhook_deliveries` tables: subscriptions by owner, the
//! fan-out of an event into deliveries, and the persisted delivery queue the worker claims.
// NOTE: the two `table!` definitions live here rather than in the generated `schema.rs` so that
// regenerating it for other tables cannot drop them; they mirror migration
// `2026112500020_webhooks` column for column, with the columns later migrations added
// (`webhook_versions`, `webhook_resends`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kuaidi_shared::pagination::Cursor;
use uuid::Uuid;

diesel::table! {
    webhook_subscriptions (id) {
        id -> Uuid,
        merchant_id -> Nullable<Uuid>,
        owner_sub -> Nullable<Text>,
        url -> Text,
        events -> Array<Text>,
        secret_sealed -> Bytea,
        failing_since -> Nullable<Timestamptz>,
        disabled_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        subscription_id -> Uuid,
        event_id -> Uuid,
        event_type -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        last_status_code -> Nullable<Int4>,
        last_latency_ms -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamptz,
        retry_started_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        schedule_step -> Int4,
        resend_due_at -> Nullable<Timestamptz>,
    }
}

pub const PENDING: &str = "pending";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, Queryable, Selectable, Insertable, QueryableByName)]
#[diesel(table_name = webhook_subscriptions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct SubscriptionRow {
    pub id: Uuid,
    pub merchant_id: Option<Uuid>,
    pub owner_sub: Option<String>,
    pub url: String,
    pub events: Vec<String>,
    /// The signing secret, sealed with the service's PII cipher.
    pub secret_sealed: Vec<u8>,
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Its ETag: a new one with every change its owner sees or signs with
    /// (`super::webhook_endpoints`).
    pub version: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, QueryableByName)]
#[diesel(table_name = webhook_deliveries)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct DeliveryRow {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub payload: serde_json::Value,
    pub status: String,
    /// Every attempt made: automatic ones and re-sends asked for by hand.
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i32>,
    /// Why the last attempt got no HTTP answer (`None` when the endpoint answered).
    pub last_error: Option<String>,
    /// When the next automatic attempt is due (while pending); also the lease of a worker that
    /// claimed it for one.
    pub next_attempt_at: DateTime<Utc>,
    /// Start of the retry window: the delivery's creation.
    pub retry_started_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Automatic attempts made: the place reached in the retry schedule, which re-sends asked
    /// for by hand leave where it was.
    pub schedule_step: i32,
    /// A re-send asked for (`:redeliver`, `:replay`) and not made yet, due from then on; while
    /// it is being sent, its lease.
    pub resend_due_at: Option<DateTime<Utc>>,
}

impl DeliveryRow {
    /// A new pending delivery of `payload`, due at `now`.
    pub fn pending(
        subscription_id: Uuid,
        event_id: Uuid,
        event_type: &str,
        payload: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: kuaidi_shared::clock::new_id(),
            subscription_id,
            event_id,
            event_type: event_type.to_owned(),
            payload,
            status: PENDING.to_owned(),
            attempts: 0,
            last_status_code: None,
            last_latency_ms: None,
            last_error: None,
            next_attempt_at: now,
            retry_started_at: now,
            created_at: now,
            updated_at: now,
            schedule_step: 0,
            resend_due_at: None,
        }
    }
}

/// Who owns a subscription: a merchant, or the token subject of an app or admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Merchant(Uuid),
    Subject(String),
}

/// Which subscriptions a caller sees and manages: every one (an admin, SPEC §3) or its owner's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Owned(Owner),
}

impl Scope {
    /// Whether the subscription `s` is in this scope.
    pub fn covers(&self, s: &SubscriptionRow) -> bool {
        match self {
            Scope::All => true,
            Scope::Owned(owner) => owns(owner, s),
        }
    }
}

impl SubscriptionRow {
    /// Its owner: the merchant when it has one, else the token subject that registered it (the
    /// table's CHECK keeps one of the two set).
    pub fn owner(&self) -> Owner {
        match self.merchant_id {
            Some(m) => Owner::Merchant(m),
            None => Owner::Subject(self.owner_sub.clone().unwrap_or_default()),
        }
    }
}

/// What a list of subscriptions asks for within the caller's scope.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionFilter {
    /// Only this merchant's.
    pub merchant_id: Option<Uuid>,
    /// Only those this token subject registered (not for a merchant).
    pub owner_sub: Option<String>,
    /// After this `(created_at, id)`.
    pub after: Option<Cursor>,
}

pub fn insert_subscription(conn: &mut PgConnection, row: &SubscriptionRow) -> QueryResult<()> {
    diesel::insert_into(webhook_subscriptions::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// One page of the subscriptions in `scope` that `filter` asks for, oldest first (`limit + 1`
/// rows).
pub fn list_subscriptions(
    conn: &mut PgConnection,
    scope: &Scope,
    filter: &SubscriptionFilter,
    limit: i64,
) -> QueryResult<Vec<SubscriptionRow>> {
    use webhook_subscriptions::dsl as w;
    let mut q = w::webhook_subscriptions
        .select(SubscriptionRow::as_select())
        .order((w::created_at.asc(), w::id.asc()))
        .limit(limit + 1)
        .into_boxed();
    let owners = [
        scope_owner(scope),
        filter.merchant_id.map(Owner::Merchant),
        filter.owner_sub.clone().map(Owner::Subject),
    ];
    for owner in owners.into_iter().flatten() {
        q = match owner {
            Owner::Merchant(m) => q.filter(w::merchant_id.eq(m)),
            Owner::Subject(s) => q.filter(w::owner_sub.eq(s).and(w::merchant_id.is_null())),
        };
    }
    if let Some(c) = filter.after {
        q = q.filter(
            w::created_at
                .gt(c.at)
                .or(w::created_at.eq(c.at).and(w::id.gt(c.id))),
        );
    }
    q.load(conn)
}

/// The owner a scope is limited to, if any.
fn scope_owner(scope: &Scope) -> Option<Owner> {
    match scope {
        Scope::All => None,
        Scope::Owned(owner) => Some(owner.clone()),
    }
}

/// The subscription `id` if it is in `scope`.
pub fn find_subscription(
    conn: &mut PgConnection,
    id: Uuid,
    scope: &Scope,
) -> QueryResult<Option<SubscriptionRow>> {
    Ok(list_subscriptions_by_id(conn, &[id])?
        .into_iter()
        .find(|s| scope.covers(s)))
}

/// Whether `owner` owns the subscription `s`.
pub fn owns(owner: &Owner, s: &SubscriptionRow) -> bool {
    match owner {
        Owner::Merchant(m) => s.merchant_id == Some(*m),
        Owner::Subject(sub) => s.merchant_id.is_none() && s.owner_sub.as_deref() == Some(sub),
    }
}

pub fn list_subscriptions_by_id(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<SubscriptionRow>> {
    webhook_subscriptions::table
        .filter(webhook_subscriptions::id.eq_any(ids))
        .select(SubscriptionRow::as_select())
        .load(conn)
}

pub fn delete_subscription(conn: &mut PgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::delete(webhook_subscriptions::table.find(id)).execute(conn)
}

/// Subscriptions interested in `event_type` (named, or `*`). Disabled ones are included: their
/// deliveries wait, unsent, for the owner's `:replay`, so nothing is lost while an endpoint is
/// down.
pub fn subscribers_of(
    conn: &mut PgConnection,
    event_type: &str,
) -> QueryResult<Vec<SubscriptionRow>> {
    let wanted = vec![event_type.to_owned(), "*".to_owned()];
    webhook_subscriptions::table
        .filter(webhook_subscriptions::events.overlaps_with(wanted))
        .select(SubscriptionRow::as_select())
        .load(conn)
}

/// Inserts deliveries; a second fan-out of the same event to the same endpoint is ignored.
pub fn insert_deliveries(conn: &mut PgConnection, rows: &[DeliveryRow]) -> QueryResult<usize> {
    let mut inserted = 0;
    // A statement holds at most 65,535 parameters.
    for chunk in rows.chunks(1_000) {
        inserted += diesel::insert_into(webhook_deliveries::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    Ok(inserted)
}

/// One page of a subscription's deliveries, newest first (`limit + 1` rows).
pub fn list_deliveries(
    conn: &mut PgConnection,
    subscription_id: Uuid,
    limit: i64,
    after: Option<Cursor>,
) -> QueryResult<Vec<DeliveryRow>> {
    use webhook_deliveries::dsl as d;
    let mut q = d::webhook_deliveries
        .filter(d::subscription_id.eq(subscription_id))
        .select(DeliveryRow::as_select())
        .order((d::created_at.desc(), d::id.desc()))
        .limit(limit + 1)
        .into_boxed();
    if let Some(c) = after {
        q = q.filter(
            d::created_at
                .lt(c.at)
                .or(d::created_at.eq(c.at).and(d::id.lt(c.id))),
        );
    }
    q.load(conn)
}

pub fn find_delivery(
    conn: &mut PgConnection,
    subscription_id: Uuid,
    delivery_id: Uuid,
) -> QueryResult<Option<DeliveryRow>> {
    use webhook_deliveries::dsl as d;
    d::webhook_deliveries
        .filter(d::id.eq(delivery_id))
        .filter(d::subscription_id.eq(subscription_id))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()
}
