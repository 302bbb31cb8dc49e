//! A search of the customer file (`GET /api/v1/customers`): what to look for, scoped to the
//! caller, and the page of rows it finds.

use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::pagination::{Cursor, Page};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::db::customers::CustomerRow;
use crate::db::search::{self, Query};
use crate::domain::search::{offset_cursor, parse_offset, Filter, Identity};

/// A validated search.
pub struct Search {
    filter: Filter,
    identity: Option<Identity>,
    cursor: Option<String>,
}

impl Search {
    /// The search for `identity` (what `q` asks for) among the customers `filter` admits,
    /// from `cursor`, on behalf of `caller`: a merchant sees only their own account.
    pub fn new(
        mut filter: Filter,
        identity: Option<Identity>,
        cursor: Option<String>,
        caller: &Principal,
    ) -> Self {
        filter.merchant_id = match caller.role {
            Role::Merchant => Some(caller.merchant_id.unwrap_or_else(Uuid::nil)),
            _ => None,
        };
        Self {
            filter,
            identity,
            cursor,
        }
    }

    /// One page of at most `limit` customers `who` may find.
    pub fn page(
        &self,
        conn: &mut PgConnection,
        limit: i64,
        who: &Principal,
    ) -> Result<Page<CustomerRow>, ApiError> {
        let query = self.query(who)?;
        let rows = search::search(conn, &self.filter, &query, limit)?;
        let mut page = Page::from_rows(
            rows,
            limit,
            |r| Cursor {
                at: r.created_at,
                id: r.id,
            },
            |r| r,
        );
        if let (Query::Name { offset, .. }, Some(_)) = (&query, &page.next_cursor) {
            page.next_cursor = Some(offset_cursor(offset + limit));
        }
        Ok(page)
    }

    /// What to look for: an end customer only ever finds their own file.
    fn query(&self, who: &Principal) -> Result<Query, ApiError> {
        if who.role == Role::Customer {
            return Ok(match who.phone_hash.as_deref() {
                Some(h) => identity("phone", h),
                None => Query::Ids(Vec::new()),
            });
        }
        Ok(match &self.identity {
            Some(Ok((kind, digest))) => identity(kind, digest),
            Some(Err(text)) => Query::Name {
                offset: parse_offset(self.cursor.as_deref())?,
                text: text.clone(),
            },
            None => Query::All {
                after: self
                    .cursor
                    .as_deref()
                    .map(Cursor::decode)
                    .transpose()?
                    .map(|c| (c.at, c.id)),
            },
        })
    }
}

fn identity(kind: &str, digest: &str) -> Query {
    Query::Identity {
        kind: kind.into(),
        digest: digest.into(),
    }
}
