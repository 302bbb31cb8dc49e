//! The ingestion use case (SPEC §5, §9): domain input ([`Incoming`]) in, domain outcomes
//! ([`Ingested`]) out, in the caller's transaction, with a fixed number of set-based statements
//! whatever the batch size — lock the shipments, look up known event ids, apply the rules in
//! memory, then insert events, update shipments and write the outbox.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use kuaidi_shared::clock::new_id;
use kuaidi_shared::events::{CloudEvent, Outbox};
use kuaidi_shared::request::RequestContext;
use kuaidi_shared::ApiError;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use crate::db::customers;
use crate::db::lanes::{self as history, LaneRow};
use crate::db::tracking_events::{self as repo, NewEventRow, ShipmentUpdate, TrackedShipment};
use crate::domain::eta::{self, EtaRules, Lane, LaneStats};
use crate::domain::ingestion::{Incoming, Ingested, Outcome};
use crate::domain::notification::{template, Addressees};
use crate::domain::tracking::{notification_template, TrackState, TrackingEvent};
use crate::domain::{ServiceLevel, ShipmentStatus, Substatus};
use crate::events::tracking::Tracked;
use crate::events::Emitter;

/// One shipment touched by a batch.
struct Touched<'a> {
    shipment: &'a TrackedShipment,
    state: TrackState,
    /// Whether its status moved (so its ETA is recomputed).
    moved: bool,
    /// Notification templates and the status each was raised for, in order.
    notes: Vec<(&'static str, ShipmentStatus)>,
}

/// Ingests `items` in the caller's transaction, re-estimating the ETAs of the shipments that
/// moved under `rules`; the results are in input order.
pub fn ingest(
    conn: &mut PgConnection,
    items: &[Incoming],
    now: DateTime<Utc>,
    ctx: &RequestContext,
    rules: &EtaRules,
) -> Result<Vec<Ingested>, ApiError> {
    let mut tns: Vec<String> = items
        .iter()
        .map(|i| i.tracking_number.to_string())
        .collect();
    tns.sort_unstable();
    tns.dedup();
    let shipments: Vec<TrackedShipment> = repo::lock_by_tracking_numbers(conn, &tns)?;
    let by_tn: HashMap<&str, usize> = shipments
        .iter()
        .enumerate()
        .map(|(i, s)| (s.tracking_number.as_str(), i))
        .collect();
    let (ids, event_ids): (Vec<Uuid>, Vec<String>) = items
        .iter()
        .filter_map(|i| {
            let s = &shipments[*by_tn.get(i.tracking_number.as_str())?];
            Some((s.id, i.event.event_id.clone()))
        })
        .unzip();
    let mut known: HashSet<(Uuid, String)> =
        repo::existing(conn, ids, event_ids)?.into_iter().collect();

    // Sort the new events by shipment; duplicates and unknown shipments are answered now.
    let mut results: Vec<Option<Ingested>> = vec![None; items.len()];
    let mut per_shipment: Vec<Vec<usize>> = vec![Vec::new(); shipments.len()];
    for (idx, item) in items.iter().enumerate() {
        let event_id = &item.event.event_id;
        match by_tn.get(item.tracking_number.as_str()) {
            None => results[idx] = Some(Ingested::rejected(event_id, "unknown tracking number")),
            Some(&i) if !known.insert((shipments[i].id, event_id.clone())) => {
                results[idx] = Some(Ingested {
                    event_id: event_id.clone(),
                    outcome: Outcome::Duplicate,
                })
            }
            Some(&i) => per_shipment[i].push(idx),
        }
    }

    // Apply each shipment's new events in occurred_at order (stable for ties).
    let mut rows = Vec::new();
    let mut outbox = Vec::new();
    let mut touched = Vec::new();
    let emitter = Emitter { ctx, now };
    for (s, mut idxs) in shipments.iter().zip(per_shipment) {
        if idxs.is_empty() {
            continue;
        }
        idxs.sort_by_key(|&i| items[i].event.occurred_at);
        let emit = Tracked::new(&emitter, s);
        let mut t = Touched {
            shipment: s,
            state: state_of(s)?,
            moved: false,
            notes: Vec::new(),
        };
        for idx in idxs {
            let ev = &items[idx].event;
            let applied = t.state.apply(ev);
            results[idx] = Some(Ingested {
                event_id: ev.event_id.clone(),
                outcome: Outcome::Accepted {
                    sequence: applied.sequence,
                },
            });
            rows.push(event_row(s.id, ev, applied.sequence));
            let Some(tr) = applied.transition else {
                // No move, no notification; an exception is still raised.
                outbox.extend(emit.unmoved(ev, applied.sequence, t.state.status));
                continue;
            };
            t.moved = true;
            outbox.extend(emit.moved(ev, tr, applied.sequence, &t.state));
            if let Some(template) = notification_template(tr.to) {
                t.notes.push((template, tr.to));
            }
        }
        touched.push(t);
    }

    let etas = recompute_etas(conn, &touched, now, rules)?;
    // The shipments are locked, so an event that already exists is a bug: the insert fails
    // and the batch rolls back rather than leave sequences that skip.
    repo::insert_all(conn, &rows, now).map_err(|e| anyhow::anyhow!("tracking events: {e}"))?;
    let updates: Vec<ShipmentUpdate> = touched
        .iter()
        .map(|t| ShipmentUpdate {
            id: t.shipment.id,
            merchant_id: t.shipment.merchant_id,
            updated_at: t.shipment.updated_at,
            status: t.state.status.as_str().to_owned(),
            substatus: t.state.substatus.map(|x| x.as_str().to_owned()),
            delivered_at: t.state.delivered_at,
            signed_by: t.state.signed_by.clone(),
            last_event_at: t.state.last_event_at,
            last_sequence: t.state.last_sequence,
            first_in_transit_at: t.state.first_in_transit_at,
            estimated_delivery_at: etas
                .get(&t.shipment.id)
                .copied()
                .or(t.shipment.estimated_delivery_at),
        })
        .collect();
    repo::update_all(conn, &updates, now)?;
    note_eta_slips(&mut touched, &etas);
    // Who is told about the shipments with something to tell, on which channel (one query).
    let notified: Vec<Uuid> = touched
        .iter()
        .filter(|t| !t.notes.is_empty())
        .map(|t| t.shipment.id)
        .collect();
    let known = customers::addressees(conn, &notified)?;
    outbox.extend(eta_and_notification_events(
        &touched, &etas, &known, ctx, now,
    ));
    // A batch of a thousand scans makes a few messages, not a few thousand.
    Outbox::enqueue_batched(conn, &outbox, new_id)?;
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Ingested::rejected("", "not processed")))
        .collect())
}

