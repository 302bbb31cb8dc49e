//! The classification run: tiers, RFM, stages and churn warnings computed set-based in SQL
//! (`db::classification`), then, set-based too, one event per change (`events::classified`)
//! and a retention task per new warning — all in the caller's transaction.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::request::RequestContext;

use crate::db::{classification, rules};
use crate::domain::classification::Thresholds;
use crate::events::classified;

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
        if changed > 0 {
            classified::write(conn, &RequestContext::detached(), now)?;
            let warned = classification::warned(conn)?;
            rules::churn_retention(conn, &warned, now)?;
        }
        Ok(changed)
    }
}
