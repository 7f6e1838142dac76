//! The insurers (tenants) this database serves.

use kokuho_domain::id::InsurerNumber;
use time::OffsetDateTime;

use crate::{Db, Result, StoreError, with_db};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insurer {
    pub insurer_number: InsurerNumber,
    pub name: String,
    pub prefecture: String,
}

/// Registers an insurer, or renames it if it exists.
pub async fn upsert(db: &Db, insurer: &Insurer, now: OffsetDateTime) -> Result<()> {
    with_db!(db, |p| {
        sqlx::query(
        "INSERT INTO insurer (insurer_number, name, prefecture, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (insurer_number) DO UPDATE SET name = excluded.name, prefecture = excluded.prefecture"
    )
    .bind(insurer.insurer_number.as_str().to_string())
    .bind(insurer.name.clone())
    .bind(insurer.prefecture.clone())
    .bind(now)
    .execute(p)
    .await
    .map(|_| ())?
    });
    Ok(())
}

fn from_row(row: (String, String, String)) -> Result<Insurer> {
    Ok(Insurer {
        insurer_number: InsurerNumber::parse(&row.0)
            .map_err(|e| StoreError::corrupt("insurer", "insurer_number", e))?,
        name: row.1,
        prefecture: row.2,
    })
}

pub async fn get(db: &Db, insurer_number: &InsurerNumber) -> Result<Option<Insurer>> {
    let row: Option<(String, String, String)> = with_db!(db, |p| sqlx::query_as(
        "SELECT insurer_number, name, prefecture FROM insurer WHERE insurer_number = $1"
    )
    .bind(insurer_number.as_str().to_string())
    .fetch_optional(p)
    .await?);
    row.map(from_row).transpose()
}

pub async fn list(db: &Db) -> Result<Vec<Insurer>> {
    let rows: Vec<(String, String, String)> = with_db!(db, |p| sqlx::query_as(
        "SELECT insurer_number, name, prefecture FROM insurer ORDER BY insurer_number"
    )
    .fetch_all(p)
    .await?);
    rows.into_iter().map(from_row).collect()
}
