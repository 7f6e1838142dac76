//! Burden categories per NHI household and month, every version kept.

use std::collections::HashMap;

use kokuho_domain::id::InsurerNumber;

use crate::{Db, Result, Tx, with_db, with_tx};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct BurdenRow {
    pub household_number: String,
    /// YYYY-MM
    pub month: String,
    pub version_no: i32,
    pub income_year: i32,
    pub category_under_70: Option<String>,
    pub category_70_74: Option<String>,
    pub copay_rates: String,
    pub reasons: String,
    pub change_reason: String,
    pub recorded_us: i64,
    pub recorded_by: String,
    pub superseded_us: Option<i64>,
}

impl BurdenRow {
    /// What was decided, without when and why it was recorded.
    pub fn outcome(&self) -> (i32, &Option<String>, &Option<String>, &str) {
        (
            self.income_year,
            &self.category_under_70,
            &self.category_70_74,
            &self.copay_rates,
        )
    }
}

const COLUMNS: &str = "household_number, month, version_no, income_year, category_under_70, category_70_74, \
    copay_rates, reasons, change_reason, recorded_us, recorded_by, superseded_us";

/// The current version of every household's burden for a month.
pub async fn current_for_month(
    db: &Db,
    insurer: &InsurerNumber,
    month: &str,
) -> Result<HashMap<String, BurdenRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM burden_version WHERE insurer_number = $1 AND month = $2 AND superseded_us IS NULL"
    );
    let rows: Vec<BurdenRow> = with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(month.to_string())
        .fetch_all(p)
        .await?);
    Ok(rows
        .into_iter()
        .map(|r| (r.household_number.clone(), r))
        .collect())
}

/// Closes the current version (if any) and records `next` as the new one.
pub async fn replace(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    current: Option<&BurdenRow>,
    next: &BurdenRow,
) -> Result<()> {
    if let Some(c) = current {
        with_tx!(tx, |t| sqlx::query(
            "UPDATE burden_version SET superseded_us = $5 WHERE insurer_number = $1 \
             AND household_number = $2 AND month = $3 AND version_no = $4 AND superseded_us IS NULL"
        )
        .bind(insurer.as_str().to_string())
        .bind(c.household_number.clone())
        .bind(c.month.clone())
        .bind(c.version_no)
        .bind(next.recorded_us)
        .execute(t)
        .await
        .map(|_| ())?);
    }
    let sql = format!(
        "INSERT INTO burden_version (insurer_number, {COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL)"
    );
    with_tx!(tx, |t| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(next.household_number.clone())
        .bind(next.month.clone())
        .bind(next.version_no)
        .bind(next.income_year)
        .bind(next.category_under_70.clone())
        .bind(next.category_70_74.clone())
        .bind(next.copay_rates.clone())
        .bind(next.reasons.clone())
        .bind(next.change_reason.clone())
        .bind(next.recorded_us)
        .bind(next.recorded_by.clone())
        .execute(t)
        .await
        .map(|_| ())?);
    Ok(())
}

/// Every version for a household, by month then version.
pub async fn history(db: &Db, insurer: &InsurerNumber, household: &str) -> Result<Vec<BurdenRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM burden_version WHERE insurer_number = $1 AND household_number = $2 \
         ORDER BY month, version_no"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(household.to_string())
        .fetch_all(p)
        .await?))
}

/// The householders of every household on a date, as known at `known_at_us`.
pub async fn householders_on(
    db: &Db,
    insurer: &InsurerNumber,
    on: time::Date,
    known_at_us: i64,
) -> Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> = with_db!(db, |p| sqlx::query_as(
        "SELECT household_number, householder_addressee_id FROM householder_history \
         WHERE insurer_number = $1 AND valid_from <= $2 AND recorded_us <= $3 \
         ORDER BY household_number, valid_from, recorded_us"
    )
    .bind(insurer.as_str().to_string())
    .bind(on)
    .bind(known_at_us)
    .fetch_all(p)
    .await?);
    // The last row of each household is the one in force, as last recorded.
    Ok(rows.into_iter().collect())
}

/// The current version of one household's burden for a month.
pub async fn current(
    db: &Db,
    insurer: &InsurerNumber,
    household: &str,
    month: &str,
) -> Result<Option<BurdenRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM burden_version WHERE insurer_number = $1 AND household_number = $2 \
         AND month = $3 AND superseded_us IS NULL"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(household.to_string())
        .bind(month.to_string())
        .fetch_optional(p)
        .await?))
}

/// Whether any household has been judged for the month (the partial index
/// on current versions answers without reading the month's rows).
pub async fn month_judged(db: &Db, insurer: &InsurerNumber, month: &str) -> Result<bool> {
    let hit: Option<i32> = with_db!(db, |p| sqlx::query_scalar(
        "SELECT 1 FROM burden_version WHERE insurer_number = $1 AND month = $2 \
         AND superseded_us IS NULL LIMIT 1"
    )
    .bind(insurer.as_str().to_string())
    .bind(month.to_string())
    .fetch_optional(p)
    .await?);
    Ok(hit.is_some())
}

