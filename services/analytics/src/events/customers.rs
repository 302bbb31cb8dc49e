//! Customer events: new customers, value tiers, lifecycle stages, churn-risk detections,
//! merges and their undo (`db::merges`). (The 12-month spend the Pareto curve needs comes from
//! `shipment.created`, not from the spend a tier change carries: that one is only sent when the
//! tier changes.)

use diesel::PgConnection;
use kuaidi_shared::events::catalogue::{
    CustomerChurnRiskDetectedV1, CustomerCreatedV1, CustomerMergeUndoneV1, CustomerMergedV1,
    CustomerStageChangedV1, CustomerTierChangedV1,
};
use kuaidi_shared::events::Consumers;

use crate::db::customers::{self, Attribute, ChurnRisk, Created};
use crate::db::merges;
use crate::db::rollup;
use crate::domain::facts::{dimension, Counters, Dims, Fact};

pub fn register(c: Consumers) -> Consumers {
    c.on(|conn, _, e: CustomerCreatedV1| created(conn, &e))
        .on(|conn, _, e: CustomerTierChangedV1| {
            let to = dimension(Some(&e.to));
            customers::change(conn, e.customer_id, Attribute::Tier, &to, e.changed_at)?;
            Ok(())
        })
        .on(|conn, _, e: CustomerStageChangedV1| {
            let to = dimension(Some(&e.to));
            customers::change(conn, e.customer_id, Attribute::Stage, &to, e.changed_at)?;
            Ok(())
        })
        .on(|conn, _, e: CustomerChurnRiskDetectedV1| {
            let risk = ChurnRisk {
                customer_id: e.customer_id,
                merchant_id: e.merchant_id,
                baseline_monthly: e.baseline_monthly,
                last_30d: e.last_30d,
                drop_ratio: e.drop_ratio,
                detected_at: e.detected_at,
            };
            Ok(customers::churn_risk(conn, &risk)?)
        })
        .on(|conn, _, e: CustomerMergedV1| {
            // What the merge moves is kept first, so its undo moves back exactly that.
            if merges::remember(conn, &e)? {
                customers::merge(conn, e.survivor_id, e.duplicate_id)?;
            }
            Ok(())
        })
        .on(|conn, _, e: CustomerMergeUndoneV1| Ok(merges::undo(conn, &e)?))
}

fn created(conn: &mut PgConnection, e: &CustomerCreatedV1) -> anyhow::Result<()> {
    let dims = Dims {
        city: dimension(e.city.as_deref()),
        province: dimension(e.province.as_deref()),
        value_tier: dimension(Some(&e.value_tier)),
        merchant_id: e.merchant_id.unwrap_or_default(),
        ..Dims::default()
    };
    customers::create(
        conn,
        &Created {
            customer_id: e.customer_id,
            merchant_id: dims.merchant_id,
            city: &dims.city,
            province: &dims.province,
            value_tier: &dims.value_tier,
            lifecycle_stage: &dimension(Some(&e.lifecycle_stage)),
            created_at: e.created_at,
        },
    )?;
    let counters = Counters {
        new_customers: 1,
        ..Counters::default()
    };
    rollup::add(conn, &[Fact::new(e.created_at, dims, counters)])
}