/// A slip of the ETA over 12 h is told too.
fn note_eta_slips(touched: &mut [Touched<'_>], etas: &HashMap<Uuid, DateTime<Utc>>) {
    for t in touched.iter_mut() {
        let (old, new) = (t.shipment.estimated_delivery_at, etas.get(&t.shipment.id));
        if let (Some(old), Some(&new)) = (old, new) {
            if new - old > eta::NOTIFY_SLIP {
                t.notes.push((template::ETA_SLIPPED, t.state.status));
            }
        }
    }
}

/// `shipment.eta_changed` where the ETA moved, then the notifications, which carry the new ETA:
/// one per addressee, each on their channel (`known`, [`crate::domain::notification`]).
fn eta_and_notification_events(
    touched: &[Touched<'_>],
    etas: &HashMap<Uuid, DateTime<Utc>>,
    known: &HashMap<Uuid, Addressees>,
    ctx: &RequestContext,
    now: DateTime<Utc>,
) -> Vec<CloudEvent> {
    let mut out = Vec::new();
    let emitter = Emitter { ctx, now };
    for t in touched {
        let s = t.shipment;
        let emit = Tracked::new(&emitter, s);
        let new_eta = etas.get(&s.id).copied();
        if let Some(new) = new_eta {
            out.push(emit.eta_changed(new, t.state.last_sequence));
        }
        let to = known.get(&s.id).cloned().unwrap_or_default();
        for (template, status) in &t.notes {
            let eta = new_eta.or(s.estimated_delivery_at);
            for notice in to.notices(template) {
                out.push(emit.notification(&notice, template, *status, eta));
            }
        }
    }
    out
}

/// New ETAs of the shipments that moved and are still on their way, from one lane query.
fn recompute_etas(
    conn: &mut PgConnection,
    touched: &[Touched<'_>],
    now: DateTime<Utc>,
    rules: &EtaRules,
) -> Result<HashMap<Uuid, DateTime<Utc>>, ApiError> {
    let moving: Vec<&TrackedShipment> = touched
        .iter()
        .filter(|t| {
            t.moved
                && !matches!(
                    t.state.status,
                    ShipmentStatus::Delivered | ShipmentStatus::Expired
                )
        })
        .map(|t| t.shipment)
        .collect();
    let lanes: Vec<Lane> = moving.iter().map(|s| lane_of(s)).collect();
    let stats = lane_stats(conn, &lanes, now, rules)?;
    let mut changed = HashMap::new();
    for (s, lane) in moving.into_iter().zip(&lanes) {
        let level = ServiceLevel::parse(&s.service_level)
            .ok_or_else(|| anyhow::anyhow!("stored service level {:?}", s.service_level))?;
        let new = eta::estimate(s.created_at, now, level, stats.get(lane).copied(), rules);
        if s.estimated_delivery_at != Some(new) {
            changed.insert(s.id, new);
        }
    }
    Ok(changed)
}

/// The lane of a shipment.
pub fn lane_of(s: &TrackedShipment) -> Lane {
    Lane {
        origin_city: s.origin_city.clone(),
        destination_city: s.destination_city.clone(),
        service_level: s.service_level.clone(),
    }
}

/// The recent history (`rules`' window) of each of `lanes` (one query).
pub fn lane_stats(
    conn: &mut PgConnection,
    lanes: &[Lane],
    now: DateTime<Utc>,
    rules: &EtaRules,
) -> Result<HashMap<Lane, LaneStats>, ApiError> {
    let rows = history::lane_stats(
        conn,
        lanes,
        now - rules.lane_window(),
        rules.max_transit_days,
    )?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let stats = stats_of(&r);
            let lane = Lane {
                origin_city: r.origin_city,
                destination_city: r.destination_city,
                service_level: r.service_level,
            };
            (lane, stats)
        })
        .collect())
}

