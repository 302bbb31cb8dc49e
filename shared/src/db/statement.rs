//! Hand-written SQL that PostgreSQL plans once per connection.
//!
//! diesel's `sql_query` and `dsl::sql` never reuse a prepared statement (their text could be
//! built at run time, so caching them could grow without bound): every call is parsed and
//! planned again. For a hot statement that costs more than running it — the customers search's
//! stats query over a million-customer file: 0.73 ms a call unprepared, 0.17 ms prepared
//! (`pgbench -M extended` against `-M prepared`). A [`Statement`]'s text is a `&'static str`,
//! so the set of texts is fixed at compile time and diesel's statement cache (keyed by the text)
//! may keep each one prepared on its connection.
//!
//! Placeholders are written `$1`, `$2`, … as in PostgreSQL and refer to the binds in the order
//! they were added; one may be used more than once. A `$` followed by digits is always a
//! placeholder, so the text must not hold one inside a string literal.
//!
//! Prepared statements run on generic plans after a few calls when PostgreSQL judges them no
//! worse: use a `Statement` where the plan does not hinge on the values (lookups by key), not
//! for ranges whose best plan depends on how wide they are.

use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::RunQueryDsl;
use diesel::result::{Error, QueryResult};
use diesel::sql_types::Untyped;

/// A statement with fixed text and the values bound to its placeholders.
#[must_use = "a statement does nothing until it is loaded or executed"]
pub struct Statement<B = ()> {
    sql: &'static str,
    binds: B,
}

/// A statement of fixed text; bind its placeholders' values with [`Statement::bind`].
pub fn statement(sql: &'static str) -> Statement {
    Statement { sql, binds: () }
}

impl<B: Binds> Statement<B> {
    /// Binds the next placeholder (`$1` first) to `value` as SQL type `ST`.
    pub fn bind<ST, V>(self, value: V) -> Statement<(B, V::Expression)>
    where
        V: AsExpression<ST>,
        ST: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType,
    {
        Statement {
            sql: self.sql,
            binds: (self.binds, value.as_expression()),
        }
    }
}

/// The values bound so far, last one outermost.
pub trait Binds {
    /// How many values are bound.
    const LEN: usize;
    /// Writes the `n`th value (1-based) as a bind parameter.
    fn walk_nth<'b>(&'b self, n: usize, out: AstPass<'_, 'b, Pg>) -> QueryResult<()>;
}

impl Binds for () {
    const LEN: usize = 0;
    fn walk_nth<'b>(&'b self, n: usize, _: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        Err(Error::QueryBuilderError(
            format!("placeholder ${n} has no bound value").into(),
        ))
    }
}

impl<B: Binds, E: QueryFragment<Pg>> Binds for (B, E) {
    const LEN: usize = B::LEN + 1;
    fn walk_nth<'b>(&'b self, n: usize, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        if n == Self::LEN {
            self.1.walk_ast(out)
        } else {
            self.0.walk_nth(n, out)
        }
    }
}

impl<B: Binds> QueryFragment<Pg> for Statement<B> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut rest = self.sql;
        while let Some(at) = rest.find('$') {
            let digits = rest[at + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            if digits == 0 {
                out.push_sql(&rest[..=at]);
                rest = &rest[at + 1..];
                continue;
            }
            out.push_sql(&rest[..at]);
            let n = rest[at + 1..at + 1 + digits]
                .parse()
                .map_err(|e| Error::QueryBuilderError(Box::new(e)))?;
            self.binds.walk_nth(n, out.reborrow())?;
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

/// No static id: diesel's cache keys the statement by its text (fixed, see the module docs).
impl<B> QueryId for Statement<B> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<B> Query for Statement<B> {
    type SqlType = Untyped;
}

impl<B, Conn> RunQueryDsl<Conn> for Statement<B> {}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::connection::{Instrumentation, InstrumentationEvent};
    use diesel::sql_types::{Integer, Text};
    use diesel::{Connection, PgConnection, QueryableByName};
    use std::sync::{Arc, Mutex};

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = Integer)]
        n: i32,
        #[diesel(sql_type = Text)]
        label: String,
    }

    fn sum(a: i32, b: i32) -> Statement<impl Binds> {
        statement("SELECT $1::int4 + $2::int4 AS n, $3::text || $1::int4::text AS label")
            .bind::<Integer, _>(a)
            .bind::<Integer, _>(b)
            .bind::<Text, _>("n=")
    }

    #[test]
    fn placeholders_are_renumbered_in_order_of_use() {
        let sql = diesel::debug_query::<Pg, _>(&sum(2, 3)).to_string();
        assert!(
            sql.starts_with("SELECT $1::int4 + $2::int4 AS n, $3::text || $4::int4::text"),
            "{sql}"
        );
        assert!(sql.contains("binds: [2, 3, \"n=\", 2]"), "{sql}");
    }

    #[derive(Default, Clone)]
    struct Seen(Arc<Mutex<(usize, usize)>>);

    impl Instrumentation for Seen {
        fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
            let mut seen = self.0.lock().expect("counts");
            match event {
                InstrumentationEvent::CacheQuery { .. } => seen.0 += 1,
                InstrumentationEvent::StartQuery { .. } => seen.1 += 1,
                _ => {}
            }
        }
    }

    #[test]
    fn is_prepared_once_per_connection_and_refuses_a_placeholder_without_a_value() {
        let url = format!("{}/postgres", crate::testing::pg_server());
        let mut conn = PgConnection::establish(&url).expect("test PostgreSQL");
        let seen = Seen::default();
        conn.set_instrumentation(seen.clone());
        for (a, b) in [(2, 3), (40, 2), (7, 7)] {
            let rows: Vec<Row> = sum(a, b).load(&mut conn).expect("sum");
            let label = format!("n={a}");
            assert_eq!(rows, [Row { n: a + b, label }]);
        }
        // Three runs, one preparation; `sql_query` would have prepared none for reuse.
        assert_eq!(*seen.0.lock().expect("counts"), (1, 3));
        let raw = diesel::sql_query("SELECT 1 AS n, 'x' AS label");
        let _: Vec<Row> = raw.load(&mut conn).expect("raw");
        assert_eq!(
            seen.0.lock().expect("counts").0,
            1,
            "sql_query is not cached"
        );
        let unbound = statement("SELECT $2::int4 AS n, '' AS label").bind::<Integer, _>(1);
        let err = unbound
            .load::<Row>(&mut conn)
            .expect_err("unbound $2")
            .to_string();
        assert!(err.contains("placeholder $2 has no bound value"), "{err}");
    }
}
