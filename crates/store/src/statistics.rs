//! What the statistics (事業月報・事業年報) read, as known at a moment:
//! every query takes `known_at_us` and sees the versions recorded by then
//! and not yet superseded, the files imported by then, the decisions made
//! by then. Aggregates leave; persons stay inside the app.

use futures_util::TryStreamExt;
use kokuho_domain::id::InsurerNumber;
use time::Date;

use crate::{Db, Result, StoreError, Tx, with_db, with_tx};

/// A person insured on a day, with what the report sorts by.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct InsuredOnRow {
    pub addressee_id: String,
    pub birth_date: Date,
    pub sex: i64,
    pub household_number: Option<String>,
}

/// Everyone insured on `day` as known at `known_at_us`, with the household
/// their membership puts them in on that day. Streams (a city has a million).
pub async fn for_each_insured_on(
    db: &Db,
    insurer: &InsurerNumber,
    day: Date,
    known_at_us: i64,
    mut each: impl FnMut(InsuredOnRow),
) -> Result<()> {
    let sql = "SELECT e.addressee_id, a.birth_date, CAST(a.sex AS BIGINT) AS sex, m.household_number \
         FROM eligibility_version e \
         JOIN addressee a ON a.insurer_number = e.insurer_number AND a.addressee_id = e.addressee_id \
         LEFT JOIN membership_version m ON m.insurer_number = e.insurer_number AND m.addressee_id = e.addressee_id \
           AND m.voided = $4 AND m.recorded_us <= $3 AND (m.superseded_us IS NULL OR m.superseded_us > $3) \
           AND m.valid_from <= $2 AND (m.valid_to IS NULL OR m.valid_to > $2) \
         WHERE e.insurer_number = $1 AND e.voided = $4 AND e.recorded_us <= $3 \
           AND (e.superseded_us IS NULL OR e.superseded_us > $3) \
           AND e.acquired_on <= $2 AND (e.lost_on IS NULL OR e.lost_on > $2) \
         ORDER BY e.addressee_id, m.valid_from DESC, m.recorded_us DESC, m.household_number";
    with_db!(db, |p| {
        let mut rows = sqlx::query_as::<_, InsuredOnRow>(sql)
            .bind(insurer.as_str().to_string())
            .bind(day)
            .bind(known_at_us)
            .bind(false)
            .fetch(p);
        let mut last: Option<String> = None;
        while let Some(r) = rows.try_next().await? {
            // two memberships on one day would be a data error; count once,
            // in the latest (the order makes it the same on every run)
            if last.as_deref() == Some(r.addressee_id.as_str()) {
                continue;
            }
            last = Some(r.addressee_id.clone());
            each(r);
        }
    });
    Ok(())
}

/// The householder of every household on `day` as known at `known_at_us`:
/// the latest entry of the history in force; the household's own record
/// only where the history holds nothing for it at all (a household whose
/// history starts after `day` has no householder then).
pub async fn householders_on(
    db: &Db,
    insurer: &InsurerNumber,
    day: Date,
    known_at_us: i64,
) -> Result<std::collections::BTreeMap<String, String>> {
    let rows: Vec<(String, String)> = with_db!(db, |p| {
        sqlx::query_as(
            "SELECT household_number, householder_addressee_id FROM household WHERE insurer_number = $1",
        )
        .bind(insurer.as_str().to_string())
        .fetch_all(p)
        .await?
    });
    let mut out: std::collections::BTreeMap<String, String> = rows.into_iter().collect();
    let history: Vec<(String, String, Date)> = with_db!(db, |p| {
        sqlx::query_as(
            "SELECT household_number, householder_addressee_id, valid_from FROM householder_history \
             WHERE insurer_number = $1 AND recorded_us <= $2 \
             ORDER BY household_number, valid_from, recorded_us",
        )
        .bind(insurer.as_str().to_string())
        .bind(known_at_us)
        .fetch_all(p)
        .await?
    });
    // ordered: the last entry in force on the day is the householder
    let mut in_force: std::collections::BTreeMap<String, String> =
        std::collections::BTreeMap::new();
    for (h, a, from) in history {
        if from <= day {
            in_force.insert(h, a);
        } else {
            in_force.entry(h.clone()).or_default();
            out.remove(&h);
        }
    }
    for (h, a) in in_force {
        if a.is_empty() {
            out.remove(&h);
        } else {
            out.insert(h, a);
        }
    }
    Ok(out)
}

