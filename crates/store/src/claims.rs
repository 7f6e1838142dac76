//! Claims (レセプト) as imported, with their source file and line, and the
//! eligibility checks (資格点検) run over a processing month.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use kokuho_domain::id::InsurerNumber;
use sqlx::QueryBuilder;
use time::Date;

use crate::{Db, Result, Tx, with_db, with_tx};

/// Rows per multi-row INSERT (32 columns × 500 stays under every limit).
const BATCH_ROWS: usize = 500;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimRow {
    pub file_digest: String,
    pub line: i64,
    pub end_line: i64,
    /// YYYY-MM
    pub billing_month: String,
    pub provider_kind: String,
    pub provider_code: String,
    pub provider_name: String,
    pub claim_no: i64,
    pub claim_kind: String,
    pub setting: String,
    /// YYYY-MM
    pub service_month: String,
    pub name: String,
    pub sex: String,
    pub birth_date: Date,
    pub benefit_rate: Option<i64>,
    pub admitted_on: Option<Date>,
    pub burden_class: String,
    pub notes: String,
    pub claim_insurer: String,
    pub insured_symbol: String,
    pub insured_number: String,
    pub branch_number: Option<String>,
    pub days: i64,
    pub points: i64,
    pub copay_charged: Option<i64>,
    pub meal_count: i64,
    pub meal_amount: i64,
    pub public_funding: String,
    pub prescriber: Option<String>,
    pub service_days: i64,
}

const COLUMNS: &str = "file_digest, line, end_line, billing_month, provider_kind, provider_code, provider_name, \
    claim_no, claim_kind, setting, service_month, name, sex, birth_date, benefit_rate, admitted_on, burden_class, \
    notes, claim_insurer, insured_symbol, insured_number, branch_number, days, points, copay_charged, \
    meal_count, meal_amount, public_funding, prescriber, service_days";

/// Inserts claims in multi-row statements.
pub async fn insert(tx: &mut Tx, insurer: &InsurerNumber, rows: &[ClaimRow]) -> Result<()> {
    for chunk in rows.chunks(BATCH_ROWS) {
        with_tx!(tx, |c| {
            let mut q =
                QueryBuilder::new(format!("INSERT INTO claim (insurer_number, {COLUMNS}) "));
            q.push_values(chunk, |mut b, r| {
                b.push_bind(insurer.as_str().to_string())
                    .push_bind(r.file_digest.clone())
                    .push_bind(r.line)
                    .push_bind(r.end_line)
                    .push_bind(r.billing_month.clone())
                    .push_bind(r.provider_kind.clone())
                    .push_bind(r.provider_code.clone())
                    .push_bind(r.provider_name.clone())
                    .push_bind(r.claim_no)
                    .push_bind(r.claim_kind.clone())
                    .push_bind(r.setting.clone())
                    .push_bind(r.service_month.clone())
                    .push_bind(r.name.clone())
                    .push_bind(r.sex.clone())
                    .push_bind(r.birth_date)
                    .push_bind(r.benefit_rate)
                    .push_bind(r.admitted_on)
                    .push_bind(r.burden_class.clone())
                    .push_bind(r.notes.clone())
                    .push_bind(r.claim_insurer.clone())
                    .push_bind(r.insured_symbol.clone())
                    .push_bind(r.insured_number.clone())
                    .push_bind(r.branch_number.clone())
                    .push_bind(r.days)
                    .push_bind(r.points)
                    .push_bind(r.copay_charged)
                    .push_bind(r.meal_count)
                    .push_bind(r.meal_amount)
                    .push_bind(r.public_funding.clone())
                    .push_bind(r.prescriber.clone())
                    .push_bind(r.service_days);
            });
            q.build().execute(c).await?;
        });
    }
    Ok(())
}

/// Calls `each` for every claim of a processing month, streaming (memory
/// stays flat on a city), in file and line order.
pub async fn for_each_in_month(
    db: &Db,
    insurer: &InsurerNumber,
    billing_month: &str,
    mut each: impl FnMut(ClaimRow) -> Result<()>,
) -> Result<u64> {
    let sql = format!(
        "SELECT {COLUMNS} FROM claim WHERE insurer_number = $1 AND billing_month = $2 \
         ORDER BY file_digest, line"
    );
    let mut n = 0;
    with_db!(db, |p| {
        let mut rows = sqlx::query_as::<_, ClaimRow>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(insurer.as_str().to_string())
            .bind(billing_month.to_string())
            .fetch(p);
        while let Some(row) = rows.try_next().await? {
            each(row)?;
            n += 1;
        }
    });
    Ok(n)
}

