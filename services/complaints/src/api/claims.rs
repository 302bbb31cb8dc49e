//! Claim bodies.

use chrono::{DateTime, Utc};
use kuaidi_shared::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::claims::ClaimFilters;

/// Body of `POST /api/v1/claims`. One open claim per parcel and kind: while a claim of this
/// kind on the parcel is `filed`, `assessing` or `approved`, another is a `409
/// duplicate_claim` naming it (`claim_id`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"complaint_id": "01936f9e-7c1a-7d30-9a0e-5b6c7d8e9f00",
    "tracking_number": "KD473124829CN", "kind": "lost",
    "amount_claimed": {"amount": "200.00", "currency": "CNY"}}))]
pub struct CreateClaim {
    pub complaint_id: Option<Uuid>,
    pub tracking_number: String,
    /// `lost` | `damaged` | `late`.
    pub kind: String,
    pub amount_claimed: Money,
}

/// A compensation claim.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Claim {
    pub id: Uuid,
    pub complaint_id: Option<Uuid>,
    pub tracking_number: String,
    pub kind: String,
    /// `filed` → `assessing` → `approved` | `rejected`; `approved` → `paid`.
    pub status: String,
    pub amount_claimed: Money,
    /// What the rules allow for this claim, never more than claimed. The rule: insured →
    /// declared value; uninsured loss or damage → 3 × freight by default; late → the freight on
    /// a time-definite service (`express`, `same_day`, `scheduled`). 0 when the parcel's state
    /// gives the claim no ground: `late` on another service, on a parcel delivered by its
    /// promise, or on one whose promise is not past yet; `lost` on a parcel reported delivered
    /// (whatever its delivery substatus). A late claim on a parcel whose promise is not known
    /// keeps the freight: the assessor decides.
    /// The rule's amount is the parcel's cap, shared by all its claims: loss and damage draw on
    /// one (the goods), lateness on another (the freight), and a claim is payable only what the
    /// other claims on the parcel leave of its cap — an open claim (`filed`, `assessing`) holds
    /// its payable amount, an approved or paid one its approved amount, a rejected one nothing.
    /// Computed at filing and again at `assess`, as of that moment.
    pub amount_payable: Money,
    pub amount_approved: Option<Money>,
    pub customer_id: Option<Uuid>,
    pub merchant_id: Option<Uuid>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// The payment reference.
    pub reference: Option<String>,
    /// Unsettled 30 days (*default*) after filing: escalated automatically.
    pub escalated: bool,
    pub escalated_at: Option<DateTime<Utc>>,
    /// Unsettled and older than the ageing period (*default* 30 days).
    pub overdue: bool,
    pub filed_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Filters of `GET /api/v1/claims`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimQuery {
    /// `true`: the ageing report (unsettled after 30 days, *default*).
    pub overdue: Option<bool>,
    pub status: Option<String>,
    pub kind: Option<String>,
    pub complaint_id: Option<Uuid>,
    pub tracking_number: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// A page of claims, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClaimPage {
    pub data: Vec<Claim>,
    pub next_cursor: Option<String>,
}

/// Body of `POST /api/v1/claims/{id}/actions/{action}`: `assess` {} (`filed` → `assessing`;
/// computes `amount_payable` again); `approve` {amount?} (money `{amount, currency}` in the
/// claim's currency — a bare string or a number is 422; at most `amount_payable` and what the
/// approved and paid claims on the parcel leave of its cap; default the payable amount) and
/// `reject` {reason} (`assessing` → `approved` | `rejected`); `pay` {reference} (`approved` →
/// `paid`; `409 over_cap` when it would take what the parcel's claims were paid above its cap,
/// which only claims approved before caps were kept per parcel can meet).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"amount": {"amount": "45.00", "currency": "CNY"}}))]
pub struct ClaimActionBody(pub serde_json::Map<String, serde_json::Value>);

impl ClaimQuery {
    /// Validated filters of `GET /claims` with the caller's tenant rule; `overdue_before` is
    /// the filing time before which an unsettled claim is overdue.
    pub fn filters(
        self,
        caller: &kuaidi_shared::auth::Principal,
        overdue_before: DateTime<Utc>,
    ) -> Result<ClaimFilters, kuaidi_shared::ApiError> {
        let q = self;
        use crate::domain::fields::{query_enum, storable};
        use crate::domain::vocab::{ClaimKind, ClaimStatus};
        use kuaidi_shared::auth::Role;
        let mut errors = Vec::new();
        query_enum::<ClaimStatus>(
            &mut errors,
            "status",
            q.status.as_deref(),
            &ClaimStatus::listed(),
        );
        query_enum::<ClaimKind>(&mut errors, "kind", q.kind.as_deref(), &ClaimKind::listed());
        if q.tracking_number.as_deref().is_some_and(|t| !storable(t)) {
            errors.push(kuaidi_shared::FieldError::new(
                "tracking_number",
                "must not contain NUL characters",
            ));
        }
        if !errors.is_empty() {
            return Err(kuaidi_shared::ApiError::Validation(errors));
        }
        caller.require(&[
            Role::Admin,
            Role::Manager,
            Role::Supervisor,
            Role::Agent,
            Role::Analyst,
            Role::Merchant,
        ])?;
        Ok(ClaimFilters {
            status: q.status,
            kind: q.kind,
            complaint_id: q.complaint_id,
            tracking_number: q.tracking_number.map(|t| t.to_ascii_uppercase()),
            filed_before_unsettled: q.overdue.unwrap_or(false).then_some(overdue_before),
            tenant: (caller.role == Role::Merchant)
                .then(|| caller.merchant_id.unwrap_or_else(Uuid::nil)),
        })
    }
}