/// The burden categories of a month as known at `known_at_us`:
/// (household, copay rates "宛名番号:3割;…", category under 70, 70–74).
pub async fn burden_of_month(
    db: &Db,
    insurer: &InsurerNumber,
    month: &str,
    known_at_us: i64,
) -> Result<Vec<(String, String, Option<String>, Option<String>)>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
            "SELECT household_number, copay_rates, category_under_70, category_70_74 FROM burden_version \
             WHERE insurer_number = $1 AND month = $2 AND recorded_us <= $3 \
             AND (superseded_us IS NULL OR superseded_us > $3)",
        )
        .bind(insurer.as_str().to_string())
        .bind(month.to_string())
        .bind(known_at_us)
        .fetch_all(p)
        .await?
    }))
}

/// The reasons of acquisitions and losses dated in [`from`, `to`] as known
/// at `known_at_us` (voided periods left out): (acquisitions, losses).
pub async fn movements(
    db: &Db,
    insurer: &InsurerNumber,
    from: Date,
    to: Date,
    known_at_us: i64,
) -> Result<(Vec<String>, Vec<String>)> {
    let current = "insurer_number = $1 AND voided = $5 AND recorded_us <= $4 \
                   AND (superseded_us IS NULL OR superseded_us > $4)";
    let acquired: Vec<String> = with_db!(db, |p| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT acquisition_reason FROM eligibility_version WHERE {current} \
             AND acquired_on >= $2 AND acquired_on <= $3"
        )))
        .bind(insurer.as_str().to_string())
        .bind(from)
        .bind(to)
        .bind(known_at_us)
        .bind(false)
        .fetch_all(p)
        .await?
    });
    let lost: Vec<String> = with_db!(db, |p| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT loss_reason FROM eligibility_version WHERE {current} \
             AND lost_on >= $2 AND lost_on <= $3"
        )))
        .bind(insurer.as_str().to_string())
        .bind(from)
        .bind(to)
        .bind(known_at_us)
        .bind(false)
        .fetch_all(p)
        .await?
    });
    Ok((acquired, lost))
}

/// Claims alike in everything the report reads (kind, setting, the
/// claim kind and benefit rate that give the copay percent, the points):
/// how many, and their days.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimFigureRow {
    pub provider_kind: String,
    pub setting: String,
    pub claim_kind: String,
    pub benefit_rate: Option<i64>,
    pub points: i64,
    pub claims: i64,
    pub days: i64,
    /// of them, claims with meals, their meals and what they claim
    pub meal_claims: i64,
    pub meals: i64,
    pub meal_amount: i64,
}

/// The claims of a processing month (請求年月) from the files imported by
/// `known_at_us`, grouped where alike (the database counts; the copay is
/// still the domain's, per claim), streamed. Returns how many groups.
pub async fn for_each_claim_of_month(
    db: &Db,
    insurer: &InsurerNumber,
    billing_month: &str,
    known_at_us: i64,
    mut each: impl FnMut(ClaimFigureRow) -> Result<()>,
) -> Result<u64> {
    let sql = "SELECT c.provider_kind, c.setting, c.claim_kind, c.benefit_rate, c.points, \
         CAST(COUNT(*) AS BIGINT) AS claims, CAST(SUM(c.days) AS BIGINT) AS days, \
         CAST(SUM(CASE WHEN c.meal_count > 0 THEN 1 ELSE 0 END) AS BIGINT) AS meal_claims, \
         CAST(SUM(c.meal_count) AS BIGINT) AS meals, CAST(SUM(c.meal_amount) AS BIGINT) AS meal_amount \
         FROM claim c \
         JOIN import_file f ON f.insurer_number = c.insurer_number AND f.kind = 'claims' AND f.digest = c.file_digest \
         WHERE c.insurer_number = $1 AND c.billing_month = $2 AND f.imported_us <= $3 \
         GROUP BY c.provider_kind, c.setting, c.claim_kind, c.benefit_rate, c.points";
    let mut n = 0;
    with_db!(db, |p| {
        let mut rows = sqlx::query_as::<_, ClaimFigureRow>(sql)
            .bind(insurer.as_str().to_string())
            .bind(billing_month.to_string())
            .bind(known_at_us)
            .fetch(p);
        while let Some(r) = rows.try_next().await? {
            each(r)?;
            n += 1;
        }
    });
    Ok(n)
}

