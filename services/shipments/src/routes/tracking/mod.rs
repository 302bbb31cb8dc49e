//! `/api/v1/tracking...`: lookups by tracking number for merchants and the public.

pub mod batch_get;
pub mod public;
