//! The event analytics emits: `analytics.alert_raised`, one per alert raised.

use kuaidi_shared::events::catalogue::AnalyticsAlertRaisedV1;
use kuaidi_shared::events::CloudEvent;
use kuaidi_shared::request::RequestContext;

use crate::db::alerts::AlertRow;

/// The announcement of a raised alert (empty places are absent).
pub fn alert_raised(r: &AlertRow) -> CloudEvent {
    let payload = AnalyticsAlertRaisedV1 {
        alert_id: r.id,
        kind: r.kind.clone(),
        city: Some(r.city.clone()).filter(|s| !s.is_empty()),
        category: Some(r.category.clone()).filter(|s| !s.is_empty()),
        hub_code: Some(r.hub.clone()).filter(|s| !s.is_empty()),
        day: r.day.to_string(),
        observed: r.observed,
        threshold: r.threshold,
        raised_at: r.raised_at,
    };
    CloudEvent::about(
        crate::SERVICE,
        r.id,
        &payload,
        &RequestContext::detached(),
        r.raised_at,
    )
}
