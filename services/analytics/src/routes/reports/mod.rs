//! Complaint hotspots, staff performance and CSV exports, and their answers built from the
//! rows of `db::reports`.

pub mod export;
pub mod hotspots;
pub mod staff;

use crate::api::reports::{
    Hotspot, Hotspots, HubCluster, StaffFigures, StaffPerformance, TrackingCluster,
};
use crate::db::reports::{HotspotRows, Spot, StaffRows};
use crate::domain::kpi::{mean, ratio};

fn some(s: String) -> Option<String> {
    Some(s).filter(|s| !s.is_empty())
}

fn spot(s: &Spot, by_city: bool) -> Hotspot {
    Hotspot {
        category: s.category.clone(),
        city: by_city.then(|| s.city.clone()),
        hub: (!by_city).then(|| s.hub.clone()),
        complaints: s.current,
        previous: s.previous,
        change: s.current - s.previous,
        change_rate: ratio(s.current - s.previous, s.previous),
    }
}

/// The answer of the hotspots: by category × city and × hub, the top tracking numbers and
/// hubs.
pub fn hotspots(rows: HotspotRows) -> Hotspots {
    let HotspotRows {
        windows: ((from, to), (pfrom, pto)),
        spots,
        clusters,
    } = rows;
    Hotspots {
        from,
        to,
        previous_from: pfrom,
        previous_to: pto,
        by_city: spots
            .iter()
            .filter(|s| s.grouping == 1)
            .map(|s| spot(s, true))
            .collect(),
        by_hub: spots
            .iter()
            .filter(|s| s.grouping == 2 && !s.hub.is_empty())
            .map(|s| spot(s, false))
            .collect(),
        top_tracking_numbers: clusters
            .into_iter()
            .map(|c| TrackingCluster {
                tracking_number: c.tracking_number,
                complaints: c.complaints,
                categories: c.categories,
                hub: some(c.hub),
                city: some(c.city),
            })
            .collect(),
        top_hubs: spots
            .iter()
            .filter(|s| s.grouping == 6 && !s.hub.is_empty() && s.current > 0)
            .take(10)
            .map(|s| HubCluster {
                hub: s.hub.clone(),
                complaints: s.current,
                previous: s.previous,
            })
            .collect(),
    }
}

/// The answer of staff performance: one row per handler, most cases closed first.
pub fn staff(rows: StaffRows) -> StaffPerformance {
    let StaffRows {
        from,
        to,
        sums,
        medians,
    } = rows;
    let mut data: Vec<StaffFigures> = sums
        .into_iter()
        .map(|s| StaffFigures {
            handler_id: s.handler_id,
            cases_closed: s.closed,
            median_resolution_hours: medians
                .get(&s.handler_id)
                .map(|h| (h * 100.0).round() / 100.0),
            first_responses: s.first_responses,
            first_response_sla_rate: ratio(s.in_sla, s.first_responses),
            surveys: s.surveys,
            csat_avg: mean(s.overall as f64, s.surveys),
            reopened: s.reopened,
            reopen_rate: ratio(s.reopened, s.closed),
        })
        .collect();
    data.sort_by(|a, b| {
        b.cases_closed
            .cmp(&a.cases_closed)
            .then(a.handler_id.cmp(&b.handler_id))
    });
    StaffPerformance { from, to, data }
}