/// The service months (YYYY-MM) the claims of a processing month are for.
pub async fn service_months(
    db: &Db,
    insurer: &InsurerNumber,
    billing_month: &str,
) -> Result<Vec<String>> {
    Ok(with_db!(db, |p| sqlx::query_scalar(
        "SELECT DISTINCT service_month FROM claim WHERE insurer_number = $1 AND billing_month = $2 \
         ORDER BY service_month"
    )
    .bind(insurer.as_str().to_string())
    .bind(billing_month.to_string())
    .fetch_all(p)
    .await?))
}

/// One claim by its source.
pub async fn get(
    db: &Db,
    insurer: &InsurerNumber,
    file_digest: &str,
    line: i64,
) -> Result<Option<ClaimRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM claim WHERE insurer_number = $1 AND file_digest = $2 AND line = $3"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(file_digest.to_string())
        .bind(line)
        .fetch_optional(p)
        .await?))
}

/// Records what a file brought to each processing month (claims and
/// points), from its stored claims; returns it by month.
pub async fn record_file_months(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    file_digest: &str,
) -> Result<Vec<(String, i64)>> {
    with_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO claim_file_month (insurer_number, file_digest, billing_month, claims, points) \
         SELECT insurer_number, file_digest, billing_month, COUNT(*), CAST(COALESCE(SUM(points), 0) AS BIGINT) \
         FROM claim WHERE insurer_number = $1 AND file_digest = $2 \
         GROUP BY insurer_number, file_digest, billing_month"
    )
    .bind(insurer.as_str().to_string())
    .bind(file_digest.to_string())
    .execute(c)
    .await
    .map(|_| ())?
    });
    Ok(with_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT billing_month, claims FROM claim_file_month WHERE insurer_number = $1 AND file_digest = $2 \
         ORDER BY billing_month"
    )
    .bind(insurer.as_str().to_string())
    .bind(file_digest.to_string())
    .fetch_all(c)
    .await?
    }))
}

/// A processing month's imported claims: the month, how many claims, from
/// how many files.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct MonthSummary {
    pub billing_month: String,
    pub claims: i64,
    pub files: i64,
    pub points: i64,
}

/// Every processing month with claims, the latest first (or one month).
pub async fn months(
    db: &Db,
    insurer: &InsurerNumber,
    billing_month: Option<&str>,
) -> Result<Vec<MonthSummary>> {
    let filter = if billing_month.is_some() {
        " AND billing_month = $2"
    } else {
        ""
    };
    let sql = format!(
        "SELECT billing_month, CAST(SUM(claims) AS BIGINT) AS claims, COUNT(*) AS files, \
         CAST(SUM(points) AS BIGINT) AS points FROM claim_file_month WHERE insurer_number = $1{filter} \
         GROUP BY billing_month ORDER BY billing_month DESC"
    );
    Ok(with_db!(db, |p| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(insurer.as_str().to_string());
        if let Some(m) = billing_month {
            q = q.bind(m.to_string());
        }
        q.fetch_all(p).await?
    }))
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CheckRow {
    pub check_id: i64,
    pub billing_month: String,
    pub known_at_us: i64,
    pub claims: i64,
    pub listed: i64,
    pub checked_us: i64,
    pub checked_by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct FindingRow {
    pub file_digest: String,
    pub line: i64,
    pub seq: i64,
    pub reason: String,
    pub action: String,
    pub detail_en: String,
    pub detail_ja: String,
    pub addressee_id: Option<String>,
}

/// Records a check and its findings; its number.
pub async fn insert_check(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    check: &CheckRow,
    findings: &[FindingRow],
) -> Result<i64> {
    let id: i64 = with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT COALESCE(MAX(check_id), 0) + 1 FROM claim_check WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(c)
    .await?);
    with_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO claim_check (insurer_number, check_id, billing_month, known_at_us, claims, listed, \
         checked_us, checked_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(insurer.as_str().to_string())
    .bind(id)
    .bind(check.billing_month.clone())
    .bind(check.known_at_us)
    .bind(check.claims)
    .bind(check.listed)
    .bind(check.checked_us)
    .bind(check.checked_by.clone())
    .execute(c)
    .await
    .map(|_| ())?
    });
    for chunk in findings.chunks(BATCH_ROWS) {
        with_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "INSERT INTO claim_finding (insurer_number, check_id, file_digest, line, seq, reason, action, \
                 detail_en, detail_ja, addressee_id) ",
            );
            q.push_values(chunk, |mut b, f| {
                b.push_bind(insurer.as_str().to_string())
                    .push_bind(id)
                    .push_bind(f.file_digest.clone())
                    .push_bind(f.line)
                    .push_bind(f.seq)
                    .push_bind(f.reason.clone())
                    .push_bind(f.action.clone())
                    .push_bind(f.detail_en.clone())
                    .push_bind(f.detail_ja.clone())
                    .push_bind(f.addressee_id.clone());
            });
            q.build().execute(c).await?;
        });
    }
    Ok(id)
}

