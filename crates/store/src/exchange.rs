//! Exchange with the federation and the intermediate server: the record of
//! every file sent and received (`exchange_file`), what a differential
//! extract reads, and the persons the federation reports as moved in from
//! another municipality of the prefecture (`continuity_notice`) with the
//! town's judgement of their household.

use kokuho_domain::id::InsurerNumber;
use time::Date;

use crate::burden::BurdenRow;
use crate::high_cost::MonthRow;
use crate::{Db, Result, Tx, with_db, with_tx};

/// One file sent or received.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct FileRow {
    pub file_id: i64,
    /// sent | received
    pub direction: String,
    /// federation | intermediate
    pub counterpart: String,
    pub file_kind: String,
    pub file_name: String,
    /// full | differential | answer
    pub extract: String,
    pub since_us: Option<i64>,
    pub as_of_us: i64,
    pub record_count: i64,
    pub sha256: String,
    pub sealed: bool,
    pub purpose: String,
    pub outcome: String,
    pub recorded_us: i64,
    pub recorded_by: String,
}

const FILE_COLUMNS: &str = "file_id, direction, counterpart, file_kind, file_name, extract, since_us, as_of_us, \
    record_count, sha256, sealed, purpose, outcome, recorded_us, recorded_by";

/// Records a file; its number is returned.
pub async fn insert_file(tx: &mut Tx, insurer: &InsurerNumber, f: &FileRow) -> Result<i64> {
    crate::db::lock_ids(tx, 7_461_645).await?;
    let id: i64 = with_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT COALESCE(MAX(file_id), 0) + 1 FROM exchange_file WHERE insurer_number = $1",
        )
        .bind(insurer.as_str().to_string())
        .fetch_one(c)
        .await?
    });
    let sql = format!(
        "INSERT INTO exchange_file (insurer_number, {FILE_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    );
    with_tx!(tx, |c| {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(insurer.as_str().to_string())
            .bind(id)
            .bind(f.direction.clone())
            .bind(f.counterpart.clone())
            .bind(f.file_kind.clone())
            .bind(f.file_name.clone())
            .bind(f.extract.clone())
            .bind(f.since_us)
            .bind(f.as_of_us)
            .bind(f.record_count)
            .bind(f.sha256.clone())
            .bind(f.sealed)
            .bind(f.purpose.clone())
            .bind(f.outcome.clone())
            .bind(f.recorded_us)
            .bind(f.recorded_by.clone())
            .execute(c)
            .await
            .map(|_| ())?
    });
    Ok(id)
}

/// The files sent and received, the latest first.
pub async fn files(db: &Db, insurer: &InsurerNumber, limit: i64) -> Result<Vec<FileRow>> {
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM exchange_file WHERE insurer_number = $1 ORDER BY file_id DESC LIMIT $2"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(limit)
        .fetch_all(p)
        .await?))
}

/// Up to when the last extract sent to a counterpart reflected the data:
/// the next differential starts there.
pub async fn last_sent_as_of(
    db: &Db,
    insurer: &InsurerNumber,
    counterpart: &str,
) -> Result<Option<i64>> {
    Ok(with_db!(db, |p| {
        sqlx::query_scalar(
            "SELECT MAX(as_of_us) FROM exchange_file WHERE insurer_number = $1 AND counterpart = $2 \
             AND direction = 'sent' AND extract IN ('full', 'differential')",
        )
        .bind(insurer.as_str().to_string())
        .bind(counterpart.to_string())
        .fetch_one(p)
        .await?
    }))
}

/// The file already taken in with these bytes, if any.
pub async fn received_with_hash(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    sha256: &str,
) -> Result<Option<(i64, String)>> {
    Ok(with_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT file_id, file_name FROM exchange_file WHERE insurer_number = $1 AND sha256 = $2 \
             AND direction = 'received'",
        )
        .bind(insurer.as_str().to_string())
        .bind(sha256.to_string())
        .fetch_optional(c)
        .await?
    }))
}

