//! Test support: a fresh, isolated database on every backend.
//!
//! SQLite: a new file in a temporary folder. PostgreSQL: a new schema in the
//! database named by `KOKUHO_PG_URL`. When that variable is unset the
//! PostgreSQL run is skipped with a note, unless `KOKUHO_REQUIRE_PG=1` (set by
//! the test script and CI), in which case the test fails: a missing server
//! must never pass silently.

#![allow(clippy::panic, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};

use crate::Db;

/// A database for one test; the SQLite folder lives as long as this does.
pub struct TestDb {
    pub db: Db,
    /// "sqlite" or "postgres", for assertion messages.
    pub name: &'static str,
    /// For SQLite, the database file (to scan it, for instance).
    pub sqlite_path: Option<std::path::PathBuf>,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn pg_url() -> Option<String> {
    match std::env::var("KOKUHO_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("KOKUHO_REQUIRE_PG").is_ok_and(|v| v == "1") {
                panic!(
                    "KOKUHO_REQUIRE_PG=1 but KOKUHO_PG_URL is not set: the PostgreSQL tests must run"
                );
            }
            eprintln!("note: KOKUHO_PG_URL not set; PostgreSQL half of the test skipped");
            None
        }
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("test.db");
    let url = format!("sqlite://{}", path.display());
    let db = crate::connect(&url)
        .await
        .expect("sqlite opens and migrates");
    TestDb {
        db,
        name: "sqlite",
        sqlite_path: Some(path),
        url,
        _dir: Some(dir),
    }
}

pub async fn postgres(url: &str) -> TestDb {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let schema = format!("t_{}_{}_{}", std::process::id(), n, nanos);
    let db = Db::open_pg_schema(url, &schema)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at KOKUHO_PG_URL does not answer: {e}"));
    db.migrate().await.expect("postgres migrates");
    let sep = if url.contains('?') { '&' } else { '?' };
    TestDb {
        db,
        name: "postgres",
        sqlite_path: None,
        url: format!("{url}{sep}options=-c%20search_path%3D{schema}"),
        _dir: None,
    }
}

/// Every backend this run can reach: SQLite always, PostgreSQL when configured.
pub async fn all_backends() -> Vec<TestDb> {
    let mut out = vec![sqlite().await];
    if let Some(url) = pg_url() {
        out.push(postgres(&url).await);
    }
    out
}
