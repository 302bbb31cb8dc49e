//! The 9 tracking statuses and their substatuses (SPEC §5), aligned with AfterShip so merchants
//! map them 1:1.

use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};
use utoipa::ToSchema;

/// Stored and sent in snake case: `serde` for JSON, `strum` for columns and event fields.
macro_rules! wire_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($variant:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema,
            EnumString, IntoStaticStr, VariantArray,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            /// The wire value (`in_transit`).
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// The variant of a wire value; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                s.parse().ok()
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum! {
// NOTE: external contract — merchants and webhooks depend on these exact values.
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

wire_enum! {
// NOTE: external contract.
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
