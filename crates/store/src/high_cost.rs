//! The monthly high-cost run (高額療養費): runs, each household's decision
//! of a service month (versioned), and the households' high-cost months
//! that 多数回 counts on.

use std::collections::{HashMap, HashSet};

use kokuho_domain::id::InsurerNumber;
use sqlx::QueryBuilder;

use crate::{Db, Result, Tx, with_db, with_tx};

/// Rows per multi-row INSERT (20 columns × 500 stays under every limit).
const BATCH_ROWS: usize = 500;

#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct RunRow {
    pub run_id: i64,
    /// YYYY-MM
    pub service_month: String,
    pub known_at_us: i64,
    pub claims: i64,
    pub left_out: i64,
    pub households: i64,
    pub booked: i64,
    pub benefit: i64,
    pub refund: i64,
    pub checks: String,
    pub rules_source: String,
    pub ran_us: i64,
    pub ran_by: String,
    /// the run kept its members' outpatient months (the annual outpatient
    /// cap); runs made before that was built did not
    pub outpatient_recorded: bool,
    /// the run kept what each person bore in each household-month (the
    /// yearly cap); runs made before that was built did not
    pub borne_recorded: bool,
    /// the households whose month the run could not compute (no burden
    /// category, or refused), `;`-separated: they kept no `borne_month` rows
    pub borne_left_out: String,
}

const RUN_COLUMNS: &str = "run_id, service_month, known_at_us, claims, left_out, households, booked, benefit, \
    refund, checks, rules_source, ran_us, ran_by, outpatient_recorded, borne_recorded, \
    borne_left_out";

#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct DecisionRow {
    pub household_number: String,
    /// YYYY-MM
    pub service_month: String,
    pub version_no: i64,
    pub run_id: i64,
    pub householder_id: Option<String>,
    pub category_under_70: Option<String>,
    pub category_70_74: Option<String>,
    pub frequent_case: bool,
    pub counts_as_high_cost_month: bool,
    pub benefit: i64,
    pub paid_in_kind: i64,
    pub refund: i64,
    pub in_kind_excess: i64,
    pub difference: i64,
    pub review: String,
    /// the calculation (JSON)
    pub basis: String,
    pub recorded_us: i64,
    pub recorded_by: String,
    pub superseded_us: Option<i64>,
}

impl DecisionRow {
    /// What a decision decides, without when, by whom and how it is
    /// explained: two versions with the same outcome are one.
    pub fn outcome(&self) -> (i64, i64, i64, bool, bool, &Option<String>, &str) {
        (
            self.benefit,
            self.paid_in_kind,
            self.refund,
            self.frequent_case,
            self.counts_as_high_cost_month,
            &self.householder_id,
            &self.review,
        )
    }
}

const DECISION_COLUMNS: &str = "household_number, service_month, version_no, run_id, householder_id, \
    category_under_70, category_70_74, frequent_case, counts_as_high_cost_month, benefit, paid_in_kind, refund, \
    in_kind_excess, difference, review, basis, recorded_us, recorded_by, superseded_us";

/// A household's high-cost month as recorded.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct MonthRow {
    pub household_number: String,
    pub service_month: String,
    pub seq: i64,
    /// decision | handed_over
    pub source: String,
    pub from_insurer: Option<String>,
    pub run_id: Option<i64>,
    pub recorded_us: i64,
    pub recorded_by: String,
    pub voided_us: Option<i64>,
    pub voided_by: Option<String>,
}

const MONTH_COLUMNS: &str = "household_number, service_month, seq, source, from_insurer, run_id, recorded_us, \
    recorded_by, voided_us, voided_by";

/// The next run number.
pub async fn next_run_id(tx: &mut Tx, insurer: &InsurerNumber) -> Result<i64> {
    Ok(with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT COALESCE(MAX(run_id), 0) + 1 FROM high_cost_run WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(c)
    .await?))
}

pub async fn insert_run(tx: &mut Tx, insurer: &InsurerNumber, r: &RunRow) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO high_cost_run (insurer_number, run_id, service_month, known_at_us, claims, left_out, \
             households, booked, benefit, refund, checks, rules_source, ran_us, ran_by, outpatient_recorded, \
             borne_recorded, borne_left_out) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15, $16, $17)",
        )
        .bind(insurer.as_str().to_string())
        .bind(r.run_id)
        .bind(r.service_month.clone())
        .bind(r.known_at_us)
        .bind(r.claims)
        .bind(r.left_out)
        .bind(r.households)
        .bind(r.booked)
        .bind(r.benefit)
        .bind(r.refund)
        .bind(r.checks.clone())
        .bind(r.rules_source.clone())
        .bind(r.ran_us)
        .bind(r.ran_by.clone())
        .bind(r.outpatient_recorded)
        .bind(r.borne_recorded)
        .bind(r.borne_left_out.clone())
        .execute(c)
        .await
        .map(|_| ())?
    });
    Ok(())
}

