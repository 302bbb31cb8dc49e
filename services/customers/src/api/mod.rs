//! Request and response types of the customers API (serde + utoipa).

pub mod care;
pub mod customers;
pub mod follow_ups;
pub mod interactions;
pub mod problems;
pub mod search;

use base64::Engine;
use kuaidi_shared::ApiError;

const OFFSET_PREFIX: &str = "o:";

/// An opaque cursor for lists paged by position (ranked search, duplicate pairs).
pub fn offset_cursor(offset: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{OFFSET_PREFIX}{offset}"))
}

/// The position in a cursor made by [`offset_cursor`] (0 without one).
pub fn parse_offset(cursor: Option<&str>) -> Result<i64, ApiError> {
    let Some(c) = cursor else { return Ok(0) };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(OFFSET_PREFIX).and_then(|n| n.parse().ok()))
        .filter(|n: &i64| *n >= 0)
        .ok_or_else(|| ApiError::validation("cursor", "not a cursor returned by this API"))
}
