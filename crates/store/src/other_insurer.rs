//! Months a person spent with another insurer, entered from that insurer's
//! 自己負担額証明書 for the annual outpatient cap. One live entry per
//! person, month and certifying insurer (`other_insurer_month_once`); a
//! mistaken entry is voided, never deleted.

use kokuho_domain::id::InsurerNumber;

use crate::{Db, Result, StoreError, Tx, with_db, with_tx};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OtherMonthRow {
    pub entry_id: i64,
    pub addressee_id: String,
    pub year: i64,
    pub month: String,
    pub other_insurer: String,
    pub certificate: String,
    pub category_70_74: Option<String>,
    pub outpatient: i64,
    pub outpatient_left: i64,
    pub recorded_us: i64,
    pub recorded_by: String,
    pub voided_us: Option<i64>,
    pub voided_by: Option<String>,
}

const COLUMNS: &str = "entry_id, addressee_id, year, month, other_insurer, certificate, category_70_74, \
    outpatient, outpatient_left, recorded_us, recorded_by, voided_us, voided_by";

/// Records the months of one certificate together; a month already entered
/// from the same insurer is refused as `Duplicate` (nothing is kept).
pub async fn insert(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    rows: &[OtherMonthRow],
) -> Result<Vec<i64>> {
    crate::db::lock_ids(tx, 7_461_639).await?;
    let mut next: i64 = with_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT COALESCE(MAX(entry_id), 0) + 1 FROM other_insurer_month WHERE insurer_number = $1",
        )
        .bind(insurer.as_str().to_string())
        .fetch_one(c)
        .await?
    });
    let mut ids = Vec::with_capacity(rows.len());
    let sql = format!(
        "INSERT INTO other_insurer_month (insurer_number, {COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    );
    for r in rows {
        let done = with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(insurer.as_str().to_string())
            .bind(next)
            .bind(r.addressee_id.clone())
            .bind(r.year)
            .bind(r.month.clone())
            .bind(r.other_insurer.clone())
            .bind(r.certificate.clone())
            .bind(r.category_70_74.clone())
            .bind(r.outpatient)
            .bind(r.outpatient_left)
            .bind(r.recorded_us)
            .bind(r.recorded_by.clone())
            .bind(r.voided_us)
            .bind(r.voided_by.clone())
            .execute(c)
            .await
            .map(|_| ()));
        match done {
            Err(sqlx::Error::Database(e))
                if e.is_unique_violation()
                    && (e.constraint() == Some("other_insurer_month_once")
                        || e.message().contains("other_insurer_month.month")) =>
            {
                return Err(StoreError::Duplicate {
                    what: "month already entered from the same insurer",
                });
            }
            other => other?,
        }
        ids.push(next);
        next += 1;
    }
    Ok(ids)
}

/// Voids a live entry; false when there is none with that id.
pub async fn void(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    entry_id: i64,
    at_us: i64,
    by: &str,
) -> Result<Option<OtherMonthRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM other_insurer_month WHERE insurer_number = $1 AND entry_id = $2 \
         AND voided_us IS NULL"
    );
    let row: Option<OtherMonthRow> = with_tx!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(entry_id)
        .fetch_optional(c)
        .await?);
    if row.is_some() {
        with_tx!(tx, |c| sqlx::query(
            "UPDATE other_insurer_month SET voided_us = $3, voided_by = $4 \
             WHERE insurer_number = $1 AND entry_id = $2 AND voided_us IS NULL"
        )
        .bind(insurer.as_str().to_string())
        .bind(entry_id)
        .bind(at_us)
        .bind(by.to_string())
        .execute(c)
        .await
        .map(|_| ())?);
    }
    Ok(row)
}

/// A person's entries (voided ones too), by year and month.
pub async fn of_person(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
) -> Result<Vec<OtherMonthRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM other_insurer_month WHERE insurer_number = $1 AND addressee_id = $2 \
         ORDER BY year, month, other_insurer, entry_id"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .fetch_all(p)
        .await?))
}

/// The live entries of a year as known at a time: recorded by then and not
/// voided by then.
pub async fn of_year_known_at(
    db: &Db,
    insurer: &InsurerNumber,
    year: i64,
    known_at_us: i64,
) -> Result<Vec<OtherMonthRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM other_insurer_month WHERE insurer_number = $1 AND year = $2 \
         AND recorded_us <= $3 AND (voided_us IS NULL OR voided_us > $3) \
         ORDER BY addressee_id, month, other_insurer"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(year)
        .bind(known_at_us)
        .fetch_all(p)
        .await?))
}

/// Whether a person's entries of a year were recorded or voided after a
/// time (a decision made before no longer holds).
pub async fn changed_since(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
    year: i64,
    since_us: i64,
) -> Result<bool> {
    let n: i64 = with_db!(db, |p| sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM other_insurer_month WHERE insurer_number = $1 \
         AND addressee_id = $2 AND year = $3 AND (recorded_us > $4 OR voided_us > $4)"
    )
    .bind(insurer.as_str().to_string())
    .bind(addressee_id.to_string())
    .bind(year)
    .bind(since_us)
    .fetch_one(p)
    .await?);
    Ok(n > 0)
}
