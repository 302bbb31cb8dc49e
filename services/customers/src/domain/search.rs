//! What a search of the customer file narrows by: its filters, what `q` asks for, and the
//! opaque cursor of lists paged by position.

use base64::Engine;
use kuaidi_shared::ApiError;
use uuid::Uuid;

/// Validated filters of `GET /customers`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<String>,
    pub value_tier: Option<String>,
    pub lifecycle_stage: Option<String>,
    pub owner_id: Option<Uuid>,
    pub industry: Option<String>,
    pub city_tier: Option<String>,
    pub tag: Option<String>,
    /// Merchants see only their own account.
    pub merchant_id: Option<Uuid>,
}

/// What `q` asks for: `Ok((kind, blind index))` of an exact phone, email or credit code,
/// `Err(text)` of a name or legal name.
pub type Identity = Result<(&'static str, String), String>;

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