/// The current burden versions recorded in (`since_us`, `until_us`], or
/// all current ones when `since_us` is `None`.
pub async fn burden_changed(
    db: &Db,
    insurer: &InsurerNumber,
    since_us: Option<i64>,
    until_us: i64,
) -> Result<Vec<BurdenRow>> {
    let rows: Vec<BurdenRow> = with_db!(db, |p| {
        sqlx::query_as(
            "SELECT household_number, month, version_no, income_year, category_under_70, category_70_74, \
             copay_rates, reasons, change_reason, recorded_us, recorded_by, superseded_us FROM burden_version \
             WHERE insurer_number = $1 AND recorded_us > $2 AND recorded_us <= $3 \
             AND (superseded_us IS NULL OR superseded_us > $3) ORDER BY household_number, month",
        )
        .bind(insurer.as_str().to_string())
        .bind(since_us.unwrap_or(i64::MIN))
        .bind(until_us)
        .fetch_all(p)
        .await?
    });
    Ok(rows)
}

/// High-cost months recorded or voided in (`since_us`, `until_us`] (all
/// live ones when `since_us` is `None`), as they stood at `until_us`.
pub async fn high_cost_months_changed(
    db: &Db,
    insurer: &InsurerNumber,
    since_us: Option<i64>,
    until_us: i64,
) -> Result<Vec<MonthRow>> {
    let filter = if since_us.is_some() {
        "AND ((recorded_us > $2 AND recorded_us <= $3) OR (voided_us > $2 AND voided_us <= $3))"
    } else {
        "AND recorded_us > $2 AND recorded_us <= $3 AND (voided_us IS NULL OR voided_us > $3)"
    };
    let sql = format!(
        "SELECT household_number, service_month, seq, source, from_insurer, run_id, recorded_us, recorded_by, \
         voided_us, voided_by FROM high_cost_month WHERE insurer_number = $1 {filter} \
         ORDER BY household_number, service_month, seq"
    );
    let rows: Vec<MonthRow> = with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(since_us.unwrap_or(i64::MIN))
        .bind(until_us)
        .fetch_all(p)
        .await?);
    Ok(rows)
}

/// A person reported moved in from another municipality of the prefecture.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct NoticeRow {
    pub notice_id: i64,
    pub received_file_id: i64,
    pub addressee_id: String,
    pub household_number: String,
    pub insured_symbol: String,
    pub insured_number: String,
    pub branch_number: String,
    pub acquired_on: Date,
    pub from_insurer: String,
    pub from_insured_symbol: String,
    pub from_insured_number: String,
    pub from_branch_number: String,
    pub from_lost_on: Date,
    /// continuous | gap | overlap
    pub continuity: String,
    pub household_candidate: bool,
    /// continues | does_not; `None` pending
    pub judgement: Option<String>,
    pub judged_on: Option<Date>,
    pub judged_us: Option<i64>,
    pub judged_by: Option<String>,
    pub sent_file_id: Option<i64>,
    pub recorded_us: i64,
    /// the person was the householder of the household they left
    pub from_householder: bool,
    /// that household's householder was not NHI-insured (擬制世帯主)
    pub from_nominal_householder: bool,
    /// its insured on its last day with them; 0 when not known
    pub from_household_insured: i64,
}

const NOTICE_COLUMNS: &str = "notice_id, received_file_id, addressee_id, household_number, insured_symbol, \
    insured_number, branch_number, acquired_on, from_insurer, from_insured_symbol, from_insured_number, \
    from_branch_number, from_lost_on, continuity, household_candidate, judgement, judged_on, judged_us, \
        judged_by, sent_file_id, recorded_us, from_householder, from_nominal_householder, \
    from_household_insured";

pub async fn insert_notices(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    rows: &[NoticeRow],
) -> Result<()> {
    crate::db::lock_ids(tx, 7_461_646).await?;
    let mut next: i64 = with_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT COALESCE(MAX(notice_id), 0) + 1 FROM continuity_notice WHERE insurer_number = $1",
        )
        .bind(insurer.as_str().to_string())
        .fetch_one(c)
        .await?
    });
    let sql = format!(
        "INSERT INTO continuity_notice (insurer_number, {NOTICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, \
                  $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
    );
    for r in rows {
        with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(insurer.as_str().to_string())
            .bind(next)
            .bind(r.received_file_id)
            .bind(r.addressee_id.clone())
            .bind(r.household_number.clone())
            .bind(r.insured_symbol.clone())
            .bind(r.insured_number.clone())
            .bind(r.branch_number.clone())
            .bind(r.acquired_on)
            .bind(r.from_insurer.clone())
            .bind(r.from_insured_symbol.clone())
            .bind(r.from_insured_number.clone())
            .bind(r.from_branch_number.clone())
            .bind(r.from_lost_on)
            .bind(r.continuity.clone())
            .bind(r.household_candidate)
            .bind(r.judgement.clone())
            .bind(r.judged_on)
            .bind(r.judged_us)
            .bind(r.judged_by.clone())
            .bind(r.sent_file_id)
            .bind(r.recorded_us)
            .bind(r.from_householder)
            .bind(r.from_nominal_householder)
            .bind(r.from_household_insured)
            .execute(c)
            .await
            .map(|_| ())?);
        next += 1;
    }
    Ok(())
}