/// Records a 基準収入額適用 application; the same month twice is one.
pub async fn record_application(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    household: &str,
    from_month: &str,
    at_us: i64,
    by: &str,
) -> Result<bool> {
    let n = with_tx!(tx, |t| {
        sqlx::query(
        "INSERT INTO standard_income_application (insurer_number, household_number, from_month, recorded_us, recorded_by) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
    )
    .bind(insurer.as_str().to_string())
    .bind(household.to_string())
    .bind(from_month.to_string())
    .bind(at_us)
    .bind(by.to_string())
    .execute(t)
    .await?
    .rows_affected()
    });
    Ok(n > 0)
}

/// The first month of one household's application, if any.
pub async fn application_of(
    db: &Db,
    insurer: &InsurerNumber,
    household: &str,
) -> Result<Option<String>> {
    let first: Option<String> = with_db!(db, |p| sqlx::query_scalar(
        "SELECT MIN(from_month) FROM standard_income_application \
         WHERE insurer_number = $1 AND household_number = $2"
    )
    .bind(insurer.as_str().to_string())
    .bind(household.to_string())
    .fetch_one(p)
    .await?);
    Ok(first)
}

/// The first month of each household's application, if any.
pub async fn applications(db: &Db, insurer: &InsurerNumber) -> Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> = with_db!(db, |p| sqlx::query_as(
        "SELECT household_number, MIN(from_month) FROM standard_income_application \
         WHERE insurer_number = $1 GROUP BY household_number"
    )
    .bind(insurer.as_str().to_string())
    .fetch_all(p)
    .await?);
    Ok(rows.into_iter().collect())
}

/// One recorded 基準収入額適用 application.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ApplicationRecord {
    /// YYYY-MM: the first month it applies to
    pub from_month: String,
    pub recorded_us: i64,
    pub recorded_by: String,
}

/// Every application recorded for a household, oldest month first.
pub async fn application_records(
    db: &Db,
    insurer: &InsurerNumber,
    household: &str,
) -> Result<Vec<ApplicationRecord>> {
    Ok(with_db!(db, |p| sqlx::query_as(
        "SELECT from_month, recorded_us, recorded_by FROM standard_income_application \
         WHERE insurer_number = $1 AND household_number = $2 ORDER BY from_month"
    )
    .bind(insurer.as_str().to_string())
    .bind(household.to_string())
    .fetch_all(p)
    .await?))
}

/// A 特定同一世帯所属者 candidate: someone whose last NHI period ended on
/// moving to 後期高齢者医療, and who is still registered in the household
/// they left NHI from (the membership that ended then).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct FormerInsured {
    pub household_number: String,
    pub addressee_id: String,
    pub lost_on: time::Date,
    pub removed_on: Option<time::Date>,
}

impl FormerInsured {
    /// Whether the person counts as 特定同一世帯所属者 on `on`.
    pub fn counts_on(&self, on: time::Date) -> bool {
        self.lost_on <= on && self.removed_on.is_none_or(|r| r > on)
    }
}

// `COALESCE(l.superseded_us, -1) = -1` is `l.superseded_us IS NULL` written so
// that SQLite cannot take the partial index of current versions for the
// inner query: with it, SQLite scanned every later acquisition of the
// insurer for each loss (minutes on a city); by person it is a few rows.
const FORMER_SQL: &str = "SELECT a.household_number, a.addressee_id, e.lost_on, a.removed_on \
     FROM eligibility_version e \
     JOIN addressee a ON a.insurer_number = e.insurer_number AND a.addressee_id = e.addressee_id \
     WHERE e.insurer_number = $1 AND e.superseded_us IS NULL AND NOT e.voided \
       AND e.loss_reason = 'late_elderly' \
       AND EXISTS (SELECT 1 FROM membership_version m WHERE m.insurer_number = e.insurer_number \
           AND m.addressee_id = e.addressee_id AND m.superseded_us IS NULL AND NOT m.voided \
           AND m.valid_to = e.lost_on AND m.household_number = a.household_number) \
       AND NOT EXISTS (SELECT 1 FROM eligibility_version l WHERE l.insurer_number = e.insurer_number \
           AND l.addressee_id = e.addressee_id AND COALESCE(l.superseded_us, -1) = -1 AND NOT l.voided \
           AND l.acquired_on > e.lost_on)";

/// Every 特定同一世帯所属者 candidate of the insurer, by household (the
/// dates are checked per month with `counts_on`).
pub async fn former_insured(
    db: &Db,
    insurer: &InsurerNumber,
) -> Result<HashMap<String, Vec<FormerInsured>>> {
    let rows: Vec<FormerInsured> = with_db!(db, |p| sqlx::query_as(FORMER_SQL)
        .bind(insurer.as_str().to_string())
        .fetch_all(p)
        .await?);
    let mut out: HashMap<String, Vec<FormerInsured>> = HashMap::new();
    for r in rows {
        out.entry(r.household_number.clone()).or_default().push(r);
    }
    Ok(out)
}

/// The 特定同一世帯所属者 candidates of one household.
pub async fn former_insured_of(
    db: &Db,
    insurer: &InsurerNumber,
    household: &str,
) -> Result<Vec<FormerInsured>> {
    let sql = format!("{FORMER_SQL} AND a.household_number = $2");
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(household.to_string())
        .fetch_all(p)
        .await?))
}
