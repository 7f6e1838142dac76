//! 支給額計算結果連絡票 received from the insurer that computed a person's
//! year (外来年間合算 or 高額介護合算): the share this insurer is to pay for
//! the months the person spent here. One live notice per person, kind and
//! year (`share_notice_once`); a wrong one is voided, never deleted.

use kokuho_domain::id::InsurerNumber;
use time::Date;

use crate::{Db, Result, StoreError, Tx, with_db, with_tx};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct NoticeRow {
    pub notice_id: i64,
    pub addressee_id: String,
    /// annual_outpatient | combined_care
    pub kind: String,
    pub year: i64,
    pub issuer: String,
    pub reference: String,
    pub notified_on: Date,
    pub base_date: Date,
    pub amount: i64,
    pub recorded_us: i64,
    pub recorded_by: String,
    pub voided_us: Option<i64>,
    pub voided_by: Option<String>,
}

const COLUMNS: &str = "notice_id, addressee_id, kind, year, issuer, reference, notified_on, \
    base_date, amount, recorded_us, recorded_by, voided_us, voided_by";

/// Records a notice; a live one for the same person, kind and year is
/// refused as `Duplicate` (nothing is kept).
pub async fn insert(tx: &mut Tx, insurer: &InsurerNumber, r: &NoticeRow) -> Result<i64> {
    crate::db::lock_ids(tx, 7_461_648).await?;
    let next: i64 = with_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT COALESCE(MAX(notice_id), 0) + 1 FROM share_notice WHERE insurer_number = $1",
        )
        .bind(insurer.as_str().to_string())
        .fetch_one(c)
        .await?
    });
    let sql = format!(
        "INSERT INTO share_notice (insurer_number, {COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    );
    let done = with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(next)
        .bind(r.addressee_id.clone())
        .bind(r.kind.clone())
        .bind(r.year)
        .bind(r.issuer.clone())
        .bind(r.reference.clone())
        .bind(r.notified_on)
        .bind(r.base_date)
        .bind(r.amount)
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
                && (e.constraint() == Some("share_notice_once")
                    || e.message().contains("share_notice.")) =>
        {
            Err(StoreError::Duplicate {
                what: "a notice is already entered for the person, kind and year",
            })
        }
        other => {
            other?;
            Ok(next)
        }
    }
}

/// Voids a live notice; `None` when there is none with that id.
pub async fn void(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    notice_id: i64,
    at_us: i64,
    by: &str,
) -> Result<Option<NoticeRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM share_notice WHERE insurer_number = $1 AND notice_id = $2 \
         AND voided_us IS NULL"
    );
    let row: Option<NoticeRow> = with_tx!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(notice_id)
        .fetch_optional(c)
        .await?);
    if row.is_some() {
        with_tx!(tx, |c| sqlx::query(
            "UPDATE share_notice SET voided_us = $3, voided_by = $4 \
             WHERE insurer_number = $1 AND notice_id = $2 AND voided_us IS NULL"
        )
        .bind(insurer.as_str().to_string())
        .bind(notice_id)
        .bind(at_us)
        .bind(by.to_string())
        .execute(c)
        .await
        .map(|_| ())?);
    }
    Ok(row)
}

/// The live notice of a person's year of one kind.
pub async fn live(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
    kind: &str,
    year: i64,
) -> Result<Option<NoticeRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM share_notice WHERE insurer_number = $1 AND addressee_id = $2 \
         AND kind = $3 AND year = $4 AND voided_us IS NULL"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .bind(kind.to_string())
        .bind(year)
        .fetch_optional(p)
        .await?))
}

/// A person's notices, voided ones too, the latest first.
pub async fn of_person(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
) -> Result<Vec<NoticeRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM share_notice WHERE insurer_number = $1 AND addressee_id = $2 \
         ORDER BY year DESC, kind, notice_id DESC"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .fetch_all(p)
        .await?))
}

/// The start of the event key of every application on a person's year's
/// notices of one kind.
pub fn key_prefix(kind: &str, addressee_id: &str, year: i64) -> String {
    format!("{kind}_share:{addressee_id}:{year}:")
}

/// What was applied for a person's year of one kind on notices (the
/// applications keyed `{kind}_share:{person}:{year}:…`): (decided to pay,
/// awaiting decision).
pub async fn applied(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
    kind: &str,
    year: i64,
) -> Result<(i64, i64)> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN decision = 'pay' THEN amount ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN decision IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM benefit_application \
                          WHERE insurer_number = $1 AND kind = $2 AND addressee_id = $3 \
             AND substr(event_key, 1, CAST($5 AS INTEGER)) = $4",
        )
        .bind(insurer.as_str().to_string())
        .bind(kind.to_string())
        .bind(addressee_id.to_string())
        .bind(key_prefix(kind, addressee_id, year))
        .bind(i64::try_from(key_prefix(kind, addressee_id, year).chars().count()).unwrap_or(0))
        .fetch_one(p)
        .await?
    }))
}
