//! The 9 tracking statuses and their substatuses (SPEC §5), aligned with AfterShip so merchants
//! map them 1:1.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

// Stored and sent in snake case: `serde` for JSON, `strum` for columns and event fields.
kuaidi_shared::vocabulary! {
// NOTE: external contract — merchants and webhooks depend on these exact values.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentStatus {
    Pending,
    InfoReceived,
    InTransit,
    OutForDelivery,
    AttemptFail,
    AvailableForPickup,
    Delivered,
    Exception,
    Expired,
}
}

kuaidi_shared::vocabulary! {
// NOTE: external contract.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Substatus {
    Delayed,
    Lost,
    Damaged,
    Refused,
    ReturnedToSender,
    CustomsHold,
    AddressIssue,
    Missorted,
    Signed,
    PickedUpByCustomer,
    LeftAtDoor,
    CodCollected,
}
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn wire_values_round_trip_and_match_the_json_ones() {
        for s in ShipmentStatus::VARIANTS {
            assert_eq!(ShipmentStatus::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).ok(), Some(s.as_str().into()));
        }
        for s in Substatus::VARIANTS {
            assert_eq!(Substatus::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).ok(), Some(s.as_str().into()));
        }
        assert_eq!(ShipmentStatus::InTransit.as_str(), "in_transit");
        assert_eq!(Substatus::ReturnedToSender.as_str(), "returned_to_sender");
        assert_eq!(ShipmentStatus::parse("lost"), None);
    }
}
