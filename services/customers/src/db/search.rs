//! Searching and listing customers: filters, exact identity matches, and ranked name search
//! (case- and accent-folded trigram similarity of the name and of a business's legal name).

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Float, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::customers::CustomerRow;
use super::schema::{customer_identities, customers};
use crate::domain::search::Filter;

/// How `q` narrows the list.
#[derive(Debug, Clone)]
pub enum Query {
    /// Everything matching the filters, newest first, keyset-paged after `(created_at, id)`.
    All {
        after: Option<(DateTime<Utc>, Uuid)>,
    },
    /// These customers.
    Ids(Vec<Uuid>),
    /// The customers holding an identity (exact phone, email or credit code) by its blind
    /// index — found in the same statement as the page, through the survivor of a merge.
    Identity { kind: String, digest: String },
    /// Ranked search of names and legal names, offset-paged.
    Name { text: String, offset: i64 },
}

diesel::define_sql_function! {
    /// SQL `COALESCE` of a nullable id and a fallback.
    fn coalesce(x: Nullable<SqlUuid>, y: SqlUuid) -> SqlUuid;
}

/// The folded legal name of a business, as the trigram index of migration
/// `legal_name_search` has it: the text must stay the index's expression for it to be used.
const LEGAL_NAME: &str = "customers_fold(company ->> 'legal_name')";

fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page (`limit + 1` rows, the extra one says there is more).
pub fn search(
    conn: &mut PgConnection,
    filter: &Filter,
    query: &Query,
    limit: i64,
) -> QueryResult<Vec<CustomerRow>> {
    let mut q = customers::table
        .filter(customers::merged_into.is_null())
        .filter(customers::erased_at.is_null())
        .select(CustomerRow::as_select())
        .into_boxed();
    if let Some(v) = &filter.kind {
        q = q.filter(customers::kind.eq(v.clone()));
    }
    if let Some(v) = &filter.value_tier {
        q = q.filter(customers::value_tier.eq(v.clone()));
    }
    if let Some(v) = &filter.lifecycle_stage {
        q = q.filter(customers::lifecycle_stage.eq(v.clone()));
    }
    if let Some(v) = filter.owner_id {
        q = q.filter(customers::owner_id.eq(v));
    }
    if let Some(v) = &filter.industry {
        q = q.filter(customers::industry.eq(v.clone()));
    }
    if let Some(v) = &filter.city_tier {
        q = q.filter(customers::city_tier.eq(v.clone()));
    }
    if let Some(v) = &filter.tag {
        q = q.filter(customers::tags.contains(vec![v.clone()]));
    }
    if let Some(v) = filter.merchant_id {
        q = q.filter(customers::merchant_id.eq(v));
    }
    match query {
        Query::All { after } => {
            if let Some((at, id)) = after {
                q = q.filter(
                    customers::created_at
                        .lt(*at)
                        .or(customers::created_at.eq(*at).and(customers::id.lt(*id))),
                );
            }
            q.order((customers::created_at.desc(), customers::id.desc()))
                .limit(limit + 1)
                .load(conn)
        }
        Query::Ids(ids) => q
            .filter(customers::id.eq_any(ids.clone()))
            .order((customers::created_at.desc(), customers::id.desc()))
            .limit(limit + 1)
            .load(conn),
        Query::Identity { kind, digest } => {
            // Through the survivor of a merge; typed, so the statement is prepared once per
            // connection (a raw `sql` fragment is planned again on every search).
            let holders = diesel::alias!(customers as holders);
            let found = customer_identities::table
                .inner_join(
                    holders.on(holders
                        .field(customers::id)
                        .eq(customer_identities::customer_id)),
                )
                .filter(holders.field(customers::erased_at).is_null())
                .filter(customer_identities::kind.eq(kind.clone()))
                .filter(customer_identities::digest.eq(digest.clone()))
                .select(coalesce(
                    holders.field(customers::merged_into),
                    holders.field(customers::id),
                ));
            q.filter(customers::id.eq_any(found))
                .order((customers::created_at.desc(), customers::id.desc()))
                .limit(limit + 1)
                .load(conn)
        }
        Query::Name { text, offset } => {
            let folded: String = diesel::select(
                sql::<Text>("customers_fold(")
                    .bind::<Text, _>(text.clone())
                    .sql(")"),
            )
            .get_result(conn)?;
            let prefix = format!("{}%", &like_pattern(&folded)[1..]);
            q.filter(
                sql::<Bool>("(search_name LIKE ")
                    .bind::<Text, _>(like_pattern(&folded))
                    .sql(" OR search_name % ")
                    .bind::<Text, _>(folded.clone())
                    .sql(&format!(" OR {LEGAL_NAME} LIKE "))
                    .bind::<Text, _>(like_pattern(&folded))
                    .sql(&format!(" OR {LEGAL_NAME} % "))
                    .bind::<Text, _>(folded.clone())
                    .sql(")"),
            )
            .order((
                sql::<Bool>("(search_name = ")
                    .bind::<Text, _>(folded.clone())
                    .sql(&format!(" OR {LEGAL_NAME} IS NOT DISTINCT FROM "))
                    .bind::<Text, _>(folded.clone())
                    .sql(")")
                    .desc(),
                sql::<Bool>("(search_name LIKE ")
                    .bind::<Text, _>(prefix.clone())
                    .sql(&format!(" OR COALESCE({LEGAL_NAME} LIKE "))
                    .bind::<Text, _>(prefix)
                    .sql(", false))")
                    .desc(),
                sql::<Float>("GREATEST(similarity(search_name, ")
                    .bind::<Text, _>(folded.clone())
                    .sql(&format!("), similarity({LEGAL_NAME}, "))
                    .bind::<Text, _>(folded)
                    .sql("))")
                    .desc(),
                customers::id.desc(),
            ))
            .offset(*offset)
            .limit(limit + 1)
            .load(conn)
        }
    }
}
