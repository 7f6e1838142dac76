//! The NHI tax levy as booked (調定): one version per household, fiscal
//! year and change, each with its installment schedule; every version kept.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use kokuho_domain::id::InsurerNumber;
use sqlx::QueryBuilder;
use time::Date;

use crate::{Db, Result, Tx, with_db, with_tx};

/// Rows per multi-row INSERT (19 columns × 500 stays under every limit).
const BATCH_ROWS: usize = 500;

/// What a version booked: the total, the reduction, and the medical,
/// elderly-support, care and child-support amounts.
pub type Outcome<'a> = (i64, &'a Option<String>, [i64; 4]);

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct LevyVersionRow {
    pub household_number: String,
    pub fiscal_year: i64,
    pub version_no: i64,
    pub profile: String,
    pub rules_digest: String,
    pub total: i64,
    pub reduction: Option<String>,
    pub medical: i64,
    pub elderly_support: i64,
    pub care: i64,
    pub child_support: i64,
    pub difference: i64,
    pub overpaid: i64,
    /// the members, periods, incomes and flags computed from (JSON)
    pub basis: String,
    pub change_reason: String,
    pub assessed_on: Date,
    pub recorded_us: i64,
    pub recorded_by: String,
    pub superseded_us: Option<i64>,
}

impl LevyVersionRow {
    /// What was booked, without when and why: two versions with the same
    /// outcome are one.
    pub fn outcome(&self) -> Outcome<'_> {
        (
            self.total,
            &self.reduction,
            [
                self.medical,
                self.elderly_support,
                self.care,
                self.child_support,
            ],
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct InstallmentRow {
    pub household_number: String,
    pub fiscal_year: i64,
    pub version_no: i64,
    pub installment_no: i64,
    pub due_date: Date,
    pub amount: i64,
}

const COLUMNS: &str = "household_number, fiscal_year, version_no, profile, rules_digest, total, reduction, \
    medical, elderly_support, care, child_support, difference, overpaid, basis, change_reason, assessed_on, \
    recorded_us, recorded_by, superseded_us";

/// The summary of a current version: enough to tell whether a new outcome
/// differs, without reading its basis.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CurrentLevy {
    pub household_number: String,
    pub version_no: i64,
    pub total: i64,
    pub reduction: Option<String>,
    pub medical: i64,
    pub elderly_support: i64,
    pub care: i64,
    pub child_support: i64,
}

impl CurrentLevy {
    /// The same as [`LevyVersionRow::outcome`], from the summary.
    pub fn outcome(&self) -> Outcome<'_> {
        (
            self.total,
            &self.reduction,
            [
                self.medical,
                self.elderly_support,
                self.care,
                self.child_support,
            ],
        )
    }
}

/// The current version of every household's levy for a fiscal year (of
/// one household when given).
pub async fn current_for_year(
    db: &Db,
    insurer: &InsurerNumber,
    fiscal_year: i64,
    household: Option<&str>,
) -> Result<HashMap<String, CurrentLevy>> {
    let filter = if household.is_some() {
        " AND household_number = $3"
    } else {
        ""
    };
    let sql = format!(
        "SELECT household_number, version_no, total, reduction, medical, elderly_support, care, child_support \
         FROM levy_version WHERE insurer_number = $1 AND fiscal_year = $2 AND superseded_us IS NULL{filter}"
    );
    let rows: Vec<CurrentLevy> = with_db!(db, |p| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(insurer.as_str().to_string())
            .bind(fiscal_year);
        if let Some(h) = household {
            q = q.bind(h.to_string());
        }
        q.fetch_all(p).await?
    });
    Ok(rows
        .into_iter()
        .map(|r| (r.household_number.clone(), r))
        .collect())
}

/// Whether any household's levy has been booked for the fiscal year.
pub async fn year_assessed(db: &Db, insurer: &InsurerNumber, fiscal_year: i64) -> Result<bool> {
    let hit: Option<i32> = with_db!(db, |p| sqlx::query_scalar(
        "SELECT 1 FROM levy_version WHERE insurer_number = $1 AND fiscal_year = $2 \
         AND superseded_us IS NULL LIMIT 1"
    )
    .bind(insurer.as_str().to_string())
    .bind(fiscal_year)
    .fetch_optional(p)
    .await?);
    Ok(hit.is_some())
}

