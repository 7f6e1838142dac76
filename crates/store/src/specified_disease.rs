//! 特定疾病の認定: who is certified for which disease, from when, with
//! which monthly limit. One certification in force per person and disease
//! (`specified_disease_once`).

use kokuho_domain::id::InsurerNumber;
use time::Date;

use crate::{Db, Result, StoreError, Tx, with_db, with_tx};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CertificationRow {
    pub certification_id: i64,
    pub addressee_id: String,
    pub disease: String,
    pub certified_on: Date,
    pub valid_from: Date,
    pub limit_yen: i64,
    pub recorded_us: i64,
    pub recorded_by: String,
    pub ended_on: Option<Date>,
}

const COLUMNS: &str = "certification_id, addressee_id, disease, certified_on, valid_from, limit_yen, \
    recorded_us, recorded_by, ended_on";

/// Records a certification; a second one in force for the same person and
/// disease is refused as `Duplicate`.
pub async fn insert(tx: &mut Tx, insurer: &InsurerNumber, r: &CertificationRow) -> Result<i64> {
    if let Tx::Pg(t) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(7461638)")
            .execute(&mut **t)
            .await?;
    }
    let id: i64 = with_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT COALESCE(MAX(certification_id), 0) + 1 FROM specified_disease WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(c)
    .await?
    });
    let sql = format!(
        "INSERT INTO specified_disease (insurer_number, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    );
    let done = with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(id)
        .bind(r.addressee_id.clone())
        .bind(r.disease.clone())
        .bind(r.certified_on)
        .bind(r.valid_from)
        .bind(r.limit_yen)
        .bind(r.recorded_us)
        .bind(r.recorded_by.clone())
        .bind(r.ended_on)
        .execute(c)
        .await
        .map(|_| ()));
    match done {
        Err(sqlx::Error::Database(e))
            if e.is_unique_violation()
                && (e.constraint() == Some("specified_disease_once")
                    || e.message().contains("disease")) =>
        {
            Err(StoreError::Duplicate {
                what: "certification in force for the same disease",
            })
        }
        other => {
            other?;
            Ok(id)
        }
    }
}

/// A person's certifications, the newest first.
pub async fn of_person(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
) -> Result<Vec<CertificationRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM specified_disease WHERE insurer_number = $1 AND addressee_id = $2 \
         ORDER BY certification_id DESC"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .fetch_all(p)
        .await?))
}
