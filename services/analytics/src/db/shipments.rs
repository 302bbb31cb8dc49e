//! `shipment_facts`: each shipment's dimensions and facts, so later events of a shipment are
//! counted under its creation's dimensions, once each.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::upsert::excluded;
use std::collections::btree_map::{BTreeMap, Entry};
use uuid::Uuid;

use super::rollup;
use super::schema::shipment_facts as sf;
use crate::domain::facts::Dims;
use crate::domain::shipment::{recount, Counted, ShipmentState};

/// What `shipment.created` tells (written again in full when the shipment is created again).
#[derive(Debug, Insertable)]
#[diesel(table_name = sf)]
pub struct Creation<'a> {
    pub shipment_id: Uuid,
    pub tracking_number: &'a str,
    pub created_at: Option<DateTime<Utc>>,
    pub city: &'a str,
    pub province: &'a str,
    pub hub: &'a str,
    pub service_level: &'a str,
    pub value_tier: &'a str,
    pub merchant_id: Uuid,
    pub customer_id: Option<Uuid>,
}

/// Records shipments' creations in one statement (a placeholder row written by an earlier fact
/// is completed; a shipment created twice in `creations` takes its last creation).
pub fn create_all(conn: &mut PgConnection, creations: &[Creation]) -> QueryResult<()> {
    let mut last: BTreeMap<Uuid, &Creation> = BTreeMap::new();
    for c in creations {
        last.insert(c.shipment_id, c);
    }
    let rows: Vec<&Creation> = last.into_values().collect();
    if rows.is_empty() {
        return Ok(());
    }
    diesel::insert_into(sf::table)
        .values(rows)
        .on_conflict(sf::shipment_id)
        .do_update()
        .set((
            sf::tracking_number.eq(excluded(sf::tracking_number)),
            sf::created_at.eq(excluded(sf::created_at)),
            sf::city.eq(excluded(sf::city)),
            sf::province.eq(excluded(sf::province)),
            sf::hub.eq(excluded(sf::hub)),
            sf::service_level.eq(excluded(sf::service_level)),
            sf::value_tier.eq(excluded(sf::value_tier)),
            sf::merchant_id.eq(excluded(sf::merchant_id)),
            sf::customer_id.eq(excluded(sf::customer_id)),
        ))
        .execute(conn)
        .map(drop)
}

/// A later fact of a shipment: which column it sets (the earliest time wins).
#[derive(Debug, Clone, Copy)]
pub enum Fact {
    InTransit,
    Delivered { on_time: bool },
    Damaged,
    Lost,
    Exception,
}

impl Fact {
    fn column(self) -> &'static str {
        match self {
            Fact::InTransit => "in_transit_at",
            Fact::Delivered { .. } => "delivered_at",
            Fact::Damaged => "damaged_at",
            Fact::Lost => "lost_at",
            Fact::Exception => "exception_at",
        }
    }
}

/// A fact of a shipment, as an event tells it.
#[derive(Debug, Clone, Copy)]
pub struct Noted<'a> {
    pub shipment_id: Uuid,
    pub tracking_number: &'a str,
    pub fact: Fact,
    pub at: DateTime<Utc>,
}

/// A column's facts to write, by shipment (in id order, so concurrent writers lock rows in
/// the same order): tracking number, time, on-time.
type Column<'a> = BTreeMap<Uuid, (&'a str, DateTime<Utc>, Option<bool>)>;

/// A row an upsert inserted or changed.
#[derive(QueryableByName)]
struct Changed {
    #[diesel(sql_type = SqlUuid)]
    shipment_id: Uuid,
}

