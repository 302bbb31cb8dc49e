//! A transaction PostgreSQL gives up in a deadlock is a retryable `503`, and
//! `transaction_retried` runs it again.

use diesel::{Connection, PgConnection, RunQueryDsl};
use std::sync::{Arc, Barrier};

use crate::problem::ApiError;

fn connect() -> PgConnection {
    let url = format!("{}/postgres", crate::testing::pg_server());
    PgConnection::establish(&url).expect("test PostgreSQL")
}

/// Two transactions lock two rows of a fresh table in opposite orders: one of them is given up.
fn deadlocked_error() -> ApiError {
    let table = format!("deadlock_{}", uuid::Uuid::now_v7().simple());
    let mut setup = connect();
    for sql in [
        format!("CREATE TABLE {table} (id int PRIMARY KEY)"),
        format!("INSERT INTO {table} VALUES (1), (2)"),
    ] {
        diesel::sql_query(sql).execute(&mut setup).expect("set up");
    }
    let both = Arc::new(Barrier::new(2));
    let lock = |first: i32, second: i32| {
        let (both, table) = (both.clone(), table.clone());
        std::thread::spawn(move || {
            let mut conn = connect();
            conn.transaction::<(), ApiError, _>(|conn| {
                let row = |id: i32| format!("UPDATE {table} SET id = id WHERE id = {id}");
                diesel::sql_query(row(first)).execute(conn)?;
                both.wait();
                diesel::sql_query(row(second)).execute(conn)?;
                Ok(())
            })
        })
    };
    let (a, b) = (lock(1, 2), lock(2, 1));
    let results = [a.join().expect("thread"), b.join().expect("thread")];
    diesel::sql_query(format!("DROP TABLE {table}"))
        .execute(&mut setup)
        .ok();
    let mut errors = results.into_iter().filter_map(Result::err);
    let lost = errors.next().expect("one transaction given up");
    assert!(errors.next().is_none(), "only one");
    lost
}

#[test]
fn a_deadlock_is_a_lost_conflict_answered_503() {
    let lost = deadlocked_error();
    assert!(lost.lost_a_conflict(), "{lost:?}");
    assert_eq!(
        actix_web::ResponseError::status_code(&lost),
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE
    );
}
