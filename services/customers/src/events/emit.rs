//! One constructor per event type the service emits, but for the classification run's, which
//! it writes set-based ([`super::classified`]) — a shipment's stage move is built here. An [`Emitter`] stamps envelopes at one time, in
//! one request's trace.

use chrono::{DateTime, Utc};
use kuaidi_shared::events::catalogue::{
    CustomerCreatedV1, CustomerErasedV1, CustomerMergeUndoneV1, CustomerMergedV1,
    CustomerOwnerChangedV1, CustomerStageChangedV1, CustomerTierChangedV1, CustomerUpdatedV1,
};
use kuaidi_shared::events::{CloudEvent, EventPayload};
use kuaidi_shared::money::Money;
use kuaidi_shared::request::RequestContext;
use uuid::Uuid;

use crate::db::activity::StageMove;
use crate::db::customers::CustomerRow;

/// Builds this service's events at `now`, in the trace of `ctx`.
#[derive(Clone, Copy)]
pub struct Emitter<'a> {
    pub ctx: &'a RequestContext,
    pub now: DateTime<Utc>,
}

/// An owner change: from whom, to whom, and the handover it was part of.
#[derive(Debug, Clone, Copy)]
pub struct OwnerChange {
    pub from: Option<Uuid>,
    pub to: Option<Uuid>,
    pub handover: Option<Uuid>,
}

impl Emitter<'_> {
    fn envelope<P: EventPayload>(&self, customer: Uuid, payload: &P) -> CloudEvent {
        CloudEvent::about(crate::SERVICE, customer, payload, self.ctx, self.now)
    }

    /// `customer.created` for a file just written, with the blind indexes of its phones and its
    /// preferred contact channel.
    pub fn created(&self, row: &CustomerRow, phone_hashes: Vec<String>) -> CloudEvent {
        self.envelope(
            row.id,
            &CustomerCreatedV1 {
                customer_id: row.id,
                kind: row.kind.clone(),
                merchant_id: row.merchant_id,
                owner_id: row.owner_id,
                city: row.region_city.clone(),
                province: row.region_province.clone(),
                value_tier: row.value_tier.clone(),
                lifecycle_stage: row.lifecycle_stage.clone(),
                created_at: row.created_at,
                phone_hashes,
                contact_channel: contact_channel(row),
            },
        )
    }

    /// `customer.updated`: the names of the `changed` fields of `row`'s version, and the blind
    /// indexes of its phones and its preferred contact channel as of that version.
    pub fn updated(
        &self,
        row: &CustomerRow,
        changed: Vec<String>,
        phone_hashes: Vec<String>,
    ) -> CloudEvent {
        self.envelope(
            row.id,
            &CustomerUpdatedV1 {
                customer_id: row.id,
                changed,
                version: i64::from(row.version),
                updated_at: self.now,
                phone_hashes: Some(phone_hashes),
                contact_channel: contact_channel(row),
            },
        )
    }

    /// `customer.tier_changed` for a tier set by hand (the classification run writes its own
    /// set-based): `row` as saved, the tier it had, and the spend it had then.
    pub fn tier_changed(&self, row: &CustomerRow, from: &str, spend_12m: Money) -> CloudEvent {
        self.envelope(
            row.id,
            &CustomerTierChangedV1 {
                customer_id: row.id,
                merchant_id: row.merchant_id,
                owner_id: row.owner_id,
                from: Some(from.to_owned()),
                to: row.value_tier.clone(),
                spend_12m,
                changed_at: self.now,
            },
        )
    }

    /// `customer.owner_changed`.
    pub fn owner_changed(&self, customer: Uuid, change: OwnerChange) -> CloudEvent {
        self.envelope(
            customer,
            &CustomerOwnerChangedV1 {
                customer_id: customer,
                from_owner_id: change.from,
                to_owner_id: change.to,
                handover_id: change.handover,
                changed_at: self.now,
            },
        )
    }

    /// `customer.stage_changed` for a stage a shipment moved (the classification run writes its
    /// own set-based, [`super::classified`]).
    pub fn stage_changed(&self, moved: &StageMove) -> CloudEvent {
        self.envelope(
            moved.id,
            &CustomerStageChangedV1 {
                customer_id: moved.id,
                merchant_id: moved.merchant_id,
                owner_id: moved.owner_id,
                from: Some(moved.from.clone()),
                to: moved.to.clone(),
                changed_at: self.now,
            },
        )
    }

    /// `customer.merged`, about the survivor.
    pub fn merged(&self, merge_id: Uuid, survivor: Uuid, duplicate: Uuid) -> CloudEvent {
        self.envelope(
            survivor,
            &CustomerMergedV1 {
                merge_id,
                survivor_id: survivor,
                duplicate_id: duplicate,
                merged_at: self.now,
            },
        )
    }

    /// `customer.merge_undone`, about the survivor: the other services move back what the merge
    /// re-pointed from the duplicate.
    pub fn merge_undone(&self, merge_id: Uuid, survivor: Uuid, duplicate: Uuid) -> CloudEvent {
        self.envelope(
            survivor,
            &CustomerMergeUndoneV1 {
                merge_id,
                survivor_id: survivor,
                duplicate_id: duplicate,
                undone_at: self.now,
            },
        )
    }

    /// `customer.erased`, with the blind indexes of the erased phones and emails.
    pub fn erased(
        &self,
        customer: Uuid,
        phone_hashes: Vec<String>,
        email_hashes: Vec<String>,
    ) -> CloudEvent {
        self.envelope(
            customer,
            &CustomerErasedV1 {
                customer_id: customer,
                phone_hashes,
                email_hashes,
                erased_at: self.now,
            },
        )
    }
}

/// The preferred contact channel of `row` as stored (`preferences.contact_channel`, validated on
/// the way in), so every `customer.*` event built from a row tells the current one: none once
/// the preferences were erased.
fn contact_channel(row: &CustomerRow) -> Option<String> {
    row.preferences
        .get("contact_channel")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
}
