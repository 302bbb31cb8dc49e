//! A shipment's facts as analytics keeps them, and what the rollups still need of them.
//! Facts may arrive before `shipment.created` (queues reorder); they wait until the creation
//! gives their dimensions. Each fact counts once (an exception once per kind; the transit time
//! once both the first in-transit scan and the delivery are known), at its earliest known
//! time: when an earlier one becomes known — a late, older scan, the first in-transit scan a
//! delivery carries — the fact moves, taken back where it was counted and added where it
//! belongs, so the rollups hold each fact once and where it belongs whatever the order of
//! arrival.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::facts::{delivery, transit, Counters, Dims, Fact};

/// What a fact was counted as: enough to add it, or to take it back exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// The fact's time; a transit time's is its delivery's.
    pub at: DateTime<Utc>,
    /// A transit time's first in-transit scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// A delivery's on-time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_time: Option<bool>,
}

impl Stamp {
    fn at(at: DateTime<Utc>) -> Self {
        Self {
            at,
            from: None,
            on_time: None,
        }
    }
}

/// The facts of a shipment counted in the rollups, by name, as they were counted.
pub type Counted = BTreeMap<String, Stamp>;

/// The projection row of one shipment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShipmentState {
    pub created_at: Option<DateTime<Utc>>,
    pub dims: Dims,
    /// The earliest in-transit scan known.
    pub in_transit_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub on_time: Option<bool>,
    pub damaged_at: Option<DateTime<Utc>>,
    pub lost_at: Option<DateTime<Utc>>,
    pub exception_at: Option<DateTime<Utc>>,
    pub counted: Counted,
}

/// Exception substatuses counted as their own KPI.
pub const DAMAGED: &str = "damaged";
pub const LOST: &str = "lost";

/// What the facts known now are to be counted as, by name; nothing before the shipment's
/// creation is known.
fn due(s: &ShipmentState) -> BTreeMap<&'static str, Stamp> {
    let Some(created_at) = s.created_at else {
        return BTreeMap::new();
    };
    let mut due = BTreeMap::from([("created", Stamp::at(created_at))]);
    if let Some(delivered_at) = s.delivered_at {
        let on_time = Some(s.on_time.unwrap_or(false));
        due.insert(
            "delivered",
            Stamp {
                on_time,
                ..Stamp::at(delivered_at)
            },
        );
        // At the delivery, once the first in-transit scan is known too, in either order (none
        // when the scan is after the delivery).
        if let Some(from) = s.in_transit_at.filter(|from| *from <= delivered_at) {
            let from = Some(from);
            due.insert(
                "transit",
                Stamp {
                    from,
                    ..Stamp::at(delivered_at)
                },
            );
        }
    }
    let exceptions = [
        (DAMAGED, s.damaged_at),
        (LOST, s.lost_at),
        ("exception", s.exception_at),
    ];
    for (name, at) in exceptions {
        if let Some(at) = at {
            due.insert(name, Stamp::at(at));
        }
    }
    due
}

/// The increment of the fact `name` counted as `stamp`.
fn increment(name: &str, stamp: &Stamp) -> Option<Counters> {
    let mut c = Counters::default();
    match name {
        "created" => c.shipments = 1,
        "delivered" => c = delivery(stamp.on_time.unwrap_or(false)),
        "transit" => c = transit(stamp.at, stamp.from?)?,
        DAMAGED => c.damaged = 1,
        LOST => c.lost = 1,
        "exception" => c.excepted = 1,
        _ => return None,
    }
    Some(c)
}

/// What the rollups need so that they hold the shipment's facts as known now: the
/// increments — a fact not counted yet added; a fact counted as it no longer is (an earlier
/// time became known) taken back where it was counted and added as it is now — and the facts
/// then counted. `None` when nothing changes.
pub fn recount(s: &ShipmentState) -> Option<(Vec<Fact>, Counted)> {
    let due = due(s);
    if due.is_empty() {
        return None;
    }
    let fact = |stamp: &Stamp, c: Counters| Fact::new(stamp.at, s.dims.clone(), c);
    let mut facts = Vec::new();
    for (name, was) in &s.counted {
        if due.get(name.as_str()) != Some(was) {
            facts.extend(increment(name, was).map(|c| fact(was, -c)));
        }
    }
    for (name, now) in &due {
        if s.counted.get(*name) != Some(now) {
            facts.extend(increment(name, now).map(|c| fact(now, c)));
        }
    }
    let counted: Counted = due.into_iter().map(|(n, s)| (n.to_owned(), s)).collect();
    (counted != s.counted).then_some((facts, counted))
}

#[cfg(test)]
mod tests {
    use super::*;

    use kuaidi_shared::testing::time as at;

    /// `s` once its facts are counted.
    fn settled(mut s: ShipmentState) -> ShipmentState {
        if let Some((_, counted)) = recount(&s) {
            s.counted = counted;
        }
        s
    }

    fn names(s: &ShipmentState) -> Vec<&str> {
        s.counted.keys().map(String::as_str).collect()
    }

    /// The sum of `facts` in the bucket of `t`.
    fn in_bucket(facts: &[Fact], t: &str) -> Counters {
        let mut sum = Counters::default();
        for f in facts.iter().filter(|f| f.bucket == at(t)) {
            sum += f.counters;
        }
        sum
    }

    fn delivered(created: &str, delivered: &str) -> ShipmentState {
        ShipmentState {
            created_at: Some(at(created)),
            delivered_at: Some(at(delivered)),
            on_time: Some(true),
            ..ShipmentState::default()
        }
    }

