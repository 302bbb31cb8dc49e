//! Which merchant each customer file belongs to (`None`: the company's own customer), learnt
//! from `customer.created` and `customer.tier_changed`, so that a merchant may name only its own
//! customers (another tenant's would skew that customer's stats).
//!
//! Kept in the same table as the service's [`super::customer_phones`] projection (named by
//! [`CustomerTenants::new`]), which has a column `merchant_id UUID` beside those.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Uuid as SqlUuid};
use uuid::Uuid;

/// The merchant projection in one service's table.
#[derive(Debug, Clone, Copy)]
pub struct CustomerTenants {
    table: &'static str,
}

impl CustomerTenants {
    /// The projection kept in `table` (a fixed name of the service's schema, never input).
    pub const fn new(table: &'static str) -> Self {
        Self { table }
    }

    /// Records the merchant whose account `customer` is.
    pub fn set_merchant(
        &self,
        conn: &mut PgConnection,
        customer: Uuid,
        merchant: Option<Uuid>,
    ) -> QueryResult<()> {
        let t = self.table;
        diesel::sql_query(format!(
            "INSERT INTO {t} (customer_id, merchant_id) VALUES ($1, $2) \
             ON CONFLICT (customer_id) DO UPDATE SET merchant_id = EXCLUDED.merchant_id"
        ))
        .bind::<SqlUuid, _>(customer)
        .bind::<Nullable<SqlUuid>, _>(merchant)
        .execute(conn)
        .map(drop)
    }

    /// Whether `customer` is known as an account of `merchant`.
    pub fn belongs_to(
        &self,
        conn: &mut PgConnection,
        customer: Uuid,
        merchant: Uuid,
    ) -> QueryResult<bool> {
        #[derive(QueryableByName)]
        struct Found {
            #[diesel(sql_type = Bool)]
            found: bool,
        }
        let t = self.table;
        diesel::sql_query(format!(
            "SELECT EXISTS (SELECT 1 FROM {t} WHERE customer_id = $1 AND merchant_id = $2) AS found"
        ))
        .bind::<SqlUuid, _>(customer)
        .bind::<SqlUuid, _>(merchant)
        .get_result::<Found>(conn)
        .map(|f| f.found)
    }
}
