//! The query of `GET /api/v1/customers`, validated, and what its `q` means.

use kuaidi_shared::crypto::{normalise_email, normalise_phone, PiiCipher};
use kuaidi_shared::pagination::PageParams;
use kuaidi_shared::ApiError;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::domain::enums::{parse_opt, CityTier, Kind, Stage, ValueTier};
use crate::domain::new_customer::credit_code;
use crate::domain::search::{Filter, Identity};

/// Query of `GET /api/v1/customers`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// An exact phone, email or unified social credit code (matched through the blind index),
    /// otherwise part of a name or of a business's `company.legal_name` (case- and
    /// accent-insensitive, similar spellings too; best matches first: exact, then prefix, then
    /// most similar).
    pub q: Option<String>,
    /// `individual` | `business`.
    #[param(value_type = Option<Kind>, inline)]
    pub kind: Option<String>,
    /// `key` | `ordinary` | `small`.
    #[param(value_type = Option<ValueTier>, inline)]
    pub value_tier: Option<String>,
    /// `prospect` | `new` | `active` | `loyal` | `at_risk` | `churned`.
    #[param(value_type = Option<Stage>, inline)]
    pub lifecycle_stage: Option<String>,
    pub owner_id: Option<Uuid>,
    pub industry: Option<String>,
    /// `tier1` | `tier2` | `tier3` | `rural`.
    #[param(value_type = Option<CityTier>, inline)]
    pub city_tier: Option<String>,
    pub tag: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// Only digits and phone punctuation: `+86 138-1234-5678`, `(010) 1234 5678`.
fn looks_like_phone(q: &str) -> bool {
    q.chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

impl SearchParams {
    /// Every invalid filter at once; answers the page size.
    pub fn validate(&self) -> Result<i64, ApiError> {
        let mut errors = Vec::new();
        parse_opt::<Kind>(&mut errors, "kind", self.kind.as_deref());
        parse_opt::<ValueTier>(&mut errors, "value_tier", self.value_tier.as_deref());
        parse_opt::<Stage>(
            &mut errors,
            "lifecycle_stage",
            self.lifecycle_stage.as_deref(),
        );
        parse_opt::<CityTier>(&mut errors, "city_tier", self.city_tier.as_deref());
        let page = PageParams {
            limit: self.limit,
            cursor: None,
        };
        let limit = match page.parse() {
            Ok((limit, _)) => limit,
            Err(ApiError::Validation(mut e)) => {
                errors.append(&mut e);
                0
            }
            Err(e) => return Err(e),
        };
        if errors.is_empty() {
            Ok(limit)
        } else {
            Err(ApiError::Validation(errors))
        }
    }

    /// The filters asked for (scoped to the caller by the search).
    pub fn filter(&self) -> Filter {
        Filter {
            kind: self.kind.clone(),
            value_tier: self.value_tier.clone(),
            lifecycle_stage: self.lifecycle_stage.clone(),
            owner_id: self.owner_id,
            industry: self.industry.clone(),
            city_tier: self.city_tier.clone(),
            tag: self.tag.clone(),
            merchant_id: None,
        }
    }

    /// What `q` asks for, `None` without one.
    pub fn identity(&self, pii: &PiiCipher) -> Option<Identity> {
        let q = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty())?;
        let code = credit_code(q).map(|v| ("credit_code", v));
        let found = code
            .or_else(|| normalise_email(q).map(|v| ("email", v)))
            .or_else(|| {
                looks_like_phone(q)
                    .then(|| normalise_phone(q))
                    .flatten()
                    .map(|v| ("phone", v))
            });
        Some(
            found
                .map(|(kind, v)| (kind, pii.blind_index(&v)))
                .ok_or_else(|| q.to_owned()),
        )
    }
}
