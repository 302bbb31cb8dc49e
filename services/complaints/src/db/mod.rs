//! Rows and repository functions; every function takes `&mut PgConnection` so calls compose in
//! one transaction.

pub mod claims;
pub mod complaints;
pub mod customers;
pub mod departments;
pub mod evidence;
pub mod history;
pub mod improvements;
pub mod merges;
pub mod notifications;
pub mod policies;
pub mod queue;
pub mod schema;
pub mod shipments;
pub mod surveys;

use diesel::associations::HasTable;
use diesel::dsl::Update;
use diesel::prelude::*;
use diesel::query_builder::{AsQuery, InsertStatement, IntoUpdateTarget};
use diesel::query_dsl::methods::ExecuteDsl;

/// Inserts `row` (or rows) into `table`.
pub fn insert<T, R>(conn: &mut PgConnection, table: T, row: R) -> QueryResult<()>
where
    T: Table,
    R: Insertable<T>,
    InsertStatement<T, R::Values>: ExecuteDsl<PgConnection>,
{
    diesel::insert_into(table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Writes a whole row back over the one with its id (`row`: a reference to the row).
pub fn save<R>(conn: &mut PgConnection, row: R) -> QueryResult<()>
where
    R: IntoUpdateTarget + AsChangeset<Target = <R as HasTable>::Table> + Copy,
    Update<R, R>: AsQuery + ExecuteDsl<PgConnection>,
{
    diesel::update(row).set(row).execute(conn).map(drop)
}
