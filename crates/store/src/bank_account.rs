//! Bank accounts for payments (口座): one current account per person and
//! source; a change ends the current one and records the next.

use kokuho_domain::id::InsurerNumber;
use time::Date;

use crate::{Db, Result, Tx, with_db, with_tx};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountRow {
    pub account_id: i64,
    pub addressee_id: String,
    /// public_funds | application
    pub source: String,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: String,
    pub number: String,
    pub holder: String,
    pub holder_transfer: String,
    pub confirmed_on: Date,
    pub recorded_us: i64,
    pub recorded_by: String,
    pub ended_us: Option<i64>,
    pub ended_by: Option<String>,
}

const COLUMNS: &str = "account_id, addressee_id, source, bank_code, branch_code, account_type, number, holder, \
    holder_transfer, confirmed_on, recorded_us, recorded_by, ended_us, ended_by";

pub async fn next_id(tx: &mut Tx, insurer: &InsurerNumber) -> Result<i64> {
    crate::db::lock_ids(tx, 7_461_642).await?;
    Ok(with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT COALESCE(MAX(account_id), 0) + 1 FROM bank_account WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(c)
    .await?))
}

/// Ends the person's current account of a source; how many were ended.
pub async fn end_current(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    addressee_id: &str,
    source: &str,
    at_us: i64,
    by: &str,
) -> Result<u64> {
    Ok(with_tx!(tx, |c| sqlx::query(
        "UPDATE bank_account SET ended_us = $1, ended_by = $2 WHERE insurer_number = $3 \
         AND addressee_id = $4 AND source = $5 AND ended_us IS NULL"
    )
    .bind(at_us)
    .bind(by.to_string())
    .bind(insurer.as_str().to_string())
    .bind(addressee_id.to_string())
    .bind(source.to_string())
    .execute(c)
    .await?
    .rows_affected()))
}

pub async fn insert(tx: &mut Tx, insurer: &InsurerNumber, r: &AccountRow) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO bank_account (insurer_number, {COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        )))
        .bind(insurer.as_str().to_string())
        .bind(r.account_id)
        .bind(r.addressee_id.clone())
        .bind(r.source.clone())
        .bind(r.bank_code.clone())
        .bind(r.branch_code.clone())
        .bind(r.account_type.clone())
        .bind(r.number.clone())
        .bind(r.holder.clone())
        .bind(r.holder_transfer.clone())
        .bind(r.confirmed_on)
        .bind(r.recorded_us)
        .bind(r.recorded_by.clone())
        .bind(r.ended_us)
        .bind(r.ended_by.clone())
        .execute(c)
        .await
        .map(|_| ())?
    });
    Ok(())
}

/// Every account of a person, current ones first, then the latest.
pub async fn of_person(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
) -> Result<Vec<AccountRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM bank_account WHERE insurer_number = $1 AND addressee_id = $2 \
         ORDER BY (ended_us IS NULL) DESC, account_id DESC"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .fetch_all(p)
        .await?))
}
