//! A shipment's facts as analytics keeps them, and which of them still have to be counted.
//! Facts may arrive before `shipment.created` (queues reorder); they wait until the creation
//! gives their dimensions, and each is counted exactly once (an exception once per kind; the
//! transit time once both the first in-transit scan and the delivery are known).

use chrono::{DateTime, Utc};

use super::facts::{delivery, transit, Counters, Dims, Fact};

/// The projection row of one shipment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShipmentState {
    pub created_at: Option<DateTime<Utc>>,
    pub dims: Dims,
    pub in_transit_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub on_time: Option<bool>,
    pub damaged_at: Option<DateTime<Utc>>,
    pub lost_at: Option<DateTime<Utc>>,
    pub exception_at: Option<DateTime<Utc>>,
    /// Names of the facts already counted.
    pub counted: Vec<String>,
}

/// Exception substatuses counted as their own KPI.
pub const DAMAGED: &str = "damaged";
pub const LOST: &str = "lost";

/// A fact's name and, when known, its time and increment.
type Candidate = (&'static str, Option<(DateTime<Utc>, Counters)>);

/// The increments not counted yet and the names to mark as counted; nothing before the
/// shipment's creation is known.
pub fn uncounted(s: &ShipmentState) -> (Vec<Fact>, Vec<&'static str>) {
    let Some(created_at) = s.created_at else {
        return (Vec::new(), Vec::new());
    };
    let one = |f: fn(&mut Counters)| {
        let mut c = Counters::default();
        f(&mut c);
        c
    };
    let delivered = s
        .delivered_at
        .map(|at| (at, delivery(s.on_time.unwrap_or(false))));
    // Counted at the delivery, once the first in-transit scan is known too, in either order.
    let transit = s
        .delivered_at
        .zip(s.in_transit_at)
        .and_then(|(at, from)| Some((at, transit(at, from)?)));
    let candidates: [Candidate; 6] = [
        (
            "created",
            Some((created_at, one(|c: &mut Counters| c.shipments = 1))),
        ),
        ("delivered", delivered),
        ("transit", transit),
        (
            "damaged",
            s.damaged_at
                .map(|at| (at, one(|c: &mut Counters| c.damaged = 1))),
        ),
        (
            "lost",
            s.lost_at.map(|at| (at, one(|c: &mut Counters| c.lost = 1))),
        ),
        (
            "exception",
            s.exception_at
                .map(|at| (at, one(|c: &mut Counters| c.excepted = 1))),
        ),
    ];
    candidates
        .into_iter()
        .filter(|(name, _)| !s.counted.iter().any(|c| c == name))
        .filter_map(|(name, fact)| {
            fact.map(|(at, counters)| (Fact::new(at, s.dims.clone(), counters), name))
        })
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").to_utc()
    }

    #[test]
    fn nothing_is_counted_before_the_creation_is_known() {
        let s = ShipmentState {
            delivered_at: Some(at("2026-11-25T10:00:00Z")),
            ..ShipmentState::default()
        };
        assert_eq!(uncounted(&s), (vec![], vec![]));
    }

    #[test]
    fn a_late_creation_counts_every_waiting_fact_once() {
        let mut s = ShipmentState {
            created_at: Some(at("2026-11-24T10:00:00Z")),
            delivered_at: Some(at("2026-11-25T10:00:00Z")),
            on_time: Some(true),
            damaged_at: Some(at("2026-11-25T09:00:00Z")),
            exception_at: Some(at("2026-11-25T09:00:00Z")),
            ..ShipmentState::default()
        };
        let (facts, names) = uncounted(&s);
        assert_eq!(names, vec!["created", "delivered", "damaged", "exception"]);
        assert_eq!(facts[1].counters.delivered_on_time, 1);
        assert_eq!(facts[1].bucket, at("2026-11-25T10:00:00Z"));
        s.counted = names.iter().map(|n| n.to_string()).collect();
        assert_eq!(uncounted(&s), (vec![], vec![]), "counted once");
    }

    #[test]
    fn an_in_transit_scan_arriving_after_the_delivery_adds_its_transit_time_once() {
        let mut s = ShipmentState {
            created_at: Some(at("2026-11-24T10:00:00Z")),
            delivered_at: Some(at("2026-11-25T10:00:00Z")),
            on_time: Some(true),
            ..ShipmentState::default()
        };
        let (facts, names) = uncounted(&s);
        assert_eq!(names, vec!["created", "delivered"]);
        assert_eq!(facts[1].counters.transit_count, 0, "transit not known yet");
        s.counted = names.iter().map(|n| n.to_string()).collect();
        s.in_transit_at = Some(at("2026-11-24T22:00:00Z"));
        let (facts, names) = uncounted(&s);
        assert_eq!(names, vec!["transit"]);
        assert_eq!(
            facts[0].bucket,
            at("2026-11-25T10:00:00Z"),
            "at the delivery"
        );
        assert_eq!(
            (
                facts[0].counters.transit_count,
                facts[0].counters.transit_seconds
            ),
            (1, 12 * 3600)
        );
        assert_eq!(facts[0].counters.delivered, 0, "the delivery counted once");
        s.counted.push("transit".into());
        assert_eq!(uncounted(&s), (vec![], vec![]), "counted once");
    }

    #[test]
    fn a_delivery_after_the_in_transit_scan_counts_the_delivery_and_its_transit_together() {
        let s = ShipmentState {
            created_at: Some(at("2026-11-24T10:00:00Z")),
            in_transit_at: Some(at("2026-11-24T12:00:00Z")),
            delivered_at: Some(at("2026-11-25T12:00:00Z")),
            ..ShipmentState::default()
        };
        let (facts, names) = uncounted(&s);
        assert_eq!(names, vec!["created", "delivered", "transit"]);
        assert_eq!(facts[2].counters.transit_seconds, 86_400);
        let in_transit_only = ShipmentState {
            delivered_at: None,
            ..s
        };
        assert_eq!(uncounted(&in_transit_only).1, vec!["created"]);
    }
}
