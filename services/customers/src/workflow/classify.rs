//! The classification run: tiers, RFM, stages and churn warnings computed set-based in SQL
//! (`db::classification`), then one event per change and a retention task per new warning.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::events::catalogue::{
    CustomerChurnRiskDetectedV1, CustomerStageChangedV1, CustomerTierChangedV1,
};
use kuaidi_shared::events::{CloudEvent, Outbox};
use kuaidi_shared::money::Money;
use kuaidi_shared::request::RequestContext;

use crate::db::{classification, rules};
use crate::domain::classification::Thresholds;
use crate::domain::enums::Stage;
use crate::events::event;

/// Changed customers whose events are written by one statement.
const EVENTS_PER_STATEMENT: usize = 5_000;

/// Runs the classification with its thresholds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Classifier {
    pub thresholds: Thresholds,
}

impl Classifier {
    /// Classifies every customer as of `now` in the caller's transaction; returns the number
    /// of customers whose tier or stage changed.
    pub fn run(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let changed = classification::classify(conn, now, &self.thresholds)?;
        let ctx = RequestContext::detached();
        let mut warned = Vec::new();
        // Written a slice at a time: a first run over a large file changes nearly everyone,
        // and one statement (or one vector) of a million envelopes would not fit.
        for slice in changed.chunks(EVENTS_PER_STATEMENT) {
            let mut events: Vec<CloudEvent> = Vec::with_capacity(slice.len() * 2);
            for c in slice {
                if c.old_tier != c.tier {
                    let payload = CustomerTierChangedV1 {
                        customer_id: c.id,
                        merchant_id: c.merchant_id,
                        owner_id: c.owner_id,
                        from: Some(c.old_tier.clone()),
                        to: c.tier.clone(),
                        spend_12m: Money::from_minor(c.spend, "CNY"),
                        changed_at: now,
                    };
                    events.push(event(c.id, &payload, &ctx, now));
                }
                if c.old_stage != c.stage {
                    let payload = CustomerStageChangedV1 {
                        customer_id: c.id,
                        merchant_id: c.merchant_id,
                        owner_id: c.owner_id,
                        from: Some(c.old_stage.clone()),
                        to: c.stage.clone(),
                        changed_at: now,
                    };
                    events.push(event(c.id, &payload, &ctx, now));
                    if c.stage == Stage::AtRisk.as_ref() {
                        warned.push(c.id);
                        let baseline = c.s90 as f64 / 3.0;
                        let payload = CustomerChurnRiskDetectedV1 {
                            customer_id: c.id,
                            merchant_id: c.merchant_id,
                            owner_id: c.owner_id,
                            baseline_monthly: baseline,
                            last_30d: c.s30,
                            drop_ratio: if baseline > 0.0 {
                                1.0 - c.s30 as f64 / baseline
                            } else {
                                0.0
                            },
                            detected_at: now,
                        };
                        events.push(event(c.id, &payload, &ctx, now));
                    }
                }
            }
            Outbox::enqueue_all(conn, &events)?;
        }
        rules::churn_retention(conn, &warned, now)?;
        Ok(changed.len())
    }
}
