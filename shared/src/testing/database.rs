//! Databases of tests: each test gets its own, cloned from a migrated template (one template per
//! set of migrations, built once under an advisory lock and shared by every test process).

use diesel::migration::MigrationSource;
use diesel::{Connection, PgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use uuid::Uuid;

/// Server part of the test PostgreSQL URL (`KUAIDI_TEST_PG`, default the local trust setup).
pub fn pg_server() -> String {
    std::env::var("KUAIDI_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// The test broker (`KUAIDI_TEST_AMQP`, default local guest).
pub fn amqp_server() -> String {
    std::env::var("KUAIDI_TEST_AMQP")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Creates an empty database `kt_<label>_<random>` and returns its URL. `make test` drops
/// leftovers of earlier runs.
pub fn fresh_database(label: &str) -> String {
    let name = format!("kt_{label}_{}", &Uuid::new_v4().simple().to_string()[..12]);
    let server = pg_server();
    let mut admin = PgConnection::establish(&format!("{server}/postgres"))
        .unwrap_or_else(|e| panic!("test PostgreSQL at {server} unreachable: {e}"));
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    without_commit_flush(&mut admin, &name);
    format!("{server}/{name}")
}

/// A test database commits without waiting for its WAL to reach the disk. A machine running
/// the suite holds hundreds of databases, and a checkpoint fsyncs tens of thousands of their
/// files: with synchronous commits every test's writes stalled behind it for seconds (pools
/// timing out, 503s). What other sessions see is unchanged; only a crash of PostgreSQL itself
/// could lose the last commits, and no test crashes it.
fn without_commit_flush(admin: &mut PgConnection, name: &str) {
    diesel::sql_query(format!(
        "ALTER DATABASE \"{name}\" SET synchronous_commit = off"
    ))
    .execute(admin)
    .unwrap_or_else(|e| panic!("ALTER DATABASE {name}: {e}"));
}

/// A fresh database cloned from a template that has the shared migrations and `migrations`
/// applied: a `CREATE DATABASE … TEMPLATE` instead of running every migration per test.
pub fn migrated_database(label: &str, migrations: EmbeddedMigrations) -> String {
    let template = ensure_template(label, migrations);
    let name = format!("kt_{label}_{}", &Uuid::new_v4().simple().to_string()[..12]);
    let server = pg_server();
    let mut admin = admin_connection();
    // Cloning fails while another session is connected to the template (only while it is being
    // built); retry for a while.
    let mut last = None;
    for _ in 0..100 {
        match diesel::sql_query(format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        ))
        .execute(&mut admin)
        {
            Ok(_) => {
                without_commit_flush(&mut admin, &name);
                return format!("{server}/{name}");
            }
            Err(e) => {
                last = Some(e);
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
    }
    panic!("CREATE DATABASE {name} TEMPLATE {template}: {last:?}")
}

fn admin_connection() -> PgConnection {
    let server = pg_server();
    PgConnection::establish(&format!("{server}/postgres"))
        .unwrap_or_else(|e| panic!("test PostgreSQL at {server} unreachable: {e}"))
}

/// The template for `label` and this exact set of migrations, built once: its name carries a
/// hash of the migration names, so a new migration gets a new template.
fn ensure_template(label: &str, migrations: EmbeddedMigrations) -> String {
    let mut names: Vec<String> = [&crate::db::SHARED_MIGRATIONS, &migrations]
        .into_iter()
        .flat_map(|set| {
            MigrationSource::<diesel::pg::Pg>::migrations(set)
                .unwrap_or_else(|e| panic!("migrations of {label}: {e}"))
                .into_iter()
                .map(|m| m.name().to_string())
        })
        .collect();
    names.sort();
    let hash = names.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, n| {
        n.bytes().fold(h, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    });
    let template = format!("kt_tpl_{label}_{hash:016x}");
    let mut admin = admin_connection();
    let lock = i64::from_ne_bytes(hash.to_ne_bytes());
    diesel::sql_query(format!("SELECT pg_advisory_lock({lock})"))
        .execute(&mut admin)
        .unwrap_or_else(|e| panic!("template lock: {e}"));
    #[derive(diesel::QueryableByName)]
    struct Ready {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        ready: bool,
    }
    let ready = diesel::sql_query(
        "SELECT COALESCE((SELECT datistemplate FROM pg_database WHERE datname = $1), false) AS ready",
    )
    .bind::<diesel::sql_types::Text, _>(&template)
    .get_result::<Ready>(&mut admin)
    .map(|r| r.ready)
    .unwrap_or(false);
    if !ready {
        // A half-built template from a crashed run is rebuilt.
        let _ = diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS \"{template}\" WITH (FORCE)"
        ))
        .execute(&mut admin);
        diesel::sql_query(format!("CREATE DATABASE \"{template}\""))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("CREATE DATABASE {template}: {e}"));
        {
            let url = format!("{}/{template}", pg_server());
            let mut conn = PgConnection::establish(&url)
                .unwrap_or_else(|e| panic!("connecting to {template}: {e}"));
            for set in [crate::db::SHARED_MIGRATIONS, migrations] {
                conn.run_pending_migrations(set)
                    .unwrap_or_else(|e| panic!("migrating {template}: {e}"));
            }
        }
        diesel::sql_query(format!("ALTER DATABASE \"{template}\" IS_TEMPLATE true"))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("marking {template} a template: {e}"));
    }
    let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({lock})")).execute(&mut admin);
    template
}
