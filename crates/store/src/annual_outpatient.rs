//! The annual outpatient cap (外来年間合算): what each monthly high-cost run
//! left persons aged 70–74 to bear for outpatient care, the yearly runs, and
//! each person's decision of a year (versioned).

use std::collections::HashMap;

use kokuho_domain::id::InsurerNumber;
use sqlx::QueryBuilder;

use crate::{Db, Result, Tx, with_db, with_tx};

/// Rows per multi-row INSERT (16 columns × 500 stays under every limit).
const BATCH_ROWS: usize = 500;

/// A member's outpatient month as a monthly run left it.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct OutpatientMonthRow {
    pub run_id: i64,
    pub service_month: String,
    pub addressee_id: String,
    pub household_number: String,
    pub category_70_74: Option<String>,
    pub outpatient: i64,
    pub outpatient_left: i64,
}

const MONTH_COLUMNS: &str = "run_id, service_month, addressee_id, household_number, category_70_74, outpatient, \
    outpatient_left";

pub async fn insert_months(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    rows: &[OutpatientMonthRow],
) -> Result<()> {
    for chunk in rows.chunks(BATCH_ROWS) {
        with_tx!(tx, |c| {
            let mut q = QueryBuilder::new(format!(
                "INSERT INTO outpatient_month (insurer_number, {MONTH_COLUMNS}) "
            ));
            q.push_values(chunk, |mut b, r| {
                b.push_bind(insurer.as_str().to_string())
                    .push_bind(r.run_id)
                    .push_bind(r.service_month.clone())
                    .push_bind(r.addressee_id.clone())
                    .push_bind(r.household_number.clone())
                    .push_bind(r.category_70_74.clone())
                    .push_bind(r.outpatient)
                    .push_bind(r.outpatient_left);
            });
            q.build().execute(c).await?;
        });
    }
    Ok(())
}

/// The outpatient months of the given monthly runs.
pub async fn months_of_runs(
    db: &Db,
    insurer: &InsurerNumber,
    run_ids: &[i64],
) -> Result<Vec<OutpatientMonthRow>> {
    let mut out = Vec::new();
    for chunk in run_ids.chunks(BATCH_ROWS) {
        let rows: Vec<OutpatientMonthRow> = with_db!(db, |p| {
            let mut q = QueryBuilder::new(format!(
                "SELECT {MONTH_COLUMNS} FROM outpatient_month WHERE insurer_number = "
            ));
            q.push_bind(insurer.as_str().to_string())
                .push(" AND run_id IN (");
            let mut list = q.separated(", ");
            for r in chunk {
                list.push_bind(*r);
            }
            q.push(") ORDER BY addressee_id, service_month");
            q.build_query_as().fetch_all(p).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct AnnualRunRow {
    pub run_id: i64,
    pub year: i64,
    pub known_at_us: i64,
    pub persons: i64,
    pub with_benefit: i64,
    pub booked: i64,
    pub benefit: i64,
    pub months: String,
    pub rules_source: String,
    pub ran_us: i64,
    pub ran_by: String,
}

const RUN_COLUMNS: &str = "run_id, year, known_at_us, persons, with_benefit, booked, benefit, months, rules_source, ran_us, ran_by";

#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct AnnualDecisionRow {
    pub addressee_id: String,
    pub year: i64,
    pub version_no: i64,
    pub run_id: i64,
    pub household_number: Option<String>,
    pub householder_id: Option<String>,
    pub category_70_74: Option<String>,
    pub counted: i64,
    pub cap: i64,
    pub benefit: i64,
    pub difference: i64,
    pub review: String,
    /// the calculation (JSON)
    pub basis: String,
    pub recorded_us: i64,
    pub recorded_by: String,
    pub superseded_us: Option<i64>,
}

impl AnnualDecisionRow {
    /// What a decision decides: two versions with the same outcome are one.
    pub fn outcome(&self) -> (i64, i64, &Option<String>, &Option<String>, &str) {
        (
            self.counted,
            self.benefit,
            &self.householder_id,
            &self.category_70_74,
            &self.review,
        )
    }
}

const DECISION_COLUMNS: &str = "addressee_id, year, version_no, run_id, household_number, householder_id, \
    category_70_74, counted, cap, benefit, difference, review, basis, recorded_us, recorded_by, superseded_us";

pub async fn next_run_id(tx: &mut Tx, insurer: &InsurerNumber) -> Result<i64> {
    Ok(with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT COALESCE(MAX(run_id), 0) + 1 FROM annual_outpatient_run WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(c)
    .await?))
}

pub async fn insert_run(tx: &mut Tx, insurer: &InsurerNumber, r: &AnnualRunRow) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO annual_outpatient_run (insurer_number, run_id, year, known_at_us, persons, \
             with_benefit, booked, benefit, months, rules_source, ran_us, ran_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(insurer.as_str().to_string())
        .bind(r.run_id)
        .bind(r.year)
        .bind(r.known_at_us)
        .bind(r.persons)
        .bind(r.with_benefit)
        .bind(r.booked)
        .bind(r.benefit)
        .bind(r.months.clone())
        .bind(r.rules_source.clone())
        .bind(r.ran_us)
        .bind(r.ran_by.clone())
        .execute(c)
        .await
        .map(|_| ())?
    });
    Ok(())
}

