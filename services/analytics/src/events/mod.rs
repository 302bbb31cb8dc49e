//! What analytics consumes into its rollups, one function per event type. Handlers run in the
//! transaction that records the event id in `processed_events`, so a redelivered event is
//! counted once; increments commute, so the order of arrival does not matter.

use diesel::PgConnection;
use kuaidi_shared::events::catalogue::{ComplaintReceivedV1, ShipmentCreatedV1};
use kuaidi_shared::events::{CloudEvent, EventHandler, EventPayload};

use crate::db::rollup::{self, Key};
use crate::domain::report::Counts;

pub struct Handler;

impl EventHandler for Handler {
    fn event_types(&self) -> &[&'static str] {
        &[ShipmentCreatedV1::TYPE, ComplaintReceivedV1::TYPE]
    }

    fn handle(&self, conn: &mut PgConnection, event: &CloudEvent) -> anyhow::Result<()> {
        match event.type_.as_str() {
            ShipmentCreatedV1::TYPE => {
                let (key, counts) = shipment_created(&event.decode()?);
                rollup::add(conn, &key, counts)?;
            }
            ComplaintReceivedV1::TYPE => {
                if let Some((key, counts)) = complaint_received(&event.decode()?) {
                    rollup::add(conn, &key, counts)?;
                }
            }
            other => tracing::debug!(event_type = other, "event not handled here"),
        }
        Ok(())
    }
}

/// +1 shipment on the UTC day of creation, by merchant, destination and service level.
pub fn shipment_created(s: &ShipmentCreatedV1) -> (Key, Counts) {
    let key = Key {
        day: s.created_at.date_naive(),
        merchant_id: s.merchant_id,
        city: dimension(Some(&s.destination.city)),
        province: dimension(s.destination.province.as_deref()),
        service_level: dimension(Some(&s.service_level)),
        category: String::new(),
    };
    let counts = Counts {
        shipments: 1,
        ..Counts::default()
    };
    (key, counts)
}

/// +1 complaint on the UTC day of receipt, by merchant, city and category. Other feedback
/// (suggestions, inquiries, praise) is not a complaint and counts nothing (`None`).
pub fn complaint_received(c: &ComplaintReceivedV1) -> Option<(Key, Counts)> {
    // NOTE: external contract — `complaints` counts only cases of type `complaint` (see the
    // KPI definitions, version 2026-11-25.1).
    if c.type_ != "complaint" {
        return None;
    }
    let key = Key {
        day: c.received_at.date_naive(),
        merchant_id: c.merchant_id,
        city: dimension(c.city.as_deref()),
        category: dimension(c.category.as_deref()),
        ..Key::default()
    };
    let counts = Counts {
        complaints: 1,
        ..Counts::default()
    };
    Some((key, counts))
}

/// A dimension value as stored and filtered on: trimmed, `""` when unknown, without control
/// characters (PostgreSQL refuses NUL in text, which would dead-letter the event).
fn dimension(value: Option<&str>) -> String {
    value
        .unwrap_or_default()
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, NaiveDate, Utc};
    use kuaidi_shared::events::catalogue::PlaceV1;
    use kuaidi_shared::money::Money;
    use uuid::Uuid;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").to_utc()
    }

    fn shipment(created_at: &str) -> ShipmentCreatedV1 {
        ShipmentCreatedV1 {
            shipment_id: Uuid::nil(),
            tracking_number: "KD000000000CN".into(),
            merchant_id: None,
            shipper_customer_id: None,
            service_level: "express".into(),
            origin: PlaceV1 {
                city: "上海".into(),
                province: None,
                hub_code: None,
            },
            destination: PlaceV1 {
                city: "北京".into(),
                province: Some("北京".into()),
                hub_code: None,
            },
            weight_kg: 1.0,
            freight: Money {
                amount: "10.00".into(),
                currency: "CNY".into(),
            },
            declared_value: None,
            cod_amount: None,
            promised_at: None,
            created_at: at(created_at),
            sequence: 1,
            recipient_phone_hash: None,
        }
    }

    fn complaint(type_: &str) -> ComplaintReceivedV1 {
        ComplaintReceivedV1 {
            complaint_id: Uuid::nil(),
            number: "C2026112500001".into(),
            type_: type_.into(),
            channel: "phone".into(),
            category: Some("delay".into()),
            priority: "normal".into(),
            customer_id: None,
            merchant_id: None,
            tracking_number: None,
            city: Some("北京".into()),
            received_at: at("2026-11-25T01:00:00Z"),
        }
    }

    #[test]
    fn a_shipment_counts_on_its_utc_day_at_its_destination() {
        // 07:30 in Shanghai on the 26th is still the 25th in UTC.
        let (key, counts) = shipment_created(&shipment("2026-11-26T07:30:00+08:00"));
        assert_eq!(
            key.day,
            NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
        );
        assert_eq!((key.city.as_str(), key.province.as_str()), ("北京", "北京"));
        assert_eq!(key.service_level, "express");
        assert_eq!(key.category, "", "shipments have no category");
        assert_eq!(
            counts,
            Counts {
                shipments: 1,
                complaints: 0
            }
        );
    }

    #[test]
    fn a_complaint_counts_by_city_and_category_without_province_or_service_level() {
        let (key, counts) = complaint_received(&complaint("complaint")).expect("a complaint");
        assert_eq!(
            (key.city.as_str(), key.category.as_str()),
            ("北京", "delay")
        );
        assert_eq!(
            (key.province.as_str(), key.service_level.as_str()),
            ("", "")
        );
        assert_eq!(
            counts,
            Counts {
                shipments: 0,
                complaints: 1
            }
        );
    }

    #[test]
    fn dimensions_are_trimmed_and_stripped_of_control_characters() {
        let mut s = shipment("2026-11-25T01:00:00Z");
        s.destination.city = " 北\u{0}京 ".into();
        s.destination.province = None;
        let (key, _) = shipment_created(&s);
        assert_eq!((key.city.as_str(), key.province.as_str()), ("北京", ""));
    }

    #[test]
    fn praise_inquiries_and_suggestions_are_not_complaints() {
        for other in ["praise", "inquiry", "suggestion"] {
            assert!(complaint_received(&complaint(other)).is_none(), "{other}");
        }
    }
}