fn stats_of(r: &LaneRow) -> LaneStats {
    LaneStats {
        p80_transit: chrono::Duration::milliseconds((r.p80_secs * 1000.0).round() as i64),
        samples: r.samples,
    }
}

/// The ETA of a shipment created at `created_at` (now) on `lane` under `rules` (one lane
/// query).
pub fn initial_eta(
    conn: &mut PgConnection,
    lane: Lane,
    level: ServiceLevel,
    created_at: DateTime<Utc>,
    rules: &EtaRules,
) -> Result<DateTime<Utc>, ApiError> {
    let since = created_at - rules.lane_window();
    let stats = history::lane_stats_one(conn, &lane, since, rules.max_transit_days)?
        .as_ref()
        .map(stats_of);
    Ok(eta::estimate(created_at, created_at, level, stats, rules))
}

fn state_of(s: &TrackedShipment) -> Result<TrackState, ApiError> {
    Ok(TrackState {
        status: ShipmentStatus::parse(&s.status)
            .ok_or_else(|| anyhow::anyhow!("stored status {:?}", s.status))?,
        substatus: s.substatus.as_deref().and_then(Substatus::parse),
        last_event_at: s.last_event_at,
        delivered_at: s.delivered_at,
        signed_by: s.signed_by.clone(),
        last_sequence: s.last_sequence,
        first_in_transit_at: s.first_in_transit_at,
    })
}

fn event_row(shipment_id: Uuid, ev: &TrackingEvent, sequence: i64) -> NewEventRow {
    let loc = ev.location.clone().unwrap_or_default();
    NewEventRow {
        shipment_id,
        event_id: ev.event_id.clone(),
        sequence,
        status: ev.status.as_str().to_owned(),
        substatus: ev.substatus.map(|x| x.as_str().to_owned()),
        occurred_at: ev.occurred_at,
        hub_code: loc.hub_code,
        city: loc.city,
        province: loc.province,
        description: ev.description.clone(),
        courier_id: ev.courier_id.clone(),
    }
}