/// The notices, the latest first.
pub async fn notices(db: &Db, insurer: &InsurerNumber) -> Result<Vec<NoticeRow>> {
    let sql = format!(
        "SELECT {NOTICE_COLUMNS} FROM continuity_notice WHERE insurer_number = $1 ORDER BY notice_id DESC"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .fetch_all(p)
        .await?))
}

/// Records the judgement of a candidate household (every notice of it from
/// that municipality not yet sent); how many notices it covers.
#[allow(clippy::too_many_arguments)] // the household, where from, the judgement, when and who
pub async fn judge(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    household: &str,
    from_insurer: &str,
    judgement: &str,
    judged_on: Date,
    at_us: i64,
    by: &str,
) -> Result<u64> {
    Ok(with_tx!(tx, |c| {
        sqlx::query(
            "UPDATE continuity_notice SET judgement = $4, judged_on = $5, judged_us = $6, judged_by = $7 \
             WHERE insurer_number = $1 AND household_number = $2 AND from_insurer = $3 \
             AND household_candidate AND sent_file_id IS NULL",
        )
        .bind(insurer.as_str().to_string())
        .bind(household.to_string())
        .bind(from_insurer.to_string())
        .bind(judgement.to_string())
        .bind(judged_on)
        .bind(at_us)
        .bind(by.to_string())
        .execute(c)
        .await?
        .rows_affected()
    }))
}

/// Judged notices not yet sent, oldest first.
pub async fn unsent_judgements(tx: &mut Tx, insurer: &InsurerNumber) -> Result<Vec<NoticeRow>> {
    let sql = format!(
        "SELECT {NOTICE_COLUMNS} FROM continuity_notice WHERE insurer_number = $1 AND judgement IS NOT NULL \
         AND sent_file_id IS NULL ORDER BY notice_id"
    );
    Ok(with_tx!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .fetch_all(c)
        .await?))
}

/// Marks judged notices as sent in `file_id`: each only if its judgement is
/// still the one read (`judged_us`), so a judgement made meanwhile waits for
/// the next file.
pub async fn mark_sent(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    ids: &[(i64, i64)],
    file_id: i64,
) -> Result<()> {
    for (id, judged_us) in ids {
        with_tx!(tx, |c| {
            sqlx::query(
                "UPDATE continuity_notice SET sent_file_id = $3 WHERE insurer_number = $1 AND notice_id = $2 \
                 AND judged_us = $4 AND sent_file_id IS NULL",
            )
            .bind(insurer.as_str().to_string())
            .bind(*id)
            .bind(file_id)
            .bind(*judged_us)
            .execute(c)
            .await
            .map(|_| ())?
        });
    }
    Ok(())
}

/// The intermediate server's result for one period.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RegistrationRow {
    pub addressee_id: String,
    pub period_id: i64,
    pub result_file_id: i64,
    pub ok: bool,
    pub error_code: Option<String>,
    pub agency_code_obtained: bool,
    pub recorded_us: i64,
}

pub async fn insert_registrations(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    rows: &[RegistrationRow],
) -> Result<()> {
    for r in rows {
        with_tx!(tx, |c| {
            sqlx::query(
            "INSERT INTO online_registration (insurer_number, addressee_id, period_id, result_file_id, ok, \
             error_code, agency_code_obtained, recorded_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(insurer.as_str().to_string())
        .bind(r.addressee_id.clone())
        .bind(r.period_id)
        .bind(r.result_file_id)
        .bind(r.ok)
        .bind(r.error_code.clone())
        .bind(r.agency_code_obtained)
        .bind(r.recorded_us)
        .execute(c)
        .await
        .map(|_| ())?
        });
    }
    Ok(())
}

/// The latest result of each of a person's periods.
pub async fn registrations_of(
    db: &Db,
    insurer: &InsurerNumber,
    addressee_id: &str,
) -> Result<Vec<RegistrationRow>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
        "SELECT addressee_id, period_id, result_file_id, ok, error_code, agency_code_obtained, recorded_us \
         FROM online_registration WHERE insurer_number = $1 AND addressee_id = $2 \
         ORDER BY period_id, result_file_id"
    )
    .bind(insurer.as_str().to_string())
    .bind(addressee_id.to_string())
    .fetch_all(p)
    .await?
    }))
}

