//! Consent history (the current state lives on the customer row, `consents`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::consent_history;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consent_history)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ConsentRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub purpose: String,
    pub granted: bool,
    pub source: String,
    pub recorded_at: DateTime<Utc>,
    pub actor: Option<String>,
}

pub fn record(conn: &mut PgConnection, rows: &[ConsentRow]) -> QueryResult<()> {
    diesel::insert_into(consent_history::table)
        .values(rows)
        .execute(conn)
        .map(drop)
}

/// Every consent change of a customer, oldest first.
pub fn history(conn: &mut PgConnection, customer_id: Uuid) -> QueryResult<Vec<ConsentRow>> {
    consent_history::table
        .filter(consent_history::customer_id.eq(customer_id))
        .select(ConsentRow::as_select())
        .order((consent_history::recorded_at, consent_history::id))
        .load(conn)
}
