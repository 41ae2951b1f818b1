//! Fresh databases for tests: a new SQLite file by default, or a new database inside the
//! PostgreSQL server of `TEST_DATABASE_URL` when it is set. The same suites run on both.

use rand::Rng;

use crate::Db;

/// The PostgreSQL admin URL tests run against, when set.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

fn unique_name() -> String {
    format!(
        "ondo_test_{}_{:08x}",
        std::process::id(),
        rand::thread_rng().r#gen::<u32>()
    )
}

/// The URL of a brand-new, empty database (not yet migrated).
pub async fn fresh_url() -> String {
    match postgres_url() {
        Some(admin) => {
            let name = unique_name();
            let mut admin_conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                .await
                .expect("TEST_DATABASE_URL must point at a reachable PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin_conn)
                .await
                .expect("the test role may create databases");
            let mut url = url::Url::parse(&admin).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&format!("/{name}"));
            url.to_string()
        }
        None => {
            let dir = std::env::temp_dir().join("ondo-tests");
            std::fs::create_dir_all(&dir).expect("temp dir is writable");
            format!(
                "sqlite://{}",
                dir.join(format!("{}.db", unique_name())).display()
            )
        }
    }
}

/// A brand-new migrated database.
pub async fn fresh_db() -> Db {
    Db::connect(&fresh_url().await)
        .await
        .expect("a fresh test database opens and migrates")
}

/// Removes a SQLite database made by [`fresh_url`] with its WAL and shared-memory files,
/// at the end of a test: a suite of a few hundred tests otherwise leaves them all behind
/// in the temporary directory. PostgreSQL databases are left to the throwaway cluster:
/// `DROP DATABASE` checkpoints the whole cluster each time, which made the API suite on
/// PostgreSQL 2.5 times slower (233 s against 90 s).
pub fn remove(url: &str) {
    if let Some(path) = url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            // Files still open (a pool not yet closed) go when their last handle does.
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
}