    #[test]
    fn nothing_is_counted_before_the_creation_is_known() {
        let s = ShipmentState {
            delivered_at: Some(at("2026-11-25T10:00:00Z")),
            ..ShipmentState::default()
        };
        assert_eq!(recount(&s), None);
    }

    #[test]
    fn a_late_creation_counts_every_waiting_fact_once() {
        let s = ShipmentState {
            damaged_at: Some(at("2026-11-25T09:00:00Z")),
            exception_at: Some(at("2026-11-25T09:00:00Z")),
            ..delivered("2026-11-24T10:00:00Z", "2026-11-25T10:00:00Z")
        };
        let (facts, _) = recount(&s).expect("facts to count");
        assert_eq!(facts.len(), 4);
        let delivery = in_bucket(&facts, "2026-11-25T10:00:00Z");
        assert_eq!((delivery.delivered, delivery.delivered_on_time), (1, 1));
        let exceptions = in_bucket(&facts, "2026-11-25T09:00:00Z");
        assert_eq!((exceptions.damaged, exceptions.excepted), (1, 1));
        let s = settled(s);
        assert_eq!(names(&s), ["created", "damaged", "delivered", "exception"]);
        assert_eq!(recount(&s), None, "counted once");
    }

    #[test]
    fn an_in_transit_scan_arriving_after_the_delivery_adds_its_transit_time_once() {
        let mut s = settled(delivered("2026-11-24T10:00:00Z", "2026-11-25T10:00:00Z"));
        assert_eq!(names(&s), ["created", "delivered"], "transit not known yet");
        s.in_transit_at = Some(at("2026-11-24T22:00:00Z"));
        let (facts, _) = recount(&s).expect("the transit time");
        assert_eq!(facts.len(), 1);
        assert_eq!(
            facts[0].bucket,
            at("2026-11-25T10:00:00Z"),
            "at the delivery"
        );
        let c = facts[0].counters;
        assert_eq!((c.transit_count, c.transit_seconds), (1, 12 * 3600));
        assert_eq!(c.delivered, 0, "the delivery counted once");
        assert_eq!(recount(&settled(s)), None, "counted once");
    }

    #[test]
    fn a_delivery_after_the_in_transit_scan_counts_the_delivery_and_its_transit_together() {
        let s = ShipmentState {
            in_transit_at: Some(at("2026-11-24T12:00:00Z")),
            ..delivered("2026-11-24T10:00:00Z", "2026-11-25T12:00:00Z")
        };
        let (facts, _) = recount(&s).expect("facts to count");
        let c = in_bucket(&facts, "2026-11-25T12:00:00Z");
        assert_eq!(
            (c.delivered, c.transit_count, c.transit_seconds),
            (1, 1, 86_400)
        );
        let in_transit_only = ShipmentState {
            delivered_at: None,
            ..s
        };
        assert_eq!(names(&settled(in_transit_only)), ["created"]);
    }

    #[test]
    fn an_earlier_first_in_transit_scan_lengthens_the_transit_counted_at_the_delivery() {
        let mut s = settled(ShipmentState {
            in_transit_at: Some(at("2026-11-24T22:00:00Z")),
            ..delivered("2026-11-24T10:00:00Z", "2026-11-25T10:00:00Z")
        });
        s.in_transit_at = Some(at("2026-11-24T20:00:00Z"));
        let (facts, counted) = recount(&s).expect("a correction");
        let c = in_bucket(&facts, "2026-11-25T10:00:00Z");
        assert_eq!(
            c,
            Counters {
                transit_seconds: 2 * 3600,
                ..Counters::default()
            },
            "the 12 h sample taken back, the 14 h one added: one sample, 2 h longer"
        );
        assert_eq!(facts.len(), 2, "{facts:?}");
        assert_eq!(counted["transit"].from, s.in_transit_at);
        assert_eq!(recount(&settled(s)), None, "counted once");
    }

    #[test]
    fn an_earlier_exception_moves_its_count_to_its_own_time() {
        let mut s = settled(ShipmentState {
            created_at: Some(at("2026-11-24T10:00:00Z")),
            exception_at: Some(at("2026-11-25T09:00:00Z")),
            ..ShipmentState::default()
        });
        s.exception_at = Some(at("2026-11-24T18:00:00Z"));
        let (facts, _) = recount(&s).expect("a move");
        assert_eq!(in_bucket(&facts, "2026-11-25T09:00:00Z").excepted, -1);
        assert_eq!(in_bucket(&facts, "2026-11-24T18:00:00Z").excepted, 1);
        assert_eq!(facts.len(), 2, "the shipment once");
    }

    #[test]
    fn an_earlier_delivery_moves_the_delivery_and_its_transit() {
        let mut s = settled(ShipmentState {
            in_transit_at: Some(at("2026-11-24T12:00:00Z")),
            ..delivered("2026-11-24T10:00:00Z", "2026-11-26T12:00:00Z")
        });
        s.delivered_at = Some(at("2026-11-25T12:00:00Z"));
        let (facts, _) = recount(&s).expect("a move");
        let old = in_bucket(&facts, "2026-11-26T12:00:00Z");
        let new = in_bucket(&facts, "2026-11-25T12:00:00Z");
        assert_eq!(
            (old.delivered, old.transit_count, old.transit_seconds),
            (-1, -1, -172_800)
        );
        assert_eq!(
            (new.delivered, new.transit_count, new.transit_seconds),
            (1, 1, 86_400)
        );
    }
}
