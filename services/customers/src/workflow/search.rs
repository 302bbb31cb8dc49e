//! A search of the customer file (`GET /api/v1/customers`): what to look for, and the page of
//! views it answers, stats included, PII masked for the caller.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::auth::{Principal, Role};
use kuaidi_shared::crypto::PiiCipher;
use kuaidi_shared::pagination::{Cursor, Page};
use kuaidi_shared::ApiError;
use uuid::Uuid;

use crate::api::customers::Customer;
use crate::api::search::{Identity, SearchParams};
use crate::api::{offset_cursor, parse_offset};
use crate::db::search::{self, Filter, Query};
use crate::workflow::view;

/// A validated search.
pub struct Search {
    filter: Filter,
    identity: Option<Identity>,
    cursor: Option<String>,
}

impl Search {
    /// The search `p` asks for on behalf of `caller`.
    pub fn new(p: SearchParams, caller: &Principal, pii: &PiiCipher) -> Self {
        Self {
            filter: filter_of(&p, caller),
            identity: p.identity(pii),
            cursor: p.cursor,
        }
    }

    /// One page of at most `limit` customers, as `who` may see them.
    pub fn page(
        &self,
        conn: &mut PgConnection,
        limit: i64,
        now: DateTime<Utc>,
        pii: &PiiCipher,
        who: &Principal,
    ) -> Result<Page<Customer>, ApiError> {
        let query = self.query(who)?;
        let rows = search::search(conn, &self.filter, &query, limit)?;
        let shown = &rows[..rows.len().min(limit as usize)];
        let ids: Vec<Uuid> = shown.iter().map(|r| r.id).collect();
        let stats = view::stats_of(conn, &ids, now)?;
        let mut page = Page::from_rows(
            rows,
            limit,
            |r| Cursor {
                at: r.created_at,
                id: r.id,
            },
            |r| {
                let s = stats.get(&r.id).cloned().unwrap_or_else(view::zero_stats);
                view::view(&r, s, pii, who)
            },
        );
        if let (Query::Name { offset, .. }, Some(_)) = (&query, &page.next_cursor) {
            page.next_cursor = Some(offset_cursor(offset + limit));
        }
        let data = page.data.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            data,
            next_cursor: page.next_cursor,
        })
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

fn filter_of(p: &SearchParams, caller: &Principal) -> Filter {
    Filter {
        kind: p.kind.clone(),
        value_tier: p.value_tier.clone(),
        lifecycle_stage: p.lifecycle_stage.clone(),
        owner_id: p.owner_id,
        industry: p.industry.clone(),
        city_tier: p.city_tier.clone(),
        tag: p.tag.clone(),
        // Merchants see only their own account.
        merchant_id: match caller.role {
            Role::Merchant => Some(caller.merchant_id.unwrap_or_else(Uuid::nil)),
            _ => None,
        },
    }
}
