//! Cursor pagination (SPEC §2): `?limit=50&cursor=...` (limit at most 200) answered with
//! `{ "data": [...], "next_cursor": "..." | null }`. The cursor is an opaque base64url token of
//! the last row's sort key, so pages stay stable while rows are inserted.

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::problem::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// Query parameters of every list endpoint.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// The position after which the next page starts: `(created_at, id)` of the last row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(s: &str) -> Result<Self, ApiError> {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| ApiError::validation("cursor", "not a cursor returned by this API"))
    }
}

impl PageParams {
    /// The validated limit and decoded cursor.
    pub fn parse(&self) -> Result<(i64, Option<Cursor>), ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::validation("limit", "must be between 1 and 200"));
        }
        let cursor = self.cursor.as_deref().map(Cursor::decode).transpose()?;
        Ok((limit, cursor))
    }
}

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only says another page exists.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: i64,
        key: impl Fn(&R) -> Cursor,
        map: impl Fn(R) -> T,
    ) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| key(r).encode())
        } else {
            None
        };
        Self {
            data: rows.into_iter().map(map).collect(),
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_garbage_is_a_validation_error() {
        let c = Cursor {
            at: crate::clock::Clock::system().now(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&c.encode()).expect("decodes"), c);
        assert!(matches!(Cursor::decode("!!"), Err(ApiError::Validation(_))));
    }

    #[test]
    fn limit_outside_1_to_200_is_refused() {
        for bad in [0, 201, -1] {
            let p = PageParams {
                limit: Some(bad),
                cursor: None,
            };
            assert!(p.parse().is_err(), "limit {bad} must be refused");
        }
        assert_eq!(PageParams::default().parse().expect("default").0, 50);
    }

    #[test]
    fn extra_row_yields_a_next_cursor() {
        let id = Uuid::now_v7();
        let at = crate::clock::Clock::system().now();
        let rows = vec![(at, id), (at, Uuid::now_v7())];
        let page = Page::from_rows(rows, 1, |r| Cursor { at: r.0, id: r.1 }, |r| r.1);
        assert_eq!(page.data, vec![id]);
        assert_eq!(
            Cursor::decode(&page.next_cursor.expect("more"))
                .expect("ok")
                .id,
            id
        );
    }
}
