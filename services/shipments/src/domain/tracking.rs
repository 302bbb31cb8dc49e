//! Tracking-event rules (SPEC §5), free of I/O: what a valid scan is, and how accepted scans
//! move a shipment — idempotent by `event_id`, tolerant of out-of-order arrival, `delivered`
//! terminal except for a later return to sender, `expired` left to the sweep.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ShipmentStatus, Substatus};

/// Where a scan happened; every part is optional (a hub scan may carry only its code).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"hub_code": "PEK02", "city": "北京", "province": "北京"}))]
pub struct EventLocation {
    #[serde(default)]
    pub hub_code: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
}

/// How far in the future a scan's `occurred_at` may be (scanner clocks drift).
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);

/// The earliest time a scan or a promise may name: 2000-01-01T00:00:00Z. An older time comes
/// from a scanner whose clock was reset (to 1970, to year 0), not from a parcel in transit, and
/// a shipment's first scan dated so would make it look idle for decades, for the expiry sweep
/// to expire. Not tied to the shipment's `created_at`: imports bring a parcel's past scans
/// after the fact, as they bring past `promised_at`s.
pub fn earliest_time() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(946_684_800, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
/// Most events in one batch request.
pub const MAX_BATCH: usize = 1000;
/// When the sweep expires a shipment (`[tracking]`, `KUAIDI_SHIPMENTS__TRACKING__...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ExpiryRules {
    /// A live shipment without any event for this many days is `expired` (default 30).
    pub expire_after_days: u32,
}

impl ExpiryRules {
    /// The SPEC's default, as in `config/default.toml`.
    pub const DEFAULT: Self = Self {
        expire_after_days: 30,
    };

    /// How long a live shipment may go without an event.
    pub fn expire_after(&self) -> Duration {
        Duration::days(i64::from(self.expire_after_days))
    }
}

/// A validated tracking event.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackingEvent {
    pub event_id: String,
    pub status: ShipmentStatus,
    pub substatus: Option<Substatus>,
    pub occurred_at: DateTime<Utc>,
    pub location: Option<EventLocation>,
    pub description: Option<String>,
    pub courier_id: Option<String>,
    /// Who signed for the parcel (`delivered` events only).
    pub signed_by: Option<String>,
}

/// Whether `sub` may accompany `status`: exception substatuses with `exception`, delivery
/// substatuses with `delivered`, none with anything else.
pub fn substatus_fits(status: ShipmentStatus, sub: Substatus) -> bool {
    use Substatus::*;
    match status {
        ShipmentStatus::Exception => matches!(
            sub,
            Delayed
                | Lost
                | Damaged
                | Refused
                | ReturnedToSender
                | CustomsHold
                | AddressIssue
                | Missorted
        ),
        ShipmentStatus::Delivered => {
            matches!(sub, Signed | PickedUpByCustomer | LeftAtDoor | CodCollected)
        }
        _ => false,
    }
}

/// The tracking state of one shipment, as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackState {
    pub status: ShipmentStatus,
    pub substatus: Option<Substatus>,
    /// `occurred_at` of the latest accepted event.
    pub last_event_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Who signed for it, from the event that delivered it or the latest delivery scan that
    /// names a signer; like `delivered_at`, gone when a later return to sender moves it out of
    /// `delivered`.
    pub signed_by: Option<String>,
    pub last_sequence: i64,
    /// `occurred_at` of the earliest accepted `in_transit` scan, whatever its arrival order:
    /// `shipment.delivered` carries it, as a late, older scan moves no status to tell it.
    pub first_in_transit_at: Option<DateTime<Utc>>,
}

/// A change of status (or of substatus within a status — but `delivered`'s, which tells how a
/// parcel delivered once was delivered, not a new delivery).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: ShipmentStatus,
    pub to: ShipmentStatus,
    pub substatus: Option<Substatus>,
}