const CHECK_COLUMNS: &str =
    "check_id, billing_month, known_at_us, claims, listed, checked_us, checked_by";

/// Every check of a month, the latest first (or of every month).
pub async fn checks(
    db: &Db,
    insurer: &InsurerNumber,
    billing_month: Option<&str>,
) -> Result<Vec<CheckRow>> {
    let filter = if billing_month.is_some() {
        " AND billing_month = $2"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {CHECK_COLUMNS} FROM claim_check WHERE insurer_number = $1{filter} ORDER BY check_id DESC"
    );
    Ok(with_db!(db, |p| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(insurer.as_str().to_string());
        if let Some(m) = billing_month {
            q = q.bind(m.to_string());
        }
        q.fetch_all(p).await?
    }))
}

pub async fn check(db: &Db, insurer: &InsurerNumber, check_id: i64) -> Result<Option<CheckRow>> {
    let sql = format!(
        "SELECT {CHECK_COLUMNS} FROM claim_check WHERE insurer_number = $1 AND check_id = $2"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(check_id)
        .fetch_optional(p)
        .await?))
}

/// A check's findings with their claims, by provider, claim number, then
/// reason; `limit` rows at most.
pub async fn findings(
    db: &Db,
    insurer: &InsurerNumber,
    check_id: i64,
    limit: i64,
) -> Result<Vec<(FindingRow, ClaimRow)>> {
    let claim_columns: String = COLUMNS
        .split(", ")
        .map(|c| format!("c.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT f.file_digest, f.line, f.seq, f.reason, f.action, f.detail_en, f.detail_ja, f.addressee_id, \
         {claim_columns} FROM claim_finding f JOIN claim c ON c.insurer_number = f.insurer_number \
         AND c.file_digest = f.file_digest AND c.line = f.line \
         WHERE f.insurer_number = $1 AND f.check_id = $2 \
         ORDER BY c.provider_code, c.claim_no, c.file_digest, c.line, f.seq LIMIT $3"
    );
    let rows: Vec<FindingWithClaim> = with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(check_id)
        .bind(limit)
        .fetch_all(p)
        .await?);
    Ok(rows.into_iter().map(FindingWithClaim::split).collect())
}

/// How many findings of each (reason, action) a check has.
pub async fn finding_counts(
    db: &Db,
    insurer: &InsurerNumber,
    check_id: i64,
) -> Result<HashMap<(String, String), i64>> {
    let rows: Vec<(String, String, i64)> = with_db!(db, |p| {
        sqlx::query_as(
        "SELECT reason, action, COUNT(*) FROM claim_finding WHERE insurer_number = $1 AND check_id = $2 \
         GROUP BY reason, action"
    )
    .bind(insurer.as_str().to_string())
    .bind(check_id)
    .fetch_all(p)
    .await?
    });
    Ok(rows.into_iter().map(|(r, a, n)| ((r, a), n)).collect())
}

#[derive(sqlx::FromRow)]
struct FindingWithClaim {
    #[sqlx(flatten)]
    finding: FindingRow,
    #[sqlx(flatten)]
    claim: ClaimRow,
}

impl FindingWithClaim {
    fn split(self) -> (FindingRow, ClaimRow) {
        (self.finding, self.claim)
    }
}

/// What the registry knew at `known_at_us` for the check: every insured
/// period (acquired, lost) by person.
pub async fn periods_known_at(
    db: &Db,
    insurer: &InsurerNumber,
    known_at_us: i64,
) -> Result<Vec<PeriodRow>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
        "SELECT addressee_id, acquired_on, lost_on, acquisition_reason, loss_reason FROM eligibility_version \
         WHERE insurer_number = $1 AND recorded_us <= $2 AND (superseded_us IS NULL OR superseded_us > $2) \
         AND NOT voided ORDER BY addressee_id, acquired_on"
    )
    .bind(insurer.as_str().to_string())
    .bind(known_at_us)
    .fetch_all(p)
    .await?
    }))
}

/// An insured period: (宛名番号, acquired, lost, acquisition reason, loss
/// reason).
pub type PeriodRow = (String, Date, Option<Date>, String, Option<String>);

/// A stretch in which a person was a member of an NHI household, with the
/// household's symbol and number and the person's 枝番 there.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct HeldNumberRow {
    pub addressee_id: String,
    pub household_number: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub insured_symbol: String,
    pub insured_number: String,
    pub branch_number: Option<String>,
    pub birth_date: Date,
}