/// Every run (of one service month when given), the latest first.
pub async fn runs(
    db: &Db,
    insurer: &InsurerNumber,
    service_month: Option<&str>,
) -> Result<Vec<RunRow>> {
    let filter = if service_month.is_some() {
        " AND service_month = $2"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM high_cost_run WHERE insurer_number = $1{filter} ORDER BY run_id DESC"
    );
    Ok(with_db!(db, |p| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(insurer.as_str().to_string());
        if let Some(m) = service_month {
            q = q.bind(m.to_string());
        }
        q.fetch_all(p).await?
    }))
}

pub async fn run(db: &Db, insurer: &InsurerNumber, run_id: i64) -> Result<Option<RunRow>> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM high_cost_run WHERE insurer_number = $1 AND run_id = $2"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(run_id)
        .fetch_optional(p)
        .await?))
}

/// The current decision of every household for a service month.
pub async fn current_decisions(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    service_month: &str,
) -> Result<HashMap<String, DecisionRow>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM high_cost_decision WHERE insurer_number = $1 AND service_month = $2 \
         AND superseded_us IS NULL"
    );
    let rows: Vec<DecisionRow> = with_tx!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(service_month.to_string())
        .fetch_all(c)
        .await?);
    Ok(rows
        .into_iter()
        .map(|r| (r.household_number.clone(), r))
        .collect())
}

/// The households with a standing decision for a service month.
pub async fn current_decision_households(
    db: &Db,
    insurer: &InsurerNumber,
    service_month: &str,
) -> Result<HashSet<String>> {
    let rows: Vec<String> = with_db!(db, |p| {
        sqlx::query_scalar(
        "SELECT household_number FROM high_cost_decision WHERE insurer_number = $1 AND service_month = $2 \
         AND superseded_us IS NULL"
    )
    .bind(insurer.as_str().to_string())
    .bind(service_month.to_string())
    .fetch_all(p)
    .await?
    });
    Ok(rows.into_iter().collect())
}

/// Closes the current version of each (household, version) of a month.
pub async fn supersede(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    service_month: &str,
    versions: &[(String, i64)],
    at_us: i64,
) -> Result<()> {
    for (household, version) in versions {
        with_tx!(tx, |c| {
            sqlx::query(
                "UPDATE high_cost_decision SET superseded_us = $5 WHERE insurer_number = $1 \
                 AND household_number = $2 AND service_month = $3 AND version_no = $4 AND superseded_us IS NULL",
            )
            .bind(insurer.as_str().to_string())
            .bind(household.clone())
            .bind(service_month.to_string())
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
    rows: &[DecisionRow],
) -> Result<()> {
    for chunk in rows.chunks(BATCH_ROWS) {
        with_tx!(tx, |c| {
            let mut q = QueryBuilder::new(format!(
                "INSERT INTO high_cost_decision (insurer_number, {DECISION_COLUMNS}) "
            ));
            q.push_values(chunk, |mut b, d| {
                b.push_bind(insurer.as_str().to_string())
                    .push_bind(d.household_number.clone())
                    .push_bind(d.service_month.clone())
                    .push_bind(d.version_no)
                    .push_bind(d.run_id)
                    .push_bind(d.householder_id.clone())
                    .push_bind(d.category_under_70.clone())
                    .push_bind(d.category_70_74.clone())
                    .push_bind(d.frequent_case)
                    .push_bind(d.counts_as_high_cost_month)
                    .push_bind(d.benefit)
                    .push_bind(d.paid_in_kind)
                    .push_bind(d.refund)
                    .push_bind(d.in_kind_excess)
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

/// The decisions a run booked, the largest refund first; `limit` at most.
pub async fn decisions_of_run(
    db: &Db,
    insurer: &InsurerNumber,
    run_id: i64,
    limit: i64,
) -> Result<Vec<DecisionRow>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM high_cost_decision WHERE insurer_number = $1 AND run_id = $2 \
         ORDER BY refund DESC, household_number LIMIT $3"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(run_id)
        .bind(limit)
        .fetch_all(p)
        .await?))
}

/// Every version of a household's decisions, the latest service month
/// first, then the latest version first.
pub async fn household_decisions(
    db: &Db,
    insurer: &InsurerNumber,
    household: &str,
) -> Result<Vec<DecisionRow>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM high_cost_decision WHERE insurer_number = $1 AND household_number = $2 \
         ORDER BY service_month DESC, version_no DESC"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(household.to_string())
        .fetch_all(p)
        .await?))
}

/// Every household's high-cost months in [from, to] as known at
/// `known_at_us` (recorded by then, not voided by then), by household, each
/// month once whatever its sources.
pub async fn months_between(
    db: &Db,
    insurer: &InsurerNumber,
    from: &str,
    to: &str,
    known_at_us: i64,
) -> Result<HashMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> = with_db!(db, |c| {
        sqlx::query_as(
        "SELECT DISTINCT household_number, service_month FROM high_cost_month WHERE insurer_number = $1 \
         AND service_month >= $2 AND service_month <= $3 AND recorded_us <= $4 \
         AND (voided_us IS NULL OR voided_us > $4) ORDER BY household_number, service_month"
    )
    .bind(insurer.as_str().to_string())
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(known_at_us)
    .fetch_all(c)
    .await?
    });
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (h, m) in rows {
        out.entry(h).or_default().push(m);
    }
    Ok(out)
}

/// A household's high-cost months, voided ones too, the latest first.
pub async fn household_months(
    db: &Db,
    insurer: &InsurerNumber,
    household: &str,
) -> Result<Vec<MonthRow>> {
    let sql = format!(
        "SELECT {MONTH_COLUMNS} FROM high_cost_month WHERE insurer_number = $1 AND household_number = $2 \
         ORDER BY service_month DESC, seq"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(household.to_string())
        .fetch_all(p)
        .await?))
}

/// The households whose month counts from a decision (not voided).
pub async fn decided_months(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    service_month: &str,
) -> Result<HashSet<String>> {
    let rows: Vec<String> = with_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT household_number FROM high_cost_month WHERE insurer_number = $1 AND service_month = $2 \
         AND source = 'decision' AND voided_us IS NULL"
    )
    .bind(insurer.as_str().to_string())
    .bind(service_month.to_string())
    .fetch_all(c)
    .await?
    });
    Ok(rows.into_iter().collect())
}