/// Whether any claim file for the processing month had been imported by
/// `known_at_us` (a month without one is reported incomplete).
pub async fn claims_imported(
    db: &Db,
    insurer: &InsurerNumber,
    billing_month: &str,
    known_at_us: i64,
) -> Result<bool> {
    let n: i64 = with_db!(db, |p| {
        sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM claim_file_month m JOIN import_file f \
             ON f.insurer_number = m.insurer_number AND f.kind = 'claims' AND f.digest = m.file_digest \
             WHERE m.insurer_number = $1 AND m.billing_month = $2 AND f.imported_us <= $3",
        )
        .bind(insurer.as_str().to_string())
        .bind(billing_month.to_string())
        .bind(known_at_us)
        .fetch_one(p)
        .await?
    });
    Ok(n > 0)
}

/// A cash benefit as the report counts it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CashBenefitRow {
    pub kind: String,
    pub subtype: Option<String>,
    pub event_key: String,
    pub amount: i64,
}

/// Benefits decided to pay (支給決定) on a day in [`from`, `to`], as known
/// at `known_at_us`: a decision revoked after that moment still counts.
pub async fn decided_between(
    db: &Db,
    insurer: &InsurerNumber,
    from: Date,
    to: Date,
    known_at_us: i64,
) -> Result<Vec<CashBenefitRow>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
            "SELECT kind, subtype, event_key, amount FROM benefit_application \
             WHERE insurer_number = $1 AND decided_on >= $2 AND decided_on <= $3 AND decided_us <= $4 \
             AND (decision = 'pay' OR (decision = 'revoked' AND revoked_us > $4))",
        )
        .bind(insurer.as_str().to_string())
        .bind(from)
        .bind(to)
        .bind(known_at_us)
        .fetch_all(p)
        .await?
    }))
}

/// Payments made (the bank confirmed them paid) by runs paying on a day in
/// [`from`, `to`], as known at `known_at_us`. A payment returned by the
/// bank after that moment no longer counts: the time it was confirmed paid
/// is overwritten by the return's (docs/statistics.md).
pub async fn paid_between(
    db: &Db,
    insurer: &InsurerNumber,
    from: Date,
    to: Date,
    known_at_us: i64,
) -> Result<Vec<CashBenefitRow>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
            "SELECT a.kind, a.subtype, a.event_key, p.amount FROM payment p \
             JOIN payment_run r ON r.insurer_number = p.insurer_number AND r.run_id = p.run_id \
             JOIN benefit_application a ON a.insurer_number = p.insurer_number AND a.application_id = p.application_id \
             WHERE p.insurer_number = $1 AND p.outcome = 'paid' AND r.pay_on >= $2 AND r.pay_on <= $3 \
             AND p.outcome_us <= $4",
        )
        .bind(insurer.as_str().to_string())
        .bind(from)
        .bind(to)
        .bind(known_at_us)
        .fetch_all(p)
        .await?
    }))
}

/// The high-cost decisions that are 多数回該当: (household, service month,
/// version), to mark the benefits applied for from them.
pub async fn frequent_case_decisions(
    db: &Db,
    insurer: &InsurerNumber,
    known_at_us: i64,
) -> Result<std::collections::HashSet<(String, String, i64)>> {
    let rows: Vec<(String, String, i64)> = with_db!(db, |p| {
        sqlx::query_as(
            "SELECT household_number, service_month, version_no FROM high_cost_decision \
             WHERE insurer_number = $1 AND frequent_case = $2 AND recorded_us <= $3",
        )
        .bind(insurer.as_str().to_string())
        .bind(true)
        .bind(known_at_us)
        .fetch_all(p)
        .await?
    });
    Ok(rows.into_iter().collect())
}

