//! `shipment_facts`: each shipment's dimensions and facts, so later events of a shipment are
//! counted under its creation's dimensions, once each.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Timestamptz};
use uuid::Uuid;

use super::rollup;
use super::schema::shipment_facts as sf;
use crate::domain::facts::Dims;
use crate::domain::shipment::{uncounted, ShipmentState};

/// What `shipment.created` tells (written again in full when the shipment is created again).
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = sf, primary_key(shipment_id))]
#[diesel(treat_none_as_null = true)]
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

/// Records a shipment's creation (a placeholder row written by an earlier fact is completed).
pub fn create(conn: &mut PgConnection, c: &Creation) -> QueryResult<()> {
    diesel::insert_into(sf::table)
        .values(c)
        .on_conflict(sf::shipment_id)
        .do_update()
        .set(c)
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

/// Records `fact` at `at` (creating a placeholder row when the creation is not known yet).
pub fn record(
    conn: &mut PgConnection,
    shipment_id: Uuid,
    tracking_number: &str,
    fact: Fact,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    let column = match fact {
        Fact::InTransit => "in_transit_at",
        Fact::Delivered { .. } => "delivered_at",
        Fact::Damaged => "damaged_at",
        Fact::Lost => "lost_at",
        Fact::Exception => "exception_at",
    };
    let on_time = match fact {
        Fact::Delivered { on_time } => Some(on_time),
        _ => None,
    };
    diesel::sql_query(format!(
        "INSERT INTO shipment_facts (shipment_id, tracking_number, {column}, on_time) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (shipment_id) DO UPDATE SET \
           {column} = LEAST(shipment_facts.{column}, EXCLUDED.{column}), \
           on_time = COALESCE(shipment_facts.on_time, EXCLUDED.on_time)"
    ))
    .bind::<diesel::sql_types::Uuid, _>(shipment_id)
    .bind::<diesel::sql_types::Text, _>(tracking_number)
    .bind::<Timestamptz, _>(at)
    .bind::<Nullable<diesel::sql_types::Bool>, _>(on_time)
    .execute(conn)
    .map(drop)
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
    Vec<String>,
);

/// Counts what of the shipment is countable and not counted yet, and marks it counted.
pub fn settle(conn: &mut PgConnection, shipment_id: Uuid) -> anyhow::Result<()> {
    let row: Option<Row> = sf::table
        .find(shipment_id)
        .select((
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
        .first(conn)
        .optional()?;
    let Some((created_at, dims_row, facts, counted)) = row else {
        return Ok(());
    };
    let (in_transit_at, delivered_at, on_time, damaged_at, lost_at, exception_at) = facts;
    let state = ShipmentState {
        created_at,
        dims: dims_row.into(),
        in_transit_at,
        delivered_at,
        on_time,
        damaged_at,
        lost_at,
        exception_at,
        counted,
    };
    let (facts, names) = uncounted(&state);
    if names.is_empty() {
        return Ok(());
    }
    rollup::add(conn, &facts)?;
    diesel::update(sf::table.find(shipment_id))
        .set(
            sf::counted.eq(
                sql::<diesel::sql_types::Array<diesel::sql_types::Text>>("counted || ")
                    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(names),
            ),
        )
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