/// Records a household's high-cost month.
#[allow(clippy::too_many_arguments)] // one each: the month, where it came from, when and who
pub async fn record_month(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    household: &str,
    service_month: &str,
    source: &str,
    from_insurer: Option<&str>,
    run_id: Option<i64>,
    at_us: i64,
    by: &str,
) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO high_cost_month (insurer_number, household_number, service_month, seq, source, \
             from_insurer, run_id, recorded_us, recorded_by) \
             SELECT $1, $2, $3, COALESCE(MAX(seq), 0) + 1, $4, $5, $6, $7, $8 FROM high_cost_month \
             WHERE insurer_number = $1 AND household_number = $2 AND service_month = $3",
        )
        .bind(insurer.as_str().to_string())
        .bind(household.to_string())
        .bind(service_month.to_string())
        .bind(source.to_string())
        .bind(from_insurer.map(str::to_string))
        .bind(run_id)
        .bind(at_us)
        .bind(by.to_string())
        .execute(c)
        .await
        .map(|_| ())?
    });
    Ok(())
}

/// Voids a household's months of a source (handed-over ones of one insurer
/// when given); how many were voided.
#[allow(clippy::too_many_arguments)] // one each: the month, which source, when and who
pub async fn void_months(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    household: &str,
    service_month: &str,
    source: &str,
    from_insurer: Option<&str>,
    at_us: i64,
    by: &str,
) -> Result<u64> {
    let filter = if from_insurer.is_some() {
        " AND from_insurer = $7"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE high_cost_month SET voided_us = $5, voided_by = $6 WHERE insurer_number = $1 \
         AND household_number = $2 AND service_month = $3 AND source = $4 AND voided_us IS NULL{filter}"
    );
    Ok(with_tx!(tx, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(insurer.as_str().to_string())
            .bind(household.to_string())
            .bind(service_month.to_string())
            .bind(source.to_string())
            .bind(at_us)
            .bind(by.to_string());
        if let Some(f) = from_insurer {
            q = q.bind(f.to_string());
        }
        q.execute(c).await?.rows_affected()
    }))
}

/// The householder (宛名番号) of each of the households named on `on`, as
/// last recorded by `known_at_us`; households without one are absent.
pub async fn householders_on(
    db: &Db,
    insurer: &InsurerNumber,
    on: time::Date,
    households: &[String],
    known_at_us: i64,
) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for chunk in households.chunks(BATCH_ROWS) {
        let rows: Vec<(String, String)> = with_db!(db, |p| {
            let mut q = QueryBuilder::new(
                "SELECT household_number, householder_addressee_id FROM householder_history \
                 WHERE insurer_number = ",
            );
            q.push_bind(insurer.as_str().to_string())
                .push(" AND valid_from <= ")
                .push_bind(on)
                .push(" AND recorded_us <= ")
                .push_bind(known_at_us)
                .push(" AND household_number IN (");
            let mut list = q.separated(", ");
            for h in chunk {
                list.push_bind(h.clone());
            }
            q.push(") ORDER BY household_number, valid_from, recorded_us");
            q.build_query_as().fetch_all(p).await?
        });
        // the last row of a household wins: latest valid_from, then latest recorded
        out.extend(rows);
    }
    Ok(out)
}

/// How many claims a service month has, whatever month they were billed in.
pub async fn claims_of_month(db: &Db, insurer: &InsurerNumber, service_month: &str) -> Result<i64> {
    Ok(with_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM claim WHERE insurer_number = $1 AND service_month = $2"
    )
    .bind(insurer.as_str().to_string())
    .bind(service_month.to_string())
    .fetch_one(p)
    .await?))
}
