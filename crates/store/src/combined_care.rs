//! Certificates other insurers issue for 高額介護合算療養費: the care
//! insurer's (what 高額介護サービス費 left of a person's care copays) and
//! another medical insurer's (a person's months with it). One live entry
//! per person, year, side and issuer (`combined_care_certificate_once`); a
//! mistaken entry is voided, never deleted.

use kokuho_domain::id::InsurerNumber;

use crate::{Db, Result, StoreError, Tx, with_db, with_tx};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CertificateRow {
    pub entry_id: i64,
    pub addressee_id: String,
    pub year: i64,
    /// care | medical
    pub side: String,
    pub issuer: String,
    pub certificate: String,
    pub from_month: String,
    pub to_month: String,
    pub amount: i64,
    pub amount_70_74: i64,
    pub recorded_us: i64,
    pub recorded_by: String,
    pub voided_us: Option<i64>,
    pub voided_by: Option<String>,
}

const COLUMNS: &str = "entry_id, addressee_id, year, side, issuer, certificate, from_month, to_month, \
    amount, amount_70_74, recorded_us, recorded_by, voided_us, voided_by";

/// Records a certificate; one already entered for the person, year, side
/// and issuer is refused as `Duplicate` (nothing is kept).
pub async fn insert(tx: &mut Tx, insurer: &InsurerNumber, r: &CertificateRow) -> Result<i64> {
    crate::db::lock_ids(tx, 7_461_647).await?;
    let next: i64 = with_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT COALESCE(MAX(entry_id), 0) + 1 FROM combined_care_certificate WHERE insurer_number = $1",
        )
        .bind(insurer.as_str().to_string())
        .fetch_one(c)
        .await?
    });
    let sql = format!(
        "INSERT INTO combined_care_certificate (insurer_number, {COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    let done = with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(next)
        .bind(r.addressee_id.clone())
        .bind(r.year)
        .bind(r.side.clone())
        .bind(r.issuer.clone())
        .bind(r.certificate.clone())
        .bind(r.from_month.clone())
        .bind(r.to_month.clone())
        .bind(r.amount)
        .bind(r.amount_70_74)
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
                && (e.constraint() == Some("combined_care_certificate_once")
                    || e.message().contains("combined_care_certificate.")) =>
        {
            Err(StoreError::Duplicate {
                what: "certificate already entered for the person, year and issuer",
            })
        }
        other => {
            other?;
            Ok(next)
        }
    }
}

/// Voids a live entry; `None` when there is none with that id.
pub async fn void(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    entry_id: i64,
    at_us: i64,
    by: &str,
) -> Result<Option<CertificateRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM combined_care_certificate WHERE insurer_number = $1 AND entry_id = $2 \
         AND voided_us IS NULL"
    );
    let row: Option<CertificateRow> = with_tx!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(entry_id)
        .fetch_optional(c)
        .await?);
    if row.is_some() {
        with_tx!(tx, |c| sqlx::query(
            "UPDATE combined_care_certificate SET voided_us = $3, voided_by = $4 \
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

/// The certificates of a year for some persons (voided ones too), by
/// person, side and issuer.
pub async fn of_persons(
    db: &Db,
    insurer: &InsurerNumber,
    year: i64,
    persons: &[String],
) -> Result<Vec<CertificateRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM combined_care_certificate WHERE insurer_number = $1 AND year = $2 \
         AND addressee_id = $3 ORDER BY side, issuer, entry_id"
    );
    // a household's few members, each by the index
    let mut out = Vec::new();
    let mut persons: Vec<&String> = persons.iter().collect();
    persons.sort();
    persons.dedup();
    for person in persons {
        let rows: Vec<CertificateRow> =
            with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(insurer.as_str().to_string())
                .bind(year)
                .bind(person.clone())
                .fetch_all(p)
                .await?);
        out.extend(rows);
    }
    Ok(out)
}

/// What was applied for a household's year, by the household and the base
/// date (as a recovery finds what was paid): (decided to pay, awaiting
/// decision).
pub async fn applied(
    db: &Db,
    insurer: &InsurerNumber,
    household_number: &str,
    base_date: time::Date,
) -> Result<(i64, i64)> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN decision = 'pay' THEN amount ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN decision IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM benefit_application \
             WHERE insurer_number = $1 AND kind = 'combined_care' AND household_number = $2 \
             AND event_on = $3",
        )
        .bind(insurer.as_str().to_string())
        .bind(household_number.to_string())
        .bind(base_date)
        .fetch_one(p)
        .await?
    }))
}

/// The persons with a membership of an NHI household on a day, as known at
/// a time.
pub async fn members_on(
    db: &Db,
    insurer: &InsurerNumber,
    household_number: &str,
    day: time::Date,
    known_at_us: i64,
) -> Result<Vec<String>> {
    Ok(with_db!(db, |p| sqlx::query_scalar(
        "SELECT DISTINCT addressee_id FROM membership_version WHERE insurer_number = $1 \
         AND household_number = $2 AND valid_from <= $4 AND (valid_to IS NULL OR valid_to > $4) \
         AND recorded_us <= $3 AND (superseded_us IS NULL OR superseded_us > $3) AND NOT voided \
         ORDER BY addressee_id"
    )
    .bind(insurer.as_str().to_string())
    .bind(household_number.to_string())
    .bind(known_at_us)
    .bind(day)
    .fetch_all(p)
    .await?))
}