/// Every annual run, the latest first.
pub async fn runs(db: &Db, insurer: &InsurerNumber) -> Result<Vec<AnnualRunRow>> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM annual_outpatient_run WHERE insurer_number = $1 ORDER BY run_id DESC"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .fetch_all(p)
        .await?))
}

pub async fn run(db: &Db, insurer: &InsurerNumber, run_id: i64) -> Result<Option<AnnualRunRow>> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM annual_outpatient_run WHERE insurer_number = $1 AND run_id = $2"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(run_id)
        .fetch_optional(p)
        .await?))
}

/// The current decision of every person for a year.
pub async fn current_decisions(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    year: i64,
) -> Result<HashMap<String, AnnualDecisionRow>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM annual_outpatient_decision WHERE insurer_number = $1 AND year = $2 \
         AND superseded_us IS NULL"
    );
    let rows: Vec<AnnualDecisionRow> = with_tx!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(year)
        .fetch_all(c)
        .await?);
    Ok(rows
        .into_iter()
        .map(|r| (r.addressee_id.clone(), r))
        .collect())
}

/// Closes the current version of each (person, version) of a year.
pub async fn supersede(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    year: i64,
    versions: &[(String, i64)],
    at_us: i64,
) -> Result<()> {
    for (person, version) in versions {
        with_tx!(tx, |c| {
            sqlx::query(
                "UPDATE annual_outpatient_decision SET superseded_us = $5 WHERE insurer_number = $1 \
                 AND addressee_id = $2 AND year = $3 AND version_no = $4 AND superseded_us IS NULL",
            )
            .bind(insurer.as_str().to_string())
            .bind(person.clone())
            .bind(year)
            .bind(*version)
            .bind(at_us)
            .execute(c)
            .await
            .map(|_| ())?
        });
    }
    Ok(())
}

pub async fn insert_decisions(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    rows: &[AnnualDecisionRow],
) -> Result<()> {
    for chunk in rows.chunks(BATCH_ROWS) {
        with_tx!(tx, |c| {
            let mut q = QueryBuilder::new(format!(
                "INSERT INTO annual_outpatient_decision (insurer_number, {DECISION_COLUMNS}) "
            ));
            q.push_values(chunk, |mut b, d| {
                b.push_bind(insurer.as_str().to_string())
                    .push_bind(d.addressee_id.clone())
                    .push_bind(d.year)
                    .push_bind(d.version_no)
                    .push_bind(d.run_id)
                    .push_bind(d.household_number.clone())
                    .push_bind(d.householder_id.clone())
                    .push_bind(d.category_70_74.clone())
                    .push_bind(d.counted)
                    .push_bind(d.cap)
                    .push_bind(d.benefit)
                    .push_bind(d.difference)
                    .push_bind(d.review.clone())
                    .push_bind(d.basis.clone())
                    .push_bind(d.recorded_us)
                    .push_bind(d.recorded_by.clone())
                    .push_bind(d.superseded_us);
            });
            q.build().execute(c).await?;
        });
    }
    Ok(())
}

/// The decisions a run booked, the largest benefit first; `limit` at most.
pub async fn decisions_of_run(
    db: &Db,
    insurer: &InsurerNumber,
    run_id: i64,
    limit: i64,
) -> Result<Vec<AnnualDecisionRow>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM annual_outpatient_decision WHERE insurer_number = $1 AND run_id = $2 \
         ORDER BY benefit DESC, addressee_id LIMIT $3"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(run_id)
        .bind(limit)
        .fetch_all(p)
        .await?))
}

/// The standing decision of each person of a year, the largest benefit
/// first; `limit` at most.
pub async fn current_of_year(
    db: &Db,
    insurer: &InsurerNumber,
    year: i64,
    limit: i64,
) -> Result<Vec<AnnualDecisionRow>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM annual_outpatient_decision WHERE insurer_number = $1 AND year = $2 \
         AND superseded_us IS NULL ORDER BY benefit DESC, addressee_id LIMIT $3"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(year)
        .bind(limit)
        .fetch_all(p)
        .await?))
}

/// The decision of each person of a year as it stood at `known_at_us`.
pub async fn of_year_known_at(
    db: &Db,
    insurer: &InsurerNumber,
    year: i64,
    known_at_us: i64,
) -> Result<Vec<AnnualDecisionRow>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM annual_outpatient_decision WHERE insurer_number = $1 AND year = $2 \
         AND recorded_us <= $3 AND (superseded_us IS NULL OR superseded_us > $3) ORDER BY addressee_id"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(year)
        .bind(known_at_us)
        .fetch_all(p)
        .await?))
}

/// Every version of a person's decisions, the latest year and version
/// first.
pub async fn person_decisions(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
) -> Result<Vec<AnnualDecisionRow>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM annual_outpatient_decision WHERE insurer_number = $1 AND addressee_id = $2 \
         ORDER BY year DESC, version_no DESC"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(addressee_id.to_string())
        .fetch_all(p)
        .await?))
}