/// A version of a period as recorded (for the registration deadline).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RecordedChange {
    pub addressee_id: String,
    pub period_id: i64,
    pub change_kind: String,
    pub recorded_us: i64,
}

pub async fn versions_recorded_since(
    db: &Db,
    insurer: &InsurerNumber,
    from_us: i64,
) -> Result<Vec<RecordedChange>> {
    Ok(with_db!(db, |p| sqlx::query_as(
        "SELECT addressee_id, period_id, change_kind, recorded_us FROM eligibility_version \
         WHERE insurer_number = $1 AND recorded_us >= $2 ORDER BY recorded_us, period_id"
    )
    .bind(insurer.as_str().to_string())
    .bind(from_us)
    .fetch_all(p)
    .await?))
}

/// The extracts sent of one kind to a counterpart.
pub async fn sends(
    db: &Db,
    insurer: &InsurerNumber,
    counterpart: &str,
    kind: &str,
) -> Result<Vec<FileRow>> {
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM exchange_file WHERE insurer_number = $1 AND counterpart = $2 \
         AND file_kind = $3 AND direction = 'sent' ORDER BY file_id"
    );
    Ok(with_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(insurer.as_str().to_string())
        .bind(counterpart.to_string())
        .bind(kind.to_string())
        .fetch_all(p)
        .await?))
}

/// A provision copy (副本).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ReplicaRow {
    pub integrated_addressee_id: String,
    pub addressee_id: String,
    pub content: String,
    pub refreshed_us: i64,
}

/// Writes provision copies (replacing a person's earlier one).
pub async fn upsert_replicas(
    tx: &mut Tx,
    insurer: &InsurerNumber,
    rows: &[ReplicaRow],
) -> Result<()> {
    for r in rows {
        with_tx!(tx, |c| {
            sqlx::query(
            "INSERT INTO linkage_replica (insurer_number, integrated_addressee_id, addressee_id, content, refreshed_us) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (insurer_number, integrated_addressee_id) \
             DO UPDATE SET addressee_id = excluded.addressee_id, content = excluded.content, \
             refreshed_us = excluded.refreshed_us"
        )
        .bind(insurer.as_str().to_string())
        .bind(r.integrated_addressee_id.clone())
        .bind(r.addressee_id.clone())
        .bind(r.content.clone())
        .bind(r.refreshed_us)
        .execute(c)
        .await
        .map(|_| ())?
        });
    }
    Ok(())
}

/// When the provision copies were last refreshed.
pub async fn replicas_refreshed_at(db: &Db, insurer: &InsurerNumber) -> Result<Option<i64>> {
    Ok(with_db!(db, |p| sqlx::query_scalar(
        "SELECT MAX(refreshed_us) FROM linkage_replica WHERE insurer_number = $1"
    )
    .bind(insurer.as_str().to_string())
    .fetch_one(p)
    .await?))
}

pub async fn replica(
    db: &Db,
    insurer: &InsurerNumber,
    integrated_addressee_id: &str,
) -> Result<Option<ReplicaRow>> {
    Ok(with_db!(db, |p| sqlx::query_as(
        "SELECT integrated_addressee_id, addressee_id, content, refreshed_us FROM linkage_replica \
         WHERE insurer_number = $1 AND integrated_addressee_id = $2"
    )
    .bind(insurer.as_str().to_string())
    .bind(integrated_addressee_id.to_string())
    .fetch_optional(p)
    .await?))
}

/// Every registration result of the insurer, oldest first.
pub async fn all_registrations(db: &Db, insurer: &InsurerNumber) -> Result<Vec<RegistrationRow>> {
    Ok(with_db!(db, |p| {
        sqlx::query_as(
        "SELECT addressee_id, period_id, result_file_id, ok, error_code, agency_code_obtained, recorded_us \
         FROM online_registration WHERE insurer_number = $1 ORDER BY recorded_us, result_file_id"
    )
    .bind(insurer.as_str().to_string())
    .fetch_all(p)
    .await?
    }))
}
