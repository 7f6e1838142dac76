//! Introspection of the applied schema, used to keep the two backends'
//! migrations in step.

use crate::{Db, Result, with_db};

/// The versions of the migrations this build carries for `backend`.
pub fn migration_versions(db: &Db) -> Vec<(i64, String)> {
    let migrator = match db {
        Db::Sqlite(_) => sqlx::migrate!("./migrations/sqlite"),
        Db::Pg(_) => sqlx::migrate!("./migrations/postgres"),
    };
    migrator
        .iter()
        .map(|m| (m.version, m.description.to_string()))
        .collect()
}

/// Every (table, column) of the application schema, sorted; sqlx's own
/// bookkeeping table is left out.
pub async fn columns(db: &Db) -> Result<Vec<(String, String)>> {
    let mut rows: Vec<(String, String)> = match db {
        Db::Sqlite(p) => {
            sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
            )
            .fetch_all(p)
            .await?
        }
        Db::Pg(p) => {
            sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
            )
            .fetch_all(p)
            .await?
        }
    };
    rows.sort();
    Ok(rows)
}

/// The versions recorded as applied in the database.
pub async fn applied_versions(db: &Db) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = with_db!(db, |p| sqlx::query_as(
        "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version"
    )
    .fetch_all(p)
    .await?);
    Ok(rows.into_iter().map(|r| r.0).collect())
}