/// What applying one accepted event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The event's per-shipment sequence.
    pub sequence: i64,
    /// `None` when the event only joined the timeline (late, same status, or after delivery —
    /// a newer delivery scan still sets the substatus and signer, see [`TrackState::apply`]).
    pub transition: Option<Transition>,
}

impl TrackState {
    /// Applies a new (not duplicate) event: it always gets the next sequence (and an
    /// `in_transit` scan counts for `first_in_transit_at`); it moves the status only when it is
    /// the latest by `occurred_at` and the shipment is not delivered — unless it is a later
    /// return to sender. The latest scan of a delivered shipment that is a delivery too sets
    /// its substatus (and its signer, when it names one) without moving it.
    pub fn apply(&mut self, ev: &TrackingEvent) -> Applied {
        self.last_sequence += 1;
        let sequence = self.last_sequence;
        if ev.status == ShipmentStatus::InTransit {
            self.first_in_transit_at = Some(
                self.first_in_transit_at
                    .map_or(ev.occurred_at, |t| t.min(ev.occurred_at)),
            );
        }
        let latest = self.last_event_at.is_none_or(|t| ev.occurred_at >= t);
        if latest {
            self.last_event_at = Some(ev.occurred_at);
        }
        let moves = match self.status {
            // SPEC §5: terminal "except for a later exception (returned_to_sender) with a newer
            // time" — newer than the delivery, whatever scans were ignored after it.
            ShipmentStatus::Delivered => {
                ev.status == ShipmentStatus::Exception
                    && ev.substatus == Some(Substatus::ReturnedToSender)
                    && self.delivered_at.is_none_or(|d| ev.occurred_at > d)
            }
            _ => latest && ev.status != ShipmentStatus::Expired,
        };
        if latest && [self.status, ev.status] == [ShipmentStatus::Delivered; 2] {
            self.refine_delivery(ev);
        }
        if !moves || (self.status, self.substatus) == (ev.status, ev.substatus) {
            return Applied {
                sequence,
                transition: None,
            };
        }
        let from = self.status;
        self.status = ev.status;
        self.substatus = ev.substatus;
        self.delivered_at = (ev.status == ShipmentStatus::Delivered).then_some(ev.occurred_at);
        self.signed_by = if ev.status == ShipmentStatus::Delivered {
            ev.signed_by.clone()
        } else {
            None
        };
        Applied {
            sequence,
            transition: Some(Transition {
                from,
                to: ev.status,
                substatus: ev.substatus,
            }),
        }
    }

    /// The latest scan of a delivered parcel, a delivery too, tells how it was delivered (cash
    /// collected after signing, ...): the substatus follows it, and the signer when it names
    /// one. It moves nothing — the parcel was delivered once: `delivered_at` stays the first
    /// delivery's time and no second delivery is told.
    fn refine_delivery(&mut self, ev: &TrackingEvent) {
        self.substatus = ev.substatus;
        if ev.signed_by.is_some() {
            self.signed_by = ev.signed_by.clone();
        }
    }
}

/// The notification template a move into `status` triggers, if any (SPEC §5 "Proactive
/// notifications").
pub fn notification_template(status: ShipmentStatus) -> Option<&'static str> {
    use super::notification::template;
    match status {
        ShipmentStatus::OutForDelivery => Some(template::OUT_FOR_DELIVERY),
        ShipmentStatus::AttemptFail => Some(template::ATTEMPT_FAIL),
        ShipmentStatus::Delivered => Some(template::DELIVERED),
        ShipmentStatus::Exception => Some(template::EXCEPTION),
        _ => None,
    }
}

/// Whether a live shipment whose last activity was at `last_activity` — the later of its
/// creation here and its latest scan — is expired at `now` under `rules`.
pub fn is_expired(
    status: ShipmentStatus,
    last_activity: DateTime<Utc>,
    now: DateTime<Utc>,
    rules: &ExpiryRules,
) -> bool {
    !matches!(status, ShipmentStatus::Delivered | ShipmentStatus::Expired)
        && last_activity < now - rules.expire_after()
}

#[cfg(test)]
#[path = "tracking_tests.rs"]
mod tests;