/// One household's levy version in force, as the report reads it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct LevyFactsRow {
    pub household_number: String,
    pub profile: String,
    pub rules_digest: String,
    pub total: i64,
    pub reduction: Option<String>,
    pub medical: i64,
    pub elderly_support: i64,
    pub care: i64,
    pub child_support: i64,
    pub basis: String,
}

/// Every household's levy version for the fiscal year in force at
/// `known_at_us`, streamed.
pub async fn for_each_levy(
    db: &Db,
    insurer: &InsurerNumber,
    fiscal_year: i64,
    known_at_us: i64,
    mut each: impl FnMut(LevyFactsRow) -> Result<()>,
) -> Result<u64> {
    let sql = "SELECT household_number, profile, rules_digest, total, reduction, medical, elderly_support, care, \
         child_support, basis FROM levy_version WHERE insurer_number = $1 AND fiscal_year = $2 \
         AND recorded_us <= $3 AND (superseded_us IS NULL OR superseded_us > $3)";
    let mut n = 0;
    with_db!(db, |p| {
        let mut rows = sqlx::query_as::<_, LevyFactsRow>(sql)
            .bind(insurer.as_str().to_string())
            .bind(fiscal_year)
            .bind(known_at_us)
            .fetch(p);
        while let Some(r) = rows.try_next().await? {
            each(r)?;
            n += 1;
        }
    });
    Ok(n)
}

/// The first day anyone was insured, as known at `known_at_us` (None: no
/// one yet). A report before it is refused: it would be all zeros.
pub async fn first_acquisition(
    db: &Db,
    insurer: &InsurerNumber,
    known_at_us: i64,
) -> Result<Option<Date>> {
    Ok(with_db!(db, |p| {
        // the column itself, not MIN(): SQLite types a bare column only
        sqlx::query_scalar(
            "SELECT acquired_on FROM eligibility_version WHERE insurer_number = $1 AND voided = $3 \
             AND recorded_us <= $2 AND (superseded_us IS NULL OR superseded_us > $2) \
             ORDER BY acquired_on LIMIT 1",
        )
        .bind(insurer.as_str().to_string())
        .bind(known_at_us)
        .bind(false)
        .fetch_optional(p)
        .await?
    }))
}

/// A closed report period.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ClosingRow {
    pub report: String,
    pub period: String,
    pub closed_us: i64,
    pub closed_by: String,
    pub figures_sha256: String,
}

const CLOSING_COLUMNS: &str = "report, period, closed_us, closed_by, figures_sha256";

pub async fn closing(
    db: &Db,
    insurer: &InsurerNumber,
    report: &str,
    period: &str,
) -> Result<Option<ClosingRow>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CLOSING_COLUMNS} FROM statistics_closing \
             WHERE insurer_number = $1 AND report = $2 AND period = $3"
        )))
        .bind(insurer.as_str().to_string())
        .bind(report.to_string())
        .bind(period.to_string())
        .fetch_optional(p)
        .await?
    }))
}

pub async fn closings(db: &Db, insurer: &InsurerNumber) -> Result<Vec<ClosingRow>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CLOSING_COLUMNS} FROM statistics_closing \
             WHERE insurer_number = $1 ORDER BY report, period"
        )))
        .bind(insurer.as_str().to_string())
        .fetch_all(p)
        .await?
    }))
}

/// Records a period closed; a period is closed once (a second closing, even
/// at the same moment, is refused by the key: [`StoreError::Duplicate`]).
pub async fn insert_closing(tx: &mut Tx, insurer: &InsurerNumber, row: &ClosingRow) -> Result<()> {
    let done: std::result::Result<(), sqlx::Error> = with_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO statistics_closing (insurer_number, report, period, closed_us, closed_by, figures_sha256) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(insurer.as_str().to_string())
        .bind(row.report.clone())
        .bind(row.period.clone())
        .bind(row.closed_us)
        .bind(row.closed_by.clone())
        .bind(row.figures_sha256.clone())
        .execute(c)
        .await
        .map(|_| ())
    });
    match done {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Duplicate {
            what: "closing of the period",
        }),
        other => Ok(other?),
    }
}