/// The installments of versions of one household and year.
pub async fn installments(
    db: &Db,
    insurer: &InsurerNumber,
    household: &str,
    fiscal_year: Option<i64>,
) -> Result<Vec<InstallmentRow>> {
    let filter = if fiscal_year.is_some() {
        " AND fiscal_year = $3"
    } else {
        ""
    };
    let sql = format!(
        "SELECT household_number, fiscal_year, version_no, installment_no, due_date, amount \
         FROM levy_installment WHERE insurer_number = $1 AND household_number = $2{filter} \
         ORDER BY fiscal_year, version_no, due_date, installment_no"
    );
    Ok(with_db!(db, |p| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(insurer.as_str().to_string())
            .bind(household.to_string());
        if let Some(fy) = fiscal_year {
            q = q.bind(fy);
        }
        q.fetch_all(p).await?
    }))
}

/// Every version of one household's levy, by year then version.
pub async fn history(
    db: &Db,
    insurer: &InsurerNumber,
    household: &str,
) -> Result<Vec<LevyVersionRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM levy_version WHERE insurer_number = $1 AND household_number = $2 \
         ORDER BY fiscal_year, version_no"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(household.to_string())
        .fetch_all(p)
        .await?))
}

/// Closes the current versions named (household, year, version) at `at_us`.
pub async fn supersede(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    versions: &[(String, i64, i64)],
    at_us: i64,
) -> Result<()> {
    for (household, fy, version) in versions {
        with_tx!(tx, |t| {
            sqlx::query(
            "UPDATE levy_version SET superseded_us = $5 WHERE insurer_number = $1 AND household_number = $2 \
             AND fiscal_year = $3 AND version_no = $4 AND superseded_us IS NULL"
        )
        .bind(insurer.as_str().to_string())
        .bind(household.clone())
        .bind(*fy)
        .bind(*version)
        .bind(at_us)
        .execute(t)
        .await
        .map(|_| ())?
        });
    }
    Ok(())
}

/// Inserts versions and their installments in multi-row statements.
pub async fn insert(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    versions: &[LevyVersionRow],
    installments: &[InstallmentRow],
) -> Result<()> {
    for chunk in versions.chunks(BATCH_ROWS) {
        with_tx!(tx, |c| {
            let mut q = QueryBuilder::new(format!(
                "INSERT INTO levy_version (insurer_number, {COLUMNS}) "
            ));
            q.push_values(chunk, |mut b, v| {
                b.push_bind(insurer.as_str().to_string())
                    .push_bind(v.household_number.clone())
                    .push_bind(v.fiscal_year)
                    .push_bind(v.version_no)
                    .push_bind(v.profile.clone())
                    .push_bind(v.rules_digest.clone())
                    .push_bind(v.total)
                    .push_bind(v.reduction.clone())
                    .push_bind(v.medical)
                    .push_bind(v.elderly_support)
                    .push_bind(v.care)
                    .push_bind(v.child_support)
                    .push_bind(v.difference)
                    .push_bind(v.overpaid)
                    .push_bind(v.basis.clone())
                    .push_bind(v.change_reason.clone())
                    .push_bind(v.assessed_on)
                    .push_bind(v.recorded_us)
                    .push_bind(v.recorded_by.clone())
                    .push_bind(v.superseded_us);
            });
            q.build().execute(c).await?;
        });
    }
    for chunk in installments.chunks(BATCH_ROWS * 2) {
        with_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "INSERT INTO levy_installment (insurer_number, household_number, fiscal_year, version_no, \
                 installment_no, due_date, amount) ",
            );
            q.push_values(chunk, |mut b, i| {
                b.push_bind(insurer.as_str().to_string())
                    .push_bind(i.household_number.clone())
                    .push_bind(i.fiscal_year)
                    .push_bind(i.version_no)
                    .push_bind(i.installment_no)
                    .push_bind(i.due_date)
                    .push_bind(i.amount);
            });
            q.build().execute(c).await?;
        });
    }
    Ok(())
}

/// One stretch of a person's NHI status within one household: the
/// intersection of an eligibility period and a membership, as known now.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct InsuredSpan {
    pub addressee_id: String,
    pub birth_date: Date,
    pub household_number: String,
    pub acquired_on: Date,
    /// the day the status was lost (exclusive), if it was
    pub lost_on: Option<Date>,
    pub valid_from: Date,
    /// the day the membership ended (exclusive), if it did
    pub valid_to: Option<Date>,
}