/// Every membership known at `known_at_us`, with the numbers it carried.
pub async fn held_numbers_known_at(
    db: &Db,
    insurer: &InsurerNumber,
    known_at_us: i64,
) -> Result<Vec<HeldNumberRow>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
        "SELECT m.addressee_id, m.household_number, m.valid_from, m.valid_to, h.insured_symbol, \
         h.insured_number, b.branch_number, a.birth_date \
         FROM membership_version m \
         JOIN nhi_household h ON h.insurer_number = m.insurer_number AND h.household_number = m.household_number \
         JOIN addressee a ON a.insurer_number = m.insurer_number AND a.addressee_id = m.addressee_id \
         LEFT JOIN branch_assignment b ON b.insurer_number = m.insurer_number \
              AND b.household_number = m.household_number AND b.addressee_id = m.addressee_id \
         WHERE m.insurer_number = $1 AND m.recorded_us <= $2 AND (m.superseded_us IS NULL OR m.superseded_us > $2) \
           AND NOT m.voided ORDER BY m.addressee_id, m.valid_from"
    )
    .bind(insurer.as_str().to_string())
    .bind(known_at_us)
    .fetch_all(p)
    .await?
    }))
}

/// The copay rates judged for the households of the months, as they stood
/// at `known_at_us`: (household, month) → "宛名番号:3割;…".
pub async fn copay_rates_known_at(
    db: &Db,
    insurer: &InsurerNumber,
    months: &[String],
    known_at_us: i64,
) -> Result<HashMap<(String, String), String>> {
    let mut out = HashMap::new();
    for m in months {
        let rows: Vec<(String, String, String)> = with_db!(db, |p| sqlx::query_as(
            "SELECT household_number, month, copay_rates FROM burden_version \
             WHERE insurer_number = $1 AND month = $2 AND recorded_us <= $3 \
             AND (superseded_us IS NULL OR superseded_us > $3)"
        )
        .bind(insurer.as_str().to_string())
        .bind(m.clone())
        .bind(known_at_us)
        .fetch_all(p)
        .await?);
        out.extend(rows.into_iter().map(|(h, m, r)| ((h, m), r)));
    }
    Ok(out)
}

/// Calls `each` for every claim of a service month, whatever month it was
/// billed in, streaming, in file and line order.
pub async fn for_each_of_service_month(
    db: &Db,
    insurer: &InsurerNumber,
    service_month: &str,
    mut each: impl FnMut(ClaimRow) -> Result<()>,
) -> Result<u64> {
    let sql = format!(
        "SELECT {COLUMNS} FROM claim WHERE insurer_number = $1 AND service_month = $2 \
         ORDER BY file_digest, line"
    );
    let mut n = 0;
    with_db!(db, |p| {
        let mut rows = sqlx::query_as::<_, ClaimRow>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(insurer.as_str().to_string())
            .bind(service_month.to_string())
            .fetch(p);
        while let Some(row) = rows.try_next().await? {
            each(row)?;
            n += 1;
        }
    });
    Ok(n)
}

/// The processing months (YYYY-MM) that brought claims of a service month.
pub async fn billing_months_of(
    db: &Db,
    insurer: &InsurerNumber,
    service_month: &str,
) -> Result<Vec<String>> {
    Ok(with_db!(db, |p| sqlx::query_scalar(
        "SELECT DISTINCT billing_month FROM claim WHERE insurer_number = $1 AND service_month = $2 \
         ORDER BY billing_month"
    )
    .bind(insurer.as_str().to_string())
    .bind(service_month.to_string())
    .fetch_all(p)
    .await?))
}

/// The claims (file digest, line) a check listed to return.
pub async fn returned_in_check(
    db: &Db,
    insurer: &InsurerNumber,
    check_id: i64,
) -> Result<Vec<(String, i64)>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
        "SELECT DISTINCT file_digest, line FROM claim_finding WHERE insurer_number = $1 AND check_id = $2 \
         AND action = 'return'"
    )
    .bind(insurer.as_str().to_string())
    .bind(check_id)
    .fetch_all(p)
    .await?
    }))
}

/// A household-month's burden categories as known at `known_at_us`.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CategoriesRow {
    pub household_number: String,
    pub category_under_70: Option<String>,
    pub category_70_74: Option<String>,
    pub copay_rates: String,
}

/// Every household's burden categories for a month as known at
/// `known_at_us`.
pub async fn categories_known_at(
    db: &Db,
    insurer: &InsurerNumber,
    month: &str,
    known_at_us: i64,
) -> Result<HashMap<String, CategoriesRow>> {
    let rows: Vec<CategoriesRow> = with_db!(db, |p| {
        sqlx::query_as(
        "SELECT household_number, category_under_70, category_70_74, copay_rates FROM burden_version \
         WHERE insurer_number = $1 AND month = $2 AND recorded_us <= $3 \
         AND (superseded_us IS NULL OR superseded_us > $3)"
    )
    .bind(insurer.as_str().to_string())
    .bind(month.to_string())
    .bind(known_at_us)
    .fetch_all(p)
    .await?
    });
    Ok(rows
        .into_iter()
        .map(|r| (r.household_number.clone(), r))
        .collect())
}