/// Records every noted fact (creating placeholder rows for shipments whose creation is not
/// known yet) in one statement per column, however many there are: the earliest time of a
/// shipment wins, within `noted` as against what is stored (and a delivery's on-time is the
/// earliest delivery's). Returns the shipments whose row this changed, in id order: the only
/// ones with anything new to count. A fact no earlier than the one stored writes nothing —
/// most scans repeat a status the shipment had (measured 2026-12-05: rewriting those rows and
/// settling them again was three quarters of analytics' database time under the scan load).
pub fn record_all(conn: &mut PgConnection, noted: &[Noted]) -> QueryResult<Vec<Uuid>> {
    let mut columns: BTreeMap<&'static str, Column> = BTreeMap::new();
    for n in noted {
        let on_time = match n.fact {
            Fact::Delivered { on_time } => Some(on_time),
            _ => None,
        };
        let row = (n.tracking_number, n.at, on_time);
        match columns
            .entry(n.fact.column())
            .or_default()
            .entry(n.shipment_id)
        {
            Entry::Vacant(v) => {
                v.insert(row);
            }
            Entry::Occupied(mut o) if n.at < o.get().1 => {
                o.insert(row);
            }
            Entry::Occupied(_) => {}
        }
    }
    let mut changed = Vec::new();
    for (column, rows) in columns {
        let mut ids = Vec::with_capacity(rows.len());
        let (mut numbers, mut times, mut on_times) = (Vec::new(), Vec::new(), Vec::new());
        for (id, (number, at, on_time)) in rows {
            ids.push(id);
            numbers.push(number);
            times.push(at);
            on_times.push(on_time);
        }
        let written: Vec<Changed> = diesel::sql_query(format!(
            "INSERT INTO shipment_facts (shipment_id, tracking_number, {column}, on_time) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::bool[]) \
             ON CONFLICT (shipment_id) DO UPDATE SET \
               {column} = EXCLUDED.{column}, \
               on_time = COALESCE(EXCLUDED.on_time, shipment_facts.on_time) \
             WHERE shipment_facts.{column} IS NULL \
               OR EXCLUDED.{column} < shipment_facts.{column} \
             RETURNING shipment_id"
        ))
        .bind::<Array<SqlUuid>, _>(ids)
        .bind::<Array<Text>, _>(numbers)
        .bind::<Array<Timestamptz>, _>(times)
        .bind::<Array<Nullable<Bool>>, _>(on_times)
        .load(conn)?;
        changed.extend(written.into_iter().map(|r| r.shipment_id));
    }
    changed.sort_unstable();
    changed.dedup();
    Ok(changed)
}

/// A shipment's dimensions as `shipment_facts` keeps them.
#[derive(Queryable, Selectable)]
#[diesel(table_name = sf)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct DimsRow {
    city: String,
    province: String,
    hub: String,
    service_level: String,
    value_tier: String,
    merchant_id: Uuid,
}

impl From<DimsRow> for Dims {
    fn from(r: DimsRow) -> Self {
        Dims {
            city: r.city,
            province: r.province,
            hub: r.hub,
            service_level: r.service_level,
            value_tier: r.value_tier,
            merchant_id: r.merchant_id,
            ..Dims::default()
        }
    }
}

type Row = (
    Uuid,
    Option<DateTime<Utc>>,
    DimsRow,
    (
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<bool>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    ),
    serde_json::Value,
);

/// Brings the rollups up to what is known of each shipment (`domain::shipment::recount`):
/// what is not counted yet is counted, what moved to an earlier time is moved, and the facts
/// counted are recorded — the rows locked in id order, every increment added to the rollups
/// at once, and every record in one statement (fetching the rows by primary key, `= ANY($1)`:
/// joined to the UNNEST alone, a run was planned as a hash join over the whole table).
pub fn settle_all(conn: &mut PgConnection, shipment_ids: &[Uuid]) -> anyhow::Result<()> {
    let rows: Vec<Row> = sf::table
        .filter(sf::shipment_id.eq_any(shipment_ids))
        .order(sf::shipment_id)
        .select((
            sf::shipment_id,
            sf::created_at,
            DimsRow::as_select(),
            (
                sf::in_transit_at,
                sf::delivered_at,
                sf::on_time,
                sf::damaged_at,
                sf::lost_at,
                sf::exception_at,
            ),
            sf::counted,
        ))
        .for_update()
        .load(conn)?;
    let (mut facts, mut marked, mut records) = (Vec::new(), Vec::new(), Vec::new());
    for (id, created_at, dims_row, at, counted) in rows {
        let (in_transit_at, delivered_at, on_time, damaged_at, lost_at, exception_at) = at;
        let state = ShipmentState {
            created_at,
            dims: dims_row.into(),
            in_transit_at,
            delivered_at,
            on_time,
            damaged_at,
            lost_at,
            exception_at,
            counted: serde_json::from_value::<Counted>(counted)?,
        };
        if let Some((new, counted)) = recount(&state) {
            facts.extend(new);
            marked.push(id);
            records.push(serde_json::to_string(&counted)?);
        }
    }
    if marked.is_empty() {
        return Ok(());
    }
    rollup::add(conn, &facts)?;
    diesel::sql_query(
        "UPDATE shipment_facts SET counted = u.counted::jsonb \
         FROM unnest($1::uuid[], $2::text[]) AS u(id, counted) \
         WHERE shipment_facts.shipment_id = u.id AND shipment_facts.shipment_id = ANY($1)",
    )
    .bind::<Array<SqlUuid>, _>(marked)
    .bind::<Array<Text>, _>(records)
    .execute(conn)?;
    Ok(())
}

/// The dimensions of the shipment with `tracking_number`, when known (complaints and claims
/// about it take them).
pub fn dims_by_tracking(
    conn: &mut PgConnection,
    tracking_number: &str,
) -> QueryResult<Option<Dims>> {
    sf::table
        .filter(sf::tracking_number.eq(tracking_number))
        .filter(sf::created_at.is_not_null())
        .select(DimsRow::as_select())
        .first::<DimsRow>(conn)
        .optional()
        .map(|row| row.map(Dims::from))
}