impl InsuredSpan {
    /// First and last day insured in this household, within [from, until).
    pub fn within(&self, from: Date, until: Date) -> Option<(Date, Date)> {
        let start = self.acquired_on.max(self.valid_from).max(from);
        let end = [self.lost_on, self.valid_to, Some(until)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(until);
        (start < end).then(|| (start, end.previous_day().unwrap_or(end)))
    }
}

/// Calls `each` for every stretch of NHI status overlapping [from, until)
/// (of one household when given), streaming, by household then person.
pub async fn for_each_insured_span(
    db: &Db,
    insurer: &InsurerNumber,
    from: Date,
    until: Date,
    household: Option<&str>,
    mut each: impl FnMut(InsuredSpan) -> Result<()>,
) -> Result<u64> {
    let filter = if household.is_some() {
        " AND m.household_number = $4"
    } else {
        ""
    };
    let sql = format!(
        "SELECT e.addressee_id, a.birth_date, m.household_number, e.acquired_on, e.lost_on, m.valid_from, m.valid_to \
         FROM eligibility_version e \
         JOIN addressee a ON a.insurer_number = e.insurer_number AND a.addressee_id = e.addressee_id \
         JOIN membership_version m ON m.insurer_number = e.insurer_number AND m.addressee_id = e.addressee_id \
              AND m.superseded_us IS NULL AND NOT m.voided \
              AND m.valid_from < $3 AND (m.valid_to IS NULL OR m.valid_to > $2) \
              AND (e.lost_on IS NULL OR m.valid_from < e.lost_on) \
              AND (m.valid_to IS NULL OR m.valid_to > e.acquired_on){filter} \
         WHERE e.insurer_number = $1 AND e.superseded_us IS NULL AND NOT e.voided \
           AND e.acquired_on < $3 AND (e.lost_on IS NULL OR e.lost_on > $2) \
         ORDER BY m.household_number, e.addressee_id, e.acquired_on, m.valid_from"
    );
    let mut n = 0u64;
    with_db!(db, |p| {
        let mut q = sqlx::query_as::<_, InsuredSpan>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(insurer.as_str().to_string())
            .bind(from)
            .bind(until);
        if let Some(h) = household {
            q = q.bind(h.to_string());
        }
        let mut rows = q.fetch(p);
        while let Some(row) = rows.try_next().await? {
            each(row)?;
            n += 1;
        }
    });
    Ok(n)
}

/// Each household's householders over time up to `until` (of one household
/// when given): (valid from, 宛名番号), in order, the last recorded for a
/// date winning.
pub async fn householder_timeline(
    db: &Db,
    insurer: &InsurerNumber,
    until: Date,
    household: Option<&str>,
) -> Result<HashMap<String, Vec<(Date, String)>>> {
    let filter = if household.is_some() {
        " AND household_number = $3"
    } else {
        ""
    };
    let sql = format!(
        "SELECT household_number, valid_from, householder_addressee_id FROM householder_history \
         WHERE insurer_number = $1 AND valid_from < $2{filter} \
         ORDER BY household_number, valid_from, recorded_us"
    );
    let mut out: HashMap<String, Vec<(Date, String)>> = HashMap::new();
    with_db!(db, |p| {
        let mut q = sqlx::query_as::<_, (String, Date, String)>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(insurer.as_str().to_string())
            .bind(until);
        if let Some(h) = household {
            q = q.bind(h.to_string());
        }
        let mut rows = q.fetch(p);
        while let Some((h, from, head)) = rows.try_next().await? {
            let v = out.entry(h).or_default();
            match v.last_mut() {
                Some(last) if last.0 == from => last.1 = head,
                _ => v.push((from, head)),
            }
        }
    });
    Ok(out)
}

/// The ordinance profile the insurer levies by.
pub async fn profile(db: &Db, insurer: &InsurerNumber) -> Result<String> {
    let p: Option<String> = with_db!(db, |p| sqlx::query_scalar(
        "SELECT levy_profile FROM insurer WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_optional(p)
    .await?);
    p.ok_or(crate::StoreError::NotFound { what: "insurer" })
}

pub async fn set_profile(db: &Db, insurer: &InsurerNumber, profile: &str) -> Result<()> {
    with_db!(db, |p| sqlx::query(
        "UPDATE insurer SET levy_profile = $2 WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .bind(profile.to_string())
    .execute(p)
    .await
    .map(|_| ())?);
    Ok(())
}

/// Years booked for the insurer, oldest first.
pub async fn assessed_years(db: &Db, insurer: &InsurerNumber) -> Result<Vec<i64>> {
    Ok(with_db!(db, |p| {
        sqlx::query_scalar(
        "SELECT DISTINCT fiscal_year FROM levy_version WHERE insurer_number = $1 ORDER BY fiscal_year"
    )
    .bind(insurer.as_str().to_string())
    .fetch_all(p)
    .await?
    }))
}

/// Birth dates of the persons named (non-insured householders and
/// 特定同一世帯所属者, whose age the reduction test needs).
pub async fn birth_dates(
    db: &Db,
    insurer: &InsurerNumber,
    ids: &[&str],
) -> Result<HashMap<String, Date>> {
    const CHUNK: usize = 500;
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let params: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT addressee_id, birth_date FROM addressee WHERE insurer_number = $1 AND addressee_id IN ({})",
            params.join(", ")
        );
        let rows: Vec<(String, Date)> = with_db!(db, |p| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(insurer.as_str().to_string());
            for id in chunk {
                q = q.bind(id.to_string());
            }
            q.fetch_all(p).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// A notification that changes a member's levy (届出).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct NotificationRow {
    pub notification_id: i64,
    pub addressee_id: String,
    /// childbirth, involuntary_unemployment, former_dependent
    pub kind: String,
    pub effective_on: Date,
    pub multiple_birth: bool,
    pub voided: bool,
    pub recorded_us: i64,
    pub recorded_by: String,
}

/// Records a notification; its number.
#[allow(clippy::too_many_arguments)] // one row's columns, each named
pub async fn record_notification(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    addressee_id: &str,
    kind: &str,
    effective_on: Date,
    multiple_birth: bool,
    at_us: i64,
    by: &str,
) -> Result<i64> {
    // On PostgreSQL two clerks may take the same next number: the primary
    // key refuses the second, which fails with a clear error to retry.
    let id: i64 = with_tx!(tx, |t| {
        sqlx::query_scalar(
        "SELECT COALESCE(MAX(notification_id), 0) + 1 FROM levy_notification WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(&mut *t)
    .await?
    });
    let inserted: std::result::Result<(), sqlx::Error> = with_tx!(tx, |t| {
        sqlx::query(
        "INSERT INTO levy_notification (insurer_number, notification_id, addressee_id, kind, effective_on, \
         multiple_birth, voided, recorded_us, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7, $8)"
    )
    .bind(insurer.as_str().to_string())
    .bind(id)
    .bind(addressee_id.to_string())
    .bind(kind.to_string())
    .bind(effective_on)
    .bind(multiple_birth)
    .bind(at_us)
    .bind(by.to_string())
    .execute(t)
    .await
    .map(|_| ())
    });
    match inserted {
        Ok(()) => Ok(id),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(crate::StoreError::Duplicate {
                what: "notification number (taken at the same moment; record it again)",
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Voids a notification (the row stays); the person it was for and its
/// date, if there was one in force.
pub async fn void_notification(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    id: i64,
) -> Result<Option<(String, Date)>> {
    Ok(with_tx!(tx, |t| {
        sqlx::query_as(
        "UPDATE levy_notification SET voided = TRUE WHERE insurer_number = $1 AND notification_id = $2 \
         AND NOT voided RETURNING addressee_id, effective_on"
    )
    .bind(insurer.as_str().to_string())
    .bind(id)
    .fetch_optional(t)
    .await?
    }))
}

/// The notifications in force (not voided), of one person when given, by person.
pub async fn notifications(
    db: &Db,
    insurer: &InsurerNumber,
    person: Option<&str>,
) -> Result<HashMap<String, Vec<NotificationRow>>> {
    let filter = if person.is_some() {
        " AND addressee_id = $2"
    } else {
        ""
    };
    let sql = format!(
        "SELECT notification_id, addressee_id, kind, effective_on, multiple_birth, voided, recorded_us, recorded_by \
         FROM levy_notification WHERE insurer_number = $1 AND NOT voided{filter} ORDER BY notification_id"
    );
    let rows: Vec<NotificationRow> = with_db!(db, |p| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(insurer.as_str().to_string());
        if let Some(id) = person {
            q = q.bind(id.to_string());
        }
        q.fetch_all(p).await?
    });
    let mut out: HashMap<String, Vec<NotificationRow>> = HashMap::new();
    for r in rows {
        out.entry(r.addressee_id.clone()).or_default().push(r);
    }
    Ok(out)
}
